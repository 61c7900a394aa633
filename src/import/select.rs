//! Which clients an import takes: those named, or every client that looks like a partner
//! application.

use crate::state::RealmState;

use super::ImportError;

/// The clients Keycloak makes in every realm: never a partner's application.
pub const BUILTIN_CLIENTS: [&str; 6] = [
    "account",
    "account-console",
    "admin-cli",
    "broker",
    "realm-management",
    "security-admin-console",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// These clientIds (`--client`), each of which must exist.
    Clients(Vec<String>),
    /// Every SAML and OIDC client but Keycloak's built-in ones (`--all-partners`).
    AllPartners,
}

pub struct Chosen {
    pub clients: Vec<String>,
    pub builtin: Vec<String>,
}

pub fn choose(
    state: &RealmState,
    realm: &str,
    selection: &Selection,
) -> Result<Chosen, ImportError> {
    let mut chosen = Chosen {
        clients: Vec::new(),
        builtin: Vec::new(),
    };
    match selection {
        Selection::Clients(names) => {
            for name in names {
                if !state.clients.contains_key(name) {
                    return Err(ImportError::NoSuchClient {
                        client_id: name.clone(),
                        realm: realm.to_owned(),
                    });
                }
                if !chosen.clients.contains(name) {
                    chosen.clients.push(name.clone());
                }
            }
        }
        Selection::AllPartners => {
            for client_id in state.clients.keys() {
                if is_builtin(client_id) {
                    chosen.builtin.push(client_id.clone());
                } else {
                    chosen.clients.push(client_id.clone());
                }
            }
        }
    }
    Ok(chosen)
}

/// Keycloak's own clients. (The `<realm>-realm` clients of `master` are bearer-only, which
/// the import reports on its own.)
fn is_builtin(client_id: &str) -> bool {
    BUILTIN_CLIENTS.contains(&client_id)
}
