//! §5: identity providers, mappers and import-config.

use crate::common::*;
use serde_json::Value;

fn idp() -> serde_json::Value {
    json!({ "alias": "partner", "providerId": "oidc", "enabled": true, "trustEmail": true,
        "config": { "clientId": "kc", "clientSecret": "top", "authorizationUrl": "https://idp.example/auth", "tokenUrl": "https://idp.example/token", "empty": "" } })
}

on_both_releases!(
    crud_masks_secrets_and_put_replaces,
    crud_masks_secrets_and_put_replaces_on_26_4,
    crud_masks_secrets_and_put_replaces_on
);

/// 26.7 leaves the representation's flags out unless set; 26.4 writes them as `false`.
async fn crud_masks_secrets_and_put_replaces_on(kc: Kc) {
    let unset = if kc.is_26_7().await {
        Value::Null
    } else {
        json!(false)
    };
    assert_eq!(
        kc.post("/master/identity-provider/instances", idp())
            .await
            .status,
        201
    );
    let got = kc
        .get("/master/identity-provider/instances/partner")
        .await
        .body;
    assert_eq!(got["config"]["clientSecret"], "**********");
    assert!(got["config"].get("empty").is_none());
    assert_eq!(
        (
            got["trustEmail"].clone(),
            got["storeToken"].clone(),
            got["hideOnLogin"].clone()
        ),
        (json!(true), unset.clone(), unset.clone())
    );
    // Full replacement: omitted flags are unset; the masked secret keeps the stored one.
    let mut body = got.clone();
    body.as_object_mut().unwrap().remove("trustEmail");
    body["config"].as_object_mut().unwrap().remove("tokenUrl");
    assert_eq!(
        kc.put("/master/identity-provider/instances/partner", body)
            .await
            .status,
        204
    );
    let after = kc
        .get("/master/identity-provider/instances/partner")
        .await
        .body;
    assert_eq!(after["trustEmail"], unset);
    assert!(after["config"].get("tokenUrl").is_none());
    // The stored secret is visible to the simulator only.
    if !against_real_server() {
        kc.sim().with_realm(&kc.realm_name("master"), |r| {
            assert_eq!(r.idps["partner"].rep["config"]["clientSecret"], "top")
        });
    }
    // Lookup by internal id works too.
    let by_id = kc
        .get(&format!(
            "/master/identity-provider/instances/{}",
            after["internalId"].as_str().unwrap()
        ))
        .await;
    assert_eq!(by_id.body["alias"], "partner");
    assert_eq!(
        kc.delete("/master/identity-provider/instances/partner")
            .await
            .status,
        204
    );
    assert_eq!(
        kc.get("/master/identity-provider/instances").await.body,
        json!([])
    );
}

#[tokio::test]
async fn validation_rules() {
    let kc = Kc::start().await;
    let mut bad = idp();
    bad["providerId"] = json!("nope");
    let r = kc.post("/master/identity-provider/instances", bad).await;
    assert_eq!(
        (r.status, r.body),
        (
            400,
            json!({ "errorMessage": "Invalid identity provider id [nope]" })
        )
    );
    let mut http = idp();
    http["config"]["tokenUrl"] = json!("http://idp.example/token");
    let r = kc.post("/master/identity-provider/instances", http).await;
    assert_eq!(
        (r.status, r.body),
        (
            400,
            json!({ "errorMessage": "The url [token_url] requires secure connections" })
        )
    );
    let mut local = idp();
    local["config"]["tokenUrl"] = json!("http://localhost:9000/token");
    assert_eq!(
        kc.post("/master/identity-provider/instances", local)
            .await
            .status,
        201
    );
}

#[tokio::test]
async fn mappers_crud() {
    let kc = Kc::start().await;
    kc.post("/master/identity-provider/instances", idp()).await;
    let mut m = json!({ "name": "grp", "identityProviderMapper": "oidc-hardcoded-group-idp-mapper", "config": { "group": "/partners/acme", "syncMode": "FORCE" } });
    // The body must name its identity provider: the path does not.
    let r = kc
        .post(
            "/master/identity-provider/instances/partner/mappers",
            m.clone(),
        )
        .await;
    assert_eq!(
        (r.status, r.body),
        (
            409,
            json!({ "error": "conflict", "error_description": "Duplicate resource error" })
        )
    );
    m["identityProviderAlias"] = json!("partner");
    let id = kc
        .post("/master/identity-provider/instances/partner/mappers", m)
        .await
        .id();
    let path = format!("/master/identity-provider/instances/partner/mappers/{id}");
    let got = kc.get(&path).await.body;
    assert_eq!(got["identityProviderAlias"], "partner");
    let mut upd = got.clone();
    upd["config"]["group"] = json!("/other");
    assert_eq!(kc.put(&path, upd).await.status, 204);
    assert_eq!(kc.get(&path).await.body["config"]["group"], "/other");
    let types = kc
        .get("/master/identity-provider/instances/partner/mapper-types")
        .await
        .body;
    assert!(
        types.get("oidc-hardcoded-group-idp-mapper").is_some()
            && types.get("saml-user-attribute-idp-mapper").is_none()
    );
    assert_eq!(kc.delete(&path).await.status, 204);
    assert_eq!(
        (kc.get(&path).await.status, kc.get(&path).await.body),
        (404, json!({ "error": "Model not found" }))
    );
}

on_both_releases!(
    import_config_from_own_descriptor_and_file,
    import_config_from_own_descriptor_and_file_on_26_4,
    import_config_from_own_descriptor_and_file_on
);

async fn import_config_from_own_descriptor_and_file_on(kc: Kc) {
    let url = kc.url("/realms/master/protocol/saml/descriptor");
    let r = kc
        .post(
            "/master/identity-provider/import-config",
            json!({ "providerId": "saml", "fromUrl": url }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["idpEntityId"], kc.url("/realms/master"));
    assert_eq!(
        r.body["singleSignOnServiceUrl"],
        kc.url("/realms/master/protocol/saml")
    );
    assert_eq!(
        (
            r.body["postBindingAuthnRequest"].clone(),
            r.body["wantAuthnRequestsSigned"].clone()
        ),
        (json!("true"), json!("true"))
    );
    assert_eq!(
        r.body["nameIDPolicyFormat"],
        "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
    );
    assert_eq!(r.body["metadataDescriptorUrl"], json!(url));
    // The descriptor's certificate is the realm's RS256 signing key's (the key list
    // also holds HMAC, AES and encryption keys, in no set order).
    let keys = kc.get("/master/keys").await.body;
    let signing = keys["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["algorithm"] == "RS256" && k["use"] == "SIG")
        .expect("an RS256 signing key");
    assert_eq!(r.body["signingCertificate"], signing["certificate"]);
    // The same server under its other loopback name: the descriptor names that host.
    let localhost = url.replacen("127.0.0.1", "localhost", 1);
    let r = kc
        .post(
            "/master/identity-provider/import-config",
            json!({ "providerId": "saml", "fromUrl": localhost }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.body["idpEntityId"],
        kc.url("/realms/master")
            .replacen("127.0.0.1", "localhost", 1)
    );
    // A document that cannot be fetched (unknown host, unknown realm) is a server error.
    for from_url in [
        "https://idp.example/md".to_string(),
        kc.url("/realms/no-such-realm/protocol/saml/descriptor"),
    ] {
        let r = kc
            .post(
                "/master/identity-provider/import-config",
                json!({ "providerId": "saml", "fromUrl": from_url }),
            )
            .await;
        assert_eq!(
            (r.status, r.body),
            (
                500,
                json!({ "error": "unknown_error", "error_description": "For more on this error consult the server log." })
            ),
            "{from_url}"
        );
    }
    // Multipart upload of a discovery document.
    let doc = json!({ "issuer": "https://op", "authorization_endpoint": "https://op/auth", "token_endpoint": "https://op/token", "jwks_uri": "https://op/jwks" });
    let form = reqwest::multipart::Form::new()
        .text("providerId", "oidc")
        .text("file", doc.to_string());
    let r = kc
        .http
        .post(kc.url("/admin/realms/master/identity-provider/import-config"))
        .bearer_auth(kc.token().await)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = r.json().await.unwrap();
    // 26.4 fills in the sync mode, 26.7 leaves it to the IdP's default.
    let sync_mode = if kc.is_26_7().await {
        Value::Null
    } else {
        json!("LEGACY")
    };
    assert_eq!(
        (
            body["tokenUrl"].clone(),
            body["useJwksUrl"].clone(),
            body["syncMode"].clone()
        ),
        (json!("https://op/token"), json!("true"), sync_mode)
    );
}
