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
mod tests {
    use super::*;
    use crate::review::collect::from_realm_export;
    use crate::review::evaluate::{Reviewer, Subject, scope};
    use time::macros::date;

    /// What a live source has after fetching the lists `queries` names from this realm: each
    /// user recorded once per list they appear in, as the member and holder endpoints answer.
    fn as_fetched(full: &Directory, queries: &Queries) -> Directory {
        let mut fetched = Directory {
            users: Default::default(),
            ..full.clone()
        };
        for (name, user) in &full.users {
            let bare = UserFacts {
                groups: Default::default(),
                roles: Default::default(),
                ..user.clone()
            };
            let found = (user.groups.iter())
                .filter(|g| queries.group_members.contains(*g))
                .map(|g| Found::Member(g.clone()))
                .chain(
                    (user.roles.iter())
                        .filter(|r| queries.role_holders.contains(*r))
                        .map(|r| Found::Holder(r.clone())),
                )
                .chain(
                    (queries.usernames.iter())
                        .filter(|u| u.eq_ignore_ascii_case(name))
                        .map(|_| Found::Named),
                );
            for found in found {
                record(&mut fetched, &found, name.clone(), bare.clone());
            }
        }
        fetched
    }

    fn records(dir: &str) -> Vec<(String, crate::record::RecordFile)> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
        let mut records: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| {
                let path = entry.unwrap().path();
                let text = std::fs::read_to_string(&path).unwrap();
                (
                    path.display().to_string(),
                    serde_saphyr::from_str(&text).unwrap(),
                )
            })
            .collect();
        records.sort_by(|a, b| a.0.cmp(&b.0));
        records
    }

    /// The narrowed directory reviews exactly like the whole realm.
    fn same_review(realm: &str, records_dir: &str) {
        let realm = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(realm);
        let document = serde_json::from_str(&std::fs::read_to_string(realm).unwrap()).unwrap();
        let full = from_realm_export(&document).unwrap();
        let records = records(records_dir);
        let subjects: Vec<Subject<'_>> = records
            .iter()
            .map(|(file, record)| Subject {
                record: file,
                file: std::path::Path::new(file),
                federation: &record.federation,
            })
            .collect();
        let structure = Directory {
            users: Default::default(),
            ..full.clone()
        };
        let fetched = as_fetched(&full, &queries(&structure, &scope(&subjects)));
        assert_ne!(fetched.users, full.users, "the walk narrows");
        for subject in &subjects {
            let today = date!(2025 - 06 - 30);
            assert_eq!(
                Reviewer::new(&fetched).review(subject, today),
                Reviewer::new(&full).review(subject, today),
                "{}",
                subject.record
            );
        }
    }

    #[test]
    fn the_walk_finds_everyone_in_the_demo_realm() {
        same_review("tests/review/realm.json", "tests/review/federations");
    }

    #[test]
    fn the_walk_finds_everyone_in_keycloaks_test_realm() {
        same_review(
            "tests/fixtures/keycloak/testrealm.json",
            "tests/review/fixture-records/testrealm",
        );
    }

    #[test]
    fn queries_cover_composites_granting_groups_and_sub_groups() {
        let document = serde_json::from_str(
            &std::fs::read_to_string(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/review/realm.json"),
            )
            .unwrap(),
        )
        .unwrap();
        let structure = Directory {
            users: Default::default(),
            ..from_realm_export(&document).unwrap()
        };
        let scope = Scope {
            roles: [RoleRef::client("https://app.acme.example.org", "access")].into(),
            groups: ["/partner-acme-users".to_owned()].into(),
            usernames: ["pia".to_owned()].into(),
        };
        let queries = queries(&structure, &scope);
        let full = from_realm_export(&document).unwrap();
        assert_eq!(
            Index::new(&full)
                .users(&queries)
                .into_iter()
                .collect::<Vec<_>>(),
            [
                "alice",
                "bruno",
                "carla",
                "dave",
                "erin",
                "frank",
                "ivan",
                "pia",
                "service-account-reporting-bot"
            ]
        );
        assert_eq!(
            queries.role_holders,
            [
                RoleRef::realm("partner-bundle"),
                RoleRef::client("https://app.acme.example.org", "access"),
                RoleRef::client("https://app.acme.example.org", "team"),
            ]
            .into()
        );
        assert_eq!(
            queries.group_members.iter().collect::<Vec<_>>(),
            [
                "/partner-acme-users",
                "/partner-acme-users/berlin",
                "/staff",
                "/staff/it"
            ]
        );
    }
}
