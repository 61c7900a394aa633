//! Opening the target a command names: a realm file, or a live Keycloak by URL or by a named
//! target of fedctl.yaml.

use std::time::Duration;

use crate::config;
use crate::keycloak::admin::KeycloakTarget;
use crate::keycloak::realm_file::RealmFile;
use crate::reconcile;
use crate::reconcile::Scope;
use crate::record::RecordSet;
use crate::state::RealmState;
use crate::target::{Target, TargetChoice, TargetError, check_realm, check_realm_argument};

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
    args: &TargetChoice,
    records_realm: Option<&str>,
    lock_timeout: Option<Duration>,
) -> Result<AnyTarget, TargetError> {
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
    if let Some(connection) = config::live_connection(args, records_realm, &env)? {
        return Ok(AnyTarget::Keycloak(Box::new(KeycloakTarget::connect(
            &connection,
        )?)));
    }
    Err(TargetError::NotNamed)
}
