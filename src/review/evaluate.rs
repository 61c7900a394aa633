//! Facts + records → the review of each federation: who has access, how, and what needs the
//! approver's attention. Pure: the date is a parameter, the facts come from a [`Directory`].

use std::path::Path;

use time::Date;

use super::access::{Grant, GrantSource, Reach};
use super::model::{Directory, RoleRef, Scope, UserFacts, is_within};
use super::narrow::{Index, queries};
use super::report::{FederationReview, Finding, FindingKind, UserAccess};
use super::schedule::Schedule;
use crate::desired::client_id;
use crate::record::{Direction, Federation};
use crate::state::group_path;

/// One record to review.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub record: &'a str,
    pub file: &'a Path,
    pub federation: &'a Federation,
}

impl Subject<'_> {
    /// The client role that grants access: outbound federations only (inbound ones let the
    /// partner's users into the access group through an identity provider, without a role).
    fn role(&self) -> Option<RoleRef> {
        let federation = self.federation;
        if federation.direction != Direction::Outbound {
            return None;
        }
        client_id(federation)
            .map(|client| RoleRef::client(client, federation.access_control.role_name()))
    }

    fn group(&self) -> String {
        group_path(&self.federation.access_control.group)
    }
}

/// What the sources must report on for these subjects.
pub fn scope<'a>(subjects: impl IntoIterator<Item = &'a Subject<'a>>) -> Scope {
    let mut scope = Scope::default();
    for subject in subjects {
        scope.roles.extend(subject.role());
        scope.groups.insert(subject.group());
        let access = &subject.federation.access_control;
        scope.usernames.extend(access.pilot_users.iter().cloned());
    }
    scope
}

/// Reviews federations against one directory.
pub struct Reviewer<'d> {
    directory: &'d Directory,
    index: Index<'d>,
}

impl<'d> Reviewer<'d> {
    pub fn new(directory: &'d Directory) -> Reviewer<'d> {
        Reviewer {
            directory,
            index: Index::new(directory),
        }
    }

    pub fn review(&self, subject: &Subject<'_>, today: Date) -> FederationReview {
        review(subject, self.directory, self.candidates(subject), today)
    }

    /// The users that may be in the group, hold the role or be pilots: those the reverse walk
    /// from the federation's role and group reaches (everyone else is checked in vain).
    fn candidates(&self, subject: &Subject<'_>) -> impl Iterator<Item = (&'d str, &'d UserFacts)> {
        let queries = queries(self.directory, &scope([subject]));
        let users = &self.directory.users;
        (self.index.users(&queries).into_iter()).filter_map(|name| Some((name, users.get(name)?)))
    }
}

fn review<'d>(
    subject: &Subject<'_>,
    directory: &Directory,
    candidates: impl Iterator<Item = (&'d str, &'d UserFacts)>,
    today: Date,
) -> FederationReview {
    let federation = subject.federation;
    let access = &federation.access_control;
    let role = subject.role();
    let reach = role.as_ref().map(|role| Reach::of(&directory.roles, role));
    let lens = Lens {
        group: subject.group(),
        reach: reach.as_ref(),
        pilots: &access.pilot_users,
    };
    // Candidates come in username order, as the sheet lists them.
    let users: Vec<UserAccess> = candidates
        .filter_map(|(username, user)| lens.user_access(username, user, directory))
        .collect();
    let review = Schedule::new(access.review_frequency, access.last_reviewed, today);

    let mut findings = Vec::new();
    findings.extend(overdue(&review, today));
    findings.extend(not_applied(subject, role.as_ref(), &lens, directory));
    if role.is_some() && !access.enforced() {
        findings.push(federation_finding(
            FindingKind::NotEnforced,
            "access is not enforced (enforce: false): every user of the realm can sign in, \
             not only the users listed here"
                .to_owned(),
        ));
    }
    for user in &users {
        findings.extend(lens.user_findings(user));
    }
    if role.is_some() {
        findings.extend(missing_pilots(&access.pilot_users, directory));
    }
    // Federation-wide findings first, then per kind; users stay in name order (stable sort).
    findings.sort_by_key(|finding| finding.kind);

    FederationReview {
        record: subject.record.to_owned(),
        file: subject.file.display().to_string(),
        partner: federation.partner.clone(),
        protocol: federation.protocol,
        direction: federation.direction,
        client_id: role.as_ref().and_then(|r| r.client.clone()),
        role: role.as_ref().map(|r| r.name.clone()),
        group: lens.group,
        enforced: access.enforced(),
        approver: access.approver.clone(),
        review,
        users,
        findings,
    }
}

/// How one federation looks at users: its group, the roles that grant its role, its pilots.
struct Lens<'a> {
    group: String,
    reach: Option<&'a Reach>,
    pilots: &'a [String],
}

impl Lens<'_> {
    /// The user's access, if they are in the group, hold the role, or are a pilot user.
    fn user_access(&self, username: &str, user: &UserFacts, dir: &Directory) -> Option<UserAccess> {
        let groups: Vec<String> = (user.groups.iter())
            .filter(|path| is_within(path, &self.group))
            .cloned()
            .collect();
        let grants = self.reach.map(|r| r.grants(user, dir)).unwrap_or_default();
        // Keycloak stores usernames in lower case; records may not.
        let pilot =
            self.reach.is_some() && self.pilots.iter().any(|p| p.eq_ignore_ascii_case(username));
        if groups.is_empty() && grants.is_empty() && !pilot {
            return None;
        }
        let outside_group = grants.iter().any(|grant| !self.approved(grant, pilot));
        Some(UserAccess {
            username: username.to_owned(),
            first_name: user.first_name.clone(),
            last_name: user.last_name.clone(),
            email: user.email.clone(),
            enabled: user.enabled,
            created: user.created,
            service_account_of: user.service_account_of.clone(),
            pilot,
            groups,
            holds_role: self.reach.map(|_| !grants.is_empty()),
            grants,
            outside_group,
        })
    }

    /// Through the access group, or a pilot user's own direct grant of the role.
    fn approved(&self, grant: &Grant, pilot: bool) -> bool {
        match &grant.source {
            GrantSource::Group { member_of, .. } => is_within(member_of, &self.group),
            GrantSource::Direct => pilot && grant.via.is_empty(),
        }
    }

    fn user_findings(&self, user: &UserAccess) -> Vec<Finding> {
        let name = user.username.as_str();
        let mut findings = Vec::new();
        if user.outside_group {
            let routes: Vec<String> = (user.grants.iter())
                .filter(|grant| !self.approved(grant, user.pilot))
                .map(|grant| user.grant_label(grant))
                .collect();
            let also = if user.groups.is_empty() {
                ""
            } else {
                "; removing them from the group alone will not revoke access"
            };
            findings.push(user_finding(
                FindingKind::OutsideAccess,
                name,
                format!(
                    "{name} holds the role outside {}: {}{also}",
                    self.group,
                    routes.join("; ")
                ),
            ));
        }
        if !user.enabled {
            let still = if user.groups.is_empty() {
                "holds the role".to_owned()
            } else {
                format!("in {}", self.group)
            };
            findings.push(user_finding(
                FindingKind::Disabled,
                name,
                format!("{name} is disabled but still {still}"),
            ));
        }
        if let Some(client) = &user.service_account_of {
            findings.push(user_finding(
                FindingKind::ServiceAccount,
                name,
                format!("{name} is the service account of client {client}, not a person"),
            ));
        }
        if user.pilot {
            let message = if user.holds_role == Some(true) {
                format!(
                    "{name} is a pilot user and holds the role; remove them from pilot_users when the pilot ends"
                )
            } else {
                format!("{name} is a pilot user but does not hold the role")
            };
            findings.push(user_finding(FindingKind::Pilot, name, message));
        }
        findings
    }
}

fn federation_finding(kind: FindingKind, message: String) -> Finding {
    Finding {
        kind,
        user: None,
        message,
    }
}

fn user_finding(kind: FindingKind, user: &str, message: String) -> Finding {
    Finding {
        kind,
        user: Some(user.to_owned()),
        message,
    }
}

fn overdue(review: &Schedule, today: Date) -> Option<Finding> {
    if !review.overdue {
        return None;
    }
    let message = match review.next_due {
        None => "never reviewed: the first review is due now".to_owned(),
        Some(due) => format!(
            "the review was due on {due}, {} days before {}",
            (today - due.0).whole_days(),
            crate::record::IsoDate(today)
        ),
    };
    Some(federation_finding(FindingKind::Overdue, message))
}

/// The client or role is missing; the group is missing or does not grant the role.
fn not_applied(
    subject: &Subject<'_>,
    role: Option<&RoleRef>,
    lens: &Lens<'_>,
    directory: &Directory,
) -> Vec<Finding> {
    let group = &lens.group;
    let role_problem = match role {
        None if subject.federation.direction == Direction::Outbound => {
            Some("the record names no client ID: role holders cannot be determined".to_owned())
        }
        None => None,
        Some(role) => match role.client.as_deref() {
            Some(client) if !directory.clients.contains(client) => {
                Some(format!("client {client} does not exist in the realm"))
            }
            _ if !directory.roles.contains_key(role) => Some(format!("role {role} does not exist")),
            _ => None,
        },
    };
    let group_problem = if !directory.groups.contains_key(group) {
        Some(format!("access group {group} does not exist"))
    } else if role_problem.is_none()
        && let Some(reach) = lens.reach
        && !reach.granted_to_group(directory, group)
    {
        Some(format!(
            "access group {group} does not grant the role: its members cannot sign in"
        ))
    } else {
        None
    };
    [role_problem, group_problem]
        .into_iter()
        .flatten()
        .map(|problem| {
            federation_finding(
                FindingKind::NotApplied,
                format!("{problem} (records not applied?)"),
            )
        })
        .collect()
}

fn missing_pilots<'a>(
    pilots: &'a [String],
    directory: &'a Directory,
) -> impl Iterator<Item = Finding> + 'a {
    pilots
        .iter()
        .filter(|p| !directory.users.keys().any(|u| u.eq_ignore_ascii_case(p)))
        .map(|p| {
            user_finding(
                FindingKind::Pilot,
                p,
                format!("pilot user {p} does not exist in the realm"),
            )
        })
}
