//! One layer, streamed once: decompress, hash, list tar entries, hand claimed bodies to
//! detectors. Only claimed files are read into memory, one at a time.

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::blob::{self, Compression, HashingReader, Limited};
use crate::detect::{Detector, EntryMeta, Parsed};
use crate::digest::Digest;
use crate::error::{Error, LayerAt, Location};
use crate::limits::{Limit, LimitHit, Limits, Retained};
use crate::tar::path::{self, Name};
use crate::tar::reader::{Kind, TarReader};
use crate::tar::sparse;
use crate::walk::claim::{offer, ClaimIndex, Offer};
use crate::walk::files::{FileBody, FileHashes, FileRecord, Hashing};
use crate::walk::links::PendingLink;

/// One detector's result for one file.
#[derive(Clone)]
pub(crate) struct ClaimResult {
    pub detector: &'static str,
    /// The parsed form, or why there is none (too large, unparseable).
    pub parsed: Result<Parsed, Arc<str>>,
}

/// What a layer does to the paths detectors care about, in tar order.
#[derive(Clone)]
pub(crate) enum Change {
    Whiteout(String),
    Opaque(String),
    File {
        path: String,
        claims: Arc<[ClaimResult]>,
    },
    Symlink {
        path: String,
        target: String,
    },
    Hardlink {
        path: String,
        target: String,
    },
    /// A file nobody could use replaced whatever was at this path.
    Replaced(String),
    Dir(String),
}

impl Change {
    /// The bytes of its strings, as counted against the scan's budget of kept metadata (by
    /// the walk, and by the layer cache when it loads a layer).
    pub(crate) fn kept_bytes(&self) -> usize {
        match self {
            Change::Whiteout(p) | Change::Opaque(p) | Change::Replaced(p) | Change::Dir(p) => {
                p.len()
            }
            Change::File { path, .. } => path.len(),
            Change::Symlink { path, target } | Change::Hardlink { path, target } => {
                path.len() + target.len()
            }
        }
    }
}

/// Everything the walk learned from one layer blob.
#[derive(Clone)]
#[non_exhaustive]
pub struct LayerAnalysis {
    pub(crate) changes: Vec<Change>,
    /// The digest of the blob as stored (`None` for a root filesystem: there is no blob).
    pub digest: Option<Digest>,
    /// Blob size as stored.
    pub size: u64,
    /// The digest of the uncompressed tar: the diff_id (`None` for a root filesystem).
    pub diff_id: Option<Digest>,
    /// Size of the uncompressed tar.
    pub uncompressed_size: u64,
    /// How the blob is compressed, from its bytes.
    pub compression: Compression,
    /// Tar entries in the layer.
    pub entries: u64,
    /// Whiteout entries (including opaque markers).
    pub whiteouts: u64,
    /// Bodies read for detectors.
    pub claimed_files: u64,
    /// Hard links at claimed paths whose target this walk did not read: the source reads the
    /// targets in a second pass ([`crate::walk::links`]) before the analysis is used.
    pub(crate) pending_links: Vec<PendingLink>,
    /// Every regular file and hard link, only when the scan asked for files.
    pub(crate) files: Vec<FileRecord>,
}

impl LayerAnalysis {
    /// Claimed files, as `(path, detector)` pairs, for summaries and tests.
    pub fn claimed(&self) -> Vec<(String, &'static str)> {
        let mut out = Vec::new();
        for ch in &self.changes {
            if let Change::File { path, claims } = ch {
                for c in claims.iter() {
                    out.push((path.clone(), c.detector));
                }
            }
        }
        out
    }

    /// Paths this layer whites out (whiteouts and opaque directories), in tar order.
    pub fn whiteout_paths(&self) -> Vec<String> {
        self.changes
            .iter()
            .filter_map(|c| match c {
                Change::Whiteout(p) => Some(p.clone()),
                Change::Opaque(p) => Some(format!("{p}/")),
                _ => None,
            })
            .collect()
    }
}

/// Why a layer could not be read. The caller adds where, with [`LayerError::at`].
#[derive(Debug)]
pub(crate) enum LayerError {
    /// Reading or decoding failed; what kind of failure is told by what the `io::Error`
    /// carries ([`Error::from_stream`]).
    Read(io::Error),
    /// A bound the walk counts itself.
    Limit(LimitHit),
    PathEscapes(String),
    Cancelled,
}

impl LayerError {
    /// The scan error for this failure in layer `layer` of the image at `at`.
    pub(crate) fn at(self, at: &Location, layer: LayerAt) -> Error {
        match self {
            LayerError::Read(e) => Error::from_stream(at.clone(), Some(layer), e),
            LayerError::Limit(hit) => Error::from_stream(at.clone(), Some(layer), hit.into_io()),
            LayerError::PathEscapes(path) => Error::PathTraversal {
                at: at.clone(),
                layer: Some(layer),
                path,
            },
            LayerError::Cancelled => Error::Cancelled,
        }
    }
}

/// What a layer walk needs besides the bytes.
pub(crate) struct WalkCtx<'a> {
    pub detectors: &'a [Arc<dyn Detector>],
    pub limits: &'a Limits,
    pub cancel: Option<&'a AtomicBool>,
    /// Called with the number of new compressed bytes read.
    pub progress: Option<Box<dyn FnMut(u64) + Send + 'a>>,
    /// The scan's budget for what it keeps of tar headers.
    pub retained: &'a Retained,
    /// Hash every regular file for the file inventory, with these digests.
    pub files: Option<FileHashes>,
}

/// Streams one layer blob (compressed or not) through the detectors.
pub(crate) fn analyze_blob(raw: impl Read, ctx: WalkCtx<'_>) -> Result<LayerAnalysis, LayerError> {
    let WalkCtx {
        detectors,
        limits,
        cancel,
        progress,
        retained,
        files,
    } = ctx;
    // A compressed layer's two digests are computed on threads of their own, so the biggest
    // layer's inflate does not also wait for its hashes (debian-large OCI: 12.1 s -> 8.7 s).
    // An uncompressed layer is hashed once, inline: the hash is then most of the work, the
    // bytes are hot in cache right after the read, and a second thread only added copies
    // (debian-large docker-archive: 3.3 s inline, 3.8 s threaded).
    let mut head = [0u8; 8];
    let mut peek = BufReader::with_capacity(8 << 10, raw);
    let sniffed = peek.fill_buf().map_err(LayerError::Read)?;
    let n = sniffed.len().min(head.len());
    head[..n].copy_from_slice(&sniffed[..n]);
    let compression = Compression::sniff(&head[..n]);
    let mut raw = match compression {
        Compression::None => HashingReader::new(peek),
        _ => HashingReader::threaded(peek),
    };
    if let Some(p) = progress {
        raw = raw.with_progress(p);
    }
    let decoded = blob::decoder(&mut raw, compression).map_err(LayerError::Read)?;
    let limited = Limited::new(decoded, Limit::LayerBytes, limits.max_layer_bytes);
    let mut plain = match compression {
        Compression::None => HashingReader::counting(limited),
        _ => HashingReader::threaded(limited),
    };
    let mut walk = TarWalk {
        pending: Vec::new(),
        claims: ClaimIndex::new(detectors),
        limits,
        cancel,
        retained,
        changes: Vec::new(),
        entries: 0,
        whiteouts: 0,
        claimed: 0,
        files,
        records: Vec::new(),
        drain: Vec::new(),
    };
    walk.run(&mut plain)?;
    // the tar ends with zero blocks; read what follows so both digests cover every byte
    io::copy(&mut plain, &mut io::sink()).map_err(LayerError::Read)?;
    let (diff_id, uncompressed_size) = plain.finish().map_err(LayerError::Read)?;
    io::copy(&mut raw, &mut io::sink()).map_err(LayerError::Read)?;
    let (digest, size) = raw.finish().map_err(LayerError::Read)?;
    // an uncompressed blob is its own tar: the diff_id is the blob digest (hashed once)
    let diff_id = if compression == Compression::None {
        digest.clone()
    } else {
        diff_id
    };
    Ok(LayerAnalysis {
        changes: walk.changes,
        digest,
        size,
        diff_id,
        uncompressed_size,
        compression,
        entries: walk.entries,
        whiteouts: walk.whiteouts,
        claimed_files: walk.claimed,
        pending_links: walk.pending,
        files: walk.records,
    })
}

/// Hard links followed through a chain of them within a layer.
const MAX_LINK_CHAIN: usize = 16;

struct TarWalk<'a> {
    pending: Vec<PendingLink>,
    claims: ClaimIndex<'a>,
    limits: &'a Limits,
    cancel: Option<&'a AtomicBool>,
    retained: &'a Retained,
    changes: Vec<Change>,
    entries: u64,
    whiteouts: u64,
    claimed: u64,
    /// Hash every regular file (the file inventory); off, nothing below runs.
    files: Option<FileHashes>,
    records: Vec<FileRecord>,
    /// The buffer bodies are drained through when `files` is on.
    drain: Vec<u8>,
}

/// The name of an entry as Docker reads it, and its GNU sparse map if it is a PAX-format
/// sparse file (which carries its real name and size in GNU records).
pub(crate) fn entry_name<R: Read>(
    tar: &TarReader<R>,
) -> Result<(Name, Option<sparse::PaxSparse>), LayerError> {
    let sparse = match tar.pax() {
        Some(pax) => sparse::from_pax(pax).map_err(|e| {
            let at = String::from_utf8_lossy(&tar.path()).into_owned();
            LayerError::Read(io::Error::new(e.kind(), format!("entry {at:?}: {e}")))
        })?,
        None => None,
    };
    let name = match sparse.as_ref().and_then(|s| s.name.as_deref()) {
        Some(real) => path::classify(real),
        None => path::classify(&tar.path()),
    }
    .map_err(|e| LayerError::PathEscapes(e.0))?;
    Ok((name, sparse))
}

/// A regular entry's content: its stored bytes, or a sparse file's with the holes filled.
pub(crate) fn body<'e, R: Read + 'e>(
    tar: &'e mut TarReader<R>,
    sparse: Option<&sparse::PaxSparse>,
    path: &str,
    size: u64,
) -> io::Result<Box<dyn Read + 'e>> {
    Ok(match sparse {
        Some(sp) => Box::new(
            sp.expand(tar.body(), size)
                .map_err(|e| io::Error::new(e.kind(), format!("{path}: {e}")))?,
        ),
        None => tar.body(),
    })
}

impl TarWalk<'_> {
    /// Where a chain of this layer's hard links starting at `target` ends (Docker links to
    /// the path, which is by then a regular file). Only for claimed links, which are few.
    fn chain_end(&self, target: &str) -> String {
        let mut at = target.to_string();
        for _ in 0..MAX_LINK_CHAIN {
            let next = self.changes.iter().rev().find_map(|c| match c {
                Change::Hardlink { path, target } if *path == at => Some(target.clone()),
                _ => None,
            });
            match next {
                Some(t) if t != at => at = t,
                _ => break,
            }
        }
        at
    }

    /// Records a change, counting its strings against the scan's budget.
    fn keep(&mut self, change: Change) -> Result<(), LayerError> {
        self.retained
            .keep(change.kept_bytes())
            .map_err(LayerError::Limit)?;
        self.changes.push(change);
        Ok(())
    }

    /// What a second pass would make of a hard link at `path` (mode `mode`) to a file of
    /// `size` bytes starting with `head` that every claim's magic rejected, when that is
    /// certain: `Some(false)`, left a link (nobody claims it at that size); `Some(true)`,
    /// replaced (every claim has a magic these bytes fail). `None`: only its body can tell.
    fn link_rejected(&self, path: &str, mode: u32, size: u64, head: &[u8]) -> Option<bool> {
        let meta = EntryMeta { size, mode };
        let claims = self.claims.claims(path, &meta);
        if claims.is_empty() {
            return Some(false);
        }
        claims
            .iter()
            .all(|(_, c)| match c.magic {
                Some(m) => (head.len() >= m.len() || head.len() as u64 == size) && !m.matches(head),
                None => false,
            })
            .then_some(true)
    }

    fn run(&mut self, plain: &mut dyn Read) -> Result<(), LayerError> {
        let mut tar = TarReader::new(plain);
        // claimed files of this layer by path, for hard links to them
        let mut claimed_here: HashMap<String, Arc<[ClaimResult]>> = HashMap::new();
        // files of this layer read and rejected by every claim's magic (scripts with an
        // execute bit): their size and first bytes decide a hard link to one as its second
        // pass would, so a layer that cannot be read cheaply again (an engine's export,
        // standard input) needs none for them
        let mut rejected_here: HashMap<String, (u64, Vec<u8>)> = HashMap::new();
        while let Some(entry) = tar.next_entry().map_err(LayerError::Read)? {
            if self
                .cancel
                .map(|c| c.load(Ordering::Relaxed))
                .unwrap_or(false)
            {
                return Err(LayerError::Cancelled);
            }
            self.entries += 1;
            if self.entries > self.limits.max_entries {
                return Err(LayerError::Limit(LimitHit {
                    limit: Limit::Entries,
                    max: self.limits.max_entries,
                }));
            }
            let (name, sparse) = entry_name(&tar)?;
            let kind = entry.kind;
            let path = match name {
                Name::Root | Name::AufsMeta => continue,
                Name::Whiteout(p) => {
                    self.whiteouts += 1;
                    self.keep(Change::Whiteout(p))?;
                    continue;
                }
                Name::Opaque(p) => {
                    self.whiteouts += 1;
                    self.keep(Change::Opaque(p))?;
                    continue;
                }
                Name::Path(p) => p,
            };
            let mut record: Option<FileRecord> = None;
            match kind {
                // Go refuses sparse records on entries that have no data
                Kind::Link
                | Kind::Symlink
                | Kind::Char
                | Kind::Block
                | Kind::Directory
                | Kind::Fifo
                    if sparse.is_some() =>
                {
                    return Err(LayerError::Read(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("entry {path:?}: GNU sparse records on a {kind:?} entry"),
                    )));
                }
                Kind::Regular | Kind::Continuous | Kind::GNUSparse => {
                    let size = sparse.as_ref().and_then(|s| s.size).unwrap_or(entry.size);
                    let mode = tar.mode().unwrap_or(0o644);
                    let meta = EntryMeta { size, mode };
                    let mut head = Vec::new();
                    let offered = if let Some(hashes) = self.files {
                        // the body is opened once and every byte hashed, whether the
                        // detectors read it or the drain does
                        let opened = body(&mut tar, sparse.as_ref(), &path, size)
                            .map_err(LayerError::Read)?;
                        let mut tap = Hashing::new(opened, hashes);
                        let offered = offer(&self.claims, self.limits, &path, &meta, || {
                            Ok(Box::new(HeadTap {
                                inner: Box::new(&mut tap),
                                head: &mut head,
                            }))
                        })?;
                        let hashed = tap
                            .finish(&path, size, &mut self.drain)
                            .map_err(LayerError::Read)?;
                        record = Some(FileRecord {
                            path: path.clone(),
                            order: 0,
                            mode: mode & 0o7777,
                            body: hashed,
                        });
                        offered
                    } else {
                        offer(&self.claims, self.limits, &path, &meta, || {
                            let body = body(&mut tar, sparse.as_ref(), &path, size)?;
                            Ok(Box::new(HeadTap {
                                inner: body,
                                head: &mut head,
                            }))
                        })?
                    };
                    // both are empty in most layers: no hashing of every path for nothing
                    if !claimed_here.is_empty() {
                        claimed_here.remove(&path);
                    }
                    if !rejected_here.is_empty() {
                        rejected_here.remove(&path);
                    }
                    match offered {
                        Offer::Unclaimed => {}
                        Offer::Parsed(claims) => {
                            self.claimed += 1;
                            claimed_here.insert(path.clone(), claims.clone());
                            self.keep(Change::File { path, claims })?;
                        }
                        Offer::Rejected => {
                            self.retained
                                .keep(path.len() + head.len())
                                .map_err(LayerError::Limit)?;
                            rejected_here.insert(path.clone(), (size, head));
                            self.keep(Change::Replaced(path))?
                        }
                    }
                }
                Kind::Symlink => {
                    let target = tar
                        .link_bytes()
                        .map(|b| String::from_utf8_lossy(path::up_to_nul(b)).into_owned())
                        .unwrap_or_default();
                    self.keep(Change::Symlink { path, target })?;
                }
                Kind::Link => {
                    let raw = tar.link_bytes().unwrap_or_default();
                    let target = path::clean(raw).map_err(|e| LayerError::PathEscapes(e.0))?;
                    if self.files.is_some() {
                        record = Some(FileRecord {
                            path: path.clone(),
                            order: 0,
                            mode: tar.mode().unwrap_or(0o644) & 0o7777,
                            body: FileBody::LinkTo(target.clone()),
                        });
                    }
                    match claimed_here.get(&target) {
                        Some(claims) => {
                            let claims = claims.clone();
                            claimed_here.insert(path.clone(), claims.clone());
                            self.keep(Change::File { path, claims })?;
                        }
                        None => {
                            // Docker gives the link its target's body: when a detector wants
                            // the link's path and the target was not read, it may be an
                            // earlier entry nobody claimed, read in a second pass
                            let meta = EntryMeta {
                                size: 0,
                                mode: tar.mode().unwrap_or(0o644),
                            };
                            let wanted = self.claims.any(&path, &meta);
                            let decided = rejected_here.get(&target).and_then(|(size, head)| {
                                self.link_rejected(&path, meta.mode, *size, head)
                            });
                            if wanted && decided == Some(true) {
                                self.keep(Change::Replaced(path))?;
                            } else {
                                if wanted && decided.is_none() {
                                    self.pending.push(PendingLink {
                                        path: path.clone(),
                                        target: self.chain_end(&target),
                                        entry: self.entries,
                                        mode: meta.mode,
                                        change_at: self.changes.len(),
                                    });
                                }
                                self.keep(Change::Hardlink { path, target })?;
                            }
                        }
                    }
                }
                Kind::Directory => self.keep(Change::Dir(path))?,
                // devices, fifos: nothing to read, but they replace what was there
                _ => self.keep(Change::Replaced(path))?,
            }
            if let Some(mut r) = record {
                // after the entry's own change: a Replaced for a rejected claim must not
                // hide the file from the inventory
                r.order = self.changes.len() as u32;
                self.retained
                    .keep(r.kept_bytes())
                    .map_err(LayerError::Limit)?;
                self.records.push(r);
            }
        }
        Ok(())
    }
}

/// The first bytes of a body as they are read (as many as any magic a claim checks).
struct HeadTap<'a> {
    inner: Box<dyn Read + 'a>,
    head: &'a mut Vec<u8>,
}

/// Longer than every claim's magic (ELF, zip: 4 bytes).
const HEAD: usize = 16;

impl Read for HeadTap<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let take = HEAD.saturating_sub(self.head.len()).min(n);
        self.head.extend_from_slice(&buf[..take]);
        Ok(n)
    }
}
