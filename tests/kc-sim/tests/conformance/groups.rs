//! §4.2: groups in Keycloak 22 and 23+, children, members, search, count.

use crate::common::*;

async fn tree(kc: &Kc) -> String {
    let top = kc.group("master", "partners").await;
    let r = kc
        .post(
            &format!("/master/groups/{top}/children"),
            json!({ "name": "acme" }),
        )
        .await;
    assert_eq!(r.status, 201);
    assert_eq!(
        r.body["name"], "acme",
        "POST child returns the child's representation"
    );
    assert_eq!(r.body["path"], "/partners/acme");
    assert_eq!(
        r.location(),
        kc.url(&format!(
            "/admin/realms/master/groups/{}",
            r.body["id"].as_str().unwrap()
        ))
    );
    top
}

#[tokio::test]
async fn version_23_plus_lists_top_level_without_children() {
    let kc = Kc::start().await;
    let top = tree(&kc).await;
    let list = kc.get("/master/groups").await.body;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["subGroupCount"], 1);
    assert_eq!(list[0]["subGroups"], json!([]));
    assert!(list[0].get("attributes").is_none(), "brief by default");
    let kids = kc.get(&format!("/master/groups/{top}/children")).await.body;
    assert_eq!(kids[0]["parentId"], json!(top));
    assert_eq!(
        kids[0]["attributes"],
        json!({}),
        "children are full by default"
    );
}

#[tokio::test]
async fn version_22_inlines_the_tree() {
    let Some(kc) = Kc::version(22).await else {
        return;
    };
    let top = tree(&kc).await;
    let list = kc.get("/master/groups").await.body;
    assert_eq!(list[0]["subGroups"][0]["name"], "acme");
    assert!(list[0].get("subGroupCount").is_none());
    assert_eq!(
        kc.get(&format!("/master/groups/{top}/children"))
            .await
            .status,
        405
    );
}

#[tokio::test]
async fn search_populates_the_hierarchy() {
    let kc = Kc::start().await;
    tree(&kc).await;
    kc.group("master", "other").await;
    let found = kc.get("/master/groups?search=acm").await.body;
    assert_eq!(found.as_array().unwrap().len(), 1);
    assert_eq!(found[0]["name"], "partners");
    assert_eq!(found[0]["subGroups"][0]["name"], "acme");
    let flat = kc
        .get("/master/groups?search=ACME&populateHierarchy=false")
        .await
        .body;
    assert_eq!(flat[0]["path"], "/partners/acme");
    assert_eq!(
        kc.get("/master/groups?search=ACME&exact=true").await.body,
        json!([])
    );
}

#[tokio::test]
async fn children_default_page_is_ten() {
    let kc = Kc::start().await;
    let top = kc.group("master", "p").await;
    for i in 0..12 {
        kc.post(
            &format!("/master/groups/{top}/children"),
            json!({ "name": format!("c{i:02}") }),
        )
        .await;
    }
    assert_eq!(
        kc.get(&format!("/master/groups/{top}/children"))
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        10
    );
    let rest = kc
        .get(&format!("/master/groups/{top}/children?first=10"))
        .await
        .body;
    assert_eq!(rest.as_array().unwrap().len(), 2);
    assert_eq!(
        kc.get("/master/groups/count").await.body,
        json!({ "count": 13 })
    );
    assert_eq!(
        kc.get("/master/groups/count?top=true").await.body,
        json!({ "count": 1 })
    );
}

#[tokio::test]
async fn update_replaces_attributes_and_checks_names() {
    let kc = Kc::start().await;
    let g = kc.group("master", "g").await;
    kc.group("master", "h").await;
    kc.put(
        &format!("/master/groups/{g}"),
        json!({ "name": "g", "attributes": { "a": ["1"], "b": ["2"] } }),
    )
    .await;
    kc.put(
        &format!("/master/groups/{g}"),
        json!({ "name": "g", "attributes": { "b": ["3"] } }),
    )
    .await;
    assert_eq!(
        kc.get(&format!("/master/groups/{g}")).await.body["attributes"],
        json!({ "b": ["3"] })
    );
    kc.put(&format!("/master/groups/{g}"), json!({ "name": "g2" }))
        .await;
    let body = kc.get(&format!("/master/groups/{g}")).await.body;
    assert_eq!(
        (body["name"].clone(), body["attributes"].clone()),
        (json!("g2"), json!({ "b": ["3"] }))
    );
    let r = kc
        .put(&format!("/master/groups/{g}"), json!({ "name": "h" }))
        .await;
    assert_eq!(
        (r.status, r.body),
        (
            409,
            json!({ "errorMessage": "Sibling group named 'h' already exists." })
        )
    );
    let r = kc
        .put(
            &format!("/master/groups/{g}"),
            json!({ "id": "other", "name": "x" }),
        )
        .await;
    assert_eq!(
        (r.status, r.body),
        (400, json!({ "errorMessage": "Invalid group id" }))
    );
}

#[tokio::test]
async fn membership_through_user_endpoints() {
    let kc = Kc::start().await;
    let g = kc.group("master", "staff").await;
    let u = kc
        .post(
            "/master/users",
            json!({ "username": "Bob", "enabled": true }),
        )
        .await
        .id();
    assert_eq!(
        kc.put(&format!("/master/users/{u}/groups/{g}"), json!(null))
            .await
            .status,
        204
    );
    assert_eq!(
        kc.put(&format!("/master/users/{u}/groups/{g}"), json!(null))
            .await
            .status,
        204
    );
    assert_eq!(
        kc.get(&format!("/master/users/{u}/groups")).await.body[0]["name"],
        "staff"
    );
    assert_eq!(
        kc.get(&format!("/master/users/{u}/groups/count"))
            .await
            .body,
        json!({ "count": 1 })
    );
    assert_eq!(
        kc.get(&format!("/master/groups/{g}/members")).await.body[0]["username"],
        "bob"
    );
    let r = kc
        .put(&format!("/master/users/{u}/groups/nope"), json!(null))
        .await;
    assert_eq!(
        (r.status, r.body),
        (404, json!({ "error": "Group not found" }))
    );
    assert_eq!(
        kc.delete(&format!("/master/users/{u}/groups/{g}"))
            .await
            .status,
        204
    );
    assert_eq!(
        kc.get(&format!("/master/groups/{g}/members")).await.body,
        json!([])
    );
}

#[tokio::test]
async fn a_users_groups_are_brief_and_counted_by_search() {
    let kc = Kc::start().await;
    let partners = kc.add_group("master", "/partners").await;
    let r = kc
        .post(
            &format!("/master/groups/{partners}/children"),
            json!({ "name": "acme" }),
        )
        .await;
    let g = r.body["id"].as_str().unwrap().to_string();
    let staff = kc.add_group("master", "/staff").await;
    let u = kc.add_user("master", "member").await;
    kc.add_member("master", &u, &g).await;
    kc.add_member("master", &u, &staff).await;
    let brief = kc.get(&format!("/master/users/{u}/groups")).await.body;
    assert_eq!(
        brief,
        json!([{ "id": g, "name": "acme", "path": "/partners/acme", "parentId": partners, "subGroups": [] },
               { "id": staff, "name": "staff", "path": "/staff", "subGroups": [] }])
    );
    let full = kc
        .get(&format!(
            "/master/users/{u}/groups?briefRepresentation=false&search=ACM"
        ))
        .await
        .body;
    assert_eq!(
        full,
        json!([{ "id": g, "name": "acme", "path": "/partners/acme", "parentId": partners, "subGroups": [],
                 "attributes": {}, "realmRoles": [], "clientRoles": {} }])
    );
    for (search, n) in [("", 2), ("?search=st", 1), ("?search=none", 0)] {
        let count = kc
            .get(&format!("/master/users/{u}/groups/count{search}"))
            .await;
        assert_eq!(count.body, json!({ "count": n }), "{search}");
    }
}

#[tokio::test]
async fn group_by_path() {
    let kc = Kc::start().await;
    let top = kc.add_group("master", "/partners").await;
    let r = kc
        .post(
            &format!("/master/groups/{top}/children"),
            json!({ "name": "acme corp" }),
        )
        .await;
    let child = r.body["id"].clone();
    let found = kc.get("/master/group-by-path/partners/acme%20corp").await;
    assert_eq!(
        found.body,
        json!({ "id": child, "name": "acme corp", "path": "/partners/acme corp", "parentId": top,
                "subGroupCount": 0, "subGroups": [], "attributes": {}, "realmRoles": [],
                "clientRoles": {} })
    );
    let parent = kc.get("/master/group-by-path/partners").await.body;
    assert_eq!(
        (parent["subGroupCount"].clone(), parent["subGroups"].clone()),
        (json!(1), json!([]))
    );
    let missing = kc.get("/master/group-by-path/partners/nope").await;
    assert_eq!(
        (missing.status, missing.body),
        (404, json!({ "error": "Group path does not exist" }))
    );
}
