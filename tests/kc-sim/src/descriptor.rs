//! Public realm endpoints: the SAML IdP descriptor (§7.1), OIDC discovery and
//! JWKS (§7.2), and the published realm.

use crate::app::App;
use crate::auth::{base_url, issuer};
use crate::errors::{ApiError, ApiResult};
use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use std::sync::Arc;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/realms/{realm}", get(published))
        .route(
            "/realms/{realm}/.well-known/openid-configuration",
            get(discovery),
        )
        .route("/realms/{realm}/protocol/openid-connect/certs", get(certs))
        .route(
            "/realms/{realm}/protocol/saml/descriptor",
            get(saml_descriptor),
        )
        .route(
            "/realms/{realm}/protocol/openid-connect/token",
            axum::routing::post(crate::auth::token),
        )
        .route(
            "/realms/{realm}/protocol/openid-connect/logout",
            axum::routing::post(crate::auth::logout),
        )
}

fn no_realm() -> ApiError {
    ApiError::not_found("Realm does not exist")
}

const SAML_BINDING: &str = "urn:oasis:names:tc:SAML:2.0:bindings:";

/// The IdP descriptor exactly as Keycloak writes it: a default and an `md`
/// declaration of the metadata namespace, unused `saml` prefix, explicit end
/// tags, no prologue, and differently ordered SLO and SSO binding lists.
pub fn idp_descriptor(base: &str, realm: &str, signing: &[(String, String)]) -> String {
    let iss = issuer(base, realm);
    let endpoint = format!("{iss}/protocol/saml");
    let mut x = String::with_capacity(4096);
    x.push_str(&format!(
        "<md:EntityDescriptor xmlns=\"urn:oasis:names:tc:SAML:2.0:metadata\" xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" \
         xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" entityID=\"{iss}\">"
    ));
    x.push_str("<md:IDPSSODescriptor WantAuthnRequestsSigned=\"true\" protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">");
    for (kid, cert) in signing {
        x.push_str(&format!(
            "<md:KeyDescriptor use=\"signing\"><ds:KeyInfo><ds:KeyName>{kid}</ds:KeyName><ds:X509Data>\
             <ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
        ));
    }
    x.push_str(&format!(
        "<md:ArtifactResolutionService Binding=\"{SAML_BINDING}SOAP\" Location=\"{endpoint}/resolve\" index=\"0\"></md:ArtifactResolutionService>"
    ));
    for b in ["HTTP-POST", "HTTP-Redirect", "HTTP-Artifact", "SOAP"] {
        x.push_str(&format!("<md:SingleLogoutService Binding=\"{SAML_BINDING}{b}\" Location=\"{endpoint}\"></md:SingleLogoutService>"));
    }
    for f in [
        "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
        "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
        "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
        "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
    ] {
        x.push_str(&format!("<md:NameIDFormat>{f}</md:NameIDFormat>"));
    }
    for b in ["HTTP-POST", "HTTP-Redirect", "SOAP", "HTTP-Artifact"] {
        x.push_str(&format!("<md:SingleSignOnService Binding=\"{SAML_BINDING}{b}\" Location=\"{endpoint}\"></md:SingleSignOnService>"));
    }
    x.push_str("</md:IDPSSODescriptor></md:EntityDescriptor>");
    x
}

async fn saml_descriptor(
    State(app): State<Arc<App>>,
    Path(realm): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    let store = app.read();
    let r = store.realms.get(&realm).ok_or_else(no_realm)?;
    // Keycloak logs the failure and returns an empty string with status 200.
    let body = if app.faults.get().descriptor_fails {
        String::new()
    } else {
        let keys = crate::key_providers::descriptor_keys(&app, r);
        idp_descriptor(&base_url(&headers), &realm, &keys)
    };
    Ok((
        [
            (header::CONTENT_TYPE, "application/xml;charset=UTF-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response())
}

async fn certs(State(app): State<Arc<App>>, Path(realm): Path<String>) -> ApiResult {
    let store = app.read();
    let r = store.realms.get(&realm).ok_or_else(no_realm)?;
    Ok(Json(crate::key_providers::jwks(&app, r)).into_response())
}

async fn published(
    State(app): State<Arc<App>>,
    Path(realm): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    let store = app.read();
    let r = store.realms.get(&realm).ok_or_else(no_realm)?;
    let iss = issuer(&base_url(&headers), &realm);
    let body = json!({
        "realm": realm,
        "public_key": crate::key_providers::signer(&app, r).public_b64,
        "token-service": format!("{iss}/protocol/openid-connect"),
        "account-service": format!("{iss}/account"),
        "tokens-not-before": 0,
    });
    Ok(Json(body).into_response())
}

async fn discovery(
    State(app): State<Arc<App>>,
    Path(realm): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if !app.read().realms.contains_key(&realm) {
        return Err(no_realm());
    }
    let iss = issuer(&base_url(&headers), &realm);
    let oidc = format!("{iss}/protocol/openid-connect");
    let body = json!({
        "issuer": iss,
        "authorization_endpoint": format!("{oidc}/auth"),
        "token_endpoint": format!("{oidc}/token"),
        "introspection_endpoint": format!("{oidc}/token/introspect"),
        "userinfo_endpoint": format!("{oidc}/userinfo"),
        "end_session_endpoint": format!("{oidc}/logout"),
        "frontchannel_logout_session_supported": true,
        "frontchannel_logout_supported": true,
        "jwks_uri": format!("{oidc}/certs"),
        "check_session_iframe": format!("{oidc}/login-status-iframe.html"),
        "grant_types_supported": ["authorization_code", "client_credentials", "implicit", "password", "refresh_token",
            "urn:ietf:params:oauth:grant-type:device_code", "urn:ietf:params:oauth:grant-type:token-exchange",
            "urn:ietf:params:oauth:grant-type:uma-ticket", "urn:openid:params:grant-type:ciba"],
        "acr_values_supported": ["0", "1"],
        "response_types_supported": ["code", "none", "id_token", "token", "id_token token", "code id_token", "code token", "code id_token token"],
        "subject_types_supported": ["public", "pairwise"],
        "prompt_values_supported": ["none", "login", "consent"],
        "id_token_signing_alg_values_supported": ["PS384", "RS384", "EdDSA", "ES384", "HS256", "HS512", "ES256", "RS256", "HS384", "ES512", "PS256", "PS512", "RS512"],
        "userinfo_signing_alg_values_supported": ["PS384", "RS384", "EdDSA", "ES384", "HS256", "HS512", "ES256", "RS256", "HS384", "ES512", "PS256", "PS512", "RS512", "none"],
        "response_modes_supported": ["query", "fragment", "form_post", "query.jwt", "fragment.jwt", "form_post.jwt", "jwt"],
        "registration_endpoint": format!("{iss}/clients-registrations/openid-connect"),
        "token_endpoint_auth_methods_supported": ["private_key_jwt", "client_secret_basic", "client_secret_post", "tls_client_auth", "client_secret_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["PS384", "RS384", "EdDSA", "ES384", "HS256", "HS512", "ES256", "RS256", "HS384", "ES512", "PS256", "PS512", "RS512"],
        "claims_supported": ["aud", "sub", "iss", "auth_time", "name", "given_name", "family_name", "preferred_username", "email", "acr"],
        "claim_types_supported": ["normal"],
        "claims_parameter_supported": true,
        "scopes_supported": ["openid", "phone", "basic", "address", "organization", "offline_access", "service_account", "web-origins", "microprofile-jwt", "roles", "acr", "email", "profile"],
        "request_parameter_supported": true,
        "request_uri_parameter_supported": true,
        "require_request_uri_registration": true,
        "code_challenge_methods_supported": ["plain", "S256"],
        "tls_client_certificate_bound_access_tokens": true,
        "revocation_endpoint": format!("{oidc}/revoke"),
        "backchannel_logout_supported": true,
        "backchannel_logout_session_supported": true,
        "device_authorization_endpoint": format!("{oidc}/auth/device"),
        "pushed_authorization_request_endpoint": format!("{oidc}/ext/par/request"),
        "require_pushed_authorization_requests": false,
    });
    Ok(Json(body).into_response())
}
