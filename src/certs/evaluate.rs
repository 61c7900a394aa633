//! Evaluation: an [`Inventory`], thresholds and "now" become a [`Report`]. Pure.

use time::{Date, OffsetDateTime};

use super::model::{
    CheckedCertificate, CheckedValidity, Evidence, ExpiryMismatch, Found, Inventory, Report,
    SourceKind, StatedExpiry, Status, Thresholds, Usage,
};

pub fn evaluate(inventory: Inventory, thresholds: Thresholds, as_of: OffsetDateTime) -> Report {
    let (mismatches, unconfirmed) = compare_stated(&inventory.stated, &inventory.certificates);
    let mut certificates: Vec<CheckedCertificate> = inventory
        .certificates
        .into_iter()
        .chain(unconfirmed)
        .map(|found| check_certificate(found, thresholds, as_of))
        .collect();
    certificates.sort_by(|a, b| {
        (
            a.days_left,
            a.not_after(),
            &a.found.federation,
            &a.found.location,
        )
            .cmp(&(
                b.days_left,
                b.not_after(),
                &b.found.federation,
                &b.found.location,
            ))
    });
    let mut validities: Vec<CheckedValidity> = inventory
        .validities
        .into_iter()
        .map(|found| {
            let (days_left, status) = verdict(found.valid_until, thresholds, as_of);
            CheckedValidity {
                found,
                days_left,
                status,
            }
        })
        .collect();
    validities.sort_by_key(|v| (v.days_left, v.found.location.clone()));
    Report {
        as_of,
        thresholds,
        certificates,
        validities,
        mismatches,
        sources: inventory.sources,
    }
}

fn check_certificate(
    found: Found,
    thresholds: Thresholds,
    as_of: OffsetDateTime,
) -> CheckedCertificate {
    let (days_left, status) = match found.evidence.not_after() {
        Some(not_after) => {
            let (days, status) = verdict(not_after, thresholds, as_of);
            (Some(days), status)
        }
        None => (None, Status::Unknown),
    };
    CheckedCertificate {
        found,
        days_left,
        status,
    }
}

/// Days left (rounded down) and status of something that ends at `end`.
pub fn verdict(
    end: OffsetDateTime,
    thresholds: Thresholds,
    as_of: OffsetDateTime,
) -> (i64, Status) {
    let left = end - as_of;
    let days = left.whole_seconds().div_euclid(86_400);
    let status = if left <= time::Duration::ZERO {
        Status::Expired
    } else if left <= thresholds.critical {
        Status::Critical
    } else if left <= thresholds.warning {
        Status::Warning
    } else {
        Status::Ok
    };
    (days, status)
}

/// Compares each record's stated expiry with the partner's real signing certificates of the
/// same federation. A disagreement is a WARNING finding naming both dates; a record whose
/// certificate was not found anywhere is checked on its stated date alone (source `record`).
fn compare_stated(stated: &[StatedExpiry], found: &[Found]) -> (Vec<ExpiryMismatch>, Vec<Found>) {
    let mut mismatches = Vec::new();
    let mut unconfirmed = Vec::new();
    for claim in stated {
        let actual = actual_signing_dates(claim, found);
        if actual.is_empty() {
            unconfirmed.push(Found {
                federation: Some(claim.federation.clone()),
                partner: claim.partner.clone(),
                source: SourceKind::Record,
                location: "signing_cert_expiry".to_owned(),
                usage: Usage::Signing,
                evidence: Evidence::StatedExpiry(claim.date),
            });
        } else if !actual.iter().any(|date| agrees(claim.date, *date)) {
            mismatches.push(ExpiryMismatch {
                federation: claim.federation.clone(),
                partner: claim.partner.clone(),
                stated: claim.date,
                actual,
                status: Status::Warning,
            });
        }
    }
    (mismatches, unconfirmed)
}

fn actual_signing_dates(claim: &StatedExpiry, found: &[Found]) -> Vec<Date> {
    let mut dates: Vec<Date> = found
        .iter()
        .filter(|f| f.federation.as_deref() == Some(claim.federation.as_str()))
        .filter(|f| f.source.is_partner_side() && f.usage.signs())
        .filter_map(|f| match &f.evidence {
            Evidence::Certificate(cert) => Some(cert.not_after.date()),
            _ => None,
        })
        .collect();
    dates.sort();
    dates.dedup();
    dates
}

fn agrees(stated: Date, actual: Date) -> bool {
    crate::record::IsoDate(stated).agrees_with(actual)
}

#[cfg(test)]
mod tests {
    use time::macros::{date, datetime};

    use super::*;
    use crate::certs::model::SourceStatus;
    use crate::x509::CertInfo;

    const NOW: OffsetDateTime = datetime!(2026-05-01 12:00 UTC);

    fn cert(not_after: OffsetDateTime) -> Evidence {
        Evidence::Certificate(Box::new(CertInfo {
            subject: "CN=test".into(),
            common_name: Some("test".into()),
            issuer: "CN=test".into(),
            serial_hex: "01".into(),
            not_before: datetime!(2020-01-01 0:00 UTC),
            not_after,
            sha256_fingerprint: format!("{:064x}", not_after.unix_timestamp()),
            der: Vec::new(),
        }))
    }

    fn found(federation: &str, source: SourceKind, usage: Usage, evidence: Evidence) -> Found {
        Found {
            federation: Some(federation.into()),
            partner: "Partner".into(),
            source,
            location: format!("{source} of {federation}"),
            usage,
            evidence,
        }
    }

    fn stated(federation: &str, date: Date) -> StatedExpiry {
        StatedExpiry {
            federation: federation.into(),
            partner: "Partner".into(),
            date,
        }
    }

    #[test]
    fn thresholds_decide_the_status() {
        let t = Thresholds::default();
        let days = |d: i64| NOW + time::Duration::days(d);
        assert_eq!(verdict(days(90), t, NOW), (90, Status::Ok));
        assert_eq!(
            verdict(days(30) + time::Duration::SECOND, t, NOW),
            (30, Status::Ok)
        );
        assert_eq!(verdict(days(30), t, NOW), (30, Status::Warning));
        assert_eq!(verdict(days(20), t, NOW), (20, Status::Warning));
        assert_eq!(verdict(days(7), t, NOW), (7, Status::Critical));
        assert_eq!(verdict(days(3), t, NOW), (3, Status::Critical));
        assert_eq!(
            verdict(NOW + time::Duration::hours(1), t, NOW),
            (0, Status::Critical)
        );
        assert_eq!(verdict(NOW, t, NOW), (0, Status::Expired));
        assert_eq!(
            verdict(NOW - time::Duration::hours(1), t, NOW),
            (-1, Status::Expired)
        );
        assert_eq!(verdict(days(-400), t, NOW), (-400, Status::Expired));
    }

    #[test]
    fn sorted_by_days_left_with_unreadable_first() {
        let inventory = Inventory {
            certificates: vec![
                found(
                    "a",
                    SourceKind::SamlClient,
                    Usage::Signing,
                    cert(datetime!(2026-08-01 0:00 UTC)),
                ),
                found(
                    "b",
                    SourceKind::SamlClient,
                    Usage::Signing,
                    Evidence::Unreadable("bad".into()),
                ),
                found(
                    "c",
                    SourceKind::RealmKey,
                    Usage::Signing,
                    cert(datetime!(2020-01-01 0:00 UTC)),
                ),
                found(
                    "d",
                    SourceKind::Metadata,
                    Usage::Encryption,
                    cert(datetime!(2026-05-05 0:00 UTC)),
                ),
            ],
            ..Inventory::default()
        };
        let report = evaluate(inventory, Thresholds::default(), NOW);
        let order: Vec<_> = report
            .certificates
            .iter()
            .map(|c| (c.found.federation.clone().unwrap(), c.status))
            .collect();
        assert_eq!(
            order,
            [
                ("b".to_owned(), Status::Unknown),
                ("c".to_owned(), Status::Expired),
                ("d".to_owned(), Status::Critical),
                ("a".to_owned(), Status::Ok)
            ]
        );
        assert_eq!(report.status(), Status::Critical);
        assert_eq!(report.status().exit_code(), 2);
    }

    #[test]
    fn critical_beats_unknown_and_unknown_beats_ok() {
        assert_eq!(
            Status::worst([Status::Unknown, Status::Critical]),
            Status::Critical
        );
        assert_eq!(
            Status::worst([Status::Unknown, Status::Warning]),
            Status::Warning
        );
        assert_eq!(
            Status::worst([Status::Ok, Status::Unknown]),
            Status::Unknown
        );
        assert_eq!(Status::worst([]), Status::Ok);
        let report = evaluate(
            Inventory {
                sources: vec![SourceStatus::down("metadata", "x.xml", "no such file")],
                ..Inventory::default()
            },
            Thresholds::default(),
            NOW,
        );
        assert_eq!(report.status().exit_code(), 3);
    }

    #[test]
    fn a_record_stating_the_wrong_date_is_a_warning_naming_both_dates() {
        let inventory = Inventory {
            certificates: vec![
                found(
                    "a",
                    SourceKind::SamlClient,
                    Usage::Signing,
                    cert(datetime!(2027-03-01 10:00 UTC)),
                ),
                // Our realm's key and the partner's encryption key do not count.
                found(
                    "a",
                    SourceKind::RealmKey,
                    Usage::Signing,
                    cert(datetime!(2026-11-15 10:00 UTC)),
                ),
                found(
                    "a",
                    SourceKind::Metadata,
                    Usage::Encryption,
                    cert(datetime!(2026-11-15 10:00 UTC)),
                ),
            ],
            stated: vec![stated("a", date!(2026 - 11 - 15))],
            ..Inventory::default()
        };
        let report = evaluate(inventory, Thresholds::default(), NOW);
        assert_eq!(
            report.mismatches,
            [ExpiryMismatch {
                federation: "a".into(),
                partner: "Partner".into(),
                stated: date!(2026 - 11 - 15),
                actual: vec![date!(2027 - 03 - 01)],
                status: Status::Warning,
            }]
        );
        assert_eq!(report.status(), Status::Warning);
    }

    #[test]
    fn a_stated_date_matching_any_signing_certificate_within_a_day_agrees() {
        let inventory = Inventory {
            certificates: vec![
                found(
                    "a",
                    SourceKind::Metadata,
                    Usage::Signing,
                    cert(datetime!(2027-03-01 10:00 UTC)),
                ),
                found(
                    "a",
                    SourceKind::Metadata,
                    Usage::SigningAndEncryption,
                    cert(datetime!(2026-11-14 23:30 UTC)),
                ),
            ],
            stated: vec![stated("a", date!(2026 - 11 - 15))],
            ..Inventory::default()
        };
        let report = evaluate(inventory, Thresholds::default(), NOW);
        assert!(report.mismatches.is_empty());
        assert_eq!(report.certificates.len(), 2);
    }

    #[test]
    fn a_stated_date_without_a_certificate_is_checked_on_its_own() {
        let inventory = Inventory {
            certificates: vec![found(
                "other",
                SourceKind::SamlClient,
                Usage::Signing,
                cert(datetime!(2030-01-01 0:00 UTC)),
            )],
            stated: vec![stated("a", date!(2026 - 05 - 04))],
            ..Inventory::default()
        };
        let report = evaluate(inventory, Thresholds::default(), NOW);
        assert!(report.mismatches.is_empty());
        let row = &report.certificates[0];
        assert_eq!(row.found.source, SourceKind::Record);
        assert_eq!((row.days_left, row.status), (Some(2), Status::Critical));
    }

    #[test]
    fn metadata_validity_is_judged_apart_from_certificates() {
        let inventory = Inventory {
            validities: vec![crate::certs::model::FoundValidity {
                federation: None,
                partner: "https://idp.example.org".into(),
                location: "idp.xml".into(),
                entity_id: Some("https://idp.example.org".into()),
                valid_until: datetime!(2014-02-22 0:39:43 UTC),
            }],
            ..Inventory::default()
        };
        let report = evaluate(inventory, Thresholds::default(), NOW);
        assert!(report.certificates.is_empty());
        assert_eq!(report.validities[0].status, Status::Expired);
        assert_eq!(report.status().exit_code(), 2);
    }
}
