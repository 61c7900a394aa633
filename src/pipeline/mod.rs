//! The steps plan and apply share: load records, read partner metadata, compile the desired
//! state, open the target, observe it, diff. Everything here is wiring over the core
//! ([`crate::record`], [`crate::desired`], [`crate::reconcile`]) and the ports
//! ([`crate::target`], [`crate::metadata_source`]); the commands only turn their arguments into
//! [`PrepareOptions`] and show what comes back.

pub mod apply;
mod declared;
mod open;
pub mod validate;

use std::time::Duration;

use miette::Diagnostic;

pub use self::open::{AnyTarget, open_target, records_realm};
use crate::desired::{self, Desired, InboundSources, RecordRef};
use crate::metadata_source::inbound::{self, InboundSourceError};
use crate::metadata_source::{self, FetchOptions, PartnerMetadataError};
use crate::reconcile::Scope;
use crate::reconcile::{self, DiffOptions, Plan};
use crate::record::{self, LoadOptions, Problem, RecordErrors, RecordSet};
use crate::runtime::block_on;
use crate::saml::Finding;
use crate::state::RealmState;
use crate::target::{Target, TargetChoice, TargetError};
use crate::user_profile;

/// What a plan is made from, besides the target.
#[derive(Debug, Clone, Default)]
pub struct PrepareOptions {
    pub load: LoadOptions,
    /// Work on these records only (file stems): a partial run.
    pub records: Vec<String>,
    pub prune: bool,
    /// Allow `prune` with an empty record set.
    pub allow_empty: bool,
    pub adopt: bool,
    pub allow_expired_metadata: bool,
    /// How partner metadata URLs are fetched.
    pub fetch: FetchOptions,
    /// How long to wait for another run that is changing the same realm file.
    pub lock_timeout: Duration,
}

/// Something the user should see while a plan is prepared, before the plan itself.
pub enum Notice<'a> {
    /// A non-fatal finding in a record (e.g. an expired certificate date).
    Record(&'a Problem),
    /// A finding about a record's partner metadata.
    PartnerMetadata {
        record: &'a str,
        finding: &'a Finding,
    },
    /// What compiling a record decided without being asked (e.g. a default it applied).
    Compiled { record: &'a str, note: &'a str },
    /// A mapper releases a user attribute the realm's user profile drops.
    Undeclared(&'a user_profile::DroppedRelease),
}

#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum PrepareError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Records(#[from] RecordErrors),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Target(#[from] TargetError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    PartnerMetadata(#[from] Box<PartnerMetadataError>),

    #[error(transparent)]
    #[diagnostic(transparent)]
    InboundSource(#[from] Box<InboundSourceError>),

    /// `--record NAME` names no record of the set.
    #[error("{0}")]
    #[diagnostic(code(fedctl::usage))]
    Selection(String),

    #[error(
        "--prune needs the complete record set, but this is a partial run (record files \
         named one by one, or --record): give the records directory instead"
    )]
    #[diagnostic(code(fedctl::usage))]
    PrunePartial,

    #[error(
        "refusing --prune with no records: it would delete every object fedctl manages in \
         the realm; add --allow-empty if that is what you want"
    )]
    #[diagnostic(code(fedctl::usage))]
    PruneEmpty,
}

/// Everything a plan is made from.
pub struct Prepared {
    pub target: AnyTarget,
    pub desired: Desired,
    pub plan: Plan,
    /// What was observed, and what was asked for: a saved plan's fingerprint covers them.
    pub scope: Scope,
    pub observed: RealmState,
}

/// Loads, compiles, observes and diffs. `notice` hears of warnings as soon as they are known,
/// so they are shown even when observing the target then fails.
pub fn prepare(
    options: &PrepareOptions,
    choice: &TargetChoice,
    notice: &mut dyn FnMut(Notice<'_>),
) -> Result<Prepared, PrepareError> {
    let mut set = record::load(&options.load)?;
    set.select(&options.records)
        .map_err(PrepareError::Selection)?;
    check_prune(&set, options)?;
    let target = open_target(
        choice,
        records_realm(&set).as_deref(),
        Some(options.lock_timeout),
    )?;
    // Partner metadata is read before compiling: all I/O stays out of `desired`.
    let documents = block_on(metadata_source::load(&set.records, &options.fetch));
    let judge = metadata_source::Options {
        allow_expired: options.allow_expired_metadata,
        now: time::OffsetDateTime::now_utc(),
    };
    let metadata = metadata_source::resolve_all(&set.records, &documents, judge)?;
    let (mut idps, idp_findings) =
        metadata_source::resolve_inbound(&set.records, &documents, judge)?;
    drop(documents);
    idps.extend(inbound::signing_certificates(&set.records)?);
    let sources = InboundSources {
        saml: idps,
        oidc: block_on(inbound::discover(&set.records, &options.fetch))?,
        secrets: crate::config::inbound_secrets(&|name| std::env::var(name).ok())?,
    };
    let desired = desired::compile_all(
        set.records.iter().map(|r| RecordRef {
            id: &r.id,
            federation: &r.record.federation,
        }),
        &set.profile,
        &metadata.settings,
        &sources,
    );
    set.warnings.iter().for_each(|w| notice(Notice::Record(w)));
    for (record, finding) in metadata.findings.iter().chain(&idp_findings) {
        notice(Notice::PartnerMetadata { record, finding });
    }
    for (record, note) in &desired.notes {
        notice(Notice::Compiled { record, note });
    }
    let scope = Scope::of(&desired);
    let observed = block_on(target.observe(&scope))?;
    let profile = block_on(declared::user_profile(&target));
    for dropped in user_profile::dropped_releases(&desired.state, &profile) {
        notice(Notice::Undeclared(&dropped));
    }
    let diff_options = DiffOptions {
        prune: options.prune,
        adopt: options.adopt,
        partial: set.partial,
    };
    let plan = reconcile::diff(&desired, &observed, diff_options);
    Ok(Prepared {
        target,
        desired,
        plan,
        scope,
        observed,
    })
}

/// Orphans exist only relative to the complete record set, and an empty set makes every
/// managed object an orphan: both are refused before anything is read from the target.
fn check_prune(set: &RecordSet, options: &PrepareOptions) -> Result<(), PrepareError> {
    if !options.prune {
        return Ok(());
    }
    if set.partial {
        return Err(PrepareError::PrunePartial);
    }
    if set.records.is_empty() && !options.allow_empty {
        return Err(PrepareError::PruneEmpty);
    }
    Ok(())
}
