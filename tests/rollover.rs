//! `fedctl rollover`: the signing-certificate rollover end to end, on a realm file and on the
//! simulator (the real-Keycloak tier runs the same scenario: tests/real_keycloak/rollover.rs).

mod common;
#[path = "rollover/scenario.rs"]
mod scenario;

use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use common::Workspace;
use fedctl::keycloak::keys::KEY_PROVIDER_TYPE;
use scenario::Env;

const REALM: &str = "rollover";

/// The old signer's certificate runs out in 40 days: time to roll over.
fn old_not_after() -> OffsetDateTime {
    OffsetDateTime::now_utc() + Duration::days(40)
}

fn date(t: OffsetDateTime) -> String {
    t.date().to_string()
}

/// The signing key Keycloak would use in a realm file, by the same rule as the server.
fn realm_file_signer(workspace: &Workspace) -> String {
    let providers = fedctl::keycloak::key_providers::from_export(&workspace.realm_json()).unwrap();
    let signer = fedctl::target::key_providers::signer(&providers).unwrap();
    signer.kid.clone().unwrap()
}

#[test]
fn a_realm_file_rolls_over_its_signing_key() {
    let workspace = Workspace::new(&[]);
    scenario::write_records(&workspace, REALM, ["2030-01-01"; 3]);
    workspace.run("apply", &["--yes"]).success();
    // The realm's signing key, made ten years before it runs out in 40 days.
    let expires = old_not_after();
    let mut realm = workspace.realm_json();
    let made = expires - Duration::days(3650);
    let old = fedctl::keycloak::generated_keys::signing_key_provider(REALM, made).unwrap();
    let providers = realm["components"][KEY_PROVIDER_TYPE]
        .as_array_mut()
        .unwrap();
    let signing = providers
        .iter_mut()
        .find(|p| p["providerId"] == "rsa-generated")
        .unwrap();
    signing["config"]["privateKey"] = old["config"]["privateKey"].clone();
    signing["config"]["certificate"] = old["config"]["certificate"].clone();
    workspace.write_realm_json(&realm);
    let before = std::fs::read_to_string(workspace.realm_file()).unwrap();
    let private_key = old["config"]["privateKey"][0].as_str().unwrap().to_owned();

    let env = Env {
        workspace: &workspace,
        target: vec![
            "--realm-file".into(),
            workspace.realm_file().display().to_string(),
        ],
        env: Vec::new(),
        descriptor: Box::new(|| {
            let out = workspace.dir.path().join("descriptor");
            let run = env_run_export(&workspace, &out);
            assert!(
                run.status.success(),
                "{}",
                String::from_utf8_lossy(&run.stderr)
            );
            std::fs::read_to_string(out.join("partner-a-idp-metadata.xml")).unwrap()
        }),
        active_kid: Box::new(|| realm_file_signer(&workspace)),
        transcript: Default::default(),
        // Neither a realm file nor the simulator signs users in.
        after_promote: Box::new(|_| {}),
    };
    scenario::run(&env, REALM, &date(expires));

    // fedctl made the new private key; it is in the realm file and was never printed.
    let realm = workspace.realm_json();
    let keys = realm["components"][KEY_PROVIDER_TYPE].as_array().unwrap();
    let transcript = env.transcript.borrow();
    for key in keys {
        let private = key["config"]["privateKey"][0].as_str().unwrap();
        assert!(!transcript.contains(private), "{}", key["name"]);
        assert!(!transcript.contains(&private[..40]), "{}", key["name"]);
    }

    // The old key and its private key are gone; the file is still an export Keycloak reads.
    let after = std::fs::read_to_string(workspace.realm_file()).unwrap();
    assert!(before.contains(&private_key));
    assert!(!after.contains(&private_key));
    let providers = fedctl::keycloak::key_providers::from_export(&workspace.realm_json()).unwrap();
    let signing: Vec<_> = providers.iter().filter(|p| p.rs256_signing).collect();
    assert_eq!(signing.len(), 1, "{signing:?}");
    assert!(signing[0].name.starts_with("fedctl-rollover "));
}

fn env_run_export(workspace: &Workspace, out: &std::path::Path) -> std::process::Output {
    common::fedctl()
        .current_dir(workspace.dir.path())
        .args(["export-metadata", "--realm-file"])
        .arg(workspace.realm_file())
        .arg(workspace.records())
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
}

/// An admin of the simulator, reading what an operator would see.
struct Admin {
    url: String,
    runtime: tokio::runtime::Runtime,
    http: reqwest::Client,
}

impl Admin {
    fn get(&self, path: &str) -> Value {
        self.runtime.block_on(async {
            let token: Value = (self.http)
                .post(format!(
                    "{}/realms/master/protocol/openid-connect/token",
                    self.url
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
                .json()
                .await
                .unwrap();
            let token = token["access_token"].as_str().unwrap();
            let url = format!("{}{path}", self.url);
            let response = self.http.get(url).bearer_auth(token).send().await.unwrap();
            let text = response.text().await.unwrap();
            serde_json::from_str(&text).unwrap_or(json!(text))
        })
    }
}

#[test]
fn a_live_realm_rolls_over_its_signing_key_on_the_simulator() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let expires = old_not_after();
    let sim = kc_sim::Simulator::builder()
        .key_not_after(expires)
        .start()
        .unwrap();
    sim.add_realm(REALM);
    let workspace = Workspace::new(&[]);
    let admin = Admin {
        url: sim.url(),
        runtime: tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap(),
        http: reqwest::Client::new(),
    };
    let env = Env {
        workspace: &workspace,
        target: vec!["--url".into(), sim.url()],
        env: vec![
            ("KEYCLOAK_USER".into(), "admin".into()),
            ("KEYCLOAK_PASSWORD".into(), "admin".into()),
        ],
        descriptor: Box::new(|| {
            admin
                .get(&format!("/realms/{REALM}/protocol/saml/descriptor"))
                .as_str()
                .unwrap()
                .to_owned()
        }),
        active_kid: Box::new(|| {
            let keys = admin.get(&format!("/admin/realms/{REALM}/keys"));
            keys["active"]["RS256"].as_str().unwrap().to_owned()
        }),
        transcript: Default::default(),
        // Neither a realm file nor the simulator signs users in.
        after_promote: Box::new(|_| {}),
    };
    scenario::run(&env, REALM, &date(expires));
}
