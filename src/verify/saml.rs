//! Obtaining a SAML Response from Keycloak for a partner's client, as the partner's users
//! would: SP-initiated with an unsigned AuthnRequest (HTTP-POST binding), or IdP-initiated
//! through the client's IdP-initiated SSO URL name. The Response is captured from the
//! auto-post form and never sent to the partner's ACS.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use url::Url;

use super::browser::{Browser, Landing, SignIn, is_refusal, page_message};
use super::saml_response::{self, Signed};
use super::users::random_hex;
use crate::keycloak::admin::connection::join;
use crate::keycloak::admin::secret::Secret;
use crate::x509::CertInfo;

/// How to ask Keycloak for a Response.
#[derive(Debug, Clone)]
pub enum Start<'a> {
    /// An unsigned AuthnRequest from `entity_id`, asking for the Response at `acs`.
    SpInitiated { entity_id: &'a str, acs: &'a str },
    /// `{realm}/protocol/saml/clients/{url_name}`.
    IdpInitiated { url_name: &'a str },
}

/// What Keycloak issued to a user it admitted.
pub struct Issued {
    /// Where the auto-post form would send the Response.
    pub action: String,
    /// The Response, decoded.
    pub xml: Vec<u8>,
    /// The AuthnRequest's ID (SP-initiated).
    pub request_id: Option<String>,
}

/// Signs `username` in to the SAML client through Keycloak's pages. `Err` is a reason: the
/// sign-in went wrong before Keycloak decided (wrong password, an unexpected page).
pub async fn sign_in(
    http: reqwest::Client,
    realm_url: &Url,
    start: &Start<'_>,
    username: &str,
    password: &Secret,
) -> Result<SignIn<Issued>, String> {
    let mut browser = Browser::new(http, realm_url);
    let endpoint = join(realm_url, &["protocol", "saml"]);
    let (first, request_id) = match start {
        Start::SpInitiated { entity_id, acs } => {
            let id = format!("_fedctl-verify-{}", random_hex());
            let request = authn_request(&id, entity_id, acs, endpoint.as_str());
            let encoded = STANDARD.encode(request);
            let relay_state = random_hex();
            let form = [
                ("SAMLRequest", encoded.as_str()),
                ("RelayState", &relay_state),
            ];
            (browser.post(endpoint, &form).await, Some(id))
        }
        Start::IdpInitiated { url_name } => {
            let url = join(realm_url, &["protocol", "saml", "clients", url_name]);
            (browser.get(url).await, None)
        }
    };
    let first = first.map_err(|e| e.to_string())?;
    match browser.sign_in(&first, username, password).await? {
        Landing::SamlPost {
            action, response, ..
        } => {
            let xml = STANDARD
                .decode(response.trim())
                .map_err(|e| format!("the SAMLResponse is not base64: {e}"))?;
            Ok(SignIn::Issued(Issued {
                action,
                xml,
                request_id,
            }))
        }
        Landing::Page { status, html } if is_refusal(status) => {
            Ok(SignIn::Refused(page_message(&html)))
        }
        Landing::Page { status, html } => Err(format!(
            "after the password Keycloak showed a page ({status}) instead of a Response: {}",
            page_message(&html)
        )),
        Landing::Left(url) => Err(format!(
            "Keycloak redirected to {} instead of posting a Response",
            url.origin().ascii_serialization()
        )),
    }
}

/// Signs `username` in to the SAML client `entity_id` (SP-initiated, Response to `acs`) and
/// verifies the Response's signature against `signers` (our IdP metadata's certificates).
/// The public entry point for other checks (a key rollover's test): `Err` is the reason.
pub async fn signed_response(
    http: reqwest::Client,
    realm_url: &Url,
    entity_id: &str,
    acs: &str,
    username: &str,
    password: &Secret,
    signers: &[CertInfo],
) -> Result<Signed, String> {
    let start = Start::SpInitiated { entity_id, acs };
    match sign_in(http, realm_url, &start, username, password).await? {
        SignIn::Issued(issued) => saml_response::verify_signature(&issued.xml, signers),
        SignIn::Refused(message) => Err(format!("Keycloak refused {username}: {message}")),
    }
}

/// An unsigned AuthnRequest for the HTTP-POST binding.
fn authn_request(id: &str, entity_id: &str, acs: &str, destination: &str) -> String {
    let now = OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| OffsetDateTime::now_utc());
    let instant = now.format(&Rfc3339).unwrap_or_default();
    format!(
        "<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" \
         xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"{}\" Version=\"2.0\" \
         IssueInstant=\"{instant}\" Destination=\"{}\" AssertionConsumerServiceURL=\"{}\" \
         ProtocolBinding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\">\
         <saml:Issuer>{}</saml:Issuer></samlp:AuthnRequest>",
        escape(id),
        escape(destination),
        escape(acs),
        escape(entity_id)
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_authn_request_escapes_what_it_is_given() {
        let xml = authn_request(
            "_1",
            "https://sp/?a=1&b=\"2\"",
            "https://sp/acs",
            "https://idp",
        );
        assert!(
            xml.contains("<saml:Issuer>https://sp/?a=1&amp;b=&quot;2&quot;</saml:Issuer>"),
            "{xml}"
        );
        assert!(crate::verify::xml_tree::parse(xml.as_bytes()).is_ok());
    }
}
