//! The federation record as written in `federation-record.yaml`.
//!
//! These types are the single source of truth for the record format: serde reads them,
//! schemars derives the shipped JSON Schema from them (a test keeps the two in step), and
//! everything downstream (validation, desired state, reviews) consumes them.
//! Field names follow the runbook format verbatim; optional extensions are `Option`/default.

use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::attribute::AttributeDefinition;

/// A whole record file: one federation with one partner, under a top-level `federation:` key
/// (`fedctl new saml|oidc --partner NAME` writes a scaffold to fill in).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordFile {
    pub federation: Federation,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Federation {
    /// Display name of the partner organisation; becomes the client's `name`.
    pub partner: String,
    /// Protocol of the federation.
    #[serde(rename = "type")]
    pub protocol: Protocol,
    /// Which side is the identity provider.
    pub direction: Direction,
    /// Date the federation was established (YYYY-MM-DD).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub established: Option<IsoDate>,
    /// How the two sides find and trust each other: entity IDs, endpoints, certificates.
    pub technical: Technical,
    /// Who may use the federation, who approves that, and how often it is reviewed.
    pub access_control: AccessControl,
    /// Attributes released to the partner: names from the attribute profile, or full mappings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes_shared: Vec<SharedAttribute>,
    /// Technical contacts on both sides.
    #[serde(default, skip_serializing_if = "Contacts::is_empty")]
    pub contacts: Contacts,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Saml,
    Oidc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize, JsonSchema)]
pub enum Direction {
    /// Our IdP signs users in to the partner's application (we create a client).
    #[serde(rename = "your-idp-to-partner-sp")]
    Outbound,
    /// The partner's IdP signs its users in to our applications (we create an identity provider).
    #[serde(rename = "partner-idp-to-your-sp")]
    Inbound,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Technical {
    /// Our realm's issuer / entity ID: `https://<host>/realms/<realm>`.
    pub your_entity_id: String,
    /// SAML: the partner's entity ID (the SP entity ID becomes the clientId).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner_entity_id: Option<String>,
    /// SAML outbound: the partner's Assertion Consumer Service URL(s) (HTTP-POST).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner_acs: Option<OneOrMany>,
    /// SAML: the partner's Single Logout Service URL (HTTP-POST).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner_slo: Option<String>,
    /// Expiry date of the IdP signing certificate the partner trusts, as recorded by the
    /// admin. Outbound (your-idp-to-partner-sp): our realm's signing certificate as we last
    /// handed it to the partner; `fedctl certs` and `fedctl rollover` compare it with the
    /// realm's keys. Inbound (partner-idp-to-your-sp): the partner IdP's certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_cert_expiry: Option<IsoDate>,
    /// Path (relative to the record) or https URL of the partner's SAML metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner_metadata: Option<String>,
    /// Entity to pick out of an aggregate given in `partner_metadata`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata_entity_id: Option<String>,
    /// PEM certificate file whose key must have signed `partner_metadata`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner_metadata_signer: Option<String>,
    /// SAML NameID format sent to the partner (default `email`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_id_format: Option<NameIdFormat>,
    /// Sign assertions (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_assertions: Option<bool>,
    /// Sign whole SAML documents/responses (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_documents: Option<bool>,
    /// Encrypt assertions with the partner's encryption certificate (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypt_assertions: Option<bool>,
    /// SAML outbound: enables Keycloak's IdP-initiated SSO for the client under this URL
    /// name (`/realms/<realm>/protocol/saml/clients/<name>`); off when absent. Anyone who can
    /// sign in may then start a sign-in to the partner from our side (unsolicited Responses);
    /// `fedctl verify` uses it for clients that require signed AuthnRequests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idp_initiated_sso_url_name: Option<String>,
    /// OIDC: the client ID the partner application uses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// OIDC outbound: allowed redirect URIs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub redirect_uris: Vec<String>,
    /// OIDC outbound: allowed post-logout redirect URIs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub post_logout_redirect_uris: Vec<String>,
    /// OIDC outbound: confidential (default) or public client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_type: Option<ClientType>,
    /// OIDC outbound confidential clients: how the client authenticates (default client_secret).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_auth: Option<ClientAuth>,
    /// OIDC outbound with `client_auth: private_key_jwt`: the partner's JWKS URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_url: Option<String>,
    /// OIDC outbound: PKCE method (default S256 for public clients, none for confidential).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pkce: Option<Pkce>,
    /// OIDC inbound: the partner's issuer; its discovery document is read from
    /// `<issuer>/.well-known/openid-configuration`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner_issuer: Option<String>,
    /// Inbound: alias of the identity provider in our realm (default: derived from the record file name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idp_alias: Option<String>,
    /// SAML inbound: the partner IdP's single sign-on URL (when no metadata is given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner_sso: Option<String>,
    /// SAML inbound without metadata: PEM file (relative to the record) holding the partner
    /// IdP's signing certificate(s); during a rollover, both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner_signing_cert: Option<String>,
    /// Inbound: how a partner user signing in for the first time is handled (default `create`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_sign_in: Option<FirstSignIn>,
}

/// What happens when a partner user signs in through the broker for the first time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum FirstSignIn {
    /// An account is created from what the partner sends (e-mail trusted as verified); an
    /// existing account with the same e-mail is linked only after its owner re-authenticates.
    #[default]
    Create,
    /// No account is created: the partner identity can only be linked, by a user already signed
    /// in to an account of ours (an admin reviews who has accounts).
    LinkExisting,
}

/// A single value or a list of values (`partner_acs: url` or `partner_acs: [url1, url2]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn as_slice(&self) -> &[String] {
        match self {
            OneOrMany::One(one) => std::slice::from_ref(one),
            OneOrMany::Many(many) => many,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum NameIdFormat {
    Email,
    Username,
    Persistent,
    Transient,
}

impl NameIdFormat {
    /// The value Keycloak stores in the `saml_name_id_format` client attribute.
    pub fn keycloak_value(self) -> &'static str {
        match self {
            NameIdFormat::Email => "email",
            NameIdFormat::Username => "username",
            NameIdFormat::Persistent => "persistent",
            NameIdFormat::Transient => "transient",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ClientType {
    Confidential,
    Public,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClientAuth {
    ClientSecret,
    PrivateKeyJwt,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub enum Pkce {
    S256,
    #[serde(rename = "plain")]
    Plain,
    #[serde(rename = "none")]
    Disabled,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccessControl {
    /// Keycloak group (name or `/parent/child` path) whose members may use the application.
    pub group: String,
    /// Who approves access and signs off reviews.
    pub approver: String,
    /// How often access is reviewed: monthly, quarterly, semiannual or annual.
    pub review_frequency: ReviewFrequency,
    /// Client role granted to the group (default `access`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Only holders of the role may sign in to the application (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enforce: Option<bool>,
    /// Usernames granted the role directly, outside the group, during a pilot.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pilot_users: Vec<String>,
    /// Date of the last completed access review (YYYY-MM-DD).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_reviewed: Option<IsoDate>,
}

impl AccessControl {
    pub const DEFAULT_ROLE: &'static str = "access";

    pub fn role_name(&self) -> &str {
        self.role.as_deref().unwrap_or(Self::DEFAULT_ROLE)
    }

    pub fn enforced(&self) -> bool {
        self.enforce.unwrap_or(true)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReviewFrequency {
    Monthly,
    Quarterly,
    Semiannual,
    Annual,
}

impl ReviewFrequency {
    pub fn months(self) -> u8 {
        match self {
            ReviewFrequency::Monthly => 1,
            ReviewFrequency::Quarterly => 3,
            ReviewFrequency::Semiannual => 6,
            ReviewFrequency::Annual => 12,
        }
    }
}

/// One released attribute: a name from the attribute profile, or a one-off full mapping.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum SharedAttribute {
    Named(String),
    Custom(AttributeDefinition),
}

/// Who to contact about the federation (e-mail addresses, `mailto:` allowed).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Contacts {
    /// The partner's technical contact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner_technical: Option<String>,
    /// Our technical contact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub your_technical: Option<String>,
}

impl Contacts {
    pub fn is_empty(&self) -> bool {
        self.partner_technical.is_none() && self.your_technical.is_none()
    }
}

/// A calendar date written `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IsoDate(pub time::Date);

/// How far a record's `signing_cert_expiry` may be from a certificate's not-after date (UTC)
/// and still describe it: admins write the date in their own time zone.
pub const STATED_DATE_TOLERANCE_DAYS: i64 = 1;

impl IsoDate {
    /// Whether this stated expiry describes a certificate that expires on `not_after` (UTC).
    pub fn agrees_with(self, not_after: time::Date) -> bool {
        self.days_from(not_after) <= STATED_DATE_TOLERANCE_DAYS
    }

    /// Whole days between this date and `other`, either way.
    pub fn days_from(self, other: time::Date) -> i64 {
        (self.0 - other).whole_days().abs()
    }
}

const ISO_DATE: &[time::format_description::FormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

impl FromStr for IsoDate {
    type Err = time::error::Parse;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        time::Date::parse(s, ISO_DATE).map(IsoDate)
    }
}

impl fmt::Display for IsoDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.0.format(ISO_DATE).map_err(|_| fmt::Error)?;
        f.write_str(&text)
    }
}

impl Serialize for IsoDate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for IsoDate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(|_| {
            serde::de::Error::custom(format!("`{text}` is not a real date (YYYY-MM-DD)"))
        })
    }
}

impl JsonSchema for IsoDate {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "IsoDate".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "format": "date",
            "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
            "description": "A calendar date, YYYY-MM-DD"
        })
    }
}

/// Whether a metadata location (`partner_metadata`) is written as a URL; anything else is a
/// file path relative to the record.
pub fn written_as_url(location: &str) -> bool {
    location.contains("://")
}
