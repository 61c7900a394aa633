//! The keys Keycloak gives a new realm: an RS256 signing key and an RSA-OAEP encryption key,
//! each with a self-signed certificate (CN = realm name, valid ten years, as Keycloak's
//! `rsa-generated` and `rsa-enc-generated` providers make them), stored as key-provider
//! components the way a realm export stores them, so that `kc.sh import` keeps them.
//!
//! The private keys go into the realm document only; nothing here prints or logs them.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rsa::RsaPrivateKey;
use rsa::pkcs8::EncodePrivateKey;
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

/// Keycloak's generated RSA keys are 2048 bits.
const KEY_BITS: usize = 2048;
/// Lifetime of the certificates Keycloak generates for realm keys.
const CERTIFICATE_DAYS: i64 = 3650;

#[derive(Debug, thiserror::Error)]
pub enum KeyGenError {
    #[error("cannot generate an RSA key: {0}")]
    Rsa(#[from] rsa::Error),
    #[error("cannot encode the generated key: {0}")]
    Encoding(#[from] rsa::pkcs8::Error),
    #[error("cannot make the key's certificate: {0}")]
    Certificate(#[from] rcgen::Error),
}

/// What one key is for.
#[derive(Clone, Copy)]
enum Use {
    Signing,
    Encryption,
}

impl Use {
    fn provider(self) -> &'static str {
        match self {
            Use::Signing => "rsa-generated",
            Use::Encryption => "rsa-enc-generated",
        }
    }
}

/// The `org.keycloak.keys.KeyProvider` component list of a new realm.
pub fn key_providers(realm: &str, now: OffsetDateTime) -> Result<Vec<Value>, KeyGenError> {
    [Use::Signing, Use::Encryption]
        .into_iter()
        .map(|key_use| key_provider(realm, key_use, now))
        .collect()
}

/// One more `rsa-generated` RS256 signing key provider, as the realm file stores it (a
/// rollover's new key).
pub fn signing_key_provider(realm: &str, now: OffsetDateTime) -> Result<Value, KeyGenError> {
    key_provider(realm, Use::Signing, now)
}

fn key_provider(realm: &str, key_use: Use, now: OffsetDateTime) -> Result<Value, KeyGenError> {
    let key = RsaPrivateKey::new(&mut rsa::rand_core::OsRng, KEY_BITS)?;
    let pkcs8 = key.to_pkcs8_der()?;
    let certificate = self_signed(pkcs8.as_bytes(), realm, now)?;
    // Keycloak stores both as base64 DER without PEM armour (PemUtils.encodeKey/Certificate).
    let mut config = json!({
        "privateKey": [STANDARD.encode(pkcs8.as_bytes())],
        "keyUse": [match key_use { Use::Signing => "SIG", Use::Encryption => "ENC" }],
        "certificate": [STANDARD.encode(certificate)],
        "priority": ["100"],
    });
    if let Use::Encryption = key_use {
        config["algorithm"] = json!(["RSA-OAEP"]);
    }
    Ok(json!({
        "id": uuid::Uuid::new_v4().to_string(),
        "name": key_use.provider(),
        "providerId": key_use.provider(),
        "subComponents": {},
        "config": config,
    }))
}

fn self_signed(pkcs8: &[u8], realm: &str, now: OffsetDateTime) -> Result<Vec<u8>, rcgen::Error> {
    let der = rustls::pki_types::PrivatePkcs8KeyDer::from(pkcs8);
    let pair = rcgen::KeyPair::from_pkcs8_der_and_sign_algo(&der, &rcgen::PKCS_RSA_SHA256)?;
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new())?;
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, realm);
    params.not_before = now;
    params.not_after = now + Duration::days(CERTIFICATE_DAYS);
    // Keycloak uses the creation time in milliseconds as the serial number.
    let serial = (now.unix_timestamp_nanos() / 1_000_000).to_be_bytes();
    params.serial_number = Some(rcgen::SerialNumber::from_slice(&serial[8..]));
    Ok(params.self_signed(&pair)?.der().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keycloak::keys::{self, KEY_PROVIDER_TYPE, KeyStatus, KeyUse};
    use x509_parser::prelude::{FromDer, X509Certificate};

    #[test]
    fn a_new_realm_gets_an_active_signing_and_encryption_key_with_certificates() {
        let now = time::macros::datetime!(2026-01-01 00:00 UTC);
        let realm = json!({
            "realm": "demo",
            "components": { KEY_PROVIDER_TYPE: key_providers("demo", now).unwrap() },
        });
        let found = keys::from_realm_export(&realm).unwrap();
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].key_use, KeyUse::Sig);
        assert_eq!(found[1].key_use, KeyUse::Enc);
        for key in &found {
            assert_eq!(key.status, KeyStatus::Active);
            assert_eq!(key.priority, Some(100));
            assert!(key.kid.is_some(), "kid computed from the certificate");
            let der = STANDARD.decode(key.certificate.as_ref().unwrap()).unwrap();
            let (_, cert) = X509Certificate::from_der(&der).unwrap();
            assert_eq!(cert.subject().to_string(), "CN=demo");
            assert_eq!(
                cert.validity().not_after.timestamp() - cert.validity().not_before.timestamp(),
                CERTIFICATE_DAYS * 86_400
            );
        }
        assert_ne!(found[0].kid, found[1].kid, "two different keys");
    }
}
