//! Executing a plan against a target: step by step (phase, then group depth: see
//! [`crate::reconcile::Operation::sort_key`]), the operations of one step concurrently (they are independent),
//! stopping after the first step with a failure so nothing is built on top of a missing
//! object. Once Keycloak is unreachable no further operation is started. The report says what
//! was done, what failed and what was not attempted; rerunning plan/apply converges.

use std::sync::atomic::{AtomicBool, Ordering};

use futures_util::stream::{self, StreamExt};

use crate::printable::printable;
use crate::reconcile::{Change, Plan};
use crate::target::{Target, TargetError};

#[derive(Debug, Default)]
pub struct ApplyReport<'p> {
    pub done: Vec<&'p Change>,
    pub failed: Vec<(&'p Change, TargetError)>,
    pub not_attempted: Vec<&'p Change>,
}

impl ApplyReport<'_> {
    pub fn succeeded(&self) -> bool {
        self.failed.is_empty() && self.not_attempted.is_empty()
    }

    /// What happened to `change`: `done`, `failed` (with the error, escaped for printing) or
    /// `not_attempted`.
    pub fn outcome(&self, change: &Change) -> (&'static str, Option<String>) {
        let same = |c: &&Change| std::ptr::eq(*c, change);
        if self.done.iter().any(same) {
            ("done", None)
        } else if let Some((_, error)) = self.failed.iter().find(|(c, _)| same(c)) {
            ("failed", Some(printable(&error.to_string()).into_owned()))
        } else {
            ("not_attempted", None)
        }
    }
}

/// Runs every operation of `plan`, at most `concurrency` at a time, calling `progress` after
/// each one. The target is committed only when every operation succeeded.
pub async fn apply<'p, T: Target>(
    target: &T,
    plan: &'p Plan,
    concurrency: usize,
    mut progress: impl FnMut(&Change),
) -> Result<ApplyReport<'p>, TargetError> {
    let mut report = ApplyReport::default();
    let executable: Vec<&Change> = plan
        .changes
        .iter()
        .filter(|c| c.operation.is_some())
        .collect();
    // A parent group and its child share a phase but not a depth: steps run one after another.
    let mut phases = executable.chunk_by(|a, b| step(a) == step(b));
    let unreachable = AtomicBool::new(false);
    let unreachable = &unreachable;
    for batch in phases.by_ref() {
        let results: Vec<(&Change, Option<Result<(), TargetError>>)> =
            stream::iter(batch.iter().copied())
                .map(|change| async move {
                    if unreachable.load(Ordering::Relaxed) {
                        return (change, None);
                    }
                    let operation = change.operation.as_ref().expect("filtered above");
                    let result = target.execute(operation).await;
                    if matches!(result, Err(TargetError::Unreachable { .. })) {
                        unreachable.store(true, Ordering::Relaxed);
                    }
                    (change, Some(result))
                })
                .buffer_unordered(concurrency.max(1))
                .collect()
                .await;
        for (change, result) in results {
            progress(change);
            match result {
                Some(Ok(())) => report.done.push(change),
                Some(Err(error)) => report.failed.push((change, error)),
                None => report.not_attempted.push(change),
            }
        }
        if !report.failed.is_empty() {
            break;
        }
    }
    report.not_attempted.extend(phases.flatten().copied());
    if report.failed.is_empty() {
        target.commit().await?;
    }
    Ok(report)
}

fn step(change: &Change) -> (u8, i64) {
    change
        .operation
        .as_ref()
        .map_or((u8::MAX, 0), |op| op.sort_key())
}
