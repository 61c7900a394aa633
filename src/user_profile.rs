//! Keycloak's declarative user profile (Keycloak 24+) and the attributes fedctl releases.
//!
//! A user attribute the realm's user profile does not declare is dropped when a user is
//! saved (unless the profile keeps unmanaged attributes), so a mapper releasing it releases
//! nothing. `plan`/`apply` warn about such attributes and `verify` fails on them.
//!
//! fedctl does not declare attributes itself: the user profile is realm-wide (every
//! application and the account console use it), and a declaration decides who may view and
//! edit the value; a `department` that users may edit themselves would let them choose what
//! partners are told. That is the realm administrator's decision, so fedctl names the
//! attribute and leaves the declaration to them.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::state::RealmState;

/// The attributes Keycloak's default user profile declares (a realm export without a
/// user-profile component has this profile).
const DEFAULT_DECLARED: [&str; 4] = ["username", "email", "firstName", "lastName"];

/// The mapper types that read a custom user attribute (`user.attribute`).
const ATTRIBUTE_MAPPERS: [&str; 2] = [
    "saml-user-attribute-mapper",
    "oidc-usermodel-attribute-mapper",
];

/// What a user profile keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserProfile {
    pub declared: BTreeSet<String>,
    /// `unmanagedAttributePolicy` is set: undeclared attributes are kept too.
    pub keeps_unmanaged: bool,
}

impl UserProfile {
    /// From a user-profile configuration (`GET /admin/realms/{realm}/users/profile`).
    pub fn from_config(config: &Value) -> UserProfile {
        let declared = (config["attributes"].as_array().into_iter().flatten())
            .filter_map(|a| a["name"].as_str().map(str::to_owned))
            .collect();
        let policy = config["unmanagedAttributePolicy"].as_str().unwrap_or("");
        UserProfile {
            declared,
            keeps_unmanaged: !policy.is_empty() && policy != "DISABLED",
        }
    }

    /// From a realm export: its user-profile component's configuration, else the default.
    pub fn from_realm_export(realm: &Value) -> UserProfile {
        let config = realm["components"]["org.keycloak.userprofile.UserProfileProvider"]
            .as_array()
            .and_then(|c| c.first())
            .and_then(|c| c["config"]["kc.user.profile.config"][0].as_str())
            .and_then(|text| serde_json::from_str::<Value>(text).ok());
        match config {
            Some(config) => UserProfile::from_config(&config),
            None => UserProfile {
                declared: DEFAULT_DECLARED.iter().map(|s| (*s).to_owned()).collect(),
                keeps_unmanaged: false,
            },
        }
    }

    /// A profile that drops nothing (when the realm's profile cannot be read).
    pub fn keeping_everything() -> UserProfile {
        UserProfile {
            declared: BTreeSet::new(),
            keeps_unmanaged: true,
        }
    }

    /// Whether Keycloak keeps user attribute `name`.
    pub fn keeps(&self, name: &str) -> bool {
        self.keeps_unmanaged || self.declared.contains(name)
    }
}

/// A mapper that releases a user attribute the user profile drops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DroppedRelease {
    pub client_id: String,
    pub mapper: String,
    pub attribute: String,
}

/// The warning `plan` and `apply` print.
impl std::fmt::Display for DroppedRelease {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let DroppedRelease {
            client_id,
            mapper,
            attribute,
        } = self;
        write!(
            f,
            "warning: client {client_id}: mapper {mapper} releases user attribute {attribute}, \
             which the realm's user profile does not declare: Keycloak drops undeclared \
             attributes, so nothing is released. Declare {attribute} in Realm settings > User \
             profile (with admin-only edit rights)"
        )
    }
}

/// Every mapper in `state` that releases a user attribute `profile` drops.
pub fn dropped_releases(state: &RealmState, profile: &UserProfile) -> Vec<DroppedRelease> {
    let mut dropped = Vec::new();
    for (client_id, client) in &state.clients {
        for (name, mapper) in &client.mappers {
            let Some(attribute) = mapper.config.get("user.attribute") else {
                continue;
            };
            if ATTRIBUTE_MAPPERS.contains(&mapper.mapper_type.as_str()) && !profile.keeps(attribute)
            {
                dropped.push(DroppedRelease {
                    client_id: client_id.clone(),
                    mapper: name.clone(),
                    attribute: attribute.clone(),
                });
            }
        }
    }
    dropped
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{Client, Mapper};

    fn state_releasing(attribute: &str) -> RealmState {
        let mut state = RealmState::default();
        let mut client = Client::default();
        client.mappers.insert(
            "department".into(),
            Mapper {
                protocol: "saml".into(),
                mapper_type: "saml-user-attribute-mapper".into(),
                config: [("user.attribute".to_owned(), attribute.to_owned())].into(),
            },
        );
        state.clients.insert("https://sp".into(), client);
        state
    }

    #[test]
    fn an_undeclared_attribute_is_dropped_unless_unmanaged_ones_are_kept() {
        let config = serde_json::json!({"attributes": [{"name": "username"}, {"name": "email"}]});
        let profile = UserProfile::from_config(&config);
        assert_eq!(
            dropped_releases(&state_releasing("department"), &profile),
            [DroppedRelease {
                client_id: "https://sp".into(),
                mapper: "department".into(),
                attribute: "department".into(),
            }]
        );
        assert!(dropped_releases(&state_releasing("email"), &profile).is_empty());
        let mut keeping = config.clone();
        keeping["unmanagedAttributePolicy"] = "ENABLED".into();
        let profile = UserProfile::from_config(&keeping);
        assert!(dropped_releases(&state_releasing("department"), &profile).is_empty());
    }

    #[test]
    fn a_realm_export_without_a_profile_component_has_the_default_profile() {
        let profile = UserProfile::from_realm_export(&serde_json::json!({"realm": "r"}));
        assert!(profile.keeps("lastName"));
        assert!(!profile.keeps("department"));
        let config = serde_json::json!({"attributes": [{"name": "department"}]}).to_string();
        let export = serde_json::json!({"components": {
            "org.keycloak.userprofile.UserProfileProvider": [
                {"config": {"kc.user.profile.config": [config]}}
            ]
        }});
        assert!(UserProfile::from_realm_export(&export).keeps("department"));
    }
}
