//! The one rule for every URL fedctl writes into Keycloak (assertion consumer, logout and
//! redirect URLs), whatever its source, a record or partner metadata: absolute, https (plain
//! http only to this machine), and no user name or password in it. Also the redaction that
//! keeps credentials written into any URL out of messages and reports.

use std::borrow::Cow;
use std::net::IpAddr;

use url::{Host, Url};

/// Why a URL is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UrlProblem {
    #[error("is not an absolute URL")]
    NotAbsolute,
    #[error("must use https")]
    NotHttps,
    #[error("carries a user name or password")]
    Credentials,
}

impl UrlProblem {
    /// What to write instead.
    pub fn help(self) -> &'static str {
        match self {
            UrlProblem::NotAbsolute => {
                "write the full URL, e.g. \"https://app.partner.example.org/saml/acs\""
            }
            UrlProblem::NotHttps => {
                "use https; plain http is allowed only for localhost, 127.0.0.0/8 and [::1]"
            }
            UrlProblem::Credentials => {
                "credentials never belong in a URL: they end up in logs, reports and Keycloak"
            }
        }
    }
}

/// Checks `value` against the rule. `private_scheme` also admits the private-use schemes
/// (a dot in the scheme, RFC 8252 §7.1) that native OIDC apps are redirected to.
/// Credentials are looked for before parsing, so even an unparseable URL never gets echoed
/// with them.
pub fn check(value: &str, private_scheme: bool) -> Result<Url, UrlProblem> {
    if has_credentials(value) {
        return Err(UrlProblem::Credentials);
    }
    let url = Url::parse(value).map_err(|_| UrlProblem::NotAbsolute)?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlProblem::Credentials);
    }
    let allowed = match url.scheme() {
        "https" => true,
        "http" => is_loopback(&url),
        scheme => private_scheme && scheme.contains('.'),
    };
    if allowed {
        Ok(url)
    } else {
        Err(UrlProblem::NotHttps)
    }
}

/// Whether the URL's host is this machine.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// Whether any URL in `text` has a user name or password before its host.
pub fn has_credentials(text: &str) -> bool {
    matches!(redact_credentials(text), Cow::Owned(_))
}

/// `text` with the `user:password@` part of every URL in it replaced by `***@`. Works on text,
/// not on parsed URLs, so it also covers URLs that do not parse.
pub fn redact_credentials(text: &str) -> Cow<'_, str> {
    replace_credentials(text, |_| "***".to_owned())
}

/// [`redact_credentials`] keeping every character in place (each becomes `*`), for text whose
/// offsets matter, such as the source of a diagnostic snippet.
pub fn mask_credentials(text: &str) -> Cow<'_, str> {
    replace_credentials(text, |credentials| "*".repeat(credentials.chars().count()))
}

fn replace_credentials(text: &str, replacement: impl Fn(&str) -> String) -> Cow<'_, str> {
    let mut out = String::new();
    let mut copied = 0;
    let mut search = 0;
    while let Some(found) = text[search..].find("://") {
        let start = search + found + 3;
        let authority_len = text[start..]
            .find(|c: char| {
                matches!(c, '/' | '?' | '#' | '"' | '\'' | '<' | '>') || c.is_whitespace()
            })
            .unwrap_or(text.len() - start);
        let authority = &text[start..start + authority_len];
        if let Some(at) = authority.rfind('@') {
            out.push_str(&text[copied..start]);
            out.push_str(&replacement(&authority[..at]));
            copied = start + at;
        }
        search = start + authority_len;
    }
    if copied == 0 {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_rule_for_every_url() {
        let problem = |value| check(value, false).err();
        assert_eq!(problem("https://sp.example.org/acs"), None);
        assert_eq!(problem("http://localhost:8080/acs"), None);
        assert_eq!(problem("http://127.0.0.1/acs"), None);
        assert_eq!(problem("http://[::1]/acs"), None);
        assert_eq!(
            problem("http://sp.example.org/acs"),
            Some(UrlProblem::NotHttps)
        );
        assert_eq!(problem("javascript:alert(1)"), Some(UrlProblem::NotHttps));
        assert_eq!(
            problem("data:text/html,<b>x</b>"),
            Some(UrlProblem::NotHttps)
        );
        assert_eq!(problem("/acs"), Some(UrlProblem::NotAbsolute));
        assert_eq!(problem("acs"), Some(UrlProblem::NotAbsolute));
        assert_eq!(
            problem("https://u:p@sp.example.org/"),
            Some(UrlProblem::Credentials)
        );
        assert_eq!(
            problem("https://u@sp.example.org/"),
            Some(UrlProblem::Credentials)
        );
        // Credentials are found even where the URL does not parse (an invalid port).
        assert_eq!(
            problem("https://u:p@sp.example.org:99999/"),
            Some(UrlProblem::Credentials)
        );
        assert_eq!(problem("com.example.app:/cb"), Some(UrlProblem::NotHttps));
        assert!(check("com.example.app:/cb", true).is_ok());
    }

    #[test]
    fn redacts_credentials_of_every_url_in_a_text() {
        assert_eq!(
            redact_credentials(
                "fetch https://user:s3cret@md.example.org:99999/x failed; see http://a:b@c/"
            ),
            "fetch https://***@md.example.org:99999/x failed; see http://***@c/"
        );
        // An `@` in the path or query is not a credential.
        let plain = "https://md.example.org/a@b?mail=x@y and mailto:x@y";
        assert!(matches!(redact_credentials(plain), Cow::Borrowed(_)));
        assert!(!has_credentials(plain));
        assert_eq!(redact_credentials("https://u:p@h"), "https://***@h");
        assert_eq!(
            mask_credentials("a: https://u:pé@h/x"),
            "a: https://****@h/x"
        );
    }
}
