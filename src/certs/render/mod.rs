//! Rendering a [`Report`](super::model::Report): a text table for people, a JSON document for
//! tools, the Prometheus text exposition format for monitoring. Pure: each returns a string.

pub mod json;
pub mod prometheus;
pub mod text;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub(crate) fn rfc3339(instant: OffsetDateTime) -> String {
    instant
        .format(&Rfc3339)
        .unwrap_or_else(|_| instant.to_string())
}
