//! Starting points: a record scaffold to fill in for a new partner (`fedctl new saml|oidc`),
//! and demo users in a realm file fedctl has applied records to (`fedctl new demo`), so that
//! `review` can be tried offline.

use std::path::{Path, PathBuf};

use miette::Diagnostic;
use serde_json::{Value, json};

use crate::fsutil::{self, Mode};
use crate::keycloak::realm_file::RealmFile;
use crate::keycloak::realm_json as rj;
use crate::record::{self, LoadOptions};
use crate::runtime::block_on;
use crate::target::{Target, TargetError};

/// Placeholder for our realm's entity ID when no existing record tells it.
const UNKNOWN_ENTITY_ID: &str = "https://CHANGE-ME.example.org/realms/CHANGE-ME";

/// How long `new demo` waits for an apply that is changing the realm file.
const DEMO_LOCK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The protocol of a record scaffold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Saml,
    Oidc,
}

/// A record scaffold to write.
#[derive(Debug, Clone)]
pub struct NewRecord<'a> {
    pub protocol: Protocol,
    /// The partner's identity provider signs its users in to our applications.
    pub inbound: bool,
    pub partner: &'a str,
    /// Directory the record is written to.
    pub dir: &'a Path,
}

#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum ScaffoldError {
    #[error("--partner needs a name with letters or digits (used for the file name)")]
    #[diagnostic(code(fedctl::usage))]
    NoName,

    #[error("--partner must not contain control characters")]
    #[diagnostic(code(fedctl::usage))]
    ControlCharacters,

    #[error("{} already exists; edit it, or choose another --partner or --dir", path.display())]
    #[diagnostic(code(fedctl::usage))]
    Exists { path: PathBuf },

    #[error("cannot write {}: {source}", path.display())]
    #[diagnostic(code(fedctl::usage))]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error(
        "{} has no access groups of federation records yet: run \
         `fedctl apply --yes --realm-file {} federations/` first",
        path.display(),
        path.display()
    )]
    #[diagnostic(code(fedctl::usage))]
    NoAccessGroups { path: PathBuf },

    #[error(transparent)]
    #[diagnostic(transparent)]
    Target(#[from] TargetError),
}

/// Writes the scaffold for one partner and returns its path. Never replaces a file.
pub fn new_record(new: &NewRecord<'_>) -> Result<PathBuf, ScaffoldError> {
    let slug = slug(new.partner).ok_or(ScaffoldError::NoName)?;
    if new.partner.chars().any(char::is_control) {
        return Err(ScaffoldError::ControlCharacters);
    }
    let path = new.dir.join(format!("{slug}.yaml"));
    if path.exists() {
        return Err(ScaffoldError::Exists { path });
    }
    let entity_id = existing_entity_id(new.dir);
    let today = time::OffsetDateTime::now_utc().date();
    let text = scaffold(
        new.protocol,
        new.inbound,
        new.partner,
        &slug,
        &entity_id,
        &today.to_string(),
    );
    std::fs::create_dir_all(new.dir)
        .and_then(|()| create_new(&path, &text))
        .map_err(|source| ScaffoldError::Write {
            path: path.clone(),
            source,
        })?;
    Ok(path)
}

/// Writes atomically, refusing to replace a file that appeared since the check above.
fn create_new(path: &Path, text: &str) -> std::io::Result<()> {
    // Reserve the name first: create_new fails if another process won the race.
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    fsutil::write_atomic(path, text.as_bytes(), Mode::KeepExisting).map_err(|e| e.source)
}

/// The scaffold text for a kind of federation, filled in for one partner.
pub fn scaffold(
    protocol: Protocol,
    inbound: bool,
    partner: &str,
    slug: &str,
    entity_id: &str,
    today: &str,
) -> String {
    let template = match (protocol, inbound) {
        (Protocol::Saml, false) => include_str!("../templates/new/saml.yaml"),
        (Protocol::Saml, true) => include_str!("../templates/new/saml-inbound.yaml"),
        (Protocol::Oidc, false) => include_str!("../templates/new/oidc.yaml"),
        (Protocol::Oidc, true) => include_str!("../templates/new/oidc-inbound.yaml"),
    };
    // JSON string literals are valid YAML double-quoted scalars: quotes and backslashes in
    // a partner's name stay harmless.
    let quote = |text: &str| serde_json::Value::from(text).to_string();
    template
        .replace("{{partner_text}}", partner)
        .replace("{{partner}}", &quote(partner))
        .replace("{{slug}}", slug)
        .replace("{{your_entity_id}}", &quote(entity_id))
        .replace("{{today}}", today)
}

/// A file name for a partner: lowercase ASCII letters and digits joined by `-`.
pub fn slug(partner: &str) -> Option<String> {
    let words: Vec<String> = partner
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    (!words.is_empty()).then(|| words.join("-"))
}

/// Our entity ID as the records already in `dir` write it, so the scaffold names the right
/// realm; the placeholder when there are none.
fn existing_entity_id(dir: &Path) -> String {
    if !dir.is_dir() {
        return UNKNOWN_ENTITY_ID.into();
    }
    let validation = record::check(&LoadOptions {
        paths: vec![dir.to_owned()],
        attribute_profile: None,
    });
    validation
        .records
        .iter()
        .find(|r| r.realm().is_some())
        .map_or_else(
            || UNKNOWN_ENTITY_ID.into(),
            |r| r.record.federation.technical.your_entity_id.clone(),
        )
}

/// The demo users `add_demo_users` added (none when they were there already), and the
/// access groups they went into.
#[derive(Debug)]
pub struct DemoUsers {
    pub added: Vec<String>,
    pub groups: Vec<String>,
}

/// Adds the demo users to the access groups fedctl created in the realm file at `path`.
pub fn add_demo_users(path: &Path) -> Result<DemoUsers, ScaffoldError> {
    let file = RealmFile::open_for_update(path, None, DEMO_LOCK_TIMEOUT)?;
    let groups = access_groups(&file.document());
    if groups.is_empty() {
        return Err(ScaffoldError::NoAccessGroups {
            path: path.to_owned(),
        });
    }
    let now = time::OffsetDateTime::now_utc();
    let added = file.edit(|document| {
        demo_users(&groups, now)
            .into_iter()
            .filter(|user| rj::add_user(document, user.clone()))
            .filter_map(|user| user["username"].as_str().map(str::to_owned))
            .collect::<Vec<_>>()
    });
    block_on(file.commit())?;
    Ok(DemoUsers { added, groups })
}

/// Paths of the groups that grant a record's client role and that fedctl created.
fn access_groups(document: &Value) -> Vec<String> {
    rj::observe(document)
        .groups
        .into_iter()
        .filter(|(_, group)| !group.owners().is_empty() && !group.client_roles.is_empty())
        .map(|(path, _)| path)
        .collect()
}

/// Alice has access through every group, Bob through the first, and Carol, who has left
/// (disabled), still sits in the last: something for a review to find.
fn demo_users(groups: &[String], now: time::OffsetDateTime) -> Vec<Value> {
    let created = i64::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap_or_default();
    let user = |name: &str, enabled: bool, groups: &[String]| {
        json!({
            "id": uuid::Uuid::new_v4().to_string(),
            "username": name.to_lowercase(),
            "email": format!("{}@demo.example.org", name.to_lowercase()),
            "firstName": name,
            "lastName": "Demo",
            "enabled": enabled,
            "emailVerified": true,
            "createdTimestamp": created,
            "groups": groups,
        })
    };
    vec![
        user("Alice", true, groups),
        user("Bob", true, &groups[..1]),
        user("Carol", false, &groups[groups.len() - 1..]),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_lowercase_ascii_words() {
        assert_eq!(
            slug("Example Partner Organisation").as_deref(),
            Some("example-partner-organisation")
        );
        assert_eq!(slug("  ACME, Inc. (EU) ").as_deref(), Some("acme-inc-eu"));
        assert_eq!(slug("../../etc/passwd").as_deref(), Some("etc-passwd"));
        assert_eq!(slug("ÄÖÜ"), None);
    }

    #[test]
    fn partner_names_are_quoted_safely() {
        let text = scaffold(
            Protocol::Saml,
            false,
            "Quote \" and \\ Co",
            "q",
            UNKNOWN_ENTITY_ID,
            "2025-01-01",
        );
        assert!(text.contains(r#"partner: "Quote \" and \\ Co""#), "{text}");
    }
}
