//! `fedctl new saml|oidc --partner NAME`: write a record scaffold to fill in.

use std::path::{Path, PathBuf};

use super::Exit;
use super::args::RecordArgs;
use crate::error::Error;
use crate::fsutil::{self, Mode};
use crate::record;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Protocol of the federation.
    #[arg(value_enum)]
    pub protocol: Kind,

    /// Name of the partner organisation; the file is named after it.
    #[arg(long, value_name = "NAME")]
    pub partner: String,

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
}

/// Placeholder for our realm's entity ID when no existing record tells it.
const UNKNOWN_ENTITY_ID: &str = "https://CHANGE-ME.example.org/realms/CHANGE-ME";

pub fn run(args: &Args) -> Result<Exit, Error> {
    let slug = slug(&args.partner).ok_or_else(|| {
        Error::Usage(
            "--partner needs a name with letters or digits (used for the file name)".into(),
        )
    })?;
    if args.partner.chars().any(char::is_control) {
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
        args.protocol,
        args.inbound,
        &args.partner,
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
    kind: Kind,
    inbound: bool,
    partner: &str,
    slug: &str,
    entity_id: &str,
    today: &str,
) -> String {
    let template = match (kind, inbound) {
        (Kind::Saml, false) => include_str!("../../templates/new/saml.yaml"),
        (Kind::Saml, true) => include_str!("../../templates/new/saml-inbound.yaml"),
        (Kind::Oidc, false) => include_str!("../../templates/new/oidc.yaml"),
        (Kind::Oidc, true) => include_str!("../../templates/new/oidc-inbound.yaml"),
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
    let validation = record::check(&RecordArgs {
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
            Kind::Saml,
            false,
            "Quote \" and \\ Co",
            "q",
            UNKNOWN_ENTITY_ID,
            "2025-01-01",
        );
        assert!(text.contains(r#"partner: "Quote \" and \\ Co""#), "{text}");
    }
}
