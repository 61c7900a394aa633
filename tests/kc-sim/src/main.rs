//! `kc-sim`: serves the Keycloak admin API simulator.

use clap::Parser;
use kc_sim::{Faults, Simulator};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// In-memory simulator of the Keycloak admin REST API.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Port to listen on.
    #[arg(long, default_value_t = 8180)]
    port: u16,
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    bind: String,
    /// Realm export JSON to load (repeatable).
    #[arg(long = "import", value_name = "FILE")]
    imports: Vec<PathBuf>,
    /// Keycloak version to simulate: a major (22..=26) or 26.4 / 26.7.
    #[arg(long, default_value = "26", value_parser = parse_version)]
    keycloak_version: (u8, u8),
    /// Access-token lifespan in seconds for every realm.
    #[arg(long, value_name = "SECONDS")]
    token_lifespan: Option<u64>,
    /// Not-after of realm key certificates (RFC 3339 or YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    key_not_after: Option<String>,
    /// Fixed latency added to every response.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Random extra latency, 0..=N ms.
    #[arg(long, default_value_t = 0)]
    jitter_ms: u64,
    /// Probability (0..1) that a request fails.
    #[arg(long, default_value_t = 0.0)]
    fail_rate: f64,
    /// Statuses used for random failures.
    #[arg(long, value_delimiter = ',', default_value = "503")]
    fail_statuses: Vec<u16>,
    /// Retry-After seconds for 429/503 failures.
    #[arg(long)]
    retry_after: Option<u64>,
    /// Probability (0..1) that a connection is dropped without a response.
    #[arg(long, default_value_t = 0.0)]
    drop_rate: f64,
}

/// `22`..`26`, or `26.4`/`26.7` (the Keycloak 26 minors whose differences are modelled).
fn parse_version(s: &str) -> Result<(u8, u8), String> {
    match s.split_once('.') {
        None => match s.parse::<u8>() {
            Ok(major @ 22..=26) => Ok((major, 7)),
            _ => Err(format!("{s}: expected a major version from 22 to 26")),
        },
        Some(("26", minor @ ("4" | "7"))) => Ok((26, minor.parse().expect("a digit"))),
        Some(_) => Err(format!("{s}: expected 26.4 or 26.7")),
    }
}

fn parse_date(s: &str) -> Result<time::OffsetDateTime, String> {
    use time::format_description::well_known::Rfc3339;
    if let Ok(t) = time::OffsetDateTime::parse(s, &Rfc3339) {
        return Ok(t);
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s, &format)
        .map(|d| d.midnight().assume_utc())
        .map_err(|e| format!("--key-not-after {s}: {e}"))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let args = Args::parse();
    let mut builder = Simulator::builder()
        .keycloak_version(args.keycloak_version.0)
        .keycloak_minor(args.keycloak_version.1)
        .faults(Faults {
            latency_ms: args.latency_ms,
            jitter_ms: args.jitter_ms,
            fail_rate: args.fail_rate,
            fail_statuses: args.fail_statuses,
            retry_after_secs: args.retry_after,
            drop_rate: args.drop_rate,
            ..Faults::default()
        });
    if let Some(secs) = args.token_lifespan {
        builder = builder.token_lifespan(Duration::from_secs(secs));
    }
    if let Some(date) = &args.key_not_after {
        builder = builder.key_not_after(parse_date(date)?);
    }
    for file in &args.imports {
        builder = builder.import_file(file)?;
    }
    let addr: SocketAddr = format!("{}:{}", args.bind, args.port).parse()?;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    eprintln!(
        "kc-sim (Keycloak {}) listening on http://{}",
        match args.keycloak_version {
            (26, minor) => format!("26.{minor}"),
            (major, _) => major.to_string(),
        },
        listener.local_addr()?
    );
    tokio::select! {
        r = builder.serve(listener) => r?,
        _ = tokio::signal::ctrl_c() => {}
    }
    Ok(())
}
