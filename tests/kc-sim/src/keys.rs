//! Realm keys: an RS256 signing key and an RSA-OAEP encryption key, each with a
//! self-signed X.509 certificate (CN = realm name) whose not-after can be set,
//! plus the metadata of Keycloak's symmetric default keys (`GET /keys`, §7.3).
//!
//! Generating RSA keys is the slowest thing the simulator does, so keys come
//! from a process-wide pool: the n-th realm of every simulator in a process
//! uses the n-th pooled key. Certificates are made per realm.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey};
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::sync::{Arc, Mutex};
use time::{Duration, OffsetDateTime};

static POOL: Mutex<Vec<Arc<RsaPrivateKey>>> = Mutex::new(Vec::new());

/// The n-th key of the process-wide pool, generating keys up to it.
pub(crate) fn pooled_key(n: usize) -> Arc<RsaPrivateKey> {
    let mut pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
    while pool.len() <= n {
        let mut rng = rsa::rand_core::OsRng;
        let key = RsaPrivateKey::new(&mut rng, 2048).expect("RSA key generation");
        pool.push(Arc::new(key));
    }
    pool[n].clone()
}

/// One RSA key as Keycloak describes it.
pub struct RsaKey {
    pub kid: String,
    pub provider_id: String,
    pub private: Arc<RsaPrivateKey>,
    /// base64 SPKI.
    pub public_b64: String,
    /// base64 DER certificate.
    pub cert_b64: String,
    pub not_after: OffsetDateTime,
}

impl RsaKey {
    pub(crate) fn new(
        private: Arc<RsaPrivateKey>,
        realm: &str,
        not_after: OffsetDateTime,
    ) -> RsaKey {
        let public = RsaPublicKey::from(private.as_ref());
        let spki = public.to_public_key_der().expect("SPKI encoding");
        // Keycloak's kid: base64url(SHA-256(encoded public key)).
        let kid = URL_SAFE_NO_PAD.encode(Sha256::digest(spki.as_bytes()));
        let cert = self_signed(&private, realm, not_after);
        RsaKey {
            kid,
            provider_id: crate::state::new_id(),
            public_b64: STANDARD.encode(spki.as_bytes()),
            cert_b64: STANDARD.encode(&cert),
            private,
            not_after,
        }
    }

    pub fn sign(&self, data: &[u8]) -> Vec<u8> {
        let key = SigningKey::<Sha256>::new((*self.private).clone());
        key.sign(data).to_vec()
    }

    pub fn verify(&self, data: &[u8], sig: &[u8]) -> bool {
        let key = VerifyingKey::<Sha256>::new(RsaPublicKey::from(self.private.as_ref()));
        Signature::try_from(sig).is_ok_and(|s| key.verify(data, &s).is_ok())
    }

    /// JWK with certificate chain and thumbprints (`/certs`).
    pub fn jwk(&self, alg: &str, use_: &str) -> Value {
        let public = RsaPublicKey::from(self.private.as_ref());
        let der = STANDARD.decode(&self.cert_b64).unwrap_or_default();
        json!({
            "kid": self.kid,
            "kty": "RSA",
            "alg": alg,
            "use": use_,
            "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
            "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
            "x5c": [self.cert_b64],
            "x5t": URL_SAFE_NO_PAD.encode(sha1(&der)),
            "x5t#S256": URL_SAFE_NO_PAD.encode(Sha256::digest(&der)),
        })
    }
}

fn self_signed(key: &RsaPrivateKey, realm: &str, not_after: OffsetDateTime) -> Vec<u8> {
    let pkcs8 = key.to_pkcs8_der().expect("PKCS#8 encoding");
    let der = rustls_pki_types_pkcs8(pkcs8.as_bytes());
    let pair = rcgen::KeyPair::from_pkcs8_der_and_sign_algo(&der, &rcgen::PKCS_RSA_SHA256)
        .expect("rcgen accepts the RSA key");
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, realm);
    let now = OffsetDateTime::now_utc();
    params.not_before = now - Duration::minutes(1);
    params.not_after = not_after;
    let serial = now.unix_timestamp_nanos().to_be_bytes();
    params.serial_number = Some(rcgen::SerialNumber::from_slice(&serial[8..]));
    params
        .self_signed(&pair)
        .expect("self-signed certificate")
        .der()
        .to_vec()
}

fn rustls_pki_types_pkcs8(bytes: &[u8]) -> rustls_pki_types::PrivatePkcs8KeyDer<'static> {
    rustls_pki_types::PrivatePkcs8KeyDer::from(bytes.to_vec())
}

/// SHA-1, only for the `x5t` thumbprint of JWKS.
pub fn sha1(data: &[u8]) -> [u8; 20] {
    let mut h: [u32; 5] = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0];
    let mut msg = data.to_vec();
    let bit_len = (data.len() as u64).wrapping_mul(8);
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bit_len.to_be_bytes());
    for chunk in msg.chunks(64) {
        let mut w = [0u32; 80];
        for i in 0..16 {
            w[i] = u32::from_be_bytes([
                chunk[4 * i],
                chunk[4 * i + 1],
                chunk[4 * i + 2],
                chunk[4 * i + 3],
            ]);
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = h;
        for (i, wi) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5A827999),
                20..=39 => (b ^ c ^ d, 0x6ED9EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1BBCDC),
                _ => (b ^ c ^ d, 0xCA62C1D6),
            };
            let t = a
                .rotate_left(5)
                .wrapping_add(f)
                .wrapping_add(e)
                .wrapping_add(k)
                .wrapping_add(*wi);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = t;
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e]) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 20];
    for (i, x) in h.iter().enumerate() {
        out[4 * i..4 * i + 4].copy_from_slice(&x.to_be_bytes());
    }
    out
}

/// A signing key pair for a SAML client (`saml.signing.certificate` and
/// `saml.signing.private.key`, base64 DER), certificate CN = client id.
pub fn client_key_pair(client_id: &str) -> (String, String) {
    let key = pooled_key(0);
    let cert = self_signed(&key, client_id, default_not_after());
    let private = key.to_pkcs8_der().expect("PKCS#8 encoding");
    (STANDARD.encode(cert), STANDARD.encode(private.as_bytes()))
}

/// The keys of one realm.
pub struct RealmKeys {
    pub sig: RsaKey,
    pub enc: RsaKey,
    pub(crate) hmac_kid: String,
    pub(crate) hmac_provider: String,
    pub(crate) aes_kid: String,
    pub(crate) aes_provider: String,
    /// Config of the four default providers (`crate::key_providers`).
    pub(crate) default_configs: [serde_json::Map<String, Value>; 4],
}

/// Default certificate lifetime of Keycloak's generated keys **(inferred: 10 years)**.
pub fn default_not_after() -> OffsetDateTime {
    OffsetDateTime::now_utc() + Duration::days(3650)
}

impl RealmKeys {
    /// Keys for the realm with the given pool index; the encryption key uses
    /// the next odd pool slot so that both keys differ.
    pub fn generate(realm: &str, index: usize, not_after: OffsetDateTime) -> RealmKeys {
        RealmKeys {
            sig: RsaKey::new(pooled_key(2 * index), realm, not_after),
            enc: RsaKey::new(pooled_key(2 * index + 1), realm, not_after),
            hmac_kid: crate::state::new_id(),
            hmac_provider: crate::state::new_id(),
            aes_kid: crate::state::new_id(),
            aes_provider: crate::state::new_id(),
            default_configs: crate::key_providers::default_configs(),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sha1_matches_known_vector() {
        let hex: String = super::sha1(b"abc")
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
    }
}
