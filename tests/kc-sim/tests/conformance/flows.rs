//! §6: flows, copies, executions, requirements, priorities, configs.

use crate::common::*;

async fn executions(kc: &Kc, alias: &str) -> Vec<serde_json::Value> {
    let r = kc
        .get(&format!(
            "/master/authentication/flows/{}/executions",
            alias.replace(' ', "%20")
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body.as_array().unwrap().clone()
}

#[tokio::test]
async fn built_in_flows_exist_and_are_protected() {
    let kc = Kc::start().await;
    let flows = kc.get("/master/authentication/flows").await.body;
    let aliases: Vec<&str> = flows
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["alias"].as_str().unwrap())
        .collect();
    for a in [
        "browser",
        "direct grant",
        "registration",
        "reset credentials",
        "clients",
        "first broker login",
        "docker auth",
    ] {
        assert!(aliases.contains(&a), "{a}");
    }
    let browser = flows
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["alias"] == "browser")
        .unwrap();
    assert_eq!(browser["builtIn"], true);
    assert_eq!(
        browser["authenticationExecutions"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()["flowAlias"],
        "forms"
    );
    let r = kc
        .delete(&format!(
            "/master/authentication/flows/{}",
            browser["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(
        (r.status, r.body),
        (400, json!({ "error": "Can't delete built in flow" }))
    );
    let r = kc
        .post(
            "/master/authentication/flows/browser/executions/execution",
            json!({ "provider": "auth-cookie" }),
        )
        .await;
    assert_eq!(
        (r.status, r.body),
        (
            400,
            json!({ "error": "It is illegal to add execution to a built in flow" })
        )
    );
}

#[tokio::test]
async fn copy_names_subflows_after_the_new_flow() {
    let kc = Kc::start().await;
    kc.post(
        "/master/authentication/flows/browser/copy",
        json!({ "newName": "restricted" }),
    )
    .await;
    let rows = executions(&kc, "restricted").await;
    let forms = rows
        .iter()
        .find(|r| r["displayName"] == "restricted forms")
        .expect("copied sub-flow");
    assert_eq!(
        (forms["level"].clone(), forms["authenticationFlow"].clone()),
        (json!(0), json!(true))
    );
    let inner = rows
        .iter()
        .find(|r| r["providerId"] == "auth-username-password-form")
        .unwrap();
    assert_eq!(inner["level"], 1);
    assert_eq!(inner.get("authenticationFlow"), None);
    let flows = kc.get("/master/authentication/flows").await.body;
    let flow = flows
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["alias"] == "restricted")
        .unwrap();
    assert_eq!(flow["builtIn"], false);
}

#[tokio::test]
async fn recipe_gate_with_role_condition() {
    let kc = Kc::start().await;
    kc.post("/master/authentication/flows", json!({ "alias": "restrict-app", "providerId": "basic-flow", "topLevel": true, "builtIn": false })).await;
    let gate = kc
        .post(
            "/master/authentication/flows/restrict-app/executions/flow",
            json!({ "alias": "restrict-app gate", "type": "basic-flow" }),
        )
        .await;
    assert_eq!(gate.status, 201);
    let cond = kc
        .post(
            "/master/authentication/flows/restrict-app%20gate/executions/execution",
            json!({ "provider": "conditional-user-role" }),
        )
        .await;
    let deny = kc
        .post(
            "/master/authentication/flows/restrict-app%20gate/executions/execution",
            json!({ "provider": "deny-access-authenticator" }),
        )
        .await;
    assert_eq!((cond.status, deny.status), (201, 201));
    let rows = executions(&kc, "restrict-app").await;
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|r| r["requirement"] == "DISABLED"));
    // Requirements are set through the top-level alias, even for nested rows.
    for row in &rows {
        let mut row = row.clone();
        row["requirement"] = json!(if row["authenticationFlow"] == true {
            "CONDITIONAL"
        } else {
            "REQUIRED"
        });
        assert_eq!(
            kc.put("/master/authentication/flows/restrict-app/executions", row)
                .await
                .status,
            204
        );
    }
    let rows = executions(&kc, "restrict-app").await;
    assert_eq!(rows[0]["requirement"], "CONDITIONAL");
    assert_eq!(
        (
            rows[1]["requirement"].clone(),
            rows[1]["index"].clone(),
            rows[1]["level"].clone()
        ),
        (json!("REQUIRED"), json!(0), json!(1))
    );
    let cfg = kc.post(&format!("/master/authentication/executions/{}/config", cond.id()), json!({ "alias": "role-cfg", "config": { "condUserRole": "app.access", "negate": "true" } })).await;
    assert_eq!(cfg.status, 201);
    let rows = executions(&kc, "restrict-app").await;
    assert_eq!(
        (
            rows[1]["alias"].clone(),
            rows[1]["authenticationConfig"].clone()
        ),
        (json!("role-cfg"), json!(cfg.id()))
    );
    let got = kc
        .get(&format!("/master/authentication/config/{}", cfg.id()))
        .await
        .body;
    assert_eq!(got["config"]["condUserRole"], "app.access");
    assert_eq!(
        kc.put(
            &format!("/master/authentication/config/{}", cfg.id()),
            json!({ "alias": "role-cfg", "config": { "condUserRole": "x" } })
        )
        .await
        .status,
        204
    );
    let empty = kc
        .post(
            &format!("/master/authentication/executions/{}/config", cond.id()),
            json!({ "alias": "", "config": {} }),
        )
        .await;
    assert_eq!(
        (empty.status, empty.body),
        (
            409,
            json!({ "errorMessage": "Failed to create authentication execution configuration with empty alias name" })
        )
    );
    assert_eq!(
        kc.delete(&format!("/master/authentication/config/{}", cfg.id()))
            .await
            .status,
        204
    );
    assert_eq!(
        kc.get(&format!("/master/authentication/config/{}", cfg.id()))
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn priority_rule_from_25_on() {
    for (version, expected) in [(26, json!(0)), (24, json!(null))] {
        let Some(kc) = Kc::version(version).await else {
            continue;
        };
        kc.post(
            "/master/authentication/flows",
            json!({ "alias": "f", "providerId": "basic-flow", "topLevel": true }),
        )
        .await;
        kc.post(
            "/master/authentication/flows/f/executions/execution",
            json!({ "provider": "auth-cookie" }),
        )
        .await;
        let e2 = kc
            .post(
                "/master/authentication/flows/f/executions/execution",
                json!({ "provider": "auth-otp-form" }),
            )
            .await
            .id();
        let row = executions(&kc, "f").await[1].clone();
        let mut body = row.clone();
        body.as_object_mut().unwrap().remove("priority");
        assert_eq!(
            kc.put("/master/authentication/flows/f/executions", body)
                .await
                .status,
            204
        );
        let stored = kc
            .get(&format!("/master/authentication/executions/{e2}"))
            .await
            .body["priority"]
            .clone();
        match version {
            26 => assert_eq!(stored, expected, "a body without priority resets it to 0"),
            _ => assert_eq!(stored, json!(1), "no priority handling before 25"),
        }
        assert!(executions(&kc, "f").await[0].get("priority").is_some() == (version >= 25));
    }
}

#[tokio::test]
async fn raise_lower_and_delete_executions() {
    let kc = Kc::start().await;
    kc.post(
        "/master/authentication/flows",
        json!({ "alias": "f", "providerId": "basic-flow", "topLevel": true }),
    )
    .await;
    let a = kc
        .post(
            "/master/authentication/flows/f/executions/execution",
            json!({ "provider": "auth-cookie" }),
        )
        .await
        .id();
    let b = kc
        .post(
            "/master/authentication/flows/f/executions/execution",
            json!({ "provider": "auth-otp-form" }),
        )
        .await
        .id();
    assert_eq!(
        kc.post(
            &format!("/master/authentication/executions/{b}/raise-priority"),
            json!(null)
        )
        .await
        .status,
        204
    );
    let ids: Vec<serde_json::Value> = executions(&kc, "f")
        .await
        .iter()
        .map(|r| r["id"].clone())
        .collect();
    assert_eq!(ids, [json!(b), json!(a)]);
    kc.post(
        &format!("/master/authentication/executions/{b}/lower-priority"),
        json!(null),
    )
    .await;
    assert_eq!(executions(&kc, "f").await[0]["id"], json!(a));
    assert_eq!(
        kc.delete(&format!("/master/authentication/executions/{a}"))
            .await
            .status,
        204
    );
    assert_eq!(executions(&kc, "f").await.len(), 1);
    let r = kc.get("/master/authentication/executions/nope").await;
    assert_eq!(
        (r.status, r.body),
        (404, json!({ "error": "Illegal execution" }))
    );
}

#[tokio::test]
async fn bound_flows_cannot_be_deleted() {
    let kc = Kc::start().await;
    let flow = kc
        .post(
            "/master/authentication/flows",
            json!({ "alias": "f", "providerId": "basic-flow", "topLevel": true }),
        )
        .await
        .id();
    let client = kc.client("master", "app").await;
    kc.put(
        &format!("/master/clients/{client}"),
        json!({ "authenticationFlowBindingOverrides": { "browser": flow } }),
    )
    .await;
    let r = kc
        .delete(&format!("/master/authentication/flows/{flow}"))
        .await;
    assert_eq!(
        (r.status, r.body),
        (
            500,
            json!({ "error": "unknown_error", "error_description": "For more on this error consult the server log." })
        )
    );
    kc.put(
        &format!("/master/clients/{client}"),
        json!({ "authenticationFlowBindingOverrides": { "browser": "" } }),
    )
    .await;
    assert_eq!(
        kc.delete(&format!("/master/authentication/flows/{flow}"))
            .await
            .status,
        204
    );
}

#[tokio::test]
async fn unknown_provider_and_parent() {
    let kc = Kc::start().await;
    kc.post(
        "/master/authentication/flows",
        json!({ "alias": "f", "providerId": "basic-flow", "topLevel": true }),
    )
    .await;
    let r = kc
        .post(
            "/master/authentication/flows/f/executions/execution",
            json!({ "provider": "nope" }),
        )
        .await;
    assert_eq!(
        (r.status, r.body),
        (
            400,
            json!({ "error": "No authentication provider found for id: nope" })
        )
    );
    let r = kc
        .post(
            "/master/authentication/flows/nope/executions/flow",
            json!({ "alias": "x", "type": "basic-flow" }),
        )
        .await;
    assert_eq!(
        (r.status, r.body),
        (400, json!({ "errorMessage": "Parent flow doesn't exist" }))
    );
    let r = kc
        .post(
            "/master/authentication/flows",
            json!({ "alias": "", "providerId": "basic-flow" }),
        )
        .await;
    assert_eq!(
        (r.status, r.body),
        (
            409,
            json!({ "errorMessage": "Failed to create flow with empty alias name" })
        )
    );
}

#[tokio::test]
async fn flow_list_keeps_creation_order_and_hides_saml_ecp() {
    let kc = Kc::start().await;
    for alias in ["zeta", "alpha"] {
        let flow = json!({ "alias": alias, "providerId": "basic-flow", "topLevel": true });
        let r = kc.post("/master/authentication/flows", flow).await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let flows = kc.get("/master/authentication/flows").await.body;
    let aliases: Vec<&str> = flows
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["alias"].as_str().unwrap())
        .collect();
    assert_eq!(
        aliases,
        [
            "browser",
            "direct grant",
            "registration",
            "reset credentials",
            "clients",
            "first broker login",
            "docker auth",
            "zeta",
            "alpha"
        ]
    );
}

#[tokio::test]
async fn flow_update_answers_204_without_a_body() {
    let kc = Kc::start().await;
    let flow = json!({ "alias": "mine", "providerId": "basic-flow", "topLevel": true });
    let id = kc.post("/master/authentication/flows", flow).await.id();
    let r = kc
        .put(
            &format!("/master/authentication/flows/{id}"),
            json!({ "alias": "renamed", "description": "d", "providerId": "basic-flow", "topLevel": true, "builtIn": false }),
        )
        .await;
    assert_eq!((r.status, r.text.as_str()), (204, ""));
    let r = kc.get(&format!("/master/authentication/flows/{id}")).await;
    assert_eq!(
        (r.body["alias"].clone(), r.body["description"].clone()),
        (json!("renamed"), json!("d"))
    );
    let r = kc
        .put(
            &format!("/master/authentication/flows/{id}"),
            json!({ "alias": "browser", "description": "d" }),
        )
        .await;
    assert_eq!(
        (r.status, r.body),
        (
            409,
            json!({ "errorMessage": "Flow alias name already exists" })
        )
    );
}

#[tokio::test]
async fn registration_page_form_is_a_form_provider_not_a_form_action() {
    let kc = Kc::start().await;
    let forms = kc.get("/master/authentication/form-providers").await.body;
    assert_eq!(
        forms,
        json!([{ "displayName": "Registration Page", "description": "This is the controller for the registration page", "id": "registration-page-form" }])
    );
    let actions = kc
        .get("/master/authentication/form-action-providers")
        .await
        .body;
    let mut ids: Vec<&str> = actions
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    ids.sort();
    assert_eq!(
        ids,
        [
            "registration-password-action",
            "registration-recaptcha-action",
            "registration-recaptcha-enterprise",
            "registration-terms-and-conditions",
            "registration-user-creation"
        ]
    );
    // A form sub-flow takes the form provider; its executions are form actions.
    let top = json!({ "alias": "reg", "providerId": "basic-flow", "topLevel": true });
    kc.post("/master/authentication/flows", top).await;
    let form =
        json!({ "alias": "reg form", "type": "form-flow", "provider": "registration-page-form" });
    let r = kc
        .post("/master/authentication/flows/reg/executions/flow", form)
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = kc
        .post(
            "/master/authentication/flows/reg%20form/executions/execution",
            json!({ "provider": "registration-user-creation" }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = kc
        .post(
            "/master/authentication/flows/reg%20form/executions/execution",
            json!({ "provider": "registration-page-form" }),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
}
