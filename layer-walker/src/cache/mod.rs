//! The layer cache: what analysing a layer found, kept under the layer's diff_id so a layer
//! seen before is neither read nor downloaded again.
//!
//! An entry holds what the walk kept of one layer (whiteouts, directories, links, the
//! paths of the files detectors claimed) and the detectors' parsed forms of those files:
//! package databases as parsed, nothing else of the image's contents. It is stored under
//! the layer's diff_id and a [scan key](scan_key) naming everything that changes the
//! result: this crate's version and sources, the detectors, the limits. A scan that finds
//! an entry for a layer takes it instead of reading the layer; the diff_id comes from the
//! image config, whose digest the scan has verified, so the entry stands for exactly the
//! bytes the image names. The blob itself is then not read, and so not verified: a layer
//! taken from the cache is reported in the debug log.
//!
//! Two stores: [`DiskCache`] (a directory, shared by processes and machines) and
//! [`MemoryCache`] (one process, e.g. a batch of images from one base). Anything else
//! implements [`LayerCache`].
//!
//! ```
//! use std::sync::Arc;
//! use layer_walker::cache::DiskCache;
//! use layer_walker::{ImageRef, Scanner};
//!
//! let dir = tempfile::tempdir()?;
//! let cache = Arc::new(DiskCache::open(dir.path())?.max_size(1 << 30));
//! let scanner = Scanner::new().cache(cache.clone());
//! let image = ImageRef::parse("oci-dir:../testdata/images/tiny-debian.oci")?;
//! let cold = scanner.scan(&image)?;
//! let warm = scanner.scan(&image)?;
//! assert!(warm.cached.iter().all(|c| *c));
//! assert_eq!(cold.inventory.packages.len(), warm.inventory.packages.len());
//! assert!(cache.stats()?.entries >= 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod disk;
pub(crate) mod entry;
mod memory;

pub use disk::{CacheStats, DiskCache, Pruned};
pub use memory::MemoryCache;

use sha2::{Digest as _, Sha256};

use crate::detect::Detector;
use crate::digest::Digest;
use crate::limits::Limits;

/// Where layer analyses are kept between scans. Implementations must be safe to call from
/// the scan's worker threads at once, and from several processes if they share storage.
pub trait LayerCache: Send + Sync {
    /// The entry stored under `key`, if any. A store may return what it has without checking
    /// it: the scan verifies every entry and calls [`LayerCache::invalid`] for a bad one.
    fn get(&self, key: &CacheKey) -> Option<Vec<u8>>;
    /// Stores `entry` under `key`, replacing what was there. Failures are the store's to log:
    /// a scan never fails because its cache could not be written.
    fn put(&self, key: &CacheKey, entry: &[u8]);
    /// The entry under `key` was unusable (`why`); the store may drop it.
    fn invalid(&self, key: &CacheKey, why: &str) {
        let _ = (key, why);
    }
    /// Called once at the end of each scan that stored entries: a store with a size bound
    /// evicts here.
    fn flush(&self) {}
}

/// What an entry is stored under: a layer's diff_id and the scan key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CacheKey {
    /// The layer's diff_id.
    pub diff_id: Digest,
    /// Hex SHA-256 of what besides the layer decides the analysis (see [`scan_key`]).
    pub scan: String,
}

impl CacheKey {
    /// A file name for the entry: hex SHA-256 of the scan key and the diff_id.
    pub fn file_name(&self) -> String {
        let mut h = Sha256::new();
        h.update(self.scan.as_bytes());
        h.update(b"\n");
        h.update(self.diff_id.to_string().as_bytes());
        format!("{:x}", h.finalize())
    }
}

/// The scan key: everything but the layer's bytes that decides what analysing a layer
/// gives. This crate's version and a hash of its sources and of sbom-core's (any change to
/// a parser changes the key), the detectors by name and order, and the limits that make a
/// walk fail or keep less (not the parallelism, which changes neither).
pub fn scan_key(detectors: &[std::sync::Arc<dyn Detector>], limits: &Limits) -> String {
    let mut h = Sha256::new();
    h.update(b"sbom layer cache 1\n");
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    h.update(b"\n");
    h.update(env!("LAYER_WALKER_SOURCE_HASH").as_bytes());
    for d in detectors {
        h.update(b"\ndetector ");
        h.update(d.name().as_bytes());
    }
    let Limits {
        max_layer_bytes,
        max_archive_bytes,
        max_entries,
        max_claimed_file,
        max_retained_bytes,
        max_layers: _,
        max_parallel_layers: _,
    } = limits;
    for n in [
        max_layer_bytes,
        max_archive_bytes,
        max_entries,
        max_claimed_file,
        max_retained_bytes,
    ] {
        h.update(format!("\n{n}").as_bytes());
    }
    format!("{:x}", h.finalize())
}
