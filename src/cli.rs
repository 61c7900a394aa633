//! Command-line definitions (clap derive). Each subcommand's arguments live with its
//! command module in [`crate::commands`]; this file only assembles them.

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
}
