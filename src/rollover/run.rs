//! The rollover as library calls: [`prepare`] loads the records, opens the target and plans
//! a step; [`apply`] makes the planned changes; [`status`] reports where each outbound
//! federation stands. Nothing here prints: the command shows plans and asks.

use std::time::Duration;

use super::RolloverError;
use super::plan::{self, Options, RolloverPlan, Step};
use super::status::RolloverStatus;
use crate::desired::RecordRef;
use crate::pipeline::{AnyTarget, open_target, records_realm};
use crate::record::{self, LoadOptions, RecordSet};
use crate::runtime::block_on;
use crate::target::key_providers::{KeyChange, KeyProvider, KeyProviderTarget};
use crate::target::{Target, TargetChoice, TargetError};

#[derive(Debug, Clone, Default)]
pub struct RolloverOptions {
    pub load: LoadOptions,
    pub target: TargetChoice,
    /// How long to wait for another run changing the same realm file.
    pub lock_timeout: Duration,
    /// Record ids promote may leave unconfirmed.
    pub force: Vec<String>,
}

/// A step planned against the target it will be applied to.
pub struct Prepared {
    pub target: AnyTarget,
    pub plan: RolloverPlan,
}

fn refs(set: &RecordSet) -> Vec<RecordRef<'_>> {
    set.records
        .iter()
        .map(|r| RecordRef {
            id: &r.id,
            federation: &r.record.federation,
        })
        .collect()
}

pub fn prepare(step: Step, options: &RolloverOptions) -> Result<Prepared, RolloverError> {
    let set = record::load(&options.load)?;
    let realm = records_realm(&set);
    let target = open_target(
        &options.target,
        realm.as_deref(),
        Some(options.lock_timeout),
    )?;
    let providers = block_on(target.key_providers())?;
    let options = Options {
        today: None,
        force: options.force.clone(),
    };
    let plan = plan::plan(step, target.realm(), &providers, &refs(&set), &options)?;
    Ok(Prepared { target, plan })
}

/// Makes the plan's changes in order, then commits them (a realm file is written once).
pub fn apply(prepared: &Prepared) -> Result<(), RolloverError> {
    for planned in &prepared.plan.changes {
        block_on(prepared.target.change_key(&planned.change))?;
    }
    block_on(prepared.target.commit_keys())?;
    Ok(())
}

pub fn status(load: &LoadOptions, target: &TargetChoice) -> Result<RolloverStatus, RolloverError> {
    let set = record::load(load)?;
    let target = open_target(target, records_realm(&set).as_deref(), None)?;
    let providers = block_on(target.key_providers())?;
    Ok(RolloverStatus::new(target.realm(), &providers, &refs(&set)))
}

impl KeyProviderTarget for AnyTarget {
    async fn key_providers(&self) -> Result<Vec<KeyProvider>, TargetError> {
        match self {
            AnyTarget::File(t) => t.key_providers().await,
            AnyTarget::Keycloak(t) => t.key_providers().await,
        }
    }

    async fn change_key(&self, change: &KeyChange) -> Result<(), TargetError> {
        match self {
            AnyTarget::File(t) => t.change_key(change).await,
            AnyTarget::Keycloak(t) => t.change_key(change).await,
        }
    }

    async fn commit_keys(&self) -> Result<(), TargetError> {
        match self {
            AnyTarget::File(t) => t.commit_keys().await,
            AnyTarget::Keycloak(t) => t.commit_keys().await,
        }
    }
}
