//! `fedctl export-metadata`: writes what each partner needs from us ([`crate::export`]).

use std::path::PathBuf;

use super::Exit;
use super::args::{RecordArgs, TargetArgs};
use crate::error::Error;
use crate::export::{self, ExportOptions};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub records: RecordArgs,

    #[command(flatten)]
    pub target: TargetArgs,

    /// Directory the files are written to (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// Also write each OIDC client secret to its own owner-only (0600) file. Secrets are
    /// never printed. Realm files mask secrets: read them from a live Keycloak.
    #[arg(long)]
    pub show_secret: bool,
}

pub fn run(args: &Args) -> Result<Exit, Error> {
    let exported = export::export(&ExportOptions {
        load: args.records.load_options(),
        target: args.target.choice(),
        out: args.out.clone(),
        show_secret: args.show_secret,
    })?;
    for warning in &exported.warnings {
        eprintln!("warning: {warning}");
    }
    println!(
        "Wrote {} files to {}:",
        exported.files.len(),
        args.out.display()
    );
    for file in &exported.files {
        println!("  {}", file.display());
    }
    Ok(Exit::SUCCESS)
}
