//! §4.1 and §4.3: roles, composites, and role mappings requiring id and name.

use crate::common::*;

async fn setup() -> (Kc, String, serde_json::Value, String) {
    let kc = Kc::start().await;
    let client = kc.client("master", "app").await;
    kc.post(
        &format!("/master/clients/{client}/roles"),
        json!({ "name": "access", "description": "may sign in" }),
    )
    .await;
    let role = kc
        .get(&format!("/master/clients/{client}/roles/access"))
        .await
        .body;
    let g = kc.group("master", "staff").await;
    (kc, client, role, g)
}

#[tokio::test]
async fn grant_requires_matching_id_and_name() {
    let (kc, client, role, g) = setup().await;
    let path = format!("/master/groups/{g}/role-mappings/clients/{client}");
    let r = kc.post(&path, json!([{ "name": "access" }])).await;
    assert_eq!(
        (r.status, r.body),
        (404, json!({ "error": "Role not found" }))
    );
    let r = kc
        .post(&path, json!([{ "id": role["id"], "name": "other" }]))
        .await;
    assert_eq!(r.status, 404);
    let r = kc
        .post(&path, json!([{ "id": role["id"], "name": "access" }]))
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(
        kc.post(&path, json!([role])).await.status,
        204,
        "granting twice is a no-op"
    );
    let mapped = kc.get(&path).await.body;
    assert_eq!(mapped.as_array().unwrap().len(), 1);
    assert_eq!(mapped[0]["name"], "access");
    let all = kc
        .get(&format!("/master/groups/{g}/role-mappings"))
        .await
        .body;
    assert_eq!(all["clientMappings"]["app"]["id"], json!(client));
    assert!(all.get("realmMappings").is_none());
    assert_eq!(
        kc.get(&format!("/master/groups/{g}")).await.body["clientRoles"],
        json!({ "app": ["access"] })
    );
}

#[tokio::test]
async fn unknown_client_in_mapping_path() {
    let (kc, _, role, g) = setup().await;
    let r = kc
        .post(
            &format!("/master/groups/{g}/role-mappings/clients/nope"),
            json!([role]),
        )
        .await;
    assert_eq!(
        (r.status, r.body),
        (404, json!({ "error": "Client not found" }))
    );
}

#[tokio::test]
async fn effective_roles_include_groups_and_composites() {
    let (kc, client, role, g) = setup().await;
    kc.post(
        &format!("/master/clients/{client}/roles"),
        json!({ "name": "viewer" }),
    )
    .await;
    let viewer = kc
        .get(&format!("/master/clients/{client}/roles/viewer"))
        .await
        .body;
    assert_eq!(
        kc.post(
            &format!("/master/clients/{client}/roles/access/composites"),
            json!([viewer])
        )
        .await
        .status,
        204
    );
    assert_eq!(
        kc.get(&format!("/master/clients/{client}/roles/access"))
            .await
            .body["composite"],
        true
    );
    kc.post(
        &format!("/master/groups/{g}/role-mappings/clients/{client}"),
        json!([role]),
    )
    .await;
    let u = kc
        .post(
            "/master/users",
            json!({ "username": "carol", "enabled": true }),
        )
        .await
        .id();
    kc.put(&format!("/master/users/{u}/groups/{g}"), json!(null))
        .await;
    assert_eq!(
        kc.get(&format!("/master/users/{u}/role-mappings/clients/{client}"))
            .await
            .body,
        json!([])
    );
    let eff = kc
        .get(&format!(
            "/master/users/{u}/role-mappings/clients/{client}/composite"
        ))
        .await
        .body;
    let mut names: Vec<&str> = eff
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["access", "viewer"]);
    // The library's assertion helper agrees with the API.
    if !against_real_server() {
        let app_roles = kc.sim().effective_roles(&kc.realm_name("master"), "carol");
        assert_eq!(
            app_roles.iter().filter(|r| r.starts_with("app.")).count(),
            2
        );
    }
    // Holders of a role are direct mappings only.
    assert_eq!(
        kc.get(&format!("/master/clients/{client}/roles/access/users"))
            .await
            .body,
        json!([])
    );
    assert_eq!(
        kc.get(&format!("/master/clients/{client}/roles/access/groups"))
            .await
            .body[0]["name"],
        "staff"
    );
}

#[tokio::test]
async fn delete_without_body_removes_all_roles_of_the_client() {
    let (kc, client, role, g) = setup().await;
    let path = format!("/master/groups/{g}/role-mappings/clients/{client}");
    kc.post(&path, json!([role])).await;
    assert_eq!(kc.delete(&path).await.status, 204);
    assert_eq!(kc.get(&path).await.body, json!([]));
}

#[tokio::test]
async fn realm_roles_and_composites_on_create() {
    let kc = Kc::start().await;
    kc.post("/master/roles", json!({ "name": "base" })).await;
    let r = kc
        .post(
            "/master/roles",
            json!({ "name": "super", "composite": true, "composites": { "realm": ["base"] } }),
        )
        .await;
    assert_eq!(r.status, 201);
    let comps = kc.get("/master/roles/super/composites").await.body;
    assert_eq!(comps[0]["name"], "base");
    let r = kc
        .post(
            "/master/roles",
            json!({ "name": "bad", "composite": true, "composites": { "realm": ["nope"] } }),
        )
        .await;
    assert_eq!(
        (r.status, r.body),
        (
            404,
            json!({ "errorMessage": "Realm Role with name nope does not exist" })
        )
    );
    let r = kc
        .post("/master/roles", json!({ "description": "no name" }))
        .await;
    assert_eq!(
        (r.status, r.body),
        (400, json!({ "error": "role has no name" }))
    );
    let u = kc
        .post(
            "/master/users",
            json!({ "username": "dan", "enabled": true }),
        )
        .await
        .id();
    let base = kc.get("/master/roles/base").await.body;
    assert_eq!(
        kc.post(
            &format!("/master/users/{u}/role-mappings/realm"),
            json!([base])
        )
        .await
        .status,
        204
    );
    let mapped = kc
        .get(&format!("/master/users/{u}/role-mappings/realm"))
        .await
        .body;
    let names: Vec<&str> = mapped
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    let default_roles = format!("default-roles-{}", kc.realm_name("master"));
    assert!(names.contains(&"base") && names.contains(&default_roles.as_str()));
}

on_both_releases!(
    composites_are_brief_searched_paged_and_split_by_container,
    composites_are_brief_searched_paged_and_split_by_container_on_26_4,
    composites_are_brief_searched_paged_and_split_by_container_on
);

async fn composites_are_brief_searched_paged_and_split_by_container_on(kc: Kc) {
    for name in ["parent", "kid1", "kid2"] {
        let role = json!({ "name": name, "description": format!("d {name}") });
        assert_eq!(kc.post("/master/roles", role).await.status, 201);
    }
    let client = kc.client("master", "app").await;
    let r = kc
        .post(
            &format!("/master/clients/{client}/roles"),
            json!({ "name": "crole" }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let realm_id = kc.get("/master").await.body["id"].clone();
    let kc = &kc;
    let get = move |path: String| async move { kc.get(&path).await.body };
    let parent = get("/master/roles/parent".into()).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let kids = json!([
        get("/master/roles/kid1".into()).await,
        get("/master/roles/kid2".into()).await,
        get(format!("/master/clients/{client}/roles/crole")).await
    ]);
    let at = format!("/master/roles-by-id/{parent}/composites");
    assert_eq!(kc.post(&at, kids.clone()).await.status, 204);
    let brief = |i: usize, realm_role: bool| {
        let k = &kids[i];
        let mut b = json!({ "id": k["id"], "name": k["name"] });
        if realm_role {
            b["description"] = k["description"].clone();
        }
        b["composite"] = json!(false);
        b["clientRole"] = json!(!realm_role);
        b["containerId"] = if realm_role {
            realm_id.clone()
        } else {
            json!(client)
        };
        b
    };
    let (kid1, kid2, crole) = (brief(0, true), brief(1, true), brief(2, false));
    let names = |v: &serde_json::Value| -> Vec<String> {
        let mut n: Vec<String> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap().to_string())
            .collect();
        n.sort();
        n
    };
    // Ordered by name on 26.7; unpaged, 26.4 keeps no order (paged, it sorts too).
    let all = get(at.clone()).await;
    if kc.is_26_7().await {
        assert_eq!(all, json!([crole, kid1, kid2]));
    } else {
        assert_eq!(names(&all), ["crole", "kid1", "kid2"]);
        assert!(
            all.as_array()
                .unwrap()
                .iter()
                .all(|r| [&crole, &kid1, &kid2].contains(&r))
        );
    }
    assert_eq!(
        get(format!("{at}?search=KID&first=1&max=1")).await,
        json!([kid2])
    );
    assert_eq!(
        get(format!("{at}?first=0&max=2")).await,
        json!([crole, kid1])
    );
    let realm_only = get(format!("{at}/realm")).await;
    assert_eq!(names(&realm_only), ["kid1", "kid2"]);
    assert!(
        realm_only
            .as_array()
            .unwrap()
            .iter()
            .all(|r| *r == kid1 || *r == kid2)
    );
    assert_eq!(get(format!("{at}/clients/{client}")).await, json!([crole]));
    let by_name = get("/master/roles/parent/composites".into()).await;
    assert_eq!(names(&by_name), ["crole", "kid1", "kid2"]);
    assert!(by_name[0].get("attributes").is_none(), "brief form");
    let realm_only = get("/master/roles/parent/composites/realm".into()).await;
    // Unordered on these two routes.
    assert_eq!(names(&realm_only), ["kid1", "kid2"]);
    let r = kc.get(&format!("{at}/clients/nope")).await;
    assert_eq!(
        (r.status, r.body),
        (404, json!({ "error": "Could not find client" }))
    );
}
