//! The registry's write side, as the OCI Distribution Spec v1.1 describes pushing: a blob is
//! skipped when `HEAD /v2/<name>/blobs/<digest>` finds it, else uploaded monolithically
//! (`POST /v2/<name>/blobs/uploads/`, then `PUT <Location>?digest=<digest>` with the bytes);
//! a manifest is `PUT /v2/<name>/manifests/<reference>`. Only what an SBOM artifact needs:
//! small blobs held in memory, no chunked uploads, no cross-repository mounts.

use std::io::Read;

use super::client::{content_length, Client, Method, Response};
use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::limits::Limit;

/// What a manifest PUT answered.
pub(crate) struct PutManifest {
    /// The `OCI-Subject` header: set by registries that index the subject for the referrers
    /// API (and then the referrers tag schema is not to be used).
    pub subject_header: Option<String>,
}

/// A manifest (or index) as the registry served it.
pub(crate) struct Fetched {
    pub bytes: Vec<u8>,
    /// The `Content-Type`, without parameters.
    pub content_type: Option<String>,
    /// The `ETag`, for a conditional PUT of what replaces it.
    pub etag: Option<String>,
}

fn header(resp: &Response, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().to_string())
}

impl Client {
    /// Uploads `bytes` as a blob of the repository unless it has it already; `what` names it
    /// in errors (`the SPDX document sbom.spdx.json`).
    pub(crate) fn push_blob(&self, what: &str, bytes: &[u8]) -> Result<Digest> {
        let digest = Digest::sha256(bytes);
        let path = self.repo_path("blobs", &digest.to_string());
        let head = self.send(Method::Head, what, &path, &[], &[], self.retries())?;
        if head.status().as_u16() == 200 {
            tracing::debug!("{what}: blob {digest} is there already");
            return Ok(digest);
        }
        let uploads = self.repo_path("blobs", "uploads/");
        let started = self.send(Method::Post, what, &uploads, &[], &[], self.retries())?;
        let status = started.status().as_u16();
        if status != 202 {
            return Err(self.push_error(what, "starting the upload", status, started));
        }
        let Some(location) = header(&started, "location") else {
            return Err(Error::Remote {
                at: self.location().clone(),
                what: what.to_string(),
                detail: "the registry started an upload but named no Location for it".into(),
            });
        };
        let sep = if location.contains('?') { '&' } else { '?' };
        let target = format!("{location}{sep}digest={digest}");
        let done = self.send(
            Method::Put,
            what,
            &target,
            &[("Content-Type", "application/octet-stream")],
            bytes,
            self.retries(),
        )?;
        let status = done.status().as_u16();
        if status != 201 {
            return Err(self.push_error(what, "uploading the blob", status, done));
        }
        if let Some(claimed) = header(&done, "docker-content-digest") {
            if claimed != digest.to_string() {
                return Err(Error::Remote {
                    at: self.location().clone(),
                    what: what.to_string(),
                    detail: format!(
                        "the registry stored the blob as {claimed}, not as {digest} (its bytes hash to)"
                    ),
                });
            }
        }
        Ok(digest)
    }

    /// PUTs a manifest (or index) at `reference` (a tag or its digest), optionally only if
    /// what is there still has ETag `if_match`. `Ok(None)` when that condition failed (412).
    pub(crate) fn push_manifest(
        &self,
        what: &str,
        reference: &str,
        media_type: &str,
        bytes: &[u8],
        if_match: Option<&str>,
    ) -> Result<Option<PutManifest>> {
        let path = self.repo_path("manifests", reference);
        let mut headers = vec![("Content-Type", media_type)];
        if let Some(e) = if_match {
            headers.push(("If-Match", e));
        }
        let mut attempt = 0;
        let resp = loop {
            let resp = self.send(Method::Put, what, &path, &headers, bytes, self.retries())?;
            let status = resp.status().as_u16();
            if status == 412 {
                return Ok(None);
            }
            if status == 201 {
                break resp;
            }
            let code = self.error_code(what, resp);
            // Distribution checks the manifest's blobs through their links in the
            // repository, which another client's upload of the same blob (the empty config
            // every artifact shares) rewrites in place: read mid-write, the link does not
            // parse (DIGEST_INVALID) or names nothing (MANIFEST_BLOB_UNKNOWN). Seen with two
            // concurrent attaches; the blob is there once that upload ends, so ask again.
            let transient = status == 400
                && matches!(
                    code.as_deref(),
                    Some("DIGEST_INVALID" | "MANIFEST_BLOB_UNKNOWN" | "BLOB_UNKNOWN")
                );
            if transient && attempt < self.retries() {
                tracing::debug!("{what}: HTTP 400 ({code:?}) while its blobs settle; retrying");
                self.backoff(attempt);
                attempt += 1;
                continue;
            }
            return Err(self.refused(what, "pushing the manifest", status, code));
        };
        let digest = Digest::sha256(bytes);
        if let Some(claimed) = header(&resp, "docker-content-digest") {
            if claimed != digest.to_string() {
                return Err(Error::Remote {
                    at: self.location().clone(),
                    what: what.to_string(),
                    detail: format!(
                        "the registry stored the manifest as {claimed}, not as {digest} (its bytes hash to)"
                    ),
                });
            }
        }
        Ok(Some(PutManifest {
            subject_header: header(&resp, "oci-subject"),
        }))
    }

    /// GETs a manifest by tag or digest, at most `max` bytes; `Ok(None)` on 404.
    pub(crate) fn fetch_manifest(
        &self,
        what: &str,
        reference: &str,
        accept: &str,
        max: u64,
    ) -> Result<Option<Fetched>> {
        let path = self.repo_path("manifests", reference);
        let resp = self.get(what, &path, Some(accept), None, self.retries())?;
        match resp.status().as_u16() {
            200 => {}
            404 => return Ok(None),
            s => return Err(self.status_error(what, s)),
        }
        let content_type = header(&resp, "content-type")
            .map(|c| c.split(';').next().unwrap_or(&c).trim().to_string());
        let etag = header(&resp, "etag");
        let bytes = self.read_bounded(what, resp, max)?;
        Ok(Some(Fetched {
            bytes,
            content_type,
            etag,
        }))
    }

    /// A body of at most `max` bytes, refused whole when bigger.
    pub(crate) fn read_bounded(&self, what: &str, resp: Response, max: u64) -> Result<Vec<u8>> {
        let too_big = || Error::LimitExceeded {
            at: self.location().clone(),
            layer: None,
            limit: Limit::MetadataFile,
            what: what.to_string(),
            max,
        };
        if content_length(&resp).is_some_and(|n| n > max) {
            return Err(too_big());
        }
        let mut bytes = Vec::new();
        resp.into_body()
            .into_reader()
            .take(max + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| Error::from_stream(self.location().clone(), None, e))?;
        if bytes.len() as u64 > max {
            return Err(too_big());
        }
        Ok(bytes)
    }

    /// A refused write: the status and the registry's error code (`MANIFEST_INVALID`, ...)
    /// when its body names one; never the body itself (it may echo a header).
    fn push_error(&self, what: &str, doing: &str, status: u16, resp: Response) -> Error {
        let code = self.error_code(what, resp);
        self.refused(what, doing, status, code)
    }

    fn refused(&self, what: &str, doing: &str, status: u16, code: Option<String>) -> Error {
        Error::Remote {
            at: self.location().clone(),
            what: what.to_string(),
            detail: format!(
                "{doing}: the registry answered HTTP {status}{}",
                code.map(|c| format!(" ({c})")).unwrap_or_default()
            ),
        }
    }

    /// The first error code of a registry's error body, cut to the characters codes have.
    fn error_code(&self, what: &str, resp: Response) -> Option<String> {
        self.read_bounded(what, resp, 64 << 10)
            .ok()
            .and_then(|b| serde_json::from_slice::<ErrorBody>(&b).ok())
            .and_then(|b| b.errors.into_iter().next())
            .map(|e| {
                e.code
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .take(64)
                    .collect()
            })
    }
}

#[derive(serde::Deserialize)]
struct ErrorBody {
    #[serde(default)]
    errors: Vec<ErrorEntry>,
}

#[derive(serde::Deserialize)]
struct ErrorEntry {
    #[serde(default)]
    code: String,
}
