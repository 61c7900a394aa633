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
