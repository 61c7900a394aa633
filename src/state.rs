//! The objects fedctl manages in a realm, in one shape for both sides of a comparison: the
//! desired state compiled from records ([`crate::desired`]) and the observed state a target
//! reads from Keycloak. Objects are keyed by their natural identity (clientId, group path,
//! flow alias), never by server ids: ids are the targets' business.
//!
//! Scalar settings are kept as flat [`Fields`] (`"name"`, `"redirectUris"`,
//! `"attributes.saml.encrypt"`), so diffing, rendering and writing are one generic mechanism.
//! The desired side holds only the fields fedctl owns; the observed side holds everything the
//! target read, and the diff looks only at the desired keys (no perpetual diffs from defaults).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

mod identity_provider;

pub use self::identity_provider::{
    CLIENT_SECRET_KEY, CONFIG_PREFIX, IDP_MAPPERS_KEY, IdentityProvider, SECRET_SHOWN,
    SecretSource, config_path,
};

/// Attribute (client, role, group) naming the record an object was created for.
pub const OWNER_ATTRIBUTE: &str = "fedctl.managed-by";
/// Client attribute listing the protocol mappers fedctl created on that client, so mappers an
/// admin added by hand are never deleted.
pub const MAPPERS_ATTRIBUTE: &str = "fedctl.mappers";
/// Role attribute listing the pilot users fedctl granted the role to directly.
pub const PILOT_USERS_ATTRIBUTE: &str = "fedctl.pilot-users";
/// Prefix of field paths that address a representation's `attributes` map.
pub const ATTRIBUTES_PREFIX: &str = "attributes.";
/// Flows have no attributes: the owner is written into the description as
/// `… [managed by fedctl: <record>]`.
const FLOW_OWNER_OPEN: &str = "[managed by fedctl: ";

/// Flat field path → JSON value. `Value::Null` means "absent".
pub type Fields = BTreeMap<String, Value>;

/// Everything fedctl manages (or might collide with) in one realm.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RealmState {
    pub clients: BTreeMap<String, Client>,
    pub groups: BTreeMap<String, Group>,
    pub flows: BTreeMap<String, Flow>,
    /// Users named as pilot users (observed: those that exist).
    pub users: BTreeMap<String, User>,
    /// Identity providers by alias (inbound federations).
    #[serde(default)]
    pub identity_providers: BTreeMap<String, IdentityProvider>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Client {
    pub fields: Fields,
    pub mappers: BTreeMap<String, Mapper>,
    pub roles: BTreeMap<String, Role>,
    /// Alias of the flow bound as this client's browser-flow override.
    pub browser_flow: Option<String>,
}

impl Client {
    pub fn owner(&self) -> Option<&str> {
        string_attribute(&self.fields, OWNER_ATTRIBUTE)
    }

    /// Mapper names fedctl created, from the client's bookkeeping attribute.
    pub fn managed_mappers(&self) -> BTreeSet<String> {
        string_attribute(&self.fields, MAPPERS_ATTRIBUTE)
            .map(split_list)
            .unwrap_or_default()
    }

    pub fn protocol(&self) -> Option<&str> {
        self.fields.get("protocol").and_then(Value::as_str)
    }
}

/// A protocol mapper. Keycloak's PUT replaces `config` wholesale, so it is compared whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mapper {
    pub protocol: String,
    pub mapper_type: String,
    pub config: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Role {
    pub fields: Fields,
}

impl Role {
    pub fn owner(&self) -> Option<&str> {
        list_attribute(&self.fields, OWNER_ATTRIBUTE).and_then(|owners| owners.into_iter().next())
    }

    pub fn pilot_users(&self) -> BTreeSet<String> {
        list_attribute(&self.fields, PILOT_USERS_ATTRIBUTE)
            .map(|users| users.into_iter().map(str::to_owned).collect())
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Group {
    pub fields: Fields,
    /// clientId → client roles granted to the group directly.
    pub client_roles: BTreeMap<String, BTreeSet<String>>,
    /// Direct members, when the target counted them (observed side only): a plan that
    /// deletes a group or moves access away from it says whom it affects.
    pub members: Option<usize>,
}

impl Group {
    /// Records that use this group; a group may serve several federations.
    pub fn owners(&self) -> BTreeSet<String> {
        list_attribute(&self.fields, OWNER_ATTRIBUTE)
            .map(|owners| owners.into_iter().map(str::to_owned).collect())
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub enabled: bool,
    /// clientId → client roles granted to the user directly.
    pub client_roles: BTreeMap<String, BTreeSet<String>>,
}

/// A top-level authentication flow and its whole tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flow {
    pub description: String,
    pub steps: Vec<FlowStep>,
}

impl Flow {
    pub fn owner(&self) -> Option<&str> {
        let start = self.description.rfind(FLOW_OWNER_OPEN)? + FLOW_OWNER_OPEN.len();
        let rest = &self.description[start..];
        rest.strip_suffix(']')
    }

    /// A description that carries the ownership marker.
    pub fn marked_description(text: &str, owner: &str) -> String {
        format!("{text} {FLOW_OWNER_OPEN}{owner}]")
    }

    /// Equal as Keycloak runs them. Sub-flow and authenticator-config aliases are only names:
    /// Keycloak names the parts of a copied flow itself (`<copy> <original alias>`), so they
    /// are not compared.
    pub fn equivalent(&self, other: &Flow) -> bool {
        self.description == other.description && steps_equivalent(&self.steps, &other.steps)
    }
}

/// Same requirements, providers, config values and nesting; aliases aside.
pub fn steps_equivalent(a: &[FlowStep], b: &[FlowStep]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            x.requirement == y.requirement
                && match (&x.kind, &y.kind) {
                    (
                        StepKind::Authenticator {
                            provider: p1,
                            config: c1,
                        },
                        StepKind::Authenticator {
                            provider: p2,
                            config: c2,
                        },
                    ) => {
                        p1 == p2 && c1.as_ref().map(|c| &c.config) == c2.as_ref().map(|c| &c.config)
                    }
                    (StepKind::SubFlow { steps: s1, .. }, StepKind::SubFlow { steps: s2, .. }) => {
                        steps_equivalent(s1, s2)
                    }
                    _ => false,
                }
        })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Requirement {
    Required,
    Alternative,
    Conditional,
    Disabled,
}

impl Requirement {
    pub fn as_keycloak(self) -> &'static str {
        match self {
            Requirement::Required => "REQUIRED",
            Requirement::Alternative => "ALTERNATIVE",
            Requirement::Conditional => "CONDITIONAL",
            Requirement::Disabled => "DISABLED",
        }
    }

    pub fn from_keycloak(text: &str) -> Option<Requirement> {
        Some(match text {
            "REQUIRED" => Requirement::Required,
            "ALTERNATIVE" => Requirement::Alternative,
            "CONDITIONAL" => Requirement::Conditional,
            "DISABLED" => Requirement::Disabled,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowStep {
    pub requirement: Requirement,
    pub kind: StepKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum StepKind {
    Authenticator {
        provider: String,
        config: Option<AuthenticatorConfig>,
    },
    SubFlow {
        alias: String,
        steps: Vec<FlowStep>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthenticatorConfig {
    pub alias: String,
    pub config: BTreeMap<String, String>,
}

/// Splits a `,`-joined bookkeeping list.
pub fn split_list(text: &str) -> BTreeSet<String> {
    text.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Joins names for a `,`-joined bookkeeping attribute (sorted, so the value is stable).
pub fn join_list<'a>(items: impl IntoIterator<Item = &'a String>) -> String {
    let sorted: BTreeSet<&String> = items.into_iter().collect();
    sorted.into_iter().cloned().collect::<Vec<_>>().join(",")
}

pub fn attribute_path(key: &str) -> String {
    format!("{ATTRIBUTES_PREFIX}{key}")
}

/// A single-valued attribute (client attributes are plain strings).
fn string_attribute<'a>(fields: &'a Fields, key: &str) -> Option<&'a str> {
    fields.get(&attribute_path(key)).and_then(Value::as_str)
}

/// A multi-valued attribute (role and group attributes are string lists).
fn list_attribute<'a>(fields: &'a Fields, key: &str) -> Option<Vec<&'a str>> {
    let values = fields.get(&attribute_path(key))?.as_array()?;
    Some(values.iter().filter_map(Value::as_str).collect())
}

/// The parent path of a group path (`/a/b` → `/a`), or None for a top-level group.
pub fn group_parent(path: &str) -> Option<&str> {
    let cut = path.rfind('/')?;
    (cut > 0).then(|| &path[..cut])
}

/// The last segment of a group path: the group's own name.
pub fn group_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// `path` lies strictly below `ancestor` (`/a/b` below `/a`, not `/ab`).
pub fn is_below(path: &str, ancestor: &str) -> bool {
    path.strip_prefix(ancestor)
        .is_some_and(|rest| rest.starts_with('/'))
}

/// Turns a record's group (`name` or `/a/b`) into a canonical path.
pub fn group_path(group: &str) -> String {
    if group.starts_with('/') {
        group.to_owned()
    } else {
        format!("/{group}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_markers_from_fields() {
        let mut client = Client::default();
        client
            .fields
            .insert(attribute_path(OWNER_ATTRIBUTE), json!("partner"));
        client.fields.insert(
            attribute_path(MAPPERS_ATTRIBUTE),
            json!("email, department,"),
        );
        assert_eq!(client.owner(), Some("partner"));
        assert_eq!(
            client.managed_mappers(),
            BTreeSet::from(["department".to_owned(), "email".to_owned()])
        );
        let mut group = Group::default();
        group
            .fields
            .insert(attribute_path(OWNER_ATTRIBUTE), json!(["a", "b"]));
        assert_eq!(group.owners().len(), 2);
    }

    #[test]
    fn flow_owner_round_trips_through_the_description() {
        let flow = Flow {
            description: Flow::marked_description("Only role holders.", "partner-example"),
            steps: vec![],
        };
        assert_eq!(flow.owner(), Some("partner-example"));
        let unmarked = Flow {
            description: "browser".into(),
            steps: vec![],
        };
        assert_eq!(unmarked.owner(), None);
    }

    #[test]
    fn flows_compare_without_part_aliases() {
        let step = |sub_alias: &str, config_alias: &str, role: &str| FlowStep {
            requirement: Requirement::Conditional,
            kind: StepKind::SubFlow {
                alias: sub_alias.into(),
                steps: vec![FlowStep {
                    requirement: Requirement::Required,
                    kind: StepKind::Authenticator {
                        provider: "conditional-user-role".into(),
                        config: Some(AuthenticatorConfig {
                            alias: config_alias.into(),
                            config: BTreeMap::from([("condUserRole".into(), role.into())]),
                        }),
                    },
                }],
            },
        };
        let flow = |steps| Flow {
            description: "d".into(),
            steps,
        };
        let desired = flow(vec![step("x gate", "x-role", "app.access")]);
        let copied = flow(vec![step("x tpl gate", "x tpl config 1", "app.access")]);
        assert!(desired.equivalent(&copied));
        assert_ne!(desired, copied);
        let other_role = flow(vec![step("x gate", "x-role", "app.other")]);
        assert!(!desired.equivalent(&other_role));
        let required = flow(vec![FlowStep {
            requirement: Requirement::Required,
            ..step("x gate", "x-role", "app.access")
        }]);
        assert!(!desired.equivalent(&required));
        assert!(!desired.equivalent(&flow(vec![])));
    }

    #[test]
    fn group_paths() {
        assert_eq!(group_path("staff"), "/staff");
        assert_eq!(group_path("/a/b"), "/a/b");
        assert_eq!(group_parent("/a/b"), Some("/a"));
        assert_eq!(group_parent("/a"), None);
        assert_eq!(group_name("/a/b"), "b");
        assert!(is_below("/a/b/c", "/a"));
        assert!(!is_below("/ab", "/a"));
        assert!(!is_below("/a", "/a"));
    }
}
