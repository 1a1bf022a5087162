//! The file inventory (`Scanner::files`) against the real tools: every regular file's
//! SHA-256, SHA-1, size and mode against `sha256sum`, `sha1sum` and the file system over a copy of the image
//! unpacked with `tar` (whiteouts applied), and its dpkg owners against `dpkg-query -L` run
//! on that copy's own database.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use layer_walker::cache::MemoryCache;
use layer_walker::sbom_core::Ecosystem;
use layer_walker::{ImageRef, Inventory, Scanner, Scope};
use support::{sbom_images, testdata};

fn run(cmd: &mut Command) -> Vec<u8> {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn remove(p: &Path) {
    match std::fs::symlink_metadata(p) {
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(p).unwrap(),
        Ok(_) => std::fs::remove_file(p).unwrap(),
        Err(_) => {}
    }
}

/// Unpacks the `docker save` archive `archive` into `dir`/root the way an engine lays its
/// layers: each layer's whiteouts remove what lower layers wrote, then `tar` extracts it.
fn unpack(archive: &Path, dir: &Path) -> PathBuf {
    let outer = dir.join("archive");
    let root = dir.join("root");
    std::fs::create_dir_all(&outer).unwrap();
    std::fs::create_dir_all(&root).unwrap();
    run(Command::new("tar")
        .arg("-xf")
        .arg(archive)
        .arg("-C")
        .arg(&outer));
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(outer.join("manifest.json")).unwrap()).unwrap();
    for layer in manifest[0]["Layers"].as_array().unwrap() {
        let blob = outer.join(layer.as_str().unwrap());
        let listing = run(Command::new("tar").arg("-tf").arg(&blob));
        for entry in String::from_utf8_lossy(&listing).lines() {
            let entry = entry.trim_start_matches("./").trim_end_matches('/');
            let (parent, name) = entry.rsplit_once('/').unwrap_or(("", entry));
            if name == ".wh..wh..opq" {
                if let Ok(children) = std::fs::read_dir(root.join(parent)) {
                    for c in children {
                        remove(&c.unwrap().path());
                    }
                }
            } else if let Some(hidden) = name.strip_prefix(".wh.") {
                remove(&root.join(parent).join(hidden));
            }
        }
        run(Command::new("tar")
            .arg("-xf")
            .arg(&blob)
            .arg("-C")
            .arg(&root)
            .arg("--exclude=.wh.*"));
    }
    root
}

/// `path -> digest` of every regular file under `root`, by `tool` (`sha256sum`, `sha1sum`).
fn digests(tool: &str, root: &Path) -> BTreeMap<String, String> {
    let found = run(Command::new("find")
        .arg(root)
        .args(["-type", "f", "-print0"]));
    let mut sums = BTreeMap::new();
    for chunk in found
        .split(|b| *b == 0)
        .filter(|c| !c.is_empty())
        .collect::<Vec<_>>()
        .chunks(500)
    {
        let mut cmd = Command::new(tool);
        cmd.arg("-z");
        for p in chunk {
            cmd.arg(std::ffi::OsStr::from_bytes(p));
        }
        for line in run(&mut cmd).split(|b| *b == 0).filter(|l| !l.is_empty()) {
            let line = String::from_utf8_lossy(line);
            let (hash, path) = line.split_once("  ").unwrap();
            let rel = path.strip_prefix(root.to_str().unwrap()).unwrap();
            sums.insert(rel.to_string(), hash.to_string());
        }
    }
    sums
}

fn scan_files(archive: &Path, scope: Scope) -> Inventory {
    scan_files_with(archive, scope, true)
}

fn scan_files_with(archive: &Path, scope: Scope, sha1: bool) -> Inventory {
    Scanner::new()
        .files(true)
        .file_sha1(sha1)
        .scope(scope)
        .scan(&ImageRef::Path {
            kind: None,
            path: archive.to_path_buf(),
        })
        .unwrap_or_else(|e| panic!("scanning {}: {e}", archive.display()))
        .inventory
}

/// The inventory's files against the unpacked copy: the same paths, and for each the
/// SHA-256 and SHA-1 `sha256sum` and `sha1sum` give, the size and permission bits the file
/// system has. A scan with SHA-1 off gives the same inventory without the SHA-1s.
fn check_against_unpacked(archive: &Path) -> (Inventory, PathBuf, tempfile::TempDir) {
    let tmp = tempfile::tempdir().unwrap();
    let root = unpack(archive, tmp.path());
    let inv = scan_files(archive, Scope::Squashed);
    let sums = digests("sha256sum", &root);
    let ours: BTreeMap<&str, &str> = inv
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.sha256.as_str()))
        .collect();
    let theirs: BTreeMap<&str, &str> = sums.iter().map(|(p, h)| (p.as_str(), h.as_str())).collect();
    assert_eq!(ours.len(), inv.files.len(), "one entry per path");
    assert_eq!(ours, theirs, "{}", archive.display());
    for f in &inv.files {
        let m = std::fs::metadata(root.join(f.path.trim_start_matches('/'))).unwrap();
        assert_eq!(f.size, m.len(), "{}", f.path);
        assert_eq!(f.mode, m.permissions().mode() & 0o7777, "{}", f.path);
        assert_eq!(
            f.executable,
            m.permissions().mode() & 0o111 != 0,
            "{}",
            f.path
        );
        assert!(f.removed_in.is_none());
    }
    let sha1s = digests("sha1sum", &root);
    let ours: BTreeMap<&str, &str> = inv
        .files
        .iter()
        .map(|f| {
            (
                f.path.as_str(),
                f.sha1.as_deref().expect("SHA-1 is on by default"),
            )
        })
        .collect();
    let theirs: BTreeMap<&str, &str> = sha1s
        .iter()
        .map(|(p, h)| (p.as_str(), h.as_str()))
        .collect();
    assert_eq!(ours, theirs, "SHA-1 of {}", archive.display());
    let without = scan_files_with(archive, Scope::Squashed, false);
    let stripped: Vec<_> = inv
        .files
        .iter()
        .cloned()
        .map(|mut f| {
            f.sha1 = None;
            f
        })
        .collect();
    assert_eq!(without.files, stripped, "SHA-1 off changes nothing else");
    (inv, root, tmp)
}

/// The dpkg packages owning each regular file of the unpacked copy, by `dpkg-query -L` over
/// its own database, paths resolved through the copy's directory symlinks (merged /usr).
fn dpkg_owners(root: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let admin = root.join("var/lib/dpkg");
    let names = run(Command::new("dpkg-query")
        .arg(format!("--admindir={}", admin.display()))
        .args(["-W", "-f", "${Package}\n"]));
    let canon_root = root.canonicalize().unwrap();
    let mut owners: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for name in String::from_utf8(names).unwrap().lines() {
        let listed = run(Command::new("dpkg-query")
            .arg(format!("--admindir={}", admin.display()))
            .args(["-L", name]));
        for path in String::from_utf8_lossy(&listed)
            .lines()
            .filter(|l| l.starts_with('/'))
        {
            let at = root.join(path.trim_start_matches('/'));
            let (Some(parent), Some(file)) = (at.parent(), at.file_name()) else {
                continue;
            };
            let Ok(parent) = parent.canonicalize() else {
                continue;
            };
            let real = parent.join(file);
            let is_file = std::fs::symlink_metadata(&real).is_ok_and(|m| m.is_file());
            let Ok(rel) = real.strip_prefix(&canon_root) else {
                continue;
            };
            if is_file {
                owners
                    .entry(format!("/{}", rel.display()))
                    .or_default()
                    .insert(name.to_string());
            }
        }
    }
    owners
}

/// Every file's dpkg owners in the inventory are the packages whose `dpkg-query -L` lists
/// it, and a file no package lists has none.
fn check_dpkg_owners(inv: &Inventory, root: &Path) {
    let truth = dpkg_owners(root);
    assert!(truth.len() > 50, "dpkg lists files");
    let names: BTreeMap<&str, &str> = inv
        .packages
        .iter()
        .filter(|p| p.ecosystem == Ecosystem::Deb)
        .map(|p| (p.id.as_str(), p.name.as_str()))
        .collect();
    let mut owned = 0;
    for f in &inv.files {
        let ours: BTreeSet<String> = f
            .owners
            .iter()
            .filter_map(|o| names.get(o.as_str()))
            .map(|n| n.to_string())
            .collect();
        let want = truth.get(&f.path).cloned().unwrap_or_default();
        assert_eq!(ours, want, "owners of {}", f.path);
        owned += usize::from(!ours.is_empty());
    }
    assert!(
        owned * 2 > inv.files.len(),
        "most files are dpkg's: {owned}"
    );
    // what nobody owns is told apart: dpkg's own maintainer scripts are executables no
    // package lists
    assert!(inv.files.iter().any(|f| f.unowned_executable()));
}

#[test]
fn tiny_debian_files_match_sha256sum_and_dpkg() {
    let archive = testdata().join("images/tiny-debian.docker.tar.gz");
    let (inv, root, _tmp) = check_against_unpacked(&archive);
    check_dpkg_owners(&inv, &root);
    // the last layer purged sensible-utils: with all-layers its files are listed too, with
    // the layer that removed them; the final image's are the squashed list
    let all = scan_files(&archive, Scope::AllLayers);
    let gone: Vec<_> = all
        .files
        .iter()
        .filter(|f| f.path.starts_with("/usr/bin/sensible-"))
        .collect();
    assert!(
        !gone.is_empty() && gone.iter().all(|f| f.removed_in == Some(2)),
        "{gone:?}"
    );
    let mut still: Vec<_> = all
        .files
        .iter()
        .filter(|f| f.in_final_image())
        .cloned()
        .collect();
    still.sort();
    assert_eq!(still, inv.files);
}

#[test]
fn debian_small_files_match_sha256sum_and_dpkg() {
    let Some(dir) = sbom_images() else { return };
    let (inv, root, _tmp) = check_against_unpacked(&dir.join("debian-small.docker.tar"));
    check_dpkg_owners(&inv, &root);
}

#[test]
fn every_archive_form_gives_the_same_files() {
    let oci = ImageRef::Path {
        kind: None,
        path: testdata().join("images/tiny-debian.oci"),
    };
    let zstd = ImageRef::Path {
        kind: None,
        path: testdata().join("images/tiny-debian.oci-zstd.tar"),
    };
    let docker = scan_files(
        &testdata().join("images/tiny-debian.docker.tar.gz"),
        Scope::Squashed,
    );
    for r in [oci, zstd] {
        let inv = Scanner::new().files(true).scan(&r).unwrap().inventory;
        assert_eq!(inv.files, docker.files);
    }
}

#[test]
fn without_the_option_there_are_no_files_and_a_file_scan_bypasses_the_cache() {
    let image = ImageRef::Path {
        kind: None,
        path: testdata().join("images/tiny-debian.oci"),
    };
    let cache = std::sync::Arc::new(MemoryCache::new(1 << 30));
    let plain = Scanner::new().cache(cache.clone());
    assert!(plain.scan(&image).unwrap().inventory.files.is_empty());
    // the plain scan filled the cache; a file scan neither takes its entries (they hold no
    // digests) nor adds its own
    let files = Scanner::new().cache(cache.clone()).files(true);
    let scan = files.scan(&image).unwrap();
    assert!(scan.cached.iter().all(|c| !c));
    assert!(!scan.inventory.files.is_empty());
    let warm = plain.scan(&image).unwrap();
    assert!(warm.cached.iter().all(|c| *c));
    assert!(warm.inventory.files.is_empty());
}
