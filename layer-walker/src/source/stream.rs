//! Archives that can only be read front to back (`docker save | gzip`, standard input, a
//! pipe): small files are kept in memory, and every large member is analysed as a layer
//! while it streams past, because `manifest.json` usually comes last and there is no going
//! back.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::sync::Mutex;

use super::store::MemStore;
use super::{classify_names, ImageSource, SourceKind};
use crate::blob::{self, Compression, HashingReader, Limited};
use crate::error::{Error, LayerAt, Location, Result};
use crate::image::resolve::resolve;
use crate::image::ImagePlan;
use crate::limits::Limit;
use crate::scan::{Progress, ScanCtx};
use crate::tar::guard::TarGuard;
use crate::tar::path as names;
use crate::walk::layer::{analyze_blob, LayerAnalysis, LayerError};
use crate::walk::links;

/// Members up to this size are kept in memory (metadata, tiny layers): a layer blob is
/// analysed from memory when it turns out to be one.
const KEEP_SMALL: u64 = 64 << 10;
/// JSON members up to this size are kept too.
const KEEP_JSON: u64 = 16 << 20;

type Analysed = HashMap<String, std::result::Result<LayerAnalysis, LayerError>>;

/// Opens the archive again from its start, for a second pass up to one member.
pub(crate) type Reopen = Box<dyn Fn() -> std::io::Result<Box<dyn Read + Send>> + Send + Sync>;

/// An archive read as one stream: compressed, or from standard input or a pipe.
pub(crate) struct StreamSource {
    at: Location,
    /// The archive's bytes, until [`ImageSource::plan`] reads them.
    input: Option<Box<dyn Read + Send + Sync>>,
    compression: Compression,
    /// Bytes to read, when known (for progress).
    size: u64,
    kind: Option<SourceKind>,
    /// What the pass kept: the small members, the links between members.
    store: MemStore,
    /// Large members, analysed as layers while they passed (taken out as the plan's layers
    /// are asked for).
    analysed: Mutex<Analysed>,
    /// How to read the archive again (a file, an engine's export), when it can be, and
    /// whether its member names are unique (an engine's own export), so that a second pass
    /// may stop at the member instead of reading on for a later one of the same name.
    reopen: Option<(Reopen, bool)>,
}

impl StreamSource {
    pub(crate) fn new(
        at: Location,
        input: Box<dyn Read + Send + Sync>,
        compression: Compression,
        size: u64,
        kind: Option<SourceKind>,
    ) -> Self {
        StreamSource {
            store: MemStore {
                at: at.clone(),
                files: HashMap::new(),
                links: HashMap::new(),
            },
            at,
            input: Some(input),
            compression,
            size,
            kind,
            analysed: Mutex::new(HashMap::new()),
            reopen: None,
        }
    }

    /// The archive can be read again with `reopen`: a hard link to a file of its layer that
    /// the first pass had no reason to read is then read from a second pass.
    pub(crate) fn with_reopen(mut self, reopen: Reopen, unique_names: bool) -> Self {
        self.reopen = Some((reopen, unique_names));
        self
    }

    /// Whether the pass kept a small member of that name (`index.json`: an OCI layout).
    #[cfg(feature = "engine")]
    pub(crate) fn kept(&self, name: &str) -> bool {
        self.store.files.contains_key(name)
    }
}

impl ImageSource for StreamSource {
    fn cacheable(&self) -> bool {
        // the layers pass by as the stream does: there is nothing to skip
        false
    }

    fn location(&self) -> &Location {
        &self.at
    }

    fn plan(&mut self, ctx: &ScanCtx) -> Result<ImagePlan> {
        let input = self.input.take().ok_or_else(|| {
            Error::io(
                self.at.clone(),
                std::io::Error::other("the stream was read already"),
            )
        })?;
        ctx.emit(Progress::Streaming {
            total_bytes: self.size,
        });
        let analysed = read_stream(&self.at, input, self.compression, ctx, &mut self.store)?;
        let kind = match self.kind {
            Some(k) => k,
            None => {
                let names = self.store.files.keys().chain(analysed.keys());
                classify_names(&self.at, names.map(String::as_str))?
            }
        };
        *self.analysed.get_mut().unwrap_or_else(|p| p.into_inner()) = analysed;
        resolve(&self.store, kind, &ctx.resolve_options())
    }

    // identical layers are one member, named again by each place they take (through links)
    fn blob_key<'p>(&self, plan: &'p ImagePlan, i: usize) -> std::borrow::Cow<'p, str> {
        std::borrow::Cow::Owned(self.store.resolve_name(&plan.layers[i].blob))
    }

    fn layer(&self, plan: &ImagePlan, i: usize, ctx: &ScanCtx) -> Result<LayerAnalysis> {
        let l = &plan.layers[i];
        let name = self.store.resolve_name(&l.blob);
        let passed = self
            .analysed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&name);
        let at = |e: LayerError| {
            e.at(
                &self.at,
                LayerAt {
                    index: i,
                    blob: l.blob.clone(),
                },
            )
        };
        let small = self.store.files.get(&name);
        let mut a = match (passed, small) {
            (Some(r), _) => r,
            (None, Some(bytes)) => analyze_blob(&bytes[..], ctx.walk(Some(i), false)),
            (None, None) => {
                return Err(Error::MissingBlob {
                    at: self.at.clone(),
                    name: l.blob.clone(),
                })
            }
        }
        .map_err(at)?;
        if !a.pending_links.is_empty() {
            match (small, &self.reopen) {
                (Some(bytes), _) => {
                    links::resolve(&bytes[..], &mut a, ctx.detectors, ctx.limits).map_err(at)?
                }
                // a file or an engine's export can be streamed again, up to the member
                (None, Some((reopen, unique))) => {
                    a = self
                        .reread_member(reopen, *unique, &name, a, ctx)
                        .map_err(at)?
                }
                _ => links::unreadable(
                    &mut a,
                    ctx.detectors,
                    "an archive read from a pipe or standard input cannot be read again",
                ),
            }
        }
        Ok(a)
    }
}

impl StreamSource {
    /// Streams the archive again up to the member `name` (the last of that name, as in the
    /// first pass) and reads the targets of `a`'s pending hard links from it.
    fn reread_member(
        &self,
        reopen: &Reopen,
        unique: bool,
        name: &str,
        a: LayerAnalysis,
        ctx: &ScanCtx,
    ) -> std::result::Result<LayerAnalysis, LayerError> {
        let input = reopen().map_err(LayerError::Read)?;
        let buffered = BufReader::with_capacity(1 << 20, input);
        let decoded = blob::decoder(buffered, self.compression).map_err(LayerError::Read)?;
        let limited = Limited::new(decoded, Limit::ArchiveBytes, ctx.limits.max_archive_bytes);
        let mut archive = tar::Archive::new(TarGuard::new(limited));
        let mut resolved = None;
        for entry in archive.entries().map_err(LayerError::Read)? {
            let entry = entry.map_err(LayerError::Read)?;
            let is_it =
                names::clean(&entry.path_bytes()).is_ok_and(|n| n.trim_start_matches('/') == name);
            if is_it && entry.header().entry_type().is_file() {
                let mut again = a.clone();
                links::resolve(entry, &mut again, ctx.detectors, ctx.limits)?;
                resolved = Some(again);
                if unique {
                    break;
                }
            }
        }
        Ok(resolved.unwrap_or(a))
    }
}

/// Reads the whole archive once, keeping small members and links in `store`; returns the
/// large members, analysed as layers.
fn read_stream(
    at: &Location,
    input: Box<dyn Read + Send + Sync>,
    compression: Compression,
    ctx: &ScanCtx,
    store: &mut MemStore,
) -> Result<Analysed> {
    let err = |e: std::io::Error| Error::from_stream(at.clone(), None, e);
    let keep = |bytes: usize| ctx.retained.keep(bytes).map_err(|hit| err(hit.into_io()));
    // counted for progress only: the outer archive has no digest to check (its members do)
    let mut raw = HashingReader::counting(input).with_progress(ctx.stream_progress());
    let buffered = BufReader::with_capacity(1 << 20, &mut raw);
    let decoded = blob::decoder(buffered, compression).map_err(err)?;
    let limited = Limited::new(decoded, Limit::ArchiveBytes, ctx.limits.max_archive_bytes);
    let mut archive = tar::Archive::new(TarGuard::new(limited));
    let mut analysed = HashMap::new();
    let entries = archive.entries().map_err(err)?;
    for entry in entries {
        let entry = entry.map_err(err)?;
        let Ok(name) = names::clean(&entry.path_bytes()) else {
            continue;
        };
        let name = name.trim_start_matches('/').to_string();
        match entry.header().entry_type() {
            tar::EntryType::Symlink => {
                if let Some(t) = entry.link_name_bytes() {
                    keep(name.len() + t.len())?;
                    store
                        .links
                        .insert(name, String::from_utf8_lossy(&t).into_owned());
                }
                continue;
            }
            tar::EntryType::Link => {
                if let Some(t) = entry.link_name_bytes() {
                    keep(name.len() + t.len())?;
                    // hard link targets are archive-root paths
                    store
                        .links
                        .insert(name, format!("/{}", String::from_utf8_lossy(&t)));
                }
                continue;
            }
            tar::EntryType::Regular | tar::EntryType::Continuous => {}
            _ => continue,
        }
        let size = entry.size();
        let mut reader = BufReader::with_capacity(256 << 10, entry);
        let head = reader.fill_buf().map_err(err)?;
        let json = matches!(head.first(), Some(b'{') | Some(b'['));
        if size <= KEEP_SMALL || (json && size <= KEEP_JSON) {
            keep(name.len() + size as usize)?;
            let mut body = Vec::with_capacity(size as usize);
            reader.read_to_end(&mut body).map_err(err)?;
            store.files.insert(name, body);
        } else {
            let result = analyze_blob(&mut reader, ctx.walk(None, false));
            // a failed analysis may be a member that is no layer at all: only an error if
            // the manifest names it. Its bytes must still be consumed to go on.
            std::io::copy(&mut reader, &mut std::io::sink()).map_err(err)?;
            analysed.insert(name, result);
        }
    }
    // tar stops at its end marker; read on to the end of the compressed stream so the gzip
    // trailer (CRC and length) or the zstd frame end is checked: a cut archive is an error
    let mut rest = archive.into_inner();
    std::io::copy(&mut rest, &mut std::io::sink()).map_err(err)?;
    drop(rest);
    let (_, read) = raw.finish().map_err(err)?;
    if read == 0 {
        return Err(Error::NotAnImage {
            at: at.clone(),
            reason: "it is empty".into(),
        });
    }
    Ok(analysed)
}
