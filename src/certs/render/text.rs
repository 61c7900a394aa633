//! The text report: a one-line verdict in monitoring-plugin style, then the certificates as a
//! table sorted by days left, then metadata validity, records that state a wrong date and
//! sources that could not be read.

use std::fmt::Write;

use super::{rfc3339, without_credentials};
use crate::certs::model::{CheckedCertificate, Evidence, Report, Status};
use crate::certs::thresholds::format_duration;
use crate::printable::printable;
use crate::record::IsoDate;

/// Renders the report; `color` adds ANSI colours to statuses (the command decides: a terminal
/// and no `NO_COLOR`).
pub fn render(report: &Report, color: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", summary(report));
    let _ = writeln!(
        out,
        "as of {}; warning {}, critical {}",
        rfc3339(report.as_of),
        format_duration(report.thresholds.warning),
        format_duration(report.thresholds.critical)
    );
    out.push('\n');
    if report.certificates.is_empty() {
        out.push_str("No certificates found.\n");
    } else {
        let rows = report.certificates.iter().map(certificate_row).collect();
        out.push_str(&table(
            &[
                "STATUS",
                "DAYS",
                "NOT AFTER",
                "FEDERATION",
                "PARTNER",
                "SOURCE",
                "USAGE",
                "SUBJECT",
                "SHA-256",
                "WHERE",
            ],
            rows,
            color,
        ));
    }
    if !report.validities.is_empty() {
        out.push_str("\nMetadata validity (validUntil)\n");
        let rows = report
            .validities
            .iter()
            .map(|v| {
                let f = &v.found;
                (
                    v.status,
                    vec![
                        v.days_left.to_string(),
                        IsoDate(f.valid_until.date()).to_string(),
                        f.federation.clone().unwrap_or_else(|| "-".into()),
                        f.entity_id.clone().unwrap_or_else(|| "(document)".into()),
                        f.location.clone(),
                    ],
                )
            })
            .collect();
        out.push_str(&table(
            &[
                "STATUS",
                "DAYS",
                "VALID UNTIL",
                "FEDERATION",
                "ENTITY",
                "WHERE",
            ],
            rows,
            color,
        ));
    }
    if !report.mismatches.is_empty() {
        out.push_str("\nRecords stating the wrong signing_cert_expiry\n");
        for m in &report.mismatches {
            let actual: Vec<String> = m.actual.iter().map(|d| IsoDate(*d).to_string()).collect();
            let _ = writeln!(
                out,
                "{}  {} ({}): the record says {}, the signing certificate expires {}",
                paint(m.status, m.status.as_str(), color),
                printable(&m.federation),
                printable(&m.partner),
                IsoDate(m.stated),
                actual.join(" / ")
            );
        }
    }
    let down: Vec<_> = report.sources.iter().filter(|s| !s.is_up()).collect();
    if !down.is_empty() {
        out.push_str("\nSources that could not be read\n");
        for source in down {
            let _ = writeln!(
                out,
                "{}  {} {}: {}",
                paint(Status::Unknown, Status::Unknown.as_str(), color),
                source.source,
                printable(&source.location),
                printable(source.error.as_deref().unwrap_or_default())
            );
        }
    }
    without_credentials(out)
}

/// `CERTS CRITICAL: 12 certificates: 1 expired, 1 critical, 2 warning, 8 ok; …`
fn summary(report: &Report) -> String {
    let count = |status: Status| {
        report
            .certificates
            .iter()
            .filter(|c| c.status == status)
            .count()
    };
    let mut parts = vec![format!("{} certificates", report.certificates.len())];
    let by_status: Vec<String> = [
        (Status::Expired, "expired"),
        (Status::Critical, "critical"),
        (Status::Warning, "warning"),
        (Status::Ok, "ok"),
        (Status::Unknown, "unreadable"),
    ]
    .iter()
    .filter(|(status, _)| count(*status) > 0)
    .map(|(status, word)| format!("{} {word}", count(*status)))
    .collect();
    if !by_status.is_empty() {
        parts[0] = format!("{}: {}", parts[0], by_status.join(", "));
    }
    let stale = report
        .validities
        .iter()
        .filter(|v| v.status != Status::Ok)
        .count();
    if stale > 0 {
        parts.push(format!("{stale} metadata validUntil due"));
    }
    if !report.mismatches.is_empty() {
        parts.push(format!(
            "{} records state a wrong signing_cert_expiry",
            report.mismatches.len()
        ));
    }
    let down = report.sources.iter().filter(|s| !s.is_up()).count();
    if down > 0 {
        parts.push(format!(
            "{down} of {} sources unreadable",
            report.sources.len()
        ));
    }
    format!("CERTS {}: {}", report.status(), parts.join("; "))
}

fn certificate_row(checked: &CheckedCertificate) -> (Status, Vec<String>) {
    let found = &checked.found;
    let cert = checked.certificate();
    let subject = match &found.evidence {
        Evidence::Certificate(c) => c.common_name.clone().unwrap_or_else(|| c.subject.clone()),
        Evidence::Unreadable(reason) => format!("unreadable: {reason}"),
        Evidence::StatedExpiry(_) => "(stated in the record)".into(),
    };
    (
        checked.status,
        vec![
            checked.days_left.map_or("?".into(), |d| d.to_string()),
            checked
                .not_after()
                .map_or("?".into(), |t| IsoDate(t.date()).to_string()),
            found.federation.clone().unwrap_or_else(|| "-".into()),
            if found.partner.is_empty() {
                "-".into()
            } else {
                found.partner.clone()
            },
            found.source.to_string(),
            found.usage.to_string(),
            subject,
            cert.map_or("-".into(), |c| c.sha256_fingerprint[..16].to_owned()),
            found.location.clone(),
        ],
    )
}

/// Aligned columns; the first column is the (possibly coloured) status.
/// Cells come from records, metadata and Keycloak: control and bidi characters are escaped.
fn table(headers: &[&str], rows: Vec<(Status, Vec<String>)>, color: bool) -> String {
    let rows: Vec<(Status, Vec<String>)> = rows
        .into_iter()
        .map(|(status, cells)| {
            let cells = cells.iter().map(|c| printable(c).into_owned()).collect();
            (status, cells)
        })
        .collect();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for (status, cells) in &rows {
        widths[0] = widths[0].max(status.as_str().len());
        for (i, cell) in cells.iter().enumerate() {
            widths[i + 1] = widths[i + 1].max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let header: Vec<String> = headers
        .iter()
        .zip(&widths)
        .map(|(h, w)| pad(h, *w))
        .collect();
    let _ = writeln!(out, "{}", header.join("  ").trim_end());
    for (status, cells) in rows {
        let mut line = paint(status, &pad(status.as_str(), widths[0]), color);
        for (cell, width) in cells.iter().zip(&widths[1..]) {
            line.push_str("  ");
            line.push_str(&pad(cell, *width));
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
    out
}

fn pad(text: &str, width: usize) -> String {
    format!("{text:<width$}")
}

fn paint(status: Status, text: &str, color: bool) -> String {
    if !color {
        return text.to_owned();
    }
    let code = match status {
        Status::Ok => "32",
        Status::Warning => "33",
        Status::Critical | Status::Expired => "31;1",
        Status::Unknown => "35",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}
