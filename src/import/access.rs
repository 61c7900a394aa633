//! Who may use the client: its role, the group granted it, pilot users, and whether a deny
//! flow keeps everyone else out.

use std::collections::BTreeSet;

use super::Draft;
use crate::desired::{self, RecordRef};
use crate::record::profile::AttributeProfile;
use crate::record::validate::PLACEHOLDER;
use crate::record::{AccessControl, ReviewFrequency};
use crate::state::{self, Client, RealmState, steps_equivalent};

pub struct Access {
    pub control: AccessControl,
    pub placeholders: BTreeSet<&'static str>,
}

/// The access group and role when the client has a single role granted to a single group;
/// placeholders and a note otherwise. Enforcement is decided later, by [`decide_enforcement`].
pub fn of(state: &RealmState, client_id: &str, client: &Client, notes: &mut Vec<String>) -> Access {
    let mut placeholders = BTreeSet::new();
    let granted = |role: &str| -> Vec<&String> {
        (state.groups.iter())
            .filter(|(_, group)| {
                group
                    .client_roles
                    .get(client_id)
                    .is_some_and(|roles| roles.contains(role))
            })
            .map(|(path, _)| path)
            .collect()
    };
    let roles: Vec<&String> = client.roles.keys().collect();
    let role = match roles.as_slice() {
        [] => {
            notes.push(format!(
                "the client has no role: fedctl will create role `{}` and grant it to the group",
                AccessControl::DEFAULT_ROLE
            ));
            None
        }
        [only] => Some((*only).clone()),
        _ => {
            let used: Vec<&&String> = roles.iter().filter(|r| !granted(r).is_empty()).collect();
            match used.as_slice() {
                [only] => {
                    notes.push(format!(
                        "the client has roles {}; fedctl manages `{only}`, the one granted to a \
                         group, and leaves the others as they are",
                        list(&roles)
                    ));
                    Some((**only).clone())
                }
                _ => {
                    notes.push(format!(
                        "the client has roles {}; fedctl manages one: name it in access_control.role",
                        list(&roles)
                    ));
                    placeholders.insert("access_control.role");
                    Some(PLACEHOLDER.to_owned())
                }
            }
        }
    };
    let groups = role.as_deref().map(granted).unwrap_or_default();
    let group = match groups.as_slice() {
        [only] => record_group(only),
        [] => {
            placeholders.insert("access_control.group");
            PLACEHOLDER.to_owned()
        }
        several => {
            notes.push(format!(
                "the role is granted to groups {}; fedctl grants it to one group and revokes \
                 the others' grants: name that group",
                list(several)
            ));
            placeholders.insert("access_control.group");
            PLACEHOLDER.to_owned()
        }
    };
    let pilot_users = match &role {
        Some(role) if role != PLACEHOLDER => pilots(state, client_id, role),
        _ => Vec::new(),
    };
    Access {
        control: AccessControl {
            group,
            approver: PLACEHOLDER.to_owned(),
            // Written as a placeholder; the value stands in while compiling.
            review_frequency: ReviewFrequency::Quarterly,
            role: role.filter(|r| r != AccessControl::DEFAULT_ROLE),
            enforce: Some(false),
            pilot_users,
            last_reviewed: None,
        },
        placeholders,
    }
}

fn list(items: &[&String]) -> String {
    items
        .iter()
        .map(|item| format!("`{item}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A top-level group by its name (as runbooks write it), a sub-group by its path.
fn record_group(path: &str) -> String {
    match state::group_parent(path) {
        None => path.trim_start_matches('/').to_owned(),
        Some(_) => path.to_owned(),
    }
}

/// Users granted the role directly, not through a group: a pilot's grant.
fn pilots(state: &RealmState, client_id: &str, role: &str) -> Vec<String> {
    (state.users.iter())
        .filter(|(_, user)| {
            user.client_roles
                .get(client_id)
                .is_some_and(|roles| roles.contains(role))
        })
        .map(|(username, _)| username.clone())
        .collect()
}

/// The record id: the record fedctl managed the client for, else the record of the deny flow
/// bound to it, else a name made of the clientId; unique among `taken`.
pub fn record_id(client_id: &str, client: &Client, taken: &BTreeSet<String>) -> String {
    let from_flow = client
        .browser_flow
        .as_deref()
        .and_then(|alias| alias.strip_prefix(desired::restrict_flow_alias("").as_str()));
    let base = client
        .owner()
        .or(from_flow)
        .map(slug)
        .filter(|id| !id.is_empty())
        .unwrap_or_else(|| slug(client_id));
    let base = if base.is_empty() {
        "client".to_owned()
    } else {
        base
    };
    let mut id = base.clone();
    let mut n = 2;
    while taken.contains(&id) {
        id = format!("{base}-{n}");
        n += 1;
    }
    id
}

/// Letters and digits of `text`, lower-cased, other runs as one `-`; a URL's scheme is left
/// out (`https://app.partner.example/sp` → `app-partner-example-sp`).
fn slug(text: &str) -> String {
    let text = text.split_once("://").map_or(text, |(_, rest)| rest);
    let mut slug = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let mut slug = slug.trim_end_matches('-').to_owned();
    slug.truncate(MAX_ID);
    slug.trim_end_matches('-').to_owned()
}

/// Record ids name flows (`fedctl-restrict-<id>`); Keycloak limits aliases to 255 characters,
/// and people read them.
const MAX_ID: usize = 60;

/// `enforce: true` when the client's browser flow is fedctl's deny flow for this role (made
/// by fedctl or by hand to the same recipe); otherwise `enforce: false`, with a note, so that
/// importing does not change who can sign in.
pub fn decide_enforcement(
    state: &RealmState,
    client: &Client,
    draft: &mut Draft,
    profile: &AttributeProfile,
) {
    let Some(alias) = client.browser_flow.as_deref() else {
        draft.notes.push(
            "no deny flow is bound, so anyone in the realm can sign in; `enforce: true` lets \
             only the group (and pilot users) in"
                .into(),
        );
        return;
    };
    let mut enforced = draft.federation.clone();
    enforced.access_control.enforce = None;
    let desired = desired::compile(
        [RecordRef {
            id: &draft.id,
            federation: &enforced,
        }],
        profile,
    );
    let ours = desired
        .state
        .flows
        .get(&desired::restrict_flow_alias(&draft.id));
    let bound = state.flows.get(alias);
    match (ours, bound) {
        (Some(ours), Some(bound)) if steps_equivalent(&ours.steps, &bound.steps) => {
            draft.federation.access_control.enforce = None;
        }
        _ => draft.notes.push(format!(
            "browser flow `{alias}` is bound to the client and is not fedctl's deny flow for \
             its role; it stays. `enforce: true` would replace it with fedctl's"
        )),
    }
}
