//! What a federation promises, as the checks need it: where the assertion must go, for whom,
//! and which attribute carries which of the test user's values. Pure: built from the desired
//! client fedctl compiles from the record and the user Keycloak stored.

use serde_json::Value;

use crate::record::Federation;
use crate::record::attribute::{AttributeSource, SamlNameFormat};
use crate::record::profile::AttributeProfile;

/// One released attribute and the value the test user should get in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedAttribute {
    /// The name in the record's `attributes_shared`.
    pub name: String,
    pub source: AttributeSource,
    /// SAML `Name`, `FriendlyName` and `NameFormat` URI.
    pub saml: Option<(String, Option<String>, String)>,
    /// OIDC claim name.
    pub claim: Option<String>,
    pub value: ExpectedValue,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpectedValue {
    /// The value must be exactly this (one of the values, for multi-valued releases).
    Equals(String),
    /// Released but not predictable (roles): any value will do.
    Any,
    /// The test user has no value to look for, so the release cannot be proven.
    Unknown(String),
}

/// The `NameFormat` URI the profile's name format stands for.
pub fn name_format_uri(format: SamlNameFormat) -> &'static str {
    match format {
        SamlNameFormat::Basic => "urn:oasis:names:tc:SAML:2.0:attrname-format:basic",
        SamlNameFormat::Uri => "urn:oasis:names:tc:SAML:2.0:attrname-format:uri",
        SamlNameFormat::Unspecified => "urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified",
    }
}

/// The NameID `Format` URI of the client's `saml_name_id_format` attribute value.
pub fn name_id_format_uri(keycloak_value: &str) -> &'static str {
    match keycloak_value {
        "email" => "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
        "persistent" => "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
        "transient" => "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
        _ => "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
    }
}

/// The attributes a record releases, each with the value `user` (an admin API user
/// representation) should receive; `group` is the record's access group path.
pub fn attributes(
    federation: &Federation,
    profile: &AttributeProfile,
    user: &Value,
    group: &str,
) -> Vec<ExpectedAttribute> {
    federation
        .attributes_shared
        .iter()
        .filter_map(|shared| crate::desired::resolve(shared, profile))
        .map(|(name, definition)| ExpectedAttribute {
            value: expected_value(&definition.source, user, group),
            saml: definition.saml.as_ref().map(|saml| {
                (
                    saml.name.clone(),
                    saml.friendly_name.clone(),
                    name_format_uri(saml.name_format).to_owned(),
                )
            }),
            claim: definition.oidc.as_ref().map(|oidc| oidc.claim.clone()),
            source: definition.source.clone(),
            name,
        })
        .collect()
}

fn expected_value(source: &AttributeSource, user: &Value, group: &str) -> ExpectedValue {
    let username = user["username"].as_str().unwrap_or("the user");
    let missing = |what: &str| {
        ExpectedValue::Unknown(format!(
            "{username} has no {what} in Keycloak, so its release cannot be checked"
        ))
    };
    match source {
        AttributeSource::Property(property) => match user[property.as_str()].as_str() {
            Some(value) if !value.is_empty() => ExpectedValue::Equals(value.to_owned()),
            _ => missing(property),
        },
        AttributeSource::Attribute(attribute) => {
            match user["attributes"][attribute.as_str()][0].as_str() {
                Some(value) if !value.is_empty() => ExpectedValue::Equals(value.to_owned()),
                _ => missing(&format!("attribute {attribute}")),
            }
        }
        // fedctl's group mappers release names, not full paths.
        AttributeSource::Groups => {
            ExpectedValue::Equals(group.rsplit('/').next().unwrap_or(group).to_owned())
        }
        AttributeSource::Roles => ExpectedValue::Any,
    }
}

/// Checks the values released for one attribute against what is expected.
pub fn check_values(expected: &ExpectedAttribute, released: &[String]) -> Result<String, String> {
    if released.is_empty() {
        return Err(format!(
            "{} is not released{}",
            expected.name,
            why_missing(&expected.source)
        ));
    }
    match &expected.value {
        ExpectedValue::Equals(value) if released.iter().any(|r| r == value) => {
            Ok(format!("carries the test user's value {value:?}"))
        }
        ExpectedValue::Equals(value) => Err(format!(
            "carries {released:?}, not the test user's value {value:?}"
        )),
        ExpectedValue::Any => Ok(format!("released ({} value(s))", released.len())),
        ExpectedValue::Unknown(reason) => Err(reason.clone()),
    }
}

fn why_missing(source: &AttributeSource) -> String {
    match source {
        AttributeSource::Attribute(attribute) => format!(
            " (is user attribute {attribute} declared in the realm's user profile, and is \
             its mapper on the client?)"
        ),
        _ => " (is its mapper on the client?)".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_come_from_the_user_keycloak_stored() {
        let user = json!({"username": "u1", "email": "u1@example.org", "attributes": {}});
        let source = AttributeSource::Property("email".into());
        assert_eq!(
            expected_value(&source, &user, "/g"),
            ExpectedValue::Equals("u1@example.org".into())
        );
        let dropped = AttributeSource::Attribute("department".into());
        assert!(matches!(
            expected_value(&dropped, &user, "/g"),
            ExpectedValue::Unknown(reason) if reason.contains("u1 has no attribute department")
        ));
        assert_eq!(
            expected_value(&AttributeSource::Groups, &user, "/partners/p-users"),
            ExpectedValue::Equals("p-users".into())
        );
    }

    #[test]
    fn a_missing_custom_attribute_points_at_the_user_profile() {
        let expected = ExpectedAttribute {
            name: "department".into(),
            source: AttributeSource::Attribute("department".into()),
            saml: None,
            claim: None,
            value: ExpectedValue::Equals("Eng".into()),
        };
        let error = check_values(&expected, &[]).unwrap_err();
        assert!(error.contains("user profile"), "{error}");
        assert!(check_values(&expected, &["Eng".into()]).is_ok());
        assert!(check_values(&expected, &["Ops".into()]).is_err());
    }
}
