//! Authentication flows (§6): flows, copies, executions as a flattened tree,
//! sub-flows, requirement/priority updates and authenticator configs.

use crate::auth::Admin;
use crate::authenticators::{self, Spi};
use crate::errors::{ApiError, ApiResult};
use crate::http::{created, encode_segment, json_list, json_response, no_content};
use crate::json::{Obj, ObjExt, parse_object, render};
use crate::repr::{
    AUTH_CONFIG, COPY_FLOW, EXECUTION, EXECUTION_EXPORT, EXECUTION_INFO, FLOW, NEW_EXECUTION,
    NEW_SUBFLOW,
};
use crate::state::{AuthConfig, Execution, Flow, Realm, new_id};
use axum::Router;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::sync::Arc;

/// Realm flow bindings (RealmRepresentation properties holding flow aliases).
pub const BINDINGS: &[&str] = &[
    "browserFlow",
    "registrationFlow",
    "directGrantFlow",
    "resetCredentialsFlow",
    "clientAuthenticationFlow",
    "dockerAuthenticationFlow",
    "firstBrokerLoginFlow",
];

pub fn insert_flow(
    realm: &mut Realm,
    alias: &str,
    description: Option<&str>,
    provider: &str,
    top: bool,
    built_in: bool,
) -> String {
    let id = new_id();
    let flow = Flow {
        id: id.clone(),
        alias: alias.to_string(),
        description: description.map(str::to_string),
        provider_id: provider.to_string(),
        top_level: top,
        built_in,
    };
    realm.flows.insert(id.clone(), flow);
    id
}

/// Next priority in a flow: the last execution's + 1 (0 when empty).
fn next_priority(realm: &Realm, flow: &str) -> i64 {
    realm
        .executions_of(flow)
        .last()
        .map_or(0, |e| e.priority + 1)
}

pub fn insert_execution(realm: &mut Realm, mut e: Execution) -> String {
    if e.id.is_empty() {
        e.id = new_id();
    }
    let id = e.id.clone();
    realm.executions.insert(id.clone(), e);
    id
}

/// Deletes a flow with its executions, sub-flows and configs.
fn remove_flow(realm: &mut Realm, id: &str) {
    let execs: Vec<String> = realm
        .executions_of(id)
        .iter()
        .map(|e| e.id.clone())
        .collect();
    for e in execs {
        remove_execution(realm, &e);
    }
    realm.flows.shift_remove(id);
}

fn remove_execution(realm: &mut Realm, id: &str) {
    let Some(e) = realm.executions.shift_remove(id) else {
        return;
    };
    if let Some(sub) = e.sub_flow {
        remove_flow(realm, &sub);
    }
    if let Some(c) = e.config {
        realm.auth_configs.shift_remove(&c);
    }
}

/// Whether a flow is bound to the realm, a client or an identity provider.
fn is_bound(realm: &Realm, flow: &Flow) -> bool {
    BINDINGS
        .iter()
        .any(|b| realm.settings.str(b) == Some(flow.alias.as_str()))
        || realm.clients.values().any(|c| {
            c.rep
                .obj("authenticationFlowBindingOverrides")
                .is_some_and(|o| o.values().any(|v| v == flow.id.as_str()))
        })
        || realm.idps.values().any(|i| {
            ["firstBrokerLoginFlowAlias", "postBrokerLoginFlowAlias"]
                .iter()
                .any(|k| i.rep.str(k) == Some(flow.alias.as_str()))
        })
}

/// AuthenticationFlowRepresentation with export-style executions.
pub fn represent(realm: &Realm, f: &Flow) -> Value {
    let execs: Vec<Value> = realm
        .executions_of(&f.id)
        .into_iter()
        .map(|e| export_execution(realm, e))
        .collect();
    let mut m = Obj::new();
    m.insert("id".into(), json!(f.id));
    m.insert("alias".into(), json!(f.alias));
    if let Some(d) = &f.description {
        m.insert("description".into(), json!(d));
    }
    m.insert("providerId".into(), json!(f.provider_id));
    m.insert("topLevel".into(), json!(f.top_level));
    m.insert("builtIn".into(), json!(f.built_in));
    m.insert("authenticationExecutions".into(), Value::Array(execs));
    render(&m, &FLOW)
}

fn export_execution(realm: &Realm, e: &Execution) -> Value {
    let is_flow = e.sub_flow.is_some();
    let mut m = Obj::new();
    if let Some(c) = e.config.as_ref().and_then(|c| realm.auth_configs.get(c)) {
        m.insert("authenticatorConfig".into(), json!(c.alias));
    }
    if let Some(a) = &e.authenticator {
        m.insert("authenticator".into(), json!(a));
    }
    m.insert("authenticatorFlow".into(), json!(is_flow));
    m.insert("requirement".into(), json!(e.requirement));
    m.insert("priority".into(), json!(e.priority));
    m.insert("autheticatorFlow".into(), json!(is_flow));
    if let Some(sub) = e.sub_flow.as_ref().and_then(|s| realm.flows.get(s)) {
        m.insert("flowAlias".into(), json!(sub.alias));
    }
    m.insert("userSetupAllowed".into(), json!(e.user_setup_allowed));
    render(&m, &EXECUTION_EXPORT)
}

/// AuthenticationExecutionRepresentation (`GET /executions/{id}`).
fn execution_rep(e: &Execution) -> Value {
    let mut m = Obj::new();
    m.insert("id".into(), json!(e.id));
    if let Some(c) = &e.config {
        m.insert("authenticatorConfig".into(), json!(c));
    }
    if let Some(a) = &e.authenticator {
        m.insert("authenticator".into(), json!(a));
    }
    m.insert("authenticatorFlow".into(), json!(e.sub_flow.is_some()));
    if let Some(f) = &e.sub_flow {
        m.insert("flowId".into(), json!(f));
    }
    m.insert("parentFlow".into(), json!(e.parent));
    m.insert("requirement".into(), json!(e.requirement));
    m.insert("priority".into(), json!(e.priority));
    render(&m, &EXECUTION)
}

/// The flattened tree of `GET /flows/{alias}/executions`.
fn flatten(realm: &Realm, flow: &str, level: i64, version: u8, out: &mut Vec<Value>) {
    for (index, e) in realm.executions_of(flow).into_iter().enumerate() {
        let mut m = Obj::new();
        m.insert("id".into(), json!(e.id));
        m.insert("requirement".into(), json!(e.requirement));
        m.insert("level".into(), json!(level));
        m.insert("index".into(), json!(index));
        if version >= 25 {
            m.insert("priority".into(), json!(e.priority));
        }
        match e.sub_flow.as_ref().and_then(|s| realm.flows.get(s)) {
            Some(sub) => {
                let choices: &[&str] = match sub.provider_id.as_str() {
                    "form-flow" => &["REQUIRED", "DISABLED"],
                    "client-flow" => &["ALTERNATIVE", "REQUIRED", "DISABLED"],
                    _ => &["REQUIRED", "ALTERNATIVE", "DISABLED", "CONDITIONAL"],
                };
                if sub.provider_id == "form-flow" {
                    m.insert("providerId".into(), json!(e.authenticator));
                    m.insert("authenticationConfig".into(), json!(e.config));
                }
                m.insert("requirementChoices".into(), json!(choices));
                m.insert("displayName".into(), json!(sub.alias));
                m.insert("description".into(), json!(sub.description));
                m.insert("configurable".into(), json!(false));
                m.insert("authenticationFlow".into(), json!(true));
                m.insert("flowId".into(), json!(sub.id));
                out.push(render(&m, &EXECUTION_INFO));
                flatten(realm, &sub.id, level + 1, version, out);
            }
            None => {
                let id = e.authenticator.clone().unwrap_or_default();
                let p = authenticators::find(&id);
                m.insert(
                    "displayName".into(),
                    json!(p.map_or(id.as_str(), |p| p.display)),
                );
                m.insert("description".into(), json!(p.map(|p| p.help)));
                m.insert(
                    "requirementChoices".into(),
                    json!(p.map_or(&[][..], |p| p.choices)),
                );
                m.insert(
                    "configurable".into(),
                    json!(p.is_some_and(|p| p.configurable)),
                );
                if let Some(c) = e.config.as_ref().and_then(|c| realm.auth_configs.get(c)) {
                    m.insert("alias".into(), json!(c.alias));
                }
                m.insert("providerId".into(), json!(id));
                m.insert("authenticationConfig".into(), json!(e.config));
                out.push(render(&m, &EXECUTION_INFO));
            }
        }
    }
}

/// Copies the executions of `from` into `to`, naming sub-flows and configs
/// `"<newName> <original>"` (`AuthenticationManagementResource.copy`).
fn copy_into(realm: &mut Realm, new_name: &str, from: &str, to: &str) -> ApiResult<()> {
    let execs: Vec<Execution> = realm.executions_of(from).into_iter().cloned().collect();
    for mut e in execs {
        if let Some(sub) = e.sub_flow.clone() {
            let src = realm.flows[&sub].clone();
            let alias = format!("{new_name} {}", src.alias);
            let copy = insert_flow(
                realm,
                &alias,
                src.description.as_deref(),
                &src.provider_id,
                false,
                false,
            );
            copy_into(realm, new_name, &sub, &copy)?;
            e.sub_flow = Some(copy);
        }
        if let Some(cfg) = e
            .config
            .clone()
            .and_then(|c| realm.auth_configs.get(&c).cloned())
        {
            let alias = format!("{new_name} {}", cfg.alias);
            if realm.auth_configs.values().any(|c| c.alias == alias) {
                return Err(ApiError::Server(format!(
                    "authenticator config {alias} already exists"
                )));
            }
            let id = new_id();
            realm.auth_configs.insert(
                id.clone(),
                AuthConfig {
                    id: id.clone(),
                    alias,
                    config: cfg.config,
                },
            );
            e.config = Some(id);
        }
        e.id = String::new();
        e.parent = to.to_string();
        insert_execution(realm, e);
    }
    Ok(())
}

pub fn routes() -> Router<Arc<crate::app::App>> {
    const A: &str = "/admin/realms/{realm}/authentication";
    Router::new()
        .route(&format!("{A}/flows"), get(list_flows).post(create_flow))
        .route(
            &format!("{A}/flows/{{id}}"),
            get(get_flow).put(update_flow).delete(delete_flow),
        )
        .route(&format!("{A}/flows/{{alias}}/copy"), post(copy_flow))
        .route(
            &format!("{A}/flows/{{alias}}/executions"),
            get(list_executions).put(update_execution),
        )
        .route(
            &format!("{A}/flows/{{alias}}/executions/execution"),
            post(add_execution),
        )
        .route(
            &format!("{A}/flows/{{alias}}/executions/flow"),
            post(add_subflow),
        )
        .route(
            &format!("{A}/executions/{{id}}"),
            get(get_execution).delete(delete_execution),
        )
        .route(
            &format!("{A}/executions/{{id}}/raise-priority"),
            post(|a: Admin, p: Path<(String, String)>| shift(a, p, true)),
        )
        .route(
            &format!("{A}/executions/{{id}}/lower-priority"),
            post(|a: Admin, p: Path<(String, String)>| shift(a, p, false)),
        )
        .route(
            &format!("{A}/executions/{{id}}/config"),
            post(create_config),
        )
        .route(
            &format!("{A}/executions/{{id}}/config/{{config}}"),
            get(get_execution_config),
        )
        .route(
            &format!("{A}/config/{{id}}"),
            get(get_config).put(update_config).delete(delete_config),
        )
        .route(
            &format!("{A}/authenticator-providers"),
            get(|a: Admin| providers(a, Spi::Authenticator)),
        )
        .route(
            &format!("{A}/client-authenticator-providers"),
            get(|a: Admin| providers(a, Spi::ClientAuthenticator)),
        )
        .route(
            &format!("{A}/form-providers"),
            get(|a: Admin| providers(a, Spi::FormAuthenticator)),
        )
        .route(
            &format!("{A}/form-action-providers"),
            get(|a: Admin| providers(a, Spi::FormAction)),
        )
        .route(
            &format!("{A}/config-description/{{provider}}"),
            get(config_description),
        )
        .route(&format!("{A}/required-actions"), get(required_actions))
}

fn flow_by_id<'a>(realm: &'a Realm, id: &str) -> ApiResult<&'a Flow> {
    realm
        .flows
        .get(id)
        .ok_or_else(|| ApiError::not_found("Could not find flow with id"))
}

async fn list_flows(admin: Admin) -> ApiResult {
    admin.require(admin.view_realm())?;
    admin.read(|realm| {
        // Creation order; Keycloak hides the built-in `saml ecp` flow from the list.
        let flows = realm
            .flows
            .values()
            .filter(|f| f.top_level && f.alias != "saml ecp");
        Ok(json_list(
            flows.into_iter().map(|f| represent(realm, f)).collect(),
        ))
    })
}

async fn create_flow(admin: Admin, body: Bytes) -> ApiResult {
    admin.require(admin.manage_realm())?;
    let rep = parse_object(&body, &FLOW)?;
    admin.write(|realm| {
        let alias = rep.str("alias").unwrap_or_default();
        if alias.trim().is_empty() {
            return Err(ApiError::conflict(
                "Failed to create flow with empty alias name",
            ));
        }
        if realm.flow_by_alias(alias).is_some() {
            return Err(ApiError::conflict(format!("Flow {alias} already exists")));
        }
        let provider = rep.str("providerId").unwrap_or("basic-flow");
        let top = rep.bool("topLevel").unwrap_or(false);
        let id = insert_flow(
            realm,
            alias,
            rep.str("description"),
            provider,
            top,
            rep.bool("builtIn").unwrap_or(false),
        );
        Ok(created(
            admin.location(&format!("authentication/flows/{id}")),
        ))
    })
}

async fn get_flow(admin: Admin, Path((_, id)): Path<(String, String)>) -> ApiResult {
    admin.require(admin.view_realm())?;
    admin.read(|realm| Ok(json_response(represent(realm, flow_by_id(realm, &id)?))))
}

async fn update_flow(
    admin: Admin,
    Path((_, id)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    admin.require(admin.manage_realm())?;
    let rep = parse_object(&body, &FLOW)?;
    admin.write(|realm| {
        flow_by_id(realm, &id)?;
        if let Some(alias) = rep.str("alias")
            && realm.flows.values().any(|f| f.id != id && f.alias == alias)
        {
            return Err(ApiError::conflict("Flow alias name already exists"));
        }
        let f = realm.flows.get_mut(&id).expect("found");
        if let Some(alias) = rep.str("alias") {
            f.alias = alias.to_string();
        }
        if rep.contains_key("description") {
            f.description = rep.str("description").map(str::to_string);
        }
        Ok(no_content())
    })
}

async fn delete_flow(admin: Admin, Path((_, id)): Path<(String, String)>) -> ApiResult {
    admin.require(admin.manage_realm())?;
    admin.write(|realm| {
        let f = flow_by_id(realm, &id)?;
        if f.built_in {
            return Err(ApiError::bad_request("Can't delete built in flow"));
        }
        // A bound flow cannot be deleted; Keycloak's model refuses with an exception
        // that reaches the global handler as a 500 (seen on Keycloak 26.7).
        if is_bound(realm, f) {
            return Err(ApiError::Server(
                "Cannot remove authentication flow, it is currently in use".into(),
            ));
        }
        remove_flow(realm, &id);
        Ok(no_content())
    })
}

async fn copy_flow(
    admin: Admin,
    Path((_, alias)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    admin.require(admin.manage_realm())?;
    let rep = parse_object(&body, &COPY_FLOW)?;
    admin.write(|realm| {
        let new_name = rep.str("newName").unwrap_or_default().to_string();
        if realm.flow_by_alias(&new_name).is_some() {
            return Err(ApiError::conflict("New flow alias name already exists"));
        }
        let src = realm
            .flow_by_alias(&alias)
            .cloned()
            .ok_or_else(|| ApiError::not_found("Flow not found"))?;
        let id = insert_flow(
            realm,
            &new_name,
            src.description.as_deref(),
            &src.provider_id,
            src.top_level,
            false,
        );
        copy_into(realm, &new_name, &src.id, &id)?;
        // Location quirk: the copy path with the new id appended.
        Ok(created(admin.location(&format!(
            "authentication/flows/{}/copy/{id}",
            encode_segment(&alias)
        ))))
    })
}

async fn list_executions(admin: Admin, Path((_, alias)): Path<(String, String)>) -> ApiResult {
    admin.require(admin.view_realm())?;
    admin.read(|realm| {
        let flow = realm
            .flow_by_alias(&alias)
            .ok_or_else(|| ApiError::not_found("Flow not found"))?;
        let mut out = Vec::new();
        flatten(realm, &flow.id, 0, admin.app.config.version, &mut out);
        Ok(json_list(out))
    })
}

/// `PUT /flows/{alias}/executions`: only checks the alias exists, then finds
/// the execution by id anywhere. 25+: a differing `priority` (absent = 0) is
/// stored first; then the requirement; if neither changed, a sub-flow row may
/// rename its flow.
async fn update_execution(
    admin: Admin,
    Path((_, alias)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    admin.require(admin.manage_realm())?;
    let rep = parse_object(&body, &EXECUTION_INFO)?;
    let version = admin.app.config.version;
    admin.write(|realm| {
        realm
            .flow_by_alias(&alias)
            .ok_or_else(|| ApiError::not_found("flow not found"))?;
        let id = rep.str("id").unwrap_or_default();
        let e = realm
            .executions
            .get_mut(id)
            .ok_or_else(|| ApiError::not_found("Illegal execution"))?;
        let mut changed = false;
        if version >= 25 {
            let p = rep.int("priority").unwrap_or(0);
            if p != e.priority {
                e.priority = p;
                changed = true;
            }
        }
        let requirement = rep.str("requirement").unwrap_or_default();
        if requirement != e.requirement {
            const VALID: &[&str] = &["REQUIRED", "CONDITIONAL", "ALTERNATIVE", "DISABLED"];
            if !VALID.contains(&requirement) {
                return Err(ApiError::Server(format!(
                    "No enum constant Requirement.{requirement}"
                )));
            }
            e.requirement = requirement.to_string();
            return Ok(no_content());
        }
        if changed || rep.bool("authenticationFlow").is_none() {
            return Ok(no_content());
        }
        rename_subflow(realm, &rep)?;
        Ok(no_content())
    })
}

fn rename_subflow(realm: &mut Realm, rep: &Obj) -> ApiResult<()> {
    let flow_id = rep.str("flowId").unwrap_or_default();
    let current = realm
        .flows
        .get(flow_id)
        .ok_or_else(|| ApiError::not_found("Illegal execution"))?
        .alias
        .clone();
    let name = rep.str("displayName").unwrap_or_default().to_string();
    if name != current && realm.flow_by_alias(&name).is_some() {
        return Err(ApiError::conflict("Flow alias name already exists"));
    }
    let f = realm.flows.get_mut(flow_id).expect("found");
    f.alias = name;
    if rep.contains_key("description") {
        f.description = rep.str("description").map(str::to_string);
    }
    Ok(())
}

/// Priority of a new execution: the body's (25+) or the next one.
fn new_priority(realm: &Realm, parent: &str, rep: &Obj, version: u8) -> i64 {
    match rep.int("priority") {
        Some(p) if version >= 25 => p,
        _ => next_priority(realm, parent),
    }
}

async fn add_execution(
    admin: Admin,
    Path((_, alias)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    admin.require(admin.manage_realm())?;
    let rep = parse_object(&body, &NEW_EXECUTION)?;
    let version = admin.app.config.version;
    admin.write(|realm| {
        let parent = realm
            .flow_by_alias(&alias)
            .cloned()
            .ok_or_else(|| ApiError::bad_request("Parent flow doesn't exist"))?;
        if parent.built_in {
            return Err(ApiError::bad_request(
                "It is illegal to add execution to a built in flow",
            ));
        }
        let provider = rep.str("provider").unwrap_or_default();
        let spi = match parent.provider_id.as_str() {
            "client-flow" => Spi::ClientAuthenticator,
            "form-flow" => Spi::FormAction,
            _ => Spi::Authenticator,
        };
        let p = authenticators::find(provider)
            .filter(|p| p.spi == spi)
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "No authentication provider found for id: {provider}"
                ))
            })?;
        let requirement = if p.choices.len() == 1 {
            p.choices[0]
        } else {
            "DISABLED"
        };
        let e = Execution {
            id: String::new(),
            parent: parent.id.clone(),
            authenticator: Some(provider.to_string()),
            sub_flow: None,
            requirement: requirement.to_string(),
            priority: new_priority(realm, &parent.id, &rep, version),
            config: None,
            user_setup_allowed: false,
        };
        let id = insert_execution(realm, e);
        Ok(created(
            admin.location(&format!("authentication/executions/{id}")),
        ))
    })
}

async fn add_subflow(
    admin: Admin,
    Path((_, alias)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    admin.require(admin.manage_realm())?;
    let rep = parse_object(&body, &NEW_SUBFLOW)?;
    let version = admin.app.config.version;
    admin.write(|realm| {
        let parent = realm.flow_by_alias(&alias).cloned().ok_or_else(|| {
            ApiError::Message(StatusCode::BAD_REQUEST, "Parent flow doesn't exist".into())
        })?;
        if parent.built_in {
            return Err(ApiError::bad_request(
                "It is illegal to add sub-flow to a built in flow",
            ));
        }
        let new_alias = rep.str("alias").unwrap_or_default();
        if realm.flow_by_alias(new_alias).is_some() {
            return Err(ApiError::conflict("New flow alias name already exists"));
        }
        let kind = rep.str("type").unwrap_or("basic-flow").to_string();
        let flow = insert_flow(
            realm,
            new_alias,
            Some(rep.str("description").unwrap_or("")),
            &kind,
            false,
            false,
        );
        let e = Execution {
            id: String::new(),
            parent: parent.id.clone(),
            authenticator: rep
                .str("provider")
                .filter(|_| kind == "form-flow")
                .map(str::to_string),
            sub_flow: Some(flow.clone()),
            requirement: "DISABLED".into(),
            priority: new_priority(realm, &parent.id, &rep, version),
            config: None,
            user_setup_allowed: false,
        };
        insert_execution(realm, e);
        Ok(created(
            admin.location(&format!("authentication/flows/{flow}")),
        ))
    })
}

fn execution<'a>(realm: &'a Realm, id: &str) -> ApiResult<&'a Execution> {
    realm
        .executions
        .get(id)
        .ok_or_else(|| ApiError::not_found("Illegal execution"))
}

async fn get_execution(admin: Admin, Path((_, id)): Path<(String, String)>) -> ApiResult {
    admin.require(admin.manage_realm())?;
    admin.read(|realm| Ok(json_response(execution_rep(execution(realm, &id)?))))
}

fn parent_built_in(realm: &Realm, e: &Execution) -> bool {
    realm.flows.get(&e.parent).is_some_and(|f| f.built_in)
}

async fn delete_execution(admin: Admin, Path((_, id)): Path<(String, String)>) -> ApiResult {
    admin.require(admin.manage_realm())?;
    admin.write(|realm| {
        let e = execution(realm, &id)?;
        if parent_built_in(realm, e) {
            return Err(ApiError::bad_request(
                "It is illegal to remove execution from a built in flow",
            ));
        }
        remove_execution(realm, &id);
        Ok(no_content())
    })
}

/// Swaps priorities with the previous (`raise`) or next sibling.
async fn shift(admin: Admin, Path((_, id)): Path<(String, String)>, raise: bool) -> ApiResult {
    admin.require(admin.manage_realm())?;
    admin.write(|realm| {
        let e = execution(realm, &id)?;
        if parent_built_in(realm, e) {
            return Err(ApiError::bad_request(
                "It is illegal to modify execution in a built in flow",
            ));
        }
        let siblings: Vec<(String, i64)> = realm
            .executions_of(&e.parent)
            .iter()
            .map(|s| (s.id.clone(), s.priority))
            .collect();
        let i = siblings
            .iter()
            .position(|(s, _)| *s == id)
            .expect("own sibling");
        let other = if raise {
            i.checked_sub(1)
        } else {
            Some(i + 1).filter(|j| *j < siblings.len())
        };
        if let Some(j) = other {
            realm
                .executions
                .get_mut(&siblings[i].0)
                .expect("exists")
                .priority = siblings[j].1;
            realm
                .executions
                .get_mut(&siblings[j].0)
                .expect("exists")
                .priority = siblings[i].1;
        }
        Ok(no_content())
    })
}

fn config_rep(c: &AuthConfig) -> Value {
    json!({ "id": c.id, "alias": c.alias, "config": c.config })
}

async fn create_config(
    admin: Admin,
    Path((_, id)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    admin.require(admin.manage_realm())?;
    let rep = parse_object(&body, &AUTH_CONFIG)?;
    admin.write(|realm| {
        execution(realm, &id)?;
        let alias = rep.str("alias").unwrap_or_default().to_string();
        if alias.trim().is_empty() {
            return Err(ApiError::conflict(
                "Failed to create authentication execution configuration with empty alias name",
            ));
        }
        let current = realm.executions[&id].config.clone();
        if realm
            .auth_configs
            .values()
            .any(|c| c.alias == alias && Some(&c.id) != current.as_ref())
        {
            // Text inferred; the status (409) is from the spec.
            return Err(ApiError::conflict(format!(
                "Authentication execution configuration {alias} already exists"
            )));
        }
        if let Some(old) = current {
            realm.auth_configs.shift_remove(&old);
        }
        let cid = new_id();
        let config = rep.obj("config").cloned().unwrap_or_default();
        realm.auth_configs.insert(
            cid.clone(),
            AuthConfig {
                id: cid.clone(),
                alias,
                config,
            },
        );
        realm.executions.get_mut(&id).expect("exists").config = Some(cid.clone());
        Ok(created(admin.location(&format!(
            "authentication/executions/{id}/config/{cid}"
        ))))
    })
}

fn config<'a>(realm: &'a Realm, id: &str) -> ApiResult<&'a AuthConfig> {
    realm
        .auth_configs
        .get(id)
        .ok_or_else(|| ApiError::not_found("Could not find authenticator config"))
}

async fn get_execution_config(
    admin: Admin,
    Path((_, _, cid)): Path<(String, String, String)>,
) -> ApiResult {
    admin.require(admin.view_realm())?;
    admin.read(|realm| Ok(json_response(config_rep(config(realm, &cid)?))))
}

async fn get_config(admin: Admin, Path((_, id)): Path<(String, String)>) -> ApiResult {
    admin.require(admin.view_realm())?;
    admin.read(|realm| Ok(json_response(config_rep(config(realm, &id)?))))
}

async fn update_config(
    admin: Admin,
    Path((_, id)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    admin.require(admin.manage_realm())?;
    let rep = parse_object(&body, &AUTH_CONFIG)?;
    admin.write(|realm| {
        config(realm, &id)?;
        let c = realm.auth_configs.get_mut(&id).expect("found");
        if let Some(a) = rep.str("alias") {
            c.alias = a.to_string();
        }
        if let Some(cfg) = rep.obj("config") {
            c.config = cfg.clone();
        }
        Ok(no_content())
    })
}

async fn delete_config(admin: Admin, Path((_, id)): Path<(String, String)>) -> ApiResult {
    admin.require(admin.manage_realm())?;
    admin.write(|realm| {
        config(realm, &id)?;
        realm.auth_configs.shift_remove(&id);
        for e in realm.executions.values_mut() {
            if e.config.as_deref() == Some(id.as_str()) {
                e.config = None;
            }
        }
        Ok(no_content())
    })
}

async fn providers(admin: Admin, spi: Spi) -> ApiResult {
    admin.require(admin.view_realm())?;
    let items = authenticators::PROVIDERS
        .iter()
        .filter(|p| p.spi == spi)
        .map(|p| json!({ "id": p.id, "displayName": p.display, "description": p.help }))
        .collect();
    Ok(json_list(items))
}

async fn config_description(
    admin: Admin,
    Path((_, provider)): Path<(String, String)>,
) -> ApiResult {
    admin.require(admin.view_realm())?;
    let p = authenticators::find(&provider)
        .ok_or_else(|| ApiError::not_found("Could not find authenticator provider"))?;
    Ok(json_response(
        json!({ "name": p.display, "providerId": p.id, "helpText": p.help, "properties": [] }),
    ))
}

async fn required_actions(admin: Admin) -> ApiResult {
    admin.require(admin.view_realm())?;
    admin.read(|realm| Ok(json_response(realm.required_actions.clone())))
}
