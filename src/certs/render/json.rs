//! `--output json`: a stable document for tools (version 1).
//!
//! ```text
//! { "version": 1, "as_of", "status", "exit_code",
//!   "thresholds": { "warning", "critical", "warning_seconds", "critical_seconds" },
//!   "certificates": [ { "federation", "partner", "source", "location", "usage", "status",
//!       "days_left", "not_after", "not_before", "subject", "subject_cn", "issuer",
//!       "serial", "fingerprint_sha256", "stated_expiry", "error" } ],
//!   "metadata_validity": [ { "federation", "partner", "location", "entity_id",
//!       "valid_until", "days_left", "status" } ],
//!   "record_mismatches": [ { "federation", "partner", "stated", "actual": [date], "status",
//!       "kind": "wrong-date"|"old-certificate" } ],
//!   "sources": [ { "source", "location", "up", "error" } ] }
//! ```
//! Fields are never removed within a version; absent facts are `null`. Timestamps are RFC 3339
//! UTC, dates `YYYY-MM-DD`, `certificates` is sorted by `days_left` (unreadable first).

use serde::Serialize;

use super::{rfc3339, without_credentials};
use crate::certs::model::{
    CheckedCertificate, CheckedValidity, Evidence, ExpiryMismatch, MismatchKind, Report,
    SourceKind, SourceStatus, Status, Usage,
};
use crate::certs::thresholds::format_duration;
use crate::record::IsoDate;

pub const VERSION: u32 = 1;

pub fn render(report: &Report) -> String {
    let status = report.status();
    let document = Document {
        version: VERSION,
        as_of: rfc3339(report.as_of),
        status,
        exit_code: status.exit_code(),
        thresholds: Thresholds {
            warning: format_duration(report.thresholds.warning),
            critical: format_duration(report.thresholds.critical),
            warning_seconds: report.thresholds.warning.whole_seconds(),
            critical_seconds: report.thresholds.critical.whole_seconds(),
        },
        certificates: report.certificates.iter().map(Certificate::from).collect(),
        metadata_validity: report.validities.iter().map(Validity::from).collect(),
        record_mismatches: report.mismatches.iter().map(Mismatch::from).collect(),
        sources: report.sources.iter().map(Source::from).collect(),
    };
    let mut text = serde_json::to_string_pretty(&document).expect("plain data serialises");
    text.push('\n');
    without_credentials(text)
}

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    as_of: String,
    status: Status,
    exit_code: u8,
    thresholds: Thresholds,
    certificates: Vec<Certificate<'a>>,
    metadata_validity: Vec<Validity<'a>>,
    record_mismatches: Vec<Mismatch<'a>>,
    sources: Vec<Source<'a>>,
}

#[derive(Serialize)]
struct Thresholds {
    warning: String,
    critical: String,
    warning_seconds: i64,
    critical_seconds: i64,
}

#[derive(Serialize)]
struct Certificate<'a> {
    federation: Option<&'a str>,
    partner: &'a str,
    source: SourceKind,
    location: &'a str,
    usage: Usage,
    status: Status,
    days_left: Option<i64>,
    not_after: Option<String>,
    not_before: Option<String>,
    subject: Option<&'a str>,
    subject_cn: Option<&'a str>,
    issuer: Option<&'a str>,
    serial: Option<&'a str>,
    fingerprint_sha256: Option<&'a str>,
    stated_expiry: Option<IsoDate>,
    error: Option<&'a str>,
}

impl<'a> From<&'a CheckedCertificate> for Certificate<'a> {
    fn from(checked: &'a CheckedCertificate) -> Self {
        let found = &checked.found;
        let cert = checked.certificate();
        Certificate {
            federation: found.federation.as_deref(),
            partner: &found.partner,
            source: found.source,
            location: &found.location,
            usage: found.usage,
            status: checked.status,
            days_left: checked.days_left,
            not_after: checked.not_after().map(rfc3339),
            not_before: cert.map(|c| rfc3339(c.not_before)),
            subject: cert.map(|c| c.subject.as_str()),
            subject_cn: cert.and_then(|c| c.common_name.as_deref()),
            issuer: cert.map(|c| c.issuer.as_str()),
            serial: cert.map(|c| c.serial_hex.as_str()),
            fingerprint_sha256: cert.map(|c| c.sha256_fingerprint.as_str()),
            stated_expiry: match found.evidence {
                Evidence::StatedExpiry(date) => Some(IsoDate(date)),
                _ => None,
            },
            error: match &found.evidence {
                Evidence::Unreadable(reason) => Some(reason),
                _ => None,
            },
        }
    }
}

#[derive(Serialize)]
struct Validity<'a> {
    federation: Option<&'a str>,
    partner: &'a str,
    location: &'a str,
    entity_id: Option<&'a str>,
    valid_until: String,
    days_left: i64,
    status: Status,
}

impl<'a> From<&'a CheckedValidity> for Validity<'a> {
    fn from(checked: &'a CheckedValidity) -> Self {
        let found = &checked.found;
        Validity {
            federation: found.federation.as_deref(),
            partner: &found.partner,
            location: &found.location,
            entity_id: found.entity_id.as_deref(),
            valid_until: rfc3339(found.valid_until),
            days_left: checked.days_left,
            status: checked.status,
        }
    }
}

#[derive(Serialize)]
struct Mismatch<'a> {
    federation: &'a str,
    partner: &'a str,
    stated: IsoDate,
    actual: Vec<IsoDate>,
    status: Status,
    /// `wrong-date`, or `old-certificate`: an outbound partner still trusts our previous
    /// signing certificate.
    kind: MismatchKind,
}

impl<'a> From<&'a ExpiryMismatch> for Mismatch<'a> {
    fn from(mismatch: &'a ExpiryMismatch) -> Self {
        Mismatch {
            federation: &mismatch.federation,
            partner: &mismatch.partner,
            stated: IsoDate(mismatch.stated),
            actual: mismatch.actual.iter().copied().map(IsoDate).collect(),
            status: mismatch.status,
            kind: mismatch.kind,
        }
    }
}

#[derive(Serialize)]
struct Source<'a> {
    source: &'a str,
    location: &'a str,
    up: bool,
    error: Option<&'a str>,
}

impl<'a> From<&'a SourceStatus> for Source<'a> {
    fn from(status: &'a SourceStatus) -> Self {
        Source {
            source: status.source,
            location: &status.location,
            up: status.is_up(),
            error: status.error.as_deref(),
        }
    }
}
