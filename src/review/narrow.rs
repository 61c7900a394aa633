//! The part of a realm a review needs, for sources that cannot afford to read every user
//! (the live admin API): given the realm's structure — groups with their role mappings, roles
//! with their composites, clients; one partial export — which member lists and role-holder
//! lists to fetch so that the resulting [`Directory`] keeps its contract.
//!
//! The walk goes backwards from each scoped role: the composites that contain it (transitively),
//! the groups those roles are mapped to, and their sub-groups, whose members inherit the
//! mappings. With the access groups' subtrees added, listing the direct members of those groups
//! (`GET /groups/{id}/members`) and the direct holders of those roles
//! (`GET /roles/{name}/users`, `GET /clients/{uuid}/roles/{name}/users`) finds every user on a
//! route to a scoped role, with every membership and mapping on that route.

use std::collections::{BTreeSet, HashMap};

use super::access::Reach;
use super::model::{Directory, RoleRef, Scope, UserFacts, is_within};

/// What to fetch beyond the structure.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Queries {
    /// Groups (paths) whose direct members to list.
    pub group_members: BTreeSet<String>,
    /// Roles whose direct holders to list.
    pub role_holders: BTreeSet<RoleRef>,
    /// Users to look up by name (pilot users, who may hold nothing).
    pub usernames: BTreeSet<String>,
}

pub fn queries(structure: &Directory, scope: &Scope) -> Queries {
    let mut role_holders = BTreeSet::new();
    for role in &scope.roles {
        role_holders.extend(Reach::of(&structure.roles, role).roles().cloned());
    }
    let granting = structure
        .groups
        .iter()
        .filter(|(_, group)| group.roles.iter().any(|r| role_holders.contains(r)))
        .map(|(path, _)| path.as_str());
    let roots: BTreeSet<&str> = granting
        .chain(scope.groups.iter().map(String::as_str))
        .collect();
    let group_members = structure
        .groups
        .keys()
        .filter(|path| roots.iter().any(|root| is_within(path, root)))
        .cloned()
        .collect();
    Queries {
        group_members,
        role_holders,
        usernames: scope.usernames.clone(),
    }
}

/// How a user turned up in the fetched lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// In the member list of the group at this path.
    Member(String),
    /// In the holder list of this role.
    Holder(RoleRef),
    /// Looked up by name.
    Named,
}

/// Adds a fetched user to the directory, with the membership or mapping the list revealed.
pub fn record(directory: &mut Directory, found: &Found, username: String, facts: UserFacts) {
    let user = directory.users.entry(username).or_insert(facts);
    match found {
        Found::Member(path) => {
            user.groups.insert(path.clone());
        }
        Found::Holder(role) => {
            user.roles.insert(role.clone());
        }
        Found::Named => {}
    }
}

/// Who is directly in each group and who directly holds each role, in a directory that has
/// them all: the member and holder lists answered from memory, so reviewing a federation
/// looks at the users its walk reaches instead of at every user of the realm.
pub struct Index<'d> {
    members: HashMap<&'d str, Vec<&'d str>>,
    holders: HashMap<&'d RoleRef, Vec<&'d str>>,
    /// Usernames by their lower-case form (Keycloak compares usernames without case).
    names: HashMap<String, &'d str>,
}

impl<'d> Index<'d> {
    pub fn new(directory: &'d Directory) -> Index<'d> {
        let mut index = Index {
            members: HashMap::new(),
            holders: HashMap::new(),
            names: HashMap::new(),
        };
        for (username, user) in &directory.users {
            for group in &user.groups {
                index.members.entry(group).or_default().push(username);
            }
            for role in &user.roles {
                index.holders.entry(role).or_default().push(username);
            }
            index.names.insert(username.to_lowercase(), username);
        }
        index
    }

    /// The users the lists `queries` names would return.
    pub fn users(&self, queries: &Queries) -> BTreeSet<&'d str> {
        let members =
            (queries.group_members.iter()).filter_map(|group| self.members.get(group.as_str()));
        let holders = (queries.role_holders.iter()).filter_map(|role| self.holders.get(role));
        let named = (queries.usernames.iter())
            .filter_map(|name| self.names.get(&name.to_lowercase()).copied());
        members
            .chain(holders)
            .flatten()
            .copied()
            .chain(named)
            .collect()
    }
}

#[cfg(test)]
mod tests;
