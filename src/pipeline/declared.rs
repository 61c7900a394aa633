//! The realm's user profile as a target holds it, for the warning about released attributes
//! Keycloak would drop ([`crate::user_profile`]).

use super::AnyTarget;
use crate::user_profile::UserProfile;

/// The realm file's user-profile component, or the live `users/profile`. A Keycloak that
/// does not answer (before 24 there is none; or no view-realm right) declares everything:
/// no warning rather than a wrong one.
pub async fn user_profile(target: &AnyTarget) -> UserProfile {
    match target {
        AnyTarget::File(file) => UserProfile::from_realm_export(&file.document()),
        AnyTarget::Keycloak(live) => match live.client().get(&["users", "profile"], &[]).await {
            Ok(config) => UserProfile::from_config(&config),
            Err(error) => {
                tracing::debug!(%error, "user profile not read");
                UserProfile::keeping_everything()
            }
        },
    }
}
