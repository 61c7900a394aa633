//! Location headers of every create (the created id is the last segment).

use crate::common::*;

#[tokio::test]
async fn client_group_user_locations_carry_uuids() {
    let kc = Kc::start().await;
    let admin = kc.url("/admin/realms/master");
    let r = kc
        .post(
            "/master/clients",
            json!({ "clientId": "c", "protocol": "openid-connect" }),
        )
        .await;
    assert_eq!(
        r.location(),
        format!(
            "{admin}/clients/{}",
            kc.get("/master/clients?clientId=c").await.body[0]["id"]
                .as_str()
                .unwrap()
        )
    );
    assert_eq!(r.text, "");
    let r = kc.post("/master/groups", json!({ "name": "g" })).await;
    assert_eq!(r.location(), format!("{admin}/groups/{}", r.id()));
    assert_eq!(
        kc.get(&format!("/master/groups/{}", r.id())).await.status,
        200
    );
    let r = kc.post("/master/users", json!({ "username": "usr" })).await;
    assert_eq!(
        kc.get(&format!("/master/users/{}", r.id())).await.body["username"],
        "usr"
    );
}

#[tokio::test]
async fn roles_are_located_by_url_encoded_name() {
    let kc = Kc::start().await;
    let id = kc.client("master", "app").await;
    let r = kc
        .post(
            &format!("/master/clients/{id}/roles"),
            json!({ "name": "read only/x" }),
        )
        .await;
    assert_eq!(
        r.location(),
        kc.url(&format!(
            "/admin/realms/master/clients/{id}/roles/read%20only%2Fx"
        ))
    );
    let r = kc.post("/master/roles", json!({ "name": "ops" })).await;
    assert_eq!(r.location(), kc.url("/admin/realms/master/roles/ops"));
    assert_eq!(kc.get("/master/clients").await.status, 200);
    let fetched = kc
        .get(&format!("/master/clients/{id}/roles/read%20only%2Fx"))
        .await;
    assert_eq!(fetched.body["name"], "read only/x");
}

#[tokio::test]
async fn identity_providers_are_located_by_alias() {
    let kc = Kc::start().await;
    let r = kc
        .post(
            "/master/identity-provider/instances",
            json!({ "alias": "partner-idp", "providerId": "oidc", "config": {} }),
        )
        .await;
    assert_eq!(
        r.location(),
        kc.url("/admin/realms/master/identity-provider/instances/partner-idp")
    );
    let m = kc
        .post("/master/identity-provider/instances/partner-idp/mappers", json!({ "name": "m", "identityProviderAlias": "partner-idp", "identityProviderMapper": "hardcoded-attribute-idp-mapper", "config": {} }))
        .await;
    assert_eq!(
        m.location(),
        kc.url(&format!(
            "/admin/realms/master/identity-provider/instances/partner-idp/mappers/{}",
            m.id()
        ))
    );
}

#[tokio::test]
async fn flow_locations_copy_execution_subflow_config() {
    let kc = Kc::start().await;
    let r = kc
        .post(
            "/master/authentication/flows/browser/copy",
            json!({ "newName": "restricted" }),
        )
        .await;
    assert_eq!(r.status, 201);
    let flow = kc
        .get(&format!("/master/authentication/flows/{}", r.id()))
        .await
        .body;
    assert_eq!(
        r.location(),
        kc.url(&format!(
            "/admin/realms/master/authentication/flows/browser/copy/{}",
            flow["id"].as_str().unwrap()
        ))
    );
    assert_eq!(flow["alias"], "restricted");
    let e = kc
        .post(
            "/master/authentication/flows/restricted/executions/execution",
            json!({ "provider": "deny-access-authenticator" }),
        )
        .await;
    assert_eq!(
        e.location(),
        kc.url(&format!(
            "/admin/realms/master/authentication/executions/{}",
            e.id()
        ))
    );
    let s = kc
        .post(
            "/master/authentication/flows/restricted/executions/flow",
            json!({ "alias": "gate", "type": "basic-flow" }),
        )
        .await;
    assert_eq!(
        s.location(),
        kc.url(&format!(
            "/admin/realms/master/authentication/flows/{}",
            s.id()
        ))
    );
    assert_eq!(
        kc.get(&format!("/master/authentication/flows/{}", s.id()))
            .await
            .body["alias"],
        "gate"
    );
    let c = kc
        .post(
            &format!("/master/authentication/executions/{}/config", e.id()),
            json!({ "alias": "deny-cfg", "config": { "denyErrorMessage": "no" } }),
        )
        .await;
    assert_eq!(
        c.location(),
        kc.url(&format!(
            "/admin/realms/master/authentication/executions/{}/config/{}",
            e.id(),
            c.id()
        ))
    );
}

#[tokio::test]
async fn protocol_mapper_location() {
    let kc = Kc::start().await;
    let id = kc.client("master", "app").await;
    let r = kc
        .post(&format!("/master/clients/{id}/protocol-mappers/models"), json!({ "name": "g", "protocol": "openid-connect", "protocolMapper": "oidc-group-membership-mapper", "config": {} }))
        .await;
    assert_eq!(
        r.location(),
        kc.url(&format!(
            "/admin/realms/master/clients/{id}/protocol-mappers/models/{}",
            r.id()
        ))
    );
    let m = kc
        .get(&format!(
            "/master/clients/{id}/protocol-mappers/models/{}",
            r.id()
        ))
        .await
        .body;
    assert_eq!(m["consentRequired"], false);
}

#[tokio::test]
async fn trailing_slashes_are_ignored_like_resteasy() {
    let kc = Kc::start().await;
    let r = kc
        .post(
            "/",
            json!({ "realm": kc.realm_name("slash"), "enabled": true }),
        )
        .await;
    assert_eq!(
        (r.status, r.location()),
        (201, kc.url("/admin/realms/slash"))
    );
    assert_eq!(kc.get("/slash/clients/").await.status, 200);
}
