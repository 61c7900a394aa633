//! `GET /clients/{id}/installation/providers/{provider}`: the adapter configurations
//! and descriptors the admin console offers for download. Keycloak offers every
//! provider for every client, whatever its protocol, as `text/plain` (`mod-auth-mellon`
//! as a zip); the layouts below are those of Keycloak 26.4.7 and 26.7.3.

use crate::auth::Admin;
use crate::clients::find;
use crate::errors::{ApiError, ApiResult};
use crate::json::ObjExt;
use crate::state::{Client, Realm};
use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

const SAML_BINDING: &str = "urn:oasis:names:tc:SAML:2.0:bindings:";
/// Where Keycloak's SP descriptor names an endpoint the client does not have.
const NOT_SET: &str = "ERROR:ENDPOINT_NOT_SET";

pub async fn installation(
    admin: Admin,
    Path((_, id, provider)): Path<(String, String, String)>,
) -> ApiResult {
    admin.read(|realm| {
        let c = find(&admin, realm, &id)?;
        admin.require(admin.view_clients())?;
        let text = |body: String| ([(header::CONTENT_TYPE, "text/plain")], body).into_response();
        match provider.as_str() {
            "keycloak-oidc-keycloak-json" => {
                Ok(text(jackson_pretty(&adapter_json(&admin.base, realm, c))))
            }
            "keycloak-oidc-jboss-subsystem" => Ok(text(jboss_subsystem(&admin.base, realm, c))),
            "saml-sp-descriptor" => Ok(text(sp_descriptor(c))),
            "mod-auth-mellon" => Ok(mellon(&admin, realm, c)),
            _ => Err(ApiError::not_found("Unknown Provider")),
        }
    })
}

/// The OIDC adapter's `keycloak.json`.
fn adapter_json(base: &str, realm: &Realm, c: &Client) -> Value {
    let mut v = json!({
        "realm": realm.name,
        "auth-server-url": format!("{base}/"),
        "ssl-required": ssl_required(realm),
        "resource": c.client_id(),
    });
    match access(c) {
        Access::Public => v["public-client"] = json!(true),
        Access::BearerOnly => v["bearer-only"] = json!(true),
        Access::Secret(s) => v["credentials"] = json!({ "secret": s }),
    }
    v["confidential-port"] = json!(0);
    v
}

enum Access<'a> {
    Public,
    BearerOnly,
    Secret(&'a str),
}

fn access(c: &Client) -> Access<'_> {
    if c.flag("publicClient") {
        Access::Public
    } else if c.flag("bearerOnly") {
        Access::BearerOnly
    } else {
        Access::Secret(c.rep.str("secret").unwrap_or_default())
    }
}

fn ssl_required(realm: &Realm) -> String {
    realm
        .settings
        .str("sslRequired")
        .unwrap_or("external")
        .to_string()
}

/// Jackson's default pretty printer: two-space indents and ` : ` between a name and
/// its value (objects of scalars only, as the adapter JSON is).
fn jackson_pretty(v: &Value) -> String {
    fn write(v: &Value, indent: usize, out: &mut String) {
        match v {
            Value::Object(m) if !m.is_empty() => {
                out.push_str("{\n");
                for (i, (k, v)) in m.iter().enumerate() {
                    out.push_str(&"  ".repeat(indent + 1));
                    out.push_str(&format!("{} : ", json!(k)));
                    write(v, indent + 1, out);
                    out.push_str(if i + 1 < m.len() { ",\n" } else { "\n" });
                }
                out.push_str(&"  ".repeat(indent));
                out.push('}');
            }
            other => out.push_str(&other.to_string()),
        }
    }
    let mut out = String::new();
    write(v, 0, &mut out);
    out
}

/// The WildFly subsystem's `<secure-deployment>`.
fn jboss_subsystem(base: &str, realm: &Realm, c: &Client) -> String {
    let access = match access(c) {
        Access::Public => "    <public-client>true</public-client>\n".to_string(),
        Access::BearerOnly => "    <bearer-only>true</bearer-only>\n".to_string(),
        Access::Secret(s) => format!(
            "    <credential name=\"secret\">{}</credential>\n",
            xml_text(s)
        ),
    };
    format!(
        "<secure-deployment name=\"WAR MODULE NAME.war\">\n    <realm>{}</realm>\n    \
         <auth-server-url>{base}/</auth-server-url>\n    <ssl-required>{}</ssl-required>\n    \
         <resource>{}</resource>\n{access}</secure-deployment>\n",
        xml_text(&realm.name),
        ssl_required(realm).to_uppercase(),
        xml_text(c.client_id()),
    )
}

fn xml_text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The client as a SAML SP (`saml-sp-descriptor`): its signing certificate, its
/// logout and assertion-consumer URLs for its binding (POST when it forces POST
/// binding, else Redirect; OIDC clients have neither), its NameID format.
fn sp_descriptor(c: &Client) -> String {
    let attr = |k: &str| {
        c.rep
            .obj("attributes")
            .and_then(|a| a.str(k))
            .map(str::to_string)
    };
    let yes = |k: &str| attr(k).as_deref() == Some("true");
    let (binding, suffix) = if yes("saml.force.post.binding") {
        ("HTTP-POST", "post")
    } else {
        ("HTTP-Redirect", "redirect")
    };
    let url = |kind: &str| {
        attr(&format!("saml_{kind}_url_{suffix}"))
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| NOT_SET.to_string())
    };
    let mut x = format!(
        "<md:EntityDescriptor xmlns=\"urn:oasis:names:tc:SAML:2.0:metadata\" xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" \
         xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" \
         entityID=\"{}\" ID=\"ID_{}\"><md:SPSSODescriptor protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\" \
         AuthnRequestsSigned=\"{}\" WantAssertionsSigned=\"{}\">",
        xml_text(c.client_id()),
        uuid::Uuid::new_v4(),
        yes("saml.client.signature"),
        yes("saml.assertion.signature"),
    );
    if let Some(cert) = attr("saml.signing.certificate").filter(|_| c.protocol() == "saml") {
        x.push_str(&format!(
            "<md:KeyDescriptor use=\"signing\"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert}\
             </ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
        ));
    }
    x.push_str(&format!(
        "<md:SingleLogoutService Binding=\"{SAML_BINDING}{binding}\" Location=\"{}\"></md:SingleLogoutService>\
         <md:NameIDFormat>{}</md:NameIDFormat>\
         <md:AssertionConsumerService Binding=\"{SAML_BINDING}{binding}\" Location=\"{}\" isDefault=\"true\" index=\"1\">\
         </md:AssertionConsumerService></md:SPSSODescriptor></md:EntityDescriptor>",
        xml_text(&url("single_logout_service")),
        name_id_format(attr("saml_name_id_format").as_deref()),
        xml_text(&url("assertion_consumer")),
    ));
    x
}

/// The URN of a client's `saml_name_id_format` (`username` and unset: unspecified).
fn name_id_format(short: Option<&str>) -> &'static str {
    match short {
        Some("email") => "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
        Some("persistent") => "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
        Some("transient") => "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
        _ => "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
    }
}

/// `mod-auth-mellon`: a zip of one folder named after the client (`/` as `_`) with the
/// realm's IdP descriptor, the client's SP descriptor and, when the client has a
/// signing key pair, that pair as PEM files.
fn mellon(admin: &Admin, realm: &Realm, c: &Client) -> Response {
    let dir = c.client_id().replace('/', "_");
    let idp = crate::descriptor::idp_descriptor(
        &admin.base,
        &realm.name,
        &crate::key_providers::descriptor_keys(&admin.app, realm),
    );
    let mut files = vec![
        (format!("{dir}/idp-metadata.xml"), idp),
        (format!("{dir}/sp-metadata.xml"), sp_descriptor(c)),
    ];
    let attr = |k: &str| c.rep.obj("attributes").and_then(|a| a.str(k));
    if let (Some(key), Some(cert)) = (
        attr("saml.signing.private.key"),
        attr("saml.signing.certificate"),
    ) {
        files.push((
            format!("{dir}/client-private-key.pem"),
            pem("PRIVATE KEY", key),
        ));
        files.push((format!("{dir}/client-cert.pem"), pem("CERTIFICATE", cert)));
    }
    let zip = crate::zip::stored(&files);
    ([(header::CONTENT_TYPE, "application/zip")], zip).into_response()
}

fn pem(label: &str, b64: &str) -> String {
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|l| std::str::from_utf8(l).unwrap_or_default())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}
