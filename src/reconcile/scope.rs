//! What a plan needs to see of the realm, so a target reads that and nothing else.

use std::collections::BTreeSet;

use crate::desired::Desired;

/// What a plan needs to see: the objects the records name. Targets also report every object
/// that carries fedctl's marker, so orphans can be found.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Scope {
    pub client_ids: BTreeSet<String>,
    pub group_paths: BTreeSet<String>,
    pub flow_aliases: BTreeSet<String>,
    pub usernames: BTreeSet<String>,
    /// Client roles (clientId, role) whose direct holders are wanted as users too
    /// (`fedctl import` looks for pilot users); a realm file observes every user anyway.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub role_holders: BTreeSet<(String, String)>,
}

impl Scope {
    pub fn of(desired: &Desired) -> Scope {
        let state = &desired.state;
        Scope {
            client_ids: state.clients.keys().cloned().collect(),
            group_paths: state.groups.keys().cloned().collect(),
            flow_aliases: state.flows.keys().cloned().collect(),
            usernames: state.users.keys().cloned().collect(),
            role_holders: BTreeSet::new(),
        }
    }
}
