//! Running async code (HTTP requests, targets) from the synchronous command line.

use std::future::Future;
use std::sync::OnceLock;

/// Runs async target code from the synchronous CLI. One thread is enough: requests overlap
/// through async concurrency, not threads. One runtime for the whole process, so the HTTP
/// connections opened while observing are still alive when applying.
pub fn block_on<F: Future>(future: F) -> F::Output {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a current-thread tokio runtime can always be built")
        })
        .block_on(future)
}
