//! Reading X.509 certificates in the encodings federations use: base64 DER as found in
//! SAML metadata and Keycloak attributes (whitespace allowed), or PEM files.

use base64::Engine;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use x509_parser::prelude::{FromDer, X509Certificate};

/// The facts fedctl reports about a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    /// Subject distinguished name as text (`CN=…, O=…`).
    pub subject: String,
    /// The subject's common name, when it has one.
    pub common_name: Option<String>,
    pub issuer: String,
    pub serial_hex: String,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    /// Lower-case hex SHA-256 of the DER encoding, colon-free.
    pub sha256_fingerprint: String,
    /// The DER bytes, kept so callers can re-export the certificate.
    pub der: Vec<u8>,
}

impl CertInfo {
    /// SHA-256 fingerprint as colon-separated upper-case pairs (the form admins compare by eye).
    pub fn fingerprint_colons(&self) -> String {
        self.sha256_fingerprint
            .as_bytes()
            .chunks(2)
            .map(|pair| std::str::from_utf8(pair).unwrap_or("").to_ascii_uppercase())
            .collect::<Vec<_>>()
            .join(":")
    }

    /// The DER encoding as one line of base64, as Keycloak stores and metadata carries it.
    pub fn base64_der(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(&self.der)
    }
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum CertError {
    #[error("certificate text is not valid base64: {0}")]
    Base64(String),
    #[error("no PEM certificate block found")]
    NoPem,
    #[error("certificate is not a valid X.509 DER structure: {0}")]
    Der(String),
    #[error("certificate validity date is out of range")]
    Date,
}

/// Parses base64 DER, tolerating the line breaks and indentation metadata files put in it.
pub fn parse_base64(text: &str) -> Result<CertInfo, CertError> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .map_err(|e| CertError::Base64(e.to_string()))?;
    parse_der(&der)
}

/// Parses every `-----BEGIN CERTIFICATE-----` block of a PEM text.
pub fn parse_pem(text: &str) -> Result<Vec<CertInfo>, CertError> {
    let mut certs = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN CERTIFICATE-----") {
        let body_start = start + "-----BEGIN CERTIFICATE-----".len();
        let end = rest[body_start..]
            .find("-----END CERTIFICATE-----")
            .ok_or(CertError::NoPem)?;
        certs.push(parse_base64(&rest[body_start..body_start + end])?);
        rest = &rest[body_start + end..];
    }
    if certs.is_empty() {
        return Err(CertError::NoPem);
    }
    Ok(certs)
}

/// Parses one DER-encoded certificate.
pub fn parse_der(der: &[u8]) -> Result<CertInfo, CertError> {
    let (_, cert) = X509Certificate::from_der(der).map_err(|e| CertError::Der(e.to_string()))?;
    let validity = cert.validity();
    let not_before = OffsetDateTime::from_unix_timestamp(validity.not_before.timestamp())
        .map_err(|_| CertError::Date)?;
    let not_after = OffsetDateTime::from_unix_timestamp(validity.not_after.timestamp())
        .map_err(|_| CertError::Date)?;
    let common_name = cert
        .subject()
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .map(str::to_owned);
    Ok(CertInfo {
        subject: cert.subject().to_string(),
        common_name,
        issuer: cert.issuer().to_string(),
        serial_hex: cert.raw_serial_as_string(),
        not_before,
        not_after,
        sha256_fingerprint: hex(&Sha256::digest(der)),
        der: der.to_vec(),
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE_PEM: &str = "tests/fixtures/saml-metadata/certs/python3-saml_signed_metadata_settings1_signer_extracted.pem";

    #[test]
    fn reads_a_pem_file_and_reports_dates_and_fingerprint() {
        let text = std::fs::read_to_string(FIXTURE_PEM).expect("fixture");
        let certs = parse_pem(&text).expect("valid PEM");
        assert_eq!(certs.len(), 1);
        let cert = &certs[0];
        assert!(cert.not_after > cert.not_before);
        assert_eq!(cert.sha256_fingerprint.len(), 64);
        assert_eq!(cert.fingerprint_colons().len(), 64 + 31);
        // The base64 round trip gives the same certificate back.
        assert_eq!(parse_base64(&cert.base64_der()).unwrap(), *cert);
    }

    #[test]
    fn tolerates_whitespace_inside_base64() {
        let text = std::fs::read_to_string(FIXTURE_PEM).unwrap();
        let cert = &parse_pem(&text).unwrap()[0];
        let b64 = cert.base64_der();
        let wrapped: String = b64
            .as_bytes()
            .chunks(64)
            .map(|c| format!("\n      {}", std::str::from_utf8(c).unwrap()))
            .collect();
        assert_eq!(
            parse_base64(&wrapped).unwrap().sha256_fingerprint,
            cert.sha256_fingerprint
        );
    }

    #[test]
    fn rejects_garbage_with_a_typed_error() {
        assert!(matches!(
            parse_base64("not base64!"),
            Err(CertError::Base64(_))
        ));
        assert!(matches!(parse_base64("AAAA"), Err(CertError::Der(_))));
        assert_eq!(parse_pem("hello"), Err(CertError::NoPem));
    }
}
