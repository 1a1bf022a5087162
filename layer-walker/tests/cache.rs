//! The layer cache: a warm scan takes every layer from the cache and writes the same
//! documents as a cold one; damaged entries are dropped and rebuilt; the bound evicts the
//! least recently used; a blob other than the one an entry was made from is read.

mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use layer_walker::cache::{DiskCache, LayerCache, MemoryCache};
use layer_walker::format::{writer_for, WriteOptions};
use layer_walker::{ImageRef, Scan, Scanner, Scope};
use support::{sbom_images, testdata};

fn image(path: &Path) -> ImageRef {
    ImageRef::Path {
        kind: None,
        path: path.to_path_buf(),
    }
}

fn scan(scanner: &Scanner, path: &Path) -> Scan {
    scanner
        .scan(&image(path))
        .unwrap_or_else(|e| panic!("scanning {}: {e}", path.display()))
}

/// The documents a user gets, with a fixed time: what must not change with the cache.
fn documents(s: &Scan) -> Vec<u8> {
    let mut out = Vec::new();
    for f in ["json", "spdx-json", "cyclonedx-json"] {
        writer_for(f)
            .unwrap()
            .write(&s.inventory, &WriteOptions::fixed(0), &mut out)
            .unwrap();
    }
    out
}

fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for shard in std::fs::read_dir(dir.join("layers-v1")).unwrap() {
        for f in std::fs::read_dir(shard.unwrap().path()).unwrap() {
            out.push(f.unwrap().path());
        }
    }
    out.sort();
    out
}

/// Cold, then warm: every layer from the cache, and byte-identical documents.
fn warm_equals_cold(path: &Path) {
    let dir = tempfile::tempdir().unwrap();
    let cache = Arc::new(DiskCache::open(dir.path()).unwrap());
    let plain = scan(&Scanner::new().scope(Scope::AllLayers), path);
    let scanner = Scanner::new().scope(Scope::AllLayers).cache(cache.clone());
    let cold = scan(&scanner, path);
    assert!(
        cold.cached.iter().all(|c| !c),
        "{}: cold scan hit",
        path.display()
    );
    let distinct: std::collections::HashSet<_> =
        cold.layers.iter().map(|a| a.diff_id.clone()).collect();
    assert_eq!(
        cache.stats().unwrap().entries,
        distinct.len() as u64,
        "{}: one entry per distinct layer",
        path.display()
    );
    let warm = scan(&scanner, path);
    assert!(
        warm.cached.iter().all(|c| *c),
        "{}: warm scan read layers {:?}",
        path.display(),
        warm.cached
    );
    assert_eq!(documents(&plain), documents(&cold), "{}", path.display());
    assert_eq!(documents(&cold), documents(&warm), "{}", path.display());
}

#[test]
fn warm_scans_of_the_fixture_images_equal_cold_ones() {
    for name in [
        "tiny-debian.oci",
        "tiny-debian.docker.tar.gz",
        "tiny-debian.oci-zstd.tar",
        "whiteout-3layers-docker-save.tar",
        "alpine-3.10-docker-save.tar.gz",
    ] {
        let path = testdata().join("images").join(name);
        if name.ends_with(".tar.gz") {
            // a gzip-wrapped archive is a stream: nothing is cached, and nothing breaks
            let dir = tempfile::tempdir().unwrap();
            let cache = Arc::new(DiskCache::open(dir.path()).unwrap());
            let s = scan(&Scanner::new().cache(cache.clone()), &path);
            assert!(s.cached.iter().all(|c| !c));
            assert_eq!(cache.stats().unwrap().entries, 0, "{name}");
            continue;
        }
        warm_equals_cold(&path);
    }
}

#[test]
fn warm_scans_of_the_real_images_equal_cold_ones() {
    let Some(images) = sbom_images() else { return };
    for name in [
        "debian-small.docker.tar",
        "debian-small.oci.tar",
        "debian-small.oci-zstd.tar",
        "rpm-sqlite.docker.tar",
        "rpm-bdb.docker.tar",
    ] {
        warm_equals_cold(&images.join(name));
    }
}

#[test]
fn a_damaged_entry_is_dropped_and_rebuilt() {
    let path = testdata().join("images/tiny-debian.oci");
    let dir = tempfile::tempdir().unwrap();
    let cache = Arc::new(DiskCache::open(dir.path()).unwrap());
    let scanner = Scanner::new().cache(cache.clone());
    let cold = scan(&scanner, &path);
    let files = entries(dir.path());
    assert!(files.len() >= 2);
    // one flipped byte in the middle of one entry, another entry cut short
    let mut bytes = std::fs::read(&files[0]).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x40;
    std::fs::write(&files[0], &bytes).unwrap();
    let cut = std::fs::read(&files[1]).unwrap();
    std::fs::write(&files[1], &cut[..cut.len() / 3]).unwrap();
    let warm = scan(&scanner, &path);
    assert_eq!(
        warm.cached.iter().filter(|c| !**c).count(),
        2,
        "the two damaged layers are read again"
    );
    assert_eq!(documents(&cold), documents(&warm));
    // and stored again, whole: the next scan takes everything from the cache
    let again = scan(&scanner, &path);
    assert!(again.cached.iter().all(|c| *c));
    assert_eq!(documents(&cold), documents(&again));
    // garbage where an entry was: the same
    std::fs::write(&files[0], b"not an entry").unwrap();
    let garbage = scan(&scanner, &path);
    assert_eq!(garbage.cached.iter().filter(|c| !**c).count(), 1);
    assert_eq!(documents(&cold), documents(&garbage));
}

#[test]
fn another_blob_of_the_same_layer_is_read_not_taken() {
    // the same layers gzip'd (OCI) and zstd'd: the entries made from one are not used for
    // the other, whose digests and sizes the documents report
    let dir = tempfile::tempdir().unwrap();
    let cache = Arc::new(DiskCache::open(dir.path()).unwrap());
    let scanner = Scanner::new().cache(cache.clone());
    let gz = testdata().join("images/tiny-debian.oci");
    let zst = testdata().join("images/tiny-debian.oci-zstd.tar");
    let plain_zst = scan(&Scanner::new(), &zst);
    scan(&scanner, &gz);
    let cross = scan(&scanner, &zst);
    assert!(cross.cached.iter().all(|c| !c), "{:?}", cross.cached);
    assert_eq!(documents(&plain_zst), documents(&cross));
}

#[test]
fn layers_of_a_detector_without_a_codec_are_not_cached() {
    use support::{docker_archive, layer, E};
    // a layer the test detector claims a file in, and one it does not
    let claimed = layer(&[E::Dir("pkgs"), E::File("pkgs/a", b"left-pad 1.0.0")]);
    let other = layer(&[E::File("etc/motd", b"hello")]);
    let tar = docker_archive(&[claimed, other]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("image.tar");
    std::fs::write(&path, tar).unwrap();
    let cache_dir = dir.path().join("cache");
    let cache = Arc::new(DiskCache::open(&cache_dir).unwrap());
    let scanner = support::pkg_scanner().cache(cache.clone());
    let cold = scan(&scanner, &path);
    assert_eq!(cold.inventory.packages.len(), 1);
    assert_eq!(
        cache.stats().unwrap().entries,
        1,
        "only the unclaimed layer"
    );
    let warm = scan(&scanner, &path);
    assert_eq!(warm.cached, vec![false, true]);
    assert_eq!(documents(&cold), documents(&warm));
}

#[test]
fn the_size_bound_evicts_the_least_recently_used() {
    let dir = tempfile::tempdir().unwrap();
    let cache = DiskCache::open(dir.path()).unwrap();
    scan(
        &Scanner::new().cache(Arc::new(DiskCache::open(dir.path()).unwrap())),
        &testdata().join("images/whiteout-3layers-docker-save.tar"),
    );
    let files = entries(dir.path());
    assert_eq!(files.len(), 3);
    // ages: files[0] oldest, files[2] newest
    let now = std::time::SystemTime::now();
    for (i, f) in files.iter().enumerate() {
        let age = std::time::Duration::from_secs(3600 * (3 - i as u64));
        std::fs::File::options()
            .write(true)
            .open(f)
            .unwrap()
            .set_modified(now - age)
            .unwrap();
    }
    let sizes: Vec<u64> = files
        .iter()
        .map(|f| std::fs::metadata(f).unwrap().len())
        .collect();
    // room for the two newest only
    let pruned = cache.prune(sizes[1] + sizes[2]).unwrap();
    assert_eq!(pruned.removed, 1);
    assert_eq!(pruned.freed, sizes[0]);
    assert!(!files[0].exists() && files[1].exists() && files[2].exists());
    assert_eq!(pruned.left.entries, 2);
    // a bounded cache evicts by itself at the end of a scan that stored entries
    let bounded = Arc::new(DiskCache::open(dir.path()).unwrap().max_size(sizes[2]));
    let s = scan(
        &Scanner::new().cache(bounded.clone()),
        &testdata().join("images/whiteout-3layers-docker-save.tar"),
    );
    // the pruned entry's layer is read again, the two others taken
    assert_eq!(
        s.cached.iter().filter(|c| !**c).count(),
        1,
        "{:?}",
        s.cached
    );
    assert!(bounded.stats().unwrap().bytes <= sizes[2]);
    assert_eq!(cache.prune(0).unwrap().left.entries, 0);
}

#[test]
fn a_memory_cache_is_shared_by_scans_within_its_budget() {
    let mem = Arc::new(MemoryCache::new(64 << 20));
    let scanner = Scanner::new().cache(mem.clone());
    let path = testdata().join("images/tiny-debian.oci");
    let cold = scan(&scanner, &path);
    let warm = scan(&scanner, &path);
    assert!(warm.cached.iter().all(|c| *c));
    assert_eq!(documents(&cold), documents(&warm));
    assert!(mem.used() > 0);
    // a budget smaller than any entry holds nothing, and changes nothing
    let tiny = Arc::new(MemoryCache::new(16));
    let s = scan(&Scanner::new().cache(tiny.clone()), &path);
    let s2 = scan(&Scanner::new().cache(tiny.clone()), &path);
    assert!(s2.cached.iter().all(|c| !c));
    assert_eq!(tiny.used(), 0);
    assert_eq!(documents(&s), documents(&s2));
}

#[test]
fn a_read_only_cache_is_used_but_not_written() {
    use std::os::unix::fs::PermissionsExt;
    if nix_is_root() {
        eprintln!("SKIP: running as root, permissions do not stop writes");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = testdata().join("images/tiny-debian.oci");
    scan(
        &Scanner::new().cache(Arc::new(DiskCache::open(dir.path()).unwrap())),
        &path,
    );
    for d in [dir.path().join("layers-v1"), dir.path().join("tmp")] {
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o555)).unwrap();
    }
    let ro = Arc::new(DiskCache::open(dir.path()).unwrap());
    let s = scan(&Scanner::new().cache(ro as Arc<dyn LayerCache>), &path);
    assert!(s.cached.iter().all(|c| *c));
}

fn nix_is_root() -> bool {
    std::fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
        .unwrap_or(false)
}
