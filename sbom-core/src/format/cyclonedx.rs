//! `cyclonedx-json` (CycloneDX 1.6) and `cyclonedx-json@1.5`.
//!
//! Our own serde structs for 1.6, with a downgrade step that drops what 1.5 lacks
//! (license `acknowledgement`, evidence `concludedValue` and `additionalContext`, the list
//! form of `identity`). The XML writer ([`super::cyclonedx_xml`]) renders the same structs. We do not use `cyclonedx-bom`: it stops at 1.5.
//!
//! # Shape
//!
//! Follows what Syft and Trivy write, so their consumers read ours:
//! * `metadata.component`: the image, type `container`, version = digest (else tag), purl
//!   `pkg:oci/...` when a digest is known. Its nested `components` are the layers (type
//!   `file`, `bom-ref` `layer:<i>`, version and SHA-256 = the `diff_id`): CycloneDX's
//!   assembly, "components included in the parent". The packages stay in the top-level
//!   `components`, not nested in their layer: Trivy 0.59 reads no nested components (with
//!   the packages nested it found none of them).
//! * Every package has `evidence`: `identity` (field `purl`, the technique, manifest or
//!   binary analysis, and a confidence, see `identity_method`) and one `occurrence`, the
//!   file it was read from (its database, manifest or executable), whose 1.6
//!   `additionalContext` is the layer it lives in as `layer:<i> <diff_id>` (the layer
//!   component's `bom-ref`): the per-package layer attribution without our properties. 1.5
//!   has no `additionalContext` and takes `identity` as one object, not a list.
//! * `components`: the OS as type `operating-system` (name = distro id, version =
//!   `VERSION_ID`), then every package as type `library`, `bom-ref` = the package id.
//! * `dependencies`: one entry per component. The image depends on the OS and on the
//!   language packages; the OS on the OS packages (Trivy's convention: it finds OS packages
//!   as the OS component's dependencies); packages on what `Inventory::relationships` says
//!   (`depends`). Ownership (an OS package whose files hold a language package) is the
//!   `sbom:package:owner` property, not a `dependsOn`: Trivy files every component an OS
//!   package depends on as an OS package.
//!   Packages a later layer removed (`all-layers` scope) stay in `components` with the
//!   `sbom:package:removed_in` property, but nothing depends on them.
//! * An inventory with an incomplete-warning gets a `compositions` entry with aggregate
//!   `incomplete` and the `sbom:inventory:incomplete` property.
//!
//! # Property namespace `sbom:`
//!
//! | name | on | value |
//! | --- | --- | --- |
//! | `sbom:layer:index` | package | index of the layer that introduced it (0 = base) |
//! | `sbom:layer:diff_id` | package | that layer's `diff_id` |
//! | `sbom:layer:instruction` | package | the instruction that made that layer |
//! | `sbom:dockerfile:line` | package | `Dockerfile:12-14` when the Dockerfile is known |
//! | `sbom:database:path` | package | the database file that recorded it |
//! | `sbom:package:removed_in` | package | index of the layer that removed it |
//! | `sbom:package:ecosystem`, `:arch`, `:epoch`, `:source_name`, `:source_version`, `:owner`, `:declared_license` | package | as in the native model |
//! | `sbom:package:property:<key>` | package | ecosystem-specific facts |
//! | `sbom:image:source`, `:source_kind`, `:config_digest`, `:platform`, `:repo_tag` | image | as in [`crate::ImageInfo`] |
//! | `sbom:image:layer:<i>:diff_id`, `:<i>:instruction`, `:<i>:dockerfile`, `:<i>:size` | image | one set per layer |
//! | `sbom:layer:diff_id`, `:digest`, `:index`, `:size`, `:instruction`, `sbom:dockerfile:line` | layer | the layer's own |
//! | `sbom:inventory:incomplete` | image | `true` when packages may be missing |
//! | `sbom:warning` | image | one per warning |

use std::collections::{BTreeMap, BTreeSet};
use std::io;

use serde::Serialize;

use super::util::{layer_instruction, layer_label, parse_party, split_digest};
use super::{Format, FormatError, WriteOptions, Writer};
use crate::{Inventory, Package};

/// Which CycloneDX version to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpecVersion {
    /// CycloneDX 1.5, for consumers that do not read 1.6 yet: no license `acknowledgement`.
    V1_5,
    /// CycloneDX 1.6, the default.
    V1_6,
}

impl SpecVersion {
    /// `1.5`, `1.6`: as the document's `specVersion` and schema URL spell it.
    pub const fn as_str(self) -> &'static str {
        match self {
            SpecVersion::V1_5 => "1.5",
            SpecVersion::V1_6 => "1.6",
        }
    }

    /// The registry entry of the format that writes this version.
    pub const fn format(self) -> &'static Format {
        match self {
            SpecVersion::V1_5 => &CycloneDx::FORMAT_1_5,
            SpecVersion::V1_6 => &CycloneDx::FORMAT_1_6,
        }
    }
}

/// The `cyclonedx-json` / `cyclonedx-json@1.5` writer.
///
/// ```
/// use sbom_core::{format::{CycloneDx, SpecVersion, WriteOptions, Writer}, Inventory};
/// let mut out = Vec::new();
/// CycloneDx(SpecVersion::V1_5).write(&Inventory::default(), &WriteOptions::fixed(0), &mut out).unwrap();
/// let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
/// assert_eq!(doc["specVersion"], "1.5");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CycloneDx(pub SpecVersion);

impl CycloneDx {
    /// `cyclonedx-json`: CycloneDX 1.6, the newest version we write; its entry in
    /// [`super::FORMATS`]. `cyclonedx-json@1.6` spelled out selects it too.
    pub const FORMAT_1_6: Format = Format {
        id: "cyclonedx-json",
        aliases: &["cyclonedx-json@1.6"],
        spec: "CycloneDX",
        spec_version: Some(SpecVersion::V1_6.as_str()),
        description: "CycloneDX 1.6 as JSON",
        media_type: "application/vnd.cyclonedx+json; version=1.6",
        file_extension: "cdx.json",
        new: || Box::new(CycloneDx(SpecVersion::V1_6)),
    };

    /// `cyclonedx-json@1.5`: CycloneDX 1.5; its entry in [`super::FORMATS`].
    pub const FORMAT_1_5: Format = Format {
        id: "cyclonedx-json@1.5",
        aliases: &[],
        spec: "CycloneDX",
        spec_version: Some(SpecVersion::V1_5.as_str()),
        description: "CycloneDX 1.5 as JSON, for consumers without 1.6",
        media_type: "application/vnd.cyclonedx+json; version=1.5",
        file_extension: "cdx.json",
        new: || Box::new(CycloneDx(SpecVersion::V1_5)),
    };
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Bom {
    #[serde(rename = "$schema")]
    pub(super) schema: String,
    pub(super) bom_format: &'static str,
    pub(super) spec_version: &'static str,
    pub(super) serial_number: String,
    pub(super) version: u32,
    pub(super) metadata: Metadata,
    pub(super) components: Vec<Component>,
    pub(super) dependencies: Vec<Dependency>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) compositions: Vec<Composition>,
}

#[derive(Debug, Serialize)]
pub(super) struct Metadata {
    pub(super) timestamp: String,
    pub(super) lifecycles: Vec<Lifecycle>,
    pub(super) tools: Tools,
    /// The creator given with `--creator` ([`WriteOptions::creator`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) authors: Vec<Contact>,
    pub(super) component: Component,
    /// 1.6 only: "the organization that created the BOM", when `--creator` names one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) manufacturer: Option<OrgEntity>,
}

/// An `organizationalContact`.
#[derive(Debug, Clone, Serialize)]
pub(super) struct Contact {
    pub(super) name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) email: Option<String>,
}

/// An `organizationalEntity` with its contacts.
#[derive(Debug, Serialize)]
pub(super) struct OrgEntity {
    pub(super) name: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) contact: Vec<Contact>,
}

#[derive(Debug, Serialize)]
pub(super) struct Lifecycle {
    pub(super) phase: &'static str,
}

#[derive(Debug, Serialize)]
pub(super) struct Tools {
    pub(super) components: Vec<Component>,
}

#[derive(Debug, Default, Serialize)]
pub(super) struct Component {
    #[serde(rename = "type")]
    pub(super) ty: &'static str,
    #[serde(rename = "bom-ref", skip_serializing_if = "Option::is_none")]
    pub(super) bom_ref: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) supplier: Option<Entity>,
    pub(super) name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) description: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) hashes: Vec<Hash>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) licenses: Vec<LicenseChoice>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) copyright: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) cpe: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) purl: Option<String>,
    #[serde(rename = "externalReferences", skip_serializing_if = "Vec::is_empty")]
    pub(super) external_references: Vec<ExtRef>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) properties: Vec<Property>,
    /// Nested components: a layer's packages (an assembly, not a dependency).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) components: Vec<Component>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) evidence: Option<Evidence>,
}

/// How the component was identified and where it was found.
#[derive(Debug, Serialize)]
pub(super) struct Evidence {
    pub(super) identity: IdentityEvidence,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) occurrences: Vec<Occurrence>,
}

/// 1.6 takes a list of identities; 1.5 exactly one.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub(super) enum IdentityEvidence {
    One(Identity),
    List(Vec<Identity>),
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Identity {
    pub(super) field: &'static str,
    pub(super) confidence: f64,
    /// 1.6 only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) concluded_value: Option<String>,
    pub(super) methods: Vec<Method>,
}

#[derive(Debug, Serialize)]
pub(super) struct Method {
    pub(super) technique: &'static str,
    pub(super) confidence: f64,
    pub(super) value: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Occurrence {
    pub(super) location: String,
    /// 1.6 only: the layer the file is in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) additional_context: Option<String>,
}

#[derive(Debug, Serialize)]
pub(super) struct Entity {
    pub(super) name: String,
}

#[derive(Debug, Serialize)]
pub(super) struct Hash {
    pub(super) alg: &'static str,
    pub(super) content: String,
}

#[derive(Debug, Serialize)]
#[serde(untagged)]
pub(super) enum LicenseChoice {
    License {
        license: License,
    },
    Expression {
        expression: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        acknowledgement: Option<&'static str>,
    },
}

#[derive(Debug, Serialize)]
pub(super) struct License {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) acknowledgement: Option<&'static str>,
}

#[derive(Debug, Serialize)]
pub(super) struct ExtRef {
    #[serde(rename = "type")]
    pub(super) ty: &'static str,
    pub(super) url: String,
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub(super) struct Property {
    pub(super) name: String,
    pub(super) value: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Dependency {
    #[serde(rename = "ref")]
    pub(super) reference: String,
    pub(super) depends_on: Vec<String>,
}

#[derive(Debug, Serialize)]
pub(super) struct Composition {
    pub(super) aggregate: &'static str,
    pub(super) assemblies: Vec<String>,
}

fn prop(name: impl Into<String>, value: impl Into<String>) -> Property {
    Property {
        name: name.into(),
        value: value.into(),
    }
}

/// CycloneDX `hash-alg` spelling of an SPDX-style algorithm name.
fn cdx_alg(alg: &str) -> Option<&'static str> {
    let a = alg.to_ascii_uppercase().replace(['-', '_'], "");
    Some(match a.as_str() {
        "MD5" => "MD5",
        "SHA1" => "SHA-1",
        "SHA256" => "SHA-256",
        "SHA384" => "SHA-384",
        "SHA512" => "SHA-512",
        "SHA3256" => "SHA3-256",
        "SHA3384" => "SHA3-384",
        "SHA3512" => "SHA3-512",
        "BLAKE2B256" => "BLAKE2b-256",
        "BLAKE2B384" => "BLAKE2b-384",
        "BLAKE2B512" => "BLAKE2b-512",
        "BLAKE3" => "BLAKE3",
        _ => return None,
    })
}

/// `licenses` for an SPDX expression: `{"license":{"id"}}` for one current SPDX id,
/// `{"license":{"name"}}` for one `LicenseRef-`, else `{"expression"}`. `id` must be in the
/// schema's SPDX enum; deprecated ids are written as expressions because newer schemas'
/// enums may drop them, and an expression is only a string to the schema.
fn licenses(expr: &str, v: SpecVersion) -> Vec<LicenseChoice> {
    let ack = (v == SpecVersion::V1_6).then_some("declared");
    let e = expr.trim();
    if e.is_empty() {
        return vec![];
    }
    let single = !e.contains([' ', '(', ')']);
    if single {
        if let Some(l) = spdx::license_id(e) {
            if !l.is_deprecated() && l.name == e {
                return vec![LicenseChoice::License {
                    license: License {
                        id: Some(e.to_string()),
                        name: None,
                        acknowledgement: ack,
                    },
                }];
            }
        }
        if e.starts_with("LicenseRef-") {
            return vec![LicenseChoice::License {
                license: License {
                    id: None,
                    name: Some(e.to_string()),
                    acknowledgement: ack,
                },
            }];
        }
    }
    vec![LicenseChoice::Expression {
        expression: e.to_string(),
        acknowledgement: ack,
    }]
}

fn image_ref(inv: &Inventory) -> String {
    crate::purl::image_purl(&inv.image).unwrap_or_else(|| "image".to_string())
}

fn os_ref(d: &crate::Distro) -> String {
    format!("os:{}", d.purl_qualifier())
}

fn package_component(p: &Package, inv: &Inventory, v: SpecVersion) -> Component {
    let mut props = vec![
        prop("sbom:package:ecosystem", p.ecosystem.as_str()),
        prop("sbom:database:path", p.database_path.clone()),
    ];
    if let Some(li) = p.layer {
        props.push(prop("sbom:layer:index", li.to_string()));
        if let Some(l) = inv.layers.iter().find(|l| l.index == li) {
            if !l.diff_id.is_empty() {
                props.push(prop("sbom:layer:diff_id", l.diff_id.clone()));
            }
            if let Some(d) = &l.dockerfile {
                props.push(prop(
                    "sbom:dockerfile:line",
                    format!("Dockerfile:{}", d.line_range()),
                ));
            }
            if let Some(i) = layer_instruction(l) {
                props.push(prop("sbom:layer:instruction", i));
            }
        }
    }
    if let Some(r) = p.removed_in {
        props.push(prop("sbom:package:removed_in", r.to_string()));
    }
    if let Some(a) = &p.arch {
        props.push(prop("sbom:package:arch", a.clone()));
    }
    if let Some(e) = p.epoch {
        props.push(prop("sbom:package:epoch", e.to_string()));
    }
    if let Some(s) = &p.source {
        props.push(prop("sbom:package:source_name", s.name.clone()));
        if let Some(sv) = &s.version {
            props.push(prop("sbom:package:source_version", sv.clone()));
        }
    }
    if let Some(o) = &p.owner {
        props.push(prop("sbom:package:owner", o.0.clone()));
    }
    for d in &p.licenses_declared {
        props.push(prop("sbom:package:declared_license", d.clone()));
    }
    for (k, val) in &p.properties {
        props.push(prop(format!("sbom:package:property:{k}"), val.clone()));
    }
    props.sort();

    let mut hashes: Vec<Hash> = p
        .checksums
        .iter()
        .filter_map(|c| {
            let content = c.value.to_ascii_lowercase();
            // the schema only takes hex of the lengths real digests have
            let ok = matches!(content.len(), 32 | 40 | 64 | 96 | 128)
                && content.chars().all(|c| c.is_ascii_hexdigit());
            ok.then_some(Hash {
                alg: cdx_alg(&c.algorithm)?,
                content,
            })
        })
        .collect();
    hashes.sort_by(|a, b| (a.alg, &a.content).cmp(&(b.alg, &b.content)));
    hashes.dedup_by(|a, b| a.alg == b.alg);

    Component {
        ty: "library",
        bom_ref: Some(p.id.0.clone()),
        // as in SPDX: the database's maintainer/vendor, else the image's distributor
        supplier: p
            .supplier
            .as_deref()
            .and_then(parse_party)
            .or_else(|| inv.image.supplier().and_then(parse_party))
            .map(|s| Entity { name: s.name }),
        name: p.name.clone(),
        version: Some(p.version.clone()).filter(|v| !v.is_empty()),
        description: p.description.clone().filter(|d| !d.trim().is_empty()),
        hashes,
        licenses: p
            .license
            .as_deref()
            .map(|l| licenses(l, v))
            .unwrap_or_default(),
        copyright: p.copyright.clone().filter(|c| !c.trim().is_empty()),
        cpe: p.cpes.first().cloned(),
        purl: Some(p.purl.clone()).filter(|u| !u.is_empty()),
        external_references: p
            .homepage
            .iter()
            .filter(|h| h.starts_with("http"))
            .map(|h| ExtRef {
                ty: "website",
                url: h.clone(),
            })
            .collect(),
        properties: props,
        evidence: evidence(p, inv, v),
        ..Default::default()
    }
}

/// How a package was identified, from what, and with what confidence.
///
/// The confidences are our judgement of each method, not a measurement: a package
/// manager's or installer's own record of what it installed (dpkg `status`, an rpm or apk
/// database, a `.dist-info`, `package.json`, a gemspec, `pom.properties`, a JDK's `release`
/// file) and the module list a Go or Rust toolchain embeds in what it builds name the
/// package exactly (1.0); a jar named only by its `MANIFEST.MF` headers (no Maven
/// coordinates) is 0.7; a binary classifier (a file name and a version string the build
/// embeds) is 0.7 too, since a patched or vendor build can carry the upstream version.
fn identity_method(p: &Package) -> (&'static str, f64) {
    use crate::Ecosystem;
    if p.properties.get(crate::FOUND_BY).map(String::as_str)
        == Some(crate::FOUND_BY_BINARY_CLASSIFIER)
    {
        return ("binary-analysis", 0.7);
    }
    match p.ecosystem {
        Ecosystem::Go | Ecosystem::Cargo => ("binary-analysis", 1.0),
        Ecosystem::Maven
            if p.properties.get("java:metadata").map(String::as_str)
                == Some("META-INF/MANIFEST.MF") =>
        {
            ("manifest-analysis", 0.7)
        }
        _ => ("manifest-analysis", 1.0),
    }
}

/// `evidence`: the identity (field `purl`) and the occurrence, the file the package was
/// read from (a database, a manifest, an executable), with its layer in 1.6's
/// `additionalContext` (1.5 has no such field: the `sbom:layer:*` properties carry it).
fn evidence(p: &Package, inv: &Inventory, v: SpecVersion) -> Option<Evidence> {
    if p.purl.is_empty() || p.database_path.is_empty() {
        return None;
    }
    let (technique, confidence) = identity_method(p);
    let identity = Identity {
        field: "purl",
        confidence,
        concluded_value: (v == SpecVersion::V1_6).then(|| p.purl.clone()),
        methods: vec![Method {
            technique,
            confidence,
            value: p.database_path.clone(),
        }],
    };
    let context = (v == SpecVersion::V1_6)
        .then(|| {
            let l = inv.layers.iter().find(|l| Some(l.index) == p.layer)?;
            Some(format!("{} {}", layer_ref(l.index), l.diff_id))
        })
        .flatten();
    Some(Evidence {
        identity: match v {
            SpecVersion::V1_5 => IdentityEvidence::One(identity),
            SpecVersion::V1_6 => IdentityEvidence::List(vec![identity]),
        },
        occurrences: vec![Occurrence {
            location: p.database_path.clone(),
            additional_context: context,
        }],
    })
}

/// `layer:<i>`: a layer component's `bom-ref`.
fn layer_ref(index: usize) -> String {
    format!("layer:{index}")
}

/// A layer as a component nested in the image's (`metadata.component.components`):
/// CycloneDX's way to say that a component is part of another (an assembly).
fn layer_component(l: &crate::LayerInfo, inv: &Inventory) -> Component {
    let mut props = vec![prop("sbom:layer:diff_id", l.diff_id.clone())];
    if !l.digest.is_empty() {
        props.push(prop("sbom:layer:digest", l.digest.clone()));
    }
    props.push(prop("sbom:layer:index", l.index.to_string()));
    props.push(prop("sbom:layer:size", l.size.to_string()));
    if let Some(i) = layer_instruction(l) {
        props.push(prop("sbom:layer:instruction", i));
    }
    if let Some(d) = &l.dockerfile {
        props.push(prop(
            "sbom:dockerfile:line",
            format!("Dockerfile:{}", d.line_range()),
        ));
    }
    props.sort();
    let hashes = split_digest(&l.diff_id)
        .filter(|(a, h)| a.eq_ignore_ascii_case("sha256") && h.len() == 64)
        .map(|(_, h)| {
            vec![Hash {
                alg: "SHA-256",
                content: h.to_ascii_lowercase(),
            }]
        })
        .unwrap_or_default();
    Component {
        // a layer is a tar archive: a file, not software of its own
        ty: "file",
        bom_ref: Some(layer_ref(l.index)),
        supplier: inv
            .image
            .supplier()
            .and_then(parse_party)
            .map(|p| Entity { name: p.name }),
        name: format!("layer-{}", l.index),
        version: Some(l.diff_id.clone()).filter(|d| !d.is_empty()),
        description: layer_label(l),
        hashes,
        properties: props,
        ..Default::default()
    }
}

/// A file of the file inventory: a `file` component with its digests; its layer, mode,
/// size and owners (by bom-ref) as properties, CycloneDX having no field for them.
fn file_component(f: &crate::FileEntry) -> Component {
    let mut props = vec![
        prop("sbom:file:layer", f.layer.to_string()),
        prop("sbom:file:mode", format!("{:04o}", f.mode)),
        prop("sbom:file:size", f.size.to_string()),
    ];
    for o in &f.owners {
        props.push(prop("sbom:file:owner", o.0.clone()));
    }
    if let Some(r) = f.removed_in {
        props.push(prop("sbom:file:removed_in", r.to_string()));
    }
    if f.unowned_executable() {
        props.push(prop("sbom:file:unowned_executable", "true"));
    }
    props.sort();
    Component {
        ty: "file",
        bom_ref: Some(format!("file:{}#layer-{}", f.path, f.layer)),
        name: f.path.clone(),
        hashes: f
            .sha1
            .iter()
            .map(|h| Hash {
                alg: "SHA-1",
                content: h.clone(),
            })
            .chain([Hash {
                alg: "SHA-256",
                content: f.sha256.clone(),
            }])
            .collect(),
        properties: props,
        ..Default::default()
    }
}

fn image_component(inv: &Inventory) -> Component {
    let img = &inv.image;
    let mut props = vec![
        prop("sbom:image:source_kind", img.source_kind.clone()),
        prop("sbom:image:source", img.source.clone()),
        prop("sbom:image:platform", img.platform.to_string()),
    ];
    if let Some(c) = &img.config_digest {
        props.push(prop("sbom:image:config_digest", c.clone()));
    }
    for t in &img.repo_tags {
        props.push(prop("sbom:image:repo_tag", t.clone()));
    }
    for l in &inv.layers {
        let k = |f: &str| format!("sbom:image:layer:{}:{f}", l.index);
        props.push(prop(k("diff_id"), l.diff_id.clone()));
        props.push(prop(k("size"), l.size.to_string()));
        if let Some(i) = layer_instruction(l) {
            props.push(prop(k("instruction"), i));
        }
        if let Some(d) = &l.dockerfile {
            props.push(prop(
                k("dockerfile"),
                format!("Dockerfile:{}", d.line_range()),
            ));
        }
    }
    if inv.is_incomplete() {
        props.push(prop("sbom:inventory:incomplete", "true"));
    }
    for w in &inv.warnings {
        let mut s = String::new();
        if let Some(l) = w.layer {
            s.push_str(&format!("layer {l}: "));
        }
        if let Some(p) = &w.path {
            s.push_str(&format!("{p}: "));
        }
        s.push_str(&w.message);
        props.push(prop("sbom:warning", s));
    }
    let version = img
        .manifest_digest
        .clone()
        .or_else(|| img.config_digest.clone())
        .or_else(|| {
            img.repo_tags
                .first()
                .and_then(|t| t.rsplit_once(':'))
                .filter(|(_, t)| !t.contains('/'))
                .map(|(_, t)| t.to_string())
        });
    let hashes = img
        .manifest_digest
        .as_deref()
        .or(img.config_digest.as_deref())
        .and_then(split_digest)
        .filter(|(a, h)| a.eq_ignore_ascii_case("sha256") && h.len() == 64)
        .map(|(_, h)| {
            vec![Hash {
                alg: "SHA-256",
                content: h.to_ascii_lowercase(),
            }]
        })
        .unwrap_or_default();
    Component {
        ty: "container",
        bom_ref: Some(image_ref(inv)),
        supplier: img
            .supplier()
            .and_then(parse_party)
            .map(|p| Entity { name: p.name }),
        name: if img.name.is_empty() {
            "image".into()
        } else {
            img.name.clone()
        },
        version,
        hashes,
        purl: crate::purl::image_purl(img),
        properties: props,
        ..Default::default()
    }
}

pub(super) fn build(inv: &Inventory, opts: &WriteOptions, v: SpecVersion) -> Bom {
    let mut components = Vec::new();
    let root = image_ref(inv);
    let mut deps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    deps.insert(root.clone(), BTreeSet::new());
    let os = inv.distro.as_ref().map(|d| {
        let r = os_ref(d);
        components.push(Component {
            ty: "operating-system",
            bom_ref: Some(r.clone()),
            name: d.id.clone(),
            version: d.version_id.clone(),
            description: d.pretty_name.clone(),
            cpe: d.cpe_name.clone(),
            properties: vec![prop("sbom:distro:source_path", d.source_path.clone())],
            ..Default::default()
        });
        deps.insert(r.clone(), BTreeSet::new());
        deps.get_mut(&root).expect("root").insert(r.clone());
        r
    });
    let mut pkgs: Vec<&Package> = inv.packages.iter().collect();
    pkgs.sort_by(|a, b| a.id.cmp(&b.id));
    let ids: BTreeSet<&str> = pkgs.iter().map(|p| p.id.as_str()).collect();
    for p in &pkgs {
        components.push(package_component(p, inv, v));
        deps.entry(p.id.0.clone()).or_default();
        if p.removed_in.is_some() {
            continue;
        }
        let parent = match (&os, p.ecosystem.is_os()) {
            (Some(o), true) => o.clone(),
            _ => root.clone(),
        };
        deps.get_mut(&parent)
            .expect("parent")
            .insert(p.id.0.clone());
    }
    components.extend(inv.files.iter().map(file_component));
    for r in &inv.relationships {
        if r.kind == crate::RelationshipKind::DependsOn
            && ids.contains(r.from.as_str())
            && ids.contains(r.to.as_str())
        {
            // ownership is a property, see the module docs
            deps.entry(r.from.0.clone())
                .or_default()
                .insert(r.to.0.clone());
        }
    }
    let dependencies = deps
        .into_iter()
        .map(|(reference, d)| Dependency {
            reference,
            depends_on: d.into_iter().collect(),
        })
        .collect();
    let compositions = if inv.is_incomplete() {
        vec![Composition {
            aggregate: "incomplete",
            assemblies: vec![root.clone()],
        }]
    } else {
        vec![]
    };
    let creator = opts.creator.as_deref().and_then(parse_party);
    let authors: Vec<Contact> = creator
        .iter()
        .map(|c| Contact {
            name: c.name.clone(),
            email: c.email.clone(),
        })
        .collect();
    let manufacturer = creator
        .as_ref()
        .filter(|c| c.kind == super::util::PartyKind::Organization && v == SpecVersion::V1_6)
        .map(|c| OrgEntity {
            name: c.name.clone(),
            contact: authors.clone(),
        });
    Bom {
        schema: format!("http://cyclonedx.org/schema/bom-{}.schema.json", v.as_str()),
        bom_format: "CycloneDX",
        spec_version: v.as_str(),
        serial_number: format!("urn:uuid:{}", opts.uuid(inv, "cdx")),
        version: 1,
        metadata: Metadata {
            timestamp: opts.created_rfc3339(),
            lifecycles: vec![Lifecycle {
                phase: "post-build",
            }],
            tools: Tools {
                components: vec![Component {
                    ty: "application",
                    name: inv.tool.name.clone(),
                    version: Some(inv.tool.version.clone()),
                    ..Default::default()
                }],
            },
            authors,
            component: Component {
                components: inv.layers.iter().map(|l| layer_component(l, inv)).collect(),
                ..image_component(inv)
            },
            manufacturer,
        },
        components,
        dependencies,
        compositions,
    }
}

impl Writer for CycloneDx {
    fn format(&self) -> &'static Format {
        self.0.format()
    }

    fn write(
        &self,
        inv: &Inventory,
        opts: &WriteOptions,
        out: &mut dyn io::Write,
    ) -> Result<(), FormatError> {
        let bom = build(inv, opts, self.0);
        serde_json::to_writer_pretty(&mut *out, &bom)?;
        out.write_all(b"\n")?;
        Ok(())
    }
}
