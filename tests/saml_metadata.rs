//! SAML metadata against the real-world fixtures in tests/fixtures/saml-metadata: every
//! file there is parsed with a stated expectation, signatures are verified with xmlsec1, and
//! the IdP metadata fedctl writes is validated with xmllint against the OASIS schema.
//! xmlsec1 and xmllint are required (Debian: xmlsec1, libxml2-utils, opensaml-schemas,
//! xmltooling-schemas); a missing tool fails the tests with that message.

use std::path::{Path, PathBuf};
use std::process::Command;

use fedctl::saml::{
    self, CertProblem, Contact, DescriptorError, Entity, FindingKind, KeyUse, Metadata,
    MetadataError, NameIdFormat, Role, SelectError, SignatureError, SigningKey, SpSettings,
    SpSettingsError, binding,
};
use fedctl::x509::{self, CertInfo};
use time::OffsetDateTime;
use time::macros::datetime;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
const TOOLS: &str = "Debian packages xmlsec1 libxml2-utils opensaml-schemas xmltooling-schemas";

fn fixture(relative: &str) -> PathBuf {
    Path::new(FIXTURES).join("saml-metadata").join(relative)
}

fn parse(relative: &str) -> Metadata {
    let bytes = std::fs::read(fixture(relative)).expect("fixture");
    saml::parse_metadata(&bytes).unwrap_or_else(|e| panic!("{relative}: {e}"))
}

fn parse_error(relative: &str) -> MetadataError {
    let bytes = std::fs::read(fixture(relative)).expect("fixture");
    saml::parse_metadata(&bytes).expect_err(relative)
}

fn only(metadata: &Metadata) -> &Entity {
    assert_eq!(metadata.entities.len(), 1);
    &metadata.entities[0]
}

fn cert(key: &saml::KeyDescriptor) -> &CertInfo {
    key.certificate.as_ref().expect("readable certificate")
}

fn findings(metadata: &Metadata) -> Vec<&FindingKind> {
    metadata
        .findings
        .iter()
        .chain(metadata.entities.iter().flat_map(|e| &e.findings))
        .map(|f| &f.kind)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Every file, one expectation each

enum Expect {
    /// Parses with this many entities (SP roles, IdP roles) and no findings.
    Clean {
        entities: usize,
        sp: usize,
        idp: usize,
    },
    /// Parses; checked in detail by the named test.
    Findings(&'static str),
    /// Refused as a whole; checked by the named test.
    Refused(&'static str),
}

const EXPECTATIONS: &[(&str, Expect)] = &[
    (
        "entities/pyff_idp.aco.net.xml",
        Expect::Clean {
            entities: 1,
            sp: 0,
            idp: 1,
        },
    ),
    (
        "entities/pyff_sharav.abes.fr.xml",
        Expect::Clean {
            entities: 1,
            sp: 0,
            idp: 1,
        },
    ),
    (
        "entities/pyff_test-sp.xml",
        Expect::Clean {
            entities: 6,
            sp: 6,
            idp: 1,
        },
    ),
    (
        "entities/pyff_test01.xml",
        Expect::Clean {
            entities: 1,
            sp: 0,
            idp: 1,
        },
    ),
    (
        "entities/python3-saml_entities_metadata.xml",
        Expect::Clean {
            entities: 2,
            sp: 2,
            idp: 0,
        },
    ),
    (
        "entities/python3-saml_expired_metadata_settings1.xml",
        Expect::Clean {
            entities: 1,
            sp: 1,
            idp: 0,
        },
    ),
    (
        "entities/python3-saml_idp_metadata_different_sign_and_encrypt_cert.xml",
        Expect::Clean {
            entities: 1,
            sp: 0,
            idp: 1,
        },
    ),
    (
        "entities/python3-saml_idp_metadata_multi_certs.xml",
        Expect::Clean {
            entities: 1,
            sp: 0,
            idp: 1,
        },
    ),
    (
        "entities/python3-saml_idp_metadata_multi_signing_certs.xml",
        Expect::Clean {
            entities: 1,
            sp: 0,
            idp: 1,
        },
    ),
    (
        "entities/python3-saml_idp_metadata_same_sign_and_encrypt_cert.xml",
        Expect::Clean {
            entities: 1,
            sp: 0,
            idp: 1,
        },
    ),
    (
        "entities/python3-saml_metadata_settings1.xml",
        Expect::Clean {
            entities: 1,
            sp: 1,
            idp: 0,
        },
    ),
    (
        "entities/python3-saml_no_expiration_mark_metadata.xml",
        Expect::Clean {
            entities: 1,
            sp: 1,
            idp: 0,
        },
    ),
    (
        "entities/python3-saml_signed_metadata_settings1.xml",
        Expect::Clean {
            entities: 1,
            sp: 1,
            idp: 0,
        },
    ),
    (
        "entities/python3-saml_testshib-providers.xml",
        Expect::Clean {
            entities: 2,
            sp: 1,
            idp: 1,
        },
    ),
    (
        "entities/samael_idp_ecdsa_metadata.xml",
        Expect::Clean {
            entities: 1,
            sp: 0,
            idp: 1,
        },
    ),
    (
        "entities/samael_idp_metadata.xml",
        Expect::Clean {
            entities: 1,
            sp: 0,
            idp: 1,
        },
    ),
    (
        "entities/samael_idp_metadata_nested.xml",
        Expect::Clean {
            entities: 2,
            sp: 0,
            idp: 2,
        },
    ),
    (
        "entities/samael_idp_metadata_realworld.xml",
        Expect::Clean {
            entities: 1,
            sp: 0,
            idp: 1,
        },
    ),
    (
        "entities/samael_preview-renater-imt-metadata.xml",
        Expect::Clean {
            entities: 16,
            sp: 13,
            idp: 3,
        },
    ),
    (
        "entities/samael_sp_metadata.xml",
        Expect::Clean {
            entities: 1,
            sp: 1,
            idp: 0,
        },
    ),
    (
        "aggregates/pyff_wayf-edugain-metadata.xml",
        Expect::Clean {
            entities: 77,
            sp: 16,
            idp: 61,
        },
    ),
    (
        "aggregates/pysaml2-4.0.0_InCommon-metadata.xml",
        Expect::Clean {
            entities: 1888,
            sp: 1551,
            idp: 337,
        },
    ),
    (
        "negative/DERIVED_tampered_python3-saml_signed_metadata_settings1.xml",
        Expect::Findings("tampered_metadata_fails_verification"),
    ),
    (
        "negative/pyff_test02-invalid.xml",
        Expect::Findings("unknown_mdui_element_is_a_finding"),
    ),
    (
        "negative/pyff_test03-invalid.xml",
        Expect::Findings("incomplete_organization_is_a_finding"),
    ),
    (
        "negative/python3-saml_idp_multiple_descriptors.xml",
        Expect::Findings("double_encoded_certificates_are_findings"),
    ),
    (
        "negative/python3-saml_noentity_metadata_settings1.xml",
        Expect::Refused("non_metadata_root_is_refused"),
    ),
    (
        "negative/python3-saml_unparsed_metadata.xml",
        Expect::Refused("not_well_formed_xml_is_refused"),
    ),
];

#[test]
fn every_fixture_file_has_an_expectation_and_meets_it() {
    let mut on_disk = Vec::new();
    for dir in ["entities", "aggregates", "negative"] {
        for entry in std::fs::read_dir(fixture(dir)).expect("fixture directory") {
            let name = entry
                .expect("directory entry")
                .file_name()
                .to_string_lossy()
                .into_owned();
            on_disk.push(format!("{dir}/{name}"));
        }
    }
    on_disk.sort();
    let mut listed: Vec<String> = EXPECTATIONS
        .iter()
        .map(|(file, _)| (*file).to_owned())
        .collect();
    listed.sort();
    assert_eq!(
        on_disk, listed,
        "a fixture file without an expectation (or an expectation without a file)"
    );

    for (file, expect) in EXPECTATIONS {
        let bytes = std::fs::read(fixture(file)).expect("fixture");
        let result = saml::parse_metadata(&bytes);
        match expect {
            Expect::Clean { entities, sp, idp } => {
                let metadata = result.unwrap_or_else(|e| panic!("{file}: {e}"));
                let counts = (
                    metadata.entities.len(),
                    metadata.entities.iter().filter(|e| e.sp.is_some()).count(),
                    metadata.entities.iter().filter(|e| e.idp.is_some()).count(),
                );
                assert_eq!(counts, (*entities, *sp, *idp), "{file}");
                assert_eq!(findings(&metadata), Vec::<&FindingKind>::new(), "{file}");
                // Every key of every entity has a readable certificate.
                assert!(
                    metadata
                        .entities
                        .iter()
                        .flat_map(Entity::keys)
                        .all(|(_, k)| k.certificate.is_ok()),
                    "{file}"
                );
            }
            Expect::Findings(test) => {
                let metadata = result.unwrap_or_else(|e| panic!("{file}: {e}"));
                let expected_findings = *test != "tampered_metadata_fails_verification";
                assert_eq!(
                    !findings(&metadata).is_empty(),
                    expected_findings,
                    "{file}, see {test}"
                );
            }
            Expect::Refused(test) => {
                assert!(result.is_err(), "{file} should be refused, see {test}")
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Negative files: the specific error or finding

#[test]
fn not_well_formed_xml_is_refused() {
    let error = parse_error("negative/python3-saml_unparsed_metadata.xml");
    let MetadataError::NotWellFormed { reason, position } = &error else {
        panic!("{error}")
    };
    assert_eq!((position.line, position.column), (13, 5));
    assert!(reason.contains("SPSSODescriptor2"), "{reason}");
    assert!(
        error
            .to_string()
            .starts_with("line 13, column 5: XML is not well-formed"),
        "{error}"
    );
}

#[test]
fn non_metadata_root_is_refused() {
    let error = parse_error("negative/python3-saml_noentity_metadata_settings1.xml");
    let MetadataError::NotMetadata { found, position } = &error else {
        panic!("{error}")
    };
    assert_eq!(
        found,
        "{urn:oasis:names:tc:SAML:2.0:metadata}EntityDescriptor2"
    );
    assert_eq!((position.line, position.column), (2, 1));
}

#[test]
fn double_encoded_certificates_are_findings() {
    let metadata = parse("negative/python3-saml_idp_multiple_descriptors.xml");
    assert_eq!(metadata.entities.len(), 2);
    for entity in &metadata.entities {
        let kinds: Vec<(Role, KeyUse, &CertProblem)> = entity
            .findings
            .iter()
            .map(|f| match &f.kind {
                FindingKind::Certificate {
                    role,
                    usage,
                    problem,
                } => (*role, *usage, problem),
                other => panic!("unexpected finding {other}"),
            })
            .collect();
        assert_eq!(
            kinds,
            [
                (Role::Idp, KeyUse::Signing, &CertProblem::PemInsideBase64),
                (Role::Idp, KeyUse::Encryption, &CertProblem::PemInsideBase64)
            ]
        );
        // The rest of the entity is still there.
        let idp = entity.idp.as_ref().expect("IdP role");
        assert_eq!(
            idp.single_sign_on[0].location,
            "https://hello.example.com/access/saml/login"
        );
    }
    let first = &metadata.entities[0].findings[0];
    assert_eq!((first.position.line, first.position.column), (5, 7));
    assert!(first.to_string().contains("double-encoded"), "{first}");
    assert_eq!(
        metadata.entities[0]
            .idp
            .as_ref()
            .unwrap()
            .want_authn_requests_signed,
        Some(true)
    );
}

#[test]
fn unknown_mdui_element_is_a_finding() {
    let metadata = parse("negative/pyff_test02-invalid.xml");
    let entity = only(&metadata);
    assert_eq!(entity.findings.len(), 1);
    assert_eq!(
        entity.findings[0].kind,
        FindingKind::UnknownUiElement {
            name: "ExtraInvalid".into()
        }
    );
    assert_eq!(entity.findings[0].position.line, 8);
    // The valid mdui values around it are kept.
    let ui = &entity.idp.as_ref().unwrap().role.ui;
    assert_eq!(
        saml::preferred_english(&ui.display_names),
        Some("Example University")
    );
}

#[test]
fn incomplete_organization_is_a_finding() {
    let metadata = parse("negative/pyff_test03-invalid.xml");
    assert_eq!(metadata.entities.len(), 4);
    let with_findings: Vec<&Entity> = metadata
        .entities
        .iter()
        .filter(|e| !e.findings.is_empty())
        .collect();
    assert_eq!(with_findings.len(), 1);
    let entity = with_findings[0];
    assert_eq!(entity.entity_id, "https://www.a-dsi.fr");
    assert_eq!(
        entity.findings[0].kind,
        FindingKind::IncompleteOrganization {
            missing: vec!["OrganizationURL"]
        }
    );
    assert_eq!(entity.findings[0].position.line, 148);
    assert!(
        entity.findings[0]
            .to_string()
            .contains("lacks OrganizationURL")
    );
    // An entity with only an AttributeAuthorityDescriptor has neither SAML role.
    let aa = metadata
        .entity("https://aa.renater.fr/idp/shibboleth")
        .unwrap();
    assert!(aa.sp.is_none() && aa.idp.is_none());
}

// ---------------------------------------------------------------------------------------------
// Aggregates

#[test]
fn incommon_aggregate() {
    let metadata = parse("aggregates/pysaml2-4.0.0_InCommon-metadata.xml");
    assert_eq!(metadata.entities.len(), 1888);
    assert_eq!(metadata.valid_until, Some(datetime!(2020-02-18 10:00 UTC)));
    // Entities with a SAML 2.0 SP or IdP role (an AttributeAuthority-only SAML 2.0 entity,
    // idp.raidp.org's, makes SOURCES.txt count 1800).
    let saml2 = metadata
        .entities
        .iter()
        .filter(|e| {
            e.sp.as_ref().is_some_and(|sp| sp.role.supports_saml2())
                || e.idp.as_ref().is_some_and(|idp| idp.role.supports_saml2())
        })
        .count();
    assert_eq!(saml2, 1799);
    // 2,323 X509Certificate elements: one in the document signature, 2,322 in KeyDescriptors,
    // of which 1,602 in SP roles and 382 in IdP roles (the rest in AttributeAuthority roles).
    let keys: Vec<_> = metadata.entities.iter().flat_map(Entity::keys).collect();
    assert_eq!(
        keys.iter().filter(|(role, _)| *role == Role::Sp).count(),
        1602
    );
    assert_eq!(
        keys.iter().filter(|(role, _)| *role == Role::Idp).count(),
        382
    );
    assert!(keys.iter().all(|(_, k)| k.certificate.is_ok()));
    // Every entity inherits the aggregate's validUntil.
    assert!(
        metadata
            .entities
            .iter()
            .all(|e| e.valid_until == metadata.valid_until)
    );
    let signature = metadata.signature.as_ref().unwrap();
    assert!(signature.on_root);
    assert_eq!(
        signature.references[0].uri.as_deref(),
        Some("#INC20140204T195141")
    );

    // The certificate pyca/cryptography rejects and OpenSSL accepts: readable here too.
    let ohiolink = metadata
        .entity("https://proxy.ohiolink.edu/shibboleth")
        .unwrap();
    let (_, key) = ohiolink.keys().next().unwrap();
    assert!(
        cert(key)
            .common_name
            .as_deref()
            .is_some_and(|cn| cn.contains("ohiolink"))
    );
}

#[test]
fn edugain_aggregate() {
    let metadata = parse("aggregates/pyff_wayf-edugain-metadata.xml");
    assert_eq!(metadata.entities.len(), 77);
    assert_eq!(
        metadata.valid_until,
        Some(datetime!(2019-07-24 08:10:04 UTC))
    );
    assert_eq!(metadata.cache_duration.as_deref(), Some("PT6H"));
    let signer = embedded_signer(&metadata);
    assert_eq!(signer.common_name.as_deref(), Some("metadata.2016.signing"));
    assert_eq!(signer.not_after, datetime!(2025-12-31 00:00 UTC));
}

#[test]
fn nested_entities_descriptor_and_duplicate_entity_ids() {
    let metadata = parse("entities/samael_idp_metadata_nested.xml");
    // The same entity twice: selecting it names both places.
    let error = metadata.entity("https://sso.example.org/idp").unwrap_err();
    let SelectError::Duplicate { first, second, .. } = &error else {
        panic!("{error}")
    };
    assert_eq!((first.line, second.line), (3, 38));
    assert_eq!(
        error.to_string(),
        "entity \"https://sso.example.org/idp\" appears more than once: at line 3, column 5 and at line 38, column 5"
    );

    let group = parse("entities/python3-saml_entities_metadata.xml");
    assert_eq!(group.entities.len(), 2);
    // Entities inherit the group's validUntil.
    assert!(
        group
            .entities
            .iter()
            .all(|e| e.valid_until == Some(datetime!(2044-10-04 11:29:02 UTC)))
    );
}

#[test]
fn selecting_an_absent_entity_counts_and_suggests() {
    let metadata = parse("entities/python3-saml_testshib-providers.xml");
    let error = metadata
        .entity("https://sp.testshib.org/shibboleth-sp/")
        .unwrap_err();
    assert_eq!(
        error,
        SelectError::NotFound {
            entity_id: "https://sp.testshib.org/shibboleth-sp/".into(),
            count: 2,
            close_matches: vec!["https://sp.testshib.org/shibboleth-sp".into()],
        }
    );
    assert!(
        error
            .to_string()
            .contains("(2 entities); did you mean \"https://sp.testshib.org/shibboleth-sp\"?")
    );
    let far = metadata.entity("urn:unrelated").unwrap_err();
    assert_eq!(
        far.to_string(),
        "entity \"urn:unrelated\" is not in the metadata (2 entities)"
    );

    let sp = metadata
        .entity("https://sp.testshib.org/shibboleth-sp")
        .unwrap();
    assert_eq!((sp.position.line, sp.position.column), (157, 5));
}

// ---------------------------------------------------------------------------------------------
// Entities: roles, endpoints, keys

#[test]
fn testshib_sp_endpoints_and_keys_without_use() {
    let metadata = parse("entities/python3-saml_testshib-providers.xml");
    let sp = metadata
        .entity("https://sp.testshib.org/shibboleth-sp")
        .unwrap()
        .sp
        .as_ref()
        .unwrap();
    let acs: Vec<(&str, &str, Option<u16>, Option<bool>)> = sp
        .assertion_consumer
        .iter()
        .map(|e| {
            (
                e.binding.rsplit(':').next().unwrap(),
                e.location.as_str(),
                e.index,
                e.is_default,
            )
        })
        .collect();
    assert_eq!(
        acs,
        [
            (
                "HTTP-POST",
                "https://sp.testshib.org/Shibboleth.sso/SAML2/POST",
                Some(1),
                Some(true)
            ),
            (
                "HTTP-POST-SimpleSign",
                "https://sp.testshib.org/Shibboleth.sso/SAML2/POST-SimpleSign",
                Some(2),
                None
            ),
            (
                "HTTP-Artifact",
                "https://sp.testshib.org/Shibboleth.sso/SAML2/Artifact",
                Some(3),
                None
            ),
            (
                "browser-post",
                "https://sp.testshib.org/Shibboleth.sso/SAML/POST",
                Some(4),
                None
            ),
            (
                "artifact-01",
                "https://sp.testshib.org/Shibboleth.sso/SAML/Artifact",
                Some(5),
                None
            ),
            (
                "//schemas.xmlsoap.org/ws/2003/07/secext",
                "https://sp.testshib.org/Shibboleth.sso/ADFS",
                Some(6),
                None
            ),
            (
                "HTTP-POST",
                "https://www.testshib.org/Shibboleth.sso/SAML2/POST",
                Some(7),
                None
            ),
            (
                "browser-post",
                "https://www.testshib.org/Shibboleth.sso/SAML/POST",
                Some(8),
                None
            ),
        ]
    );
    assert_eq!(sp.role.single_logout.len(), 4);
    let [key] = sp.role.keys.as_slice() else {
        panic!("one key")
    };
    assert_eq!(key.usage, KeyUse::Unspecified);
    assert!(key.usage.signs() && key.usage.encrypts());
    assert_eq!(cert(key).not_after, datetime!(2016-08-27 21:24:39 UTC));

    let settings = SpSettings::from_entity(
        metadata
            .entity("https://sp.testshib.org/shibboleth-sp")
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        settings.acs_post.as_deref(),
        Some("https://sp.testshib.org/Shibboleth.sso/SAML2/POST")
    );
    assert_eq!(settings.acs_redirect, None);
    assert_eq!(
        settings.acs_artifact.as_deref(),
        Some("https://sp.testshib.org/Shibboleth.sso/SAML2/Artifact")
    );
    // All SAML 2.0 ACS locations of the bindings Keycloak knows; not POST-SimpleSign, not SAML 1.
    assert_eq!(
        settings.redirect_uris,
        [
            "https://sp.testshib.org/Shibboleth.sso/SAML2/POST",
            "https://sp.testshib.org/Shibboleth.sso/SAML2/Artifact",
            "https://www.testshib.org/Shibboleth.sso/SAML2/POST",
        ]
    );
    assert_eq!(
        settings.slo_soap.as_deref(),
        Some("https://sp.testshib.org/Shibboleth.sso/SLO/SOAP")
    );
    // A key without `use` gives both certificates but switches nothing on (as in Keycloak).
    assert_eq!(settings.signing_certificate, Some(cert(key).base64_der()));
    assert_eq!(
        settings.encryption_certificate,
        Some(cert(key).base64_der())
    );
    assert!(!settings.client_signature_required && !settings.encrypt_assertions);
    assert_eq!(settings.name_id_format, Some(NameIdFormat::Transient));
}

#[test]
fn multiple_signing_certificates_and_separate_encryption_key() {
    let three = parse("entities/python3-saml_idp_metadata_multi_signing_certs.xml");
    let keys = &only(&three).idp.as_ref().unwrap().role.keys;
    assert_eq!(
        keys.iter().map(|k| k.usage).collect::<Vec<_>>(),
        [KeyUse::Signing; 3]
    );
    let fingerprints: Vec<&str> = keys
        .iter()
        .map(|k| cert(k).sha256_fingerprint.as_str())
        .collect();
    assert_eq!(fingerprints[0], fingerprints[2]);
    assert_ne!(fingerprints[0], fingerprints[1]);
    assert_eq!(cert(&keys[1]).common_name.as_deref(), Some("example.com"));
    assert_eq!(cert(&keys[1]).not_after, datetime!(2018-04-15 16:33:18 UTC));

    let rollover = parse("entities/python3-saml_idp_metadata_multi_certs.xml");
    let usages: Vec<KeyUse> = only(&rollover).keys().map(|(_, k)| k.usage).collect();
    assert_eq!(
        usages,
        [KeyUse::Signing, KeyUse::Signing, KeyUse::Encryption]
    );

    let different = parse("entities/python3-saml_idp_metadata_different_sign_and_encrypt_cert.xml");
    let keys: Vec<&CertInfo> = only(&different).keys().map(|(_, k)| cert(k)).collect();
    assert_eq!(keys[0].common_name.as_deref(), Some("app.onelogin.com"));
    assert_eq!(
        keys[1].common_name.as_deref(),
        Some("OneLogin Account 89146")
    );
    assert_eq!(keys[1].not_after, datetime!(2021-08-05 22:29:37 UTC));
}

#[test]
fn ecdsa_signing_key() {
    let metadata = parse("entities/samael_idp_ecdsa_metadata.xml");
    let idp = only(&metadata).idp.as_ref().unwrap();
    assert_eq!(idp.want_authn_requests_signed, Some(false));
    let certificate = cert(&idp.role.keys[0]);
    assert_eq!(certificate.not_after, datetime!(3023-10-25 17:45:49 UTC));
    assert!(certificate.subject.contains("Internet Widgits Pty Ltd"));
    assert_eq!(
        idp.role.name_id_formats,
        ["urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"]
    );
}

#[test]
fn idp_roles_and_mdui() {
    let metadata = parse("entities/pyff_idp.aco.net.xml");
    let entity = only(&metadata);
    let idp = entity.idp.as_ref().unwrap();
    let sso: Vec<&str> = idp
        .single_sign_on
        .iter()
        .map(|e| e.binding.as_str())
        .collect();
    assert_eq!(sso.len(), 4);
    assert!(sso.contains(&binding::HTTP_POST) && sso.contains(&binding::HTTP_REDIRECT));
    assert_eq!(idp.role.artifact_resolution[1].index, Some(2));
    assert_eq!(idp.role.ui.logos.len(), 2);
    assert_eq!(
        entity.organization.as_ref().unwrap().url.as_deref(),
        Some("http://www.aco.net/")
    );
    assert_eq!(entity.contacts.len(), 2);
    assert_eq!(
        cert(&idp.role.keys[0]).not_after,
        datetime!(2029-11-03 09:22:38 UTC)
    );
}

#[test]
fn requested_attributes_and_sp_settings_from_an_aggregate_entry() {
    let metadata = parse("entities/pyff_test-sp.xml");
    let entity = metadata
        .entity("http://fs.liu.se/adfs/services/trust")
        .unwrap();
    // This entity is both IdP and SP; the SP part is what a client is made from.
    assert!(entity.idp.is_some());
    let settings = SpSettings::from_entity(entity).unwrap();
    assert_eq!(settings.client_id, "http://fs.liu.se/adfs/services/trust");
    assert_eq!(settings.redirect_uris, ["https://fs.liu.se/adfs/ls/"]);
    assert!(
        settings.want_assertions_signed
            && settings.client_signature_required
            && settings.encrypt_assertions
    );
    assert_ne!(
        settings.signing_certificate,
        settings.encryption_certificate
    );
    assert_eq!(settings.name_id_format, Some(NameIdFormat::Email));
    assert_eq!(
        settings.logo_uri.as_deref(),
        Some("https://liu.se/mall11/images/logo-350-sv.png")
    );
    assert_eq!(
        settings.policy_uri.as_deref(),
        Some("https://minit.liu.se/static/privacy_policy.html")
    );
    let attribute = &settings.requested_attributes[1];
    assert_eq!(attribute.friendly_name.as_deref(), Some("norEduPersonNIN"));
    assert!(attribute.is_required);
    assert_eq!(
        saml::keycloak_name_format(attribute.name_format.as_deref().unwrap()),
        Some("URI Reference")
    );
}

/// Keycloak's own converter test expects one redirect URI for this file.
#[test]
fn sp_settings_match_keycloaks_converter_fixture() {
    let path = Path::new(FIXTURES).join("keycloak/client-descriptions_saml-entity-descriptor.xml");
    let metadata = saml::parse_metadata(&std::fs::read(path).unwrap()).unwrap();
    let settings = SpSettings::from_entity(only(&metadata)).unwrap();
    let consumer = "https://LoadBalancer-9.siroe.com:3443/federation/Consumer/metaAlias/sp";
    assert_eq!(settings.client_id, "loadbalancer-9.siroe.com");
    assert_eq!(settings.redirect_uris, [consumer]);
    assert_eq!(
        (
            settings.acs_post.as_deref(),
            settings.acs_artifact.as_deref()
        ),
        (Some(consumer), Some(consumer))
    );
    assert_eq!(
        settings.slo_redirect.as_deref(),
        Some("https://LoadBalancer-9.siroe.com:3443/federation/SPSloRedirect/metaAlias/sp")
    );
    assert_eq!(
        settings.slo_soap.as_deref(),
        Some("https://LoadBalancer-9.siroe.com:3443/federation/SPSloSoap/metaAlias/sp")
    );
    assert_eq!(settings.slo_post, None);
    // NameIDFormat text is trimmed before mapping.
    assert_eq!(
        settings.name_id_format.map(NameIdFormat::as_keycloak),
        Some("persistent")
    );
    assert!(
        settings.client_signature_required
            && settings.encrypt_assertions
            && !settings.want_assertions_signed
    );
    let keys: Vec<&CertInfo> = only(&metadata).keys().map(|(_, k)| cert(k)).collect();
    assert_eq!(settings.signing_certificate, Some(keys[0].base64_der()));
    assert_eq!(settings.encryption_certificate, Some(keys[1].base64_der()));
}

#[test]
fn sp_settings_refuse_what_is_not_a_saml2_sp() {
    let idp = parse("entities/samael_idp_metadata.xml");
    let error = SpSettings::from_entity(only(&idp)).unwrap_err();
    assert_eq!(
        error,
        SpSettingsError::NotAServiceProvider {
            entity_id: "https://sso.example.org/idp".into(),
            is_idp: true
        }
    );
    assert!(
        error
            .to_string()
            .contains("is this the partner's IdP metadata?")
    );

    let incommon = parse("aggregates/pysaml2-4.0.0_InCommon-metadata.xml");
    let saml1_only = incommon
        .entities
        .iter()
        .find(|e| e.sp.as_ref().is_some_and(|sp| !sp.role.supports_saml2()))
        .expect("InCommon 2014 has SAML 1.x-only SPs");
    assert!(matches!(
        SpSettings::from_entity(saml1_only),
        Err(SpSettingsError::NoSaml2 { .. })
    ));

    // Keycloak maps only the SAML 1.1 emailAddress URI; the 2.0 spelling some SPs use is not mapped.
    let signed = parse("entities/python3-saml_signed_metadata_settings1.xml");
    assert_eq!(
        SpSettings::from_entity(only(&signed))
            .unwrap()
            .name_id_format,
        None
    );
}

#[test]
fn valid_until_and_the_expiry_rule() {
    let now = datetime!(2025-06-01 00:00 UTC);
    let expired = parse("entities/python3-saml_expired_metadata_settings1.xml");
    let entity = only(&expired);
    assert_eq!(entity.cache_duration.as_deref(), Some("PT1393462294S"));
    let error = entity.check_valid_until(now).unwrap_err();
    assert_eq!(error.valid_until, datetime!(2014-02-22 00:39:43 UTC));
    assert!(
        error.to_string().contains("--allow-expired-metadata"),
        "{error}"
    );
    assert!(expired.check_valid_until(now).is_err());
    // The certificates expired long before.
    assert!(
        entity
            .keys()
            .all(|(_, k)| cert(k).not_after < datetime!(2008-01-01 00:00 UTC))
    );

    let unbounded = parse("entities/python3-saml_no_expiration_mark_metadata.xml");
    assert_eq!(only(&unbounded).check_valid_until(now), Ok(()));
    let future = parse("entities/python3-saml_metadata_settings1.xml");
    assert_eq!(only(&future).check_valid_until(now), Ok(()));
    assert!(
        only(&future)
            .check_valid_until(datetime!(2038-01-01 00:00 UTC))
            .is_err()
    );
}

// ---------------------------------------------------------------------------------------------
// Signatures (xmlsec1)

const SIGNED: &str = "entities/python3-saml_signed_metadata_settings1.xml";
const SIGNER: &str = "certs/python3-saml_signed_metadata_settings1_signer_extracted.pem";

fn embedded_signer(metadata: &Metadata) -> CertInfo {
    let signature = metadata.signature.as_ref().expect("signed document");
    signature.certificates[0]
        .clone()
        .expect("readable signer certificate")
}

#[test]
fn signed_metadata_verifies_with_its_signer() {
    let metadata = saml::verify_signature(&fixture(SIGNED), &fixture(SIGNER))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        only(&metadata).entity_id,
        "https://example.com//demo1/metadata.php"
    );
}

#[test]
fn tampered_metadata_fails_verification() {
    let tampered = "negative/DERIVED_tampered_python3-saml_signed_metadata_settings1.xml";
    // It parses (the change is a plausible entityID) ...
    assert_eq!(
        only(&parse(tampered)).entity_id,
        "https://evil.com//demo1/metadata.php"
    );
    // ... but the signature no longer matches the content.
    let error = saml::verify_signature(&fixture(tampered), &fixture(SIGNER)).unwrap_err();
    assert!(
        matches!(error, SignatureError::DigestMismatch { .. }),
        "{error}"
    );
    assert!(
        error.to_string().contains("modified after it was signed"),
        "{error}"
    );
}

#[test]
fn incommon_aggregate_with_edited_valid_until_fails_verification() {
    let error = saml::verify_signature(
        &fixture("aggregates/pysaml2-4.0.0_InCommon-metadata.xml"),
        &fixture("certs/pysaml2-4.0.0_inc-md-cert.pem"),
    )
    .unwrap_err();
    assert!(
        matches!(error, SignatureError::DigestMismatch { .. }),
        "{error}"
    );
}

#[test]
fn aggregates_verify_with_their_embedded_signers() {
    for file in [
        "aggregates/pyff_wayf-edugain-metadata.xml",
        "entities/samael_preview-renater-imt-metadata.xml",
    ] {
        let bytes = std::fs::read(fixture(file)).unwrap();
        let signer = embedded_signer(&saml::parse_metadata(&bytes).unwrap());
        let metadata = saml::verify_signed_metadata(&bytes, &[signer])
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(metadata.entities.len() >= 16);
    }
}

#[test]
fn another_signer_is_refused() {
    let incommon_signer = x509::parse_pem(
        &std::fs::read_to_string(fixture("certs/pysaml2-4.0.0_inc-md-cert.pem")).unwrap(),
    )
    .unwrap();
    let bytes = std::fs::read(fixture(SIGNED)).unwrap();
    let error = saml::verify_signed_metadata(&bytes, &incommon_signer).unwrap_err();
    let SignatureError::WrongSigner { signers, .. } = &error else {
        panic!("{error}")
    };
    assert!(signers.contains("InCommon"), "{signers}");

    assert!(matches!(
        saml::verify_signed_metadata(&bytes, &[]),
        Err(SignatureError::NoSigner)
    ));
    // With several signers (rollover) one match is enough.
    let right = x509::parse_pem(&std::fs::read_to_string(fixture(SIGNER)).unwrap()).unwrap();
    let both = [incommon_signer, right].concat();
    assert!(saml::verify_signed_metadata(&bytes, &both).is_ok());
}

#[test]
fn unsigned_metadata_is_refused_when_a_signer_is_required() {
    let error = saml::verify_signature(
        &fixture("entities/python3-saml_metadata_settings1.xml"),
        &fixture(SIGNER),
    )
    .unwrap_err();
    assert!(matches!(error, SignatureError::Unsigned), "{error}");
    let error =
        saml::verify_signature(&fixture(SIGNED), &fixture("entities/pyff_test01.xml")).unwrap_err();
    assert!(matches!(error, SignatureError::Signer { .. }), "{error}");
}

/// A validly signed entity wrapped in an unsigned aggregate that adds an attacker's entity:
/// xmlsec1 alone accepts it, fedctl does not.
#[test]
fn signature_wrapping_is_refused() {
    let signed = std::fs::read_to_string(fixture(SIGNED)).unwrap();
    let entity = signed.trim_start_matches("<?xml version=\"1.0\"?>").trim();
    let wrapped = format!(
        "<md:EntitiesDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\">{entity}\
         <md:EntityDescriptor entityID=\"https://evil.example.org\"><md:SPSSODescriptor protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\"/></md:EntityDescriptor>\
         </md:EntitiesDescriptor>"
    );
    let file = write_temp(&wrapped);
    assert_xmlsec1_alone_accepts(file.path(), &fixture(SIGNER));

    let error = saml::verify_signature(file.path(), &fixture(SIGNER)).unwrap_err();
    assert!(
        matches!(error, SignatureError::NotOnRoot { position } if position.line == 1),
        "{error}"
    );
}

/// The attack the check exists for: xmlsec1 on its own verifies the document.
fn assert_xmlsec1_alone_accepts(document: &Path, signer_pem: &Path) {
    let output = Command::new("xmlsec1")
        .args(["--verify", "--enabled-key-data", "key-name"])
        .args([
            "--id-attr:ID",
            "urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor",
        ])
        .arg("--pubkey-cert-pem")
        .arg(signer_pem)
        .arg(document)
        .output()
        .unwrap_or_else(|e| panic!("xmlsec1 is required ({TOOLS}): {e}"));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

const MD_NS: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
const DS_NS: &str = "http://www.w3.org/2000/09/xmldsig#";
const PARTNER: &str = "https://sp.partner.example.org";
const EVIL_ACS: &str = "https://evil.example.org/acs";

/// The partner's genuine SP entity, signed by a key the test makes; `md_decl` is how the
/// entity declares the metadata namespace (`md` prefix or default) and `md` the prefix used.
fn genuine_partner(signer: &Signer, md_decl: &str, md: &str) -> String {
    let template = format!(
        r#"<{md}EntityDescriptor {md_decl} ID="_partner" entityID="{PARTNER}">{}<{md}SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><{md}AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="{PARTNER}/acs" index="0"/></{md}SPSSODescriptor></{md}EntityDescriptor>"#,
        signature_template("#_partner")
    );
    let signed = signer.sign(&template);
    signed
        .trim_start_matches("<?xml version=\"1.0\"?>")
        .trim()
        .to_owned()
}

/// The attacker's document: a root with a dummy signature over itself, the genuine entity
/// hidden from one parser by `hidden`, and an unsigned entity for the partner with the
/// attacker's ACS. xmlsec1 verifies the first signature it sees: the genuine one.
fn wrapped_for_two_readings(hidden: &str) -> String {
    format!(
        r#"<md:EntitiesDescriptor xmlns:md="{MD_NS}" xmlns:ds="{DS_NS}">{hidden}{}<md:EntityDescriptor entityID="{PARTNER}"><md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="{EVIL_ACS}" index="0"/></md:SPSSODescriptor></md:EntityDescriptor></md:EntitiesDescriptor>"#,
        signature_template("")
    )
}

/// Every rewrite below makes xmlsec1 verify the partner's genuine signature while a reader
/// that parses namespaces differently sees only the attacker's entity: each is refused.
#[test]
fn documents_read_two_ways_are_refused() {
    let (signer, signer_cert) = new_signer();
    let md_prefixed = format!(r#"xmlns:md="{MD_NS}""#);
    let ds_decl = format!(r#"xmlns:ds="{DS_NS}""#);
    let prefixed = genuine_partner(&signer, &md_prefixed, "md:");
    let default_ns = genuine_partner(&signer, &format!(r#"xmlns="{MD_NS}""#), "");
    // The rewrite from the issue: character references in the namespace declarations, which
    // libxml2 decodes and a raw reading does not.
    let char_refs = wrapped_for_two_readings(
        &prefixed
            .replace(MD_NS, "urn:oasis:names:tc:SAML:2.0:metadat&#97;")
            .replace(DS_NS, "http://www.w3.org/2000/09/xmldsig&#x23;"),
    );
    // The same with the entity in the default namespace.
    let default_refs = wrapped_for_two_readings(
        &default_ns
            .replace(MD_NS, "urn:oasis:names:tc:SAML:2.0:metad&#x61;ta")
            .replace(DS_NS, "http://www.w3.org/2000/09/xmldsig&#35;"),
    );
    // No references at all: the declarations move to an ancestor (exclusive canonicalisation
    // renders them where they are used, so the digest is unchanged) and an empty prefixed
    // declaration, which libxml2 ignores as an error, unbinds the prefixes for other readers.
    let undeclared = wrapped_for_two_readings(&format!(
        r#"<x:Hide xmlns:x="urn:example:hide" xmlns:md="" xmlns:ds="">{}</x:Hide>"#,
        prefixed
            .replacen(&md_prefixed, "", 1)
            .replacen(&ds_decl, "", 1)
    ));
    let cert_pem = signer.cert.path();
    for (name, document) in [
        ("character references", &char_refs),
        ("default namespace", &default_refs),
        ("empty prefix declaration", &undeclared),
    ] {
        let file = write_temp(document);
        assert_xmlsec1_alone_accepts(file.path(), cert_pem);
        let error =
            saml::verify_signed_metadata(document.as_bytes(), std::slice::from_ref(&signer_cert))
                .expect_err(name);
        let expected = match name {
            "empty prefix declaration" => matches!(error, SignatureError::ReadingsDiffer),
            _ => matches!(
                error,
                SignatureError::Metadata(MetadataError::NamespaceReference { .. })
            ),
        };
        assert!(expected, "{name}: {error}");
    }
    // The harness is sound: the genuine document verifies and yields the partner's ACS.
    let genuine = saml::verify_signed_metadata(prefixed.as_bytes(), &[signer_cert]).unwrap();
    let acs = &only(&genuine).sp.as_ref().unwrap().assertion_consumer[0];
    assert_eq!(acs.location, format!("{PARTNER}/acs"));
}

/// A document signed by an attacker's key that embeds the attacker's certificate: KeyInfo is
/// never trusted, and a signature on the root that references only a child is refused.
#[test]
fn keys_in_the_document_are_never_trusted_and_the_root_must_be_referenced() {
    let (attacker, attacker_cert) = new_signer();
    let document = |reference: &str| {
        format!(
            r##"<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" ID="_root">{}<md:EntityDescriptor ID="_child" entityID="https://evil.example.org"><md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/></md:EntityDescriptor></md:EntitiesDescriptor>"##,
            signature_template(reference)
        )
    };
    let root_signed = attacker.sign(&document("#_root"));
    let genuine = x509::parse_pem(&std::fs::read_to_string(fixture(SIGNER)).unwrap()).unwrap();
    let error = saml::verify_signed_metadata(root_signed.as_bytes(), &genuine).unwrap_err();
    assert!(
        matches!(error, SignatureError::WrongSigner { .. }),
        "{error}"
    );
    // The harness itself is sound: with the attacker's certificate configured it verifies.
    assert!(
        saml::verify_signed_metadata(root_signed.as_bytes(), std::slice::from_ref(&attacker_cert))
            .is_ok()
    );

    let child_signed = attacker.sign(&document("#_child"));
    let error = saml::verify_signed_metadata(
        child_signed.as_bytes(),
        std::slice::from_ref(&attacker_cert),
    )
    .unwrap_err();
    assert!(
        matches!(&error, SignatureError::NotRootReference { uri, .. } if uri == "#_child"),
        "{error}"
    );

    // The root ID used twice makes the reference ambiguous.
    let duplicate = root_signed.replace("ID=\"_child\"", "ID=\"_root\"");
    let error =
        saml::verify_signed_metadata(duplicate.as_bytes(), std::slice::from_ref(&attacker_cert))
            .unwrap_err();
    assert!(
        matches!(error, SignatureError::AmbiguousId { uses: 2, .. }),
        "{error}"
    );

    // Transforms other than canonicalisation could select less than the document.
    let xpath = root_signed.replace(
        "http://www.w3.org/2001/10/xml-exc-c14n#\"/></ds:Transforms>",
        "http://www.w3.org/TR/1999/REC-xpath-19991116\"/></ds:Transforms>",
    );
    let error = saml::verify_signed_metadata(xpath.as_bytes(), &[attacker_cert]).unwrap_err();
    assert!(matches!(error, SignatureError::Transform { .. }), "{error}");
}

struct Signer {
    key: tempfile::NamedTempFile,
    cert: tempfile::NamedTempFile,
}

impl Signer {
    /// Signs a template with xmlsec1, embedding the certificate in KeyInfo.
    fn sign(&self, template: &str) -> String {
        let input = write_temp(template);
        let output = Command::new("xmlsec1")
            .arg("--sign")
            .args([
                "--id-attr:ID",
                "urn:oasis:names:tc:SAML:2.0:metadata:EntitiesDescriptor",
            ])
            .args([
                "--id-attr:ID",
                "urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor",
            ])
            .arg("--privkey-pem")
            .arg(format!(
                "{},{}",
                self.key.path().display(),
                self.cert.path().display()
            ))
            .arg(input.path())
            .output()
            .unwrap_or_else(|e| panic!("xmlsec1 is required ({TOOLS}): {e}"));
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }
}

fn new_signer() -> (Signer, CertInfo) {
    let generated =
        rcgen::generate_simple_self_signed(vec!["attacker.example.org".to_owned()]).unwrap();
    let cert = x509::parse_der(generated.cert.der()).unwrap();
    let signer = Signer {
        key: write_temp(&generated.signing_key.serialize_pem()),
        cert: write_temp(&generated.cert.pem()),
    };
    (signer, cert)
}

fn signature_template(reference: &str) -> String {
    format!(
        r#"<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"/><ds:Reference URI="{reference}"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue/></ds:Reference></ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:X509Data/></ds:KeyInfo></ds:Signature>"#
    )
}

fn write_temp(content: &str) -> tempfile::NamedTempFile {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), content).unwrap();
    file
}

// ---------------------------------------------------------------------------------------------
// Our IdP metadata (xmllint)

/// Validates against the OASIS metadata schema (+ mdui etc.) with Debian's schema copies.
fn schema_check(xml: &str) -> Result<(), String> {
    let file = write_temp(xml);
    let xsd = fixture("xsd");
    let output = Command::new("xmllint")
        .env("XML_CATALOG_FILES", xsd.join("saml-md-catalog.xml"))
        .args(["--noout", "--nonet", "--schema"])
        .arg(xsd.join("saml-md-with-extensions.xsd"))
        .arg(file.path())
        .output()
        .unwrap_or_else(|e| panic!("xmllint is required for this test ({TOOLS}): {e}"));
    if output.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

fn assert_schema_valid(xml: &str) {
    if let Err(stderr) = schema_check(xml) {
        panic!("xmllint rejected the document:\n{stderr}\n{xml}");
    }
}

#[test]
fn schema_check_is_live() {
    // The validation really rejects a schema-invalid document.
    let invalid = std::fs::read_to_string(fixture("negative/pyff_test03-invalid.xml")).unwrap();
    let stderr = schema_check(&invalid).unwrap_err();
    assert!(stderr.contains("OrganizationURL"), "{stderr}");
}

fn realm_keys() -> Vec<SigningKey> {
    let pem = std::fs::read_to_string(fixture(SIGNER)).unwrap();
    let der = x509::parse_pem(&pem).unwrap().remove(0).der;
    vec![
        SigningKey {
            kid: "active-kid".into(),
            certificate_der: der.clone(),
        },
        SigningKey {
            kid: "passive-kid".into(),
            certificate_der: der,
        },
    ]
}

#[test]
fn idp_descriptor_has_keycloaks_structure_and_is_schema_valid() {
    let keys = realm_keys();
    let xml = saml::idp_descriptor("https://idp.example.org/", "acme", &keys[..1]);
    let certificate = fedctl::saml::parse_metadata(xml.as_bytes())
        .unwrap()
        .entities[0]
        .keys()
        .next()
        .map(|(_, k)| cert(k).base64_der())
        .unwrap();
    let endpoint = "https://idp.example.org/realms/acme/protocol/saml";
    let expected = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://idp.example.org/realms/acme">
  <md:IDPSSODescriptor WantAuthnRequestsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo>
        <ds:KeyName>active-kid</ds:KeyName>
        <ds:X509Data>
          <ds:X509Certificate>{certificate}</ds:X509Certificate>
        </ds:X509Data>
      </ds:KeyInfo>
    </md:KeyDescriptor>
    <md:ArtifactResolutionService Binding="urn:oasis:names:tc:SAML:2.0:bindings:SOAP" Location="{endpoint}/resolve" index="0"/>
    <md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="{endpoint}"/>
    <md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="{endpoint}"/>
    <md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact" Location="{endpoint}"/>
    <md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:SOAP" Location="{endpoint}"/>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:transient</md:NameIDFormat>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified</md:NameIDFormat>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="{endpoint}"/>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="{endpoint}"/>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:SOAP" Location="{endpoint}"/>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact" Location="{endpoint}"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>
"#
    );
    assert_eq!(xml, expected);
    assert_schema_valid(&xml);

    // Two keys (active, passive) and our contact: still valid, and it reads back.
    let contact = Contact {
        given_name: Some("IT & Identity".into()),
        email: "it@yourorg.example.org".into(),
    };
    let xml = saml::add_contact(
        &saml::idp_descriptor("https://idp.example.org", "acme", &keys),
        &contact,
    )
    .unwrap();
    assert_schema_valid(&xml);
    let metadata = saml::parse_metadata(xml.as_bytes()).unwrap();
    let entity = only(&metadata);
    let names: Vec<Option<&str>> = entity.keys().map(|(_, k)| k.key_name.as_deref()).collect();
    assert_eq!(names, [Some("active-kid"), Some("passive-kid")]);
    assert_eq!(entity.contacts[0].contact_type, "technical");
    assert_eq!(
        entity.contacts[0].given_name.as_deref(),
        Some("IT & Identity")
    );
    assert_eq!(entity.contacts[0].emails, ["mailto:it@yourorg.example.org"]);
    assert_eq!(
        entity.idp.as_ref().unwrap().want_authn_requests_signed,
        Some(true)
    );
}

#[test]
fn contact_is_added_to_a_served_descriptor_at_a_schema_valid_place() {
    let contact = Contact {
        given_name: None,
        email: "mailto:it@yourorg.example.org".into(),
    };
    // Keycloak's descriptor (no contact yet), as the live endpoint serves it.
    let served = saml::idp_descriptor("https://idp.example.org", "acme", &realm_keys());
    let enriched = saml::add_contact(&served, &contact).unwrap();
    assert_schema_valid(&enriched);
    assert!(enriched.contains(
        "</md:IDPSSODescriptor>\n<md:ContactPerson contactType=\"technical\"><md:EmailAddress>mailto:it@yourorg.example.org</md:EmailAddress></md:ContactPerson>\n</md:EntityDescriptor>"
    ));

    // Default namespace, an Organization, an existing contact and an AdditionalMetadataLocation:
    // the new contact goes after the contacts and before the location, unprefixed.
    let other = r#"<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example.org/realms/acme">
  <IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://idp.example.org/sso"/>
  </IDPSSODescriptor>
  <Organization><OrganizationName xml:lang="en">Org</OrganizationName><OrganizationDisplayName xml:lang="en">Org</OrganizationDisplayName><OrganizationURL xml:lang="en">https://org.example</OrganizationURL></Organization>
  <ContactPerson contactType="support"><EmailAddress>mailto:help@org.example</EmailAddress></ContactPerson>
  <AdditionalMetadataLocation namespace="urn:example">https://org.example/more.xml</AdditionalMetadataLocation>
</EntityDescriptor>"#;
    let enriched = saml::add_contact(other, &contact).unwrap();
    assert_schema_valid(&enriched);
    assert!(enriched.contains(
        "</ContactPerson>\n  <ContactPerson contactType=\"technical\"><EmailAddress>mailto:it@yourorg.example.org</EmailAddress></ContactPerson>\n  <AdditionalMetadataLocation"
    ), "{enriched}");
    let metadata = saml::parse_metadata(enriched.as_bytes()).unwrap();
    let contacts = &only(&metadata).contacts;
    assert_eq!(
        contacts
            .iter()
            .map(|c| c.contact_type.as_str())
            .collect::<Vec<_>>(),
        ["support", "technical"]
    );
}

#[test]
fn adding_a_contact_refuses_what_is_not_a_descriptor() {
    let contact = Contact {
        given_name: None,
        email: "it@yourorg.example.org".into(),
    };
    assert_eq!(saml::add_contact("", &contact), Err(DescriptorError::Empty));
    let aggregate =
        std::fs::read_to_string(fixture("entities/python3-saml_entities_metadata.xml")).unwrap();
    assert!(matches!(
        saml::add_contact(&aggregate, &contact),
        Err(DescriptorError::NotEntityDescriptor { .. })
    ));
    let broken =
        std::fs::read_to_string(fixture("negative/python3-saml_unparsed_metadata.xml")).unwrap();
    assert!(matches!(
        saml::add_contact(&broken, &contact),
        Err(DescriptorError::Metadata(
            MetadataError::NotWellFormed { .. }
        ))
    ));
}

#[test]
fn a_served_descriptor_must_be_one_identity_provider() {
    let served = saml::idp_descriptor("https://idp.example.org", "acme", &realm_keys());
    let entity = saml::read_idp_descriptor(served.as_bytes()).unwrap();
    assert_eq!(entity.entity_id, "https://idp.example.org/realms/acme");
    // Keycloak's answer when it cannot build the descriptor: 200, empty body.
    for empty in ["", " \r\n"] {
        assert_eq!(
            saml::read_idp_descriptor(empty.as_bytes()).unwrap_err(),
            DescriptorError::Empty
        );
    }
    assert!(matches!(
        saml::read_idp_descriptor(b"<html><body>Maintenance</body></html>"),
        Err(DescriptorError::Metadata(MetadataError::NotMetadata { .. }))
    ));
    // An SP's metadata, and an aggregate of several entities, are not our IdP.
    for other in [
        "entities/python3-saml_metadata_settings1.xml",
        "entities/python3-saml_entities_metadata.xml",
    ] {
        let bytes = std::fs::read(fixture(other)).unwrap();
        assert_eq!(
            saml::read_idp_descriptor(&bytes).unwrap_err(),
            DescriptorError::NotIdp,
            "{other}"
        );
    }
}

#[test]
fn certificates_of_every_entity_have_a_not_after() {
    let metadata = parse("aggregates/pyff_wayf-edugain-metadata.xml");
    let not_after: Vec<(&str, OffsetDateTime)> = metadata
        .entities
        .iter()
        .flat_map(|e| {
            e.keys()
                .map(move |(_, k)| (e.entity_id.as_str(), cert(k).not_after))
        })
        .collect();
    assert_eq!(not_after.len(), 77);
    assert!(
        not_after
            .iter()
            .all(|(_, at)| *at > datetime!(2000-01-01 00:00 UTC))
    );
}
