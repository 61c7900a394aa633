//! `fedctl verify`: proves each outbound federation by signing in through Keycloak's real
//! login pages, as a member of the access group (admitted, with the promised assertion or ID
//! token) and as someone outside it (refused).
//!
//! - [`browser`] drives the pages (cookies, login form, redirects), never leaving Keycloak;
//! - [`saml`] obtains a Response, [`saml_response`] verifies and checks it;
//! - [`oidc`] runs the code flow with PKCE, [`id_token`] verifies and checks the token;
//! - [`users`] provides the test users, [`expect`] what each federation promises them;
//! - [`report`] is the outcome: one PASS/FAIL line per federation and check.

pub mod browser;
pub mod error;
pub mod expect;
pub mod id_token;
pub mod oidc;
pub mod report;
pub mod saml;
pub mod saml_response;
pub mod users;
pub mod xml_tree;

use std::path::PathBuf;

use serde_json::Value;
use time::OffsetDateTime;
use url::Url;

pub use error::VerifyError;
pub use report::Report;

use self::browser::SignIn;
use self::expect::ExpectedAttribute;
use self::users::{Kind, TestUser};
use crate::desired::{self, PartnerMetadata, RecordRef};
use crate::keycloak::admin::Connection;
use crate::keycloak::admin::client::AdminClient;
use crate::keycloak::admin::connection::join;
use crate::keycloak::admin::secret::Secret;
use crate::record::attribute::AttributeSource;
use crate::record::profile::AttributeProfile;
use crate::record::{Direction, Federation, Protocol};
use crate::state::{Client, attribute_path, group_path};
use crate::user_profile::UserProfile;
use crate::x509::CertInfo;

/// Who signs in.
pub enum Users {
    /// Temporary users fedctl creates and deletes.
    Synthetic,
    /// Existing accounts: a member of every selected federation's access group, and a user
    /// outside them.
    Named {
        member: (String, Secret),
        non_member: (String, Secret),
    },
}

pub struct Options {
    pub connection: Connection,
    /// The records to verify: `(id, federation)`; inbound ones are skipped.
    pub records: Vec<(String, Federation)>,
    pub profile: AttributeProfile,
    /// Partner SP metadata of records that name one.
    pub metadata: PartnerMetadata,
    pub users: Users,
    /// Our IdP metadata as the partners have it (`export-metadata`'s file); default: the
    /// descriptor Keycloak serves now.
    pub idp_metadata: Option<PathBuf>,
}

/// Runs every check; synthetic users are deleted afterwards, also after an error or Ctrl-C.
pub async fn run(options: &Options) -> Result<Report, VerifyError> {
    let admin = AdminClient::connect(&options.connection)?;
    let mut report = Report::default();
    let (member, outsider) = test_users(&admin, options, &mut report).await?;
    let outcome = tokio::select! {
        outcome = check_all(&admin, options, &member, &outsider, &mut report) => outcome,
        _ = tokio::signal::ctrl_c() => Err(VerifyError::Interrupted),
    };
    let left = users::delete(&admin, &[&member, &outsider]).await;
    if !left.is_empty() {
        report.add(
            "-",
            "cleanup",
            Err(format!(
                "could not delete synthetic user(s) {}: the next run deletes them",
                left.join(", ")
            )),
        );
    }
    outcome.map(|()| report)
}

/// The member and the outsider: named, or created (after deleting an earlier run's leftovers).
async fn test_users(
    admin: &AdminClient,
    options: &Options,
    report: &mut Report,
) -> Result<(TestUser, TestUser), VerifyError> {
    match &options.users {
        Users::Named { member, non_member } => Ok((
            users::named(admin, &member.0, member.1.clone()).await?,
            users::named(admin, &non_member.0, non_member.1.clone()).await?,
        )),
        Users::Synthetic => {
            let now_ms = (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64;
            let cleaned = users::clean_leftovers(admin, now_ms).await?;
            if !cleaned.is_empty() {
                report.add(
                    "-",
                    "cleanup",
                    Ok(format!(
                        "deleted {} synthetic user(s) an interrupted run left: {}",
                        cleaned.len(),
                        cleaned.join(", ")
                    )),
                );
            }
            let run = users::random_hex();
            let groups: Vec<String> = outbound(options)
                .map(|(_, f)| group_path(&f.access_control.group))
                .collect();
            let attributes = custom_attributes(options);
            let member =
                users::create_synthetic(admin, Kind::Member, &run, &groups, &attributes).await?;
            let outsider =
                users::create_synthetic(admin, Kind::Outsider, &run, &[], &attributes).await;
            match outsider {
                Ok(outsider) => Ok((member, outsider)),
                Err(error) => {
                    // The member exists already: it must not outlive the run.
                    users::delete(admin, &[&member]).await;
                    Err(error)
                }
            }
        }
    }
}

fn outbound(options: &Options) -> impl Iterator<Item = &(String, Federation)> {
    (options.records.iter()).filter(|(_, f)| f.direction == Direction::Outbound)
}

/// The custom user attributes the selected federations release.
fn custom_attributes(options: &Options) -> Vec<String> {
    let mut names: Vec<String> = outbound(options)
        .flat_map(|(_, f)| f.attributes_shared.iter())
        .filter_map(|shared| desired::resolve(shared, &options.profile))
        .filter_map(|(_, definition)| match &definition.source {
            AttributeSource::Attribute(name) => Some(name.clone()),
            _ => None,
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

/// What every federation's checks share.
struct Context<'a> {
    admin: &'a AdminClient,
    options: &'a Options,
    http: reqwest::Client,
    realm_url: Url,
    signers: Vec<CertInfo>,
    user_profile: UserProfile,
    member: &'a TestUser,
    outsider: &'a TestUser,
}

async fn check_all(
    admin: &AdminClient,
    options: &Options,
    member: &TestUser,
    outsider: &TestUser,
    report: &mut Report,
) -> Result<(), VerifyError> {
    let connection = &options.connection;
    let http = connection.http_client()?;
    let profile_config = admin.get(&["users", "profile"], &[]).await?;
    let context = Context {
        admin,
        options,
        realm_url: join(&connection.server, &["realms", &connection.realm]),
        signers: signing_certificates(admin, options).await?,
        user_profile: UserProfile::from_config(&profile_config),
        http,
        member,
        outsider,
    };
    let refs = outbound(options).map(|(id, federation)| RecordRef { id, federation });
    let desired = desired::compile_with_metadata(refs, &options.profile, &options.metadata);
    for (id, federation) in outbound(options) {
        let Some(client_id) = desired::client_id(federation)
            .or(options.metadata.get(id).map(|sp| sp.client_id.as_str()))
        else {
            continue;
        };
        let Some(wanted) = desired.state.clients.get(client_id) else {
            continue;
        };
        check_federation(&context, id, federation, client_id, wanted, report).await?;
    }
    Ok(())
}

/// Our realm's signing certificates as the partners have them: from `--idp-metadata`, else
/// from the descriptor Keycloak serves.
async fn signing_certificates(
    admin: &AdminClient,
    options: &Options,
) -> Result<Vec<CertInfo>, VerifyError> {
    const DESCRIPTOR: [&str; 3] = ["protocol", "saml", "descriptor"];
    let (source_name, xml) = match &options.idp_metadata {
        Some(path) => (
            path.display().to_string(),
            std::fs::read(path).map_err(|e| VerifyError::IdpMetadata {
                source_name: path.display().to_string(),
                reason: e.to_string(),
            })?,
        ),
        None => (
            admin.public_url(&DESCRIPTOR).to_string(),
            admin
                .get_public(&DESCRIPTOR, "application/xml")
                .await?
                .to_vec(),
        ),
    };
    let entity = crate::saml::read_idp_descriptor(&xml)
        .map_err(|e| VerifyError::descriptor(&source_name, &e))?;
    let certificates: Vec<CertInfo> = (entity.idp.iter())
        .flat_map(|idp| idp.role.keys.iter())
        .filter(|key| key.usage != crate::saml::KeyUse::Encryption)
        .filter_map(|key| key.certificate.as_ref().ok().cloned())
        .collect();
    if certificates.is_empty() {
        return Err(VerifyError::NoSigningCertificate { source_name });
    }
    Ok(certificates)
}

async fn check_federation(
    context: &Context<'_>,
    id: &str,
    federation: &Federation,
    client_id: &str,
    wanted: &Client,
    report: &mut Report,
) -> Result<(), VerifyError> {
    let Some(stored) = find_client(context.admin, client_id).await? else {
        report.add(
            id,
            "client",
            Err(format!(
                "Keycloak has no client {client_id}: run fedctl apply"
            )),
        );
        return Ok(());
    };
    for (check, outcome) in user_profile_checks(context, federation) {
        report.add(id, &check, outcome);
    }
    let group = group_path(&federation.access_control.group);
    let expected = |user: &TestUser| {
        expect::attributes(federation, &context.options.profile, &user.stored, &group)
    };
    let member_expects = expected(context.member);
    let federated = Federated {
        id,
        client_id,
        wanted,
        stored: &stored,
        member_expects: &member_expects,
        describe: Describe {
            group: &group,
            role: federation.access_control.role_name(),
        },
    };
    match federation.protocol {
        Protocol::Saml => check_saml(context, &federated, report).await,
        Protocol::Oidc => check_oidc(context, &federated, report).await?,
    }
    Ok(())
}

/// Names for messages about access.
struct Describe<'a> {
    group: &'a str,
    role: &'a str,
}

impl Describe<'_> {
    fn member_refused(&self, username: &str, message: &str) -> String {
        format!(
            "{username} is refused ({message}): users cannot access the federated \
             application; is {username} in group {} and does the group hold client role {}?",
            self.group, self.role
        )
    }

    fn outsider_admitted(&self, username: &str, what: &str) -> String {
        format!(
            "{username}, who is not in group {}, was admitted: Keycloak issued {what}. Anyone \
             holding client role {} some other way (a direct grant, another group, a default \
             role) or any user at all, if the deny flow is not bound, can sign in to this partner",
            self.group, self.role
        )
    }
}

/// The released custom attributes must be declared in the user profile, or Keycloak drops
/// them before any mapper sees them.
fn user_profile_checks(
    context: &Context<'_>,
    federation: &Federation,
) -> Vec<(String, report::Outcome)> {
    (federation.attributes_shared.iter())
        .filter_map(|shared| desired::resolve(shared, &context.options.profile))
        .filter_map(|(name, definition)| match &definition.source {
            AttributeSource::Attribute(attribute) => Some((name, attribute.clone())),
            _ => None,
        })
        .map(|(name, attribute)| {
            let outcome = if context.user_profile.keeps(&attribute) {
                Ok(format!("user attribute {attribute} is declared"))
            } else {
                Err(format!(
                    "user attribute {attribute} is not declared in the realm's user profile: \
                     Keycloak drops it, so {name} can release nothing (declare it in Realm \
                     settings > User profile)"
                ))
            };
            (format!("user profile {name}"), outcome)
        })
        .collect()
}

async fn find_client(admin: &AdminClient, client_id: &str) -> Result<Option<Value>, VerifyError> {
    let found = admin.get(&["clients"], &[("clientId", client_id)]).await?;
    Ok((found.as_array().into_iter().flatten())
        .find(|c| c["clientId"] == client_id)
        .cloned())
}

fn attribute<'a>(client: &'a Value, key: &str) -> Option<&'a str> {
    client["attributes"][key].as_str().filter(|v| !v.is_empty())
}

/// One federation's client as the checks need it.
struct Federated<'a> {
    id: &'a str,
    client_id: &'a str,
    /// What fedctl compiled from the record.
    wanted: &'a Client,
    /// What Keycloak holds.
    stored: &'a Value,
    /// What the member should receive.
    member_expects: &'a [ExpectedAttribute],
    describe: Describe<'a>,
}

/// Reports the member's sign-in ("member admitted") and returns what Keycloak issued.
fn admitted<T>(
    report: &mut Report,
    federated: &Federated<'_>,
    member: &TestUser,
    signed_in: Result<SignIn<T>, String>,
    detail: String,
) -> Option<T> {
    let (outcome, issued) = match signed_in {
        Err(reason) => (Err(reason), None),
        Ok(SignIn::Refused(message)) => (
            Err(federated
                .describe
                .member_refused(&member.username, &message)),
            None,
        ),
        Ok(SignIn::Issued(issued)) => (Ok(detail), Some(issued)),
    };
    report.add(federated.id, "member admitted", outcome);
    issued
}

/// Reports the outsider's sign-in ("non-member refused"): Keycloak issuing `what` fails it.
fn refused<T>(
    report: &mut Report,
    federated: &Federated<'_>,
    outsider: &TestUser,
    signed_in: Result<SignIn<T>, String>,
    what: &str,
) {
    let username = &outsider.username;
    let outcome = match signed_in {
        Ok(SignIn::Refused(message)) => Ok(format!("{username} is refused: {message}")),
        Ok(SignIn::Issued(_)) => Err(federated.describe.outsider_admitted(username, what)),
        Err(reason) => Err(reason),
    };
    report.add(federated.id, "non-member refused", outcome);
}

/// How to ask Keycloak for a Response for this client: SP-initiated, unless the client
/// requires signed AuthnRequests (fedctl has no partner key): then IdP-initiated, if the
/// client has a URL name for it. `Err` is the reason it cannot be signed in to.
fn saml_start<'a>(
    stored: &'a Value,
    client_id: &'a str,
    acs: &'a str,
) -> Result<saml::Start<'a>, String> {
    if attribute(stored, "saml.client.signature") != Some("true") {
        return Ok(saml::Start::SpInitiated {
            entity_id: client_id,
            acs,
        });
    }
    attribute(stored, "saml_idp_initiated_sso_url_name")
        .map(|url_name| saml::Start::IdpInitiated { url_name })
        .ok_or_else(|| {
            "the client requires signed AuthnRequests and fedctl has no partner key to sign one; \
             set technical.idp_initiated_sso_url_name in the record to verify it through \
             IdP-initiated SSO"
                .to_owned()
        })
}

async fn check_saml(context: &Context<'_>, federated: &Federated<'_>, report: &mut Report) {
    let id = federated.id;
    let wanted = federated.wanted;
    let field = |key: &str| {
        wanted
            .fields
            .get(&attribute_path(key))
            .and_then(Value::as_str)
    };
    let acs = field("saml_assertion_consumer_url_post")
        .or_else(|| wanted.fields["redirectUris"][0].as_str())
        .unwrap_or_default()
        .to_owned();
    let start = match saml_start(federated.stored, federated.client_id, &acs) {
        Ok(start) => start,
        Err(reason) => return report.add(id, "sign-in", Err(reason)),
    };
    report.add(
        id,
        "sign-in",
        Ok(match &start {
            saml::Start::SpInitiated { .. } => {
                "SP-initiated, with an unsigned AuthnRequest (HTTP-POST binding)".to_owned()
            }
            saml::Start::IdpInitiated { url_name } => format!(
                "IdP-initiated through URL name {url_name} (the client requires signed AuthnRequests)"
            ),
        }),
    );
    let sign_in = async |user: &TestUser| {
        saml::sign_in(
            context.http.clone(),
            &context.realm_url,
            &start,
            &user.username,
            &user.password,
        )
        .await
    };
    let (member, outsider) = (context.member, context.outsider);
    let detail = format!("{} received a SAML Response", member.username);
    if let Some(issued) = admitted(report, federated, member, sign_in(member).await, detail) {
        let target = if issued.action == acs {
            Ok(format!("the Response would be posted to {acs} (not sent)"))
        } else {
            Err(format!(
                "the Response would be posted to {}, not to the record's ACS {acs}",
                issued.action
            ))
        };
        report.add(id, "ACS", target);
        match saml_response::verify_signature(&issued.xml, &context.signers) {
            Err(reason) => report.add(id, "signature", Err(reason)),
            Ok(signed) => {
                report.add(
                    id,
                    "signature",
                    Ok(format!(
                        "{} signed with our IdP metadata's signing certificate",
                        signed.signed
                    )),
                );
                let issuer = context.realm_url.to_string();
                let expected = saml_response::Expected {
                    acs: &acs,
                    audience: federated.client_id,
                    issuer: &issuer,
                    request_id: issued.request_id.as_deref(),
                    name_id_format: expect::name_id_format_uri(
                        field("saml_name_id_format").unwrap_or(""),
                    ),
                    attributes: federated.member_expects,
                    now: OffsetDateTime::now_utc(),
                };
                for (check, outcome) in saml_response::check(&signed, &expected) {
                    report.add(id, &check, outcome);
                }
            }
        }
    }
    refused(
        report,
        federated,
        outsider,
        sign_in(outsider).await,
        "a SAML Response",
    );
}

async fn check_oidc(
    context: &Context<'_>,
    federated: &Federated<'_>,
    report: &mut Report,
) -> Result<(), VerifyError> {
    let id = federated.id;
    let Some(redirect_uri) = federated.wanted.fields["redirectUris"][0].as_str() else {
        report.add(id, "sign-in", Err("the record has no redirect URI".into()));
        return Ok(());
    };
    let stored = federated.stored;
    let secret = if stored["publicClient"] == true {
        None
    } else {
        let uuid = stored["id"].as_str().unwrap_or_default();
        let credential = context
            .admin
            .get(&["clients", uuid, "client-secret"], &[])
            .await?;
        credential["value"].as_str().map(Secret::new)
    };
    let client = oidc::Client {
        client_id: federated.client_id,
        redirect_uri,
        secret: secret.as_ref(),
    };
    let sign_in = async |user: &TestUser| {
        oidc::sign_in(
            context.http.clone(),
            &context.realm_url,
            &client,
            &user.username,
            &user.password,
        )
        .await
    };
    let (member, outsider) = (context.member, context.outsider);
    let detail = format!(
        "{} was redirected to {redirect_uri} with a code (not followed), exchanged for an ID token",
        member.username
    );
    if let Some(issued) = admitted(report, federated, member, sign_in(member).await, detail) {
        let jwks_url = join(&context.realm_url, &["protocol", "openid-connect", "certs"]);
        let jwks = fetch_json(&context.http, &jwks_url).await?;
        match id_token::verify_signature(issued.id_token.expose(), &jwks) {
            Err(reason) => report.add(id, "signature", Err(reason)),
            Ok(claims) => {
                report.add(
                    id,
                    "signature",
                    Ok("the ID token verifies against the realm's JWKS".into()),
                );
                let issuer = context.realm_url.to_string();
                let expected = id_token::Expected {
                    issuer: &issuer,
                    client_id: federated.client_id,
                    nonce: &issued.nonce,
                    attributes: federated.member_expects,
                    now: OffsetDateTime::now_utc(),
                };
                for (check, outcome) in id_token::check(&claims, &expected) {
                    report.add(id, &check, outcome);
                }
            }
        }
    }
    let what = "an authorization code";
    refused(report, federated, outsider, sign_in(outsider).await, what);
    Ok(())
}

async fn fetch_json(http: &reqwest::Client, url: &Url) -> Result<Value, VerifyError> {
    let response = http
        .get(url.clone())
        .send()
        .await
        .map_err(|e| VerifyError::transport(url, &e))?;
    let body = crate::http::read_body(response, 4 * 1024 * 1024)
        .await
        .map_err(|e| VerifyError::Page {
            url: url.to_string(),
            reason: e.to_string(),
        })?;
    serde_json::from_slice(&body).map_err(|e| VerifyError::Page {
        url: url.to_string(),
        reason: format!("not JSON: {e}"),
    })
}
