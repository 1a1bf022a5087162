//! Build script: a fingerprint of this crate's and sbom-core's sources, for the layer cache.
//!
//! A cached layer analysis is only valid for the code that made it: the detectors' parsed
//! forms change whenever a parser does, and nobody remembers to bump a version for that. So
//! the cache key includes a hash of every source file the parsers are built from; any edit
//! makes a new key and the old entries age out of the cache.

use std::hash::Hasher;
use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

fn main() {
    let here = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let mut all = Vec::new();
    // sbom-core is beside us in the workspace; a published crate has only its own sources
    // (and then the crate versions in the key tell releases apart)
    for dir in [here.join("src"), here.join("../sbom-core/src")] {
        println!("cargo:rerun-if-changed={}", dir.display());
        files(&dir, &mut all);
    }
    all.sort();
    // FNV-1a: stable across Rust versions, unlike std's DefaultHasher; not a security hash,
    // only a change detector (the key's other parts are hashed with SHA-256 at run time)
    let mut h = Fnv(0xcbf2_9ce4_8422_2325);
    for p in &all {
        h.write(
            p.strip_prefix(&here)
                .unwrap_or(p)
                .to_string_lossy()
                .as_bytes(),
        );
        h.write(&std::fs::read(p).unwrap_or_default());
    }
    println!(
        "cargo:rustc-env=LAYER_WALKER_SOURCE_HASH={:016x}",
        h.finish()
    );
}

struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= *b as u64;
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}
