//! Saved plans: `fedctl plan --out FILE` writes the plan together with a fingerprint of the
//! observed state it was computed from; `fedctl apply FILE` executes exactly that plan, and
//! only while the target still looks the same. What a change board approved is what runs, or
//! nothing does.

use std::path::{Path, PathBuf};

use miette::Diagnostic;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::plan::Plan;
use crate::reconcile::Scope;
use crate::state::RealmState;

/// Tells a saved plan from any other JSON (and from `plan --output json`, which is for
/// reading, not for executing).
const KIND: &str = "fedctl-saved-plan";
const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedPlan {
    pub kind: String,
    pub format_version: u32,
    pub realm: String,
    /// Where the plan was made (for people; the fingerprint is what is checked).
    pub target: String,
    /// SHA-256 of what the plan was computed from: see [`fingerprint`].
    pub fingerprint: String,
    /// What to observe again before applying.
    pub scope: Scope,
    pub plan: Plan,
}

#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum SavedPlanError {
    #[error("cannot read saved plan {}: {source}", path.display())]
    #[diagnostic(code(fedctl::saved_plan::read))]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("{} is not a saved plan: {reason}", path.display())]
    #[diagnostic(
        code(fedctl::saved_plan::format),
        help("write one with `fedctl plan --out FILE`")
    )]
    Format { path: PathBuf, reason: String },

    #[error("the saved plan is for realm `{planned}`, but the target holds realm `{target}`")]
    #[diagnostic(code(fedctl::saved_plan::realm))]
    Realm { planned: String, target: String },

    #[error("the target changed since the plan was made ({target}); nothing was applied")]
    #[diagnostic(
        code(fedctl::saved_plan::stale),
        help(
            "someone applied or edited a managed object in the meantime: run `fedctl plan --out` again and review the new plan"
        )
    )]
    Stale { target: String },
}

impl SavedPlan {
    pub fn new(plan: Plan, realm: &str, target: &str, scope: Scope, observed: &RealmState) -> Self {
        SavedPlan {
            kind: KIND.to_owned(),
            format_version: FORMAT_VERSION,
            realm: realm.to_owned(),
            target: target.to_owned(),
            fingerprint: fingerprint(observed, &scope),
            scope,
            plan,
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("saved plans always serialise")
    }

    pub fn read(path: &Path) -> Result<SavedPlan, SavedPlanError> {
        let text = std::fs::read_to_string(path).map_err(|source| SavedPlanError::Read {
            path: path.to_owned(),
            source,
        })?;
        let format = |reason: String| SavedPlanError::Format {
            path: path.to_owned(),
            reason,
        };
        let value: Value = serde_json::from_str(&text).map_err(|e| format(e.to_string()))?;
        if value["kind"] != KIND {
            return Err(format(format!(
                "no \"kind\": \"{KIND}\" (a `plan --output json` document is for reading only)"
            )));
        }
        if value["format_version"] != FORMAT_VERSION {
            return Err(format(format!(
                "format_version {} (this fedctl reads {FORMAT_VERSION})",
                value["format_version"]
            )));
        }
        serde_json::from_value(value).map_err(|e| format(e.to_string()))
    }

    /// Whether `observed` (read again with [`SavedPlan::scope`]) is what the plan was made
    /// from, in realm `realm`.
    pub fn check(
        &self,
        realm: &str,
        target: &str,
        observed: &RealmState,
    ) -> Result<(), SavedPlanError> {
        if realm != self.realm {
            return Err(SavedPlanError::Realm {
                planned: self.realm.clone(),
                target: realm.to_owned(),
            });
        }
        if fingerprint(observed, &self.scope) != self.fingerprint {
            return Err(SavedPlanError::Stale {
                target: target.to_owned(),
            });
        }
        Ok(())
    }
}

/// SHA-256 over what a plan depends on, serialised canonically (object keys sorted): the
/// objects the records name, every object carrying fedctl's marker, and every group (a
/// prune looks at whole subtrees). Member counts only inform people, so a user joining a
/// group does not invalidate a plan; a realm file's unrelated users and clients do not either.
pub fn fingerprint(observed: &RealmState, scope: &Scope) -> String {
    let mut relevant = observed.clone();
    relevant
        .clients
        .retain(|id, client| scope.client_ids.contains(id) || client.owner().is_some());
    relevant
        .flows
        .retain(|alias, flow| scope.flow_aliases.contains(alias) || flow.owner().is_some());
    relevant
        .users
        .retain(|username, _| scope.usernames.contains(username));
    for group in relevant.groups.values_mut() {
        group.members = None;
    }
    let value = serde_json::to_value(&relevant).expect("states always serialise");
    let digest = Sha256::digest(canonical(&value).to_string().as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// The same value with every object's keys in sorted order (a target may return them in any
/// order; the document's own order must not change the fingerprint).
fn canonical(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by_key(|(key, _)| *key);
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), canonical(v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{Client, Group, OWNER_ATTRIBUTE, attribute_path};
    use serde_json::json;

    fn state() -> RealmState {
        let mut state = RealmState::default();
        let mut client = Client::default();
        client
            .fields
            .insert(attribute_path(OWNER_ATTRIBUTE), json!("p"));
        client.fields.insert("name".into(), json!("App"));
        state.clients.insert("app".into(), client);
        state.clients.insert("unrelated".into(), Client::default());
        state.groups.insert("/g".into(), Group::default());
        state
    }

    #[test]
    fn the_fingerprint_follows_what_the_plan_depends_on() {
        let scope = Scope::default();
        let base = fingerprint(&state(), &scope);
        let mut managed_edit = state();
        managed_edit
            .clients
            .get_mut("app")
            .unwrap()
            .fields
            .insert("name".into(), json!("X"));
        assert_ne!(fingerprint(&managed_edit, &scope), base);
        let mut new_group = state();
        new_group.groups.insert("/g/sub".into(), Group::default());
        assert_ne!(fingerprint(&new_group, &scope), base);

        let mut unrelated = state();
        unrelated
            .clients
            .get_mut("unrelated")
            .unwrap()
            .fields
            .insert("name".into(), json!("Y"));
        assert_eq!(fingerprint(&unrelated, &scope), base);
        let mut joined = state();
        joined.groups.get_mut("/g").unwrap().members = Some(4);
        assert_eq!(fingerprint(&joined, &scope), base);
    }

    #[test]
    fn key_order_does_not_matter() {
        let a = json!({"b": 1, "a": {"y": 2, "x": 3}});
        let b: Value = serde_json::from_str(r#"{"a": {"x": 3, "y": 2}, "b": 1}"#).unwrap();
        assert_eq!(canonical(&a).to_string(), canonical(&b).to_string());
    }

    #[test]
    fn a_saved_plan_round_trips_and_other_json_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.json");
        let saved = SavedPlan::new(
            Plan::default(),
            "r",
            "realm file x",
            Scope::default(),
            &state(),
        );
        std::fs::write(&path, saved.to_json()).unwrap();
        assert_eq!(SavedPlan::read(&path).unwrap(), saved);
        std::fs::write(&path, r#"{"format_version": 1, "changes": []}"#).unwrap();
        assert!(matches!(
            SavedPlan::read(&path),
            Err(SavedPlanError::Format { .. })
        ));
        assert!(matches!(
            saved.check("other", "t", &state()),
            Err(SavedPlanError::Realm { .. })
        ));
    }
}
