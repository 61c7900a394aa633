//! The partner's SP metadata as Keycloak holds it. A record has no field for a partner
//! certificate: it names metadata (`partner_metadata`) instead, so an imported SAML client
//! whose signing or encryption certificate is in use gets a small metadata document with
//! them, written beside the record. Without it, fedctl would turn request-signature checking
//! or encryption off.

use quick_xml::escape::escape;

use crate::saml::{self, SpSettings};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpMetadata {
    pub entity_id: String,
    /// The ACS locations (HTTP-POST), the same the record lists, so the two agree.
    pub acs: Vec<String>,
    pub want_assertions_signed: bool,
    /// Base64 DER, as Keycloak stores it.
    pub signing_certificate: Option<String>,
    pub encryption_certificate: Option<String>,
}

/// The metadata file of record `id`, beside the record.
pub fn file_name(id: &str) -> String {
    format!("{id}.sp-metadata.xml")
}

const POST_BINDING: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";

impl SpMetadata {
    /// An `EntityDescriptor` with one `SPSSODescriptor`: `AuthnRequestsSigned` and a
    /// `use="signing"` key exactly when Keycloak checks the partner's request signatures, a
    /// `use="encryption"` key when it encrypts (Keycloak's converter reads them that way).
    pub fn xml(&self) -> String {
        let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        xml.push_str(
            "<!-- The partner's SP as Keycloak knew it when `fedctl import` read it. -->\n",
        );
        xml.push_str(&format!(
            "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" \
             xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" entityID=\"{}\">\n",
            escape(self.entity_id.as_str())
        ));
        xml.push_str(&format!(
            "  <md:SPSSODescriptor AuthnRequestsSigned=\"{}\" WantAssertionsSigned=\"{}\" \
             protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">\n",
            self.signing_certificate.is_some(),
            self.want_assertions_signed
        ));
        for (usage, certificate) in [
            ("signing", &self.signing_certificate),
            ("encryption", &self.encryption_certificate),
        ] {
            if let Some(certificate) = certificate {
                xml.push_str(&format!(
                    "    <md:KeyDescriptor use=\"{usage}\"><ds:KeyInfo><ds:X509Data>\
                     <ds:X509Certificate>{}</ds:X509Certificate>\
                     </ds:X509Data></ds:KeyInfo></md:KeyDescriptor>\n",
                    escape(certificate.as_str())
                ));
            }
        }
        for (index, location) in self.acs.iter().enumerate() {
            xml.push_str(&format!(
                "    <md:AssertionConsumerService Binding=\"{POST_BINDING}\" Location=\"{}\" \
                 index=\"{index}\"/>\n",
                escape(location.as_str())
            ));
        }
        xml.push_str("  </md:SPSSODescriptor>\n</md:EntityDescriptor>\n");
        xml
    }

    /// What `plan` will read from [`Self::xml`], by the same parser and converter.
    pub fn settings(&self) -> Result<SpSettings, String> {
        let parsed = saml::parse_metadata(self.xml().as_bytes()).map_err(|e| e.to_string())?;
        let entity = parsed.entity(&self.entity_id).map_err(|e| e.to_string())?;
        SpSettings::from_entity(entity).map_err(|e| e.to_string())
    }
}
