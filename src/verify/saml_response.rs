//! The SAML Response Keycloak would POST to the partner's ACS: its XML signature, and what
//! the signed content says (destination, audience, NameID format, validity, attributes).
//!
//! A valid signature only means something if the values read are the values signed. So the
//! structure is pinned first (one Response, exactly one Assertion as its direct child, every
//! signature a direct child of the element it references, IDs unique), xmlsec1 verifies the
//! signature, and every value is then read from the content xmlsec1 reports its digest
//! covered, never from the received document: a wrapped assertion is refused, and even a
//! wrapping the structural rules missed could not feed an unsigned value to the checks.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::expect::{ExpectedAttribute, check_values};
use super::report::Outcome;
use super::xml_tree::{self, DS, Element, SAML, SAMLP};
use crate::saml::{ALLOWED_TRANSFORMS, SignatureError, verify_xml_signature};
use crate::x509::CertInfo;

/// The assertion and response as signed content, with what carried the signature.
#[derive(Debug, Clone)]
pub struct Signed {
    /// The Response: from the signed content when the Response is signed, else as received
    /// (then only its Destination and status are read from it, and said to be unsigned).
    pub response: Element,
    pub assertion: Element,
    /// `the Response`, `the assertion` or `the Response and the assertion`.
    pub signed: &'static str,
}

/// What the Response must say.
#[derive(Debug, Clone)]
pub struct Expected<'a> {
    pub acs: &'a str,
    pub audience: &'a str,
    pub issuer: &'a str,
    /// The AuthnRequest ID (SP-initiated).
    pub request_id: Option<&'a str>,
    pub name_id_format: &'a str,
    pub attributes: &'a [ExpectedAttribute],
    pub now: OffsetDateTime,
}

/// How far the IdP's clock may be from ours before it is reported as a failure: partners'
/// SAML libraries typically tolerate one to three minutes.
pub const MAX_SKEW_SECONDS: i64 = 60;

const RESPONSE_SIGNATURE: &str = "/*[local-name()='Response' and namespace-uri()='urn:oasis:names:tc:SAML:2.0:protocol']/*[local-name()='Signature' and namespace-uri()='http://www.w3.org/2000/09/xmldsig#']";
const ASSERTION_SIGNATURE: &str = "/*/*[local-name()='Assertion' and namespace-uri()='urn:oasis:names:tc:SAML:2.0:assertion']/*[local-name()='Signature' and namespace-uri()='http://www.w3.org/2000/09/xmldsig#']";

/// Verifies the Response (decoded from base64) against our realm's signing certificates and
/// returns the signed content to check. The error is the reason, for a FAIL line.
pub fn verify_signature(xml: &[u8], signers: &[CertInfo]) -> Result<Signed, String> {
    let received =
        xml_tree::parse(xml).map_err(|e| format!("the Response is not readable XML: {e}"))?;
    if !received.is(SAMLP, "Response") {
        return Err(format!(
            "the message is {{{}}}{}, not a SAML Response",
            received.ns, received.local
        ));
    }
    check_structure(&received)?;
    let assertion = received.child(SAML, "Assertion").expect("checked");
    let response_signed = received.child(DS, "Signature").is_some();
    let assertion_signed = assertion.child(DS, "Signature").is_some();
    let id_attrs = [format!("{SAMLP}:Response"), format!("{SAML}:Assertion")];
    let verify = |owner: &Element, xpath: &str| -> Result<Element, String> {
        check_reference(owner)?;
        let content = verify_xml_signature(xml, signers, &id_attrs, Some(xpath))
            .map_err(|e| signature_failure(&e))?;
        let signed = xml_tree::parse(&content)
            .map_err(|e| format!("the signed content is not readable XML: {e}"))?;
        if signed.ns != owner.ns
            || signed.local != owner.local
            || signed.attr("ID") != owner.attr("ID")
        {
            return Err("the signature covers another element than the one it sits in".into());
        }
        Ok(signed)
    };
    let signed_assertion = if assertion_signed {
        Some(verify(assertion, ASSERTION_SIGNATURE)?)
    } else {
        None
    };
    if response_signed {
        let response = verify(&received, RESPONSE_SIGNATURE)?;
        let assertion = response
            .child(SAML, "Assertion")
            .ok_or("the signed Response holds no assertion")?
            .clone();
        let signed = if assertion_signed {
            "the Response and the assertion"
        } else {
            "the Response"
        };
        return Ok(Signed {
            response,
            assertion,
            signed,
        });
    }
    match signed_assertion {
        Some(assertion) => Ok(Signed {
            response: received,
            assertion,
            signed: "the assertion",
        }),
        None => Err("neither the Response nor the assertion is signed".into()),
    }
}

/// The wrapping defences: one assertion, where the schema puts it; signatures only on the
/// Response and the assertion; no ID used twice.
fn check_structure(response: &Element) -> Result<(), String> {
    let all = response.walk();
    let assertions = (all.iter()).filter(|e| e.is(SAML, "Assertion")).count();
    let encrypted = (all.iter()).any(|e| e.is(SAML, "EncryptedAssertion"));
    if encrypted {
        return Err(
            "the assertion is encrypted for the partner; fedctl cannot read it without the \
             partner's private key, so its content was not checked"
                .into(),
        );
    }
    let direct = response.children_named(SAML, "Assertion").count();
    if assertions != 1 || direct != 1 {
        return Err(format!(
            "the Response holds {assertions} assertion(s), {direct} of them where the schema \
             puts it; exactly one is accepted (signature wrapping)"
        ));
    }
    let assertion = response.child(SAML, "Assertion").expect("counted");
    let placed = response.children_named(DS, "Signature").count()
        + assertion.children_named(DS, "Signature").count();
    let signatures = (all.iter()).filter(|e| e.is(DS, "Signature")).count();
    if signatures != placed || placed > 2 {
        return Err(format!(
            "the Response holds {signatures} signature(s), not only one on the Response and one \
             on the assertion (signature wrapping)"
        ));
    }
    let mut ids: Vec<&str> = all.iter().filter_map(|e| e.attr("ID")).collect();
    ids.sort_unstable();
    if let Some(pair) = ids.windows(2).find(|pair| pair[0] == pair[1]) {
        return Err(format!(
            "ID {:?} is used twice, so a signature reference is ambiguous (signature wrapping)",
            pair[0]
        ));
    }
    Ok(())
}

/// The signature of `owner` must have exactly one reference, to `owner` itself, with only
/// canonicalisation and enveloped-signature transforms.
fn check_reference(owner: &Element) -> Result<(), String> {
    let what = &owner.local;
    let signature = owner.child(DS, "Signature").expect("checked");
    let references: Vec<&Element> = signature
        .child(DS, "SignedInfo")
        .map(|info| info.children_named(DS, "Reference").collect())
        .unwrap_or_default();
    let [reference] = references.as_slice() else {
        return Err(format!(
            "the {what} signature has {} references; exactly one, to the {what}, is accepted",
            references.len()
        ));
    };
    let id = owner.attr("ID").unwrap_or_default();
    let uri = reference.attr("URI").unwrap_or_default();
    if id.is_empty() || uri.strip_prefix('#') != Some(id) {
        return Err(format!(
            "the {what} signature references {uri:?}, not the {what} it sits in (#{id})"
        ));
    }
    let transforms = reference
        .child(DS, "Transforms")
        .map(|t| t.children_named(DS, "Transform").collect::<Vec<_>>())
        .unwrap_or_default();
    if let Some(bad) = transforms
        .iter()
        .filter_map(|t| t.attr("Algorithm"))
        .find(|a| !ALLOWED_TRANSFORMS.contains(a))
    {
        return Err(format!(
            "the {what} signature uses transform {bad:?}; only canonicalisation is accepted"
        ));
    }
    Ok(())
}

/// A signature failure as a partner's administrator reads it.
fn signature_failure(error: &SignatureError) -> String {
    match error {
        SignatureError::DigestMismatch { .. } => {
            "the signature does not verify: the content was changed after signing (digest mismatch)"
                .into()
        }
        SignatureError::WrongSigner { signers, .. } => format!(
            "the signature does not verify against our IdP metadata's signing certificate(s) \
             ({signers}): Keycloak signs with a key the partner does not have (certificate \
             mismatch: send the partner our current metadata)"
        ),
        other => format!("the signature does not verify: {other}"),
    }
}

/// Every check of the signed content, by name.
pub fn check(signed: &Signed, expected: &Expected<'_>) -> Vec<(String, Outcome)> {
    let response = &signed.response;
    let assertion = &signed.assertion;
    let unsigned = if signed.signed == "the assertion" {
        " (the Response itself is unsigned)"
    } else {
        ""
    };
    let mut checks = vec![
        ("status".to_owned(), status(response)),
        (
            "destination".to_owned(),
            equals(
                "Destination",
                response.attr("Destination"),
                expected.acs,
                unsigned,
            ),
        ),
        (
            "recipient".to_owned(),
            equals(
                "Recipient",
                confirmation(assertion).and_then(|c| c.attr("Recipient")),
                expected.acs,
                "",
            ),
        ),
        (
            "issuer".to_owned(),
            equals(
                "Issuer",
                assertion.child(SAML, "Issuer").map(|i| i.text.trim()),
                expected.issuer,
                "",
            ),
        ),
        (
            "audience".to_owned(),
            equals("Audience", audience(assertion), expected.audience, ""),
        ),
        (
            "NameID format".to_owned(),
            equals(
                "NameID Format",
                name_id(assertion).and_then(|n| n.attr("Format")),
                expected.name_id_format,
                "",
            ),
        ),
        ("validity".to_owned(), validity(assertion, expected.now)),
    ];
    if let Some(request_id) = expected.request_id {
        checks.push((
            "in response to".to_owned(),
            equals(
                "InResponseTo",
                response.attr("InResponseTo"),
                request_id,
                unsigned,
            ),
        ));
    }
    for attribute in expected.attributes {
        let Some((name, friendly, format)) = &attribute.saml else {
            continue;
        };
        checks.push((
            format!("attribute {}", attribute.name),
            check_attribute(assertion, attribute, name, friendly.as_deref(), format),
        ));
    }
    checks
}

fn status(response: &Element) -> Outcome {
    let code = response
        .child(SAMLP, "Status")
        .and_then(|s| s.child(SAMLP, "StatusCode"))
        .and_then(|c| c.attr("Value"))
        .unwrap_or("(none)");
    if code == "urn:oasis:names:tc:SAML:2.0:status:Success" {
        Ok("Success".into())
    } else {
        Err(format!("status {code}, not Success"))
    }
}

fn equals(what: &str, found: Option<&str>, expected: &str, note: &str) -> Outcome {
    match found {
        Some(found) if found == expected => Ok(format!("{found}{note}")),
        Some(found) => Err(format!("{what} is {found:?}, expected {expected:?}{note}")),
        None => Err(format!("no {what}, expected {expected:?}")),
    }
}

fn subject(assertion: &Element) -> Option<&Element> {
    assertion.child(SAML, "Subject")
}

fn name_id(assertion: &Element) -> Option<&Element> {
    subject(assertion)?.child(SAML, "NameID")
}

fn confirmation(assertion: &Element) -> Option<&Element> {
    subject(assertion)?
        .child(SAML, "SubjectConfirmation")?
        .child(SAML, "SubjectConfirmationData")
}

fn audience(assertion: &Element) -> Option<&str> {
    let audience = assertion
        .child(SAML, "Conditions")?
        .child(SAML, "AudienceRestriction")?
        .child(SAML, "Audience")?;
    Some(audience.text.trim())
}

/// The assertion is valid now, and the IdP's clock (its IssueInstant) is close to ours.
fn validity(assertion: &Element, now: OffsetDateTime) -> Outcome {
    let time = |value: Option<&str>, what: &str| -> Result<OffsetDateTime, String> {
        let value = value.ok_or(format!("no {what}"))?;
        OffsetDateTime::parse(value, &Rfc3339).map_err(|e| format!("{what} {value:?}: {e}"))
    };
    let conditions = assertion.child(SAML, "Conditions");
    let issued = time(assertion.attr("IssueInstant"), "IssueInstant")?;
    let not_before = time(conditions.and_then(|c| c.attr("NotBefore")), "NotBefore")?;
    let not_after = time(
        conditions.and_then(|c| c.attr("NotOnOrAfter")),
        "NotOnOrAfter",
    )?;
    let skew = (issued - now).whole_seconds();
    let clock = match skew {
        0 => "the IdP's clock agrees with ours".to_owned(),
        s if s > 0 => format!("the IdP's clock is {s} s ahead of ours"),
        s => format!("the IdP's clock is {} s behind ours", -s),
    };
    let window = format!(
        "valid {} to {} ({} s)",
        rfc3339(not_before),
        rfc3339(not_after),
        (not_after - not_before).whole_seconds()
    );
    if now < not_before || now >= not_after {
        return Err(format!(
            "not valid now ({}): {window}; {clock} (clock skew or assertion validity window)",
            rfc3339(now)
        ));
    }
    if skew.abs() > MAX_SKEW_SECONDS {
        return Err(format!(
            "{clock}, more than {MAX_SKEW_SECONDS} s: partners will reject assertions (clock skew); {window}"
        ));
    }
    Ok(format!("{window}; {clock}"))
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_else(|_| at.to_string())
}

fn check_attribute(
    assertion: &Element,
    expected: &ExpectedAttribute,
    name: &str,
    friendly: Option<&str>,
    format: &str,
) -> Outcome {
    let released: Vec<&Element> = assertion
        .children_named(SAML, "AttributeStatement")
        .flat_map(|s| s.children_named(SAML, "Attribute"))
        .filter(|a| a.attr("Name") == Some(name))
        .collect();
    for attribute in &released {
        if attribute.attr("FriendlyName") != friendly {
            return Err(format!(
                "{name} has FriendlyName {:?}, the attribute profile promises {friendly:?}",
                attribute.attr("FriendlyName")
            ));
        }
        let found = attribute
            .attr("NameFormat")
            .unwrap_or("urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified");
        if found != format {
            return Err(format!(
                "{name} has NameFormat {found:?}, the attribute profile promises {format:?}"
            ));
        }
    }
    let values: Vec<String> = released
        .iter()
        .flat_map(|a| a.children_named(SAML, "AttributeValue"))
        .map(|v| v.text.trim().to_owned())
        .collect();
    check_values(expected, &values).map(|ok| format!("{name}: {ok}"))
}
