//! Reading a secret fedctl.yaml points at (an environment variable or an owner-only file), at
//! the moment a target writes it: the value lives only in a [`Secret`] and in the request or
//! realm file it is written to.

use std::os::unix::fs::PermissionsExt;

use crate::keycloak::admin::secret::Secret;
use crate::state::SecretSource;
use crate::target::TargetError;

/// The secret's value; an error names the source, never a value.
pub fn read(source: &SecretSource) -> Result<Secret, TargetError> {
    let problem =
        |what: String| TargetError::Config(format!("client secret from {source}: {what}"));
    let value = match source {
        SecretSource::Env(name) => std::env::var(name).map_err(|_| problem("not set".into()))?,
        SecretSource::File(path) => {
            let metadata = std::fs::metadata(path).map_err(|e| problem(e.to_string()))?;
            // Group or others able to read it: a secret that has leaked already is refused.
            if metadata.permissions().mode() & 0o077 != 0 {
                return Err(problem(
                    "others may read it; restrict it to its owner (chmod 600)".into(),
                ));
            }
            std::fs::read_to_string(path).map_err(|e| problem(e.to_string()))?
        }
    };
    let value = value.trim_end_matches(['\r', '\n']);
    if value.is_empty() {
        return Err(problem("empty".into()));
    }
    Ok(Secret::new(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_others_may_read_is_refused_without_showing_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret");
        std::fs::write(&path, "s3cr3t-value\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let source = SecretSource::File(path.clone());
        let error = read(&source).unwrap_err().to_string();
        assert!(error.contains("chmod 600"), "{error}");
        assert!(!error.contains("s3cr3t"));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(read(&source).unwrap().expose(), "s3cr3t-value");
    }
}
