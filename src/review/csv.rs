//! CSV for spreadsheets and scripts, RFC 4180 (CRLF line ends, fields quoted when they
//! contain a comma, quote or line break, quotes doubled). Per federation, one row with the
//! user columns empty that carries the federation's own findings (overdue, not applied, a
//! missing pilot user…), so every federation appears, even one nobody can sign in to; then
//! one row per user.
//!
//! Cells that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, tab or
//! carriage return) get a leading `'`: user names come from Keycloak, where users can often
//! edit their own profile, and the file is opened by auditors in spreadsheet programs.

use super::report::{FederationReview, Report, UserAccess};

const COLUMNS: usize = 22;

const HEADER: [&str; COLUMNS] = [
    "record",
    "partner",
    "client_id",
    "role",
    "group",
    "approver",
    "review_frequency",
    "last_reviewed",
    "next_due",
    "overdue",
    "username",
    "first_name",
    "last_name",
    "email",
    "enabled",
    "created",
    "service_account_of",
    "pilot",
    "holds_role",
    "outside_group",
    "access",
    "findings",
];

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    push_row(&mut out, HEADER.iter().map(|h| (*h).to_owned()));
    for federation in &report.federations {
        push_row(&mut out, federation_row(federation).into_iter());
        for user in &federation.users {
            push_row(&mut out, user_row(federation, user).into_iter());
        }
    }
    out
}

/// The federation's columns, the user columns empty, and the findings about no listed user.
fn federation_row(f: &FederationReview) -> [String; COLUMNS] {
    let listed = |name: &str| f.users.iter().any(|u| u.username == name);
    let kinds = findings(f, |user| user.is_none_or(|name| !listed(name)));
    let mut row: [String; COLUMNS] = Default::default();
    row[..FEDERATION_COLUMNS].clone_from_slice(&federation_columns(f));
    row[COLUMNS - 1] = kinds;
    row
}

/// Columns before `username`.
const FEDERATION_COLUMNS: usize = 10;

fn federation_columns(f: &FederationReview) -> [String; FEDERATION_COLUMNS] {
    let text = |value: &Option<String>| value.clone().unwrap_or_default();
    let date = |value: Option<crate::record::IsoDate>| value.map(|d| d.to_string());
    [
        f.record.clone(),
        f.partner.clone(),
        text(&f.client_id),
        text(&f.role),
        f.group.clone(),
        f.approver.clone(),
        f.review.frequency_name().to_owned(),
        text(&date(f.review.last_reviewed)),
        text(&date(f.review.next_due)),
        f.review.overdue.to_string(),
    ]
}

/// The finding kinds (`;`-separated) whose user matches `about`.
fn findings(f: &FederationReview, about: impl Fn(Option<&str>) -> bool) -> String {
    let kinds: Vec<&str> = (f.findings.iter())
        .filter(|finding| about(finding.user.as_deref()))
        .map(|finding| finding.kind.name())
        .collect();
    kinds.join(";")
}

fn user_row(f: &FederationReview, user: &UserAccess) -> [String; COLUMNS] {
    let text = |value: &Option<String>| value.clone().unwrap_or_default();
    let created = user.created.and_then(|c| {
        c.format(&time::format_description::well_known::Rfc3339)
            .ok()
    });
    let kinds = findings(f, |name| name == Some(user.username.as_str()));
    let user_columns = [
        user.username.clone(),
        text(&user.first_name),
        text(&user.last_name),
        text(&user.email),
        user.enabled.to_string(),
        text(&created),
        text(&user.service_account_of),
        user.pilot.to_string(),
        user.holds_role.map(|h| h.to_string()).unwrap_or_default(),
        user.outside_group.to_string(),
        user.access_labels().join("; "),
        kinds,
    ];
    let mut row: [String; COLUMNS] = Default::default();
    row[..FEDERATION_COLUMNS].clone_from_slice(&federation_columns(f));
    row[FEDERATION_COLUMNS..].clone_from_slice(&user_columns);
    row
}

fn push_row(out: &mut String, cells: impl Iterator<Item = String>) {
    let cells: Vec<String> = cells.map(|cell| field(&cell)).collect();
    out.push_str(&cells.join(","));
    out.push_str("\r\n");
}

fn field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_per_rfc_4180() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
        assert_eq!(field(""), "");
    }

    #[test]
    fn neutralises_formulas() {
        assert_eq!(field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(field("@sum"), "'@sum");
        assert_eq!(field("-1"), "'-1");
    }
}
