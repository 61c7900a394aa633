//! Picking one entity out of a document (`technical.metadata_entity_id`) and checking expiry.

use time::OffsetDateTime;

use super::model::{Entity, Metadata, Position};

/// Why [`Metadata::entity`] found no single entity.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectError {
    #[error(
        "entity {entity_id:?} is not in the metadata ({count} entities){}",
        suggestions(close_matches)
    )]
    NotFound {
        entity_id: String,
        count: usize,
        close_matches: Vec<String>,
    },
    #[error(
        "the metadata holds {0} entities; set technical.metadata_entity_id to the partner's entity ID"
    )]
    Ambiguous(usize),
    #[error("entity {entity_id:?} appears more than once: at {first} and at {second}")]
    Duplicate {
        entity_id: String,
        first: Position,
        second: Position,
    },
}

fn suggestions(close_matches: &[String]) -> String {
    if close_matches.is_empty() {
        String::new()
    } else {
        format!(
            "; did you mean {}?",
            close_matches
                .iter()
                .map(|m| format!("{m:?}"))
                .collect::<Vec<_>>()
                .join(" or ")
        )
    }
}

/// `validUntil` has passed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{subject} expired: its validUntil {} has passed (use --allow-expired-metadata to accept it)",
    rfc3339(*valid_until)
)]
pub struct Expired {
    /// `entity <id>` or `the metadata document`.
    pub subject: String,
    pub valid_until: OffsetDateTime,
    pub now: OffsetDateTime,
}

fn rfc3339(instant: OffsetDateTime) -> String {
    instant
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| instant.to_string())
}

/// Entity IDs this similar to the one asked for are suggested (normalised Levenshtein: entity
/// IDs share long `https://` prefixes, which prefix-weighted measures overrate).
const SIMILARITY: f64 = 0.9;
const MAX_SUGGESTIONS: usize = 3;

impl Metadata {
    /// The entity with this `entityID`. Aggregates are sometimes built carelessly, so an ID
    /// present twice is an error naming both places rather than a silent first pick.
    /// The entity a record means: the one `entity_id` names, or without one, the only entity.
    pub fn pick(&self, entity_id: Option<&str>) -> Result<&Entity, SelectError> {
        match (entity_id, self.entities.as_slice()) {
            (Some(entity_id), _) => self.entity(entity_id),
            (None, [only]) => Ok(only),
            (None, entities) => Err(SelectError::Ambiguous(entities.len())),
        }
    }

    pub fn entity(&self, entity_id: &str) -> Result<&Entity, SelectError> {
        let mut matches = self.entities.iter().filter(|e| e.entity_id == entity_id);
        let Some(first) = matches.next() else {
            return Err(SelectError::NotFound {
                entity_id: entity_id.to_owned(),
                count: self.entities.len(),
                close_matches: self.close_matches(entity_id),
            });
        };
        match matches.next() {
            None => Ok(first),
            Some(second) => Err(SelectError::Duplicate {
                entity_id: entity_id.to_owned(),
                first: first.position,
                second: second.position,
            }),
        }
    }

    fn close_matches(&self, entity_id: &str) -> Vec<String> {
        let wanted = entity_id.trim_end_matches('/').to_ascii_lowercase();
        let mut scored: Vec<(f64, &str)> = self
            .entities
            .iter()
            .map(|e| {
                let candidate = e.entity_id.trim_end_matches('/').to_ascii_lowercase();
                (
                    strsim::normalized_levenshtein(&wanted, &candidate),
                    e.entity_id.as_str(),
                )
            })
            .filter(|(score, _)| *score >= SIMILARITY)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        scored
            .into_iter()
            .take(MAX_SUGGESTIONS)
            .map(|(_, id)| id.to_owned())
            .collect()
    }

    /// Refuses a document whose root `validUntil` has passed.
    pub fn check_valid_until(&self, now: OffsetDateTime) -> Result<(), Expired> {
        check(self.valid_until, now, || "the metadata document".to_owned())
    }
}

impl Entity {
    /// Refuses an entity whose effective `validUntil` (its own or an enclosing group's) has
    /// passed; the caller decides whether `--allow-expired-metadata` overrides it.
    pub fn check_valid_until(&self, now: OffsetDateTime) -> Result<(), Expired> {
        check(self.valid_until, now, || {
            format!("entity {:?}", self.entity_id)
        })
    }
}

fn check(
    valid_until: Option<OffsetDateTime>,
    now: OffsetDateTime,
    subject: impl FnOnce() -> String,
) -> Result<(), Expired> {
    match valid_until {
        Some(valid_until) if valid_until < now => Err(Expired {
            subject: subject(),
            valid_until,
            now,
        }),
        _ => Ok(()),
    }
}
