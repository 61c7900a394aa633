//! `fedctl import TARGET [--out DIR] [--client CLIENT_ID…] [--all-partners]`: existing
//! clients become records ([`crate::import`]), written into DIR, and a summary says what to
//! fill in and what fedctl would manage differently.

use std::path::PathBuf;

use super::Exit;
use super::args::{DEFAULT_RECORDS, TargetArgs};
use crate::error::Error;
use crate::import::{self, ImportRequest, Imported, Selection};
use crate::printable::printable;
use crate::record::validate::PLACEHOLDER;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub target: TargetArgs,

    /// Directory the records are written to (created if missing).
    #[arg(long, value_name = "DIR", default_value = DEFAULT_RECORDS)]
    pub out: PathBuf,

    /// A client to import, by clientId (a SAML client's is the partner's entity ID);
    /// repeatable.
    #[arg(
        long = "client",
        value_name = "CLIENT_ID",
        required_unless_present = "all_partners"
    )]
    pub clients: Vec<String>,

    /// Import every SAML and OIDC client except Keycloak's built-in ones (account,
    /// admin-cli, broker, realm-management, security-admin-console, account-console).
    #[arg(long, conflicts_with = "clients")]
    pub all_partners: bool,

    /// Replace record files that already exist in DIR.
    #[arg(long)]
    pub force: bool,

    /// Attribute profile whose names released attributes are matched against (default: the
    /// built-in profile, templates/attributes.yaml).
    #[arg(long, value_name = "FILE")]
    pub attribute_profile: Option<PathBuf>,
}

pub fn run(args: &Args) -> Result<Exit, Error> {
    let selection = if args.all_partners {
        Selection::AllPartners
    } else {
        Selection::Clients(args.clients.clone())
    };
    let (imported, _) = import::run(&ImportRequest {
        target: args.target.choice(),
        selection,
        out: args.out.clone(),
        force: args.force,
        attribute_profile: args.attribute_profile.clone(),
    })?;
    print!("{}", summary(&imported, args));
    let named_but_left = !args.all_partners && !imported.not_imported.is_empty();
    Ok(if named_but_left {
        Exit(1)
    } else {
        Exit::SUCCESS
    })
}

fn summary(imported: &Imported, args: &Args) -> String {
    let mut out = format!(
        "Imported {} client(s) into {}:\n",
        imported.records.len(),
        args.out.display()
    );
    for record in &imported.records {
        out.push_str(&format!(
            "  {}  (client {})\n",
            args.out.join(record.file_name()).display(),
            printable(&record.client_id)
        ));
        if let Some(name) = record.metadata_file_name() {
            out.push_str(&format!(
                "    partner certificates: {}\n",
                args.out.join(name).display()
            ));
        }
        out.push_str(&format!(
            "    fill in: {}\n",
            record.placeholders.join(", ")
        ));
        if !record.deviations.is_empty() {
            out.push_str("    fedctl would manage differently (also noted in the record):\n");
            for deviation in &record.deviations {
                out.push_str(&format!("      {deviation}\n"));
            }
        }
    }
    if !imported.not_imported.is_empty() {
        out.push_str("Not imported:\n");
        for (client_id, why) in &imported.not_imported {
            out.push_str(&format!("  client {}: {why}\n", printable(client_id)));
        }
    }
    if !imported.builtin_left_out.is_empty() {
        out.push_str(&format!(
            "Left out Keycloak's built-in clients: {}\n",
            printable(&imported.builtin_left_out.join(", "))
        ));
    }
    out.push_str(
        "Identity providers (inbound federations) were skipped: fedctl does not reconcile them yet.\n",
    );
    if !imported.records.is_empty() {
        out.push_str(&format!(
            "Next: fill in every {PLACEHOLDER} (`fedctl validate {}` lists them), then \
             `fedctl plan --adopt {}` with the same target.\n",
            args.out.display(),
            args.out.display()
        ));
    }
    out
}
