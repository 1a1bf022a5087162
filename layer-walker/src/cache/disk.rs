//! A layer cache in a directory: safe for several processes at once, on one machine or on
//! shared storage (NFS, a Kubernetes ReadWriteMany volume), bounded in size.
//!
//! Layout: `layers-v1/<2 hex>/<64 hex>` per entry, `tmp/` for entries being written. An
//! entry is written to `tmp/` and renamed into place, so a reader sees a whole entry or
//! none; rename within one directory tree is atomic on local filesystems and on NFS. A
//! crash can still leave a torn file after the rename on some filesystems (no fsync, which
//! would cost more than the scan on slow storage): each entry carries its own checksum,
//! and a torn one is dropped and rebuilt. Reading an entry sets its modification time, and
//! eviction removes the least recently used entries first.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use super::{CacheKey, LayerCache};

const ENTRIES: &str = "layers-v1";
const TMP: &str = "tmp";
/// Eviction brings the cache down to this share of its bound, so that not every scan of a
/// full cache evicts again.
const EVICT_TO_PERCENT: u64 = 90;
/// Files in `tmp/` older than this are left over from a process that died mid-write.
const STALE_TMP: Duration = Duration::from_secs(3600);

/// A cache directory. See the [module docs](crate::cache).
///
/// ```no_run
/// use layer_walker::cache::DiskCache;
/// let cache = DiskCache::open("/var/cache/sbom")?.max_size(20 << 30);
/// let stats = cache.stats()?;
/// println!("{} entries, {} bytes", stats.entries, stats.bytes);
/// cache.prune(10 << 30)?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct DiskCache {
    root: PathBuf,
    max_size: Option<u64>,
    seq: AtomicU64,
}

/// What a cache directory holds.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct CacheStats {
    /// Entries (one per layer and scan key).
    pub entries: u64,
    /// Their size in bytes.
    pub bytes: u64,
    /// The least and the most recently used entry's last use.
    pub oldest: Option<SystemTime>,
    /// See `oldest`.
    pub newest: Option<SystemTime>,
}

/// What [`DiskCache::prune`] removed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Pruned {
    /// Entries removed.
    pub removed: u64,
    /// Bytes freed.
    pub freed: u64,
    /// What is left.
    pub left: CacheStats,
}

impl DiskCache {
    /// Opens (and creates, if it can) the cache in `dir`. A directory that exists but cannot
    /// be written to is a read-only cache: hits are used, nothing is stored.
    pub fn open(dir: impl AsRef<Path>) -> io::Result<Self> {
        let root = dir.as_ref().to_path_buf();
        if let Err(e) =
            fs::create_dir_all(root.join(ENTRIES)).and(fs::create_dir_all(root.join(TMP)))
        {
            if !root.join(ENTRIES).is_dir() {
                return Err(io::Error::new(
                    e.kind(),
                    format!("cache directory {}: {e}", root.display()),
                ));
            }
        }
        Ok(DiskCache {
            root,
            max_size: None,
            seq: AtomicU64::new(0),
        })
    }

    /// Bounds the cache to `bytes`: after each scan that stored entries, the least recently
    /// used are removed until the cache is within it.
    pub fn max_size(mut self, bytes: u64) -> Self {
        self.max_size = Some(bytes);
        self
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.root
    }

    fn entry_path(&self, key: &CacheKey) -> PathBuf {
        let name = key.file_name();
        self.root.join(ENTRIES).join(&name[..2]).join(name)
    }

    /// Counts the entries.
    pub fn stats(&self) -> io::Result<CacheStats> {
        let mut s = CacheStats::default();
        for (_, len, used) in self.list()? {
            s.entries += 1;
            s.bytes += len;
            s.oldest = Some(s.oldest.map_or(used, |o| o.min(used)));
            s.newest = Some(s.newest.map_or(used, |n| n.max(used)));
        }
        Ok(s)
    }

    /// Removes the least recently used entries until at most `max_bytes` are left (0 empties
    /// the cache), and files a dead writer left in `tmp/`.
    pub fn prune(&self, max_bytes: u64) -> io::Result<Pruned> {
        let mut all = self.list()?;
        let mut total: u64 = all.iter().map(|(_, len, _)| len).sum();
        all.sort_by_key(|(_, _, used)| *used);
        let mut out = Pruned::default();
        for (path, len, _) in all {
            if total <= max_bytes {
                break;
            }
            match fs::remove_file(&path) {
                Ok(()) => {
                    out.removed += 1;
                    out.freed += len;
                }
                // another process evicted it first
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(io::Error::new(e.kind(), format!("{}: {e}", path.display()))),
            }
            total -= len;
        }
        if let Ok(rd) = fs::read_dir(self.root.join(TMP)) {
            let now = SystemTime::now();
            for e in rd.flatten() {
                let old = e
                    .metadata()
                    .and_then(|m| m.modified())
                    .is_ok_and(|t| now.duration_since(t).unwrap_or_default() > STALE_TMP);
                if old {
                    let _ = fs::remove_file(e.path());
                }
            }
        }
        out.left = self.stats()?;
        Ok(out)
    }

    /// Every entry: path, size, last use.
    fn list(&self) -> io::Result<Vec<(PathBuf, u64, SystemTime)>> {
        let mut out = Vec::new();
        let top = self.root.join(ENTRIES);
        let shards = fs::read_dir(&top)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", top.display())))?;
        for shard in shards.flatten() {
            let Ok(files) = fs::read_dir(shard.path()) else {
                continue;
            };
            for f in files.flatten() {
                // removed by another process between the listing and here: not an entry
                let Ok(m) = f.metadata() else { continue };
                if m.is_file() {
                    out.push((
                        f.path(),
                        m.len(),
                        m.modified().unwrap_or(SystemTime::UNIX_EPOCH),
                    ));
                }
            }
        }
        Ok(out)
    }

    fn write(&self, key: &CacheKey, entry: &[u8]) -> io::Result<()> {
        let dest = self.entry_path(key);
        let tmp = self.root.join(TMP).join(format!(
            "{}.{}.{}",
            key.file_name(),
            std::process::id(),
            self.seq.fetch_add(1, Ordering::Relaxed)
        ));
        fs::write(&tmp, entry)?;
        let placed = dest
            .parent()
            .map_or(Ok(()), fs::create_dir_all)
            .and_then(|()| fs::rename(&tmp, &dest));
        if placed.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        placed
    }
}

impl LayerCache for DiskCache {
    fn get(&self, key: &CacheKey) -> Option<Vec<u8>> {
        let path = self.entry_path(key);
        let bytes = fs::read(&path).ok()?;
        // the last use, for eviction; a read-only cache keeps its times
        if let Ok(f) = fs::File::options().write(true).open(&path) {
            let _ = f.set_modified(SystemTime::now());
        }
        Some(bytes)
    }

    fn put(&self, key: &CacheKey, entry: &[u8]) {
        if let Err(e) = self.write(key, entry) {
            tracing::warn!(cache = %self.root.display(), "layer cache entry not stored: {e}");
        }
    }

    fn invalid(&self, key: &CacheKey, _why: &str) {
        let _ = fs::remove_file(self.entry_path(key));
    }

    fn flush(&self) {
        let Some(max) = self.max_size else { return };
        let total = match self.stats() {
            Ok(s) => s.bytes,
            Err(e) => {
                tracing::warn!(cache = %self.root.display(), "layer cache not listed: {e}");
                return;
            }
        };
        if total > max {
            let target = max / 100 * EVICT_TO_PERCENT;
            match self.prune(target) {
                Ok(p) => {
                    tracing::debug!(removed = p.removed, freed = p.freed, "layer cache evicted")
                }
                Err(e) => {
                    tracing::warn!(cache = %self.root.display(), "layer cache not evicted: {e}")
                }
            }
        }
    }
}
