//! Writing imported records: every file of the import or none, and never over an existing
//! record unless asked (`--force`).

use std::path::{Path, PathBuf};

use super::Imported;
use crate::fsutil::{self, Mode, SetWriteError};

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum WriteError {
    #[error("{} already exist(s); nothing was written", list(paths))]
    #[diagnostic(
        code(fedctl::import::exists),
        help("import into another --out directory, or add --force to replace them")
    )]
    Exists { paths: Vec<PathBuf> },

    #[error("cannot create the directory {}: {source}", path.display())]
    #[diagnostic(code(fedctl::import::write))]
    Directory {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error(transparent)]
    #[diagnostic(code(fedctl::import::write))]
    Files(#[from] SetWriteError),
}

fn list(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The files of an import, by path.
pub fn files(imported: &Imported, out: &Path) -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    for record in &imported.records {
        files.push((out.join(record.file_name()), record.text.clone()));
        if let (Some(name), Some(xml)) = (record.metadata_file_name(), &record.metadata) {
            files.push((out.join(name), xml.clone()));
        }
    }
    files
}

/// Writes the records (and their metadata) into `out`, creating it if needed.
pub fn write(imported: &Imported, out: &Path, force: bool) -> Result<Vec<PathBuf>, WriteError> {
    let files = files(imported, out);
    let existing: Vec<PathBuf> = (files.iter())
        .map(|(path, _)| path.clone())
        .filter(|path| path.symlink_metadata().is_ok())
        .collect();
    if !existing.is_empty() && !force {
        return Err(WriteError::Exists { paths: existing });
    }
    std::fs::create_dir_all(out).map_err(|source| WriteError::Directory {
        path: out.to_owned(),
        source,
    })?;
    let set: Vec<(PathBuf, &[u8], Mode)> = (files.iter())
        .map(|(path, text)| (path.clone(), text.as_bytes(), Mode::KeepExisting))
        .collect();
    fsutil::write_set(&set)?;
    Ok(files.into_iter().map(|(path, _)| path).collect())
}
