//! What we hand each partner (`fedctl export-metadata`): per outbound federation, what we hand the partner — our IdP
//! metadata (SAML) and a handoff summary in Markdown and JSON ([`handoff`]).
//!
//! One flow for both kinds of target. The shell reads our side once ([`OurSide`]): the IdP
//! descriptor (Keycloak's own from a live target, one request per run; generated from the
//! realm's keys for a realm file) and the client secrets `--show-secret` asks for. Every file
//! is then built in memory from that, and written only when all of them could be built, so a
//! failure never leaves a half export behind. Client secrets are never printed: with
//! `--show-secret` they go to owner-only files, and nowhere else.

mod handoff;
mod live;

use std::borrow::Cow;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use base64::Engine;
use miette::Diagnostic;
use serde_json::Value;

use self::handoff::ClientSecret;
use crate::desired;
use crate::fsutil::{self, Mode, SetWriteError};
use crate::keycloak::admin::secret::Secret;
use crate::keycloak::keys::{self, KeyStatus, KeyUse, KeysError, RealmKey};
use crate::pipeline::{AnyTarget, open_target, records_realm};
use crate::printable::printable;
use crate::record::profile::AttributeProfile;
use crate::record::{Direction, Federation, LoadOptions, LoadedRecord, Protocol, RecordErrors};
use crate::runtime::block_on;
use crate::saml::{self, Contact, DescriptorError, Entity, SigningKey};
use crate::target::{Target, TargetChoice, TargetError};

/// What to export, and where.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    pub load: LoadOptions,
    pub target: TargetChoice,
    /// Directory the files are written to (created if missing).
    pub out: PathBuf,
    /// Also write each OIDC client secret to its own owner-only (0600) file.
    pub show_secret: bool,
}

/// What an export wrote, and what the files cannot fix.
#[derive(Debug)]
pub struct Exported {
    /// Every file written, under [`ExportOptions::out`].
    pub files: Vec<PathBuf>,
    /// For the user's eye: a client missing from the realm, a secret not written.
    pub warnings: Vec<String>,
}

#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum ExportError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Records(#[from] RecordErrors),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Target(#[from] TargetError),

    #[error("no outbound federation among the records: nothing to export")]
    #[diagnostic(
        code(fedctl::export::nothing),
        help(
            "export-metadata hands partners our identity provider's side; inbound federations \
             (partner-idp-to-your-sp) have nothing to hand over"
        )
    )]
    NothingToExport,

    #[error(
        "{target} holds no realm signing key with a certificate, so our IdP metadata cannot be written"
    )]
    #[diagnostic(
        code(fedctl::export::no_signing_key),
        help(
            "export the realm with its keys: `kc.sh export --realm NAME --file FILE` includes the \
             key-provider components (the admin console's partial export does not), or export \
             from a live Keycloak"
        )
    )]
    NoSigningKey { target: String },

    #[error(
        "record {record}: your_entity_id {entity_id:?} is not of the form https://HOST/realms/REALM"
    )]
    #[diagnostic(code(fedctl::export::entity_id))]
    NoRealm { record: String, entity_id: String },

    #[error("realm file {} not found", path.display())]
    #[diagnostic(
        code(fedctl::export::no_realm_file),
        help(
            "export-metadata reads an existing realm: export it with `kc.sh export --realm NAME \
             --file FILE`, or create it with `fedctl apply --realm-file FILE`"
        )
    )]
    RealmFileNotFound { path: PathBuf },

    #[error("cannot read the realm's keys")]
    #[diagnostic(code(fedctl::export::keys))]
    Keys(#[from] KeysError),

    #[error("our IdP descriptor ({origin}) cannot be handed to partners")]
    #[diagnostic(code(fedctl::export::descriptor))]
    Descriptor {
        origin: String,
        #[source]
        source: DescriptorError,
    },

    #[error("cannot create the output directory {}", path.display())]
    #[diagnostic(code(fedctl::export::out_dir))]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error(transparent)]
    #[diagnostic(code(fedctl::export::write))]
    Write(#[from] SetWriteError),
}

/// A file to write; built in memory first.
struct OutFile {
    name: String,
    contents: Vec<u8>,
    mode: Mode,
}

/// Builds every file in memory from one read of the target, then writes them all.
pub fn export(options: &ExportOptions) -> Result<Exported, ExportError> {
    let set = crate::record::load(&options.load)?;
    let outbound: Vec<&LoadedRecord> = set
        .records
        .iter()
        .filter(|r| r.record.federation.direction == Direction::Outbound)
        .collect();
    if outbound.is_empty() {
        return Err(ExportError::NothingToExport);
    }
    // A missing realm file has nothing to export: say so before anything else.
    if let Some(path) = &options.target.realm_file
        && !path.exists()
    {
        return Err(ExportError::RealmFileNotFound { path: path.clone() });
    }
    let target = open_target(&options.target, records_realm(&set).as_deref(), None)?;
    let ours = OurSide::read(&target, &Wanted::of(&outbound, options.show_secret))?;
    let mut files = Vec::new();
    for record in &outbound {
        files.extend(export_record(record, &set.profile, &ours)?);
    }
    write_all(&options.out, &files)?;
    Ok(Exported {
        files: files
            .iter()
            .map(|file| options.out.join(&file.name))
            .collect(),
        warnings: warnings(&outbound, &ours, &target.describe()),
    })
}

/// What the files cannot fix: a record whose client is not in the realm (the handoff
/// describes a federation that does not work yet), and a secret `--show-secret` asked for
/// that was not written.
fn warnings(records: &[&LoadedRecord], ours: &OurSide, target: &str) -> Vec<String> {
    let mut warnings = Vec::new();
    for record in records {
        let federation = &record.record.federation;
        if let Some(client_id) = desired::client_id(federation)
            && ours.absent_clients.contains(client_id)
        {
            warnings.push(format!(
                "{}: client {} is not in {target}: the partner is handed a federation \
                 that does not work until `fedctl apply` creates it",
                record.id,
                printable(client_id)
            ));
        }
        if let Some(Err(reason)) = secret_client_id(federation).and_then(|id| ours.secrets.get(id))
        {
            warnings.push(format!(
                "{}: --show-secret: no secret file written: {reason}",
                record.id
            ));
        }
    }
    warnings
}

/// What the records need from the target, so it is read for that and nothing else.
struct Wanted {
    /// Our IdP descriptor, for SAML federations.
    descriptor: bool,
    /// The clientIds of the records, to warn about those not in the realm (realm files;
    /// live, only the clients looked up for their secrets: see `live::read`).
    clients: BTreeSet<String>,
    /// The clientIds whose secrets `--show-secret` asks for.
    secrets: BTreeSet<String>,
}

impl Wanted {
    fn of(records: &[&LoadedRecord], show_secret: bool) -> Wanted {
        let federations = || records.iter().map(|r| &r.record.federation);
        Wanted {
            descriptor: federations().any(|f| f.protocol == Protocol::Saml),
            clients: federations()
                .filter_map(desired::client_id)
                .map(str::to_owned)
                .collect(),
            secrets: federations()
                .filter(|_| show_secret)
                .filter_map(secret_client_id)
                .map(str::to_owned)
                .collect(),
        }
    }
}

/// The clientId of a federation whose client authenticates with a secret Keycloak generates.
fn secret_client_id(federation: &Federation) -> Option<&str> {
    (federation.technical.client_id.as_deref()).filter(|_| handoff::uses_client_secret(federation))
}

/// Our side of the federations, read from the target once, before any file is built.
struct OurSide {
    realm: String,
    /// Our IdP descriptor, read when a SAML federation wants it.
    descriptor: Option<Descriptor>,
    /// The records' clientIds that the realm does not have.
    absent_clients: BTreeSet<String>,
    secrets: Secrets,
}

/// The secrets `--show-secret` asks for, by clientId, or why each cannot be had. A clientId
/// that is absent was not asked for.
type Secrets = BTreeMap<String, Result<Secret, String>>;

/// Where our IdP descriptor comes from.
enum Descriptor {
    /// A realm file knows the realm's keys but not the server: the descriptor is generated in
    /// Keycloak's structure for the server URL each record names. Never without keys.
    Generated {
        target: String,
        realm: String,
        keys: Vec<SigningKey>,
    },
    /// A live Keycloak serves its own, as fetched from `url`.
    Served { url: String, body: Vec<u8> },
}

impl Descriptor {
    /// The descriptor as Keycloak serves it to partners of `server_url`.
    fn served(&self, server_url: &str) -> Cow<'_, [u8]> {
        match self {
            Descriptor::Generated { realm, keys, .. } => {
                Cow::Owned(saml::idp_descriptor(server_url, realm, keys).into_bytes())
            }
            Descriptor::Served { body, .. } => Cow::Borrowed(body),
        }
    }

    /// Where it comes from, for messages.
    fn origin(&self) -> String {
        match self {
            Descriptor::Generated { target, .. } => format!("generated from {target}"),
            Descriptor::Served { url, .. } => format!("served at {url}"),
        }
    }
}

impl OurSide {
    fn read(target: &AnyTarget, wanted: &Wanted) -> Result<OurSide, ExportError> {
        let describe = target.describe();
        let realm = target.realm().to_owned();
        let (descriptor, absent_clients, secrets) = match target {
            AnyTarget::File(file) => {
                let document = file.document();
                let descriptor = wanted
                    .descriptor
                    .then(|| generated_descriptor(&document, &describe, &realm))
                    .transpose()?;
                let clients = document.get("clients").and_then(Value::as_array);
                let absent = (wanted.clients.iter())
                    .filter(|id| exported_client(clients, id).is_none())
                    .cloned()
                    .collect();
                let secrets = (wanted.secrets.iter())
                    .map(|id| (id.clone(), exported_secret(clients, id, &describe)))
                    .collect();
                (descriptor, absent, secrets)
            }
            AnyTarget::Keycloak(keycloak) => {
                block_on(live::read(keycloak.client(), wanted, &describe))
                    .map_err(TargetError::from)?
            }
        };
        Ok(OurSide {
            realm,
            descriptor,
            absent_clients,
            secrets,
        })
    }
}

/// The descriptor Keycloak would serve for the realm file's keys; without a usable key there
/// is nothing to hand over.
fn generated_descriptor(
    document: &Value,
    target: &str,
    realm: &str,
) -> Result<Descriptor, ExportError> {
    let keys = descriptor_keys(&keys::from_realm_export(document)?);
    if keys.is_empty() {
        return Err(ExportError::NoSigningKey {
            target: target.to_owned(),
        });
    }
    Ok(Descriptor::Generated {
        target: target.to_owned(),
        realm: realm.to_owned(),
        keys,
    })
}

/// Why a client's secret cannot be had: it does not exist on the target.
fn missing_client(client_id: &str, target: &str) -> String {
    format!("client {client_id} does not exist in {target} yet (run apply first)")
}

/// The client `client_id` of a realm export's clients.
fn exported_client<'a>(clients: Option<&'a Vec<Value>>, client_id: &str) -> Option<&'a Value> {
    (clients.into_iter().flatten())
        .find(|c| c.get("clientId").and_then(Value::as_str) == Some(client_id))
}

/// A client's secret as a realm export holds it, or why it cannot be had.
fn exported_secret(
    clients: Option<&Vec<Value>>,
    client_id: &str,
    target: &str,
) -> Result<Secret, String> {
    let client =
        exported_client(clients, client_id).ok_or_else(|| missing_client(client_id, target))?;
    match client.get("secret").and_then(Value::as_str) {
        // Keycloak masks secrets in exports; the mask is not the secret.
        Some(secret) if !secret.is_empty() && secret.chars().any(|c| c != '*') => {
            Ok(Secret::new(secret))
        }
        _ => Err(format!(
            "{target} holds no readable secret for {client_id} (realm exports mask secrets): \
             the secret is not available offline; read it from the admin console or \
             export from a live Keycloak"
        )),
    }
}

/// The keys Keycloak's IdP descriptor lists (keycloak-admin-api.md §7.1): enabled signing keys
/// usable with RS256 that have a certificate, active before passive, higher priority first.
fn descriptor_keys(keys: &[RealmKey]) -> Vec<SigningKey> {
    let mut usable: Vec<&RealmKey> = keys
        .iter()
        .filter(|k| k.key_use == KeyUse::Sig && k.status != KeyStatus::Disabled)
        // RSA providers default to RS256 when no algorithm is configured.
        .filter(|k| k.algorithm.as_deref().is_none_or(|a| a == "RS256"))
        .collect();
    usable.sort_by_key(|k| {
        (
            k.status != KeyStatus::Active,
            Reverse(k.priority.unwrap_or(0)),
        )
    });
    usable
        .into_iter()
        .filter_map(|key| {
            let der = base64::engine::general_purpose::STANDARD
                .decode(key.certificate.as_deref()?.trim())
                .ok()?;
            Some(SigningKey {
                kid: key.kid.clone()?,
                certificate_der: der,
            })
        })
        .collect()
}

/// A record's files, built from what the target said (pure).
fn export_record(
    record: &LoadedRecord,
    profile: &AttributeProfile,
    ours: &OurSide,
) -> Result<Vec<OutFile>, ExportError> {
    let federation = &record.record.federation;
    let entity_id = &federation.technical.your_entity_id;
    let realm = record.realm().ok_or_else(|| ExportError::NoRealm {
        record: record.id.clone(),
        entity_id: entity_id.clone(),
    })?;
    if realm != ours.realm {
        return Err(TargetError::RealmMismatch {
            records: realm.to_owned(),
            target: ours.realm.clone(),
        }
        .into());
    }
    let mut files = Vec::new();
    let summary = match federation.protocol {
        Protocol::Saml => {
            let (file, idp) = idp_metadata_file(record, ours)?;
            if idp.entity_id != *entity_id {
                // The partner trusts what the descriptor says; a record that says otherwise
                // (another hostname, a proxy) describes a federation that will not work.
                eprintln!(
                    "warning: {}: our IdP's entityID is {:?}, but your_entity_id is {entity_id:?}; \
                     the partner will be configured with the former",
                    record.id, idp.entity_id
                );
            }
            let summary = handoff::saml(&record.id, federation, profile, &idp, &file.name);
            files.push(file);
            summary
        }
        Protocol::Oidc => {
            let secret = client_secret(record, ours, &mut files);
            handoff::oidc(&record.id, federation, profile, secret)
        }
    };
    let json = serde_json::to_string_pretty(&summary).expect("handoff summaries serialise");
    files.push(OutFile {
        name: format!("{}-handoff.json", record.id),
        contents: format!("{json}\n").into_bytes(),
        mode: Mode::KeepExisting,
    });
    files.push(OutFile {
        name: format!("{}-handoff.md", record.id),
        contents: handoff::markdown(&summary).into_bytes(),
        mode: Mode::KeepExisting,
    });
    Ok(files)
}

/// The record's IdP metadata file, and the descriptor it was made from, parsed.
fn idp_metadata_file(
    record: &LoadedRecord,
    ours: &OurSide,
) -> Result<(OutFile, Entity), ExportError> {
    let federation = &record.record.federation;
    let descriptor = (ours.descriptor.as_ref())
        .expect("OurSide::read reads the descriptor when a SAML federation is exported");
    let contact = (federation.contacts.your_technical.as_ref()).map(|email| Contact {
        given_name: None,
        email: email.clone(),
    });
    let served = descriptor.served(&server_url(&federation.technical.your_entity_id));
    let (xml, idp) =
        idp_metadata(&served, contact.as_ref()).map_err(|source| ExportError::Descriptor {
            origin: descriptor.origin(),
            source,
        })?;
    let file = OutFile {
        name: format!("{}-idp-metadata.xml", record.id),
        contents: xml,
        mode: Mode::KeepExisting,
    };
    Ok((file, idp))
}

/// Our IdP metadata for one federation: the descriptor as served, read as partners will read
/// it (one IdP entity), with our technical contact added.
fn idp_metadata(
    served: &[u8],
    contact: Option<&Contact>,
) -> Result<(Vec<u8>, Entity), DescriptorError> {
    let idp = saml::read_idp_descriptor(served)?;
    let xml = match contact {
        // It was read, so it is UTF-8 and the conversion is exact.
        Some(contact) => saml::add_contact(&String::from_utf8_lossy(served), contact)?.into_bytes(),
        None => served.to_vec(),
    };
    Ok((xml, idp))
}

/// Where the OIDC client secret ends up; when it was read, in an owner-only file added to
/// `files`.
fn client_secret(record: &LoadedRecord, ours: &OurSide, files: &mut Vec<OutFile>) -> ClientSecret {
    let Some(client_id) = secret_client_id(&record.record.federation) else {
        return ClientSecret::NotUsed;
    };
    match ours.secrets.get(client_id) {
        // Not asked for: no --show-secret.
        None => ClientSecret::Withheld,
        Some(Ok(secret)) => {
            let name = format!("{}-client-secret.txt", record.id);
            files.push(OutFile {
                name: name.clone(),
                contents: format!("{}\n", secret.expose()).into_bytes(),
                mode: Mode::PrivateOwnerOnly,
            });
            ClientSecret::Written { file: name }
        }
        Some(Err(reason)) => ClientSecret::Unavailable {
            reason: reason.clone(),
        },
    }
}

/// The server URL in front of `/realms/<realm>` (`https://host` or, for old Keycloak,
/// `https://host/auth`).
fn server_url(entity_id: &str) -> String {
    let trimmed = entity_id.trim_end_matches('/');
    trimmed
        .rsplit_once("/realms/")
        .map_or(trimmed, |(server, _)| server)
        .to_owned()
}

fn write_all(out: &Path, files: &[OutFile]) -> Result<(), ExportError> {
    std::fs::create_dir_all(out).map_err(|source| ExportError::CreateDir {
        path: out.to_owned(),
        source,
    })?;
    // All or nothing: a full disk must not leave a partner with half an updated handoff.
    let set: Vec<_> = files
        .iter()
        .map(|file| (out.join(&file.name), file.contents.as_slice(), file.mode))
        .collect();
    fsutil::write_set(&set)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(kid: &str, status: KeyStatus, priority: i64, algorithm: Option<&str>) -> RealmKey {
        RealmKey {
            provider_id: kid.into(),
            provider_name: None,
            kid: Some(kid.into()),
            algorithm: algorithm.map(str::to_owned),
            status,
            key_use: KeyUse::Sig,
            priority: Some(priority),
            certificate: Some("AAEC".into()),
            valid_to: None,
        }
    }

    #[test]
    fn descriptor_keys_follow_keycloak_order_and_filters() {
        let mut enc = key("enc", KeyStatus::Active, 500, Some("RSA-OAEP"));
        enc.key_use = KeyUse::Enc;
        let mut no_cert = key("hmac", KeyStatus::Active, 100, None);
        no_cert.certificate = None;
        let keys = [
            key("passive", KeyStatus::Passive, 900, None),
            key("low", KeyStatus::Active, 10, Some("RS256")),
            key("high", KeyStatus::Active, 100, None),
            key("disabled", KeyStatus::Disabled, 1000, None),
            key("ps256", KeyStatus::Active, 1000, Some("PS256")),
            enc,
            no_cert,
        ];
        let kids: Vec<String> = descriptor_keys(&keys).into_iter().map(|k| k.kid).collect();
        assert_eq!(kids, ["high", "low", "passive"]);
    }

    #[test]
    fn server_url_is_what_precedes_the_realm() {
        assert_eq!(
            server_url("https://idp.example.org/realms/r/"),
            "https://idp.example.org"
        );
        assert_eq!(
            server_url("https://idp.example.org/auth/realms/r"),
            "https://idp.example.org/auth"
        );
    }
}
