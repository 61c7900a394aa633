//! Partner metadata named by records (`technical.partner_metadata`): read, verified against
//! `partner_metadata_signer`, one entity picked (`metadata_entity_id`), expiry checked, and
//! reduced to the SP settings the desired state takes from it. This is the I/O half of
//! metadata onboarding; [`crate::desired::compile_with_metadata`] stays pure.

use std::path::{Path, PathBuf};

use miette::Diagnostic;
use time::OffsetDateTime;

use crate::desired::PartnerMetadata;
use crate::record::{Direction, LoadedRecord, Protocol};
use crate::saml::{
    self, Entity, Expired, Metadata, MetadataError, SelectError, SignatureError, SpSettings,
    SpSettingsError,
};

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
}

#[derive(Debug, thiserror::Error)]
pub enum Problem {
    #[error("fetching metadata from a URL is not supported yet; download it and give its path")]
    Url,
    #[error("cannot be read: {0}")]
    Read(std::io::Error),
    #[error(transparent)]
    Metadata(MetadataError),
    #[error("refused: {0}")]
    Signature(SignatureError),
    #[error(transparent)]
    Select(SelectError),
    #[error("holds {0} entities; set technical.metadata_entity_id to the partner's entity ID")]
    Ambiguous(usize),
    #[error(transparent)]
    Expired(Expired),
    #[error(transparent)]
    NotAServiceProvider(SpSettingsError),
}

/// The SP settings of every outbound SAML record that names partner metadata.
pub fn resolve_all(
    records: &[LoadedRecord],
    options: Options,
) -> Result<PartnerMetadata, PartnerMetadataError> {
    let mut resolved = PartnerMetadata::new();
    for record in records {
        let federation = &record.record.federation;
        let Some(location) = &federation.technical.partner_metadata else {
            continue;
        };
        // Inbound federations would read IdP metadata; they are not reconciled yet.
        if federation.direction != Direction::Outbound || federation.protocol != Protocol::Saml {
            continue;
        }
        let settings =
            resolve(record, location, options).map_err(|problem| PartnerMetadataError {
                record: record.id.clone(),
                location: location.clone(),
                problem,
            })?;
        resolved.insert(record.id.clone(), settings);
    }
    Ok(resolved)
}

fn resolve(record: &LoadedRecord, location: &str, options: Options) -> Result<SpSettings, Problem> {
    if location.starts_with("https://") || location.starts_with("http://") {
        return Err(Problem::Url);
    }
    let technical = &record.record.federation.technical;
    let path = beside(record, location);
    let metadata = match &technical.partner_metadata_signer {
        Some(signer) => {
            saml::verify_signature(&path, &beside(record, signer)).map_err(Problem::Signature)?
        }
        None => {
            let xml = std::fs::read(&path).map_err(Problem::Read)?;
            saml::parse_metadata(&xml).map_err(Problem::Metadata)?
        }
    };
    let entity = pick(&metadata, technical.metadata_entity_id.as_deref())?;
    if !options.allow_expired {
        entity
            .check_valid_until(options.now)
            .map_err(Problem::Expired)?;
    }
    SpSettings::from_entity(entity).map_err(Problem::NotAServiceProvider)
}

/// The entity `metadata_entity_id` names; without one, the only entity.
fn pick<'m>(metadata: &'m Metadata, entity_id: Option<&str>) -> Result<&'m Entity, Problem> {
    match (entity_id, metadata.entities.as_slice()) {
        (Some(entity_id), _) => metadata.entity(entity_id).map_err(Problem::Select),
        (None, [only]) => Ok(only),
        (None, entities) => Err(Problem::Ambiguous(entities.len())),
    }
}

/// Paths in a record are relative to the record file.
fn beside(record: &LoadedRecord, relative: &str) -> PathBuf {
    record
        .path
        .parent()
        .unwrap_or(Path::new("."))
        .join(relative)
}
