//! The `admin-api` source: a live Keycloak's realm keys (`GET /keys`), clients (`GET /clients`)
//! and identity providers (`GET /identity-provider/instances`), read concurrently, every page,
//! into the [`RealmSnapshot`] a realm export also becomes.
//!
//! A Keycloak that cannot be read (unreachable, credentials missing or refused, an answer that
//! does not parse, records for another realm) is a source that is down, never an error: the
//! records and metadata files are still checked, and the run is UNKNOWN at worst. Messages come
//! from [`TargetError`], which carries no secret.

use super::model::{Inventory, SourceStatus};
use super::sources::RecordRef;
use super::sources::realm::{self, RealmError, RealmSnapshot};
use crate::config::{self, LiveTarget};
use crate::keycloak::admin::Connection;
use crate::keycloak::admin::client::AdminClient;
use crate::runtime::block_on;
use crate::target::{self, TargetChoice, TargetError};

/// The source name in reports and in `fedctl_cert_source_up`.
const SOURCE: &str = "admin-api";

/// A realm of a live Keycloak, settled from the arguments and the records; nothing sent yet.
pub(super) struct AdminApi {
    target: LiveTarget,
    realm: String,
}

#[derive(Debug, thiserror::Error)]
enum ReadError {
    #[error(transparent)]
    Target(#[from] TargetError),
    #[error(transparent)]
    Realm(#[from] RealmError),
}

impl AdminApi {
    /// The live Keycloak the arguments name (`--url`, `KEYCLOAK_URL`, `--target`), for the
    /// realm asked for or else the records' realm. Errors are the invocation's (a bad URL, an
    /// unknown named target, no realm at all) and stop the check.
    pub(super) fn named(
        args: &TargetChoice,
        records_realm: Option<&str>,
    ) -> Result<Option<AdminApi>, TargetError> {
        let Some(target) = config::live_target(args, &environment)? else {
            return Ok(None);
        };
        let realm = target.realm_for(records_realm)?;
        Ok(Some(AdminApi { target, realm }))
    }

    /// Every certificate of the realm the records depend on (all of them without records),
    /// and whether the admin API could be read.
    pub(super) fn collect(self, records_realm: Option<&str>, refs: &[RecordRef<'_>]) -> Inventory {
        // The server URL carries no credentials (`Connection::server_url` refuses them).
        let location = Connection::admin_url(&self.target.server, &self.realm).to_string();
        match self.snapshot(records_realm) {
            Ok(snapshot) => Inventory {
                certificates: realm::collect(&snapshot, refs),
                sources: vec![SourceStatus::up(SOURCE, location)],
                ..Inventory::default()
            },
            // Each error's message already holds its cause: no chain, no repeated text.
            Err(e) => Inventory::source_down(SOURCE, location, e),
        }
    }

    fn snapshot(self, records_realm: Option<&str>) -> Result<RealmSnapshot, ReadError> {
        target::check_realm(records_realm, &self.realm)?;
        let connection = self.target.connection(self.realm, &environment)?;
        let client = AdminClient::connect(&connection)?;
        block_on(read(&client))
    }
}

/// The three reads at once; the client bounds the requests in flight (`--concurrency`).
async fn read(client: &AdminClient) -> Result<RealmSnapshot, ReadError> {
    let (keys, clients, identity_providers) = tokio::try_join!(
        client.get(&["keys"], &[]),
        client.list(&["clients"], &[]),
        client.list(&["identity-provider", "instances"], &[]),
    )
    .map_err(TargetError::from)?;
    Ok(RealmSnapshot::from_admin_api(
        &keys,
        clients,
        identity_providers,
    )?)
}

fn environment(name: &str) -> Option<String> {
    std::env::var(name).ok()
}
