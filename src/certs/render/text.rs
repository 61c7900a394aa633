//! The text report: a one-line verdict in monitoring-plugin style, then the certificates as a
//! table sorted by days left, then metadata validity, records that state a wrong date and
//! sources that could not be read. By default the tables fit 120 columns (long cells are cut
//! with `…`); `--wide` shows every column in full (and `--output json` every detail).

use std::collections::BTreeMap;
use std::fmt::Write;

use super::{rfc3339, without_credentials};
use crate::certs::model::{CheckedCertificate, Evidence, MismatchKind, Report, Status};
use crate::certs::thresholds::format_duration;
use crate::printable::printable;
use crate::record::IsoDate;

/// How wide the tables may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Within 120 columns: the columns a person acts on, long cells cut.
    Narrow,
    /// Every column, nothing cut (`--wide`).
    Wide,
}

/// The certificate table's columns: header, and the widest a cell may be in the narrow layout
/// (`None`: not shown there). STATUS (8) plus these plus two spaces between columns is 120.
const CERTIFICATE_COLUMNS: [(&str, Option<usize>); 10] = [
    ("STATUS", Some(8)),
    ("DAYS", Some(6)),
    ("NOT AFTER", Some(10)),
    ("FEDERATION", Some(16)),
    ("PARTNER", None),
    ("SOURCE", Some(17)),
    ("USAGE", Some(10)),
    ("SUBJECT", Some(20)),
    ("SHA-256", None),
    ("WHERE", Some(19)),
];

const VALIDITY_COLUMNS: [(&str, Option<usize>); 6] = [
    ("STATUS", Some(8)),
    ("DAYS", Some(6)),
    ("VALID UNTIL", Some(11)),
    ("FEDERATION", Some(16)),
    ("ENTITY", Some(29)),
    ("WHERE", Some(40)),
];

/// Renders the report; `color` adds ANSI colours to statuses (the command decides: a terminal
/// and no `NO_COLOR`).
pub fn render(report: &Report, color: bool, layout: Layout) -> String {
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
        out.push_str(&table(&CERTIFICATE_COLUMNS, rows, color, layout));
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
        out.push_str(&table(&VALIDITY_COLUMNS, rows, color, layout));
    }
    if !report.mismatches.is_empty() {
        out.push_str("\nRecords stating the wrong signing_cert_expiry\n");
        for m in &report.mismatches {
            let actual: Vec<String> = m.actual.iter().map(|d| IsoDate(*d).to_string()).collect();
            let status = paint(m.status, m.status.as_str(), color);
            let (federation, partner) = (printable(&m.federation), printable(&m.partner));
            let _ = match m.kind {
                MismatchKind::WrongDate => writeln!(
                    out,
                    "{status}  {federation} ({partner}): the record says {}, the signing certificate expires {}",
                    IsoDate(m.stated),
                    actual.join(" / ")
                ),
                MismatchKind::OldCertificate => writeln!(
                    out,
                    "{status}  {federation}: partner {partner} still trusts the old certificate \
                     (expires {}); send the new metadata (`fedctl export-metadata`) and update the record",
                    actual.join(" / ")
                ),
            };
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

/// `CERTS CRITICAL: 12 certificates (20 uses): 1 expired, 1 critical, 2 warning, 8 ok; …`.
/// Certificates are counted once however many federations use them (one realm key serves
/// them all).
fn summary(report: &Report) -> String {
    let mut distinct: BTreeMap<String, Status> = BTreeMap::new();
    for checked in &report.certificates {
        distinct.insert(checked.identity(), checked.status);
    }
    let count = |status: Status| distinct.values().filter(|s| **s == status).count();
    let uses = report.certificates.len();
    let mut parts = vec![if uses == distinct.len() {
        format!("{uses} certificates")
    } else {
        format!("{} certificates ({uses} uses)", distinct.len())
    }];
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

/// Aligned columns; the first column is the (possibly coloured) status. In the narrow layout
/// only the columns with a width limit are shown, each cut to its limit. Cells come from
/// records, metadata and Keycloak: control and bidi characters are escaped.
fn table(
    columns: &[(&str, Option<usize>)],
    rows: Vec<(Status, Vec<String>)>,
    color: bool,
    layout: Layout,
) -> String {
    let shown = |i: usize| layout == Layout::Wide || columns[i].1.is_some();
    let fit = |i: usize, text: &str| match (layout, columns[i].1) {
        (Layout::Narrow, Some(limit)) => cut(text, limit),
        _ => text.to_owned(),
    };
    let headers: Vec<&str> = (0..columns.len())
        .filter(|i| shown(*i))
        .map(|i| columns[i].0)
        .collect();
    let rows: Vec<(Status, Vec<String>)> = rows
        .into_iter()
        .map(|(status, cells)| {
            let cells = (cells.iter().enumerate())
                .filter(|(i, _)| shown(i + 1))
                .map(|(i, cell)| fit(i + 1, &printable(cell)))
                .collect();
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

/// `text` in at most `limit` characters, the cut marked with `…`.
fn cut(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        return text.to_owned();
    }
    let kept: String = text.chars().take(limit.saturating_sub(1)).collect();
    format!("{kept}…")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrow_columns_add_up_to_120() {
        for columns in [&CERTIFICATE_COLUMNS[..], &VALIDITY_COLUMNS[..]] {
            // A header wider than its limit would widen the column past it.
            assert!(
                columns
                    .iter()
                    .all(|(h, limit)| limit.is_none_or(|l| h.len() <= l))
            );
            let limits: Vec<usize> = columns.iter().filter_map(|(_, limit)| *limit).collect();
            assert_eq!(limits.iter().sum::<usize>() + 2 * (limits.len() - 1), 120);
        }
    }

    #[test]
    fn cut_marks_what_it_drops() {
        assert_eq!(cut("short", 10), "short");
        assert_eq!(cut("exactly10!", 10), "exactly10!");
        assert_eq!(cut("much-too-long", 5), "much…");
    }
}
