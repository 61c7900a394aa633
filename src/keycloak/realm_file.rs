//! The realm-file target: a Keycloak realm export (RealmRepresentation JSON) read into memory,
//! changed by operations, and written back atomically on commit.
//!
//! Only the objects fedctl manages are touched; every other field of the export — known to
//! fedctl or not — is carried through unchanged, in its original order. An export whose
//! fields have the wrong types is refused, never repaired (see [`super::realm_shape`]).

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::keys::KEY_PROVIDER_TYPE;
use super::realm_json::identity_providers as idp;
use super::{generated_keys, realm_json as rj, realm_shape, secret_source};
use crate::fsutil::{self, FileLock, Mode};
use crate::reconcile::Operation;
use crate::reconcile::Scope;
use crate::state::{Fields, Mapper, RealmState, SecretSource};
use crate::target::{Target, TargetError};

pub struct RealmFile {
    path: PathBuf,
    realm: String,
    document: Mutex<Value>,
    trailing_newline: bool,
    /// SHA-256 of the bytes read; `None` when the file did not exist. Commit refuses to
    /// replace a file that no longer matches: someone else changed it meanwhile.
    read_digest: Option<[u8; 32]>,
    /// Held from before the read until the process ends, for runs that may write.
    _lock: Option<FileLock>,
}

impl RealmFile {
    /// Opens an export to change it: waits up to `lock_timeout` for another fedctl run on the
    /// same file, removes the temporary files of a killed write, then reads it. A missing
    /// file becomes a new realm named `realm` — with the signing and encryption keys Keycloak
    /// gives a new realm — written on commit, importable with `kc.sh import`; without a
    /// `realm` it is an error.
    pub fn open_for_update(
        path: &Path,
        realm: Option<&str>,
        lock_timeout: Duration,
    ) -> Result<RealmFile, TargetError> {
        let lock = FileLock::acquire(path, lock_timeout)?;
        let read_error = |source| TargetError::ReadFile {
            path: path.to_owned(),
            source,
        };
        fsutil::remove_stale_temps(&fsutil::resolve_symlinks(path).map_err(read_error)?)
            .map_err(read_error)?;
        let mut file = match (crate::input::read(path), realm) {
            (Err(error), Some(realm)) if error.kind() == std::io::ErrorKind::NotFound => {
                Self::new_realm(path, realm)?
            }
            (read, _) => Self::parse(path, &read.map_err(read_error)?)?,
        };
        file._lock = Some(lock);
        Ok(file)
    }

    /// Opens an existing export to read it.
    pub fn open(path: &Path) -> Result<RealmFile, TargetError> {
        let bytes = crate::input::read(path).map_err(|source| TargetError::ReadFile {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(path, &bytes)
    }

    fn new_realm(path: &Path, realm: &str) -> Result<RealmFile, TargetError> {
        let mut document = rj::minimal_realm(realm);
        let keys = generated_keys::key_providers(realm, time::OffsetDateTime::now_utc()).map_err(
            |source| TargetError::KeyGen {
                path: path.to_owned(),
                source: Box::new(source),
            },
        )?;
        document["components"] = json!({ KEY_PROVIDER_TYPE: keys });
        Ok(RealmFile {
            path: path.to_owned(),
            realm: realm.to_owned(),
            document: Mutex::new(document),
            trailing_newline: true,
            read_digest: None,
            _lock: None,
        })
    }

    fn parse(path: &Path, bytes: &[u8]) -> Result<RealmFile, TargetError> {
        let not_a_realm = |reason: String| TargetError::NotARealm {
            path: path.to_owned(),
            reason,
        };
        let document: Value =
            serde_json::from_slice(bytes).map_err(|e| not_a_realm(e.to_string()))?;
        if !document.is_object() {
            return Err(not_a_realm("the file is not a JSON object".into()));
        }
        realm_shape::check(&document).map_err(|e| not_a_realm(e.to_string()))?;
        let realm = document
            .get("realm")
            .and_then(Value::as_str)
            .ok_or_else(|| not_a_realm("no top-level \"realm\" name".into()))?
            .to_owned();
        Ok(RealmFile {
            path: path.to_owned(),
            realm,
            document: Mutex::new(document),
            trailing_newline: bytes.ends_with(b"\n"),
            read_digest: Some(Sha256::digest(bytes).into()),
            _lock: None,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A copy of the whole document (for commands that read more than the managed objects).
    pub fn document(&self) -> Value {
        self.lock().clone()
    }

    /// Changes the document outside the reconcile operations (written on commit).
    pub fn edit<R>(&self, change: impl FnOnce(&mut Value) -> R) -> R {
        change(&mut self.lock())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Value> {
        // A poisoned lock means an operation panicked mid-change: nothing is committed then.
        self.document
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn serialise(&self) -> Vec<u8> {
        let mut text = serde_json::to_string_pretty(&*self.lock()).expect("JSON values serialise");
        if self.trailing_newline {
            text.push('\n');
        }
        text.into_bytes()
    }

    /// Whether the file on disk is still the one this run read (or still absent).
    fn unchanged_on_disk(&self) -> Result<bool, TargetError> {
        match std::fs::read(&self.path) {
            Ok(bytes) => Ok(self.read_digest == Some(Sha256::digest(&bytes).into())),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                Ok(self.read_digest.is_none())
            }
            Err(source) => Err(TargetError::ReadFile {
                path: self.path.clone(),
                source,
            }),
        }
    }
}

impl Target for RealmFile {
    fn describe(&self) -> String {
        format!("realm file {}", self.path.display())
    }

    fn realm(&self) -> &str {
        &self.realm
    }

    async fn observe(&self, _scope: &Scope) -> Result<RealmState, TargetError> {
        // The whole realm is in memory: everything is observed, scope or not.
        Ok(rj::observe(&self.lock()))
    }

    async fn execute(&self, operation: &Operation) -> Result<(), TargetError> {
        let mut document = self.lock();
        execute(&mut document, operation)
    }

    async fn commit(&self) -> Result<(), TargetError> {
        if !self.unchanged_on_disk()? {
            return Err(TargetError::Changed {
                path: self.path.clone(),
            });
        }
        // A realm export holds private keys: a new one is the owner's alone.
        fsutil::write_atomic(&self.path, &self.serialise(), Mode::KeepExistingElsePrivate)?;
        Ok(())
    }
}

/// Writes an identity provider's fields; a client secret is read from its source as it is
/// written. `create` starts from an empty representation.
fn put_identity_provider(
    document: &mut Value,
    alias: &str,
    fields: &Fields,
    client_secret: Option<&SecretSource>,
    create: bool,
) -> Result<(), TargetError> {
    let secret = client_secret.map(secret_source::read).transpose()?;
    if create {
        idp::delete_provider(document, alias);
        idp::create_provider(document, alias, fields);
    }
    let provider = idp::provider_mut(document, alias)
        .ok_or_else(|| missing(format!("identity provider {alias}")))?;
    idp::set_fields(provider, fields);
    if let Some(secret) = secret {
        idp::set_secret(provider, secret.expose());
    }
    Ok(())
}

fn put_idp_mapper(
    document: &mut Value,
    alias: &str,
    name: &str,
    mapper: &Mapper,
) -> Result<(), TargetError> {
    idp::provider_mut(document, alias)
        .ok_or_else(|| missing(format!("identity provider {alias}")))?;
    idp::put_mapper(document, alias, name, mapper);
    Ok(())
}

fn missing(object: String) -> TargetError {
    TargetError::Missing { object }
}

fn execute(document: &mut Value, operation: &Operation) -> Result<(), TargetError> {
    use Operation::*;
    match operation {
        CreateGroup { path, fields } => {
            rj::create_group(document, path)
                .ok_or_else(|| missing(format!("parent of group {path}")))?;
            update_group(document, path, fields)
        }
        UpdateGroup { path, fields } => update_group(document, path, fields),
        DeleteGroup { path } => {
            rj::delete_group(document, path);
            Ok(())
        }
        // The mappers come with their own CreateMapper operations.
        CreateClient {
            client_id, fields, ..
        } => {
            rj::create_client(document, client_id);
            update_client(document, client_id, fields)
        }
        UpdateClient { client_id, fields } => update_client(document, client_id, fields),
        DeleteClient { client_id } => {
            rj::delete_client(document, client_id);
            Ok(())
        }
        CreateMapper {
            client_id,
            name,
            mapper,
        }
        | UpdateMapper {
            client_id,
            name,
            mapper,
        } => {
            let client = client_mut(document, client_id)?;
            rj::put_mapper(client, name, mapper);
            Ok(())
        }
        DeleteMapper { client_id, name } => {
            if let Ok(client) = client_mut(document, client_id) {
                rj::delete_mapper(client, name);
            }
            Ok(())
        }
        CreateRole {
            client_id,
            role,
            fields,
        } => {
            let container = rj::ensure_id(client_mut(document, client_id)?);
            let role_json = rj::create_role(document, client_id, role, container);
            rj::set_list_fields(role_json, fields);
            Ok(())
        }
        UpdateRole {
            client_id,
            role,
            fields,
        } => {
            let role_json = rj::role_mut(document, client_id, role)
                .ok_or_else(|| missing(format!("client role {role} of {client_id}")))?;
            rj::set_list_fields(role_json, fields);
            Ok(())
        }
        DeleteRole { client_id, role } => {
            rj::delete_role(document, client_id, role);
            Ok(())
        }
        GrantGroupRole {
            path,
            client_id,
            role,
        } => {
            let group =
                rj::group_mut(document, path).ok_or_else(|| missing(format!("group {path}")))?;
            rj::grant(group, client_id, role, true);
            Ok(())
        }
        RevokeGroupRole {
            path,
            client_id,
            role,
        } => {
            if let Some(group) = rj::group_mut(document, path) {
                rj::grant(group, client_id, role, false);
            }
            Ok(())
        }
        GrantUserRole {
            username,
            client_id,
            role,
        } => pilot_grant(document, username, client_id, role, true),
        RevokeUserRole {
            username,
            client_id,
            role,
        } => pilot_grant(document, username, client_id, role, false),
        CreateFlow { alias, flow } | ReplaceFlow { alias, flow } => {
            rj::delete_flow(document, alias);
            rj::create_flow(document, alias, flow);
            Ok(())
        }
        DeleteFlow { alias } => {
            rj::delete_flow(document, alias);
            Ok(())
        }
        BindBrowserFlow { client_id, flow } => bind(document, client_id, flow.as_deref()),
        CreateIdentityProvider {
            alias,
            fields,
            client_secret,
        } => put_identity_provider(document, alias, fields, client_secret.as_ref(), true),
        UpdateIdentityProvider {
            alias,
            fields,
            client_secret,
        } => put_identity_provider(document, alias, fields, client_secret.as_ref(), false),
        DeleteIdentityProvider { alias } => {
            idp::delete_provider(document, alias);
            Ok(())
        }
        CreateIdpMapper {
            alias,
            name,
            mapper,
        }
        | UpdateIdpMapper {
            alias,
            name,
            mapper,
        } => put_idp_mapper(document, alias, name, mapper),
        DeleteIdpMapper { alias, name } => {
            idp::delete_mapper(document, alias, name);
            Ok(())
        }
    }
}

fn client_mut<'d>(
    document: &'d mut Value,
    client_id: &str,
) -> Result<&'d mut Map<String, Value>, TargetError> {
    rj::client_mut(document, client_id).ok_or_else(|| missing(format!("client {client_id}")))
}

fn update_client(
    document: &mut Value,
    client_id: &str,
    fields: &Fields,
) -> Result<(), TargetError> {
    let client = client_mut(document, client_id)?;
    rj::set_string_fields(client, fields);
    Ok(())
}

fn update_group(document: &mut Value, path: &str, fields: &Fields) -> Result<(), TargetError> {
    let group = rj::group_mut(document, path).ok_or_else(|| missing(format!("group {path}")))?;
    rj::set_list_fields(group, fields);
    Ok(())
}

fn bind(document: &mut Value, client_id: &str, flow: Option<&str>) -> Result<(), TargetError> {
    let flow_id = match flow {
        Some(alias) => {
            Some(rj::flow_id(document, alias).ok_or_else(|| missing(format!("flow {alias}")))?)
        }
        None => None,
    };
    let client = client_mut(document, client_id)?;
    let overrides = rj::object_entry(client, "authenticationFlowBindingOverrides");
    match flow_id {
        Some(id) => overrides.insert("browser".into(), json!(id)),
        None => overrides.remove("browser"),
    };
    Ok(())
}

/// Grants or revokes a pilot user's direct role, keeping the role's bookkeeping of pilots in step.
fn pilot_grant(
    document: &mut Value,
    username: &str,
    client_id: &str,
    role: &str,
    on: bool,
) -> Result<(), TargetError> {
    match rj::user_mut(document, username) {
        Some(user) => rj::grant(user, client_id, role, on),
        None if on => return Err(missing(format!("user {username}"))),
        None => {}
    }
    let role_json = rj::role_mut(document, client_id, role)
        .ok_or_else(|| missing(format!("client role {role} of {client_id}")))?;
    rj::track_pilot(role_json, username, on);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime")
            .block_on(future)
    }

    #[test]
    fn a_file_changed_after_it_was_read_is_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("realm.json");
        std::fs::write(&path, r#"{"realm": "demo"}"#).unwrap();
        let file = RealmFile::open_for_update(&path, None, Duration::ZERO).unwrap();
        // An editor that knows nothing of fedctl's lock saves meanwhile.
        std::fs::write(&path, r#"{"realm": "demo", "edited": true}"#).unwrap();
        let error = block_on(file.commit()).unwrap_err();
        assert!(matches!(error, TargetError::Changed { .. }), "{error}");
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            r#"{"realm": "demo", "edited": true}"#
        );
    }

    #[test]
    fn a_realm_file_created_meanwhile_is_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("realm.json");
        let file = RealmFile::open_for_update(&path, Some("demo"), Duration::ZERO).unwrap();
        std::fs::write(&path, r#"{"realm": "demo"}"#).unwrap();
        assert!(matches!(
            block_on(file.commit()),
            Err(TargetError::Changed { .. })
        ));
    }

    #[test]
    fn an_unchanged_file_is_committed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("realm.json");
        std::fs::write(&path, "{\"realm\": \"demo\"}\n").unwrap();
        let file = RealmFile::open_for_update(&path, None, Duration::ZERO).unwrap();
        block_on(file.commit()).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{\n  \"realm\": \"demo\"\n}\n"
        );
    }
}
