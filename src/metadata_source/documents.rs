//! The metadata documents of one run. Each file or URL is read once and parsed once, however
//! many records point into it: an aggregate such as a national federation's serves many
//! partners. URLs are fetched concurrently.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures_util::StreamExt;
use url::Url;

use super::fetch::{FetchError, FetchOptions, Fetcher};
use crate::record::written_as_url;
use crate::saml::{self, Metadata, MetadataError};
use crate::url_rule;

/// Why a metadata location written as a URL is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocationError {
    #[error("is not a valid URL: {0}")]
    Url(url::ParseError),
    #[error(
        "carries a user name or password; credentials never belong in a URL (they would be \
         printed in reports and stored by monitoring)"
    )]
    Credentials,
}

/// Where a metadata document is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Location {
    File(PathBuf),
    Url(Url),
}

impl Location {
    /// A record's `partner_metadata`: a URL when written as one, else a path relative to the
    /// record file.
    pub fn of_record(record_path: &Path, text: &str) -> Result<Location, LocationError> {
        Location::parse(text, |path| beside(record_path, path))
    }

    /// A location given on the command line: a URL, or a path relative to the working
    /// directory.
    pub fn of_argument(text: &str) -> Result<Location, LocationError> {
        Location::parse(text, |path| PathBuf::from(path))
    }

    fn parse(text: &str, path: impl FnOnce(&str) -> PathBuf) -> Result<Location, LocationError> {
        if written_as_url(text) {
            // Before parsing: a parse error would otherwise quote the password.
            if url_rule::has_credentials(text) {
                return Err(LocationError::Credentials);
            }
            Url::parse(text)
                .map(Location::Url)
                .map_err(LocationError::Url)
        } else {
            Ok(Location::File(path(text)))
        }
    }
}

/// Paths in a record are relative to the record file.
pub fn beside(record_path: &Path, relative: &str) -> PathBuf {
    record_path
        .parent()
        .unwrap_or(Path::new("."))
        .join(relative)
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::File(path) => write!(f, "{}", path.display()),
            Location::Url(url) => f.write_str(&url_rule::redact_credentials(url.as_str())),
        }
    }
}

/// A document read and parsed.
#[derive(Debug)]
pub struct Document {
    /// The exact bytes parsed: a signature is verified over these, not over a second read.
    pub bytes: Vec<u8>,
    pub metadata: Metadata,
}

/// Why a document could not be had.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("cannot be read: {0}")]
    Read(std::io::Error),
    #[error("cannot be fetched: {0}")]
    Fetch(FetchError),
    #[error(transparent)]
    Metadata(MetadataError),
}

/// Every document of the run, by location, in the order first asked for.
#[derive(Debug, Default)]
pub struct Documents {
    documents: HashMap<Location, Result<Document, Arc<SourceError>>>,
    order: Vec<Location>,
}

/// URLs fetched at the same time.
const CONCURRENT_FETCHES: usize = 4;

impl Documents {
    /// Reads the files and fetches the URLs among `locations`.
    pub async fn load(
        locations: impl IntoIterator<Item = Location>,
        options: &FetchOptions,
    ) -> Documents {
        let mut order: Vec<Location> = Vec::new();
        for location in locations {
            if !order.contains(&location) {
                order.push(location);
            }
        }
        let urls: Vec<&Url> = order
            .iter()
            .filter_map(|location| match location {
                Location::Url(url) => Some(url),
                Location::File(_) => None,
            })
            .collect();
        let mut documents: HashMap<Location, Result<Document, Arc<SourceError>>> =
            fetch_all(&urls, options).await;
        for location in &order {
            if let Location::File(path) = location {
                let read = crate::input::read(path).map_err(SourceError::Read);
                documents.insert(location.clone(), parse(read));
            }
        }
        Documents { documents, order }
    }

    /// The document at `location`, which must have been among those loaded.
    pub fn get(&self, location: &Location) -> Result<&Document, Arc<SourceError>> {
        match self.documents.get(location) {
            Some(Ok(document)) => Ok(document),
            Some(Err(error)) => Err(Arc::clone(error)),
            None => unreachable!("metadata at {location} was not loaded"),
        }
    }

    /// Each location with how reading it went, in the order first asked for.
    pub fn statuses(&self) -> impl Iterator<Item = (&Location, Result<(), &SourceError>)> {
        self.order.iter().map(|location| {
            let status = match &self.documents[location] {
                Ok(_) => Ok(()),
                Err(error) => Err(error.as_ref()),
            };
            (location, status)
        })
    }
}

async fn fetch_all(
    urls: &[&Url],
    options: &FetchOptions,
) -> HashMap<Location, Result<Document, Arc<SourceError>>> {
    if urls.is_empty() {
        return HashMap::new();
    }
    let fetcher = Fetcher::new(options);
    futures_util::stream::iter(urls.iter().map(|url| {
        let fetcher = fetcher.as_ref();
        async move {
            let body = match fetcher {
                Ok(fetcher) => fetcher.get(url).await,
                Err(setup) => Err(FetchError::Setup(setup.clone())),
            };
            let document = parse(body.map_err(SourceError::Fetch));
            (Location::Url((*url).clone()), document)
        }
    }))
    .buffer_unordered(CONCURRENT_FETCHES)
    .collect()
    .await
}

fn parse(bytes: Result<Vec<u8>, SourceError>) -> Result<Document, Arc<SourceError>> {
    let bytes = bytes?;
    let metadata = saml::parse_metadata(&bytes).map_err(SourceError::Metadata)?;
    Ok(Document { bytes, metadata })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_location_is_a_url_only_when_written_as_one() {
        let record = Path::new("federations/partners/sp.yaml");
        assert_eq!(
            Location::of_record(record, "metadata/sp.xml").unwrap(),
            Location::File(PathBuf::from("federations/partners/metadata/sp.xml"))
        );
        assert_eq!(
            Location::of_record(record, "https://md.example.org/sp.xml").unwrap(),
            Location::Url(Url::parse("https://md.example.org/sp.xml").unwrap())
        );
        assert!(Location::of_record(record, "https://").is_err());
        for with_password in [
            "https://user:pass@md.example.org/sp.xml",
            "https://user:pass@md.example.org:99999/sp.xml",
        ] {
            assert_eq!(
                Location::of_argument(with_password),
                Err(LocationError::Credentials)
            );
        }
        assert_eq!(
            Location::of_argument("sp.xml").unwrap(),
            Location::File(PathBuf::from("sp.xml"))
        );
    }

    #[test]
    fn each_document_is_read_once_and_failures_are_kept_per_location() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("sp.xml");
        std::fs::write(
            &good,
            r#"<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://sp.example.org"/>"#,
        )
        .unwrap();
        let missing = Location::File(dir.path().join("missing.xml"));
        let good = Location::File(good);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let documents = runtime.block_on(Documents::load(
            [good.clone(), missing.clone(), good.clone()],
            &FetchOptions::default(),
        ));
        let statuses: Vec<bool> = documents.statuses().map(|(_, s)| s.is_ok()).collect();
        assert_eq!(statuses, [true, false]);
        assert_eq!(
            documents.get(&good).unwrap().metadata.entities[0].entity_id,
            "https://sp.example.org"
        );
        assert!(matches!(
            documents.get(&missing).unwrap_err().as_ref(),
            SourceError::Read(_)
        ));
    }
}
