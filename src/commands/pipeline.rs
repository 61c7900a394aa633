//! The steps plan and apply share: load records, open the target, compile, observe, diff.

use std::future::Future;
use std::sync::OnceLock;

use crate::commands::args::{RecordArgs, TargetArgs};
use crate::commands::plan::ReconcileArgs;
use crate::desired::{self, Desired, RecordRef};
use crate::error::Error;
use crate::keycloak::admin::KeycloakTarget;
use crate::keycloak::realm_file::RealmFile;
use crate::metadata_source;
use crate::reconcile::{self, Plan};
use crate::record::RecordSet;
use crate::state::RealmState;
use crate::target::{Scope, Target, TargetError, check_realm, check_realm_argument};

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

/// Opens the target the arguments name, for `realm` (from --realm or the records).
pub fn open_target(args: &TargetArgs, records_realm: Option<&str>) -> Result<AnyTarget, Error> {
    let realm = args.realm.as_deref().or(records_realm);
    if let Some(path) = &args.realm_file {
        check_realm_argument(args.realm.as_deref(), "the records are for", records_realm)?;
        let target = match realm {
            Some(realm) => RealmFile::open_or_create(path, realm)?,
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
}

pub fn prepare(
    records: &RecordArgs,
    target: &TargetArgs,
    reconcile: &ReconcileArgs,
) -> Result<Prepared, Error> {
    let set = crate::record::load(records)?;
    let fetch = target.tls.fetch_options();
    let target = open_target(target, records_realm(&set).as_deref())?;
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
    let observed = block_on(target.observe(&Scope::of(&desired)))?;
    let plan = reconcile::diff(&desired, &observed, reconcile.options());
    Ok(Prepared {
        target,
        desired,
        plan,
    })
}

pub fn plan_header(target: &AnyTarget) -> String {
    format!("Plan for realm {} ({})", target.realm(), target.describe())
}
