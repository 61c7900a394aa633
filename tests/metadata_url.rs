//! Partner metadata fetched from URLs: TLS rules (private CA, redirects), retries, one fetch
//! per document, signature verification of fetched bytes, errors located in the record, and
//! `certs --metadata URL`.

mod common;
#[path = "common/web_server.rs"]
mod web_server;

use common::{Workspace, fedctl, fixture, fixture_realm, metadata_record as record};
use web_server::{Reply, WebServer};

const REALM_FIXTURE: &str = "keycloak/kc26.5.5-saml-test-yo1000.json";
const SP: &str = "saml-metadata/entities/samael_sp_metadata.xml";
const EDUGAIN: &str = "saml-metadata/aggregates/pyff_wayf-edugain-metadata.xml";
const SIGNED: &str = "saml-metadata/entities/python3-saml_signed_metadata_settings1.xml";
const TAMPERED: &str =
    "saml-metadata/negative/DERIVED_tampered_python3-saml_signed_metadata_settings1.xml";
const SIGNER: &str =
    "saml-metadata/certs/python3-saml_signed_metadata_settings1_signer_extracted.pem";

fn body(relative: &str) -> Vec<u8> {
    std::fs::read(fixture(relative)).unwrap()
}

fn workspace(records: &[(&str, &str)]) -> Workspace {
    let workspace = Workspace::new(records);
    workspace.use_realm_fixture(REALM_FIXTURE);
    workspace
}

/// `fedctl validate` of the workspace's records (validate reads no realm).
fn validate(workspace: &Workspace, extra: &[&str]) -> assert_cmd::assert::Assert {
    fedctl()
        .arg("validate")
        .arg(workspace.records())
        .args(extra)
        .assert()
}

fn output(assert: &assert_cmd::assert::Assert) -> (String, String) {
    let output = assert.get_output();
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn https_metadata_needs_a_trusted_certificate_and_then_supplies_the_client() {
    let server = WebServer::https();
    server.route("/sp.xml", vec![Reply::ok(body(SP))]);
    let realm = fixture_realm(REALM_FIXTURE);
    let text = record(&realm, "https://sp.example.com", &server.url("/sp.xml"), "");
    let workspace = workspace(&[("sp.yaml", &text)]);

    // The test CA is not trusted by default: the record's line is named.
    let refused = validate(&workspace, &["--allow-expired-metadata"]);
    let (_, stderr) = output(&refused);
    refused.code(1);
    assert!(stderr.contains("sp.yaml:8"), "{stderr}");
    assert!(stderr.contains("cannot be fetched"), "{stderr}");
    assert!(stderr.to_lowercase().contains("certificate"), "{stderr}");
    assert!(server.requests().is_empty(), "no request got past TLS");

    let ca = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(ca.path(), &server.ca_pem).unwrap();
    let ca = ca.path().to_str().unwrap();
    validate(&workspace, &["--allow-expired-metadata", "--ca-cert", ca]).success();
    let plan = workspace
        .run("plan", &["--allow-expired-metadata", "--ca-cert", ca])
        .success();
    let (stdout, _) = output(&plan);
    assert!(
        stdout.contains(r#"redirectUris: ["https://sp.example.com/acs"]"#),
        "{stdout}"
    );
    assert!(stdout.contains("attributes.saml.signing.certificate: certificate sp.example.com"));

    // Without --allow-expired-metadata, fetched metadata is judged like a file.
    let expired = validate(&workspace, &["--ca-cert", ca]);
    let (_, stderr) = output(&expired);
    expired.code(1);
    assert!(stderr.contains("expired"), "{stderr}");
}

#[test]
fn a_transient_failure_is_retried_and_an_aggregate_is_fetched_once_for_all_its_records() {
    let server = WebServer::http();
    server.route(
        "/edugain.xml",
        vec![Reply::status(503), Reply::ok(body(EDUGAIN))],
    );
    let realm = fixture_realm(REALM_FIXTURE);
    let url = server.url("/edugain.xml");
    let pick = |entity: &str| format!("    metadata_entity_id: \"{entity}\"\n");
    let first = "https://dmponline.deic.dk/shibboleth";
    let second = "https://europe-test.wiseflow.net";
    let workspace = workspace(&[
        ("dmp.yaml", &record(&realm, first, &url, &pick(first))),
        (
            "wiseflow.yaml",
            &record(&realm, second, &url, &pick(second)),
        ),
    ]);
    let plan = workspace
        .run("plan", &["--allow-expired-metadata"])
        .success();
    let (stdout, _) = output(&plan);
    assert!(
        stdout.contains("https://dmponline.deic.dk/Shibboleth.sso/SAML2/POST"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "https://europe-test.wiseflow.net/simplesaml/module.php/saml/sp/saml2-acs.php/europe-test_wayf"
        ),
        "{stdout}"
    );
    // The 503, then one successful fetch for both records.
    assert_eq!(server.requests(), ["/edugain.xml", "/edugain.xml"]);
}

#[test]
fn redirects_are_followed_over_https_but_never_to_plain_http() {
    let server = WebServer::https();
    server.route("/moved.xml", vec![Reply::redirect("/sp.xml")]);
    server.route("/sp.xml", vec![Reply::ok(body(SP))]);
    server.route(
        "/downgrade.xml",
        vec![Reply::redirect("http://metadata.example.org/sp.xml")],
    );
    let ca = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(ca.path(), &server.ca_pem).unwrap();
    let ca = ca.path().to_str().unwrap();
    let realm = fixture_realm(REALM_FIXTURE);

    let moved = workspace(&[(
        "sp.yaml",
        &record(
            &realm,
            "https://sp.example.com",
            &server.url("/moved.xml"),
            "",
        ),
    )]);
    validate(&moved, &["--allow-expired-metadata", "--ca-cert", ca]).success();

    let downgraded = workspace(&[(
        "sp.yaml",
        &record(
            &realm,
            "https://sp.example.com",
            &server.url("/downgrade.xml"),
            "",
        ),
    )]);
    let refused = validate(&downgraded, &["--allow-expired-metadata", "--ca-cert", ca]);
    let (_, stderr) = output(&refused);
    refused.code(1);
    assert!(
        stderr.contains("redirected to http://metadata.example.org/sp.xml"),
        "{stderr}"
    );
    assert!(
        stderr.contains("an https fetch is never redirected to plain http"),
        "{stderr}"
    );

    // Not to a plain http server on this machine either, even with --allow-insecure-http
    // (which only lets URLs given as http through): the fetch began over https.
    let plain = WebServer::http();
    plain.route("/sp.xml", vec![Reply::ok(body(SP))]);
    server.route(
        "/to-localhost.xml",
        vec![Reply::redirect(&plain.url("/sp.xml"))],
    );
    let to_localhost = workspace(&[(
        "sp.yaml",
        &record(
            &realm,
            "https://sp.example.com",
            &server.url("/to-localhost.xml"),
            "",
        ),
    )]);
    let refused = validate(
        &to_localhost,
        &[
            "--allow-expired-metadata",
            "--allow-insecure-http",
            "--ca-cert",
            ca,
        ],
    );
    let (_, stderr) = output(&refused);
    refused.code(1);
    assert!(
        stderr.contains("an https fetch is never redirected to plain http"),
        "{stderr}"
    );
    assert!(plain.requests().is_empty(), "{:?}", plain.requests());
}

#[test]
fn a_missing_document_is_an_error_on_the_records_line_and_stops_plan() {
    let server = WebServer::http();
    let realm = fixture_realm(REALM_FIXTURE);
    let text = record(
        &realm,
        "https://sp.example.com",
        &server.url("/gone.xml"),
        "",
    );
    let workspace = workspace(&[("sp.yaml", &text)]);

    let checked = validate(&workspace, &["--output", "json"]);
    let (stdout, _) = output(&checked);
    checked.code(1);
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let problem = &report["problems"][0];
    assert_eq!(problem["field"], "federation.technical.partner_metadata");
    assert_eq!(problem["line"], 8);
    assert!(
        problem["message"]
            .as_str()
            .unwrap()
            .contains("the server answered HTTP 404"),
        "{problem}"
    );

    let plan = workspace.run("plan", &[]);
    let (_, stderr) = output(&plan);
    plan.code(1);
    assert!(stderr.contains("HTTP 404"), "{stderr}");
    // A 404 is an answer, not retried.
    assert_eq!(server.requests().len(), 2, "one request per run");

    // --offline leaves URLs alone (and files are still read).
    validate(&workspace, &["--offline"]).success();
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn fetched_metadata_is_verified_over_the_bytes_received() {
    let server = WebServer::http();
    server.route("/signed.xml", vec![Reply::ok(body(SIGNED))]);
    server.route("/tampered.xml", vec![Reply::ok(body(TAMPERED))]);
    let realm = fixture_realm(REALM_FIXTURE);
    let entity = "https://example.com//demo1/metadata.php";
    let signer = format!(
        "    partner_metadata_signer: \"{}\"\n",
        fixture(SIGNER).display()
    );

    let tampered = workspace(&[(
        "sp.yaml",
        &record(&realm, entity, &server.url("/tampered.xml"), &signer),
    )]);
    let refused = validate(&tampered, &["--allow-expired-metadata"]);
    let (_, stderr) = output(&refused);
    refused.code(1);
    assert!(stderr.contains("refused"), "{stderr}");
    assert!(stderr.contains("partner_metadata_signer"), "{stderr}");

    let signed = workspace(&[(
        "sp.yaml",
        &record(&realm, entity, &server.url("/signed.xml"), &signer),
    )]);
    signed.run("plan", &["--allow-expired-metadata"]).success();
}

#[test]
fn certs_checks_metadata_fetched_from_a_url_and_reports_a_failed_fetch_as_unknown() {
    let server = WebServer::http();
    server.route("/edugain.xml", vec![Reply::ok(body(EDUGAIN))]);
    let url = server.url("/edugain.xml");
    // No records: run where there is no `federations` directory.
    let empty = tempfile::tempdir().unwrap();
    let checked = fedctl()
        .current_dir(empty.path())
        .args(["certs", "--metadata", &url, "--output", "json"])
        .assert();
    let (stdout, _) = output(&checked);
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let certificates = report["certificates"].as_array().unwrap();
    assert!(certificates.len() > 50, "{}", certificates.len());
    assert!(
        certificates
            .iter()
            .any(|c| c["partner"] == "https://dmponline.deic.dk/shibboleth")
    );
    let source = &report["sources"][0];
    assert_eq!(source["location"], url.as_str());
    assert_eq!(source["up"], true);

    let missing = server.url("/missing.xml");
    let failed = fedctl()
        .current_dir(empty.path())
        .args(["certs", "--metadata", &missing, "--output", "prometheus"])
        .assert()
        .code(3);
    let (stdout, _) = output(&failed);
    assert!(
        stdout.contains(&format!(
            "fedctl_cert_source_up{{source=\"metadata\",location=\"{missing}\"}} 0"
        )),
        "{stdout}"
    );
}
