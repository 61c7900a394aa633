//! Request counting per method and route template (`GET /_sim/requests`).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Counts of requests served since start or the last reset. `/_sim/` requests
/// are not counted.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct RequestCounts {
    /// All counted requests.
    pub total: u64,
    /// Requests to `/admin/...` whose method is not GET, HEAD or OPTIONS.
    pub writes: u64,
    /// `"<METHOD> <route template>"` → count, e.g.
    /// `"GET /admin/realms/{realm}/clients/{id}"`. Paths that match no route
    /// are counted as `"<METHOD> (unmatched)"`.
    pub routes: BTreeMap<String, u64>,
}

impl RequestCounts {
    /// Count of one `"<METHOD> <template>"` key (0 when never seen).
    pub fn get(&self, key: &str) -> u64 {
        self.routes.get(key).copied().unwrap_or(0)
    }

    /// Sum over all routes with the given method.
    pub fn method(&self, method: &str) -> u64 {
        self.routes
            .iter()
            .filter(|(k, _)| k.split(' ').next() == Some(method))
            .map(|(_, v)| v)
            .sum()
    }
}

pub type Counts = RequestCounts;

impl Counts {
    pub fn record(&mut self, method: &str, template: &str) {
        self.total += 1;
        if template.starts_with("/admin/") && !matches!(method, "GET" | "HEAD" | "OPTIONS") {
            self.writes += 1;
        }
        *self
            .routes
            .entry(format!("{method} {template}"))
            .or_default() += 1;
    }
}
