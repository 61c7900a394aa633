//! Access reviews (`fedctl review`): for each federation, who can sign in to the partner's
//! application and how, when the review is due, and what the approver must look at — as a
//! sign-off sheet (Markdown), CSV or JSON.
//!
//! Facts → evaluation → rendering, the first two pure:
//! - [`model`]: the facts ([`Directory`]) a source provides for a [`Scope`] — the seam between
//!   data sources and the review;
//! - [`collect`]: the realm-file source; [`live`]: the admin API source, which fetches only
//!   what [`narrow`] names;
//! - [`access`], [`schedule`], [`evaluate`]: who holds the role by which route, due dates,
//!   findings;
//! - [`report`]: the result (also the JSON output), rendered by [`markdown`] and [`csv`];
//! - [`mark`]: recording a completed review in a record file;
//! - [`narrow`]: what a live source must fetch to keep the [`Directory`] contract.

pub mod access;
pub mod collect;
pub mod csv;
pub mod evaluate;
pub mod live;
pub mod mark;
pub mod markdown;
pub mod model;
pub mod narrow;
pub mod report;
pub mod run;
pub mod schedule;

use std::path::PathBuf;

use miette::Diagnostic;

pub use evaluate::{Reviewer, Subject, scope};
pub use model::{Directory, GroupFacts, RoleRef, Scope, UserFacts};
pub use report::{FederationReview, Finding, FindingKind, Report, UserAccess};

/// Output formats of `fedctl review`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// The sign-off sheet.
    Markdown,
    /// One row per user and federation.
    Csv,
    /// The whole report (layout `fedctl-review/1`, see the README).
    Json,
}

pub fn render(report: &Report, format: Format) -> String {
    match format {
        Format::Markdown => markdown::render(report),
        Format::Csv => csv::render(report),
        Format::Json => {
            let mut json = serde_json::to_string_pretty(report).expect("reports serialise");
            json.push('\n');
            json
        }
    }
}

#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum ReviewError {
    #[error("cannot review {source_name}")]
    #[diagnostic(
        code(fedctl::review::source),
        help(
            "export the realm with its users: `kc.sh export --realm NAME --file FILE --users realm_file`"
        )
    )]
    Collect {
        source_name: String,
        #[source]
        source: collect::CollectError,
    },

    #[error("cannot record the review in {}", path.display())]
    #[diagnostic(code(fedctl::review::mark))]
    Mark {
        path: PathBuf,
        #[source]
        source: mark::MarkError,
    },

    #[error("cannot read {}", path.display())]
    #[diagnostic(code(fedctl::review::read))]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error(transparent)]
    #[diagnostic(code(fedctl::review::write))]
    Write(#[from] crate::fsutil::WriteError),

    #[error("--mark-reviewed takes one record file (*.yaml or *.yml), not {}", path.display())]
    #[diagnostic(code(fedctl::usage))]
    NotOneRecord { path: PathBuf },

    #[error(transparent)]
    #[diagnostic(transparent)]
    Records(#[from] crate::record::RecordErrors),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Target(#[from] crate::target::TargetError),
}
