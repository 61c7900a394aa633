//! Logging to stderr with tracing. Machine output goes to stdout only, so logs never mix
//! with plans, JSON or Prometheus text.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

pub fn init(verbosity: u8) {
    let default = match verbosity {
        0 => "warn",
        1 => "fedctl=info",
        2 => "fedctl=debug",
        _ => "fedctl=trace,kc_sim=debug",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(crate::printable::colour_allowed(
            std::io::stderr().is_terminal(),
        ))
        .try_init();
}
