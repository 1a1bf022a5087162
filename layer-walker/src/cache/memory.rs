//! A layer cache in the process's memory, bounded in bytes: what a batch of scans shares
//! when no cache directory is given.

use std::collections::HashMap;
use std::sync::Mutex;

use super::{CacheKey, LayerCache};

/// Entries in memory, least recently used dropped first once they exceed the budget.
/// Entries are stored encoded (compressed), a few hundred kilobytes for a distro's base
/// layer, so a small budget covers the layers a batch shares.
///
/// ```
/// use std::sync::Arc;
/// use layer_walker::cache::MemoryCache;
/// use layer_walker::Scanner;
///
/// let scanner = Scanner::new().cache(Arc::new(MemoryCache::new(32 << 20)));
/// # let _ = scanner;
/// ```
pub struct MemoryCache {
    budget: u64,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<CacheKey, (Vec<u8>, u64)>,
    used: u64,
    clock: u64,
}

impl MemoryCache {
    /// A cache holding up to `budget` bytes of entries.
    pub fn new(budget: u64) -> Self {
        MemoryCache {
            budget,
            inner: Mutex::new(Inner::default()),
        }
    }

    /// Bytes of entries held.
    pub fn used(&self) -> u64 {
        self.lock().used
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // a panic elsewhere leaves the map consistent: every update is one insert or remove
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl LayerCache for MemoryCache {
    fn get(&self, key: &CacheKey) -> Option<Vec<u8>> {
        let mut g = self.lock();
        g.clock += 1;
        let now = g.clock;
        let (bytes, used) = g.entries.get_mut(key)?;
        *used = now;
        Some(bytes.clone())
    }

    fn put(&self, key: &CacheKey, entry: &[u8]) {
        if entry.len() as u64 > self.budget {
            return;
        }
        let mut g = self.lock();
        g.clock += 1;
        let now = g.clock;
        if let Some((old, _)) = g.entries.insert(key.clone(), (entry.to_vec(), now)) {
            g.used -= old.len() as u64;
        }
        g.used += entry.len() as u64;
        while g.used > self.budget {
            let Some(oldest) = g
                .entries
                .iter()
                .min_by_key(|(_, (_, t))| *t)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            if let Some((b, _)) = g.entries.remove(&oldest) {
                g.used -= b.len() as u64;
            }
        }
    }

    fn invalid(&self, key: &CacheKey, _why: &str) {
        let mut g = self.lock();
        if let Some((b, _)) = g.entries.remove(key) {
            g.used -= b.len() as u64;
        }
    }
}
