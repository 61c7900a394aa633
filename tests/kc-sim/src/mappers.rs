//! Protocol mappers of clients and client scopes (§3).

use crate::auth::Admin;
use crate::errors::{ApiError, ApiResult};
use crate::http::{created, json_list, json_response, no_content};
use crate::json::{Obj, ObjExt, parse_list, parse_object, render};
use crate::repr::PROTOCOL_MAPPER;
use crate::state::{Realm, new_id};
use axum::Router;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::sync::Arc;

/// Protocol-mapper provider ids known to a default Keycloak 26 server.
const KNOWN_TYPES: &[&str] = &[
    "oidc-usermodel-attribute-mapper",
    "oidc-usermodel-property-mapper",
    "oidc-group-membership-mapper",
    "oidc-role-name-mapper",
    "oidc-hardcoded-claim-mapper",
    "oidc-hardcoded-role-mapper",
    "oidc-audience-mapper",
    "oidc-audience-resolve-mapper",
    "oidc-usermodel-realm-role-mapper",
    "oidc-usermodel-client-role-mapper",
    "oidc-full-name-mapper",
    "oidc-address-mapper",
    "oidc-usersessionmodel-note-mapper",
    "oidc-allowed-origins-mapper",
    "oidc-acr-mapper",
    "oidc-sub-mapper",
    "oidc-claims-param-token-mapper",
    "oidc-claims-param-value-idtoken-mapper",
    "oidc-sha256-pairwise-sub-mapper",
    "oidc-organization-membership-mapper",
    "oidc-nonce-backwards-compatible-mapper",
    "saml-user-attribute-mapper",
    "saml-user-property-mapper",
    "saml-group-membership-mapper",
    "saml-role-list-mapper",
    "saml-hardcode-attribute-mapper",
    "saml-hardcode-role-mapper",
    "saml-role-name-mapper",
    "saml-user-session-note-mapper",
    "saml-audience-mapper",
    "saml-audience-resolve-mapper",
    "saml-user-attribute-nameid-mapper",
    "saml-user-property-nameid-mapper",
    "saml-organization-membership-mapper",
    "docker-v2-allow-all-mapper",
];

/// Adds a mapper to a list, enforcing unique names per protocol; returns its id.
pub fn add(list: &mut Vec<Obj>, mut rep: Obj, default_protocol: &str) -> ApiResult<String> {
    let kind = rep.str("protocolMapper").unwrap_or_default();
    if !KNOWN_TYPES.contains(&kind) {
        return Err(ApiError::not_found("ProtocolMapper provider not found"));
    }
    let protocol = rep.str("protocol").unwrap_or(default_protocol).to_string();
    let name = rep.str("name").unwrap_or_default();
    if list
        .iter()
        .any(|m| m.str("name") == Some(name) && m.str("protocol") == Some(protocol.as_str()))
    {
        return Err(ApiError::conflict("Protocol mapper exists with same name"));
    }
    let id = rep.str("id").map(str::to_string).unwrap_or_else(new_id);
    rep.insert("id".into(), json!(id));
    rep.insert("protocol".into(), json!(protocol));
    rep.insert("consentRequired".into(), json!(false));
    rep.remove("consentText");
    normalise_config(&mut rep);
    list.push(rep);
    Ok(id)
}

fn normalise_config(rep: &mut Obj) {
    let config = match rep.remove("config") {
        Some(Value::Object(mut c)) => {
            c.retain(|_, v| !v.is_null());
            c
        }
        _ => Obj::new(),
    };
    rep.insert("config".into(), Value::Object(config));
}

/// Full sync by (protocol, name) for client PUT: same-named mappers keep their
/// id and get the new type and config, new ones are added, others deleted.
pub fn sync(list: &mut Vec<Obj>, wanted: &[Value], protocol: &str) -> ApiResult<()> {
    let mut next = Vec::with_capacity(wanted.len());
    for w in wanted.iter().filter_map(Value::as_object) {
        let p = w.str("protocol").unwrap_or(protocol);
        let name = w.str("name").unwrap_or_default();
        match list
            .iter()
            .position(|m| m.str("name") == Some(name) && m.str("protocol") == Some(p))
        {
            Some(i) => {
                let mut m = list.remove(i);
                apply_update(&mut m, w);
                next.push(m);
            }
            None => {
                add(&mut next, w.clone(), protocol)?;
            }
        }
    }
    *list = next;
    Ok(())
}

/// PUT updates only the mapper type and (wholesale) its config.
fn apply_update(m: &mut Obj, rep: &Obj) {
    if let Some(t) = rep.get("protocolMapper").filter(|v| !v.is_null()) {
        m.insert("protocolMapper".into(), t.clone());
    }
    m.insert(
        "config".into(),
        rep.get("config").cloned().unwrap_or(json!({})),
    );
    normalise_config(m);
}

/// Owner of a mapper list: a client or a client scope.
#[derive(Clone, Copy)]
enum Owner {
    Client,
    Scope,
}

fn mappers<'a>(
    admin: &Admin,
    realm: &'a mut Realm,
    owner: Owner,
    id: &str,
) -> ApiResult<(&'a mut Vec<Obj>, String)> {
    match owner {
        Owner::Client => {
            crate::clients::find(admin, realm, id)?;
            let c = realm.clients.get_mut(id).expect("found");
            let p = c.protocol().to_string();
            Ok((&mut c.mappers, p))
        }
        Owner::Scope => {
            let s = realm
                .scopes
                .get_mut(id)
                .ok_or_else(|| ApiError::not_found("Could not find client scope"))?;
            let p = s
                .rep
                .str("protocol")
                .unwrap_or("openid-connect")
                .to_string();
            Ok((&mut s.mappers, p))
        }
    }
}

pub fn routes() -> Router<Arc<crate::app::App>> {
    let mut r = Router::new();
    for (base, owner) in [
        (
            "/admin/realms/{realm}/clients/{id}/protocol-mappers",
            Owner::Client,
        ),
        (
            "/admin/realms/{realm}/client-scopes/{id}/protocol-mappers",
            Owner::Scope,
        ),
    ] {
        r = r
            .route(
                &format!("{base}/models"),
                get(move |a: Admin, p: Path<(String, String)>| list(a, p, owner, None)).post(
                    move |a: Admin, p: Path<(String, String)>, b: Bytes| create(a, p, b, owner),
                ),
            )
            .route(
                &format!("{base}/models/{{mapper}}"),
                get(move |a: Admin, p: Path<(String, String, String)>| get_one(a, p, owner))
                    .put(
                        move |a: Admin, p: Path<(String, String, String)>, b: Bytes| {
                            update(a, p, b, owner)
                        },
                    )
                    .delete(move |a: Admin, p: Path<(String, String, String)>| delete(a, p, owner)),
            )
            .route(
                &format!("{base}/add-models"),
                post(move |a: Admin, p: Path<(String, String)>, b: Bytes| {
                    add_models(a, p, b, owner)
                }),
            )
            .route(
                &format!("{base}/protocol/{{protocol}}"),
                get(
                    move |a: Admin, Path((r, id, proto)): Path<(String, String, String)>| {
                        list(a, Path((r, id)), owner, Some(proto))
                    },
                ),
            );
    }
    r
}

async fn list(
    admin: Admin,
    Path((_, id)): Path<(String, String)>,
    owner: Owner,
    protocol: Option<String>,
) -> ApiResult {
    admin.write(|realm| {
        let (list, _) = mappers(&admin, realm, owner, &id)?;
        let items = list
            .iter()
            .filter(|m| {
                protocol
                    .as_deref()
                    .is_none_or(|p| m.str("protocol") == Some(p))
            })
            .map(|m| render(m, &PROTOCOL_MAPPER))
            .collect::<Vec<_>>();
        admin.require(admin.view_clients())?;
        Ok(json_list(items))
    })
}

async fn create(
    admin: Admin,
    Path((_, id)): Path<(String, String)>,
    body: Bytes,
    owner: Owner,
) -> ApiResult {
    let rep = parse_object(&body, &PROTOCOL_MAPPER)?;
    let kind = match owner {
        Owner::Client => "clients",
        Owner::Scope => "client-scopes",
    };
    let mid = admin.write(|realm| {
        let (list, protocol) = mappers(&admin, realm, owner, &id)?;
        admin.require(admin.manage_clients())?;
        add(list, rep, &protocol)
    })?;
    Ok(created(admin.location(&format!(
        "{kind}/{id}/protocol-mappers/models/{mid}"
    ))))
}

/// `add-models`: the duplicate exception is not caught there, so it reaches the
/// global handler; the whole request is one transaction.
async fn add_models(
    admin: Admin,
    Path((_, id)): Path<(String, String)>,
    body: Bytes,
    owner: Owner,
) -> ApiResult {
    let reps = parse_list(&body, &PROTOCOL_MAPPER)?;
    admin.write(|realm| {
        let (list, protocol) = mappers(&admin, realm, owner, &id)?;
        admin.require(admin.manage_clients())?;
        let mut next = list.clone();
        for rep in reps {
            add(&mut next, rep, &protocol).map_err(|e| match e {
                ApiError::Message(StatusCode::CONFLICT, _) => {
                    ApiError::ModelDuplicate("Protocol mapper name must be unique per protocol")
                }
                other => other,
            })?;
        }
        *list = next;
        Ok(no_content())
    })
}

async fn get_one(
    admin: Admin,
    Path((_, id, mid)): Path<(String, String, String)>,
    owner: Owner,
) -> ApiResult {
    admin.write(|realm| {
        let (list, _) = mappers(&admin, realm, owner, &id)?;
        let m = list
            .iter()
            .find(|m| m.str("id") == Some(mid.as_str()))
            .ok_or_else(|| ApiError::not_found("Model not found"))?;
        let out = render(m, &PROTOCOL_MAPPER);
        admin.require(admin.view_clients())?;
        Ok(json_response(out))
    })
}

async fn update(
    admin: Admin,
    Path((_, id, mid)): Path<(String, String, String)>,
    body: Bytes,
    owner: Owner,
) -> ApiResult {
    let rep = parse_object(&body, &PROTOCOL_MAPPER)?;
    admin.write(|realm| {
        let (list, _) = mappers(&admin, realm, owner, &id)?;
        admin.require(admin.manage_clients())?;
        if !list.iter().any(|m| m.str("id") == Some(mid.as_str())) {
            return Err(ApiError::not_found("Model not found"));
        }
        // The model updated is the one named by the body's id (inferred from
        // ClientAdapter.updateProtocolMapper): none → null lookup → 500.
        let target = rep
            .str("id")
            .ok_or_else(|| ApiError::Server("protocol mapper id is null".into()))?;
        let m = list
            .iter_mut()
            .find(|m| m.str("id") == Some(target))
            .ok_or_else(|| ApiError::Server(format!("protocol mapper {target} not found")))?;
        apply_update(m, &rep);
        Ok(no_content())
    })
}

async fn delete(
    admin: Admin,
    Path((_, id, mid)): Path<(String, String, String)>,
    owner: Owner,
) -> ApiResult {
    admin.write(|realm| {
        let (list, _) = mappers(&admin, realm, owner, &id)?;
        admin.require(admin.manage_clients())?;
        let before = list.len();
        list.retain(|m| m.str("id") != Some(mid.as_str()));
        if list.len() == before {
            return Err(ApiError::not_found("Model not found"));
        }
        Ok(no_content())
    })
}
