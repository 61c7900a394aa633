//! §9: partial export and partial import.

use crate::common::*;

#[tokio::test]
async fn export_masks_secrets_and_nests_groups() {
    let kc = Kc::start().await;
    kc.client("master", "app").await;
    kc.add_group("master", "/partners/acme").await;
    let r = kc
        .post(
            "/master/partial-export?exportClients=true&exportGroupsAndRoles=true",
            json!(null),
        )
        .await;
    assert_eq!(r.status, 200);
    let app = r.body["clients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["clientId"] == "app")
        .unwrap();
    assert_eq!(app["secret"], "**********");
    let partners = r.body["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "partners")
        .unwrap();
    assert_eq!(partners["subGroups"][0]["name"], "acme");
    assert!(r.body["roles"]["client"]["app"].is_array());
    assert!(r.body.get("users").is_none());
    let bare = kc.post("/master/partial-export", json!(null)).await.body;
    assert!(bare.get("clients").is_none() && bare.get("groups").is_none());
}

on_both_releases!(import_policies, import_policies_on_26_4, import_policies_on);

async fn import_policies_on(kc: Kc) {
    kc.client("master", "app").await;
    let body = |policy: &str| {
        json!({ "ifResourceExists": policy, "clients": [{ "clientId": "app", "protocol": "openid-connect" }, { "clientId": "new", "protocol": "openid-connect" }],
            "roles": { "realm": [{ "name": "partner" }] }, "groups": [{ "name": "imported", "path": "/imported", "subGroups": [{ "name": "child", "path": "/imported/child" }] }],
            "extra": "ignored" })
    };
    let r = kc.post("/master/partialImport", body("FAIL")).await;
    assert_eq!(
        (r.status, r.body),
        (
            409,
            json!({ "errorMessage": "Client id 'app' already exists" })
        )
    );
    let new = kc.get("/master/clients?clientId=new").await.body;
    assert_eq!(new, json!([]), "all or nothing");
    let r = kc.post("/master/partialImport", body("SKIP")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (r.body["added"].clone(), r.body["skipped"].clone()),
        (json!(3), json!(1))
    );
    let child = kc.get("/master/group-by-path/imported/child").await;
    assert_eq!(child.body["path"], "/imported/child", "{}", child.text);
    let r = kc.post("/master/partialImport", body("OVERWRITE")).await;
    if !kc.is_26_7().await {
        // 26.4 cannot overwrite a group: it re-creates it while the old one exists.
        assert_eq!(
            (r.status, r.body),
            (409, json!({ "errorMessage": "Duplicate resource error" }))
        );
        return;
    }
    // An overwritten realm role is also reported as added. The results come in no
    // set order (a hash set's on 26.7).
    assert_eq!(
        (r.body["overwritten"].clone(), r.body["added"].clone()),
        (json!(4), json!(1))
    );
    let mut kinds: Vec<(&str, &str)> = r.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["resourceType"].as_str().unwrap(),
                x["action"].as_str().unwrap(),
            )
        })
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        [
            ("CLIENT", "OVERWRITTEN"),
            ("CLIENT", "OVERWRITTEN"),
            ("GROUP", "OVERWRITTEN"),
            ("REALM_ROLE", "ADDED"),
            ("REALM_ROLE", "OVERWRITTEN")
        ]
    );
}

#[tokio::test]
async fn a_group_without_path_is_a_server_error() {
    let kc = Kc::start().await;
    let body = json!({ "ifResourceExists": "SKIP", "groups": [{ "name": "loose" }] });
    let r = kc.post("/master/partialImport", body).await;
    assert_eq!(
        (r.status, r.body),
        (
            500,
            json!({ "error": "unknown_error", "error_description": "For more on this error consult the server log." })
        )
    );
    let r = kc.get("/master/group-by-path/loose").await;
    assert_eq!(r.status, 404, "nothing imported");
}
