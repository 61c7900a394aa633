//! Inbound federations end to end on the real server: a second realm plays the partner's
//! identity provider (SAML, then OIDC), fedctl makes our realm broker to it as the record
//! says, and a partner user signs in to a test client of our realm through the broker, driven
//! over HTTP with a cookie jar (no browser). The user arrives with the shared attributes and
//! in the access group; a user the partner sends without the agreed attributes is stopped at
//! the first sign-in policy's profile review, and no account is made for them.

use std::collections::BTreeMap;

use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use serde_json::{Value, json};
use url::Url;

use crate::common::Workspace;
use crate::server::Realm;

const ALIAS: &str = "partner-idp";
const GROUP: &str = "partner-idp-users";
const APP: &str = "inbound-test-app";
const APP_REDIRECT: &str = "http://127.0.0.1:9/app/callback";
const PASSWORD: &str = "Partner-pa55word";

/// A minimal browser: follows redirects itself, keeps cookies by name and path, submits forms.
struct Browser {
    http: reqwest::Client,
    runtime: tokio::runtime::Runtime,
    /// (path, name) → value.
    cookies: BTreeMap<(String, String), String>,
}

/// What a page led to.
enum Page {
    Html {
        url: Url,
        body: String,
    },
    /// A redirect to the test application: the sign-in completed.
    Arrived(Url),
}

impl Browser {
    fn new() -> Browser {
        Browser {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
            cookies: BTreeMap::new(),
        }
    }

    fn cookie_header(&self, url: &Url) -> String {
        self.cookies
            .iter()
            .filter(|((path, _), _)| url.path().starts_with(path.as_str()))
            .map(|((_, name), value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep_cookies(&mut self, url: &Url, response: &reqwest::Response) {
        for header in response.headers().get_all(SET_COOKIE) {
            let text = header.to_str().unwrap();
            let mut parts = text.split(';').map(str::trim);
            let Some((name, value)) = parts.next().and_then(|p| p.split_once('=')) else {
                continue;
            };
            let path = parts
                .filter_map(|p| p.split_once('='))
                .find(|(k, _)| k.eq_ignore_ascii_case("path"))
                .map_or_else(|| url.path().to_owned(), |(_, v)| v.to_owned());
            let key = (path, name.to_owned());
            let expired = text.to_ascii_lowercase().contains("max-age=0");
            if expired || value.is_empty() {
                self.cookies.remove(&key);
            } else {
                self.cookies.insert(key, value.to_owned());
            }
        }
    }

    /// GET (or POST a form to) `url` and follow redirects until a page or the application.
    fn go(&mut self, mut url: Url, mut form: Option<Vec<(String, String)>>) -> Page {
        for _ in 0..20 {
            if url.as_str().starts_with(APP_REDIRECT) {
                return Page::Arrived(url);
            }
            let cookie = self.cookie_header(&url);
            let request = match form.take() {
                Some(fields) => self.http.post(url.clone()).form(&fields),
                None => self.http.get(url.clone()),
            };
            let response = self
                .runtime
                .block_on(request.header(COOKIE, cookie).send())
                .unwrap();
            self.keep_cookies(&url, &response);
            if response.status().is_redirection() {
                let location = response.headers()[LOCATION].to_str().unwrap();
                url = url.join(location).unwrap();
                continue;
            }
            let body = self.runtime.block_on(response.text()).unwrap();
            return Page::Html { url, body };
        }
        panic!("more than 20 redirects");
    }

    /// Submits the page's first form with its hidden (and pre-filled) fields plus `fields`.
    fn submit(&mut self, page: &Page, fields: &[(&str, &str)]) -> Page {
        let Page::Html { url, body } = page else {
            panic!("no page to submit");
        };
        let form_start = body.find("<form").expect("the page has a form");
        let form = &body[form_start..];
        let action = attribute(form, "action").expect("the form has an action");
        let mut values: Vec<(String, String)> = inputs(form)
            .into_iter()
            .filter(|(name, _)| !fields.iter().any(|(n, _)| n == name))
            .collect();
        values.extend(
            fields
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned())),
        );
        self.go(url.join(&unescape(&action)).unwrap(), Some(values))
    }

    /// Submits auto-posting forms (SAML POST binding) until something else comes up.
    fn through_auto_posts(&mut self, mut page: Page) -> Page {
        while let Page::Html { body, .. } = &page {
            if !(body.contains("SAMLRequest") || body.contains("SAMLResponse")) {
                break;
            }
            page = self.submit(&page, &[]);
        }
        page
    }
}

/// The value of `name="…"` in the first tag of `html`.
fn attribute(html: &str, name: &str) -> Option<String> {
    let tag = &html[..html.find('>')?];
    let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
    let end = start + tag[start..].find('"')?;
    Some(tag[start..end].to_owned())
}

/// Every `<input name=… value=…>` of a form (up to its end), unescaped.
fn inputs(form: &str) -> Vec<(String, String)> {
    let form = &form[..form.find("</form>").unwrap_or(form.len())];
    form.match_indices("<input")
        .filter_map(|(at, _)| {
            let tag = &form[at..];
            let name = attribute(tag, "name")?;
            let value = attribute(tag, "value").unwrap_or_default();
            Some((unescape(&name), unescape(&value)))
        })
        .collect()
}

fn unescape(text: &str) -> String {
    text.replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&#x3d;", "=")
        .replace("&#61;", "=")
        .replace("&#x2f;", "/")
        .replace("&#x2F;", "/")
        .replace("&#x3a;", ":")
        .replace("&#x3A;", ":")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
}

/// Our realm with a test application (confidential OIDC client) to sign in to.
fn our_realm(test: &str) -> Option<Realm> {
    let realm = Realm::create(test)?;
    realm.post(
        "/clients",
        &json!({"clientId": APP, "protocol": "openid-connect", "publicClient": false,
                "secret": "app-secret", "standardFlowEnabled": true,
                "redirectUris": [format!("{APP_REDIRECT}*")]}),
    );
    Some(realm)
}

/// The partner realm, with two users: one with every agreed attribute, one without e-mail.
fn partner_realm(test: &str) -> Realm {
    let partner = Realm::create(&format!("{test} (partner)")).expect("same server");
    // The partner lets users without e-mail sign in (its profile check would stop them first).
    let (status, body) = partner.request(
        reqwest::Method::PUT,
        "/authentication/required-actions/VERIFY_PROFILE",
        Some(
            &json!({"alias": "VERIFY_PROFILE", "providerId": "VERIFY_PROFILE",
                     "name": "Verify Profile", "enabled": false, "defaultAction": false}),
        ),
    );
    assert_eq!(status, 204, "{body}");
    for (username, email) in [
        ("complete", Some("complete@partner.example.edu")),
        ("newcomer", Some("newcomer@partner.example.edu")),
        ("partial", None),
    ] {
        let mut user = json!({"username": username, "enabled": true, "firstName": "Pat",
            "lastName": "Partner", "emailVerified": true,
            "credentials": [{"type": "password", "value": PASSWORD, "temporary": false}]});
        if let Some(email) = email {
            user["email"] = json!(email);
        }
        partner.post("/users", &user);
    }
    partner
}

fn record(realm: &str, protocol: &str, technical: &str) -> String {
    format!(
        r#"federation:
  partner: "Partner University"
  type: {protocol}
  direction: partner-idp-to-your-sp
  technical:
    your_entity_id: "https://idp.yourorg.example.org/realms/{realm}"
    idp_alias: "{ALIAS}"
{technical}  access_control:
    group: "{GROUP}"
    approver: "Head of Research IT"
    review_frequency: annual
  attributes_shared: [email, given_name, family_name]
"#
    )
}

/// Signs in to the test application through the broker as a partner user.
fn sign_in(ours: &Realm, username: &str) -> Page {
    let (mut browser, login) = start_sign_in(ours);
    let Page::Html { body, .. } = &login else {
        panic!("expected the partner's login page");
    };
    assert!(
        body.contains("kc-form-login"),
        "the partner's login form: {body}"
    );
    let page = browser.submit(&login, &[("username", username), ("password", PASSWORD)]);
    browser.through_auto_posts(page)
}

/// Opens the test application's sign-in, sent straight to the broker: the page that comes up.
fn start_sign_in(ours: &Realm) -> (Browser, Page) {
    let mut browser = Browser::new();
    let mut auth = Url::parse(&format!(
        "{}/realms/{}/protocol/openid-connect/auth",
        ours.url, ours.name
    ))
    .unwrap();
    auth.query_pairs_mut()
        .append_pair("client_id", APP)
        .append_pair("redirect_uri", APP_REDIRECT)
        .append_pair("response_type", "code")
        .append_pair("scope", "openid")
        .append_pair("kc_idp_hint", ALIAS);
    let page = browser.go(auth, None);
    let page = browser.through_auto_posts(page);
    (browser, page)
}

/// The user the broker made, by e-mail (a SAML broker names users by the partner's NameID),
/// with its groups.
fn brokered_user(ours: &Realm, email: &str) -> Option<(Value, Vec<String>)> {
    let found = ours.get(&format!("/users?email={email}&exact=true"));
    let user = found.as_array().unwrap().first()?.clone();
    let id = user["id"].as_str().unwrap();
    let groups = ours.get(&format!("/users/{id}/groups"));
    let paths = (groups.as_array().unwrap().iter())
        .map(|g| g["path"].as_str().unwrap().to_owned())
        .collect();
    Some((user, paths))
}

fn check_brokered_sign_in(ours: &Realm, workspace: &Workspace) {
    ours.fedctl(workspace, "apply", &["--yes"]).success();
    ours.fedctl(workspace, "plan", &["--detailed-exitcode"])
        .code(0);

    let arrived = sign_in(ours, "complete");
    let Page::Arrived(url) = arrived else {
        let Page::Html { body, .. } = arrived else {
            unreachable!()
        };
        panic!("the partner user did not arrive at the application: {body}");
    };
    assert!(url.query_pairs().any(|(k, _)| k == "code"), "{url}");
    let (user, groups) =
        brokered_user(ours, "complete@partner.example.edu").expect("the broker made an account");
    assert_eq!(user["email"], "complete@partner.example.edu");
    assert_eq!(user["firstName"], "Pat");
    assert_eq!(user["lastName"], "Partner");
    assert_eq!(groups, [format!("/{GROUP}")]);

    // No e-mail from the partner: the first sign-in stops at the profile review.
    let stopped = sign_in(ours, "partial");
    let Page::Html { body, .. } = stopped else {
        panic!("a user without the agreed attributes must not arrive unreviewed");
    };
    assert!(body.contains("kc-idp-review-profile-form"), "{body}");
    assert_eq!(
        ours.get("/users/count"),
        json!(1),
        "no account for the unreviewed user"
    );
}

#[test]
fn a_partner_user_signs_in_through_a_saml_broker() {
    let test = "a_partner_user_signs_in_through_a_saml_broker";
    let Some(ours) = our_realm(test) else {
        return;
    };
    let partner = partner_realm(test);
    let our_entity_id = format!("https://idp.yourorg.example.org/realms/{}", ours.name);
    let endpoint = format!("{}/realms/{}/broker/{ALIAS}/endpoint", ours.url, ours.name);
    let mapper = |name: &str, property: &str| {
        json!({"name": name, "protocol": "saml", "protocolMapper": "saml-user-property-mapper",
               "config": {"user.attribute": property, "attribute.name": name,
                          "attribute.nameformat": "Basic"}})
    };
    partner.post(
        "/clients",
        &json!({"clientId": our_entity_id, "protocol": "saml", "enabled": true,
            "redirectUris": [endpoint],
            "attributes": {"saml_assertion_consumer_url_post": endpoint,
                "saml.assertion.signature": "true", "saml.server.signature": "true",
                "saml.client.signature": "false", "saml_name_id_format": "persistent"},
            "protocolMappers": [mapper("email", "email"), mapper("givenName", "firstName"),
                                mapper("surname", "lastName")]}),
    );
    let keys = partner.get("/keys");
    let certificate = (keys["keys"].as_array().unwrap().iter())
        .find(|k| k["algorithm"] == "RS256" && k["use"] == "SIG")
        .and_then(|k| k["certificate"].as_str())
        .expect("the partner realm's signing certificate");
    let technical = format!(
        "    partner_entity_id: \"{url}/realms/{p}\"\n    \
         partner_sso: \"{url}/realms/{p}/protocol/saml\"\n    \
         partner_signing_cert: \"partner.pem\"\n",
        url = ours.url,
        p = partner.name
    );
    let workspace = Workspace::new(&[("partner.yaml", &record(&ours.name, "saml", &technical))]);
    std::fs::write(
        workspace.records().join("partner.pem"),
        format!("-----BEGIN CERTIFICATE-----\n{certificate}\n-----END CERTIFICATE-----\n"),
    )
    .unwrap();
    check_brokered_sign_in(&ours, &workspace);
}

#[test]
fn a_partner_user_signs_in_through_an_oidc_broker() {
    let test = "a_partner_user_signs_in_through_an_oidc_broker";
    let Some(ours) = our_realm(test) else {
        return;
    };
    let partner = partner_realm(test);
    const SECRET: &str = "broker-client-s3cr3t";
    partner.post(
        "/clients",
        &json!({"clientId": "our-broker", "protocol": "openid-connect", "publicClient": false,
            "secret": SECRET, "standardFlowEnabled": true,
            "redirectUris": [format!("{}/realms/{}/broker/{ALIAS}/endpoint", ours.url, ours.name)]}),
    );
    let technical = format!(
        "    partner_issuer: \"{}/realms/{}\"\n    client_id: \"our-broker\"\n",
        ours.url, partner.name
    );
    let workspace = Workspace::new(&[("partner.yaml", &record(&ours.name, "oidc", &technical))]);
    workspace.inbound_secret_file("partner", SECRET);
    check_brokered_sign_in(&ours, &workspace);

    // `link-existing`: nobody signs in through the broker, so no account is ever made by it.
    let link_only = technical.clone() + "    first_sign_in: link-existing\n";
    workspace.write_record("partner.yaml", &record(&ours.name, "oidc", &link_only));
    ours.fedctl(&workspace, "apply", &["--yes"]).success();
    let (mut browser, page) = start_sign_in(&ours);
    let last = match &page {
        Page::Html { body, .. } if body.contains("kc-form-login") => {
            let page = browser.submit(&page, &[("username", "newcomer"), ("password", PASSWORD)]);
            browser.through_auto_posts(page)
        }
        _ => page,
    };
    assert!(
        !matches!(last, Page::Arrived(_)),
        "a link-only provider signed a new user in"
    );
    assert_eq!(ours.get("/users/count"), json!(1), "no account was made");
}
