//! Helpers shared by the integration tests.
#![allow(dead_code)] // each test binary uses its own subset

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// A fixture from tests/fixtures (real data copied byte for byte; origins in its SOURCES.txt files).
pub fn fixture(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(relative)
}

pub fn fedctl() -> Command {
    let mut command = Command::cargo_bin("fedctl").expect("fedctl binary is built");
    command.env("NO_COLOR", "1").env_remove("KEYCLOAK_URL");
    command
}

/// An outbound SAML record onboarded from partner metadata at `location` (a path or a URL);
/// `extra` lines go under `technical:`. Records for different entities get different groups.
pub fn metadata_record(realm: &str, entity_id: &str, location: &str, extra: &str) -> String {
    format!(
        r#"federation:
  partner: "SP Example"
  type: saml
  direction: your-idp-to-partner-sp
  technical:
    your_entity_id: "https://idp.yourorg.example.org/realms/{realm}"
    partner_entity_id: "{entity_id}"
    partner_metadata: "{location}"
{extra}  access_control:
    group: "sp-users-{group}"
    approver: "IT Manager"
    review_frequency: quarterly
  attributes_shared: [email]
"#,
        group = entity_id.len()
    )
}

/// The runbook record of design §2, verbatim, for a given realm.
pub fn runbook_record(realm: &str) -> String {
    format!(
        r#"federation:
  partner: "Example Partner Organisation"
  type: "saml"                          # saml | oidc
  direction: "your-idp-to-partner-sp"   # your-idp-to-partner-sp | partner-idp-to-your-sp
  established: "2024-11-15"
  technical:
    your_entity_id: "https://idp.yourorg.example.org/realms/{realm}"
    partner_entity_id: "https://app.partner.example.org"
    partner_acs: "https://app.partner.example.org/saml/acs"
    signing_cert_expiry: "2026-11-15"
  access_control:
    group: "partner-example-users"
    approver: "IT Manager"
    review_frequency: "quarterly"       # monthly | quarterly | semiannual | annual
  attributes_shared: [email, display_name, department]
  contacts:
    partner_technical: "techsupport@partner.example.org"
    your_technical: "it@yourorg.example.org"
"#
    )
}

/// An outbound OIDC record.
pub fn oidc_record(realm: &str, client_id: &str, group: &str) -> String {
    format!(
        r#"federation:
  partner: "OIDC Partner"
  type: oidc
  direction: your-idp-to-partner-sp
  technical:
    your_entity_id: "https://idp.yourorg.example.org/realms/{realm}"
    client_id: "{client_id}"
    redirect_uris: ["https://oidc.partner.example.org/callback"]
  access_control:
    group: "{group}"
    approver: "IT Manager"
    review_frequency: annual
  attributes_shared: [email]
"#
    )
}

/// A directory with the given records (file name → content) and a realm file path beside it.
pub struct Workspace {
    pub dir: tempfile::TempDir,
}

impl Workspace {
    pub fn new(records: &[(&str, &str)]) -> Workspace {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(dir.path().join("federations")).unwrap();
        let workspace = Workspace { dir };
        for (name, content) in records {
            workspace.write_record(name, content);
        }
        workspace
    }

    pub fn write_record(&self, name: &str, content: &str) {
        std::fs::write(self.records().join(name), content).unwrap();
    }

    /// Writes `secret` to a 0600 file beside the records and names it in fedctl.yaml as the
    /// client secret of inbound record `record`.
    pub fn inbound_secret_file(&self, record: &str, secret: &str) {
        let file = self.dir.path().join(format!("{record}.secret"));
        std::fs::write(&file, secret).unwrap();
        std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .unwrap();
        std::fs::write(
            self.dir.path().join("fedctl.yaml"),
            format!("inbound_secrets:\n  {record}: {{ file: {record}.secret }}\n"),
        )
        .unwrap();
    }

    pub fn remove_record(&self, name: &str) {
        std::fs::remove_file(self.records().join(name)).unwrap();
    }

    pub fn records(&self) -> PathBuf {
        self.dir.path().join("federations")
    }

    pub fn realm_file(&self) -> PathBuf {
        self.dir.path().join("realm.json")
    }

    /// Copies a shared realm fixture in as this workspace's realm file (tests need a
    /// writable copy; the fixture itself stays untouched).
    pub fn use_realm_fixture(&self, relative: &str) {
        std::fs::copy(fixture(relative), self.realm_file()).unwrap();
    }

    pub fn realm_json(&self) -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(self.realm_file()).unwrap()).unwrap()
    }

    pub fn write_realm_json(&self, value: &serde_json::Value) {
        std::fs::write(
            self.realm_file(),
            serde_json::to_string_pretty(value).unwrap(),
        )
        .unwrap();
    }

    /// `fedctl <subcommand> --url URL federations/ <extra…>` in the workspace, signed in as
    /// the admin user `user` (and no other credentials from the environment).
    pub fn run_live(
        &self,
        url: &str,
        admin: (&str, &str),
        subcommand: &str,
        extra: &[&str],
    ) -> assert_cmd::assert::Assert {
        self.run_live_with_env(url, admin, subcommand, extra, &[])
    }

    /// [`Workspace::run_live`] with more environment variables (test users' passwords).
    pub fn run_live_with_env(
        &self,
        url: &str,
        (user, password): (&str, &str),
        subcommand: &str,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> assert_cmd::assert::Assert {
        let mut command = fedctl();
        command
            .envs(env.iter().copied())
            .current_dir(self.dir.path())
            .env("KEYCLOAK_USER", user)
            .env("KEYCLOAK_PASSWORD", password)
            .env_remove("KEYCLOAK_CLIENT_ID")
            .env_remove("KEYCLOAK_CLIENT_SECRET")
            .env_remove("KEYCLOAK_REALM")
            .arg(subcommand)
            .arg("--url")
            .arg(url)
            .arg(self.records())
            .args(extra);
        command.assert()
    }

    /// `fedctl <subcommand> --realm-file realm.json federations/ <extra…>`
    pub fn run(&self, subcommand: &str, extra: &[&str]) -> assert_cmd::assert::Assert {
        let mut command = fedctl();
        command
            .current_dir(self.dir.path())
            .arg(subcommand)
            .arg("--realm-file")
            .arg(self.realm_file())
            .arg(self.records())
            .args(extra);
        command.assert()
    }
}

/// The realm name stored in a realm export fixture.
pub fn fixture_realm(relative: &str) -> String {
    let text = std::fs::read_to_string(fixture(relative)).unwrap();
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    value["realm"].as_str().unwrap().to_owned()
}

/// Every realm export among the fixtures.
pub fn realm_fixtures() -> Vec<String> {
    let dir = fixture("keycloak");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json") && !n.starts_with("client-descriptions"))
        .map(|n| format!("keycloak/{n}"))
        .collect();
    names.sort();
    assert!(
        names.len() >= 10,
        "expected the realm fixtures, found {names:?}"
    );
    names
}

/// True when every field of `original` is present, unchanged, in `written` (arrays may have
/// grown at the end; objects may have gained keys). Returns the first difference.
pub fn preserved(
    original: &serde_json::Value,
    written: &serde_json::Value,
    path: &str,
) -> Result<(), String> {
    use serde_json::Value;
    match (original, written) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, value) in a {
                let child = format!("{path}/{key}");
                let other = b.get(key).ok_or_else(|| format!("{child} was removed"))?;
                preserved(value, other, &child)?;
            }
            Ok(())
        }
        (Value::Array(a), Value::Array(b)) => {
            if b.len() < a.len() {
                return Err(format!("{path} lost elements ({} → {})", a.len(), b.len()));
            }
            a.iter()
                .zip(b)
                .enumerate()
                .try_for_each(|(i, (x, y))| preserved(x, y, &format!("{path}/{i}")))
        }
        (a, b) if a == b => Ok(()),
        (a, b) => Err(format!("{path} changed from {a} to {b}")),
    }
}

/// Validates a metadata file against the OASIS schema with the shared catalog (offline).
pub fn assert_schema_valid(file: &Path) {
    let xsd = fixture("saml-metadata/xsd");
    let output = std::process::Command::new("xmllint")
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
