use super::*;
use crate::desired::{self, RecordRef};
use crate::reconcile::plan::Operation;
use crate::record::RecordFile;
use crate::record::profile::AttributeProfile;

const CLIENT: &str = "https://app.partner.example.org";

fn desired_for(records: &[(&str, &str)]) -> Desired {
    let parsed: Vec<(String, RecordFile)> = records
        .iter()
        .map(|(id, yaml)| (id.to_string(), serde_saphyr::from_str(yaml).unwrap()))
        .collect();
    let profile: AttributeProfile = serde_saphyr::from_str(
        "attributes:\n  email:\n    source: { property: email }\n    saml: { name: email }\n",
    )
    .unwrap();
    desired::compile(
        parsed.iter().map(|(id, r)| RecordRef {
            id,
            federation: &r.federation,
        }),
        &profile,
    )
}

fn record(client: &str, group: &str) -> String {
    format!(
        r#"federation:
  partner: P
  type: saml
  direction: your-idp-to-partner-sp
  technical: {{ your_entity_id: "https://idp.example.org/realms/r", partner_entity_id: "{client}", partner_acs: "{client}/acs" }}
  access_control: {{ group: "{group}", approver: A, review_frequency: quarterly }}
  attributes_shared: [email]
"#
    )
}

fn one() -> Desired {
    desired_for(&[("p", &record(CLIENT, "users"))])
}

fn actions(plan: &Plan) -> Vec<(Action, String)> {
    plan.changes
        .iter()
        .map(|c| (c.action, c.object.to_string()))
        .collect()
}

#[test]
fn from_empty_everything_is_created_in_dependency_order() {
    let plan = diff(&one(), &RealmState::default(), DiffOptions::default());
    let phases: Vec<u8> = plan.operations().map(Operation::phase).collect();
    assert!(
        phases.windows(2).all(|w| w[0] <= w[1]),
        "sorted by phase: {phases:?}"
    );
    assert!(matches!(
        plan.operations().next(),
        Some(Operation::CreateGroup { .. } | Operation::CreateFlow { .. })
    ));
    // The gate exists before its client, which is created bound to it.
    let position = |wanted: fn(&Operation) -> bool| plan.operations().position(wanted);
    assert!(
        position(|op| matches!(op, Operation::CreateFlow { .. }))
            < position(|op| matches!(op, Operation::CreateClient { .. }))
    );
    assert!(plan.operations().any(|op| matches!(
        op,
        Operation::CreateClient {
            browser_flow: Some(_),
            ..
        }
    )));
    assert!(matches!(
        plan.operations().last(),
        Some(Operation::BindBrowserFlow { flow: Some(_), .. })
    ));
    let summary = plan.summary();
    assert_eq!((summary.create, summary.update, summary.delete), (7, 0, 0));
}

#[test]
fn a_converged_realm_plans_nothing() {
    let desired = one();
    let plan = diff(&desired, &desired.state, DiffOptions::default());
    assert_eq!(plan.changes, vec![], "{:?}", actions(&plan));
}

#[test]
fn fields_the_record_does_not_own_never_show_up() {
    let desired = one();
    let mut observed = desired.state.clone();
    let client = observed.clients.get_mut(CLIENT).unwrap();
    client.fields.insert("baseUrl".into(), json!("https://x"));
    client.fields.insert(
        "attributes.saml.artifact.binding.identifier".into(),
        json!("abc"),
    );
    // Keycloak stores redirect URIs as a set: order is not a difference.
    client
        .fields
        .insert("redirectUris".into(), json!([format!("{CLIENT}/acs")]));
    assert!(
        diff(&desired, &observed, DiffOptions::default())
            .changes
            .is_empty()
    );
}

#[test]
fn drift_in_an_owned_field_is_planned_back() {
    let desired = one();
    let mut observed = desired.state.clone();
    observed
        .clients
        .get_mut(CLIENT)
        .unwrap()
        .fields
        .insert("attributes.saml_name_id_format".into(), json!("username"));
    let plan = diff(&desired, &observed, DiffOptions::default());
    assert_eq!(plan.changes.len(), 1);
    let change = &plan.changes[0];
    assert_eq!(change.action, Action::Update);
    assert_eq!(change.fields[0].old, json!("username"));
    assert_eq!(change.fields[0].new, json!("email"));
    let Some(Operation::UpdateClient { fields, .. }) = &change.operation else {
        panic!()
    };
    assert_eq!(fields.len(), 1, "only the changed field is written");
}

#[test]
fn an_unmanaged_client_is_a_conflict_and_nothing_hangs_off_it() {
    let desired = one();
    let mut observed = RealmState::default();
    observed.clients.insert(CLIENT.into(), Client::default());
    let plan = diff(&desired, &observed, DiffOptions::default());
    let conflicts: Vec<_> = plan
        .changes
        .iter()
        .filter(|c| c.action == Action::Conflict)
        .collect();
    assert_eq!(conflicts.len(), 1);
    assert!(conflicts[0].operation.is_none());
    assert!(plan.operations().all(|op| !matches!(
        op,
        Operation::CreateMapper { .. }
            | Operation::CreateRole { .. }
            | Operation::GrantGroupRole { .. }
            | Operation::BindBrowserFlow { .. }
            | Operation::UpdateClient { .. }
    )));
}

#[test]
fn adopt_takes_an_unmanaged_client_over() {
    let desired = one();
    let mut observed = RealmState::default();
    observed.clients.insert(CLIENT.into(), Client::default());
    let plan = diff(
        &desired,
        &observed,
        DiffOptions {
            adopt: true,
            ..DiffOptions::default()
        },
    );
    let update = plan
        .changes
        .iter()
        .find(|c| matches!(c.operation, Some(Operation::UpdateClient { .. })))
        .unwrap();
    assert!(
        update
            .fields
            .iter()
            .any(|f| f.path == "attributes.fedctl.managed-by" && f.new == "p")
    );
    assert_eq!(plan.summary().conflict, 0);
}

#[test]
fn the_record_decides_what_a_managed_client_releases() {
    let desired = one();
    let mut observed = desired.state.clone();
    let client = client_mut(&mut observed);
    let mut hand_made = client.mappers["email"].clone();
    hand_made
        .config
        .insert("user.attribute".into(), "username".into());
    client.mappers.insert("uid".into(), hand_made.clone());
    let plan = diff(&desired, &observed, DiffOptions::default());
    let removal = plan
        .changes
        .iter()
        .find(|c| c.object.to_string() == format!("mapper uid of client {CLIENT}"))
        .expect("a mapper the record does not produce is planned");
    assert_eq!(removal.action, Action::Delete);
    assert!(
        matches!(&removal.operation, Some(Operation::DeleteMapper { name, .. }) if name == "uid")
    );
    assert!(
        removal
            .reason
            .as_deref()
            .unwrap()
            .contains("does not agree")
    );
    assert!(
        removal
            .fields
            .iter()
            .any(|f| f.path == "config.user.attribute" && f.old == "username"),
        "shows what it releases: {:?}",
        removal.fields
    );
    assert!(plan.has_changes(), "counted by --detailed-exitcode");

    // A same-named mapper made by hand is set to what the record says, not a conflict.
    let mut observed = desired.state.clone();
    let client = client_mut(&mut observed);
    client
        .fields
        .insert("attributes.fedctl.mappers".into(), json!(""));
    client.mappers.insert("email".into(), hand_made);
    let plan = diff(&desired, &observed, DiffOptions::default());
    assert_eq!(plan.summary().conflict, 0);
    assert!(
        plan.operations()
            .any(|op| matches!(op, Operation::UpdateMapper { name, .. } if name == "email"))
    );
}

fn client_mut(state: &mut RealmState) -> &mut Client {
    state.clients.get_mut(CLIENT).unwrap()
}

#[test]
fn objects_of_a_removed_record_are_orphans_until_pruned() {
    let observed = one().state;
    let empty = desired_for(&[]);
    let plan = diff(&empty, &observed, DiffOptions::default());
    assert!(!plan.has_changes());
    assert!(plan.changes.iter().all(|c| c.action == Action::Orphan));
    assert_eq!(
        plan.summary().orphan,
        3,
        "client, flow and group: {:?}",
        actions(&plan)
    );

    let plan = diff(&empty, &observed, pruning());
    let ops: Vec<&Operation> = plan.operations().collect();
    assert!(
        matches!(ops[0], Operation::DeleteClient { .. }),
        "client before its flow: {ops:?}"
    );
    assert!(matches!(ops[1], Operation::DeleteFlow { .. }));
    assert!(matches!(ops[2], Operation::DeleteGroup { .. }));
}

#[test]
fn an_existing_unmanaged_group_is_used_but_never_marked() {
    let desired = one();
    let mut observed = desired.state.clone();
    observed.groups.insert("/users".into(), Group::default());
    let plan = diff(&desired, &observed, DiffOptions::default());
    assert_eq!(
        actions(&plan),
        [(
            Action::Create,
            format!("grant of {CLIENT} role access to group /users")
        )]
    );
}

#[test]
fn grants_of_a_managed_role_to_other_groups_are_revoked() {
    let desired = one();
    let mut observed = desired.state.clone();
    let mut other = Group::default();
    other
        .client_roles
        .insert(CLIENT.into(), ["access".to_owned()].into());
    observed.groups.insert("/contractors".into(), other);
    let plan = diff(&desired, &observed, DiffOptions::default());
    assert_eq!(
        actions(&plan),
        [(
            Action::Delete,
            format!("grant of {CLIENT} role access to group /contractors")
        )]
    );
}

fn with_members(mut state: RealmState, path: &str, members: usize) -> RealmState {
    state.groups.get_mut(path).unwrap().members = Some(members);
    state
}

#[test]
fn a_record_that_moves_to_another_group_keeps_the_old_one_until_pruned() {
    let observed = with_members(one().state, "/users", 3);
    let moved = desired_for(&[("p", &record(CLIENT, "new-users"))]);
    let plan = diff(&moved, &observed, DiffOptions::default());
    let ops: Vec<String> = plan.operations().map(|op| format!("{op:?}")).collect();
    assert!(
        ops.iter()
            .any(|o| o.starts_with("CreateGroup { path: \"/new-users\"")),
        "{ops:?}"
    );
    assert!(
        ops.iter()
            .any(|o| o.starts_with("RevokeGroupRole { path: \"/users\"")),
        "{ops:?}"
    );
    assert!(!ops.iter().any(|o| o.starts_with("DeleteGroup")), "{ops:?}");
    let old = plan
        .changes
        .iter()
        .find(|c| {
            c.object
                == ObjectRef::Group {
                    path: "/users".into(),
                }
        })
        .unwrap();
    assert_eq!(old.action, Action::Orphan);
    let reason = old.reason.as_deref().unwrap();
    assert!(
        reason.contains("its 3 members keep the group but lose access to")
            && reason.contains("/new-users, a new group")
            && reason.contains("kept until --prune"),
        "{reason}"
    );

    let plan = diff(&moved, &observed, pruning());
    let old = plan
        .changes
        .iter()
        .find(|c| {
            c.object
                == ObjectRef::Group {
                    path: "/users".into(),
                }
        })
        .unwrap();
    assert_eq!(old.action, Action::Delete);
    assert_eq!(old.fields[0].path, "members");
    assert_eq!(old.fields[0].old, json!(3));
    assert_eq!(plan.summary().members_losing_group, 3);
}

fn pruning() -> DiffOptions {
    DiffOptions {
        prune: true,
        ..DiffOptions::default()
    }
}

#[test]
fn a_partial_run_never_sees_other_records_objects() {
    let both = desired_for(&[
        ("p", &record(CLIENT, "users")),
        ("q", &record("https://q.example", "q-users")),
    ]);
    let mut only_p = desired_for(&[("p", &record(CLIENT, "users"))]);
    let partial = DiffOptions {
        partial: true,
        ..DiffOptions::default()
    };
    let plan = diff(&only_p, &both.state, partial);
    assert_eq!(plan.changes, vec![], "{:?}", actions(&plan));
    // Even asked to prune (the command refuses that), nothing of q is touched.
    let plan = diff(
        &only_p,
        &both.state,
        DiffOptions {
            prune: true,
            ..partial
        },
    );
    assert_eq!(plan.changes, vec![], "{:?}", actions(&plan));
    // A complete run with only p reports q's objects as orphans.
    let plan = diff(&only_p, &both.state, DiffOptions::default());
    assert_eq!(plan.summary().orphan, 3, "{:?}", actions(&plan));

    // q's client named by p in a partial run: a conflict, not a takeover.
    only_p = desired_for(&[("p", &record("https://q.example", "users"))]);
    let plan = diff(&only_p, &both.state, partial);
    assert!(
        plan.changes.iter().any(|c| c.action == Action::Conflict
            && c.reason.as_deref().unwrap().contains("partial run"))
    );
}

#[test]
fn adopt_never_marks_an_existing_group() {
    let desired = one();
    let mut observed = desired.state.clone();
    observed.groups.insert("/users".into(), Group::default());
    let adopt = DiffOptions {
        adopt: true,
        ..DiffOptions::default()
    };
    let plan = diff(&desired, &observed, adopt);
    assert!(
        plan.operations().all(|op| !matches!(
            op,
            Operation::UpdateGroup { .. } | Operation::CreateGroup { .. }
        )),
        "{:?}",
        actions(&plan)
    );
}

#[test]
fn a_managed_parent_with_a_hand_made_subgroup_survives_prune() {
    let observed = desired_for(&[("p", &record(CLIENT, "/partners/p"))]).state;
    let mut observed = observed;
    observed
        .groups
        .insert("/partners/handmade".into(), Group::default());
    let empty = desired_for(&[]);
    let plan = diff(&empty, &observed, pruning());
    let ops: Vec<String> = plan.operations().map(|op| format!("{op:?}")).collect();
    assert!(
        ops.iter()
            .any(|o| o.starts_with("DeleteGroup { path: \"/partners/p\"")),
        "{ops:?}"
    );
    assert!(
        !ops.iter()
            .any(|o| o.starts_with("DeleteGroup { path: \"/partners\" }")),
        "{ops:?}"
    );
    let parent = plan
        .changes
        .iter()
        .find(|c| {
            c.object
                == ObjectRef::Group {
                    path: "/partners".into(),
                }
        })
        .unwrap();
    assert_eq!(parent.action, Action::Update);
    assert!(
        parent
            .reason
            .as_deref()
            .unwrap()
            .contains("subgroup /partners/handmade")
    );
    let Some(Operation::UpdateGroup { fields, .. }) = &parent.operation else {
        panic!("{parent:?}")
    };
    assert_eq!(fields["attributes.fedctl.managed-by"], json!([]));

    // Without the hand-made subgroup, the whole managed subtree goes, and the plan says so.
    let observed = desired_for(&[("p", &record(CLIENT, "/partners/p"))]).state;
    let plan = diff(&empty, &observed, pruning());
    let parent = plan
        .changes
        .iter()
        .find(|c| {
            c.object
                == ObjectRef::Group {
                    path: "/partners".into(),
                }
        })
        .unwrap();
    assert_eq!(parent.action, Action::Delete);
    assert!(parent.reason.as_deref().unwrap().contains("/partners/p"));
}

#[test]
fn a_record_with_a_conflict_is_not_applied_at_all() {
    let desired = desired_for(&[
        ("p", &record(CLIENT, "users")),
        ("q", &record("https://q.example", "q-users")),
    ]);
    let mut observed = RealmState::default();
    observed.clients.insert(CLIENT.into(), Client::default());
    let plan = diff(&desired, &observed, DiffOptions::default());
    assert!(
        plan.changes
            .iter()
            .filter(|c| c.record == "p")
            .all(|c| c.operation.is_none()),
        "no flow, group or binding for p: {:?}",
        actions(&plan)
    );
    assert!(
        plan.changes
            .iter()
            .any(|c| c.record == "q" && c.operation.is_some())
    );
    assert_eq!(plan.not_enforced.len(), 1);
    assert_eq!(plan.not_enforced[0].0, "p");
}

#[test]
fn value_comparison_follows_keycloak_semantics() {
    assert!(same_value(&json!(["a", "b"]), &json!(["b", "a"])));
    assert!(same_value(&Value::Null, &json!("")));
    assert!(same_value(&Value::Null, &json!([])));
    assert!(!same_value(&json!("true"), &json!(true)));
}
