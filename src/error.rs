//! The library's top-level error: one variant per failing stage, each a typed error from its
//! module. `main` renders it once with miette; nothing below it prints errors.

use miette::Diagnostic;

#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum Error {
    #[error("{0}")]
    #[diagnostic(code(fedctl::usage))]
    Usage(String),

    /// Federation records (or the attribute profile) with problems, each located.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Records(#[from] crate::record::RecordErrors),
}
