//! Who holds a client role, and by which route: directly, through a group (or an ancestor of
//! it, whose role mappings sub-groups inherit), or through composite roles that contain it.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde::Serialize;

use super::model::{Directory, RoleRef, UserFacts, self_and_ancestors};

/// One route by which a user holds the reviewed role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Grant {
    #[serde(flatten)]
    pub source: GrantSource,
    /// Composite roles from the one mapped down to the reviewed role (empty when the reviewed
    /// role itself is mapped).
    pub via: Vec<RoleRef>,
}

/// Where the mapping that grants the role sits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "source", rename_all = "kebab-case")]
pub enum GrantSource {
    /// Mapped to the user.
    Direct,
    /// Mapped to `mapped_on`, which is `member_of` (a group the user is in) or an ancestor of it.
    Group {
        member_of: String,
        mapped_on: String,
    },
}

/// Every role that grants the target role, with the composite chain down to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reach(BTreeMap<RoleRef, Vec<RoleRef>>);

impl Reach {
    /// Walks composites backwards from `target`, breadth first so each chain is a shortest one.
    /// Cycles among composites are harmless: every role is visited once.
    pub fn of(roles: &BTreeMap<RoleRef, BTreeSet<RoleRef>>, target: &RoleRef) -> Reach {
        let mut containers: BTreeMap<&RoleRef, Vec<&RoleRef>> = BTreeMap::new();
        for (composite, contained) in roles {
            for role in contained {
                containers.entry(role).or_default().push(composite);
            }
        }
        let mut chains = BTreeMap::from([(target.clone(), Vec::new())]);
        let mut queue = VecDeque::from([target]);
        while let Some(role) = queue.pop_front() {
            for &composite in containers.get(role).into_iter().flatten() {
                if !chains.contains_key(composite) {
                    let mut chain = vec![composite.clone()];
                    chain.extend(chains[role].iter().cloned());
                    chains.insert(composite.clone(), chain);
                    queue.push_back(composite);
                }
            }
        }
        Reach(chains)
    }

    /// The target and every role that contains it.
    pub fn roles(&self) -> impl Iterator<Item = &RoleRef> {
        self.0.keys()
    }

    /// The composite chain if `role` grants the target, `None` if it does not.
    pub fn via(&self, role: &RoleRef) -> Option<&[RoleRef]> {
        self.0.get(role).map(Vec::as_slice)
    }

    /// The group at `path` (through its own or inherited mappings) grants the target.
    pub fn granted_to_group(&self, directory: &Directory, path: &str) -> bool {
        self_and_ancestors(path)
            .filter_map(|group| directory.groups.get(group))
            .any(|group| group.roles.iter().any(|role| self.via(role).is_some()))
    }

    /// Every route by which `user` holds the target.
    pub fn grants(&self, user: &UserFacts, directory: &Directory) -> Vec<Grant> {
        let direct = user.roles.iter().filter_map(|role| {
            self.via(role).map(|via| Grant {
                source: GrantSource::Direct,
                via: via.to_vec(),
            })
        });
        let through_groups = user.groups.iter().flat_map(|member_of| {
            self_and_ancestors(member_of).flat_map(move |mapped_on| {
                let roles = directory.groups.get(mapped_on).map(|g| &g.roles);
                roles.into_iter().flatten().filter_map(move |role| {
                    self.via(role).map(|via| Grant {
                        source: GrantSource::Group {
                            member_of: member_of.clone(),
                            mapped_on: mapped_on.to_owned(),
                        },
                        via: via.to_vec(),
                    })
                })
            })
        });
        direct.chain(through_groups).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::review::model::GroupFacts;

    fn role(name: &str) -> RoleRef {
        RoleRef::client("app", name)
    }

    fn directory() -> Directory {
        let mut directory = Directory::default();
        let composites = [
            (RoleRef::realm("bundle"), vec![role("team")]),
            (role("team"), vec![role("access")]),
            (RoleRef::realm("loop-a"), vec![RoleRef::realm("loop-b")]),
            (
                RoleRef::realm("loop-b"),
                vec![RoleRef::realm("loop-a"), role("access")],
            ),
        ];
        for (composite, contained) in composites {
            directory
                .roles
                .insert(composite, contained.into_iter().collect());
        }
        directory.roles.insert(role("access"), BTreeSet::new());
        directory.groups.insert(
            "/org".into(),
            GroupFacts {
                roles: [RoleRef::realm("bundle")].into(),
            },
        );
        directory
            .groups
            .insert("/org/sales".into(), GroupFacts::default());
        directory
    }

    #[test]
    fn composites_are_followed_transitively_with_shortest_chains() {
        let reach = Reach::of(&directory().roles, &role("access"));
        assert_eq!(reach.via(&role("access")), Some(&[][..]));
        assert_eq!(reach.via(&role("team")), Some(&[role("team")][..]));
        assert_eq!(
            reach.via(&RoleRef::realm("bundle")),
            Some(&[RoleRef::realm("bundle"), role("team")][..])
        );
        assert_eq!(
            reach.via(&RoleRef::realm("loop-a")),
            Some(&[RoleRef::realm("loop-a"), RoleRef::realm("loop-b")][..])
        );
        assert_eq!(reach.via(&RoleRef::realm("unrelated")), None);
    }

    #[test]
    fn sub_groups_inherit_their_ancestors_mappings() {
        let directory = directory();
        let reach = Reach::of(&directory.roles, &role("access"));
        assert!(reach.granted_to_group(&directory, "/org/sales"));
        let user = UserFacts {
            groups: ["/org/sales".to_owned()].into(),
            roles: [role("access"), RoleRef::realm("other")].into(),
            ..UserFacts::default()
        };
        let grants = reach.grants(&user, &directory);
        assert_eq!(
            grants,
            [
                Grant {
                    source: GrantSource::Direct,
                    via: vec![],
                },
                Grant {
                    source: GrantSource::Group {
                        member_of: "/org/sales".into(),
                        mapped_on: "/org".into(),
                    },
                    via: vec![RoleRef::realm("bundle"), role("team")],
                },
            ]
        );
    }
}
