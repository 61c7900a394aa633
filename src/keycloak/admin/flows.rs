//! Authentication flows through the admin API (keycloak-admin-api.md §6).
//!
//! Building a flow execution by execution costs some 30 requests. Instead fedctl builds a
//! *template* once per realm and flow shape, and creates each record's flow as a copy of it
//! (`POST /flows/{template}/copy`, which copies sub-flows and authenticator configs), then
//! sets the copy's description and the config values that differ (the role to check): four
//! requests per flow. Keycloak names a copy's parts `<copy> <original alias>`; the diff
//! compares flows without those aliases ([`crate::state::Flow::equivalent`]).
//!
//! Templates are named by a hash of their shape, are not any record's, and are hidden from
//! the observed state. A template left half-built by a failed run is rebuilt. A copy whose
//! run stopped before it got its own (marked) description still carries the template's: it
//! is recognised by that, hidden too, and redone by the next create — it cannot be bound
//! yet, since binding comes after the copy is finished.

use std::fmt::Write;
use std::sync::Arc;

use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::client::Request;
use super::error::ApiError;
use super::retry::Replay;
use super::target::{KeycloakTarget, lock};
use crate::state::{AuthenticatorConfig, Flow, FlowStep, StepKind};
use crate::target::TargetError;

const TEMPLATE_PREFIX: &str = "fedctl-template-";
const TEMPLATE_DESCRIPTION: &str = "fedctl: template of the per-client flows that restrict sign-in to a client role. \
     Copied by fedctl apply, never bound; deleting it only makes the next apply rebuild it.";
/// How often an execution whose creation may or may not have happened is checked and resent.
const MAX_EXECUTION_ATTEMPTS: usize = 4;

pub fn is_template(alias: &str) -> bool {
    alias.starts_with(TEMPLATE_PREFIX)
}

/// A record's flow copied from a template by a run that stopped before marking it.
pub fn is_unfinished_copy(alias: &str, flow: &Flow) -> bool {
    !is_template(alias) && flow.description == TEMPLATE_DESCRIPTION
}

/// A template: a flow of one shape, with parts named after the template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub alias: String,
    pub flow: Flow,
}

impl Template {
    /// The template for `flow` (named `alias`): same steps and config values, parts renamed.
    pub fn for_flow(alias: &str, flow: &Flow) -> Template {
        let template_alias = format!("{TEMPLATE_PREFIX}{}", shape_hash(&flow.steps));
        let mut configs = 0;
        let steps = rename_parts(&flow.steps, alias, &template_alias, &mut configs);
        Template {
            alias: template_alias,
            flow: Flow {
                description: TEMPLATE_DESCRIPTION.to_owned(),
                steps,
            },
        }
    }
}

fn rename_parts(
    steps: &[FlowStep],
    alias: &str,
    template: &str,
    configs: &mut usize,
) -> Vec<FlowStep> {
    steps
        .iter()
        .map(|step| {
            let kind = match &step.kind {
                StepKind::SubFlow { alias: sub, steps } => {
                    let suffix = sub.strip_prefix(&format!("{alias} ")).unwrap_or(sub);
                    StepKind::SubFlow {
                        alias: format!("{template} {suffix}"),
                        steps: rename_parts(steps, alias, template, configs),
                    }
                }
                StepKind::Authenticator { provider, config } => StepKind::Authenticator {
                    provider: provider.clone(),
                    config: config.as_ref().map(|c| {
                        *configs += 1;
                        AuthenticatorConfig {
                            alias: format!("{template} config {configs}"),
                            config: c.config.clone(),
                        }
                    }),
                },
            };
            FlowStep {
                requirement: step.requirement,
                kind,
            }
        })
        .collect()
}

/// What a copy inherits from its template: requirements, providers, nesting and which
/// config keys exist — not aliases, not config values (they are set per copy).
fn shape(steps: &[FlowStep]) -> String {
    let mut out = String::new();
    write_shape(steps, 0, &mut out);
    out
}

fn write_shape(steps: &[FlowStep], depth: usize, out: &mut String) {
    for step in steps {
        let _ = write!(out, "{depth} {} ", step.requirement.as_keycloak());
        match &step.kind {
            StepKind::Authenticator { provider, config } => {
                let keys: Vec<&str> = config
                    .iter()
                    .flat_map(|c| c.config.keys().map(String::as_str))
                    .collect();
                let _ = writeln!(out, "{provider} [{}]", keys.join(","));
            }
            StepKind::SubFlow { steps, .. } => {
                out.push_str("flow\n");
                write_shape(steps, depth + 1, out);
            }
        }
    }
}

fn shape_hash(steps: &[FlowStep]) -> String {
    let digest = Sha256::digest(shape(steps).as_bytes());
    digest[..6].iter().map(|b| format!("{b:02x}")).collect()
}

/// The authenticator configs of a tree, depth first (the order of Keycloak's flattened
/// execution list).
fn configs(steps: &[FlowStep]) -> Vec<&AuthenticatorConfig> {
    steps
        .iter()
        .flat_map(|step| match &step.kind {
            StepKind::Authenticator { config, .. } => config.iter().collect::<Vec<_>>(),
            StepKind::SubFlow { steps, .. } => configs(steps),
        })
        .collect()
}

fn field<'v>(row: &'v Value, key: &str) -> Option<&'v str> {
    row.get(key).and_then(Value::as_str)
}

/// Rows of a flattened execution list that are direct children of the queried flow.
fn top_level(rows: &[Value]) -> Vec<&Value> {
    rows.iter()
        .filter(|row| row["level"].as_i64() == Some(0))
        .collect()
}

/// Whether a failed request may still have taken effect on the server.
fn may_have_happened(error: &ApiError) -> bool {
    match error {
        ApiError::Transport { .. } => true,
        ApiError::Status { status, .. } => *status >= 500,
        _ => false,
    }
}

fn flow_body(id: Option<&str>, alias: &str, description: &str) -> Value {
    let mut body = json!({
        "alias": alias,
        "description": description,
        "providerId": "basic-flow",
        "topLevel": true,
        "builtIn": false,
    });
    if let Some(id) = id {
        body["id"] = json!(id);
    }
    body
}

impl KeycloakTarget {
    pub(super) async fn flow_id(&self, alias: &str) -> Result<Option<String>, TargetError> {
        if let Some(id) = self.ids().flows.get(alias) {
            return Ok(Some(id.clone()));
        }
        let flows = self.client.get(&["authentication", "flows"], &[]).await?;
        let mut ids = self.ids();
        for flow in flows.as_array().map_or(&[][..], Vec::as_slice) {
            if let (Some(alias), Some(id)) = (field(flow, "alias"), field(flow, "id")) {
                ids.flows.insert(alias.to_owned(), id.to_owned());
            }
        }
        Ok(ids.flows.get(alias).cloned())
    }

    /// A record's flow: a copy of the template for its shape, then its own description and
    /// config values.
    pub(super) async fn create_flow(&self, alias: &str, flow: &Flow) -> Result<(), TargetError> {
        let template = self.template(alias, flow).await?;
        let unfinished = lock(&self.unfinished_copies).contains(alias);
        if unfinished {
            tracing::info!(flow = %alias, "redoing a flow copy an earlier run left unfinished");
            self.delete_flow(alias).await?;
            lock(&self.unfinished_copies).remove(alias);
        }
        let path = ["authentication", "flows", template.alias.as_str(), "copy"];
        let copied = self
            .client
            .create(&path, &json!({ "newName": alias }))
            .await;
        let id = match copied {
            // The Location of a copy is `…/copy/{id}`.
            Ok(id) => id,
            Err(error) if error.is_conflict_after_retry() => self
                .flow_id(alias)
                .await?
                .ok_or_else(|| TargetError::Missing {
                    object: format!("flow {alias}"),
                })?,
            Err(error) if error.is_conflict() => {
                return Err(TargetError::Conflict {
                    object: format!("flow {alias}"),
                    message: error.to_string(),
                });
            }
            Err(error) => return Err(error.into()),
        };
        self.ids().flows.insert(alias.to_owned(), id.clone());
        self.set_copied_configs(alias, flow, &template).await?;
        self.set_description(&id, alias, &flow.description).await
    }

    /// Gives the copy's authenticator configs the record's values where the template's differ.
    async fn set_copied_configs(
        &self,
        alias: &str,
        flow: &Flow,
        template: &Template,
    ) -> Result<(), TargetError> {
        let wanted = configs(&flow.steps);
        let inherited = configs(&template.flow.steps);
        if wanted
            .iter()
            .zip(&inherited)
            .all(|(w, i)| w.config == i.config)
        {
            return Ok(());
        }
        let rows = self.executions(alias).await?;
        let copied: Vec<&Value> = rows
            .iter()
            .filter(|row| field(row, "authenticationConfig").is_some())
            .collect();
        if copied.len() != wanted.len() {
            return Err(TargetError::Refused {
                action: format!("copy template {} to {alias}", template.alias),
                status: 0,
                message: format!(
                    "the copy has {} authenticator configs, the template {}",
                    copied.len(),
                    wanted.len()
                ),
            });
        }
        for ((row, want), had) in copied.into_iter().zip(wanted).zip(inherited) {
            if want.config == had.config {
                continue;
            }
            let id = field(row, "authenticationConfig").unwrap_or_default();
            let body = json!({ "id": id, "alias": field(row, "alias"), "config": want.config });
            self.client
                .put(&["authentication", "config", id], &body)
                .await?;
        }
        Ok(())
    }

    async fn set_description(
        &self,
        id: &str,
        alias: &str,
        description: &str,
    ) -> Result<(), TargetError> {
        self.client
            .put(
                &["authentication", "flows", id],
                &flow_body(Some(id), alias, description),
            )
            .await?;
        Ok(())
    }

    /// The template for `flow`'s shape: verified (observed) or built, once per run.
    async fn template(&self, alias: &str, flow: &Flow) -> Result<Template, TargetError> {
        let wanted = Template::for_flow(alias, flow);
        let cell = lock(&self.templates)
            .entry(wanted.alias.clone())
            .or_insert_with(|| Arc::new(tokio::sync::OnceCell::new()))
            .clone();
        let template = cell
            .get_or_try_init(|| async {
                let observed = lock(&self.observed_templates).get(&wanted.alias).cloned();
                if let Some(observed) = observed {
                    if shape(&observed.steps) == shape(&wanted.flow.steps) {
                        return Ok(Template {
                            alias: wanted.alias.clone(),
                            flow: observed,
                        });
                    }
                    tracing::info!(template = %wanted.alias, "rebuilding a damaged flow template");
                }
                self.delete_flow(&wanted.alias).await?;
                self.build_flow(&wanted.alias, &wanted.flow).await?;
                Ok::<_, TargetError>(wanted.clone())
            })
            .await?;
        Ok(template.clone())
    }

    /// Creates a top-level flow and its whole tree, execution by execution.
    async fn build_flow(&self, alias: &str, flow: &Flow) -> Result<(), TargetError> {
        let id = self
            .client
            .create(
                &["authentication", "flows"],
                &flow_body(None, alias, &flow.description),
            )
            .await?;
        self.ids().flows.insert(alias.to_owned(), id);
        self.build_steps(alias, &flow.steps).await
    }

    /// Rebuilds a (bound, so undeletable) flow's executions in place.
    pub(super) async fn replace_flow(&self, alias: &str, flow: &Flow) -> Result<(), TargetError> {
        let Some(id) = self.flow_id(alias).await? else {
            return self.create_flow(alias, flow).await;
        };
        let rows = self.executions(alias).await?;
        for row in top_level(&rows) {
            if let Some(execution) = field(row, "id") {
                // Deleting a sub-flow's execution deletes the sub-flow and its configs.
                self.client
                    .delete(&["authentication", "executions", execution], None)
                    .await?;
            }
        }
        self.build_steps(alias, &flow.steps).await?;
        self.set_description(&id, alias, &flow.description).await
    }

    pub(super) async fn delete_flow(&self, alias: &str) -> Result<(), TargetError> {
        if let Some(id) = self.flow_id(alias).await? {
            self.client
                .delete(&["authentication", "flows", &id], None)
                .await?;
        }
        self.ids().flows.remove(alias);
        Ok(())
    }

    async fn executions(&self, alias: &str) -> Result<Vec<Value>, TargetError> {
        let rows = self
            .client
            .get(&["authentication", "flows", alias, "executions"], &[])
            .await?;
        Ok(match rows {
            Value::Array(rows) => rows,
            _ => Vec::new(),
        })
    }

    /// Adds `steps` to the (empty) flow `parent`: the executions, then their requirements
    /// (new ones start DISABLED) and configs, then each sub-flow's own steps.
    async fn build_steps(&self, parent: &str, steps: &[FlowStep]) -> Result<(), TargetError> {
        for (position, step) in steps.iter().enumerate() {
            self.add_step(parent, step, position).await?;
        }
        let rows = self.executions(parent).await?;
        let added = top_level(&rows);
        if added.len() != steps.len() {
            return Err(TargetError::Refused {
                action: format!("build flow {parent}"),
                status: 0,
                message: format!("expected {} executions, found {}", steps.len(), added.len()),
            });
        }
        for (row, step) in added.into_iter().zip(steps) {
            self.set_requirement(parent, row, step).await?;
        }
        for step in steps {
            if let StepKind::SubFlow { alias, steps } = &step.kind {
                Box::pin(self.build_steps(alias, steps)).await?;
            }
        }
        Ok(())
    }

    /// Adds one execution or sub-flow as child number `position` of `parent`. An execution has
    /// no unique name, so a request that may or may not have happened is checked, not resent
    /// blindly; a sub-flow's alias is unique, so a resent one answers 409.
    async fn add_step(
        &self,
        parent: &str,
        step: &FlowStep,
        position: usize,
    ) -> Result<(), TargetError> {
        match &step.kind {
            StepKind::SubFlow { alias, .. } => {
                let body = json!({ "alias": alias, "type": "basic-flow", "description": "" });
                let path = ["authentication", "flows", parent, "executions", "flow"];
                match self.client.create(&path, &body).await {
                    Err(error) if !error.is_conflict_after_retry() => Err(error.into()),
                    _ => Ok(()),
                }
            }
            StepKind::Authenticator { provider, .. } => {
                let body = json!({ "provider": provider });
                let path = ["authentication", "flows", parent, "executions", "execution"];
                let request = Request::new(Method::POST, &path)
                    .body(&body)
                    .replay(Replay::OnlyIfUnsent);
                let mut attempts = 0;
                loop {
                    attempts += 1;
                    match self.client.send(&request).await {
                        Ok(_) => return Ok(()),
                        Err(error)
                            if may_have_happened(&error) && attempts < MAX_EXECUTION_ATTEMPTS =>
                        {
                            let rows = self.executions(parent).await?;
                            if top_level(&rows).len() > position {
                                return Ok(());
                            }
                        }
                        Err(error) => return Err(error.into()),
                    }
                }
            }
        }
    }

    async fn set_requirement(
        &self,
        parent: &str,
        row: &Value,
        step: &FlowStep,
    ) -> Result<(), TargetError> {
        let requirement = step.requirement.as_keycloak();
        if field(row, "requirement") != Some(requirement) {
            // Sent back as read, requirement changed: 25+ resets an omitted priority to 0.
            let mut body = row.clone();
            body["requirement"] = json!(requirement);
            self.client
                .put(&["authentication", "flows", parent, "executions"], &body)
                .await?;
        }
        if let (
            StepKind::Authenticator {
                config: Some(config),
                ..
            },
            Some(execution),
        ) = (&step.kind, field(row, "id"))
        {
            let body = json!({ "alias": config.alias, "config": config.config });
            self.client
                .post(
                    &["authentication", "executions", execution, "config"],
                    &body,
                )
                .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Requirement;
    use std::collections::BTreeMap;

    fn flow(role: &str) -> Flow {
        Flow {
            description: "d".into(),
            steps: vec![FlowStep {
                requirement: Requirement::Conditional,
                kind: StepKind::SubFlow {
                    alias: "restrict-a gate".into(),
                    steps: vec![FlowStep {
                        requirement: Requirement::Required,
                        kind: StepKind::Authenticator {
                            provider: "conditional-user-role".into(),
                            config: Some(AuthenticatorConfig {
                                alias: "restrict-a-role".into(),
                                config: BTreeMap::from([("condUserRole".into(), role.into())]),
                            }),
                        },
                    }],
                },
            }],
        }
    }

    #[test]
    fn one_template_per_shape() {
        let a = Template::for_flow("restrict-a", &flow("a.access"));
        let b = Template::for_flow("restrict-b", &flow("b.access"));
        assert_eq!(a.alias, b.alias);
        assert!(is_template(&a.alias));
        let StepKind::SubFlow { alias, steps } = &a.flow.steps[0].kind else {
            panic!("a sub-flow")
        };
        assert_eq!(alias, &format!("{} gate", a.alias));
        assert_eq!(configs(steps)[0].alias, format!("{} config 1", a.alias));
        assert_eq!(configs(steps)[0].config["condUserRole"], "a.access");
        let mut other = flow("a.access");
        other.steps[0].requirement = Requirement::Required;
        assert_ne!(Template::for_flow("restrict-a", &other).alias, a.alias);
    }

    #[test]
    fn copies_compare_equal_to_the_record_flow() {
        let wanted = flow("b.access");
        let template = Template::for_flow("restrict-b", &flow("a.access"));
        // What a copy named restrict-b looks like once its config is set.
        let mut copy = template.flow.clone();
        copy.description = wanted.description.clone();
        if let StepKind::SubFlow { steps, .. } = &mut copy.steps[0].kind
            && let StepKind::Authenticator {
                config: Some(c), ..
            } = &mut steps[0].kind
        {
            c.config.insert("condUserRole".into(), "b.access".into());
        }
        assert!(copy.equivalent(&wanted));
    }
}
