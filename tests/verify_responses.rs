//! The Response and ID-token checks of `fedctl verify` on what a real Keycloak (26.7.3)
//! issued (tests/fixtures/verify/, captured by the real-Keycloak tier), and on tampered
//! variants derived here: a changed attribute value, a wrapped assertion, another signer, a
//! forged token.

mod common;

use fedctl::record::attribute::AttributeSource;
use fedctl::verify::expect::{ExpectedAttribute, ExpectedValue};
use fedctl::verify::{id_token, saml_response};
use fedctl::x509::{CertInfo, parse_pem};
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

const ACS: &str = "https://app.partner.example.org/saml/acs";
const AUDIENCE: &str = "https://app.partner.example.org";

fn read(name: &str) -> String {
    std::fs::read_to_string(common::fixture(&format!("verify/{name}"))).unwrap()
}

fn issuer() -> String {
    read("realm.txt").trim().to_owned()
}

/// Our realm's signing certificate, from the IdP descriptor Keycloak served.
fn signers() -> Vec<CertInfo> {
    let descriptor = read("idp-descriptor.xml");
    let entity = fedctl::saml::read_idp_descriptor(descriptor.as_bytes()).unwrap();
    let idp = entity.idp.unwrap();
    idp.role
        .keys
        .iter()
        .filter_map(|key| key.certificate.as_ref().ok().cloned())
        .collect()
}

fn response() -> String {
    read("saml-response.xml")
}

/// The first `<dsig:Signature>…</dsig:Signature>` (the Response's own) cut out.
fn without_response_signature(xml: &str) -> String {
    let start = xml.find("<dsig:Signature").unwrap();
    let end = xml.find("</dsig:Signature>").unwrap() + "</dsig:Signature>".len();
    format!("{}{}", &xml[..start], &xml[end..])
}

fn attribute(name: &str, saml_name: &str, value: &str) -> ExpectedAttribute {
    ExpectedAttribute {
        name: name.into(),
        source: AttributeSource::Attribute(saml_name.into()),
        saml: Some((
            saml_name.into(),
            Some(saml_name.into()),
            "urn:oasis:names:tc:SAML:2.0:attrname-format:basic".into(),
        )),
        claim: Some(saml_name.into()),
        value: ExpectedValue::Equals(value.into()),
    }
}

fn issue_instant(xml: &str) -> OffsetDateTime {
    let at = xml.find("IssueInstant=\"").unwrap() + "IssueInstant=\"".len();
    let end = xml[at..].find('"').unwrap() + at;
    OffsetDateTime::parse(&xml[at..end], &Rfc3339).unwrap()
}

fn saml_checks(xml: &str, now: OffsetDateTime) -> Vec<(String, Result<String, String>)> {
    let signed = saml_response::verify_signature(xml.as_bytes(), &signers()).unwrap();
    let issuer = issuer();
    let attributes = [
        attribute("department", "department", "Research"),
        attribute("display_name", "displayName", "Cap Ture"),
    ];
    let expected = saml_response::Expected {
        acs: ACS,
        audience: AUDIENCE,
        issuer: &issuer,
        request_id: None,
        name_id_format: "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
        attributes: &attributes,
        now,
    };
    saml_response::check(&signed, &expected)
}

#[test]
fn the_captured_response_verifies_and_says_what_the_record_promises() {
    let xml = response();
    let signed = saml_response::verify_signature(xml.as_bytes(), &signers()).unwrap();
    assert_eq!(signed.signed, "the Response and the assertion");
    let checks = saml_checks(&xml, issue_instant(&xml));
    let failed: Vec<_> = checks.iter().filter(|(_, o)| o.is_err()).collect();
    assert!(failed.is_empty(), "{failed:?}");
    let names: Vec<&str> = checks.iter().map(|(n, _)| n.as_str()).collect();
    for name in [
        "destination",
        "recipient",
        "audience",
        "NameID format",
        "validity",
    ] {
        assert!(names.contains(&name), "{names:?}");
    }
}

#[test]
fn a_response_signed_on_the_assertion_only_still_verifies() {
    let xml = without_response_signature(&response());
    let signed = saml_response::verify_signature(xml.as_bytes(), &signers()).unwrap();
    assert_eq!(signed.signed, "the assertion");
}

#[test]
fn a_changed_attribute_value_breaks_the_signature() {
    let xml = response().replace(">Research<", ">Finance<");
    let reason = saml_response::verify_signature(xml.as_bytes(), &signers()).unwrap_err();
    assert!(reason.contains("changed after signing"), "{reason}");
    // Also when only the assertion carries a signature.
    let xml = without_response_signature(&response()).replace(">Research<", ">Finance<");
    let reason = saml_response::verify_signature(xml.as_bytes(), &signers()).unwrap_err();
    assert!(reason.contains("changed after signing"), "{reason}");
}

#[test]
fn a_wrapped_assertion_is_rejected() {
    // The classic wrapping: the signed assertion moves into an extension, a forged one with
    // another value takes its place; the assertion signature still verifies by its ID.
    let xml = without_response_signature(&response());
    let start = xml.find("<saml:Assertion").unwrap();
    let end = xml.find("</saml:Assertion>").unwrap() + "</saml:Assertion>".len();
    let original = &xml[start..end];
    let forged =
        original
            .replace(">Research<", ">Finance<")
            .replacen("ID=\"ID_", "ID=\"forged_", 1);
    let wrapped = format!(
        "{}<samlp:Extensions>{original}</samlp:Extensions>{forged}{}",
        &xml[..start],
        &xml[end..]
    );
    let reason = saml_response::verify_signature(wrapped.as_bytes(), &signers()).unwrap_err();
    assert!(reason.contains("signature wrapping"), "{reason}");

    // The same ID twice: a reference that could mean either element.
    let doubled = format!("{}{original}{original}{}", &xml[..start], &xml[end..]);
    let reason = saml_response::verify_signature(doubled.as_bytes(), &signers()).unwrap_err();
    assert!(reason.contains("signature wrapping"), "{reason}");
}

#[test]
fn a_signature_by_another_key_does_not_verify_against_our_metadata() {
    let pem = std::fs::read_to_string(common::fixture(
        "saml-metadata/certs/python3-saml_signed_metadata_settings1_signer_extracted.pem",
    ))
    .unwrap();
    let other = parse_pem(&pem).unwrap();
    let reason = saml_response::verify_signature(response().as_bytes(), &other).unwrap_err();
    assert!(
        reason.contains("does not verify against our IdP metadata's signing certificate"),
        "{reason}"
    );
}

#[test]
fn an_expired_assertion_and_a_skewed_clock_are_reported() {
    let xml = response();
    let later = issue_instant(&xml) + time::Duration::minutes(2);
    let checks = saml_checks(&xml, later);
    let (_, validity) = checks.iter().find(|(n, _)| n == "validity").unwrap();
    let reason = validity.clone().unwrap_err();
    assert!(reason.contains("not valid now"), "{reason}");
    assert!(reason.contains("120 s behind ours"), "{reason}");
}

#[test]
fn the_wrong_acs_and_audience_are_failures() {
    let xml = response();
    let signed = saml_response::verify_signature(xml.as_bytes(), &signers()).unwrap();
    let issuer = issuer();
    let expected = saml_response::Expected {
        acs: "https://other.example.org/acs",
        audience: "https://other.example.org",
        issuer: &issuer,
        request_id: Some("_not-ours"),
        name_id_format: "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
        attributes: &[attribute("department", "department", "Finance")],
        now: issue_instant(&xml),
    };
    let failed: Vec<String> = saml_response::check(&signed, &expected)
        .into_iter()
        .filter(|(_, o)| o.is_err())
        .map(|(n, _)| n)
        .collect();
    assert_eq!(
        failed,
        [
            "destination",
            "recipient",
            "audience",
            "NameID format",
            "in response to",
            "attribute department"
        ]
    );
}

fn jwks() -> Value {
    serde_json::from_str(&read("jwks.json")).unwrap()
}

#[test]
fn the_captured_id_token_verifies_and_carries_the_promised_claims() {
    let token = read("id-token.jwt");
    let claims = id_token::verify_signature(token.trim(), &jwks()).unwrap();
    let issuer = issuer();
    let nonce = claims["nonce"].as_str().unwrap().to_owned();
    let now = OffsetDateTime::from_unix_timestamp(claims["iat"].as_i64().unwrap()).unwrap();
    let mut email = attribute("email", "email", "capture@example.org");
    email.source = AttributeSource::Property("email".into());
    let mut groups = attribute("groups", "groups", "oidc-partner-users");
    groups.source = AttributeSource::Groups;
    let attributes = [email, groups];
    let expected = id_token::Expected {
        issuer: &issuer,
        client_id: "partner-oidc-portal",
        nonce: &nonce,
        attributes: &attributes,
        now,
    };
    let checks = id_token::check(&claims, &expected);
    let failed: Vec<_> = checks.iter().filter(|(_, o)| o.is_err()).collect();
    assert!(failed.is_empty(), "{failed:?}");

    let wrong = id_token::Expected {
        client_id: "another-client",
        nonce: "another-nonce",
        now: now + time::Duration::hours(1),
        ..expected
    };
    let failed: Vec<String> = id_token::check(&claims, &wrong)
        .into_iter()
        .filter(|(_, o)| o.is_err())
        .map(|(n, _)| n)
        .collect();
    assert_eq!(failed, ["audience", "nonce", "validity"]);
}

#[test]
fn a_forged_id_token_is_refused() {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let token = read("id-token.jwt");
    let parts: Vec<&str> = token.trim().split('.').collect();
    let mut payload: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    payload["email"] = "mallory@example.org".into();
    let forged_payload = URL_SAFE_NO_PAD.encode(payload.to_string());
    let forged = format!("{}.{forged_payload}.{}", parts[0], parts[2]);
    let reason = id_token::verify_signature(&forged, &jwks()).unwrap_err();
    assert!(reason.contains("does not verify"), "{reason}");

    // "alg": "none" is never accepted.
    let none = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","kid":"x"}"#);
    let reason =
        id_token::verify_signature(&format!("{none}.{forged_payload}."), &jwks()).unwrap_err();
    assert!(reason.contains("only RS256"), "{reason}");
}
