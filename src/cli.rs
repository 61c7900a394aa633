//! Command-line definitions (clap derive). Each subcommand's arguments live with its
//! command module in [`crate::commands`]; this file only assembles them.

use std::ffi::OsString;

use clap::{ArgAction, Parser, Subcommand};

use crate::commands;

#[derive(Debug, Parser)]
#[command(
    name = "fedctl",
    version,
    about = "Keep SAML and OIDC federations with partner applications as code, reconciled against Keycloak",
    propagate_version = true
)]
pub struct Cli {
    /// More log output on stderr (-v info, -vv debug, -vvv trace). RUST_LOG overrides.
    #[arg(short, long, action = ArgAction::Count, global = true)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check federation records and report every problem with its file, line and field.
    Validate(commands::validate::Args),
    /// Show what apply would change in the identity provider.
    Plan(commands::plan::Args),
    /// Make the identity provider match the records.
    Apply(commands::apply::Args),
    /// Scaffold a new federation record from templates/.
    New(commands::new::Args),
    /// Access review: who can sign in to each partner application, as a sheet to sign off.
    Review(commands::review::Args),
    /// Check the expiry of every certificate the federations depend on (monitoring-plugin
    /// exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).
    ///
    /// The realm's keys and the partner certificates its SAML clients and identity providers
    /// hold come from a realm export (--realm-file) or a live Keycloak (--url, KEYCLOAK_URL or
    /// --target; read-only admin rights suffice: view-realm, view-clients,
    /// view-identity-providers). A source that cannot be read is reported (UNKNOWN) and the
    /// others are still checked. Example, credentials in the environment:
    ///
    ///   fedctl certs federations/ --url https://idp.example.org --output prometheus
    Certs(commands::certs::Args),
    /// Write what each partner needs from us: our IdP metadata (SAML; Keycloak's own
    /// descriptor from a live target, generated from the realm's keys for a realm file) and a
    /// handoff summary (Markdown and JSON) per outbound federation.
    ExportMetadata(commands::export_metadata::Args),
}

/// Exit status for a command line clap rejects. Help and version exit 0 and other commands
/// keep clap's usage status 2, but `fedctl certs` is a monitoring plugin, and a monitor must
/// read a broken invocation as UNKNOWN (3), not as CRITICAL (2).
pub fn usage_exit_code(args: &[OsString], error: &clap::Error) -> u8 {
    let subcommand = args
        .iter()
        .skip(1)
        .find(|a| !a.to_string_lossy().starts_with('-'));
    if error.use_stderr() && subcommand.is_some_and(|s| s == "certs") {
        3
    } else {
        u8::try_from(error.exit_code()).unwrap_or(1)
    }
}
