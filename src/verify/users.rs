//! The test users: named existing accounts, or synthetic ones fedctl creates for one run.
//!
//! Synthetic users get random passwords (held in memory only) and are deleted when the run
//! ends, failed or interrupted. Keycloak's declarative user profile (Keycloak 24+) drops
//! undeclared attributes, so a marker attribute would not survive: a synthetic user is marked
//! by its username, `fedctl-verify-<random>-member|outsider`, a prefix fedctl reserves. A
//! later run deletes the synthetic users an interrupted run left behind (older than
//! [`LEFTOVER_AGE_MS`], so a run going on in parallel keeps its own).

use serde_json::{Value, json};

use super::error::VerifyError;
use crate::keycloak::admin::client::AdminClient;
use crate::keycloak::admin::secret::Secret;

/// The username prefix of synthetic test users.
pub const PREFIX: &str = "fedctl-verify-";

/// Synthetic users older than this are leftovers of an interrupted run (a run takes seconds).
pub const LEFTOVER_AGE_MS: i64 = 10 * 60 * 1000;

/// A user to sign in as.
pub struct TestUser {
    pub username: String,
    pub password: Secret,
    /// The user as Keycloak stored it (admin API representation): the values to look for.
    pub stored: Value,
    /// Set for synthetic users: the id to delete.
    pub created: Option<String>,
}

/// Which synthetic user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Member,
    Outsider,
}

/// A random string from the operating system's generator (UUID v4), 32 hex digits.
pub fn random_hex() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Creates a synthetic user: in `groups` (paths), with `attributes` set to values of its own.
pub async fn create_synthetic(
    admin: &AdminClient,
    kind: Kind,
    run: &str,
    groups: &[String],
    attributes: &[String],
) -> Result<TestUser, VerifyError> {
    let suffix = match kind {
        Kind::Member => "member",
        Kind::Outsider => "outsider",
    };
    let username = format!("{PREFIX}{run}-{suffix}");
    // Two UUIDs of OS randomness, plus one of each character class a password policy may ask for.
    let password = Secret::new(format!("{}{}aA1!", random_hex(), random_hex()));
    let values: serde_json::Map<String, Value> = attributes
        .iter()
        .map(|name| (name.clone(), json!([format!("verify-{name}-{run}")])))
        .collect();
    let representation = json!({
        "username": username,
        "enabled": true,
        "email": format!("{username}@verify.invalid"),
        "emailVerified": true,
        "firstName": "Fedctl",
        "lastName": format!("Verify {run}"),
        "attributes": values,
        "groups": groups,
        "credentials": [{"type": "password", "value": password.expose(), "temporary": false}],
    });
    let id = admin.create(&["users"], &representation).await?;
    let stored = admin.get(&["users", &id], &[]).await?;
    Ok(TestUser {
        username,
        password,
        stored,
        created: Some(id),
    })
}

/// An existing account, looked up by exact username.
pub async fn named(
    admin: &AdminClient,
    username: &str,
    password: Secret,
) -> Result<TestUser, VerifyError> {
    let found = admin
        .get(&["users"], &[("username", username), ("exact", "true")])
        .await?;
    let stored = (found.as_array().into_iter().flatten())
        .find(|u| u["username"] == username)
        .cloned()
        .ok_or_else(|| VerifyError::User {
            username: username.to_owned(),
            reason: "no such user in the realm".into(),
        })?;
    Ok(TestUser {
        username: username.to_owned(),
        password,
        stored,
        created: None,
    })
}

/// Deletes the synthetic users among `users`; returns the usernames it could not delete.
pub async fn delete(admin: &AdminClient, users: &[&TestUser]) -> Vec<String> {
    let mut failed = Vec::new();
    for user in users {
        if let Some(id) = &user.created
            && admin.delete(&["users", id], None).await.is_err()
        {
            failed.push(user.username.clone());
        }
    }
    failed
}

/// Deletes synthetic users left behind by an interrupted run; returns their usernames.
pub async fn clean_leftovers(admin: &AdminClient, now_ms: i64) -> Result<Vec<String>, VerifyError> {
    let found = admin.list(&["users"], &[("search", PREFIX)]).await?;
    let mut deleted = Vec::new();
    for user in leftovers(&found, now_ms) {
        admin.delete(&["users", &user.0], None).await?;
        deleted.push(user.1);
    }
    Ok(deleted)
}

/// `(id, username)` of the synthetic users in `users` older than [`LEFTOVER_AGE_MS`].
fn leftovers(users: &[Value], now_ms: i64) -> Vec<(String, String)> {
    users
        .iter()
        .filter(|u| u["username"].as_str().is_some_and(is_synthetic))
        .filter(|u| {
            u["createdTimestamp"]
                .as_i64()
                .is_some_and(|at| now_ms - at > LEFTOVER_AGE_MS)
        })
        .filter_map(|u| {
            Some((
                u["id"].as_str()?.to_owned(),
                u["username"].as_str()?.to_owned(),
            ))
        })
        .collect()
}

/// `fedctl-verify-<32 hex>-member|outsider`: exactly the names fedctl gives, nothing a person
/// would be called.
fn is_synthetic(username: &str) -> bool {
    let Some(rest) = username.strip_prefix(PREFIX) else {
        return false;
    };
    let Some((run, kind)) = rest.split_once('-') else {
        return false;
    };
    run.len() == 32
        && run.bytes().all(|b| b.is_ascii_hexdigit())
        && matches!(kind, "member" | "outsider")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_old_synthetic_users_are_leftovers() {
        let run = "0123456789abcdef0123456789abcdef";
        let now = 100 * LEFTOVER_AGE_MS;
        let old = now - LEFTOVER_AGE_MS - 1;
        let users = vec![
            json!({"id": "1", "username": format!("{PREFIX}{run}-member"), "createdTimestamp": old}),
            json!({"id": "2", "username": format!("{PREFIX}{run}-outsider"), "createdTimestamp": now}),
            json!({"id": "3", "username": "fedctl-verify-alice", "createdTimestamp": old}),
            json!({"id": "4", "username": format!("{PREFIX}{run}-admin"), "createdTimestamp": old}),
        ];
        assert_eq!(
            leftovers(&users, now),
            [("1".to_owned(), format!("{PREFIX}{run}-member"))]
        );
    }

    #[test]
    fn random_values_differ() {
        assert_ne!(random_hex(), random_hex());
        assert_eq!(random_hex().len(), 32);
    }
}
