//! §8.2 paging defaults.

use crate::common::*;

#[tokio::test]
async fn users_and_members_default_to_100() {
    let kc = Kc::start().await;
    let g = kc.add_group("master", "/crowd").await;
    for i in 0..105 {
        let u = kc.add_user("master", &format!("user{i:03}")).await;
        kc.add_member("master", &u, &g).await;
    }
    assert_eq!(
        kc.get("/master/users").await.body.as_array().unwrap().len(),
        100
    );
    assert_eq!(
        kc.get("/master/users?first=100")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        6
    );
    assert_eq!(kc.get("/master/users/count").await.body, json!(106));
    assert_eq!(
        kc.get(&format!("/master/groups/{g}/members"))
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        100
    );
    assert_eq!(
        kc.get(&format!("/master/groups/{g}/members?max=-1"))
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        105
    );
    let found = kc
        .get("/master/users?username=user007&exact=true")
        .await
        .body;
    assert_eq!(found.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn clients_have_no_default_page_and_roles_page_only_with_both() {
    let kc = Kc::start().await;
    for i in 0..3 {
        kc.client("master", &format!("c{i}")).await;
    }
    let all = kc
        .get("/master/clients")
        .await
        .body
        .as_array()
        .unwrap()
        .len();
    assert_eq!(
        all, 9,
        "the 6 built-in clients of a realm and the 3 created ones"
    );
    assert_eq!(
        kc.get("/master/clients?first=1&max=2")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let roles = kc.get("/master/roles").await.body.as_array().unwrap().len();
    assert_eq!(
        kc.get("/master/roles?max=1")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        roles
    );
    assert_eq!(
        kc.get("/master/roles?first=0&max=1")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn role_holders_and_identity_providers_default_to_100() {
    let kc = Kc::start().await;
    kc.add_realm_role("master", "crowd").await;
    for i in 0..101 {
        let name = format!("holder{i:03}");
        let u = kc.add_user("master", &name).await;
        kc.grant_user_role("master", &u, "crowd").await;
        let idp = json!({ "alias": format!("idp{i:03}"), "providerId": "oidc", "config": {} });
        assert_eq!(
            kc.post("/master/identity-provider/instances", idp)
                .await
                .status,
            201
        );
    }
    assert_eq!(
        kc.get("/master/roles/crowd/users")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        100
    );
    assert_eq!(
        kc.get("/master/roles/crowd/users?first=100")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let idps = kc.get("/master/identity-provider/instances").await.body;
    assert_eq!(idps.as_array().unwrap().len(), 100);
    assert_eq!(idps[0]["alias"], "idp000");
    assert_eq!(
        kc.get("/master/identity-provider/instances?search=idp10*")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
}
