//! Why a verify run could not check at all (as opposed to a check that failed, which is a
//! FAIL line of the report).

use url::Url;

use crate::keycloak::admin::error::ApiError;
use crate::saml::DescriptorError;
use crate::target::TargetError;

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[diagnostic(code(fedctl::verify))]
pub enum VerifyError {
    #[error("the admin API: {0}")]
    Admin(#[from] ApiError),
    #[error(transparent)]
    Target(#[from] TargetError),
    #[error("cannot reach {url}: {reason}")]
    Transport { url: String, reason: String },
    #[error("{url}: {reason}")]
    Page { url: String, reason: String },
    #[error("our IdP metadata ({source_name}): {reason}")]
    IdpMetadata { source_name: String, reason: String },
    #[error("our IdP metadata ({source_name}) has no signing certificate")]
    NoSigningCertificate { source_name: String },
    #[error("test user {username}: {reason}")]
    User { username: String, reason: String },
    #[error("the password of {username} is not set: put it in the environment variable {variable}")]
    MissingPassword { username: String, variable: String },
    #[error("interrupted (Ctrl-C); synthetic test users, if any, were deleted")]
    Interrupted,
}

impl VerifyError {
    /// A transport failure, without the URL's query (it may carry a code or state).
    pub fn transport(url: &Url, error: &reqwest::Error) -> VerifyError {
        let mut shown = url.clone();
        shown.set_query(None);
        VerifyError::Transport {
            url: shown.to_string(),
            reason: error.to_string(),
        }
    }

    pub fn descriptor(source_name: &str, error: &DescriptorError) -> VerifyError {
        VerifyError::IdpMetadata {
            source_name: source_name.to_owned(),
            reason: error.to_string(),
        }
    }
}
