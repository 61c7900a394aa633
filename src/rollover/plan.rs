//! A rollover step becomes changes on key providers. Pure: the providers and records are
//! read by the caller, the plan is applied through the key-provider port.

use std::fmt;

use time::Date;

use super::RolloverError;
use super::ring::{self, Ring};
use super::status::{self, RolloverStatus};
use crate::desired::RecordRef;
use crate::target::key_providers::{KeyChange, KeyProvider, KeySettings};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Stage,
    Promote,
    Retire,
}

impl Step {
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Stage => "stage",
            Step::Promote => "promote",
            Step::Retire => "retire",
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Today (UTC), for the new key's name.
    pub today: Option<Date>,
    /// Record ids promote may leave unconfirmed.
    pub force: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedChange {
    pub change: KeyChange,
    /// Why, for the plan.
    pub reason: String,
    /// The provider is not one fedctl created: needs `--adopt-keys`.
    pub adopts: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolloverPlan {
    pub step: Step,
    pub changes: Vec<PlannedChange>,
    /// Why there is nothing to do, when there is nothing to do.
    pub note: Option<String>,
}

impl RolloverPlan {
    fn nothing(step: Step, note: String) -> RolloverPlan {
        RolloverPlan {
            step,
            changes: Vec::new(),
            note: Some(note),
        }
    }

    /// Refuses a plan that touches a key provider fedctl did not create, unless allowed.
    pub fn check_adoption(&self, adopt_keys: bool) -> Result<(), RolloverError> {
        match self.changes.iter().find(|c| c.adopts) {
            Some(change) if !adopt_keys => Err(RolloverError::AdoptKeys {
                step: self.step.as_str(),
                name: change.change.name().to_owned(),
            }),
            _ => Ok(()),
        }
    }
}

impl KeyChange {
    pub fn name(&self) -> &str {
        match self {
            KeyChange::Create { name, .. }
            | KeyChange::Update { name, .. }
            | KeyChange::Delete { name, .. } => name,
        }
    }
}

pub fn plan(
    step: Step,
    realm: &str,
    providers: &[KeyProvider],
    records: &[RecordRef<'_>],
    options: &Options,
) -> Result<RolloverPlan, RolloverError> {
    let ring = Ring::of(providers);
    let signer = ring.signer.ok_or_else(|| RolloverError::NoSigner {
        realm: realm.to_owned(),
    })?;
    match step {
        Step::Stage => Ok(stage(&ring, signer, options)),
        Step::Promote => promote(&ring, signer, providers, realm, records, options),
        Step::Retire => retire(&ring, signer, records),
    }
}

fn stage(ring: &Ring<'_>, signer: &KeyProvider, options: &Options) -> RolloverPlan {
    if let Some(staged) = ring.staged {
        return RolloverPlan::nothing(
            Step::Stage,
            format!("{} is already staged", ring::describe(staged)),
        );
    }
    let today = options
        .today
        .unwrap_or_else(|| time::OffsetDateTime::now_utc().date());
    RolloverPlan {
        step: Step::Stage,
        changes: vec![PlannedChange {
            change: KeyChange::Create {
                name: ring::staged_name(today, &signer.id),
                settings: KeySettings {
                    priority: signer.priority,
                    enabled: true,
                    active: false,
                },
            },
            reason: format!(
                "new RS256 signing key, published beside {} but not signing yet",
                ring::describe(signer)
            ),
            adopts: false,
        }],
        note: None,
    }
}

fn promote(
    ring: &Ring<'_>,
    signer: &KeyProvider,
    providers: &[KeyProvider],
    realm: &str,
    records: &[RecordRef<'_>],
    options: &Options,
) -> Result<RolloverPlan, RolloverError> {
    let Some(staged) = ring.staged else {
        // A promote interrupted after the new key took over: finish demoting the old one.
        return Ok(
            match ring.retiring.filter(|old| old.enabled && old.active) {
                Some(old) => RolloverPlan {
                    step: Step::Promote,
                    changes: vec![demote(old)],
                    note: None,
                },
                None if ring.retiring.is_some() => RolloverPlan::nothing(
                    Step::Promote,
                    format!("{} already signs", ring::describe(signer)),
                ),
                None => return Err(RolloverError::NothingStaged),
            },
        );
    };
    check_confirmed(realm, providers, records, options)?;
    // Above every active signing key, so that it signs whatever else is configured.
    let top = providers
        .iter()
        .filter(|p| p.rs256_signing && p.enabled && p.active)
        .map(|p| p.priority)
        .max()
        .unwrap_or(signer.priority);
    let promoted = update(
        staged,
        KeySettings {
            priority: staged.priority.max(top + 1),
            enabled: true,
            active: true,
        },
        "the new key signs from now on".to_owned(),
    );
    Ok(RolloverPlan {
        step: Step::Promote,
        changes: vec![promoted, demote(signer)],
        note: None,
    })
}

/// Changes a provider's settings; one fedctl did not create is adopted.
fn update(provider: &KeyProvider, to: KeySettings, reason: String) -> PlannedChange {
    PlannedChange {
        change: KeyChange::Update {
            id: provider.id.clone(),
            name: provider.name.clone(),
            from: provider.settings(),
            to,
        },
        reason,
        adopts: !ring::is_ours(provider),
    }
}

/// The old signer stays published (passive) so that what it signed still verifies.
fn demote(old: &KeyProvider) -> PlannedChange {
    let to = KeySettings {
        active: false,
        ..old.settings()
    };
    let reason = format!(
        "the old signer (expires {}) stays published, passive, until retired",
        ring::expiry_text(old)
    );
    update(old, to, reason)
}

fn check_confirmed(
    realm: &str,
    providers: &[KeyProvider],
    records: &[RecordRef<'_>],
    options: &Options,
) -> Result<(), RolloverError> {
    let outbound: Vec<&str> = status::outbound(records).map(|r| r.id).collect();
    if let Some(name) = options
        .force
        .iter()
        .find(|name| !outbound.contains(&name.as_str()))
    {
        return Err(RolloverError::UnknownForce { name: name.clone() });
    }
    let status = RolloverStatus::new(realm, providers, records);
    let unconfirmed: Vec<String> = status
        .unconfirmed()
        .filter(|f| !options.force.contains(&f.record))
        .map(|f| f.record.clone())
        .collect();
    if unconfirmed.is_empty() {
        return Ok(());
    }
    Err(RolloverError::Unconfirmed {
        records: unconfirmed,
        new_expiry: status
            .new_expiry
            .map_or_else(|| "unknown".to_owned(), |d| d.to_string()),
    })
}

fn retire(
    ring: &Ring<'_>,
    signer: &KeyProvider,
    records: &[RecordRef<'_>],
) -> Result<RolloverPlan, RolloverError> {
    if !ring::is_ours(signer) {
        return Err(RolloverError::NotPromoted);
    }
    let Some(old) = ring.retiring else {
        return Ok(RolloverPlan::nothing(
            Step::Retire,
            format!(
                "nothing to retire: {} signs and the key it replaced is gone",
                ring::describe(signer)
            ),
        ));
    };
    if let Some(old_date) = ring::expiry(old) {
        let new_date = ring::expiry(signer);
        let trusting: Vec<String> = status::outbound(records)
            .filter(|r| {
                r.federation
                    .technical
                    .signing_cert_expiry
                    .is_some_and(|stated| status::describes(stated, old_date, new_date))
            })
            .map(|r| r.id.to_owned())
            .collect();
        if !trusting.is_empty() {
            return Err(RolloverError::StillTrusted {
                records: trusting,
                old_expiry: old_date.to_string(),
            });
        }
    }
    let change = if old.enabled {
        let to = KeySettings {
            enabled: false,
            active: false,
            ..old.settings()
        };
        let reason = "no longer published; run retire again later to remove it".to_owned();
        update(old, to, reason)
    } else {
        PlannedChange {
            change: KeyChange::Delete {
                id: old.id.clone(),
                name: old.name.clone(),
            },
            reason: format!(
                "the old key (expires {}) is removed with its private key",
                ring::expiry_text(old)
            ),
            adopts: !ring::is_ours(old),
        }
    };
    Ok(RolloverPlan {
        step: Step::Retire,
        changes: vec![change],
        note: None,
    })
}

#[cfg(test)]
mod tests {
    use time::macros::{date, datetime};

    use super::*;
    use crate::record::{Federation, RecordFile};
    use crate::rollover::ring::tests::key;

    fn federation(expiry: &str) -> Federation {
        let yaml = format!(
            "federation:\n  partner: P\n  type: saml\n  direction: your-idp-to-partner-sp\n  \
             technical:\n    your_entity_id: https://idp.example.org/realms/r\n    \
             signing_cert_expiry: \"{expiry}\"\n  access_control:\n    group: g\n    \
             approver: A\n    review_frequency: annual\n"
        );
        serde_saphyr::from_str::<RecordFile>(&yaml)
            .unwrap()
            .federation
    }

    /// Keycloak's own old signer and fedctl's staged key.
    fn staged() -> Vec<KeyProvider> {
        let mut old = key("old", "rsa-generated", 100, true, true);
        old.not_after = Some(datetime!(2026-12-20 00:00 UTC));
        let mut new = key(
            "new",
            &ring::staged_name(date!(2026 - 12 - 04), "old"),
            100,
            true,
            false,
        );
        new.not_after = Some(datetime!(2036-12-04 00:00 UTC));
        vec![old, new]
    }

    fn promote(
        records: &[(&str, &Federation)],
        force: &[&str],
    ) -> Result<RolloverPlan, RolloverError> {
        let refs: Vec<RecordRef<'_>> = records
            .iter()
            .map(|(id, federation)| RecordRef { id, federation })
            .collect();
        let options = Options {
            today: None,
            force: force.iter().map(|f| f.to_string()).collect(),
        };
        plan(Step::Promote, "r", &staged(), &refs, &options)
    }

    #[test]
    fn promote_is_refused_while_a_record_is_unconfirmed_unless_forced() {
        let (new, old) = (federation("2036-12-04"), federation("2026-12-20"));
        let records = [("a", &new), ("b", &old)];
        match promote(&records, &[]) {
            Err(RolloverError::Unconfirmed {
                records,
                new_expiry,
            }) => {
                assert_eq!(records, ["b"]);
                assert_eq!(new_expiry, "2036-12-04");
            }
            other => panic!("{other:?}"),
        }
        let plan = promote(&records, &["b"]).unwrap();
        assert_eq!(plan.changes.len(), 2);
        assert!(matches!(
            promote(&records, &["zzz"]),
            Err(RolloverError::UnknownForce { name }) if name == "zzz"
        ));
    }

    #[test]
    fn promote_raises_the_new_key_above_the_signer_and_needs_adopt_keys_for_keycloaks_key() {
        let new = federation("2036-12-04");
        let plan = promote(&[("a", &new)], &[]).unwrap();
        let KeyChange::Update { id, to, .. } = &plan.changes[0].change else {
            panic!("{plan:?}");
        };
        assert_eq!((id.as_str(), to.priority, to.active), ("new", 101, true));
        let KeyChange::Update { id, to, .. } = &plan.changes[1].change else {
            panic!("{plan:?}");
        };
        assert_eq!((id.as_str(), to.active, to.enabled), ("old", false, true));
        assert!(plan.changes[1].adopts && !plan.changes[0].adopts);
        assert!(matches!(
            plan.check_adoption(false),
            Err(RolloverError::AdoptKeys { step: "promote", name }) if name == "rsa-generated"
        ));
        plan.check_adoption(true).unwrap();
    }

    #[test]
    fn retire_needs_a_promoted_key_and_no_record_on_the_old_date() {
        let none: [RecordRef<'_>; 0] = [];
        let options = Options::default();
        assert!(matches!(
            plan(Step::Retire, "r", &staged(), &none, &options),
            Err(RolloverError::NotPromoted)
        ));
        let mut promoted = staged();
        promoted[0].active = false;
        promoted[1].active = true;
        let old = federation("2026-12-21");
        let refs = [RecordRef {
            id: "b",
            federation: &old,
        }];
        assert!(matches!(
            plan(Step::Retire, "r", &promoted, &refs, &options),
            Err(RolloverError::StillTrusted { records, .. }) if records == ["b"]
        ));
        let plan = plan(Step::Retire, "r", &promoted, &none, &options).unwrap();
        let KeyChange::Update { id, to, .. } = &plan.changes[0].change else {
            panic!("{plan:?}");
        };
        assert_eq!((id.as_str(), to.enabled), ("old", false));
    }

    #[test]
    fn stage_names_the_signer_it_replaces_and_publishes_without_signing() {
        let signer = [key("old", "rsa-generated", 100, true, true)];
        let options = Options {
            today: Some(date!(2026 - 12 - 04)),
            ..Options::default()
        };
        let plan = plan(Step::Stage, "r", &signer, &[], &options).unwrap();
        assert_eq!(
            plan.changes[0].change,
            KeyChange::Create {
                name: "fedctl-rollover 2026-12-04 replaces old".into(),
                settings: KeySettings {
                    priority: 100,
                    enabled: true,
                    active: false
                }
            }
        );
        assert!(matches!(
            super::plan(Step::Stage, "r", &[], &[], &options),
            Err(RolloverError::NoSigner { .. })
        ));
    }
}
