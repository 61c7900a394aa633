//! The shape of a realm export, as far as fedctl reads or writes it.
//!
//! A realm export with a wrong-typed field (`"clients": "oops"`, `"groups": {}`) is refused
//! with the field's JSON path before anything is planned: repairing it in place would
//! overwrite the evidence and, for a single bad field of a real export, the data. Fields
//! fedctl never touches are not checked; `null` counts as absent, as in Keycloak's import.

use serde_json::Value;

/// What a field must hold.
enum Shape {
    /// Anything (fedctl carries it through as it is).
    Any,
    String,
    Bool,
    Number,
    /// A list whose every element has the shape.
    List(&'static Shape),
    /// An object with arbitrary keys, every value of the shape.
    Map(&'static Shape),
    /// An object: the listed keys, when present, have their shapes; others are not checked.
    Object(&'static [(&'static str, Shape)]),
}

use Shape::{Any, Bool, List, Map, Number, Object, String as Str};

/// Role and group attributes (Keycloak's MultivaluedHashMap) and `clientRoles` (role names
/// by clientId) hold lists of strings.
static STRINGS: Shape = List(&Str);

static MAPPER: Shape = Object(&[
    ("name", Str),
    ("protocol", Str),
    ("protocolMapper", Str),
    ("config", Map(&Any)),
]);

static CLIENT: Shape = Object(&[
    ("id", Str),
    ("clientId", Str),
    ("attributes", Map(&Any)),
    ("protocolMappers", List(&MAPPER)),
    ("authenticationFlowBindingOverrides", Map(&Str)),
]);

static ROLE: Shape = Object(&[
    ("name", Str),
    ("description", Str),
    ("attributes", Map(&STRINGS)),
]);

static GROUP: Shape = Object(&[
    ("name", Str),
    ("path", Str),
    ("subGroups", List(&GROUP)),
    ("attributes", Map(&STRINGS)),
    ("clientRoles", Map(&STRINGS)),
    ("realmRoles", List(&Str)),
]);

static USER: Shape = Object(&[
    ("username", Str),
    ("enabled", Bool),
    ("clientRoles", Map(&STRINGS)),
    ("groups", List(&Str)),
]);

static EXECUTION: Shape = Object(&[
    ("authenticator", Str),
    ("authenticatorConfig", Str),
    ("authenticatorFlow", Bool),
    ("autheticatorFlow", Bool),
    ("flowAlias", Str),
    ("requirement", Str),
    ("priority", Number),
]);

static FLOW: Shape = Object(&[
    ("id", Str),
    ("alias", Str),
    ("description", Str),
    ("topLevel", Bool),
    ("authenticationExecutions", List(&EXECUTION)),
]);

static AUTHENTICATOR_CONFIG: Shape = Object(&[("alias", Str), ("config", Map(&Any))]);

static COMPONENT: Shape = Object(&[
    ("id", Str),
    ("name", Str),
    ("providerId", Str),
    ("config", Map(&STRINGS)),
]);

static REALM: Shape = Object(&[
    ("realm", Str),
    ("clients", List(&CLIENT)),
    (
        "roles",
        Object(&[("realm", List(&ROLE)), ("client", Map(&ROLE_LIST))]),
    ),
    ("groups", List(&GROUP)),
    ("users", List(&USER)),
    ("authenticationFlows", List(&FLOW)),
    ("authenticatorConfig", List(&AUTHENTICATOR_CONFIG)),
    ("components", Map(&COMPONENT_LIST)),
]);

static ROLE_LIST: Shape = List(&ROLE);
static COMPONENT_LIST: Shape = List(&COMPONENT);

/// A field whose value does not have the type fedctl needs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{path}` is {found}, but a Keycloak realm export has {expected} there")]
pub struct ShapeError {
    /// JSON path of the field, e.g. `$.groups[2].subGroups`.
    pub path: String,
    pub expected: &'static str,
    pub found: &'static str,
}

/// Checks every field fedctl reads or writes; the first wrong one is the error.
pub fn check(document: &Value) -> Result<(), ShapeError> {
    check_value(document, &REALM, &mut "$".to_owned())
}

fn check_value(value: &Value, shape: &Shape, path: &mut String) -> Result<(), ShapeError> {
    let fits = match (shape, value) {
        (_, Value::Null) | (Any, _) => return Ok(()),
        (Str, Value::String(_)) | (Bool, Value::Bool(_)) | (Number, Value::Number(_)) => true,
        (List(element), Value::Array(items)) => {
            for (index, item) in items.iter().enumerate() {
                within(path, &format!("[{index}]"), |path| {
                    check_value(item, element, path)
                })?;
            }
            true
        }
        (Map(element), Value::Object(map)) => {
            for (key, item) in map {
                within(path, &key_segment(key), |path| {
                    check_value(item, element, path)
                })?;
            }
            true
        }
        (Object(fields), Value::Object(map)) => {
            for (key, field) in fields.iter() {
                if let Some(item) = map.get(*key) {
                    within(path, &key_segment(key), |path| {
                        check_value(item, field, path)
                    })?;
                }
            }
            true
        }
        _ => false,
    };
    if fits {
        Ok(())
    } else {
        Err(ShapeError {
            path: path.clone(),
            expected: expected(shape),
            found: found(value),
        })
    }
}

/// Runs `check` with `segment` appended to the path, restoring it afterwards.
fn within(
    path: &mut String,
    segment: &str,
    check: impl FnOnce(&mut String) -> Result<(), ShapeError>,
) -> Result<(), ShapeError> {
    let length = path.len();
    path.push_str(segment);
    check(path)?;
    path.truncate(length);
    Ok(())
}

/// `.key` for plain keys, `["key"]` (JSON-quoted) for any other.
fn key_segment(key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if plain {
        format!(".{key}")
    } else {
        format!("[{}]", Value::from(key))
    }
}

fn expected(shape: &Shape) -> &'static str {
    match shape {
        Any => "anything",
        Str => "a string",
        Bool => "true or false",
        Number => "a number",
        List(_) => "a list",
        Map(_) | Object(_) => "an object",
    }
}

fn found(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn error(document: Value) -> (String, &'static str, &'static str) {
        let e = check(&document).unwrap_err();
        (e.path, e.expected, e.found)
    }

    #[test]
    fn the_issues_examples_are_refused_with_their_paths() {
        assert_eq!(
            error(json!({"realm": "r", "clients": "oops"})),
            ("$.clients".into(), "a list", "a string")
        );
        assert_eq!(
            error(json!({"realm": "r", "groups": {}})),
            ("$.groups".into(), "a list", "an object")
        );
        assert_eq!(
            error(json!({"realm": "r", "roles": {"client": "x"}})),
            ("$.roles.client".into(), "an object", "a string")
        );
    }

    #[test]
    fn nested_fields_are_located_exactly() {
        let document = json!({"realm": "r", "groups": [
            {"name": "a"},
            {"name": "b", "subGroups": [{"name": "c", "clientRoles": {"app x": "role"}}]}
        ]});
        assert_eq!(
            error(document).0,
            r#"$.groups[1].subGroups[0].clientRoles["app x"]"#
        );
        let document = json!({"realm": "r", "clients": [{"clientId": "a", "protocolMappers": [{"config": []}]}]});
        assert_eq!(error(document).0, "$.clients[0].protocolMappers[0].config");
        let document = json!({"realm": "r", "users": [{"username": "u", "groups": "/g"}]});
        assert_eq!(error(document).0, "$.users[0].groups");
        let document =
            json!({"realm": "r", "components": {"k": [{"config": {"priority": "100"}}]}});
        assert_eq!(error(document).0, r#"$.components.k[0].config.priority"#);
    }

    #[test]
    fn null_and_unknown_fields_pass() {
        check(&json!({"realm": "r", "clients": null, "smtpServer": 3, "groups": [{"name": "g", "x": []}]}))
            .unwrap();
    }
}
