//! Desired vs observed → changes (pure).
//!
//! Rules: only fields the desired side names are compared (no perpetual diffs from server
//! defaults); an object fedctl did not create is a conflict unless `--adopt`; objects whose
//! record is gone are orphans, deleted only with `--prune`; nothing unmarked is ever deleted,
//! not even by a cascade. A partial run (some records of the set) sees only its own records'
//! objects. A record with a conflict is not applied at all: a client without its deny flow,
//! or a flow bound to nothing, is worse than no change.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use super::plan::{Action, Change, FieldChange, ObjectRef, Operation, Plan};
use crate::desired::Desired;
use crate::state::{
    self, Client, Fields, Group, MAPPERS_ATTRIBUTE, OWNER_ATTRIBUTE, RealmState, attribute_path,
};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DiffOptions {
    /// Delete managed objects whose record is gone.
    pub prune: bool,
    /// Take over existing unmanaged objects that collide with desired ones.
    pub adopt: bool,
    /// The records are some of the set, not all of it: objects marked for records not given
    /// are another run's business, never orphans (and never pruned).
    pub partial: bool,
}

pub fn diff(desired: &Desired, observed: &RealmState, options: DiffOptions) -> Plan {
    let mut differ = Differ {
        desired,
        observed,
        options,
        loaded: desired.records.iter().map(String::as_str).collect(),
        blocked_clients: BTreeSet::new(),
        plan: Plan {
            skipped: desired.skipped.clone(),
            ..Plan::default()
        },
    };
    differ.flows();
    differ.clients();
    differ.identity_providers();
    differ.groups();
    differ.pilot_users();
    differ.orphans();
    differ.withhold_records_in_conflict();
    differ.plan.sort();
    differ.plan
}

struct Differ<'a> {
    desired: &'a Desired,
    observed: &'a RealmState,
    options: DiffOptions,
    loaded: BTreeSet<&'a str>,
    /// Clients in conflict: nothing that hangs off them is touched.
    blocked_clients: BTreeSet<String>,
    plan: Plan,
}

impl Differ<'_> {
    fn push(
        &mut self,
        record: &str,
        action: Action,
        object: ObjectRef,
        operation: Option<Operation>,
    ) {
        self.push_fields(record, action, object, Vec::new(), operation);
    }

    fn push_fields(
        &mut self,
        record: &str,
        action: Action,
        object: ObjectRef,
        fields: Vec<FieldChange>,
        operation: Option<Operation>,
    ) {
        self.plan.changes.push(Change {
            record: record.to_owned(),
            action,
            object,
            fields,
            reason: None,
            operation,
        });
    }

    fn conflict(&mut self, record: &str, object: ObjectRef, reason: String) {
        self.plan.changes.push(Change {
            record: record.to_owned(),
            action: Action::Conflict,
            object,
            fields: Vec::new(),
            reason: Some(reason),
            operation: None,
        });
    }

    /// Whether an existing object with this owner may be changed on behalf of `record`.
    fn may_manage(&mut self, record: &str, owner: Option<&str>, object: &ObjectRef) -> bool {
        match owner {
            Some(owner) if owner == record => true,
            // Its record is gone (renamed file, merged records): the new record takes it over.
            Some(owner) if !self.is_present(owner) => true,
            Some(owner) => {
                let why = if self.loaded.contains(owner) {
                    format!("managed by fedctl for record {owner}")
                } else {
                    format!(
                        "managed by fedctl for record {owner}, which this partial run leaves out"
                    )
                };
                self.conflict(record, object.clone(), why);
                false
            }
            None if self.options.adopt => true,
            None => {
                self.conflict(
                    record,
                    object.clone(),
                    "exists in Keycloak but was not created by fedctl (use --adopt to take it over)"
                        .to_owned(),
                );
                false
            }
        }
    }

    /// Whether a record may still exist: in a partial run, any record not given might.
    fn is_present(&self, record: &str) -> bool {
        self.options.partial || self.loaded.contains(record)
    }

    fn flows(&mut self) {
        for (alias, want) in &self.desired.state.flows {
            let record = want.owner().unwrap_or_default().to_owned();
            let object = ObjectRef::Flow {
                alias: alias.clone(),
            };
            match self.observed.flows.get(alias) {
                None => self.push_fields(
                    &record,
                    Action::Create,
                    object,
                    vec![
                        field_change("description", Value::Null, json!(want.description)),
                        field_change("executions", Value::Null, json!(flow_outline(&want.steps))),
                    ],
                    Some(Operation::CreateFlow {
                        alias: alias.clone(),
                        flow: want.clone(),
                    }),
                ),
                Some(have) => {
                    if !self.may_manage(&record, have.owner(), &object) {
                        continue;
                    }
                    if !have.equivalent(want) {
                        let mut change = Change {
                            record: record.clone(),
                            action: Action::Update,
                            object,
                            fields: Vec::new(),
                            reason: Some("executions differ from the record; rebuilt".into()),
                            operation: Some(Operation::ReplaceFlow {
                                alias: alias.clone(),
                                flow: want.clone(),
                            }),
                        };
                        if !state::steps_equivalent(&have.steps, &want.steps) {
                            change.fields.push(field_change(
                                "executions",
                                json!(flow_outline(&have.steps)),
                                json!(flow_outline(&want.steps)),
                            ));
                        }
                        if have.description != want.description {
                            change.fields.push(field_change(
                                "description",
                                json!(have.description),
                                json!(want.description),
                            ));
                        }
                        self.plan.changes.push(change);
                    }
                }
            }
        }
    }

    fn clients(&mut self) {
        for (client_id, want) in &self.desired.state.clients {
            let record = want.owner().unwrap_or_default().to_owned();
            match self.observed.clients.get(client_id) {
                None => self.create_client(&record, client_id, want),
                Some(have) => {
                    let object = ObjectRef::Client {
                        client_id: client_id.clone(),
                    };
                    if self.may_manage(&record, have.owner(), &object) {
                        self.update_client(&record, client_id, want, have);
                    } else {
                        self.blocked_clients.insert(client_id.clone());
                    }
                }
            }
        }
    }

    fn create_client(&mut self, record: &str, client_id: &str, want: &Client) {
        let fields = want.fields.clone();
        self.push_fields(
            record,
            Action::Create,
            ObjectRef::Client {
                client_id: client_id.into(),
            },
            creation_fields(&fields),
            Some(Operation::CreateClient {
                client_id: client_id.into(),
                fields,
                mappers: want.mappers.clone(),
                browser_flow: want
                    .browser_flow
                    .clone()
                    .filter(|alias| !self.is_conflicting_flow(alias)),
            }),
        );
        for (name, mapper) in &want.mappers {
            self.push_fields(
                record,
                Action::Create,
                ObjectRef::Mapper {
                    client_id: client_id.into(),
                    name: name.clone(),
                },
                mapper_fields(mapper),
                Some(Operation::CreateMapper {
                    client_id: client_id.into(),
                    name: name.clone(),
                    mapper: mapper.clone(),
                }),
            );
        }
        for (role, role_want) in &want.roles {
            self.push_fields(
                record,
                Action::Create,
                ObjectRef::Role {
                    client_id: client_id.into(),
                    role: role.clone(),
                },
                creation_fields(&role_want.fields),
                Some(Operation::CreateRole {
                    client_id: client_id.into(),
                    role: role.clone(),
                    fields: role_want.fields.clone(),
                }),
            );
        }
        self.binding(record, client_id, want.browser_flow.as_deref(), None);
    }

    fn update_client(&mut self, record: &str, client_id: &str, want: &Client, have: &Client) {
        let managed_mappers = self.mappers(record, client_id, want, have);
        let mut want_fields = want.fields.clone();
        want_fields.insert(
            attribute_path(MAPPERS_ATTRIBUTE),
            json!(state::join_list(&managed_mappers)),
        );
        let changes = changed_fields(&want_fields, &have.fields);
        if !changes.is_empty() {
            let fields = changes
                .iter()
                .map(|c| (c.path.clone(), c.new.clone()))
                .collect();
            self.push_fields(
                record,
                Action::Update,
                ObjectRef::Client {
                    client_id: client_id.into(),
                },
                changes,
                Some(Operation::UpdateClient {
                    client_id: client_id.into(),
                    fields,
                }),
            );
        }
        self.roles(record, client_id, want, have);
        self.binding(
            record,
            client_id,
            want.browser_flow.as_deref(),
            have.browser_flow.as_deref(),
        );
    }

    /// Diffs the mappers of a managed client; returns the names fedctl manages afterwards.
    fn mappers(
        &mut self,
        record: &str,
        client_id: &str,
        want: &Client,
        have: &Client,
    ) -> BTreeSet<String> {
        let previously_managed = have.managed_mappers();
        let mut managed = BTreeSet::new();
        for (name, mapper) in &want.mappers {
            let object = ObjectRef::Mapper {
                client_id: client_id.into(),
                name: name.clone(),
            };
            let operation = |update: bool| {
                let (client_id, name, mapper) = (client_id.into(), name.clone(), mapper.clone());
                if update {
                    Operation::UpdateMapper {
                        client_id,
                        name,
                        mapper,
                    }
                } else {
                    Operation::CreateMapper {
                        client_id,
                        name,
                        mapper,
                    }
                }
            };
            match have.mappers.get(name) {
                None => {
                    self.push_fields(
                        record,
                        Action::Create,
                        object,
                        mapper_fields(mapper),
                        Some(operation(false)),
                    );
                    managed.insert(name.clone());
                }
                // The record decides what the client releases, whoever made the mapper.
                Some(existing) => {
                    if existing != mapper {
                        let fields = mapper_changes(existing, mapper);
                        self.push_fields(
                            record,
                            Action::Update,
                            object,
                            fields,
                            Some(operation(true)),
                        );
                    }
                    managed.insert(name.clone());
                }
            }
        }
        for (name, existing) in &have.mappers {
            if want.mappers.contains_key(name) {
                continue;
            }
            let reason = if previously_managed.contains(name) {
                "the record no longer shares this".to_owned()
            } else {
                "added outside fedctl: a release the record does not agree to".to_owned()
            };
            self.plan.changes.push(Change {
                record: record.to_owned(),
                action: Action::Delete,
                object: ObjectRef::Mapper {
                    client_id: client_id.into(),
                    name: name.clone(),
                },
                fields: removal_fields(existing),
                reason: Some(reason),
                operation: Some(Operation::DeleteMapper {
                    client_id: client_id.into(),
                    name: name.clone(),
                }),
            });
        }
        managed
    }

    fn roles(&mut self, record: &str, client_id: &str, want: &Client, have: &Client) {
        for (role, role_want) in &want.roles {
            let object = ObjectRef::Role {
                client_id: client_id.into(),
                role: role.clone(),
            };
            match have.roles.get(role) {
                None => self.push_fields(
                    record,
                    Action::Create,
                    object,
                    creation_fields(&role_want.fields),
                    Some(Operation::CreateRole {
                        client_id: client_id.into(),
                        role: role.clone(),
                        fields: role_want.fields.clone(),
                    }),
                ),
                Some(role_have) => {
                    if !self.may_manage(record, role_have.owner(), &object) {
                        continue;
                    }
                    let changes = changed_fields(&role_want.fields, &role_have.fields);
                    if !changes.is_empty() {
                        let fields = changes
                            .iter()
                            .map(|c| (c.path.clone(), c.new.clone()))
                            .collect();
                        self.push_fields(
                            record,
                            Action::Update,
                            object,
                            changes,
                            Some(Operation::UpdateRole {
                                client_id: client_id.into(),
                                role: role.clone(),
                                fields,
                            }),
                        );
                    }
                }
            }
        }
        // A role this record created that the record no longer names (renamed role).
        for (role, role_have) in &have.roles {
            if role_have.owner() == Some(record) && !want.roles.contains_key(role) {
                self.push(
                    record,
                    Action::Delete,
                    ObjectRef::Role {
                        client_id: client_id.into(),
                        role: role.clone(),
                    },
                    Some(Operation::DeleteRole {
                        client_id: client_id.into(),
                        role: role.clone(),
                    }),
                );
            }
        }
    }

    fn binding(&mut self, record: &str, client_id: &str, want: Option<&str>, have: Option<&str>) {
        if want == have {
            return;
        }
        // Only our own flows are unbound; an admin's override stays unless we replace it.
        let ours = |alias: &str| {
            self.observed
                .flows
                .get(alias)
                .and_then(|f| f.owner())
                .is_some()
        };
        if want.is_none() && !have.is_some_and(ours) {
            return;
        }
        // A flow in conflict is not ours to bind.
        if want.is_some_and(|alias| self.is_conflicting_flow(alias)) {
            return;
        }
        let action = match (want, have) {
            (Some(_), None) => Action::Create,
            (Some(_), Some(_)) => Action::Update,
            (None, _) => Action::Delete,
        };
        self.push_fields(
            record,
            action,
            ObjectRef::FlowBinding {
                client_id: client_id.into(),
            },
            vec![field_change(
                "authenticationFlowBindingOverrides.browser",
                have.map_or(Value::Null, |a| json!(a)),
                want.map_or(Value::Null, |a| json!(a)),
            )],
            Some(Operation::BindBrowserFlow {
                client_id: client_id.into(),
                flow: want.map(str::to_owned),
            }),
        );
    }

    fn is_conflicting_flow(&self, alias: &str) -> bool {
        self.plan.changes.iter().any(|c| {
            c.action == Action::Conflict
                && c.object
                    == ObjectRef::Flow {
                        alias: alias.into(),
                    }
        })
    }

    fn groups(&mut self) {
        for (path, want) in &self.desired.state.groups {
            let record = want.owners().into_iter().next().unwrap_or_default();
            let have = self.observed.groups.get(path);
            self.group(&record, path, want, have);
            self.grants(&record, path, want, have);
        }
        self.revokes();
    }

    fn group(&mut self, record: &str, path: &str, want: &Group, have: Option<&Group>) {
        let object = ObjectRef::Group { path: path.into() };
        let Some(have) = have else {
            self.push_fields(
                record,
                Action::Create,
                object,
                creation_fields(&want.fields),
                Some(Operation::CreateGroup {
                    path: path.into(),
                    fields: want.fields.clone(),
                }),
            );
            return;
        };
        let observed_owners = have.owners();
        // An existing group fedctl did not create is used as it is (granting it the role is
        // the point of naming it) but never marked, not even with --adopt, so prune can never
        // delete it.
        if observed_owners.is_empty() {
            return;
        }
        let mut owners = want.owners();
        // Owners whose records are gone stay until pruned, so the group stays an orphan of
        // theirs; owners a partial run was not given are never dropped.
        if !self.options.prune || self.options.partial {
            owners.extend(
                observed_owners
                    .iter()
                    .filter(|o| !self.loaded.contains(o.as_str()))
                    .cloned(),
            );
        }
        let mut fields = want.fields.clone();
        fields.insert(attribute_path(OWNER_ATTRIBUTE), json!(owners));
        let changes = changed_fields(&fields, &have.fields);
        if !changes.is_empty() {
            self.push_fields(
                record,
                Action::Update,
                object,
                changes,
                Some(Operation::UpdateGroup {
                    path: path.into(),
                    fields,
                }),
            );
        }
    }

    fn grants(&mut self, record: &str, path: &str, want: &Group, have: Option<&Group>) {
        for (client_id, roles) in &want.client_roles {
            if self.blocked_clients.contains(client_id) {
                continue;
            }
            let granted = have.and_then(|g| g.client_roles.get(client_id));
            for role in roles {
                if granted.is_some_and(|g| g.contains(role)) {
                    continue;
                }
                let record = self.client_owner(client_id).unwrap_or(record).to_owned();
                self.push(
                    &record,
                    Action::Create,
                    ObjectRef::GroupGrant {
                        path: path.into(),
                        client_id: client_id.clone(),
                        role: role.clone(),
                    },
                    Some(Operation::GrantGroupRole {
                        path: path.into(),
                        client_id: client_id.clone(),
                        role: role.clone(),
                    }),
                );
            }
        }
    }

    /// The record that owns a desired client.
    fn client_owner(&self, client_id: &str) -> Option<&str> {
        self.desired.state.clients.get(client_id)?.owner()
    }

    /// Grants of a managed client's role to groups the record does not name are revoked: the
    /// record is the authority on who may use the application.
    fn revokes(&mut self) {
        for (path, group) in &self.observed.groups {
            for (client_id, roles) in &group.client_roles {
                let Some(record) = self.client_owner(client_id).map(str::to_owned) else {
                    continue;
                };
                if self.blocked_clients.contains(client_id) {
                    continue;
                }
                for role in roles {
                    let desired_role = self.desired.state.clients[client_id]
                        .roles
                        .contains_key(role);
                    let wanted = self
                        .desired
                        .state
                        .groups
                        .get(path)
                        .and_then(|g| g.client_roles.get(client_id))
                        .is_some_and(|r| r.contains(role));
                    if desired_role && !wanted {
                        self.push(
                            &record,
                            Action::Delete,
                            ObjectRef::GroupGrant {
                                path: path.clone(),
                                client_id: client_id.clone(),
                                role: role.clone(),
                            },
                            Some(Operation::RevokeGroupRole {
                                path: path.clone(),
                                client_id: client_id.clone(),
                                role: role.clone(),
                            }),
                        );
                    }
                }
            }
        }
    }

    fn pilot_users(&mut self) {
        let mut wanted: BTreeSet<(String, String, String)> = BTreeSet::new();
        for (username, user) in &self.desired.state.users {
            for (client_id, roles) in &user.client_roles {
                for role in roles {
                    wanted.insert((username.clone(), client_id.clone(), role.clone()));
                }
            }
        }
        for (username, client_id, role) in &wanted {
            if self.blocked_clients.contains(client_id) {
                continue;
            }
            let record = self.client_owner(client_id).unwrap_or_default().to_owned();
            let object = ObjectRef::UserGrant {
                username: username.clone(),
                client_id: client_id.clone(),
                role: role.clone(),
            };
            let Some(user) = self.observed.users.get(username) else {
                // Not a conflict (nothing collides): the grant follows once the user exists.
                self.plan.skipped.push((
                    record,
                    format!(
                        "pilot user {username} does not exist in the realm yet; {object} waits"
                    ),
                ));
                continue;
            };
            let tracked = self
                .observed_role(client_id, role)
                .map(|r| r.pilot_users())
                .unwrap_or_default();
            let granted = user
                .client_roles
                .get(client_id)
                .is_some_and(|r| r.contains(role));
            if !granted || !tracked.contains(username) {
                self.push(
                    &record,
                    Action::Create,
                    object,
                    Some(Operation::GrantUserRole {
                        username: username.clone(),
                        client_id: client_id.clone(),
                        role: role.clone(),
                    }),
                );
            }
        }
        // Pilot grants fedctl made that the record no longer lists.
        for (client_id, client) in &self.desired.state.clients {
            for role in client.roles.keys() {
                let Some(observed_role) = self.observed_role(client_id, role) else {
                    continue;
                };
                for username in observed_role.pilot_users() {
                    let key = (username.clone(), client_id.clone(), role.clone());
                    if wanted.contains(&key) {
                        continue;
                    }
                    let record = client.owner().unwrap_or_default().to_owned();
                    self.push(
                        &record,
                        Action::Delete,
                        ObjectRef::UserGrant {
                            username: username.clone(),
                            client_id: client_id.clone(),
                            role: role.clone(),
                        },
                        Some(Operation::RevokeUserRole {
                            username,
                            client_id: client_id.clone(),
                            role: role.clone(),
                        }),
                    );
                }
            }
        }
    }

    fn observed_role(&self, client_id: &str, role: &str) -> Option<&state::Role> {
        self.observed.clients.get(client_id)?.roles.get(role)
    }

    /// Managed objects whose record is gone, and objects a loaded record no longer wants.
    fn orphans(&mut self) {
        let (observed, desired) = (self.observed, &self.desired.state);
        let clients = unwanted(
            &observed.clients,
            &desired.clients,
            |client| client.owner().map(str::to_owned).into_iter().collect(),
            |id| {
                let client_id = id.to_owned();
                (
                    ObjectRef::Client {
                        client_id: client_id.clone(),
                    },
                    Operation::DeleteClient { client_id },
                )
            },
        );
        let flows = unwanted(
            &observed.flows,
            &desired.flows,
            |flow| flow.owner().map(str::to_owned).into_iter().collect(),
            |alias| {
                let alias = alias.to_owned();
                (
                    ObjectRef::Flow {
                        alias: alias.clone(),
                    },
                    Operation::DeleteFlow { alias },
                )
            },
        );
        let identity_providers = unwanted(
            &observed.identity_providers,
            &desired.identity_providers,
            |idp| idp.owner().map(str::to_owned).into_iter().collect(),
            |alias| {
                let alias = alias.to_owned();
                (
                    ObjectRef::IdentityProvider {
                        alias: alias.clone(),
                    },
                    Operation::DeleteIdentityProvider { alias },
                )
            },
        );
        let found: Vec<_> = clients.chain(flows).chain(identity_providers).collect();
        for (owners, object, operation) in found {
            if !self.outside_run(&owners) {
                let owner = owners.into_iter().next().unwrap_or_default();
                let fields = self.goes_with(&object);
                self.orphan_or_delete(&owner, object, operation, fields);
            }
        }
        self.unwanted_groups();
    }

    /// What goes with a deleted client: its mappers (what it released) and roles; with a
    /// deleted identity provider: its mappers.
    fn goes_with(&self, object: &ObjectRef) -> Vec<FieldChange> {
        let names = |keys: Vec<&String>| json!(keys);
        let parts = match object {
            ObjectRef::Client { client_id } => {
                let client = &self.observed.clients[client_id];
                vec![
                    ("mappers", names(client.mappers.keys().collect())),
                    ("roles", names(client.roles.keys().collect())),
                ]
            }
            ObjectRef::IdentityProvider { alias } => {
                let idp = &self.observed.identity_providers[alias];
                vec![("mappers", names(idp.mappers.keys().collect()))]
            }
            _ => return Vec::new(),
        };
        parts
            .into_iter()
            .filter(|(_, list)| list.as_array().is_some_and(|l| !l.is_empty()))
            .map(|(path, list)| field_change(path, list, Value::Null))
            .collect()
    }

    /// A partial run leaves alone every object that a record it was not given may own.
    fn outside_run(&self, owners: &BTreeSet<String>) -> bool {
        self.options.partial && owners.iter().any(|o| !self.loaded.contains(o.as_str()))
    }

    /// Deletes an object whose record still exists but no longer wants it; for an object whose
    /// record is gone, deletes with `--prune` or reports it as an orphan.
    fn orphan_or_delete(
        &mut self,
        owner: &str,
        object: ObjectRef,
        operation: Operation,
        fields: Vec<FieldChange>,
    ) {
        let loaded = self.loaded.contains(owner);
        let (action, operation, reason) = if loaded || self.options.prune {
            let reason = (!loaded).then(|| format!("record {owner} is gone; --prune deletes it"));
            (Action::Delete, Some(operation), reason)
        } else {
            let reason = format!("record {owner} is gone; kept until --prune");
            (Action::Orphan, None, Some(reason))
        };
        self.plan.changes.push(Change {
            record: owner.to_owned(),
            action,
            object,
            fields,
            reason,
            operation,
        });
    }

    /// Managed groups no record wants any more. Their members lose what the group gave them,
    /// so a group is deleted only with `--prune`, even when its record still exists (it moved
    /// to another group). Keycloak deletes a group's subgroups with it: a group is kept when
    /// that cascade would take a subgroup that is not being deleted itself.
    fn unwanted_groups(&mut self) {
        let observed = &self.observed.groups;
        let mut candidates: Vec<(&String, BTreeSet<String>)> = observed
            .iter()
            .filter(|(path, _)| !self.desired.state.groups.contains_key(*path))
            .map(|(path, group)| (path, group.owners()))
            .filter(|(_, owners)| !owners.is_empty() && !self.outside_run(owners))
            .collect();
        // Deepest first: a kept subgroup keeps its parent.
        candidates.sort_by_key(|(path, _)| std::cmp::Reverse(path.matches('/').count()));
        let mut deleted: BTreeSet<&str> = BTreeSet::new();
        for (path, owners) in candidates {
            let subtree: Vec<&str> = observed
                .keys()
                .filter(|p| state::is_below(p, path))
                .map(String::as_str)
                .collect();
            let blocker = subtree.iter().find(|p| !deleted.contains(*p)).copied();
            let change = self.unwanted_group(path, &owners, &subtree, blocker);
            if matches!(change.operation, Some(Operation::DeleteGroup { .. })) {
                deleted.insert(path);
            }
            self.plan.changes.push(change);
        }
    }

    fn unwanted_group(
        &self,
        path: &str,
        owners: &BTreeSet<String>,
        subtree: &[&str],
        blocker: Option<&str>,
    ) -> Change {
        let group = &self.observed.groups[path];
        let (loaded, gone): (Vec<&String>, Vec<&String>) = owners
            .iter()
            .partition(|o| self.loaded.contains(o.as_str()));
        let record = loaded.first().or(gone.first()).map_or("", |r| r.as_str());
        let mut why = if loaded.is_empty() {
            format!("record {record} is gone")
        } else {
            format!("record {record} no longer uses it")
        };
        why.push_str(&self.access_effect(path, group));
        let members = group
            .members
            .map(|n| field_change("members", json!(n), Value::Null));
        let object = ObjectRef::Group { path: path.into() };
        let (action, operation) = match blocker {
            _ if !self.options.prune => {
                why.push_str("; kept until --prune");
                if let Some(blocker) = blocker {
                    why.push_str(&format!(
                        "; --prune keeps it too: deleting it would delete subgroup {blocker}"
                    ));
                }
                (Action::Orphan, None)
            }
            Some(blocker) => {
                why.push_str(&format!(
                    "; kept, as Keycloak would delete subgroup {blocker} with it, which is not \
                     fedctl's to delete; fedctl's marker for the records gone is removed"
                ));
                let remaining: Vec<&String> = loaded.clone();
                let fields = Fields::from([(attribute_path(OWNER_ATTRIBUTE), json!(remaining))]);
                (
                    Action::Update,
                    Some(Operation::UpdateGroup {
                        path: path.into(),
                        fields,
                    }),
                )
            }
            None => {
                if !subtree.is_empty() {
                    why.push_str(&format!(
                        "; its subgroups go with it: {}",
                        subtree.join(", ")
                    ));
                }
                (
                    Action::Delete,
                    Some(Operation::DeleteGroup { path: path.into() }),
                )
            }
        };
        Change {
            record: record.to_owned(),
            action,
            object,
            fields: members.into_iter().collect(),
            reason: Some(why),
            operation,
        }
    }

    /// What moving a record's access away from a group means for its members, e.g.
    /// `; its 3 members keep the group but lose access to app: access now goes to /new, 5 members`.
    fn access_effect(&self, path: &str, group: &Group) -> String {
        let clients: Vec<&String> = group
            .client_roles
            .keys()
            .filter(|client_id| self.desired.state.clients.contains_key(*client_id))
            .collect();
        if clients.is_empty() {
            return String::new();
        }
        let members = match group.members {
            None => "its members keep the group but lose".to_owned(),
            Some(0) => "it has no members, and loses".to_owned(),
            Some(1) => "its 1 member keeps the group but loses".to_owned(),
            Some(n) => format!("its {n} members keep the group but lose"),
        };
        let now: Vec<String> = self
            .desired
            .state
            .groups
            .iter()
            .filter(|(other, g)| {
                *other != path && clients.iter().any(|c| g.client_roles.contains_key(*c))
            })
            .map(|(other, _)| match self.observed.groups.get(other) {
                None => format!("{other}, a new group"),
                Some(g) => match g.members {
                    Some(1) => format!("{other}, 1 member"),
                    Some(n) => format!("{other}, {n} members"),
                    None => other.clone(),
                },
            })
            .collect();
        let clients: Vec<&str> = clients.into_iter().map(String::as_str).collect();
        let mut effect = format!("; {members} access to {}", clients.join(", "));
        if !now.is_empty() {
            effect.push_str(&format!(": access now goes to {}", now.join("; ")));
        }
        effect
    }

    /// Records with a conflict are not applied at all (nothing is bound to a client fedctl may
    /// not touch, no client goes without its deny flow). A group another record also uses
    /// is still created for that record.
    fn withhold_records_in_conflict(&mut self) {
        let mut blocked: BTreeMap<String, String> = BTreeMap::new();
        for change in &self.plan.changes {
            if change.action == Action::Conflict {
                blocked
                    .entry(change.record.clone())
                    .or_insert_with(|| change.object.to_string());
            }
        }
        if blocked.is_empty() {
            return;
        }
        let desired_groups = &self.desired.state.groups;
        let needed_by_others = |change: &Change| match &change.object {
            ObjectRef::Group { path } => desired_groups
                .get(path)
                .is_some_and(|g| g.owners().iter().any(|o| !blocked.contains_key(o))),
            _ => false,
        };
        self.plan.changes.retain(|change| {
            change.action == Action::Conflict
                || change.operation.is_none()
                || !blocked.contains_key(&change.record)
                || needed_by_others(change)
        });
        for (record, object) in blocked {
            self.plan.not_enforced.push((
                record,
                format!("{object} is in conflict, so nothing of this record is applied"),
            ));
        }
    }
}

fn field_change(path: &str, old: Value, new: Value) -> FieldChange {
    FieldChange {
        path: path.to_owned(),
        old,
        new,
    }
}

/// Fields shown for a newly created object: every desired field that has a value.
fn creation_fields(fields: &Fields) -> Vec<FieldChange> {
    fields
        .iter()
        .filter(|(_, value)| !value.is_null())
        .map(|(path, value)| field_change(path, Value::Null, value.clone()))
        .collect()
}

/// The desired fields whose observed value differs.
pub fn changed_fields(want: &Fields, have: &Fields) -> Vec<FieldChange> {
    want.iter()
        .filter_map(|(path, new)| {
            let old = have.get(path).cloned().unwrap_or(Value::Null);
            (!same_value(&old, new)).then(|| field_change(path, old, new.clone()))
        })
        .collect()
}

/// Equality as Keycloak means it: lists are sets (redirect URIs, attribute values), an empty
/// string is an absent attribute.
fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Array(x), Value::Array(y)) => {
            let set = |v: &Vec<Value>| v.iter().map(Value::to_string).collect::<BTreeSet<_>>();
            set(x) == set(y)
        }
        (Value::Null, Value::String(s)) | (Value::String(s), Value::Null) => s.is_empty(),
        (Value::Null, Value::Array(v)) | (Value::Array(v), Value::Null) => v.is_empty(),
        _ => a == b,
    }
}

/// Fields shown for a new mapper: its type and every config entry.
fn mapper_fields(mapper: &state::Mapper) -> Vec<FieldChange> {
    let empty = state::Mapper {
        protocol: mapper.protocol.clone(),
        mapper_type: String::new(),
        config: Default::default(),
    };
    mapper_changes(&empty, mapper)
        .into_iter()
        .map(|c| FieldChange {
            old: Value::Null,
            ..c
        })
        .collect()
}

/// Fields shown for a deleted mapper: everything it had, going.
fn removal_fields(mapper: &state::Mapper) -> Vec<FieldChange> {
    mapper_fields(mapper)
        .into_iter()
        .map(|c| FieldChange {
            old: c.new,
            new: Value::Null,
            ..c
        })
        .collect()
}

/// A flow tree as lines, one per step, indented by depth: `REQUIRED auth-cookie`.
pub fn flow_outline(steps: &[state::FlowStep]) -> Vec<String> {
    let mut lines = Vec::new();
    outline(steps, 0, &mut lines);
    lines
}

fn outline(steps: &[state::FlowStep], depth: usize, lines: &mut Vec<String>) {
    for step in steps {
        let indent = "  ".repeat(depth);
        let requirement = step.requirement.as_keycloak();
        match &step.kind {
            state::StepKind::Authenticator { provider, config } => {
                let config = config
                    .as_ref()
                    .map(|c| {
                        let pairs: Vec<String> =
                            c.config.iter().map(|(k, v)| format!("{k}={v}")).collect();
                        format!(" [{}]", pairs.join(", "))
                    })
                    .unwrap_or_default();
                lines.push(format!("{indent}{requirement} {provider}{config}"));
            }
            state::StepKind::SubFlow { alias, steps } => {
                lines.push(format!("{indent}{requirement} sub-flow \"{alias}\""));
                outline(steps, depth + 1, lines);
            }
        }
    }
}

fn mapper_changes(have: &state::Mapper, want: &state::Mapper) -> Vec<FieldChange> {
    let mut changes = Vec::new();
    if have.mapper_type != want.mapper_type {
        changes.push(field_change(
            "protocolMapper",
            json!(have.mapper_type),
            json!(want.mapper_type),
        ));
    }
    let keys: BTreeSet<&String> = have.config.keys().chain(want.config.keys()).collect();
    let config = |m: &state::Mapper, k: &str| m.config.get(k).map_or(Value::Null, |v| json!(v));
    for key in keys {
        let (old, new) = (config(have, key), config(want, key));
        if old != new {
            changes.push(field_change(&format!("config.{key}"), old, new));
        }
    }
    changes
}

/// The observed objects of one kind that the desired state lacks, each with the records that
/// own it and its deletion; objects no record owns are never fedctl's to delete.
fn unwanted<'a, T, D>(
    observed: &'a BTreeMap<String, T>,
    desired: &'a BTreeMap<String, D>,
    owners: impl Fn(&T) -> BTreeSet<String> + 'a,
    deletion: impl Fn(&str) -> (ObjectRef, Operation) + 'a,
) -> impl Iterator<Item = (BTreeSet<String>, ObjectRef, Operation)> + 'a {
    observed
        .iter()
        .filter(|(key, _)| !desired.contains_key(*key))
        .filter_map(move |(key, object)| {
            let owners = owners(object);
            if owners.is_empty() {
                return None;
            }
            let (object, operation) = deletion(key);
            Some((owners, object, operation))
        })
}

mod identity_providers;

#[cfg(test)]
mod tests;
