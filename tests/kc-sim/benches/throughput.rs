//! Throughput of simple admin requests on loopback, faults off.
//!
//! `cargo bench -p kc-sim --bench throughput` (release). Runs concurrent
//! keep-alive clients in this process for a few seconds against
//! `GET /admin/realms/master/clients/{id}` and `GET /admin/realms/master/groups`,
//! and prints requests per second. Client and server share the machine's
//! cores, so the figure is a lower bound for the server.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const CLIENTS: usize = 16;
const SECONDS: u64 = 5;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sim = kc_sim::Simulator::builder()
        .token_lifespan(Duration::from_secs(3600))
        .start()
        .expect("simulator");
    let base = sim.url();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(CLIENTS)
        .build()
        .expect("client");
    let form = [
        ("grant_type", "password"),
        ("client_id", "admin-cli"),
        ("username", "admin"),
        ("password", "admin"),
    ];
    let token: serde_json::Value = http
        .post(format!(
            "{base}/realms/master/protocol/openid-connect/token"
        ))
        .form(&form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["access_token"].as_str().unwrap().to_string();
    let id = sim.client("master", "admin-cli").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    for (name, path) in [
        (
            "GET client by id",
            format!("/admin/realms/master/clients/{id}"),
        ),
        ("GET groups", "/admin/realms/master/groups".to_string()),
    ] {
        let done = Arc::new(AtomicU64::new(0));
        let failed = Arc::new(AtomicU64::new(0));
        let until = Instant::now() + Duration::from_secs(SECONDS);
        let tasks: Vec<_> = (0..CLIENTS)
            .map(|_| {
                let (http, url, token) = (http.clone(), format!("{base}{path}"), token.clone());
                let (done, failed) = (done.clone(), failed.clone());
                tokio::spawn(async move {
                    while Instant::now() < until {
                        match http.get(&url).bearer_auth(&token).send().await {
                            Ok(r) if r.status().is_success() => {
                                let _ = r.bytes().await;
                                done.fetch_add(1, Ordering::Relaxed);
                            }
                            _ => {
                                failed.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        let n = done.load(Ordering::Relaxed);
        println!(
            "{name}: {n} requests in {SECONDS} s = {:.0} req/s ({} failed, {CLIENTS} concurrent clients)",
            n as f64 / SECONDS as f64,
            failed.load(Ordering::Relaxed)
        );
    }
    let counts = sim.request_counts();
    println!("server counted {} requests", counts.total);
}
