//! Client installation providers: every provider for every client, as Keycloak
//! serves them to the admin console's download action.

use crate::common::*;

async fn download(kc: &Kc, client: &str, provider: &str) -> (u16, String, Vec<u8>) {
    let r = kc
        .http
        .get(kc.url(&format!(
            "/admin/realms/master/clients/{client}/installation/providers/{provider}"
        )))
        .bearer_auth(kc.token().await)
        .send()
        .await
        .expect("request");
    let status = r.status().as_u16();
    let content_type = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (
        status,
        content_type,
        r.bytes().await.expect("body").to_vec(),
    )
}

fn text(body: &[u8]) -> String {
    String::from_utf8(body.to_vec()).expect("UTF-8")
}

#[tokio::test]
async fn every_provider_serves_saml_and_oidc_clients() {
    let kc = Kc::start().await;
    let r = kc
        .post(
            "/master/clients",
            json!({ "clientId": "https://sp.example/saml", "protocol": "saml",
                    "attributes": { "saml_name_id_format": "email", "saml.force.post.binding": "true",
                                    "saml_assertion_consumer_url_post": "https://sp.example/acs" } }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let saml = r.id();
    let oidc = kc.client("master", "oidc-app").await;
    let secret = kc
        .get(&format!("/master/clients/{oidc}/client-secret"))
        .await
        .body["value"]
        .clone();

    // keycloak.json, for SAML clients too, as plain text in Jackson's layout.
    let (status, content_type, body) = download(&kc, &oidc, "keycloak-oidc-keycloak-json").await;
    assert_eq!((status, content_type.as_str()), (200, "text/plain"));
    let adapter: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        adapter,
        json!({ "realm": kc.realm_name("master"), "auth-server-url": format!("{}/", kc.base()),
                "ssl-required": "external", "resource": "oidc-app",
                "credentials": { "secret": secret }, "confidential-port": 0 })
    );
    assert!(
        text(&body).starts_with("{\n  \"realm\" : "),
        "{}",
        text(&body)
    );
    let (status, _, body) = download(&kc, &saml, "keycloak-oidc-keycloak-json").await;
    assert_eq!(status, 200);
    let adapter: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(adapter["resource"], "https://sp.example/saml");

    // The WildFly subsystem's secure-deployment.
    let (status, content_type, body) = download(&kc, &oidc, "keycloak-oidc-jboss-subsystem").await;
    assert_eq!((status, content_type.as_str()), (200, "text/plain"));
    let xml = text(&body);
    assert!(
        xml.starts_with("<secure-deployment name=\"WAR MODULE NAME.war\">\n"),
        "{xml}"
    );
    assert!(xml.contains("    <resource>oidc-app</resource>\n"), "{xml}");
    assert!(
        xml.contains("    <ssl-required>EXTERNAL</ssl-required>\n"),
        "{xml}"
    );

    // The client as a SAML SP: its binding, ACS, NameID format and signing key.
    let (status, content_type, body) = download(&kc, &saml, "saml-sp-descriptor").await;
    assert_eq!((status, content_type.as_str()), (200, "text/plain"));
    let xml = text(&body);
    for part in [
        "entityID=\"https://sp.example/saml\"",
        "AuthnRequestsSigned=\"true\" WantAssertionsSigned=\"false\"",
        "<md:KeyDescriptor use=\"signing\">",
        "<md:SingleLogoutService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\" Location=\"ERROR:ENDPOINT_NOT_SET\">",
        "<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>",
        "<md:AssertionConsumerService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\" Location=\"https://sp.example/acs\" isDefault=\"true\" index=\"1\">",
    ] {
        assert!(xml.contains(part), "{part} in {xml}");
    }
    let (_, _, body) = download(&kc, &oidc, "saml-sp-descriptor").await;
    let xml = text(&body);
    assert!(
        xml.contains("AuthnRequestsSigned=\"false\"")
            && xml.contains("bindings:HTTP-Redirect")
            && !xml.contains("KeyDescriptor"),
        "{xml}"
    );

    // mod_auth_mellon: a zip of the client's folder.
    let (status, content_type, zip) = download(&kc, &saml, "mod-auth-mellon").await;
    assert_eq!((status, content_type.as_str()), (200, "application/zip"));
    assert_eq!(&zip[..4], b"PK\x03\x04");
    let names = zip_names(&zip);
    for name in [
        "https:__sp.example_saml/idp-metadata.xml",
        "https:__sp.example_saml/sp-metadata.xml",
        "https:__sp.example_saml/client-private-key.pem",
        "https:__sp.example_saml/client-cert.pem",
    ] {
        assert!(names.iter().any(|n| n == name), "{name} in {names:?}");
    }
    let (_, _, zip) = download(&kc, &oidc, "mod-auth-mellon").await;
    let mut names = zip_names(&zip);
    names.sort();
    assert_eq!(
        names,
        ["oidc-app/idp-metadata.xml", "oidc-app/sp-metadata.xml"]
    );

    let (status, _, body) = download(&kc, &oidc, "saml-idp-descriptor").await;
    assert_eq!(
        (
            status,
            serde_json::from_slice::<serde_json::Value>(&body).unwrap()
        ),
        (404, json!({ "error": "Unknown Provider" }))
    );
}

/// Entry names from a zip's central directory.
fn zip_names(zip: &[u8]) -> Vec<String> {
    let end = zip.len() - 22;
    assert_eq!(
        &zip[end..end + 4],
        b"PK\x05\x06",
        "end of central directory"
    );
    let le16 = |at: usize| u16::from_le_bytes([zip[at], zip[at + 1]]) as usize;
    let le32 =
        |at: usize| u32::from_le_bytes([zip[at], zip[at + 1], zip[at + 2], zip[at + 3]]) as usize;
    let (count, mut at) = (le16(end + 10), le32(end + 16));
    let mut names = Vec::new();
    for _ in 0..count {
        assert_eq!(&zip[at..at + 4], b"PK\x01\x02", "central directory entry");
        let (name_len, extra, comment) = (le16(at + 28), le16(at + 30), le16(at + 32));
        names.push(String::from_utf8_lossy(&zip[at + 46..at + 46 + name_len]).into_owned());
        at += 46 + name_len + extra + comment;
    }
    names
}
