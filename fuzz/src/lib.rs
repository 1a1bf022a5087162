//! Shared harness code for the fuzz targets: every parser is reached through the same public
//! paths the scanner uses (`FsView::from_files` then `collect`, or a whole `Scanner::scan`).

use std::path::Path;
use std::sync::Arc;

use layer_walker::detect::{default_detectors, CollectContext, Detector, Findings};
use layer_walker::walk::view::FsView;
use layer_walker::{ImageRef, Limits, Scanner};
use sha2::{Digest, Sha256};

/// Limits small enough that a decompression bomb ends in milliseconds, not minutes.
pub fn fuzz_limits() -> Limits {
    {
        let mut l = Limits::default();
        l.max_layer_bytes = 64 << 20;
        l.max_archive_bytes = 64 << 20;
        l.max_entries = 100_000;
        l.max_claimed_file = 16 << 20;
        l.max_retained_bytes = 16 << 20;
        l.max_layers = 64;
        l.max_parallel_layers = 2;
        l
    }
}

/// Offers `body` at `path` to every default detector as one layer, then collects with every
/// detector, in full detail and per-layer detail. Returns the packages reported.
pub fn view_collect(path: &str, body: &[u8]) -> usize {
    let detectors: Vec<Arc<dyn Detector>> = default_detectors();
    let view = FsView::from_files(&detectors, &[(path, body)], &[]);
    let mut n = 0;
    for full_detail in [true, false] {
        let mut out = Findings::default();
        for d in &detectors {
            d.collect(&view, CollectContext { full_detail }, &mut out);
        }
        n = n.max(out.packages.len());
    }
    n
}

/// Like [`view_collect`], and checks the package count is bounded by the input size (no
/// parser may invent packages out of nothing). For parsers without decompression.
pub fn view_collect_bounded(path: &str, body: &[u8]) {
    let n = view_collect(path, body);
    assert!(
        n <= body.len(),
        "{n} packages from {} bytes at {path}",
        body.len()
    );
}

/// `body` prefixed with `magic` unless it already starts with it, so claims with a magic
/// number (ELF, zip) see every input.
pub fn with_magic(magic: &[u8], body: &[u8]) -> Vec<u8> {
    if body.starts_with(magic) {
        body.to_vec()
    } else {
        [magic, body].concat()
    }
}

/// PE and Mach-O inputs: the first byte picks the format (each magic the claim accepts), the
/// rest is the file; a `.exe` path, so the claim by name is exercised too.
pub fn exe_pe_macho(data: &[u8]) {
    const MAGICS: [&[u8]; 4] = [
        b"MZ",
        b"\xcf\xfa\xed\xfe",
        b"\xce\xfa\xed\xfe",
        b"\xca\xfe\xba\xbe",
    ];
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let magic = MAGICS[usize::from(pick) % MAGICS.len()];
    view_collect_bounded("/app/tool.exe", &with_magic(magic, rest));
}

fn scanner() -> Scanner {
    Scanner::new().limits(fuzz_limits())
}

/// Scans `bytes` as an image archive file (docker-archive, OCI archive, compressed or not).
pub fn scan_archive(bytes: &[u8]) {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("image.tar");
    std::fs::write(&p, bytes).expect("write");
    let _ = scanner().scan(&ImageRef::Path {
        kind: None,
        path: p,
    });
}

fn sha256(b: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(b))
}

/// Writes a one-layer OCI layout whose only layer is `tar` (uncompressed), every digest right.
pub fn write_one_layer_oci(dir: &Path, tar: &[u8]) {
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).expect("mkdir");
    let put = |b: &[u8]| {
        let d = sha256(b);
        std::fs::write(blobs.join(&d[7..]), b).expect("write blob");
        d
    };
    let layer_digest = put(tar);
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [layer_digest]},
        "history": [{"created_by": "fuzz"}],
    }))
    .expect("json");
    let cd = put(&config);
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer_digest, "size": tar.len()}],
    }))
    .expect("json");
    let md = put(&manifest);
    let index = serde_json::json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": manifest.len()}]});
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).expect("write");
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&index).expect("json"))
        .expect("write");
}

/// Walks `tar` as the single layer of an image, with every detector.
pub fn scan_layer(tar: &[u8]) {
    let dir = tempfile::tempdir().expect("tempdir");
    write_one_layer_oci(dir.path(), tar);
    let _ = scanner().scan(&ImageRef::parse(&format!("oci-dir:{}", dir.path().display())).unwrap());
}

/// Wraps `blob` as the only header blob of an NDB `Packages.db`, so the rpm header parser
/// sees arbitrary bytes.
pub fn ndb_with_blob(blob: &[u8]) -> Vec<u8> {
    const PAGE: usize = 4096;
    let mut f = vec![0u8; PAGE];
    f[..4].copy_from_slice(b"RpmP");
    f[4..8].copy_from_slice(&0u32.to_le_bytes()); // version
    f[8..12].copy_from_slice(&1u32.to_le_bytes()); // generation
    f[12..16].copy_from_slice(&1u32.to_le_bytes()); // slot pages
    let blocks = (16 + blob.len()).div_ceil(16);
    f[32..36].copy_from_slice(b"Slot");
    f[36..40].copy_from_slice(&1u32.to_le_bytes()); // package index
    f[40..44].copy_from_slice(&((PAGE / 16) as u32).to_le_bytes()); // block offset
    f[44..48].copy_from_slice(&(blocks as u32).to_le_bytes());
    f.extend_from_slice(b"BlbS");
    f.extend_from_slice(&1u32.to_le_bytes());
    f.extend_from_slice(&1u32.to_le_bytes());
    f.extend_from_slice(&(blob.len() as u32).to_le_bytes());
    f.extend_from_slice(blob);
    f.resize(PAGE + blocks * 16, 0);
    f
}
