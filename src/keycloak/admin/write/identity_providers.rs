//! Identity providers and their mappers over the admin API (keycloak-admin-api.md §5). A PUT
//! replaces the whole provider, so an update reads it, changes the given fields and writes it
//! back; the client secret it reads is masked, and writing the mask back keeps the stored one.

use serde_json::{Value, json};

use super::{KeycloakTarget, settle_create};
use crate::keycloak::realm_json::identity_providers as idp;
use crate::keycloak::secret_source;
use crate::state::{Fields, Mapper, SecretSource};
use crate::target::TargetError;

const INSTANCES: &str = "identity-provider";

impl KeycloakTarget {
    pub(super) async fn create_identity_provider(
        &self,
        alias: &str,
        fields: &Fields,
        client_secret: Option<&SecretSource>,
    ) -> Result<(), TargetError> {
        let mut body = idp::new_provider(alias, fields);
        if let Some(source) = client_secret {
            idp::set_secret(&mut body, secret_source::read(source)?.expose());
        }
        let result = self
            .client
            .create(&[INSTANCES, "instances"], &Value::Object(body))
            .await;
        settle_create(result, || format!("identity provider {alias}"))?;
        Ok(())
    }

    pub(super) async fn update_identity_provider(
        &self,
        alias: &str,
        fields: &Fields,
        client_secret: Option<&SecretSource>,
    ) -> Result<(), TargetError> {
        let path = [INSTANCES, "instances", alias];
        let Some(Value::Object(mut body)) = self.client.get_optional(&path).await? else {
            return Err(super::missing(format!("identity provider {alias}")));
        };
        idp::set_fields(&mut body, fields);
        if let Some(source) = client_secret {
            idp::set_secret(&mut body, secret_source::read(source)?.expose());
        }
        self.client.put(&path, &Value::Object(body)).await?;
        Ok(())
    }

    pub(super) async fn delete_identity_provider(&self, alias: &str) -> Result<(), TargetError> {
        self.client
            .delete(&[INSTANCES, "instances", alias], None)
            .await?;
        Ok(())
    }

    /// The server id of a provider's mapper, by name.
    async fn idp_mapper_id(&self, alias: &str, name: &str) -> Result<Option<String>, TargetError> {
        let mappers = self
            .client
            .get(&[INSTANCES, "instances", alias, "mappers"], &[])
            .await?;
        Ok(mappers
            .as_array()
            .into_iter()
            .flatten()
            .find(|m| m.get("name").and_then(Value::as_str) == Some(name))
            .and_then(|m| m.get("id").and_then(Value::as_str))
            .map(str::to_owned))
    }

    pub(super) async fn create_idp_mapper(
        &self,
        alias: &str,
        name: &str,
        mapper: &Mapper,
    ) -> Result<(), TargetError> {
        let body = Value::Object(idp::mapper_body(alias, name, mapper));
        let result = self
            .client
            .create(&[INSTANCES, "instances", alias, "mappers"], &body)
            .await;
        settle_create(result, || {
            format!("mapper {name} of identity provider {alias}")
        })?;
        Ok(())
    }

    pub(super) async fn update_idp_mapper(
        &self,
        alias: &str,
        name: &str,
        mapper: &Mapper,
    ) -> Result<(), TargetError> {
        let id = self
            .idp_mapper_id(alias, name)
            .await?
            .ok_or_else(|| super::missing(format!("mapper {name} of identity provider {alias}")))?;
        let mut body = idp::mapper_body(alias, name, mapper);
        body.insert("id".into(), json!(id));
        self.client
            .put(
                &[INSTANCES, "instances", alias, "mappers", &id],
                &Value::Object(body),
            )
            .await?;
        Ok(())
    }

    pub(super) async fn delete_idp_mapper(
        &self,
        alias: &str,
        name: &str,
    ) -> Result<(), TargetError> {
        if let Some(id) = self.idp_mapper_id(alias, name).await? {
            self.client
                .delete(&[INSTANCES, "instances", alias, "mappers", &id], None)
                .await?;
        }
        Ok(())
    }
}
