//! The round-trip checks of `fedctl import`, shared by the realm-file tests and the
//! real-Keycloak tier: filling in placeholders as an admin would, and explaining every change
//! `plan --adopt` shows.
#![allow(dead_code)] // each test binary uses its own subset

use std::path::{Path, PathBuf};

use fedctl::reconcile::{Action, Change, ObjectRef};
use serde_json::{Value, json};

/// The group and role a test names where the import could not tell them.
pub const FILLED_GROUP: &str = "imported-users";
pub const FILLED_ROLE: &str = "access";

/// Replaces every `CHANGE-ME` of an imported record with a value an admin would write.
pub fn fill_placeholders(file: &Path, host: &str) {
    let text = std::fs::read_to_string(file).unwrap();
    let filled: Vec<String> = text
        .lines()
        .map(|line| {
            if line.trim_start().starts_with('#') || !line.contains("CHANGE-ME") {
                return line.to_owned();
            }
            let (key, _) = line.split_once(':').unwrap();
            let value = match key.trim() {
                "established" => "2024-11-15".to_owned(),
                "review_frequency" => "quarterly".to_owned(),
                "approver" => "IT Manager".to_owned(),
                "partner_technical" => "support@partner.example.org".to_owned(),
                "your_technical" => "it@yourorg.example.org".to_owned(),
                "group" => FILLED_GROUP.to_owned(),
                "role" => FILLED_ROLE.to_owned(),
                "your_entity_id" => {
                    let realm = line.split_once("/realms/").unwrap().1;
                    let realm = realm.split('"').next().unwrap();
                    format!("https://{host}/realms/{realm}")
                }
                other => panic!("unexpected placeholder in {other}: {line}"),
            };
            format!("{key}: {}", serde_json::to_string(&value).unwrap())
        })
        .collect();
    std::fs::write(file, filled.join("\n") + "\n").unwrap();
}

/// The changes of a `plan --output json` document.
pub fn plan_changes(plan: &Value) -> Vec<Change> {
    serde_json::from_value(plan["changes"].clone()).expect("plan changes")
}

/// The lines an imported record lists as what `plan --adopt` would change.
pub fn import_notes(file: &Path) -> Vec<String> {
    const PREFIX: &str = "#   - `plan --adopt` would change: ";
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .filter_map(|line| line.strip_prefix(PREFIX).map(str::to_owned))
        .collect()
}

/// Changes of a `plan --adopt` after importing that are none of: fedctl's bookkeeping
/// (markers, its descriptions, pilot grants that exist), a change the record's import notes
/// list, or what the filled-in group and role ask for. `realm` is the realm as imported
/// (a realm export, for the pilot grants that exist).
pub fn unexplained_changes(changes: &[Change], files: &[PathBuf], realm: &Value) -> Vec<String> {
    changes
        .iter()
        .filter(|change| !is_bookkeeping(change, realm))
        .filter(|change| !is_filled_placeholder(change))
        .filter(|change| !is_listed(change, files))
        .map(|change| format!("{} {} {:?}", change.record, change.object, change.fields))
        .collect()
}

/// fedctl's own fields, and a flag Keycloak reads as off (absent) written out as `false`.
fn is_inert(field: &fedctl::reconcile::FieldChange) -> bool {
    let path = field.path.as_str();
    path == "description"
        || path.starts_with("attributes.fedctl.")
        || (path.starts_with("attributes.") && field.old.is_null() && field.new == "false")
}

fn is_bookkeeping(change: &Change, realm: &Value) -> bool {
    match (&change.action, &change.object) {
        (Action::Update, ObjectRef::Flow { .. }) => {
            change.fields.iter().all(|f| f.path == "description")
        }
        (Action::Update, _) => change.fields.iter().all(is_inert),
        (
            Action::Create,
            ObjectRef::UserGrant {
                username,
                client_id,
                role,
            },
        ) => realm["users"].as_array().is_some_and(|users| {
            users.iter().any(|user| {
                user["username"] == username.as_str()
                    && user["clientRoles"][client_id]
                        .as_array()
                        .is_some_and(|roles| roles.iter().any(|r| r == role.as_str()))
            })
        }),
        _ => false,
    }
}

fn is_filled_placeholder(change: &Change) -> bool {
    let group = format!("/{FILLED_GROUP}");
    match &change.object {
        ObjectRef::Group { path } => *path == group,
        ObjectRef::GroupGrant { path, .. } => *path == group && change.action == Action::Create,
        ObjectRef::Role { role, .. } => role == FILLED_ROLE && change.action == Action::Create,
        _ => false,
    }
}

fn is_listed(change: &Change, files: &[PathBuf]) -> bool {
    let line = format!("{} {}", change.action.symbol(), change.object);
    let Some(file) = files
        .iter()
        .find(|f| f.file_stem().is_some_and(|s| *s == *change.record))
    else {
        return false;
    };
    import_notes(file)
        .iter()
        .any(|note| note.starts_with(&line))
}

/// A partner SP certificate (self-signed, valid 2024-01-01 to 2034-01-01).
pub fn partner_certificate() -> String {
    let mut params = rcgen::CertificateParams::new(vec!["app.partner.example.org".into()]).unwrap();
    params.not_before = rcgen::date_time_ymd(2024, 1, 1);
    params.not_after = rcgen::date_time_ymd(2034, 1, 1);
    let key = rcgen::KeyPair::generate().unwrap();
    let certificate = params.self_signed(&key).unwrap();
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(certificate.der())
}

/// A SAML mapper as the runbook's `kcadm.sh create clients/$ID/protocol-mappers/models`
/// makes it (the admin console's form sends the same config).
pub fn saml_mapper(name: &str, mapper: &str, user_attribute: &str, saml_name: &str) -> Value {
    let mut config = json!({
        "user.attribute": user_attribute,
        "attribute.name": saml_name,
        "friendly.name": saml_name,
        "attribute.nameformat": "Basic"
    });
    if mapper == "saml-user-attribute-mapper" {
        config["aggregate.attrs"] = json!("false");
    }
    json!({"name": name, "protocol": "saml", "protocolMapper": mapper, "config": config})
}

pub fn oidc_mapper(name: &str, claim: &str, property: &str) -> Value {
    json!({"name": name, "protocol": "openid-connect",
        "protocolMapper": "oidc-usermodel-property-mapper",
        "config": {"user.attribute": property, "claim.name": claim, "jsonType.label": "String",
            "id.token.claim": "true", "access.token.claim": "true",
            "userinfo.token.claim": "true", "introspection.token.claim": "true",
            "lightweight.claim": "false"}})
}

pub const SAML_CLIENT: &str = "https://app.partner.example.org";
const SAML_ACS: &str = "https://app.partner.example.org/saml/acs";

/// The runbook's clients as its `kcadm.sh create clients -s …` commands send them, each with
/// the protocol mappers it then adds: SAML with the runbook's attributes and the partner's
/// signing certificate, a confidential and a public OIDC client.
pub fn runbook_clients(certificate: &str) -> Vec<(Value, Vec<Value>)> {
    vec![
        (
            json!({"clientId": SAML_CLIENT, "name": "Example Partner Organisation",
                "protocol": "saml", "enabled": true, "frontchannelLogout": true,
                "redirectUris": [SAML_ACS],
                "attributes": {
                    "saml_assertion_consumer_url_post": SAML_ACS,
                    "saml_name_id_format": "email", "saml_force_name_id_format": "true",
                    "saml.assertion.signature": "true", "saml.server.signature": "true",
                    "saml.signature.algorithm": "RSA_SHA256",
                    "saml_signature_canonicalization_method": "http://www.w3.org/2001/10/xml-exc-c14n#",
                    "saml.force.post.binding": "true", "saml.authnstatement": "true",
                    "saml.client.signature": "true", "saml.signing.certificate": certificate,
                    "saml.encrypt": "false"}}),
            vec![
                saml_mapper("email", "saml-user-property-mapper", "email", "email"),
                saml_mapper(
                    "display_name",
                    "saml-user-attribute-mapper",
                    "displayName",
                    "displayName",
                ),
                saml_mapper(
                    "department",
                    "saml-user-attribute-mapper",
                    "department",
                    "department",
                ),
            ],
        ),
        (
            json!({"clientId": "partner-portal", "name": "Example OIDC Partner",
                "protocol": "openid-connect", "enabled": true, "publicClient": false,
                "clientAuthenticatorType": "client-secret", "standardFlowEnabled": true,
                "implicitFlowEnabled": false, "directAccessGrantsEnabled": false,
                "serviceAccountsEnabled": false, "frontchannelLogout": true, "webOrigins": [],
                "redirectUris": ["https://portal.partner.example.org/oauth2/callback"],
                "attributes": {"pkce.code.challenge.method": "S256",
                    "post.logout.redirect.uris": "https://portal.partner.example.org/"}}),
            vec![
                oidc_mapper("email", "email", "email"),
                oidc_mapper("username", "preferred_username", "username"),
            ],
        ),
        (
            json!({"clientId": "partner-spa", "name": "Example SPA Partner",
                "protocol": "openid-connect", "enabled": true, "publicClient": true,
                "clientAuthenticatorType": "client-secret",
                "standardFlowEnabled": true, "implicitFlowEnabled": false,
                "directAccessGrantsEnabled": false, "serviceAccountsEnabled": false,
                "frontchannelLogout": true, "webOrigins": ["+"],
                "redirectUris": ["https://spa.partner.example.org/callback"],
                "attributes": {"pkce.code.challenge.method": "S256"}}),
            Vec::new(),
        ),
    ]
}
