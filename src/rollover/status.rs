//! Where each outbound federation stands in a rollover: does the partner trust the new
//! certificate yet? Pure.
//!
//! A record's `signing_cert_expiry` is the expiry of the certificate the partner trusts, as
//! we last handed it over. It *confirms* the new certificate when it states that
//! certificate's date (within a day, time zones); when the old and new certificate are closer
//! than that, the nearer one wins and a tie counts as confirmed.

use serde::Serialize;
use time::Date;

use super::ring::{self, Ring};
use crate::desired::RecordRef;
use crate::record::{Direction, IsoDate, Protocol};
use crate::target::key_providers::KeyProvider;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FederationState {
    /// The record states the new certificate's expiry: the partner has it.
    Confirmed,
    /// The record states another date, or none.
    Unconfirmed,
    /// OIDC without a stated date: the partner reads our JWKS, which publishes the new key
    /// as soon as it is staged.
    Jwks,
}

#[derive(Debug, Clone, Serialize)]
pub struct Federation {
    pub record: String,
    pub partner: String,
    pub protocol: &'static str,
    pub signing_cert_expiry: Option<IsoDate>,
    pub state: FederationState,
    pub partner_technical: Option<String>,
}

/// A key as status shows it: public facts only.
#[derive(Debug, Clone, Serialize)]
pub struct KeySummary {
    pub id: String,
    pub name: String,
    pub kid: Option<String>,
    pub expires: Option<IsoDate>,
    pub enabled: bool,
    pub active: bool,
    pub priority: i64,
}

impl KeySummary {
    fn of(provider: &KeyProvider) -> KeySummary {
        KeySummary {
            id: provider.id.clone(),
            name: provider.name.clone(),
            kid: provider.kid.clone(),
            expires: ring::expiry(provider).map(IsoDate),
            enabled: provider.enabled,
            active: provider.active,
            priority: provider.priority,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RolloverStatus {
    pub realm: String,
    pub signer: Option<KeySummary>,
    pub staged: Option<KeySummary>,
    pub retiring: Option<KeySummary>,
    /// The certificate partners must trust: the staged key's, or the signer's.
    pub new_expiry: Option<IsoDate>,
    pub federations: Vec<Federation>,
}

impl RolloverStatus {
    pub fn new(realm: &str, providers: &[KeyProvider], records: &[RecordRef<'_>]) -> Self {
        let ring = Ring::of(providers);
        let (new, old) = ring.new_and_old();
        let (new, old) = (new.and_then(ring::expiry), old.and_then(ring::expiry));
        RolloverStatus {
            realm: realm.to_owned(),
            signer: ring.signer.map(KeySummary::of),
            staged: ring.staged.map(KeySummary::of),
            retiring: ring.retiring.map(KeySummary::of),
            new_expiry: new.map(IsoDate),
            federations: outbound(records).map(|r| federation(r, new, old)).collect(),
        }
    }

    pub fn unconfirmed(&self) -> impl Iterator<Item = &Federation> {
        self.federations
            .iter()
            .filter(|f| f.state == FederationState::Unconfirmed)
    }
}

/// The records of federations our realm signs for.
pub fn outbound<'a, 'r>(
    records: &'a [RecordRef<'r>],
) -> impl Iterator<Item = &'a RecordRef<'r>> + 'a {
    records
        .iter()
        .filter(|r| r.federation.direction == Direction::Outbound)
}

fn federation(record: &RecordRef<'_>, new: Option<Date>, old: Option<Date>) -> Federation {
    let stated = record.federation.technical.signing_cert_expiry;
    let state = match (stated, record.federation.protocol) {
        (None, Protocol::Oidc) => FederationState::Jwks,
        (Some(stated), _) if new.is_some_and(|new| describes(stated, new, old)) => {
            FederationState::Confirmed
        }
        _ => FederationState::Unconfirmed,
    };
    Federation {
        record: record.id.to_owned(),
        partner: record.federation.partner.clone(),
        protocol: match record.federation.protocol {
            Protocol::Saml => "saml",
            Protocol::Oidc => "oidc",
        },
        signing_cert_expiry: stated,
        state,
        partner_technical: record.federation.contacts.partner_technical.clone(),
    }
}

/// Whether `stated` means the certificate expiring on `this` rather than the one expiring on
/// `other` (a tie goes to `this`).
pub fn describes(stated: IsoDate, this: Date, other: Option<Date>) -> bool {
    stated.agrees_with(this)
        && other.is_none_or(|other| stated.days_from(this) <= stated.days_from(other))
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    #[test]
    fn the_nearer_certificate_wins_and_a_tie_confirms() {
        let new = date!(2036 - 12 - 04);
        let old = date!(2026 - 12 - 20);
        assert!(describes(IsoDate(new), new, Some(old)));
        assert!(describes(IsoDate(date!(2036 - 12 - 05)), new, Some(old)));
        assert!(!describes(IsoDate(old), new, Some(old)));
        assert!(!describes(IsoDate(date!(2036 - 12 - 07)), new, None));
        // Certificates a day apart: the stated date picks the nearer one.
        let close = date!(2036 - 12 - 05);
        assert!(!describes(IsoDate(new), close, Some(new)));
        assert!(describes(IsoDate(new), new, Some(new)), "a tie confirms");
    }
}
