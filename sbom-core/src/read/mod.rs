//! Reading SBOM documents back, from any producer, into one small common view: what the
//! policy gate ([`crate::policy`]) and [`crate::diff`] need of a package and nothing more.
//!
//! Read: SPDX 2.2 and 2.3 JSON ([`spdx`]), CycloneDX 1.4 to 1.6 JSON ([`cyclonedx`]), and
//! an in-toto statement carrying either (its predicate is read). Which one a file is comes
//! from its content (`spdxVersion`, `bomFormat`, `_type`), not its name. An image scanned
//! here gives the same view through [`Document::from_inventory`], with the layer each
//! package came from.
//!
//! The view keeps, per package: name, version, purl, ecosystem (from the purl type), the
//! license as an SPDX expression ([`crate::license::normalize`]d, so a producer's free-text
//! name becomes a `LicenseRef-`), and the supplier. Images, operating systems and layers that
//! producers list among the packages (SPDX `primaryPackagePurpose` `CONTAINER`,
//! `OPERATING_SYSTEM`, CycloneDX `container` and `operating-system` components, `oci`
//! purls) are not packages and are left out.
//!
//! A file that is not JSON, not one of these formats or versions, or bigger than
//! [`MAX_DOCUMENT_BYTES`] is a [`ReadError`] naming it.
//!
//! ```
//! use sbom_core::read::Document;
//! let doc = br#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":[
//!   {"type":"library","name":"requests","version":"2.31.0","purl":"pkg:pypi/requests@2.31.0",
//!    "licenses":[{"license":{"id":"Apache-2.0"}}]}]}"#;
//! let d = Document::from_slice("bom.json", doc).unwrap();
//! assert_eq!(d.format, "CycloneDX 1.5");
//! assert_eq!(d.components[0].license.as_deref(), Some("Apache-2.0"));
//! assert_eq!(d.components[0].ecosystem, Some(sbom_core::Ecosystem::Python));
//!
//! let err = Document::from_slice("notes.txt", b"hello").unwrap_err().to_string();
//! assert!(err.starts_with("notes.txt: not JSON"), "{err}");
//! ```

pub mod cyclonedx;
pub mod spdx;

use std::io::Read;
use std::path::Path;

use serde::Deserialize;

use crate::{Ecosystem, Inventory};

/// The largest document read: far above what real images produce (debian-large's SPDX is
/// about 20 MB) and low enough that a hostile file cannot exhaust memory.
pub const MAX_DOCUMENT_BYTES: u64 = 512 * 1024 * 1024;

/// Why a document could not be read. Every message starts with the document's name.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file could not be opened or read.
    #[error("{name}: {source}")]
    Io {
        /// The file.
        name: String,
        /// What the system said.
        source: std::io::Error,
    },
    /// The file is bigger than [`MAX_DOCUMENT_BYTES`].
    #[error("{name}: larger than {limit} bytes, the most an SBOM document may be")]
    TooLarge {
        /// The file.
        name: String,
        /// The limit.
        limit: u64,
    },
    /// Not JSON at all.
    #[error("{name}: not JSON ({reason})")]
    NotJson {
        /// The file.
        name: String,
        /// Where the parser gave up.
        reason: String,
    },
    /// JSON, but not a document of a format and version read here, or with a field of the
    /// wrong type.
    #[error("{name}: {reason}")]
    Unsupported {
        /// The file.
        name: String,
        /// What it is, or what is wrong with it.
        reason: String,
    },
}

/// One package, as every reader sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Component {
    /// The package name.
    pub name: String,
    /// Its version, as the document writes it (with the epoch, where a producer moved it
    /// into the purl's `epoch` qualifier, put back: `1:2.3-4`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Its package URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    /// The ecosystem its purl type names (what orders its versions).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ecosystem: Option<Ecosystem>,
    /// Its license as an SPDX expression; `None` when the document asserts none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
    /// Who supplies it, as the document writes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supplier: Option<String>,
    /// The layer it came from, when known (images, and CycloneDX documents we wrote).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
}

/// The image layer a package came from.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Origin {
    /// Layer index, 0 = the base.
    pub layer: usize,
    /// The layer's `diff_id`, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff_id: Option<String>,
    /// The instruction that made it: the Dockerfile's (with its line) when mapped, else the
    /// image history's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instruction: Option<String>,
}

/// A document (or a scanned image) in the common view.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Document {
    /// The file or image it was read from.
    pub source: String,
    /// `SPDX-2.3`, `CycloneDX 1.6`, or `image` for a scan.
    pub format: String,
    /// The tools that made it, as the document names them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<String>,
    /// Its packages.
    pub components: Vec<Component>,
}

#[derive(Deserialize)]
struct Probe {
    #[serde(rename = "spdxVersion")]
    spdx_version: Option<serde::de::IgnoredAny>,
    #[serde(rename = "bomFormat")]
    bom_format: Option<String>,
    #[serde(rename = "_type")]
    statement_type: Option<String>,
}

#[derive(Deserialize)]
struct Statement<'a> {
    #[serde(borrow)]
    predicate: Option<&'a serde_json::value::RawValue>,
}

impl Document {
    /// Reads a document file; `-` is standard input.
    pub fn read(path: &Path) -> Result<Document, ReadError> {
        let name = path.display().to_string();
        let io = |source| ReadError::Io {
            name: name.clone(),
            source,
        };
        let mut bytes = Vec::new();
        let limited = |r: &mut dyn Read, bytes: &mut Vec<u8>| {
            r.take(MAX_DOCUMENT_BYTES + 1).read_to_end(bytes)
        };
        if path.as_os_str() == "-" {
            limited(&mut std::io::stdin().lock(), &mut bytes).map_err(io)?;
        } else {
            let mut f = std::fs::File::open(path).map_err(io)?;
            // refused before reading when the file says how big it is
            if f.metadata().map_err(io)?.len() > MAX_DOCUMENT_BYTES {
                return Err(ReadError::TooLarge {
                    name,
                    limit: MAX_DOCUMENT_BYTES,
                });
            }
            limited(&mut f, &mut bytes).map_err(io)?;
        }
        if bytes.len() as u64 > MAX_DOCUMENT_BYTES {
            return Err(ReadError::TooLarge {
                name,
                limit: MAX_DOCUMENT_BYTES,
            });
        }
        Self::from_slice(&name, &bytes)
    }

    /// Reads a document from memory; `name` names it in errors and in [`Document::source`].
    pub fn from_slice(name: &str, bytes: &[u8]) -> Result<Document, ReadError> {
        if bytes.len() as u64 > MAX_DOCUMENT_BYTES {
            return Err(ReadError::TooLarge {
                name: name.into(),
                limit: MAX_DOCUMENT_BYTES,
            });
        }
        let probe: Probe = serde_json::from_slice(bytes).map_err(|e| {
            if e.is_data() {
                ReadError::Unsupported {
                    name: name.into(),
                    reason: "not an SBOM document: the JSON is not an object".into(),
                }
            } else {
                ReadError::NotJson {
                    name: name.into(),
                    reason: e.to_string(),
                }
            }
        })?;
        let unsupported = |reason: String| ReadError::Unsupported {
            name: name.into(),
            reason,
        };
        let mut doc = if probe.spdx_version.is_some() {
            spdx::read(bytes).map_err(unsupported)?
        } else if probe.bom_format.is_some() {
            cyclonedx::read(bytes).map_err(unsupported)?
        } else if probe
            .statement_type
            .as_deref()
            .is_some_and(|t| t.starts_with("https://in-toto.io/Statement/"))
        {
            let st: Statement = serde_json::from_slice(bytes)
                .map_err(|e| unsupported(format!("in-toto statement: {e}")))?;
            let predicate = st
                .predicate
                .ok_or_else(|| unsupported("in-toto statement without a predicate".into()))?;
            return Self::from_slice(name, predicate.get().as_bytes());
        } else {
            return Err(unsupported(
                "not an SBOM document read here: no spdxVersion (SPDX), bomFormat (CycloneDX) or in-toto _type".into(),
            ));
        };
        doc.source = name.to_string();
        Ok(doc)
    }

    /// The view of a scanned image: every installed package, with the layer that added it
    /// and that layer's instruction.
    pub fn from_inventory(inv: &Inventory) -> Document {
        let components = inv
            .installed()
            .map(|p| Component {
                name: p.name.clone(),
                version: Some(p.version.clone()).filter(|v| !v.is_empty()),
                purl: Some(p.purl.clone()).filter(|v| !v.is_empty()),
                ecosystem: Some(p.ecosystem),
                license: p.license.clone(),
                supplier: p.supplier.clone(),
                origin: p.layer.map(|i| {
                    let l = inv.layers.get(i);
                    Origin {
                        layer: i,
                        diff_id: l.map(|l| l.diff_id.clone()),
                        instruction: l.and_then(|l| {
                            l.dockerfile
                                .as_ref()
                                .map(|d| format!("{} (Dockerfile line {})", d.text, d.line_range()))
                                .or_else(|| l.instruction.clone())
                                .or_else(|| l.created_by.clone())
                        }),
                    }
                }),
            })
            .collect();
        Document {
            source: inv.image.source.clone(),
            format: "image".into(),
            tools: vec![format!("{} {}", inv.tool.name, inv.tool.version)],
            components,
        }
    }
}

/// Fills what a component's purl says and its fields do not: the ecosystem, the version
/// when missing, and an epoch moved into an `epoch` qualifier (Trivy).
fn complete_from_purl(c: &mut Component) {
    let Some(purl) = c.purl.as_deref() else {
        return;
    };
    let Ok(p) = purl.parse::<packageurl::PackageUrl>() else {
        return;
    };
    c.ecosystem = Ecosystem::from_purl_type(p.ty());
    if c.version.is_none() {
        c.version = p.version().map(str::to_string);
    }
    if let (Some(v), Some(epoch)) = (c.version.as_mut(), p.qualifiers().get("epoch")) {
        if !v.contains(':') && epoch.as_ref() != "0" {
            *v = format!("{epoch}:{v}");
        }
    }
}

/// True for purl types that name images, not packages.
fn is_image_purl(purl: &str) -> bool {
    let t = purl
        .strip_prefix("pkg:")
        .and_then(|r| r.split('/').next())
        .unwrap_or("");
    t.eq_ignore_ascii_case("oci") || t.eq_ignore_ascii_case("docker")
}

/// The expression for licenses as a document writes them; `NOASSERTION`, `NONE` and
/// nothing give `None`.
fn license_of<I, S>(declared: I) -> Option<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let kept: Vec<S> = declared
        .into_iter()
        .filter(|s| {
            let s = s.as_ref().trim();
            !s.is_empty()
                && !s.eq_ignore_ascii_case("NOASSERTION")
                && !s.eq_ignore_ascii_case("NONE")
        })
        .collect();
    crate::license::combine(kept)
}

/// A supplier string, with SPDX's `NOASSERTION` meaning none.
fn supplier_of(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty() && !s.eq_ignore_ascii_case("NOASSERTION"))
}
