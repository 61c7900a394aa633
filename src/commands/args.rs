//! Arguments shared by several commands.

use std::path::PathBuf;
use std::time::Duration;

use crate::metadata_source::FetchOptions;
use crate::record::LoadOptions;
use crate::target::TargetChoice;

/// Which records to read.
#[derive(Debug, Clone, clap::Args)]
pub struct RecordArgs {
    /// Record files, or directories searched recursively for *.yaml / *.yml (default: the
    /// `records:` directory of fedctl.yaml, else `federations`).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Attribute profile to resolve `attributes_shared` names (default: the built-in
    /// profile, templates/attributes.yaml).
    #[arg(long, value_name = "FILE")]
    pub attribute_profile: Option<PathBuf>,
}

impl RecordArgs {
    /// What the record loader needs of these arguments.
    pub fn load_options(&self) -> LoadOptions {
        LoadOptions {
            paths: self.paths.clone(),
            attribute_profile: self.attribute_profile.clone(),
        }
    }

    /// With no PATH given, the complete record set: `records:` in fedctl.yaml when it names
    /// one, else `federations`.
    pub fn fill_default_paths(
        &mut self,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<(), crate::target::TargetError> {
        if self.paths.is_empty() {
            let configured = crate::config::configured_records(env)?;
            self.paths = vec![configured.unwrap_or_else(|| PathBuf::from(DEFAULT_RECORDS))];
        }
        Ok(())
    }
}

/// The record set when neither the command line nor fedctl.yaml names one.
pub const DEFAULT_RECORDS: &str = "federations";

/// Which identity provider to talk to. Exactly one of `--realm-file`, `--url` or `--target`
/// (or `KEYCLOAK_URL` in the environment). Credentials never come from the command line:
/// see `KEYCLOAK_CLIENT_ID`/`KEYCLOAK_CLIENT_SECRET` or `KEYCLOAK_USER`/`KEYCLOAK_PASSWORD`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct TargetArgs {
    /// Work offline against a Keycloak realm export (RealmRepresentation JSON). `apply`
    /// rewrites it atomically; a missing file is created as a minimal importable realm.
    /// Wins over `--url`/`KEYCLOAK_URL` (so an exported KEYCLOAK_URL never gets in the way).
    #[arg(long, value_name = "PATH", conflicts_with = "target")]
    pub realm_file: Option<PathBuf>,

    /// Keycloak base URL, e.g. https://idp.example.org (no /admin, no /realms).
    /// `--target` wins over it.
    #[arg(long, value_name = "URL", env = "KEYCLOAK_URL")]
    pub url: Option<String>,

    /// Realm to manage (default: the realm named in the records' your_entity_id).
    #[arg(long, value_name = "NAME", env = "KEYCLOAK_REALM")]
    pub realm: Option<String>,

    /// Named target from fedctl.yaml.
    #[arg(long, value_name = "NAME")]
    pub target: Option<String>,

    /// Realm the admin credentials belong to [default: master].
    #[arg(long, value_name = "NAME", env = "KEYCLOAK_AUTH_REALM")]
    pub auth_realm: Option<String>,

    #[command(flatten)]
    pub tls: TlsArgs,

    /// Maximum concurrent requests to Keycloak.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
}

impl TargetArgs {
    /// The target these arguments name, as the library takes it.
    pub fn choice(&self) -> TargetChoice {
        TargetChoice {
            realm_file: self.realm_file.clone(),
            url: self.url.clone(),
            realm: self.realm.clone(),
            target: self.target.clone(),
            auth_realm: self.auth_realm.clone(),
            ca_cert: self.tls.ca_cert.clone(),
            allow_insecure_http: self.tls.allow_insecure_http,
            timeout: Duration::from_secs(self.tls.timeout),
            concurrency: self.concurrency,
        }
    }
}

/// How fedctl makes HTTP requests: to Keycloak, and to fetch partner metadata from a URL.
#[derive(Debug, Clone, clap::Args)]
pub struct TlsArgs {
    /// PEM file with extra CA certificates to trust (private CAs). Verification stays on.
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,

    /// Allow plain http to a non-loopback host (credentials and metadata would cross the
    /// network in clear).
    #[arg(long)]
    pub allow_insecure_http: bool,

    /// Connect and request timeout in seconds (0 would fail every request, so it is refused).
    #[arg(long, value_name = "SECS", default_value_t = TlsArgs::DEFAULT_TIMEOUT,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout: u64,
}

impl Default for TlsArgs {
    fn default() -> Self {
        TlsArgs {
            ca_cert: None,
            allow_insecure_http: false,
            timeout: TlsArgs::DEFAULT_TIMEOUT,
        }
    }
}

impl TlsArgs {
    const DEFAULT_TIMEOUT: u64 = 30;

    pub fn fetch_options(&self) -> FetchOptions {
        FetchOptions {
            ca_cert: self.ca_cert.clone(),
            allow_insecure_http: self.allow_insecure_http,
            timeout: Duration::from_secs(self.timeout),
        }
    }
}
