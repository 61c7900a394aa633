//! The facts a review is computed from: who is in which group, who holds which role, which
//! roles contain which. This is the seam between data sources and the pure evaluation.
//!
//! A source fills a [`Directory`] for a [`Scope`] (the roles, groups and users the reviewed
//! records name). The realm-file source ([`super::collect`]) copies the whole realm; a live
//! source may fetch only the part that matters, as long as it keeps the contract documented
//! on [`Directory`].

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Serialize;
use time::OffsetDateTime;

/// A realm role (`client: None`) or a role of the client with that clientId.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct RoleRef {
    pub client: Option<String>,
    #[serde(rename = "role")]
    pub name: String,
}

impl RoleRef {
    pub fn realm(name: &str) -> RoleRef {
        RoleRef {
            client: None,
            name: name.to_owned(),
        }
    }

    pub fn client(client_id: &str, name: &str) -> RoleRef {
        RoleRef {
            client: Some(client_id.to_owned()),
            name: name.to_owned(),
        }
    }
}

impl fmt::Display for RoleRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.client {
            Some(client) => write!(f, "{} (client {client})", self.name),
            None => write!(f, "{} (realm)", self.name),
        }
    }
}

/// One user account and its direct memberships and role mappings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserFacts {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub enabled: bool,
    /// When the account was created. Keycloak records no date for group memberships or role
    /// mappings, so this is the closest thing to "added" it knows.
    pub created: Option<OffsetDateTime>,
    /// The clientId whose service account this user is (`serviceAccountClientId`, or the name
    /// after `service-account-` when only the naming convention tells).
    pub service_account_of: Option<String>,
    /// Paths of the groups the user is a direct member of.
    pub groups: BTreeSet<String>,
    /// Roles mapped to the user directly.
    pub roles: BTreeSet<RoleRef>,
}

/// What the review needs to know about one group (keyed by its path in [`Directory::groups`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupFacts {
    /// Roles mapped to the group directly. Members of sub-groups inherit them.
    pub roles: BTreeSet<RoleRef>,
}

/// The realm as far as a review needs it.
///
/// Contract for sources, for every role, group and username in the [`Scope`]:
/// - every user who is a member of a scoped group or of one of its sub-groups, and every user
///   who holds a scoped role by any route (directly, through a group or an ancestor group,
///   through composite roles), with all their direct memberships and the role mappings on
///   those routes; plus the scoped users that exist;
/// - every group on those routes (and every scoped group that exists) with its role mappings;
/// - every role on those routes in `roles`, with the roles it contains; scoped roles that exist
///   appear as keys even when nobody holds them;
/// - the clientIds of the scoped roles' clients that exist.
///
/// A source may include more (the realm-file source includes everything).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Directory {
    /// Users by username (unique within a realm).
    pub users: BTreeMap<String, UserFacts>,
    /// Groups by path (`/parent/child`).
    pub groups: BTreeMap<String, GroupFacts>,
    /// Every known role with the roles it contains directly (empty when not composite).
    pub roles: BTreeMap<RoleRef, BTreeSet<RoleRef>>,
    /// ClientIds of the clients that exist.
    pub clients: BTreeSet<String>,
    /// Limits of the source the reader must know about (e.g. users kept in LDAP).
    pub caveats: Vec<String>,
}

/// What a review asks a source about.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// The federations' client roles.
    pub roles: BTreeSet<RoleRef>,
    /// The federations' access groups (paths).
    pub groups: BTreeSet<String>,
    /// Pilot users named in the records.
    pub usernames: BTreeSet<String>,
}

/// `path` is `ancestor` or lies below it.
pub fn is_within(path: &str, ancestor: &str) -> bool {
    path == ancestor
        || path
            .strip_prefix(ancestor)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// `path` and its ancestors, nearest first: `/a/b` → `/a/b`, `/a`.
pub fn self_and_ancestors(path: &str) -> impl Iterator<Item = &str> {
    std::iter::successors(Some(path), |p| {
        p.rfind('/').filter(|&i| i > 0).map(|i| &p[..i])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn within_means_same_or_below() {
        assert!(is_within("/a", "/a"));
        assert!(is_within("/a/b/c", "/a"));
        assert!(!is_within("/ab", "/a"));
        assert!(!is_within("/a", "/a/b"));
    }

    #[test]
    fn ancestors_nearest_first() {
        let all: Vec<_> = self_and_ancestors("/a/b/c").collect();
        assert_eq!(all, ["/a/b/c", "/a/b", "/a"]);
        assert_eq!(self_and_ancestors("/a").collect::<Vec<_>>(), ["/a"]);
    }

    #[test]
    fn roles_read_as_sentences() {
        assert_eq!(RoleRef::realm("staff").to_string(), "staff (realm)");
        assert_eq!(
            RoleRef::client("portal", "access").to_string(),
            "access (client portal)"
        );
    }
}
