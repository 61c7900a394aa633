//! Identity providers and their mappers (`identityProviders`, `identityProviderMappers` of a
//! realm export, the same shapes the admin API serves) ↔ state, and edits of an export.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::{array, array_mut, new_id, str_field, string_map};
use crate::state::{
    CLIENT_SECRET_KEY, CONFIG_PREFIX, Fields, IdentityProvider, Mapper, config_path,
};

/// What Keycloak's GET shows instead of a client secret; a PUT carrying it keeps the stored one.
pub const MASKED_SECRET: &str = "**********";

/// Representation keys that are not settings: never compared, never shown.
const NON_FIELDS: &[&str] = &["alias", "internalId", "config"];

/// Every identity provider of an export (or of the admin API's list), by alias, with its
/// mappers. A client secret is only ever seen masked, whatever the source holds.
pub fn identity_providers(
    providers: &[Value],
    mappers: &[Value],
) -> BTreeMap<String, IdentityProvider> {
    let mut found: BTreeMap<String, IdentityProvider> = providers
        .iter()
        .filter_map(|idp| Some((str_field(idp, "alias")?.to_owned(), provider_state(idp))))
        .collect();
    for mapper in mappers {
        let (Some(alias), Some(name)) = (
            str_field(mapper, "identityProviderAlias"),
            str_field(mapper, "name"),
        ) else {
            continue;
        };
        if let Some(idp) = found.get_mut(alias) {
            idp.mappers.insert(name.to_owned(), mapper_state(mapper));
        }
    }
    found
}

fn provider_state(idp: &Value) -> IdentityProvider {
    let mut fields = Fields::new();
    if let Some(object) = idp.as_object() {
        for (key, value) in object
            .iter()
            .filter(|(k, _)| !NON_FIELDS.contains(&k.as_str()))
        {
            fields.insert(key.clone(), value.clone());
        }
    }
    for (key, value) in string_map(idp.get("config")) {
        let value = if key == CLIENT_SECRET_KEY && !value.is_empty() {
            MASKED_SECRET.to_owned()
        } else {
            value
        };
        fields.insert(config_path(&key), json!(value));
    }
    IdentityProvider {
        fields,
        ..IdentityProvider::default()
    }
}

pub fn mapper_state(mapper: &Value) -> Mapper {
    Mapper {
        protocol: String::new(),
        mapper_type: str_field(mapper, "identityProviderMapper")
            .unwrap_or_default()
            .to_owned(),
        config: string_map(mapper.get("config")),
    }
}

/// Sets fields on a representation: top-level keys, and `config.*` as strings (null or ""
/// removes, as Keycloak drops empty config values).
pub fn set_fields(idp: &mut Map<String, Value>, fields: &Fields) {
    for (path, value) in fields {
        match path.strip_prefix(CONFIG_PREFIX) {
            Some(key) => {
                let config = super::object_entry(idp, "config");
                match value {
                    Value::Null => {
                        config.remove(key);
                    }
                    Value::String(s) if s.is_empty() => {
                        config.remove(key);
                    }
                    Value::String(s) => {
                        config.insert(key.to_owned(), json!(s));
                    }
                    other => {
                        config.insert(key.to_owned(), json!(other.to_string()));
                    }
                }
            }
            None if value.is_null() => {
                idp.remove(path);
            }
            None => {
                idp.insert(path.clone(), value.clone());
            }
        }
    }
}

/// A new representation with these fields.
pub fn new_provider(alias: &str, fields: &Fields) -> Map<String, Value> {
    let mut idp = Map::new();
    idp.insert("alias".into(), json!(alias));
    idp.insert("config".into(), json!({}));
    set_fields(&mut idp, fields);
    idp
}

pub fn set_secret(idp: &mut Map<String, Value>, secret: &str) {
    super::object_entry(idp, "config").insert(CLIENT_SECRET_KEY.into(), json!(secret));
}

pub fn provider_mut<'d>(
    document: &'d mut Value,
    alias: &str,
) -> Option<&'d mut Map<String, Value>> {
    array_mut(document, "identityProviders")
        .iter_mut()
        .find(|idp| str_field(idp, "alias") == Some(alias))
        .and_then(Value::as_object_mut)
}

pub fn create_provider(document: &mut Value, alias: &str, fields: &Fields) {
    let mut idp = new_provider(alias, fields);
    idp.insert("internalId".into(), json!(new_id()));
    array_mut(document, "identityProviders").push(Value::Object(idp));
}

/// Removes a provider and its mappers (Keycloak deletes them together).
pub fn delete_provider(document: &mut Value, alias: &str) {
    array_mut(document, "identityProviders").retain(|idp| str_field(idp, "alias") != Some(alias));
    array_mut(document, "identityProviderMappers")
        .retain(|m| str_field(m, "identityProviderAlias") != Some(alias));
}

/// The mapper body Keycloak takes (POST/PUT) and exports.
pub fn mapper_body(alias: &str, name: &str, mapper: &Mapper) -> Map<String, Value> {
    let mut body = Map::new();
    body.insert("name".into(), json!(name));
    body.insert("identityProviderAlias".into(), json!(alias));
    body.insert("identityProviderMapper".into(), json!(mapper.mapper_type));
    body.insert("config".into(), json!(mapper.config));
    body
}

pub fn put_mapper(document: &mut Value, alias: &str, name: &str, mapper: &Mapper) {
    let mappers = array_mut(document, "identityProviderMappers");
    let same = |m: &Value| {
        str_field(m, "identityProviderAlias") == Some(alias) && str_field(m, "name") == Some(name)
    };
    let mut body = mapper_body(alias, name, mapper);
    match mappers.iter_mut().find(|m| same(m)) {
        Some(existing) => {
            body.insert(
                "id".into(),
                existing.get("id").cloned().unwrap_or(json!(new_id())),
            );
            *existing = Value::Object(body);
        }
        None => {
            body.insert("id".into(), json!(new_id()));
            mappers.push(Value::Object(body));
        }
    }
}

pub fn delete_mapper(document: &mut Value, alias: &str, name: &str) {
    array_mut(document, "identityProviderMappers").retain(|m| {
        str_field(m, "identityProviderAlias") != Some(alias) || str_field(m, "name") != Some(name)
    });
}

/// The export's providers and mappers, as state.
pub fn observe(document: &Value) -> BTreeMap<String, IdentityProvider> {
    identity_providers(
        array(document, "identityProviders"),
        array(document, "identityProviderMappers"),
    )
}
