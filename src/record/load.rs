//! Loading records (interim: minimal loader until the full validator lands).

use std::path::{Path, PathBuf};

use crate::commands::args::RecordArgs;
use crate::profile::AttributeProfile;
use crate::record::RecordFile;

#[derive(Debug, Clone)]
pub struct LoadedRecord {
    pub id: String,
    pub path: PathBuf,
    pub record: RecordFile,
}

impl LoadedRecord {
    pub fn realm(&self) -> Option<&str> {
        let id = &self.record.federation.technical.your_entity_id;
        let (_, realm) = id.trim_end_matches('/').rsplit_once("/realms/")?;
        (!realm.is_empty() && !realm.contains('/')).then_some(realm)
    }
}

pub struct RecordSet {
    pub records: Vec<LoadedRecord>,
    pub profile: AttributeProfile,
}

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{0}")]
pub struct RecordErrors(pub String);

pub fn load(args: &RecordArgs) -> Result<RecordSet, RecordErrors> {
    let mut files = Vec::new();
    for path in &args.paths {
        collect(path, &mut files)?;
    }
    files.sort();
    let records = files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| RecordErrors(format!("{}: {e}", path.display())))?;
            let record: RecordFile = serde_saphyr::from_str(&text)
                .map_err(|e| RecordErrors(format!("{}: {e}", path.display())))?;
            let id = path
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            Ok(LoadedRecord { id, path, record })
        })
        .collect::<Result<_, RecordErrors>>()?;
    let profile: AttributeProfile =
        serde_saphyr::from_str(include_str!("../../templates/attributes.yaml"))
            .map_err(|e| RecordErrors(e.to_string()))?;
    Ok(RecordSet { records, profile })
}

fn collect(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), RecordErrors> {
    if path.is_dir() {
        let entries = std::fs::read_dir(path)
            .map_err(|e| RecordErrors(format!("{}: {e}", path.display())))?;
        for entry in entries.flatten() {
            collect(&entry.path(), out)?;
        }
    } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
        out.push(path.to_owned());
    } else if !path.exists() {
        return Err(RecordErrors(format!(
            "{}: no such file or directory",
            path.display()
        )));
    }
    Ok(())
}
