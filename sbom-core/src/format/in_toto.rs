//! `in-toto-spdx-json` and `in-toto-cyclonedx-json`: an [in-toto Statement v1] whose
//! predicate is the SPDX 2.3 or CycloneDX 1.6 document, ready for `cosign attest` and for
//! policy controllers that read SBOM attestations.
//!
//! * `_type` is `https://in-toto.io/Statement/v1`;
//! * `predicateType` is what cosign writes for `--type spdxjson` and `--type cyclonedx`
//!   (in-toto-golang's `PredicateSPDX`, `PredicateCycloneDX`): `https://spdx.dev/Document`
//!   and `https://cyclonedx.org/bom`, unversioned (the document carries its version);
//! * `subject` is one resource descriptor: the image's repository name (the recorded
//!   reference without its tag, or the archive's name when it records none) and the
//!   **manifest** digest, which is what `cosign verify-attestation` and admission
//!   controllers match against.
//!
//! An image whose manifest digest is unknown (a classic `docker save` archive, a root
//! filesystem) gets no statement: [`FormatError::NoManifestDigest`]. Using the config digest
//! (the image ID) instead would make a statement that names an image no registry serves.
//! The digest is the manifest the archive holds: an OCI layout exported from a registry or
//! from containerd holds the registry's manifest; `docker save` with Docker's classic image
//! store writes a manifest of its own, which a push replaces. From a multi-platform index
//! the subject is the chosen platform's manifest, the image the document describes (cosign
//! attests it when given that platform's digest).
//!
//! [in-toto Statement v1]: https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md

use std::io;

use serde::Serialize;

use super::{CycloneDx, Format, FormatError, SpdxJson, SpecVersion, WriteOptions, Writer};
use crate::Inventory;

/// The statement type of in-toto attestation framework v1.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// The predicate type of an SPDX document, as cosign's `--type spdxjson` writes it.
pub const PREDICATE_SPDX: &str = "https://spdx.dev/Document";
/// The predicate type of a CycloneDX BOM, as cosign's `--type cyclonedx` writes it.
pub const PREDICATE_CYCLONEDX: &str = "https://cyclonedx.org/bom";

/// Which document the statement carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Predicate {
    /// SPDX 2.3 JSON ([`SpdxJson`]).
    Spdx,
    /// CycloneDX 1.6 JSON ([`CycloneDx`]).
    CycloneDx,
}

/// The in-toto statement writers.
///
/// ```
/// use sbom_core::{format::{InToto, Predicate, WriteOptions, Writer}, Inventory};
/// let mut inv = Inventory::default();
/// inv.image.name = "registry.example/app:1.0".into();
/// inv.image.repo_tags = vec!["registry.example/app:1.0".into()];
/// inv.image.manifest_digest = Some(format!("sha256:{}", "ab".repeat(32)));
/// inv.finalize();
/// let mut out = Vec::new();
/// InToto(Predicate::Spdx).write(&inv, &WriteOptions::fixed(0), &mut out).unwrap();
/// let st: serde_json::Value = serde_json::from_slice(&out).unwrap();
/// assert_eq!(st["_type"], "https://in-toto.io/Statement/v1");
/// assert_eq!(st["subject"][0]["name"], "registry.example/app");
/// assert_eq!(st["subject"][0]["digest"]["sha256"], "ab".repeat(32));
/// assert_eq!(st["predicate"]["spdxVersion"], "SPDX-2.3");
///
/// // no manifest digest, no statement (the config digest is not what registries serve)
/// inv.image.manifest_digest = None;
/// inv.image.config_digest = Some(format!("sha256:{}", "cd".repeat(32)));
/// let err = InToto(Predicate::Spdx).write(&inv, &WriteOptions::fixed(0), &mut Vec::new());
/// assert!(err.unwrap_err().to_string().contains("manifest digest"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InToto(pub Predicate);

impl InToto {
    /// `in-toto-spdx-json`: its entry in [`super::FORMATS`].
    pub const FORMAT_SPDX: Format = Format {
        id: "in-toto-spdx-json",
        aliases: &[],
        spec: "in-toto Statement",
        spec_version: Some("1"),
        description: "in-toto Statement v1 carrying the SPDX 2.3 JSON document (for cosign attest)",
        media_type: "application/vnd.in-toto+json",
        file_extension: "spdx.intoto.json",
        new: || Box::new(InToto(Predicate::Spdx)),
    };

    /// `in-toto-cyclonedx-json`: its entry in [`super::FORMATS`].
    pub const FORMAT_CYCLONEDX: Format = Format {
        id: "in-toto-cyclonedx-json",
        aliases: &[],
        spec: "in-toto Statement",
        spec_version: Some("1"),
        description: "in-toto Statement v1 carrying the CycloneDX 1.6 JSON document",
        media_type: "application/vnd.in-toto+json",
        file_extension: "cdx.intoto.json",
        new: || Box::new(InToto(Predicate::CycloneDx)),
    };
}

#[derive(Serialize)]
struct Statement<'a> {
    #[serde(rename = "_type")]
    kind: &'static str,
    subject: [Subject<'a>; 1],
    #[serde(rename = "predicateType")]
    predicate_type: &'static str,
    predicate: &'a serde_json::value::RawValue,
}

#[derive(Serialize)]
struct Subject<'a> {
    name: &'a str,
    digest: std::collections::BTreeMap<&'a str, &'a str>,
}

/// The repository an image's subject is named by: the first recorded reference without its
/// tag or digest (`docker.io/library/debian:12` -> `docker.io/library/debian`), else the
/// image's name.
pub fn subject_name(inv: &Inventory) -> &str {
    let img = &inv.image;
    let reference = img
        .repo_tags
        .iter()
        .map(String::as_str)
        .find(|t| t.contains(['/', ':', '@']))
        .unwrap_or(&img.name);
    let reference = reference.split('@').next().unwrap_or(reference);
    match reference.rsplit_once(':') {
        // a ':' after the last '/' starts a tag; before it, a registry port
        Some((repo, tag)) if !tag.contains('/') && !repo.is_empty() => repo,
        _ => reference,
    }
}

impl Writer for InToto {
    fn format(&self) -> &'static Format {
        match self.0 {
            Predicate::Spdx => &Self::FORMAT_SPDX,
            Predicate::CycloneDx => &Self::FORMAT_CYCLONEDX,
        }
    }

    fn needs_file_sha1(&self) -> bool {
        self.0 == Predicate::Spdx
    }

    fn write(
        &self,
        inv: &Inventory,
        opts: &WriteOptions,
        out: &mut dyn io::Write,
    ) -> Result<(), FormatError> {
        // checked before anything is written: no half statement on stdout
        let digest = inv
            .image
            .manifest_digest
            .as_deref()
            .ok_or_else(|| FormatError::NoManifestDigest(inv.image.source.clone()))?;
        let (alg, hex) = digest
            .split_once(':')
            .ok_or_else(|| FormatError::NoManifestDigest(inv.image.source.clone()))?;
        let mut doc = Vec::new();
        let predicate_type = match self.0 {
            Predicate::Spdx => {
                SpdxJson.write(inv, opts, &mut doc)?;
                PREDICATE_SPDX
            }
            Predicate::CycloneDx => {
                CycloneDx(SpecVersion::V1_6).write(inv, opts, &mut doc)?;
                PREDICATE_CYCLONEDX
            }
        };
        // the document goes in as written, its field order kept, rather than re-parsed
        let text = std::str::from_utf8(&doc)
            .map_err(|e| FormatError::Io(io::Error::new(io::ErrorKind::InvalidData, e)))?;
        let predicate = serde_json::value::RawValue::from_string(text.trim_end().to_string())?;
        let statement = Statement {
            kind: STATEMENT_TYPE,
            subject: [Subject {
                name: subject_name(inv),
                digest: [(alg, hex)].into_iter().collect(),
            }],
            predicate_type,
            predicate: &predicate,
        };
        serde_json::to_writer(&mut *out, &statement)?;
        out.write_all(b"\n")?;
        Ok(())
    }
}
