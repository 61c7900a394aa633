//! Realm keys as the Keycloak simulator's admin API serves them (`GET /keys`), through the
//! collection seam the live target will use: `keys::from_keys_metadata` → `RealmSnapshot` →
//! `certs::evaluate`. (`fedctl certs --url` end to end follows when the admin client lands.)

mod common;
#[path = "certs/support.rs"]
mod support;

use base64::Engine;
use fedctl::certs::model::{SourceKind, Status};
use fedctl::certs::sources::realm::{self, RealmSnapshot};
use fedctl::certs::{Inventory, Thresholds, evaluate};
use fedctl::keycloak::keys::{self, KeyStatus, KeyUse};
use serde_json::Value;
use support::NOW;

/// `GET {admin}/realms/{realm}/keys` with an admin-cli password token.
async fn fetch_keys(base: &str, realm: &str) -> Value {
    let http = reqwest::Client::new();
    let token: Value = http
        .post(format!(
            "{base}/realms/master/protocol/openid-connect/token"
        ))
        .form(&[
            ("grant_type", "password"),
            ("client_id", "admin-cli"),
            ("username", "admin"),
            ("password", "admin"),
        ])
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap();
    http.get(format!("{base}/admin/realms/{realm}/keys"))
        .bearer_auth(token["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[test]
fn the_simulators_keys_with_a_near_not_after_are_critical() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let not_after = NOW + time::Duration::days(5);
    let simulator = kc_sim::Simulator::builder()
        .key_not_after(not_after)
        .start()
        .expect("simulator starts");
    simulator.add_realm("partners");

    // The simulator runs its own server runtime; the client gets one of its own.
    let json = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(fetch_keys(&simulator.url(), "partners"));
    let keys = keys::from_keys_metadata(&json).expect("KeysMetadataRepresentation");
    let with_certificates: Vec<_> = keys.iter().filter(|k| k.certificate.is_some()).collect();
    assert_eq!(with_certificates.len(), 2, "{json}");
    for key in &with_certificates {
        assert_eq!(key.status, KeyStatus::Active);
        // validTo is the certificate's notAfter in epoch milliseconds.
        assert_eq!(
            key.valid_to.map(|t| t.unix_timestamp()),
            Some(not_after.unix_timestamp())
        );
        // The kid a realm export's key gets computed is the one the admin API reports.
        let der = base64::engine::general_purpose::STANDARD
            .decode(key.certificate.as_deref().unwrap())
            .unwrap();
        assert_eq!(key.kid, keys::keycloak_kid(&der));
    }
    assert!(with_certificates.iter().any(|k| k.key_use == KeyUse::Enc));

    let snapshot = RealmSnapshot {
        keys,
        ..RealmSnapshot::default()
    };
    let inventory = Inventory {
        certificates: realm::collect(&snapshot, &[]),
        ..Inventory::default()
    };
    let report = evaluate(inventory, Thresholds::default(), NOW);
    assert_eq!(report.certificates.len(), 2);
    for checked in &report.certificates {
        assert_eq!(checked.found.source, SourceKind::RealmKey);
        assert_eq!(
            (checked.days_left, checked.status),
            (Some(5), Status::Critical)
        );
        assert_eq!(
            checked.certificate().unwrap().not_after.unix_timestamp(),
            not_after.unix_timestamp()
        );
    }
    assert_eq!(report.status().exit_code(), 2);
}
