//! One test per line of the §2.2 PUT merge table, and create defaults.

use crate::common::*;
use serde_json::Value;

async fn setup(extra: Value) -> (Kc, String) {
    let kc = Kc::start().await;
    let mut rep = json!({ "clientId": "app", "protocol": "openid-connect", "publicClient": false, "name": "App",
        "description": "d", "redirectUris": ["https://app/cb"], "webOrigins": ["https://app"],
        "attributes": { "a": "1", "b": "2" } });
    for (k, v) in extra.as_object().into_iter().flatten() {
        rep[k] = v.clone();
    }
    let r = kc.post("/master/clients", rep).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.id();
    (kc, id)
}

async fn put_get(kc: &Kc, id: &str, body: Value) -> Value {
    let r = kc.put(&format!("/master/clients/{id}"), body).await;
    assert_eq!(r.status, 204, "{}", r.text);
    kc.get(&format!("/master/clients/{id}")).await.body
}

#[tokio::test]
async fn client_id_renames_and_is_kept_when_omitted() {
    let (kc, id) = setup(json!({})).await;
    assert_eq!(put_get(&kc, &id, json!({})).await["clientId"], "app");
    assert_eq!(
        put_get(&kc, &id, json!({ "clientId": "renamed" })).await["clientId"],
        "renamed"
    );
}

#[tokio::test]
async fn scalars_are_set_when_present_and_kept_when_omitted() {
    let (kc, id) = setup(json!({})).await;
    let c = put_get(
        &kc,
        &id,
        json!({ "description": null, "enabled": false, "rootUrl": "https://root" }),
    )
    .await;
    assert_eq!(
        (c["name"].clone(), c["description"].clone()),
        (json!("App"), json!("d"))
    );
    assert_eq!(
        (c["enabled"].clone(), c["rootUrl"].clone()),
        (json!(false), json!("https://root"))
    );
    assert_eq!(c["standardFlowEnabled"], true);
}

#[tokio::test]
async fn secret_is_set_for_confidential_clients_and_kept_otherwise() {
    let (kc, id) = setup(json!({})).await;
    let before = kc.get(&format!("/master/clients/{id}")).await.body["secret"].clone();
    assert!(before.is_string());
    assert_eq!(put_get(&kc, &id, json!({})).await["secret"], before);
    assert_eq!(
        put_get(&kc, &id, json!({ "secret": "s3cret" })).await["secret"],
        "s3cret"
    );
    let public = put_get(
        &kc,
        &id,
        json!({ "publicClient": true, "secret": "ignored" }),
    )
    .await;
    assert!(public.get("secret").is_none());
}

#[tokio::test]
async fn redirect_uris_are_replaced_or_kept() {
    let (kc, id) = setup(json!({})).await;
    assert_eq!(
        put_get(&kc, &id, json!({})).await["redirectUris"],
        json!(["https://app/cb"])
    );
    assert_eq!(
        put_get(&kc, &id, json!({ "redirectUris": ["https://x/*"] })).await["redirectUris"],
        json!(["https://x/*"])
    );
    assert_eq!(
        put_get(&kc, &id, json!({ "redirectUris": [] })).await["redirectUris"],
        json!([])
    );
}

#[tokio::test]
async fn web_origins_are_replaced_or_kept() {
    let (kc, id) = setup(json!({})).await;
    assert_eq!(
        put_get(&kc, &id, json!({})).await["webOrigins"],
        json!(["https://app"])
    );
    assert_eq!(
        put_get(&kc, &id, json!({ "webOrigins": ["+"] })).await["webOrigins"],
        json!(["+"])
    );
}

#[tokio::test]
async fn attributes_merge_per_key_and_blank_removes() {
    let (kc, id) = setup(json!({})).await;
    let c = put_get(
        &kc,
        &id,
        json!({ "attributes": { "a": "9", "b": "", "c": "3", "realm_client": "true" } }),
    )
    .await;
    let attrs = &c["attributes"];
    assert_eq!(
        (attrs["a"].clone(), attrs.get("b"), attrs["c"].clone()),
        (json!("9"), None, json!("3"))
    );
    // The synthetic 26.1+ attribute is recomputed, never stored.
    assert_eq!(attrs["realm_client"], "false");
    let c = put_get(&kc, &id, json!({ "attributes": { "a": null } })).await;
    assert!(c["attributes"].get("a").is_none());
    assert_eq!(c["attributes"]["c"], "3");
}

#[tokio::test]
async fn flow_binding_overrides_validate_ids_and_blank_removes() {
    let (kc, id) = setup(json!({})).await;
    let r = kc
        .put(
            &format!("/master/clients/{id}"),
            json!({ "authenticationFlowBindingOverrides": { "browser": "no-such-flow" } }),
        )
        .await;
    assert_eq!(r.status, 500);
    assert_eq!(r.body["error"], "unknown_error");
    let flows = kc.get("/master/authentication/flows").await.body;
    let browser = flows
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["alias"] == "browser")
        .unwrap()["id"]
        .clone();
    let dg = flows
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["alias"] == "direct grant")
        .unwrap()["id"]
        .clone();
    let c = put_get(
        &kc,
        &id,
        json!({ "authenticationFlowBindingOverrides": { "browser": browser, "direct_grant": dg } }),
    )
    .await;
    assert_eq!(c["authenticationFlowBindingOverrides"]["browser"], browser);
    let c = put_get(
        &kc,
        &id,
        json!({ "authenticationFlowBindingOverrides": { "browser": "" } }),
    )
    .await;
    assert_eq!(
        c["authenticationFlowBindingOverrides"],
        json!({ "direct_grant": dg })
    );
}

#[tokio::test]
async fn protocol_mappers_are_fully_synced_by_name() {
    let m = |name: &str, claim: &str| json!({ "name": name, "protocol": "openid-connect", "protocolMapper": "oidc-usermodel-attribute-mapper", "config": { "claim.name": claim } });
    let (kc, id) = setup(json!({ "protocolMappers": [m("keep", "k1"), m("drop", "d1")] })).await;
    let before = kc.get(&format!("/master/clients/{id}")).await.body;
    let keep_id = before["protocolMappers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == "keep")
        .unwrap()["id"]
        .clone();
    let c = put_get(
        &kc,
        &id,
        json!({ "protocolMappers": [m("keep", "k2"), m("new", "n1")] }),
    )
    .await;
    // Keycloak keeps no order among a client's mappers (26.4.7 and 26.7.3 differ).
    let list = c["protocolMappers"].as_array().unwrap();
    let mut names: Vec<&str> = list.iter().map(|x| x["name"].as_str().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["keep", "new"]);
    let keep = list.iter().find(|x| x["name"] == "keep").unwrap();
    assert_eq!(keep["id"], keep_id);
    assert_eq!(keep["config"], json!({ "claim.name": "k2" }));
    // Omitted: untouched. Empty list: all deleted (then omitted from GET).
    assert_eq!(
        put_get(&kc, &id, json!({})).await["protocolMappers"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert!(
        put_get(&kc, &id, json!({ "protocolMappers": [] }))
            .await
            .get("protocolMappers")
            .is_none()
    );
}

#[tokio::test]
async fn client_scopes_are_ignored_by_put() {
    let (kc, id) = setup(json!({})).await;
    let before = kc.get(&format!("/master/clients/{id}")).await.body;
    let c = put_get(
        &kc,
        &id,
        json!({ "defaultClientScopes": ["email"], "optionalClientScopes": [] }),
    )
    .await;
    assert_eq!(c["defaultClientScopes"], before["defaultClientScopes"]);
    assert_eq!(c["optionalClientScopes"], before["optionalClientScopes"]);
}

#[tokio::test]
async fn authorization_services_disabled_when_omitted() {
    let (kc, id) =
        setup(json!({ "authorizationServicesEnabled": true, "serviceAccountsEnabled": true }))
            .await;
    // Authorization services need the service account; without one nothing is created.
    let r = kc
        .post(
            "/master/clients",
            json!({ "clientId": "authz", "publicClient": false, "authorizationServicesEnabled": true }),
        )
        .await;
    assert_eq!(r.status, 500, "{}", r.text);
    assert_eq!(
        kc.get("/master/clients?clientId=authz").await.body,
        json!([])
    );
    assert_eq!(
        kc.get(&format!("/master/clients/{id}")).await.body["authorizationServicesEnabled"],
        true
    );
    assert!(
        put_get(&kc, &id, json!({ "name": "x" }))
            .await
            .get("authorizationServicesEnabled")
            .is_none()
    );
}

#[tokio::test]
async fn service_account_follows_the_flag() {
    let (kc, id) = setup(json!({ "serviceAccountsEnabled": true })).await;
    let sa = kc
        .get(&format!("/master/clients/{id}/service-account-user"))
        .await;
    assert_eq!(
        (sa.status, sa.body["username"].clone()),
        (200, json!("service-account-app"))
    );
    put_get(&kc, &id, json!({})).await;
    assert_eq!(
        kc.get(&format!("/master/clients/{id}/service-account-user"))
            .await
            .status,
        200
    );
    put_get(&kc, &id, json!({ "serviceAccountsEnabled": false })).await;
    assert_eq!(
        kc.get(&format!("/master/clients/{id}/service-account-user"))
            .await
            .status,
        400
    );
    let users = kc
        .get("/master/users?username=service-account-app&exact=true")
        .await;
    assert_eq!(users.body, json!([]));
}

#[tokio::test]
async fn registered_nodes_are_added() {
    let (kc, id) = setup(json!({})).await;
    put_get(&kc, &id, json!({ "registeredNodes": { "n1": 1 } })).await;
    let c = put_get(&kc, &id, json!({ "registeredNodes": { "n2": 2 } })).await;
    assert_eq!(c["registeredNodes"], json!({ "n1": 1, "n2": 2 }));
}

#[tokio::test]
async fn access_id_and_origin_are_ignored() {
    let (kc, id) = setup(json!({})).await;
    let c = put_get(
        &kc,
        &id,
        json!({ "id": "other", "origin": "x", "access": { "view": false } }),
    )
    .await;
    assert_eq!(c["id"], json!(id));
    assert_eq!(c["access"]["view"], true);
}

#[tokio::test]
async fn create_without_client_type_makes_a_public_client() {
    let kc = Kc::start().await;
    let r = kc.post("/master/clients", json!({ "clientId": "web", "protocol": "openid-connect", "rootUrl": "https://web.example" })).await;
    let c = kc.get(&format!("/master/clients/{}", r.id())).await.body;
    assert_eq!(
        (c["publicClient"].clone(), c.get("secret")),
        (json!(true), None)
    );
    assert_eq!(c["redirectUris"], json!(["https://web.example/*"]));
    assert_eq!(c["webOrigins"], json!(["https://web.example"]));
    assert_eq!(c["adminUrl"], "https://web.example");
    // Without protocol: confidential with a generated secret.
    let r = kc
        .post("/master/clients", json!({ "clientId": "bare" }))
        .await;
    let c = kc.get(&format!("/master/clients/{}", r.id())).await.body;
    assert_eq!(c["publicClient"], false);
    assert!(c["secret"].is_string());
}

on_both_releases!(
    saml_defaults_and_client_listing,
    saml_defaults_and_client_listing_on_26_4,
    saml_defaults_and_client_listing_on
);

async fn saml_defaults_and_client_listing_on(kc: Kc) {
    kc.post(
        "/master/clients",
        json!({ "clientId": "https://sp.example/saml", "protocol": "saml" }),
    )
    .await;
    let list = kc
        .get("/master/clients?clientId=https://sp.example/saml")
        .await
        .body;
    let c = &list[0];
    assert_eq!(c["frontchannelLogout"], true);
    assert_eq!(c["attributes"]["saml_name_id_format"], "username");
    assert_eq!(c["attributes"]["saml.signature.algorithm"], "RSA_SHA256");
    assert!(c["attributes"]["saml.signing.certificate"].is_string());
    // Exact, substring search, and attribute search.
    assert_eq!(
        kc.get("/master/clients?clientId=SP.EXAMPLE").await.body,
        json!([])
    );
    assert_eq!(
        kc.get("/master/clients?clientId=SP.EXAMPLE&search=true")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Only configured attributes are searchable: 26.7 refuses the others (listed in
    // its hash set's order), 26.4 leaves them out of the search.
    let r = kc
        .get("/master/clients?q=saml_name_id_format:username%20a:1%20zz:2")
        .await;
    if kc.is_26_7().await {
        assert_eq!(
            (r.status, r.body),
            (
                400,
                json!({ "error": "invalid_request", "error_description": "Attributes [zz, a, saml_name_id_format] not allowed for search" })
            )
        );
    } else {
        let all = kc.get("/master/clients").await.body;
        assert_eq!((r.status, r.body), (200, all));
    }
    let r = kc
        .get("/master/clients?q=saml_idp_initiated_sso_url_name:x")
        .await;
    assert_eq!((r.status, r.body), (200, json!([])));
}

#[tokio::test]
async fn client_secret_endpoints() {
    let (kc, id) = setup(json!({})).await;
    let s = kc
        .get(&format!("/master/clients/{id}/client-secret"))
        .await
        .body;
    assert_eq!(s["type"], "secret");
    let n = kc
        .post(&format!("/master/clients/{id}/client-secret"), json!(null))
        .await
        .body;
    assert_ne!(n["value"], s["value"]);
    let r = kc
        .get(&format!("/master/clients/{id}/client-secret/rotated"))
        .await;
    assert_eq!(
        (r.status, r.body),
        (
            404,
            json!({ "error": "Client does not have a rotated secret" })
        )
    );
}
