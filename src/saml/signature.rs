//! XML-signature verification of metadata against a configured signer certificate, with the
//! `xmlsec1` tool (Debian package `xmlsec1`).
//!
//! xmlsec1 checks the cryptography; fedctl checks what xmlsec1 does not: that the signature
//! covers the whole document (it sits on the root and references the root, whose ID is
//! unique), so a validly signed fragment cannot vouch for unsigned content around it
//! (signature wrapping). Keys or certificates inside the document are never trusted: xmlsec1
//! is told to ignore `KeyInfo` content and only the configured signer is loaded.
//!
//! Two parsers read the document: libxml2 inside xmlsec1, and fedctl's own. Wherever they
//! could disagree (how a namespace declaration is decoded, which signature comes first, what
//! an ID points at), an attacker could show the verifier one document and fedctl another. So
//! fedctl does not trust its own reading of the file: xmlsec1 hands back the exact content its
//! digest covered, canonicalised as libxml2 understood it (`--store-references`), fedctl parses
//! that, and the document is used only when both readings hold the same metadata. Whatever
//! the disagreement, a value fedctl uses is then a value the signature covers.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine;

use super::model::{Metadata, Position};
use super::parse::parse_metadata;
use super::xml::{MD, MetadataError};
use crate::x509::{self, CertError, CertInfo};

/// Why metadata was refused by signature verification.
#[derive(Debug, thiserror::Error)]
pub enum SignatureError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("signer certificate {}: {source}", path.display())]
    Signer { path: PathBuf, source: CertError },
    #[error(transparent)]
    Metadata(#[from] MetadataError),
    #[error("no signer certificate given to verify the metadata with")]
    NoSigner,
    #[error("the metadata is not signed, but a signer is configured: unsigned metadata is refused")]
    Unsigned,
    #[error(
        "{position}: the first signature is not a child of the document root; a signature over \
         part of the document does not vouch for the rest (signature wrapping)"
    )]
    NotOnRoot { position: Position },
    #[error(
        "{position}: the signature has {count} references; exactly one, to the document root, is accepted"
    )]
    ReferenceCount { count: usize, position: Position },
    #[error(
        "{position}: the signature references {uri:?}, not the document root ({expected}); \
         it does not cover the whole document"
    )]
    NotRootReference {
        uri: String,
        expected: String,
        position: Position,
    },
    #[error(
        "the root ID {id:?} is carried by {uses} elements, so the signature reference is ambiguous"
    )]
    AmbiguousId { id: String, uses: usize },
    #[error(
        "{position}: signature transform {algorithm:?} is not accepted (only enveloped-signature and canonicalisation)"
    )]
    Transform {
        algorithm: String,
        position: Position,
    },
    #[error("the metadata was modified after it was signed (digest mismatch): {detail}")]
    DigestMismatch { detail: String },
    #[error("the signature was not made with the configured signer's key ({signers}): {detail}")]
    WrongSigner { signers: String, detail: String },
    #[error("xmlsec1 refused the signature: {detail}")]
    Invalid { detail: String },
    #[error(
        "the signed content, as the signature verifier reads it, is not a metadata document: {0}"
    )]
    SignedContent(MetadataError),
    #[error(
        "the metadata fedctl reads differs from the content the signature covers, as the \
         signature verifier reads it (the document is built to be read two ways)"
    )]
    ReadingsDiffer,
    #[error("xmlsec1 reported {count} verified references; exactly one is accepted")]
    VerifiedReferences { count: usize },
    #[error(
        "xmlsec1 is not installed; install the Debian package xmlsec1 (apt-get install xmlsec1)"
    )]
    ToolMissing,
    #[error("running xmlsec1: {0}")]
    Tool(std::io::Error),
}

/// The canonicalisation and enveloped-signature transforms: anything else (XPath, XSLT)
/// could make the signature cover less than the document.
pub const ALLOWED_TRANSFORMS: [&str; 7] = [
    "http://www.w3.org/2000/09/xmldsig#enveloped-signature",
    "http://www.w3.org/2001/10/xml-exc-c14n#",
    "http://www.w3.org/2001/10/xml-exc-c14n#WithComments",
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments",
    "http://www.w3.org/2006/12/xml-c14n11",
    "http://www.w3.org/2006/12/xml-c14n11#WithComments",
];

/// Verifies the metadata file's signature with the certificate(s) of a PEM file (several
/// certificates: any of them may have signed, for signer key rollover). Returns the metadata
/// parsed from exactly the bytes that were verified, so nothing can change in between.
pub fn verify_signature(
    xml_path: &Path,
    signer_pem_path: &Path,
) -> Result<Metadata, SignatureError> {
    let xml = std::fs::read(xml_path).map_err(|source| SignatureError::Read {
        path: xml_path.to_owned(),
        source,
    })?;
    verify_signed_metadata(&xml, &read_signers(signer_pem_path)?)
}

/// The certificates of a signer PEM file (several for a key rollover).
pub fn read_signers(pem_path: &Path) -> Result<Vec<CertInfo>, SignatureError> {
    let pem = std::fs::read(pem_path).map_err(|source| SignatureError::Read {
        path: pem_path.to_owned(),
        source,
    })?;
    x509::parse_pem(&String::from_utf8_lossy(&pem)).map_err(|source| SignatureError::Signer {
        path: pem_path.to_owned(),
        source,
    })
}

/// [`verify_signature`] for metadata already in memory (fetched from a URL).
pub fn verify_signed_metadata(
    xml: &[u8],
    signers: &[CertInfo],
) -> Result<Metadata, SignatureError> {
    if signers.is_empty() {
        return Err(SignatureError::NoSigner);
    }
    let metadata = parse_metadata(xml)?;
    check_coverage(&metadata)?;
    let id_attrs = [
        format!("{MD}:EntityDescriptor"),
        format!("{MD}:EntitiesDescriptor"),
    ];
    let verified = verify_xml_signature(xml, signers, &id_attrs, None)?;
    same_reading(metadata, &verified)
}

/// Verifies one XML signature of `xml` with xmlsec1 against `signers` (any of them may have
/// signed) and returns the exact content its single reference's digest covered, as xmlsec1
/// read it: callers take values from that content only, so nothing unsigned can be read.
/// `id_attrs` (`namespace:Element`) name the elements whose `ID` attribute a reference may
/// point at; `signature_xpath` picks the signature to verify (default: the first one).
/// Checking which element a signature sits on and references is the caller's job.
pub fn verify_xml_signature(
    xml: &[u8],
    signers: &[CertInfo],
    id_attrs: &[String],
    signature_xpath: Option<&str>,
) -> Result<Vec<u8>, SignatureError> {
    if signers.is_empty() {
        return Err(SignatureError::NoSigner);
    }
    let document = temp_file(xml)?;
    let mut failures = Vec::new();
    for signer in signers {
        let pem = temp_file(to_pem(signer).as_bytes())?;
        match run_xmlsec(document.path(), pem.path(), id_attrs, signature_xpath)? {
            Ok(verified) => return Ok(verified),
            Err(detail) => failures.push(detail),
        }
    }
    Err(classify(failures, signers))
}

/// `metadata` (fedctl's reading of the file, kept for its line numbers) when it holds exactly
/// what fedctl reads from `verified`, the content xmlsec1 digested.
fn same_reading(metadata: Metadata, verified: &[u8]) -> Result<Metadata, SignatureError> {
    let signed = parse_metadata(verified).map_err(SignatureError::SignedContent)?;
    if metadata.same_content(&signed) {
        Ok(metadata)
    } else {
        Err(SignatureError::ReadingsDiffer)
    }
}

/// The structural rules that make "xmlsec1 says OK" mean "the whole document is signed".
fn check_coverage(metadata: &Metadata) -> Result<(), SignatureError> {
    let signature = metadata
        .signature
        .as_ref()
        .ok_or(SignatureError::Unsigned)?;
    let position = signature.position;
    if !signature.on_root {
        return Err(SignatureError::NotOnRoot { position });
    }
    let [reference] = signature.references.as_slice() else {
        return Err(SignatureError::ReferenceCount {
            count: signature.references.len(),
            position,
        });
    };
    let uri = reference.uri.as_deref().unwrap_or("");
    let covers_root = uri.is_empty()
        || metadata
            .root_id
            .as_deref()
            .is_some_and(|id| uri.strip_prefix('#') == Some(id));
    if !covers_root {
        let expected = metadata
            .root_id
            .as_deref()
            .map_or("URI \"\"".to_owned(), |id| format!("URI \"#{id}\""));
        return Err(SignatureError::NotRootReference {
            uri: uri.to_owned(),
            expected,
            position,
        });
    }
    if let Some(id) = &metadata.root_id
        && metadata.root_id_uses > 1
    {
        return Err(SignatureError::AmbiguousId {
            id: id.clone(),
            uses: metadata.root_id_uses,
        });
    }
    if let Some(algorithm) = reference
        .transforms
        .iter()
        .find(|t| !ALLOWED_TRANSFORMS.contains(&t.as_str()))
    {
        return Err(SignatureError::Transform {
            algorithm: algorithm.clone(),
            position,
        });
    }
    Ok(())
}

/// Runs xmlsec1: the content the verified reference covers when the signature verifies, else
/// xmlsec1's diagnostics.
fn run_xmlsec(
    document: &Path,
    signer_pem: &Path,
    id_attrs: &[String],
    signature_xpath: Option<&str>,
) -> Result<Result<Vec<u8>, String>, SignatureError> {
    let mut command = Command::new("xmlsec1");
    command.arg("--verify");
    for element in id_attrs {
        command.args(["--id-attr:ID", element]);
    }
    if let Some(xpath) = signature_xpath {
        command.args(["--node-xpath", xpath]);
    }
    let output = command
        // Print the bytes each reference's digest was computed over.
        .args(["--store-references", "--print-debug"])
        // Only the key loaded below may be used: KeyValue/X509Data in the document are ignored
        // (a KeyName can only select among loaded keys).
        .args(["--enabled-key-data", "key-name"])
        // No remote or file references: only the document itself.
        .args(["--enabled-reference-uris", "empty,same-doc"])
        .arg("--pubkey-cert-pem")
        .arg(signer_pem)
        .arg(document)
        .output()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => SignatureError::ToolMissing,
            _ => SignatureError::Tool(e),
        })?;
    if output.status.success() {
        return verified_content(&output.stdout).map(|content| Ok(content.to_vec()));
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    Ok(Err(stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect::<Vec<_>>()
        .join("; ")))
}

/// The pre-digest content of the single reference in xmlsec1's `--print-debug` report. The
/// report is xmlsec1's own text around the content, so the content starts after the first
/// start marker and ends before the last end marker; one reference means one start marker
/// (more can only come from signed content that contains the marker text: refused).
fn verified_content(report: &[u8]) -> Result<&[u8], SignatureError> {
    const START: &[u8] = b"== PreDigest data - start buffer:\n";
    const END: &[u8] = b"\n== PreDigest data - end buffer\n";
    let starts: Vec<usize> = find_all(report, START).collect();
    let end = find_all(report, END).last();
    match (starts.as_slice(), end) {
        ([start], Some(end)) if start + START.len() <= end => Ok(&report[start + START.len()..end]),
        _ => Err(SignatureError::VerifiedReferences {
            count: starts.len(),
        }),
    }
}

fn find_all<'a>(haystack: &'a [u8], needle: &'a [u8]) -> impl Iterator<Item = usize> + 'a {
    haystack
        .windows(needle.len())
        .enumerate()
        .filter(move |(_, window)| *window == needle)
        .map(|(at, _)| at)
}

/// Names the failure: a digest mismatch means changed content whichever key is tried; a
/// signature value that does not match, or a key of another type, means another signer.
fn classify(failures: Vec<String>, signers: &[CertInfo]) -> SignatureError {
    const DIGEST: &str = "digest do not match";
    const OTHER_KEY: [&str; 2] = ["signature verification failed", "key is not found"];
    if let Some(detail) = failures.iter().find(|d| d.contains(DIGEST)) {
        return SignatureError::DigestMismatch {
            detail: excerpt(detail, DIGEST),
        };
    }
    let other_key = failures
        .iter()
        .find_map(|d| OTHER_KEY.iter().find(|n| d.contains(*n)).map(|n| (d, *n)));
    if let Some((detail, needle)) = other_key {
        let signers = signers
            .iter()
            .map(|s| format!("{} SHA-256 {}", s.subject, s.fingerprint_colons()))
            .collect::<Vec<_>>()
            .join("; ");
        return SignatureError::WrongSigner {
            signers,
            detail: excerpt(detail, needle),
        };
    }
    SignatureError::Invalid {
        detail: failures.join(" | "),
    }
}

/// The xmlsec1 diagnostic line containing `needle`, trimmed of its `func=...:` prefix noise.
fn excerpt(detail: &str, needle: &str) -> String {
    detail
        .split("; ")
        .find(|line| line.contains(needle))
        .map(|line| {
            line.rsplit_once(":error=")
                .map_or(line, |(_, tail)| tail)
                .to_owned()
        })
        .unwrap_or_else(|| detail.to_owned())
}

fn to_pem(cert: &CertInfo) -> String {
    let body = base64::engine::general_purpose::STANDARD.encode(&cert.der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .filter_map(|c| std::str::from_utf8(c).ok())
        .collect();
    format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        lines.join("\n")
    )
}

fn temp_file(content: &[u8]) -> Result<tempfile::NamedTempFile, SignatureError> {
    let mut file = tempfile::NamedTempFile::new().map_err(SignatureError::Tool)?;
    file.write_all(content)
        .and_then(|()| file.flush())
        .map_err(SignatureError::Tool)?;
    Ok(file)
}
