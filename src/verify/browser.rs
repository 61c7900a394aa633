//! Keycloak's sign-in pages driven the way a browser drives them: cookies, redirects within
//! Keycloak, the login form's action URL. Whatever leaves Keycloak (a redirect to the
//! partner, a form that would POST to the partner's ACS) is captured and never followed or
//! sent. Cookies and the password go to Keycloak's origin only.

use std::collections::BTreeMap;

use reqwest::{Method, StatusCode, header};
use url::Url;

use super::error::VerifyError;
use crate::http::read_body;
use crate::keycloak::admin::secret::Secret;

/// Sign-in pages are small; past this it is not one.
const MAX_PAGE_BYTES: u64 = 4 * 1024 * 1024;
/// Redirects followed within Keycloak before giving up (a loop).
const MAX_REDIRECTS: usize = 10;

/// Where a sign-in ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Landing {
    /// An auto-submitting form that would POST a SAML Response (the HTTP-POST binding).
    SamlPost {
        action: String,
        response: String,
        relay_state: Option<String>,
    },
    /// A redirect out of Keycloak (to the partner's redirect URI).
    Left(Url),
    /// A Keycloak page: the login form, an error, a required action.
    Page { status: u16, html: String },
}

/// What one sign-in came to once Keycloak decided: what it issued (a SAML Response, an ID
/// token), or its refusal page's message.
pub enum SignIn<T> {
    Issued(T),
    Refused(String),
}

pub struct Browser {
    http: reqwest::Client,
    origin: url::Origin,
    cookies: BTreeMap<String, String>,
}

impl Browser {
    /// `http` must not follow redirects (the admin connection's client does not).
    pub fn new(http: reqwest::Client, server: &Url) -> Browser {
        Browser {
            http,
            origin: server.origin(),
            cookies: BTreeMap::new(),
        }
    }

    pub async fn get(&mut self, url: Url) -> Result<Landing, VerifyError> {
        self.navigate(Method::GET, url, &[]).await
    }

    pub async fn post(&mut self, url: Url, form: &[(&str, &str)]) -> Result<Landing, VerifyError> {
        self.navigate(Method::POST, url, form).await
    }

    /// Fills in the login form of `page` with the user's name and password and submits it.
    /// `Err` with the reason when the page has no login form or the form refuses the user.
    pub async fn sign_in(
        &mut self,
        page: &Landing,
        username: &str,
        password: &Secret,
    ) -> Result<Landing, String> {
        let Landing::Page { html, .. } = page else {
            return Err("Keycloak did not show its login form (no sign-in was asked for)".into());
        };
        let action = login_action(html).ok_or_else(|| {
            format!(
                "Keycloak did not show its login form: {}",
                page_message(html)
            )
        })?;
        let action = Url::parse(&action).map_err(|e| format!("login form action: {e}"))?;
        if action.origin() != self.origin {
            return Err(format!(
                "the login form posts to {}, not to Keycloak: the password was not sent",
                action.origin().ascii_serialization()
            ));
        }
        let form = [
            ("username", username),
            ("password", password.expose()),
            ("credentialId", ""),
        ];
        let landing = self.post(action, &form).await.map_err(|e| e.to_string())?;
        if let Landing::Page { html, .. } = &landing
            && login_action(html).is_some()
        {
            return Err(format!(
                "Keycloak refused {username}'s password: {}",
                page_message(html)
            ));
        }
        Ok(landing)
    }

    async fn navigate(
        &mut self,
        mut method: Method,
        mut url: Url,
        form: &[(&str, &str)],
    ) -> Result<Landing, VerifyError> {
        for _ in 0..MAX_REDIRECTS {
            let mut request = self.http.request(method.clone(), url.clone());
            if !self.cookies.is_empty() {
                request = request.header(header::COOKIE, self.cookie_header());
            }
            if method == Method::POST {
                request = request.form(form);
            }
            let response = request
                .send()
                .await
                .map_err(|e| VerifyError::transport(&url, &e))?;
            self.store_cookies(&response);
            let status = response.status();
            if status.is_redirection() {
                let next = location(&response, &url)?;
                if next.origin() != self.origin {
                    return Ok(Landing::Left(next));
                }
                url = next;
                method = Method::GET;
                continue;
            }
            let body =
                read_body(response, MAX_PAGE_BYTES)
                    .await
                    .map_err(|e| VerifyError::Page {
                        url: url.to_string(),
                        reason: e.to_string(),
                    })?;
            let html = String::from_utf8_lossy(&body).into_owned();
            return Ok(saml_post(&html).unwrap_or(Landing::Page {
                status: status.as_u16(),
                html,
            }));
        }
        Err(VerifyError::Page {
            url: url.to_string(),
            reason: format!("more than {MAX_REDIRECTS} redirects"),
        })
    }

    fn cookie_header(&self) -> String {
        (self.cookies.iter())
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Keeps `name=value` of every `Set-Cookie`; an empty value or `Max-Age=0` deletes.
    /// Paths and expiry beyond that do not matter: one sign-in lasts seconds, on one origin.
    fn store_cookies(&mut self, response: &reqwest::Response) {
        for value in response.headers().get_all(header::SET_COOKIE) {
            let Ok(text) = value.to_str() else { continue };
            let mut parts = text.split(';');
            let Some((name, value)) = parts.next().and_then(|p| p.split_once('=')) else {
                continue;
            };
            let expired = parts.any(|p| p.trim().eq_ignore_ascii_case("max-age=0"));
            if value.is_empty() || expired {
                self.cookies.remove(name.trim());
            } else {
                self.cookies
                    .insert(name.trim().to_owned(), value.trim().to_owned());
            }
        }
    }
}

fn location(response: &reqwest::Response, base: &Url) -> Result<Url, VerifyError> {
    let bad = |reason: &str| VerifyError::Page {
        url: base.to_string(),
        reason: reason.to_owned(),
    };
    let value = response
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| bad("a redirect without Location"))?;
    base.join(value)
        .map_err(|e| bad(&format!("redirect to {value:?}: {e}")))
}

/// Whether a status is what Keycloak answers for a refused user (its error page).
pub fn is_refusal(status: u16) -> bool {
    status == StatusCode::UNAUTHORIZED.as_u16() || status == StatusCode::FORBIDDEN.as_u16()
}

/// The `action` of Keycloak's login form (`id="kc-form-login"`).
fn login_action(html: &str) -> Option<String> {
    let form = start_tags(html, "form")
        .find(|tag| attribute(tag, "id") == Some("kc-form-login".into()))?;
    attribute(form, "action")
}

/// The auto-post form of the SAML HTTP-POST binding, if the page is one.
fn saml_post(html: &str) -> Option<Landing> {
    let input = |name: &str| {
        start_tags(html, "input")
            .find(|tag| attribute(tag, "name").as_deref() == Some(name))
            .and_then(|tag| attribute(tag, "value"))
    };
    let response = input("SAMLResponse")?;
    let action = start_tags(html, "form")
        .find_map(|tag| attribute(tag, "action"))
        .unwrap_or_default();
    Some(Landing::SamlPost {
        action,
        response,
        relay_state: input("RelayState"),
    })
}

/// What a Keycloak page says: its title and message (error pages, the login form's error).
pub fn page_message(html: &str) -> String {
    let mut parts = Vec::new();
    for marker in [
        "id=\"kc-page-title\"",
        "class=\"instruction\"",
        "id=\"input-error\"",
        "class=\"kc-feedback-text\"",
    ] {
        if let Some(text) = element_text(html, marker) {
            parts.push(text);
        }
    }
    if parts.is_empty() {
        "an unexpected page".into()
    } else {
        parts.join(": ")
    }
}

/// The text of the element whose start tag contains `marker`, tags stripped, whitespace
/// collapsed.
fn element_text(html: &str, marker: &str) -> Option<String> {
    let at = html.find(marker)?;
    let rest = &html[at..];
    let body = &rest[rest.find('>')? + 1..];
    let end = body.find("</")?;
    let text = unescape(&strip_tags(&body[..end]));
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (!text.is_empty()).then_some(text)
}

fn strip_tags(html: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for c in html.chars() {
        match c {
            '<' => inside = true,
            '>' => inside = false,
            c if !inside => out.push(c),
            _ => {}
        }
    }
    out
}

/// The start tags `<name …>` of a page, as text.
fn start_tags<'a>(html: &'a str, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    html.match_indices('<').filter_map(move |(at, _)| {
        let tag = &html[at..];
        let next = tag[1..].strip_prefix(name)?.chars().next()?;
        if !next.is_whitespace() && next != '>' && next != '/' {
            return None;
        }
        Some(&tag[..tag.find('>')? + 1])
    })
}

/// A double-quoted attribute of a start tag, HTML entities decoded.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let needle = format!(" {name}=\"");
    let start = tag.find(&needle)? + needle.len();
    let end = tag[start..].find('"')? + start;
    Some(unescape(&tag[start..end]))
}

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#x3D;", "=")
        .replace("&#61;", "=")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_login_forms_action_is_read_and_unescaped() {
        let html = r#"<form id="kc-form-login" class="x" action="http://kc/realms/r/login-actions/authenticate?session_code=a&amp;execution=b" method="post">"#;
        assert_eq!(
            login_action(html).unwrap(),
            "http://kc/realms/r/login-actions/authenticate?session_code=a&execution=b"
        );
        assert_eq!(login_action("<form id=\"other\" action=\"x\">"), None);
    }

    #[test]
    fn the_saml_post_form_is_captured_not_submitted() {
        let html = r#"<form name="saml-post-binding" method="post" action="https://sp/acs"><input type="hidden" name="SAMLResponse" value="PHg+"/><input type="hidden" name="RelayState" value="r&amp;1"/>"#;
        assert_eq!(
            saml_post(html),
            Some(Landing::SamlPost {
                action: "https://sp/acs".into(),
                response: "PHg+".into(),
                relay_state: Some("r&1".into()),
            })
        );
    }

    #[test]
    fn the_error_page_says_why() {
        let html = "<h1 class=\"t\" id=\"kc-page-title\">        We are sorry...\n</h1><p class=\"instruction\">Access denied</p>";
        assert_eq!(page_message(html), "We are sorry...: Access denied");
    }
}
