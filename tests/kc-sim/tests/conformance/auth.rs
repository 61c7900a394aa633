//! §1: token endpoint, bearer checks (401/403/404) and service-account rights.

use crate::common::*;
use base64::Engine;
use kc_sim::Simulator;
use reqwest::Method;
use std::time::Duration;

#[tokio::test]
async fn password_grant_issues_a_signed_jwt_for_the_realm_key() {
    let kc = Kc::start().await;
    let token = kc.password_token("master", "admin", "admin").await;
    let parts: Vec<&str> = token.split('.').collect();
    let decode = |s: &str| -> serde_json::Value {
        serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(s)
                .unwrap(),
        )
        .unwrap()
    };
    let (header, claims) = (decode(parts[0]), decode(parts[1]));
    assert_eq!(header["alg"], "RS256");
    let keys = kc.get("/master/keys").await.body;
    assert_eq!(header["kid"], keys["active"]["RS256"]);
    assert_eq!(claims["iss"], kc.url("/realms/master"));
    assert_eq!(
        (claims["typ"].clone(), claims["azp"].clone()),
        (json!("Bearer"), json!("admin-cli"))
    );
    let lifespan = kc.get("/master").await.body["accessTokenLifespan"].clone();
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        lifespan.as_i64().unwrap()
    );
}

on_both_releases!(
    token_response_shape_and_errors,
    token_response_shape_and_errors_on_26_4,
    token_response_shape_and_errors_on
);

async fn token_response_shape_and_errors_on(kc: Kc) {
    let ok = kc
        .token_request(
            "master",
            &[
                ("grant_type", "password"),
                ("client_id", "admin-cli"),
                ("username", "admin"),
                ("password", "admin"),
            ],
        )
        .await;
    for k in [
        "access_token",
        "expires_in",
        "refresh_expires_in",
        "refresh_token",
        "token_type",
        "not-before-policy",
        "session_state",
        "scope",
    ] {
        assert!(ok.body.get(k).is_some(), "{k}");
    }
    let bad = kc
        .token_request(
            "master",
            &[
                ("grant_type", "password"),
                ("client_id", "admin-cli"),
                ("username", "admin"),
                ("password", "no"),
            ],
        )
        .await;
    // 26.7 answers 400 as RFC 6749 asks; 26.4 said 401.
    let status = if kc.is_26_7().await { 400 } else { 401 };
    assert_eq!(
        (bad.status, bad.body),
        (
            status,
            json!({ "error": "invalid_grant", "error_description": "Invalid user credentials" })
        )
    );
    let refresh = ok.body["refresh_token"].as_str().unwrap();
    let r = kc
        .token_request(
            "master",
            &[
                ("grant_type", "refresh_token"),
                ("client_id", "admin-cli"),
                ("refresh_token", refresh),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["session_state"], ok.body["session_state"]);
}

#[tokio::test]
async fn client_credentials_with_basic_auth_and_wrong_secret() {
    let kc = Kc::start().await;
    kc.add_service_account_client("master", "robot", "s3cret", &["view-clients"])
        .await;
    let url = kc.url("/realms/master/protocol/openid-connect/token");
    let r = kc
        .http
        .post(&url)
        .basic_auth("robot", Some("s3cret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(body["access_token"].is_string());
    assert!(body.get("refresh_token").is_none());
    let r = kc
        .token_request(
            "master",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", "robot"),
                ("client_secret", "bad"),
            ],
        )
        .await;
    assert_eq!(
        (r.status, r.body),
        (
            401,
            json!({ "error": "unauthorized_client", "error_description": "Invalid client or Invalid client credentials" })
        )
    );
    let id = kc.client("master", "plain").await;
    let secret = kc
        .get(&format!("/master/clients/{id}/client-secret"))
        .await
        .body["value"]
        .as_str()
        .unwrap()
        .to_string();
    let r = kc
        .token_request(
            "master",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", "plain"),
                ("client_secret", &secret),
            ],
        )
        .await;
    assert_eq!(
        (r.status, r.body),
        (
            401,
            json!({ "error": "unauthorized_client", "error_description": "Client not enabled to retrieve service account" })
        )
    );
}

#[tokio::test]
async fn missing_or_bad_bearer_is_401() {
    let kc = Kc::start().await;
    let r = kc
        .http
        .get(kc.url("/admin/realms/master/clients"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap(),
        json!({ "error": "HTTP 401 Unauthorized" })
    );
    let r = kc
        .call_as("not.a.jwt", Method::GET, "/master/clients", None)
        .await;
    assert_eq!(r.status, 401);
    // 401 comes before the unknown realm's 404.
    let r = kc
        .call_as("garbage", Method::GET, "/nope/clients", None)
        .await;
    assert_eq!(r.status, 401);
}

#[tokio::test]
async fn tokens_expire() {
    let Some(kc) = Kc::sim_only(
        Simulator::builder().token_lifespan(Duration::from_secs(1)),
        "a one-second token lifespan is a simulator setting",
    )
    .await
    else {
        return;
    };
    assert_eq!(kc.get("/master/clients").await.status, 200);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(kc.get("/master/clients").await.status, 401);
}

#[tokio::test]
async fn other_realm_tokens_are_forbidden_master_tokens_are_not() {
    let kc = Kc::start().await;
    kc.realm("a").await;
    kc.realm("b").await;
    // Master admin administers any realm.
    assert_eq!(kc.get("/a/clients").await.status, 200);
    let alice = kc.add_user("a", "alice").await;
    kc.set_password("a", &alice, "pw").await;
    kc.grant_user_role("a", &alice, "realm-management.realm-admin")
        .await;
    let token = kc.password_token("a", "alice", "pw").await;
    assert_eq!(
        kc.call_as(&token, Method::GET, "/a/clients", None)
            .await
            .status,
        200
    );
    assert_eq!(
        kc.call_as(&token, Method::GET, "/b/clients", None)
            .await
            .status,
        403
    );
    assert_eq!(
        kc.call_as(&token, Method::GET, "/nope/clients", None)
            .await
            .status,
        404
    );
}

on_both_releases!(
    service_account_roles_are_honoured,
    service_account_roles_are_honoured_on_26_4,
    service_account_roles_are_honoured_on
);

async fn service_account_roles_are_honoured_on(kc: Kc) {
    kc.realm("r").await;
    let reader = kc
        .add_service_account_client("r", "reader", "pw", &["view-clients"])
        .await;
    let token = reader_token(&kc).await;
    assert_eq!(
        kc.call_as(&token, Method::GET, "/r/clients", None)
            .await
            .status,
        200
    );
    let r = kc
        .call_as(
            &token,
            Method::POST,
            "/r/clients",
            Some(json!({ "clientId": "x" })),
        )
        .await;
    assert_eq!(
        (r.status, r.body),
        (403, json!({ "error": "HTTP 403 Forbidden" }))
    );
    assert_eq!(
        kc.call_as(&token, Method::GET, "/r/users", None)
            .await
            .status,
        403
    );
    // A granted role takes effect at once on 26.7; 26.4 goes by the token's roles.
    kc.grant_user_role("r", &reader, "realm-management.manage-clients")
        .await;
    let kc = &kc;
    let create = |token: String| async move {
        kc.call_as(
            &token,
            Method::POST,
            "/r/clients",
            Some(json!({ "clientId": "x" })),
        )
        .await
        .status
    };
    if kc.is_26_7().await {
        assert_eq!(create(token).await, 201);
        return;
    }
    assert_eq!(create(token).await, 403);
    assert_eq!(create(reader_token(kc).await).await, 201);
}

/// A client-credentials token of the `reader` service account in realm `r`.
async fn reader_token(kc: &Kc) -> String {
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", "reader"),
        ("client_secret", "pw"),
    ];
    let t = kc.token_request("r", &form).await;
    t.body["access_token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn unknown_client_id_is_403_for_callers_who_cannot_list_clients() {
    let kc = Kc::start().await;
    kc.realm("r").await;
    kc.add_service_account_client("r", "usermgr", "pw", &["manage-users"])
        .await;
    let t = kc
        .token_request(
            "r",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", "usermgr"),
                ("client_secret", "pw"),
            ],
        )
        .await;
    let token = t.body["access_token"].as_str().unwrap().to_string();
    assert_eq!(
        kc.call_as(&token, Method::GET, "/r/clients/nope", None)
            .await
            .status,
        403
    );
    assert_eq!(kc.get("/r/clients/nope").await.status, 404);
}

#[tokio::test]
async fn realms_list_create_update() {
    let kc = Kc::start().await;
    kc.realm("fed").await;
    let list = kc.get("").await;
    assert_eq!(list.status, 200, "{}", list.text);
    let list = list.body;
    // A real server holds other tests' realms too, created and deleted while this
    // test runs: an entry read while its realm is being removed can come without a
    // name, so only this test's realms are looked for.
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["realm"].as_str())
        .collect();
    let fed = kc.realm_name("fed");
    assert!(
        names.contains(&"master") && names.contains(&fed.as_str()),
        "{names:?}"
    );
    let r = kc.post("", json!({ "realm": fed })).await;
    assert_eq!(r.status, 409);
    assert_eq!(
        kc.put(
            "/fed",
            json!({ "displayName": "Fed", "accessTokenLifespan": 120 })
        )
        .await
        .status,
        204
    );
    let realm = kc.get("/fed").await.body;
    assert_eq!(
        (
            realm["displayName"].clone(),
            realm["accessTokenLifespan"].clone()
        ),
        (json!("Fed"), json!(120))
    );
    assert_eq!(realm["defaultRole"]["name"], format!("default-roles-{fed}"));
    assert_eq!(realm["browserFlow"], "browser");
}

#[tokio::test]
async fn server_info_reports_the_simulated_version() {
    let Some(kc) = Kc::version(24).await else {
        return;
    };
    let body = kc.get_admin("/admin/serverinfo").await.body;
    assert_eq!(body["systemInfo"]["version"], "24.0.5");
}

#[tokio::test]
async fn scope_is_honoured_and_openid_brings_an_id_token() {
    let kc = Kc::start().await;
    let form = |scope: &'static str| {
        [
            ("grant_type", "password"),
            ("client_id", "admin-cli"),
            ("username", "admin"),
            ("password", "admin"),
            ("scope", scope),
        ]
    };
    // Keycloak keeps scopes in a set: their order varies.
    let words = |v: &serde_json::Value| {
        let mut w: Vec<String> = v.as_str().unwrap().split(' ').map(String::from).collect();
        w.sort();
        w.join(" ")
    };
    let plain = kc.token_request("master", &form("")[..4]).await;
    assert_eq!(words(&plain.body["scope"]), "email profile");
    assert!(plain.body.get("id_token").is_none());
    let r = kc.token_request("master", &form("openid")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(words(&r.body["scope"]), "email openid profile");
    let decode = |t: &str| -> serde_json::Value {
        let part = t.split('.').nth(1).unwrap();
        serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(part)
                .unwrap(),
        )
        .unwrap()
    };
    let access = decode(r.body["access_token"].as_str().unwrap());
    assert_eq!(words(&access["scope"]), "email openid profile");
    let id = decode(r.body["id_token"].as_str().unwrap());
    assert_eq!(
        (id["typ"].clone(), id["aud"].clone(), id["azp"].clone()),
        (json!("ID"), json!("admin-cli"), json!("admin-cli"))
    );
    assert_eq!(id["iss"], access["iss"]);
    assert!(id["sub"].is_string());
    assert_eq!(id["preferred_username"], "admin");
    assert!(id["at_hash"].is_string());
    // A refresh keeps the scope, and so the ID token.
    let refresh = [
        ("grant_type", "refresh_token"),
        ("client_id", "admin-cli"),
        ("refresh_token", r.body["refresh_token"].as_str().unwrap()),
    ];
    let again = kc.token_request("master", &refresh).await;
    assert_eq!(words(&again.body["scope"]), "email openid profile");
    assert!(again.body["id_token"].is_string());
    let bad = kc.token_request("master", &form("openid nope")).await;
    assert_eq!(
        (bad.status, bad.body),
        (
            400,
            json!({ "error": "invalid_scope", "error_description": "Invalid scopes: openid nope" })
        )
    );
}
