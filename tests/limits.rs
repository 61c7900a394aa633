//! Hostile or careless local input: huge lines, huge fields, far-future dates, nonsense
//! options. fedctl answers with a short, clear error and never panics.

mod common;

use std::path::Path;

use common::{Workspace, fedctl, oidc_record};
use predicates::prelude::*;

/// Most stderr a diagnostic about one field may take, however large the input.
const SMALL: usize = 8 * 1024;

fn validate(workspace: &Workspace) -> std::process::Output {
    fedctl()
        .arg("validate")
        .arg(workspace.records())
        .output()
        .unwrap()
}

fn record() -> String {
    oidc_record("your-realm", "partner-app", "partner-users")
}

#[test]
fn a_huge_scalar_is_reported_in_a_few_lines() {
    let huge = record().replacen(
        "federation:\n",
        &format!("federation:\n  notes: \"{}\"\n", "v".repeat(100_000_000)),
        1,
    );
    let workspace = Workspace::new(&[("partner.yaml", &huge)]);
    let output = validate(&workspace);
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stderr.len() < SMALL, "{} bytes", output.stderr.len());
    assert!(String::from_utf8_lossy(&output.stderr).contains("partner.yaml:2:"));
}

#[test]
fn a_huge_unknown_field_is_reported_in_a_few_lines() {
    let huge = record().replacen(
        "federation:\n",
        &format!("federation:\n  notes: {}\n", "u".repeat(20_000_000)),
        1,
    );
    let workspace = Workspace::new(&[("partner.yaml", &huge)]);
    let output = validate(&workspace);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(output.stderr.len() < SMALL, "{} bytes", output.stderr.len());
    assert!(stderr.contains("unknown field"), "{stderr}");
    assert!(stderr.contains('…'), "{stderr}");
}

#[test]
fn a_warning_past_column_65535_of_a_one_line_record_is_shown() {
    // An OIDC record as one line of JSON, its partner name pushing the rest far right.
    let json = serde_json::json!({"federation": {
        "partner": "P".repeat(70_000),
        "type": "oidc",
        "direction": "your-idp-to-partner-sp",
        "established": "2999-01-01",
        "technical": {
            "your_entity_id": "https://idp.yourorg.example.org/realms/your-realm",
            "client_id": "partner-app",
            "redirect_uris": ["https://oidc.partner.example.org/callback"],
        },
        "access_control": {
            "group": "partner-users",
            "approver": "IT Manager",
            "review_frequency": "annual",
        },
        "attributes_shared": ["email"],
    }});
    let workspace = Workspace::new(&[("partner.yaml", &json.to_string())]);
    let output = validate(&workspace);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("far in the future"), "{stderr}");
    assert!(output.stderr.len() < SMALL, "{} bytes", output.stderr.len());
}

#[test]
fn review_refuses_a_far_future_review_date_without_crashing() {
    let workspace = Workspace::new(&[]);
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/review");
    for entry in std::fs::read_dir(source.join("federations")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path)
            .unwrap()
            .replace("2025-01-15", "9999-12-15");
        workspace.write_record(path.file_name().unwrap().to_str().unwrap(), &text);
    }
    fedctl()
        .arg("review")
        .arg(workspace.records())
        .arg("--realm-file")
        .arg(source.join("realm.json"))
        .args(["--as-of", "2025-06-30"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("far in the future"));
}

#[test]
fn a_zero_timeout_is_refused_before_any_request() {
    let workspace = Workspace::new(&[("partner.yaml", &record())]);
    fedctl()
        .arg("plan")
        .arg("--url")
        .arg("http://127.0.0.1:9")
        .args(["--timeout", "0"])
        .arg(workspace.records())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--timeout"));
}

/// A server that answers every request with an endless body: chunked, or with a
/// `Content-Length` of 2 GiB. It writes until the client hangs up.
fn endless_server(declare_length: bool) -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let framing = if declare_length {
                "Content-Length: 2147483648"
            } else {
                "Transfer-Encoding: chunked"
            };
            let head =
                format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{framing}\r\n\r\n");
            let chunk = vec![b' '; 1 << 20];
            let mut sent = stream.write_all(head.as_bytes());
            for _ in 0..2048 {
                if sent.is_err() {
                    break;
                }
                sent = if declare_length {
                    stream.write_all(&chunk)
                } else {
                    write!(stream, "{:x}\r\n", chunk.len())
                        .and_then(|()| stream.write_all(&chunk))
                        .and_then(|()| stream.write_all(b"\r\n"))
                };
            }
        }
    });
    url
}

#[test]
fn an_endless_token_response_is_refused_with_a_clear_error() {
    for declare_length in [false, true] {
        let url = endless_server(declare_length);
        let workspace = Workspace::new(&[("partner.yaml", &record())]);
        fedctl()
            .env("KEYCLOAK_USER", "admin")
            .env("KEYCLOAK_PASSWORD", "secret-password")
            .env_remove("KEYCLOAK_CLIENT_ID")
            .env_remove("KEYCLOAK_CLIENT_SECRET")
            .arg("plan")
            .arg("--url")
            .arg(&url)
            .arg(workspace.records())
            .assert()
            .code(1)
            .stderr(predicate::str::contains(
                "token endpoint: the answer is larger",
            ));
    }
}

#[test]
fn response_bodies_are_read_up_to_a_limit() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for declare_length in [false, true] {
        let url = endless_server(declare_length);
        let read = runtime.block_on(async {
            let response = reqwest::Client::new().get(&url).send().await.unwrap();
            fedctl::http::read_body(response, 5 * 1024 * 1024).await
        });
        let error = read.unwrap_err();
        assert!(
            matches!(error, fedctl::http::BodyError::TooLarge { .. }),
            "{error}"
        );
        assert_eq!(error.to_string(), "the answer is larger than 5 MB");
    }
}
