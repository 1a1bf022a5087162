//! Archives that can only be read front to back (`docker save | gzip`): small files are kept
//! in memory, and every large member is analysed as a layer while it streams past, because
//! `manifest.json` usually comes last and there is no going back.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use super::store::MemStore;
use crate::blob::{self, Compression, HashingReader, Limited};
use crate::error::{Error, Result};
use crate::walk::layer::{analyze_blob, LayerAnalysis, LayerError, WalkCtx};
use crate::walk::path as names;
use crate::walk::retained::{self, Retained};
use crate::walk::tar_guard::{self, TarGuard};

/// Members up to this size are kept in memory (metadata, tiny layers): a layer blob is
/// analysed from memory when it turns out to be one.
const KEEP_SMALL: u64 = 64 << 10;
/// JSON members up to this size are kept too.
const KEEP_JSON: u64 = 16 << 20;

/// What a streamed pass leaves: the small files, and the large members analysed as layers.
pub(crate) struct Streamed {
    pub store: MemStore,
    pub analysed: HashMap<String, std::result::Result<LayerAnalysis, LayerError>>,
}

/// Reads the whole compressed archive once.
pub(crate) fn read_stream<'a>(
    path: &Path,
    file: std::fs::File,
    compression: Compression,
    mut ctx_for: impl FnMut() -> WalkCtx<'a>,
    limits: &crate::Limits,
    retained: &Retained,
    on_bytes: Box<dyn FnMut(u64) + Send + 'a>,
) -> Result<Streamed> {
    let keep = |bytes: usize| {
        retained.keep(bytes).map_err(|limit| Error::LimitExceeded {
            archive: path.to_path_buf(),
            what: retained::WHAT.into(),
            limit,
            unit: "bytes",
        })
    };
    // counted for progress only: the outer archive has no digest to check (its members do)
    let mut raw = HashingReader::counting(file).with_progress(on_bytes);
    let buffered = BufReader::with_capacity(1 << 20, &mut raw);
    let decoded = blob::decoder(buffered, compression).map_err(|e| Error::io(path, e))?;
    let limited = Limited::new(decoded, limits.max_archive_bytes);
    let mut archive = tar::Archive::new(TarGuard::new(limited));
    let mut store = MemStore {
        path: path.to_path_buf(),
        files: HashMap::new(),
        links: HashMap::new(),
    };
    let mut analysed = HashMap::new();
    let entries = archive
        .entries()
        .map_err(|e| stream_error(path, e, limits))?;
    for entry in entries {
        let entry = entry.map_err(|e| stream_error(path, e, limits))?;
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
        let head = reader
            .fill_buf()
            .map_err(|e| stream_error(path, e, limits))?;
        let json = matches!(head.first(), Some(b'{') | Some(b'['));
        if size <= KEEP_SMALL || (json && size <= KEEP_JSON) {
            keep(name.len() + size as usize)?;
            let mut body = Vec::with_capacity(size as usize);
            reader
                .read_to_end(&mut body)
                .map_err(|e| stream_error(path, e, limits))?;
            store.files.insert(name, body);
        } else {
            let result = analyze_blob(&mut reader, ctx_for());
            // a failed analysis may be a member that is no layer at all: only an error if
            // the manifest names it. Its bytes must still be consumed to go on.
            std::io::copy(&mut reader, &mut std::io::sink())
                .map_err(|e| stream_error(path, e, limits))?;
            analysed.insert(name, result);
        }
    }
    // tar stops at its end marker; read on to the end of the compressed stream so the gzip
    // trailer (CRC and length) or the zstd frame end is checked: a cut archive is an error
    let mut rest = archive.into_inner();
    std::io::copy(&mut rest, &mut std::io::sink()).map_err(|e| stream_error(path, e, limits))?;
    drop(rest);
    raw.finish().map_err(|e| stream_error(path, e, limits))?;
    Ok(Streamed { store, analysed })
}

fn stream_error(path: &Path, e: std::io::Error, limits: &crate::Limits) -> Error {
    if e.to_string().contains(blob::LIMIT_MESSAGE) {
        return Error::LimitExceeded {
            archive: path.to_path_buf(),
            what: "the uncompressed archive".into(),
            limit: limits.max_archive_bytes,
            unit: "bytes",
        };
    }
    let reason = match e.kind() {
        _ if tar_guard::metadata_too_large(&e).is_some() => e.to_string(),
        std::io::ErrorKind::UnexpectedEof => {
            "truncated: the compressed archive ends early".to_string()
        }
        _ => format!("the compressed archive is corrupt: {e}"),
    };
    // the outer stream is not a layer: an I/O error on the archive file itself
    Error::io(path, std::io::Error::new(e.kind(), reason))
}
