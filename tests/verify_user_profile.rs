//! `plan` and `apply` warn when a record releases a user attribute the realm's user profile
//! does not declare (Keycloak 24+ drops it, so the mapper releases nothing). Realm-file
//! targets here; the live target is covered by tests/real_keycloak/verify.rs.

mod common;

use common::{Workspace, runbook_record};
use predicates::prelude::*;
use serde_json::json;

const WARNING: &str =
    "releases user attribute department, which the realm's user profile does not declare";

#[test]
fn an_undeclared_released_attribute_is_a_warning_until_the_profile_declares_it() {
    let workspace = Workspace::new(&[("partner-example.yaml", &runbook_record("your-realm"))]);
    // A new realm file has Keycloak's default user profile: department is not in it.
    workspace
        .run("apply", &["--yes"])
        .success()
        .stderr(predicate::str::contains(WARNING));
    workspace
        .run("plan", &[])
        .success()
        .stderr(predicate::str::contains(WARNING));

    let mut realm = workspace.realm_json();
    let config = json!({"attributes": [
        {"name": "username"}, {"name": "email"}, {"name": "department"}, {"name": "displayName"}
    ]});
    realm["components"]["org.keycloak.userprofile.UserProfileProvider"] = json!([{
        "providerId": "declarative-user-profile",
        "config": {"kc.user.profile.config": [config.to_string()]}
    }]);
    workspace.write_realm_json(&realm);
    workspace
        .run("plan", &[])
        .success()
        .stderr(predicate::str::contains("user profile").not());
}
