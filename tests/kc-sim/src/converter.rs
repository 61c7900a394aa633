//! `POST /client-description-converter` (§7.4): SAML SP metadata, OIDC
//! dynamic-registration JSON or a Keycloak client JSON → ClientRepresentation.

use crate::auth::Admin;
use crate::errors::{ApiError, ApiResult};
use crate::http::json_response;
use crate::json::{Obj, coerce_lenient, render};
use crate::repr::CLIENT;
use crate::xml::{self, Element};
use axum::body::Bytes;
use axum::http::StatusCode;
use serde_json::{Value, json};

pub async fn convert(admin: Admin, body: Bytes) -> ApiResult {
    admin.require(admin.manage_clients())?;
    let text = String::from_utf8_lossy(&body).trim().to_string();
    let unsupported = || ApiError::Jaxrs(StatusCode::BAD_REQUEST, "Unsupported format".into());
    if text.starts_with('<') && text.ends_with('>') && text.contains("EntityDescriptor") {
        return Ok(json_response(saml(&text)?));
    }
    let v: Value = serde_json::from_str(&text).map_err(|_| unsupported())?;
    let o = v.as_object().ok_or_else(unsupported)?;
    if o.contains_key("redirect_uris")
        || o.contains_key("client_name")
        || o.contains_key("client_id")
    {
        return Ok(json_response(oidc(o)));
    }
    if o.contains_key("clientId") {
        return Ok(json_response(render(&coerce_lenient(&v, &CLIENT), &CLIENT)));
    }
    Err(unsupported())
}

/// OIDC dynamic client registration metadata (the common fields).
fn oidc(o: &serde_json::Map<String, Value>) -> Value {
    let mut m = Obj::new();
    if let Some(id) = o.get("client_id") {
        m.insert("clientId".into(), id.clone());
    }
    if let Some(n) = o.get("client_name") {
        m.insert("name".into(), n.clone());
    }
    m.insert(
        "redirectUris".into(),
        o.get("redirect_uris").cloned().unwrap_or(json!([])),
    );
    m.insert("protocol".into(), json!("openid-connect"));
    let auth = o
        .get("token_endpoint_auth_method")
        .and_then(Value::as_str)
        .unwrap_or("client_secret_basic");
    m.insert("publicClient".into(), json!(auth == "none"));
    if let Some(s) = o.get("client_secret") {
        m.insert("secret".into(), s.clone());
    }
    render(&m, &CLIENT)
}

/// `EntityDescriptorClientDescriptionConverter`.
fn saml(text: &str) -> ApiResult<Value> {
    let bad = |m: &str| ApiError::Server(m.to_string());
    let root = xml::parse(text).map_err(|e| bad(&e))?;
    let entity = if root.name == "EntitiesDescriptor" {
        let all = root.find_all("EntityDescriptor");
        if all.len() != 1 {
            return Err(bad("Expected one entity descriptor"));
        }
        all[0]
    } else {
        &root
    };
    let sp = entity
        .child("SPSSODescriptor")
        .ok_or_else(|| bad("Could not find SP SSO descriptor"))?;
    let mut attrs = Obj::new();
    let mut put = |k: &str, v: &str| {
        attrs.insert(k.to_string(), json!(v));
    };
    put("saml.server.signature", "true");
    put("saml.server.signature.keyinfo.ext", "false");
    put("saml.signature.algorithm", "RSA_SHA256");
    put("saml.authnstatement", "true");
    if sp.attr("WantAssertionsSigned") == Some("true") {
        put("saml.assertion.signature", "true");
    }
    let loc = |list: &[&Element], binding: &str| {
        list.iter()
            .find(|e| e.attr("Binding").is_some_and(|b| b.ends_with(binding)))
            .and_then(|e| e.attr("Location"))
            .map(str::to_string)
    };
    let slo: Vec<&Element> = sp.children_named("SingleLogoutService").collect();
    for (binding, key) in [
        ("HTTP-POST", "saml_single_logout_service_url_post"),
        ("HTTP-Redirect", "saml_single_logout_service_url_redirect"),
        ("SOAP", "saml_single_logout_service_url_soap"),
    ] {
        if let Some(l) = loc(&slo, binding) {
            put(key, &l);
        }
    }
    let acs: Vec<&Element> = sp.children_named("AssertionConsumerService").collect();
    for (binding, key) in [
        ("HTTP-POST", "saml_assertion_consumer_url_post"),
        ("HTTP-Redirect", "saml_assertion_consumer_url_redirect"),
        ("HTTP-Artifact", "saml_artifact_binding_url"),
    ] {
        if let Some(l) = loc(&acs, binding) {
            put(key, &l);
        }
    }
    let ars: Vec<&Element> = sp.children_named("ArtifactResolutionService").collect();
    if let Some(l) = loc(&ars, "SOAP") {
        put("saml_artifact_resolution_service_url", &l);
    }
    if let Some(f) = sp.child("NameIDFormat") {
        let format = f.text.trim();
        let short = if format.ends_with(":emailAddress") {
            "email"
        } else if format.ends_with(":persistent") {
            "persistent"
        } else if format.ends_with(":transient") {
            "transient"
        } else {
            "username"
        };
        put("saml_name_id_format", short);
    }
    for (name, key) in [("Logo", "logoUri"), ("PrivacyStatementURL", "policyUri")] {
        if let Some(e) = sp.find_all(name).first() {
            put(key, e.text.trim());
        }
    }
    for kd in sp.children_named("KeyDescriptor") {
        let Some(cert) = kd
            .find_all("X509Certificate")
            .first()
            .map(|e| xml::compact(&e.text))
        else {
            continue;
        };
        match kd.attr("use") {
            Some("encryption") => {
                put("saml.encrypt", "true");
                put("saml.encryption.certificate", &cert);
            }
            _ => {
                put("saml.client.signature", "true");
                put("saml.signing.certificate", &cert);
            }
        }
    }
    let redirects: Vec<&str> = acs.iter().filter_map(|e| e.attr("Location")).collect();
    let mappers: Vec<Value> = sp
        .find_all("RequestedAttribute")
        .into_iter()
        .map(|a| {
            let name = a.attr("Name").unwrap_or_default();
            let format = match a.attr("NameFormat") {
                Some(f) if f.ends_with(":uri") => "URI Reference",
                Some(f) if f.ends_with(":basic") => "Basic",
                _ => "Unspecified",
            };
            json!({ "name": name, "protocol": "saml", "protocolMapper": "saml-user-attribute-mapper", "consentRequired": false,
                "config": { "attribute.name": name, "attribute.nameformat": format, "friendly.name": a.attr("FriendlyName").unwrap_or_default(), "user.attribute": name } })
        })
        .collect();
    let mut m = Obj::new();
    m.insert(
        "clientId".into(),
        json!(entity.attr("entityID").unwrap_or_default()),
    );
    m.insert("redirectUris".into(), json!(redirects));
    m.insert("protocol".into(), json!("saml"));
    m.insert("attributes".into(), Value::Object(attrs));
    m.insert("fullScopeAllowed".into(), json!(true));
    if !mappers.is_empty() {
        m.insert("protocolMappers".into(), Value::Array(mappers));
    }
    Ok(render(&m, &CLIENT))
}
