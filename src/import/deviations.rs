//! What `plan --adopt` would change for an imported record beyond taking the objects over.
//! The record is compiled and diffed against the realm exactly as `plan` does; what is left
//! after fedctl's own bookkeeping (ownership markers, the mapper and pilot lists, its
//! descriptions, flags Keycloak already reads as off written out as `false`) and the effects of the placeholders is what fedctl would manage
//! differently from what exists.

use std::collections::BTreeMap;

use serde_json::Value;

use super::Draft;
use crate::desired::{self, RecordRef};
use crate::printable::printable;
use crate::reconcile::{self, Action, Change, DiffOptions, FieldChange, ObjectRef};
use crate::record::profile::AttributeProfile;
use crate::record::validate::PLACEHOLDER;
use crate::state::{
    ATTRIBUTES_PREFIX, MAPPERS_ATTRIBUTE, OWNER_ATTRIBUTE, PILOT_USERS_ATTRIBUTE, RealmState,
    attribute_path,
};

/// The deviations of `draft`, one line each; an error when its metadata cannot be read back.
pub fn of(
    state: &RealmState,
    draft: &Draft,
    profile: &AttributeProfile,
) -> Result<Vec<String>, String> {
    let mut metadata = BTreeMap::new();
    if let Some(sp) = &draft.metadata {
        let settings = sp
            .settings()
            .map_err(|e| format!("its partner metadata cannot be written readably: {e}"))?;
        metadata.insert(draft.id.clone(), settings);
    }
    let record = RecordRef {
        id: &draft.id,
        federation: &draft.federation,
    };
    let desired = desired::compile_with_metadata([record], profile, &metadata);
    let options = DiffOptions {
        adopt: true,
        partial: true,
        prune: false,
    };
    let plan = reconcile::diff(&desired, state, options);
    let mut lines: Vec<String> = desired.notes.iter().map(|(_, note)| note.clone()).collect();
    lines.extend(desired.skipped.iter().map(|(_, why)| why.clone()));
    lines.extend(
        (plan.changes.iter())
            .filter(|change| !is_bookkeeping(change, state) && !is_placeholder_effect(change))
            .map(describe),
    );
    Ok(lines)
}

/// Fields fedctl writes for itself, not for the partner's configuration.
fn is_own_field(path: &str) -> bool {
    path == "description"
        || [OWNER_ATTRIBUTE, MAPPERS_ATTRIBUTE, PILOT_USERS_ATTRIBUTE]
            .iter()
            .any(|key| path == attribute_path(key))
}

/// Writing out a flag Keycloak already reads as off: an absent attribute is `false` to it.
fn spells_out_default(field: &FieldChange) -> bool {
    field.path.starts_with(ATTRIBUTES_PREFIX) && field.old.is_null() && field.new == "false"
}

/// Whether a changed field leaves the partner's configuration as it works now.
fn is_inert(field: &FieldChange) -> bool {
    is_own_field(&field.path) || spells_out_default(field)
}

/// Taking an object over: marking it, describing it, and noting a pilot grant that exists.
fn is_bookkeeping(change: &Change, state: &RealmState) -> bool {
    match (&change.action, &change.object) {
        (Action::Update, ObjectRef::Flow { .. }) => {
            // A flow is rebuilt when anything differs; only its description may.
            change.fields.iter().all(|f| f.path == "description")
        }
        (Action::Update, _) => change.fields.iter().all(is_inert),
        (
            Action::Create,
            ObjectRef::UserGrant {
                username,
                client_id,
                role,
            },
        ) => state.users.get(username).is_some_and(|user| {
            user.client_roles
                .get(client_id)
                .is_some_and(|roles| roles.contains(role))
        }),
        _ => false,
    }
}

/// Creating the group or role the admin is still to name.
fn is_placeholder_effect(change: &Change) -> bool {
    match &change.object {
        ObjectRef::Group { path } => path.contains(PLACEHOLDER),
        ObjectRef::Role { role, .. } => role.contains(PLACEHOLDER),
        ObjectRef::GroupGrant { path, role, .. } => {
            change.action == Action::Create
                && (path.contains(PLACEHOLDER) || role.contains(PLACEHOLDER))
        }
        _ => false,
    }
}

/// `~ client x: attributes.saml.encrypt "true" → "false"`, values cut to stay readable.
fn describe(change: &Change) -> String {
    let mut line = format!("{} {}", change.action.symbol(), change.object);
    let fields: Vec<String> = (change.fields.iter())
        .filter(|f| !is_inert(f))
        .map(|f| format!("{} {} → {}", f.path, short(&f.old), short(&f.new)))
        .collect();
    if !fields.is_empty() {
        line.push_str(": ");
        line.push_str(&fields.join("; "));
    }
    if let Some(reason) = &change.reason {
        line.push_str(" — ");
        line.push_str(reason);
    }
    printable(&line).into_owned()
}

const SHORT: usize = 60;

fn short(value: &Value) -> String {
    let text = match value {
        Value::Null => "(absent)".to_owned(),
        other => other.to_string(),
    };
    if text.chars().count() <= SHORT {
        text
    } else {
        let cut: String = text.chars().take(SHORT).collect();
        format!("{cut}…")
    }
}
