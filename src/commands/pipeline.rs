//! The steps plan and apply share: load records, open the target, compile, observe, diff.

use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;

use crate::commands::Exit;
use crate::commands::args::{RecordArgs, TargetArgs};
use crate::commands::plan::ReconcileArgs;
use crate::desired::{self, Desired, RecordRef};
use crate::error::Error;
use crate::keycloak::admin::KeycloakTarget;
use crate::keycloak::realm_file::RealmFile;
use crate::metadata_source;
use crate::printable::printable;
use crate::reconcile::{self, Plan};
use crate::record::RecordSet;
use crate::state::RealmState;
use crate::target::{Scope, Target, TargetError, check_realm, check_realm_argument};
use crate::user_profile::{self, UserProfile};

/// Runs async target code from the synchronous CLI. One thread is enough: requests overlap
/// through async concurrency, not threads. One runtime for the whole process, so the HTTP
/// connections opened while observing are still alive when applying.
pub fn block_on<F: Future>(future: F) -> F::Output {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a current-thread tokio runtime can always be built")
        })
        .block_on(future)
}

/// Any target fedctl can open.
pub enum AnyTarget {
    File(RealmFile),
    Keycloak(Box<KeycloakTarget>),
}

impl Target for AnyTarget {
    fn describe(&self) -> String {
        match self {
            AnyTarget::File(t) => t.describe(),
            AnyTarget::Keycloak(t) => t.describe(),
        }
    }

    fn realm(&self) -> &str {
        match self {
            AnyTarget::File(t) => t.realm(),
            AnyTarget::Keycloak(t) => t.realm(),
        }
    }

    async fn observe(&self, scope: &Scope) -> Result<RealmState, TargetError> {
        match self {
            AnyTarget::File(t) => t.observe(scope).await,
            AnyTarget::Keycloak(t) => t.observe(scope).await,
        }
    }

    async fn execute(&self, operation: &reconcile::Operation) -> Result<(), TargetError> {
        match self {
            AnyTarget::File(t) => t.execute(operation).await,
            AnyTarget::Keycloak(t) => t.execute(operation).await,
        }
    }

    async fn commit(&self) -> Result<(), TargetError> {
        match self {
            AnyTarget::File(t) => t.commit().await,
            AnyTarget::Keycloak(t) => t.commit().await,
        }
    }
}

/// The realm the records are for (validation guarantees they agree).
pub fn records_realm(records: &RecordSet) -> Option<String> {
    records
        .records
        .iter()
        .find_map(|r| r.realm())
        .map(str::to_owned)
}

/// Opens the target the arguments name, for `realm` (from --realm or the records). A realm
/// file opened with a `lock_timeout` is locked for an update (and created if missing).
pub fn open_target(
    args: &TargetArgs,
    records_realm: Option<&str>,
    lock_timeout: Option<Duration>,
) -> Result<AnyTarget, Error> {
    let realm = args.realm.as_deref().or(records_realm);
    if let Some(path) = &args.realm_file {
        check_realm_argument(args.realm.as_deref(), "the records are for", records_realm)?;
        let target = match lock_timeout {
            Some(timeout) => RealmFile::open_for_update(path, realm, timeout)?,
            None => RealmFile::open(path)?,
        };
        let holds = format!("{} holds", target.describe());
        check_realm_argument(args.realm.as_deref(), &holds, Some(target.realm()))?;
        check_realm(records_realm, target.realm())?;
        return Ok(AnyTarget::File(target));
    }
    let env = |name: &str| std::env::var(name).ok();
    if let Some(connection) = crate::config::live_connection(args, records_realm, &env)? {
        return Ok(AnyTarget::Keycloak(Box::new(KeycloakTarget::connect(
            &connection,
        )?)));
    }
    Err(Error::Usage(
        "no target: give --realm-file PATH, --url URL (or KEYCLOAK_URL) or --target NAME".into(),
    ))
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

pub fn prepare(
    records: &RecordArgs,
    target: &TargetArgs,
    reconcile: &ReconcileArgs,
) -> Result<Prepared, Error> {
    let mut set = crate::record::load(records)?;
    set.select(&reconcile.records).map_err(Error::Usage)?;
    check_prune(&set, reconcile)?;
    let fetch = target.tls.fetch_options();
    let target = open_target(
        target,
        records_realm(&set).as_deref(),
        Some(reconcile.lock_timeout()),
    )?;
    // Partner metadata is read before compiling: all I/O stays out of `desired`.
    let documents = block_on(metadata_source::load(&set.records, &fetch));
    let metadata = metadata_source::resolve_all(
        &set.records,
        &documents,
        metadata_source::Options {
            allow_expired: reconcile.allow_expired_metadata,
            now: time::OffsetDateTime::now_utc(),
        },
    )?;
    drop(documents);
    let desired = desired::compile_with_metadata(
        set.records.iter().map(|r| RecordRef {
            id: &r.id,
            federation: &r.record.federation,
        }),
        &set.profile,
        &metadata.settings,
    );
    // On stderr, so that `plan --output json` stays machine-readable.
    for warning in &set.warnings {
        eprintln!("{:?}", miette::Report::new(warning.clone()));
    }
    for (record, finding) in &metadata.findings {
        eprintln!("warning: {record}: partner metadata: {finding}");
    }
    for (record, note) in &desired.notes {
        eprintln!("note: {record}: {note}");
    }
    let scope = Scope::of(&desired);
    let observed = block_on(target.observe(&scope))?;
    let profile = block_on(user_profile(&target));
    for (client, mapper, attribute) in user_profile::dropped_releases(&desired.state, &profile) {
        eprintln!(
            "{}",
            printable(&user_profile::warning(&client, &mapper, &attribute))
        );
    }
    let plan = reconcile::diff(&desired, &observed, reconcile.options(set.partial));
    Ok(Prepared {
        target,
        desired,
        plan,
        scope,
        observed,
    })
}

/// The realm's user profile: the realm file's component, or the live one. A Keycloak that
/// does not answer (before 24 there is none; or no view-realm right) declares everything:
/// no warning rather than a wrong one.
async fn user_profile(target: &AnyTarget) -> UserProfile {
    match target {
        AnyTarget::File(file) => UserProfile::from_realm_export(&file.document()),
        AnyTarget::Keycloak(live) => match live.client().get(&["users", "profile"], &[]).await {
            Ok(config) => UserProfile::from_config(&config),
            Err(error) => {
                tracing::debug!(%error, "user profile not read");
                UserProfile::keeping_everything()
            }
        },
    }
}

/// Orphans exist only relative to the complete record set, and an empty set makes every
/// managed object an orphan: both are refused before anything is read from the target.
fn check_prune(set: &RecordSet, reconcile: &ReconcileArgs) -> Result<(), Error> {
    if !reconcile.prune {
        return Ok(());
    }
    if set.partial {
        return Err(Error::Usage(
            "--prune needs the complete record set, but this is a partial run (record files \
             named one by one, or --record): give the records directory instead"
                .into(),
        ));
    }
    if set.records.is_empty() && !reconcile.allow_empty {
        return Err(Error::Usage(
            "refusing --prune with no records: it would delete every object fedctl manages in \
             the realm; add --allow-empty if that is what you want"
                .into(),
        ));
    }
    Ok(())
}

/// Conflicts are changes fedctl could not make, and their records are not enforced (a
/// partner's client may lack its deny flow): `Exit(1)` for plan and apply alike, after naming
/// those records on stderr. `None` when there is no conflict.
pub fn conflicts_exit(plan: &Plan) -> Option<Exit> {
    let conflicts = plan.summary().conflict;
    if conflicts == 0 {
        return None;
    }
    eprintln!("{conflicts} conflict(s) left untouched; these records are not enforced:");
    for (record, reason) in &plan.not_enforced {
        eprintln!("  {}: {}", printable(record), printable(reason));
    }
    Some(Exit(1))
}

pub fn plan_header(target: &AnyTarget) -> String {
    format!("Plan for realm {} ({})", target.realm(), target.describe())
}
