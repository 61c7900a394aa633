//! Local input files (records, realm files, partner metadata) read with a size cap, like
//! URL fetches: a wrong path (`/dev/zero`, a disk image) must end in a clear error, not in
//! fedctl holding gigabytes. The cap is configurable for realms that really are that large.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// Environment variable with the cap in megabytes.
pub const ENV_MAX_INPUT_MB: &str = "FEDCTL_MAX_INPUT_MB";
/// The default cap: the same as for metadata fetched from a URL.
const DEFAULT_MAX_INPUT_MB: u64 = 512;
const MB: u64 = 1024 * 1024;

/// The cap in bytes: `FEDCTL_MAX_INPUT_MB`, or the default when unset or not a positive
/// number.
pub fn max_input_bytes() -> u64 {
    let configured = std::env::var(ENV_MAX_INPUT_MB).ok();
    let megabytes = configured.as_deref().map(str::trim).and_then(|text| {
        let parsed = text.parse::<u64>().ok().filter(|&mb| mb > 0);
        if parsed.is_none() {
            tracing::warn!("{ENV_MAX_INPUT_MB}={text} is not a positive number of megabytes; using {DEFAULT_MAX_INPUT_MB}");
        }
        parsed
    });
    megabytes.unwrap_or(DEFAULT_MAX_INPUT_MB).saturating_mul(MB)
}

/// The bytes of `path`, at most [`max_input_bytes`].
pub fn read(path: &Path) -> io::Result<Vec<u8>> {
    read_limited(path, max_input_bytes())
}

/// The text of `path` (UTF-8), at most [`max_input_bytes`].
pub fn read_to_string(path: &Path) -> io::Result<String> {
    String::from_utf8(read(path)?)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "not UTF-8 text"))
}

fn read_limited(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    let file = File::open(path)?;
    // Sized up front when the size is known, so the buffer does not grow past the file.
    let known = file.metadata().map_or(0, |m| m.len());
    let mut bytes = Vec::with_capacity(usize::try_from(known.min(limit)).unwrap_or(0));
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(io::Error::new(
            io::ErrorKind::FileTooLarge,
            format!(
                "larger than {} MB, the limit for input files (set {ENV_MAX_INPUT_MB} to raise it)",
                limit / MB
            ),
        ));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_past_the_limit_are_refused() {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), vec![b'x'; 2 * MB as usize]).unwrap();
        assert_eq!(
            read_limited(file.path(), 2 * MB).unwrap().len(),
            2 * MB as usize
        );
        let refused = read_limited(file.path(), MB).unwrap_err();
        assert_eq!(refused.kind(), io::ErrorKind::FileTooLarge);
        assert!(
            refused.to_string().contains("larger than 1 MB"),
            "{refused}"
        );
    }

    #[test]
    fn an_endless_file_is_refused() {
        if Path::new("/dev/zero").exists() {
            let refused = read_limited(Path::new("/dev/zero"), MB).unwrap_err();
            assert_eq!(refused.kind(), io::ErrorKind::FileTooLarge);
        }
    }
}
