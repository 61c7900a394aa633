//! The sign-off sheet: one section per federation with its facts, the users with a keep /
//! remove box each, the findings, and a signature block for the approver.

use std::fmt::Write;

use super::report::{FederationReview, Report, UserAccess};
use crate::printable::printable;
use crate::record::{Direction, IsoDate, Protocol};

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    header(&mut out, report);
    for federation in &report.federations {
        section(&mut out, federation);
    }
    out
}

fn header(out: &mut String, report: &Report) {
    let _ = writeln!(out, "# Access review — realm {}\n", code(&report.realm));
    let _ = writeln!(
        out,
        "As of {}, from {}. {} federation(s).\n",
        report.as_of,
        escape(&report.source),
        report.federations.len()
    );
    out.push_str(
        "Keycloak does not record when a user joined a group or was granted a role: \
         *Created* is the date the account was created.\n\n",
    );
    for caveat in &report.caveats {
        let _ = writeln!(out, "> **Caveat:** {}\n", escape(caveat));
    }
}

fn section(out: &mut String, federation: &FederationReview) {
    let _ = writeln!(out, "---\n\n## {}\n", escape(&federation.partner));
    facts_table(out, federation);
    users_table(out, federation);
    findings(out, federation);
    sign_off(out, federation);
}

fn facts_table(out: &mut String, f: &FederationReview) {
    let review = &f.review;
    let last = review
        .last_reviewed
        .map_or_else(|| "never".to_owned(), |d| d.to_string());
    let next = match (review.next_due, review.overdue) {
        (None, _) => "now — **OVERDUE** (never reviewed)".to_owned(),
        (Some(due), true) => format!("{due} — **OVERDUE**"),
        (Some(due), false) => due.to_string(),
    };
    let rows = [
        (
            "Record",
            format!("{} ({})", escape(&f.record), code(&f.file)),
        ),
        ("Application", application(f)),
        ("Access group", code(&f.group)),
        ("Approver", escape(&f.approver)),
        ("Review frequency", review.frequency_name().to_owned()),
        ("Last review", last),
        ("Next review due", next),
    ];
    out.push_str("| | |\n|---|---|\n");
    for (name, value) in rows {
        let _ = writeln!(out, "| {name} | {value} |");
    }
    out.push('\n');
}

fn application(f: &FederationReview) -> String {
    let protocol = match f.protocol {
        Protocol::Saml => "SAML",
        Protocol::Oidc => "OIDC",
    };
    match (f.direction, &f.client_id, &f.role) {
        (Direction::Outbound, Some(client), Some(role)) => {
            let enforced = if f.enforced { "" } else { " (not enforced)" };
            format!(
                "{protocol} client {}, role {}{enforced}",
                code(client),
                code(role)
            )
        }
        (Direction::Outbound, ..) => format!("{protocol} client (no client ID in the record)"),
        (Direction::Inbound, ..) => {
            format!(
                "the partner's {protocol} identity provider signs its users in to our applications"
            )
        }
    }
}

fn users_table(out: &mut String, f: &FederationReview) {
    let _ = writeln!(out, "### Users ({})\n", f.users.len());
    if f.users.is_empty() {
        out.push_str("Nobody is in the access group or holds the role.\n\n");
        return;
    }
    out.push_str(if f.role.is_some() {
        "Everyone in the access group or its sub-groups, or holding the role another way; \
         *Access* says how.\n\n"
    } else {
        "The members of the access group and its sub-groups.\n\n"
    });
    out.push_str("| Keep | Remove | Username | Name | E-mail | Access | Enabled | Created |\n");
    out.push_str("|:-:|:-:|---|---|---|---|:-:|---|\n");
    for user in &f.users {
        let _ = writeln!(
            out,
            "| ☐ | ☐ | {} | {} | {} | {} | {} | {} |",
            escape(&user.username),
            display_name(user),
            escape(user.email.as_deref().unwrap_or("")),
            escape(&user.access_labels().join("; ")),
            if user.enabled { "yes" } else { "**no**" },
            user.created
                .map(|c| IsoDate(c.date()).to_string())
                .unwrap_or_default(),
        );
    }
    out.push('\n');
}

fn display_name(user: &UserAccess) -> String {
    match &user.service_account_of {
        Some(client) => format!("*service account of {}*", escape(client)),
        None => escape(&user.name()),
    }
}

fn findings(out: &mut String, f: &FederationReview) {
    out.push_str("### Findings\n\n");
    if f.findings.is_empty() {
        out.push_str("None.\n\n");
        return;
    }
    for finding in &f.findings {
        let _ = writeln!(
            out,
            "- **{}**: {}",
            finding.kind.name(),
            escape(&finding.message)
        );
    }
    out.push('\n');
}

fn sign_off(out: &mut String, f: &FederationReview) {
    out.push_str("### Sign-off\n\n");
    out.push_str(
        "I have reviewed the users listed above. Users marked *Remove* are to lose access to \
         this application; users marked *Keep* continue to need it.\n\n",
    );
    let _ = writeln!(out, "Approver: {}\n", escape(&f.approver));
    out.push_str("Date: ______________________\n\n");
    out.push_str("Signature: ______________________\n\n");
}

/// Inline code for identifiers; backticks inside are replaced, as code spans cannot escape them.
fn code(text: &str) -> String {
    let text = printable(text);
    format!("`{}`", text.replace('`', "'").replace('|', "\\|"))
}

/// Text from Keycloak or a record, made inert: Markdown and HTML syntax characters are
/// escaped so a user named `*admin*` or `<img …>` shows as written, and `|` cannot break a
/// table; line breaks become spaces; other control characters (terminal escape sequences) and
/// bidi overrides become visible escapes, as the report is often read on a terminal.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push_str(&printable(c.encode_utf8(&mut [0; 4]))),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markdown_and_html() {
        assert_eq!(escape("*a*|<b>\nc_d"), "\\*a\\*\\|\\<b\\> c\\_d");
        assert_eq!(code("a`b|c"), "`a'b\\|c`");
    }

    #[test]
    fn escapes_terminal_sequences_and_bidi_overrides() {
        assert_eq!(
            escape("Eve\u{1b}[2J\u{202E}nimda"),
            "Eve\\u{1b}\\[2J\\u{202e}nimda"
        );
        assert_eq!(code("f\u{1b}.yaml"), "`f\\u{1b}.yaml`");
    }
}
