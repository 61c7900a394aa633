//! `--output prometheus`: the Prometheus text exposition format (0.0.4), for the node_exporter
//! textfile collector or a Pushgateway. Conventions of x509-certificate-exporter: the not-after
//! gauge is emitted for every readable certificate (expired ones too) as a Unix timestamp, so
//! alert rules compute the time left at query time; no sample timestamps.
//!
//! Families (labels in braces):
//! - `fedctl_cert_not_after_seconds`, `fedctl_cert_not_before_seconds`, `fedctl_cert_expired`
//!   {federation, partner, source, location, usage, subject_cn, fingerprint_sha256}
//! - `fedctl_cert_error` {federation, partner, source, location, usage}: 1 per unreadable certificate
//! - `fedctl_metadata_valid_until_seconds` {federation, partner, location, entity_id}
//! - `fedctl_record_cert_expiry_mismatch` {federation, partner, stated, actual}: 1 per record
//!   whose `signing_cert_expiry` disagrees with the certificate
//! - `fedctl_cert_source_up` {source, location}: 1 if the input could be read, else 0
//! - `fedctl_certs_status`: the run's exit code (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN)
//!
//! A label without a value (no federation, no subject CN) is the empty string.

use std::collections::HashSet;
use std::fmt::Write;

use super::without_credentials;
use crate::certs::model::{CheckedCertificate, Report};
use crate::record::IsoDate;

struct Family {
    name: &'static str,
    help: &'static str,
    samples: Vec<(String, i64)>,
}

impl Family {
    fn new(name: &'static str, help: &'static str) -> Self {
        Family {
            name,
            help,
            samples: Vec::new(),
        }
    }

    fn push(&mut self, labels: &[(&str, &str)], value: i64) {
        self.samples.push((label_set(labels), value));
    }

    fn write(&self, out: &mut String) {
        let _ = writeln!(out, "# HELP {} {}", self.name, self.help);
        let _ = writeln!(out, "# TYPE {} gauge", self.name);
        // The same certificate found twice in one place (e.g. two identical KeyDescriptors)
        // yields identical series; a scrape with duplicate series is rejected, so keep one.
        let mut seen = HashSet::new();
        for (labels, value) in &self.samples {
            if seen.insert(labels) {
                let _ = writeln!(out, "{}{labels} {value}", self.name);
            }
        }
    }
}

pub fn render(report: &Report) -> String {
    let mut not_after = Family::new(
        "fedctl_cert_not_after_seconds",
        "Certificate expiry (notAfter) as a Unix timestamp, for every readable certificate including expired ones.",
    );
    let mut not_before = Family::new(
        "fedctl_cert_not_before_seconds",
        "Certificate notBefore as a Unix timestamp.",
    );
    let mut expired = Family::new(
        "fedctl_cert_expired",
        "1 if the certificate had expired when the check ran, else 0.",
    );
    let mut error = Family::new(
        "fedctl_cert_error",
        "1 for each certificate that is present but cannot be parsed.",
    );
    for checked in &report.certificates {
        let base = base_labels(checked);
        let Some(end) = checked.not_after() else {
            error.push(&base, 1);
            continue;
        };
        let cert = checked.certificate();
        let mut labels = base.to_vec();
        labels.push((
            "subject_cn",
            cert.and_then(|c| c.common_name.as_deref()).unwrap_or(""),
        ));
        labels.push((
            "fingerprint_sha256",
            cert.map_or("", |c| c.sha256_fingerprint.as_str()),
        ));
        not_after.push(&labels, end.unix_timestamp());
        if let Some(cert) = cert {
            not_before.push(&labels, cert.not_before.unix_timestamp());
        }
        expired.push(&labels, i64::from(end <= report.as_of));
    }

    let mut valid_until = Family::new(
        "fedctl_metadata_valid_until_seconds",
        "validUntil of a SAML metadata document or entity as a Unix timestamp.",
    );
    for checked in &report.validities {
        let found = &checked.found;
        valid_until.push(
            &[
                ("federation", found.federation.as_deref().unwrap_or("")),
                ("partner", &found.partner),
                ("location", &found.location),
                ("entity_id", found.entity_id.as_deref().unwrap_or("")),
            ],
            found.valid_until.unix_timestamp(),
        );
    }

    let mut mismatch = Family::new(
        "fedctl_record_cert_expiry_mismatch",
        "1 for each record whose signing_cert_expiry disagrees with the partner's signing certificate.",
    );
    for m in &report.mismatches {
        let actual: Vec<String> = m.actual.iter().map(|d| IsoDate(*d).to_string()).collect();
        mismatch.push(
            &[
                ("federation", &m.federation),
                ("partner", &m.partner),
                ("stated", &IsoDate(m.stated).to_string()),
                ("actual", &actual.join(",")),
            ],
            1,
        );
    }

    let mut source_up = Family::new(
        "fedctl_cert_source_up",
        "1 if the certificate source could be read, 0 if it could not.",
    );
    for source in &report.sources {
        source_up.push(
            &[("source", source.source), ("location", &source.location)],
            i64::from(source.is_up()),
        );
    }

    let mut status = Family::new(
        "fedctl_certs_status",
        "Result of the check as a monitoring-plugin exit code: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.",
    );
    status.push(&[], i64::from(report.status().exit_code()));

    let mut out = String::new();
    for family in [
        not_after,
        not_before,
        expired,
        error,
        valid_until,
        mismatch,
        source_up,
        status,
    ] {
        family.write(&mut out);
    }
    without_credentials(out)
}

fn base_labels(checked: &CheckedCertificate) -> [(&'static str, &str); 5] {
    let found = &checked.found;
    [
        ("federation", found.federation.as_deref().unwrap_or("")),
        ("partner", &found.partner),
        ("source", found.source.as_str()),
        ("location", &found.location),
        ("usage", found.usage.as_str()),
    ]
}

fn label_set(labels: &[(&str, &str)]) -> String {
    if labels.is_empty() {
        return String::new();
    }
    let pairs: Vec<String> = labels
        .iter()
        .map(|(name, value)| format!("{name}=\"{}\"", escape_label_value(value)))
        .collect();
    format!("{{{}}}", pairs.join(","))
}

/// Label values escape backslash, double quote and line feed (exposition format 0.0.4).
pub fn escape_label_value(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => escaped.push_str("\\\\"),
            '"' => escaped.push_str("\\\""),
            '\n' => escaped.push_str("\\n"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(
            escape_label_value(
                r#"a\b "c"
d"#
            ),
            r#"a\\b \"c\"\nd"#
        );
        assert_eq!(label_set(&[("a", "x"), ("b", "")]), r#"{a="x",b=""}"#);
        assert_eq!(label_set(&[]), "");
    }
}
