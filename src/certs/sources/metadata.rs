//! Certificates and validity of SAML metadata ([`saml::Metadata`]): every entity of a
//! `--metadata` file, or the partner's entity of a record's `partner_metadata`.

use super::RecordRef;
use crate::certs::model::{Evidence, Found, FoundValidity, Inventory, SourceKind, Usage};
use crate::record::Direction;
use crate::saml::{self, Entity, Metadata, Role};

/// Every certificate and validUntil of a metadata file given with `--metadata`: not tied to a
/// record, each entity is its own partner.
pub fn collect_file(doc: &Metadata, location: &str) -> Inventory {
    let mut inventory = Inventory::default();
    inventory
        .validities
        .extend(document_validity(doc, None, "", location));
    for entity in &doc.entities {
        let partner = entity.entity_id.as_str();
        inventory
            .certificates
            .extend(entity_certificates(entity, None, partner, location, None));
        inventory
            .validities
            .extend(entity_validity(doc, entity, None, partner, location));
    }
    inventory
}

/// The partner's certificates from a record's `partner_metadata`: the entity named by
/// `metadata_entity_id` (or the only one), in the role the partner plays (SP for outbound,
/// IdP for inbound federations).
pub fn collect_record(
    doc: &Metadata,
    location: &str,
    record: &RecordRef<'_>,
) -> Result<Inventory, saml::SelectError> {
    let entity = doc.pick(record.federation.technical.metadata_entity_id.as_deref())?;
    let role = match record.federation.direction {
        Direction::Outbound => Role::Sp,
        Direction::Inbound => Role::Idp,
    };
    let (federation, partner) = (Some(record.id), record.federation.partner.as_str());
    let mut inventory = Inventory {
        certificates: entity_certificates(entity, federation, partner, location, Some(role)),
        ..Inventory::default()
    };
    inventory
        .validities
        .extend(document_validity(doc, federation, partner, location));
    inventory
        .validities
        .extend(entity_validity(doc, entity, federation, partner, location));
    Ok(inventory)
}

impl From<saml::KeyUse> for Usage {
    fn from(usage: saml::KeyUse) -> Self {
        match usage {
            saml::KeyUse::Signing => Usage::Signing,
            saml::KeyUse::Encryption => Usage::Encryption,
            saml::KeyUse::Unspecified => Usage::SigningAndEncryption,
        }
    }
}

fn entity_certificates(
    entity: &Entity,
    federation: Option<&str>,
    partner: &str,
    location: &str,
    role: Option<Role>,
) -> Vec<Found> {
    entity
        .keys()
        .filter(|(key_role, _)| role.is_none_or(|r| *key_role == r))
        .map(|(key_role, key)| Found {
            federation: federation.map(str::to_owned),
            partner: partner.to_owned(),
            source: SourceKind::Metadata,
            location: format!(
                "{location} {} {}",
                match key_role {
                    Role::Sp => "SP",
                    Role::Idp => "IdP",
                },
                entity.entity_id
            ),
            usage: key.usage.into(),
            evidence: match &key.certificate {
                Ok(cert) => Evidence::Certificate(Box::new(cert.clone())),
                Err(problem) => Evidence::Unreadable(problem.to_string()),
            },
        })
        .collect()
}

/// The root's validUntil, unless the root is the one entity (then it is reported as the
/// entity's).
fn document_validity(
    doc: &Metadata,
    federation: Option<&str>,
    partner: &str,
    location: &str,
) -> Option<FoundValidity> {
    let root_is_entity = doc.entities.len() == 1 && doc.entities[0].valid_until == doc.valid_until;
    Some(FoundValidity {
        federation: federation.map(str::to_owned),
        partner: partner.to_owned(),
        location: location.to_owned(),
        entity_id: None,
        valid_until: doc.valid_until.filter(|_| !root_is_entity)?,
    })
}

/// An entity's effective validUntil, when it says more than the document's: an aggregate's
/// entities inherit the root's, and repeating it for each of 2,000 entities says nothing.
fn entity_validity(
    doc: &Metadata,
    entity: &Entity,
    federation: Option<&str>,
    partner: &str,
    location: &str,
) -> Option<FoundValidity> {
    let own = entity
        .valid_until
        .filter(|v| doc.entities.len() == 1 || Some(*v) != doc.valid_until)?;
    Some(FoundValidity {
        federation: federation.map(str::to_owned),
        partner: partner.to_owned(),
        location: location.to_owned(),
        entity_id: Some(entity.entity_id.clone()),
        valid_until: own,
    })
}
