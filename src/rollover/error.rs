//! Why a rollover step is refused. Every refusal happens before anything is changed.

use miette::Diagnostic;

#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum RolloverError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Records(#[from] crate::record::RecordErrors),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Target(#[from] crate::target::TargetError),

    #[error("realm `{realm}` has no active RS256 signing key: there is nothing to roll over")]
    #[diagnostic(
        code(fedctl::rollover::no_signer),
        help("Keycloak signs with the highest-priority enabled, active RS256 key provider")
    )]
    NoSigner { realm: String },

    #[error("no staged signing key to promote")]
    #[diagnostic(
        code(fedctl::rollover::nothing_staged),
        help("run `fedctl rollover stage` first, hand out the metadata, then promote")
    )]
    NothingStaged,

    #[error(
        "promote refused: {} outbound federation(s) not confirmed to trust the new certificate (expires {new_expiry}): {}",
        records.len(),
        records.join(", ")
    )]
    #[diagnostic(
        code(fedctl::rollover::unconfirmed),
        help(
            "send each partner the new metadata (`fedctl export-metadata`) and set the record's \
             signing_cert_expiry to {new_expiry} once they have it, or name them with \
             `--force NAME` to promote anyway (their sign-ins will fail)"
        )
    )]
    Unconfirmed {
        records: Vec<String>,
        new_expiry: String,
    },

    #[error("--force names {name}, which is not an outbound federation of these records")]
    #[diagnostic(code(fedctl::rollover::force))]
    UnknownForce { name: String },

    #[error(
        "retire refused: {} record(s) still state the old certificate's expiry {old_expiry}: {}",
        records.len(),
        records.join(", ")
    )]
    #[diagnostic(
        code(fedctl::rollover::still_trusted),
        help(
            "these partners still trust the old certificate: send them the new metadata and \
             update signing_cert_expiry in their records first"
        )
    )]
    StillTrusted {
        records: Vec<String>,
        old_expiry: String,
    },

    #[error(
        "retire refused: the signer is not a promoted rollover key, so there is no old key to retire"
    )]
    #[diagnostic(
        code(fedctl::rollover::not_promoted),
        help(
            "stage, hand out and promote first (`fedctl rollover status` shows where the rollover is)"
        )
    )]
    NotPromoted,

    #[error("{step} would change key provider `{name}`, which fedctl did not create")]
    #[diagnostic(
        code(fedctl::rollover::adopt_keys),
        help(
            "the plan above shows the change; add --adopt-keys to let fedctl change the old \
             signer's state"
        )
    )]
    AdoptKeys { step: &'static str, name: String },
}
