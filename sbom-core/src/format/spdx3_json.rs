//! `spdx3-json`: SPDX 3.0.1 as JSON-LD, the Core, Software and SimpleLicensing profiles.
//!
//! Our own serde struct, like the SPDX 2 writer's: there is no maintained Rust crate for SPDX 3
//! (`spdx-rs` stops at 2.2). One [`Node`] type carries every field the classes we write use,
//! each left out when unset: the official JSON schema forbids properties a class does not
//! have, so a field is only ever set on the classes it belongs to.
//!
//! # Shape
//!
//! * One `CreationInfo` (blank node `_:creationinfo`) shared by every element: spec version
//!   3.0.1, the document time ([`WriteOptions::created_rfc3339`], so `SOURCE_DATE_EPOCH`
//!   holds), `createdBy` a `SoftwareAgent` (this program made the document; who ran it is
//!   not known to it) plus, with [`WriteOptions::creator`] (`--creator`), that
//!   `Organization` or `Person` with its e-mail, and `createdUsing` the same program as a
//!   `Tool`.
//! * `SpdxDocument` (data license CC0-1.0) whose root is a `software_Sbom` of type `analyzed`
//!   (an SBOM made by analysing an artifact after it was built), whose root is the image.
//! * The image, each layer, the operating system and every package are `software_Package`s:
//!   the image with purpose `container`, its `pkg:oci` purl and manifest digest as
//!   `verifiedUsing`; a layer with purpose `archive` and its `diff_id`; the OS with
//!   `operatingSystem` and its own CPE; packages with `library`, their purl, version, hashes,
//!   CPEs, home page and where they were recorded (`software_sourceInfo`).
//! * Suppliers are `Organization` or `Person` elements (e-mail as an `email` external
//!   identifier), linked by `suppliedBy`; one element per distinct party. The party a
//!   package's own metadata names (not the image's distributor) is also its `originatedBy`;
//!   the OS is supplied and originated by its distribution, reached at os-release's
//!   `HOME_URL` (a `urlScheme` identifier).
//! * Licenses: each distinct expression is one `simplelicensing_LicenseExpression`, linked by
//!   `hasDeclaredLicense` and, where a machine-readable record concludes one
//!   ([`crate::Package::license_concluded`]), `hasConcludedLicense`; otherwise either points to
//!   `expandedlicensing_NoAssertionLicense` (never `NoneLicense`: not knowing is not "no
//!   license"). `software_copyrightText` only where the package's files give notices.
//! * Relationships: the image `contains` its layers and the OS; each layer `contains` the
//!   packages it introduced (the per-package layer attribution); the OS `contains` the OS
//!   packages (as the SPDX 2 writer has it); `dependsOn` as the inventory says. Ownership (a
//!   dpkg package whose files hold a Python dist) is the owned package `packagedBy` its owner:
//!   SPDX 3 dropped SPDX 2's inverse types (`CONTAINED_BY`, which the SPDX 2 writer uses), and
//!   `packagedBy` ("every `to` is a packaged instance of `from`") says exactly that the Debian
//!   package is a packaging of the dist, in the same direction, without making the dist part of
//!   the OS package for consumers that walk `contains` (as Trivy does in SPDX 2).
//! * An incomplete inventory gets an `Annotation` of type `other` on the image saying why.
//!
//! # Identifiers
//!
//! Every `spdxId` is an IRI under the document namespace
//! `https://sbom.invalid/spdx3/<image>-<uuid>/` with a stable path: `image`, `layer/<i>`,
//! `os`, `package/<...>` (the SPDX 2 id's suffix), `agent/<hash>`, `license/<hash>`,
//! `relationship/<type>/<hash>`; the uuid is [`WriteOptions::uuid`], derived from the image when
//! `SOURCE_DATE_EPOCH` is set, so the same image gives the same bytes.

use std::collections::{BTreeMap, BTreeSet};
use std::io;

use serde::Serialize;

use super::spdx_model::{package_spdx_id, sanitize_id as iri_segment};
use super::util::{layer_instruction, layer_label, parse_party, short_hash, split_digest};
use super::util::{Party, PartyKind};
use super::{Format, FormatError, WriteOptions, Writer};
use crate::{Inventory, Package, RelationshipKind};

/// The SPDX version this writer follows.
pub const SPDX3_VERSION: &str = "3.0.1";

/// The JSON-LD context every SPDX 3.0.1 document names.
pub const SPDX3_CONTEXT: &str = "https://spdx.org/rdf/3.0.1/spdx-context.jsonld";

/// The blank node of the one `CreationInfo`.
const CREATION_INFO: &str = "_:creationinfo";

/// The license individual meaning "no assertion is made".
const NO_ASSERTION_LICENSE: &str = "expandedlicensing_NoAssertionLicense";

/// The `spdx3-json` writer.
///
/// ```
/// use sbom_core::{format::{Spdx3Json, WriteOptions, Writer}, Inventory};
/// let mut out = Vec::new();
/// Spdx3Json.write(&Inventory::default(), &WriteOptions::fixed(0), &mut out).unwrap();
/// let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
/// assert_eq!(doc["@context"], "https://spdx.org/rdf/3.0.1/spdx-context.jsonld");
/// assert_eq!(doc["@graph"][0]["specVersion"], "3.0.1");
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Spdx3Json;

impl Spdx3Json {
    /// Its entry in [`super::FORMATS`].
    pub const FORMAT: Format = Format {
        id: "spdx3-json",
        aliases: &["spdx3-json@3.0.1"],
        spec: "SPDX",
        spec_version: Some(SPDX3_VERSION),
        description: "SPDX 3.0.1 as JSON-LD (Core, Software, SimpleLicensing)",
        media_type: "application/spdx3+json; version=3.0.1",
        file_extension: "spdx3.json",
        new: || Box::new(Spdx3Json),
    };
}

impl Writer for Spdx3Json {
    fn format(&self) -> &'static Format {
        &Self::FORMAT
    }

    fn write(
        &self,
        inv: &Inventory,
        opts: &WriteOptions,
        out: &mut dyn io::Write,
    ) -> Result<(), FormatError> {
        let doc = build(inv, opts);
        serde_json::to_writer_pretty(&mut *out, &doc)?;
        out.write_all(b"\n")?;
        Ok(())
    }
}

#[derive(Debug, Serialize)]
struct Document {
    #[serde(rename = "@context")]
    context: &'static str,
    #[serde(rename = "@graph")]
    graph: Vec<Node>,
}

/// One object of the graph: an element, or the creation info. Fields are camelCase as the
/// context names them; a profile's fields carry its prefix (`software_`).
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
struct Node {
    #[serde(rename = "type")]
    ty: &'static str,
    /// Only the creation info: a blank node, not an element.
    #[serde(rename = "@id", skip_serializing_if = "Option::is_none")]
    blank_id: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    spdx_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    creation_info: Option<&'static str>,
    // CreationInfo
    #[serde(skip_serializing_if = "Option::is_none")]
    spec_version: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    created: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    created_by: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    created_using: Vec<String>,
    // Element
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    external_identifier: Vec<ExternalIdentifier>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    verified_using: Vec<Hash>,
    // Artifact / software_Package
    #[serde(skip_serializing_if = "Option::is_none")]
    supplied_by: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    originated_by: Vec<String>,
    #[serde(
        rename = "software_packageVersion",
        skip_serializing_if = "Option::is_none"
    )]
    package_version: Option<String>,
    #[serde(
        rename = "software_packageUrl",
        skip_serializing_if = "Option::is_none"
    )]
    package_url: Option<String>,
    #[serde(rename = "software_homePage", skip_serializing_if = "Option::is_none")]
    home_page: Option<String>,
    #[serde(
        rename = "software_copyrightText",
        skip_serializing_if = "Option::is_none"
    )]
    copyright_text: Option<String>,
    #[serde(
        rename = "software_sourceInfo",
        skip_serializing_if = "Option::is_none"
    )]
    source_info: Option<String>,
    #[serde(
        rename = "software_primaryPurpose",
        skip_serializing_if = "Option::is_none"
    )]
    primary_purpose: Option<&'static str>,
    // software_File
    #[serde(rename = "software_fileKind", skip_serializing_if = "Option::is_none")]
    file_kind: Option<&'static str>,
    // simplelicensing_LicenseExpression
    #[serde(
        rename = "simplelicensing_licenseExpression",
        skip_serializing_if = "Option::is_none"
    )]
    license_expression: Option<String>,
    // Relationship
    #[serde(skip_serializing_if = "Option::is_none")]
    from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    relationship_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    to: Vec<String>,
    // Annotation
    #[serde(skip_serializing_if = "Option::is_none")]
    annotation_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    subject: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    statement: Option<String>,
    // SpdxDocument / software_Sbom
    #[serde(skip_serializing_if = "Option::is_none")]
    data_license: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    profile_conformance: Vec<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    root_element: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    element: Vec<String>,
    #[serde(rename = "software_sbomType", skip_serializing_if = "Vec::is_empty")]
    sbom_type: Vec<&'static str>,
}

impl Node {
    /// An element of `ty` with its id, sharing the document's creation info.
    fn element(ty: &'static str, spdx_id: impl Into<String>) -> Node {
        Node {
            ty,
            spdx_id: Some(spdx_id.into()),
            creation_info: Some(CREATION_INFO),
            ..Default::default()
        }
    }

    fn id(&self) -> &str {
        self.spdx_id.as_deref().unwrap_or_default()
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ExternalIdentifier {
    #[serde(rename = "type")]
    ty: &'static str,
    external_identifier_type: &'static str,
    identifier: String,
}

impl ExternalIdentifier {
    fn new(kind: &'static str, identifier: impl Into<String>) -> Self {
        ExternalIdentifier {
            ty: "ExternalIdentifier",
            external_identifier_type: kind,
            identifier: identifier.into(),
        }
    }

    /// A CPE in the binding it is written in (`cpe:2.3:` formatted string, else the 2.2 URI).
    fn cpe(c: &str) -> Option<Self> {
        let kind = if c.starts_with("cpe:2.3:") {
            "cpe23"
        } else if c.starts_with("cpe:/") {
            "cpe22"
        } else {
            return None;
        };
        Some(Self::new(kind, c))
    }
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
struct Hash {
    #[serde(rename = "type")]
    ty: &'static str,
    algorithm: &'static str,
    hash_value: String,
}

/// SPDX 3 `HashAlgorithm` names for the algorithms package databases record; others are
/// dropped, because the vocabulary is closed.
fn hash_algorithm(alg: &str) -> Option<&'static str> {
    let a = alg.to_ascii_uppercase().replace(['-', '_'], "");
    Some(match a.as_str() {
        "MD5" => "md5",
        "SHA1" => "sha1",
        "SHA224" => "sha224",
        "SHA256" => "sha256",
        "SHA384" => "sha384",
        "SHA512" => "sha512",
        "SHA3256" => "sha3_256",
        "SHA3384" => "sha3_384",
        "SHA3512" => "sha3_512",
        "BLAKE2B256" => "blake2b256",
        "BLAKE2B384" => "blake2b384",
        "BLAKE2B512" => "blake2b512",
        "BLAKE3" => "blake3",
        _ => return None,
    })
}

fn hash(algorithm: &'static str, value: &str) -> Hash {
    Hash {
        ty: "Hash",
        algorithm,
        hash_value: value.to_ascii_lowercase(),
    }
}

/// The sha256 of a `sha256:<hex>` digest.
fn sha256_of_digest(d: &str) -> Option<Hash> {
    split_digest(d)
        .filter(|(a, _)| a.eq_ignore_ascii_case("sha256"))
        .map(|(_, h)| hash("sha256", h))
}

/// Everything the graph is built from, with the ids it hands out.
struct Builder<'a> {
    ns: String,
    nodes: Vec<Node>,
    agents: BTreeMap<String, Node>,
    licenses: BTreeMap<String, Node>,
    /// `(from, type)` -> `to`s: one relationship element per start and type.
    rels: BTreeMap<(String, &'static str), BTreeSet<String>>,
    inv: &'a Inventory,
}

impl Builder<'_> {
    fn iri(&self, path: &str) -> String {
        format!("{}{path}", self.ns)
    }

    /// The element of a supplier, made once per distinct party.
    fn agent(&mut self, raw: Option<&str>) -> Option<String> {
        self.agent_at(raw, None)
    }

    /// [`Builder::agent`], also reachable at `url` (a `urlScheme` identifier): a party
    /// known by its web site rather than a mail address, like the distribution behind an
    /// OS (os-release gives its `NAME` and `HOME_URL`). BSI TR-03183-2 takes a URL as a
    /// creator's contact when there is no mail address.
    fn agent_at(&mut self, raw: Option<&str>, url: Option<&str>) -> Option<String> {
        let Party { kind, name, email } = raw.and_then(parse_party)?;
        let url = url.filter(|u| u.starts_with("https://") || u.starts_with("http://"));
        let mut key = format!("{kind:?}\0{name}\0{}", email.as_deref().unwrap_or(""));
        if let Some(u) = url {
            key = format!("{key}\0{u}");
        }
        let id = self.iri(&format!("agent/{}", short_hash(&key, 16)));
        self.agents.entry(key).or_insert_with(|| {
            let ty = match kind {
                PartyKind::Person => "Person",
                PartyKind::Organization => "Organization",
            };
            let mut n = Node::element(ty, id.clone());
            n.name = Some(name);
            n.external_identifier = email
                .into_iter()
                .map(|e| ExternalIdentifier::new("email", e))
                .chain(url.map(|u| ExternalIdentifier::new("urlScheme", u)))
                .collect();
            n
        });
        Some(id)
    }

    /// The element of a license expression, made once per distinct expression.
    fn license(&mut self, expr: &str) -> String {
        let id = self.iri(&format!("license/{}", short_hash(expr, 16)));
        self.licenses.entry(expr.to_string()).or_insert_with(|| {
            let mut n = Node::element("simplelicensing_LicenseExpression", id.clone());
            n.license_expression = Some(expr.to_string());
            n
        });
        id
    }

    fn relate(&mut self, from: &str, ty: &'static str, to: &str) {
        self.rels
            .entry((from.to_string(), ty))
            .or_default()
            .insert(to.to_string());
    }

    /// The declared and the concluded license of `id`, each no assertion when unknown.
    fn licenses_of(&mut self, id: &str, declared: Option<&str>, concluded: Option<&str>) {
        for (ty, expr) in [
            ("hasDeclaredLicense", declared),
            ("hasConcludedLicense", concluded),
        ] {
            let to = match expr.map(str::trim).filter(|l| !l.is_empty()) {
                Some(l) => self.license(l),
                None => NO_ASSERTION_LICENSE.to_string(),
            };
            self.relate(id, ty, &to);
        }
    }
}

fn image_name(inv: &Inventory) -> String {
    if inv.image.name.is_empty() {
        "image".into()
    } else {
        inv.image.name.clone()
    }
}

fn package_node(b: &mut Builder, p: &Package, id: &str) -> Node {
    let inv = b.inv;
    let mut n = Node::element("software_Package", id);
    n.name = Some(p.name.clone());
    n.package_version = Some(p.version.clone()).filter(|v| !v.is_empty());
    n.package_url = Some(p.purl.clone()).filter(|u| !u.is_empty());
    // the maintainer or vendor its database names, else whoever distributes the image (as
    // the SPDX 2 writer decides)
    let own = p.supplier.as_deref().filter(|s| parse_party(s).is_some());
    n.supplied_by = b.agent(own.or(inv.image.supplier()));
    // the party the package's own metadata names (a Debian maintainer, an author) made the
    // package as installed; the image's distributor did not, so it is never the originator
    n.originated_by = b.agent(own).into_iter().collect();
    n.copyright_text = p.copyright.clone().filter(|c| !c.trim().is_empty());
    let mut hashes: Vec<Hash> = p
        .checksums
        .iter()
        .filter_map(|c| Some(hash(hash_algorithm(&c.algorithm)?, &c.value)))
        .collect();
    hashes.sort();
    hashes.dedup_by(|a, b| a.algorithm == b.algorithm);
    n.verified_using = hashes;
    n.external_identifier = p
        .cpes
        .iter()
        .filter_map(|c| ExternalIdentifier::cpe(c))
        .collect();
    n.home_page = p.homepage.clone().filter(|h| h.starts_with("http"));
    n.description = p.description.clone().filter(|d| !d.trim().is_empty());
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
    n.source_info = Some(source.join("; "));
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
    n.comment = Some(comment.join("; ")).filter(|c| !c.is_empty());
    n.primary_purpose = Some("library");
    n
}

fn build(inv: &Inventory, opts: &WriteOptions) -> Document {
    let name = image_name(inv);
    let ns = format!(
        "https://sbom.invalid/spdx3/{}-{}/",
        iri_segment(&name),
        opts.uuid(inv, "spdx3")
    );
    let mut b = Builder {
        ns,
        nodes: Vec::new(),
        agents: BTreeMap::new(),
        licenses: BTreeMap::new(),
        rels: BTreeMap::new(),
        inv,
    };
    let tool_label = format!("{}-{}", inv.tool.name, inv.tool.version);
    let agent_id = b.iri("agent/tool");
    let tool_id = b.iri("tool");
    let image_id = b.iri("image");

    // the image
    let mut image = Node::element("software_Package", image_id.clone());
    image.name = Some(name.clone());
    image.package_version = inv
        .image
        .manifest_digest
        .clone()
        .or_else(|| inv.image.config_digest.clone());
    image.package_url = crate::purl::image_purl(&inv.image);
    image.supplied_by = b.agent(inv.image.supplier());
    // its creator is who the image says made it, never the distributor the scan names
    image.originated_by = b.agent(inv.image.authors()).into_iter().collect();
    image.verified_using = inv
        .image
        .manifest_digest
        .as_deref()
        .or(inv.image.config_digest.as_deref())
        .and_then(sha256_of_digest)
        .into_iter()
        .collect();
    let mut image_comment = vec![format!(
        "{} {} ({})",
        inv.image.source_kind, inv.image.source, inv.image.platform
    )];
    if let Some(c) = &inv.image.config_digest {
        image_comment.push(format!("image id {c}"));
    }
    image.comment = Some(image_comment.join("; "));
    image.primary_purpose = Some("container");
    b.licenses_of(&image_id, None, None);
    b.nodes.push(image);

    // layers: whoever distributes the image distributes each of its layers
    let mut layer_ids = BTreeMap::new();
    for l in &inv.layers {
        let id = b.iri(&format!("layer/{}", l.index));
        let mut n = Node::element("software_Package", id.clone());
        n.name = Some(format!("layer-{}", l.index));
        n.package_version = Some(l.diff_id.clone()).filter(|d| !d.is_empty());
        n.supplied_by = b.agent(inv.image.supplier());
        n.verified_using = sha256_of_digest(&l.diff_id).into_iter().collect();
        n.description = layer_label(l);
        let mut comment = vec![format!("diff_id {}", l.diff_id)];
        if !l.digest.is_empty() {
            comment.push(format!("blob {}", l.digest));
        }
        if l.dockerfile.is_none() {
            if let Some(i) = layer_instruction(l) {
                comment.push(format!("created by: {i}"));
            }
        }
        n.comment = Some(comment.join("; "));
        n.primary_purpose = Some("archive");
        b.relate(&image_id, "contains", &id);
        b.licenses_of(&id, None, None);
        b.nodes.push(n);
        layer_ids.insert(l.index, id);
    }

    // the operating system, supplied by the distribution
    let os_id = inv.distro.as_ref().map(|d| {
        let id = b.iri("os");
        let mut n = Node::element("software_Package", id.clone());
        n.name = Some(d.id.clone());
        n.package_version = d.version_id.clone();
        // the distribution made the OS as well as supplying it; its home page is how it is
        // reached
        n.supplied_by = b.agent_at(d.name.as_deref(), d.home_url.as_deref());
        n.originated_by = n.supplied_by.iter().cloned().collect();
        n.home_page = d.home_url.clone().filter(|h| h.starts_with("http"));
        n.source_info = Some(format!("read from {}", d.source_path));
        n.description = d.pretty_name.clone();
        n.external_identifier = d
            .cpe_name
            .iter()
            .filter_map(|c| ExternalIdentifier::cpe(c))
            .collect();
        n.primary_purpose = Some("operatingSystem");
        b.relate(&image_id, "contains", &id);
        b.licenses_of(&id, None, None);
        b.nodes.push(n);
        id
    });

    // packages
    let ids: BTreeMap<&crate::PackageId, String> = inv
        .packages
        .iter()
        .map(|p| {
            let sid = package_spdx_id(p);
            let tail = sid.strip_prefix("SPDXRef-Package-").unwrap_or(&sid);
            (&p.id, b.iri(&format!("package/{tail}")))
        })
        .collect();
    for p in &inv.packages {
        let id = ids[&p.id].clone();
        let n = package_node(&mut b, p, &id);
        b.nodes.push(n);
        b.licenses_of(&id, p.license.as_deref(), p.license_concluded.as_deref());
        let layer = p.layer.and_then(|l| layer_ids.get(&l)).cloned();
        match (&layer, &os_id) {
            (_, Some(os)) if p.ecosystem.is_os() => {
                b.relate(os, "contains", &id);
                if let Some(l) = &layer {
                    b.relate(l, "contains", &id);
                }
            }
            (Some(l), _) => b.relate(l, "contains", &id),
            (None, _) => b.relate(&image_id, "contains", &id),
        }
    }
    // the file inventory: contained by the packages that own each file, else by the image
    for f in &inv.files {
        let sid = super::spdx_model::file_spdx_id(f);
        let tail = sid.strip_prefix("SPDXRef-File-").unwrap_or(&sid);
        let id = b.iri(&format!("file/{tail}"));
        let mut n = Node::element("software_File", id.clone());
        n.name = Some(f.path.clone());
        // SHA-1 only when the scan computed it (SPDX 3 requires no particular algorithm)
        n.verified_using = f.sha1.iter().map(|h| hash("sha1", h)).collect();
        n.verified_using.push(hash("sha256", &f.sha256));
        n.file_kind = Some("file");
        n.primary_purpose = f.executable.then_some("executable");
        n.comment = Some(super::spdx_model::file_comment(f));
        b.nodes.push(n);
        let owners: Vec<String> = f
            .owners
            .iter()
            .filter_map(|o| ids.get(o))
            .cloned()
            .collect();
        if owners.is_empty() {
            b.relate(&image_id, "contains", &id);
        }
        for o in owners {
            b.relate(&o, "contains", &id);
        }
    }
    for r in &inv.relationships {
        let (Some(from), Some(to)) = (ids.get(&r.from), ids.get(&r.to)) else {
            continue;
        };
        match r.kind {
            RelationshipKind::DependsOn => b.relate(from, "dependsOn", to),
            // the owned package is packaged by its owner: see the module docs
            RelationshipKind::Contains => b.relate(to, "packagedBy", from),
        }
    }

    // an incomplete inventory says so where tools that skip comments still see it
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
        let mut n = Node::element("Annotation", b.iri("annotation/incomplete"));
        n.annotation_type = Some("other");
        n.subject = Some(image_id.clone());
        n.statement = Some(format!(
            "INCOMPLETE: packages may be missing from this document: {}",
            why.join("; ")
        ));
        b.nodes.push(n);
    }

    let data_license = b.license("CC0-1.0");
    // the organisation or person given as the creator, with its contact
    let creator = b.agent(opts.creator.as_deref());
    let Builder {
        ns,
        nodes,
        agents,
        licenses,
        rels,
        ..
    } = b;
    let iri = |path: &str| format!("{ns}{path}");

    let mut agent = Node::element("SoftwareAgent", agent_id.clone());
    agent.name = Some(tool_label.clone());
    agent.comment =
        Some("the program that made this document; who ran it is not recorded".to_string());
    let mut tool = Node::element("Tool", tool_id.clone());
    tool.name = Some(tool_label);

    let relationships: Vec<Node> = rels
        .into_iter()
        .map(|((from, ty), to)| {
            let mut n = Node::element(
                "Relationship",
                iri(&format!("relationship/{ty}/{}", short_hash(&from, 16))),
            );
            n.from = Some(from);
            n.relationship_type = Some(ty);
            n.to = to.into_iter().collect();
            n
        })
        .collect();

    let mut elements: Vec<Node> = vec![agent, tool];
    elements.extend(agents.into_values());
    elements.extend(nodes);
    elements.extend(licenses.into_values());
    elements.extend(relationships);

    let sbom_id = iri("sbom");
    let doc_id = iri("document");
    let mut sbom = Node::element("software_Sbom", sbom_id.clone());
    sbom.name = Some(format!("SBOM of container image {name}"));
    sbom.root_element = vec![image_id];
    sbom.element = elements.iter().map(|e| e.id().to_string()).collect();
    sbom.sbom_type = vec!["analyzed"];
    sbom.profile_conformance = vec!["core", "software", "simpleLicensing"];

    let mut document = Node::element("SpdxDocument", doc_id);
    document.name = Some(name.clone());
    document.comment = Some(format!(
        "SBOM of container image {} ({} packages, {} layers).",
        name,
        inv.installed().count(),
        inv.layers.len()
    ));
    document.data_license = Some(data_license);
    document.root_element = vec![sbom_id.clone()];
    document.element = std::iter::once(sbom_id)
        .chain(elements.iter().map(|e| e.id().to_string()))
        .collect();
    document.profile_conformance = vec!["core", "software", "simpleLicensing"];

    let creation = Node {
        ty: "CreationInfo",
        blank_id: Some(CREATION_INFO),
        spec_version: Some(SPDX3_VERSION),
        created: Some(opts.created_rfc3339()),
        created_by: std::iter::once(agent_id).chain(creator).collect(),
        created_using: vec![tool_id],
        ..Default::default()
    };

    let mut graph = vec![creation, document, sbom];
    graph.extend(elements);
    Document {
        context: SPDX3_CONTEXT,
        graph,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_names_are_the_vocabulary_s() {
        assert_eq!(hash_algorithm("SHA256"), Some("sha256"));
        assert_eq!(hash_algorithm("sha3-256"), Some("sha3_256"));
        assert_eq!(hash_algorithm("crc32"), None);
    }

    #[test]
    fn segments_are_iri_safe() {
        assert_eq!(iri_segment("debian:12 / x"), "debian-12-x");
        assert_eq!(iri_segment("///"), "x");
    }
}
