//! Where and as whom fedctl talks to Keycloak: server URL, realms, credentials, TLS and
//! limits, and the HTTP client built from them.

use std::path::PathBuf;
use std::time::Duration;

use url::Url;

use super::secret::Secret;
use crate::http;
use crate::target::TargetError;
use crate::url_rule;

/// Admin credentials. They come from the environment or env vars named in fedctl.yaml, never
/// from the command line (where `ps` and shell history would show them).
#[derive(Debug, Clone)]
pub enum Credentials {
    /// A confidential client with a service account (grant `client_credentials`).
    ServiceAccount { client_id: String, secret: Secret },
    /// An admin user signing in through `admin-cli` (grant `password`).
    AdminUser { username: String, password: Secret },
}

/// Names of the environment variables fedctl reads credentials from.
pub const ENV_CLIENT_ID: &str = "KEYCLOAK_CLIENT_ID";
pub const ENV_CLIENT_SECRET: &str = "KEYCLOAK_CLIENT_SECRET";
pub const ENV_USER: &str = "KEYCLOAK_USER";
pub const ENV_PASSWORD: &str = "KEYCLOAK_PASSWORD";

impl Credentials {
    /// Credentials from `lookup` (the environment): a service account when both
    /// `KEYCLOAK_CLIENT_ID` and `KEYCLOAK_CLIENT_SECRET` are set, else an admin user.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Credentials, TargetError> {
        let get = |name: &str| lookup(name).filter(|v| !v.is_empty());
        if let (Some(client_id), Some(secret)) = (get(ENV_CLIENT_ID), get(ENV_CLIENT_SECRET)) {
            return Ok(Credentials::ServiceAccount {
                client_id,
                secret: Secret::new(secret),
            });
        }
        if let (Some(username), Some(password)) = (get(ENV_USER), get(ENV_PASSWORD)) {
            return Ok(Credentials::AdminUser {
                username,
                password: Secret::new(password),
            });
        }
        Err(TargetError::Auth(format!(
            "no credentials: set {ENV_CLIENT_ID} and {ENV_CLIENT_SECRET}, or {ENV_USER} and {ENV_PASSWORD}"
        )))
    }
}

/// Everything needed to reach one realm of one Keycloak.
#[derive(Debug, Clone)]
pub struct Connection {
    /// The server root, e.g. `https://idp.example.org` (no `/admin`, no `/realms`).
    pub server: Url,
    pub realm: String,
    /// The realm the credentials belong to (`master` for a super-admin).
    pub auth_realm: String,
    pub credentials: Credentials,
    /// Extra CA certificates (PEM) to trust; verification itself is always on.
    pub ca_cert: Option<PathBuf>,
    pub concurrency: usize,
    pub timeout: Duration,
}

impl Connection {
    /// Parses and checks a server URL: https anywhere, plain http only to this machine unless
    /// explicitly allowed (the password and every token would cross the network in clear).
    pub fn server_url(text: &str, allow_insecure_http: bool) -> Result<Url, TargetError> {
        let config = |reason: String| TargetError::Config(format!("Keycloak URL {text}: {reason}"));
        // Looked for in the text before parsing too: a parse error would quote the password.
        if url_rule::has_credentials(text) {
            return Err(credentials_in_url());
        }
        let mut url = Url::parse(text.trim()).map_err(|e| config(e.to_string()))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(credentials_in_url());
        }
        http::check_scheme(&url, allow_insecure_http).map_err(|e| config(e.to_string()))?;
        if url.query().is_some() || url.fragment().is_some() {
            return Err(config("must not have a query or fragment".into()));
        }
        // Segments are appended to the path later; a trailing slash would double up.
        let trimmed = url.path().trim_end_matches('/').to_owned();
        url.set_path(&trimmed);
        Ok(url)
    }

    /// `{server}/admin/realms/{realm}`: the root of the realm's admin API.
    pub fn admin_url(server: &Url, realm: &str) -> Url {
        join(server, &["admin", "realms", realm])
    }

    /// The HTTP client: TLS verification on (plus `ca_cert`), no redirects (a bearer token
    /// must never follow one to another host), connect and whole-request timeouts.
    pub fn http_client(&self) -> Result<reqwest::Client, TargetError> {
        let setup = |e: http::HttpSetupError| TargetError::Config(e.to_string());
        let builder = http::client_builder(self.ca_cert.as_deref(), self.timeout)
            .map_err(setup)?
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(self.concurrency);
        http::build(builder).map_err(setup)
    }
}

/// Not echoing the URL: it holds a password, and messages end up in logs and reports.
fn credentials_in_url() -> TargetError {
    TargetError::Config(
        "the Keycloak URL must not carry credentials (user:password@); set them in the \
         environment (KEYCLOAK_USER/KEYCLOAK_PASSWORD or KEYCLOAK_CLIENT_ID/KEYCLOAK_CLIENT_SECRET)"
            .into(),
    )
}

/// `root` with path segments appended (each percent-encoded as needed).
pub fn join(root: &Url, segments: &[&str]) -> Url {
    let mut url = root.clone();
    url.path_segments_mut()
        .expect("http(s) URLs have a path")
        .pop_if_empty()
        .extend(segments);
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_to_loopback() {
        for ok in [
            "https://idp.example.org",
            "http://localhost:8080",
            "http://127.0.0.1:8080/",
            "http://127.1.2.3",
            "http://[::1]:8080",
        ] {
            assert!(Connection::server_url(ok, false).is_ok(), "{ok}");
        }
        for refused in [
            "http://idp.example.org",
            "http://10.0.0.1:8080",
            "http://localhost.example.org",
            "ftp://idp.example.org",
            "https://idp.example.org/?x=1",
        ] {
            assert!(Connection::server_url(refused, false).is_err(), "{refused}");
        }
        assert!(Connection::server_url("http://idp.example.org", true).is_ok());
    }

    #[test]
    fn credentials_in_the_url_are_refused_without_echoing_them() {
        for url in [
            "https://admin:s3cret@idp.example.org",
            "https://s3cret@idp.example.org",
            // Unparseable (port out of range): refused before the parse error could quote it.
            "https://admin:s3cret@idp.example.org:99999",
        ] {
            let error = Connection::server_url(url, false).unwrap_err().to_string();
            assert!(!error.contains("s3cret"), "{error}");
            assert!(error.contains("must not carry credentials"), "{error}");
        }
    }

    #[test]
    fn the_admin_root_is_under_the_server_path() {
        let server = Connection::server_url("https://idp.example.org/auth/", false).unwrap();
        assert_eq!(
            Connection::admin_url(&server, "my realm").as_str(),
            "https://idp.example.org/auth/admin/realms/my%20realm"
        );
    }

    #[test]
    fn trailing_slashes_are_dropped() {
        let url = Connection::server_url("https://idp.example.org/auth/", false).unwrap();
        assert_eq!(url.as_str(), "https://idp.example.org/auth");
    }

    #[test]
    fn credentials_prefer_the_service_account() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let both = Credentials::from_lookup(env(&[
            (ENV_CLIENT_ID, "fedctl"),
            (ENV_CLIENT_SECRET, "s"),
            (ENV_USER, "admin"),
            (ENV_PASSWORD, "p"),
        ]))
        .unwrap();
        assert!(matches!(both, Credentials::ServiceAccount { .. }));
        let user = Credentials::from_lookup(env(&[(ENV_USER, "admin"), (ENV_PASSWORD, "p")]));
        assert!(matches!(user, Ok(Credentials::AdminUser { .. })));
        assert!(Credentials::from_lookup(env(&[(ENV_CLIENT_ID, "only-id")])).is_err());
        let debug = format!("{:?}", user.unwrap());
        assert!(!debug.contains("\"p\""), "{debug}");
    }

    #[test]
    fn a_missing_ca_file_is_a_config_error() {
        let connection = Connection {
            server: Connection::server_url("https://idp.example.org", false).unwrap(),
            realm: "r".into(),
            auth_realm: "master".into(),
            credentials: Credentials::AdminUser {
                username: "a".into(),
                password: Secret::new("p"),
            },
            ca_cert: Some(PathBuf::from("/nonexistent/ca.pem")),
            concurrency: 8,
            timeout: Duration::from_secs(30),
        };
        let _ = rustls::crypto::ring::default_provider().install_default();
        assert!(matches!(
            connection.http_client(),
            Err(TargetError::Config(_))
        ));
    }
}
