//! `fedctl export-metadata` against realm files and a live Keycloak (the simulator):
//! schema-valid IdP metadata, handoff summaries, client secrets that only ever reach an
//! owner-only file, and failures that write nothing.

mod common;
#[path = "common/web_server.rs"]
mod web_server;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{Workspace, assert_schema_valid, fixture, fixture_realm, oidc_record, runbook_record};
use fedctl::keycloak::admin::client::AdminClient;
use fedctl::keycloak::admin::secret::Secret;
use fedctl::keycloak::admin::{Connection, Credentials};
use kc_sim::{Faults, Simulator};
use serde_json::{Value, json};
use web_server::{Reply, WebServer};

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
    // Chosen behaviour: the other files are written and the run succeeds, with a warning
    // that the secret file was not.
    let assert = export(&workspace, &["--show-secret"]).success();
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        stderr.contains("app: --show-secret: no secret file written"),
        "{stderr}"
    );
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
    let workspace = Workspace::new(&[("partner.yaml", &runbook_record("fresh"))]);
    workspace.write_realm_json(&json!({"realm": "fresh", "enabled": true}));
    let assert = export(&workspace, &[]).failure();
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(stderr.contains("no realm signing key"), "{stderr}");
    assert!(stderr.contains("kc.sh export"), "{stderr}");
    assert!(!out_dir(&workspace).exists());
}

#[test]
fn a_realm_file_that_does_not_exist_is_not_found_and_writes_nothing() {
    let workspace = Workspace::new(&[("partner.yaml", &runbook_record("fresh"))]);
    let assert = export(&workspace, &[]).failure();
    // miette wraps long lines: compare without whitespace.
    let stderr = unwrapped(&String::from_utf8_lossy(&assert.get_output().stderr));
    assert!(stderr.contains("notfound"), "{stderr}");
    assert!(!stderr.contains("signingkey"), "{stderr}");
    assert!(!out_dir(&workspace).exists());
    assert!(!workspace.realm_file().exists());
}

#[test]
fn a_record_whose_client_is_not_in_the_realm_is_warned_about() {
    let realm = fixture_realm(REALM_FIXTURE);
    let workspace = workspace(&[("partner.yaml", &runbook_record(&realm))]);
    let warning = "client https://app.partner.example.org is not in realm file";
    let assert = export(&workspace, &[]).success();
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(stderr.contains(warning), "{stderr}");
    assert!(stderr.contains("fedctl apply"), "{stderr}");

    workspace.run("apply", &["--yes"]).success();
    let assert = export(&workspace, &[]).success();
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(!stderr.contains("is not in"), "{stderr}");
}

// ---------------------------------------------------------------------------------------------
// A live Keycloak (the simulator) through --url.

const REALM: &str = "your-realm";
const ADMIN_PASSWORD: &str = "Adm1n-pa55word-never-printed";
const CONTACT: &str = "<md:ContactPerson contactType=\"technical\"><md:EmailAddress>mailto:it@yourorg.example.org</md:EmailAddress></md:ContactPerson>";

/// The simulator with the test realm, and an admin client to look at it as an operator would.
struct Live {
    sim: Simulator,
    admin: AdminClient,
    runtime: tokio::runtime::Runtime,
}

impl Live {
    fn start() -> Live {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let sim = Simulator::builder()
            .admin_credentials("admin", ADMIN_PASSWORD)
            .key_not_after(time::macros::datetime!(2031-03-04 00:00 UTC))
            .start()
            .expect("simulator starts");
        sim.add_realm(REALM);
        let connection = Connection {
            server: Connection::server_url(&sim.url(), false).unwrap(),
            realm: REALM.into(),
            auth_realm: "master".into(),
            credentials: Credentials::AdminUser {
                username: "admin".into(),
                password: Secret::new(ADMIN_PASSWORD),
            },
            ca_cert: None,
            concurrency: 4,
            timeout: Duration::from_secs(30),
        };
        Live {
            admin: AdminClient::connect(&connection).unwrap(),
            sim,
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
        }
    }

    fn get(&self, path: &[&str], query: &[(&str, &str)]) -> Value {
        self.runtime
            .block_on(self.admin.get(path, query))
            .unwrap_or_else(|e| panic!("GET {path:?}: {e}"))
    }

    fn client(&self, client_id: &str) -> Value {
        self.get(&["clients"], &[("clientId", client_id)])[0].clone()
    }

    /// The realm's SAML descriptor, as anyone can fetch it.
    fn descriptor(&self) -> String {
        let url = format!("{}/realms/{REALM}/protocol/saml/descriptor", self.sim.url());
        self.runtime.block_on(async {
            let response = reqwest::Client::new().get(url).send().await.unwrap();
            assert_eq!(response.status(), 200);
            response.text().await.unwrap()
        })
    }

    fn fedctl(&self, workspace: &Workspace, subcommand: &str, extra: &[&str]) -> Assert {
        fedctl_at(&self.sim.url(), workspace, subcommand, extra)
    }
}

type Assert = assert_cmd::assert::Assert;

/// `fedctl <subcommand> --url URL federations/ <extra…>` with the admin in the environment.
fn fedctl_at(url: &str, workspace: &Workspace, subcommand: &str, extra: &[&str]) -> Assert {
    workspace.run_live(url, ("admin", ADMIN_PASSWORD), subcommand, extra)
}

fn export_at(url: &str, workspace: &Workspace, extra: &[&str]) -> Assert {
    let out = out_dir(workspace);
    let mut args = vec!["--out", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    fedctl_at(url, workspace, "export-metadata", &args)
}

fn outputs(assert: &Assert) -> String {
    let output = assert.get_output();
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A second outbound SAML federation beside the runbook's.
fn second_saml_record(realm: &str) -> String {
    runbook_record(realm)
        .replace("Example Partner Organisation", "Second Partner")
        .replace("app.partner.example.org", "app.second.example.org")
        .replace("partner-example-users", "second-partner-users")
}

#[test]
fn live_saml_export_is_keycloaks_descriptor_with_our_contact() {
    let kc = Live::start();
    let workspace = Workspace::new(&[("partner.yaml", &runbook_record(REALM))]);
    kc.fedctl(&workspace, "apply", &["--yes"]).success();
    let exported = export_at(&kc.sim.url(), &workspace, &[]).success();
    // The record names the production host; the simulator serves another one.
    let stderr = String::from_utf8_lossy(&exported.get_output().stderr).into_owned();
    assert!(
        stderr.contains(&format!(
            "warning: partner: our IdP's entityID is \"{}/realms/{REALM}\", but your_entity_id is \"https://idp.yourorg.example.org/realms/{REALM}\"",
            kc.sim.url()
        )),
        "{stderr}"
    );

    let out = out_dir(&workspace);
    let xml_path = out.join("partner-idp-metadata.xml");
    let expected = kc.descriptor().replace(
        "</md:EntityDescriptor>",
        &format!("{CONTACT}\n</md:EntityDescriptor>"),
    );
    assert_eq!(std::fs::read_to_string(&xml_path).unwrap(), expected);
    assert_schema_valid(&xml_path);

    let handoff = read_json(&out.join("partner-handoff.json"));
    let keys = kc.get(&["keys"], &[]);
    let signing = (keys["keys"].as_array().unwrap().iter())
        .find(|k| k["algorithm"] == "RS256")
        .unwrap();
    let certificate = fedctl::x509::parse_base64(signing["certificate"].as_str().unwrap()).unwrap();
    assert_eq!(
        handoff["signing_certificates"],
        json!([{
            "role": "current",
            "key_name": signing["kid"],
            "subject": certificate.subject,
            "sha256_fingerprint": certificate.fingerprint_colons(),
            "not_after": "2031-03-04T00:00:00Z",
        }])
    );
    let issuer = format!("{}/realms/{REALM}", kc.sim.url());
    assert_eq!(handoff["entity_id"], issuer);
    let binding = |b: &str| format!("urn:oasis:names:tc:SAML:2.0:bindings:{b}");
    let endpoints = |bindings: [&str; 4]| {
        let location = format!("{issuer}/protocol/saml");
        Value::from_iter(bindings.map(|b| json!({"binding": binding(b), "location": location})))
    };
    assert_eq!(
        handoff["single_sign_on"],
        endpoints(["HTTP-POST", "HTTP-Redirect", "SOAP", "HTTP-Artifact"])
    );
    assert_eq!(
        handoff["single_logout"],
        endpoints(["HTTP-POST", "HTTP-Redirect", "HTTP-Artifact", "SOAP"])
    );
    assert_eq!(handoff["contacts"]["ours"], "it@yourorg.example.org");
    let markdown = std::fs::read_to_string(out.join("partner-handoff.md")).unwrap();
    assert!(markdown.contains(&certificate.fingerprint_colons()));
}

#[test]
fn the_descriptor_is_fetched_once_per_run_without_a_token() {
    let kc = Live::start();
    let workspace = Workspace::new(&[
        ("partner.yaml", &runbook_record(REALM)),
        ("second.yaml", &second_saml_record(REALM)),
    ]);
    kc.sim.reset_counts();
    export_at(&kc.sim.url(), &workspace, &[]).success();
    let counts = kc.sim.request_counts();
    assert_eq!(
        counts.get("GET /realms/{realm}/protocol/saml/descriptor"),
        1
    );
    // A public endpoint: no sign-in, no other request.
    assert_eq!(counts.total, 1, "{counts:?}");
    for record in ["partner", "second"] {
        assert_schema_valid(&out_dir(&workspace).join(format!("{record}-idp-metadata.xml")));
    }
}

#[test]
fn the_descriptor_request_is_retried_like_admin_requests() {
    let kc = Live::start();
    let workspace = Workspace::new(&[("partner.yaml", &runbook_record(REALM))]);
    kc.sim.set_faults(Faults {
        fail_nth: Some(kc_sim::FailNth {
            route: "GET /realms/{realm}/protocol/saml/descriptor".into(),
            n: 1,
            status: 503,
        }),
        ..Faults::default()
    });
    kc.sim.reset_counts();
    export_at(&kc.sim.url(), &workspace, &[]).success();
    let counts = kc.sim.request_counts();
    assert_eq!(
        counts.get("GET /realms/{realm}/protocol/saml/descriptor"),
        2
    );
    assert_schema_valid(&out_dir(&workspace).join("partner-idp-metadata.xml"));
}

#[cfg(unix)]
#[test]
fn live_show_secret_writes_keycloaks_secret_only_to_an_owner_only_file() {
    use std::os::unix::fs::PermissionsExt;

    let kc = Live::start();
    let workspace = Workspace::new(&[("app.yaml", &oidc_record(REALM, "oidc-app", "app-users"))]);
    kc.fedctl(&workspace, "apply", &["--yes"]).success();
    let uuid = kc.client("oidc-app")["id"].as_str().unwrap().to_owned();
    let credential = kc.get(&["clients", &uuid, "client-secret"], &[]);
    let secret = credential["value"].as_str().unwrap();
    assert!(secret.len() >= 16, "a generated secret: {credential}");

    let assert = export_at(&kc.sim.url(), &workspace, &["--show-secret"]).success();
    assert!(!outputs(&assert).contains(secret));
    let out = out_dir(&workspace);
    let secret_file = out.join("app-client-secret.txt");
    assert_eq!(
        std::fs::read_to_string(&secret_file).unwrap(),
        format!("{secret}\n")
    );
    let mode = std::fs::metadata(&secret_file)
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    for (path, content) in every_file_under(&out) {
        assert_eq!(
            path == secret_file,
            content.contains(secret),
            "{}",
            path.display()
        );
    }
    let handoff = read_json(&out.join("app-handoff.json"));
    assert_eq!(
        handoff["client_secret"],
        json!({"status": "written", "file": "app-client-secret.txt"})
    );
}

#[test]
fn live_secrets_of_missing_or_public_clients_are_unavailable() {
    let kc = Live::start();
    let workspace = Workspace::new(&[("app.yaml", &oidc_record(REALM, "oidc-app", "app-users"))]);
    let reason = |workspace: &Workspace| {
        export_at(&kc.sim.url(), workspace, &["--show-secret"]).success();
        let out = out_dir(workspace);
        assert!(!out.join("app-client-secret.txt").exists());
        let handoff = read_json(&out.join("app-handoff.json"));
        assert_eq!(handoff["client_secret"]["status"], "unavailable");
        handoff["client_secret"]["reason"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    // Not applied yet.
    assert!(reason(&workspace).contains("run apply first"));
    let assert = export_at(&kc.sim.url(), &workspace, &["--show-secret"]).success();
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        stderr.contains("client oidc-app is not in Keycloak"),
        "{stderr}"
    );
    // Applied, then turned public behind fedctl's back.
    kc.fedctl(&workspace, "apply", &["--yes"]).success();
    let uuid = kc.client("oidc-app")["id"].as_str().unwrap().to_owned();
    kc.runtime
        .block_on(
            kc.admin
                .put(&["clients", &uuid], &json!({"publicClient": true})),
        )
        .unwrap();
    assert!(reason(&workspace).contains("public client"));
}

/// SAML and OIDC records: when the SAML part fails, the OIDC files are not written either.
fn mixed_workspace() -> Workspace {
    Workspace::new(&[
        ("app.yaml", &oidc_record(REALM, "oidc-app", "app-users")),
        ("partner.yaml", &runbook_record(REALM)),
    ])
}

/// Text without whitespace and miette's gutter, so that wrapped words (URLs) read whole.
fn unwrapped(text: &str) -> String {
    text.split_whitespace().filter(|w| *w != "│").collect()
}

fn assert_fails_writing_nothing(url: &str, workspace: &Workspace, expected: &[&str]) {
    let assert = export_at(url, workspace, &[]).code(1);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    for text in expected {
        assert!(
            unwrapped(&stderr).contains(&unwrapped(text)),
            "{text:?} not in:\n{stderr}"
        );
    }
    assert!(!out_dir(workspace).exists(), "{stderr}");
}

#[test]
fn an_empty_descriptor_is_an_error_naming_its_url_and_writes_nothing() {
    let kc = Live::start();
    kc.sim.set_faults(Faults {
        descriptor_fails: true,
        ..Faults::default()
    });
    let url = format!("{}/realms/{REALM}/protocol/saml/descriptor", kc.sim.url());
    assert_fails_writing_nothing(&kc.sim.url(), &mixed_workspace(), &[&url, "empty body"]);
}

#[test]
fn a_descriptor_that_is_not_xml_is_an_error_and_writes_nothing() {
    // A proxy's page in front of Keycloak.
    let server = WebServer::http();
    let path = format!("/realms/{REALM}/protocol/saml/descriptor");
    let mut page = Reply::ok("<html><body>Down for maintenance</body></html>");
    page.headers = vec![("Content-Type".into(), "text/html".into())];
    server.route(&path, vec![page]);
    let (url, descriptor) = (server.base.clone(), server.url(&path));
    assert_fails_writing_nothing(
        &url,
        &mixed_workspace(),
        &[&descriptor, "root element is html"],
    );
}

#[test]
fn an_unreachable_keycloak_is_an_error_and_writes_nothing() {
    // A port that was just free: nothing listens there.
    let url = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    assert_fails_writing_nothing(&url, &mixed_workspace(), &["cannot reach Keycloak", &url]);
}
