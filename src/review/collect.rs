//! The realm-file source: a Keycloak realm export (RealmRepresentation JSON) → [`Directory`].
//!
//! An export carries everything the review needs (keycloak-admin-api.md §9.1): users with
//! their group paths and role mappings, the nested group tree with each group's mappings, and
//! every role with its composites. The whole realm is copied, which more than satisfies the
//! [`Directory`] contract.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Deserializer};
use serde_json::Value;
use time::OffsetDateTime;

use super::model::{Directory, GroupFacts, RoleRef, UserFacts};
use crate::state::group_path;

/// Why a realm export cannot be reviewed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CollectError {
    #[error(
        "the realm export has no users (a partial export, or users exported to separate files)"
    )]
    NoUsers,
    #[error("unexpected realm export layout: {0}")]
    Layout(String),
}

const SERVICE_ACCOUNT_PREFIX: &str = "service-account-";
const USER_STORAGE: &str = "org.keycloak.storage.UserStorageProvider";

pub fn from_realm_export(document: &Value) -> Result<Directory, CollectError> {
    let users = document
        .get("users")
        .and_then(Value::as_array)
        .ok_or(CollectError::NoUsers)?;
    let mut directory = structure(document)?;
    // Live, Keycloak answers for its user stores too; an export holds only imported users.
    let components = Components::deserialize(document).map_err(layout)?;
    directory
        .caveats
        .extend(user_storage_caveat(&components.components));
    for representation in users {
        let (username, facts) = user(representation)?;
        directory.users.insert(username, facts);
    }
    Ok(directory)
}

/// Everything but the users: groups with their mappings, roles with their composites, clients
/// (what a partial export holds).
pub fn structure(document: &Value) -> Result<Directory, CollectError> {
    let export = Export::deserialize(document).map_err(layout)?;
    let mut directory = Directory {
        clients: export.clients.into_iter().map(|c| c.client_id).collect(),
        ..Directory::default()
    };
    add_groups(&export.groups, "", &mut directory.groups);
    for role in export.roles.realm {
        directory
            .roles
            .insert(RoleRef::realm(&role.name), role.composites.flatten());
    }
    for (client, roles) in export.roles.client {
        for role in roles {
            let composites = role.composites.flatten();
            directory
                .roles
                .insert(RoleRef::client(&client, &role.name), composites);
        }
        directory.clients.insert(client);
    }
    Ok(directory)
}

/// One UserRepresentation (from an export, or a member or role-holder list of the admin API,
/// where `groups` and role mappings are absent) as its username and facts.
pub fn user(representation: &Value) -> Result<(String, UserFacts), CollectError> {
    let user = UserRep::deserialize(representation).map_err(layout)?;
    let facts = user.facts();
    Ok((user.username, facts))
}

fn layout(error: serde_json::Error) -> CollectError {
    CollectError::Layout(error.to_string())
}

/// Users kept in LDAP or another user store appear in an export only once imported.
fn user_storage_caveat(components: &BTreeMap<String, Vec<Component>>) -> Option<String> {
    let names: Vec<&str> = components
        .get(USER_STORAGE)
        .into_iter()
        .flatten()
        .map(|c| c.name.as_str())
        .collect();
    (!names.is_empty()).then(|| {
        format!(
            "the realm federates users from {} — users stored only there are not in the export and not listed",
            names.join(", ")
        )
    })
}

/// Group paths come from the names as nested, as Keycloak resolves them on import (the
/// `path` field of an export is not trusted: hand-edited files get it wrong).
fn add_groups(groups: &[GroupRep], parent: &str, out: &mut BTreeMap<String, GroupFacts>) {
    for group in groups {
        let path = format!("{parent}/{}", group.name);
        let roles = mapped_roles(&group.realm_roles, &group.client_roles);
        out.insert(path.clone(), GroupFacts { roles });
        add_groups(&group.sub_groups, &path, out);
    }
}

fn mapped_roles(realm: &[String], client: &BTreeMap<String, Vec<String>>) -> BTreeSet<RoleRef> {
    let realm = realm.iter().map(|name| RoleRef::realm(name));
    let client = client
        .iter()
        .flat_map(|(client, names)| names.iter().map(|name| RoleRef::client(client, name)));
    realm.chain(client).collect()
}

fn created(millis: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000).ok()
}

/// `null` where a list or map is expected reads as empty (exports contain both).
fn nullable<'de, D: Deserializer<'de>, T: Default + Deserialize<'de>>(d: D) -> Result<T, D::Error> {
    Option::<T>::deserialize(d).map(Option::unwrap_or_default)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Export {
    #[serde(default, deserialize_with = "nullable")]
    groups: Vec<GroupRep>,
    #[serde(default, deserialize_with = "nullable")]
    roles: RolesRep,
    #[serde(default, deserialize_with = "nullable")]
    clients: Vec<ClientRep>,
}

#[derive(Deserialize)]
struct Components {
    #[serde(default, deserialize_with = "nullable")]
    components: BTreeMap<String, Vec<Component>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserRep {
    username: String,
    first_name: Option<String>,
    last_name: Option<String>,
    email: Option<String>,
    /// Keycloak imports a user without `enabled` as disabled.
    #[serde(default)]
    enabled: Option<bool>,
    created_timestamp: Option<i64>,
    service_account_client_id: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    groups: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    realm_roles: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    client_roles: BTreeMap<String, Vec<String>>,
}

impl UserRep {
    fn facts(&self) -> UserFacts {
        let by_name = self.username.strip_prefix(SERVICE_ACCOUNT_PREFIX);
        UserFacts {
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            email: self.email.clone(),
            enabled: self.enabled == Some(true),
            created: self.created_timestamp.and_then(created),
            service_account_of: (self.service_account_client_id.as_deref())
                .or(by_name)
                .map(str::to_owned),
            groups: self.groups.iter().map(|g| group_path(g)).collect(),
            roles: mapped_roles(&self.realm_roles, &self.client_roles),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GroupRep {
    name: String,
    #[serde(default, deserialize_with = "nullable")]
    sub_groups: Vec<GroupRep>,
    #[serde(default, deserialize_with = "nullable")]
    realm_roles: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    client_roles: BTreeMap<String, Vec<String>>,
}

#[derive(Deserialize, Default)]
struct RolesRep {
    #[serde(default, deserialize_with = "nullable")]
    realm: Vec<RoleRep>,
    #[serde(default, deserialize_with = "nullable")]
    client: BTreeMap<String, Vec<RoleRep>>,
}

#[derive(Deserialize)]
struct RoleRep {
    name: String,
    #[serde(default, deserialize_with = "nullable")]
    composites: Composites,
}

#[derive(Deserialize, Default)]
struct Composites {
    #[serde(default, deserialize_with = "nullable")]
    realm: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    client: BTreeMap<String, Vec<String>>,
}

impl Composites {
    fn flatten(&self) -> BTreeSet<RoleRef> {
        mapped_roles(&self.realm, &self.client)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ClientRep {
    client_id: String,
}

#[derive(Deserialize)]
struct Component {
    #[serde(default)]
    name: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_users_groups_and_composites() {
        let directory = from_realm_export(&json!({
            "realm": "r",
            "users": [
                {"username": "ann", "enabled": true, "createdTimestamp": 1700000000000_i64,
                 "groups": ["/org/sales"], "clientRoles": {"app": ["access"]}},
                {"username": "service-account-bot", "realmRoles": ["bundle"]},
            ],
            "groups": [{"name": "org", "path": "/wrong", "realmRoles": ["bundle"],
                        "subGroups": [{"name": "sales", "clientRoles": {"app": ["team"]}}]}],
            "roles": {
                "realm": [{"name": "bundle", "composite": true,
                           "composites": {"client": {"app": ["team"]}}}],
                "client": {"app": [{"name": "access"}, {"name": "team", "composites": null}]}
            },
            "clients": [{"clientId": "app"}, {"clientId": "other"}],
        }))
        .unwrap();
        let ann = &directory.users["ann"];
        assert!(ann.enabled);
        assert_eq!(ann.created.unwrap().unix_timestamp(), 1_700_000_000);
        assert_eq!(ann.groups, BTreeSet::from(["/org/sales".to_owned()]));
        assert_eq!(
            ann.roles,
            BTreeSet::from([RoleRef::client("app", "access")])
        );
        let bot = &directory.users["service-account-bot"];
        assert!(!bot.enabled, "absent `enabled` imports as disabled");
        assert_eq!(bot.service_account_of.as_deref(), Some("bot"));
        assert_eq!(
            directory.groups.keys().collect::<Vec<_>>(),
            ["/org", "/org/sales"]
        );
        assert_eq!(
            directory.roles[&RoleRef::realm("bundle")],
            BTreeSet::from([RoleRef::client("app", "team")])
        );
        assert!(
            directory
                .roles
                .contains_key(&RoleRef::client("app", "access"))
        );
        assert_eq!(
            directory.clients,
            BTreeSet::from(["app".to_owned(), "other".to_owned()])
        );
        assert!(directory.caveats.is_empty());
    }

    #[test]
    fn an_export_without_users_cannot_be_reviewed() {
        let error = from_realm_export(&json!({"realm": "r", "groups": []})).unwrap_err();
        assert_eq!(error, CollectError::NoUsers);
        assert!(from_realm_export(&json!({"realm": "r", "users": []})).is_ok());
    }

    #[test]
    fn federated_user_stores_are_a_caveat() {
        let directory = from_realm_export(&json!({
            "realm": "r", "users": [],
            "components": {"org.keycloak.storage.UserStorageProvider": [{"name": "corp-ldap"}]}
        }))
        .unwrap();
        assert_eq!(directory.caveats.len(), 1);
        assert!(directory.caveats[0].contains("corp-ldap"));
    }
}
