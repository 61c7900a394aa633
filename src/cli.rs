//! The command line: the top-level clap definition, which assembles each subcommand's
//! arguments from its module in [`crate::commands`], and the dispatch to that module.

use std::ffi::OsString;

use clap::{ArgAction, CommandFactory, Parser, Subcommand};

use crate::commands::args::RecordArgs;
use crate::commands::{self, Exit};
use crate::error::Error;

#[derive(Debug, Parser)]
#[command(
    name = "fedctl",
    // The package version and the git commit it was built from (build.rs).
    version = env!("FEDCTL_VERSION"),
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
    #[command(after_help = examples::VALIDATE)]
    Validate(commands::validate::Args),
    /// Show what apply would change in the identity provider.
    #[command(after_help = examples::PLAN)]
    Plan(commands::plan::Args),
    /// Make the identity provider match the records.
    #[command(after_help = examples::APPLY)]
    Apply(commands::apply::Args),
    /// Scaffold a new federation record from templates/.
    #[command(after_help = examples::NEW)]
    New(commands::new::Args),
    /// Access review: who can sign in to each partner application, as a sheet to sign off.
    #[command(after_help = examples::REVIEW)]
    Review(commands::review::Args),
    /// Check the expiry of every certificate the federations depend on (monitoring-plugin
    /// exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).
    ///
    /// The realm's keys and the partner certificates its SAML clients and identity providers
    /// hold come from a realm export (--realm-file) or a live Keycloak (--url, KEYCLOAK_URL or
    /// --target; read-only admin rights suffice: view-realm, view-clients,
    /// view-identity-providers). A source that cannot be read is reported (UNKNOWN) and the
    /// others are still checked.
    #[command(after_help = examples::CERTS)]
    Certs(commands::certs::Args),
    /// Write what each partner needs from us: our IdP metadata (SAML; Keycloak's own
    /// descriptor from a live target, generated from the realm's keys for a realm file) and a
    /// handoff summary (Markdown and JSON) per outbound federation.
    #[command(after_help = examples::EXPORT_METADATA)]
    ExportMetadata(commands::export_metadata::Args),
    /// Write records for clients that already exist in Keycloak (made by hand or with
    /// kcadm.sh), to bring them under fedctl with `plan --adopt` / `apply --adopt`.
    #[command(after_help = examples::IMPORT)]
    Import(commands::import::Args),
    /// Prove each outbound federation by signing in through Keycloak's login pages: a
    /// member of the access group gets a correctly signed assertion (or ID token) with the
    /// promised attributes, a non-member is refused. Live targets only; exit 0 when every
    /// check passes, 1 otherwise.
    #[command(after_help = examples::VERIFY)]
    Verify(commands::verify::Args),
    /// Print shell completions for fedctl, to be sourced by the shell.
    #[command(after_help = examples::COMPLETIONS)]
    Completions(commands::completions::Args),
}

/// The examples that end each subcommand's `--help`. Each line after the heading is a command
/// line that parses (tested below), so the help cannot drift from the arguments.
mod examples {
    pub const VALIDATE: &str = "\
Examples:
  fedctl validate federations/
  fedctl validate --offline federations/partner-example.yaml
  fedctl validate --output json federations/";

    pub const PLAN: &str = "\
Examples:
  fedctl plan federations/ --realm-file realm.json
  fedctl plan federations/ --url https://idp.example.org --detailed-exitcode
  fedctl plan federations/ --target prod --prune --output json";

    pub const APPLY: &str = "\
Examples:
  fedctl apply federations/ --realm-file realm.json --yes
  fedctl apply federations/ --url https://idp.example.org
  fedctl apply federations/ --target prod --prune";

    pub const NEW: &str = "\
Examples:
  fedctl new saml --partner acme
  fedctl new oidc --partner acme --dir federations/
  fedctl new saml --partner acme --inbound";

    pub const REVIEW: &str = "\
Examples:
  fedctl review federations/ --realm-file realm.json --out review.md
  fedctl review federations/ --url https://idp.example.org --output csv --out review.csv
  fedctl review --mark-reviewed federations/partner-example.yaml";

    pub const CERTS: &str = "\
Examples:
  fedctl certs federations/ --realm-file realm.json
  fedctl certs federations/ --url https://idp.example.org --output prometheus
  fedctl certs --metadata partner-aggregate.xml --warn 60d --critical 14d";

    pub const EXPORT_METADATA: &str = "\
Examples:
  fedctl export-metadata federations/ --realm-file realm.json --out handoff/
  fedctl export-metadata federations/ --url https://idp.example.org --out handoff/
  fedctl export-metadata federations/partner.yaml --target prod --out handoff/ --show-secret";

    pub const IMPORT: &str = "\
Examples:
  fedctl import --realm-file realm.json --all-partners --out federations/
  fedctl import --url https://idp.example.org --realm your-realm --client https://app.partner.example.org
  fedctl import --target prod --client partner-portal --out federations/ --force";
    pub const VERIFY: &str = "\
Examples:
  fedctl verify federations/ --url https://idp.example.org --synthetic
  fedctl verify federations/ --target prod --member pilot.user --non-member outsider.user
  fedctl verify federations/ --target prod --synthetic --idp-metadata handoff/partner-example-idp-metadata.xml --output json";

    pub const COMPLETIONS: &str = "\
Examples:
  fedctl completions bash > /etc/bash_completion.d/fedctl
  fedctl completions zsh > ~/.zfunc/_fedctl
  fedctl completions fish > ~/.config/fish/completions/fedctl.fish";
}

/// Runs the command the command line names.
pub fn run(mut cli: Cli) -> Result<Exit, Error> {
    if let Some(records) = record_args(&mut cli.command) {
        records.fill_default_paths(&|name| std::env::var(name).ok())?;
    }
    match cli.command {
        Command::Validate(args) => commands::validate::run(&args),
        Command::Plan(args) => commands::plan::run(&args),
        Command::Apply(args) => commands::apply::run(&args),
        Command::New(args) => commands::new::run(&args),
        Command::Certs(args) => commands::certs::run(&args),
        Command::Review(args) => commands::review::run(&args),
        Command::ExportMetadata(args) => commands::export_metadata::run(&args),
        Command::Import(args) => commands::import::run(&args),
        Command::Completions(args) => Ok(commands::completions::run(&args, Cli::command())),
        Command::Verify(args) => commands::verify::run(&args),
    }
}

/// The records a command reads, for the commands that read records.
fn record_args(command: &mut Command) -> Option<&mut RecordArgs> {
    match command {
        Command::Validate(args) => Some(&mut args.records),
        Command::Plan(args) => Some(&mut args.records),
        Command::Apply(args) => Some(&mut args.records),
        Command::Certs(args) => Some(&mut args.records),
        Command::Review(args) => Some(&mut args.records),
        Command::ExportMetadata(args) => Some(&mut args.records),
        Command::Verify(args) => Some(&mut args.records),
        Command::New(_) | Command::Import(_) | Command::Completions(_) => None,
    }
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

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    /// The example lines of a subcommand's help: those after the `Examples:` heading.
    fn examples(subcommand: &clap::Command) -> Vec<String> {
        let help = subcommand.get_after_help().map(|h| h.to_string());
        let help = help.unwrap_or_default();
        let (_, lines) = help.split_once("Examples:\n").unwrap_or(("", ""));
        lines.lines().map(|l| l.trim().to_owned()).collect()
    }

    #[test]
    fn every_subcommand_help_ends_with_examples_that_parse() {
        let cli = Cli::command();
        for subcommand in cli.get_subcommands() {
            let name = subcommand.get_name();
            let examples = examples(subcommand);
            assert!((2..=3).contains(&examples.len()), "{name}: {examples:?}");
            for example in examples {
                // Shell redirections are the shell's, not fedctl's.
                let words: Vec<&str> = example
                    .split_whitespace()
                    .take_while(|w| *w != ">")
                    .collect();
                assert_eq!(words[..2], ["fedctl", name], "{example}");
                if let Err(error) = Cli::try_parse_from(&words) {
                    panic!("{example}: {error}");
                }
            }
        }
    }

    #[test]
    fn rendered_help_ends_with_the_examples() {
        let mut cli = Cli::command();
        let help = cli
            .find_subcommand_mut("plan")
            .unwrap()
            .render_long_help()
            .to_string();
        let last = help.trim_end().lines().last().unwrap();
        assert_eq!(
            last.trim(),
            "fedctl plan federations/ --target prod --prune --output json"
        );
    }
}
