//! What certificate collection finds and what evaluation makes of it.
//!
//! Collection ([`super::sources`]) turns already-loaded inputs into an [`Inventory`];
//! evaluation ([`super::evaluate`]) turns an inventory, thresholds and "now" into a [`Report`];
//! rendering ([`super::render`]) prints a report. Nothing here does I/O.

use std::fmt;

use serde::Serialize;
use time::{Date, OffsetDateTime};

use crate::x509::CertInfo;

/// Where a certificate was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    /// One of our realm's keys (used by every federation of the realm).
    RealmKey,
    /// `saml.signing.certificate` / `saml.encryption.certificate` of a SAML client.
    SamlClient,
    /// `signingCertificate` of a SAML identity provider (inbound federation).
    IdentityProvider,
    /// A KeyDescriptor of SAML metadata (`--metadata` or a record's `partner_metadata`).
    Metadata,
    /// Only the record's `signing_cert_expiry` is known: no real certificate was found.
    Record,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::RealmKey => "realm-key",
            SourceKind::SamlClient => "saml-client",
            SourceKind::IdentityProvider => "identity-provider",
            SourceKind::Metadata => "metadata",
            SourceKind::Record => "record",
        }
    }

    /// Certificates that belong to the partner (not to our realm), which a record's
    /// `signing_cert_expiry` may describe.
    pub fn is_partner_side(self) -> bool {
        matches!(
            self,
            SourceKind::SamlClient | SourceKind::IdentityProvider | SourceKind::Metadata
        )
    }
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a certificate is used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Usage {
    Signing,
    Encryption,
    /// A SAML KeyDescriptor without `use`: the key serves both purposes.
    SigningAndEncryption,
}

impl Usage {
    pub fn as_str(self) -> &'static str {
        match self {
            Usage::Signing => "signing",
            Usage::Encryption => "encryption",
            Usage::SigningAndEncryption => "signing-and-encryption",
        }
    }

    pub fn signs(self) -> bool {
        matches!(self, Usage::Signing | Usage::SigningAndEncryption)
    }
}

impl fmt::Display for Usage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What is known about one certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Evidence {
    Certificate(Box<CertInfo>),
    /// The certificate text is there but cannot be decoded or parsed.
    Unreadable(String),
    /// No certificate, only the expiry date a record states (source [`SourceKind::Record`]).
    StatedExpiry(Date),
}

impl Evidence {
    /// Not-after of the certificate; for a stated expiry the start of that day (UTC), the
    /// earliest the record can mean.
    pub fn not_after(&self) -> Option<OffsetDateTime> {
        match self {
            Evidence::Certificate(cert) => Some(cert.not_after),
            Evidence::StatedExpiry(date) => Some(date.midnight().assume_utc()),
            Evidence::Unreadable(_) => None,
        }
    }
}

/// One certificate a federation depends on, as collected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Record id; `None` when the certificate is not tied to a record (`--metadata` files,
    /// realm-wide checks without records).
    pub federation: Option<String>,
    /// Partner organisation (records) or entity ID / client ID (without records).
    pub partner: String,
    pub source: SourceKind,
    /// Where exactly, for a human: `client <id>`, `<file> entity <id>`, `key rsa-generated`.
    pub location: String,
    pub usage: Usage,
    pub evidence: Evidence,
}

/// A `validUntil` of a metadata document or entity: reported apart from certificate expiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundValidity {
    pub federation: Option<String>,
    pub partner: String,
    /// Metadata file or URL.
    pub location: String,
    /// The entity the attribute is on; `None` for the document root of an aggregate.
    pub entity_id: Option<String>,
    pub valid_until: OffsetDateTime,
}

/// A record's `signing_cert_expiry`, to be compared with the real certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatedExpiry {
    pub federation: String,
    pub partner: String,
    pub date: Date,
}

/// Whether one input could be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceStatus {
    /// Kind of input: `records`, `realm-file`, `admin-api`, `metadata`.
    pub source: &'static str,
    /// File, URL or realm it was read from.
    pub location: String,
    /// Why it could not be read; `None` when it was.
    pub error: Option<String>,
}

impl SourceStatus {
    pub fn up(source: &'static str, location: impl Into<String>) -> Self {
        SourceStatus {
            source,
            location: location.into(),
            error: None,
        }
    }

    pub fn down(
        source: &'static str,
        location: impl Into<String>,
        error: impl fmt::Display,
    ) -> Self {
        SourceStatus {
            source,
            location: location.into(),
            error: Some(error.to_string()),
        }
    }

    pub fn is_up(&self) -> bool {
        self.error.is_none()
    }
}

/// Everything collection found, before evaluation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inventory {
    pub certificates: Vec<Found>,
    pub validities: Vec<FoundValidity>,
    pub stated: Vec<StatedExpiry>,
    pub sources: Vec<SourceStatus>,
}

impl Inventory {
    /// Nothing but a source that could not be read, and why.
    pub fn source_down(
        source: &'static str,
        location: impl Into<String>,
        error: impl std::fmt::Display,
    ) -> Inventory {
        Inventory {
            sources: vec![SourceStatus::down(source, location, error)],
            ..Inventory::default()
        }
    }

    pub fn extend(&mut self, other: Inventory) {
        self.certificates.extend(other.certificates);
        self.validities.extend(other.validities);
        self.stated.extend(other.stated);
        self.sources.extend(other.sources);
    }
}

/// Result of one check. The exit code is the monitoring-plugin code of the status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Status {
    Ok,
    Warning,
    Critical,
    Expired,
    Unknown,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::Warning => "WARNING",
            Status::Critical => "CRITICAL",
            Status::Expired => "EXPIRED",
            Status::Unknown => "UNKNOWN",
        }
    }

    /// Monitoring-plugin exit code: 0 OK, 1 WARNING, 2 CRITICAL (expired included), 3 UNKNOWN.
    pub fn exit_code(self) -> u8 {
        match self {
            Status::Ok => 0,
            Status::Warning => 1,
            Status::Critical | Status::Expired => 2,
            Status::Unknown => 3,
        }
    }

    /// How bad a status is when several are combined: OK < UNKNOWN < WARNING < CRITICAL <
    /// EXPIRED, the order of the monitoring-plugins' `max_state_alt`. A source that cannot be
    /// read must not hide an expired certificate found elsewhere: the run is CRITICAL and the
    /// unreadable source is still listed (and its `fedctl_cert_source_up` is 0).
    fn rank(self) -> u8 {
        match self {
            Status::Ok => 0,
            Status::Unknown => 1,
            Status::Warning => 2,
            Status::Critical => 3,
            Status::Expired => 4,
        }
    }

    /// The state a monitoring plugin reports: EXPIRED is CRITICAL.
    pub fn plugin_state(self) -> Status {
        match self {
            Status::Expired => Status::Critical,
            other => other,
        }
    }

    pub fn worst(statuses: impl IntoIterator<Item = Status>) -> Status {
        statuses
            .into_iter()
            .max_by_key(|s| s.rank())
            .unwrap_or(Status::Ok)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A certificate with its verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedCertificate {
    pub found: Found,
    /// Whole days until not-after, rounded down (negative once expired); `None` if unreadable.
    pub days_left: Option<i64>,
    pub status: Status,
}

impl CheckedCertificate {
    pub fn certificate(&self) -> Option<&CertInfo> {
        match &self.found.evidence {
            Evidence::Certificate(cert) => Some(cert),
            _ => None,
        }
    }

    pub fn not_after(&self) -> Option<OffsetDateTime> {
        self.found.evidence.not_after()
    }

    /// What makes two findings the same certificate: its fingerprint (a realm key is found
    /// once per federation that relies on it); findings without one are each their own.
    pub fn identity(&self) -> String {
        let found = &self.found;
        match &found.evidence {
            Evidence::Certificate(cert) => cert.sha256_fingerprint.clone(),
            Evidence::Unreadable(_) | Evidence::StatedExpiry(_) => format!(
                "{}\0{}\0{}\0{}",
                found.federation.as_deref().unwrap_or_default(),
                found.source.as_str(),
                found.location,
                found.usage.as_str()
            ),
        }
    }
}

/// A metadata validUntil with its verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedValidity {
    pub found: FoundValidity,
    pub days_left: i64,
    pub status: Status,
}

/// A record whose `signing_cert_expiry` disagrees with the certificate it describes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiryMismatch {
    pub federation: String,
    pub partner: String,
    /// What the record says.
    pub stated: Date,
    /// Not-after dates (UTC) of the partner's real signing certificates.
    pub actual: Vec<Date>,
    pub status: Status,
}

/// Warning and critical thresholds: a certificate with less time left is WARNING / CRITICAL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    pub warning: time::Duration,
    pub critical: time::Duration,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            warning: time::Duration::days(30),
            critical: time::Duration::days(7),
        }
    }
}

/// The outcome of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub as_of: OffsetDateTime,
    pub thresholds: Thresholds,
    /// Sorted by days left, unreadable certificates first.
    pub certificates: Vec<CheckedCertificate>,
    pub validities: Vec<CheckedValidity>,
    pub mismatches: Vec<ExpiryMismatch>,
    pub sources: Vec<SourceStatus>,
}

impl Report {
    /// The run's monitoring-plugin state: the worst status of every finding and source, with
    /// EXPIRED reported as CRITICAL (plugins know four states).
    pub fn status(&self) -> Status {
        let sources = self
            .sources
            .iter()
            .filter(|s| !s.is_up())
            .map(|_| Status::Unknown);
        Status::worst(
            self.certificates
                .iter()
                .map(|c| c.status)
                .chain(self.validities.iter().map(|v| v.status))
                .chain(self.mismatches.iter().map(|m| m.status))
                .chain(sources),
        )
        .plugin_state()
    }
}
