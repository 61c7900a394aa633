//! Identity providers (inbound federations) and their mappers: created, updated, adopted and
//! orphaned by the rules clients follow. Mappers an admin added to a managed provider are
//! left alone (an extra import is not a release of our users' data); mappers fedctl created
//! that the record no longer wants are deleted. The client secret cannot be compared
//! (Keycloak only shows it masked): it is written when the provider is created, or when the
//! provider has none.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::{Differ, changed_fields, creation_fields, field_change, mapper_changes, mapper_fields};
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
                fields: mapper_fields(existing)
                    .into_iter()
                    .map(|c| FieldChange {
                        old: c.new,
                        new: Value::Null,
                        ..c
                    })
                    .collect(),
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
