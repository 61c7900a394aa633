//! The signing-certificate rollover of issue 13, end to end, against any target: a realm with
//! three outbound federations goes stage → export (both certificates, schema-valid) → two
//! records updated → status shows one unconfirmed (exit 1) → promote refused → third record
//! updated → promote → the descriptor and `/keys` show the new signer → retire.
//!
//! Shared by tests/rollover.rs (realm file, kc-sim) and tests/real_keycloak/rollover.rs.

use std::path::Path;

use serde_json::Value;

use crate::common::{Workspace, assert_schema_valid, fedctl, runbook_record};

/// The partners: record name, partner, technical contact.
pub const PARTNERS: [(&str, &str, &str); 3] = [
    ("partner-a", "Partner A", "ops@a.example.org"),
    ("partner-b", "Partner B", "ops@b.example.org"),
    ("partner-c", "Partner C", "ops@c.example.org"),
];

/// How a scenario reaches its target.
pub struct Env<'a> {
    pub workspace: &'a Workspace,
    /// `--realm-file PATH` or `--url URL`.
    pub target: Vec<String>,
    /// Credentials in the environment (live targets).
    pub env: Vec<(String, String)>,
    /// The IdP descriptor partners are handed (Keycloak's, or generated for a realm file).
    pub descriptor: Box<dyn Fn() -> String + 'a>,
    /// The kid Keycloak signs with (`/keys` `active.RS256`).
    pub active_kid: Box<dyn Fn() -> String + 'a>,
    /// Everything fedctl printed, to check that no private key ever appears.
    pub transcript: std::cell::RefCell<String>,
    /// Runs right after promote, with the metadata handed out after stage (a sign-in check
    /// where the target can sign users in).
    pub after_promote: Box<dyn Fn(&Path) + 'a>,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Env<'_> {
    /// `fedctl <subcommand…> <target> federations <extra…>`.
    pub fn run(&self, subcommand: &[&str], extra: &[&str]) -> Run {
        let mut command = fedctl();
        command
            .current_dir(self.workspace.dir.path())
            .env_remove("KEYCLOAK_URL")
            .env_remove("KEYCLOAK_REALM")
            .env_remove("KEYCLOAK_CLIENT_ID")
            .env_remove("KEYCLOAK_CLIENT_SECRET")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .args(subcommand)
            .args(&self.target)
            .arg(self.workspace.records())
            .args(extra);
        let output = command.output().unwrap();
        let mut transcript = self.transcript.borrow_mut();
        transcript.push_str(&String::from_utf8_lossy(&output.stdout));
        transcript.push_str(&String::from_utf8_lossy(&output.stderr));
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    fn ok(&self, subcommand: &[&str], extra: &[&str]) -> Run {
        let run = self.run(subcommand, extra);
        assert_eq!(
            run.code, 0,
            "{subcommand:?} {extra:?}\n{}\n{}",
            run.stdout, run.stderr
        );
        run
    }

    fn status(&self) -> (i32, Value) {
        let run = self.run(&["rollover", "status"], &["--output", "json"]);
        let json = serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}\n{}", run.stdout, run.stderr));
        (run.code, json)
    }
}

/// An outbound SAML record of realm `realm` for one of [`PARTNERS`], stating `expiry`.
pub fn record(realm: &str, (name, partner, contact): (&str, &str, &str), expiry: &str) -> String {
    runbook_record(realm)
        .replace("Example Partner Organisation", partner)
        .replace("app.partner.example.org", &format!("{name}.example.org"))
        .replace("partner-example-users", &format!("{name}-users"))
        .replace("techsupport@partner.example.org", contact)
        .replace("\"2026-11-15\"", &format!("\"{expiry}\""))
        // Attributes every realm's user profile declares.
        .replace("[email, display_name, department]", "[email]")
}

pub fn write_records(workspace: &Workspace, realm: &str, expiries: [&str; 3]) {
    for (partner, expiry) in PARTNERS.into_iter().zip(expiries) {
        workspace.write_record(
            &format!("{}.yaml", partner.0),
            &record(realm, partner, expiry),
        );
    }
}

/// The KeyNames (kids) of a descriptor's signing keys, in order.
pub fn descriptor_kids(xml: &str) -> Vec<String> {
    xml.split("<ds:KeyName>")
        .skip(1)
        .filter_map(|s| s.split_once("</ds:KeyName>").map(|(kid, _)| kid.to_owned()))
        .collect()
}

/// Runs the whole rollover. The realm's current signer must expire on `old_expiry`; the
/// records start out stating it (every partner trusts the current certificate).
pub fn run(env: &Env<'_>, realm: &str, old_expiry: &str) {
    let old_kid = (env.active_kid)();
    write_records(env.workspace, realm, [old_expiry; 3]);
    let (code, status) = env.status();
    assert_eq!(
        code, 0,
        "before a rollover every partner trusts the signer: {status}"
    );

    // Off a terminal nothing changes without --yes.
    let refused = env.run(&["rollover", "stage"], &[]);
    assert_eq!(refused.code, 1);
    assert!(
        refused.stdout.contains("+ key provider fedctl-rollover"),
        "{}",
        refused.stdout
    );
    assert!(
        refused.stderr.contains("without --yes"),
        "{}",
        refused.stderr
    );
    assert_eq!(env.status().1["staged"], Value::Null);

    // Stage: a new key, published, not signing.
    let run = env.ok(&["rollover", "stage"], &["--yes"]);
    assert!(
        run.stdout.contains("+ key provider fedctl-rollover"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("privateKey"), "{}", run.stdout);
    assert_eq!((env.active_kid)(), old_kid, "a staged key does not sign");
    let again = env.ok(&["rollover", "stage"], &["--yes"]);
    assert!(again.stdout.contains("already staged"), "{}", again.stdout);
    let (code, status) = env.status();
    assert_eq!(code, 1, "{status}");
    let new_kid = status["staged"]["kid"].as_str().unwrap().to_owned();
    let new_expiry = status["new_expiry"].as_str().unwrap().to_owned();
    assert_ne!(new_expiry, old_expiry);
    assert_eq!(status["unconfirmed"], 3);

    // Hand out: both certificates in the metadata, the handoff says which signs.
    let descriptor = descriptor_kids(&(env.descriptor)());
    assert_eq!(descriptor[0], old_kid, "the signer first: {descriptor:?}");
    assert!(descriptor.contains(&new_kid), "{descriptor:?}");
    env.ok(&["export-metadata"], &["--out", "handoff"]);
    let out = env.workspace.dir.path().join("handoff");
    let xml_path = out.join("partner-a-idp-metadata.xml");
    let xml = std::fs::read_to_string(&xml_path).unwrap();
    assert_eq!(
        xml.matches("<ds:X509Certificate>").count(),
        descriptor.len()
    );
    assert!(descriptor_kids(&xml).contains(&new_kid));
    assert_schema_valid(&xml_path);
    let handoff: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("partner-a-handoff.json")).unwrap())
            .unwrap();
    let roles: Vec<(&str, &str)> = handoff["signing_certificates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["key_name"].as_str().unwrap(), c["role"].as_str().unwrap()))
        .collect();
    assert!(roles.contains(&(old_kid.as_str(), "current")), "{roles:?}");
    assert!(roles.contains(&(new_kid.as_str(), "next")), "{roles:?}");

    // Two partners confirm; the third does not yet.
    write_records(env.workspace, realm, [&new_expiry, &new_expiry, old_expiry]);
    let (code, status) = env.status();
    assert_eq!(code, 1, "{status}");
    assert_eq!(status["unconfirmed"], 1);
    let states: Vec<(&str, &str, &str)> = status["federations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["record"].as_str().unwrap(),
                f["state"].as_str().unwrap(),
                f["partner_technical"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        states,
        [
            ("partner-a", "confirmed", "ops@a.example.org"),
            ("partner-b", "confirmed", "ops@b.example.org"),
            ("partner-c", "unconfirmed", "ops@c.example.org"),
        ]
    );
    let refused = env.run(&["rollover", "promote"], &["--yes", "--adopt-keys"]);
    assert_eq!(refused.code, 1);
    assert!(
        refused.stderr.contains("promote refused") && refused.stderr.contains("partner-c"),
        "{}",
        refused.stderr
    );
    assert_eq!((env.active_kid)(), old_kid);

    // The third confirms: promote.
    write_records(env.workspace, realm, [new_expiry.as_str(); 3]);
    assert_eq!(env.status().0, 0);
    // The old signer is the realm's own key, not fedctl's: demoting it needs --adopt-keys.
    let refused = env.run(&["rollover", "promote"], &["--yes"]);
    assert_eq!(refused.code, 1);
    assert!(
        refused
            .stdout
            .contains("[not created by fedctl: --adopt-keys]"),
        "{}",
        refused.stdout
    );
    assert!(
        refused.stderr.contains("--adopt-keys"),
        "{}",
        refused.stderr
    );
    assert_eq!((env.active_kid)(), old_kid, "nothing changed");
    let run = env.ok(&["rollover", "promote"], &["--yes", "--adopt-keys"]);
    assert!(
        run.stdout.contains("active: false → true"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("active: true → false"),
        "{}",
        run.stdout
    );
    assert_eq!((env.active_kid)(), new_kid, "the new key signs");
    let descriptor = descriptor_kids(&(env.descriptor)());
    assert_eq!(descriptor[0], new_kid, "{descriptor:?}");
    assert!(
        descriptor.contains(&old_kid),
        "the old key stays published: {descriptor:?}"
    );
    (env.after_promote)(&xml_path);
    let again = env.ok(&["rollover", "promote"], &["--yes", "--adopt-keys"]);
    assert!(again.stdout.contains("already signs"), "{}", again.stdout);

    // A partner still stating the old date: certs says CRITICAL, retire is refused.
    write_records(
        env.workspace,
        realm,
        [new_expiry.as_str(), &new_expiry, old_expiry],
    );
    let certs = env.run(&["certs"], &["--output", "json"]);
    let report: Value = serde_json::from_str(&certs.stdout).unwrap();
    let mismatches = report["record_mismatches"].as_array().unwrap();
    assert_eq!(mismatches.len(), 1, "{report}");
    assert_eq!(mismatches[0]["federation"], "partner-c");
    assert_eq!(mismatches[0]["kind"], "old-certificate");
    assert_eq!(mismatches[0]["status"], "CRITICAL");
    assert_eq!(certs.code, 2);
    let refused = env.run(&["rollover", "retire"], &["--yes", "--adopt-keys"]);
    assert_eq!(refused.code, 1);
    assert!(
        refused.stderr.contains("retire refused"),
        "{}",
        refused.stderr
    );

    // Retire: disabled (no longer published), then removed.
    write_records(env.workspace, realm, [new_expiry.as_str(); 3]);
    let run = env.ok(&["rollover", "retire"], &["--yes", "--adopt-keys"]);
    assert!(
        run.stdout.contains("enabled: true → false"),
        "{}",
        run.stdout
    );
    assert!(!descriptor_kids(&(env.descriptor)()).contains(&old_kid));
    let run = env.ok(&["rollover", "retire"], &["--yes", "--adopt-keys"]);
    assert!(run.stdout.contains("  - key provider"), "{}", run.stdout);
    let run = env.ok(&["rollover", "retire"], &["--yes", "--adopt-keys"]);
    assert!(run.stdout.contains("nothing to retire"), "{}", run.stdout);
    assert_eq!((env.active_kid)(), new_kid);
    let (code, status) = env.status();
    assert_eq!(code, 0, "{status}");
    assert_eq!(status["retiring"], Value::Null);
}
