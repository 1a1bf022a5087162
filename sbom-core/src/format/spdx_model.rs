//! SPDX 2.3 documents as our own serde structs, and the mapping from an [`Inventory`].
//!
//! Both `spdx-json` and `spdx-tag-value` render the one [`Document`] built here, so the two
//! formats cannot drift apart. We do not use the `spdx-rs` crate: it is unmaintained (stuck
//! before SPDX 2.3, no `primaryPackagePurpose`) and writes values the 2.3 schema and
//! `pyspdxtools` reject, such as checksum algorithm spellings and empty required strings.
//!
//! Field names follow `spdx-2.3.schema.json`; optional fields are left out rather than written
//! empty, because validators treat `""` as a value (and reject it).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::FormatError;

use super::util::{
    layer_instruction, layer_label, parse_party, short_hash, split_digest, PartyKind,
};
use super::WriteOptions;
use crate::{Inventory, Package, RelationshipKind};

/// `NOASSERTION`: the SPDX way of saying "we did not look / do not know".
pub const NOASSERTION: &str = "NOASSERTION";

/// The SPDX version both SPDX formats write: the document's `spdxVersion` is `SPDX-` and this.
pub const SPDX_VERSION: &str = "2.3";

/// An SPDX 2.3 document.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Document {
    /// `SPDX-2.3` (see [`SPDX_VERSION`]).
    pub spdx_version: String,
    /// `CC0-1.0`: the only data license SPDX allows for the document itself.
    pub data_license: String,
    /// `SPDXRef-DOCUMENT`, the element the `DESCRIBES` relationship starts from.
    #[serde(rename = "SPDXID")]
    pub spdx_id: String,
    /// The image's name (`image` when it has none).
    pub name: String,
    /// A URI unique to this document: derived from the image when the options are
    /// reproducible, so the same image gives the same namespace.
    pub document_namespace: String,
    /// When and by which tool the document was made.
    pub creation_info: CreationInfo,
    /// A one-sentence summary (packages, layers), and the `INCOMPLETE` notice when packages
    /// may be missing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// The image, its layers, the operating system, then every package.
    pub packages: Vec<SpdxPackage>,
    /// The file inventory, only when the scan listed files: each contained by the packages
    /// that own it, or by the image.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<SpdxFile>,
    /// One entry per `LicenseRef-` the packages' license expressions use, as SPDX requires.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub has_extracted_licensing_infos: Vec<ExtractedLicense>,
    /// Containment (document, image, layers, OS) and the inventory's package relationships,
    /// sorted.
    pub relationships: Vec<SpdxRelationship>,
    /// An `OTHER` annotation saying why the inventory is incomplete, when it is: tools that
    /// skip comments still see it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub annotations: Vec<Annotation>,
}

/// `creationInfo`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreationInfo {
    /// `2024-01-02T03:04:05Z`, from [`WriteOptions::created_rfc3339`].
    pub created: String,
    /// `Tool: sbom-<version>`, and the organisation or person given as the creator
    /// ([`WriteOptions::creator`]) as `Organization: NAME (MAIL)`.
    pub creators: Vec<String>,
    /// The SPDX license list version the expressions were checked against; not written
    /// today (the field is optional).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub license_list_version: Option<String>,
}

/// One SPDX package: the image, a layer, the operating system or an installed package.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SpdxPackage {
    /// The package name (`layer-<i>` for a layer, the distro id for the OS).
    pub name: String,
    /// [`IMAGE_ID`], [`layer_spdx_id`], [`OS_ID`] or [`package_spdx_id`].
    #[serde(rename = "SPDXID")]
    pub spdx_id: String,
    /// The version; the image's digest for the image.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_info: Option<String>,
    /// `Organization: ...`, `Person: ...`, or [`NOASSERTION`] when nobody says.
    pub supplier: String,
    /// Always [`NOASSERTION`]: an image says what is installed, not where it was fetched.
    pub download_location: String,
    /// False unless the document lists files this package contains (the file inventory):
    /// then true, with [`SpdxPackage::package_verification_code`].
    pub files_analyzed: bool,
    /// With `files_analyzed`: SPDX's digest over the SHA-1s of the files it contains.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package_verification_code: Option<VerificationCode>,
    /// Digests the package database recorded, in SPDX's algorithm spelling.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub checksums: Vec<SpdxChecksum>,
    /// The project's home page, when the metadata names one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub homepage: Option<String>,
    /// How we know of it: the database that recorded it, its layer, the layer that removed
    /// it and the source package it was built from; for the OS, the release file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_info: Option<String>,
    /// The concluded license where a machine-readable record concludes one
    /// ([`crate::Package::license_concluded`]), else [`NOASSERTION`].
    pub license_concluded: String,
    /// The license the package metadata declares, as a valid SPDX expression (unknown
    /// names as `LicenseRef-`), or [`NOASSERTION`].
    pub license_declared: String,
    /// The copyright notices of the package's own files ([`crate::Package::copyright`]),
    /// else [`NOASSERTION`].
    pub copyright_text: String,
    /// The package's own description, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// What SPDX has no field for: the image's source and ID, a layer's digests and
    /// instruction, a package's removal and license strings as declared.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// The purl and CPEs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub external_refs: Vec<ExternalRef>,
    /// `CONTAINER` for the image, `ARCHIVE` for a layer, `OPERATING_SYSTEM`, and `LIBRARY`
    /// for every package.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary_package_purpose: Option<String>,
}

/// `packageVerificationCode`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VerificationCode {
    /// SHA-1 (hex) of the package's files' SHA-1s, sorted and concatenated (SPDX 2.3,
    /// clause 7.9).
    pub package_verification_code_value: String,
}

/// One file of the file inventory.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SpdxFile {
    /// The path in the image, relative to its root: `./usr/bin/ls` (SPDX 2.3, clause 8.1;
    /// `pyspdxtools` refuses absolute ones).
    pub file_name: String,
    /// [`file_spdx_id`].
    #[serde(rename = "SPDXID")]
    pub spdx_id: String,
    /// SHA1 (SPDX 2.3 requires it) and SHA256.
    pub checksums: Vec<SpdxChecksum>,
    /// Always [`NOASSERTION`].
    pub license_concluded: String,
    /// Always [`NOASSERTION`].
    pub copyright_text: String,
    /// The layer that wrote it, its size and mode, and whether it is an executable no
    /// package owns.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A package checksum (`SHA256`, `SHA1`, ... in SPDX spelling).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SpdxChecksum {
    /// `SHA256`, `SHA1`, `MD5`, ...: only names the SPDX 2.3 schema allows.
    pub algorithm: String,
    /// Lower-case hex.
    pub checksum_value: String,
}

/// `externalRefs` entry: a purl or a CPE.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalRef {
    /// `PACKAGE-MANAGER` for a purl, `SECURITY` for a CPE.
    pub reference_category: String,
    /// `purl`, `cpe23Type` or `cpe22Type`.
    pub reference_type: String,
    /// The purl or CPE itself.
    pub reference_locator: String,
}

/// `hasExtractedLicensingInfos` entry: declares a `LicenseRef-` used in an expression.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExtractedLicense {
    /// The `LicenseRef-...` as the expressions use it.
    pub license_id: String,
    /// Says that the metadata named a license without an SPDX id: the text itself is not
    /// collected, and SPDX requires this field.
    pub extracted_text: String,
    /// The license name as the metadata wrote it, roughly: the id without `LicenseRef-`.
    pub name: String,
}

/// A relationship between two SPDX elements.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SpdxRelationship {
    /// The SPDXID the relationship starts from.
    pub spdx_element_id: String,
    /// `DESCRIBES`, `CONTAINS`, `DEPENDS_ON`, ...
    pub relationship_type: String,
    /// The SPDXID it points to.
    pub related_spdx_element: String,
}

/// A document annotation.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Annotation {
    /// When it was made: the document's creation time.
    pub annotation_date: String,
    /// `OTHER` (SPDX's other choice, `REVIEW`, is for people).
    pub annotation_type: String,
    /// `Tool: sbom-<version>`.
    pub annotator: String,
    /// The text.
    pub comment: String,
}

/// SPDXID of the image package.
pub const IMAGE_ID: &str = "SPDXRef-Image";
/// SPDXID of the operating-system package.
pub const OS_ID: &str = "SPDXRef-OperatingSystem";

/// `SPDXRef-Layer-<i>`.
pub fn layer_spdx_id(i: usize) -> String {
    format!("SPDXRef-Layer-{i}")
}

/// `SPDXRef-File-<name>-<hash>`: the file's name sanitised, and a hash of its path and layer
/// (with `all-layers` one path can be listed once per layer that wrote it).
pub fn file_spdx_id(f: &crate::FileEntry) -> String {
    let name = f.path.rsplit('/').next().unwrap_or_default();
    format!(
        "SPDXRef-File-{}-{}",
        sanitize_id(name),
        short_hash(&format!("{}#{}", f.path, f.layer), 12)
    )
}

/// What the file inventory says of a file, for a comment.
pub(crate) fn file_comment(f: &crate::FileEntry) -> String {
    let mut c = vec![
        format!("layer {}", f.layer),
        format!("{} bytes", f.size),
        format!("mode {:04o}", f.mode),
    ];
    if let Some(r) = f.removed_in {
        c.push(format!(
            "not in the final image: removed or replaced in layer {r}"
        ));
    }
    if f.unowned_executable() {
        c.push("unowned executable: no package lists it".into());
    }
    c.join("; ")
}

/// SPDX 2.3's package verification code over files with these SHA-1s (hex).
fn verification_code<'a>(sha1s: impl Iterator<Item = &'a str>) -> VerificationCode {
    use sha1::{Digest as _, Sha1};
    let mut all: Vec<&str> = sha1s.collect();
    all.sort_unstable();
    let mut h = Sha1::new();
    for s in all {
        h.update(s.as_bytes());
    }
    VerificationCode {
        package_verification_code_value: format!("{:x}", h.finalize()),
    }
}

/// `SPDXRef-Package-<ecosystem>-<name>-<hash>`: only `[A-Za-z0-9.-]` as the spec demands; the
/// hash of the full package id keeps ids unique when sanitising makes two names equal.
///
/// ```
/// use sbom_core::{format::spdx_model::package_spdx_id, Ecosystem, Package, PackageId};
/// let mut p = Package::new(Ecosystem::Npm, "@types/node", "20.1.0");
/// p.id = PackageId("pkg:npm/%40types/node@20.1.0#/app/node_modules/@types/node".into());
/// let id = package_spdx_id(&p);
/// assert!(id.starts_with("SPDXRef-Package-npm-types-node-"));
/// assert!(id.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-'));
/// ```
pub fn package_spdx_id(p: &Package) -> String {
    format!(
        "SPDXRef-Package-{}-{}-{}",
        p.ecosystem.as_str(),
        sanitize_id(&p.name),
        short_hash(p.id.as_str(), 10)
    )
}

/// `[A-Za-z0-9.-]` only, runs of anything else as one `-`: a name as a segment of an SPDX 2
/// identifier or an SPDX 3 IRI.
pub(crate) fn sanitize_id(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || c == '.' {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let t = out.trim_matches('-');
    if t.is_empty() {
        "x".into()
    } else {
        t.to_string()
    }
}

/// `Tool: sbom-0.1.0`.
fn tool_creator(inv: &Inventory) -> String {
    format!("Tool: {}-{}", inv.tool.name, inv.tool.version)
}

/// `Organization: X (mail)` / `Person: X (mail)` / `NOASSERTION`.
fn supplier_field(raw: Option<&str>) -> String {
    match raw.and_then(parse_party) {
        Some(p) => {
            let kind = match p.kind {
                PartyKind::Person => "Person",
                PartyKind::Organization => "Organization",
            };
            match p.email {
                Some(e) => format!("{kind}: {} ({e})", p.name),
                None => format!("{kind}: {}", p.name),
            }
        }
        None => NOASSERTION.into(),
    }
}

/// SPDX 2.3 checksum algorithm names; anything else would fail validation, so it is dropped.
fn spdx_algorithm(alg: &str) -> Option<&'static str> {
    let a = alg.to_ascii_uppercase().replace(['-', '_'], "");
    Some(match a.as_str() {
        "SHA1" => "SHA1",
        "SHA224" => "SHA224",
        "SHA256" => "SHA256",
        "SHA384" => "SHA384",
        "SHA512" => "SHA512",
        "SHA3256" => "SHA3-256",
        "SHA3384" => "SHA3-384",
        "SHA3512" => "SHA3-512",
        "MD5" => "MD5",
        "BLAKE2B256" => "BLAKE2b-256",
        "BLAKE2B384" => "BLAKE2b-384",
        "BLAKE2B512" => "BLAKE2b-512",
        "BLAKE3" => "BLAKE3",
        _ => return None,
    })
}

/// Every `LicenseRef-...` in an expression.
fn license_refs(expr: &str) -> impl Iterator<Item = &str> {
    expr.split(|c: char| c.is_whitespace() || c == '(' || c == ')')
        .filter(|t| t.starts_with("LicenseRef-"))
}

/// The full SPDX 2.3 document for an inventory. Fails only when the inventory lists files
/// without the SHA-1 SPDX 2.3 requires on each.
pub fn build_document(inv: &Inventory, opts: &WriteOptions) -> Result<Document, FormatError> {
    let created = opts.created_rfc3339();
    let uuid = opts.uuid(inv, "spdx");
    let image_name = if inv.image.name.is_empty() {
        "image".to_string()
    } else {
        inv.image.name.clone()
    };
    let namespace = format!(
        "https://sbom.invalid/spdx/{}-{uuid}",
        sanitize_id(&image_name)
    );
    let noassert = || NOASSERTION.to_string();

    let mut packages = Vec::new();
    let mut rels = BTreeSet::new();
    let rel = |a: &str, t: &str, b: &str| SpdxRelationship {
        spdx_element_id: a.to_string(),
        relationship_type: t.to_string(),
        related_spdx_element: b.to_string(),
    };

    // the image
    let mut image_refs = Vec::new();
    if let Some(purl) = crate::purl::image_purl(&inv.image) {
        image_refs.push(ExternalRef {
            reference_category: "PACKAGE-MANAGER".into(),
            reference_type: "purl".into(),
            reference_locator: purl,
        });
    }
    let image_checksums = inv
        .image
        .manifest_digest
        .as_deref()
        .or(inv.image.config_digest.as_deref())
        .and_then(split_digest)
        .filter(|(a, _)| a.eq_ignore_ascii_case("sha256"))
        .map(|(_, h)| {
            vec![SpdxChecksum {
                algorithm: "SHA256".into(),
                checksum_value: h.to_ascii_lowercase(),
            }]
        })
        .unwrap_or_default();
    let mut image_comment = vec![format!(
        "{} {} ({})",
        inv.image.source_kind, inv.image.source, inv.image.platform
    )];
    if let Some(c) = &inv.image.config_digest {
        image_comment.push(format!("image id {c}"));
    }
    packages.push(SpdxPackage {
        name: image_name.clone(),
        spdx_id: IMAGE_ID.into(),
        version_info: inv
            .image
            .manifest_digest
            .clone()
            .or_else(|| inv.image.config_digest.clone()),
        // only what the scan was told or the image says about itself, never a guess
        supplier: supplier_field(inv.image.supplier()),
        download_location: noassert(),
        files_analyzed: false,
        package_verification_code: None,
        checksums: image_checksums,
        homepage: None,
        source_info: None,
        license_concluded: noassert(),
        license_declared: noassert(),
        copyright_text: noassert(),
        description: None,
        comment: Some(image_comment.join("; ")),
        external_refs: image_refs,
        primary_package_purpose: Some("CONTAINER".into()),
    });
    rels.insert(rel("SPDXRef-DOCUMENT", "DESCRIBES", IMAGE_ID));

    // layers
    for l in &inv.layers {
        let id = layer_spdx_id(l.index);
        let checksums = split_digest(&l.diff_id)
            .filter(|(a, _)| a.eq_ignore_ascii_case("sha256"))
            .map(|(_, h)| {
                vec![SpdxChecksum {
                    algorithm: "SHA256".into(),
                    checksum_value: h.to_ascii_lowercase(),
                }]
            })
            .unwrap_or_default();
        let mut comment = vec![format!("diff_id {}", l.diff_id)];
        if !l.digest.is_empty() {
            comment.push(format!("blob {}", l.digest));
        }
        if let Some(d) = &l.dockerfile {
            comment.push(format!(
                "Dockerfile:{} {}",
                d.line_range(),
                d.text.split_whitespace().collect::<Vec<_>>().join(" ")
            ));
        } else if let Some(i) = layer_instruction(l) {
            comment.push(format!("created by: {i}"));
        }
        packages.push(SpdxPackage {
            name: format!("layer-{}", l.index),
            spdx_id: id.clone(),
            version_info: Some(l.diff_id.clone()).filter(|d| !d.is_empty()),
            // whoever distributes the image distributes each of its layers (SPDX: the
            // supplier is "the actual distribution source", not the original author)
            supplier: supplier_field(inv.image.supplier()),
            download_location: noassert(),
            files_analyzed: false,
            package_verification_code: None,
            checksums,
            homepage: None,
            source_info: None,
            license_concluded: noassert(),
            license_declared: noassert(),
            copyright_text: noassert(),
            description: layer_label(l),
            comment: Some(comment.join("; ")),
            external_refs: vec![],
            // a layer is a tar blob; CONTAINER is kept for the image itself
            primary_package_purpose: Some("ARCHIVE".into()),
        });
        rels.insert(rel(IMAGE_ID, "CONTAINS", &id));
    }

    // the operating system: Trivy and other consumers find the OS by this purpose
    if let Some(d) = &inv.distro {
        packages.push(SpdxPackage {
            name: d.id.clone(),
            spdx_id: OS_ID.into(),
            version_info: d.version_id.clone(),
            // the distribution supplies its own OS (NTIA wants a supplier on every package)
            supplier: supplier_field(d.name.as_deref()),
            download_location: noassert(),
            files_analyzed: false,
            package_verification_code: None,
            checksums: vec![],
            homepage: d.home_url.clone(),
            source_info: Some(format!("read from {}", d.source_path)),
            license_concluded: noassert(),
            license_declared: noassert(),
            copyright_text: noassert(),
            description: d.pretty_name.clone(),
            comment: None,
            // the distribution's own CPE_NAME: os-release writes the 2.2 URI form
            // (`cpe:/o:fedoraproject:fedora:40`), which SPDX types as cpe22Type
            external_refs: d
                .cpe_name
                .iter()
                .filter_map(|c| {
                    let ty = if c.starts_with("cpe:2.3:") {
                        "cpe23Type"
                    } else if c.starts_with("cpe:/") {
                        "cpe22Type"
                    } else {
                        return None;
                    };
                    Some(ExternalRef {
                        reference_category: "SECURITY".into(),
                        reference_type: ty.into(),
                        reference_locator: c.clone(),
                    })
                })
                .collect(),
            primary_package_purpose: Some("OPERATING_SYSTEM".into()),
        });
        rels.insert(rel(IMAGE_ID, "CONTAINS", OS_ID));
    }

    // packages
    let mut refs_used: BTreeSet<String> = BTreeSet::new();
    let ids: BTreeMap<&crate::PackageId, String> = inv
        .packages
        .iter()
        .map(|p| (&p.id, package_spdx_id(p)))
        .collect();
    for p in &inv.packages {
        let id = ids[&p.id].clone();
        let license = p.license.clone().filter(|l| !l.trim().is_empty());
        let concluded = p.license_concluded.clone().filter(|l| !l.trim().is_empty());
        for l in license.iter().chain(&concluded) {
            refs_used.extend(license_refs(l).map(str::to_string));
        }
        let mut external_refs = Vec::new();
        if !p.purl.is_empty() {
            external_refs.push(ExternalRef {
                reference_category: "PACKAGE-MANAGER".into(),
                reference_type: "purl".into(),
                reference_locator: p.purl.clone(),
            });
        }
        for c in &p.cpes {
            // SPDX has a separate type for the old URI binding
            let ty = if c.starts_with("cpe:2.3:") {
                "cpe23Type"
            } else {
                "cpe22Type"
            };
            external_refs.push(ExternalRef {
                reference_category: "SECURITY".into(),
                reference_type: ty.into(),
                reference_locator: c.clone(),
            });
        }
        let mut checksums: Vec<SpdxChecksum> = p
            .checksums
            .iter()
            .filter_map(|c| {
                Some(SpdxChecksum {
                    algorithm: spdx_algorithm(&c.algorithm)?.into(),
                    checksum_value: c.value.to_ascii_lowercase(),
                })
            })
            .collect();
        checksums.sort_by(|a, b| {
            (&a.algorithm, &a.checksum_value).cmp(&(&b.algorithm, &b.checksum_value))
        });
        checksums.dedup_by(|a, b| a.algorithm == b.algorithm);
        let mut source = vec![format!("recorded in {}", p.database_path)];
        if let Some(l) = p.layer {
            source.push(format!("layer {l}"));
        }
        if let Some(r) = p.removed_in {
            source.push(format!("removed in layer {r}"));
        }
        if let Some(s) = &p.source {
            match &s.version {
                Some(v) => source.push(format!("built from source package {} {v}", s.name)),
                None => source.push(format!("built from source package {}", s.name)),
            }
        }
        let mut comment = Vec::new();
        if p.removed_in.is_some() {
            comment.push("not in the final image: a later layer removed it".to_string());
        }
        if !p.licenses_declared.is_empty() {
            comment.push(format!(
                "declared license: {}",
                p.licenses_declared.join("; ")
            ));
        }
        packages.push(SpdxPackage {
            name: p.name.clone(),
            spdx_id: id.clone(),
            version_info: Some(p.version.clone()).filter(|v| !v.is_empty()),
            // the maintainer or vendor its database names; when it names nobody, whoever
            // distributes the image is still the package's "actual distribution source"
            supplier: supplier_field(
                p.supplier
                    .as_deref()
                    .filter(|s| parse_party(s).is_some())
                    .or(inv.image.supplier()),
            ),
            download_location: noassert(),
            files_analyzed: false,
            package_verification_code: None,
            checksums,
            homepage: p.homepage.clone().filter(|h| h.starts_with("http")),
            source_info: Some(source.join("; ")),
            license_concluded: concluded.unwrap_or_else(noassert),
            license_declared: license.unwrap_or_else(noassert),
            copyright_text: p
                .copyright
                .clone()
                .filter(|c| !c.trim().is_empty())
                .unwrap_or_else(noassert),
            description: p.description.clone().filter(|d| !d.trim().is_empty()),
            comment: Some(comment.join("; ")).filter(|c| !c.is_empty()),
            external_refs,
            // OS packages are libraries too in SPDX's vocabulary (Syft and Trivy agree)
            primary_package_purpose: Some("LIBRARY".into()),
        });
        let layer_parent = p
            .layer
            .filter(|l| inv.layers.iter().any(|x| x.index == *l))
            .map(layer_spdx_id);
        if let Some(parent) = &layer_parent {
            rels.insert(rel(parent, "CONTAINS", &id));
        }
        // Trivy reads OS packages as the children of the OPERATING_SYSTEM package, so OS
        // packages get that edge even when a layer already contains them.
        let os_parent = p.ecosystem.is_os() && inv.distro.is_some();
        if os_parent {
            rels.insert(rel(OS_ID, "CONTAINS", &id));
        } else if layer_parent.is_none() {
            rels.insert(rel(IMAGE_ID, "CONTAINS", &id));
        }
    }
    for r in &inv.relationships {
        let (Some(a), Some(b)) = (ids.get(&r.from), ids.get(&r.to)) else {
            continue;
        };
        match r.kind {
            RelationshipKind::DependsOn => rels.insert(rel(a, "DEPENDS_ON", b)),
            // written from the owned package's side: Trivy files every package an OS package
            // CONTAINS as an OS package, and would match pip's dist-info against Debian's feed
            RelationshipKind::Contains => rels.insert(rel(b, "CONTAINED_BY", a)),
        };
    }

    // the file inventory: each file contained by its owners, an unowned one by the image
    let mut files = Vec::with_capacity(inv.files.len());
    let mut contained: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for f in &inv.files {
        let id = file_spdx_id(f);
        let sha1 = f
            .sha1
            .as_deref()
            .ok_or_else(|| FormatError::FileWithoutSha1(f.path.clone()))?;
        let owners: Vec<&String> = f.owners.iter().filter_map(|o| ids.get(o)).collect();
        if owners.is_empty() {
            contained.entry(IMAGE_ID.into()).or_default().push(sha1);
            rels.insert(rel(IMAGE_ID, "CONTAINS", &id));
        }
        for o in owners {
            contained.entry(o.clone()).or_default().push(sha1);
            rels.insert(rel(o, "CONTAINS", &id));
        }
        files.push(SpdxFile {
            // relative to the image's root, as SPDX wants (`./usr/bin/ls`)
            file_name: format!(".{}", f.path),
            spdx_id: id,
            checksums: vec![
                SpdxChecksum {
                    algorithm: "SHA1".into(),
                    checksum_value: sha1.to_string(),
                },
                SpdxChecksum {
                    algorithm: "SHA256".into(),
                    checksum_value: f.sha256.clone(),
                },
            ],
            license_concluded: noassert(),
            copyright_text: noassert(),
            comment: Some(file_comment(f)),
        });
    }
    // a package that contains files has had them analysed (SPDX 2.3, clause 7.8)
    for p in &mut packages {
        if let Some(sha1s) = contained.get(&p.spdx_id) {
            p.files_analyzed = true;
            p.package_verification_code = Some(verification_code(sha1s.iter().copied()));
        }
    }

    let mut comment = format!(
        "SBOM of container image {} ({} packages, {} layers).",
        image_name,
        inv.installed().count(),
        inv.layers.len()
    );
    let mut annotations = Vec::new();
    if inv.is_incomplete() {
        let why: Vec<String> = inv
            .warnings
            .iter()
            .filter(|w| w.incomplete)
            .map(|w| match &w.path {
                Some(p) => format!("{p}: {}", w.message),
                None => w.message.clone(),
            })
            .collect();
        let text = format!(
            "INCOMPLETE: packages may be missing from this document: {}",
            why.join("; ")
        );
        comment.push(' ');
        comment.push_str(&text);
        annotations.push(Annotation {
            annotation_date: created.clone(),
            annotation_type: "OTHER".into(),
            annotator: tool_creator(inv),
            comment: text,
        });
    }

    let extracted = refs_used
        .into_iter()
        .map(|id| {
            let name = id.trim_start_matches("LicenseRef-").replace('-', " ");
            ExtractedLicense {
                extracted_text: format!(
                    "The package metadata names the license \"{name}\", which has no SPDX identifier; the license text was not collected."
                ),
                name,
                license_id: id,
            }
        })
        .collect();

    Ok(Document {
        spdx_version: format!("SPDX-{SPDX_VERSION}"),
        data_license: "CC0-1.0".into(),
        spdx_id: "SPDXRef-DOCUMENT".into(),
        name: image_name,
        document_namespace: namespace,
        creation_info: CreationInfo {
            created,
            creators: std::iter::once(tool_creator(inv))
                .chain(
                    opts.creator
                        .as_deref()
                        .filter(|c| parse_party(c).is_some())
                        .map(|c| supplier_field(Some(c))),
                )
                .collect(),
            license_list_version: None,
        },
        comment: Some(comment),
        packages,
        files,
        has_extracted_licensing_infos: extracted,
        relationships: rels.into_iter().collect(),
        annotations,
    })
}
