//! The signing-certificate rollover against a real Keycloak: the scenario of tests/rollover.rs
//! (tests/rollover/scenario.rs). The realm's signer is an imported `rsa` key whose certificate
//! runs out in 40 days, above the `rsa-generated` key every new realm has.

use std::path::Path;

use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use crate::common::Workspace;
use crate::scenario::{self, Env};
use crate::server::Realm;

#[test]
fn a_live_realm_rolls_over_its_signing_key() {
    let Some(realm) = Realm::create("rollover::a_live_realm_rolls_over_its_signing_key") else {
        return;
    };
    let expires = OffsetDateTime::now_utc() + Duration::days(40);
    let made = expires - Duration::days(3650);
    let old = fedctl::keycloak::generated_keys::signing_key_provider(&realm.name, made).unwrap();
    realm.post(
        "/components",
        &json!({
            "name": "signer expiring soon",
            "providerId": "rsa",
            "providerType": fedctl::keycloak::keys::KEY_PROVIDER_TYPE,
            "config": {
                "priority": ["200"],
                "privateKey": old["config"]["privateKey"],
                "certificate": old["config"]["certificate"],
            },
        }),
    );
    let workspace = Workspace::new(&[]);
    // The federations exist in the realm, so that verify can sign a user in to each.
    scenario::write_records(&workspace, &realm.name, ["2030-01-01"; 3]);
    realm.fedctl(&workspace, "apply", &["--yes"]).success();
    let user = std::env::var("FEDCTL_REAL_KEYCLOAK_USER").unwrap();
    let env = Env {
        workspace: &workspace,
        target: vec!["--url".into(), realm.url.clone()],
        env: vec![
            ("KEYCLOAK_USER".into(), user),
            (
                "KEYCLOAK_PASSWORD".into(),
                realm.admin_password().to_owned(),
            ),
        ],
        descriptor: Box::new(|| realm.public("/protocol/saml/descriptor")),
        active_kid: Box::new(|| {
            realm.get("/keys")["active"]["RS256"]
                .as_str()
                .unwrap()
                .to_owned()
        }),
        transcript: Default::default(),
        after_promote: Box::new(|handed_out: &Path| {
            // A real sign-in: the Response is signed by the new key and verifies against
            // the certificate the partners were handed after stage.
            let metadata = handed_out.to_str().unwrap();
            let args = [
                "--synthetic",
                "--idp-metadata",
                metadata,
                "--output",
                "json",
            ];
            let output = realm.fedctl_with_env(&workspace, "verify", &args, &[]);
            let output = output.get_output();
            let report: Value = serde_json::from_slice(&output.stdout)
                .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stderr)));
            let signatures: Vec<(&str, bool)> = (report["checks"].as_array().unwrap().iter())
                .filter(|c| c["check"] == "signature")
                .map(|c| (c["record"].as_str().unwrap(), c["passed"] == true))
                .collect();
            assert_eq!(signatures.len(), 3, "{report:#}");
            assert!(signatures.iter().all(|(_, passed)| *passed), "{report:#}");
        }),
    };
    scenario::run(&env, &realm.name, &expires.date().to_string());
}
