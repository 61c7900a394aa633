//! Partner metadata in plan: expiry, signature verification, and the values it supplies.

mod common;

use common::{Workspace, fixture, fixture_realm, metadata_record};

const REALM_FIXTURE: &str = "keycloak/kc26.5.5-saml-test-yo1000.json";

/// An outbound SAML record onboarded from a metadata file (absolute paths are accepted too).
fn record(realm: &str, entity_id: &str, metadata: &str, signer: Option<&str>) -> String {
    let signer = signer.map_or(String::new(), |s| {
        format!(
            "    partner_metadata_signer: \"{}\"\n",
            fixture(s).display()
        )
    });
    let location = fixture(metadata).display().to_string();
    metadata_record(realm, entity_id, &location, &signer)
}

fn workspace(record: &str) -> Workspace {
    let workspace = Workspace::new(&[("sp.yaml", record)]);
    workspace.use_realm_fixture(REALM_FIXTURE);
    workspace
}

#[test]
fn expired_metadata_is_refused_unless_allowed_and_then_supplies_the_client() {
    let realm = fixture_realm(REALM_FIXTURE);
    let workspace = workspace(&record(
        &realm,
        "https://sp.example.com",
        "saml-metadata/entities/samael_sp_metadata.xml",
        None,
    ));
    let refused = workspace.run("plan", &[]).failure();
    let stderr = String::from_utf8_lossy(&refused.get_output().stderr).into_owned();
    assert!(stderr.contains("expired"), "{stderr}");
    assert!(stderr.contains("--allow-expired-metadata"), "{stderr}");

    let allowed = workspace
        .run("plan", &["--allow-expired-metadata"])
        .success();
    let stdout = String::from_utf8_lossy(&allowed.get_output().stdout).into_owned();
    assert!(
        stdout.contains(r#"redirectUris: ["https://sp.example.com/acs"]"#),
        "{stdout}"
    );
    assert!(stdout.contains(r#"attributes.saml.client.signature: "true""#));
    assert!(stdout.contains("attributes.saml.signing.certificate: certificate sp.example.com"));
    assert!(stdout.contains(r#"attributes.saml_name_id_format: "username""#));
}

#[test]
fn tampered_metadata_is_refused_and_the_signed_original_accepted() {
    let realm = fixture_realm(REALM_FIXTURE);
    let signer =
        Some("saml-metadata/certs/python3-saml_signed_metadata_settings1_signer_extracted.pem");
    let entity_id = "https://example.com//demo1/metadata.php";
    let tampered = workspace(&record(
        &realm,
        entity_id,
        "saml-metadata/negative/DERIVED_tampered_python3-saml_signed_metadata_settings1.xml",
        signer,
    ));
    let refused = tampered
        .run("plan", &["--allow-expired-metadata"])
        .failure();
    let stderr = String::from_utf8_lossy(&refused.get_output().stderr).into_owned();
    assert!(stderr.contains("refused"), "{stderr}");

    let signed = workspace(&record(
        &realm,
        entity_id,
        "saml-metadata/entities/python3-saml_signed_metadata_settings1.xml",
        signer,
    ));
    signed.run("plan", &["--allow-expired-metadata"]).success();
}

#[test]
fn a_disagreement_is_a_note_and_the_record_wins() {
    let realm = fixture_realm(REALM_FIXTURE);
    let text = record(
        &realm,
        "https://sp.example.com",
        "saml-metadata/entities/samael_sp_metadata.xml",
        None,
    )
    .replace(
        "  access_control:",
        "    partner_acs: \"https://sp.example.com/other-acs\"\n  access_control:",
    );
    let workspace = workspace(&text);
    let assert = workspace
        .run("plan", &["--allow-expired-metadata"])
        .success();
    let output = assert.get_output();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("note: sp: partner_acs"), "{stderr}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("https://sp.example.com/other-acs"),
        "{stdout}"
    );
}
