//! One test per row of the §8.1 message catalogue, plus the version-dependent
//! bodies of the global error handler, unknown fields and HTML errors.

use crate::common::*;
use reqwest::Method;

async fn setup() -> (Kc, String) {
    let kc = Kc::start().await;
    let id = kc.client("master", "app1").await;
    (kc, id)
}

#[tokio::test]
async fn duplicate_client_id_on_create() {
    let (kc, _) = setup().await;
    let r = kc
        .post(
            "/master/clients",
            json!({ "clientId": "app1", "protocol": "openid-connect" }),
        )
        .await;
    assert_eq!(
        (r.status, r.body),
        (409, json!({ "errorMessage": "Client app1 already exists" }))
    );
}

#[tokio::test]
async fn duplicate_client_id_on_rename() {
    let (kc, _) = setup().await;
    let other = kc.client("master", "app2").await;
    let r = kc
        .put(
            &format!("/master/clients/{other}"),
            json!({ "clientId": "app1" }),
        )
        .await;
    assert_eq!(
        (r.status, r.body),
        (
            409,
            json!({ "error": "conflict", "error_description": "Duplicate resource error" })
        )
    );
}

#[tokio::test]
async fn unknown_client_uuid() {
    let (kc, _) = setup().await;
    let r = kc
        .get("/master/clients/00000000-0000-0000-0000-000000000000")
        .await;
    assert_eq!(
        (r.status, r.body),
        (404, json!({ "error": "Could not find client" }))
    );
}

#[tokio::test]
async fn duplicate_protocol_mapper() {
    let (kc, id) = setup().await;
    let m = json!({ "name": "email", "protocol": "openid-connect", "protocolMapper": "oidc-usermodel-property-mapper", "config": {} });
    assert_eq!(
        kc.post(
            &format!("/master/clients/{id}/protocol-mappers/models"),
            m.clone()
        )
        .await
        .status,
        201
    );
    let r = kc
        .post(&format!("/master/clients/{id}/protocol-mappers/models"), m)
        .await;
    assert_eq!(
        (r.status, r.body),
        (
            409,
            json!({ "errorMessage": "Protocol mapper exists with same name" })
        )
    );
}

#[tokio::test]
async fn duplicate_in_add_models_reaches_the_global_handler() {
    let (kc, id) = setup().await;
    let m = json!({ "name": "email", "protocol": "openid-connect", "protocolMapper": "oidc-usermodel-property-mapper", "config": {} });
    let r = kc
        .post(
            &format!("/master/clients/{id}/protocol-mappers/add-models"),
            json!([m.clone(), m]),
        )
        .await;
    assert_eq!(
        (r.status, r.body),
        (
            409,
            json!({ "error": "conflict", "error_description": "Protocol mapper name must be unique per protocol" })
        )
    );
    // One transaction: nothing was added.
    let list = kc
        .get(&format!("/master/clients/{id}/protocol-mappers/models"))
        .await;
    assert_eq!(list.body, json!([]));
}

#[tokio::test]
async fn unknown_mapper_id() {
    let (kc, id) = setup().await;
    let r = kc
        .get(&format!(
            "/master/clients/{id}/protocol-mappers/models/nope"
        ))
        .await;
    assert_eq!(
        (r.status, r.body),
        (404, json!({ "error": "Model not found" }))
    );
    let r = kc
        .delete(&format!(
            "/master/clients/{id}/protocol-mappers/models/nope"
        ))
        .await;
    assert_eq!(
        (r.status, r.body),
        (404, json!({ "error": "Model not found" }))
    );
}

#[tokio::test]
async fn duplicate_role() {
    let (kc, id) = setup().await;
    assert_eq!(
        kc.post(
            &format!("/master/clients/{id}/roles"),
            json!({ "name": "access" })
        )
        .await
        .status,
        201
    );
    let r = kc
        .post(
            &format!("/master/clients/{id}/roles"),
            json!({ "name": "access" }),
        )
        .await;
    assert_eq!(
        (r.status, r.body),
        (
            409,
            json!({ "errorMessage": "Role with name access already exists" })
        )
    );
}

#[tokio::test]
async fn unknown_role() {
    let (kc, _) = setup().await;
    let r = kc.get("/master/roles/nope").await;
    assert_eq!(
        (r.status, r.body),
        (404, json!({ "error": "Could not find role" }))
    );
}

#[tokio::test]
async fn role_mapping_with_wrong_id() {
    let (kc, id) = setup().await;
    kc.post(
        &format!("/master/clients/{id}/roles"),
        json!({ "name": "access" }),
    )
    .await;
    let g = kc.group("master", "staff").await;
    let r = kc
        .post(
            &format!("/master/groups/{g}/role-mappings/clients/{id}"),
            json!([{ "id": "wrong", "name": "access" }]),
        )
        .await;
    assert_eq!(
        (r.status, r.body),
        (404, json!({ "error": "Role not found" }))
    );
}

#[tokio::test]
async fn duplicate_top_level_group() {
    let (kc, _) = setup().await;
    kc.group("master", "staff").await;
    let r = kc.post("/master/groups", json!({ "name": "staff" })).await;
    assert_eq!(
        (r.status, r.body),
        (
            409,
            json!({ "errorMessage": "Top level group named 'staff' already exists." })
        )
    );
}

#[tokio::test]
async fn duplicate_sibling_group() {
    let (kc, _) = setup().await;
    let g = kc.group("master", "staff").await;
    assert_eq!(
        kc.post(
            &format!("/master/groups/{g}/children"),
            json!({ "name": "ops" })
        )
        .await
        .status,
        201
    );
    let r = kc
        .post(
            &format!("/master/groups/{g}/children"),
            json!({ "name": "ops" }),
        )
        .await;
    assert_eq!(
        (r.status, r.body),
        (
            409,
            json!({ "errorMessage": "Sibling group named 'ops' already exists." })
        )
    );
}

#[tokio::test]
async fn group_name_missing() {
    let (kc, _) = setup().await;
    let r = kc.post("/master/groups", json!({ "name": " " })).await;
    assert_eq!(
        (r.status, r.body),
        (400, json!({ "errorMessage": "Group name is missing" }))
    );
}

#[tokio::test]
async fn unknown_group() {
    let (kc, _) = setup().await;
    let r = kc.get("/master/groups/nope").await;
    assert_eq!(
        (r.status, r.body),
        (404, json!({ "error": "Could not find group by id" }))
    );
}

fn saml_idp(alias: &str) -> serde_json::Value {
    json!({ "alias": alias, "providerId": "saml", "config": { "singleSignOnServiceUrl": "https://idp.example.org/sso" } })
}

#[tokio::test]
async fn duplicate_idp_alias() {
    let (kc, _) = setup().await;
    assert_eq!(
        kc.post("/master/identity-provider/instances", saml_idp("partner"))
            .await
            .status,
        201
    );
    let r = kc
        .post("/master/identity-provider/instances", saml_idp("partner"))
        .await;
    assert_eq!(
        (r.status, r.body),
        (
            409,
            json!({ "errorMessage": "Identity Provider partner already exists" })
        )
    );
}

#[tokio::test]
async fn unknown_idp_alias() {
    let (kc, _) = setup().await;
    let r = kc.get("/master/identity-provider/instances/nope").await;
    assert_eq!(
        (r.status, r.body),
        (404, json!({ "error": "HTTP 404 Not Found" }))
    );
}

#[tokio::test]
async fn idp_mapper_create_failure() {
    let (kc, _) = setup().await;
    kc.post("/master/identity-provider/instances", saml_idp("partner"))
        .await;
    let m = json!({ "name": "grp", "identityProviderAlias": "partner", "identityProviderMapper": "oidc-hardcoded-group-idp-mapper", "config": { "group": "/x" } });
    assert_eq!(
        kc.post(
            "/master/identity-provider/instances/partner/mappers",
            m.clone()
        )
        .await
        .status,
        201
    );
    let r = kc
        .post("/master/identity-provider/instances/partner/mappers", m)
        .await;
    assert_eq!(
        (r.status, r.body),
        (
            400,
            json!({ "errorMessage": "Failed to add mapper 'grp' to identity provider [saml]." })
        )
    );
}

#[tokio::test]
async fn duplicate_flow() {
    let (kc, _) = setup().await;
    let f = json!({ "alias": "restrict", "providerId": "basic-flow", "topLevel": true, "builtIn": false });
    assert_eq!(
        kc.post("/master/authentication/flows", f.clone())
            .await
            .status,
        201
    );
    let r = kc.post("/master/authentication/flows", f).await;
    assert_eq!(
        (r.status, r.body),
        (
            409,
            json!({ "errorMessage": "Flow restrict already exists" })
        )
    );
}

#[tokio::test]
async fn copy_or_subflow_alias_exists() {
    let (kc, _) = setup().await;
    let r = kc
        .post(
            "/master/authentication/flows/browser/copy",
            json!({ "newName": "direct grant" }),
        )
        .await;
    assert_eq!(
        (r.status, r.body),
        (
            409,
            json!({ "errorMessage": "New flow alias name already exists" })
        )
    );
    kc.post(
        "/master/authentication/flows",
        json!({ "alias": "mine", "providerId": "basic-flow", "topLevel": true }),
    )
    .await;
    let r = kc
        .post(
            "/master/authentication/flows/mine/executions/flow",
            json!({ "alias": "forms", "type": "basic-flow" }),
        )
        .await;
    assert_eq!(
        (r.status, r.body),
        (
            409,
            json!({ "errorMessage": "New flow alias name already exists" })
        )
    );
}

#[tokio::test]
async fn unknown_flow_alias() {
    let (kc, _) = setup().await;
    let r = kc
        .post(
            "/master/authentication/flows/nope/copy",
            json!({ "newName": "x" }),
        )
        .await;
    assert_eq!(
        (r.status, r.body),
        (404, json!({ "error": "Flow not found" }))
    );
}

#[tokio::test]
async fn unknown_realm() {
    let (kc, _) = setup().await;
    let r = kc.get("/nope/clients").await;
    assert_eq!(
        (r.status, r.body),
        (404, json!({ "error": "Realm not found." }))
    );
}

const DEBUG: &str = "For more on this error consult the server log at the debug level.";

#[tokio::test]
async fn versions_24_and_25_add_the_debug_description() {
    for v in [24, 25] {
        let Some(kc) = Kc::version(v).await else {
            continue;
        };
        let r = kc.get("/master/clients/nope").await;
        assert_eq!(
            r.body,
            json!({ "error": "Could not find client", "error_description": DEBUG }),
            "version {v}"
        );
    }
    if let Some(kc) = Kc::version(23).await {
        assert_eq!(
            kc.get("/master/clients/nope").await.body,
            json!({ "error": "Could not find client" })
        );
    }
}

#[tokio::test]
async fn forbidden_bodies_by_version() {
    let cases = [
        (23, json!({ "error": "unknown_error" })),
        (
            24,
            json!({ "error": "unknown_error", "error_description": DEBUG }),
        ),
        (
            25,
            json!({ "error": "HTTP 403 Forbidden", "error_description": DEBUG }),
        ),
        (26, json!({ "error": "HTTP 403 Forbidden" })),
    ];
    for (v, want) in cases {
        let Some(kc) = Kc::version(v).await else {
            continue;
        };
        let nobody = kc.add_user("master", "nobody").await;
        kc.set_password("master", &nobody, "pw").await;
        let token = kc.password_token("master", "nobody", "pw").await;
        let r = kc
            .call_as(&token, Method::GET, "/master/clients", None)
            .await;
        assert_eq!((r.status, r.body), (403, want), "version {v}");
    }
}

#[tokio::test]
async fn unknown_field_is_located_like_jackson() {
    let (kc, _) = setup().await;
    let r = kc
        .raw(
            Method::POST,
            "/master/clients",
            "{\"clientId\":\"x\",\n  \"foo\": 1}",
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body,
        json!({ "error": "Invalid json representation for ClientRepresentation. Unrecognized field \"foo\" at line 2 column 11." })
    );
}

#[tokio::test]
async fn unknown_nested_field_names_the_inner_class() {
    let (kc, _) = setup().await;
    let r = kc
        .raw(
            Method::POST,
            "/master/clients",
            r#"{"clientId":"x","protocolMappers":[{"name":"a","bogus":"v"}]}"#,
        )
        .await;
    assert_eq!(r.status, 400);
    let msg = r.body["error"].as_str().unwrap();
    assert!(msg.starts_with("Invalid json representation for ProtocolMapperRepresentation. Unrecognized field \"bogus\""), "{msg}");
}

#[tokio::test]
async fn unknown_field_rejected_for_every_representation() {
    let (kc, id) = setup().await;
    let g = kc.group("master", "g").await;
    for (path, class) in [
        ("/master/roles".to_string(), "RoleRepresentation"),
        ("/master/groups".to_string(), "GroupRepresentation"),
        ("/master/users".to_string(), "UserRepresentation"),
        (
            "/master/identity-provider/instances".to_string(),
            "IdentityProviderRepresentation",
        ),
        (
            "/master/authentication/flows".to_string(),
            "AuthenticationFlowRepresentation",
        ),
        (
            format!("/master/clients/{id}/protocol-mappers/models"),
            "ProtocolMapperRepresentation",
        ),
        (
            format!("/master/groups/{g}/children"),
            "GroupRepresentation",
        ),
    ] {
        let r = kc.raw(Method::POST, &path, r#"{"zz":1}"#).await;
        let want = format!(
            "Invalid json representation for {class}. Unrecognized field \"zz\" at line 1 column 8."
        );
        assert_eq!(
            (r.status, r.body),
            (400, json!({ "error": want })),
            "{path}"
        );
    }
}

#[tokio::test]
async fn malformed_and_mistyped_json() {
    let (kc, _) = setup().await;
    let r = kc
        .raw(Method::POST, "/master/clients", "{\"clientId\":")
        .await;
    assert_eq!(
        (r.status, r.body),
        (
            400,
            json!({ "error": "invalid_request", "error_description": "Cannot parse the JSON" })
        )
    );
    let r = kc
        .raw(Method::POST, "/master/clients", "{\"enabled\":[1]}")
        .await;
    assert_eq!(
        (r.status, r.body),
        (
            400,
            json!({ "error": "unknown_error", "error_description": "Cannot parse the JSON" })
        )
    );
}

#[tokio::test]
async fn html_accept_gets_an_error_page() {
    let (kc, _) = setup().await;
    let r = kc
        .http
        .get(kc.url("/admin/realms/master/clients/nope"))
        .bearer_auth(kc.token().await)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(r.text().await.unwrap().contains("Page not found"));
}

#[tokio::test]
async fn unmatched_paths_and_methods() {
    let (kc, _) = setup().await;
    let r = kc.get("/master/nothing-here").await;
    assert_eq!(
        (r.status, r.body),
        (404, json!({ "error": "HTTP 404 Not Found" }))
    );
    let r = kc.call(Method::PATCH, "/master/clients", None).await;
    assert_eq!(
        (r.status, r.body),
        (405, json!({ "error": "HTTP 405 Method Not Allowed" }))
    );
}
