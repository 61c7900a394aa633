//! Every realm export in the fixtures loads.

use crate::common::*;
use kc_sim::Simulator;
use std::path::PathBuf;

fn fixtures() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/keycloak");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .filter(|p| {
            !p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("client-descriptions")
        })
        .collect();
    files.sort();
    files
}

#[tokio::test]
async fn every_fixture_loads_and_serves() {
    let files = fixtures();
    assert!(files.len() >= 10);
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let realm = serde_json::from_str::<serde_json::Value>(&text).unwrap()["realm"]
            .as_str()
            .unwrap()
            .to_string();
        let Some(kc) = Kc::sim_only(
            Simulator::builder().import_file(&f).unwrap(),
            "realm files imported at start are a simulator setting",
        )
        .await
        else {
            return;
        };
        for path in [
            "",
            "/clients",
            "/groups",
            "/roles",
            "/users",
            "/authentication/flows",
            "/identity-provider/instances",
            "/keys",
        ] {
            let r = kc.get(&format!("/{realm}{path}")).await;
            assert_eq!(r.status, 200, "{} {path}: {}", f.display(), r.text);
        }
        let flows = kc.get(&format!("/{realm}/authentication/flows")).await.body;
        for flow in flows.as_array().unwrap() {
            let alias = flow["alias"].as_str().unwrap();
            let r = kc
                .get(&format!(
                    "/{realm}/authentication/flows/{}/executions",
                    alias.replace(' ', "%20")
                ))
                .await;
            assert_eq!(r.status, 200, "{} {alias}", f.display());
        }
    }
}

#[tokio::test]
async fn imported_content_is_visible() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/keycloak");
    let Some(kc) = Kc::sim_only(
        Simulator::builder()
            .import_file(dir.join("kc26.5.5-saml-test-yo1000.json"))
            .unwrap(),
        "realm files imported at start are a simulator setting",
    )
    .await
    else {
        return;
    };
    let text = std::fs::read_to_string(dir.join("kc26.5.5-saml-test-yo1000.json")).unwrap();
    let export: serde_json::Value = serde_json::from_str(&text).unwrap();
    let realm = export["realm"].as_str().unwrap();
    let saml = export["clients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["protocol"] == "saml")
        .unwrap();
    let cid = saml["clientId"].as_str().unwrap();
    let found = kc
        .get(&format!("/{realm}/clients?clientId={}", urlencode(cid)))
        .await
        .body;
    assert_eq!(found[0]["protocol"], "saml");
    assert_eq!(found[0]["id"], saml["id"]);
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn realm_export_can_be_posted() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/keycloak");
    let kc = Kc::start().await;
    let text = std::fs::read_to_string(dir.join("testrealm.json")).unwrap();
    let mut realm: serde_json::Value = serde_json::from_str(&text).unwrap();
    // The test's own realm name; the realm's id is the server's to choose, and every
    // other id the file fixes (credentials' ids are unique server-wide) is fresh per run.
    realm["realm"] = json!(kc.realm_name("test"));
    realm.as_object_mut().unwrap().remove("id");
    let mut fresh = std::collections::HashMap::new();
    collect_ids(&realm, &mut fresh);
    replace_ids(&mut realm, &fresh);
    let r = kc.post("", realm).await;
    assert_eq!(r.status, 201, "{}", r.text);
}

/// Every `id` the document fixes, each with a new uuid.
fn collect_ids(value: &serde_json::Value, fresh: &mut std::collections::HashMap<String, String>) {
    match value {
        serde_json::Value::Object(map) => {
            if let Some(id) = map.get("id").and_then(|v| v.as_str()) {
                fresh.insert(id.to_string(), uuid::Uuid::new_v4().to_string());
            }
            map.values().for_each(|v| collect_ids(v, fresh));
        }
        serde_json::Value::Array(list) => list.iter().for_each(|v| collect_ids(v, fresh)),
        _ => {}
    }
}

/// Replaces those ids wherever they appear (as ids or as references to them).
fn replace_ids(value: &mut serde_json::Value, fresh: &std::collections::HashMap<String, String>) {
    match value {
        serde_json::Value::String(s) => {
            if let Some(new) = fresh.get(s.as_str()) {
                *s = new.clone();
            }
        }
        serde_json::Value::Object(map) => map.values_mut().for_each(|v| replace_ids(v, fresh)),
        serde_json::Value::Array(list) => list.iter_mut().for_each(|v| replace_ids(v, fresh)),
        _ => {}
    }
}
