//! Keycloak representations (as JSON) ↔ fedctl's state model, and edits of a realm export.
//!
//! The same representation shapes come back from the admin API, so the conversions to state
//! serve both targets. Edits keep every field they do not manage, in place.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use crate::state::{
    self, ATTRIBUTES_PREFIX, AuthenticatorConfig, Client, Fields, Flow, FlowStep, Group, Mapper,
    PILOT_USERS_ATTRIBUTE, RealmState, Requirement, Role, StepKind, User,
};

pub mod identity_providers;

/// Client representation keys that are not scalar settings (or are secret): never compared,
/// never shown.
const CLIENT_NON_FIELDS: &[&str] = &[
    "id",
    "clientId",
    "attributes",
    "protocolMappers",
    "authenticationFlowBindingOverrides",
    "secret",
    "registrationAccessToken",
    "access",
    "authorizationSettings",
];

/// A new realm export, importable with `kc.sh import`. Keycloak adds its default clients and
/// roles on import when those parts are absent, but adds default flows only when
/// `authenticationFlows` is absent — and fedctl's enforcement flows live there — so the
/// built-in flows come from templates/keycloak-default-flows.json.
pub fn minimal_realm(realm: &str) -> Value {
    let mut document = json!({ "realm": realm, "enabled": true });
    let defaults: Value =
        serde_json::from_str(include_str!("../../templates/keycloak-default-flows.json"))
            .expect("the default-flows template is valid JSON (unit-tested)");
    if let (Some(target), Some(defaults)) = (document.as_object_mut(), defaults.as_object()) {
        target.extend(
            defaults
                .iter()
                .filter(|(k, _)| !k.starts_with('_'))
                .map(|(k, v)| (k.clone(), v.clone())),
        );
    }
    document
}

fn array<'v>(value: &'v Value, key: &str) -> &'v [Value] {
    value
        .get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn array_mut<'v>(object: &'v mut Value, key: &str) -> &'v mut Vec<Value> {
    let map = object
        .as_object_mut()
        .expect("realm representations are JSON objects");
    let entry = map.entry(key).or_insert_with(|| json!([]));
    if !entry.is_array() {
        *entry = json!([]);
    }
    entry.as_array_mut().expect("just made an array")
}

/// The object under `key`, created empty if absent.
pub fn object_entry<'m>(map: &'m mut Map<String, Value>, key: &str) -> &'m mut Map<String, Value> {
    let entry = map.entry(key).or_insert_with(|| json!({}));
    if !entry.is_object() {
        *entry = json!({});
    }
    entry.as_object_mut().expect("just made an object")
}

/// The object's `id`, assigning one if a hand-written export left it out.
pub fn ensure_id(object: &mut Map<String, Value>) -> Value {
    object
        .entry("id")
        .or_insert_with(|| json!(new_id()))
        .clone()
}

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn str_field<'v>(value: &'v Value, key: &str) -> Option<&'v str> {
    value.get(key).and_then(Value::as_str)
}

// ---------------------------------------------------------------------------------------------
// Reading: representation → state

/// The managed view of a whole realm export.
pub fn observe(document: &Value) -> RealmState {
    let flow_aliases: BTreeMap<&str, &str> = array(document, "authenticationFlows")
        .iter()
        .filter_map(|f| Some((str_field(f, "id")?, str_field(f, "alias")?)))
        .collect();
    let client_roles = document.pointer("/roles/client").and_then(Value::as_object);
    let clients = array(document, "clients")
        .iter()
        .filter_map(|client| {
            let client_id = str_field(client, "clientId")?;
            let roles = client_roles
                .and_then(|r| r.get(client_id))
                .and_then(Value::as_array)
                .map_or(&[][..], Vec::as_slice);
            Some((
                client_id.to_owned(),
                client_state(client, roles, |id| {
                    flow_aliases.get(id).map(|a| (*a).to_owned())
                }),
            ))
        })
        .collect();
    let mut groups = BTreeMap::new();
    collect_groups(array(document, "groups"), "", &mut groups);
    count_members(document, &mut groups);
    RealmState {
        clients,
        groups,
        flows: flows(document),
        users: array(document, "users")
            .iter()
            .filter_map(|u| Some((str_field(u, "username")?.to_owned(), user_state(u))))
            .collect(),
        identity_providers: identity_providers::observe(document),
    }
}

/// A ClientRepresentation (+ its roles) as state. `flow_alias` maps a flow id to its alias.
pub fn client_state(
    client: &Value,
    roles: &[Value],
    flow_alias: impl Fn(&str) -> Option<String>,
) -> Client {
    let mut fields = Fields::new();
    if let Some(object) = client.as_object() {
        for (key, value) in object {
            if !CLIENT_NON_FIELDS.contains(&key.as_str()) {
                fields.insert(key.clone(), value.clone());
            }
        }
    }
    add_attribute_fields(client, &mut fields);
    Client {
        fields,
        mappers: array(client, "protocolMappers")
            .iter()
            .filter_map(|m| Some((str_field(m, "name")?.to_owned(), mapper_state(m))))
            .collect(),
        roles: roles
            .iter()
            .filter_map(|r| Some((str_field(r, "name")?.to_owned(), role_state(r))))
            .collect(),
        browser_flow: client
            .pointer("/authenticationFlowBindingOverrides/browser")
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty())
            .map(|id| flow_alias(id).unwrap_or_else(|| format!("(unknown flow id {id})"))),
    }
}

fn add_attribute_fields(representation: &Value, fields: &mut Fields) {
    if let Some(attributes) = representation.get("attributes").and_then(Value::as_object) {
        for (key, value) in attributes {
            fields.insert(state::attribute_path(key), value.clone());
        }
    }
}

pub fn mapper_state(mapper: &Value) -> Mapper {
    Mapper {
        protocol: str_field(mapper, "protocol").unwrap_or_default().to_owned(),
        mapper_type: str_field(mapper, "protocolMapper")
            .unwrap_or_default()
            .to_owned(),
        config: string_map(mapper.get("config")),
    }
}

fn string_map(value: Option<&Value>) -> BTreeMap<String, String> {
    value
        .and_then(Value::as_object)
        .map(|config| {
            config
                .iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str().map_or_else(|| v.to_string(), str::to_owned),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

pub fn role_state(role: &Value) -> Role {
    let mut fields = Fields::new();
    if let Some(description) = role.get("description") {
        fields.insert("description".into(), description.clone());
    }
    add_attribute_fields(role, &mut fields);
    Role { fields }
}

pub fn group_state(group: &Value) -> Group {
    let mut fields = Fields::new();
    add_attribute_fields(group, &mut fields);
    Group {
        fields,
        client_roles: role_names_by_client(group.get("clientRoles")),
        members: None,
    }
}

fn role_names_by_client(value: Option<&Value>) -> BTreeMap<String, BTreeSet<String>> {
    value
        .and_then(Value::as_object)
        .map(|by_client| {
            by_client
                .iter()
                .map(|(client, roles)| {
                    let names = roles
                        .as_array()
                        .map(|r| {
                            r.iter()
                                .filter_map(Value::as_str)
                                .map(str::to_owned)
                                .collect()
                        })
                        .unwrap_or_default();
                    (client.clone(), names)
                })
                .collect()
        })
        .unwrap_or_default()
}

fn collect_groups(groups: &[Value], parent: &str, out: &mut BTreeMap<String, Group>) {
    for group in groups {
        let Some(name) = str_field(group, "name") else {
            continue;
        };
        let path = format!("{parent}/{name}");
        out.insert(path.clone(), group_state(group));
        collect_groups(array(group, "subGroups"), &path, out);
    }
}

/// Direct members per group: an export lists each user's groups by path.
fn count_members(document: &Value, groups: &mut BTreeMap<String, Group>) {
    for group in groups.values_mut() {
        group.members = Some(0);
    }
    for user in array(document, "users") {
        for path in array(user, "groups").iter().filter_map(Value::as_str) {
            if let Some(count) = groups.get_mut(path).and_then(|g| g.members.as_mut()) {
                *count += 1;
            }
        }
    }
}

pub fn user_state(user: &Value) -> User {
    User {
        enabled: user.get("enabled").and_then(Value::as_bool).unwrap_or(true),
        client_roles: role_names_by_client(user.get("clientRoles")),
    }
}

/// Every top-level flow of an export with its tree (sub-flows resolved by alias).
fn flows(document: &Value) -> BTreeMap<String, Flow> {
    let all = array(document, "authenticationFlows");
    let by_alias: BTreeMap<&str, &Value> = all
        .iter()
        .filter_map(|f| Some((str_field(f, "alias")?, f)))
        .collect();
    let configs: BTreeMap<&str, &Value> = array(document, "authenticatorConfig")
        .iter()
        .filter_map(|c| Some((str_field(c, "alias")?, c)))
        .collect();
    all.iter()
        .filter(|f| f.get("topLevel").and_then(Value::as_bool).unwrap_or(false))
        .filter_map(|flow| {
            let alias = str_field(flow, "alias")?;
            let steps = flow_steps(flow, &by_alias, &configs, 0);
            let description = str_field(flow, "description")
                .unwrap_or_default()
                .to_owned();
            Some((alias.to_owned(), Flow { description, steps }))
        })
        .collect()
}

/// Deeper nesting than this is a malformed (cyclic) export; it is cut off, not followed.
const MAX_FLOW_DEPTH: usize = 16;

fn flow_steps(
    flow: &Value,
    by_alias: &BTreeMap<&str, &Value>,
    configs: &BTreeMap<&str, &Value>,
    depth: usize,
) -> Vec<FlowStep> {
    let mut executions: Vec<&Value> = array(flow, "authenticationExecutions").iter().collect();
    executions.sort_by_key(|e| e.get("priority").and_then(Value::as_i64).unwrap_or(0));
    executions
        .into_iter()
        .map(|execution| {
            let requirement = str_field(execution, "requirement")
                .and_then(Requirement::from_keycloak)
                .unwrap_or(Requirement::Disabled);
            let kind = match str_field(execution, "flowAlias") {
                Some(alias) if is_sub_flow(execution) => StepKind::SubFlow {
                    alias: alias.to_owned(),
                    steps: match by_alias.get(alias) {
                        Some(sub) if depth < MAX_FLOW_DEPTH => {
                            flow_steps(sub, by_alias, configs, depth + 1)
                        }
                        _ => Vec::new(),
                    },
                },
                _ => StepKind::Authenticator {
                    provider: str_field(execution, "authenticator")
                        .unwrap_or_default()
                        .to_owned(),
                    config: str_field(execution, "authenticatorConfig").and_then(|alias| {
                        Some(AuthenticatorConfig {
                            alias: alias.to_owned(),
                            config: string_map(configs.get(alias)?.get("config")),
                        })
                    }),
                },
            };
            FlowStep { requirement, kind }
        })
        .collect()
}

/// Exports spell the flag both correctly and with Keycloak's historic typo.
fn is_sub_flow(execution: &Value) -> bool {
    ["authenticatorFlow", "autheticatorFlow"].iter().any(|key| {
        execution
            .get(*key)
            .and_then(Value::as_bool)
            .unwrap_or(false)
    })
}

// ---------------------------------------------------------------------------------------------
// Writing: edits of a realm export

/// Sets client fields: top-level keys, and `attributes.*` as strings (null or "" removes).
pub fn set_string_fields(object: &mut Map<String, Value>, fields: &Fields) {
    set_fields(object, fields, |value| value.clone());
}

/// Sets role/group fields: `attributes.*` are lists of strings there.
pub fn set_list_fields(object: &mut Map<String, Value>, fields: &Fields) {
    set_fields(object, fields, |value| match value {
        Value::Array(_) => value.clone(),
        other => json!([other]),
    });
}

fn set_fields(
    object: &mut Map<String, Value>,
    fields: &Fields,
    attribute_value: impl Fn(&Value) -> Value,
) {
    for (path, value) in fields {
        let absent = value.is_null()
            || value.as_str() == Some("")
            || value.as_array().is_some_and(Vec::is_empty);
        match path.strip_prefix(ATTRIBUTES_PREFIX) {
            Some(key) => {
                let attributes = object_entry(object, "attributes");
                if absent {
                    attributes.remove(key);
                } else {
                    attributes.insert(key.to_owned(), attribute_value(value));
                }
            }
            None if value.is_null() => {
                object.remove(path);
            }
            None => {
                object.insert(path.clone(), value.clone());
            }
        }
    }
}

pub fn client_mut<'d>(
    document: &'d mut Value,
    client_id: &str,
) -> Option<&'d mut Map<String, Value>> {
    array_mut(document, "clients")
        .iter_mut()
        .find(|c| str_field(c, "clientId") == Some(client_id))
        .and_then(Value::as_object_mut)
}

pub fn create_client(document: &mut Value, client_id: &str) {
    array_mut(document, "clients").push(json!({
        "id": new_id(),
        "clientId": client_id,
        "attributes": {},
        "authenticationFlowBindingOverrides": {},
    }));
}

/// Removes a client and every reference to its roles (an import fails on dangling ones).
pub fn delete_client(document: &mut Value, client_id: &str) {
    array_mut(document, "clients").retain(|c| str_field(c, "clientId") != Some(client_id));
    if let Some(by_client) = document
        .pointer_mut("/roles/client")
        .and_then(Value::as_object_mut)
    {
        by_client.remove(client_id);
    }
    for_each_group(array_mut(document, "groups"), &mut |group| {
        if let Some(roles) = group.get_mut("clientRoles").and_then(Value::as_object_mut) {
            roles.remove(client_id);
        }
    });
    for user in array_mut(document, "users") {
        if let Some(roles) = user.get_mut("clientRoles").and_then(Value::as_object_mut) {
            roles.remove(client_id);
        }
    }
}

pub fn put_mapper(client: &mut Map<String, Value>, name: &str, mapper: &Mapper) {
    let mappers = client.entry("protocolMappers").or_insert_with(|| json!([]));
    let Some(mappers) = mappers.as_array_mut() else {
        return;
    };
    let config: Map<String, Value> = mapper
        .config
        .iter()
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    match mappers
        .iter_mut()
        .find(|m| str_field(m, "name") == Some(name))
    {
        Some(existing) => {
            existing["protocolMapper"] = json!(mapper.mapper_type);
            existing["config"] = Value::Object(config);
        }
        None => mappers.push(json!({
            "id": new_id(),
            "name": name,
            "protocol": mapper.protocol,
            "protocolMapper": mapper.mapper_type,
            "consentRequired": false,
            "config": config,
        })),
    }
}

pub fn delete_mapper(client: &mut Map<String, Value>, name: &str) {
    if let Some(mappers) = client
        .get_mut("protocolMappers")
        .and_then(Value::as_array_mut)
    {
        mappers.retain(|m| str_field(m, "name") != Some(name));
    }
}

fn client_roles_mut<'d>(document: &'d mut Value, client_id: &str) -> &'d mut Vec<Value> {
    let realm = document.as_object_mut().expect("realm is an object");
    let roles = object_entry(realm, "roles");
    let by_client = object_entry(roles, "client");
    let entry = by_client.entry(client_id).or_insert_with(|| json!([]));
    if !entry.is_array() {
        *entry = json!([]);
    }
    entry.as_array_mut().expect("just made an array")
}

pub fn create_role<'d>(
    document: &'d mut Value,
    client_id: &str,
    role: &str,
    container_id: Value,
) -> &'d mut Map<String, Value> {
    let roles = client_roles_mut(document, client_id);
    roles.push(json!({
        "id": new_id(),
        "name": role,
        "composite": false,
        "clientRole": true,
        "containerId": container_id,
        "attributes": {},
    }));
    roles
        .last_mut()
        .and_then(Value::as_object_mut)
        .expect("just pushed an object")
}

pub fn role_mut<'d>(
    document: &'d mut Value,
    client_id: &str,
    role: &str,
) -> Option<&'d mut Map<String, Value>> {
    document
        .pointer_mut("/roles/client")?
        .get_mut(client_id)?
        .as_array_mut()?
        .iter_mut()
        .find(|r| str_field(r, "name") == Some(role))
        .and_then(Value::as_object_mut)
}

pub fn delete_role(document: &mut Value, client_id: &str, role: &str) {
    client_roles_mut(document, client_id).retain(|r| str_field(r, "name") != Some(role));
    for_each_group(array_mut(document, "groups"), &mut |group| {
        if let Some(group) = group.as_object_mut() {
            grant(group, client_id, role, false);
        }
    });
    for user in array_mut(document, "users") {
        if let Some(user) = user.as_object_mut() {
            grant(user, client_id, role, false);
        }
    }
}

/// Adds or removes `role` in a group's or user's `clientRoles[client_id]`.
pub fn grant(holder: &mut Map<String, Value>, client_id: &str, role: &str, on: bool) {
    let by_client = object_entry(holder, "clientRoles");
    let roles = by_client.entry(client_id).or_insert_with(|| json!([]));
    let Some(list) = roles.as_array_mut() else {
        return;
    };
    let present = list.iter().any(|r| r.as_str() == Some(role));
    if on && !present {
        list.push(json!(role));
    } else if !on {
        list.retain(|r| r.as_str() != Some(role));
        if list.is_empty() {
            by_client.remove(client_id);
        }
    }
}

/// Keeps the role's list of pilot users fedctl granted it to.
pub fn track_pilot(role: &mut Map<String, Value>, username: &str, on: bool) {
    let attributes = object_entry(role, "attributes");
    let mut pilots: BTreeSet<String> = attributes
        .get(PILOT_USERS_ATTRIBUTE)
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if on {
        pilots.insert(username.to_owned());
    } else {
        pilots.remove(username);
    }
    if pilots.is_empty() {
        attributes.remove(PILOT_USERS_ATTRIBUTE);
    } else {
        attributes.insert(PILOT_USERS_ATTRIBUTE.into(), json!(pilots));
    }
}

pub fn user_mut<'d>(document: &'d mut Value, username: &str) -> Option<&'d mut Map<String, Value>> {
    array_mut(document, "users")
        .iter_mut()
        .find(|u| str_field(u, "username") == Some(username))
        .and_then(Value::as_object_mut)
}

/// Adds a user unless one with the same username exists; true when added.
pub fn add_user(document: &mut Value, user: Value) -> bool {
    let users = array_mut(document, "users");
    let exists = users
        .iter()
        .any(|u| str_field(u, "username") == str_field(&user, "username"));
    if !exists {
        users.push(user);
    }
    !exists
}

fn for_each_group(groups: &mut [Value], visit: &mut impl FnMut(&mut Value)) {
    for group in groups {
        visit(group);
        if let Some(children) = group.get_mut("subGroups").and_then(Value::as_array_mut) {
            for_each_group(children, visit);
        }
    }
}

/// The sibling list a group path lives in (top-level groups or a parent's subGroups).
fn group_siblings_mut<'d>(document: &'d mut Value, path: &str) -> Option<&'d mut Vec<Value>> {
    match state::group_parent(path) {
        None => Some(array_mut(document, "groups")),
        Some(parent) => {
            let parent = group_mut(document, parent)?;
            let children = parent.entry("subGroups").or_insert_with(|| json!([]));
            children.as_array_mut()
        }
    }
}

/// Walks the group tree by path segments.
pub fn group_mut<'d>(document: &'d mut Value, path: &str) -> Option<&'d mut Map<String, Value>> {
    let mut current = document;
    let mut key = "groups";
    for name in path.trim_start_matches('/').split('/') {
        let list = current.get_mut(key)?.as_array_mut()?;
        current = list
            .iter_mut()
            .find(|g| str_field(g, "name") == Some(name))?;
        key = "subGroups";
    }
    current.as_object_mut()
}

/// Creates the group at `path` under its (existing) parent; None if the parent is missing.
pub fn create_group(document: &mut Value, path: &str) -> Option<()> {
    if group_mut(document, path).is_some() {
        return Some(());
    }
    let siblings = group_siblings_mut(document, path)?;
    siblings.push(json!({
        "id": new_id(),
        "name": state::group_name(path),
        "path": path,
        "subGroups": [],
        "attributes": {},
        "realmRoles": [],
        "clientRoles": {},
    }));
    Some(())
}

/// Removes a group with its subgroups (as Keycloak does) and every reference to them: users'
/// memberships and the realm's default groups name groups by path, and an import fails on a
/// path that resolves to nothing.
pub fn delete_group(document: &mut Value, path: &str) {
    if let Some(siblings) = group_siblings_mut(document, path) {
        siblings.retain(|g| str_field(g, "name") != Some(state::group_name(path)));
    }
    let gone = |p: &Value| {
        p.as_str()
            .is_some_and(|p| p == path || state::is_below(p, path))
    };
    for user in array_mut(document, "users") {
        if let Some(groups) = user.get_mut("groups").and_then(Value::as_array_mut) {
            groups.retain(|p| !gone(p));
        }
    }
    if document.get("defaultGroups").is_some() {
        array_mut(document, "defaultGroups").retain(|p| !gone(p));
    }
}

pub fn flow_id(document: &Value, alias: &str) -> Option<String> {
    array(document, "authenticationFlows")
        .iter()
        .find(|f| str_field(f, "alias") == Some(alias))
        .and_then(|f| str_field(f, "id"))
        .map(str::to_owned)
}

/// Writes a top-level flow with its sub-flows and authenticator configs.
pub fn create_flow(document: &mut Value, alias: &str, flow: &Flow) {
    let mut flows = Vec::new();
    let mut configs = Vec::new();
    let executions = executions_json(&flow.steps, &mut flows, &mut configs);
    flows.insert(
        0,
        json!({
            "id": new_id(),
            "alias": alias,
            "description": flow.description,
            "providerId": "basic-flow",
            "topLevel": true,
            "builtIn": false,
            "authenticationExecutions": executions,
        }),
    );
    array_mut(document, "authenticationFlows").extend(flows);
    // Keycloak's import iterates authenticatorConfig whenever authenticationFlows is present.
    array_mut(document, "authenticatorConfig").extend(configs);
}

fn executions_json(
    steps: &[FlowStep],
    flows: &mut Vec<Value>,
    configs: &mut Vec<Value>,
) -> Vec<Value> {
    steps
        .iter()
        .enumerate()
        .map(|(index, step)| {
            let priority = (index as i64 + 1) * 10;
            let requirement = step.requirement.as_keycloak();
            match &step.kind {
                StepKind::Authenticator { provider, config } => {
                    let mut execution = json!({
                        "authenticator": provider,
                        "authenticatorFlow": false,
                        "requirement": requirement,
                        "priority": priority,
                        "autheticatorFlow": false,
                        "userSetupAllowed": false,
                    });
                    if let Some(config) = config {
                        execution["authenticatorConfig"] = json!(config.alias);
                        configs.push(json!({ "id": new_id(), "alias": config.alias, "config": config.config }));
                    }
                    execution
                }
                StepKind::SubFlow { alias, steps } => {
                    let executions = executions_json(steps, flows, configs);
                    flows.push(json!({
                        "id": new_id(),
                        "alias": alias,
                        "description": "",
                        "providerId": "basic-flow",
                        "topLevel": false,
                        "builtIn": false,
                        "authenticationExecutions": executions,
                    }));
                    json!({
                        "authenticatorFlow": true,
                        "requirement": requirement,
                        "priority": priority,
                        "autheticatorFlow": true,
                        "flowAlias": alias,
                        "userSetupAllowed": false,
                    })
                }
            }
        })
        .collect()
}

/// Removes a flow, its sub-flows and their authenticator configs.
pub fn delete_flow(document: &mut Value, alias: &str) {
    let mut flow_aliases = BTreeSet::new();
    let mut config_aliases = BTreeSet::new();
    collect_flow_parts(document, alias, &mut flow_aliases, &mut config_aliases);
    array_mut(document, "authenticationFlows")
        .retain(|f| !str_field(f, "alias").is_some_and(|a| flow_aliases.contains(a)));
    if !config_aliases.is_empty() {
        array_mut(document, "authenticatorConfig")
            .retain(|c| !str_field(c, "alias").is_some_and(|a| config_aliases.contains(a)));
    }
}

fn collect_flow_parts(
    document: &Value,
    alias: &str,
    flows: &mut BTreeSet<String>,
    configs: &mut BTreeSet<String>,
) {
    if !flows.insert(alias.to_owned()) {
        return;
    }
    let Some(flow) = array(document, "authenticationFlows")
        .iter()
        .find(|f| str_field(f, "alias") == Some(alias))
    else {
        return;
    };
    for execution in array(flow, "authenticationExecutions") {
        if let Some(config) = str_field(execution, "authenticatorConfig") {
            configs.insert(config.to_owned());
        }
        if let Some(sub) = str_field(execution, "flowAlias").filter(|_| is_sub_flow(execution)) {
            collect_flow_parts(document, sub, flows, configs);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_realm_carries_keycloaks_builtin_flows_and_bindings() {
        let realm = minimal_realm("demo");
        assert_eq!(realm["realm"], "demo");
        assert_eq!(realm["browserFlow"], "browser");
        let state = observe(&realm);
        for alias in [
            "browser",
            "direct grant",
            "registration",
            "reset credentials",
            "clients",
            "first broker login",
            "docker auth",
        ] {
            assert!(state.flows.contains_key(alias), "{alias}");
            assert_eq!(
                state.flows[alias].owner(),
                None,
                "built-ins are not fedctl's"
            );
        }
        // The browser flow's forms sub-flow is resolved through its alias.
        let StepKind::SubFlow { steps, .. } = &state.flows["browser"].steps[3].kind else {
            panic!("forms sub-flow");
        };
        assert_eq!(steps.len(), 2);
    }
}
