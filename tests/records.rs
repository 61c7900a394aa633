//! Records end to end: the bundled examples, a corpus of malformed records (each with the
//! line, column and message it must be reported with), `fedctl validate` and `fedctl new` on
//! the command line, the loader's API, and no panic on mangled input.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use fedctl::record::LoadOptions;
use fedctl::record::{self, Context};
use predicates::prelude::*;
use serde_json::Value;
use time::macros::date;

fn here(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

fn args(paths: &[PathBuf]) -> LoadOptions {
    LoadOptions {
        paths: paths.to_vec(),
        attribute_profile: None,
    }
}

/// `fedctl` run from the crate root, so reported paths are relative and stable.
fn fedctl(args: &[&str]) -> assert_cmd::assert::Assert {
    Command::cargo_bin("fedctl")
        .unwrap()
        .current_dir(here(""))
        .env("NO_COLOR", "1")
        .args(args)
        .assert()
}

fn stdout_json(assert: &assert_cmd::assert::Assert) -> Value {
    serde_json::from_slice(&assert.get_output().stdout).unwrap()
}

// ---------------------------------------------------------------------------------------
// The malformed corpus

/// Every file in tests/records/malformed/ with the errors it must produce: line, column and a
/// piece of the message. A file reports exactly these errors (warnings aside), so an extra,
/// misleading error fails the test as much as a missing one.
/// Line, column and a piece of the message of one expected error.
type Expected = (usize, usize, &'static str);

const MALFORMED: &[(&str, &[Expected])] = &[
    ("01-unclosed-bracket", &[(16, 11, "invalid YAML")]),
    ("02-bad-indentation", &[(9, 4, "invalid YAML")]),
    ("03-tab-indentation", &[(9, 2, "tabs disallowed")]),
    (
        "04-duplicate-key",
        &[(4, 3, "`type` is set twice (first on line 3)")],
    ),
    (
        "05-misspelled-top-level",
        &[(1, 1, "unknown field `federaton`")],
    ),
    (
        "06-two-typos-and-a-bad-attribute",
        &[
            (9, 5, "unknown field `partner_acss`"),
            (13, 5, "unknown field `aprover`"),
            (15, 30, "`display_nam` is not in the attribute profile"),
        ],
    ),
    (
        "07-missing-access-control",
        &[(1, 1, "missing required field `access_control`")],
    ),
    (
        "08-missing-your-entity-id",
        &[(6, 3, "missing required field `your_entity_id`")],
    ),
    ("09-bad-type", &[(3, 9, "`sam1` is not one of saml, oidc")]),
    (
        "10-bad-direction",
        &[(4, 14, "`outbound` is not one of your-idp-to-partner-sp")],
    ),
    (
        "11-bad-review-frequency",
        &[(14, 23, "`biweekly` is not one of monthly, quarterly")],
    ),
    (
        "12-impossible-date",
        &[(5, 16, "`2024-02-30` is not a real date")],
    ),
    (
        "13-date-in-wrong-format",
        &[(10, 26, "`15.11.2026` is not a real date")],
    ),
    (
        "14-yes-is-not-a-boolean",
        &[(7, 22, "expected true or false, found `yes`")],
    ),
    (
        "15-list-for-a-string",
        &[(12, 12, "expected a text value, found a list")],
    ),
    ("16-empty-file", &[(1, 1, "the file is empty")]),
    (
        "17-root-is-a-list",
        &[(1, 1, "expected a mapping of fields, found a list")],
    ),
    (
        "18-oidc-field-in-saml-record",
        &[(7, 20, "`redirect_uris` is an OIDC field")],
    ),
    (
        "19-missing-acs",
        &[(6, 3, "missing `partner_acs`, required for outbound SAML")],
    ),
    ("20-http-acs", &[(9, 18, "must use https")]),
    (
        "21-relative-entity-id",
        &[(8, 24, "is not an absolute URL or URN")],
    ),
    (
        "22-entity-id-without-realm",
        &[(7, 21, "does not name a realm")],
    ),
    (
        "23-empty-group-path-segment",
        &[(12, 12, "a path segment is empty")],
    ),
    (
        "24-role-with-a-dot",
        &[(13, 11, "`app.access` is not a usable role name")],
    ),
    (
        "25-contact-is-not-an-address",
        &[(18, 21, "`IT Manager` is not an e-mail address")],
    ),
    (
        "26-unknown-attribute",
        &[(15, 30, "`fullname` is not in the attribute profile")],
    ),
    (
        "27-placeholder-left",
        &[(8, 24, "placeholder left in record")],
    ),
    (
        "28-private-key-jwt-without-jwks",
        &[(8, 18, "needs `jwks_url`")],
    ),
    (
        "29-inbound-saml-without-sso",
        &[(5, 3, "missing `partner_sso`, required for inbound SAML")],
    ),
    (
        "30-inbound-oidc-without-issuer",
        &[(5, 3, "missing `partner_issuer`")],
    ),
    (
        "31-custom-attribute-without-name",
        &[(17, 7, "a custom attribute needs a `name`")],
    ),
    (
        "32-unknown-attribute-source",
        &[(17, 17, "`atribute` is not one of the allowed forms")],
    ),
    (
        "33-metadata-entity-without-metadata",
        &[(7, 25, "`metadata_entity_id` needs `partner_metadata`")],
    ),
    (
        "34-public-client-authenticates",
        &[(9, 18, "a public client does not authenticate")],
    ),
    (
        "35-encryption-without-metadata",
        &[(7, 25, "encrypting assertions needs")],
    ),
    (
        "36-inbound-field-on-outbound",
        &[(
            7,
            18,
            "`partner_sso` applies to `direction: partner-idp-to-your-sp`",
        )],
    ),
    (
        "37-http-redirect-uri",
        &[(
            8,
            21,
            "`http://portal.partner.example.org/callback` must use https",
        )],
    ),
    ("38-two-documents", &[(20, 1, "several YAML documents")]),
    (
        "39-null-partner",
        &[(2, 3, "expected a text value, found nothing")],
    ),
    (
        "40-mapping-for-acs",
        &[(9, 5, "expected a single value or a list, found a mapping")],
    ),
    (
        "41-bad-idp-alias",
        &[(6, 16, "is not a usable identity provider alias")],
    ),
    ("42-empty-pilot-user", &[(11, 27, "empty username")]),
    (
        "43-unknown-name-id-format",
        &[(7, 21, "`emailAddress` is not one of email")],
    ),
];

#[test]
fn every_malformed_record_is_reported_at_its_line_and_column() {
    let dir = here("tests/records/malformed");
    let on_disk = fs::read_dir(&dir).unwrap().count();
    assert_eq!(
        on_disk,
        MALFORMED.len(),
        "every corpus file has an entry in MALFORMED"
    );
    assert!(MALFORMED.len() >= 25);
    let mut failures = Vec::new();
    for (name, expected) in MALFORMED {
        let path = dir.join(format!("{name}.yaml"));
        let validation = record::check_as_of(&args(&[path]), date!(2025 - 06 - 01));
        let errors: Vec<(usize, usize, &str)> = validation
            .problems
            .iter()
            .filter(|p| p.is_error())
            .map(|p| {
                let (line, column) = p.location.unwrap();
                (line, column, p.message.as_str())
            })
            .collect();
        let matches = errors.len() == expected.len()
            && expected
                .iter()
                .zip(&errors)
                .all(|((line, column, text), got)| {
                    (*line, *column) == (got.0, got.1) && got.2.contains(text)
                });
        if !matches {
            failures.push(format!("{name}: expected {expected:?}\n    got {errors:?}"));
        }
        // Every problem says what to do.
        assert!(
            validation.problems.iter().all(|p| p.help.is_some()),
            "{name}"
        );
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn validate_reports_every_file_and_exits_1() {
    let assert = fedctl(&["validate", "tests/records/malformed", "--output", "json"]).code(1);
    let report = stdout_json(&assert);
    assert_eq!(report["records"], MALFORMED.len());
    let files: std::collections::BTreeSet<&str> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["severity"] == "error")
        .map(|p| p["file"].as_str().unwrap())
        .collect();
    assert_eq!(files.len(), MALFORMED.len(), "an error in every file");
    for problem in report["problems"].as_array().unwrap() {
        for key in [
            "file", "line", "column", "field", "message", "help", "severity",
        ] {
            assert!(problem.get(key).is_some(), "{key} in {problem}");
        }
    }
}

#[test]
fn text_output_shows_the_snippet_field_and_help_without_colour() {
    let assert = fedctl(&[
        "validate",
        "tests/records/malformed/06-two-typos-and-a-bad-attribute.yaml",
    ])
    .code(1);
    let output = assert.get_output();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("unknown field `partner_acss`"), "{stderr}");
    assert!(
        stderr.contains("06-two-typos-and-a-bad-attribute.yaml:9:5"),
        "{stderr}"
    );
    assert!(
        stderr.contains("federation.technical.partner_acss"),
        "{stderr}"
    );
    assert!(stderr.contains("did you mean `partner_acs`?"), "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "NO_COLOR is respected");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.starts_with("1 record, 3 errors, "), "{stdout}");
}

// ---------------------------------------------------------------------------------------
// The examples

#[test]
fn the_bundled_examples_validate() {
    fedctl(&["validate", "federations"])
        .success()
        .stdout(predicate::str::starts_with("3 records, 0 errors"));
    fedctl(&[
        "validate",
        "--attribute-profile",
        "templates/attributes-oid.yaml",
        "federations",
    ])
    .success();
}

#[test]
fn the_runbook_record_is_the_example_verbatim() {
    let text = fs::read_to_string(here("federations/partner-example.yaml")).unwrap();
    let runbook = text.split_once('\n').unwrap().1;
    assert!(runbook.starts_with("federation:\n  partner: \"Example Partner Organisation\"\n"));
    assert!(runbook.ends_with("    your_technical: \"it@yourorg.example.org\"\n"));
    assert_eq!(runbook.lines().count(), 18);
}

#[test]
fn the_loader_api_gives_records_realms_and_field_positions() {
    let set = record::load(&args(&[here("federations")])).unwrap();
    let ids: Vec<&str> = set.records.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "partner-example",
            "partner-idp-example",
            "partner-oidc-example"
        ]
    );
    assert!(set.records.iter().all(|r| r.realm() == Some("your-realm")));
    let runbook = &set.records[0];
    let acs = runbook.span_of("federation.technical.partner_acs").unwrap();
    let text = fs::read_to_string(&runbook.path).unwrap();
    assert_eq!(
        &text[acs.offset()..acs.offset() + acs.len()],
        "\"https://app.partner.example.org/saml/acs\""
    );
    assert!(
        runbook
            .span_of("federation.technical.partner_slo")
            .is_none()
    );
    // Other stages report on record fields the same way validate does.
    let problem = runbook.problem(
        record::Finding::error(
            "federation.technical.partner_acs",
            "record value X disagrees with metadata value Y",
        )
        .with_help("fix the record or the metadata"),
    );
    assert_eq!(problem.location, Some((10, 18)));
    let rendered = format!("{:?}", miette::Report::new(problem));
    assert!(rendered.contains("disagrees with metadata"), "{rendered}");
}

#[test]
fn a_set_with_errors_fails_to_load_and_carries_every_problem() {
    let errors = record::load(&args(&[here("tests/records/malformed")])).unwrap_err();
    assert!(errors.errors() >= MALFORMED.len());
    let rendered = format!(
        "{:?}",
        miette::Report::new(fedctl::error::Error::from(errors))
    );
    assert!(rendered.contains("unknown field `federaton`"));
}

// ---------------------------------------------------------------------------------------
// Sets of records, paths, warnings

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, text).unwrap();
    path
}

fn runbook() -> String {
    fs::read_to_string(here("federations/partner-example.yaml")).unwrap()
}

#[test]
fn a_partner_in_two_records_is_reported_with_both_places() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.yaml", &runbook());
    write(
        dir.path(),
        "nested/b.yml",
        &runbook().replace("partner-example-users", "b-users"),
    );
    let validation = record::check_as_of(&args(&[dir.path().to_owned()]), date!(2025 - 06 - 01));
    assert_eq!(validation.errors(), 1);
    let problem = &validation.problems[0];
    assert!(problem.file.ends_with("nested/b.yml"));
    assert!(
        problem.message.contains("a.yaml:9:24 and "),
        "{}",
        problem.message
    );
    assert!(
        problem.message.contains("b.yml:9:24"),
        "{}",
        problem.message
    );
}

#[test]
fn a_missing_path_is_an_error_naming_it() {
    let assert = fedctl(&["validate", "no/such/dir", "--output", "json"]).code(1);
    let report = stdout_json(&assert);
    let problem = &report["problems"][0];
    assert_eq!(problem["file"], "no/such/dir");
    assert_eq!(problem["line"], Value::Null);
    assert!(problem["message"].as_str().unwrap().contains("cannot read"));
}

#[test]
fn a_file_that_is_not_utf8_is_reported_and_the_rest_still_checked() {
    let dir = tempfile::tempdir().unwrap();
    let latin1 = write(dir.path(), "latin1.yaml", "");
    fs::write(&latin1, b"federation:\n  partner: \"M\xfcller AG\"\n").unwrap();
    write(dir.path(), "ok.yaml", &runbook());
    let validation = record::check_as_of(&args(&[dir.path().to_owned()]), date!(2025 - 06 - 01));
    assert_eq!(
        (
            validation.files,
            validation.records.len(),
            validation.errors()
        ),
        (2, 1, 1)
    );
    let problem = &validation.problems[0];
    assert!(problem.file.ends_with("latin1.yaml"));
    assert_eq!(problem.help.as_deref(), Some("save the file as UTF-8"));
}

#[test]
fn warnings_alone_exit_0() {
    let dir = tempfile::tempdir().unwrap();
    let record = runbook().replace("2026-11-15", "2001-01-01");
    let path = write(dir.path(), "old-cert.yaml", &record);
    let assert = fedctl(&["validate", path.to_str().unwrap()]).success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    assert_eq!(stdout, "1 record, 0 errors, 1 warning\n");
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(stderr.contains("expired on 2001-01-01"), "{stderr}");
}

#[test]
fn a_bad_attribute_profile_is_reported_with_its_position() {
    let dir = tempfile::tempdir().unwrap();
    let profile = write(
        dir.path(),
        "profile.yaml",
        "attributes:\n  email:\n    source: { propery: email }\n    oidc: { claim: email }\n",
    );
    let assert = fedctl(&[
        "validate",
        "--output",
        "json",
        "--attribute-profile",
        profile.to_str().unwrap(),
        "federations",
    ])
    .code(1);
    let report = stdout_json(&assert);
    let problem = &report["problems"][0];
    assert_eq!(
        (problem["line"].as_u64(), problem["column"].as_u64()),
        (Some(3), Some(15))
    );
    assert_eq!(
        problem["message"],
        "`propery` is not one of the allowed forms"
    );
}

// ---------------------------------------------------------------------------------------
// fedctl new

/// What an admin does with a scaffold: fill in every placeholder.
fn filled_in(scaffold: &str) -> String {
    scaffold
        .replace("CHANGE-ME@", "it@")
        .replace("realms/CHANGE-ME", "realms/your-realm")
        .replace("CHANGE-ME", "acme")
}

#[test]
fn new_writes_every_kind_of_scaffold_which_validates_once_filled_in() {
    for (kind, inbound) in [
        ("saml", false),
        ("saml", true),
        ("oidc", false),
        ("oidc", true),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut command = vec![
            "new",
            kind,
            "--partner",
            "ACME Corp (EU)",
            "--dir",
            dir.path().to_str().unwrap(),
        ];
        if inbound {
            command.push("--inbound");
        }
        fedctl(&command).success().stdout(
            predicate::str::contains("acme-corp-eu.yaml")
                .and(predicate::str::contains("fedctl validate")),
        );
        let path = dir.path().join("acme-corp-eu.yaml");
        let scaffold = fs::read_to_string(&path).unwrap();
        assert!(
            scaffold.contains("partner: \"ACME Corp (EU)\""),
            "{scaffold}"
        );

        // As written, validate names every placeholder...
        let assert = fedctl(&["validate", "--output", "json", path.to_str().unwrap()]).code(1);
        let report = stdout_json(&assert);
        let problems = report["problems"].as_array().unwrap();
        assert!(!problems.is_empty());
        assert!(
            problems
                .iter()
                .all(|p| p["message"] == "placeholder left in record"),
            "{kind} inbound={inbound}: {problems:#?}"
        );
        // ...and once they are filled in, the record is valid.
        fs::write(&path, filled_in(&scaffold)).unwrap();
        fedctl(&["validate", path.to_str().unwrap()]).success();
    }
}

#[test]
fn new_refuses_to_overwrite_a_record() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "acme.yaml", "keep me");
    fedctl(&[
        "new",
        "oidc",
        "--partner",
        "Acme",
        "--dir",
        dir.path().to_str().unwrap(),
    ])
    .code(1)
    .stderr(predicate::str::contains("already exists"));
    assert_eq!(fs::read_to_string(path).unwrap(), "keep me");
}

#[test]
fn new_takes_the_realm_from_the_records_already_there() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "partner-example.yaml", &runbook());
    fedctl(&[
        "new",
        "saml",
        "--partner",
        "Globex",
        "--dir",
        dir.path().to_str().unwrap(),
    ])
    .success();
    let scaffold = fs::read_to_string(dir.path().join("globex.yaml")).unwrap();
    assert!(
        scaffold.contains("your_entity_id: \"https://idp.yourorg.example.org/realms/your-realm\"")
    );
}

#[test]
fn new_needs_a_name_it_can_make_a_file_name_of() {
    let dir = tempfile::tempdir().unwrap();
    fedctl(&[
        "new",
        "saml",
        "--partner",
        "!!!",
        "--dir",
        dir.path().to_str().unwrap(),
    ])
    .code(1);
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
}

// ---------------------------------------------------------------------------------------
// No panic, whatever the input

/// Mangles the examples one edit at a time (deleting a character, inserting YAML syntax) and
/// checks each result: problems are expected, panics are not, and every problem is located
/// inside the text.
#[test]
fn mangled_records_never_panic() {
    let profile = fedctl::record::profile::AttributeProfile::builtin();
    let context = Context {
        profile: Some(&profile),
        today: date!(2025 - 06 - 01),
    };
    let inserts = [
        "", ":", "- ", "[", "{", "\"", "'", "\t", "\n", "#", "&a ", "*a", "~", "ä", "<<: *a\n",
    ];
    let path = Path::new("mangled.yaml");
    let mut checked = 0;
    for example in [
        "partner-example",
        "partner-oidc-example",
        "partner-idp-example",
    ] {
        let text = fs::read_to_string(here(&format!("federations/{example}.yaml"))).unwrap();
        let boundaries: Vec<usize> = text.char_indices().map(|(i, _)| i).step_by(3).collect();
        for (n, &at) in boundaries.iter().enumerate() {
            let insert = inserts[n % inserts.len()];
            let next = text[at..].chars().next().map_or(at, |c| at + c.len_utf8());
            // Even positions delete a character and insert; odd positions only insert.
            let cut = if n % 2 == 0 { next } else { at };
            let mangled = format!("{}{insert}{}", &text[..at], &text[cut..]);
            let (_, problems) = record::check_text(path, mangled.clone(), &context);
            for problem in &problems {
                let (line, _) = problem.location.unwrap();
                assert!(line <= mangled.lines().count() + 1, "{problem:?}");
                let _ = format!("{:?}", miette::Report::new(problem.clone()));
            }
            checked += 1;
        }
    }
    assert!(checked > 300);
}
