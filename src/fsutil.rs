//! Writing files so that a crash, a full disk or a concurrent reader never sees half a file:
//! write a temporary file beside the target, flush it to disk, then rename it over the target.
//! The replaced file keeps its permissions, owner and group; a symlink is written through to
//! the file it points at (replacing the link itself would leave the real file stale).

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

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
    /// Keep the permissions of the file being replaced; a new file gets the umask default.
    KeepExisting,
    /// Keep the permissions of the file being replaced; a new file is owner read/write only
    /// (it carries secrets, e.g. a realm export with its private keys).
    KeepExistingElsePrivate,
    /// Owner read/write only, always: for files that carry secrets.
    PrivateOwnerOnly,
}

/// Symlinks are followed this deep at most (as the kernel's ELOOP limit).
const MAX_SYMLINKS: usize = 40;

/// The file `path` names after following symlinks; a dangling link resolves to the path it
/// points at (writing creates it there).
pub fn resolve_symlinks(path: &Path) -> io::Result<PathBuf> {
    let mut current = path.to_owned();
    for _ in 0..MAX_SYMLINKS {
        match fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let link = fs::read_link(&current)?;
                current = match current.parent() {
                    Some(parent) => parent.join(link),
                    None => link,
                };
            }
            _ => return Ok(current),
        }
    }
    Err(io::Error::other(format!(
        "more than {MAX_SYMLINKS} symbolic links to follow"
    )))
}

fn directory_of(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Temporary files for `path` are named `.fedctl-<file name>.<random>.tmp`, so that the
/// leftovers of a killed write can be told apart from another file's.
fn temp_prefix(path: &Path) -> String {
    format!(".fedctl-{}.", file_name(path))
}

/// Atomically replaces `path` (or the file a symlink at `path` points at) with `contents`.
pub fn write_atomic(path: &Path, contents: &[u8], mode: Mode) -> Result<(), WriteError> {
    stage(path, contents, mode)?.commit()
}

/// A file's new content, written and flushed beside it but not yet in place. Dropping it
/// removes the temporary file and leaves the old content.
pub struct Staged {
    path: PathBuf,
    target: PathBuf,
    temp: tempfile::NamedTempFile,
}

/// Writes `contents` to a temporary file beside `path`'s (symlink-resolved) target, with the
/// permissions, owner and group the result must have.
pub fn stage(path: &Path, contents: &[u8], mode: Mode) -> Result<Staged, WriteError> {
    let wrap = |source| WriteError {
        path: path.to_owned(),
        source,
    };
    let target = resolve_symlinks(path).map_err(wrap)?;
    let existing = fs::metadata(&target).ok();
    let prefix = temp_prefix(&target);
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    #[cfg(unix)]
    builder.permissions(creation_permissions(mode));
    let mut temp = builder.tempfile_in(directory_of(&target)).map_err(wrap)?;
    temp.write_all(contents).map_err(wrap)?;
    temp.as_file().sync_all().map_err(wrap)?;
    if let Some(existing) = &existing {
        keep_ownership(temp.as_file(), existing, mode).map_err(wrap)?;
    }
    Ok(Staged {
        path: path.to_owned(),
        target,
        temp,
    })
}

impl Staged {
    /// Renames the new content over the target.
    pub fn commit(self) -> Result<(), WriteError> {
        let path = self.path;
        self.temp.persist(&self.target).map_err(|e| WriteError {
            path,
            source: e.error,
        })?;
        Ok(())
    }
}

/// A set of files written all or nothing, as far as a filesystem allows.
#[derive(Debug, thiserror::Error)]
pub enum SetWriteError {
    /// Writing a new content failed: no file of the set was changed.
    #[error("{source}; none of the {count} files was changed")]
    Nothing {
        count: usize,
        #[source]
        source: WriteError,
    },
    /// Moving the new contents into place stopped part way (every content was written, so
    /// this is rare: a rename refused).
    #[error(
        "{source}; {} now hold(s) the new content, {} still hold(s) the old content",
        list(replaced),
        list(stale)
    )]
    Partly {
        replaced: Vec<PathBuf>,
        stale: Vec<PathBuf>,
        #[source]
        source: WriteError,
    },
}

fn list(paths: &[PathBuf]) -> String {
    if paths.is_empty() {
        return "no file".into();
    }
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Writes every file's new content beside it first (a full disk fails here, before anything
/// changed), then moves them into place.
pub fn write_set(files: &[(PathBuf, &[u8], Mode)]) -> Result<(), SetWriteError> {
    let staged = files
        .iter()
        .map(|(path, contents, mode)| stage(path, contents, *mode))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| SetWriteError::Nothing {
            count: files.len(),
            source,
        })?;
    let mut replaced = Vec::new();
    let mut pending = staged.into_iter();
    while let Some(file) = pending.next() {
        let path = file.path.clone();
        match file.commit() {
            Ok(()) => replaced.push(path),
            Err(source) => {
                let mut stale = vec![path];
                stale.extend(pending.map(|f| f.path.clone()));
                return Err(SetWriteError::Partly {
                    replaced,
                    stale,
                    source,
                });
            }
        }
    }
    Ok(())
}

/// The mode a new file is created with; the kernel applies the umask to it.
#[cfg(unix)]
fn creation_permissions(mode: Mode) -> fs::Permissions {
    use std::os::unix::fs::PermissionsExt;
    fs::Permissions::from_mode(match mode {
        Mode::KeepExisting => 0o666,
        Mode::KeepExistingElsePrivate | Mode::PrivateOwnerOnly => 0o600,
    })
}

/// Gives the new file the replaced file's owner, group and permissions. Failing to keep the
/// owner is an error: the file would silently change hands.
#[cfg(unix)]
fn keep_ownership(temp: &fs::File, existing: &fs::Metadata, mode: Mode) -> io::Result<()> {
    use std::os::unix::fs::{MetadataExt, fchown};
    let current = temp.metadata()?;
    if (current.uid(), current.gid()) != (existing.uid(), existing.gid()) {
        fchown(temp, Some(existing.uid()), Some(existing.gid())).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!(
                    "cannot keep its owner and group {}:{} ({e}); run as its owner",
                    existing.uid(),
                    existing.gid()
                ),
            )
        })?;
    }
    if mode != Mode::PrivateOwnerOnly {
        temp.set_permissions(existing.permissions())?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn keep_ownership(temp: &fs::File, existing: &fs::Metadata, mode: Mode) -> io::Result<()> {
    if mode != Mode::PrivateOwnerOnly {
        temp.set_permissions(existing.permissions())?;
    }
    Ok(())
}

/// Removes the temporary files a killed write of `path` left beside it. Call it only while
/// holding `path`'s [`FileLock`]: otherwise the temporary file of a write in progress could go.
pub fn remove_stale_temps(path: &Path) -> io::Result<Vec<PathBuf>> {
    let prefix = temp_prefix(path);
    let mut removed = Vec::new();
    for entry in fs::read_dir(directory_of(path))? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(&prefix) && name.ends_with(".tmp") && entry.file_type()?.is_file() {
            fs::remove_file(entry.path())?;
            removed.push(entry.path());
        }
    }
    Ok(removed)
}

/// An exclusive lock on a file, held until dropped. The lock is taken on a sibling file
/// (`.<name>.lock`), not on the file itself: an atomic write replaces the file's inode, and
/// a lock on the old inode would not exclude a process that opens the new one.
#[derive(Debug)]
pub struct FileLock {
    _file: fs::File,
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "another fedctl run is changing {} (lock file {}); waited {waited:?} for it. \
         Try again when it has finished, or wait longer with --lock-timeout",
        path.display(),
        lock.display()
    )]
    Busy {
        path: PathBuf,
        lock: PathBuf,
        waited: Duration,
    },
    #[error("cannot lock {} (lock file {}): {source}", path.display(), lock.display())]
    Io {
        path: PathBuf,
        lock: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// How often a waiting process retries the lock.
const LOCK_POLL: Duration = Duration::from_millis(50);

impl FileLock {
    /// The lock file guarding `path` (after following symlinks, so that every link to one
    /// file shares one lock).
    pub fn lock_path(path: &Path) -> io::Result<PathBuf> {
        let target = resolve_symlinks(path)?;
        Ok(directory_of(&target).join(format!(".{}.lock", file_name(&target))))
    }

    /// Takes the lock on `path`, waiting up to `timeout` for another holder to let go.
    pub fn acquire(path: &Path, timeout: Duration) -> Result<FileLock, LockError> {
        let lock = Self::lock_path(path).map_err(|source| LockError::Io {
            path: path.to_owned(),
            lock: path.to_owned(),
            source,
        })?;
        let io_error = |source| LockError::Io {
            path: path.to_owned(),
            lock: lock.clone(),
            source,
        };
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock)
            .map_err(io_error)?;
        let start = Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(FileLock { _file: file }),
                Err(fs::TryLockError::WouldBlock) if start.elapsed() < timeout => {
                    std::thread::sleep(LOCK_POLL.min(timeout.saturating_sub(start.elapsed())));
                }
                Err(fs::TryLockError::WouldBlock) => {
                    return Err(LockError::Busy {
                        path: path.to_owned(),
                        lock,
                        waited: timeout,
                    });
                }
                Err(fs::TryLockError::Error(source)) => return Err(io_error(source)),
            }
        }
    }
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

    #[cfg(unix)]
    #[test]
    fn a_symlink_is_written_through_to_its_target() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.json");
        fs::write(&real, "old").unwrap();
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink("real.json", &link).unwrap();
        write_atomic(&link, b"new", Mode::KeepExisting).unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read_to_string(&real).unwrap(), "new");
    }

    #[cfg(unix)]
    #[test]
    fn a_replaced_file_keeps_its_owner_and_group() {
        use std::os::unix::fs::{MetadataExt, PermissionsExt, chown};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("realm.json");
        fs::write(&path, "old").unwrap();
        // Only root may give a file away; elsewhere the own ids are all there is to keep.
        let (uid, gid) = match chown(&path, Some(65534), Some(65534)) {
            Ok(()) => (65534, 65534),
            Err(_) => {
                let meta = fs::metadata(&path).unwrap();
                (meta.uid(), meta.gid())
            }
        };
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&path, b"new", Mode::KeepExistingElsePrivate).unwrap();
        let meta = fs::metadata(&path).unwrap();
        assert_eq!((meta.uid(), meta.gid()), (uid, gid));
        assert_eq!(meta.permissions().mode() & 0o777, 0o640);
    }

    #[cfg(unix)]
    #[test]
    fn a_new_private_file_is_owner_only_and_an_existing_one_keeps_its_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("realm.json");
        write_atomic(&path, b"keys", Mode::KeepExistingElsePrivate).unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&path, b"keys", Mode::KeepExistingElsePrivate).unwrap();
        assert_eq!(mode(&path), 0o640);
    }

    #[test]
    fn stale_temporary_files_of_one_file_are_removed_and_others_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("realm.json");
        let stale = dir.path().join(".fedctl-realm.json.a1B2c3.tmp");
        let other = dir.path().join(".fedctl-other.json.a1B2c3.tmp");
        fs::write(&stale, "half").unwrap();
        fs::write(&other, "half").unwrap();
        assert_eq!(remove_stale_temps(&path).unwrap(), vec![stale.clone()]);
        assert!(!stale.exists());
        assert!(other.exists());
    }

    #[test]
    fn a_held_lock_makes_the_next_taker_wait_then_fail_clearly() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("realm.json");
        let held = FileLock::acquire(&path, Duration::ZERO).unwrap();
        let err = FileLock::acquire(&path, Duration::from_millis(120)).unwrap_err();
        assert!(matches!(err, LockError::Busy { .. }), "{err}");
        assert!(err.to_string().contains("realm.json"), "{err}");
        drop(held);
        FileLock::acquire(&path, Duration::ZERO).unwrap();
    }

    #[test]
    fn a_set_with_one_unwritable_file_changes_none() {
        let dir = tempfile::tempdir().unwrap();
        let first = dir.path().join("a.xml");
        fs::write(&first, "old").unwrap();
        let unwritable = dir.path().join("missing-dir/b.json");
        let files = [
            (first.clone(), &b"new"[..], Mode::KeepExisting),
            (unwritable, &b"new"[..], Mode::KeepExisting),
        ];
        let err = write_set(&files).unwrap_err();
        assert!(
            matches!(err, SetWriteError::Nothing { count: 2, .. }),
            "{err}"
        );
        assert_eq!(fs::read_to_string(&first).unwrap(), "old");
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary file left"
        );
    }

    #[test]
    fn a_set_that_stops_while_moving_names_the_stale_files() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b, c) = (
            dir.path().join("a"),
            dir.path().join("b"),
            dir.path().join("c"),
        );
        // A directory in b's place: its content can be written beside it, not renamed over it.
        fs::create_dir(&b).unwrap();
        fs::write(b.join("keep"), "x").unwrap();
        let files = [
            (a.clone(), &b"1"[..], Mode::KeepExisting),
            (b.clone(), &b"2"[..], Mode::KeepExisting),
            (c.clone(), &b"3"[..], Mode::KeepExisting),
        ];
        match write_set(&files).unwrap_err() {
            SetWriteError::Partly {
                replaced, stale, ..
            } => {
                assert_eq!(replaced, vec![a]);
                assert_eq!(stale, vec![b, c.clone()]);
            }
            other => panic!("{other}"),
        }
        assert!(!c.exists());
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
