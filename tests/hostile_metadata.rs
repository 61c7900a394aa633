//! Partner metadata written by someone hostile or careless, end to end through `validate`,
//! `plan` and `certs`: it is refused with a clear message, never crashes fedctl, and nothing
//! unsafe from it reaches Keycloak or the screen.

mod common;

use common::{Workspace, fedctl, fixture_realm, metadata_record};

const REALM_FIXTURE: &str = "keycloak/kc26.5.5-saml-test-yo1000.json";
const PARTNER: &str = "https://sp.partner.example.org";

/// An SP entity with `entity_attrs` on its `EntityDescriptor` and `inner` inside its
/// `SPSSODescriptor`.
fn sp_metadata(entity_attrs: &str, inner: &str) -> String {
    format!(
        r#"<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{PARTNER}" {entity_attrs}>
  <md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    {inner}
  </md:SPSSODescriptor>
</md:EntityDescriptor>
"#
    )
}

fn acs(location: &str) -> String {
    format!(
        r#"<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="{location}" index="0"/>"#
    )
}

/// A workspace whose one record takes its SP settings from `metadata.xml` holding `metadata`.
fn workspace_with_metadata(metadata: &str) -> Workspace {
    let realm = fixture_realm(REALM_FIXTURE);
    let workspace = Workspace::new(&[]);
    let path = workspace.dir.path().join("metadata.xml");
    std::fs::write(&path, metadata).unwrap();
    workspace.write_record(
        "sp.yaml",
        &metadata_record(&realm, PARTNER, &path.display().to_string(), ""),
    );
    workspace.use_realm_fixture(REALM_FIXTURE);
    workspace
}

/// `fedctl validate federations` or `fedctl plan --realm-file realm.json federations` in the
/// workspace: (exit code, stdout, stderr).
fn run(workspace: &Workspace, subcommand: &str) -> (i32, String, String) {
    let output = match subcommand {
        "validate" => fedctl()
            .current_dir(workspace.dir.path())
            .args(["validate", "federations"])
            .output()
            .unwrap(),
        _ => workspace.run(subcommand, &[]).get_output().clone(),
    };
    outcome(&output)
}

/// `fedctl certs --metadata metadata.xml <extra…>` in the workspace.
fn certs_of_metadata(workspace: &Workspace, extra: &[&str]) -> (i32, String, String) {
    let output = fedctl()
        .current_dir(workspace.dir.path())
        .args(["certs", "--metadata", "metadata.xml"])
        .args(extra)
        .output()
        .unwrap();
    outcome(&output)
}

/// A diagnostic as one line: the renderer wraps long messages in a frame.
fn unwrapped(stderr: &str) -> String {
    let words: Vec<&str> = stderr.split_whitespace().filter(|w| *w != "│").collect();
    words.join(" ")
}

fn outcome(output: &std::process::Output) -> (i32, String, String) {
    (
        output.status.code().expect("exit code, not a signal"),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn deeply_nested_metadata_is_a_clear_error_not_a_crash() {
    let depth = 60_000;
    let nested = format!(
        r#"<md:Extensions xmlns:x="urn:example:x">{}{}</md:Extensions>"#,
        "<x:a>".repeat(depth),
        "</x:a>".repeat(depth)
    );
    let workspace = workspace_with_metadata(&sp_metadata("", &nested));
    for subcommand in ["validate", "plan"] {
        let (code, stdout, stderr) = run(&workspace, subcommand);
        assert_ne!(code, 0, "{subcommand}: {stdout}");
        assert!(
            stderr.contains("nested deeper than 256 levels"),
            "{subcommand}: {stderr}"
        );
    }
    let (code, stdout, stderr) = certs_of_metadata(&workspace, &[]);
    assert_eq!(code, 3, "{stdout}{stderr}");
    assert!(
        stdout.contains("nested deeper than 256 levels"),
        "{stdout}{stderr}"
    );
}

#[test]
fn an_unreadable_valid_until_refuses_the_metadata_like_an_expired_one() {
    let acs = acs(&format!("{PARTNER}/acs"));
    for value in [
        "yesterday",
        "99999-01-01T00:00:00Z",
        "2030-01-01T00:00:00+25:00",
    ] {
        let attrs = format!(r#"validUntil="{value}""#);
        let workspace = workspace_with_metadata(&sp_metadata(&attrs, &acs));
        let (code, stdout, stderr) = run(&workspace, "plan");
        assert_ne!(code, 0, "{value}: {stdout}");
        assert!(stderr.contains("invalid validUntil"), "{value}: {stderr}");
        assert!(!stdout.contains(PARTNER), "{value}: {stdout}");
    }
}

#[test]
fn unsafe_endpoint_locations_refuse_the_metadata_at_their_line() {
    let slo = |location: &str| {
        format!(
            r#"<md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="{location}"/>"#
        )
    };
    let good_acs = acs(&format!("{PARTNER}/acs"));
    for (inner, location, problem) in [
        (
            acs("javascript:alert(1)"),
            "javascript:alert(1)",
            "must use https",
        ),
        (
            acs("data:text/html,x"),
            "data:text/html,x",
            "must use https",
        ),
        (
            acs("http://sp.partner.example.org/acs"),
            "http://sp.partner.example.org/acs",
            "must use https",
        ),
        (acs("/acs"), "/acs", "is not an absolute URL"),
        (
            format!(
                "{}\n    {good_acs}",
                slo("http://sp.partner.example.org/slo")
            ),
            "http://sp.partner.example.org/slo",
            "must use https",
        ),
    ] {
        let workspace = workspace_with_metadata(&sp_metadata("", &inner));
        for subcommand in ["validate", "plan"] {
            let (code, stdout, stderr) = run(&workspace, subcommand);
            assert_ne!(code, 0, "{location}: {stdout}");
            let stderr = unwrapped(&stderr);
            // The endpoint is the first element inside the SPSSODescriptor, on line 4.
            assert!(
                stderr.contains("line 4, column 5: "),
                "{location}: {stderr}"
            );
            assert!(
                stderr.contains(&format!("Location {location:?} {problem}")),
                "{location}: {stderr}"
            );
        }
    }
    // Plain http to this machine is allowed, as in records.
    let local = workspace_with_metadata(&sp_metadata("", &acs("http://localhost:8080/acs")));
    let (code, stdout, stderr) = run(&local, "plan");
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("http://localhost:8080/acs"), "{stdout}");
}

#[test]
fn credentials_in_a_metadata_url_are_never_printed() {
    let realm = fixture_realm(REALM_FIXTURE);
    let url = "https://fetcher:s3cret@md.example.org:99999/sp.xml";
    let workspace = Workspace::new(&[("sp.yaml", &metadata_record(&realm, PARTNER, url, ""))]);
    workspace.use_realm_fixture(REALM_FIXTURE);
    let (code, stdout, stderr) = run(&workspace, "validate");
    assert_ne!(code, 0, "{stdout}");
    assert!(
        stderr.contains("carries a user name or password"),
        "{stderr}"
    );
    assert!(
        !format!("{stdout}{stderr}").contains("s3cret"),
        "{stdout}{stderr}"
    );
    // Without records (their own refusal is above): only the argument is checked.
    for output in ["text", "json", "prometheus"] {
        let output = fedctl()
            .current_dir(workspace.records())
            .args(["certs", "--metadata", url, "--output", output])
            .output()
            .unwrap();
        let (code, stdout, stderr) = outcome(&output);
        assert_eq!(code, 3, "{stdout}{stderr}");
        assert!(stdout.contains("md.example.org"), "{stdout}");
        assert!(
            !format!("{stdout}{stderr}").contains("s3cret"),
            "{stdout}{stderr}"
        );
    }
}
