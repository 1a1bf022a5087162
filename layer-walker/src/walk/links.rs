//! Hard links at claimed paths whose target nobody claimed: a package database stored under
//! another name and linked to its real path. Docker applies the link, so the database is
//! there; the first pass over the layer had already gone past the target's body when it met
//! the link. These are read in a second pass over that layer only, and only when such a
//! link is met, which no common image has.

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read};
use std::sync::Arc;

use crate::blob::{self, Compression, Limited};
use crate::detect::{Detector, EntryMeta};
use crate::limits::{Limit, Limits};
use crate::tar::path::Name;
use crate::tar::reader::{Kind, TarReader};
use crate::walk::claim::{offer, ClaimIndex, Offer};
use crate::walk::layer::{body, entry_name, Change, ClaimResult, LayerAnalysis, LayerError};

/// A hard link the first pass could not give a body.
#[derive(Debug, Clone)]
pub(crate) struct PendingLink {
    /// The link's path.
    pub path: String,
    /// The regular file it stands for (through a chain of links, if there was one).
    pub target: String,
    /// The link's position among the layer's entries: its target must come before it.
    pub entry: u64,
    /// The link's mode bits (what claims on executables look at).
    pub mode: u32,
    /// Where its placeholder `Change::Hardlink` sits in the analysis.
    pub change_at: usize,
}

/// Reads the targets of `a`'s pending links from `raw`, the same layer blob again, and
/// gives each link its target's parsed body. A link whose target is no earlier entry of
/// the layer stays a link (to a lower layer's file, or to nothing).
pub(crate) fn resolve(
    raw: impl Read,
    a: &mut LayerAnalysis,
    detectors: &[Arc<dyn Detector>],
    limits: &Limits,
) -> Result<(), LayerError> {
    if a.pending_links.is_empty() {
        return Ok(());
    }
    let pending = std::mem::take(&mut a.pending_links);
    let last = pending.iter().map(|p| p.entry).max().unwrap_or(0);
    let mut by_target: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, p) in pending.iter().enumerate() {
        by_target.entry(p.target.as_str()).or_default().push(i);
    }
    let index = ClaimIndex::new(detectors);
    let mut found: Vec<Option<Offer>> = (0..pending.len()).map(|_| None).collect();
    let mut peek = BufReader::with_capacity(64 << 10, raw);
    let compression = Compression::sniff(peek.fill_buf().map_err(LayerError::Read)?);
    let decoded = blob::decoder(peek, compression).map_err(LayerError::Read)?;
    let limited = Limited::new(decoded, Limit::LayerBytes, limits.max_layer_bytes);
    let mut tar = TarReader::new(limited);
    let mut n = 0u64;
    while let Some(entry) = tar.next_entry().map_err(LayerError::Read)? {
        n += 1;
        if n >= last {
            break;
        }
        if !matches!(
            entry.kind,
            Kind::Regular | Kind::Continuous | Kind::GNUSparse
        ) {
            continue;
        }
        let (Name::Path(path), sparse) = entry_name(&tar)? else {
            continue;
        };
        let Some(links) = by_target.get(path.as_str()) else {
            continue;
        };
        let links: Vec<usize> = links
            .iter()
            .copied()
            .filter(|&i| pending[i].entry > n)
            .collect();
        if links.is_empty() {
            continue;
        }
        let size = sparse.as_ref().and_then(|s| s.size).unwrap_or(entry.size);
        // read once for every link to it; a body over every claim's limit is not read, and
        // the claims say so
        let mut content = Vec::new();
        if size <= limits.max_claimed_file {
            body(&mut tar, sparse.as_ref(), &path, size)
                .and_then(|mut r| r.read_to_end(&mut content))
                .map_err(LayerError::Read)?;
        }
        for i in links {
            let link = &pending[i];
            let meta = EntryMeta {
                size,
                mode: link.mode,
            };
            // a later copy of the target before the link replaces an earlier one
            found[i] = Some(offer(&index, limits, &link.path, &meta, || {
                Ok(Box::new(io::Cursor::new(&content[..])))
            })?);
        }
    }
    for (link, result) in pending.into_iter().zip(found) {
        let change = match result {
            Some(Offer::Parsed(claims)) => {
                a.claimed_files += 1;
                Change::File {
                    path: link.path,
                    claims,
                }
            }
            Some(Offer::Rejected) => Change::Replaced(link.path),
            Some(Offer::Unclaimed) | None => continue,
        };
        a.changes[link.change_at] = change;
    }
    Ok(())
}

/// When the layer cannot be read again (an archive on standard input or a pipe): every
/// pending link becomes a claimed file that could not be read, so the inventory says what
/// it may be missing instead of passing over it.
pub(crate) fn unreadable(a: &mut LayerAnalysis, detectors: &[Arc<dyn Detector>], why: &str) {
    let index = ClaimIndex::new(detectors);
    for link in std::mem::take(&mut a.pending_links) {
        let meta = EntryMeta {
            size: 0,
            mode: link.mode,
        };
        let claims: Vec<ClaimResult> = index
            .claims(&link.path, &meta)
            .into_iter()
            .map(|(d, _)| ClaimResult {
                detector: d.name(),
                parsed: Err(format!(
                    "{} is a hard link to {}, an earlier entry of its layer that was not read, and {why}",
                    link.path, link.target
                )
                .into()),
            })
            .collect();
        a.changes[link.change_at] = Change::File {
            path: link.path,
            claims: claims.into(),
        };
    }
}
