//! Identity providers (inbound federations) and their mappers: created, updated, adopted and
//! orphaned by the rules clients follow. Mappers an admin added to a managed provider are
//! left alone (an extra import is not a release of our users' data); mappers fedctl created
//! that the record no longer wants are deleted. The client secret cannot be compared
//! (Keycloak only shows it masked): it is written when the provider is created, or when the
//! provider has none.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::{
    Differ, changed_fields, creation_fields, field_change, mapper_changes, mapper_fields,
    removal_fields,
};
use crate::reconcile::plan::{Action, Change, FieldChange, ObjectRef, Operation};
use crate::state::{
    self, CLIENT_SECRET_KEY, IDP_MAPPERS_KEY, IdentityProvider, SECRET_SHOWN, config_path,
};

impl Differ<'_> {
    pub(super) fn identity_providers(&mut self) {
        for (alias, want) in &self.desired.state.identity_providers {
            let record = want.owner().unwrap_or_default().to_owned();
            let object = ObjectRef::IdentityProvider {
                alias: alias.clone(),
            };
            match self.observed.identity_providers.get(alias) {
                None => self.create_identity_provider(&record, alias, want),
                Some(have) => {
                    if self.may_manage(&record, have.owner(), &object) {
                        self.update_identity_provider(&record, alias, want, have);
                    }
                }
            }
        }
    }

    fn create_identity_provider(&mut self, record: &str, alias: &str, want: &IdentityProvider) {
        let mut fields = creation_fields(&want.fields);
        fields.extend(secret_change(want));
        self.push_fields(
            record,
            Action::Create,
            ObjectRef::IdentityProvider {
                alias: alias.into(),
            },
            fields,
            Some(Operation::CreateIdentityProvider {
                alias: alias.into(),
                fields: want.fields.clone(),
                client_secret: want.client_secret.clone(),
            }),
        );
        for (name, mapper) in &want.mappers {
            self.push_fields(
                record,
                Action::Create,
                idp_mapper(alias, name),
                mapper_fields(mapper),
                Some(Operation::CreateIdpMapper {
                    alias: alias.into(),
                    name: name.clone(),
                    mapper: mapper.clone(),
                }),
            );
        }
    }

    fn update_identity_provider(
        &mut self,
        record: &str,
        alias: &str,
        want: &IdentityProvider,
        have: &IdentityProvider,
    ) {
        let managed = self.idp_mappers(record, alias, want, have);
        let mut want_fields = want.fields.clone();
        want_fields.insert(
            config_path(IDP_MAPPERS_KEY),
            json!(state::join_list(&managed)),
        );
        let mut changes = changed_fields(&want_fields, &have.fields);
        // Only the changed fields are sent: the target keeps the rest, the secret included.
        let fields = changes
            .iter()
            .map(|c| (c.path.clone(), c.new.clone()))
            .collect();
        let client_secret = want
            .client_secret
            .clone()
            .filter(|_| !have.has_client_secret());
        if client_secret.is_some() {
            changes.extend(secret_change(want));
        }
        if changes.is_empty() {
            return;
        }
        self.push_fields(
            record,
            Action::Update,
            ObjectRef::IdentityProvider {
                alias: alias.into(),
            },
            changes,
            Some(Operation::UpdateIdentityProvider {
                alias: alias.into(),
                fields,
                client_secret,
            }),
        );
    }

    /// Diffs a managed provider's mappers; returns the names fedctl manages afterwards.
    fn idp_mappers(
        &mut self,
        record: &str,
        alias: &str,
        want: &IdentityProvider,
        have: &IdentityProvider,
    ) -> BTreeSet<String> {
        for (name, mapper) in &want.mappers {
            let (alias, name_owned, mapper_owned) =
                (alias.to_owned(), name.clone(), mapper.clone());
            match have.mappers.get(name) {
                None => self.push_fields(
                    record,
                    Action::Create,
                    idp_mapper(&alias, name),
                    mapper_fields(mapper),
                    Some(Operation::CreateIdpMapper {
                        alias,
                        name: name_owned,
                        mapper: mapper_owned,
                    }),
                ),
                // The record decides what is imported, whoever made the mapper.
                Some(existing) if existing != mapper => self.push_fields(
                    record,
                    Action::Update,
                    idp_mapper(&alias, name),
                    mapper_changes(existing, mapper),
                    Some(Operation::UpdateIdpMapper {
                        alias,
                        name: name_owned,
                        mapper: mapper_owned,
                    }),
                ),
                Some(_) => {}
            }
        }
        for name in have.managed_mappers() {
            let Some(existing) = have.mappers.get(&name) else {
                continue;
            };
            if want.mappers.contains_key(&name) {
                continue;
            }
            self.plan.changes.push(Change {
                record: record.to_owned(),
                action: Action::Delete,
                object: idp_mapper(alias, &name),
                fields: removal_fields(existing),
                reason: Some("the record no longer imports this".into()),
                operation: Some(Operation::DeleteIdpMapper {
                    alias: alias.into(),
                    name,
                }),
            });
        }
        want.mappers.keys().cloned().collect()
    }
}

fn idp_mapper(alias: &str, name: &str) -> ObjectRef {
    ObjectRef::IdpMapper {
        alias: alias.into(),
        name: name.into(),
    }
}

/// The plan's line for a secret that will be written: never its value.
fn secret_change(want: &IdentityProvider) -> Option<FieldChange> {
    want.client_secret.as_ref()?;
    Some(field_change(
        &config_path(CLIENT_SECRET_KEY),
        Value::Null,
        json!(SECRET_SHOWN),
    ))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use crate::desired::Desired;
    use crate::reconcile::plan::{Action, ObjectRef, Operation, Plan};
    use crate::reconcile::{DiffOptions, diff};
    use crate::state::{
        IdentityProvider, Mapper, OWNER_ATTRIBUTE, RealmState, SecretSource, config_path,
    };

    fn mapper(attribute: &str) -> Mapper {
        Mapper {
            protocol: String::new(),
            mapper_type: "oidc-user-attribute-idp-mapper".into(),
            config: BTreeMap::from([("claim".into(), attribute.into())]),
        }
    }

    fn wanted() -> IdentityProvider {
        IdentityProvider {
            fields: BTreeMap::from([
                ("providerId".into(), json!("oidc")),
                (config_path(OWNER_ATTRIBUTE), json!("uni")),
                (config_path("clientId"), json!("ours")),
                (config_path(super::IDP_MAPPERS_KEY), json!("email")),
            ]),
            mappers: BTreeMap::from([("email".into(), mapper("email"))]),
            client_secret: Some(SecretSource::Env("UNI_SECRET".into())),
        }
    }

    fn desired(records: &[&str], idp: Option<IdentityProvider>) -> Desired {
        let mut state = RealmState::default();
        state
            .identity_providers
            .extend(idp.map(|idp| ("uni".to_owned(), idp)));
        Desired {
            state,
            records: records.iter().map(|r| (*r).to_owned()).collect(),
            ..Desired::default()
        }
    }

    /// What a target reads back after applying `wanted`: masked secret, no secret source.
    fn applied() -> IdentityProvider {
        let mut idp = wanted();
        idp.client_secret = None;
        idp.fields
            .insert(config_path("clientSecret"), json!("**********"));
        idp
    }

    fn observed(idp: IdentityProvider) -> RealmState {
        let mut state = RealmState::default();
        state.identity_providers.insert("uni".into(), idp);
        state
    }

    fn actions(plan: &Plan) -> Vec<(Action, ObjectRef)> {
        plan.changes
            .iter()
            .map(|c| (c.action, c.object.clone()))
            .collect()
    }

    fn provider() -> ObjectRef {
        ObjectRef::IdentityProvider {
            alias: "uni".into(),
        }
    }

    #[test]
    fn a_new_provider_shows_its_secret_only_as_set() {
        let plan = diff(
            &desired(&["uni"], Some(wanted())),
            &RealmState::default(),
            DiffOptions::default(),
        );
        let create = &plan.changes[0];
        assert_eq!(create.object, provider());
        let secret = create
            .fields
            .iter()
            .find(|f| f.path == "config.clientSecret")
            .unwrap();
        assert_eq!(secret.new, json!("(secret, set)"));
        assert!(matches!(
            &create.operation,
            Some(Operation::CreateIdentityProvider { client_secret: Some(SecretSource::Env(name)), .. })
                if name == "UNI_SECRET"
        ));
        assert_eq!(plan.changes[1].action, Action::Create);
    }

    #[test]
    fn converged_then_drift_is_corrected_without_resending_the_secret() {
        let options = DiffOptions::default();
        let plan = diff(
            &desired(&["uni"], Some(wanted())),
            &observed(applied()),
            options,
        );
        assert_eq!(actions(&plan), vec![]);

        let mut drifted = applied();
        drifted
            .fields
            .insert(config_path("clientId"), json!("someone-else"));
        drifted.mappers.insert("email".into(), mapper("mail"));
        drifted.mappers.insert("by-hand".into(), mapper("x"));
        let plan = diff(
            &desired(&["uni"], Some(wanted())),
            &observed(drifted),
            options,
        );
        let update = plan
            .changes
            .iter()
            .find(|c| c.object == provider())
            .unwrap();
        let Some(Operation::UpdateIdentityProvider {
            fields,
            client_secret,
            ..
        }) = &update.operation
        else {
            panic!("expected an update, got {update:?}");
        };
        assert_eq!(fields.keys().collect::<Vec<_>>(), ["config.clientId"]);
        assert_eq!(*client_secret, None);
        // The hand-made mapper is not fedctl's to delete; the drifted one is corrected.
        assert_eq!(
            actions(&plan),
            vec![
                (Action::Update, provider()),
                (
                    Action::Update,
                    ObjectRef::IdpMapper {
                        alias: "uni".into(),
                        name: "email".into()
                    }
                ),
            ]
        );
    }

    #[test]
    fn an_unmarked_provider_is_a_conflict_unless_adopted() {
        let mut foreign = applied();
        foreign.fields.remove(&config_path(OWNER_ATTRIBUTE));
        let plan = diff(
            &desired(&["uni"], Some(wanted())),
            &observed(foreign.clone()),
            DiffOptions::default(),
        );
        assert_eq!(actions(&plan), vec![(Action::Conflict, provider())]);
        assert!(!plan.has_changes());

        let adopt = DiffOptions {
            adopt: true,
            ..DiffOptions::default()
        };
        let plan = diff(
            &desired(&["uni"], Some(wanted())),
            &observed(foreign),
            adopt,
        );
        let Some(Operation::UpdateIdentityProvider { fields, .. }) = &plan.changes[0].operation
        else {
            panic!("adopting updates the provider");
        };
        assert_eq!(fields[&config_path(OWNER_ATTRIBUTE)], json!("uni"));
    }

    #[test]
    fn a_provider_whose_record_is_gone_is_kept_until_prune() {
        let plan = diff(
            &desired(&[], None),
            &observed(applied()),
            DiffOptions::default(),
        );
        assert_eq!(actions(&plan), vec![(Action::Orphan, provider())]);
        let prune = DiffOptions {
            prune: true,
            ..DiffOptions::default()
        };
        let plan = diff(&desired(&[], None), &observed(applied()), prune);
        assert_eq!(
            plan.changes[0].operation,
            Some(Operation::DeleteIdentityProvider {
                alias: "uni".into()
            })
        );
        assert_eq!(plan.changes[0].fields[0].old, json!(["email"]));

        let mut foreign = applied();
        foreign.fields.remove(&config_path(OWNER_ATTRIBUTE));
        let plan = diff(&desired(&[], None), &observed(foreign), prune);
        assert_eq!(actions(&plan), vec![]);
    }
}
