//! Rendering a [`Report`](super::model::Report): a text table for people, a JSON document for
//! tools, the Prometheus text exposition format for monitoring. Pure: each returns a string.

pub mod json;
pub mod prometheus;
pub mod text;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// RFC 3339 to the second: certificate dates have no fraction, and a run's nanoseconds are
/// noise to the people and tools reading it.
pub(crate) fn rfc3339(instant: OffsetDateTime) -> String {
    let instant = instant.replace_nanosecond(0).unwrap_or(instant);
    instant
        .format(&Rfc3339)
        .unwrap_or_else(|_| instant.to_string())
}
