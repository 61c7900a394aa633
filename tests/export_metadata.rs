//! `fedctl export-metadata` against realm files: schema-valid IdP metadata, handoff summaries,
//! and client secrets that only ever reach an owner-only file.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Workspace, fixture, fixture_realm, oidc_record, runbook_record};
use serde_json::{Value, json};

const REALM_FIXTURE: &str = "keycloak/kc26.5.5-saml-test-yo1000.json";
const SECRET: &str = "s3cr3t-Value-4711";

fn workspace(records: &[(&str, &str)]) -> Workspace {
    let workspace = Workspace::new(records);
    workspace.use_realm_fixture(REALM_FIXTURE);
    workspace
}

fn out_dir(workspace: &Workspace) -> PathBuf {
    workspace.dir.path().join("out")
}

fn export(workspace: &Workspace, extra: &[&str]) -> assert_cmd::assert::Assert {
    let out = out_dir(workspace);
    let mut args = vec!["--out", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    workspace.run("export-metadata", &args)
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Validates a metadata file against the OASIS schema with the shared catalog (offline).
fn assert_schema_valid(file: &Path) {
    let xsd = fixture("saml-metadata/xsd");
    let output = Command::new("xmllint")
        .env("XML_CATALOG_FILES", xsd.join("saml-md-catalog.xml"))
        .args(["--noout", "--nonet", "--schema"])
        .arg(xsd.join("saml-md-with-extensions.xsd"))
        .arg(file)
        .output()
        .expect("xmllint is required for this test: install libxml2-utils (Debian) / libxml2");
    assert!(
        output.status.success(),
        "{} is not schema-valid:\n{}",
        file.display(),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The SHA-256 fingerprint (colon form) of the fixture realm's active RSA signing key.
fn realm_signing_fingerprint() -> String {
    let realm: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture(REALM_FIXTURE)).unwrap()).unwrap();
    let keys = fedctl::keycloak::keys::from_realm_export(&realm).unwrap();
    let signing = keys
        .iter()
        .find(|k| k.provider_name.as_deref() == Some("rsa-generated"))
        .unwrap();
    fedctl::x509::parse_base64(signing.certificate.as_deref().unwrap())
        .unwrap()
        .fingerprint_colons()
}

#[test]
fn saml_export_is_schema_valid_and_names_the_realm_signing_key() {
    let realm = fixture_realm(REALM_FIXTURE);
    let workspace = workspace(&[("partner.yaml", &runbook_record(&realm))]);
    let before = std::fs::read(workspace.realm_file()).unwrap();
    let assert = export(&workspace, &[]).success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();

    let out = out_dir(&workspace);
    for name in [
        "partner-idp-metadata.xml",
        "partner-handoff.json",
        "partner-handoff.md",
    ] {
        assert!(out.join(name).is_file(), "{name} missing");
        assert!(stdout.contains(name), "{name} not listed:\n{stdout}");
    }
    let xml_path = out.join("partner-idp-metadata.xml");
    assert_schema_valid(&xml_path);
    let xml = std::fs::read_to_string(&xml_path).unwrap();
    assert!(xml.contains(&format!(
        "entityID=\"https://idp.yourorg.example.org/realms/{realm}\""
    )));
    assert!(xml.contains("<md:EmailAddress>mailto:it@yourorg.example.org</md:EmailAddress>"));

    let handoff = read_json(&out.join("partner-handoff.json"));
    assert_eq!(handoff["protocol"], "saml");
    let certificates = handoff["signing_certificates"].as_array().unwrap();
    assert_eq!(certificates.len(), 1, "{handoff:#}");
    assert_eq!(
        certificates[0]["sha256_fingerprint"],
        realm_signing_fingerprint()
    );
    assert!(certificates[0]["not_after"].as_str().is_some());
    assert_eq!(handoff["single_sign_on"].as_array().unwrap().len(), 4);
    assert_eq!(
        handoff["single_sign_on"][0]["location"],
        format!("https://idp.yourorg.example.org/realms/{realm}/protocol/saml")
    );
    let email = &handoff["released_attributes"][0];
    assert_eq!(email["name"], "email");
    assert!(email["saml_name"].as_str().is_some(), "{email}");
    assert!(
        email["name_format"]
            .as_str()
            .is_some_and(|f| f.starts_with("urn:oasis:names:tc:SAML:2.0:attrname-format:"))
    );
    assert_eq!(handoff["contacts"]["ours"], "it@yourorg.example.org");

    let markdown = std::fs::read_to_string(out.join("partner-handoff.md")).unwrap();
    assert!(markdown.contains(&realm_signing_fingerprint()));
    // Exporting reads the realm file; it never rewrites it.
    assert_eq!(std::fs::read(workspace.realm_file()).unwrap(), before);
}

/// The fixture realm with a confidential OIDC client `oidc-app` holding `secret`.
fn with_oidc_client(workspace: &Workspace, secret: &str) {
    let mut realm = workspace.realm_json();
    realm["clients"]
        .as_array_mut()
        .unwrap()
        .push(json!({"clientId": "oidc-app", "protocol": "openid-connect", "secret": secret}));
    workspace.write_realm_json(&realm);
}

fn every_file_under(dir: &Path) -> Vec<(PathBuf, String)> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| (p.clone(), std::fs::read_to_string(&p).unwrap()))
        .collect()
}

#[test]
fn oidc_handoff_never_carries_the_secret_without_show_secret() {
    let realm = fixture_realm(REALM_FIXTURE);
    let workspace = workspace(&[("app.yaml", &oidc_record(&realm, "oidc-app", "app-users"))]);
    with_oidc_client(&workspace, SECRET);
    let assert = export(&workspace, &[]).success();
    let output = assert.get_output();
    assert!(!String::from_utf8_lossy(&output.stdout).contains(SECRET));
    assert!(!String::from_utf8_lossy(&output.stderr).contains(SECRET));

    let out = out_dir(&workspace);
    let files = every_file_under(&out);
    assert_eq!(files.len(), 2, "{files:?}");
    for (path, content) in &files {
        assert!(
            !content.contains(SECRET),
            "{} holds the secret",
            path.display()
        );
    }
    let handoff = read_json(&out.join("app-handoff.json"));
    assert_eq!(handoff["protocol"], "oidc");
    assert_eq!(handoff["client_id"], "oidc-app");
    assert_eq!(
        handoff["discovery_url"],
        format!("https://idp.yourorg.example.org/realms/{realm}/.well-known/openid-configuration")
    );
    assert_eq!(
        handoff["redirect_uris"],
        json!(["https://oidc.partner.example.org/callback"])
    );
    assert_eq!(handoff["client_secret"]["status"], "withheld");
}

#[cfg(unix)]
#[test]
fn show_secret_writes_it_only_to_an_owner_only_file() {
    use std::os::unix::fs::PermissionsExt;

    let realm = fixture_realm(REALM_FIXTURE);
    let workspace = workspace(&[("app.yaml", &oidc_record(&realm, "oidc-app", "app-users"))]);
    with_oidc_client(&workspace, SECRET);
    let assert = export(&workspace, &["--show-secret"]).success();
    let output = assert.get_output();
    assert!(!String::from_utf8_lossy(&output.stdout).contains(SECRET));
    assert!(!String::from_utf8_lossy(&output.stderr).contains(SECRET));

    let out = out_dir(&workspace);
    let secret_file = out.join("app-client-secret.txt");
    for (path, content) in every_file_under(&out) {
        assert_eq!(
            path == secret_file,
            content.contains(SECRET),
            "{}",
            path.display()
        );
    }
    let mode = std::fs::metadata(&secret_file)
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let handoff = read_json(&out.join("app-handoff.json"));
    assert_eq!(
        handoff["client_secret"],
        json!({"status": "written", "file": "app-client-secret.txt"})
    );
}

#[test]
fn a_masked_secret_is_reported_as_unavailable_offline() {
    let realm = fixture_realm(REALM_FIXTURE);
    let workspace = workspace(&[("app.yaml", &oidc_record(&realm, "oidc-app", "app-users"))]);
    with_oidc_client(&workspace, "**********");
    export(&workspace, &["--show-secret"]).success();
    let out = out_dir(&workspace);
    assert!(!out.join("app-client-secret.txt").exists());
    let handoff = read_json(&out.join("app-handoff.json"));
    assert_eq!(handoff["client_secret"]["status"], "unavailable");
    assert!(
        handoff["client_secret"]["reason"]
            .as_str()
            .unwrap()
            .contains("not available offline")
    );
}

#[test]
fn a_realm_file_without_keys_is_a_clear_error_and_writes_nothing() {
    // A realm file that does not exist yet starts as a minimal realm: no key components.
    let workspace = Workspace::new(&[("partner.yaml", &runbook_record("fresh"))]);
    let assert = export(&workspace, &[]).failure();
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(stderr.contains("no realm signing key"), "{stderr}");
    assert!(stderr.contains("kc.sh export"), "{stderr}");
    assert!(!out_dir(&workspace).exists());
    assert!(!workspace.realm_file().exists());
}
