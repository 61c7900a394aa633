//! §7: keys with settable not-after, SAML descriptor, discovery, JWKS, converter.

use crate::common::*;
use kc_sim::Simulator;

#[tokio::test]
async fn keys_carry_certificates_with_the_configured_not_after() {
    let not_after = time::macros::datetime!(2031-03-04 00:00 UTC);
    let Some(kc) = Kc::sim_only(
        Simulator::builder().key_not_after(not_after),
        "the key's not-after date is a simulator setting",
    )
    .await
    else {
        return;
    };
    let keys = kc.get("/master/keys").await.body;
    let rs = keys["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["algorithm"] == "RS256")
        .unwrap();
    assert_eq!(rs["validTo"], json!(not_after.unix_timestamp() * 1000));
    assert_eq!(
        (rs["type"].clone(), rs["use"].clone(), rs["status"].clone()),
        (json!("RSA"), json!("SIG"), json!("ACTIVE"))
    );
    assert!(rs["certificate"].as_str().unwrap().starts_with("MII"));
    assert_ne!(rs["providerId"], "rsa-generated");
    assert_eq!(keys["active"]["RS256"], rs["kid"]);
}

#[tokio::test]
async fn saml_descriptor_is_exact() {
    let kc = Kc::start().await;
    let r = kc
        .http
        .get(kc.url("/realms/master/protocol/saml/descriptor"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "application/xml;charset=UTF-8");
    assert_eq!(r.headers()["cache-control"], "no-cache");
    let xml = r.text().await.unwrap();
    let keys = kc.get("/master/keys").await.body;
    let rs = keys["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["algorithm"] == "RS256")
        .unwrap();
    let iss = kc.url("/realms/master");
    let b = "urn:oasis:names:tc:SAML:2.0:bindings:";
    let want = format!(
        "<md:EntityDescriptor xmlns=\"urn:oasis:names:tc:SAML:2.0:metadata\" xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" entityID=\"{iss}\">\
<md:IDPSSODescriptor WantAuthnRequestsSigned=\"true\" protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">\
<md:KeyDescriptor use=\"signing\"><ds:KeyInfo><ds:KeyName>{kid}</ds:KeyName><ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>\
<md:ArtifactResolutionService Binding=\"{b}SOAP\" Location=\"{iss}/protocol/saml/resolve\" index=\"0\"></md:ArtifactResolutionService>\
<md:SingleLogoutService Binding=\"{b}HTTP-POST\" Location=\"{iss}/protocol/saml\"></md:SingleLogoutService>\
<md:SingleLogoutService Binding=\"{b}HTTP-Redirect\" Location=\"{iss}/protocol/saml\"></md:SingleLogoutService>\
<md:SingleLogoutService Binding=\"{b}HTTP-Artifact\" Location=\"{iss}/protocol/saml\"></md:SingleLogoutService>\
<md:SingleLogoutService Binding=\"{b}SOAP\" Location=\"{iss}/protocol/saml\"></md:SingleLogoutService>\
<md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>\
<md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:transient</md:NameIDFormat>\
<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified</md:NameIDFormat>\
<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>\
<md:SingleSignOnService Binding=\"{b}HTTP-POST\" Location=\"{iss}/protocol/saml\"></md:SingleSignOnService>\
<md:SingleSignOnService Binding=\"{b}HTTP-Redirect\" Location=\"{iss}/protocol/saml\"></md:SingleSignOnService>\
<md:SingleSignOnService Binding=\"{b}SOAP\" Location=\"{iss}/protocol/saml\"></md:SingleSignOnService>\
<md:SingleSignOnService Binding=\"{b}HTTP-Artifact\" Location=\"{iss}/protocol/saml\"></md:SingleSignOnService>\
</md:IDPSSODescriptor></md:EntityDescriptor>",
        kid = rs["kid"].as_str().unwrap(),
        cert = rs["certificate"].as_str().unwrap(),
    );
    assert_eq!(xml, want);
    let r = kc
        .http
        .get(kc.url("/realms/nope/protocol/saml/descriptor"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn discovery_and_jwks() {
    let kc = Kc::start().await;
    let d: serde_json::Value = kc
        .http
        .get(kc.url("/realms/master/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(d["issuer"], kc.url("/realms/master"));
    assert_eq!(
        d["token_endpoint"],
        kc.url("/realms/master/protocol/openid-connect/token")
    );
    let jwks: serde_json::Value = kc
        .http
        .get(d["jwks_uri"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let sig = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["use"] == "sig")
        .unwrap();
    assert_eq!(
        (sig["kty"].clone(), sig["alg"].clone()),
        (json!("RSA"), json!("RS256"))
    );
    assert_eq!(
        sig["kid"],
        kc.get("/master/keys").await.body["active"]["RS256"]
    );
    assert!(sig["x5c"][0].is_string() && sig["x5t#S256"].is_string());
}

#[tokio::test]
async fn converter_reads_sp_metadata() {
    let kc = Kc::start().await;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/keycloak/client-descriptions_saml-entity-descriptor.xml");
    let xml = std::fs::read_to_string(path).unwrap();
    let r = kc
        .http
        .post(kc.url("/admin/realms/master/client-description-converter"))
        .bearer_auth(kc.token().await)
        .header("content-type", "application/xml")
        .body(xml)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let c: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        (c["clientId"].clone(), c["protocol"].clone()),
        (json!("loadbalancer-9.siroe.com"), json!("saml"))
    );
    assert_eq!(c["attributes"]["saml.client.signature"], "true");
    assert_eq!(c["attributes"]["saml.encrypt"], "true");
    assert!(c["attributes"]["saml_single_logout_service_url_redirect"].is_string());
    assert!(!c["redirectUris"].as_array().unwrap().is_empty());
    let r = kc
        .raw(
            reqwest::Method::POST,
            "/master/client-description-converter",
            "hello",
        )
        .await;
    assert_eq!(
        (r.status, r.body),
        (400, json!({ "error": "Unsupported format" }))
    );
}
