//! `fedctl certs` against a live Keycloak, the simulator: source `admin-api`, whose realm keys
//! (`GET /keys`), clients and identity providers (every page of each) are checked like a realm
//! export's, and which, when it cannot be read, is reported down while the records are still
//! checked. The first test reads `/keys` itself and follows it through collection
//! (`keys::from_keys_metadata` → `RealmSnapshot` → `certs::evaluate`).

mod common;
#[path = "certs/support.rs"]
mod support;

use std::path::Path;

use base64::Engine;
use common::{Workspace, fedctl};
use fedctl::certs::model::{SourceKind, Status};
use fedctl::certs::sources::realm::{self, RealmSnapshot};
use fedctl::certs::{Inventory, Thresholds, evaluate};
use fedctl::keycloak::keys::{self, KeyStatus, KeyUse};
use kc_sim::{Simulator, SimulatorBuilder};
use serde_json::{Value, json};
use support::*;

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

// ---------------------------------------------------------------- fedctl certs --url

const PASSWORD: &str = "Adm1n-pa55word-never-printed";

fn simulator(builder: SimulatorBuilder) -> Simulator {
    builder
        .admin_credentials("admin", PASSWORD)
        .start()
        .expect("simulator starts")
}

/// The simulator's master admin, as the environment gives it to fedctl.
fn admin(password: &str) -> [(&str, &str); 2] {
    [("KEYCLOAK_USER", "admin"), ("KEYCLOAK_PASSWORD", password)]
}

/// `fedctl certs --url URL --as-of AS_OF <args…>` in `dir`, with exactly the credentials of
/// `env` (none inherited from the environment running the tests).
fn certs_live(dir: &Path, url: &str, env: &[(&str, &str)], args: &[&str]) -> Run {
    let mut command = fedctl();
    for name in [
        "KEYCLOAK_USER",
        "KEYCLOAK_PASSWORD",
        "KEYCLOAK_CLIENT_ID",
        "KEYCLOAK_CLIENT_SECRET",
        "KEYCLOAK_REALM",
        "KEYCLOAK_AUTH_REALM",
    ] {
        command.env_remove(name);
    }
    command
        .current_dir(dir)
        .envs(env.iter().copied())
        .args(["certs", "--url", url, "--as-of", AS_OF])
        .args(args);
    run_command(&mut command)
}

/// The report's status of one source.
fn source<'v>(report: &'v Value, name: &str) -> &'v Value {
    report["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["source"] == name)
        .unwrap_or_else(|| panic!("no source {name}: {report}"))
}

#[test]
fn live_realm_keys_near_their_not_after_are_critical() {
    let sim = simulator(Simulator::builder().key_not_after(NOW + time::Duration::days(5)));
    sim.add_realm("partners");
    let dir = tempfile::tempdir().unwrap();
    let args = ["--realm", "partners", "--output"];

    let run = certs_live(
        dir.path(),
        &sim.url(),
        &admin(PASSWORD),
        &[&args[..], &["json"]].concat(),
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    let report = run.json();
    assert_eq!(report["status"], "CRITICAL");
    // The signing and the encryption key, not tied to a federation without records.
    assert_eq!(
        statuses(&report, "realm-key"),
        [
            ("-".into(), "CRITICAL".into(), 5),
            ("-".into(), "CRITICAL".into(), 5)
        ]
    );
    assert!(
        from_source(&report, "realm-key")
            .iter()
            .all(|k| k["subject_cn"] == "partners"),
        "{report}"
    );
    let location = format!("{}/admin/realms/partners", sim.url());
    assert_eq!(
        report["sources"],
        json!([{"source": "admin-api", "location": location, "up": true, "error": null}])
    );

    let run = certs_live(
        dir.path(),
        &sim.url(),
        &admin(PASSWORD),
        &[&args[..], &["prometheus"]].concat(),
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    let up = format!("fedctl_cert_source_up{{source=\"admin-api\",location=\"{location}\"}} 1\n");
    assert!(run.stdout.contains(&up), "{}", run.stdout);
    assert!(
        run.stdout.contains("fedctl_certs_status 2\n"),
        "{}",
        run.stdout
    );
}

/// The same realm as an export and live: the partners' certificates Keycloak holds are found
/// and judged alike, each for the federation whose record manages its client or identity
/// provider (the realm keys differ: the simulator makes its own).
#[test]
fn live_partner_certificates_are_those_of_the_realm_export() {
    let workspace = workspace(
        &[
            // Outbound: the date of the realm's signing key (the simulator's, below).
            ("outbound.yaml", &outbound_record(&expiry_date(90))),
            ("inbound.yaml", &inbound_record("")),
        ],
        vec![
            saml_client(OUTBOUND_CLIENT, Some(&cert_b64("sp-signing", 20)), None),
            saml_client(
                "https://unmanaged.example.org",
                Some(&cert_b64("other", 1)),
                None,
            ),
        ],
        // Two comma-separated certificates: both are checked.
        vec![saml_idp(
            "partner-idp",
            &[cert_b64("idp-old", 3), cert_b64("idp-new", 200)],
        )],
    );
    let sim = simulator(
        Simulator::builder()
            .key_not_after(not_after(90))
            .import_file(workspace.realm_file())
            .unwrap(),
    );

    let run = certs_live(
        workspace.dir.path(),
        &sim.url(),
        &admin(PASSWORD),
        &["federations", "--output", "json"],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    let live = run.json();
    assert_eq!(
        statuses(&live, "saml-client"),
        [("outbound".into(), "WARNING".into(), 20)]
    );
    assert_eq!(
        statuses(&live, "identity-provider"),
        [
            ("inbound".into(), "CRITICAL".into(), 3),
            ("inbound".into(), "OK".into(), 200)
        ]
    );
    // Realm keys once per federation; the record's signing_cert_expiry is the realm key's.
    assert_eq!(from_source(&live, "realm-key").len(), 4);
    assert_eq!(live["record_mismatches"], json!([]));
    assert_eq!(source(&live, "admin-api")["up"], true);
    assert_eq!(source(&live, "records")["up"], true);

    let partner_side = |report: &Value| -> Vec<Value> {
        let mut certificates: Vec<Value> = ["saml-client", "identity-provider"]
            .iter()
            .flat_map(|kind| from_source(report, kind))
            .cloned()
            .collect();
        certificates.sort_by_key(|c| c["location"].to_string());
        certificates
    };
    let exported = certs(&workspace, &["--output", "json"]).json();
    assert_eq!(partner_side(&live), partner_side(&exported));
}

/// More clients and identity providers than one page (Keycloak lists 100 identity providers
/// unless asked for more): every one is checked.
#[test]
fn every_page_of_clients_and_identity_providers_is_read() {
    let clients: Vec<Value> = (0..120)
        .map(|i| {
            let client_id = format!("https://sp{i:03}.example.org");
            saml_client(&client_id, Some(&cert_b64(&format!("sp{i:03}"), 60)), None)
        })
        .collect();
    let identity_providers: Vec<Value> = (0..105)
        .map(|i| {
            saml_idp(
                &format!("idp-{i:03}"),
                &[cert_b64(&format!("idp{i:03}"), 90)],
            )
        })
        .collect();
    let sim = simulator(Simulator::builder().import_json(json!({
        "realm": "partners",
        "enabled": true,
        "clients": clients,
        "identityProviders": identity_providers,
    })));
    let dir = tempfile::tempdir().unwrap();
    sim.reset_counts();

    let run = certs_live(
        dir.path(),
        &sim.url(),
        &admin(PASSWORD),
        &["--realm", "partners", "--output", "json"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.json();
    let mut partners: Vec<&str> = from_source(&report, "saml-client")
        .iter()
        .map(|c| c["partner"].as_str().unwrap())
        .collect();
    partners.sort();
    let expected: Vec<String> = (0..120)
        .map(|i| format!("https://sp{i:03}.example.org"))
        .collect();
    assert_eq!(partners, expected);
    assert_eq!(from_source(&report, "identity-provider").len(), 105);
    let counts = sim.request_counts();
    assert_eq!(
        counts.get("GET /admin/realms/{realm}/clients"),
        2,
        "{counts:?}"
    );
    assert_eq!(
        counts.get("GET /admin/realms/{realm}/identity-provider/instances"),
        2,
        "{counts:?}"
    );
    assert_eq!(
        counts.get("GET /admin/realms/{realm}/keys"),
        1,
        "{counts:?}"
    );
}

/// A wrong password, no credentials, Keycloak refusing a read, records for another realm, no
/// server at all: each is the `admin-api` source down (UNKNOWN, `fedctl_cert_source_up 0`),
/// never a crash, never the password in the output, and the records are still checked.
#[test]
fn a_keycloak_that_cannot_be_read_is_a_source_down_and_the_records_are_still_checked() {
    let sim = simulator(Simulator::builder().key_not_after(not_after(100)));
    sim.add_realm(REALM);
    let workspace = Workspace::new(&[("outbound.yaml", &outbound_record(&expiry_date(100)))]);
    let down = |env: &[(&str, &str)], args: &[&str]| -> (Value, String) {
        let run = certs_live(
            workspace.dir.path(),
            &sim.url(),
            env,
            &[&["federations", "--output", "json"][..], args].concat(),
        );
        assert_eq!(run.code, 3, "{}\n{}", run.stdout, run.stderr);
        let report = run.json();
        let admin_api = source(&report, "admin-api");
        assert_eq!(admin_api["up"], false, "{report}");
        assert_eq!(
            admin_api["location"],
            format!("{}/admin/realms/{REALM}", sim.url())
        );
        // The record's own check: its signing_cert_expiry, no certificate to compare it with.
        assert_eq!(
            statuses(&report, "record"),
            [("outbound".into(), "OK".into(), 100)]
        );
        assert_eq!(source(&report, "records")["up"], true);
        let error = admin_api["error"].as_str().unwrap().to_owned();
        (report, error)
    };

    let wrong = "Wr0ng-pa55word-never-printed";
    let (_, error) = down(&admin(wrong), &[]);
    assert!(error.contains("refused the credentials"), "{error}");
    for output in ["text", "prometheus"] {
        let run = certs_live(
            workspace.dir.path(),
            &sim.url(),
            &admin(wrong),
            &["federations", "--output", output],
        );
        assert_eq!(run.code, 3, "{output}");
        let everything = format!("{}{}", run.stdout, run.stderr);
        assert!(!everything.contains(wrong), "{output}: {everything}");
        if output == "prometheus" {
            assert!(
                run.stdout
                    .contains("fedctl_cert_source_up{source=\"admin-api\","),
                "{}",
                run.stdout
            );
            assert!(
                run.stdout
                    .contains(&format!("/admin/realms/{REALM}\"}} 0\n"))
            );
        }
    }

    let (_, error) = down(&[], &[]);
    assert!(error.contains("no credentials"), "{error}");

    // A service account without view-realm: Keycloak answers 403 to GET /keys.
    sim.add_service_account_client(
        REALM,
        "cert-monitor",
        "s3cret-never-printed",
        &["view-clients", "view-identity-providers"],
    );
    let service_account = [
        ("KEYCLOAK_CLIENT_ID", "cert-monitor"),
        ("KEYCLOAK_CLIENT_SECRET", "s3cret-never-printed"),
        ("KEYCLOAK_AUTH_REALM", REALM),
    ];
    let (report, error) = down(&service_account, &[]);
    assert!(error.contains("GET /keys with HTTP 403"), "{error}");
    assert!(!report.to_string().contains("s3cret-never-printed"));
    // With view-realm too, the same account reads the realm.
    sim.grant_user_role(
        REALM,
        "service-account-cert-monitor",
        "realm-management.view-realm",
    );
    let run = certs_live(
        workspace.dir.path(),
        &sim.url(),
        &service_account,
        &["federations", "--output", "json"],
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(source(&run.json(), "admin-api")["up"], true);

    // --realm names another realm than the records: their federations are not in it.
    sim.add_realm("other");
    let run = certs_live(
        workspace.dir.path(),
        &sim.url(),
        &admin(PASSWORD),
        &["federations", "--realm", "other", "--output", "json"],
    );
    assert_eq!(run.code, 3);
    let report = run.json();
    let admin_api = source(&report, "admin-api");
    assert_eq!(
        admin_api["location"],
        format!("{}/admin/realms/other", sim.url())
    );
    let error = admin_api["error"].as_str().unwrap();
    assert!(error.contains(&format!("realm `{REALM}`")), "{error}");
}

#[test]
fn a_keycloak_that_is_not_there_is_a_source_down() {
    // A port nobody listens on any more.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let dir = tempfile::tempdir().unwrap();
    let run = certs_live(
        dir.path(),
        &url,
        &admin(PASSWORD),
        &["--realm", "partners", "--output", "json"],
    );
    assert_eq!(run.code, 3, "{}", run.stderr);
    let report = run.json();
    let error = source(&report, "admin-api")["error"].as_str().unwrap();
    assert!(error.contains("cannot reach Keycloak"), "{error}");
    assert_eq!(report["certificates"], json!([]));
}
