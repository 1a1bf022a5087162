//! The bounds a scan keeps to, whatever the image: [`Limits`] (what the caller can set),
//! [`Limit`] (which bound an error names), and the one budget every layer thread shares for
//! the tar metadata a scan keeps ([`Retained`]).
//!
//! This module sits below everything else: sources, the tar walk and the readers that
//! enforce byte limits all report a hit as a [`Limit`], never as a message to recognise.

use std::sync::atomic::{AtomicU64, Ordering};

/// Bounds that keep a hostile image from exhausting memory, disk or time. The defaults are
/// far above any real image and still finite.
///
/// The fields are public; build one from the default so new limits get their defaults:
///
/// ```
/// let mut limits = layer_walker::Limits::default();
/// limits.max_layer_bytes = 8 << 30;
/// assert_eq!(limits.max_entries, 20_000_000);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Uncompressed bytes of one layer (decompression bomb guard). Default 64 GiB.
    pub max_layer_bytes: u64,
    /// Uncompressed bytes of a compressed archive read as a stream. Default 256 GiB.
    pub max_archive_bytes: u64,
    /// Tar entries in one layer. Default 20 million.
    pub max_entries: u64,
    /// Largest file body handed to a detector, whatever the detector asks. Default 256 MiB.
    pub max_claimed_file: u64,
    /// Bytes of tar metadata a scan keeps: the paths of every directory, link, whiteout and
    /// replaced file in all layers, the small members of a compressed archive, the member
    /// names of an archive file (each counted with 64 bytes of overhead). Default 256 MiB;
    /// real images keep a few megabytes (debian-large, 4 GB: 2.5 MB).
    pub max_retained_bytes: u64,
    /// Layers in one image. Default 4096: runtimes stop far below (Docker at 125, the
    /// kernel's overlayfs at about 500), and a manifest can name one small blob a million
    /// times.
    pub max_layers: u64,
    /// Layers read at once (at most one per core). Default 8. Each may hold a zstd window
    /// of up to 128 MiB and a claimed file, so this, not the core count, bounds the memory
    /// of a scan on a large machine.
    pub max_parallel_layers: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_layer_bytes: 64 << 30,
            max_archive_bytes: 256 << 30,
            max_entries: 20_000_000,
            max_claimed_file: 256 << 20,
            max_retained_bytes: 256 << 20,
            max_layers: 4096,
            max_parallel_layers: 8,
        }
    }
}

/// Which bound a scan hit: the settable [`Limits`], and the fixed bounds on image metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Limit {
    /// [`Limits::max_layer_bytes`].
    LayerBytes,
    /// [`Limits::max_archive_bytes`].
    ArchiveBytes,
    /// [`Limits::max_entries`].
    Entries,
    /// [`Limits::max_claimed_file`] (reported per file as a warning, not an error).
    ClaimedFile,
    /// [`Limits::max_retained_bytes`].
    RetainedBytes,
    /// [`Limits::max_layers`].
    Layers,
    /// A metadata document (manifest, config, index): 16 MiB.
    MetadataFile,
    /// A GNU long name or link, or a PAX header: 1 MiB, as Go's `archive/tar` (Docker's tar
    /// reader) allows.
    TarExtension,
    /// GNU sparse map extension blocks after one header: 2048.
    SparseMap,
    /// Nesting of OCI image indexes: 4 levels.
    IndexDepth,
    /// Manifests an image's indexes name in all: 10,000.
    IndexManifests,
    /// Bytes of nested indexes read in all: 256 MiB.
    IndexBytes,
    /// A registry token service's answer: 1 MiB.
    TokenResponse,
}

impl Limit {
    /// What the limit counts: `bytes`, `entries`, `layers`, `blocks`, `levels`, `manifests`.
    pub fn unit(self) -> &'static str {
        match self {
            Limit::Entries => "entries",
            Limit::Layers => "layers",
            Limit::SparseMap => "blocks",
            Limit::IndexDepth => "levels",
            Limit::IndexManifests => "manifests",
            _ => "bytes",
        }
    }

    /// Whether the caller can raise it through [`Limits`].
    pub fn is_settable(self) -> bool {
        matches!(
            self,
            Limit::LayerBytes
                | Limit::ArchiveBytes
                | Limit::Entries
                | Limit::ClaimedFile
                | Limit::RetainedBytes
                | Limit::Layers
        )
    }
}

/// A limit hit inside a reader: carried as the payload of the `io::Error` that readers
/// below the walk (the tar crate, decoders) pass on, and taken out again by
/// [`LimitHit::find`], so no layer has to recognise an error by its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LimitHit {
    pub limit: Limit,
    /// The bound, in [`Limit::unit`]s.
    pub max: u64,
}

impl LimitHit {
    pub(crate) fn into_io(self) -> std::io::Error {
        std::io::Error::other(self)
    }

    /// The hit an `io::Error` carries, if it carries one, however deep: a reader above may
    /// have wrapped it in an error of its own (the tar crate does).
    pub(crate) fn find(e: &std::io::Error) -> Option<LimitHit> {
        let mut cur: Option<&(dyn std::error::Error + 'static)> = e.get_ref().map(|r| r as _);
        while let Some(err) = cur {
            if let Some(hit) = err.downcast_ref::<LimitHit>() {
                return Some(*hit);
            }
            cur = match err.downcast_ref::<std::io::Error>() {
                Some(io) => io.get_ref().map(|r| r as _),
                None => err.source(),
            };
        }
        None
    }
}

impl std::fmt::Display for LimitHit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "over the limit of {} {}", self.max, self.limit.unit())
    }
}

impl std::error::Error for LimitHit {}

/// A rough per-item overhead (map or vector slot, string header), so that a flood of empty
/// names is counted too.
pub(crate) const ITEM_OVERHEAD: u64 = 64;

/// What a scan keeps of the tar headers it reads, counted against one budget.
///
/// Regular files are kept only when a detector claims them, and those are capped one by one.
/// Everything else a scan keeps comes from headers: the paths of directories, links,
/// whiteouts and replaced files of every layer (the view needs them to lay the layers over
/// each other), and the small members and links of an archive read as a stream. Headers
/// compress to almost nothing, so a few megabytes of layer can name gigabytes of paths; this
/// counts those bytes across all layers of a scan, which the walk threads share.
///
/// The tar metadata kept so far by one scan, and how many bytes it may keep.
#[derive(Debug)]
pub(crate) struct Retained {
    used: AtomicU64,
    limit: u64,
}

impl Retained {
    pub(crate) fn new(limit: u64) -> Self {
        Retained {
            used: AtomicU64::new(0),
            limit,
        }
    }

    /// Bytes counted so far.
    pub(crate) fn used(&self) -> u64 {
        self.used.load(Ordering::Relaxed)
    }

    /// Counts one kept item of `bytes` bytes; an error once the scan has kept more than its
    /// limit.
    pub(crate) fn keep(&self, bytes: usize) -> Result<(), LimitHit> {
        let n = bytes as u64 + ITEM_OVERHEAD;
        let before = self.used.fetch_add(n, Ordering::Relaxed);
        if before.saturating_add(n) > self.limit {
            Err(LimitHit {
                limit: Limit::RetainedBytes,
                max: self.limit,
            })
        } else {
            Ok(())
        }
    }
}

/// What the budget is called in errors.
pub(crate) const RETAINED_WHAT: &str =
    "the tar metadata kept for the scan (paths of directories, links and whiteouts, small archive members)";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_items_with_their_overhead_until_the_limit() {
        let r = Retained::new(2 * ITEM_OVERHEAD + 10);
        assert!(r.keep(10).is_ok());
        assert!(r.keep(0).is_ok());
        assert_eq!(r.keep(0).map_err(|h| h.max), Err(2 * ITEM_OVERHEAD + 10));
    }
}
