//! Which of the realm's key providers signs, which is staged to sign next, and which is being
//! retired. Pure.
//!
//! fedctl marks the providers it creates by name (Keycloak keeps only the config keys a
//! provider declares, so a config marker would be dropped): `fedctl-rollover <date> replaces
//! <component id>`, the id being the signer at the time it was staged. That name is what ties
//! a rollover's old and new key together across runs.

use time::Date;

use crate::target::key_providers::{self, KeyProvider};

/// The prefix of every key provider fedctl creates.
pub const NAME_PREFIX: &str = "fedctl-rollover";
const REPLACES: &str = " replaces ";

/// The name of a key staged on `today` to replace the provider `replaces`.
pub fn staged_name(today: Date, replaces: &str) -> String {
    format!("{NAME_PREFIX} {today}{REPLACES}{replaces}")
}

/// Whether fedctl created this provider.
pub fn is_ours(provider: &KeyProvider) -> bool {
    provider.name.starts_with(NAME_PREFIX)
}

/// The id of the provider this one was staged to replace (fedctl's providers only).
pub fn replaces(provider: &KeyProvider) -> Option<&str> {
    if !is_ours(provider) {
        return None;
    }
    provider
        .name
        .split_once(REPLACES)
        .map(|(_, id)| id.trim())
        .filter(|id| !id.is_empty())
}

/// The realm's RS256 signing keys, read the way Keycloak reads them.
#[derive(Debug, Clone, Copy)]
pub struct Ring<'a> {
    /// The key Keycloak signs with now.
    pub signer: Option<&'a KeyProvider>,
    /// fedctl's key waiting to be promoted: enabled, passive, published.
    pub staged: Option<&'a KeyProvider>,
    /// The key the (fedctl-made) signer replaced, while it still exists.
    pub retiring: Option<&'a KeyProvider>,
}

impl<'a> Ring<'a> {
    pub fn of(providers: &'a [KeyProvider]) -> Ring<'a> {
        let signing = || providers.iter().filter(|p| p.rs256_signing);
        let signer = key_providers::signer(providers);
        let retiring = signer
            .and_then(replaces)
            .and_then(|old| signing().find(|p| p.id == old))
            .filter(|old| Some(old.id.as_str()) != signer.map(|s| s.id.as_str()));
        let staged = signing()
            .filter(|p| is_ours(p) && p.enabled && !p.active)
            .filter(|p| Some(p.id.as_str()) != retiring.map(|r| r.id.as_str()))
            .max_by_key(|p| p.not_after);
        Ring {
            signer,
            staged,
            retiring,
        }
    }

    /// The certificate partners must trust next: the staged key's, or once promoted, the
    /// signer's. With the certificate it replaces, when there is one.
    pub fn new_and_old(&self) -> (Option<&'a KeyProvider>, Option<&'a KeyProvider>) {
        match self.staged {
            Some(staged) => (Some(staged), self.signer),
            None => (self.signer, self.retiring),
        }
    }
}

/// Not-after date (UTC) of a provider's certificate.
pub fn expiry(provider: &KeyProvider) -> Option<Date> {
    provider
        .not_after
        .map(|t| t.to_offset(time::UtcOffset::UTC).date())
}

/// `2036-12-04`, or `unknown` for a key without a readable certificate.
pub fn expiry_text(provider: &KeyProvider) -> String {
    expiry(provider).map_or_else(|| "unknown".to_owned(), |d| d.to_string())
}

/// For plans and status: `name (kid …, expires …)`.
pub fn describe(provider: &KeyProvider) -> String {
    let kid = provider.kid.as_deref().unwrap_or("no kid");
    format!(
        "{} (kid {kid}, expires {})",
        provider.name,
        expiry_text(provider)
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use time::macros::datetime;

    use super::*;

    pub fn key(id: &str, name: &str, priority: i64, enabled: bool, active: bool) -> KeyProvider {
        KeyProvider {
            id: id.into(),
            name: name.into(),
            provider_type: "rsa-generated".into(),
            priority,
            enabled,
            active,
            rs256_signing: true,
            kid: Some(format!("kid-{id}")),
            certificate: None,
            not_after: Some(datetime!(2027-01-01 00:00 UTC)),
        }
    }

    #[test]
    fn the_highest_priority_active_key_signs_and_ties_go_to_the_lower_id() {
        let keys = [
            key("b", "rsa-generated", 100, true, true),
            key("a", "other", 100, true, true),
            key("c", "passive", 500, true, false),
            key("d", "disabled", 900, false, true),
        ];
        assert_eq!(Ring::of(&keys).signer.unwrap().id, "a");
    }

    #[test]
    fn a_staged_key_names_the_signer_it_replaces() {
        let today = time::macros::date!(2026 - 12 - 04);
        let mut staged = key("n", &staged_name(today, "old"), 101, true, false);
        staged.not_after = Some(datetime!(2036-12-04 00:00 UTC));
        let keys = [key("old", "rsa-generated", 100, true, true), staged];
        let ring = Ring::of(&keys);
        assert_eq!(ring.signer.unwrap().id, "old");
        assert_eq!(ring.staged.unwrap().id, "n");
        assert!(ring.retiring.is_none());
        assert_eq!(replaces(&keys[1]), Some("old"));
        assert_eq!(replaces(&keys[0]), None, "only fedctl's keys are read");

        // Promoted: the new key signs, the old one is retiring, nothing is staged.
        let promoted = [
            key("old", "rsa-generated", 100, true, false),
            KeyProvider {
                active: true,
                ..keys[1].clone()
            },
        ];
        let ring = Ring::of(&promoted);
        assert_eq!(ring.signer.unwrap().id, "n");
        assert_eq!(ring.retiring.unwrap().id, "old");
        assert!(ring.staged.is_none(), "the passive old key is not staged");
    }

    #[test]
    fn keys_that_do_not_sign_rs256_are_not_part_of_the_ring() {
        let mut enc = key("e", "rsa-enc-generated", 900, true, true);
        enc.rs256_signing = false;
        let keys = [enc, key("s", "rsa-generated", 100, true, true)];
        assert_eq!(Ring::of(&keys).signer.unwrap().id, "s");
        assert!(Ring::of(&keys[..1]).signer.is_none());
    }
}
