//! Key providers (`/components` of type `org.keycloak.keys.KeyProvider`) and their effect on
//! `/keys`, the SAML IdP descriptor, the JWKS and the key that signs tokens: a signing-key
//! rollover step by step.

use crate::common::*;
use base64::Engine;
use serde_json::Value;

const TYPE: &str = "org.keycloak.keys.KeyProvider";

fn kids_in_descriptor(xml: &str) -> Vec<String> {
    xml.split("<ds:KeyName>")
        .skip(1)
        .filter_map(|s| {
            s.split_once("</ds:KeyName>")
                .map(|(kid, _)| kid.to_string())
        })
        .collect()
}

/// The `kid` in a JWT's header.
fn token_kid(token: &str) -> String {
    let header = token.split('.').next().unwrap();
    let header = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .unwrap();
    let header: Value = serde_json::from_slice(&header).unwrap();
    header["kid"].as_str().unwrap().to_string()
}

struct Published {
    descriptor: Vec<String>,
    jwks: Vec<String>,
    token: String,
}

async fn published(kc: &Kc) -> Published {
    let xml = kc
        .http
        .get(kc.url("/realms/master/protocol/saml/descriptor"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let jwks: Value = kc
        .http
        .get(kc.url("/realms/master/protocol/openid-connect/certs"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut jwks: Vec<String> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["alg"] == "RS256")
        .map(|k| k["kid"].as_str().unwrap().to_string())
        .collect();
    jwks.sort();
    let token = kc.password_token("master", "admin", "admin").await;
    Published {
        descriptor: kids_in_descriptor(&xml),
        jwks,
        token: token_kid(&token),
    }
}

/// `(status, providerPriority)` of a provider's key in `/keys`, and the active RS256 kid.
async fn key_state(kc: &Kc, provider: &str) -> (Option<(String, i64, String)>, String) {
    let keys = kc.get("/master/keys").await.body;
    let key = keys["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["providerId"] == provider)
        .map(|k| {
            (
                k["status"].as_str().unwrap().to_string(),
                k["providerPriority"].as_i64().unwrap(),
                k["kid"].as_str().unwrap().to_string(),
            )
        });
    (key, keys["active"]["RS256"].as_str().unwrap().to_string())
}

async fn set(kc: &Kc, id: &str, settings: &[(&str, &str)]) {
    let mut component = kc.get(&format!("/master/components/{id}")).await.body;
    for (key, value) in settings {
        component["config"][*key] = json!([value]);
    }
    let r = kc.put(&format!("/master/components/{id}"), component).await;
    assert_eq!(r.status, 204, "{}", r.text);
}

#[tokio::test]
async fn a_new_realm_has_four_key_providers_without_their_secrets() {
    let kc = Kc::start().await;
    let realm_id = kc.get("/master").await.body["id"].clone();
    let r = kc.get(&format!("/master/components?type={TYPE}")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let mut names: Vec<(String, String)> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            assert_eq!(c["providerType"], TYPE);
            assert_eq!(c["parentId"], realm_id);
            assert_eq!(c["config"]["priority"], json!(["100"]), "{c}");
            for secret in ["privateKey", "certificate", "secret", "kid"] {
                assert!(c["config"].get(secret).is_none(), "{secret} in {c}");
            }
            (
                c["name"].as_str().unwrap().to_string(),
                c["providerId"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            ("aes-generated".into(), "aes-generated".into()),
            ("hmac-generated-hs512".into(), "hmac-generated".into()),
            ("rsa-enc-generated".into(), "rsa-enc-generated".into()),
            ("rsa-generated".into(), "rsa-generated".into()),
        ]
    );
}

#[tokio::test]
async fn key_providers_stage_promote_and_retire_a_signing_key() {
    let kc = Kc::start().await;
    let list = kc
        .get(&format!(
            "/master/components?type={TYPE}&name=rsa-generated"
        ))
        .await
        .body;
    let old = list[0]["id"].as_str().unwrap().to_string();
    let (Some((_, _, old_kid)), active) = key_state(&kc, &old).await else {
        panic!("the default key is in /keys");
    };
    assert_eq!(active, old_kid);

    // Stage: enabled, not active. Config keys the provider does not declare are dropped.
    let r = kc
        .post(
            "/master/components",
            json!({"name": "next signer", "providerId": "rsa-generated", "providerType": TYPE,
                   "config": {"priority": ["100"], "enabled": ["true"], "active": ["false"],
                              "fedctl.managed-by": ["rollover"]}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let new = r.id();
    let component = kc.get(&format!("/master/components/{new}")).await.body;
    assert_eq!(component["name"], "next signer");
    assert_eq!(component["config"]["active"], json!(["false"]));
    assert!(component["config"].get("fedctl.managed-by").is_none());
    assert!(component["config"].get("privateKey").is_none());
    let (Some((status, priority, new_kid)), active) = key_state(&kc, &new).await else {
        panic!("the new key is in /keys");
    };
    assert_eq!((status.as_str(), priority), ("PASSIVE", 100));
    assert_eq!(active, old_kid, "a passive key does not sign");
    let now = published(&kc).await;
    assert_eq!(now.descriptor, [old_kid.clone(), new_kid.clone()]);
    let mut both = vec![old_kid.clone(), new_kid.clone()];
    both.sort();
    assert_eq!(now.jwks, both);
    assert_eq!(now.token, old_kid);

    // Promote: the new key active above the old; the old passive.
    set(&kc, &new, &[("active", "true"), ("priority", "101")]).await;
    let (_, active) = key_state(&kc, &new).await;
    assert_eq!(active, new_kid);
    set(&kc, &old, &[("active", "false")]).await;
    let (Some((status, _, _)), _) = key_state(&kc, &old).await else {
        panic!("the old key is still in /keys");
    };
    assert_eq!(status, "PASSIVE");
    let now = published(&kc).await;
    assert_eq!(now.descriptor, [new_kid.clone(), old_kid.clone()]);
    assert_eq!(now.jwks, both);
    assert_eq!(now.token, new_kid);

    // Retire: disabled keys are neither published nor used; then removed.
    set(&kc, &old, &[("enabled", "false")]).await;
    let (Some((status, _, _)), _) = key_state(&kc, &old).await else {
        panic!("a disabled key is still listed in /keys");
    };
    assert_eq!(status, "DISABLED");
    let now = published(&kc).await;
    assert_eq!(now.descriptor, [new_kid.as_str()]);
    assert_eq!(now.jwks, [new_kid.as_str()]);
    let r = kc.delete(&format!("/master/components/{old}")).await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(key_state(&kc, &old).await.0, None);
    for r in [
        kc.get(&format!("/master/components/{old}")).await,
        kc.delete(&format!("/master/components/{old}")).await,
    ] {
        assert_eq!(r.status, 404);
        assert_eq!(r.body, json!({"error": "Could not find component"}));
    }
}

#[tokio::test]
async fn invalid_key_providers_are_refused() {
    let kc = Kc::start().await;
    let provider = |provider: &str, priority: &str| {
        json!({"name": "bad", "providerId": provider, "providerType": TYPE,
               "config": {"priority": [priority]}})
    };
    let r = kc
        .post("/master/components", provider("rsa-generated", "high"))
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body,
        json!({"errorMessage": "'Priority' should be a number"})
    );
    let r = kc
        .post("/master/components", provider("no-such-provider", "1"))
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body,
        json!({"error": "Invalid provider type or no such provider"})
    );
    let r = kc
        .put(
            "/master/components/no-such-id",
            provider("rsa-generated", "1"),
        )
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body, json!({"error": "Could not find component"}));
}
