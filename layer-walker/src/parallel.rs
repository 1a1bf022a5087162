//! Layers analysed in parallel: each distinct blob once, on at most
//! [`crate::Limits::max_parallel_layers`] threads, results in image order.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::cache::entry::{self, Unusable};
use crate::cache::CacheKey;
use crate::error::Result;
use crate::image::ImagePlan;
use crate::scan::{Progress, ScanCtx};
use crate::source::ImageSource;
use crate::walk::layer::LayerAnalysis;

/// Analyses every layer of `plan` through `source`, or takes its analysis from the scan's
/// layer cache; the second vector says which came from the cache. A blob the plan lists
/// more than once (identical layers) is read once and its analysis given to each place it
/// takes. The first error in layer order is returned, as a sequential walk would report it.
pub(crate) fn analyse_layers(
    source: &dyn ImageSource,
    plan: &ImagePlan,
    ctx: &ScanCtx,
) -> Result<(Vec<LayerAnalysis>, Vec<bool>)> {
    let n = plan.layers.len();
    let keys: Vec<_> = (0..n).map(|i| source.blob_key(plan, i)).collect();
    let mut first: HashMap<&str, usize> = HashMap::new();
    let slot: Vec<usize> = (0..n)
        .map(|i| *first.entry(keys[i].as_ref()).or_insert(i))
        .collect();
    let mut distinct: Vec<usize> = (0..n).filter(|&i| slot[i] == i).collect();
    // Biggest blob first: the scan lasts at least as long as its biggest layer, so that one
    // must not start late, after small ones have taken the cores. Unknown sizes go last,
    // in plan order.
    let sizes: Vec<Option<u64>> = (0..n).map(|i| source.blob_size(plan, i)).collect();
    distinct.sort_by_key(|&i| std::cmp::Reverse(sizes[i]));
    let results = run(&distinct, ctx.limits.max_parallel_layers, |i| {
        let a = match from_cache(source, plan, i, ctx) {
            Some(a) => {
                ctx.emit(Progress::Bytes {
                    layer: Some(i),
                    bytes: plan.layers[i].size.unwrap_or(0),
                });
                Ok((a, true))
            }
            None => source.layer(plan, i, ctx).map(|a| (a, false)),
        };
        for (j, _) in slot.iter().enumerate().filter(|(_, s)| **s == i) {
            ctx.emit(Progress::LayerDone { layer: j });
        }
        a
    });
    let mut by_first: HashMap<usize, (LayerAnalysis, bool)> = HashMap::new();
    for (i, r) in results {
        by_first.insert(i, r?);
    }
    let mut out = Vec::with_capacity(n);
    let mut cached = Vec::with_capacity(n);
    for (j, s) in slot.iter().enumerate() {
        let a = if slot[j + 1..].contains(s) {
            by_first[s].clone()
        } else {
            by_first
                .remove(s)
                .expect("every distinct layer was analysed")
        };
        out.push(a.0);
        cached.push(a.1);
    }
    Ok((out, cached))
}

/// Layer `i`'s analysis from the scan's cache, if it has one for this layer's diff_id made
/// from a blob like this one (same digest where the plan names one, same size). An entry
/// that cannot be used is dropped from the cache, with a warning, and the layer read.
fn from_cache(
    source: &dyn ImageSource,
    plan: &ImagePlan,
    i: usize,
    ctx: &ScanCtx,
) -> Option<LayerAnalysis> {
    let (cache, key) = ctx.cache?;
    let l = &plan.layers[i];
    let diff_id = l.diff_id.as_ref()?;
    if !source.cacheable() {
        return None;
    }
    let k = CacheKey {
        diff_id: diff_id.clone(),
        scan: key.to_string(),
    };
    let bytes = cache.get(&k)?;
    let (a, blob) = match entry::decode(&bytes, key, diff_id, ctx.detectors, ctx.retained) {
        Ok(found) => found,
        Err(Unusable::Budget) => return None, // the walk will meet the same bound and say so
        Err(Unusable::Bad(why)) => {
            tracing::warn!(
                layer = i,
                %diff_id,
                "layer cache entry unusable ({why}): dropped, the layer is read again"
            );
            cache.invalid(&k, &why);
            return None;
        }
    };
    // same content, but maybe another blob of it (recompressed): its digest, size and
    // compression would be reported wrong, so read this one
    let size = source.blob_size(plan, i);
    let same_digest = match (&l.digest, &blob.digest) {
        (Some(want), Some(had)) => want == had,
        (Some(_), None) => false,
        // no digest to compare: an uncompressed blob is its own diff_id
        (None, had) => had.as_ref() == Some(diff_id) || size.is_some(),
    };
    if !same_digest || size.is_some_and(|s| s != blob.size) {
        tracing::debug!(layer = i, %diff_id, "cached analysis is of another blob of this layer");
        return None;
    }
    tracing::debug!(layer = i, %diff_id, blob = %l.blob, "layer taken from the cache; its blob is not read");
    Some(a)
}

/// Runs `f` on every item, on up to `max_workers` threads (never more than the cores or the
/// items), and returns `(item, result)` sorted by item.
///
/// Each layer in flight may hold a zstd window (up to 128 MiB) and a claimed file, so the
/// scan's memory grows with how many run at once, not with the machine's cores. Scoped
/// workers take the next item as they finish one, and are joined before this returns: a
/// pool's threads would outlive the scan (LeakSanitizer flagged exactly that in the fuzzers).
fn run<T: Send>(
    items: &[usize],
    max_workers: usize,
    f: impl Fn(usize) -> T + Sync,
) -> Vec<(usize, T)> {
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(max_workers.max(1))
        .min(items.len().max(1));
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let k = next.fetch_add(1, Ordering::Relaxed);
            let Some(&i) = items.get(k) else { break };
            done.push((i, f(i)));
        }
        done
    };
    let mut all = std::thread::scope(|scope| {
        // a worker that cannot be started leaves its share to the others
        let helpers: Vec<_> = (1..workers)
            .filter_map(|_| std::thread::Builder::new().spawn_scoped(scope, work).ok())
            .collect();
        let mut all = work();
        for h in helpers {
            match h.join() {
                Ok(mut r) => all.append(&mut r),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        all
    });
    all.sort_by_key(|(i, _)| *i);
    all
}
