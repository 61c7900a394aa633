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

    #[error(transparent)]
    #[diagnostic(transparent)]
    Target(#[from] crate::target::TargetError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Prepare(#[from] crate::pipeline::PrepareError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Certs(#[from] crate::certs::check::CertsError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    ExportMetadata(#[from] crate::export::ExportError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    PartnerMetadata(#[from] Box<crate::metadata_source::PartnerMetadataError>),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Review(#[from] crate::review::ReviewError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Scaffold(#[from] crate::scaffold::ScaffoldError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Import(#[from] crate::import::ImportError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    SavedPlan(#[from] crate::reconcile::saved::SavedPlanError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Verify(#[from] crate::verify::VerifyError),
}

impl Error {
    /// Process exit status for this error. `fedctl certs` is a monitoring plugin: any error
    /// that stops its check (bad arguments, records that do not load, an unwritable textfile)
    /// is UNKNOWN (3), because 1 and 2 would read as WARNING and CRITICAL.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Certs(_) => 3,
            _ => 1,
        }
    }
}
