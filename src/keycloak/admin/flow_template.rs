//! Flow templates (keycloak-admin-api.md §6): building a flow execution by execution costs
//! some 30 requests, so fedctl builds a *template* once per realm and flow shape and creates
//! each record's flow as a copy of it. Templates are named by a hash of their shape; they
//! and copies a run left unfinished are recognised by their names and descriptions, which
//! both the reader (to hide them) and the writer (to make and reuse them) need.

use std::fmt::Write;

use sha2::{Digest, Sha256};

use crate::state::{AuthenticatorConfig, Flow, FlowStep, StepKind};

const TEMPLATE_PREFIX: &str = "fedctl-template-";
const TEMPLATE_DESCRIPTION: &str = "fedctl: template of the per-client flows that restrict sign-in to a client role. \
     Copied by fedctl apply, never bound; deleting it only makes the next apply rebuild it.";

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
pub fn shape(steps: &[FlowStep]) -> String {
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
pub fn configs(steps: &[FlowStep]) -> Vec<&AuthenticatorConfig> {
    steps
        .iter()
        .flat_map(|step| match &step.kind {
            StepKind::Authenticator { config, .. } => config.iter().collect::<Vec<_>>(),
            StepKind::SubFlow { steps, .. } => configs(steps),
        })
        .collect()
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
