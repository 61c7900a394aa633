//! The review as data: what the renderers print and what `--output json` emits.
//!
//! The JSON form is this structure serialised (see the README section "Access reviews" for the
//! field list). It is versioned by [`FORMAT`]: fields are only added within a version.

use serde::Serialize;
use time::OffsetDateTime;

use super::access::{Grant, GrantSource};
use super::schedule::Schedule;
use crate::record::{Direction, IsoDate, Protocol};

/// Identifies the JSON layout; bumped only for incompatible changes.
pub const FORMAT: &str = "fedctl-review/1";

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub format: &'static str,
    pub as_of: IsoDate,
    pub realm: String,
    /// Where the facts came from, e.g. `realm file realm.json`.
    pub source: String,
    /// Limits of the source the reader must know about.
    pub caveats: Vec<String>,
    pub federations: Vec<FederationReview>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FederationReview {
    /// Record id (file stem) and file.
    pub record: String,
    pub file: String,
    pub partner: String,
    pub protocol: Protocol,
    pub direction: Direction,
    /// The client in our realm (outbound federations only).
    pub client_id: Option<String>,
    /// The client role that grants access (outbound federations only).
    pub role: Option<String>,
    /// Path of the access group.
    pub group: String,
    /// Only role holders can sign in (`access_control.enforce`).
    pub enforced: bool,
    pub approver: String,
    pub review: Schedule,
    /// Sorted by username.
    pub users: Vec<UserAccess>,
    pub findings: Vec<Finding>,
}

/// One user who has, or is meant to have, access.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UserAccess {
    pub username: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub enabled: bool,
    /// When the account was created (Keycloak keeps no date for group memberships).
    #[serde(with = "time::serde::rfc3339::option")]
    pub created: Option<OffsetDateTime>,
    pub service_account_of: Option<String>,
    /// Listed in the record's `pilot_users`.
    pub pilot: bool,
    /// The groups within the access group the user is a direct member of.
    pub groups: Vec<String>,
    /// Every route by which the user holds the role.
    pub grants: Vec<Grant>,
    /// Whether the user holds the role (`null` for inbound federations, which have none).
    pub holds_role: Option<bool>,
    /// Holds the role by a route other than the access group (or a pilot user's direct grant).
    pub outside_group: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub kind: FindingKind,
    /// The user it is about, if any.
    pub user: Option<String>,
    pub message: String,
}

/// Kinds of findings; `--fail-on` takes these names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum FindingKind {
    /// Never reviewed, or the review is past due.
    Overdue,
    /// The client, role or group is missing or not wired up (records not applied?).
    NotApplied,
    /// Access is not restricted to role holders (`enforce: false`).
    NotEnforced,
    /// Someone holds the role other than through the access group.
    OutsideAccess,
    /// A disabled account is still in the group or holds the role.
    Disabled,
    /// A service account (not a person) is in the group or holds the role.
    ServiceAccount,
    /// A pilot user: whether they exist and hold the role.
    Pilot,
}

impl FindingKind {
    pub fn name(self) -> &'static str {
        match self {
            FindingKind::Overdue => "overdue",
            FindingKind::OutsideAccess => "outside-access",
            FindingKind::Disabled => "disabled",
            FindingKind::ServiceAccount => "service-account",
            FindingKind::Pilot => "pilot",
            FindingKind::NotApplied => "not-applied",
            FindingKind::NotEnforced => "not-enforced",
        }
    }
}

impl UserAccess {
    /// Display name from first and last name.
    pub fn name(&self) -> String {
        [&self.first_name, &self.last_name]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// How the user has access, one short phrase per route, for the sheet and the CSV.
    pub fn access_labels(&self) -> Vec<String> {
        // Members of a group that does not grant the role cannot sign in: say so on the sheet.
        let not_granted = if self.holds_role == Some(false) {
            " (role not granted)"
        } else {
            ""
        };
        let mut labels: Vec<String> = (self.groups.iter())
            .map(|g| format!("group {g}{not_granted}"))
            .collect();
        labels.extend(
            self.grants
                .iter()
                .filter(|grant| !self.is_membership(grant))
                .map(|grant| self.grant_label(grant)),
        );
        if self.pilot && self.holds_role == Some(false) {
            labels.push(format!("pilot{not_granted}"));
        }
        labels
    }

    /// A group grant already shown as a membership of the access group.
    fn is_membership(&self, grant: &Grant) -> bool {
        matches!(&grant.source, GrantSource::Group { member_of, .. } if self.groups.contains(member_of))
    }

    /// A short phrase for one route, e.g. `via role bundle (realm) (group /staff)`.
    pub fn grant_label(&self, grant: &Grant) -> String {
        let source = match &grant.source {
            GrantSource::Direct if self.pilot => "pilot, direct".to_owned(),
            GrantSource::Direct => "direct".to_owned(),
            GrantSource::Group {
                member_of,
                mapped_on,
            } if member_of == mapped_on => format!("group {member_of}"),
            GrantSource::Group {
                member_of,
                mapped_on,
            } => format!("group {member_of}, inherited from {mapped_on}"),
        };
        match grant.via.as_slice() {
            [] => source,
            chain => {
                let chain: Vec<String> = chain.iter().map(ToString::to_string).collect();
                format!("via role {} ({source})", chain.join(" → "))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::review::model::RoleRef;

    fn user() -> UserAccess {
        UserAccess {
            username: "u".into(),
            first_name: Some("Ada".into()),
            last_name: None,
            email: None,
            enabled: true,
            created: None,
            service_account_of: None,
            pilot: false,
            groups: vec!["/g".into()],
            grants: vec![
                Grant {
                    source: GrantSource::Group {
                        member_of: "/g".into(),
                        mapped_on: "/g".into(),
                    },
                    via: vec![],
                },
                Grant {
                    source: GrantSource::Direct,
                    via: vec![],
                },
                Grant {
                    source: GrantSource::Group {
                        member_of: "/staff/it".into(),
                        mapped_on: "/staff".into(),
                    },
                    via: vec![RoleRef::realm("bundle"), RoleRef::client("app", "team")],
                },
            ],
            holds_role: Some(true),
            outside_group: true,
        }
    }

    #[test]
    fn labels_name_every_route_once() {
        assert_eq!(
            user().access_labels(),
            [
                "group /g",
                "direct",
                "via role bundle (realm) → team (client app) (group /staff/it, inherited from /staff)",
            ]
        );
        assert_eq!(user().name(), "Ada");
    }

    #[test]
    fn pilot_users_are_labelled_as_such() {
        let pilot = UserAccess {
            pilot: true,
            groups: vec![],
            grants: vec![],
            holds_role: Some(false),
            ..user()
        };
        assert_eq!(pilot.access_labels(), ["pilot (role not granted)"]);
    }

    #[test]
    fn finding_names_match_the_cli_and_json() {
        use clap::ValueEnum;
        for kind in FindingKind::value_variants() {
            let cli = kind.to_possible_value().unwrap();
            assert_eq!(cli.get_name(), kind.name());
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.name());
        }
    }
}
