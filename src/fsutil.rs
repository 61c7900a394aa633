//! Writing files so that a crash, a full disk or a concurrent reader never sees half a file:
//! write a temporary file beside the target, flush it to disk, then rename it over the target.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
#[error("cannot write {}: {source}", path.display())]
pub struct WriteError {
    pub path: PathBuf,
    #[source]
    pub source: io::Error,
}

/// How the written file's permissions are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Keep the permissions of the file being replaced (new files get the umask default).
    KeepExisting,
    /// Owner read/write only: for files that carry secrets.
    PrivateOwnerOnly,
}

/// Atomically replaces `path` with `contents`.
pub fn write_atomic(path: &Path, contents: &[u8], mode: Mode) -> Result<(), WriteError> {
    let wrap = |source| WriteError {
        path: path.to_owned(),
        source,
    };
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut temp = tempfile::Builder::new()
        .prefix(".fedctl-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(wrap)?;
    temp.write_all(contents).map_err(wrap)?;
    temp.as_file().sync_all().map_err(wrap)?;
    set_permissions(temp.path(), path, mode).map_err(wrap)?;
    temp.persist(path).map_err(|e| wrap(e.error))?;
    Ok(())
}

#[cfg(unix)]
fn set_permissions(temp: &Path, target: &Path, mode: Mode) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let permissions = match (mode, fs::metadata(target)) {
        (Mode::PrivateOwnerOnly, _) => fs::Permissions::from_mode(0o600),
        (Mode::KeepExisting, Ok(existing)) => existing.permissions(),
        // tempfile creates 0600; a new ordinary file should get the usual 0644-minus-umask.
        (Mode::KeepExisting, Err(_)) => fs::Permissions::from_mode(0o644),
    };
    fs::set_permissions(temp, permissions)
}

#[cfg(not(unix))]
fn set_permissions(_temp: &Path, _target: &Path, _mode: Mode) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn replaces_content_and_keeps_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("realm.json");
        fs::write(&path, "old").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&path, b"new", Mode::KeepExisting).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o640
        );
        // No temporary file is left behind.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn private_files_are_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret.txt");
        write_atomic(&path, b"s3cr3t", Mode::PrivateOwnerOnly).unwrap();
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    #[test]
    fn a_missing_directory_is_an_error_naming_the_file() {
        let err = write_atomic(
            Path::new("/nonexistent-dir/x.json"),
            b"x",
            Mode::KeepExisting,
        )
        .unwrap_err();
        assert!(err.to_string().contains("/nonexistent-dir/x.json"));
    }
}
