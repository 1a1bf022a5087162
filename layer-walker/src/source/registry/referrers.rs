//! SBOM documents attached to images as OCI 1.1 referrers: each document is pushed as an
//! image manifest with an `artifactType`, the empty config, the document as its one layer and
//! the image's manifest as its `subject`; found again through the registry's referrers API
//! (`GET /v2/<name>/referrers/<digest>`) or, where the registry has none, the referrers tag
//! schema the Distribution Spec v1.1 defines (an image index at tag `sha256-<hex>` listing
//! them). `oras discover`, `cosign tree`, Ratify and Notation read both.
//!
//! The tag schema has no atomic update: two clients adding an entry at once can each read
//! the index, add theirs and write, and the second write drops the first entry. The spec's
//! remedy is conditional requests: the index is read with its `ETag` and replaced with
//! `If-Match`, so a registry that honours them refuses (412) the write that would lose an
//! entry, and the index is read again. Distribution ignores `If-Match`; for it, and any
//! registry like it, every write is read back, and an entry missing from what is read is
//! added again, a bounded number of times. What remains is the window between another
//! client's read and its write: an entry confirmed in it can still be dropped by that
//! write, and nothing a client does can close that window on such a registry.
//!
//! ```no_run
//! use layer_walker::referrers::{Document, Referrers};
//! use layer_walker::{RegistryOptions, RegistryRef};
//!
//! let image = RegistryRef::parse("127.0.0.1:5000/app:1.0")?;
//! let registry = Referrers::connect_for_push(&image, &RegistryOptions::default())?;
//! let subject = registry.subject(None)?;
//! let doc = Document::detect(Some("app.spdx.json".into()), std::fs::read("app.spdx.json")?)?;
//! let attached = registry.attach(&subject, &doc, "2026-12-02T00:00:00Z")?;
//! println!("{} {}", attached.manifest.digest, attached.support);
//!
//! for r in registry.list(&subject)?.referrers {
//!     println!("{} {}", r.artifact_type.as_deref().unwrap_or("-"), r.digest);
//!     let (layer, bytes) = registry.fetch(&r)?;
//!     assert_eq!(bytes.len() as u64, layer.size);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::client::{Client, Response};
use super::name::RegistryRef;
use super::options::RegistryOptions;
use super::push::Fetched;
use crate::digest::Digest;
use crate::error::{Error, Location, Result};
use crate::image::manifest::{MT_DOCKER_LIST, MT_OCI_INDEX};
use sbom_core::Platform;

/// The artifact type (and layer media type) of SPDX documents, JSON or JSON-LD (SPDX 3).
pub const ARTIFACT_SPDX: &str = "application/spdx+json";
/// The artifact type of SPDX tag-value documents.
pub const ARTIFACT_SPDX_TAG_VALUE: &str = "text/spdx";
/// The artifact type of CycloneDX JSON BOMs.
pub const ARTIFACT_CYCLONEDX: &str = "application/vnd.cyclonedx+json";
/// The artifact type of CycloneDX XML BOMs.
pub const ARTIFACT_CYCLONEDX_XML: &str = "application/vnd.cyclonedx+xml";
/// The artifact type of in-toto statements (what `-o in-toto-*` writes).
pub const ARTIFACT_IN_TOTO: &str = "application/vnd.in-toto+json";

/// The media type of OCI image manifests, which artifacts are.
pub const MT_OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// The empty descriptor's media type: the config of an artifact that has none.
pub const MT_EMPTY: &str = "application/vnd.oci.empty.v1+json";
/// The creation time annotation (RFC 3339), set on every artifact pushed.
pub const ANNOTATION_CREATED: &str = "org.opencontainers.image.created";
/// The layer annotation naming the document's file.
pub const ANNOTATION_TITLE: &str = "org.opencontainers.image.title";
/// The annotation naming the tool that attached the artifact. Outside
/// `org.opencontainers`, keys are reverse-DNS names of who defines them: the workspace's
/// repository.
pub const ANNOTATION_TOOL: &str = "invalid.example.sbom.tool";

/// The empty JSON object the empty descriptor stands for.
const EMPTY_JSON: &[u8] = b"{}";
/// Manifests and indexes larger than this are refused (the spec lets registries refuse
/// manifests over 4 MiB; a referrers index of thousands of entries stays under it).
const MAX_MANIFEST: u64 = 4 << 20;
/// Times the tag-schema index is read, updated and read back before giving up.
const TAG_ATTEMPTS: u32 = 8;
/// Pages of a paginated referrers answer followed.
const MAX_PAGES: usize = 64;

/// An OCI content descriptor: what an index lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Descriptor {
    /// What the content is: `application/vnd.oci.image.manifest.v1+json` for an artifact.
    #[serde(default)]
    pub media_type: String,
    /// Its digest.
    pub digest: Digest,
    /// Its size in bytes.
    pub size: u64,
    /// For an artifact manifest: what it carries (`application/spdx+json`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    /// Its annotations (for an artifact, the manifest's: creation time, tool).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

impl Descriptor {
    /// The `org.opencontainers.image.created` annotation, if any.
    pub fn created(&self) -> Option<&str> {
        self.annotations.get(ANNOTATION_CREATED).map(String::as_str)
    }
}

/// How a registry keeps referrers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Support {
    /// It answers the referrers API (and indexes each manifest's subject itself).
    ReferrersApi,
    /// It has no referrers API: an index at tag `sha256-<hex>` lists them.
    TagSchema,
}

impl fmt::Display for Support {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Support::ReferrersApi => "referrers API",
            Support::TagSchema => "referrers tag schema",
        })
    }
}

/// An SBOM document to attach: its bytes and what they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// The manifest's `artifactType`.
    pub artifact_type: &'static str,
    /// The layer's media type.
    pub media_type: &'static str,
    /// The file name, for `org.opencontainers.image.title`.
    pub title: Option<String>,
    /// The document.
    pub bytes: Vec<u8>,
}

/// Why bytes are no document [`Document::detect`] knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name}: {reason}")]
pub struct UnknownDocument {
    /// The file name, or `the document`.
    pub name: String,
    /// What it looks like instead.
    pub reason: String,
}

/// The fields that say which format a JSON document is, read without keeping the rest.
#[derive(Deserialize)]
struct Sniff {
    #[serde(rename = "spdxVersion", default)]
    spdx_version: Option<Value>,
    #[serde(rename = "bomFormat", default)]
    bom_format: Option<Value>,
    #[serde(rename = "_type", default)]
    in_toto_type: Option<Value>,
    #[serde(rename = "@context", default)]
    context: Option<Value>,
}

impl Document {
    /// A document whose type is told by its content, not its name: SPDX 2 JSON
    /// (`spdxVersion`), SPDX 3 JSON-LD (an `@context` of spdx.org/rdf/3), CycloneDX JSON
    /// (`bomFormat`), an in-toto statement (`_type`), SPDX tag-value (`SPDXVersion:`) and
    /// CycloneDX XML (its namespace).
    ///
    /// ```
    /// use layer_walker::referrers::{Document, ARTIFACT_CYCLONEDX, ARTIFACT_IN_TOTO};
    /// let bom = br#"{"bomFormat":"CycloneDX","specVersion":"1.6","components":[]}"#;
    /// let d = Document::detect(Some("bom.txt".into()), bom.to_vec()).unwrap();
    /// assert_eq!(d.artifact_type, ARTIFACT_CYCLONEDX);
    /// let st = br#"{"_type":"https://in-toto.io/Statement/v1","subject":[],"predicate":{}}"#;
    /// assert_eq!(Document::detect(None, st.to_vec()).unwrap().artifact_type, ARTIFACT_IN_TOTO);
    /// let err = Document::detect(Some("notes.json".into()), b"{\"a\":1}".to_vec()).unwrap_err();
    /// assert!(err.to_string().starts_with("notes.json: "));
    /// ```
    pub fn detect(
        title: Option<String>,
        bytes: Vec<u8>,
    ) -> std::result::Result<Self, UnknownDocument> {
        let name = title.clone().unwrap_or_else(|| "the document".into());
        let unknown = |reason: &str| UnknownDocument {
            name: name.clone(),
            reason: reason.to_string(),
        };
        let kind = detect_kind(&bytes).map_err(|r| unknown(&r))?;
        Ok(Document {
            artifact_type: kind,
            media_type: kind,
            title,
            bytes,
        })
    }
}

fn detect_kind(bytes: &[u8]) -> std::result::Result<&'static str, String> {
    let text = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let start = text
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(text.len());
    let text = &text[start..];
    if text.starts_with(b"{") {
        let s: Sniff =
            serde_json::from_slice(text).map_err(|e| format!("not a JSON document ({e})"))?;
        let str_of = |v: &Option<Value>| v.as_ref().and_then(Value::as_str).map(str::to_string);
        if str_of(&s.spdx_version).is_some_and(|v| v.starts_with("SPDX-")) {
            return Ok(ARTIFACT_SPDX);
        }
        let spdx3 = |v: &Value| v.as_str().is_some_and(|c| c.contains("spdx.org/rdf/3"));
        let is_spdx3 = match &s.context {
            Some(Value::Array(a)) => a.iter().any(spdx3),
            Some(v) => spdx3(v),
            None => false,
        };
        if is_spdx3 {
            return Ok(ARTIFACT_SPDX);
        }
        if str_of(&s.bom_format).as_deref() == Some("CycloneDX") {
            return Ok(ARTIFACT_CYCLONEDX);
        }
        if str_of(&s.in_toto_type).is_some_and(|t| t.starts_with("https://in-toto.io/Statement/")) {
            return Ok(ARTIFACT_IN_TOTO);
        }
        return Err("JSON, but no SPDX (spdxVersion, SPDX 3 @context), CycloneDX (bomFormat) or in-toto statement (_type) document".into());
    }
    if text.starts_with(b"SPDXVersion:") {
        return Ok(ARTIFACT_SPDX_TAG_VALUE);
    }
    if text.starts_with(b"<") {
        let head = &text[..text.len().min(4096)];
        if head.windows(24).any(|w| w == b"cyclonedx.org/schema/bom") {
            return Ok(ARTIFACT_CYCLONEDX_XML);
        }
    }
    Err("not an SPDX, CycloneDX or in-toto document".into())
}

/// What [`Referrers::attach`] pushed.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Attached {
    /// The artifact manifest, as the referrers list names it.
    pub manifest: Descriptor,
    /// How the registry keeps referrers.
    pub support: Support,
}

/// What [`Referrers::list`] found.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Listing {
    /// How the registry keeps referrers.
    pub support: Support,
    /// Every artifact naming the subject, as the registry (or the tag's index) lists them.
    pub referrers: Vec<Descriptor>,
}

/// The referrers of images in one repository: attach, list, fetch.
pub struct Referrers {
    client: Client,
    r: RegistryRef,
}

/// Every manifest kind a subject can be.
const ACCEPT_SUBJECT: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.docker.distribution.manifest.v2+json";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactManifest<'a> {
    schema_version: u32,
    media_type: &'static str,
    artifact_type: &'a str,
    config: EmptyDescriptor,
    layers: [LayerDescriptor<'a>; 1],
    subject: SubjectDescriptor<'a>,
    annotations: &'a BTreeMap<String, String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EmptyDescriptor {
    media_type: &'static str,
    digest: Digest,
    size: u64,
    data: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LayerDescriptor<'a> {
    media_type: &'a str,
    digest: &'a Digest,
    size: u64,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    annotations: BTreeMap<&'static str, &'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SubjectDescriptor<'a> {
    media_type: &'a str,
    digest: &'a Digest,
    size: u64,
}

/// An artifact manifest as read back: what fetching needs.
#[derive(Deserialize)]
struct ReadManifest {
    #[serde(rename = "artifactType", default)]
    artifact_type: Option<String>,
    #[serde(default)]
    layers: Vec<Descriptor>,
}

impl Referrers {
    /// Connects to the registry of `r` to read its referrers.
    pub fn connect(r: &RegistryRef, opts: &RegistryOptions) -> Result<Self> {
        Self::open(r, opts, false)
    }

    /// Connects to the registry of `r` to attach artifacts: tokens are asked for
    /// `pull,push` on the repository.
    pub fn connect_for_push(r: &RegistryRef, opts: &RegistryOptions) -> Result<Self> {
        Self::open(r, opts, true)
    }

    fn open(r: &RegistryRef, opts: &RegistryOptions, push: bool) -> Result<Self> {
        let at = Location::Url(format!("registry:{r}"));
        Ok(Referrers {
            client: Client::connect_for(r, opts, at, push)?,
            r: r.clone(),
        })
    }

    fn at(&self) -> &Location {
        self.client.location()
    }

    fn bad(&self, what: impl Into<String>, reason: impl Into<String>) -> Error {
        Error::BadMetadata {
            at: self.at().clone(),
            what: what.into(),
            reason: reason.into(),
        }
    }

    /// The descriptor of the manifest the reference names, as the registry serves it: its
    /// media type, digest and size. For a multi-platform index that is the index, unless
    /// `platform` picks one of its manifests.
    pub fn subject(&self, platform: Option<&Platform>) -> Result<Descriptor> {
        let reference = self.r.manifest_reference();
        let what = format!("manifest {reference} of {}", self.r.name());
        let Some(top) =
            self.client
                .fetch_manifest(&what, &reference, ACCEPT_SUBJECT, MAX_MANIFEST)?
        else {
            return Err(self.client.status_error(&what, 404));
        };
        let digest = Digest::sha256(&top.bytes);
        if let Some(pinned) = self.r.digest() {
            if *pinned != digest {
                return Err(Error::DigestMismatch {
                    at: self.at().clone(),
                    what: "manifest".into(),
                    name: reference,
                    expected: pinned.clone(),
                    actual: digest,
                });
            }
        }
        let media_type = manifest_media_type(&top);
        if media_type.contains("distribution.manifest.v1") || media_type.is_empty() {
            return Err(self.bad(
                what,
                format!("it is no OCI or Docker v2 manifest (media type {media_type:?})"),
            ));
        }
        let index = media_type == MT_OCI_INDEX || media_type == MT_DOCKER_LIST;
        let Some(want) = platform.filter(|_| index) else {
            return Ok(Descriptor {
                media_type,
                digest,
                size: top.bytes.len() as u64,
                artifact_type: None,
                annotations: BTreeMap::new(),
            });
        };
        #[derive(Deserialize)]
        struct Index {
            #[serde(default)]
            manifests: Vec<Entry>,
        }
        #[derive(Deserialize)]
        struct Entry {
            #[serde(rename = "mediaType", default)]
            media_type: String,
            digest: Digest,
            #[serde(default)]
            platform: Option<Platform>,
        }
        let idx: Index = serde_json::from_slice(&top.bytes)
            .map_err(|e| self.bad(&what, format!("the index does not parse: {e}")))?;
        let available: Vec<String> = idx
            .manifests
            .iter()
            .filter_map(|m| m.platform.as_ref().map(|p| p.to_string()))
            .collect();
        let Some(chosen) = idx.manifests.into_iter().find(|m| {
            m.platform
                .as_ref()
                .is_some_and(|p| crate::image::resolve::platform_matches(p, want))
        }) else {
            return Err(Error::PlatformNotFound {
                at: self.at().clone(),
                wanted: want.to_string(),
                available: available.join(", "),
            });
        };
        let child_what = format!("manifest {} of {}", chosen.digest, self.r.name());
        let Some(child) = self.client.fetch_manifest(
            &child_what,
            &chosen.digest.to_string(),
            ACCEPT_SUBJECT,
            MAX_MANIFEST,
        )?
        else {
            return Err(self.client.status_error(&child_what, 404));
        };
        let actual = Digest::sha256(&child.bytes);
        if actual != chosen.digest {
            return Err(Error::DigestMismatch {
                at: self.at().clone(),
                what: "manifest".into(),
                name: chosen.digest.to_string(),
                expected: chosen.digest,
                actual,
            });
        }
        let media_type = if chosen.media_type.is_empty() {
            manifest_media_type(&child)
        } else {
            chosen.media_type
        };
        Ok(Descriptor {
            media_type,
            digest: actual,
            size: child.bytes.len() as u64,
            artifact_type: None,
            annotations: BTreeMap::new(),
        })
    }

    /// Pushes `doc` as an artifact referring to `subject`, created at `created` (RFC 3339),
    /// and makes it findable: through the registry's referrers API when it has one, else
    /// by adding it to the index at the subject's referrers tag.
    pub fn attach(&self, subject: &Descriptor, doc: &Document, created: &str) -> Result<Attached> {
        let name = doc.title.as_deref().unwrap_or("the document");
        let layer_digest = self
            .client
            .push_blob(&format!("document {name}"), &doc.bytes)?;
        let empty = self.client.push_blob("the empty config blob", EMPTY_JSON)?;
        let mut annotations = BTreeMap::new();
        annotations.insert(ANNOTATION_CREATED.to_string(), created.to_string());
        annotations.insert(
            ANNOTATION_TOOL.to_string(),
            concat!("sbom/", env!("CARGO_PKG_VERSION")).to_string(),
        );
        let mut layer_annotations = BTreeMap::new();
        if let Some(t) = &doc.title {
            layer_annotations.insert(ANNOTATION_TITLE, t.as_str());
        }
        let manifest = ArtifactManifest {
            schema_version: 2,
            media_type: MT_OCI_MANIFEST,
            artifact_type: doc.artifact_type,
            config: EmptyDescriptor {
                media_type: MT_EMPTY,
                digest: empty,
                size: EMPTY_JSON.len() as u64,
                data: "e30=",
            },
            layers: [LayerDescriptor {
                media_type: doc.media_type,
                digest: &layer_digest,
                size: doc.bytes.len() as u64,
                annotations: layer_annotations,
            }],
            subject: SubjectDescriptor {
                media_type: &subject.media_type,
                digest: &subject.digest,
                size: subject.size,
            },
            annotations: &annotations,
        };
        let bytes = serde_json::to_vec(&manifest).expect("a manifest serialises");
        let digest = Digest::sha256(&bytes);
        let descriptor = Descriptor {
            media_type: MT_OCI_MANIFEST.into(),
            digest: digest.clone(),
            size: bytes.len() as u64,
            artifact_type: Some(doc.artifact_type.into()),
            annotations,
        };
        let what = format!("artifact manifest {digest} ({name})");
        let put = self
            .client
            .push_manifest(&what, &digest.to_string(), MT_OCI_MANIFEST, &bytes, None)?
            .ok_or_else(|| self.bad(&what, "the registry refused an unconditional PUT with 412"))?;
        if let Some(s) = &put.subject_header {
            tracing::debug!("{what}: OCI-Subject {s}: the registry indexes referrers itself");
            return Ok(Attached {
                manifest: descriptor,
                support: Support::ReferrersApi,
            });
        }
        if self.api_referrers(&subject.digest)?.is_some() {
            return Ok(Attached {
                manifest: descriptor,
                support: Support::ReferrersApi,
            });
        }
        self.add_to_tag(&subject.digest, &descriptor)?;
        Ok(Attached {
            manifest: descriptor,
            support: Support::TagSchema,
        })
    }

    /// The tag the referrers tag schema keeps `subject`'s referrers under: `sha256-<hex>`.
    pub fn tag_of(subject: &Digest) -> String {
        let t = format!("{}-{}", subject.algorithm().as_str(), subject.hex());
        t.chars().take(128).collect()
    }

    /// Adds `entry` to the index at the subject's referrers tag, keeping every entry (and
    /// every field) that is there, and reads it back until the entry is seen there.
    fn add_to_tag(&self, subject: &Digest, entry: &Descriptor) -> Result<()> {
        let tag = Self::tag_of(subject);
        let what = format!("referrers index {tag} of {}", self.r.name());
        for attempt in 0..TAG_ATTEMPTS {
            let (mut index, etag) = match self.tag_index(&tag)? {
                Some((value, etag)) => (value, etag),
                None => (
                    serde_json::json!({
                        "schemaVersion": 2,
                        "mediaType": MT_OCI_INDEX,
                        "manifests": [],
                    }),
                    None,
                ),
            };
            let manifests = index["manifests"]
                .as_array_mut()
                .expect("checked by tag_index");
            let present = manifests
                .iter()
                .any(|m| m["digest"].as_str() == Some(&entry.digest.to_string()));
            if present {
                if attempt > 0 {
                    tracing::debug!("{what}: {} confirmed after {attempt} writes", entry.digest);
                }
                return Ok(());
            }
            if attempt > 0 {
                // another writer replaced the index between our read and write (or after
                // it): back off a little, differently per process, so two writers fall out of
                // step, and add the entry again
                tracing::debug!(
                    "{what}: {} missing after a write; adding it again",
                    entry.digest
                );
                self.client.jitter(attempt);
            }
            manifests.push(serde_json::to_value(entry).expect("a descriptor serialises"));
            let bytes = serde_json::to_vec(&index).expect("an index serialises");
            let written =
                self.client
                    .push_manifest(&what, &tag, MT_OCI_INDEX, &bytes, etag.as_deref())?;
            if written.is_none() {
                tracing::debug!("{what}: changed since read (412); reading it again");
            }
        }
        Err(Error::Remote {
            at: self.at().clone(),
            what,
            detail: format!(
                "other writers kept replacing it: the entry {} was not there after {TAG_ATTEMPTS} writes",
                entry.digest
            ),
        })
    }

    /// The index at the referrers tag, with its ETag; `None` when there is none yet.
    fn tag_index(&self, tag: &str) -> Result<Option<(Value, Option<String>)>> {
        let what = format!("referrers index {tag} of {}", self.r.name());
        let accept = format!("{MT_OCI_INDEX}, {MT_OCI_MANIFEST}, {MT_DOCKER_LIST}");
        let Some(f) = self
            .client
            .fetch_manifest(&what, tag, &accept, MAX_MANIFEST)?
        else {
            return Ok(None);
        };
        let value = self.parse_index(&what, &f.bytes, f.content_type.as_deref())?;
        Ok(Some((value, f.etag)))
    }

    /// An image index, or a clear error saying what it is instead.
    fn parse_index(&self, what: &str, bytes: &[u8], content_type: Option<&str>) -> Result<Value> {
        let value: Value = serde_json::from_slice(bytes)
            .map_err(|e| self.bad(what, format!("it is not JSON ({e})")))?;
        let declared = value.get("mediaType").and_then(Value::as_str);
        let media_type = declared.or(content_type).unwrap_or("(none)");
        if media_type != MT_OCI_INDEX {
            return Err(self.bad(
                what,
                format!("it is a {media_type}, not an image index ({MT_OCI_INDEX})"),
            ));
        }
        if !value.get("manifests").is_some_and(Value::is_array) {
            return Err(self.bad(what, "the index has no manifests list"));
        }
        Ok(value)
    }

    /// The referrers API's answer for `subject`, every page of it; `None` when the
    /// registry has no referrers API (404).
    fn api_referrers(&self, subject: &Digest) -> Result<Option<Vec<Descriptor>>> {
        let what = format!("the referrers of {subject} in {}", self.r.name());
        let mut target = self.client.repo_path("referrers", &subject.to_string());
        let mut all = Vec::new();
        for _ in 0..MAX_PAGES {
            let resp = self.client.get(
                &what,
                &target,
                Some(MT_OCI_INDEX),
                None,
                self.client.retries(),
            )?;
            match resp.status().as_u16() {
                200 => {}
                404 if all.is_empty() => return Ok(None),
                s => return Err(self.client.status_error(&what, s)),
            }
            let next = next_link(&resp);
            let content_type = resp
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .map(|c| c.split(';').next().unwrap_or(c).trim().to_string());
            let bytes = self.client.read_bounded(&what, resp, MAX_MANIFEST)?;
            let answer = format!("the registry's referrers answer for {subject}");
            if content_type.as_deref() != Some(MT_OCI_INDEX) {
                return Err(self.bad(
                    &answer,
                    format!(
                        "it is served as {}, not as an image index ({MT_OCI_INDEX})",
                        content_type.as_deref().unwrap_or("(no Content-Type)")
                    ),
                ));
            }
            let index = self.parse_index(&answer, &bytes, content_type.as_deref())?;
            for m in index["manifests"].as_array().expect("checked") {
                let d: Descriptor = serde_json::from_value(m.clone())
                    .map_err(|e| self.bad(&answer, format!("an entry is no descriptor ({e})")))?;
                all.push(d);
            }
            match next {
                // the next page is on the registry: a path, or a URL on its own host
                Some(n) if n.starts_with('/') => target = n,
                Some(n) if n.starts_with(self.client.base()) => {
                    target = n[self.client.base().len()..].to_string();
                }
                Some(n) => {
                    return Err(self.bad(
                        &what,
                        format!(
                            "the next page is on another host ({}); not followed",
                            n.chars().take(200).collect::<String>()
                        ),
                    ))
                }
                None => return Ok(Some(all)),
            }
        }
        Err(self.bad(
            &what,
            format!("the referrers answer goes on for more than {MAX_PAGES} pages"),
        ))
    }

    /// Every artifact naming `subject`: from the referrers API, else from the referrers
    /// tag (none when there is no such tag).
    pub fn list(&self, subject: &Descriptor) -> Result<Listing> {
        if let Some(referrers) = self.api_referrers(&subject.digest)? {
            return Ok(Listing {
                support: Support::ReferrersApi,
                referrers,
            });
        }
        let tag = Self::tag_of(&subject.digest);
        let what = format!("referrers index {tag} of {}", self.r.name());
        let mut referrers = Vec::new();
        if let Some((index, _)) = self.tag_index(&tag)? {
            for m in index["manifests"].as_array().expect("checked") {
                let d: Descriptor = serde_json::from_value(m.clone())
                    .map_err(|e| self.bad(&what, format!("an entry is no descriptor ({e})")))?;
                referrers.push(d);
            }
        }
        Ok(Listing {
            support: Support::TagSchema,
            referrers,
        })
    }

    /// The document an artifact carries: its manifest fetched and checked against the
    /// referrer's digest, then its layer (the one of the artifact's type, else the first),
    /// checked against the layer's digest and size. At most `max` bytes.
    pub fn fetch_document(&self, referrer: &Descriptor, max: u64) -> Result<(Descriptor, Vec<u8>)> {
        let d = &referrer.digest;
        let what = format!("artifact manifest {d} of {}", self.r.name());
        let accept = format!("{MT_OCI_MANIFEST}, {MT_OCI_INDEX}");
        let Some(m) = self
            .client
            .fetch_manifest(&what, &d.to_string(), &accept, MAX_MANIFEST)?
        else {
            return Err(self.client.status_error(&what, 404));
        };
        let actual = Digest::sha256(&m.bytes);
        if actual != *d {
            return Err(Error::DigestMismatch {
                at: self.at().clone(),
                what: "artifact manifest".into(),
                name: d.to_string(),
                expected: d.clone(),
                actual,
            });
        }
        let parsed: ReadManifest = serde_json::from_slice(&m.bytes)
            .map_err(|e| self.bad(&what, format!("it does not parse as a manifest ({e})")))?;
        let wanted = parsed
            .artifact_type
            .or_else(|| referrer.artifact_type.clone());
        let layer = parsed
            .layers
            .iter()
            .find(|l| Some(&l.media_type) == wanted.as_ref())
            .or(parsed.layers.first())
            .cloned()
            .ok_or_else(|| self.bad(&what, "it has no layer to hold a document"))?;
        if layer.size > max {
            return Err(Error::LimitExceeded {
                at: self.at().clone(),
                layer: None,
                limit: crate::limits::Limit::MetadataFile,
                what: format!("document {} of artifact {d}", layer.digest),
                max,
            });
        }
        let blob_what = format!("blob {} of {}", layer.digest, self.r.name());
        let path = self.client.repo_path("blobs", &layer.digest.to_string());
        let resp = self
            .client
            .get(&blob_what, &path, None, None, self.client.retries())?;
        let status = resp.status().as_u16();
        if status != 200 {
            return Err(self.client.status_error(&blob_what, status));
        }
        let bytes = self.client.read_bounded(&blob_what, resp, layer.size)?;
        if bytes.len() as u64 != layer.size {
            return Err(Error::SizeMismatch {
                at: self.at().clone(),
                what: "document".into(),
                name: layer.digest.to_string(),
                expected: layer.size,
                actual: bytes.len() as u64,
            });
        }
        let actual = Digest::sha256(&bytes);
        if actual != layer.digest {
            return Err(Error::DigestMismatch {
                at: self.at().clone(),
                what: "document".into(),
                name: layer.digest.to_string(),
                expected: layer.digest.clone(),
                actual,
            });
        }
        Ok((layer, bytes))
    }

    /// [`Referrers::fetch_document`] with the bound on SBOM documents,
    /// [`sbom_core::read::MAX_DOCUMENT_BYTES`].
    pub fn fetch(&self, referrer: &Descriptor) -> Result<(Descriptor, Vec<u8>)> {
        self.fetch_document(referrer, sbom_core::read::MAX_DOCUMENT_BYTES)
    }
}

/// The media type of a fetched manifest: its own `mediaType`, else what it was served as.
fn manifest_media_type(f: &Fetched) -> String {
    #[derive(Deserialize)]
    struct Mt {
        #[serde(rename = "mediaType", default)]
        media_type: Option<String>,
    }
    serde_json::from_slice::<Mt>(&f.bytes)
        .ok()
        .and_then(|m| m.media_type)
        .or_else(|| f.content_type.clone())
        .unwrap_or_default()
}

/// The `Link: <url>; rel="next"` of a paginated answer.
fn next_link(resp: &Response) -> Option<String> {
    let link = resp.headers().get("link")?.to_str().ok()?;
    link.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        params.contains("rel=\"next\"").then(|| {
            url.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_string()
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_told_by_content() {
        let d = |b: &[u8]| detect_kind(b);
        assert_eq!(
            d(br#" {"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT"}"#),
            Ok(ARTIFACT_SPDX)
        );
        assert_eq!(
            d(br#"{"@context":"https://spdx.org/rdf/3.0.1/spdx-context.jsonld","@graph":[]}"#),
            Ok(ARTIFACT_SPDX)
        );
        assert_eq!(
            d(br#"{"bomFormat":"CycloneDX","specVersion":"1.5"}"#),
            Ok(ARTIFACT_CYCLONEDX)
        );
        assert_eq!(d(b"SPDXVersion: SPDX-2.3\n"), Ok(ARTIFACT_SPDX_TAG_VALUE));
        assert_eq!(
            d(br#"<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.5">"#),
            Ok(ARTIFACT_CYCLONEDX_XML)
        );
        assert!(d(b"{\"bomFormat\":\"SPDX\"}").is_err());
        assert!(d(b"{not json")
            .unwrap_err()
            .starts_with("not a JSON document"));
        assert!(d(b"\x1f\x8b\x08").is_err());
    }

    #[test]
    fn the_referrers_tag_is_the_digest_with_a_dash() {
        let d = Digest::sha256(b"");
        assert_eq!(Referrers::tag_of(&d), format!("sha256-{}", d.hex()));
    }

    #[test]
    fn the_empty_descriptor_is_the_digest_of_two_braces() {
        assert_eq!(
            Digest::sha256(EMPTY_JSON).to_string(),
            "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
        );
    }
}
