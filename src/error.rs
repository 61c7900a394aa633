//! The library's top-level error: one variant per failing stage, each a typed error from its
//! module. `main` renders it once with miette; nothing below it prints errors.

use miette::Diagnostic;

#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum Error {
    #[error("{0}")]
    #[diagnostic(code(fedctl::usage))]
    Usage(String),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Records(#[from] crate::record::RecordErrors),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Target(#[from] crate::target::TargetError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Review(#[from] crate::review::ReviewError),
}
