//! Fault injection and request counting, through the library and `/_sim/`.

use crate::common::*;
use kc_sim::Simulator;
use kc_sim::{FailNth, Faults};
use std::time::{Duration, Instant};

async fn sim() -> Option<Kc> {
    Kc::sim_only(
        Simulator::builder(),
        "fault injection and request counts are simulator controls",
    )
    .await
}

#[tokio::test]
async fn latency_is_added() {
    let Some(kc) = sim().await else {
        return;
    };
    kc.sim().set_faults(Faults {
        latency_ms: 150,
        ..Faults::default()
    });
    let t = Instant::now();
    assert_eq!(kc.get("/master").await.status, 200);
    assert!(t.elapsed() >= Duration::from_millis(150));
}

#[tokio::test]
async fn rate_limited_with_retry_after() {
    let Some(kc) = sim().await else {
        return;
    };
    kc.sim().set_faults(Faults {
        fail_rate: 1.0,
        fail_statuses: vec![429],
        retry_after_secs: Some(7),
        ..Faults::default()
    });
    let r = kc.get("/master/clients").await;
    assert_eq!((r.status, r.header("retry-after")), (429, Some("7".into())));
    // /_sim is never faulted.
    let f = kc.http.get(kc.url("/_sim/faults")).send().await.unwrap();
    assert_eq!(f.status(), 200);
}

#[tokio::test]
async fn dropped_connections_get_no_response() {
    let Some(kc) = sim().await else {
        return;
    };
    kc.sim().set_faults(Faults {
        drop_rate: 1.0,
        ..Faults::default()
    });
    let r = kc
        .http
        .get(kc.url("/admin/realms/master"))
        .bearer_auth(kc.token().await)
        .send()
        .await;
    assert!(r.is_err(), "expected a connection error, got {r:?}");
    kc.sim().clear_faults();
    assert_eq!(kc.get("/master").await.status, 200);
}

#[tokio::test]
async fn fail_nth_fails_exactly_the_nth_matching_request() {
    let Some(kc) = sim().await else {
        return;
    };
    let body = json!({ "fail_nth": { "route": "GET /admin/realms/{realm}/clients", "n": 3, "status": 503 } });
    let r = kc
        .http
        .post(kc.url("/_sim/faults"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        kc.sim().faults().fail_nth,
        Some(FailNth {
            route: "GET /admin/realms/{realm}/clients".into(),
            n: 3,
            status: 503
        })
    );
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(kc.get("/master/clients").await.status);
        kc.get("/master").await;
    }
    assert_eq!(statuses, [200, 200, 503, 200]);
}

#[tokio::test]
async fn a_failing_descriptor_is_an_empty_200_as_in_keycloak() {
    let Some(kc) = sim().await else {
        return;
    };
    let descriptor = kc.url("/realms/master/protocol/saml/descriptor");
    kc.sim().set_faults(Faults {
        descriptor_fails: true,
        ..Faults::default()
    });
    let r = kc.http.get(&descriptor).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/xml;charset=UTF-8");
    assert_eq!(r.headers()["cache-control"], "no-cache");
    assert_eq!(r.text().await.unwrap(), "");
    // Only the descriptor: the admin API and OIDC discovery still answer.
    assert_eq!(kc.get("/master/clients").await.status, 200);
    let discovery = kc
        .http
        .get(kc.url("/realms/master/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap();
    assert_eq!(discovery.status(), 200);
    // An unknown realm is still a 404, as the realm lookup comes first.
    let r = kc
        .http
        .get(kc.url("/realms/nope/protocol/saml/descriptor"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    kc.sim().clear_faults();
    let r = kc.http.get(&descriptor).send().await.unwrap();
    assert!(r.text().await.unwrap().starts_with("<md:EntityDescriptor"));
}

#[tokio::test]
async fn request_counts_by_route_template() {
    let Some(kc) = sim().await else {
        return;
    };
    kc.sim().reset_counts();
    let id = kc.client("master", "x").await;
    kc.get(&format!("/master/clients/{id}")).await;
    kc.put(&format!("/master/clients/{id}"), json!({})).await;
    let c = kc.sim().request_counts();
    assert_eq!(c.get("GET /admin/realms/{realm}/clients/{id}"), 1);
    assert_eq!(c.get("PUT /admin/realms/{realm}/clients/{id}"), 1);
    assert_eq!(c.get("POST /admin/realms/{realm}/clients"), 1);
    assert_eq!((c.total, c.writes), (3, 2));
    let over_http: serde_json::Value = kc
        .http
        .get(kc.url("/_sim/requests"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        over_http["routes"]["PUT /admin/realms/{realm}/clients/{id}"],
        1
    );
    kc.http
        .delete(kc.url("/_sim/requests"))
        .send()
        .await
        .unwrap();
    assert_eq!(kc.sim().request_counts().total, 0);
}

#[tokio::test]
async fn unknown_fault_settings_are_rejected() {
    let Some(kc) = sim().await else {
        return;
    };
    let r = kc
        .http
        .post(kc.url("/_sim/faults"))
        .json(&json!({ "latency": 5 }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}
