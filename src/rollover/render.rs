//! Rollover plans and status for people (text) and tools (JSON). Key providers are shown by
//! name, kid and expiry; no private key is ever part of what is rendered.

use std::fmt::Write;

use super::plan::{PlannedChange, RolloverPlan};
use super::status::{FederationState, KeySummary, RolloverStatus};
use crate::printable::printable;
use crate::target::key_providers::{KeyChange, KeySettings};

/// The plan, one line per key provider and one per changed setting, then a summary.
pub fn plan_text(plan: &RolloverPlan, header: &str) -> String {
    let mut out = format!("{header}\n\n");
    if let Some(note) = &plan.note {
        let _ = writeln!(out, "  {}", printable(note));
    }
    for change in &plan.changes {
        change_text(&mut out, change);
    }
    let count = |f: fn(&KeyChange) -> bool| plan.changes.iter().filter(|c| f(&c.change)).count();
    let (add, change, destroy) = (
        count(|c| matches!(c, KeyChange::Create { .. })),
        count(|c| matches!(c, KeyChange::Update { .. })),
        count(|c| matches!(c, KeyChange::Delete { .. })),
    );
    if plan.changes.is_empty() {
        out.push_str("\nNo changes.\n");
    } else {
        let _ = writeln!(
            out,
            "\nPlan: {add} key provider(s) to add, {change} to change, {destroy} to destroy."
        );
    }
    out
}

fn change_text(out: &mut String, planned: &PlannedChange) {
    let adopt = if planned.adopts {
        " [not created by fedctl: --adopt-keys]"
    } else {
        ""
    };
    let (sign, settings) = match &planned.change {
        KeyChange::Create { settings, .. } => ('+', settings_lines(None, settings)),
        KeyChange::Update { from, to, .. } => ('~', settings_lines(Some(from), to)),
        KeyChange::Delete { .. } => ('-', Vec::new()),
    };
    let _ = writeln!(
        out,
        "  {sign} key provider {}{adopt} - {}",
        printable(planned.change.name()),
        planned.reason
    );
    for line in settings {
        let _ = writeln!(out, "      {line}");
    }
}

fn settings_lines(from: Option<&KeySettings>, to: &KeySettings) -> Vec<String> {
    let fields = |s: &KeySettings| {
        [
            ("priority", s.priority.to_string()),
            ("enabled", s.enabled.to_string()),
            ("active", s.active.to_string()),
        ]
    };
    let after = fields(to);
    match from {
        None => after.iter().map(|(k, v)| format!("{k}: {v}")).collect(),
        Some(from) => fields(from)
            .iter()
            .zip(after.iter())
            .filter(|(old, new)| old.1 != new.1)
            .map(|((k, old), (_, new))| format!("{k}: {old} → {new}"))
            .collect(),
    }
}

/// Keys first, then every outbound federation.
pub fn status_text(status: &RolloverStatus) -> String {
    let mut out = format!("Signing keys of realm {}\n", printable(&status.realm));
    for (role, key) in [
        ("signer", &status.signer),
        ("staged", &status.staged),
        ("retiring", &status.retiring),
    ] {
        let _ = writeln!(
            out,
            "  {role:<9} {}",
            key.as_ref().map_or("-".into(), key_text)
        );
    }
    let new = status
        .new_expiry
        .map_or_else(|| "unknown".to_owned(), |d| d.to_string());
    let _ = writeln!(
        out,
        "\nOutbound federations (partners must trust the certificate expiring {new}):"
    );
    for f in &status.federations {
        let state = match f.state {
            FederationState::Confirmed => "confirmed",
            FederationState::Unconfirmed => "UNCONFIRMED",
            FederationState::Jwks => "jwks",
        };
        let stated = f
            .signing_cert_expiry
            .map_or_else(|| "no date".to_owned(), |d| format!("states {d}"));
        let contact = f
            .partner_technical
            .as_deref()
            .unwrap_or("no technical contact");
        let _ = writeln!(
            out,
            "  {state:<12} {} ({}, {}): {stated}; {}",
            printable(&f.record),
            printable(&f.partner),
            f.protocol,
            printable(contact)
        );
    }
    let unconfirmed = status.unconfirmed().count();
    let _ = writeln!(
        out,
        "\n{} of {} outbound federation(s) unconfirmed.",
        unconfirmed,
        status.federations.len()
    );
    out
}

fn key_text(key: &KeySummary) -> String {
    let expires = key
        .expires
        .map_or_else(|| "unknown".to_owned(), |d| d.to_string());
    let state = match (key.enabled, key.active) {
        (false, _) => "disabled",
        (true, true) => "active",
        (true, false) => "passive",
    };
    format!(
        "{} (kid {}, expires {expires}, {state}, priority {})",
        printable(&key.name),
        key.kid.as_deref().unwrap_or("-"),
        key.priority
    )
}

/// `fedctl-rollover-status/1`: `{format, realm, signer, staged, retiring, new_expiry,
/// unconfirmed, federations: [{record, partner, protocol, signing_cert_expiry, state,
/// partner_technical}]}`; keys are `{id, name, kid, expires, enabled, active, priority}` or
/// null.
pub fn status_json(status: &RolloverStatus) -> String {
    let mut value = serde_json::to_value(status).expect("status serialises");
    value["format"] = "fedctl-rollover-status/1".into();
    value["unconfirmed"] = status.unconfirmed().count().into();
    serde_json::to_string_pretty(&value).expect("JSON values serialise")
}
