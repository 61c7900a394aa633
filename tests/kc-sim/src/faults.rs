//! Fault injection (`POST /_sim/faults`, command-line flags): latency, jitter,
//! random failures with chosen statuses, dropped connections, failing the
//! n-th request of a route, and Keycloak's own failure of the SAML descriptor.

use serde::{Deserialize, Serialize};
use std::sync::Mutex;
use std::time::Duration;

/// Fault settings. All zero/empty (the default) means no faults.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Fixed delay added to every response.
    pub latency_ms: u64,
    /// Extra random delay, uniform in `0..=jitter_ms`.
    pub jitter_ms: u64,
    /// Probability (0..=1) that a request fails with one of `fail_statuses`.
    pub fail_rate: f64,
    /// Statuses chosen uniformly for random failures (default `[503]`).
    pub fail_statuses: Vec<u16>,
    /// `Retry-After` seconds sent with 429 and 503 failures (429 always carries one, default 1).
    pub retry_after_secs: Option<u64>,
    /// Probability (0..=1) that the connection is closed without a response.
    pub drop_rate: f64,
    /// Fail exactly the n-th request (1-based, counted from when this was set) of one route.
    pub fail_nth: Option<FailNth>,
    /// Keycloak cannot build the SAML IdP descriptor (e.g. a realm key it cannot encode):
    /// `/realms/{realm}/protocol/saml/descriptor` answers 200 with an empty body, as Keycloak
    /// does (keycloak-admin-api.md §7.1).
    pub descriptor_fails: bool,
}

/// Fails the `n`-th request matching `route` (`"<METHOD> <template>"`, e.g.
/// `"PUT /admin/realms/{realm}/clients/{id}"`) with `status`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FailNth {
    pub route: String,
    pub n: u64,
    pub status: u16,
}

/// What to do with one request.
#[derive(Debug, PartialEq)]
pub enum Verdict {
    Pass,
    Fail {
        status: u16,
        retry_after: Option<u64>,
    },
    Drop,
}

#[derive(Default)]
pub struct FaultState {
    inner: Mutex<(Faults, u64)>,
}

impl FaultState {
    pub fn set(&self, faults: Faults) {
        *self.inner.lock().unwrap_or_else(|e| e.into_inner()) = (faults, 0);
    }

    pub fn get(&self) -> Faults {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .0
            .clone()
    }

    /// Decides the fate of a request to `route` and the delay before it.
    pub fn judge(&self, route: &str) -> (Duration, Verdict) {
        let mut guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let (faults, seen) = &mut *guard;
        let jitter = if faults.jitter_ms > 0 {
            fastrand::u64(0..=faults.jitter_ms)
        } else {
            0
        };
        let delay = Duration::from_millis(faults.latency_ms + jitter);
        if faults.drop_rate > 0.0 && fastrand::f64() < faults.drop_rate {
            return (delay, Verdict::Drop);
        }
        if let Some(nth) = &faults.fail_nth
            && nth.route == route
        {
            *seen += 1;
            if *seen == nth.n {
                return (delay, failure(nth.status, faults.retry_after_secs));
            }
        }
        if faults.fail_rate > 0.0 && fastrand::f64() < faults.fail_rate {
            let statuses = if faults.fail_statuses.is_empty() {
                &[503][..]
            } else {
                &faults.fail_statuses[..]
            };
            let status = statuses[fastrand::usize(..statuses.len())];
            return (delay, failure(status, faults.retry_after_secs));
        }
        (delay, Verdict::Pass)
    }
}

fn failure(status: u16, retry_after: Option<u64>) -> Verdict {
    let retry_after = match status {
        429 => Some(retry_after.unwrap_or(1)),
        503 => retry_after,
        _ => None,
    };
    Verdict::Fail {
        status,
        retry_after,
    }
}
