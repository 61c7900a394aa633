//! `fedctl export-metadata`: per outbound federation, what we hand the partner — our IdP
//! metadata (SAML) and a handoff summary in Markdown and JSON ([`handoff`]).
//!
//! The shell reads the target once, builds every file in memory and writes only when all of
//! them could be built, so a failure never leaves a half export behind. Client secrets are
//! never printed: with `--show-secret` they go to owner-only files, and nowhere else.

mod handoff;

use std::cmp::Reverse;
use std::path::{Path, PathBuf};

use base64::Engine;
use miette::Diagnostic;
use serde_json::Value;

use self::handoff::ClientSecret;
use super::Exit;
use super::args::{RecordArgs, TargetArgs};
use super::pipeline::{AnyTarget, open_target, records_realm};
use crate::error::Error;
use crate::fsutil::{self, Mode, WriteError};
use crate::keycloak::keys::{self, KeyStatus, KeyUse, KeysError, RealmKey};
use crate::profile::AttributeProfile;
use crate::record::{Direction, LoadedRecord, Protocol};
use crate::saml::{self, Contact, MetadataError, SigningKey};
use crate::target::{Target, TargetError};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub records: RecordArgs,

    #[command(flatten)]
    pub target: TargetArgs,

    /// Directory the files are written to (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// Also write each OIDC client secret to its own owner-only (0600) file. Secrets are
    /// never printed.
    #[arg(long)]
    pub show_secret: bool,
}

#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum ExportError {
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

    #[error("export-metadata reads realm files only, not live targets, for now")]
    #[diagnostic(
        code(fedctl::export::live_target),
        help(
            "export the realm with `kc.sh export --realm NAME --file FILE` and pass --realm-file FILE"
        )
    )]
    LiveTarget,

    #[error(
        "record {record}: your_entity_id {entity_id:?} is not of the form https://HOST/realms/REALM"
    )]
    #[diagnostic(code(fedctl::export::entity_id))]
    NoRealm { record: String, entity_id: String },

    #[error("cannot read the realm's keys")]
    #[diagnostic(code(fedctl::export::keys))]
    Keys(#[from] KeysError),

    #[error("record {record}: our IdP metadata does not read back as SAML metadata")]
    #[diagnostic(code(fedctl::export::metadata))]
    Metadata {
        record: String,
        #[source]
        source: MetadataError,
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
    Write(#[from] WriteError),
}

/// A file to write; built in memory first.
struct OutFile {
    name: String,
    contents: Vec<u8>,
    mode: Mode,
}

pub fn run(args: &Args) -> Result<Exit, Error> {
    let set = crate::record::load(&args.records)?;
    let outbound: Vec<&LoadedRecord> = set
        .records
        .iter()
        .filter(|r| r.record.federation.direction == Direction::Outbound)
        .collect();
    if outbound.is_empty() {
        return Err(ExportError::NothingToExport.into());
    }
    let target = open_target(&args.target, records_realm(&set).as_deref())?;
    let ours = OurSide::read(&target)?;
    let mut files = Vec::new();
    for record in outbound {
        files.extend(export_record(
            record,
            &set.profile,
            &ours,
            args.show_secret,
        )?);
    }
    write_all(&args.out, &files)?;
    println!("Wrote {} files to {}:", files.len(), args.out.display());
    for file in &files {
        println!("  {}", args.out.join(&file.name).display());
    }
    Ok(Exit::SUCCESS)
}

/// What the target tells about our side of the federations.
struct OurSide {
    describe: String,
    realm: String,
    /// The keys Keycloak's IdP descriptor lists, in its order.
    signing_keys: Vec<SigningKey>,
    /// ClientRepresentation JSON objects (for OIDC client secrets).
    clients: Vec<Value>,
}

impl OurSide {
    fn read(target: &AnyTarget) -> Result<OurSide, ExportError> {
        let describe = target.describe();
        let realm = target.realm().to_owned();
        match target {
            AnyTarget::File(file) => {
                let document = file.document();
                let clients = match document.get("clients") {
                    Some(Value::Array(clients)) => clients.clone(),
                    _ => Vec::new(),
                };
                Ok(OurSide {
                    describe,
                    realm,
                    signing_keys: descriptor_keys(&keys::from_realm_export(&document)?),
                    clients,
                })
            }
            // Live targets land separately; until this command reads Keycloak's descriptor
            // through them, they get a clear refusal instead of a build break.
            #[allow(unreachable_patterns)]
            _ => Err(ExportError::LiveTarget),
        }
    }

    fn idp_metadata(
        &self,
        server_url: &str,
        contact: Option<&Contact>,
    ) -> Result<String, ExportError> {
        if self.signing_keys.is_empty() {
            return Err(ExportError::NoSigningKey {
                target: self.describe.clone(),
            });
        }
        Ok(saml::idp_descriptor(
            server_url,
            &self.realm,
            &self.signing_keys,
            contact,
        ))
    }

    /// The client's secret, or why it cannot be had.
    fn client_secret(&self, client_id: &str) -> Result<&str, String> {
        let client = self
            .clients
            .iter()
            .find(|c| c.get("clientId").and_then(Value::as_str) == Some(client_id))
            .ok_or_else(|| {
                format!(
                    "client {client_id} does not exist in {} yet (run apply first)",
                    self.describe
                )
            })?;
        match client.get("secret").and_then(Value::as_str) {
            // Keycloak masks secrets in exports; the mask is not the secret.
            Some(secret) if !secret.is_empty() && secret.chars().any(|c| c != '*') => Ok(secret),
            _ => Err(format!(
                "{} holds no readable secret for {client_id} (realm exports mask secrets): \
                 the secret is not available offline; read it from the admin console or \
                 export from a live Keycloak",
                self.describe
            )),
        }
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

fn export_record(
    record: &LoadedRecord,
    profile: &AttributeProfile,
    ours: &OurSide,
    show_secret: bool,
) -> Result<Vec<OutFile>, Error> {
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
            let name = format!("{}-idp-metadata.xml", record.id);
            let contact = federation
                .contacts
                .your_technical
                .as_ref()
                .map(|email| Contact {
                    given_name: None,
                    email: email.clone(),
                });
            let xml = ours.idp_metadata(&server_url(entity_id), contact.as_ref())?;
            let metadata =
                saml::parse_metadata(xml.as_bytes()).map_err(|source| ExportError::Metadata {
                    record: record.id.clone(),
                    source,
                })?;
            let summary = metadata
                .entities
                .first()
                .map(|idp| handoff::saml(&record.id, federation, profile, idp, &name));
            files.push(OutFile {
                name,
                contents: xml.into_bytes(),
                mode: Mode::KeepExisting,
            });
            summary.ok_or_else(|| ExportError::Metadata {
                record: record.id.clone(),
                source: MetadataError::Empty,
            })?
        }
        Protocol::Oidc => {
            let secret = client_secret(record, ours, show_secret, &mut files);
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

/// Where the OIDC client secret ends up; with `--show-secret` and a readable secret, in an
/// owner-only file added to `files`.
fn client_secret(
    record: &LoadedRecord,
    ours: &OurSide,
    show_secret: bool,
    files: &mut Vec<OutFile>,
) -> ClientSecret {
    let federation = &record.record.federation;
    if !handoff::uses_client_secret(federation) {
        return ClientSecret::NotUsed;
    }
    if !show_secret {
        return ClientSecret::Withheld;
    }
    let client_id = federation
        .technical
        .client_id
        .as_deref()
        .unwrap_or_default();
    match ours.client_secret(client_id) {
        Ok(secret) => {
            let name = format!("{}-client-secret.txt", record.id);
            files.push(OutFile {
                name: name.clone(),
                contents: format!("{secret}\n").into_bytes(),
                mode: Mode::PrivateOwnerOnly,
            });
            ClientSecret::Written { file: name }
        }
        Err(reason) => ClientSecret::Unavailable { reason },
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
    for file in files {
        fsutil::write_atomic(&out.join(&file.name), &file.contents, file.mode)?;
    }
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
