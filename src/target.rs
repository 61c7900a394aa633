//! The identity provider fedctl talks to. Two implementations: a Keycloak realm export file
//! ([`crate::keycloak::realm_file`]) and a live Keycloak through its admin REST API. The
//! planner never knows which one it has.

use std::path::PathBuf;
use std::time::Duration;

use miette::Diagnostic;

use crate::reconcile::{Operation, Scope};
use crate::state::RealmState;

/// Which identity provider to work on, as the command line and the environment name it:
/// a realm file, or a live Keycloak by URL or by a named target of fedctl.yaml
/// ([`crate::config`] turns the latter into a connection).
#[derive(Debug, Clone, Default)]
pub struct TargetChoice {
    pub realm_file: Option<PathBuf>,
    pub url: Option<String>,
    /// The realm asked for; `None` means the records' realm.
    pub realm: Option<String>,
    /// A named target of fedctl.yaml.
    pub target: Option<String>,
    /// The realm the admin credentials belong to; `None` means `master`.
    pub auth_realm: Option<String>,
    /// Extra CA certificates to trust (verification stays on).
    pub ca_cert: Option<PathBuf>,
    pub allow_insecure_http: bool,
    pub timeout: Duration,
    /// Maximum concurrent requests to Keycloak.
    pub concurrency: u16,
}

impl TargetChoice {
    /// Whether any target is named at all.
    pub fn names_a_target(&self) -> bool {
        self.realm_file.is_some() || self.url.is_some() || self.target.is_some()
    }
}

/// A place fedctl can read the realm from and write changes to.
///
/// The methods are `async` so a live target can overlap requests; the executor drives them
/// from one task (no `Send` bound needed), hence the allowed lint.
#[allow(async_fn_in_trait)]
pub trait Target {
    /// For plan headers and messages, e.g. `realm file demo-realm.json`.
    fn describe(&self) -> String;

    /// The realm this target manages.
    fn realm(&self) -> &str;

    /// Reads the managed objects (and anything colliding with them).
    async fn observe(&self, scope: &Scope) -> Result<RealmState, TargetError>;

    /// Executes one operation. Deleting something already gone succeeds.
    async fn execute(&self, operation: &Operation) -> Result<(), TargetError>;

    /// Makes executed operations durable (the realm file is written here).
    async fn commit(&self) -> Result<(), TargetError>;
}

#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum TargetError {
    #[error("no target: give --realm-file PATH, --url URL (or KEYCLOAK_URL) or --target NAME")]
    #[diagnostic(code(fedctl::usage))]
    NotNamed,

    #[error("cannot read realm file {}", path.display())]
    #[diagnostic(code(fedctl::realm_file::read))]
    ReadFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{} is not a Keycloak realm export: {reason}", path.display())]
    #[diagnostic(
        code(fedctl::realm_file::format),
        help(
            "export a realm with `kc.sh export --realm NAME --file FILE`, or the admin console's partial export"
        )
    )]
    NotARealm { path: PathBuf, reason: String },

    #[error(transparent)]
    #[diagnostic(code(fedctl::write))]
    Write(#[from] crate::fsutil::WriteError),

    #[error(transparent)]
    #[diagnostic(code(fedctl::realm_file::locked))]
    Lock(#[from] crate::fsutil::LockError),

    #[error("{} changed since fedctl read it; nothing was written", path.display())]
    #[diagnostic(
        code(fedctl::realm_file::changed),
        help(
            "something else edited the file during the run; run the command again to plan against the new content"
        )
    )]
    Changed { path: PathBuf },

    #[error("cannot create the keys of the new realm file {}", path.display())]
    #[diagnostic(code(fedctl::realm_file::keys))]
    KeyGen {
        path: PathBuf,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    #[error("the records are for realm `{records}` but the target holds realm `{target}`")]
    #[diagnostic(
        code(fedctl::realm_mismatch),
        help(
            "point fedctl at the right realm (--realm-file, --realm) or fix your_entity_id in the records"
        )
    )]
    RealmMismatch { records: String, target: String },

    #[error("--realm asks for realm `{asked}`, but {holder} realm `{held}`")]
    #[diagnostic(
        code(fedctl::realm_mismatch),
        help(
            "records name their realm in your_entity_id: leave out --realm (and KEYCLOAK_REALM), \
             or point fedctl at the records and target of that realm"
        )
    )]
    RealmArgument {
        asked: String,
        /// "the records are for", "realm file x.json holds".
        holder: String,
        held: String,
    },

    #[error("Keycloak at {server} has no realm `{realm}`")]
    #[diagnostic(
        code(fedctl::keycloak::no_realm),
        help(
            "fedctl never creates realms: create it in the admin console (Create realm), with \
             `kcadm.sh create realms -s realm={realm} -s enabled=true`, or by importing a realm \
             file (`kc.sh import --file FILE`); or check --realm and the records' your_entity_id"
        )
    )]
    NoSuchRealm { server: String, realm: String },

    #[error("{object} does not exist in the realm")]
    #[diagnostic(code(fedctl::missing))]
    Missing { object: String },

    /// `status` 0: Keycloak answered, but not in a way fedctl can use.
    #[error("Keycloak refused {action}{}: {message}", http_status(*status))]
    #[diagnostic(code(fedctl::keycloak::refused))]
    Refused {
        action: String,
        status: u16,
        message: String,
    },

    #[error("{object} already exists in Keycloak: {message}")]
    #[diagnostic(
        code(fedctl::keycloak::conflict),
        help("it appeared after the plan was made: run plan again to see whose it is")
    )]
    Conflict { object: String, message: String },

    #[error("cannot reach Keycloak at {url}: {reason}")]
    #[diagnostic(code(fedctl::keycloak::unreachable))]
    Unreachable { url: String, reason: String },

    /// A named target's credential variable (fedctl.yaml `password_env`, `client_secret_env`)
    /// is not set; the help names that variable, not the defaults.
    #[error("authentication to Keycloak failed: environment variable {variable} is not set")]
    #[diagnostic(
        code(fedctl::keycloak::auth),
        help("set {variable}: the target in fedctl.yaml reads its {what} from it")
    )]
    MissingCredential {
        variable: String,
        what: &'static str,
    },

    #[error("authentication to Keycloak failed: {0}")]
    #[diagnostic(
        code(fedctl::keycloak::auth),
        help(
            "set KEYCLOAK_CLIENT_ID/KEYCLOAK_CLIENT_SECRET (service account) or KEYCLOAK_USER/KEYCLOAK_PASSWORD"
        )
    )]
    Auth(String),

    #[error("{0}")]
    #[diagnostic(code(fedctl::target::config))]
    Config(String),
}

fn http_status(status: u16) -> String {
    match status {
        0 => String::new(),
        status => format!(" with HTTP {status}"),
    }
}

/// `--realm` (or `KEYCLOAK_REALM`) must agree with what `holder` says about the realm it is
/// for (`held`), when it says anything: the records, or a realm file.
pub fn check_realm_argument(
    asked: Option<&str>,
    holder: &str,
    held: Option<&str>,
) -> Result<(), TargetError> {
    match (asked, held) {
        (Some(asked), Some(held)) if asked != held => Err(TargetError::RealmArgument {
            asked: asked.to_owned(),
            holder: holder.to_owned(),
            held: held.to_owned(),
        }),
        _ => Ok(()),
    }
}

/// Records name their realm (in `your_entity_id`); checked against the realm a target holds
/// before anything is read or changed, since objects of the same name in another realm
/// belong to other federations.
pub fn check_realm(records: Option<&str>, target: &str) -> Result<(), TargetError> {
    match records {
        Some(records) if records != target => Err(TargetError::RealmMismatch {
            records: records.to_owned(),
            target: target.to_owned(),
        }),
        _ => Ok(()),
    }
}
