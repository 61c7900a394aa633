//! `fedctl certs` end to end: certificates from realm exports, clients, identity providers,
//! metadata and records; every exit code; text and JSON output.

mod common;
#[path = "certs/support.rs"]
mod support;

use common::{Workspace, fixture, realm_fixtures};
use serde_json::Value;
use support::*;

// ---------------------------------------------------------------- sources

#[test]
fn client_and_identity_provider_certificates_are_judged_at_their_expiry() {
    let workspace = workspace(
        &[
            ("outbound.yaml", &outbound_record(REALM_SIGNING_EXPIRY)),
            ("inbound.yaml", &inbound_record("")),
        ],
        vec![saml_client(
            OUTBOUND_CLIENT,
            Some(&cert_b64("sp-signing", 20)),
            Some(&cert_b64("sp-encryption", 90)),
        )],
        vec![saml_idp(
            "partner-idp",
            &[cert_b64("idp-old", -30), cert_b64("idp-new", 3)],
        )],
    );
    let run = certs(&workspace, &["--output", "json"]);
    let report = run.json();
    assert_eq!(
        statuses(&report, "saml-client"),
        [
            ("outbound".into(), "OK".into(), 90),
            ("outbound".into(), "WARNING".into(), 20)
        ]
    );
    // Both comma-separated certificates of the identity provider, each on its own.
    assert_eq!(
        statuses(&report, "identity-provider"),
        [
            ("inbound".into(), "CRITICAL".into(), 3),
            ("inbound".into(), "EXPIRED".into(), -30)
        ]
    );
    let usages: Vec<&str> = from_source(&report, "saml-client")
        .iter()
        .map(|c| c["usage"].as_str().unwrap())
        .collect();
    assert!(usages.contains(&"signing") && usages.contains(&"encryption"));
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert_eq!(report["status"], "CRITICAL");
    assert_eq!(report["exit_code"], 2);
}

#[test]
fn realm_keys_are_reported_for_every_federation() {
    let workspace = workspace(
        &[
            ("outbound.yaml", &outbound_record(REALM_SIGNING_EXPIRY)),
            ("inbound.yaml", &inbound_record("")),
        ],
        vec![],
        vec![],
    );
    let report = certs(&workspace, &["--output", "json"]).json();
    let keys = from_source(&report, "realm-key");
    // Two key providers with certificates (rsa-generated, rsa-enc-generated), two federations.
    assert_eq!(keys.len(), 4);
    for federation in ["outbound", "inbound"] {
        let mine: Vec<_> = keys
            .iter()
            .filter(|k| k["federation"] == federation)
            .collect();
        assert_eq!(mine.len(), 2, "{federation}");
        assert!(mine.iter().all(|k| k["subject_cn"] == "saml-test"));
        assert!(
            mine.iter()
                .all(|k| k["not_after"] == "2036-04-20T12:17:00Z")
        );
    }
}

#[test]
fn certificates_keycloak_does_not_use_are_not_checked() {
    let mut client = saml_client(OUTBOUND_CLIENT, Some(&cert_b64("unused", -10)), None);
    client["attributes"]["saml.client.signature"] = "false".into();
    let mut idp = saml_idp("partner-idp", &[cert_b64("unused", -10)]);
    idp["config"]["validateSignature"] = "false".into();
    let workspace = workspace(
        &[
            ("outbound.yaml", &outbound_record(REALM_SIGNING_EXPIRY)),
            ("inbound.yaml", &inbound_record("")),
        ],
        vec![client],
        vec![idp],
    );
    let run = certs(&workspace, &["--output", "json"]);
    let report = run.json();
    assert!(from_source(&report, "saml-client").is_empty());
    assert!(from_source(&report, "identity-provider").is_empty());
    assert!(from_source(&report, "record").is_empty());
    assert_eq!(run.code, 0, "{}", run.stdout);
}

#[test]
fn only_the_clients_the_records_manage_are_checked() {
    let workspace = workspace(
        &[("outbound.yaml", &outbound_record(REALM_SIGNING_EXPIRY))],
        vec![
            saml_client(OUTBOUND_CLIENT, Some(&cert_b64("managed", 90)), None),
            saml_client(
                "https://someone-else.example.org",
                Some(&cert_b64("other", -1)),
                None,
            ),
        ],
        vec![],
    );
    let run = certs(&workspace, &["--output", "json"]);
    let clients = from_source(&run.json(), "saml-client")
        .iter()
        .map(|c| c["subject_cn"].as_str().unwrap().to_owned())
        .collect::<Vec<_>>();
    assert_eq!(clients, ["managed"]);
    assert_eq!(run.code, 0);
}

#[test]
fn without_records_every_saml_client_of_the_realm_is_checked() {
    let fixture = fixture(REALM_FIXTURE);
    let dir = tempfile::tempdir().unwrap();
    let run = certs_in(
        dir.path(),
        &[
            "--realm-file",
            fixture.to_str().unwrap(),
            "--as-of",
            AS_OF,
            "--output",
            "json",
        ],
    );
    let report = run.json();
    let client = from_source(&report, "saml-client");
    assert_eq!(client.len(), 1);
    assert_eq!(
        client[0]["partner"],
        "http://localhost:9009/saml2/service-provider-metadata/keycloak"
    );
    assert_eq!(client[0]["subject_cn"], "saml-sp");
    assert_eq!(client[0]["federation"], Value::Null);
    assert_eq!(from_source(&report, "realm-key").len(), 2);
    assert_eq!(run.code, 0);
}

#[test]
fn a_record_stating_the_wrong_expiry_is_a_warning_naming_both_dates() {
    let workspace = workspace(
        &[("outbound.yaml", &outbound_record("2026-11-15"))],
        vec![saml_client(
            OUTBOUND_CLIENT,
            Some(&cert_b64("sp", 200)),
            None,
        )],
        vec![],
    );
    let run = certs(&workspace, &["--output", "json"]);
    let report = run.json();
    let mismatches = report["record_mismatches"].as_array().unwrap();
    assert_eq!(mismatches.len(), 1);
    assert_eq!(mismatches[0]["federation"], "outbound");
    assert_eq!(mismatches[0]["stated"], "2026-11-15");
    // Outbound: the date of our realm's signing certificate the partner trusts, not of the
    // partner's own certificate.
    assert_eq!(
        mismatches[0]["actual"],
        serde_json::json!([REALM_SIGNING_EXPIRY])
    );
    assert_eq!(mismatches[0]["kind"], "wrong-date");
    assert_eq!(run.code, 1);

    let text = certs(&workspace, &[]).stdout;
    assert!(
        text.contains(&format!(
            "outbound (Example Partner Organisation): the record says 2026-11-15, the signing certificate expires {REALM_SIGNING_EXPIRY}"
        )),
        "{text}"
    );
}

#[test]
fn a_record_stating_the_right_expiry_is_no_finding() {
    let workspace = workspace(
        &[("outbound.yaml", &outbound_record(REALM_SIGNING_EXPIRY))],
        vec![saml_client(
            OUTBOUND_CLIENT,
            Some(&cert_b64("sp", 200)),
            None,
        )],
        vec![],
    );
    let run = certs(&workspace, &["--output", "json"]);
    assert_eq!(run.json()["record_mismatches"], serde_json::json!([]));
    assert!(from_source(&run.json(), "record").is_empty());
    assert_eq!(run.code, 0);
}

#[test]
fn a_records_partner_metadata_supplies_the_partners_certificates() {
    let metadata = metadata_fixture("entities/python3-saml_idp_metadata_multi_signing_certs.xml");
    let record = inbound_record(&format!(
        "    partner_metadata: \"{}\"\n",
        metadata.display()
    ))
    .replace("signing_cert_expiry", "x");
    let workspace = workspace(&[("inbound.yaml", &record)], vec![], vec![]);
    let run = certs(&workspace, &["--output", "json"]);
    let report = run.json();
    let from_metadata = from_source(&report, "metadata");
    assert!(!from_metadata.is_empty());
    assert!(from_metadata.iter().all(|c| c["federation"] == "inbound"
        && c["partner"] == "Inbound Partner University"
        && c["location"].as_str().unwrap().contains(" IdP ")));
    assert!(
        report["sources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["source"] == "metadata" && s["up"] == true)
    );
    assert_eq!(run.code, 2, "the fixture's certificates expired long ago");
}

#[test]
fn metadata_entity_id_picks_the_partner_out_of_an_aggregate() {
    let aggregate = metadata_fixture("aggregates/pysaml2-4.0.0_InCommon-metadata.xml");
    let record = |entity: &str| {
        inbound_record(&format!(
            "    partner_metadata: \"{}\"\n    metadata_entity_id: \"{entity}\"\n",
            aggregate.display()
        ))
    };
    let workspace = workspace(
        &[("inbound.yaml", &record("urn:mace:incommon:ucsd.edu"))],
        vec![],
        vec![],
    );
    let report = certs(&workspace, &["--output", "json"]).json();
    let from_metadata = from_source(&report, "metadata");
    assert!(!from_metadata.is_empty());
    assert!(from_metadata.iter().all(|c| {
        c["location"]
            .as_str()
            .unwrap()
            .ends_with("IdP urn:mace:incommon:ucsd.edu")
    }));

    workspace.write_record("inbound.yaml", &record("urn:mace:incommon:ucsd.ed"));
    let run = certs(&workspace, &["--output", "json"]);
    let down: Vec<_> = run.json()["sources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["up"] == false)
        .cloned()
        .collect();
    assert_eq!(down.len(), 1, "{down:?}");
    assert!(
        down[0]["error"].as_str().unwrap().contains("did you mean"),
        "{down:?}"
    );
    assert_eq!(run.code, 3);
}

// ---------------------------------------------------------------- fixtures

#[test]
fn every_realm_fixture_reports_its_key_certificates() {
    for name in realm_fixtures() {
        let realm: Value =
            serde_json::from_str(&std::fs::read_to_string(fixture(&name)).unwrap()).unwrap();
        let expected = realm["components"]["org.keycloak.keys.KeyProvider"]
            .as_array()
            .map_or(0, |keys| {
                keys.iter()
                    .filter(|k| k["config"]["certificate"][0].is_string())
                    .filter(|k| k["config"]["enabled"][0] != "false")
                    .count()
            });
        let dir = tempfile::tempdir().unwrap();
        let path = fixture(&name);
        let run = certs_in(
            dir.path(),
            &[
                "--realm-file",
                path.to_str().unwrap(),
                "--as-of",
                AS_OF,
                "--output",
                "json",
            ],
        );
        let report = run.json();
        assert_eq!(from_source(&report, "realm-key").len(), expected, "{name}");
        assert!(
            report["sources"]
                .as_array()
                .unwrap()
                .iter()
                .all(|s| s["up"] == true),
            "{name}"
        );
        assert!(run.code < 3, "{name}: {}", run.stdout);
    }
}

#[test]
fn realm_key_certificates_of_the_fixtures_have_their_real_dates() {
    let dir = tempfile::tempdir().unwrap();
    let path = fixture("keycloak/import_testrealm-user-null-attr.json");
    let run = certs_in(
        dir.path(),
        &[
            "--realm-file",
            path.to_str().unwrap(),
            "--as-of",
            AS_OF,
            "--output",
            "json",
        ],
    );
    let keys = from_source(&run.json(), "realm-key")
        .into_iter()
        .cloned()
        .collect::<Vec<_>>();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["subject_cn"], "test-user-null-attr");
    assert_eq!(keys[0]["not_after"], "2030-01-06T11:59:34Z");
    assert_eq!(
        keys[0]["fingerprint_sha256"],
        "03f9140cdd9c802f50ec7c918436090ff4c410e6e7fb58466b18c28f05bccd2b"
    );
    // The export carries an unmasked private key: no output may contain it.
    let realm: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let private_key = realm["components"]["org.keycloak.keys.KeyProvider"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|k| k["config"]["privateKey"][0].as_str())
        .unwrap();
    for output in ["text", "json", "prometheus"] {
        let run = certs_in(
            dir.path(),
            &[
                "--realm-file",
                path.to_str().unwrap(),
                "--as-of",
                AS_OF,
                "--output",
                output,
            ],
        );
        assert!(
            !run.stdout.contains(&private_key[..40]),
            "{output} leaks the private key"
        );
    }
}

#[test]
fn every_metadata_fixture_is_checked_without_a_crash() {
    for dir in ["entities", "aggregates", "negative"] {
        for entry in std::fs::read_dir(metadata_fixture(dir)).unwrap() {
            let path = entry.unwrap().path();
            let scratch = tempfile::tempdir().unwrap();
            let run = certs_in(
                scratch.path(),
                &[
                    "--metadata",
                    path.to_str().unwrap(),
                    "--as-of",
                    AS_OF,
                    "--output",
                    "json",
                ],
            );
            let report = run.json();
            assert!(
                (0..=3).contains(&run.code),
                "{}: {}",
                path.display(),
                run.stderr
            );
            assert_eq!(report["exit_code"], run.code, "{}", path.display());
        }
    }
}

#[test]
fn an_expired_entity_reports_its_validity_apart_from_its_certificates() {
    let path = metadata_fixture("entities/python3-saml_expired_metadata_settings1.xml");
    let dir = tempfile::tempdir().unwrap();
    let run = certs_in(
        dir.path(),
        &[
            "--metadata",
            path.to_str().unwrap(),
            "--as-of",
            AS_OF,
            "--output",
            "json",
        ],
    );
    let report = run.json();
    let certificates = from_source(&report, "metadata");
    assert_eq!(certificates.len(), 2);
    assert!(certificates.iter().all(|c| c["status"] == "EXPIRED"
        && c["not_after"] == "2007-08-14T12:01:35Z"
        && c["partner"] == "http://stuff.com/endpoints/metadata.php"));
    let validity = report["metadata_validity"].as_array().unwrap();
    assert_eq!(validity.len(), 1);
    assert_eq!(validity[0]["valid_until"], "2014-02-22T00:39:43Z");
    assert_eq!(
        validity[0]["entity_id"],
        "http://stuff.com/endpoints/metadata.php"
    );
    assert_eq!(validity[0]["status"], "EXPIRED");
    assert_eq!(run.code, 2);
}

#[test]
fn every_certificate_of_the_incommon_aggregate_is_checked() {
    let path = metadata_fixture("aggregates/pysaml2-4.0.0_InCommon-metadata.xml");
    let parsed = fedctl::saml::parse_metadata(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(parsed.entities.len(), 1888);
    let keys: usize = parsed.entities.iter().map(|e| e.keys().count()).sum();
    let dir = tempfile::tempdir().unwrap();
    let run = certs_in(
        dir.path(),
        &[
            "--metadata",
            path.to_str().unwrap(),
            "--as-of",
            AS_OF,
            "--output",
            "json",
        ],
    );
    let report = run.json();
    assert_eq!(from_source(&report, "metadata").len(), keys);
    // The aggregate's validUntil once, not once per entity.
    let validity = report["metadata_validity"].as_array().unwrap();
    assert_eq!(validity.len(), 1);
    assert_eq!(validity[0]["entity_id"], Value::Null);
    let expired = from_source(&report, "metadata")
        .iter()
        .filter(|c| c["status"] == "EXPIRED")
        .count();
    assert!(expired > 1000, "{expired}");
    assert_eq!(run.code, 2);
}

#[test]
fn double_encoded_certificates_are_unknown_findings() {
    let path = metadata_fixture("negative/python3-saml_idp_multiple_descriptors.xml");
    let dir = tempfile::tempdir().unwrap();
    let report = certs_in(
        dir.path(),
        &[
            "--metadata",
            path.to_str().unwrap(),
            "--as-of",
            AS_OF,
            "--output",
            "json",
        ],
    )
    .json();
    let certificates = from_source(&report, "metadata");
    assert!(!certificates.is_empty());
    for cert in certificates {
        assert_eq!(cert["status"], "UNKNOWN");
        assert_eq!(cert["days_left"], Value::Null);
        assert!(
            cert["error"].as_str().unwrap().contains("double-encoded"),
            "{cert}"
        );
    }
}

// ---------------------------------------------------------------- exit codes

/// One outbound federation whose client signing certificate has `days` left.
fn single(days: i64) -> Workspace {
    workspace(
        &[("outbound.yaml", &outbound_record(REALM_SIGNING_EXPIRY))],
        vec![saml_client(
            OUTBOUND_CLIENT,
            Some(&cert_b64("sp", days)),
            None,
        )],
        vec![],
    )
}

#[test]
fn exit_0_when_everything_is_ok() {
    assert_eq!(certs(&single(90), &[]).code, 0);
}

#[test]
fn exit_1_when_a_certificate_expires_within_warn() {
    let workspace = single(20);
    assert_eq!(certs(&workspace, &[]).code, 1);
    // Thresholds move the verdict.
    assert_eq!(certs(&workspace, &["--warn", "2w"]).code, 0);
    assert_eq!(
        certs(&workspace, &["--warn", "60d", "--critical", "21d"]).code,
        2
    );
}

#[test]
fn exit_2_when_a_certificate_expires_within_critical_or_has_expired() {
    assert_eq!(certs(&single(3), &[]).code, 2);
    assert_eq!(certs(&single(-5), &[]).code, 2);
    assert_eq!(certs(&single(3), &["--critical", "72h"]).code, 1);
}

#[test]
fn as_of_fixes_now() {
    let workspace = single(90);
    assert_eq!(certs_at(&workspace, "2026-08-15", &[]).code, 1);
    assert_eq!(
        certs_at(&workspace, "2026-08-29T00:00:00+00:00", &[]).code,
        2
    );
    assert_eq!(certs_at(&workspace, "2027-01-01", &[]).code, 2);
}

#[test]
fn exit_3_when_a_certificate_cannot_be_parsed() {
    let workspace = workspace(
        &[("outbound.yaml", &outbound_record(REALM_SIGNING_EXPIRY))],
        vec![saml_client(
            OUTBOUND_CLIENT,
            Some("bm90IGEgY2VydGlmaWNhdGU="),
            None,
        )],
        vec![],
    );
    let run = certs(&workspace, &["--output", "json"]);
    let client = from_source(&run.json(), "saml-client")[0].clone();
    assert_eq!(client["status"], "UNKNOWN");
    assert!(
        client["error"].as_str().unwrap().contains("X.509"),
        "{client}"
    );
    assert_eq!(run.code, 3);
}

#[test]
fn exit_3_when_a_source_cannot_be_read_and_the_rest_is_still_checked() {
    let workspace = single(90);
    std::fs::write(workspace.realm_file(), "{ not json").unwrap();
    let missing = workspace.dir.path().join("missing.xml");
    let run = certs(
        &workspace,
        &["--metadata", missing.to_str().unwrap(), "--output", "json"],
    );
    let report = run.json();
    let down: Vec<_> = report["sources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["up"] == false)
        .map(|s| s["source"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(down, ["realm-file", "metadata"]);
    // The record's own date is still checked.
    assert_eq!(from_source(&report, "record").len(), 1);
    assert_eq!(run.code, 3);
}

#[test]
fn critical_outranks_unknown_and_warning_outranks_unknown() {
    let missing = "--metadata=/nonexistent/metadata.xml";
    assert_eq!(certs(&single(3), &[missing]).code, 2);
    assert_eq!(certs(&single(20), &[missing]).code, 1);
    assert_eq!(certs(&single(90), &[missing]).code, 3);
}

#[test]
fn exit_3_for_arguments_a_monitor_cannot_use() {
    let workspace = single(90);
    for (args, message) in [
        (
            &["--warn", "7d", "--critical", "30d"][..],
            "must not be longer than the warning threshold",
        ),
        (&["--warn", "soon"][..], "is not a duration"),
        (&["--output", "xml"][..], "invalid value"),
        (&["--bogus"][..], "unexpected argument"),
    ] {
        let run = certs(&workspace, args);
        assert_eq!(run.code, 3, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(message), "{args:?}: {}", run.stderr);
    }
    let run = certs_at(&workspace, "yesterday", &[]);
    assert_eq!(run.code, 3);
    assert!(run.stderr.contains("neither a date"), "{}", run.stderr);
    // Other commands keep clap's usage status.
    let plan = common::fedctl().args(["plan", "--bogus"]).output().unwrap();
    assert_eq!(plan.status.code(), Some(2));
}

#[test]
fn exit_3_when_there_is_nothing_to_check_or_no_realm_to_read() {
    let empty = tempfile::tempdir().unwrap();
    let run = certs_in(empty.path(), &[]);
    assert_eq!(run.code, 3);
    assert!(
        run.stderr.contains("federations: cannot read"),
        "{}",
        run.stderr
    );
    std::fs::create_dir(empty.path().join("federations")).unwrap();
    let run = certs_in(empty.path(), &[]);
    assert_eq!(run.code, 3);
    assert!(run.stderr.contains("nothing to check"), "{}", run.stderr);

    // A live Keycloak, but neither --realm nor records that name a realm.
    let run = certs_in(empty.path(), &["--url", "https://keycloak.example.org"]);
    assert_eq!(run.code, 3);
    assert!(run.stderr.contains("no realm"), "{}", run.stderr);

    // Explicit record paths must exist, even with a target.
    let run = certs_in(empty.path(), &["missing-dir", "--metadata", "x.xml"]);
    assert_eq!(run.code, 3);
    assert!(run.stderr.contains("missing-dir"), "{}", run.stderr);
}

#[test]
fn records_for_another_realm_make_the_realm_file_unreadable_for_them() {
    let record = outbound_record("2036-01-01").replace("/realms/saml-test", "/realms/other");
    let workspace = workspace(&[("outbound.yaml", &record)], vec![], vec![]);
    let run = certs(&workspace, &["--output", "json"]);
    let realm_file = run.json()["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["source"] == "realm-file")
        .cloned()
        .unwrap();
    assert_eq!(realm_file["up"], false);
    assert!(
        realm_file["error"]
            .as_str()
            .unwrap()
            .contains("realm `other`"),
        "{realm_file}"
    );
    assert_eq!(run.code, 3);
}

// ---------------------------------------------------------------- output

#[test]
fn the_text_report_is_sorted_by_days_left_without_colours_off_a_terminal() {
    let workspace = workspace(
        &[
            ("outbound.yaml", &outbound_record(REALM_SIGNING_EXPIRY)),
            ("inbound.yaml", &inbound_record("")),
        ],
        vec![saml_client(
            OUTBOUND_CLIENT,
            Some(&cert_b64("sp-signing", 20)),
            Some(&cert_b64("x", 90)),
        )],
        vec![saml_idp(
            "partner-idp",
            &[cert_b64("idp-old", -30), cert_b64("idp-new", 3)],
        )],
    );
    // NO_COLOR unset: stdout is a pipe, so still no colours.
    let output = common::fedctl()
        .env_remove("NO_COLOR")
        .current_dir(workspace.dir.path())
        .args(["certs", "federations", "--realm-file"])
        .arg(workspace.realm_file())
        .args(["--as-of", AS_OF])
        .output()
        .unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(!text.contains('\x1b'), "{text}");
    // Two realm keys serve both federations: each counted once.
    assert!(
        text.starts_with(
            "CERTS CRITICAL: 6 certificates (8 uses): 1 expired, 1 critical, 1 warning, 3 ok"
        ),
        "{text}"
    );
    assert!(
        text.lines().all(|l| l.chars().count() <= 120),
        "wider than 120 columns:\n{text}"
    );
    assert!(!text.contains("SHA-256"), "{text}");
    let days: Vec<i64> = text
        .lines()
        .skip_while(|l| !l.starts_with("STATUS"))
        .skip(1)
        .take_while(|l| !l.is_empty())
        .map(|l| l.split_whitespace().nth(1).unwrap().parse().unwrap())
        .collect();
    assert_eq!(days.len(), 8);
    assert!(days.windows(2).all(|w| w[0] <= w[1]), "{days:?}");
    assert_eq!(days[0], -30);

    let wide = certs_at(&workspace, AS_OF, &["--wide"]).stdout;
    let header = wide.lines().find(|l| l.starts_with("STATUS")).unwrap();
    assert!(
        header.contains("PARTNER") && header.contains("SHA-256"),
        "{wide}"
    );
}

#[test]
fn timestamps_are_to_the_second() {
    // "Now" has nanoseconds; the report does not.
    let run = certs_at(
        &single(20),
        "2026-06-01T00:00:00.123456789Z",
        &["--output", "json"],
    );
    assert_eq!(run.json()["as_of"], "2026-06-01T00:00:00Z");
}

#[test]
fn the_json_document_has_its_documented_shape() {
    let report = certs(&single(20), &["--output", "json"]).json();
    assert_eq!(report["version"], 1);
    assert_eq!(report["as_of"], AS_OF);
    assert_eq!(report["thresholds"]["warning"], "30d");
    assert_eq!(report["thresholds"]["critical_seconds"], 7 * 86_400);
    let client = from_source(&report, "saml-client")[0].clone();
    let keys: Vec<&str> = client
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "federation",
            "partner",
            "source",
            "location",
            "usage",
            "status",
            "days_left",
            "not_after",
            "not_before",
            "subject",
            "subject_cn",
            "issuer",
            "serial",
            "fingerprint_sha256",
            "stated_expiry",
            "error"
        ]
    );
    assert_eq!(client["partner"], "Example Partner Organisation");
    assert_eq!(client["fingerprint_sha256"].as_str().unwrap().len(), 64);
    for key in ["metadata_validity", "record_mismatches", "sources"] {
        assert!(report[key].is_array(), "{key}");
    }
}
