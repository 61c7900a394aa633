//! `fedctl.yaml`: named Keycloak targets, and how the command line, that file and the
//! environment combine into one [`Connection`].
//!
//! ```yaml
//! records: federations                  # the complete record set (default: federations)
//! targets:
//!   prod:
//!     url: https://idp.example.org
//!     realm: your-realm                 # default: the realm the records name
//!     auth_realm: master                # default: master
//!     ca_cert: /etc/ssl/private-ca.pem  # optional
//!     client_id: fedctl                 # service account; secret from the environment:
//!     client_secret_env: PROD_KEYCLOAK_SECRET   # default KEYCLOAK_CLIENT_SECRET
//!     # or an admin user: username: admin, password_env: PROD_KEYCLOAK_PASSWORD
//! inbound_secrets:                      # OIDC inbound: the client secret the partner issued us
//!   partner-oidc: { env: PARTNER_OIDC_SECRET }      # by record id: a variable…
//!   other-partner: { file: secrets/other.secret }   # …or a file of mode 0600 (relative to this file)
//! ```
//! Secrets never live in the file, only the names of the variables and files that hold them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use url::Url;

use crate::keycloak::admin::connection::{ENV_CLIENT_SECRET, ENV_PASSWORD};
use crate::keycloak::admin::secret::Secret;
use crate::keycloak::admin::{Connection, Credentials};
use crate::state::SecretSource;
use crate::target::{TargetChoice, TargetError, check_realm, check_realm_argument};

/// Where fedctl looks for its configuration (`FEDCTL_CONFIG` overrides).
pub const DEFAULT_PATH: &str = "fedctl.yaml";
pub const ENV_CONFIG: &str = "FEDCTL_CONFIG";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// The directory holding the complete record set, relative to this file.
    pub records: Option<PathBuf>,
    #[serde(default)]
    pub targets: BTreeMap<String, NamedTarget>,
    /// Per inbound OIDC record: where its client secret is.
    #[serde(default)]
    pub inbound_secrets: BTreeMap<String, SecretRef>,
}

/// Where one secret is: exactly one of an environment variable or a file.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretRef {
    pub env: Option<String>,
    pub file: Option<PathBuf>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamedTarget {
    pub url: String,
    pub realm: Option<String>,
    pub auth_realm: Option<String>,
    pub ca_cert: Option<PathBuf>,
    #[serde(default)]
    pub allow_insecure_http: bool,
    pub client_id: Option<String>,
    pub client_secret_env: Option<String>,
    pub username: Option<String>,
    pub password_env: Option<String>,
}

impl ConfigFile {
    pub fn load(path: &Path) -> Result<ConfigFile, TargetError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| TargetError::Config(format!("cannot read {}: {e}", path.display())))?;
        serde_saphyr::from_str(&text)
            .map_err(|e| TargetError::Config(format!("{}: {e}", path.display())))
    }

    fn target(&self, name: &str, path: &Path) -> Result<&NamedTarget, TargetError> {
        self.targets.get(name).ok_or_else(|| {
            let known: Vec<&str> = self.targets.keys().map(String::as_str).collect();
            TargetError::Config(format!(
                "no target `{name}` in {} (known: {})",
                path.display(),
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            ))
        })
    }
}

/// The live Keycloak the arguments name (`--url`/`KEYCLOAK_URL` or `--target`), or `None`
/// when they name none. `env` reads the environment (injected for tests).
pub fn live_connection(
    args: &TargetChoice,
    records_realm: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<Connection>, TargetError> {
    let Some(live) = live_target(args, env)? else {
        return Ok(None);
    };
    check_realm_argument(args.realm.as_deref(), "the records are for", records_realm)?;
    let realm = live.realm_for(records_realm)?;
    check_realm(records_realm, &realm)?;
    live.connection(realm, env).map(Some)
}

/// A live Keycloak as the arguments name it, before the realm is settled and credentials are
/// looked up: a caller can then tell where it failed to connect (`fedctl certs` reports a
/// source that is down against this place instead of stopping).
#[derive(Debug)]
pub struct LiveTarget {
    pub server: Url,
    /// Asked for with `--realm`/`KEYCLOAK_REALM` or by the named target; else the records'.
    pub realm: Option<String>,
    auth_realm: String,
    ca_cert: Option<PathBuf>,
    concurrency: usize,
    timeout: Duration,
    /// Where the credentials come from (the default: the environment).
    named: NamedTarget,
}

/// The record directory fedctl.yaml names (`records:`, relative to the file), or `None` when
/// there is no fedctl.yaml or it names none.
pub fn configured_records(
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<PathBuf>, TargetError> {
    let Some((path, config)) = existing_config(env)? else {
        return Ok(None);
    };
    Ok(config.records.map(|dir| beside_config(&path, &dir)))
}

/// Where each inbound OIDC record's client secret is (fedctl.yaml `inbound_secrets:`); empty
/// without a fedctl.yaml.
pub fn inbound_secrets(
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<BTreeMap<String, SecretSource>, TargetError> {
    let Some((path, config)) = existing_config(env)? else {
        return Ok(BTreeMap::new());
    };
    config
        .inbound_secrets
        .into_iter()
        .map(|(record, secret)| {
            let source = match (secret.env, secret.file) {
                (Some(name), None) => SecretSource::Env(name),
                (None, Some(file)) => SecretSource::File(beside_config(&path, &file)),
                _ => {
                    return Err(TargetError::Config(format!(
                        "{}: inbound_secrets.{record}: give exactly one of `env:` or `file:`",
                        path.display()
                    )));
                }
            };
            Ok((record, source))
        })
        .collect()
}

/// fedctl.yaml (or `FEDCTL_CONFIG`) and its content, when the file exists.
fn existing_config(
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<(PathBuf, ConfigFile)>, TargetError> {
    let path = env(ENV_CONFIG).map_or_else(|| PathBuf::from(DEFAULT_PATH), PathBuf::from);
    if !path.exists() {
        return Ok(None);
    }
    let config = ConfigFile::load(&path)?;
    Ok(Some((path, config)))
}

/// A path fedctl.yaml names, relative to the file.
fn beside_config(config: &Path, relative: &Path) -> PathBuf {
    config.parent().unwrap_or(Path::new("")).join(relative)
}

/// The live Keycloak the arguments name, or `None` when they name none.
pub fn live_target(
    args: &TargetChoice,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<LiveTarget>, TargetError> {
    let named = match &args.target {
        Some(name) => {
            let path = env(ENV_CONFIG).map_or_else(|| PathBuf::from(DEFAULT_PATH), PathBuf::from);
            Some(ConfigFile::load(&path)?.target(name, &path)?.clone())
        }
        None => None,
    };
    let Some(url) = named
        .as_ref()
        .map(|t| t.url.clone())
        .or_else(|| args.url.clone())
    else {
        return Ok(None);
    };
    let named = named.unwrap_or_default();
    let allow_insecure_http = args.allow_insecure_http || named.allow_insecure_http;
    Ok(Some(LiveTarget {
        server: Connection::server_url(&url, allow_insecure_http)?,
        realm: args.realm.clone().or(named.realm.clone()),
        auth_realm: args
            .auth_realm
            .clone()
            .or(named.auth_realm.clone())
            .unwrap_or_else(|| "master".to_owned()),
        ca_cert: args.ca_cert.clone().or(named.ca_cert.clone()),
        concurrency: usize::from(args.concurrency),
        timeout: args.timeout,
        named,
    }))
}

impl LiveTarget {
    /// The realm to work in: the one asked for, else the records'. Whether the records are
    /// for that realm is [`check_realm`]'s question.
    pub fn realm_for(&self, records_realm: Option<&str>) -> Result<String, TargetError> {
        self.realm
            .as_deref()
            .or(records_realm)
            .map(str::to_owned)
            .ok_or_else(|| {
                TargetError::Config(
                    "no realm: give --realm (or KEYCLOAK_REALM), or records whose your_entity_id names one"
                        .into(),
                )
            })
    }

    /// The connection to `realm`, with the credentials looked up now.
    pub fn connection(
        self,
        realm: String,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Connection, TargetError> {
        Ok(Connection {
            credentials: credentials(&self.named, env)?,
            server: self.server,
            realm,
            auth_realm: self.auth_realm,
            ca_cert: self.ca_cert,
            concurrency: self.concurrency,
            timeout: self.timeout,
        })
    }
}

/// A named target's own identity (secret from the variable it names), else the environment.
fn credentials(
    named: &NamedTarget,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Credentials, TargetError> {
    let secret_from = |variable: Option<&String>, default: &str, what: &'static str| {
        let variable = variable.map_or(default, String::as_str);
        env(variable)
            .filter(|v| !v.is_empty())
            .map(Secret::new)
            .ok_or_else(|| TargetError::MissingCredential {
                variable: variable.to_owned(),
                what,
            })
    };
    if let Some(client_id) = &named.client_id {
        return Ok(Credentials::ServiceAccount {
            client_id: client_id.clone(),
            secret: secret_from(
                named.client_secret_env.as_ref(),
                ENV_CLIENT_SECRET,
                "client secret",
            )?,
        });
    }
    if let Some(username) = &named.username {
        return Ok(Credentials::AdminUser {
            username: username.clone(),
            password: secret_from(named.password_env.as_ref(), ENV_PASSWORD, "password")?,
        });
    }
    Credentials::from_lookup(env)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: Vec<(&'static str, String)>) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.clone())
        }
    }

    fn args() -> TargetChoice {
        TargetChoice {
            concurrency: 8,
            ..TargetChoice::default()
        }
    }

    #[test]
    fn url_and_environment() {
        let args = TargetChoice {
            url: Some("http://localhost:8080".into()),
            ..args()
        };
        let env = env(vec![
            ("KEYCLOAK_USER", "admin".into()),
            ("KEYCLOAK_PASSWORD", "pw".into()),
        ]);
        let connection = live_connection(&args, Some("demo"), &env).unwrap().unwrap();
        assert_eq!(connection.realm, "demo");
        assert_eq!(connection.auth_realm, "master");
        assert!(matches!(
            connection.credentials,
            Credentials::AdminUser { .. }
        ));
        assert!(
            live_connection(&super::tests::args(), Some("demo"), &env)
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn realm_must_agree_with_the_records() {
        let env = env(vec![
            ("KEYCLOAK_USER", "admin".into()),
            ("KEYCLOAK_PASSWORD", "pw".into()),
        ]);
        let given = |realm: Option<&str>| TargetChoice {
            url: Some("http://localhost:8080".into()),
            realm: realm.map(str::to_owned),
            ..args()
        };
        let error = live_connection(&given(Some("a")), Some("b"), &env).unwrap_err();
        assert_eq!(
            error.to_string(),
            "--realm asks for realm `a`, but the records are for realm `b`"
        );
        let connection = live_connection(&given(None), Some("b"), &env).unwrap();
        assert_eq!(connection.unwrap().realm, "b");
        assert!(live_connection(&given(None), None, &env).is_err());
    }

    #[test]
    fn where_a_live_target_is_needs_no_credentials() {
        let args = TargetChoice {
            url: Some("http://localhost:8080".into()),
            realm: Some("a".into()),
            ..args()
        };
        let nothing = |_: &str| None;
        let live = live_target(&args, &nothing).unwrap().unwrap();
        assert_eq!(live.realm_for(Some("b")).unwrap(), "a");
        let error = live.connection("a".into(), &nothing).unwrap_err();
        assert!(matches!(error, TargetError::Auth(_)), "{error}");
    }

    #[test]
    fn named_targets_take_secrets_from_the_variables_they_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fedctl.yaml");
        std::fs::write(
            &path,
            "targets:\n  prod:\n    url: https://idp.example.org\n    realm: demo\n    \
             auth_realm: admins\n    client_id: fedctl\n    client_secret_env: PROD_SECRET\n",
        )
        .unwrap();
        // An exported KEYCLOAK_URL does not override the named target.
        let args = TargetChoice {
            target: Some("prod".into()),
            url: Some("http://localhost:8080".into()),
            ..args()
        };
        let env = env(vec![
            ("FEDCTL_CONFIG", path.display().to_string()),
            ("PROD_SECRET", "s3cret".into()),
        ]);
        let connection = live_connection(&args, None, &env).unwrap().unwrap();
        assert_eq!(connection.server.as_str(), "https://idp.example.org/");
        assert_eq!(connection.auth_realm, "admins");
        let Credentials::ServiceAccount { client_id, secret } = connection.credentials else {
            panic!("a service account")
        };
        assert_eq!((client_id.as_str(), secret.expose()), ("fedctl", "s3cret"));

        let unknown = TargetChoice {
            target: Some("staging".into()),
            ..args
        };
        let error = live_connection(&unknown, None, &env)
            .unwrap_err()
            .to_string();
        assert!(error.contains("known: prod"), "{error}");
    }

    #[test]
    fn a_missing_credential_variable_is_named_in_the_message_and_the_help() {
        use miette::Diagnostic;

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fedctl.yaml");
        std::fs::write(
            &path,
            "targets:\n  sim:\n    url: http://localhost:8080\n    realm: demo\n    \
             username: admin\n    password_env: SIM_PW\n",
        )
        .unwrap();
        let args = TargetChoice {
            target: Some("sim".into()),
            ..args()
        };
        // The defaults are set, and must not be what the help points at.
        let env = env(vec![
            ("FEDCTL_CONFIG", path.display().to_string()),
            ("KEYCLOAK_USER", "admin".into()),
            ("KEYCLOAK_PASSWORD", "pw".into()),
        ]);
        let error = live_connection(&args, None, &env).unwrap_err();
        let help = error.help().map(|h| h.to_string()).unwrap_or_default();
        assert!(error.to_string().contains("SIM_PW"), "{error}");
        assert!(help.contains("SIM_PW"), "{help}");
        assert!(!help.contains("KEYCLOAK_"), "{help}");
    }
}
