//! When to retry a request and how long to wait first (pure).
//!
//! Retried: 429, 500, 502, 503, 504 and transport failures, with exponential backoff and
//! jitter, or the server's `Retry-After` when it sends one. Never other 4xx: they are answers.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
        }
    }
}

/// Statuses that mean "not now" rather than "no".
pub fn retryable_status(status: u16) -> bool {
    matches!(status, 429 | 500 | 502 | 503 | 504)
}

impl RetryPolicy {
    /// The wait before retry number `retry` (1-based). `jitter` is a uniform sample in [0, 1).
    /// A server-given `Retry-After` wins, capped so a hostile value cannot stall the run.
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>, jitter: f64) -> Duration {
        if let Some(wait) = retry_after {
            return wait.min(self.max_delay);
        }
        let exponential = self
            .base_delay
            .saturating_mul(1u32 << retry.saturating_sub(1).min(16));
        let ceiling = exponential.min(self.max_delay);
        // Equal jitter (half fixed, half random) spreads concurrent retries apart.
        ceiling.mul_f64(0.5 + jitter.clamp(0.0, 1.0) / 2.0)
    }
}

/// Parses `Retry-After` in its delay-seconds form; the HTTP-date form falls back to backoff.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// Whether a request may be sent again after a failure whose effect is unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replay {
    /// Reads, PUTs, DELETEs and creates that Keycloak rejects as duplicates (409).
    Always,
    /// Requests that would duplicate their effect (adding a flow execution): retried only when
    /// the server certainly did not act on them (not connected, 429).
    OnlyIfUnsent,
}

/// The result of one attempt.
pub enum Attempt<T, E> {
    Done(T),
    Failed(E),
    /// Worth another try. `unsent`: the server certainly did not act on the request.
    Transient {
        error: E,
        retry_after: Option<Duration>,
        unsent: bool,
    },
}

/// Runs `attempt` (given the number of retries so far) until it is done, fails for good, or
/// the policy gives up.
pub async fn with_retries<T, E>(
    policy: RetryPolicy,
    replay: Replay,
    mut attempt: impl AsyncFnMut(u32) -> Attempt<T, E>,
) -> Result<T, E> {
    let mut retries = 0;
    loop {
        match attempt(retries).await {
            Attempt::Done(value) => return Ok(value),
            Attempt::Failed(error) => return Err(error),
            Attempt::Transient {
                error,
                retry_after,
                unsent,
            } => {
                let replayable = unsent || replay == Replay::Always;
                if retries >= policy.max_retries || !replayable {
                    return Err(error);
                }
                retries += 1;
                let wait = policy.delay(retries, retry_after, fastrand::f64());
                tracing::debug!(
                    retry = retries,
                    wait_ms = wait.as_millis() as u64,
                    "retrying"
                );
                tokio::time::sleep(wait).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_only_transient_statuses() {
        for status in [429, 500, 502, 503, 504] {
            assert!(retryable_status(status), "{status}");
        }
        for status in [400, 401, 403, 404, 409, 501] {
            assert!(!retryable_status(status), "{status}");
        }
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let policy = RetryPolicy::default();
        let d1 = policy.delay(1, None, 1.0);
        let d2 = policy.delay(2, None, 1.0);
        let d3 = policy.delay(3, None, 1.0);
        assert!(d1 < d2 && d2 < d3, "{d1:?} {d2:?} {d3:?}");
        assert_eq!(policy.delay(30, None, 1.0), policy.max_delay);
        assert!(policy.delay(1, None, 0.0) >= policy.base_delay / 2);
    }

    fn quick() -> RetryPolicy {
        RetryPolicy {
            base_delay: Duration::from_millis(1),
            ..RetryPolicy::default()
        }
    }

    #[tokio::test]
    async fn gives_up_after_max_retries() {
        let mut calls = 0;
        let result: Result<(), u32> = with_retries(quick(), Replay::Always, async |retry| {
            calls += 1;
            Attempt::Transient {
                error: retry,
                retry_after: None,
                unsent: false,
            }
        })
        .await;
        assert_eq!(result, Err(3));
        assert_eq!(calls, 4);
    }

    #[tokio::test]
    async fn unsafe_requests_are_replayed_only_when_unsent() {
        let ambiguous: Result<(), &str> = with_retries(quick(), Replay::OnlyIfUnsent, async |_| {
            Attempt::Transient {
                error: "dropped",
                retry_after: None,
                unsent: false,
            }
        })
        .await;
        assert_eq!(ambiguous, Err("dropped"));
        let recovered: Result<u32, &str> =
            with_retries(quick(), Replay::OnlyIfUnsent, async |retry| {
                if retry == 0 {
                    Attempt::Transient {
                        error: "429",
                        retry_after: Some(Duration::ZERO),
                        unsent: true,
                    }
                } else {
                    Attempt::Done(retry)
                }
            })
            .await;
        assert_eq!(recovered, Ok(1));
    }

    #[test]
    fn retry_after_wins_but_is_capped() {
        let policy = RetryPolicy::default();
        assert_eq!(
            policy.delay(1, Some(Duration::from_secs(2)), 0.3),
            Duration::from_secs(2)
        );
        assert_eq!(
            policy.delay(1, Some(Duration::from_secs(3600)), 0.3),
            policy.max_delay
        );
        assert_eq!(parse_retry_after(" 7 "), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }
}
