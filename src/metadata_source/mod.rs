//! Partner metadata named by records (`technical.partner_metadata`, a file or an https URL):
//! read or fetched once per document ([`Documents`]), verified against
//! `partner_metadata_signer`, one entity picked (`metadata_entity_id`), expiry checked, and
//! reduced to the SP settings the desired state takes from it. This is the I/O half of
//! metadata onboarding; [`crate::desired::compile_with_metadata`] stays pure.

mod documents;
mod fetch;
pub mod inbound;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use miette::Diagnostic;
use time::OffsetDateTime;

pub use self::documents::{Document, Documents, Location, LocationError, SourceError};
pub use self::fetch::{FetchError, FetchOptions};
use crate::desired::PartnerMetadata;
use crate::printable::printable;
use crate::record::written_as_url;
use crate::record::{Direction, LoadedRecord, Protocol};
use crate::saml::{
    self, Entity, Expired, Finding, IdpSettings, IdpSettingsError, SelectError, SignatureError,
    SpSettings, SpSettingsError,
};
use crate::url_rule;

/// How metadata is judged.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Accept metadata whose `validUntil` has passed (`--allow-expired-metadata`).
    pub allow_expired: bool,
    pub now: OffsetDateTime,
}

#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("record {record}: partner_metadata {location}: {problem}")]
#[diagnostic(code(fedctl::partner_metadata))]
pub struct PartnerMetadataError {
    pub record: String,
    pub location: String,
    pub problem: Problem,
    #[help]
    pub help: Option<&'static str>,
}

#[derive(Debug, thiserror::Error)]
pub enum Problem {
    #[error(transparent)]
    Url(LocationError),
    #[error(transparent)]
    Source(Arc<SourceError>),
    #[error("refused: {0}")]
    Signature(Arc<SignatureError>),
    #[error(transparent)]
    Select(SelectError),
    #[error(transparent)]
    Expired(Expired),
    #[error(transparent)]
    SpSettings(SpSettingsError),
    #[error(transparent)]
    IdpSettings(IdpSettingsError),
}

impl Problem {
    /// The record field the problem is about.
    pub fn field(&self) -> &'static str {
        match self {
            Problem::Signature(_) => "federation.technical.partner_metadata_signer",
            Problem::SpSettings(SpSettingsError::UnsafeLocation { .. }) => {
                "federation.technical.partner_metadata"
            }
            Problem::Select(_) | Problem::SpSettings(_) | Problem::IdpSettings(_) => {
                "federation.technical.metadata_entity_id"
            }
            _ => "federation.technical.partner_metadata",
        }
    }

    /// What to do about it.
    pub fn help(&self) -> Option<&'static str> {
        Some(match self {
            Problem::Url(_) => "write an https URL, or a file path relative to the record",
            Problem::Source(source) => match source.as_ref() {
                SourceError::Fetch(FetchError::Setup(_)) => {
                    "https with a certificate the system or --ca-cert trusts is required"
                }
                SourceError::Fetch(_) => {
                    "check the URL and the network, or download the metadata and give its path"
                }
                _ => return None,
            },
            Problem::Signature(_) => {
                "partner_metadata_signer must be the certificate of the key that signs the \
                 metadata (the federation operator's); metadata that fails is never used"
            }
            Problem::Select(_) => {
                "set metadata_entity_id to the partner's entityID exactly as the metadata has it"
            }
            Problem::Expired(_) => {
                "ask the partner for current metadata; --allow-expired-metadata accepts it anyway"
            }
            Problem::SpSettings(SpSettingsError::UnsafeLocation { problem, .. }) => problem.help(),
            Problem::SpSettings(_) => {
                "an outbound federation needs the partner's SP metadata (an SPSSODescriptor)"
            }
            Problem::IdpSettings(_) => {
                "an inbound federation needs the partner's IdP metadata (an IDPSSODescriptor)"
            }
        })
    }
}

/// What one record takes from its partner's metadata.
#[derive(Debug)]
pub struct Resolved {
    pub settings: SpSettings,
    /// What the parser found wrong with the partner's entity (an unreadable certificate, an
    /// invalid attribute): not fatal, but worth the admin's eye.
    pub findings: Vec<Finding>,
}

/// Every outbound SAML record's resolution, for `plan` and `apply`: the settings, and the
/// findings per record.
pub struct Resolution {
    pub settings: PartnerMetadata,
    pub findings: Vec<(String, Finding)>,
}

/// The `partner_metadata` of a SAML record in `direction`.
fn metadata_in(record: &LoadedRecord, direction: Direction) -> Option<&str> {
    let federation = &record.record.federation;
    let saml = federation.direction == direction && federation.protocol == Protocol::Saml;
    saml.then_some(federation.technical.partner_metadata.as_deref())
        .flatten()
}

/// The `partner_metadata` of a record whose SP metadata is read: outbound SAML.
fn metadata_of(record: &LoadedRecord) -> Option<&str> {
    metadata_in(record, Direction::Outbound)
}

/// The `partner_metadata` of any SAML record, SP or IdP metadata.
fn any_metadata_of(record: &LoadedRecord) -> Option<&str> {
    metadata_in(record, Direction::Outbound).or(metadata_in(record, Direction::Inbound))
}

/// Whether the record's partner metadata is at a URL (to be fetched).
pub fn names_url(record: &LoadedRecord) -> bool {
    any_metadata_of(record).is_some_and(written_as_url)
}

/// Reads and fetches every document the records name.
pub async fn load(records: &[LoadedRecord], fetch: &FetchOptions) -> Documents {
    let locations = records.iter().filter_map(|record| {
        let text = any_metadata_of(record)?;
        Location::of_record(&record.path, text).ok()
    });
    Documents::load(locations, fetch).await
}

/// Each outbound SAML record that names partner metadata, with what it takes from it.
pub fn resolve_each<'r>(
    records: &'r [LoadedRecord],
    documents: &Documents,
    options: Options,
) -> Vec<(&'r LoadedRecord, Result<Resolved, PartnerMetadataError>)> {
    let mut signatures = Signatures::default();
    records
        .iter()
        .filter_map(|record| {
            let text = metadata_of(record)?;
            let resolved = entity(record, text, documents, &mut signatures, options)
                .and_then(|entity| {
                    Ok(Resolved {
                        settings: SpSettings::from_entity(entity).map_err(Problem::SpSettings)?,
                        findings: entity.findings.clone(),
                    })
                })
                .map_err(|problem| located(record, text, problem));
            Some((record, resolved))
        })
        .collect()
}

/// [`resolve_each`], failing on the first problem.
pub fn resolve_all(
    records: &[LoadedRecord],
    documents: &Documents,
    options: Options,
) -> Result<Resolution, Box<PartnerMetadataError>> {
    let mut resolution = Resolution {
        settings: PartnerMetadata::new(),
        findings: Vec::new(),
    };
    for (record, resolved) in resolve_each(records, documents, options) {
        let resolved = resolved.map_err(Box::new)?;
        let id = &record.id;
        resolution
            .findings
            .extend(resolved.findings.into_iter().map(|f| (id.clone(), f)));
        resolution.settings.insert(id.clone(), resolved.settings);
    }
    Ok(resolution)
}

fn located(record: &LoadedRecord, text: &str, problem: Problem) -> PartnerMetadataError {
    PartnerMetadataError {
        record: record.id.clone(),
        location: printable(&url_rule::redact_credentials(text)).into_owned(),
        help: problem.help(),
        problem,
    }
}

/// The partner's entity in its metadata: signature verified, picked, not expired.
fn entity<'d>(
    record: &LoadedRecord,
    text: &str,
    documents: &'d Documents,
    signatures: &mut Signatures,
    options: Options,
) -> Result<&'d Entity, Problem> {
    let location = Location::of_record(&record.path, text).map_err(Problem::Url)?;
    let document = documents.get(&location).map_err(Problem::Source)?;
    let technical = &record.record.federation.technical;
    if let Some(signer) = &technical.partner_metadata_signer {
        let signer = documents::beside(&record.path, signer);
        signatures
            .verify(&location, document, signer)
            .map_err(Problem::Signature)?;
    }
    let entity = document
        .metadata
        .pick(technical.metadata_entity_id.as_deref())
        .map_err(Problem::Select)?;
    if !options.allow_expired {
        entity
            .check_valid_until(options.now)
            .map_err(Problem::Expired)?;
    }
    Ok(entity)
}

/// Per inbound SAML record: its partner IdP's settings; and the findings per record.
pub type InboundResolution = (BTreeMap<String, IdpSettings>, Vec<(String, Finding)>);

/// Every inbound SAML record's partner IdP, from its metadata (verified like SP metadata),
/// with the metadata's findings.
pub fn resolve_inbound(
    records: &[LoadedRecord],
    documents: &Documents,
    options: Options,
) -> Result<InboundResolution, Box<PartnerMetadataError>> {
    let mut signatures = Signatures::default();
    let mut settings = BTreeMap::new();
    let mut findings = Vec::new();
    for record in records {
        let Some(text) = metadata_in(record, Direction::Inbound) else {
            continue;
        };
        let entity = entity(record, text, documents, &mut signatures, options)
            .map_err(|problem| Box::new(located(record, text, problem)))?;
        let idp = IdpSettings::from_entity(entity)
            .map_err(|e| Box::new(located(record, text, Problem::IdpSettings(e))))?;
        findings.extend(
            entity
                .findings
                .iter()
                .map(|f| (record.id.clone(), f.clone())),
        );
        settings.insert(record.id.clone(), idp);
    }
    Ok((settings, findings))
}

/// Signature checks already made: one per document and signer, not one per record.
#[derive(Default)]
struct Signatures {
    checked: HashMap<(Location, PathBuf), Result<(), Arc<SignatureError>>>,
}

impl Signatures {
    fn verify(
        &mut self,
        location: &Location,
        document: &Document,
        signer: PathBuf,
    ) -> Result<(), Arc<SignatureError>> {
        self.checked
            .entry((location.clone(), signer))
            .or_insert_with_key(|(_, signer)| {
                saml::read_signers(signer)
                    .and_then(|signers| saml::verify_signed_metadata(&document.bytes, &signers))
                    .map(drop)
                    .map_err(Arc::new)
            })
            .clone()
    }
}
