//! Bitnami components: Bitnami images unpack each component they build (`redis`,
//! `postgresql`, `render-template`) under `/opt/bitnami/<component>/` and ship beside it an
//! SPDX 2 JSON document, `.spdx-<component>.spdx`, naming the component and the libraries
//! bundled into it with `pkg:bitnami` purls. Older images have one
//! `/opt/bitnami/.bitnami_components.json` instead, a map from component name to its version,
//! architecture and distro.
//!
//! Only `pkg:bitnami` packages are taken from the documents: the Go modules and other
//! packages they also list are read from the binaries themselves by their own detectors,
//! and would otherwise be reported twice.

use std::collections::BTreeMap;
use std::sync::Arc;

use sbom_core::purl::PURL_QUALIFIER;
use sbom_core::{license, Ecosystem, Package, PackageId, Relationship, RelationshipKind};
use serde::Deserialize;

use super::{Claim, CollectContext, Detector, EntryMeta, Findings, FsView, ParseError, Parsed};

#[cfg(test)]
mod tests;

const NAME: &str = "bitnami";
const ROOT: &str = "/opt/bitnami/";
const COMPONENTS_JSON: &str = "/opt/bitnami/.bitnami_components.json";
/// The largest document seen (postgresql's, 19 packages) is 22 KB.
const MAX_DOCUMENT: u64 = 16 << 20;

/// One Bitnami component, as its document records it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Component {
    /// The SPDX package `name` (or the components.json key).
    pub name: String,
    /// `versionInfo`: Bitnami's version with its revision (`17.2.0-8`).
    pub version: String,
    /// The document's `pkg:bitnami` purl, verbatim (its name can differ from `name`:
    /// `nss-wrapper` is `pkg:bitnami/nss_wrapper`).
    pub purl: Option<String>,
    /// `arch` qualifier or field.
    pub arch: Option<String>,
    /// `distro` qualifier or field (`debian-12`).
    pub distro: Option<String>,
    /// `licenseDeclared`, as written.
    pub license_declared: Option<String>,
    /// `licenseConcluded`, as written.
    pub license_concluded: Option<String>,
    /// `cpe23Type` references.
    pub cpes: Vec<String>,
    /// `downloadLocation`, when it is a URL.
    pub download: Option<String>,
    /// `copyrightText`, unless NOASSERTION/NONE.
    pub copyright: Option<String>,
    /// The components.json `digest` (SHA-256 of Bitnami's tarball).
    pub digest: Option<String>,
}

/// What one document says: its components and which one is the main one, the rest being
/// bundled into it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Document {
    /// The `pkg:bitnami` components, in document order.
    pub components: Vec<Component>,
    /// Index of the component the document is about (contains the others), if one is.
    pub main: Option<usize>,
    /// The organisation that wrote the document (`Organization: VMware, Inc.`): Bitnami's
    /// owner at the time, who built and ships the components.
    pub creator: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SpdxDoc {
    #[serde(default)]
    packages: Vec<SpdxPackage>,
    #[serde(default)]
    relationships: Vec<SpdxRelationship>,
    #[serde(default)]
    document_describes: Vec<String>,
    spdx_version: Option<String>,
    creation_info: Option<CreationInfo>,
}

#[derive(Deserialize)]
struct CreationInfo {
    #[serde(default)]
    creators: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SpdxPackage {
    #[serde(rename = "SPDXID")]
    spdx_id: String,
    name: String,
    version_info: Option<String>,
    license_declared: Option<String>,
    license_concluded: Option<String>,
    download_location: Option<String>,
    copyright_text: Option<String>,
    #[serde(default)]
    external_refs: Vec<SpdxRef>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SpdxRef {
    reference_type: String,
    reference_locator: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SpdxRelationship {
    spdx_element_id: String,
    relationship_type: String,
    related_spdx_element: String,
}

#[derive(Deserialize)]
struct LegacyEntry {
    version: String,
    arch: Option<String>,
    distro: Option<String>,
    digest: Option<String>,
}

/// A value that says nothing (`NOASSERTION`, `NONE`, empty) as `None`.
fn asserted(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty() && s != "NOASSERTION" && s != "NONE")
}

/// `arch` and `distro` qualifiers of a purl.
fn qualifiers(purl: &str) -> (Option<String>, Option<String>) {
    let Some((_, q)) = purl.split_once('?') else {
        return (None, None);
    };
    let q = q.split('#').next().unwrap_or(q);
    let mut arch = None;
    let mut distro = None;
    for kv in q.split('&') {
        match kv.split_once('=') {
            Some(("arch", v)) => arch = Some(v.to_string()),
            Some(("distro", v)) => distro = Some(v.to_string()),
            _ => {}
        }
    }
    (arch, distro)
}

/// Parses a `.spdx-*.spdx` document. A file that is not JSON (Bitnami writes only JSON; a
/// tag-value document under that name is someone else's) yields nothing; JSON that is not
/// an SPDX document is an error.
pub fn parse_document(body: &[u8]) -> Result<Document, ParseError> {
    let text = body.trim_ascii_start();
    if !text.starts_with(b"{") {
        return Ok(Document::default());
    }
    let doc: SpdxDoc = serde_json::from_slice(text)
        .map_err(|e| ParseError(format!("not an SPDX JSON document: {e}")))?;
    if doc
        .spdx_version
        .as_deref()
        .is_none_or(|v| !v.starts_with("SPDX-"))
    {
        return Err("not an SPDX JSON document: no spdxVersion".into());
    }
    let mut components = Vec::new();
    let mut ids = Vec::new();
    for p in doc.packages {
        let Some(purl) = p
            .external_refs
            .iter()
            .find(|r| r.reference_type == "purl")
            .map(|r| r.reference_locator.trim().to_string())
        else {
            continue;
        };
        if !purl.starts_with("pkg:bitnami/") {
            continue;
        }
        let (arch, distro) = qualifiers(&purl);
        let cpes = p
            .external_refs
            .iter()
            .filter(|r| r.reference_type == "cpe23Type" || r.reference_type == "cpe22Type")
            .map(|r| r.reference_locator.trim().to_string())
            .collect();
        components.push(Component {
            name: p.name,
            version: p.version_info.unwrap_or_default(),
            purl: Some(purl),
            arch,
            distro,
            license_declared: asserted(p.license_declared),
            license_concluded: asserted(p.license_concluded),
            cpes,
            download: asserted(p.download_location).filter(|d| d.contains("://")),
            copyright: asserted(p.copyright_text),
            digest: None,
        });
        ids.push(p.spdx_id);
    }
    // the main component contains the others and is contained by none; a document with one
    // component is about it
    let contained: Vec<&str> = doc
        .relationships
        .iter()
        .filter(|r| r.relationship_type == "CONTAINS")
        .map(|r| r.related_spdx_element.as_str())
        .collect();
    let main = ids
        .iter()
        .position(|id| {
            !contained.contains(&id.as_str())
                && doc
                    .relationships
                    .iter()
                    .any(|r| r.relationship_type == "CONTAINS" && r.spdx_element_id == *id)
        })
        .or_else(|| {
            ids.iter()
                .position(|id| doc.document_describes.iter().any(|d| d == id))
        })
        .or((ids.len() == 1).then_some(0));
    let creator = doc
        .creation_info
        .into_iter()
        .flat_map(|c| c.creators)
        .find(|c| c.starts_with("Organization:"));
    Ok(Document {
        components,
        main,
        creator,
    })
}

/// Parses the legacy `.bitnami_components.json`.
pub fn parse_components_json(body: &[u8]) -> Result<Document, ParseError> {
    let map: BTreeMap<String, LegacyEntry> = serde_json::from_slice(body)
        .map_err(|e| ParseError(format!("not a Bitnami components file: {e}")))?;
    let components = map
        .into_iter()
        .map(|(name, e)| Component {
            name,
            version: e.version,
            arch: e.arch.filter(|a| !a.is_empty()),
            distro: e.distro.filter(|d| !d.is_empty()),
            digest: e.digest.filter(|d| !d.is_empty()),
            ..Component::default()
        })
        .collect();
    Ok(Document {
        components,
        main: None,
        creator: None,
    })
}

fn package(c: &Component, creator: Option<&str>, document: &str) -> Package {
    let mut p = Package::new(Ecosystem::Bitnami, c.name.clone(), c.version.clone());
    p.arch = c.arch.clone();
    // Bitnami's qualifiers: the build's architecture and the distro it was built for
    // (`debian-12`), which is Bitnami's, not necessarily the image's
    if let Some(a) = &c.arch {
        p.properties
            .insert(format!("{PURL_QUALIFIER}arch"), a.clone());
    }
    if let Some(d) = &c.distro {
        p.properties
            .insert(format!("{PURL_QUALIFIER}distro"), d.clone());
    }
    if let Some(purl) = &c.purl {
        p.purl = purl.clone();
    }
    p.cpes = c.cpes.clone();
    if let Some(l) = &c.license_declared {
        p.licenses_declared = vec![l.clone()];
    }
    // Bitnami concluded the license when it built the component: that is the expression
    p.license = c
        .license_concluded
        .as_deref()
        .or(c.license_declared.as_deref())
        .and_then(license::normalize);
    p.homepage = c.download.clone();
    if let Some(cr) = &c.copyright {
        p.properties.insert("bitnami:copyright".into(), cr.clone());
    }
    if let Some(d) = &c.digest {
        p.checksums.push(sbom_core::Checksum {
            algorithm: "SHA256".into(),
            value: d.to_ascii_lowercase(),
        });
    }
    p.supplier = creator.map(str::to_string);
    p.database_path = document.to_string();
    p
}

/// Finds Bitnami components from the documents Bitnami images ship.
#[derive(Debug, Default, Clone, Copy)]
pub struct BitnamiDetector;

impl Detector for BitnamiDetector {
    super::common::codec::cache_codec!(0 => Document);

    fn name(&self) -> &'static str {
        NAME
    }

    fn claim_patterns(&self) -> Option<&'static [super::ClaimPattern]> {
        use super::ClaimPattern::*;
        Some(&[Name(".bitnami_components.json"), Prefix(".spdx-")])
    }

    fn claim(&self, path: &str, _meta: &EntryMeta) -> Option<Claim> {
        let rest = path.strip_prefix(ROOT)?;
        let file = rest.rsplit('/').next().unwrap_or(rest);
        let wanted = path == COMPONENTS_JSON
            || (file.starts_with(".spdx-") && file.ends_with(".spdx") && file.len() > 11);
        wanted.then_some(Claim::up_to(MAX_DOCUMENT))
    }

    fn parse(&self, path: &str, body: &[u8]) -> Result<Parsed, ParseError> {
        let doc = if path == COMPONENTS_JSON {
            parse_components_json(body)
        } else {
            parse_document(body)
        };
        Ok(Arc::new(doc?))
    }

    fn collect(&self, view: &FsView, _ctx: CollectContext, out: &mut Findings) {
        for f in view.parsed(NAME) {
            let Some(doc) = f.get::<Document>() else {
                continue;
            };
            let dir = match f.path.rsplit_once('/') {
                Some((d, _)) => format!("{d}/"),
                None => continue,
            };
            let mut packages: Vec<Package> = doc
                .components
                .iter()
                .map(|c| {
                    let mut p = package(c, doc.creator.as_deref(), f.path);
                    p.layer = Some(f.layer);
                    p
                })
                .collect();
            if let Some(main) = doc.main.and_then(|m| packages.get(m).map(|_| m)) {
                // the executables under the component's directory that the binary detector
                // read are the component's files, so they are not reported again as software
                // installed by hand (see `assemble::owned`)
                let binaries: Vec<String> = view
                    .parsed_under(super::binary::NAME, &dir)
                    .map(|b| b.path.to_string())
                    .collect();
                packages[main].files.extend(binaries);
                packages[main].files.push(f.path.to_string());
                let from = component_id(&packages[main]);
                for (i, p) in packages.iter().enumerate() {
                    if i != main {
                        out.relationships.push(Relationship {
                            from: from.clone(),
                            kind: RelationshipKind::Contains,
                            to: component_id(p),
                        });
                    }
                }
            }
            out.packages.extend(packages);
        }
    }
}

/// The id the inventory will give `p` (its purl is set from the document, and
/// `Inventory::assign_ids` keeps a set purl), so relationships can name it now.
fn component_id(p: &Package) -> PackageId {
    if p.purl.is_empty() {
        let mut q = p.clone();
        q.purl = sbom_core::purl::package_purl(p, None);
        return sbom_core::default_id(&q);
    }
    sbom_core::default_id(p)
}
