//! Shared by the `certs*` test binaries: certificates generated with rcgen at chosen expiries,
//! records and realm exports that hold them, and running `fedctl certs`.
#![allow(dead_code)] // each test binary uses its own subset

use std::path::{Path, PathBuf};

use base64::Engine;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::macros::datetime;

use crate::common::{Workspace, fedctl, fixture};

/// "Now" of every test run (`--as-of`).
pub const AS_OF: &str = "2026-06-01T00:00:00Z";
pub const NOW: OffsetDateTime = datetime!(2026-06-01 0:00 UTC);

/// The realm export the scenarios start from: real key components, realm `saml-test`.
pub const REALM_FIXTURE: &str = "keycloak/kc26.5.5-saml-test-yo1000.json";
pub const REALM: &str = "saml-test";
pub const OUTBOUND_CLIENT: &str = "https://app.partner.example.org";
/// Not-after (UTC) of the fixture realm's RS256 signing key: what an outbound record states
/// when its partner trusts our current certificate.
pub const REALM_SIGNING_EXPIRY: &str = "2036-04-20";

/// A self-signed certificate, base64 DER as Keycloak stores it, with exactly `days` whole days
/// left at [`NOW`] (negative: expired that many days ago).
pub fn cert_b64(common_name: &str, days: i64) -> String {
    base64::engine::general_purpose::STANDARD.encode(cert_der(common_name, days))
}

pub fn cert_der(common_name: &str, days: i64) -> Vec<u8> {
    let key = rcgen::KeyPair::generate().expect("key");
    let mut params =
        rcgen::CertificateParams::new(vec![format!("{common_name}.example.org")]).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, common_name);
    params.not_before = datetime!(2020-01-01 0:00 UTC);
    params.not_after = not_after(days);
    params
        .self_signed(&key)
        .expect("self-signed")
        .der()
        .to_vec()
}

/// The not-after of a certificate with exactly `days` whole days left at [`NOW`]: half a day
/// past the whole days.
pub fn not_after(days: i64) -> OffsetDateTime {
    NOW + time::Duration::days(days) + time::Duration::hours(12)
}

/// The date (UTC) a certificate from [`cert_b64`] expires on.
pub fn expiry_date(days: i64) -> String {
    not_after(days).date().to_string()
}

/// The runbook record (design §2), with its `signing_cert_expiry` replaced.
pub fn outbound_record(signing_cert_expiry: &str) -> String {
    crate::common::runbook_record(REALM).replace(
        "signing_cert_expiry: \"2026-11-15\"",
        &format!("signing_cert_expiry: \"{signing_cert_expiry}\""),
    )
}

/// An inbound SAML federation whose identity provider has the alias `partner-idp`.
pub fn inbound_record(extra_technical: &str) -> String {
    format!(
        r#"federation:
  partner: "Inbound Partner University"
  type: saml
  direction: partner-idp-to-your-sp
  technical:
    your_entity_id: "https://idp.yourorg.example.org/realms/{REALM}"
    partner_entity_id: "https://idp.partner.example.edu"
    partner_sso: "https://idp.partner.example.edu/sso"
    idp_alias: "partner-idp"
{extra_technical}  access_control:
    group: "partner-university-users"
    approver: "IT Manager"
    review_frequency: annual
"#
    )
}

/// A SAML client with the partner's certificates in use.
pub fn saml_client(client_id: &str, signing: Option<&str>, encryption: Option<&str>) -> Value {
    let mut attributes = json!({"saml.client.signature": "false", "saml.encrypt": "false"});
    if let Some(cert) = signing {
        attributes["saml.client.signature"] = json!("true");
        attributes["saml.signing.certificate"] = json!(cert);
    }
    if let Some(cert) = encryption {
        attributes["saml.encrypt"] = json!("true");
        attributes["saml.encryption.certificate"] = json!(cert);
    }
    json!({"clientId": client_id, "protocol": "saml", "enabled": true, "attributes": attributes})
}

/// A SAML identity provider validating signatures with the given certificates.
pub fn saml_idp(alias: &str, certificates: &[String]) -> Value {
    json!({
        "alias": alias,
        "providerId": "saml",
        "enabled": true,
        "config": {
            "idpEntityId": "https://idp.partner.example.edu",
            "validateSignature": "true",
            "signingCertificate": certificates.join(","),
        }
    })
}

/// A workspace: records under `federations/`, the realm fixture plus `clients` and
/// `identity_providers` as `realm.json`.
pub fn workspace(
    records: &[(&str, &str)],
    clients: Vec<Value>,
    identity_providers: Vec<Value>,
) -> Workspace {
    let workspace = Workspace::new(records);
    workspace.use_realm_fixture(REALM_FIXTURE);
    let mut realm = workspace.realm_json();
    realm["clients"]
        .as_array_mut()
        .expect("fixture has clients")
        .extend(clients);
    realm["identityProviders"] = Value::Array(identity_providers);
    workspace.write_realm_json(&realm);
    workspace
}

/// The result of one `fedctl certs` run.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", self.stdout, self.stderr))
    }
}

/// `fedctl certs <args…>` in `dir`.
pub fn certs_in(dir: &Path, args: &[&str]) -> Run {
    run_command(fedctl().current_dir(dir).arg("certs").args(args))
}

/// Runs a prepared `fedctl` command to its end.
pub fn run_command(command: &mut assert_cmd::Command) -> Run {
    let output = command.output().expect("fedctl runs");
    Run {
        code: output.status.code().expect("exit code"),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

/// `fedctl certs federations --realm-file realm.json --as-of AS_OF <args…>` in the workspace.
pub fn certs(workspace: &Workspace, args: &[&str]) -> Run {
    certs_at(workspace, AS_OF, args)
}

/// [`certs`] as of another instant.
pub fn certs_at(workspace: &Workspace, as_of: &str, args: &[&str]) -> Run {
    let realm = workspace.realm_file();
    let mut all = vec![
        "federations",
        "--realm-file",
        realm.to_str().unwrap(),
        "--as-of",
        as_of,
    ];
    all.extend_from_slice(args);
    certs_in(workspace.dir.path(), &all)
}

pub fn metadata_fixture(relative: &str) -> PathBuf {
    fixture(&format!("saml-metadata/{relative}"))
}

/// (federation, status, days left) of a JSON report's certificates from `source`, sorted;
/// `-` for no federation.
pub fn statuses(report: &Value, source: &str) -> Vec<(String, String, i64)> {
    let mut rows: Vec<_> = from_source(report, source)
        .iter()
        .map(|c| {
            (
                c["federation"].as_str().unwrap_or("-").to_owned(),
                c["status"].as_str().unwrap().to_owned(),
                c["days_left"].as_i64().unwrap(),
            )
        })
        .collect();
    rows.sort();
    rows
}

/// The certificates of a JSON report that match `source`.
pub fn from_source<'v>(report: &'v Value, source: &str) -> Vec<&'v Value> {
    report["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["source"] == source)
        .collect()
}

/// `promtool`, which CI installs (Debian package `prometheus`). Missing is a failure, never a
/// skip: these tests are the proof that the output is valid.
pub fn promtool() -> std::process::Command {
    let found = std::process::Command::new("promtool")
        .arg("--version")
        .output();
    assert!(
        found.is_ok_and(|o| o.status.success()),
        "promtool is not installed: install the Debian package `prometheus` \
         (apt-get install -y prometheus), as scripts/test.sh does"
    );
    std::process::Command::new("promtool")
}
