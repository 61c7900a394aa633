//! Writing authentication flows through the admin API (keycloak-admin-api.md §6).
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

use std::sync::Arc;

use reqwest::Method;
use serde_json::{Value, json};

use super::{KeycloakTarget, lock};
use crate::http::retry::Replay;
use crate::keycloak::admin::client::Request;
use crate::keycloak::admin::error::ApiError;
use crate::keycloak::admin::flow_template::{Template, configs, shape};
use crate::state::{Flow, FlowStep, StepKind};
use crate::target::TargetError;

/// How often an execution whose creation may or may not have happened is checked and resent.
const MAX_EXECUTION_ATTEMPTS: usize = 4;

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
