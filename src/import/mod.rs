//! `fedctl import`: existing Keycloak clients → federation records, the inverse of
//! [`crate::desired`].
//!
//! The pure part takes the observed realm ([`RealmState`]) and returns, per selected client,
//! the record text (with `CHANGE-ME` placeholders and comments for what Keycloak cannot
//! know) and, for a SAML client whose partner certificates Keycloak holds, an SP metadata
//! document the record points at. Each record is checked the way `plan --adopt` will see it:
//! it is compiled and diffed against the realm, and every change beyond fedctl's ownership
//! markers is written into the record as a comment and returned for the summary, never
//! dropped silently. [`write`] puts the files in place, all or nothing; [`run`] does the
//! whole command: read the target, import, write.

mod access;
mod attributes;
mod client;
mod deviations;
mod metadata;
mod render;
mod select;
pub mod write;

use std::collections::BTreeSet;
use std::path::PathBuf;

use time::Date;

use crate::pipeline::{AnyTarget, open_target};
use crate::reconcile::Scope;
use crate::record::profile::AttributeProfile;
use crate::record::validate::PLACEHOLDER;
use crate::record::{self, Federation, RecordErrors};
use crate::runtime::block_on;
use crate::state::RealmState;
use crate::target::{Target, TargetChoice, TargetError};

pub use select::{BUILTIN_CLIENTS, Selection};
pub use write::{WriteError, write};

/// What to import and how to name it.
pub struct ImportOptions<'a> {
    pub selection: Selection,
    /// Our realm's issuer for `your_entity_id` (`https://host/realms/<realm>`); a
    /// placeholder host when the target does not tell it (a realm file).
    pub your_entity_id: String,
    pub profile: &'a AttributeProfile,
    /// Where the realm was read, for the records' header comment.
    pub source: String,
    /// Today, for validating the records (date warnings) and the header comment.
    pub today: Date,
}

/// The result of an import: records to write and the clients that could not become one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Imported {
    pub records: Vec<ImportedRecord>,
    /// Selected clients that did not become a record, with the reason.
    pub not_imported: Vec<(String, String)>,
    /// Built-in Keycloak clients `--all-partners` left out.
    pub builtin_left_out: Vec<String>,
}

/// One client as a record.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedRecord {
    /// The record id: its file name without `.yaml`.
    pub id: String,
    pub client_id: String,
    /// The record file's text.
    pub text: String,
    /// The partner's SP metadata (certificates as Keycloak holds them), written beside the
    /// record as [`metadata::file_name`].
    pub metadata: Option<String>,
    /// Fields left as `CHANGE-ME` for the admin to fill in.
    pub placeholders: Vec<String>,
    /// What `plan --adopt` would change beyond ownership markers, one line each.
    pub deviations: Vec<String>,
}

impl ImportedRecord {
    pub fn file_name(&self) -> String {
        format!("{}.yaml", self.id)
    }

    pub fn metadata_file_name(&self) -> Option<String> {
        self.metadata
            .as_ref()
            .map(|_| metadata::file_name(&self.id))
    }
}

/// What `fedctl import` is asked to do.
#[derive(Debug, Clone)]
pub struct ImportRequest {
    pub target: TargetChoice,
    pub selection: Selection,
    /// The directory the records are written to (created if missing).
    pub out: PathBuf,
    /// Replace record files that already exist.
    pub force: bool,
    /// The attribute profile to match mappers against (default: the built-in one).
    pub attribute_profile: Option<PathBuf>,
}

/// Reads the target, imports the selected clients and writes their records; returns what
/// was imported and the files written.
pub fn run(request: &ImportRequest) -> Result<(Imported, Vec<PathBuf>), ImportError> {
    let profile = match &request.attribute_profile {
        Some(path) => AttributeProfile::load(path)?,
        None => AttributeProfile::builtin(),
    };
    let target = open_target(&request.target, None, None)?;
    let realm = target.realm().to_owned();
    let state = block_on(target.observe(&Scope::default()))?;
    let scope = scope(&state, &realm, &request.selection)?;
    let state = if scope.role_holders.is_empty() {
        state
    } else {
        block_on(target.observe(&scope))?
    };
    let options = ImportOptions {
        selection: request.selection.clone(),
        your_entity_id: your_entity_id(&target),
        profile: &profile,
        source: target.describe(),
        today: time::OffsetDateTime::now_utc().date(),
    };
    let imported = import(&state, &realm, &options)?;
    let written = write(&imported, &request.out, request.force)?;
    Ok((imported, written))
}

/// Our realm's issuer: a live Keycloak's public realm URL; a realm file does not say which
/// host serves it, so the host is left to fill in.
fn your_entity_id(target: &AnyTarget) -> String {
    match target {
        AnyTarget::Keycloak(keycloak) => keycloak
            .client()
            .public_url(&[])
            .as_str()
            .trim_end_matches('/')
            .to_owned(),
        AnyTarget::File(file) => {
            format!("https://{PLACEHOLDER}.example.org/realms/{}", file.realm())
        }
    }
}

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ImportError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Target(#[from] TargetError),

    /// The attribute profile given could not be read.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Profile(#[from] RecordErrors),

    #[error("no client `{client_id}` in realm {realm}")]
    #[diagnostic(
        code(fedctl::import::no_client),
        help(
            "--client takes a clientId (a SAML client's entity ID); --all-partners imports every partner client"
        )
    )]
    NoSuchClient { client_id: String, realm: String },

    #[error(transparent)]
    #[diagnostic(transparent)]
    Write(#[from] WriteError),
}

/// A record being made from a client: the federation as fedctl will compile it, and what the
/// record text adds to it.
#[derive(Debug, Clone)]
struct Draft {
    id: String,
    client_id: String,
    federation: Federation,
    /// Fields written as `CHANGE-ME` (dotted paths below `federation`).
    placeholders: BTreeSet<&'static str>,
    metadata: Option<metadata::SpMetadata>,
    /// Comments on the record: what the record cannot say about the client.
    notes: Vec<String>,
}

/// What to observe besides the realm's structure: the direct holders of the selected
/// clients' roles (pilot users), which a live Keycloak's export does not list.
pub fn scope(state: &RealmState, realm: &str, selection: &Selection) -> Result<Scope, ImportError> {
    let chosen = select::choose(state, realm, selection)?;
    let role_holders = (chosen.clients.iter())
        .flat_map(|client_id| {
            let roles = state.clients[client_id].roles.keys();
            roles.map(move |role| (client_id.clone(), role.clone()))
        })
        .collect();
    Ok(Scope {
        role_holders,
        ..Scope::default()
    })
}

/// Every selected client of `state` as a record.
pub fn import(
    state: &RealmState,
    realm: &str,
    options: &ImportOptions<'_>,
) -> Result<Imported, ImportError> {
    let chosen = select::choose(state, realm, &options.selection)?;
    let mut imported = Imported {
        builtin_left_out: chosen.builtin,
        ..Imported::default()
    };
    let mut taken = BTreeSet::new();
    for client_id in chosen.clients {
        let client = &state.clients[&client_id];
        match draft(state, &client_id, client, options, &taken) {
            Ok(draft) => match finish(state, draft, options) {
                Ok(record) => {
                    taken.insert(record.id.clone());
                    imported.records.push(record);
                }
                Err(why) => imported.not_imported.push((client_id, why)),
            },
            Err(why) => imported.not_imported.push((client_id, why)),
        }
    }
    Ok(imported)
}

fn draft(
    state: &RealmState,
    client_id: &str,
    client: &crate::state::Client,
    options: &ImportOptions<'_>,
    taken: &BTreeSet<String>,
) -> Result<Draft, String> {
    let protocol = client::protocol(client)?;
    let id = access::record_id(client_id, client, taken);
    let mut notes = Vec::new();
    let mut technical = client::technical(client_id, client, protocol, options, &mut notes);
    if technical.metadata.is_some() {
        technical.technical.partner_metadata = Some(metadata::file_name(&id));
    }
    let access = access::of(state, client_id, client, &mut notes);
    let attributes_shared = attributes::shared(client, protocol, options.profile, &mut notes);
    let placeholder = || Some(PLACEHOLDER.to_owned());
    let mut draft = Draft {
        id,
        client_id: client_id.to_owned(),
        federation: Federation {
            partner: client::partner(client_id, client),
            protocol,
            direction: record::Direction::Outbound,
            established: None,
            technical: technical.technical,
            access_control: access.control,
            attributes_shared,
            contacts: record::Contacts {
                partner_technical: placeholder(),
                your_technical: placeholder(),
            },
        },
        placeholders: access.placeholders,
        metadata: technical.metadata,
        notes,
    };
    draft.placeholders.extend(ALWAYS_PLACEHOLDERS);
    let entity_id = &draft.federation.technical.your_entity_id;
    if entity_id.contains(PLACEHOLDER) {
        draft.placeholders.insert("technical.your_entity_id");
    }
    access::decide_enforcement(state, client, &mut draft, options.profile);
    Ok(draft)
}

/// What Keycloak cannot tell: always left for the admin.
const ALWAYS_PLACEHOLDERS: [&str; 5] = [
    "established",
    "access_control.approver",
    "access_control.review_frequency",
    "contacts.partner_technical",
    "contacts.your_technical",
];

/// Renders the draft, checks it as `validate` will, and lists its deviations.
fn finish(
    state: &RealmState,
    mut draft: Draft,
    options: &ImportOptions<'_>,
) -> Result<ImportedRecord, String> {
    let deviations = deviations::of(state, &draft, options.profile)?;
    draft.notes.extend(
        deviations
            .iter()
            .map(|d| format!("`plan --adopt` would change: {d}")),
    );
    render::check(&draft, options)?;
    let text = render::record(&draft, options);
    Ok(ImportedRecord {
        id: draft.id.clone(),
        client_id: draft.client_id.clone(),
        metadata: draft.metadata.as_ref().map(metadata::SpMetadata::xml),
        placeholders: draft
            .placeholders
            .iter()
            .map(|field| format!("federation.{field}"))
            .collect(),
        deviations,
        text,
    })
}

#[cfg(test)]
mod tests;
