//! Collection: turns inputs that were already read (a realm export or admin API JSON, records,
//! parsed metadata) into an [`Inventory`]. Pure; reading files and talking to Keycloak is the
//! command's job, so the live target and the metadata parser plug in here unchanged.

pub mod metadata;
pub mod realm;

pub use crate::desired::RecordRef;

use super::model::{Evidence, StatedExpiry};
use crate::record::Direction;
use crate::x509;

/// Each record's `signing_cert_expiry`, to be compared with the certificate it describes.
pub fn stated_expiries(records: &[RecordRef<'_>]) -> Vec<StatedExpiry> {
    records
        .iter()
        .filter_map(|r| {
            let date = r.federation.technical.signing_cert_expiry?;
            Some(StatedExpiry {
                federation: r.id.to_owned(),
                partner: r.federation.partner.clone(),
                date: date.0,
                outbound: r.federation.direction == Direction::Outbound,
            })
        })
        .collect()
}

/// Reads a certificate as Keycloak stores it (base64 DER), tolerating PEM armour pasted in.
/// A certificate that does not parse is evidence too: an UNKNOWN finding, never an error.
pub(crate) fn read_certificate(text: &str) -> Evidence {
    let parsed = if text.contains("-----BEGIN") {
        x509::parse_pem(text).map(|mut certs| certs.swap_remove(0))
    } else {
        x509::parse_base64(text)
    };
    match parsed {
        Ok(cert) => Evidence::Certificate(Box::new(cert)),
        Err(e) => Evidence::Unreadable(e.to_string()),
    }
}
