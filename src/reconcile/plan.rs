//! The plan: what will change, why, and the operations that make it so.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::state::{Fields, Flow, Mapper, SecretSource};

/// A plan is a list of changes in execution order, plus the records fedctl skipped and the
/// records it cannot enforce (a conflict withholds the whole record).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub changes: Vec<Change>,
    pub skipped: Vec<(String, String)>,
    /// Record → why none of its changes are applied.
    pub not_enforced: Vec<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Create,
    Update,
    Delete,
    /// An object with the same identity exists but fedctl does not manage it.
    Conflict,
    /// A managed object whose record is gone; deleted only with `--prune`.
    Orphan,
}

impl Action {
    pub fn symbol(self) -> char {
        match self {
            Action::Create => '+',
            Action::Update => '~',
            Action::Delete => '-',
            Action::Conflict => '!',
            Action::Orphan => '?',
        }
    }
}

/// The natural identity of a managed object.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ObjectRef {
    Client {
        client_id: String,
    },
    Mapper {
        client_id: String,
        name: String,
    },
    Role {
        client_id: String,
        role: String,
    },
    Group {
        path: String,
    },
    GroupGrant {
        path: String,
        client_id: String,
        role: String,
    },
    UserGrant {
        username: String,
        client_id: String,
        role: String,
    },
    Flow {
        alias: String,
    },
    FlowBinding {
        client_id: String,
    },
    IdentityProvider {
        alias: String,
    },
    IdpMapper {
        alias: String,
        name: String,
    },
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ObjectRef::Client { client_id } => write!(f, "client {client_id}"),
            ObjectRef::Mapper { client_id, name } => {
                write!(f, "mapper {name} of client {client_id}")
            }
            ObjectRef::Role { client_id, role } => write!(f, "client role {role} of {client_id}"),
            ObjectRef::Group { path } => write!(f, "group {path}"),
            ObjectRef::GroupGrant {
                path,
                client_id,
                role,
            } => write!(f, "grant of {client_id} role {role} to group {path}"),
            ObjectRef::UserGrant {
                username,
                client_id,
                role,
            } => write!(f, "grant of {client_id} role {role} to user {username}"),
            ObjectRef::Flow { alias } => write!(f, "flow {alias}"),
            ObjectRef::FlowBinding { client_id } => {
                write!(f, "browser flow binding of {client_id}")
            }
            ObjectRef::IdentityProvider { alias } => write!(f, "identity provider {alias}"),
            ObjectRef::IdpMapper { alias, name } => {
                write!(f, "mapper {name} of identity provider {alias}")
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    pub path: String,
    pub old: Value,
    pub new: Value,
}

/// One line of the plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// The record the change serves (for orphans: the record that is gone).
    pub record: String,
    pub action: Action,
    pub object: ObjectRef,
    pub fields: Vec<FieldChange>,
    /// Why: for conflicts, orphans and notable updates.
    pub reason: Option<String>,
    /// What to execute; `None` for conflicts and kept orphans.
    pub operation: Option<Operation>,
}

/// What a target executes. Operations name objects by natural keys; targets resolve ids.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Operation {
    CreateGroup {
        path: String,
        fields: Fields,
    },
    UpdateGroup {
        path: String,
        fields: Fields,
    },
    DeleteGroup {
        path: String,
    },
    /// Creates a client. `mappers` are the ones the plan's CreateMapper operations will add:
    /// a target that can create them with the client (Keycloak's POST takes them) does, and
    /// then has nothing left to do for those operations. `browser_flow` is the gate bound in
    /// the creating request, so that an interrupted apply never leaves the client reachable
    /// without it (the flow is created in an earlier phase).
    CreateClient {
        client_id: String,
        fields: Fields,
        mappers: BTreeMap<String, Mapper>,
        browser_flow: Option<String>,
    },
    /// Sets the given fields only (null = remove an attribute); everything else is kept.
    UpdateClient {
        client_id: String,
        fields: Fields,
    },
    DeleteClient {
        client_id: String,
    },
    CreateMapper {
        client_id: String,
        name: String,
        mapper: Mapper,
    },
    UpdateMapper {
        client_id: String,
        name: String,
        mapper: Mapper,
    },
    DeleteMapper {
        client_id: String,
        name: String,
    },
    CreateRole {
        client_id: String,
        role: String,
        fields: Fields,
    },
    UpdateRole {
        client_id: String,
        role: String,
        fields: Fields,
    },
    DeleteRole {
        client_id: String,
        role: String,
    },
    GrantGroupRole {
        path: String,
        client_id: String,
        role: String,
    },
    RevokeGroupRole {
        path: String,
        client_id: String,
        role: String,
    },
    /// Grants a pilot user the role and records the user in the role's pilot bookkeeping.
    GrantUserRole {
        username: String,
        client_id: String,
        role: String,
    },
    RevokeUserRole {
        username: String,
        client_id: String,
        role: String,
    },
    CreateFlow {
        alias: String,
        flow: Flow,
    },
    /// Rebuilds a flow's executions in place (a bound flow cannot be deleted).
    ReplaceFlow {
        alias: String,
        flow: Flow,
    },
    DeleteFlow {
        alias: String,
    },
    BindBrowserFlow {
        client_id: String,
        flow: Option<String>,
    },
    /// Creates an identity provider; `client_secret` names where the target reads the OIDC
    /// client secret when it writes it (the value never enters a plan).
    CreateIdentityProvider {
        alias: String,
        fields: Fields,
        client_secret: Option<SecretSource>,
    },
    /// Sets the given fields (and the secret, when given); everything else is kept.
    UpdateIdentityProvider {
        alias: String,
        fields: Fields,
        client_secret: Option<SecretSource>,
    },
    DeleteIdentityProvider {
        alias: String,
    },
    CreateIdpMapper {
        alias: String,
        name: String,
        mapper: Mapper,
    },
    UpdateIdpMapper {
        alias: String,
        name: String,
        mapper: Mapper,
    },
    DeleteIdpMapper {
        alias: String,
        name: String,
    },
}

impl Operation {
    /// Execution phase: flows before the clients they gate (a new client is created bound),
    /// groups and clients before what hangs off them; deletes in reverse. Operations of one
    /// phase are independent of each other.
    pub fn phase(&self) -> u8 {
        use Operation::*;
        match self {
            CreateGroup { .. } | UpdateGroup { .. } | CreateFlow { .. } | ReplaceFlow { .. } => 0,
            // The group mapper names the access group, which phase 0 creates.
            CreateClient { .. }
            | UpdateClient { .. }
            | CreateIdentityProvider { .. }
            | UpdateIdentityProvider { .. } => 1,
            CreateRole { .. }
            | UpdateRole { .. }
            | CreateMapper { .. }
            | UpdateMapper { .. }
            | CreateIdpMapper { .. }
            | UpdateIdpMapper { .. } => 2,
            GrantGroupRole { .. } | GrantUserRole { .. } => 3,
            BindBrowserFlow { .. } => 5,
            RevokeGroupRole { .. } | RevokeUserRole { .. } => 6,
            DeleteMapper { .. } | DeleteRole { .. } | DeleteIdpMapper { .. } => 7,
            // Deleting a client releases its flow binding, so clients go before flows.
            DeleteClient { .. } | DeleteIdentityProvider { .. } => 8,
            DeleteFlow { .. } => 9,
            DeleteGroup { .. } => 10,
        }
    }

    /// Within a phase, parents are created before children and deleted after them.
    fn depth_key(&self) -> i64 {
        match self {
            Operation::CreateGroup { path, .. } => path.matches('/').count() as i64,
            Operation::DeleteGroup { path } => -(path.matches('/').count() as i64),
            _ => 0,
        }
    }

    pub fn sort_key(&self) -> (u8, i64) {
        (self.phase(), self.depth_key())
    }
}

impl Plan {
    /// Orders changes for execution (stable: the diff's order is kept within a step).
    pub fn sort(&mut self) {
        self.changes.sort_by_key(|change| {
            change
                .operation
                .as_ref()
                .map(Operation::sort_key)
                .unwrap_or((u8::MAX, 0))
        });
    }

    pub fn operations(&self) -> impl Iterator<Item = &Operation> {
        self.changes.iter().filter_map(|c| c.operation.as_ref())
    }

    pub fn has_changes(&self) -> bool {
        self.operations().next().is_some()
    }

    pub fn summary(&self) -> Summary {
        let mut counts = BTreeMap::new();
        for change in &self.changes {
            *counts.entry(change.action).or_insert(0usize) += 1;
        }
        let count = |action| counts.get(&action).copied().unwrap_or(0);
        let members_losing_group = self
            .changes
            .iter()
            .filter(|c| c.action == Action::Delete && matches!(c.object, ObjectRef::Group { .. }))
            .flat_map(|c| &c.fields)
            .filter(|f| f.path == "members")
            .filter_map(|f| f.old.as_u64())
            .sum::<u64>() as usize;
        Summary {
            members_losing_group,
            create: count(Action::Create),
            update: count(Action::Update),
            delete: count(Action::Delete),
            conflict: count(Action::Conflict),
            orphan: count(Action::Orphan),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Memberships that planned group deletions remove (called out before anyone confirms).
    pub members_losing_group: usize,
    pub create: usize,
    pub update: usize,
    pub delete: usize,
    pub conflict: usize,
    pub orphan: usize,
}
