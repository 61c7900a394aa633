//! Inbound federations against the simulator (the admin API target): a SAML and an OIDC
//! partner IdP are created with their mappers, the OIDC client secret reaches Keycloak but
//! no output, a second run finds nothing to do, drift is corrected and prune removes them.

mod common;
#[path = "common/web_server.rs"]
mod web_server;

use std::process::Command;

use assert_cmd::assert::OutputAssertExt;
use common::Workspace;
use kc_sim::Simulator;
use predicates::prelude::*;
use serde_json::{Value, json};
use web_server::{Reply, WebServer};

const REALM: &str = "your-realm";
const PASSWORD: &str = "Adm1n-pa55word";
const SECRET: &str = "partner-issued-s3cr3t-77";

fn saml_record() -> String {
    format!(
        r#"federation:
  partner: "SAML University"
  type: saml
  direction: partner-idp-to-your-sp
  technical:
    your_entity_id: "https://idp.yourorg.example.org/realms/{REALM}"
    partner_entity_id: "https://idp.saml-university.example.edu/idp"
    partner_sso: "https://idp.saml-university.example.edu/sso"
    partner_signing_cert: "saml-university.pem"
  access_control:
    group: "saml-university-users"
    approver: "Head of Research IT"
    review_frequency: annual
  attributes_shared: [email, given_name]
"#
    )
}

fn oidc_record(issuer: &str) -> String {
    format!(
        r#"federation:
  partner: "OIDC University"
  type: oidc
  direction: partner-idp-to-your-sp
  technical:
    your_entity_id: "https://idp.yourorg.example.org/realms/{REALM}"
    partner_issuer: "{issuer}"
    client_id: "yourorg-broker"
    first_sign_in: link-existing
  access_control:
    group: "oidc-university-users"
    approver: "Head of Research IT"
    review_frequency: annual
  attributes_shared: [email]
"#
    )
}

struct Setup {
    sim: Simulator,
    workspace: Workspace,
    ca: std::path::PathBuf,
    discovery: WebServer,
}

fn setup() -> Setup {
    let sim = Simulator::builder()
        .admin_credentials("admin", PASSWORD)
        .start()
        .expect("simulator starts");
    sim.add_realm(REALM);
    let discovery = WebServer::https();
    let issuer = discovery.url("/partner");
    discovery.route(
        "/partner/.well-known/openid-configuration",
        vec![Reply::ok(
            json!({
                "issuer": issuer,
                "authorization_endpoint": format!("{issuer}/auth"),
                "token_endpoint": format!("{issuer}/token"),
                "jwks_uri": format!("{issuer}/jwks"),
            })
            .to_string(),
        )],
    );
    let workspace = Workspace::new(&[
        ("saml-university.yaml", &saml_record()),
        ("oidc-university.yaml", &oidc_record(&issuer)),
    ]);
    let pem = rcgen::generate_simple_self_signed(vec!["idp.saml-university.example.edu".into()])
        .unwrap()
        .cert
        .pem();
    std::fs::write(workspace.records().join("saml-university.pem"), pem).unwrap();
    workspace.inbound_secret_file("oidc-university", &format!("{SECRET}\n"));
    let ca = workspace.dir.path().join("ca.pem");
    std::fs::write(&ca, &discovery.ca_pem).unwrap();
    Setup {
        sim,
        workspace,
        ca,
        discovery,
    }
}

impl Setup {
    fn fedctl(&self, subcommand: &str, extra: &[&str]) -> assert_cmd::assert::Assert {
        let mut command = Command::new(assert_cmd::cargo::cargo_bin("fedctl"));
        command
            .env("NO_COLOR", "1")
            .env_remove("KEYCLOAK_URL")
            .env_remove("FEDCTL_CONFIG")
            .current_dir(self.workspace.dir.path())
            .env("KEYCLOAK_USER", "admin")
            .env("KEYCLOAK_PASSWORD", PASSWORD)
            .env_remove("KEYCLOAK_CLIENT_ID")
            .env_remove("KEYCLOAK_CLIENT_SECRET")
            .env_remove("KEYCLOAK_REALM")
            .arg(subcommand)
            .arg("--url")
            .arg(self.sim.url())
            .arg("--ca-cert")
            .arg(&self.ca)
            .arg(self.workspace.records())
            .args(extra);
        command.assert()
    }

    fn idp(&self, alias: &str) -> Option<Value> {
        self.sim
            .with_realm(REALM, |realm| {
                realm
                    .idps
                    .get(alias)
                    .map(|idp| Value::Object(idp.rep.clone()))
            })
            .flatten()
    }

    fn mappers(&self, alias: &str) -> Vec<String> {
        let mut names = self
            .sim
            .with_realm(REALM, |realm| {
                realm
                    .idp_mappers
                    .values()
                    .filter(|m| {
                        m.get("identityProviderAlias").and_then(Value::as_str) == Some(alias)
                    })
                    .filter_map(|m| m.get("name").and_then(Value::as_str).map(str::to_owned))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        names.sort();
        names
    }
}

#[test]
fn partner_idps_are_created_converge_drift_back_and_are_pruned() {
    let setup = setup();
    let never = || predicate::str::contains(SECRET).not();
    setup
        .fedctl("apply", &["--yes", "-vvv"])
        .success()
        .stdout(never().and(predicate::str::contains("(secret, set)")))
        .stderr(never());
    let saml = setup.idp("saml-university").expect("SAML provider created");
    assert_eq!(saml["config"]["validateSignature"], "true");
    assert_eq!(
        setup.mappers("saml-university"),
        ["access-group", "email", "given_name"]
    );
    let oidc = setup.idp("oidc-university").expect("OIDC provider created");
    assert_eq!(oidc["config"]["clientSecret"], SECRET);
    assert_eq!(oidc["linkOnly"], true);
    assert_eq!(setup.mappers("oidc-university"), ["access-group", "email"]);

    setup
        .fedctl("plan", &["--detailed-exitcode"])
        .code(0)
        .stdout(predicate::str::contains("No changes"));

    // Credentials that may read but not export the realm see the same providers, by parts.
    setup.sim.add_service_account_client(
        REALM,
        "fedctl-reader",
        "reader-secret",
        &[
            "view-realm",
            "view-clients",
            "query-groups",
            "view-users",
            "view-identity-providers",
        ],
    );
    common::fedctl()
        .current_dir(setup.workspace.dir.path())
        .env("KEYCLOAK_CLIENT_ID", "fedctl-reader")
        .env("KEYCLOAK_CLIENT_SECRET", "reader-secret")
        .env("KEYCLOAK_AUTH_REALM", REALM)
        .env_remove("KEYCLOAK_USER")
        .env_remove("KEYCLOAK_PASSWORD")
        .env_remove("FEDCTL_CONFIG")
        .args(["plan", "--detailed-exitcode", "--url", &setup.sim.url()])
        .arg("--ca-cert")
        .arg(&setup.ca)
        .arg(setup.workspace.records())
        .assert()
        .code(0);

    setup.sim.with_realm(REALM, |realm| {
        let rep = &mut realm.idps.get_mut("oidc-university").unwrap().rep;
        rep["config"]["clientId"] = json!("someone-else");
    });
    setup
        .fedctl("plan", &["--detailed-exitcode"])
        .code(2)
        .stdout(predicate::str::contains("someone-else").and(never()));
    // The update reads the provider (secret masked) and writes it back: even at the most
    // verbose level, the secret shows nowhere.
    setup
        .fedctl("apply", &["--yes", "-vvv"])
        .success()
        .stdout(never())
        .stderr(never());
    assert_eq!(
        setup.idp("oidc-university").unwrap()["config"]["clientId"],
        "yourorg-broker"
    );
    // The stored secret survived the update (written back masked, kept by Keycloak).
    assert_eq!(
        setup.idp("oidc-university").unwrap()["config"]["clientSecret"],
        SECRET
    );

    setup.workspace.remove_record("oidc-university.yaml");
    setup.fedctl("apply", &["--yes", "--prune"]).success();
    assert!(setup.idp("oidc-university").is_none());
    assert!(setup.mappers("oidc-university").is_empty());
    assert!(setup.idp("saml-university").is_some());
}

/// The inbound examples (federations/partner-idp-example.yaml with its certificate, and
/// examples/inbound-oidc with its fedctl.yaml), the issuer pointed at a local server.
fn inbound_examples(issuer: &str) -> Workspace {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = |path: &str| std::fs::read_to_string(root.join(path)).unwrap();
    let oidc = read("examples/inbound-oidc/federations/partner-oidc-idp-example.yaml")
        .replace("https://login.institute.example.org/realms/staff", issuer);
    let workspace = Workspace::new(&[
        (
            "partner-idp-example.yaml",
            &read("federations/partner-idp-example.yaml"),
        ),
        (
            "partner-idp-example-signing.pem",
            &read("federations/partner-idp-example-signing.pem"),
        ),
        ("partner-oidc-idp-example.yaml", &oidc),
    ]);
    std::fs::write(
        workspace.dir.path().join("fedctl.yaml"),
        read("examples/inbound-oidc/fedctl.yaml"),
    )
    .unwrap();
    workspace
}

#[test]
fn the_inbound_examples_apply_and_converge_on_both_targets() {
    let setup = setup();
    let issuer = setup.discovery.url("/partner");
    let examples = inbound_examples(&issuer);
    let run = |target: &[&str], subcommand: &str, extra: &[&str]| {
        let mut command = common::fedctl();
        command
            .current_dir(examples.dir.path())
            .env("KEYCLOAK_USER", "admin")
            .env("KEYCLOAK_PASSWORD", PASSWORD)
            .env("PARTNER_INSTITUTE_CLIENT_SECRET", SECRET)
            .env_remove("FEDCTL_CONFIG")
            .arg(subcommand)
            .args(target)
            .arg("--ca-cert")
            .arg(&setup.ca)
            .arg(examples.records())
            .args(extra);
        command.assert()
    };
    let realm_file = examples.realm_file();
    let sim_url = setup.sim.url();
    for target in [
        vec!["--realm-file", realm_file.to_str().unwrap()],
        vec!["--url", sim_url.as_str()],
    ] {
        run(&target, "apply", &["--yes"])
            .success()
            .stdout(predicate::str::contains(
                "identity provider partner-university",
            ))
            .stdout(predicate::str::contains(
                "identity provider partner-institute",
            ));
        run(&target, "plan", &["--detailed-exitcode"])
            .code(0)
            .stdout(predicate::str::contains("No changes"));
    }
    assert!(setup.idp("partner-university").is_some());
    assert_eq!(
        setup.idp("partner-institute").unwrap()["config"]["clientSecret"],
        SECRET
    );
}
