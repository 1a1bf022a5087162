//! One cache entry: a [`LayerAnalysis`] as bytes, and back.
//!
//! ```text
//! "sbomlc\0\x01"   magic and format version
//! [32]             SHA-256 of everything after it: a torn or altered entry is refused
//! zstd(body)
//! body = u32 len, header JSON (key, digests, sizes, counts)
//!        then each change: kind u8, its strings (u32 len + bytes); a file's claims:
//!        u32 count, each: detector name, status u8 (1 parsed, 0 why not), bytes
//! ```
//!
//! Hand-framed rather than one serde document: the detectors' parsed forms are opaque bytes
//! (see `detect::common::codec`), and a layer holds up to millions of changes, which a
//! length-prefixed list reads without building a tree first.

use std::io::Read;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::blob::Compression;
use crate::detect::Detector;
use crate::digest::Digest;
use crate::limits::Retained;
use crate::walk::layer::{Change, ClaimResult, LayerAnalysis};

const MAGIC: &[u8; 8] = b"sbomlc\0\x01";
/// zstd level 3: debian-large's biggest layer entry encodes in a few ms at about a fifth
/// of its raw size; higher levels cost more time than the disk they save.
const LEVEL: i32 = 3;
/// A decoded body larger than this is refused: entries are made of a layer's kept metadata
/// and parsed package databases, megabytes on the largest real images.
const MAX_BODY: u64 = 2 << 30;

#[derive(Serialize, Deserialize)]
struct Header {
    /// The scan key (hex) the entry was made under.
    key: String,
    diff_id: String,
    digest: Option<String>,
    size: u64,
    uncompressed_size: u64,
    compression: String,
    entries: u64,
    whiteouts: u64,
    claimed_files: u64,
    changes: u64,
}

/// What an entry says about the blob it was made from.
pub(crate) struct Blob {
    pub digest: Option<Digest>,
    pub size: u64,
}

/// Encodes `a` under `key`; `None` when a claimed file's detector cannot encode its parsed
/// form (or is not among `detectors`).
pub(crate) fn encode(
    key: &str,
    a: &LayerAnalysis,
    detectors: &[Arc<dyn Detector>],
) -> Option<Vec<u8>> {
    let header = Header {
        key: key.to_string(),
        diff_id: a.diff_id.as_ref()?.to_string(),
        digest: a.digest.as_ref().map(|d| d.to_string()),
        size: a.size,
        uncompressed_size: a.uncompressed_size,
        compression: a.compression.as_str().to_string(),
        entries: a.entries,
        whiteouts: a.whiteouts,
        claimed_files: a.claimed_files,
        changes: a.changes.len() as u64,
    };
    let mut body = Vec::new();
    put_bytes(&mut body, &serde_json::to_vec(&header).ok()?);
    for ch in &a.changes {
        match ch {
            Change::Whiteout(p) => put_change(&mut body, 0, &[p]),
            Change::Opaque(p) => put_change(&mut body, 1, &[p]),
            Change::Replaced(p) => put_change(&mut body, 2, &[p]),
            Change::Dir(p) => put_change(&mut body, 3, &[p]),
            Change::Symlink { path, target } => put_change(&mut body, 4, &[path, target]),
            Change::Hardlink { path, target } => put_change(&mut body, 5, &[path, target]),
            Change::File { path, claims } => {
                put_change(&mut body, 6, &[path]);
                put_u32(&mut body, claims.len() as u32);
                for c in claims.iter() {
                    put_bytes(&mut body, c.detector.as_bytes());
                    match &c.parsed {
                        Ok(parsed) => {
                            let d = detectors.iter().find(|d| d.name() == c.detector)?;
                            body.push(1);
                            put_bytes(&mut body, &d.encode(parsed)?);
                        }
                        Err(why) => {
                            body.push(0);
                            put_bytes(&mut body, why.as_bytes());
                        }
                    }
                }
            }
        }
    }
    let packed = zstd::bulk::compress(&body, LEVEL).ok()?;
    let mut out = Vec::with_capacity(packed.len() + 40);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&Sha256::digest(&packed));
    out.extend_from_slice(&packed);
    Some(out)
}

/// Why an entry cannot be used.
pub(crate) enum Unusable {
    /// The scan's budget for kept metadata ran out while loading it: reading the layer
    /// would run out too, and report it as the walk does.
    Budget,
    /// The entry is damaged, of another version, or for something else.
    Bad(String),
}

impl From<String> for Unusable {
    fn from(s: String) -> Self {
        Unusable::Bad(s)
    }
}

impl From<&str> for Unusable {
    fn from(s: &str) -> Self {
        Unusable::Bad(s.to_string())
    }
}

/// Decodes an entry made under `key` for `diff_id`, counting its kept paths against
/// `retained` as the walk would have.
pub(crate) fn decode(
    bytes: &[u8],
    key: &str,
    diff_id: &Digest,
    detectors: &[Arc<dyn Detector>],
    retained: &Retained,
) -> Result<(LayerAnalysis, Blob), Unusable> {
    if bytes.len() < 40 || &bytes[..8] != MAGIC {
        return Err("not a cache entry of this version".into());
    }
    let (sum, packed) = bytes[8..].split_at(32);
    if Sha256::digest(packed).as_slice() != sum {
        return Err("its checksum does not match (torn or altered)".into());
    }
    let mut body = Vec::new();
    zstd::stream::read::Decoder::new(packed)
        .map_err(|e| e.to_string())?
        .take(MAX_BODY + 1)
        .read_to_end(&mut body)
        .map_err(|e| format!("undecodable: {e}"))?;
    if body.len() as u64 > MAX_BODY {
        return Err(format!("its body is larger than {MAX_BODY} bytes").into());
    }
    let mut r = Cursor(&body);
    let header: Header = serde_json::from_slice(r.bytes()?).map_err(|e| format!("header: {e}"))?;
    if header.key != key || header.diff_id != diff_id.to_string() {
        return Err("it was made for another layer or scan key".into());
    }
    let compression = match header.compression.as_str() {
        "none" => Compression::None,
        "gzip" => Compression::Gzip,
        "zstd" => Compression::Zstd,
        other => return Err(format!("unknown compression {other:?}").into()),
    };
    let digest = header
        .digest
        .as_deref()
        .map(|d| d.parse::<Digest>().map_err(|e| e.to_string()))
        .transpose()?;
    let mut changes = Vec::with_capacity(header.changes.min(1 << 20) as usize);
    let over = |_| Unusable::Budget;
    for _ in 0..header.changes {
        let kind = r.u8()?;
        let path = r.string()?;
        let change = match kind {
            0 => Change::Whiteout(path),
            1 => Change::Opaque(path),
            2 => Change::Replaced(path),
            3 => Change::Dir(path),
            4 => Change::Symlink {
                path,
                target: r.string()?,
            },
            5 => Change::Hardlink {
                path,
                target: r.string()?,
            },
            6 => {
                let n = r.u32()?;
                let mut claims = Vec::with_capacity(n.min(64) as usize);
                for _ in 0..n {
                    let name = std::str::from_utf8(r.bytes()?).map_err(|e| e.to_string())?;
                    let d = detectors
                        .iter()
                        .find(|d| d.name() == name)
                        .ok_or_else(|| format!("detector {name:?} is not in this scan"))?;
                    let ok = r.u8()? == 1;
                    let payload = r.bytes()?;
                    let parsed = if ok {
                        Ok(d.decode(payload).map_err(|e| format!("{name}: {e}"))?)
                    } else {
                        Err(Arc::from(String::from_utf8_lossy(payload).as_ref()))
                    };
                    claims.push(ClaimResult {
                        detector: d.name(),
                        parsed,
                    });
                }
                Change::File {
                    path,
                    claims: claims.into(),
                }
            }
            k => return Err(format!("unknown change kind {k}").into()),
        };
        retained.keep(change.kept_bytes()).map_err(over)?;
        changes.push(change);
    }
    if !r.0.is_empty() {
        return Err("trailing bytes after its last change".into());
    }
    let blob = Blob {
        digest: digest.clone(),
        size: header.size,
    };
    let analysis = LayerAnalysis {
        changes,
        digest,
        size: header.size,
        diff_id: Some(diff_id.clone()),
        uncompressed_size: header.uncompressed_size,
        compression,
        entries: header.entries,
        whiteouts: header.whiteouts,
        claimed_files: header.claimed_files,
        pending_links: Vec::new(),
        files: Vec::new(),
    };
    Ok((analysis, blob))
}

fn put_u32(out: &mut Vec<u8>, n: u32) {
    out.extend_from_slice(&n.to_le_bytes());
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_u32(out, b.len() as u32);
    out.extend_from_slice(b);
}

fn put_change(out: &mut Vec<u8>, kind: u8, strings: &[&String]) {
    out.push(kind);
    for s in strings {
        put_bytes(out, s.as_bytes());
    }
}

/// Reads what the `put_*` functions wrote; running out of bytes is an error, not a panic.
struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if self.0.len() < n {
            return Err("it ends early".into());
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Result<u32, String> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn bytes(&mut self) -> Result<&'a [u8], String> {
        let n = self.u32()? as usize;
        self.take(n)
    }

    fn string(&mut self) -> Result<String, String> {
        String::from_utf8(self.bytes()?.to_vec()).map_err(|_| "a path is not UTF-8".to_string())
    }
}
