//! `fedctl certs`: the certificate-expiry check, run from cron, CI or a Kubernetes CronJob.
//!
//! Turns the arguments into [`crate::certs::check::CheckOptions`], runs the check, prints the
//! report and writes the Prometheus textfile. Exit codes follow the monitoring-plugin
//! convention: 0 OK, 1 WARNING, 2 CRITICAL (expired included), 3 UNKNOWN; invalid arguments
//! and records that do not load also exit 3 (see [`crate::error::Error::exit_code`]).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use time::{Duration, OffsetDateTime};

use super::Exit;
use super::args::{DEFAULT_RECORDS, RecordArgs, TargetArgs};
use crate::certs::check::{self, CertsError, CheckOptions};
use crate::certs::render;
use crate::certs::thresholds;
use crate::error::Error;
use crate::fsutil;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub records: RecordArgs,

    #[command(flatten)]
    pub target: TargetArgs,

    /// WARNING when a certificate expires within this time (s, m, h, d or w: 30d, 12h, 2w).
    #[arg(long, value_name = "DURATION", default_value = "30d", value_parser = thresholds::parse_duration)]
    pub warn: Duration,

    /// CRITICAL when a certificate expires within this time (at most --warn).
    #[arg(long, value_name = "DURATION", default_value = "7d", value_parser = thresholds::parse_duration)]
    pub critical: Duration,

    /// Evaluate as of this date (midnight UTC) or RFC 3339 instant instead of now.
    #[arg(long, value_name = "DATE|RFC3339", value_parser = thresholds::parse_instant)]
    pub as_of: Option<OffsetDateTime>,

    /// SAML metadata (an entity or an aggregate; a file, or an https URL to fetch) whose
    /// every certificate is checked. Repeatable.
    #[arg(long, value_name = "FILE|URL")]
    pub metadata: Vec<String>,

    /// Report format on stdout.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    pub output: Output,

    /// Also write the Prometheus metrics to this file, atomically (node_exporter textfile
    /// collector: a `*.prom` file in its --collector.textfile.directory).
    #[arg(long, value_name = "PATH")]
    pub prometheus_file: Option<PathBuf>,

    /// Text report: every column (partner, SHA-256) in full, however wide. By default the
    /// table fits 120 columns; `--output json` has every detail.
    #[arg(long)]
    pub wide: bool,
}

fn layout(wide: bool) -> render::text::Layout {
    if wide {
        render::text::Layout::Wide
    } else {
        render::text::Layout::Narrow
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    Text,
    Json,
    Prometheus,
}

pub fn run(args: &Args) -> Result<Exit, Error> {
    let options = CheckOptions {
        load: args.records.load_options(),
        // `federations` may be missing when a target or metadata gives the check work.
        records_defaulted: args.records.paths == [PathBuf::from(DEFAULT_RECORDS)],
        target: args.target.choice(),
        metadata: args.metadata.clone(),
        fetch: args.target.tls.fetch_options(),
        thresholds: thresholds::thresholds(args.warn, args.critical).map_err(CertsError::from)?,
        as_of: args.as_of.unwrap_or_else(OffsetDateTime::now_utc),
    };
    let report = check::check(&options)?;
    let stdout = match args.output {
        Output::Text => render::text::render(&report, use_color(), layout(args.wide)),
        Output::Json => render::json::render(&report),
        Output::Prometheus => render::prometheus::render(&report),
    };
    std::io::stdout()
        .write_all(stdout.as_bytes())
        .map_err(CertsError::Stdout)?;
    if let Some(path) = &args.prometheus_file {
        let metrics = render::prometheus::render(&report);
        fsutil::write_atomic(path, metrics.as_bytes(), fsutil::Mode::KeepExisting)
            .map_err(CertsError::from)?;
    }
    Ok(Exit(report.status().exit_code()))
}

/// Colours only for a terminal, and never when `NO_COLOR` is set to something.
fn use_color() -> bool {
    crate::printable::colour_allowed(std::io::stdout().is_terminal())
}
