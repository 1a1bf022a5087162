//! Micro-benchmarks of the pieces of a scan, each through public API:
//! blob decode + hash (gzip, zstd, plain) via `Scanner` on a generated OCI layout, raw tar
//! entry iteration, every package-database parser on the `testdata/` fixtures, and every
//! writer on a 1000-package inventory. Run with `cargo bench -p sbom-benches --bench hotpaths`.

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use divan::counter::BytesCount;
use divan::Bencher;
use layer_walker::detect::{default_detectors, CollectContext, Detector, Findings};
use layer_walker::walk::view::FsView;
use layer_walker::{ImageRef, Scanner};
use sbom_core::format::{writer_for, WriteOptions};
use sbom_core::{Ecosystem, Inventory, Package};
use sha2::{Digest, Sha256};

fn main() {
    divan::main();
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

// ---------- synthetic layer ----------

/// A deterministic ~24 MiB tar: 4000 files of 0..12 KiB with semi-compressible bodies,
/// in 40 directories, plus a dpkg status so the scan has something to parse.
fn synthetic_tar() -> &'static [u8] {
    static TAR: OnceLock<Vec<u8>> = OnceLock::new();
    TAR.get_or_init(|| {
        let mut b = tar::Builder::new(Vec::new());
        let status =
            std::fs::read(repo().join("testdata/dpkg/ubuntu-18.04/var/lib/dpkg/status")).unwrap();
        let mut add = |name: &str, data: &[u8]| {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_mtime(0);
            h.set_entry_type(tar::EntryType::Regular);
            b.append_data(&mut h, name, data).unwrap();
        };
        add("var/lib/dpkg/status", &status);
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for i in 0..4000u64 {
            let len = (i * 7919) % 12288;
            let mut body = Vec::with_capacity(len as usize);
            while body.len() < len as usize {
                // half text, half noise: compresses about like binaries do
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                if (body.len() / 64) % 2 == 0 {
                    body.extend_from_slice(b"the quick brown fox jumps over the lazy dog. ");
                } else {
                    body.extend_from_slice(&x.to_le_bytes());
                }
            }
            body.truncate(len as usize);
            add(&format!("usr/share/bench/d{:02}/f{i:05}", i % 40), &body);
        }
        b.into_inner().unwrap()
    })
}

fn sha(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Writes an OCI layout holding one layer (`plain` compressed as asked) and returns its dir.
fn oci_layout(compression: &str) -> PathBuf {
    let plain = synthetic_tar();
    let (blob, media) = match compression {
        "gzip" => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
            e.write_all(plain).unwrap();
            (
                e.finish().unwrap(),
                "application/vnd.oci.image.layer.v1.tar+gzip",
            )
        }
        "zstd" => (
            zstd::encode_all(plain, 3).unwrap(),
            "application/vnd.oci.image.layer.v1.tar+zstd",
        ),
        _ => (plain.to_vec(), "application/vnd.oci.image.layer.v1.tar"),
    };
    let dir = std::env::temp_dir().join(format!(
        "sbom-bench-oci-{compression}-{}",
        std::process::id()
    ));
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let put = |data: &[u8]| -> String {
        let d = sha(data);
        std::fs::write(blobs.join(&d), data).unwrap();
        d
    };
    let layer = put(&blob);
    let config = format!(
        r#"{{"architecture":"amd64","os":"linux","rootfs":{{"type":"layers","diff_ids":["sha256:{}"]}},"config":{{}}}}"#,
        sha(plain)
    );
    let config_d = put(config.as_bytes());
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:{config_d}","size":{}}},"layers":[{{"mediaType":"{media}","digest":"sha256:{layer}","size":{}}}]}}"#,
        config.len(),
        blob.len()
    );
    let manifest_d = put(manifest.as_bytes());
    std::fs::write(
        dir.join("index.json"),
        format!(
            r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:{manifest_d}","size":{}}}]}}"#,
            manifest.len()
        ),
    )
    .unwrap();
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    dir
}

/// Decode + hash both digests + tar walk + detectors for one layer, via the public Scanner.
#[divan::bench(args = ["gzip", "zstd", "none"], sample_count = 10)]
fn scan_one_layer(bencher: Bencher, compression: &str) {
    let dir = oci_layout(compression);
    let image = ImageRef::Path {
        kind: None,
        path: dir.clone(),
    };
    let scanner = Scanner::new();
    bencher
        .counter(BytesCount::new(synthetic_tar().len()))
        .bench(|| scanner.scan(&image).expect("scan").inventory.packages.len());
    let _ = std::fs::remove_dir_all(dir);
}

/// The tar crate's per-entry cost: list every entry of the synthetic layer, reading no bodies.
#[divan::bench(sample_count = 20)]
fn tar_entries(bencher: Bencher) {
    let plain = synthetic_tar();
    bencher.counter(BytesCount::new(plain.len())).bench(|| {
        let mut a = tar::Archive::new(plain);
        let mut n = 0usize;
        for e in a.entries().unwrap() {
            let e = e.unwrap();
            n += e.path_bytes().len();
        }
        n
    });
}

// ---------- database parsers ----------

/// (bench name, path inside the image, fixture file)
const DBS: &[(&str, &str, &str)] = &[
    (
        "dpkg-ubuntu-18.04",
        "/var/lib/dpkg/status",
        "testdata/dpkg/ubuntu-18.04/var/lib/dpkg/status",
    ),
    (
        "apk-alpine-3.21",
        "/lib/apk/db/installed",
        "testdata/apk/alpine-3.21-39pkgs/lib/apk/db/installed",
    ),
    (
        "rpm-sqlite-cbl-mariner-2.0",
        "/var/lib/rpm/rpmdb.sqlite",
        "testdata/rpm/sqlite-cbl-mariner-2.0/rpmdb.sqlite",
    ),
    (
        "rpm-bdb-libuuid-el8",
        "/var/lib/rpm/Packages",
        "testdata/rpm/bdb-libuuid-el8/Packages",
    ),
    (
        "rpm-ndb-sle15",
        "/usr/lib/sysimage/rpm/Packages.db",
        "testdata/rpm/ndb-sle15-bci-minimal-15.3/Packages.db",
    ),
];

/// parse (claim + read + parse, as in a layer walk) and collect, for one database file.
#[divan::bench(args = ["dpkg-ubuntu-18.04", "apk-alpine-3.21", "rpm-sqlite-cbl-mariner-2.0", "rpm-bdb-libuuid-el8", "rpm-ndb-sle15"], sample_count = 20)]
fn parse_db(bencher: Bencher, name: &str) {
    let (_, path, file) = DBS.iter().find(|d| d.0 == name).unwrap();
    let body = std::fs::read(repo().join(file)).unwrap();
    let detectors: Vec<Arc<dyn Detector>> = default_detectors();
    let found = {
        let view = FsView::from_files(&detectors, &[(path, &body)], &[]);
        collect_all(&detectors, &view)
    };
    assert!(found > 0, "{name}: no packages found");
    bencher.counter(BytesCount::new(body.len())).bench(|| {
        let view = FsView::from_files(&detectors, &[(path, &body)], &[]);
        collect_all(&detectors, &view)
    });
}

fn collect_all(detectors: &[Arc<dyn Detector>], view: &FsView) -> usize {
    let mut out = Findings::default();
    for d in detectors {
        d.collect(view, CollectContext { full_detail: true }, &mut out);
    }
    out.packages.len()
}

// ---------- writers ----------

fn inventory_1000() -> &'static Inventory {
    static INV: OnceLock<Inventory> = OnceLock::new();
    INV.get_or_init(|| {
        let image = ImageRef::Path {
            kind: None,
            path: repo().join("testdata/images/tiny-debian.docker.tar.gz"),
        };
        let mut inv = Scanner::new().scan(&image).expect("scan").inventory;
        inv.packages = (0..1000)
            .map(|i| {
                let mut p = Package::new(
                    Ecosystem::Deb,
                    format!("package-{i:04}"),
                    format!("1.{i}-{}", i % 7),
                );
                p.arch = Some("amd64".into());
                p.licenses_declared = vec!["GPL-2.0-or-later".into(), "MIT".into()];
                p.supplier = Some("Debian".into());
                p.description = Some(format!("benchmark package number {i}"));
                p.installed_size = Some(1024 + i as u64);
                p
            })
            .collect();
        inv.relationships.clear();
        inv.finalize();
        inv
    })
}

#[divan::bench(args = ["cyclonedx-json", "cyclonedx-json@1.5", "spdx-json", "spdx-tag-value", "json", "table"], sample_count = 20)]
fn write_1000(bencher: Bencher, format: &str) {
    let inv = inventory_1000();
    let writer = writer_for(format).unwrap();
    let mut opts = WriteOptions::from_env();
    opts.created_unix = 1_700_000_000;
    bencher.bench(|| {
        let mut out = Vec::with_capacity(1 << 20);
        writer.write(inv, &opts, &mut out).unwrap();
        out.len()
    });
}
