//! Semantic rules: what a structurally valid record must also satisfy before fedctl builds
//! Keycloak objects from it. Every rule is a plain function from a record to findings, so
//! each can be tested alone; [`check_record`] runs them all. Rules that compare records with
//! each other are in [`super::set_rules`].

use std::collections::HashMap;

use time::Date;
use url::Url;

use super::model::{
    ClientAuth, ClientType, Direction, Federation, IsoDate, OneOrMany, Pkce, Protocol, RecordFile,
    SharedAttribute, written_as_url,
};
use super::problem::Finding;
use super::profile::AttributeProfile;
use super::schema::did_you_mean;
use super::tree::Node;
use crate::url_rule;

const FED: &str = "federation";
pub(crate) const TECH: &str = "federation.technical";
const ACCESS: &str = "federation.access_control";

/// The text that marks a value still to be filled in (see `templates/new/`).
pub const PLACEHOLDER: &str = "CHANGE-ME";

/// What rules need besides the record.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The attribute profile; `None` when it could not be loaded (its own errors are
    /// reported, and attribute names are not checked against a profile that is not there).
    pub profile: Option<&'a AttributeProfile>,
    /// "Now" for date warnings; a parameter so that tests do not depend on the clock.
    pub today: Date,
}

type Rule = fn(&Federation, &Context) -> Vec<Finding>;

const RULES: &[Rule] = &[
    required_fields,
    fields_of_other_kinds,
    entity_ids,
    endpoints,
    your_entity_id,
    group,
    role,
    pilot_users,
    contacts,
    attributes,
    oidc_client,
    saml_options,
    dates,
    names,
];

/// Every semantic finding for one record.
pub fn check_record(record: &RecordFile, context: &Context) -> Vec<Finding> {
    RULES
        .iter()
        .flat_map(|rule| rule(&record.federation, context))
        .collect()
}

/// Values still holding the scaffold's placeholder. Runs on the raw tree, so a half-filled
/// scaffold gets this clear message even where other fields are broken.
pub fn placeholders(tree: &Node) -> Vec<Finding> {
    tree.scalars()
        .into_iter()
        .filter(|(_, node)| {
            matches!(&node.value, super::tree::Value::Scalar(s) if s.text.contains(PLACEHOLDER))
        })
        .map(|(path, _)| {
            Finding::error(path, "placeholder left in record")
                .with_help(format!("replace `{PLACEHOLDER}` with the partner's real value"))
        })
        .collect()
}

pub(crate) fn field(parent: &str, name: &str) -> String {
    format!("{parent}.{name}")
}

fn protocol_name(protocol: Protocol) -> &'static str {
    match protocol {
        Protocol::Saml => "saml",
        Protocol::Oidc => "oidc",
    }
}

/// "a SAML" / "an OIDC", for prose.
fn a_protocol(protocol: Protocol) -> &'static str {
    match protocol {
        Protocol::Saml => "a SAML",
        Protocol::Oidc => "an OIDC",
    }
}

fn direction_name(direction: Direction) -> &'static str {
    match direction {
        Direction::Outbound => "your-idp-to-partner-sp",
        Direction::Inbound => "partner-idp-to-your-sp",
    }
}

// ---------------------------------------------------------------------------------------
// Required fields and fields that belong to another protocol or direction

/// `technical` fields each kind of federation needs, and how to provide them.
fn required_fields(fed: &Federation, _: &Context) -> Vec<Finding> {
    let t = &fed.technical;
    let from_metadata = t.partner_metadata.is_some();
    let needed: Vec<(&str, bool, &str)> = match (fed.protocol, fed.direction) {
        (Protocol::Saml, Direction::Outbound) => vec![
            (
                "partner_entity_id",
                t.partner_entity_id.is_some() || from_metadata,
                "the partner SP's entity ID (it becomes the Keycloak clientId), or `partner_metadata:` to read it from the SP's metadata",
            ),
            (
                "partner_acs",
                t.partner_acs.is_some() || from_metadata,
                "the SP's Assertion Consumer Service URL, or `partner_metadata:` to read it from the SP's metadata",
            ),
        ],
        (Protocol::Oidc, Direction::Outbound) => vec![
            (
                "client_id",
                t.client_id.is_some(),
                "the client ID the partner's application uses",
            ),
            (
                "redirect_uris",
                !t.redirect_uris.is_empty(),
                "the application's redirect URIs (a list of https URLs); sign-in fails without them",
            ),
        ],
        (Protocol::Saml, Direction::Inbound) => vec![
            (
                "partner_entity_id",
                t.partner_entity_id.is_some() || from_metadata,
                "the partner IdP's entity ID, or `partner_metadata:` to read it from the IdP's metadata",
            ),
            (
                "partner_sso",
                t.partner_sso.is_some() || from_metadata,
                "the partner IdP's single sign-on URL, or `partner_metadata:` to read it from the IdP's metadata",
            ),
        ],
        (Protocol::Oidc, Direction::Inbound) => vec![
            (
                "partner_issuer",
                t.partner_issuer.is_some(),
                "the partner's issuer URL; its discovery document is read from <issuer>/.well-known/openid-configuration",
            ),
            (
                "client_id",
                t.client_id.is_some(),
                "the client ID the partner issued to us",
            ),
        ],
    };
    let bound = match fed.direction {
        Direction::Outbound => "outbound",
        Direction::Inbound => "inbound",
    };
    let protocol = protocol_name(fed.protocol).to_uppercase();
    let kind = format!("{bound} {protocol} (`{}`)", direction_name(fed.direction));
    needed
        .into_iter()
        .filter(|(_, present, _)| !present)
        .map(|(name, _, what)| {
            Finding::error(
                field(TECH, name),
                format!("missing `{name}`, required for {kind}"),
            )
            .with_help(format!("add `{name}:` under `technical`: {what}"))
        })
        .collect()
}

/// Which kind of federation a `technical` field belongs to (`None`: any).
const FIELD_KINDS: &[(&str, Option<Protocol>, Option<Direction>)] = &[
    ("partner_entity_id", Some(Protocol::Saml), None),
    (
        "partner_acs",
        Some(Protocol::Saml),
        Some(Direction::Outbound),
    ),
    ("partner_slo", Some(Protocol::Saml), None),
    ("partner_metadata", Some(Protocol::Saml), None),
    ("metadata_entity_id", Some(Protocol::Saml), None),
    ("partner_metadata_signer", Some(Protocol::Saml), None),
    ("name_id_format", Some(Protocol::Saml), None),
    ("sign_assertions", Some(Protocol::Saml), None),
    ("sign_documents", Some(Protocol::Saml), None),
    ("encrypt_assertions", Some(Protocol::Saml), None),
    (
        "idp_initiated_sso_url_name",
        Some(Protocol::Saml),
        Some(Direction::Outbound),
    ),
    (
        "partner_sso",
        Some(Protocol::Saml),
        Some(Direction::Inbound),
    ),
    ("client_id", Some(Protocol::Oidc), None),
    (
        "redirect_uris",
        Some(Protocol::Oidc),
        Some(Direction::Outbound),
    ),
    (
        "post_logout_redirect_uris",
        Some(Protocol::Oidc),
        Some(Direction::Outbound),
    ),
    (
        "client_type",
        Some(Protocol::Oidc),
        Some(Direction::Outbound),
    ),
    ("client_auth", Some(Protocol::Oidc), None),
    ("jwks_url", Some(Protocol::Oidc), Some(Direction::Outbound)),
    ("pkce", Some(Protocol::Oidc), None),
    (
        "partner_issuer",
        Some(Protocol::Oidc),
        Some(Direction::Inbound),
    ),
    ("idp_alias", None, Some(Direction::Inbound)),
    (
        "partner_signing_cert",
        Some(Protocol::Saml),
        Some(Direction::Inbound),
    ),
    ("first_sign_in", None, Some(Direction::Inbound)),
];

/// Fields that mean nothing for this record's protocol or direction: most likely the wrong
/// `type`/`direction`, or a field left over from a copied record.
fn fields_of_other_kinds(fed: &Federation, _: &Context) -> Vec<Finding> {
    // Serialization skips absent fields, so the keys are exactly the fields written.
    let written = serde_json::to_value(&fed.technical).unwrap_or_default();
    let Some(written) = written.as_object() else {
        return Vec::new();
    };
    FIELD_KINDS
        .iter()
        .filter(|(name, _, _)| written.contains_key(*name))
        .filter_map(|&(name, protocol, direction)| {
            let path = field(TECH, name);
            if let Some(protocol) = protocol.filter(|p| *p != fed.protocol) {
                let (theirs, ours) = (protocol_name(protocol), protocol_name(fed.protocol));
                let a_theirs = a_protocol(protocol);
                return Some(
                    Finding::error(
                        path,
                        format!("`{name}` is {a_theirs} field, but this record has `type: {ours}`"),
                    )
                    .with_help(format!(
                        "remove `{name}`, or set `type: {theirs}` if this is {a_theirs} federation"
                    )),
                );
            }
            let direction = direction.filter(|d| *d != fed.direction)?;
            let (theirs, ours) = (direction_name(direction), direction_name(fed.direction));
            Some(
                Finding::error(
                    path,
                    format!(
                        "`{name}` applies to `direction: {theirs}`, but this record is `{ours}`"
                    ),
                )
                .with_help(format!("remove `{name}`, or set `direction: {theirs}`")),
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Identifiers and URLs

/// Entity IDs are absolute URIs (a URL or a URN such as `urn:mace:example.org:sp`).
fn entity_ids(fed: &Federation, _: &Context) -> Vec<Finding> {
    let t = &fed.technical;
    [
        ("partner_entity_id", t.partner_entity_id.as_deref()),
        ("metadata_entity_id", t.metadata_entity_id.as_deref()),
    ]
    .into_iter()
    .filter_map(|(name, value)| Some((name, value?)))
    .filter(|(_, value)| Url::parse(value).is_err())
    .map(|(name, value)| {
        Finding::error(field(TECH, name), format!("`{value}` is not an absolute URL or URN"))
            .with_help("an entity ID is absolute, e.g. \"https://app.partner.example.org\" or \"urn:example:sp\"")
    })
    .collect()
}

/// Every URL a browser or Keycloak is sent to, with its path in the record.
fn endpoint_fields(fed: &Federation) -> Vec<(String, &str)> {
    let t = &fed.technical;
    let mut urls: Vec<(String, &str)> = Vec::new();
    match &t.partner_acs {
        Some(OneOrMany::One(url)) => urls.push((field(TECH, "partner_acs"), url)),
        Some(OneOrMany::Many(list)) => urls.extend(indexed("partner_acs", list)),
        None => {}
    }
    urls.extend(indexed("redirect_uris", &t.redirect_uris));
    urls.extend(indexed(
        "post_logout_redirect_uris",
        &t.post_logout_redirect_uris,
    ));
    for (name, value) in [
        ("your_entity_id", Some(t.your_entity_id.as_str())),
        ("partner_slo", t.partner_slo.as_deref()),
        ("partner_sso", t.partner_sso.as_deref()),
        ("jwks_url", t.jwks_url.as_deref()),
        ("partner_issuer", t.partner_issuer.as_deref()),
        // A metadata location is a file path unless it is written as a URL.
        (
            "partner_metadata",
            t.partner_metadata.as_deref().filter(|m| written_as_url(m)),
        ),
    ] {
        if let Some(value) = value {
            urls.push((field(TECH, name), value));
        }
    }
    urls
}

fn indexed<'a>(name: &str, list: &'a [String]) -> impl Iterator<Item = (String, &'a str)> {
    let base = field(TECH, name);
    list.iter()
        .enumerate()
        .map(move |(i, url)| (format!("{base}[{i}]"), url.as_str()))
}

/// Endpoints are absolute https URLs; plain http only to this machine (development).
/// Public OIDC clients (native apps) may also use a private-use scheme (RFC 8252 §7.1).
fn endpoints(fed: &Federation, _: &Context) -> Vec<Finding> {
    let native_app = fed.technical.client_type == Some(ClientType::Public);
    endpoint_fields(fed)
        .into_iter()
        .filter_map(|(path, value)| {
            let is_redirect = path.contains("redirect_uris");
            let finding = endpoint(&path, value, native_app && is_redirect)?;
            Some(finding)
        })
        .chain(wildcard_redirects(fed))
        .collect()
}

fn endpoint(path: &str, value: &str, private_scheme_allowed: bool) -> Option<Finding> {
    let problem = url_rule::check(value, private_scheme_allowed).err()?;
    // Never echo credentials: findings are printed and logged.
    let shown = url_rule::redact_credentials(value);
    Some(Finding::error(path, format!("`{shown}` {problem}")).with_help(problem.help()))
}

/// Keycloak accepts `*` in redirect URIs, which lets anyone with a page under the pattern
/// receive codes: allowed, but worth a warning.
fn wildcard_redirects(fed: &Federation) -> Vec<Finding> {
    indexed("redirect_uris", &fed.technical.redirect_uris)
        .filter(|(_, url)| url.contains('*'))
        .map(|(path, _)| {
            Finding::warning(path, "wildcard redirect URI")
                .with_help("list the exact redirect URIs; a wildcard lets any page under it receive sign-in codes")
        })
        .collect()
}

/// The realm named by an issuer / entity ID of the form `https://host/…/realms/<realm>`.
pub fn realm_of(entity_id: &str) -> Option<&str> {
    let (_, realm) = entity_id.rsplit_once("/realms/")?;
    let valid = !realm.is_empty() && !realm.contains(['/', '?', '#']) && !is_dot_segment(realm);
    valid.then_some(realm)
}

/// `.` or `..`, also percent-encoded: as a path segment it would move the admin requests
/// to another path instead of naming a realm.
fn is_dot_segment(segment: &str) -> bool {
    let decoded = percent_encoding::percent_decode_str(segment).decode_utf8_lossy();
    matches!(decoded.as_ref(), "." | "..")
}

fn your_entity_id(fed: &Federation, _: &Context) -> Vec<Finding> {
    let value = &fed.technical.your_entity_id;
    if realm_of(value).is_some() {
        return Vec::new();
    }
    vec![
        Finding::error(field(TECH, "your_entity_id"), format!("`{value}` does not name a realm"))
            .with_help("write your realm's issuer: https://<keycloak host>/realms/<realm>, with no trailing slash"),
    ]
}

// ---------------------------------------------------------------------------------------
// Access control

/// A Keycloak group name, or a path `/parent/child` to a sub-group.
fn group(fed: &Federation, _: &Context) -> Vec<Finding> {
    let group = &fed.access_control.group;
    let problem = group_problem(group);
    problem
        .map(|why| {
            Finding::error(field(ACCESS, "group"), format!("`{group}` is not a valid group: {why}"))
                .with_help("write a group name (\"partner-users\") or a path to a sub-group (\"/partners/partner-users\")")
        })
        .into_iter()
        .collect()
}

fn group_problem(group: &str) -> Option<&'static str> {
    let segments: Vec<&str> = match group.strip_prefix('/') {
        Some(path) => path.split('/').collect(),
        None if group.contains('/') => return Some("a path to a sub-group starts with `/`"),
        None => vec![group],
    };
    if group.chars().any(char::is_control) {
        Some("it contains control characters")
    } else if group.trim().is_empty() {
        Some("it is empty")
    } else if group.len() > 1 && group.ends_with('/') {
        Some("it ends with `/`")
    } else if segments.iter().any(|s| s.is_empty()) {
        Some("a path segment is empty")
    } else if segments.iter().any(|s| s.trim() != *s) {
        Some("a name starts or ends with spaces")
    } else {
        None
    }
}

/// fedctl builds `clientId.role` for Keycloak's role condition, which splits at the last dot.
fn role(fed: &Federation, _: &Context) -> Vec<Finding> {
    let Some(role) = &fed.access_control.role else {
        return Vec::new();
    };
    let bad = role.is_empty() || role.contains(['.', '/']) || role.chars().any(char::is_whitespace);
    if !bad {
        return Vec::new();
    }
    vec![
        Finding::error(
            field(ACCESS, "role"),
            format!("`{role}` is not a usable role name"),
        )
        .with_help(
            "use a non-empty name without dots, slashes or spaces, e.g. \"access\" (the default)",
        ),
    ]
}

fn pilot_users(fed: &Federation, _: &Context) -> Vec<Finding> {
    let users = &fed.access_control.pilot_users;
    users
        .iter()
        .enumerate()
        .filter(|(_, user)| user.trim().is_empty() || user.trim() != user.as_str())
        .map(|(i, user)| {
            let message = match user.trim() {
                "" => "empty username".to_owned(),
                _ => format!("`{user}` is not a username"),
            };
            Finding::error(format!("{ACCESS}.pilot_users[{i}]"), message)
                .with_help("write the Keycloak username, without surrounding spaces")
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Contacts, attributes, protocol options

fn contacts(fed: &Federation, _: &Context) -> Vec<Finding> {
    let c = &fed.contacts;
    [
        ("partner_technical", c.partner_technical.as_deref()),
        ("your_technical", c.your_technical.as_deref()),
    ]
    .into_iter()
    .filter_map(|(name, value)| Some((name, value?)))
    .filter(|(_, value)| !is_email(value))
    .map(|(name, value)| {
        Finding::error(
            format!("{FED}.contacts.{name}"),
            format!("`{value}` is not an e-mail address"),
        )
        .with_help(
            "write an address such as \"it@partner.example.org\" (a `mailto:` prefix is fine)",
        )
    })
    .collect()
}

/// Plainly an address: `local@domain.tld`, optionally as a `mailto:` URI; no spaces.
pub fn is_email(value: &str) -> bool {
    let address = value.strip_prefix("mailto:").unwrap_or(value);
    let Some((local, domain)) = address.split_once('@') else {
        return false;
    };
    let labels_ok = domain.split('.').count() >= 2 && domain.split('.').all(|l| !l.is_empty());
    !local.is_empty()
        && labels_ok
        && !domain.contains('@')
        && !address.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Shared attributes exist in the profile, are released for this protocol, appear once,
/// and one-off mappings carry a name for their mapper.
fn attributes(fed: &Federation, context: &Context) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut seen = HashMap::new();
    for (i, attribute) in fed.attributes_shared.iter().enumerate() {
        let path = format!("{FED}.attributes_shared[{i}]");
        let (name, definition) = match attribute {
            SharedAttribute::Named(name) => match context.profile {
                Some(profile) => match profile.attributes.get(name) {
                    Some(definition) => (name.as_str(), definition),
                    None => {
                        findings.push(unknown_attribute(&path, name, profile));
                        continue;
                    }
                },
                None => continue,
            },
            SharedAttribute::Custom(definition) => match &definition.name {
                Some(name) => (name.as_str(), definition),
                None => {
                    findings.push(
                        Finding::error(&path, "a custom attribute needs a `name`")
                            .with_help("add `name:`; it names the protocol mapper in Keycloak"),
                    );
                    continue;
                }
            },
        };
        if let Some(first) = seen.insert(name.to_owned(), i) {
            findings.push(
                Finding::error(
                    &path,
                    format!("attribute `{name}` is shared twice (also item {first})"),
                )
                .with_help("list each attribute once"),
            );
        }
        let released = match fed.protocol {
            Protocol::Saml => definition.saml.is_some(),
            Protocol::Oidc => definition.oidc.is_some(),
        };
        if !released {
            let section = protocol_name(fed.protocol);
            findings.push(
                Finding::error(
                    &path,
                    format!("attribute `{name}` has no `{section}` release"),
                )
                .with_help(format!(
                    "add a `{section}:` section to its definition saying how it is released"
                )),
            );
        }
    }
    findings
}

fn unknown_attribute(path: &str, name: &str, profile: &AttributeProfile) -> Finding {
    let known = profile.attributes.keys().map(String::as_str);
    let listed = profile
        .attributes
        .keys()
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    let help = match did_you_mean(name, known) {
        Some(close) => format!("did you mean `{close}`? The attribute profile defines: {listed}"),
        None => format!("the attribute profile defines: {listed}; or write a full mapping"),
    };
    Finding::error(path, format!("`{name}` is not in the attribute profile")).with_help(help)
}

fn oidc_client(fed: &Federation, _: &Context) -> Vec<Finding> {
    let t = &fed.technical;
    if fed.protocol != Protocol::Oidc {
        return Vec::new();
    }
    let public = t.client_type == Some(ClientType::Public);
    let key_jwt = t.client_auth == Some(ClientAuth::PrivateKeyJwt);
    let outbound = fed.direction == Direction::Outbound;
    let mut findings = Vec::new();
    if outbound && key_jwt && t.jwks_url.is_none() {
        findings.push(
            Finding::error(
                field(TECH, "client_auth"),
                "`client_auth: private_key_jwt` needs `jwks_url`",
            )
            .with_help(
                "add `jwks_url:` with the https URL where the partner publishes its public keys",
            ),
        );
    }
    if t.jwks_url.is_some() && !key_jwt {
        findings.push(
            Finding::error(
                field(TECH, "jwks_url"),
                "`jwks_url` is used only with `client_auth: private_key_jwt`",
            )
            .with_help("set `client_auth: private_key_jwt`, or remove `jwks_url`"),
        );
    }
    if public && t.client_auth.is_some() {
        findings.push(
            Finding::error(
                field(TECH, "client_auth"),
                "a public client does not authenticate",
            )
            .with_help("remove `client_auth`, or set `client_type: confidential`"),
        );
    }
    match (public, t.pkce) {
        (true, Some(Pkce::Disabled)) => findings.push(
            Finding::warning(field(TECH, "pkce"), "a public client without PKCE").with_help(
                "use `pkce: S256`: public clients cannot keep a secret, PKCE protects their codes",
            ),
        ),
        (_, Some(Pkce::Plain)) => findings.push(
            Finding::warning(
                field(TECH, "pkce"),
                "`pkce: plain` does not protect against code interception",
            )
            .with_help("use `pkce: S256`"),
        ),
        _ => {}
    }
    findings
}

fn saml_options(fed: &Federation, _: &Context) -> Vec<Finding> {
    let t = &fed.technical;
    let mut findings = Vec::new();
    if t.partner_metadata.is_none() {
        for name in ["metadata_entity_id", "partner_metadata_signer"] {
            let written = match name {
                "metadata_entity_id" => t.metadata_entity_id.is_some(),
                _ => t.partner_metadata_signer.is_some(),
            };
            if written {
                findings.push(
                    Finding::error(
                        field(TECH, name),
                        format!("`{name}` needs `partner_metadata`"),
                    )
                    .with_help(
                        "add `partner_metadata:` (a file path or https URL), or remove this field",
                    ),
                );
            }
        }
    }
    let outbound_saml = fed.protocol == Protocol::Saml && fed.direction == Direction::Outbound;
    if outbound_saml && t.encrypt_assertions == Some(true) && t.partner_metadata.is_none() {
        findings.push(
            Finding::error(
                field(TECH, "encrypt_assertions"),
                "encrypting assertions needs the partner's encryption certificate",
            )
            .with_help("add `partner_metadata:`; the SP's encryption certificate is read from it"),
        );
    }
    if outbound_saml && t.sign_assertions == Some(false) && t.sign_documents == Some(false) {
        findings.push(
            Finding::warning(
                field(TECH, "sign_assertions"),
                "neither assertions nor documents are signed",
            )
            .with_help("sign at least one of them; service providers reject unsigned responses"),
        );
    }
    findings
}

/// Dates that are possible but probably wrong.
fn dates(fed: &Federation, context: &Context) -> Vec<Finding> {
    let mut findings = Vec::new();
    if let Some(expiry) = fed
        .technical
        .signing_cert_expiry
        .filter(|d| d.0 < context.today)
    {
        // Outbound, the date is of our realm's certificate as the partner trusts it.
        let finding = match fed.direction {
            Direction::Outbound => Finding::warning(
                field(TECH, "signing_cert_expiry"),
                format!("the realm signing certificate this partner trusts expired on {expiry}"),
            )
            .with_help(
                "renew our signing certificate (`fedctl rollover`), hand the partner the new \
                 metadata (`fedctl export-metadata`) and update `signing_cert_expiry`",
            ),
            Direction::Inbound => Finding::warning(
                field(TECH, "signing_cert_expiry"),
                format!("the partner's signing certificate expired on {expiry}"),
            )
            .with_help("ask the partner for its new certificate and update `signing_cert_expiry`"),
        };
        findings.push(finding);
    }
    findings.extend(past_date(
        field(FED, "established"),
        fed.established,
        context.today,
        "write the date the federation went live",
    ));
    findings.extend(past_date(
        field(ACCESS, "last_reviewed"),
        fed.access_control.last_reviewed,
        context.today,
        "write the date the last review was completed",
    ));
    findings
}

/// How far ahead a date that should be past may be before it is refused rather than doubted:
/// beyond it the date is a typo, and review schedules computed from it would be nonsense.
const FAR_FUTURE_DAYS: i64 = 366;

/// A date that should not be in the future: a warning when it is (a clock or a time zone
/// apart), an error when it is far ahead.
fn past_date(path: String, date: Option<IsoDate>, today: Date, help: &str) -> Option<Finding> {
    let date = date.filter(|d| d.0 > today)?;
    let name = path.rsplit('.').next().unwrap_or_default().to_owned();
    let far = (date.0 - today).whole_days() > FAR_FUTURE_DAYS;
    let finding = if far {
        Finding::error(path, format!("`{name}` is far in the future ({date})"))
    } else {
        Finding::warning(path, format!("`{name}` is in the future ({date})"))
    };
    Some(finding.with_help(help))
}

/// Free-text fields that must say something, and the identity provider alias Keycloak accepts.
fn names(fed: &Federation, _: &Context) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (path, value, what) in [
        (
            field(FED, "partner"),
            fed.partner.as_str(),
            "the partner organisation's name",
        ),
        (
            field(ACCESS, "approver"),
            fed.access_control.approver.as_str(),
            "who approves access (a person or role)",
        ),
    ] {
        if value.trim().is_empty() {
            findings.push(
                Finding::error(path, "this must not be empty").with_help(format!("write {what}")),
            );
        }
    }
    if let Some(alias) = &fed.technical.idp_alias {
        let valid = !alias.is_empty()
            && alias
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !valid {
            findings.push(
                Finding::error(
                    field(TECH, "idp_alias"),
                    format!("`{alias}` is not a usable identity provider alias"),
                )
                .with_help(
                    "use letters, digits, `-`, `_` and `.` only; the alias appears in broker URLs",
                ),
            );
        }
    }
    findings
}

#[cfg(test)]
mod tests;
