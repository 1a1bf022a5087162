//! What a scan keeps of the tar headers it reads, counted against one budget.
//!
//! Regular files are kept only when a detector claims them, and those are capped one by one.
//! Everything else a scan keeps comes from headers: the paths of directories, links,
//! whiteouts and replaced files of every layer (the view needs them to lay the layers over
//! each other), and the small members and links of an archive read as a stream. Headers
//! compress to almost nothing, so a few megabytes of layer can name gigabytes of paths; this
//! counts those bytes across all layers of a scan, which the walk threads share.

use std::sync::atomic::{AtomicU64, Ordering};

/// A rough per-item overhead (map or vector slot, string header), so that a flood of empty
/// names is counted too.
pub(crate) const ITEM_OVERHEAD: u64 = 64;

/// The bytes kept so far by one scan, and how many it may keep.
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

    /// Counts one kept item of `bytes` bytes; `Err(limit)` once the scan has kept more than
    /// its limit.
    pub(crate) fn keep(&self, bytes: usize) -> Result<(), u64> {
        let n = bytes as u64 + ITEM_OVERHEAD;
        let before = self.used.fetch_add(n, Ordering::Relaxed);
        if before.saturating_add(n) > self.limit {
            Err(self.limit)
        } else {
            Ok(())
        }
    }
}

/// What the budget is called in errors.
pub(crate) const WHAT: &str =
    "the tar metadata kept for the scan (paths of directories, links and whiteouts, small archive members)";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_items_with_their_overhead_until_the_limit() {
        let r = Retained::new(2 * ITEM_OVERHEAD + 10);
        assert!(r.keep(10).is_ok());
        assert!(r.keep(0).is_ok());
        assert_eq!(r.keep(0), Err(2 * ITEM_OVERHEAD + 10));
    }
}
