//! §4.3 user search. (Custom attributes are not searched here: Keycloak 26's user
//! profile drops unmanaged attributes unless the realm enables them.)

use crate::common::*;

#[tokio::test]
async fn q_searches_built_in_fields() {
    let kc = Kc::start().await;
    let ann = kc.add_user("master", "ann").await;
    kc.add_user("master", "bob").await;
    let mut rep = kc.get(&format!("/master/users/{ann}")).await.body;
    rep["attributes"] = json!({ "team": ["blue"] });
    assert_eq!(
        kc.put(&format!("/master/users/{ann}"), rep).await.status,
        204
    );
    let names = |r: Res| -> Vec<String> {
        r.body
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["username"].as_str().unwrap().to_string())
            .collect()
    };
    for (q, want) in [
        ("email:ann@example.org", vec!["ann"]),
        ("email:ANN@", vec!["ann"]),
        ("email:example.org", vec!["admin", "ann", "bob"]),
        ("email:nobody@example.org", vec![]),
        ("firstName:bob", vec!["bob"]),
        ("email:example.org%20username:bob", vec!["bob"]),
    ] {
        let r = kc.get(&format!("/master/users?q={q}")).await;
        assert_eq!(names(r), want, "{q}");
    }
    let exact = kc.get("/master/users?q=email:ANN@&exact=true").await;
    assert_eq!(names(exact), Vec::<String>::new());
}

#[tokio::test]
async fn the_user_profile_checks_usernames_and_drops_unmanaged_attributes() {
    let kc = Kc::start().await;
    for short in ["u", "ab"] {
        let r = kc.post("/master/users", json!({ "username": short })).await;
        assert_eq!(
            (r.status, r.body),
            (
                400,
                json!({ "field": "username", "errorMessage": "error-invalid-length", "params": ["username", 3, 255] })
            ),
            "{short}"
        );
    }
    let r = kc
        .post(
            "/master/users",
            json!({ "username": "abc", "attributes": { "department": ["sales"], "firstName": ["Abe"] } }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let user = kc.get(&format!("/master/users/{}", r.id())).await.body;
    assert_eq!(
        user["firstName"], "Abe",
        "a managed attribute sets its field"
    );
    assert!(user.get("attributes").is_none(), "{user}");
    // An update may not add one either.
    let mut rep = user.clone();
    rep["attributes"] = json!({ "department": ["sales"] });
    let r = kc
        .put(
            &format!("/master/users/{}", user["id"].as_str().unwrap()),
            rep,
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let after = kc
        .get(&format!("/master/users/{}", user["id"].as_str().unwrap()))
        .await
        .body;
    assert!(after.get("attributes").is_none(), "{after}");
}
