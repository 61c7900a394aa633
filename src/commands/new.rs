//! `fedctl new saml|oidc --partner NAME`: write a record scaffold to fill in.
//! `fedctl new demo --realm-file FILE`: add demo users to the records' access groups, so that
//! `review` can be tried offline.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::Exit;
use crate::error::Error;
use crate::fsutil::{self, Mode};
use crate::keycloak::realm_file::RealmFile;
use crate::keycloak::realm_json as rj;
use crate::record;
use crate::record::LoadOptions;
use crate::runtime::block_on;
use crate::target::Target;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to create: a record scaffold for a SAML or OIDC federation, or (`demo`) demo
    /// users in a realm file that fedctl has applied records to.
    #[arg(value_enum)]
    pub protocol: Kind,

    /// Name of the partner organisation; the file is named after it.
    #[arg(long, value_name = "NAME", required_if_eq_any([("protocol", "saml"), ("protocol", "oidc")]))]
    pub partner: Option<String>,

    /// `demo` only: the realm file to add the demo users to.
    #[arg(long, value_name = "PATH", required_if_eq("protocol", "demo"))]
    pub realm_file: Option<PathBuf>,

    /// Directory the record is written to.
    #[arg(long, value_name = "DIR", default_value = "federations")]
    pub dir: PathBuf,

    /// The partner's identity provider signs its users in to our applications
    /// (default: our identity provider signs users in to the partner's application).
    #[arg(long)]
    pub inbound: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    Saml,
    Oidc,
    Demo,
}

/// Placeholder for our realm's entity ID when no existing record tells it.
const UNKNOWN_ENTITY_ID: &str = "https://CHANGE-ME.example.org/realms/CHANGE-ME";

pub fn run(args: &Args) -> Result<Exit, Error> {
    let protocol = match args.protocol {
        Kind::Saml => Protocol::Saml,
        Kind::Oidc => Protocol::Oidc,
        Kind::Demo => {
            let realm_file = args
                .realm_file
                .as_deref()
                .ok_or_else(|| Error::Usage("`new demo` needs --realm-file".into()))?;
            return add_demo_users(realm_file);
        }
    };
    let partner = args
        .partner
        .as_deref()
        .ok_or_else(|| Error::Usage("--partner is required".into()))?;
    new_record(args, protocol, partner)
}

/// The protocol of a record scaffold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Saml,
    Oidc,
}

fn new_record(args: &Args, protocol: Protocol, partner: &str) -> Result<Exit, Error> {
    let slug = slug(partner).ok_or_else(|| {
        Error::Usage(
            "--partner needs a name with letters or digits (used for the file name)".into(),
        )
    })?;
    if partner.chars().any(char::is_control) {
        return Err(Error::Usage(
            "--partner must not contain control characters".into(),
        ));
    }
    let path = args.dir.join(format!("{slug}.yaml"));
    if path.exists() {
        return Err(Error::Usage(format!(
            "{} already exists; edit it, or choose another --partner or --dir",
            path.display()
        )));
    }
    let entity_id = existing_entity_id(&args.dir);
    let today = time::OffsetDateTime::now_utc().date();
    let text = scaffold(
        protocol,
        args.inbound,
        partner,
        &slug,
        &entity_id,
        &today.to_string(),
    );
    std::fs::create_dir_all(&args.dir)
        .and_then(|()| create_new(&path, &text))
        .map_err(|e| Error::Usage(format!("cannot write {}: {e}", path.display())))?;
    print!("{}", next_steps(&path));
    Ok(Exit::SUCCESS)
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
        (Protocol::Saml, false) => include_str!("../../templates/new/saml.yaml"),
        (Protocol::Saml, true) => include_str!("../../templates/new/saml-inbound.yaml"),
        (Protocol::Oidc, false) => include_str!("../../templates/new/oidc.yaml"),
        (Protocol::Oidc, true) => include_str!("../../templates/new/oidc-inbound.yaml"),
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

fn next_steps(path: &Path) -> String {
    let path = path.display();
    format!(
        "Created {path}\n\
         Next steps:\n  \
         1. Replace every CHANGE-ME in it with the partner's real values.\n  \
         2. fedctl validate {path}      (lists anything still missing)\n  \
         3. fedctl plan {path}          (shows what would change in Keycloak)\n"
    )
}

/// How long `new demo` waits for an apply that is changing the realm file.
const DEMO_LOCK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Adds the demo users to the access groups fedctl created in `path`.
fn add_demo_users(path: &Path) -> Result<Exit, Error> {
    let file = RealmFile::open_for_update(path, None, DEMO_LOCK_TIMEOUT)?;
    let groups = access_groups(&file.document());
    if groups.is_empty() {
        return Err(Error::Usage(format!(
            "{} has no access groups of federation records yet: run \
             `fedctl apply --yes --realm-file {} federations/` first",
            path.display(),
            path.display()
        )));
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
    if added.is_empty() {
        println!("{} already has the demo users.", path.display());
    } else {
        println!(
            "Added demo users {} to {} (access groups: {}).\nTry: fedctl review --realm-file {} federations/",
            added.join(", "),
            path.display(),
            groups.join(", "),
            path.display()
        );
    }
    Ok(Exit::SUCCESS)
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
