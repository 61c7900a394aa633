//! `fedctl verify` against the real server: the example records pass after apply, and each
//! injected fault is a FAIL with a clear reason. With `FEDCTL_CAPTURE_VERIFY_FIXTURES=1`,
//! `sign_ins_are_captured_as_test_data` also rewrites tests/fixtures/verify/ from this run.

use std::path::Path;

use serde_json::{Value, json};

use crate::common::Workspace;
use crate::server::{Realm, example_records};

const SAML_CLIENT: &str = "https://app.partner.example.org";
const SAML_ACS: &str = "https://app.partner.example.org/saml/acs";
const OIDC_CLIENT: &str = "partner-oidc-portal";
const OIDC_REDIRECT: &str = "https://portal.oidc-partner.example.org/oauth2/callback";
const SAML_RECORD: &str = "partner-example";
const OIDC_RECORD: &str = "partner-oidc-example";

/// Declares user attributes in the realm's user profile (admin-only edit), as the warning of
/// `plan` asks the administrator to.
fn declare(realm: &Realm, names: &[&str]) {
    let mut profile = realm.get("/users/profile");
    let attributes = profile["attributes"].as_array_mut().unwrap();
    for name in names {
        attributes.push(json!({
            "name": name,
            "displayName": name,
            "permissions": {"view": ["admin", "user"], "edit": ["admin"]},
            "multivalued": false
        }));
    }
    put(realm, "/users/profile", &profile);
}

fn undeclare(realm: &Realm, name: &str) {
    let mut profile = realm.get("/users/profile");
    let attributes = profile["attributes"].as_array_mut().unwrap();
    attributes.retain(|a| a["name"] != name);
    put(realm, "/users/profile", &profile);
}

fn put(realm: &Realm, path: &str, body: &Value) {
    let (status, answer) = realm.request(reqwest::Method::PUT, path, Some(body));
    assert!(matches!(status, 200 | 204), "PUT {path}: {status} {answer}");
}

fn delete(realm: &Realm, path: &str) {
    let (status, answer) = realm.request(reqwest::Method::DELETE, path, None);
    assert!(
        matches!(status, 204 | 200),
        "DELETE {path}: {status} {answer}"
    );
}

/// The applied examples, with the runbook's custom attributes declared.
fn applied_examples(test: &str) -> Option<(Realm, Workspace)> {
    let realm = Realm::create(test)?;
    let workspace = example_records(&realm.name);
    declare(&realm, &["displayName", "department"]);
    realm.fedctl(&workspace, "apply", &["--yes"]).success();
    Some((realm, workspace))
}

/// `fedctl verify … --output json`: exit code and the report.
fn verify(
    realm: &Realm,
    workspace: &Workspace,
    extra: &[&str],
    env: &[(&str, &str)],
) -> (i32, Value) {
    let mut args = vec!["--output", "json"];
    args.extend_from_slice(extra);
    let output = realm
        .fedctl_with_env(workspace, "verify", &args, env)
        .get_output()
        .clone();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "verify prints JSON ({e}): {stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output.status.code().unwrap(), report)
}

/// The one check named `check` of `record`: passed, detail.
fn outcome(report: &Value, record: &str, check: &str) -> (bool, String) {
    let found: Vec<&Value> = (report["checks"].as_array().unwrap().iter())
        .filter(|c| c["record"] == record && c["check"] == check)
        .collect();
    assert_eq!(found.len(), 1, "one check {record}/{check} in {report:#}");
    (
        found[0]["passed"].as_bool().unwrap(),
        found[0]["detail"].as_str().unwrap().to_owned(),
    )
}

fn failures(report: &Value) -> Vec<String> {
    (report["checks"].as_array().unwrap().iter())
        .filter(|c| c["passed"] == false)
        .map(|c| format!("{} {}: {}", c["record"], c["check"], c["detail"]))
        .collect()
}

fn synthetic_users_left(realm: &Realm) -> Vec<Value> {
    let found = realm.get("/users?search=fedctl-verify-");
    found.as_array().unwrap().clone()
}

#[test]
fn both_example_records_pass_after_apply_and_the_synthetic_users_are_gone() {
    let Some((realm, workspace)) =
        applied_examples("both_example_records_pass_after_apply_and_the_synthetic_users_are_gone")
    else {
        return;
    };
    let started = std::time::Instant::now();
    let (code, report) = verify(&realm, &workspace, &["--synthetic"], &[]);
    eprintln!("verify of two federations took {:?}", started.elapsed());
    assert_eq!(failures(&report), Vec::<String>::new());
    assert_eq!(code, 0);
    for (record, check) in [
        (SAML_RECORD, "signature"),
        (SAML_RECORD, "attribute department"),
        (SAML_RECORD, "non-member refused"),
        (OIDC_RECORD, "signature"),
        (OIDC_RECORD, "claim groups"),
        (OIDC_RECORD, "non-member refused"),
    ] {
        assert!(outcome(&report, record, check).0, "{record} {check}");
    }
    assert_eq!(synthetic_users_left(&realm), Vec::<Value>::new());

    // The text report: one line per check; the client secret never shows.
    let uuid = realm.client(OIDC_CLIENT)["id"].as_str().unwrap().to_owned();
    let secret = realm.get(&format!("/clients/{uuid}/client-secret"))["value"]
        .as_str()
        .unwrap()
        .to_owned();
    let output = realm
        .fedctl(&workspace, "verify", &["--synthetic", "-vvv"])
        .success()
        .get_output()
        .clone();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!all.contains(&secret), "the client secret leaked");
    assert!(
        all.contains("PASS partner-example  non-member refused: "),
        "{all}"
    );
}

#[test]
fn each_injected_fault_is_a_failure_with_a_clear_reason() {
    let Some((realm, workspace)) =
        applied_examples("each_injected_fault_is_a_failure_with_a_clear_reason")
    else {
        return;
    };
    let password = "Pilot-password-1!";
    let env = [
        ("FEDCTL_VERIFY_MEMBER_PASSWORD", password),
        ("FEDCTL_VERIFY_NON_MEMBER_PASSWORD", password),
    ];
    for (username, groups) in [
        ("pilot", json!(["/partner-example-users"])),
        ("outsider", json!([])),
    ] {
        realm.post(
            "/users",
            &json!({
                "username": username, "enabled": true, "email": format!("{username}@example.org"),
                "emailVerified": true, "firstName": "Pat", "lastName": username,
                "attributes": {"department": ["Research"], "displayName": ["Pat"]},
                "groups": groups,
                "credentials": [{"type": "password", "value": password, "temporary": false}]
            }),
        );
    }
    let named = [
        "--record",
        SAML_RECORD,
        "--member",
        "pilot",
        "--non-member",
        "outsider",
    ];
    let (code, report) = verify(&realm, &workspace, &named, &env);
    assert_eq!(failures(&report), Vec::<String>::new());
    assert_eq!(code, 0);
    let user_id = |name: &str| {
        realm.get(&format!("/users?username={name}&exact=true"))[0]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let group_id = realm.get("/group-by-path/partner-example-users")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let pilot_group = format!("/users/{}/groups/{group_id}", user_id("pilot"));

    // 1. The member is removed from the access group: refused.
    delete(&realm, &pilot_group);
    let (code, report) = verify(&realm, &workspace, &named, &env);
    let (passed, detail) = outcome(&report, SAML_RECORD, "member admitted");
    assert!(!passed && detail.contains("pilot is refused"), "{detail}");
    assert!(detail.contains("partner-example-users"), "{detail}");
    assert_eq!(code, 1);
    put(&realm, &pilot_group, &json!({}));

    // 2. The non-member is granted the client role directly: admitted, a failure.
    let client_uuid = realm.client(SAML_CLIENT)["id"].as_str().unwrap().to_owned();
    let role = realm.get(&format!("/clients/{client_uuid}/roles/access"));
    let grant = format!(
        "/users/{}/role-mappings/clients/{client_uuid}",
        user_id("outsider")
    );
    realm.post(&grant, &json!([role]));
    let (code, report) = verify(&realm, &workspace, &named, &env);
    let (passed, detail) = outcome(&report, SAML_RECORD, "non-member refused");
    assert!(
        !passed && detail.contains("outsider, who is not in group"),
        "{detail}"
    );
    assert!(detail.contains("was admitted"), "{detail}");
    assert_eq!(code, 1);
    let (status, body) = realm.request(reqwest::Method::DELETE, &grant, Some(&json!([role])));
    assert_eq!(status, 204, "{body}");

    // 3. A mapper deleted by hand: the attribute is missing.
    let mappers = realm.get(&format!("/clients/{client_uuid}/protocol-mappers/models"));
    let email = (mappers.as_array().unwrap().iter())
        .find(|m| m["name"] == "email")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    delete(
        &realm,
        &format!("/clients/{client_uuid}/protocol-mappers/models/{email}"),
    );
    let (code, report) = verify(&realm, &workspace, &named, &env);
    let (passed, detail) = outcome(&report, SAML_RECORD, "attribute email");
    assert!(
        !passed && detail.contains("email is not released"),
        "{detail}"
    );
    assert_eq!(code, 1);
    realm.fedctl(&workspace, "apply", &["--yes"]).success();

    // 4. The realm's signing key is rotated after the partner got our metadata.
    realm
        .fedctl(&workspace, "export-metadata", &["--out", "handoff"])
        .success();
    let exported = workspace
        .records()
        .parent()
        .unwrap()
        .join("handoff/partner-example-idp-metadata.xml");
    let exported = exported.to_str().unwrap().to_owned();
    let realm_id = realm.get("")["id"].as_str().unwrap().to_owned();
    realm.post(
        "/components",
        &json!({
            "name": "rotated", "providerId": "rsa-generated",
            "providerType": "org.keycloak.keys.KeyProvider", "parentId": realm_id,
            "config": {"priority": ["500"], "algorithm": ["RS256"], "keySize": ["2048"]}
        }),
    );
    let with_export = [&named[..], &["--idp-metadata", &exported]].concat();
    let (code, report) = verify(&realm, &workspace, &with_export, &env);
    let (passed, detail) = outcome(&report, SAML_RECORD, "signature");
    assert!(!passed, "{detail}");
    assert!(
        detail.contains("does not verify against our IdP metadata's signing certificate"),
        "{detail}"
    );
    assert_eq!(code, 1);
    // Against what Keycloak serves now (both keys), it verifies.
    let (_, report) = verify(&realm, &workspace, &named, &env);
    assert!(outcome(&report, SAML_RECORD, "signature").0);

    // 5. A custom attribute missing from the user profile.
    undeclare(&realm, "department");
    let (code, report) = verify(&realm, &workspace, &named, &env);
    let (passed, detail) = outcome(&report, SAML_RECORD, "user profile department");
    assert!(
        !passed && detail.contains("not declared in the realm's user profile"),
        "{detail}"
    );
    let (passed, detail) = outcome(&report, SAML_RECORD, "attribute department");
    assert!(!passed, "{detail}");
    assert_eq!(code, 1);
    // plan warns about it too.
    realm
        .fedctl(&workspace, "plan", &[])
        .success()
        .stderr(predicates::str::contains(
            "releases user attribute department, which the realm's user profile does not declare",
        ));
}

#[test]
fn sign_ins_are_captured_as_test_data() {
    let Some((realm, _workspace)) = applied_examples("sign_ins_are_captured_as_test_data") else {
        return;
    };
    let password = "Capture-password-1!";
    realm.post(
        "/users",
        &json!({
            "username": "capture", "enabled": true, "email": "capture@example.org",
            "emailVerified": true, "firstName": "Cap", "lastName": "Ture",
            "attributes": {"department": ["Research"], "displayName": ["Cap Ture"]},
            "groups": ["/partner-example-users", "/partners/oidc-partner-users"],
            "credentials": [{"type": "password", "value": password, "temporary": false}]
        }),
    );
    let descriptor = realm.public("/protocol/saml/descriptor");
    let entity = fedctl::saml::read_idp_descriptor(descriptor.as_bytes()).unwrap();
    let signers: Vec<_> = (entity.idp.iter())
        .flat_map(|idp| idp.role.keys.iter())
        .filter_map(|key| key.certificate.as_ref().ok().cloned())
        .collect();
    let jwks = realm.public("/protocol/openid-connect/certs");
    let realm_url = url::Url::parse(&format!("{}/realms/{}", realm.url, realm.name)).unwrap();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let secret_of = |client_id: &str| {
        let uuid = realm.client(client_id)["id"].as_str().unwrap().to_owned();
        let value = realm.get(&format!("/clients/{uuid}/client-secret"))["value"].clone();
        fedctl::keycloak::admin::secret::Secret::new(value.as_str().unwrap())
    };
    let password = fedctl::keycloak::admin::secret::Secret::new(password);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let secret = secret_of(OIDC_CLIENT);
    let (signed, xml, id_token) = runtime.block_on(async {
        // The entry point other checks use: sign in and verify against our metadata.
        let signed = fedctl::verify::saml::signed_response(
            http.clone(),
            &realm_url,
            SAML_CLIENT,
            SAML_ACS,
            "capture",
            &password,
            &signers,
        )
        .await;
        let start = fedctl::verify::saml::Start::SpInitiated {
            entity_id: SAML_CLIENT,
            acs: SAML_ACS,
        };
        let xml = match fedctl::verify::saml::sign_in(
            http.clone(),
            &realm_url,
            &start,
            "capture",
            &password,
        )
        .await
        {
            Ok(fedctl::verify::browser::SignIn::Issued(issued)) => issued.xml,
            _ => panic!("a member gets a Response"),
        };
        let client = fedctl::verify::oidc::Client {
            client_id: OIDC_CLIENT,
            redirect_uri: OIDC_REDIRECT,
            secret: Some(&secret),
        };
        let token = match fedctl::verify::oidc::sign_in(
            http.clone(),
            &realm_url,
            &client,
            "capture",
            &password,
        )
        .await
        {
            Ok(fedctl::verify::browser::SignIn::Issued(issued)) => issued.id_token,
            _ => panic!("a member gets an ID token"),
        };
        (signed, xml, token.expose().to_owned())
    });
    let signed = signed.unwrap_or_else(|reason| panic!("{reason}"));
    assert_eq!(signed.signed, "the Response and the assertion");
    let jwks_value: Value = serde_json::from_str(&jwks).unwrap();
    fedctl::verify::id_token::verify_signature(&id_token, &jwks_value).unwrap();

    if std::env::var("FEDCTL_CAPTURE_VERIFY_FIXTURES").as_deref() == Ok("1") {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/verify");
        std::fs::create_dir_all(&dir).unwrap();
        // Byte for byte as the server sent them (the XML and the token are signed).
        std::fs::write(dir.join("saml-response.xml"), &xml).unwrap();
        std::fs::write(dir.join("idp-descriptor.xml"), &descriptor).unwrap();
        std::fs::write(dir.join("id-token.jwt"), &id_token).unwrap();
        std::fs::write(dir.join("jwks.json"), &jwks).unwrap();
        std::fs::write(dir.join("realm.txt"), format!("{realm_url}\n")).unwrap();
    }
}

#[test]
fn a_client_requiring_signed_requests_is_verified_through_idp_initiated_sso() {
    let Some(realm) =
        Realm::create("a_client_requiring_signed_requests_is_verified_through_idp_initiated_sso")
    else {
        return;
    };
    declare(&realm, &["displayName", "department"]);
    let record = crate::common::runbook_record(&realm.name).replace(
        "    partner_acs:",
        "    idp_initiated_sso_url_name: \"partner-example\"\n    partner_acs:",
    );
    let workspace = Workspace::new(&[("partner-example.yaml", &record)]);
    realm.fedctl(&workspace, "apply", &["--yes"]).success();
    let uuid = realm.client(SAML_CLIENT)["id"].as_str().unwrap().to_owned();
    assert_eq!(
        realm.client(SAML_CLIENT)["attributes"]["saml_idp_initiated_sso_url_name"],
        "partner-example"
    );
    // As when the partner's metadata says it signs its requests: fedctl cannot sign one.
    let require_signed_requests = || {
        put(
            &realm,
            &format!("/clients/{uuid}"),
            &json!({"attributes": {"saml.client.signature": "true"}}),
        );
    };
    require_signed_requests();
    let (code, report) = verify(&realm, &workspace, &["--synthetic"], &[]);
    assert_eq!(failures(&report), Vec::<String>::new());
    assert_eq!(code, 0);
    let (_, detail) = outcome(&report, SAML_RECORD, "sign-in");
    assert!(
        detail.contains("IdP-initiated through URL name partner-example"),
        "{detail}"
    );

    // Without the URL name (off by default) there is no way in: a failure that says why.
    workspace.write_record(
        "partner-example.yaml",
        &crate::common::runbook_record(&realm.name),
    );
    realm.fedctl(&workspace, "apply", &["--yes"]).success();
    require_signed_requests();
    let (code, report) = verify(&realm, &workspace, &["--synthetic"], &[]);
    let (passed, detail) = outcome(&report, SAML_RECORD, "sign-in");
    assert!(
        !passed && detail.contains("requires signed AuthnRequests"),
        "{detail}"
    );
    assert_eq!(code, 1);
}
