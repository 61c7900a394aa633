//! What inbound records need from outside their files: the partner IdP's signing
//! certificates when no metadata is given (`partner_signing_cert`), and an OIDC partner's
//! discovery document, read once per run at plan time through the same HTTP rules as metadata.

use std::collections::BTreeMap;

use miette::Diagnostic;
use url::Url;

use super::documents::beside;
use super::fetch::{FetchError, FetchOptions, Fetcher};
use crate::desired::OidcDiscovery;
use crate::printable::printable;
use crate::record::{Direction, LoadedRecord, Protocol};
use crate::saml::{self, IdpSettings, SignatureError};

#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum InboundSourceError {
    #[error("record {record}: partner_signing_cert {file}: {source}")]
    #[diagnostic(
        code(fedctl::partner_signing_cert),
        help("give a PEM file holding the partner IdP's signing certificate(s)")
    )]
    SigningCert {
        record: String,
        file: String,
        source: SignatureError,
    },
    #[error("record {record}: partner_issuer {issuer}: discovery document {problem}")]
    #[diagnostic(
        code(fedctl::partner_discovery),
        help(
            "the partner's OpenID Provider must serve <issuer>/.well-known/openid-configuration \
             over https, naming the same issuer"
        )
    )]
    Discovery {
        record: String,
        issuer: String,
        problem: String,
    },
}

fn inbound(record: &LoadedRecord, protocol: Protocol) -> bool {
    let federation = &record.record.federation;
    federation.direction == Direction::Inbound && federation.protocol == protocol
}

/// Inbound SAML records without metadata: their partner IdP as the record's fields and
/// certificate file describe it.
pub fn signing_certificates(
    records: &[LoadedRecord],
) -> Result<BTreeMap<String, IdpSettings>, Box<InboundSourceError>> {
    let mut found = BTreeMap::new();
    for record in records.iter().filter(|r| inbound(r, Protocol::Saml)) {
        let technical = &record.record.federation.technical;
        let (None, Some(file)) = (&technical.partner_metadata, &technical.partner_signing_cert)
        else {
            continue;
        };
        let certificates = saml::read_signers(&beside(&record.path, file)).map_err(|source| {
            Box::new(InboundSourceError::SigningCert {
                record: record.id.clone(),
                file: printable(file).into_owned(),
                source,
            })
        })?;
        found.insert(
            record.id.clone(),
            IdpSettings {
                entity_id: technical.partner_entity_id.clone().unwrap_or_default(),
                sso_url: None,
                sso_post: true,
                slo_url: None,
                slo_post: true,
                signing_certificates: certificates.iter().map(|c| c.base64_der()).collect(),
                want_authn_requests_signed: false,
                name_id_format: None,
            },
        );
    }
    Ok(found)
}

/// Every inbound OIDC record's discovery document, one request per issuer.
pub async fn discover(
    records: &[LoadedRecord],
    options: &FetchOptions,
) -> Result<BTreeMap<String, OidcDiscovery>, Box<InboundSourceError>> {
    let mut by_issuer: BTreeMap<String, OidcDiscovery> = BTreeMap::new();
    let mut found = BTreeMap::new();
    for record in records.iter().filter(|r| inbound(r, Protocol::Oidc)) {
        let Some(issuer) = record.record.federation.technical.partner_issuer.as_deref() else {
            continue;
        };
        let failed = |problem: String| {
            Box::new(InboundSourceError::Discovery {
                record: record.id.clone(),
                issuer: printable(issuer).into_owned(),
                problem,
            })
        };
        if !by_issuer.contains_key(issuer) {
            let discovery = fetch_discovery(issuer, options).await.map_err(failed)?;
            by_issuer.insert(issuer.to_owned(), discovery);
        }
        found.insert(record.id.clone(), by_issuer[issuer].clone());
    }
    Ok(found)
}

async fn fetch_discovery(issuer: &str, options: &FetchOptions) -> Result<OidcDiscovery, String> {
    let url = Url::parse(&format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    ))
    .map_err(|e| format!("URL is not valid: {e}"))?;
    let fetcher = Fetcher::new(options).map_err(|e| e.to_string())?;
    let body = fetcher
        .get_as(&url, "application/json")
        .await
        .map_err(|e: FetchError| format!("cannot be fetched: {e}"))?;
    let discovery: OidcDiscovery =
        serde_json::from_slice(&body).map_err(|e| format!("is not usable: {e}"))?;
    // OpenID Connect Discovery §4.3: the issuer must be exactly the one asked for, or tokens
    // from another provider could be taken for the partner's.
    if discovery.issuer.trim_end_matches('/') != issuer.trim_end_matches('/') {
        return Err(format!(
            "names issuer {}, not the record's",
            printable(&discovery.issuer)
        ));
    }
    Ok(discovery)
}
