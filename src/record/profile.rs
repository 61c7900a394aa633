//! Attribute profiles: how a released attribute name (`email`, `department`, …) maps to a
//! Keycloak user field and to SAML attributes / OIDC claims. Loaded from
//! `templates/attributes.yaml` (built in) or a profile file given by the user.

use std::collections::BTreeMap;
use std::path::Path;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::attribute::AttributeDefinition;
use super::document::parse_document;
use super::model::SharedAttribute;
use super::problem::{Finding, Problem, RecordErrors, SourceFile};

/// A whole profile file: attribute name → definition, under a top-level `attributes:` key
/// (see templates/attributes.yaml).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AttributeProfile {
    pub attributes: BTreeMap<String, AttributeDefinition>,
}

/// The built-in profile: plain attribute names (`email`, `given_name`, …), Basic name format,
/// as partner-integration runbooks configure them.
const BUILTIN: &str = include_str!("../../templates/attributes.yaml");

/// A shared attribute with the name its mapper gets and how it is released.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ResolvedAttribute<'a> {
    pub name: &'a str,
    pub definition: &'a AttributeDefinition,
}

impl AttributeProfile {
    /// The profile built into the binary (`templates/attributes.yaml`).
    pub fn builtin() -> AttributeProfile {
        serde_saphyr::from_str_with_options(BUILTIN, super::tree::yaml_options())
            .expect("templates/attributes.yaml is checked by the tests")
    }

    /// Reads a profile file, reporting every problem in it with its line and column.
    pub fn load(path: &Path) -> Result<AttributeProfile, RecordErrors> {
        let text = crate::input::read_to_string(path).map_err(|error| RecordErrors {
            problems: vec![Problem::about_path(
                path,
                format!("cannot read the attribute profile: {error}"),
                "give --attribute-profile a readable YAML file, e.g. templates/attributes-oid.yaml",
            )],
        })?;
        let source = SourceFile::new(path, text);
        let schema = super::schema::schema_of::<AttributeProfile>();
        let parsed = parse_document::<AttributeProfile>(&source.text, &schema);
        let mut findings = parsed.findings;
        findings.extend(parsed.value.iter().flat_map(AttributeProfile::check));
        match parsed.value {
            Some(profile) if findings.is_empty() => Ok(profile),
            _ => Err(RecordErrors {
                problems: findings
                    .into_iter()
                    .map(|finding| source.place(parsed.tree.as_ref(), finding))
                    .collect(),
            }),
        }
    }

    /// Attributes that could not be released by any protocol.
    fn check(&self) -> Vec<Finding> {
        self.attributes
            .iter()
            .filter(|(_, definition)| definition.saml.is_none() && definition.oidc.is_none())
            .map(|(name, _)| {
                Finding::error(
                    format!("attributes.{name}"),
                    format!("attribute `{name}` is released by no protocol"),
                )
                .with_help("add a `saml:` and/or an `oidc:` section")
            })
            .collect()
    }

    /// The mapper name and definition of a shared attribute: a profile entry for a name, the
    /// mapping itself for a one-off mapping (which must carry a `name`).
    pub fn resolve<'a>(&'a self, attribute: &'a SharedAttribute) -> Option<ResolvedAttribute<'a>> {
        match attribute {
            SharedAttribute::Named(name) => {
                let (name, definition) = self.attributes.get_key_value(name)?;
                Some(ResolvedAttribute { name, definition })
            }
            SharedAttribute::Custom(definition) => Some(ResolvedAttribute {
                name: definition.name.as_deref()?,
                definition,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::attribute::{AttributeSource, OidcRelease, SamlNameFormat};
    use std::fs;

    const OID_PROFILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/templates/attributes-oid.yaml");

    #[test]
    fn the_builtin_profile_has_the_runbook_attributes() {
        let profile = AttributeProfile::builtin();
        for name in [
            "email",
            "username",
            "given_name",
            "family_name",
            "display_name",
            "department",
            "groups",
            "roles",
        ] {
            let definition = &profile.attributes[name];
            let saml = definition.saml.as_ref().unwrap();
            assert_eq!(saml.name_format, SamlNameFormat::Basic, "{name}");
            assert!(definition.oidc.is_some(), "{name}");
        }
        let email = profile.attributes["email"].saml.clone().unwrap();
        assert_eq!(
            (email.name.as_str(), email.friendly_name.as_deref()),
            ("email", Some("email"))
        );
        assert_eq!(
            profile.attributes["username"].oidc.as_ref().unwrap().claim,
            "preferred_username"
        );
    }

    #[test]
    fn the_builtin_profile_passes_the_same_checks_as_a_user_profile() {
        let path = Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/templates/attributes.yaml"
        ));
        assert_eq!(
            AttributeProfile::load(path).unwrap(),
            AttributeProfile::builtin()
        );
    }

    #[test]
    fn the_oid_profile_uses_uri_names_for_the_same_attributes() {
        let oid = AttributeProfile::load(Path::new(OID_PROFILE)).unwrap();
        let builtin = AttributeProfile::builtin();
        assert_eq!(
            oid.attributes.keys().collect::<Vec<_>>(),
            builtin.attributes.keys().collect::<Vec<_>>()
        );
        for (name, definition) in &oid.attributes {
            let saml = definition.saml.as_ref().unwrap();
            assert!(saml.name.starts_with("urn:oid:"), "{name}");
            assert_eq!(saml.name_format, SamlNameFormat::Uri, "{name}");
            // The OIDC side does not change with the SAML naming scheme.
            assert_eq!(definition.oidc, builtin.attributes[name].oidc, "{name}");
        }
        let mail = oid.attributes["email"].saml.as_ref().unwrap();
        assert_eq!(mail.name, "urn:oid:0.9.2342.19200300.100.1.3");
        assert_eq!(mail.friendly_name.as_deref(), Some("mail"));
    }

    #[test]
    fn a_bad_profile_is_reported_with_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("profile.yaml");
        fs::write(&path, "attributes:\n  email:\n    source: { property: email }\n    saml: { nme: email }\n  x:\n    source: groups\n").unwrap();
        let errors = AttributeProfile::load(&path).unwrap_err();
        let found: Vec<_> = errors
            .problems
            .iter()
            .map(|p| (p.line(), p.message.as_str()))
            .collect();
        // Every problem, structural and semantic; the misspelt `nme` stands in for `name`
        // rather than also being reported missing.
        assert_eq!(
            found,
            [
                (Some(4), "unknown field `nme`"),
                (Some(5), "attribute `x` is released by no protocol")
            ]
        );
    }

    #[test]
    fn a_profile_attribute_must_be_released_somewhere() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("profile.yaml");
        fs::write(&path, "attributes:\n  x:\n    source: groups\n").unwrap();
        let errors = AttributeProfile::load(&path).unwrap_err();
        assert_eq!(
            errors.problems[0].message,
            "attribute `x` is released by no protocol"
        );
        assert_eq!(errors.problems[0].line(), Some(2));
    }

    #[test]
    fn resolve_finds_names_and_custom_mappings() {
        let profile = AttributeProfile::builtin();
        let named = SharedAttribute::Named("department".into());
        let resolved = profile.resolve(&named).unwrap();
        assert_eq!(resolved.name, "department");
        assert_eq!(
            resolved.definition.source,
            AttributeSource::Attribute("department".into())
        );
        assert!(
            profile
                .resolve(&SharedAttribute::Named("nope".into()))
                .is_none()
        );
        let custom = AttributeDefinition {
            name: Some("cost_center".into()),
            source: AttributeSource::Attribute("costCenter".into()),
            saml: None,
            oidc: Some(OidcRelease {
                claim: "cost_center".into(),
                json_type: None,
                multivalued: false,
            }),
        };
        let attribute = SharedAttribute::Custom(custom.clone());
        assert_eq!(profile.resolve(&attribute).unwrap().name, "cost_center");
        let nameless = SharedAttribute::Custom(AttributeDefinition {
            name: None,
            ..custom
        });
        assert!(profile.resolve(&nameless).is_none());
    }
}
