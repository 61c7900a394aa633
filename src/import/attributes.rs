//! A client's protocol mappers → `attributes_shared`. A mapper fedctl would make the same
//! from a profile entry of its name becomes that name; any other mapper of a kind a record
//! can describe becomes an inline definition with the mapper's own name, so nothing it
//! releases is lost. Mappers of other kinds cannot be described: the record says so.

use std::collections::BTreeMap;

use crate::desired::attribute_mapper;
use crate::record::attribute::{
    AttributeDefinition, AttributeSource, OidcRelease, SamlNameFormat, SamlRelease,
};
use crate::record::profile::AttributeProfile;
use crate::record::{Protocol, SharedAttribute};
use crate::state::{Client, Mapper};

pub fn shared(
    client: &Client,
    protocol: Protocol,
    profile: &AttributeProfile,
    notes: &mut Vec<String>,
) -> Vec<SharedAttribute> {
    let mut shared = Vec::new();
    for (name, mapper) in &client.mappers {
        if let Some(definition) = profile.attributes.get(name)
            && attribute_mapper(protocol, definition).as_ref() == Some(mapper)
        {
            shared.push(SharedAttribute::Named(name.clone()));
            continue;
        }
        match definition(name, mapper) {
            Some(definition) => shared.push(SharedAttribute::Custom(definition)),
            None => notes.push(format!(
                "mapper `{name}` ({}) is of a kind a record cannot describe",
                mapper.mapper_type
            )),
        }
    }
    shared
}

/// The definition fedctl would compile to this mapper, as near as a record can say it.
fn definition(name: &str, mapper: &Mapper) -> Option<AttributeDefinition> {
    let config = &mapper.config;
    let get = |key: &str| config.get(key).filter(|v| !v.is_empty()).cloned();
    let (source, saml) = match mapper.mapper_type.as_str() {
        "saml-user-property-mapper" => (AttributeSource::Property(get("user.attribute")?), true),
        "saml-user-attribute-mapper" => (AttributeSource::Attribute(get("user.attribute")?), true),
        "saml-group-membership-mapper" => (AttributeSource::Groups, true),
        "saml-role-list-mapper" => (AttributeSource::Roles, true),
        "oidc-usermodel-property-mapper" => {
            (AttributeSource::Property(get("user.attribute")?), false)
        }
        "oidc-usermodel-attribute-mapper" => {
            (AttributeSource::Attribute(get("user.attribute")?), false)
        }
        "oidc-group-membership-mapper" => (AttributeSource::Groups, false),
        "oidc-usermodel-realm-role-mapper" => (AttributeSource::Roles, false),
        _ => return None,
    };
    let mut definition = AttributeDefinition {
        name: Some(name.to_owned()),
        source,
        saml: None,
        oidc: None,
    };
    if saml {
        definition.saml = Some(SamlRelease {
            name: get("attribute.name")?,
            friendly_name: get("friendly.name"),
            name_format: name_format(config),
        });
    } else {
        definition.oidc = Some(OidcRelease {
            claim: get("claim.name")?,
            json_type: get("jsonType.label").filter(|t| t != "String"),
            multivalued: get("multivalued").as_deref() == Some("true"),
        });
    }
    Some(definition)
}

fn name_format(config: &BTreeMap<String, String>) -> SamlNameFormat {
    match config.get("attribute.nameformat").map(String::as_str) {
        Some("URI Reference") => SamlNameFormat::Uri,
        Some("Unspecified") => SamlNameFormat::Unspecified,
        _ => SamlNameFormat::Basic,
    }
}
