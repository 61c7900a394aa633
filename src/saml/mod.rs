//! SAML metadata: reading partner metadata, writing our IdP metadata.
