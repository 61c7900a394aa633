//! Server ids of the objects fedctl works on, keyed by natural identity. Filled from the
//! observed realm and from `Location` headers as objects are created, so executing an
//! operation rarely needs a lookup request.

use std::collections::HashMap;

use serde_json::{Map, Value};

/// What fedctl needs to address a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientIds {
    pub uuid: String,
    /// A client PUT without `authorizationServicesEnabled` disables authorization services
    /// (keycloak-admin-api.md §2.2), so every PUT repeats the stored value.
    pub authorization: bool,
    /// The stored values of [`REPEATED_ON_PUT`] (those known), which every PUT repeats.
    pub repeated: Map<String, Value>,
}

/// Client fields a PUT must repeat, because Keycloak changes them when a PUT omits them
/// (seen against real servers): empty `webOrigins` are filled from the redirect URIs (26.4.7,
/// 26.7.3), and `frontchannelLogout` becomes false (26.4.7).
pub const REPEATED_ON_PUT: [&str; 2] = ["webOrigins", "frontchannelLogout"];

/// The [`REPEATED_ON_PUT`] fields `object` has.
pub fn repeated_fields<'v>(object: impl Fn(&str) -> Option<&'v Value>) -> Map<String, Value> {
    (REPEATED_ON_PUT.iter())
        .filter_map(|key| Some(((*key).to_owned(), object(key)?.clone())))
        .collect()
}

impl ClientIds {
    pub fn from_representation(client: &Value) -> Option<ClientIds> {
        Some(ClientIds {
            uuid: str_field(client, "id")?.to_owned(),
            authorization: client
                .get("authorizationServicesEnabled")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            repeated: repeated_fields(|key| client.get(key)),
        })
    }
}

/// Keys: clientId; (clientId, role); group path; flow alias; (clientId, mapper); username.
#[derive(Debug, Default)]
pub struct Ids {
    pub clients: HashMap<String, ClientIds>,
    pub roles: HashMap<(String, String), String>,
    pub groups: HashMap<String, String>,
    pub flows: HashMap<String, String>,
    pub mappers: HashMap<(String, String), String>,
    pub users: HashMap<String, String>,
}

fn str_field<'v>(value: &'v Value, key: &str) -> Option<&'v str> {
    value.get(key).and_then(Value::as_str)
}

fn array<'v>(value: &'v Value, key: &str) -> &'v [Value] {
    value
        .get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

impl Ids {
    /// The ids in a RealmRepresentation (a partial export, or one assembled from lists).
    pub fn from_export(document: &Value) -> Ids {
        let mut ids = Ids::default();
        for client in array(document, "clients") {
            let (Some(client_id), Some(client_ids)) = (
                str_field(client, "clientId"),
                ClientIds::from_representation(client),
            ) else {
                continue;
            };
            ids.add_mappers(client_id, array(client, "protocolMappers"));
            ids.clients.insert(client_id.to_owned(), client_ids);
        }
        if let Some(by_client) = document.pointer("/roles/client").and_then(Value::as_object) {
            for (client_id, roles) in by_client {
                for role in roles.as_array().map_or(&[][..], Vec::as_slice) {
                    if let (Some(name), Some(id)) = (str_field(role, "name"), str_field(role, "id"))
                    {
                        ids.roles
                            .insert((client_id.clone(), name.to_owned()), id.to_owned());
                    }
                }
            }
        }
        ids.add_groups(array(document, "groups"), "");
        for flow in array(document, "authenticationFlows") {
            if let (Some(alias), Some(id)) = (str_field(flow, "alias"), str_field(flow, "id")) {
                ids.flows.insert(alias.to_owned(), id.to_owned());
            }
        }
        ids
    }

    pub fn add_mappers(&mut self, client_id: &str, mappers: &[Value]) {
        for mapper in mappers {
            if let (Some(name), Some(id)) = (str_field(mapper, "name"), str_field(mapper, "id")) {
                self.mappers
                    .insert((client_id.to_owned(), name.to_owned()), id.to_owned());
            }
        }
    }

    fn add_groups(&mut self, groups: &[Value], parent: &str) {
        for group in groups {
            let (Some(name), Some(id)) = (str_field(group, "name"), str_field(group, "id")) else {
                continue;
            };
            let path = format!("{parent}/{name}");
            self.add_groups(array(group, "subGroups"), &path);
            self.groups.insert(path, id.to_owned());
        }
    }

    /// Forgets a client and everything addressed through it.
    pub fn remove_client(&mut self, client_id: &str) {
        self.clients.remove(client_id);
        self.roles.retain(|(client, _), _| client != client_id);
        self.mappers.retain(|(client, _), _| client != client_id);
    }

    /// Forgets a group and its subtree (Keycloak deletes the subtree).
    pub fn remove_group(&mut self, path: &str) {
        let prefix = format!("{path}/");
        self.groups
            .retain(|p, _| p != path && !p.starts_with(&prefix));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn collects_ids_from_an_export() {
        let export = json!({
            "clients": [{"id": "c1", "clientId": "app", "authorizationServicesEnabled": true,
                         "webOrigins": [],
                         "protocolMappers": [{"id": "m1", "name": "email"}]}],
            "roles": {"client": {"app": [{"id": "r1", "name": "access"}]}},
            "groups": [{"id": "g1", "name": "a", "subGroups": [{"id": "g2", "name": "b"}]}],
            "authenticationFlows": [{"id": "f1", "alias": "browser"}],
        });
        let mut ids = Ids::from_export(&export);
        assert_eq!(
            ids.clients["app"],
            ClientIds {
                uuid: "c1".into(),
                authorization: true,
                repeated: Map::from_iter([("webOrigins".to_owned(), json!([]))]),
            }
        );
        assert_eq!(ids.roles[&("app".into(), "access".into())], "r1");
        assert_eq!(ids.mappers[&("app".into(), "email".into())], "m1");
        assert_eq!(ids.groups["/a/b"], "g2");
        assert_eq!(ids.flows["browser"], "f1");
        ids.remove_group("/a");
        assert!(ids.groups.is_empty());
        ids.remove_client("app");
        assert!(ids.roles.is_empty() && ids.mappers.is_empty());
    }
}
