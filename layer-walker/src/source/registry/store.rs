//! The registry as a [`BlobStore`]: what the archive resolver reads, fetched on demand.

use std::collections::{HashMap, HashSet};
use std::io::{Cursor, Read};
use std::sync::{Mutex, OnceLock};

use super::client::{content_length, BlobReader, Client};
use super::name::RegistryRef;
use super::options::RegistryOptions;
use crate::digest::Digest;
use crate::error::{Error, Location, Result};
use crate::image::manifest::{self, MediaTypeOf, OciIndex, OciManifest};
use crate::limits::Limit;
use crate::source::store::BlobStore;

/// Every manifest kind read, best first; Docker schema 1 is not among them.
const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.docker.distribution.manifest.v2+json";

/// The manifest the reference resolved to.
struct Top {
    bytes: Vec<u8>,
    digest: Digest,
    media_type: String,
}

pub(crate) struct RegistryStore {
    client: Client,
    r: RegistryRef,
    top: OnceLock<Top>,
    /// Digests of documents fetched from the manifests endpoint (what an index names).
    manifests: Mutex<HashSet<Digest>>,
    /// Blob sizes the manifests declare, checked against what the registry serves before
    /// any byte is read.
    sizes: Mutex<HashMap<Digest, u64>>,
}

impl RegistryStore {
    pub(crate) fn connect(r: &RegistryRef, opts: &RegistryOptions, at: Location) -> Result<Self> {
        Ok(RegistryStore {
            client: Client::connect(r, opts, at)?,
            r: r.clone(),
            top: OnceLock::new(),
            manifests: Mutex::new(HashSet::new()),
            sizes: Mutex::new(HashMap::new()),
        })
    }

    fn at(&self) -> &Location {
        self.client.location()
    }

    /// GETs a manifest (by tag or digest), at most `max` bytes: the bytes and media type.
    fn fetch_manifest(
        &self,
        reference: &str,
        max: u64,
    ) -> Result<(Vec<u8>, String, Option<String>)> {
        let what = format!("manifest {reference} of {}", self.r.name());
        let path = self.client.repo_path("manifests", reference);
        let resp = self
            .client
            .get(&what, &path, Some(ACCEPT), None, self.client.retries())?;
        let status = resp.status().as_u16();
        if status != 200 {
            return Err(self.client.status_error(&what, status));
        }
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(|s| s.split(';').next().unwrap_or(s).trim().to_string())
        };
        let content_type = header("content-type");
        let digest_header = header("docker-content-digest");
        let bytes = self.client.read_bounded(&what, resp, max)?;
        let declared = manifest::media_type_of(&bytes);
        let media_type = match (&content_type, &declared) {
            (Some(c), _) if c.starts_with("application/vnd.") => c.clone(),
            (
                _,
                MediaTypeOf {
                    media_type: Some(m),
                    ..
                },
            ) => m.clone(),
            _ => content_type.clone().unwrap_or_default(),
        };
        if media_type.contains("distribution.manifest.v1") || declared.schema_version == Some(1) {
            return Err(Error::NotAnImage {
                at: self.at().clone(),
                reason: format!(
                    "{what} is a Docker schema 1 manifest, a format retired in 2019 and not read here; \
                     push the image again with a current Docker, Podman or skopeo"
                ),
            });
        }
        self.learn(&media_type, &bytes);
        Ok((bytes, media_type, digest_header))
    }

    /// Notes what a manifest names: an index's manifests come from the manifests endpoint,
    /// an image manifest's blobs have sizes to check.
    fn learn(&self, media_type: &str, bytes: &[u8]) {
        if manifest::is_index(Some(media_type)) {
            if let Ok(i) = serde_json::from_slice::<OciIndex>(bytes) {
                let mut m = self.manifests.lock().unwrap_or_else(|e| e.into_inner());
                m.extend(
                    i.manifests
                        .unwrap_or_default()
                        .iter()
                        .filter_map(|d| d.digest.parse().ok()),
                );
            }
        } else if let Ok(m) = serde_json::from_slice::<OciManifest>(bytes) {
            let mut sizes = self.sizes.lock().unwrap_or_else(|e| e.into_inner());
            for d in std::iter::once(&m.config).chain(&m.layers) {
                if let (Ok(digest), Some(size)) = (d.digest.parse(), d.size) {
                    if let Ok(size) = u64::try_from(size) {
                        sizes.insert(digest, size);
                    }
                }
            }
        }
    }

    /// The manifest the reference names, fetched once.
    fn top(&self, max: u64) -> Result<&Top> {
        if let Some(t) = self.top.get() {
            return Ok(t);
        }
        let (bytes, media_type, header) = self.fetch_manifest(&self.r.manifest_reference(), max)?;
        // pinned: the resolver checks the bytes against the pin; by tag: against what the
        // registry says the tag's digest is, else they name themselves
        let digest = match (
            self.r.digest(),
            header.and_then(|h| h.parse::<Digest>().ok()),
        ) {
            (Some(pinned), _) => pinned.clone(),
            (None, Some(claimed)) => claimed,
            (None, None) => Digest::sha256(&bytes),
        };
        self.manifests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(digest.clone());
        let _ = self.top.set(Top {
            bytes,
            digest,
            media_type,
        });
        Ok(self.top.get().expect("just set"))
    }

    /// The digest of the manifest the reference names (an index for a multi-platform
    /// image), computed from the bytes served: what `FROM name@digest` pins.
    pub(crate) fn manifest_digest(&self, max: u64) -> Result<Digest> {
        let top = self.top(max)?;
        let served = Digest::sha256(&top.bytes);
        if served != top.digest {
            return Err(Error::DigestMismatch {
                at: self.at().clone(),
                what: "manifest".into(),
                name: self.r.manifest_reference(),
                expected: top.digest.clone(),
                actual: served,
            });
        }
        Ok(served)
    }

    /// `index.json` as an OCI layout would have it: one entry, the resolved manifest, named
    /// by the canonical reference.
    fn index_json(&self, max: u64) -> Result<Vec<u8>> {
        let top = self.top(max)?;
        let name = match self.r.tag() {
            Some(t) => format!("{}:{t}", self.r.name()),
            None => format!("{}@{}", self.r.name(), top.digest),
        };
        let index = serde_json::json!({
            "schemaVersion": 2,
            "manifests": [{
                "mediaType": top.media_type,
                "digest": top.digest.to_string(),
                "size": top.bytes.len(),
                "annotations": { "io.containerd.image.name": name },
            }],
        });
        Ok(serde_json::to_vec(&index).expect("a JSON value serialises"))
    }

    fn digest_of(name: &str) -> Option<Digest> {
        let hex = name.strip_prefix("blobs/sha256/")?;
        Digest::new(crate::digest::Algorithm::Sha256, hex).ok()
    }

    /// Starts the GET of a blob; checks the size the registry serves against the manifest's.
    fn blob(&self, digest: &Digest) -> Result<(BlobReader<'_>, u64)> {
        let what = format!("blob {digest}");
        let path = self.client.repo_path("blobs", &digest.to_string());
        let resp = self
            .client
            .get(&what, &path, None, None, self.client.retries())?;
        let status = resp.status().as_u16();
        if status != 200 {
            return Err(self
                .client
                .status_error(&format!("{what} of {}", self.r.name()), status));
        }
        let served = content_length(&resp);
        let declared = self
            .sizes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(digest)
            .copied();
        if let (Some(served), Some(declared)) = (served, declared) {
            if served != declared {
                return Err(Error::SizeMismatch {
                    at: self.at().clone(),
                    what: "blob".into(),
                    name: digest.blob_path(),
                    expected: declared,
                    actual: served,
                });
            }
        }
        let size = served.or(declared).unwrap_or(0);
        Ok((BlobReader::new(&self.client, what, path, resp), size))
    }
}

impl BlobStore for RegistryStore {
    fn open(&self, name: &str) -> Result<Option<(Box<dyn Read + Send + '_>, u64)>> {
        if name == "index.json" {
            let b = self.index_json(METADATA_MAX)?;
            let n = b.len() as u64;
            return Ok(Some((Box::new(Cursor::new(b)), n)));
        }
        let Some(digest) = Self::digest_of(name) else {
            return Ok(None);
        };
        if self.is_manifest(&digest) {
            let b = self.manifest_bytes(&digest, METADATA_MAX)?;
            let n = b.len() as u64;
            return Ok(Some((Box::new(Cursor::new(b)), n)));
        }
        let (reader, size) = self.blob(&digest)?;
        Ok(Some((Box::new(reader), size)))
    }

    fn read_small(&self, name: &str, max: u64) -> Result<Option<Vec<u8>>> {
        if name == "index.json" {
            return self.index_json(max).map(Some);
        }
        let Some(digest) = Self::digest_of(name) else {
            return Ok(None);
        };
        if self.is_manifest(&digest) {
            return self.manifest_bytes(&digest, max).map(Some);
        }
        let what = format!("blob {digest}");
        let (reader, size) = self.blob(&digest)?;
        if size > max {
            return Err(Error::LimitExceeded {
                at: self.at().clone(),
                layer: None,
                limit: Limit::MetadataFile,
                what,
                max,
            });
        }
        let mut bytes = Vec::new();
        reader
            .take(max + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| Error::from_stream(self.at().clone(), None, e))?;
        if bytes.len() as u64 > max {
            return Err(Error::LimitExceeded {
                at: self.at().clone(),
                layer: None,
                limit: Limit::MetadataFile,
                what,
                max,
            });
        }
        Ok(Some(bytes))
    }

    fn location(&self) -> &Location {
        self.at()
    }
}

/// What `open` allows a document fetched whole (the resolver reads them with `read_small`).
const METADATA_MAX: u64 = 16 << 20;

impl RegistryStore {
    fn is_manifest(&self, d: &Digest) -> bool {
        self.manifests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(d)
    }

    fn manifest_bytes(&self, d: &Digest, max: u64) -> Result<Vec<u8>> {
        if let Some(t) = self.top.get().filter(|t| t.digest == *d) {
            return Ok(t.bytes.clone());
        }
        Ok(self.fetch_manifest(&d.to_string(), max)?.0)
    }
}
