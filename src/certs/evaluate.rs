//! Evaluation: an [`Inventory`], thresholds and "now" become a [`Report`]. Pure.

use time::{Date, OffsetDateTime};

use super::model::{
    CheckedCertificate, CheckedValidity, Evidence, ExpiryMismatch, Found, Inventory, MismatchKind,
    RealmSigning, Report, SourceKind, StatedExpiry, Status, Thresholds, Usage,
};
use crate::record::IsoDate;

pub fn evaluate(inventory: Inventory, thresholds: Thresholds, as_of: OffsetDateTime) -> Report {
    let (mismatches, unconfirmed) = compare_stated(
        &inventory.stated,
        &inventory.certificates,
        &inventory.realm_signing,
    );
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

/// Compares each record's stated expiry with the signing certificate it describes: the
/// partner's of the same federation, or for an outbound federation our realm's
/// ([`compare_outbound`]). A disagreement is a WARNING finding naming both dates; a record
/// whose certificate was not found anywhere is checked on its stated date alone (source
/// `record`).
fn compare_stated(
    stated: &[StatedExpiry],
    found: &[Found],
    realm_signing: &[RealmSigning],
) -> (Vec<ExpiryMismatch>, Vec<Found>) {
    let mut mismatches = Vec::new();
    let mut unconfirmed = Vec::new();
    for claim in stated {
        // Without our realm's keys an outbound record is checked on its date alone: the
        // partner's certificates are not what it describes.
        if claim.outbound && !realm_signing.is_empty() {
            mismatches.extend(compare_outbound(claim, realm_signing));
            continue;
        }
        let actual = if claim.outbound {
            Vec::new()
        } else {
            actual_signing_dates(claim, found)
        };
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
                kind: MismatchKind::WrongDate,
            });
        }
    }
    (mismatches, unconfirmed)
}

/// An outbound record states the expiry of our realm's certificate the partner trusts. The
/// nearest published certificate within tolerance is the one meant: the signer's is fine
/// (its expiry is checked as a realm key), a newer one's too (the partner already has the
/// next certificate of a rollover), an older one's is CRITICAL: the partner rejects what we
/// sign now. No certificate with that date is a WARNING naming both.
fn compare_outbound(claim: &StatedExpiry, ours: &[RealmSigning]) -> Option<ExpiryMismatch> {
    let stated = IsoDate(claim.date);
    let signer = ours.iter().find(|s| s.signs).map(|s| s.not_after);
    // Nearest first; on a tie the signer.
    let meant = ours
        .iter()
        .min_by_key(|s| (stated.days_from(s.not_after), !s.signs))
        .filter(|s| stated.agrees_with(s.not_after));
    let mismatch = |actual: Vec<Date>, status, kind| ExpiryMismatch {
        federation: claim.federation.clone(),
        partner: claim.partner.clone(),
        stated: claim.date,
        actual,
        status,
        kind,
    };
    match meant {
        Some(meant) if meant.signs || signer.is_none_or(|s| meant.not_after > s) => None,
        Some(old) => Some(mismatch(
            vec![old.not_after],
            Status::Critical,
            MismatchKind::OldCertificate,
        )),
        None => {
            let mut actual: Vec<Date> = ours.iter().map(|s| s.not_after).collect();
            actual.sort();
            actual.dedup();
            Some(mismatch(actual, Status::Warning, MismatchKind::WrongDate))
        }
    }
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
            outbound: false,
        }
    }

    fn outbound(federation: &str, date: Date) -> StatedExpiry {
        StatedExpiry {
            outbound: true,
            ..stated(federation, date)
        }
    }

    /// Our realm during a rollover: the old key still signs, the new one is staged.
    fn rolling(signer: Date, other: Date) -> Vec<RealmSigning> {
        vec![
            RealmSigning {
                not_after: signer,
                signs: true,
            },
            RealmSigning {
                not_after: other,
                signs: false,
            },
        ]
    }

    #[test]
    fn an_outbound_record_stating_the_signers_date_or_the_next_one_is_fine() {
        let (old, new) = (date!(2026 - 12 - 20), date!(2036 - 12 - 04));
        let inventory = Inventory {
            stated: vec![outbound("a", old), outbound("b", date!(2036 - 12 - 05))],
            realm_signing: rolling(old, new),
            ..Inventory::default()
        };
        let report = evaluate(inventory, Thresholds::default(), NOW);
        assert!(report.mismatches.is_empty(), "{:?}", report.mismatches);
        // Judged by the realm key's own expiry, not a record-only entry.
        assert!(report.certificates.is_empty());
    }

    #[test]
    fn an_outbound_record_stating_an_old_certificates_date_is_critical() {
        let (old, new) = (date!(2026 - 12 - 20), date!(2036 - 12 - 04));
        let inventory = Inventory {
            stated: vec![outbound("a", old)],
            // Promoted: the new key signs, the old one is still published.
            realm_signing: rolling(new, old),
            ..Inventory::default()
        };
        let report = evaluate(inventory, Thresholds::default(), NOW);
        assert_eq!(
            report.mismatches,
            [ExpiryMismatch {
                federation: "a".into(),
                partner: "Partner".into(),
                stated: old,
                actual: vec![old],
                status: Status::Critical,
                kind: MismatchKind::OldCertificate,
            }]
        );
        assert_eq!(report.status(), Status::Critical);
        let text = crate::certs::render::text::render(
            &report,
            false,
            crate::certs::render::text::Layout::Wide,
        );
        assert!(
            text.contains(
                "partner Partner still trusts the old certificate (expires 2026-12-20); send the \
                 new metadata (`fedctl export-metadata`) and update the record"
            ),
            "{text}"
        );
    }

    #[test]
    fn an_outbound_record_stating_no_realm_certificates_date_is_a_warning_naming_both() {
        let (signer, other) = (date!(2036 - 12 - 04), date!(2026 - 12 - 20));
        let inventory = Inventory {
            certificates: vec![found(
                "a",
                SourceKind::SamlClient,
                Usage::Signing,
                cert(datetime!(2027-03-01 10:00 UTC)),
            )],
            // The partner's own certificate's date: the wrong certificate for outbound.
            stated: vec![outbound("a", date!(2027 - 03 - 01))],
            realm_signing: rolling(signer, other),
            ..Inventory::default()
        };
        let report = evaluate(inventory, Thresholds::default(), NOW);
        assert_eq!(report.mismatches.len(), 1);
        let m = &report.mismatches[0];
        assert_eq!(
            (m.status, m.kind),
            (Status::Warning, MismatchKind::WrongDate)
        );
        assert_eq!(m.stated, date!(2027 - 03 - 01));
        assert_eq!(m.actual, [other, signer]);
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
                kind: MismatchKind::WrongDate,
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
