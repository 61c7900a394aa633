//! One released attribute: where Keycloak reads it from the user, and how SAML and OIDC
//! release it. Profiles ([`super::profile`]) name these; a record may also define one inline.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How one attribute is read from the user and released to the partner.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AttributeDefinition {
    /// Name used in records (`attributes_shared`) and as the protocol mapper's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Where the value comes from in Keycloak.
    pub source: AttributeSource,
    /// How the attribute is released in SAML assertions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub saml: Option<SamlRelease>,
    /// How the attribute is released as an OIDC claim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oidc: Option<OidcRelease>,
}

/// The Keycloak side of an attribute.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum AttributeSource {
    /// A built-in user property: `username`, `email`, `firstName`, `lastName`, `id`.
    Property(String),
    /// A custom user attribute (e.g. `department`, `displayName`).
    Attribute(String),
    /// The user's group memberships.
    Groups,
    /// The user's roles.
    Roles,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SamlRelease {
    /// SAML attribute `Name`.
    pub name: String,
    /// SAML attribute `FriendlyName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub friendly_name: Option<String>,
    /// SAML attribute `NameFormat`: basic (default), uri or unspecified.
    #[serde(default)]
    pub name_format: SamlNameFormat,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SamlNameFormat {
    #[default]
    Basic,
    Uri,
    Unspecified,
}

impl SamlNameFormat {
    /// The value of the mapper's `attribute.nameformat` config key.
    pub fn keycloak_value(self) -> &'static str {
        match self {
            SamlNameFormat::Basic => "Basic",
            SamlNameFormat::Uri => "URI Reference",
            SamlNameFormat::Unspecified => "Unspecified",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OidcRelease {
    /// Claim name in tokens.
    pub claim: String,
    /// `String` (default), `long`, `int`, `boolean` or `JSON`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json_type: Option<String>,
    /// The claim is a list (groups, roles).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub multivalued: bool,
}
