//! One test (at least) per rule: a valid record of each kind, changed in one place.

use std::path::Path;

use time::macros::date;

use super::*;
use crate::record::loaded::LoadedRecord;
use crate::record::problem::{Severity, SourceFile};
use crate::record::set_rules::check_set;
use crate::record::tree;

const SAML_OUT: &str = r#"
federation:
  partner: "Example Partner Organisation"
  type: saml
  direction: your-idp-to-partner-sp
  established: "2024-11-15"
  technical:
    your_entity_id: "https://idp.yourorg.example.org/realms/your-realm"
    partner_entity_id: "https://app.partner.example.org"
    partner_acs: "https://app.partner.example.org/saml/acs"
    signing_cert_expiry: "2026-11-15"
  access_control:
    group: "partner-example-users"
    approver: "IT Manager"
    review_frequency: quarterly
  attributes_shared: [email, display_name, department]
  contacts:
    partner_technical: "techsupport@partner.example.org"
    your_technical: "it@yourorg.example.org"
"#;

const OIDC_OUT: &str = r#"
federation:
  partner: "P"
  type: oidc
  direction: your-idp-to-partner-sp
  technical:
    your_entity_id: "https://idp.yourorg.example.org/realms/your-realm"
    client_id: "portal"
    redirect_uris: ["https://portal.example.org/cb"]
  access_control: { group: g, approver: a, review_frequency: annual }
  attributes_shared: [email]
"#;

const SAML_IN: &str = r#"
federation:
  partner: "P"
  type: saml
  direction: partner-idp-to-your-sp
  technical:
    your_entity_id: "https://idp.yourorg.example.org/realms/your-realm"
    partner_entity_id: "https://idp.partner.example.org"
    partner_sso: "https://idp.partner.example.org/sso"
  access_control: { group: g, approver: a, review_frequency: annual }
"#;

const OIDC_IN: &str = r#"
federation:
  partner: "P"
  type: oidc
  direction: partner-idp-to-your-sp
  technical:
    your_entity_id: "https://idp.yourorg.example.org/realms/your-realm"
    partner_issuer: "https://login.partner.example.org"
    client_id: "yourorg"
  access_control: { group: g, approver: a, review_frequency: annual }
"#;

const TODAY: Date = date!(2025 - 06 - 01);

fn record(yaml: &str) -> RecordFile {
    serde_saphyr::from_str_with_options(yaml, tree::yaml_options()).unwrap()
}

fn findings(yaml: &str) -> Vec<Finding> {
    let profile = AttributeProfile::builtin();
    let context = Context {
        profile: Some(&profile),
        today: TODAY,
    };
    check_record(&record(yaml), &context)
}

/// `(field, message)` of every finding, for compact assertions.
fn found(yaml: &str) -> Vec<(String, String)> {
    findings(yaml)
        .into_iter()
        .map(|f| (f.field, f.message))
        .collect()
}

fn only(yaml: &str) -> Finding {
    let all = findings(yaml);
    assert_eq!(all.len(), 1, "{all:#?}");
    all.into_iter().next().unwrap()
}

/// Adds a line under `technical:`.
fn with_technical(yaml: &str, line: &str) -> String {
    yaml.replacen("  technical:\n", &format!("  technical:\n    {line}\n"), 1)
}

#[test]
fn valid_records_of_every_kind_have_no_findings() {
    for yaml in [SAML_OUT, OIDC_OUT, SAML_IN, OIDC_IN] {
        assert_eq!(found(yaml), vec![], "{yaml}");
    }
}

#[test]
fn saml_outbound_needs_entity_id_and_acs_unless_metadata_is_given() {
    let yaml = SAML_OUT
        .replace(
            "    partner_entity_id: \"https://app.partner.example.org\"\n",
            "",
        )
        .replace(
            "    partner_acs: \"https://app.partner.example.org/saml/acs\"\n",
            "",
        );
    let fields: Vec<String> = found(&yaml).into_iter().map(|f| f.0).collect();
    assert_eq!(
        fields,
        [
            "federation.technical.partner_entity_id",
            "federation.technical.partner_acs"
        ]
    );
    let with_metadata = with_technical(&yaml, "partner_metadata: sp-metadata.xml");
    assert_eq!(found(&with_metadata), vec![]);
}

#[test]
fn oidc_outbound_needs_client_id_and_redirect_uris() {
    let yaml = OIDC_OUT.replace("    client_id: \"portal\"\n", "").replace(
        "    redirect_uris: [\"https://portal.example.org/cb\"]\n",
        "",
    );
    let messages: Vec<String> = found(&yaml).into_iter().map(|f| f.1).collect();
    assert_eq!(
        messages,
        [
            "missing `client_id`, required for outbound OIDC (`your-idp-to-partner-sp`)",
            "missing `redirect_uris`, required for outbound OIDC (`your-idp-to-partner-sp`)"
        ]
    );
}

#[test]
fn saml_inbound_needs_entity_id_and_sso_or_metadata() {
    let yaml = SAML_IN.replace(
        "    partner_sso: \"https://idp.partner.example.org/sso\"\n",
        "",
    );
    assert_eq!(only(&yaml).field, "federation.technical.partner_sso");
    assert_eq!(
        found(&with_technical(
            &yaml,
            "partner_metadata: \"https://idp.partner.example.org/md\""
        )),
        vec![]
    );
}

#[test]
fn oidc_inbound_needs_issuer_and_client_id() {
    let yaml = OIDC_IN.replace(
        "    partner_issuer: \"https://login.partner.example.org\"\n",
        "",
    );
    assert_eq!(only(&yaml).field, "federation.technical.partner_issuer");
}

#[test]
fn fields_of_the_other_protocol_name_the_right_protocol() {
    let finding = only(&with_technical(
        SAML_OUT,
        "redirect_uris: [\"https://x.example.org/cb\"]",
    ));
    assert_eq!(finding.field, "federation.technical.redirect_uris");
    assert_eq!(
        finding.message,
        "`redirect_uris` is an OIDC field, but this record has `type: saml`"
    );
    assert!(finding.help.unwrap().contains("set `type: oidc`"));
    let finding = only(&with_technical(
        OIDC_OUT,
        "partner_acs: \"https://x.example.org/acs\"",
    ));
    assert!(
        finding.message.contains("is a SAML field"),
        "{}",
        finding.message
    );
}

#[test]
fn fields_of_the_other_direction_are_errors() {
    let finding = only(&with_technical(
        SAML_OUT,
        "partner_sso: \"https://x.example.org/sso\"",
    ));
    assert_eq!(
        finding.message,
        "`partner_sso` applies to `direction: partner-idp-to-your-sp`, but this record is `your-idp-to-partner-sp`"
    );
    assert_eq!(
        only(&with_technical(SAML_OUT, "idp_alias: x")).field,
        "federation.technical.idp_alias"
    );
}

#[test]
fn entity_ids_must_be_absolute_urls_or_urns() {
    let yaml = SAML_OUT.replace(
        "partner_entity_id: \"https://app.partner.example.org\"",
        "partner_entity_id: app.partner.example.org",
    );
    assert_eq!(
        only(&yaml).message,
        "`app.partner.example.org` is not an absolute URL or URN"
    );
    let urn = SAML_OUT.replace(
        "\"https://app.partner.example.org\"",
        "\"urn:mace:partner.example.org:sp\"",
    );
    assert_eq!(found(&urn), vec![]);
}

#[test]
fn endpoints_must_be_absolute_https_urls() {
    let relative = SAML_OUT.replace("\"https://app.partner.example.org/saml/acs\"", "/saml/acs");
    assert_eq!(
        only(&relative).message,
        "`/saml/acs` is not an absolute URL"
    );
    let http = SAML_OUT.replace(
        "\"https://app.partner.example.org/saml/acs\"",
        "\"http://app.partner.example.org/acs\"",
    );
    let finding = only(&http);
    assert_eq!(finding.field, "federation.technical.partner_acs");
    assert_eq!(
        finding.message,
        "`http://app.partner.example.org/acs` must use https"
    );
    let listed = SAML_OUT.replace(
        "\"https://app.partner.example.org/saml/acs\"",
        "[\"https://a.example.org/acs\", \"http://b.example.org/acs\"]",
    );
    assert_eq!(only(&listed).field, "federation.technical.partner_acs[1]");
    let slo = with_technical(SAML_OUT, "partner_slo: \"ftp://x.example.org/slo\"");
    assert_eq!(only(&slo).field, "federation.technical.partner_slo");
}

#[test]
fn plain_http_is_allowed_for_loopback_only() {
    for host in ["localhost:8080", "127.0.0.1", "127.9.9.9", "[::1]:3000"] {
        let yaml = OIDC_OUT.replace(
            "https://portal.example.org/cb",
            &format!("http://{host}/cb"),
        );
        assert_eq!(found(&yaml), vec![], "{host}");
    }
    for host in ["128.0.0.1", "localhost.example.org", "[::2]"] {
        let yaml = OIDC_OUT.replace(
            "https://portal.example.org/cb",
            &format!("http://{host}/cb"),
        );
        assert_eq!(
            only(&yaml).field,
            "federation.technical.redirect_uris[0]",
            "{host}"
        );
    }
}

#[test]
fn public_clients_may_use_private_use_redirect_schemes() {
    let native = OIDC_OUT.replace("https://portal.example.org/cb", "org.example.app:/cb");
    assert_eq!(
        only(&native).message,
        "`org.example.app:/cb` must use https"
    );
    let public = with_technical(&native, "client_type: public");
    assert_eq!(found(&public), vec![]);
}

#[test]
fn wildcard_redirects_are_warned_about() {
    let yaml = OIDC_OUT.replace(
        "https://portal.example.org/cb",
        "https://portal.example.org/*",
    );
    let finding = only(&yaml);
    assert_eq!(finding.severity, Severity::Warning);
    assert_eq!(finding.message, "wildcard redirect URI");
}

#[test]
fn metadata_urls_must_use_https_but_paths_are_fine() {
    let url = with_technical(
        SAML_IN,
        "partner_metadata: \"http://idp.partner.example.org/md\"",
    );
    assert_eq!(only(&url).field, "federation.technical.partner_metadata");
    let path = with_technical(SAML_IN, "partner_metadata: metadata/partner.xml");
    assert_eq!(found(&path), vec![]);
}

#[test]
fn your_entity_id_names_a_realm() {
    for bad in [
        "https://idp.yourorg.example.org",
        "https://idp.yourorg.example.org/realms/",
        "https://idp.yourorg.example.org/realms/r/",
        "https://idp.yourorg.example.org/auth/realm/r",
        "https://idp.yourorg.example.org/realms/..",
        "https://idp.yourorg.example.org/realms/.",
        "https://idp.yourorg.example.org/realms/%2E%2e",
    ] {
        let yaml = SAML_OUT.replace("https://idp.yourorg.example.org/realms/your-realm", bad);
        let finding = only(&yaml);
        assert_eq!(
            finding.field, "federation.technical.your_entity_id",
            "{bad}"
        );
        assert!(finding.message.contains("does not name a realm"), "{bad}");
    }
    assert_eq!(
        realm_of("https://kc.example.org/auth/realms/staff"),
        Some("staff")
    );
}

#[test]
fn your_entity_id_must_use_https() {
    let yaml = SAML_OUT.replace(
        "https://idp.yourorg.example.org",
        "http://idp.yourorg.example.org",
    );
    assert_eq!(
        only(&yaml).message,
        "`http://idp.yourorg.example.org/realms/your-realm` must use https"
    );
}

#[test]
fn group_names_and_paths() {
    for good in ["partners", "/partners/acme", "/top", "ACME users"] {
        let yaml = SAML_OUT.replace("\"partner-example-users\"", &format!("\"{good}\""));
        assert_eq!(found(&yaml), vec![], "{good}");
    }
    for (bad, why) in [
        ("", "it is empty"),
        ("/", "a path segment is empty"),
        ("/a//b", "a path segment is empty"),
        ("/a/b/", "it ends with `/`"),
        ("a/b", "a path to a sub-group starts with `/`"),
        ("a\\tb", "it contains control characters"),
        (" a", "a name starts or ends with spaces"),
    ] {
        let yaml = SAML_OUT.replace("\"partner-example-users\"", &format!("\"{bad}\""));
        let finding = only(&yaml);
        assert_eq!(finding.field, "federation.access_control.group");
        assert!(finding.message.ends_with(why), "{bad}: {}", finding.message);
    }
}

#[test]
fn role_names_have_no_dots_slashes_or_spaces() {
    let with_role = |role: &str| {
        SAML_OUT.replace(
            "    approver:",
            &format!("    role: \"{role}\"\n    approver:"),
        )
    };
    assert_eq!(found(&with_role("portal-access")), vec![]);
    for bad in ["", "app.access", "a/b", "a b"] {
        assert_eq!(
            only(&with_role(bad)).field,
            "federation.access_control.role",
            "{bad}"
        );
    }
}

#[test]
fn pilot_users_are_usernames() {
    let yaml = SAML_OUT.replace(
        "    approver:",
        "    pilot_users: [jdoe, \"\", \" x\"]\n    approver:",
    );
    let fields: Vec<String> = found(&yaml).into_iter().map(|f| f.0).collect();
    assert_eq!(
        fields,
        [
            "federation.access_control.pilot_users[1]",
            "federation.access_control.pilot_users[2]"
        ]
    );
}

#[test]
fn contacts_are_email_addresses() {
    assert!(is_email("it@yourorg.example.org"));
    assert!(is_email("mailto:it@yourorg.example.org"));
    for bad in [
        "IT Manager",
        "it@",
        "@x.org",
        "it@localhost",
        "a b@x.org",
        "a@b@c.org",
        "it@x..org",
    ] {
        assert!(!is_email(bad), "{bad}");
    }
    let yaml = SAML_OUT.replace("\"it@yourorg.example.org\"", "\"IT department\"");
    let finding = only(&yaml);
    assert_eq!(finding.field, "federation.contacts.your_technical");
    assert_eq!(finding.message, "`IT department` is not an e-mail address");
}

#[test]
fn shared_attributes_exist_in_the_profile() {
    let yaml = SAML_OUT.replace("[email, display_name, department]", "[email, displayname]");
    let finding = only(&yaml);
    assert_eq!(finding.field, "federation.attributes_shared[1]");
    assert_eq!(
        finding.message,
        "`displayname` is not in the attribute profile"
    );
    assert!(
        finding
            .help
            .unwrap()
            .starts_with("did you mean `display_name`?")
    );
}

#[test]
fn shared_attributes_are_not_checked_without_a_profile() {
    let yaml = SAML_OUT.replace("[email, display_name, department]", "[nonsense]");
    let context = Context {
        profile: None,
        today: TODAY,
    };
    assert_eq!(check_record(&record(&yaml), &context), vec![]);
}

#[test]
fn shared_attributes_appear_once() {
    let yaml = SAML_OUT.replace("[email, display_name, department]", "[email, email]");
    assert_eq!(
        only(&yaml).message,
        "attribute `email` is shared twice (also item 0)"
    );
}

#[test]
fn custom_attributes_need_a_name_and_a_release_for_the_protocol() {
    let nameless = SAML_OUT.replace(
        "[email, display_name, department]",
        "[{ source: { attribute: costCenter }, saml: { name: costCenter } }]",
    );
    assert_eq!(only(&nameless).message, "a custom attribute needs a `name`");
    let oidc_only = SAML_OUT.replace(
        "[email, display_name, department]",
        "[{ name: cc, source: { attribute: costCenter }, oidc: { claim: cc } }]",
    );
    assert_eq!(
        only(&oidc_only).message,
        "attribute `cc` has no `saml` release"
    );
}

#[test]
fn private_key_jwt_needs_a_jwks_url_and_only_it_uses_one() {
    let finding = only(&with_technical(OIDC_OUT, "client_auth: private_key_jwt"));
    assert_eq!(
        finding.message,
        "`client_auth: private_key_jwt` needs `jwks_url`"
    );
    let both = with_technical(
        OIDC_OUT,
        "client_auth: private_key_jwt\n    jwks_url: \"https://portal.example.org/jwks\"",
    );
    assert_eq!(found(&both), vec![]);
    let stray = with_technical(OIDC_OUT, "jwks_url: \"https://portal.example.org/jwks\"");
    assert_eq!(only(&stray).field, "federation.technical.jwks_url");
}

#[test]
fn public_clients_do_not_authenticate_and_should_use_pkce() {
    let public =
        |extra: &str| with_technical(OIDC_OUT, &format!("client_type: public\n    {extra}"));
    assert_eq!(
        only(&public("client_auth: client_secret")).message,
        "a public client does not authenticate"
    );
    let no_pkce = only(&public("pkce: none"));
    assert_eq!(
        (no_pkce.severity, no_pkce.message.as_str()),
        (Severity::Warning, "a public client without PKCE")
    );
    assert_eq!(found(&public("pkce: S256")), vec![]);
    // PKCE on a confidential client is good practice, not a problem.
    assert_eq!(found(&with_technical(OIDC_OUT, "pkce: S256")), vec![]);
    assert_eq!(
        only(&with_technical(OIDC_OUT, "pkce: plain")).severity,
        Severity::Warning
    );
}

#[test]
fn metadata_options_need_metadata() {
    let finding = only(&with_technical(
        SAML_OUT,
        "metadata_entity_id: \"https://app.partner.example.org\"",
    ));
    assert_eq!(
        finding.message,
        "`metadata_entity_id` needs `partner_metadata`"
    );
    let signer = only(&with_technical(
        SAML_OUT,
        "partner_metadata_signer: signer.pem",
    ));
    assert_eq!(signer.field, "federation.technical.partner_metadata_signer");
    let encrypt = only(&with_technical(SAML_OUT, "encrypt_assertions: true"));
    assert_eq!(encrypt.field, "federation.technical.encrypt_assertions");
    assert_eq!(
        found(&with_technical(
            SAML_OUT,
            "encrypt_assertions: true\n    partner_metadata: sp.xml"
        )),
        vec![]
    );
}

#[test]
fn unsigned_saml_is_warned_about() {
    let yaml = with_technical(
        SAML_OUT,
        "sign_assertions: false\n    sign_documents: false",
    );
    assert_eq!(only(&yaml).severity, Severity::Warning);
    assert_eq!(
        found(&with_technical(SAML_OUT, "sign_assertions: false")),
        vec![]
    );
}

#[test]
fn suspicious_dates_are_warnings() {
    let expired = SAML_OUT.replace("2026-11-15", "2025-05-31");
    let finding = only(&expired);
    assert_eq!(finding.severity, Severity::Warning);
    assert_eq!(
        finding.message,
        "the partner's signing certificate expired on 2025-05-31"
    );
    let future = SAML_OUT.replace("2024-11-15", "2025-06-02");
    assert_eq!(only(&future).field, "federation.established");
    let reviewed = SAML_OUT.replace(
        "    approver:",
        "    last_reviewed: \"2030-01-01\"\n    approver:",
    );
    assert_eq!(
        only(&reviewed).field,
        "federation.access_control.last_reviewed"
    );
    // Today itself is neither past nor future.
    assert_eq!(found(&SAML_OUT.replace("2026-11-15", "2025-06-01")), vec![]);
}

#[test]
fn far_future_dates_are_refused() {
    let soon = SAML_OUT.replace(
        "    approver:",
        "    last_reviewed: \"2025-12-15\"\n    approver:",
    );
    assert_eq!(only(&soon).severity, Severity::Warning);
    for (from, to, field) in [
        (
            "    approver:",
            "    last_reviewed: \"9999-12-15\"\n    approver:",
            "federation.access_control.last_reviewed",
        ),
        ("2024-11-15", "9999-12-31", "federation.established"),
    ] {
        let finding = only(&SAML_OUT.replace(from, to));
        assert_eq!(
            (finding.field.as_str(), finding.severity),
            (field, Severity::Error)
        );
        assert!(
            finding.message.contains("far in the future"),
            "{}",
            finding.message
        );
    }
}

#[test]
fn names_must_not_be_empty() {
    assert_eq!(
        only(&SAML_OUT.replace("\"Example Partner Organisation\"", "\" \"")).field,
        "federation.partner"
    );
    assert_eq!(
        only(&SAML_OUT.replace("\"IT Manager\"", "\"\"")).field,
        "federation.access_control.approver"
    );
}

#[test]
fn identity_provider_aliases_are_url_safe() {
    assert_eq!(
        found(&with_technical(SAML_IN, "idp_alias: partner-idp_1.x")),
        vec![]
    );
    assert_eq!(
        only(&with_technical(SAML_IN, "idp_alias: \"a b\"")).field,
        "federation.technical.idp_alias"
    );
}

#[test]
fn placeholders_are_flagged_where_they_are() {
    let tree = tree::parse("federation:\n  technical:\n    partner_entity_id: \"https://CHANGE-ME.example.org\"\n    list: [ok, CHANGE-ME]\n").unwrap();
    let fields: Vec<String> = placeholders(&tree).into_iter().map(|f| f.field).collect();
    assert_eq!(
        fields,
        [
            "federation.technical.partner_entity_id",
            "federation.technical.list[1]"
        ]
    );
    assert_eq!(placeholders(&tree)[0].message, "placeholder left in record");
}

// ---------------------------------------------------------------------------------------
// Rules across records

fn loaded(name: &str, yaml: &str) -> LoadedRecord {
    let path = Path::new("federations").join(name);
    LoadedRecord {
        id: path.file_stem().unwrap().to_string_lossy().into_owned(),
        record: record(yaml),
        source: SourceFile::new(&path, yaml),
        tree: tree::parse(yaml).unwrap(),
        path,
    }
}

#[test]
fn a_partner_appears_in_one_record_only() {
    let records = [loaded("a.yaml", SAML_OUT), loaded("b.yaml", SAML_OUT)];
    let findings = check_set(&records);
    assert_eq!(findings.len(), 1);
    let (index, finding) = &findings[0];
    assert_eq!(*index, 1);
    assert_eq!(finding.field, "federation.technical.partner_entity_id");
    assert_eq!(
        finding.message,
        "`https://app.partner.example.org` is used by two records: federations/a.yaml:9:24 and federations/b.yaml:9:24"
    );
}

#[test]
fn client_ids_are_unique_and_directions_are_separate_namespaces() {
    let oidc = check_set(&[loaded("a.yaml", OIDC_OUT), loaded("b.yml", OIDC_OUT)]);
    assert_eq!(oidc[0].1.field, "federation.technical.client_id");
    // The same partner as SP (outbound) and as IdP (inbound) is two federations, not a clash.
    let inbound_twin = SAML_IN.replace(
        "https://idp.partner.example.org\"",
        "https://app.partner.example.org\"",
    );
    assert_eq!(
        check_set(&[loaded("a.yaml", SAML_OUT), loaded("b.yaml", &inbound_twin)]),
        vec![]
    );
}

#[test]
fn record_ids_are_unique() {
    let mut second = loaded("a.yaml", OIDC_OUT);
    second.path = Path::new("federations/sub/a.yaml").to_owned();
    let findings = check_set(&[loaded("a.yaml", SAML_OUT), second]);
    assert_eq!(findings.len(), 1);
    assert_eq!(
        findings[0].1.message,
        "record id `a` is also the id of federations/a.yaml"
    );
}

#[test]
fn all_records_name_the_same_realm() {
    let other = OIDC_OUT.replace("realms/your-realm", "realms/staff");
    let records = [
        loaded("a.yaml", SAML_OUT),
        loaded("b.yaml", &other),
        loaded("c.yaml", SAML_IN),
    ];
    let findings = check_set(&records);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].0, 1);
    assert_eq!(
        findings[0].1.message,
        "this record is for realm `staff`, but 2 records are for realm `your-realm` (e.g. federations/a.yaml:8:21)"
    );
}
