//! Broken and hostile archives: each must give a named error (or a complete result), never a
//! panic, a hang, or a partial result presented as complete.

mod support;

use layer_walker::walk::view::FsView;
use layer_walker::{Error, ImageRef, Limits, Scanner};
use support::*;

#[global_allocator]
static GLOBAL: support::counting::Counting = support::counting::Counting;

/// Heap the scanner may hold at its peak for any of these small hostile images, whatever
/// they claim (sizes, counts, ratios): the scan streams, so this is buffers, not input.
const HEAP_BOUND: usize = 48 << 20;

/// Runs one scan alone (the heap counters are process-wide) and checks its peak heap.
fn bounded<T>(what: &str, scan: impl FnOnce() -> T) -> T {
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let mut out = None;
    let peak = support::counting::peak_during(|| out = Some(scan()));
    assert!(
        peak <= HEAP_BOUND,
        "{what}: peak heap {peak} bytes, over {HEAP_BOUND}"
    );
    out.expect("the scan ran")
}

fn scan_dir(dir: &std::path::Path) -> Result<layer_walker::Scan, Error> {
    bounded(&dir.display().to_string(), || {
        pkg_scanner().scan(&ImageRef::parse(&format!("oci-dir:{}", dir.display())).unwrap())
    })
}

fn scan_file(bytes: &[u8]) -> (tempfile::TempDir, Result<layer_walker::Scan, Error>) {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("image.tar");
    std::fs::write(&p, bytes).unwrap();
    let r = bounded(&format!("{} bytes as an archive", bytes.len()), || {
        pkg_scanner().scan(&ImageRef::Path {
            kind: None,
            path: p,
        })
    });
    (d, r)
}

fn simple_layer() -> Vec<u8> {
    layer(&[E::Dir("pkgs/"), E::File("pkgs/a", b"a 1.0")])
}

#[test]
fn layer_blob_digest_mismatch_is_an_error_unless_opted_out() {
    let d = tempfile::tempdir().unwrap();
    let mut oci = Oci::gzip_layers(vec![simple_layer()]);
    oci.write(d.path());
    // swap the stored blob for another valid gzip: digest and diff_id both differ now
    let other = gzip(&layer(&[E::File("pkgs/a", b"a 6.6.6")]));
    let blob = d
        .path()
        .join("blobs/sha256")
        .join(&sha256(&oci.layers[0].0)[7..]);
    std::fs::write(&blob, &other).unwrap();
    oci.layers.clear();
    match scan_dir(d.path()) {
        Err(Error::DigestMismatch { what, .. }) => assert!(what.contains("layer 0"), "{what}"),
        Err(Error::SizeMismatch { what, .. }) => assert!(what.contains("layer 0"), "{what}"),
        other => panic!(
            "expected a digest error, got {:?}",
            other.map(|s| s.inventory.packages)
        ),
    }
    let s = pkg_scanner()
        .verify_digests(false)
        .scan(&ImageRef::parse(&format!("oci-dir:{}", d.path().display())).unwrap())
        .expect("scan with verification off");
    assert!(
        s.inventory
            .warnings
            .iter()
            .any(|w| w.message.contains("not verified")),
        "{:?}",
        s.inventory.warnings
    );
}

#[test]
fn diff_id_mismatch_is_named() {
    let d = tempfile::tempdir().unwrap();
    let oci = Oci::gzip_layers(vec![simple_layer()]);
    let mut config: serde_json::Value = serde_json::from_slice(&oci.config()).unwrap();
    config["rootfs"]["diff_ids"][0] = serde_json::json!(sha256(b"something else"));
    let desc = oci.write_image(d.path(), &serde_json::to_vec(&config).unwrap());
    write_index(d.path(), vec![desc]);
    match scan_dir(d.path()) {
        Err(Error::DigestMismatch { what, .. }) => assert!(what.contains("diff_id"), "{what}"),
        other => panic!("expected diff_id mismatch, got {:?}", other.err()),
    }
}

#[test]
fn missing_blob_is_named() {
    let d = tempfile::tempdir().unwrap();
    let oci = Oci::gzip_layers(vec![simple_layer()]);
    oci.write(d.path());
    std::fs::remove_file(
        d.path()
            .join("blobs/sha256")
            .join(&sha256(&oci.layers[0].0)[7..]),
    )
    .unwrap();
    match scan_dir(d.path()) {
        Err(Error::MissingBlob { name, .. }) => assert!(name.starts_with("blobs/sha256/")),
        other => panic!("expected MissingBlob, got {:?}", other.err()),
    }
}

#[test]
fn truncated_gzip_layer_is_an_error() {
    let d = tempfile::tempdir().unwrap();
    let big: Vec<u8> = (0..200_000u32).flat_map(|i| i.to_le_bytes()).collect();
    let raw = layer(&[E::File("data.bin", &big)]);
    let mut oci = Oci::gzip_layers(vec![raw]);
    let cut = oci.layers[0].0.len() / 2;
    oci.layers[0].0.truncate(cut);
    oci.write(d.path());
    let err = pkg_scanner()
        .verify_digests(false)
        .scan(&ImageRef::parse(&format!("oci-dir:{}", d.path().display())).unwrap())
        .err()
        .expect("a truncated layer must fail even without verification");
    let msg = err.to_string();
    assert!(
        msg.contains("layer 0") && msg.contains("truncated"),
        "{msg}"
    );
}

#[test]
fn truncated_archives_are_errors() {
    let arch = docker_archive(&[simple_layer(), layer(&[E::File("pkgs/b", b"b 2")])]);
    for cut in [arch.len() / 3, arch.len() - 1500, 700] {
        let (_d, r) = scan_file(&arch[..cut]);
        assert!(r.is_err(), "cut at {cut} of {} must fail", arch.len());
    }
    let gz = std::fs::read(testdata().join("images/tiny-debian.docker.tar.gz")).unwrap();
    let (_d, r) = scan_file(&gz[..gz.len() / 2]);
    let msg = r.err().expect("truncated gzip archive").to_string();
    assert!(
        msg.contains("truncated") || msg.contains("ends early"),
        "{msg}"
    );
    // tar writers pad after the end marker, so the tar reader stops before the gzip trailer:
    // only its CRC32 + length missing, or a corrupted CRC, must still be errors
    let mut padded = docker_archive(&[simple_layer()]);
    padded.extend(std::iter::repeat_n(0u8, 64 << 10));
    let gz = gzip(&padded);
    let (_d, r) = scan_file(&gz);
    assert!(r.is_ok(), "the intact archive scans: {:?}", r.err());
    let (_d, r) = scan_file(&gz[..gz.len() - 8]);
    assert!(
        r.is_err(),
        "an archive without its gzip trailer must not scan as complete"
    );
    let mut bad = gz.clone();
    let n = bad.len();
    bad[n - 6] ^= 0xff;
    let (_d, r) = scan_file(&bad);
    assert!(r.is_err(), "a gzip CRC mismatch must be an error");
}

#[test]
fn path_traversal_is_refused() {
    for name in [&b"../../etc/passwd"[..], b"a/../../x", b"/../x"] {
        let d = tempfile::tempdir().unwrap();
        Oci::gzip_layers(vec![layer(&[E::RawName(name, b"root:x:0:0")])]).write(d.path());
        let msg = scan_dir(d.path())
            .err()
            .expect("traversal must fail")
            .to_string();
        assert!(msg.contains("outside the image root"), "{msg}");
    }
}

#[test]
fn symlink_loops_and_escapes_stay_inside() {
    let v = FsView::from_files(
        &[],
        &[],
        &[
            ("/a", "/b"),
            ("/b", "a"),
            ("/etc/os-release", "../../../../usr/lib/os-release"),
        ],
    );
    assert!(
        v.resolve("/a/x").is_err(),
        "a loop must be an error, not a hang"
    );
    assert_eq!(v.resolve("/etc/os-release").unwrap(), "/usr/lib/os-release");
    let deep: Vec<(String, String)> = (0..100)
        .map(|i| (format!("/l{i}"), format!("/l{}", i + 1)))
        .collect();
    let links: Vec<(&str, &str)> = deep.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let v = FsView::from_files(&[], &[], &links);
    assert!(
        v.resolve("/l0").is_err(),
        "a 100-link chain exceeds the hop limit"
    );
}

#[test]
fn decompression_bomb_hits_the_limit() {
    let d = tempfile::tempdir().unwrap();
    let zeros = vec![0u8; 8 << 20];
    Oci::gzip_layers(vec![layer(&[E::File("pkgs/a", &zeros)])]).write(d.path());
    let err = pkg_scanner()
        .limits({
            let mut l = Limits::default();
            l.max_layer_bytes = 1 << 20;
            l
        })
        .scan(&ImageRef::parse(&format!("oci-dir:{}", d.path().display())).unwrap())
        .err()
        .expect("bomb must fail");
    assert!(matches!(err, Error::LimitExceeded { .. }), "{err}");
}

#[test]
fn claimed_file_over_its_cap_is_reported_incomplete() {
    let d = tempfile::tempdir().unwrap();
    let big = vec![b'x'; 4096];
    Oci::gzip_layers(vec![layer(&[
        E::File("pkgs/huge", &big),
        E::File("pkgs/ok", b"ok 1"),
    ])])
    .write(d.path());
    let s = scan_dir(d.path()).unwrap();
    assert_eq!(s.inventory.packages.len(), 1);
    assert!(s.inventory.is_incomplete());
    assert!(
        s.inventory
            .warnings
            .iter()
            .any(|w| w.path.as_deref() == Some("/pkgs/huge")),
        "{:?}",
        s.inventory.warnings
    );
}

#[test]
fn random_bytes_and_single_layers_are_not_images() {
    let noise: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let (_d, r) = scan_file(&noise);
    assert!(matches!(r, Err(Error::NotAnImage { .. })), "{:?}", r.err());
    let (_d, r) = scan_file(&layer(&[E::Dir("etc/"), E::File("etc/hostname", b"x")]));
    let msg = r.err().expect("a layer is not an image").to_string();
    assert!(msg.contains("single layer"), "{msg}");
    let (_d, r) = scan_file(b"");
    assert!(r.is_err());
}

#[test]
fn absurd_header_size_is_truncation_not_allocation() {
    let d = tempfile::tempdir().unwrap();
    Oci::gzip_layers(vec![layer(&[E::Claims("pkgs/a", 1 << 40)])]).write(d.path());
    let t = std::time::Instant::now();
    let err = scan_dir(d.path())
        .err()
        .expect("a 1 TiB header with no body");
    assert!(t.elapsed().as_secs() < 30);
    assert!(err.to_string().contains("layer 0"), "{err}");
}

#[test]
fn platform_is_chosen_from_the_index_or_listed() {
    let d = tempfile::tempdir().unwrap();
    let mut arm = Oci::gzip_layers(vec![layer(&[E::File("pkgs/arm", b"arm 1")])]);
    arm.platform = ("linux", "arm64");
    let amd = Oci::gzip_layers(vec![layer(&[E::File("pkgs/amd", b"amd 1")])]);
    let a = arm.write_image(d.path(), &arm.config());
    let b = amd.write_image(d.path(), &amd.config());
    write_index(d.path(), vec![a, b]);
    let s = scan_dir(d.path()).unwrap();
    assert_eq!(
        s.inventory.packages[0].name, "amd",
        "linux/amd64 is the default"
    );
    let s = pkg_scanner()
        .platform("linux/arm64".parse().unwrap())
        .scan(&ImageRef::parse(&format!("oci-dir:{}", d.path().display())).unwrap())
        .unwrap();
    assert_eq!(s.inventory.packages[0].name, "arm");
    let err = pkg_scanner()
        .platform("linux/s390x".parse().unwrap())
        .scan(&ImageRef::parse(&format!("oci-dir:{}", d.path().display())).unwrap())
        .err()
        .unwrap();
    let msg = err.to_string();
    assert!(
        msg.contains("linux/arm64") && msg.contains("linux/amd64") && msg.contains("s390x"),
        "{msg}"
    );
}

#[test]
fn invalid_metadata_is_named() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("index.json"), b"{not json").unwrap();
    std::fs::write(d.path().join("oci-layout"), b"{}").unwrap();
    let msg = scan_dir(d.path()).err().unwrap().to_string();
    assert!(msg.contains("index.json"), "{msg}");
    // a digest that would name a file outside blobs/
    let d = tempfile::tempdir().unwrap();
    write_index(
        d.path(),
        vec![
            serde_json::json!({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:../../../etc/passwd", "size": 1}),
        ],
    );
    let msg = scan_dir(d.path()).err().unwrap().to_string();
    assert!(msg.contains("digest"), "{msg}");
    // layer count and diff_id count disagree
    let d = tempfile::tempdir().unwrap();
    let oci = Oci::gzip_layers(vec![simple_layer()]);
    let mut config: serde_json::Value = serde_json::from_slice(&oci.config()).unwrap();
    config["rootfs"]["diff_ids"] = serde_json::json!([]);
    let desc = oci.write_image(d.path(), &serde_json::to_vec(&config).unwrap());
    write_index(d.path(), vec![desc]);
    let msg = scan_dir(d.path()).err().unwrap().to_string();
    assert!(msg.contains("diff_ids"), "{msg}");
}

// Truncated zstd layers and PAX headers that disagree with the ustar header are cases of the
// hostile-image generator (testdata/hostile/cases.rs, checked by tests/hostile_cases.rs).

fn names_of(r: Result<layer_walker::Scan, Error>) -> Vec<String> {
    let s = r.unwrap_or_else(|e| panic!("scan failed: {e}"));
    s.inventory
        .packages
        .iter()
        .map(|p| p.name.clone())
        .collect()
}

/// `docker save a b` holds two images: without a choice that is an error listing both (not a
/// silent pick of the first); a tag, in any spelling Docker accepts, or `@N` picks one.
#[test]
fn several_images_in_one_docker_archive_need_a_choice() {
    let a = layer(&[E::File("pkgs/a", b"a 1.0")]);
    let b = layer(&[E::File("pkgs/b", b"b 2.0")]);
    let arch = docker_archive_of(&[
        (&["app:1"], vec![a]),
        (&["tools:2", "tools:latest"], vec![b]),
    ]);
    let (_d, r) = scan_file(&arch);
    let msg = r.err().expect("two images, none chosen").to_string();
    assert!(
        msg.contains("@0 (app:1)") && msg.contains("@1 (tools:2, tools:latest)"),
        "{msg}"
    );
    let (d, _) = scan_file(&arch);
    let path = d.path().join("image.tar");
    let scan = |sel: &str| {
        bounded(sel, || {
            pkg_scanner().image(sel).scan(&ImageRef::Path {
                kind: None,
                path: path.clone(),
            })
        })
    };
    assert_eq!(names_of(scan("tools:2")), ["b"]);
    assert_eq!(names_of(scan("docker.io/library/tools")), ["b"]);
    assert_eq!(names_of(scan("@0")), ["a"]);
    // the image ID: the config digest, whole or its first 12+ hex digits
    let manifest: serde_json::Value = {
        let mut a = tar::Archive::new(&arch[..]);
        let e = a
            .entries()
            .unwrap()
            .map(|e| e.unwrap())
            .find(|e| e.path().unwrap().to_str() == Some("manifest.json"))
            .unwrap();
        serde_json::from_reader(e).unwrap()
    };
    let config = manifest[1]["Config"]
        .as_str()
        .unwrap()
        .trim_end_matches(".json");
    assert_eq!(names_of(scan(&format!("sha256:{config}"))), ["b"]);
    assert_eq!(names_of(scan(&config[..12])), ["b"]);
    assert!(scan(&config[..8]).is_err(), "8 hex digits are too few");
    let msg = scan("app:9").err().expect("no such tag").to_string();
    assert!(
        msg.contains("no image app:9") && msg.contains("@0 (app:1)"),
        "{msg}"
    );
    assert!(scan("@2").is_err());
}

/// An OCI layout with two tagged images (`org.opencontainers.image.ref.name`) likewise.
#[test]
fn several_images_in_one_oci_layout_need_a_choice() {
    let d = tempfile::tempdir().unwrap();
    let mut descs = Vec::new();
    for (tag, pkg) in [("1.0", &b"one 1.0"[..]), ("2.0", b"two 2.0")] {
        let oci = Oci::gzip_layers(vec![layer(&[E::File("pkgs/x", pkg)])]);
        let mut desc = oci.write_image(d.path(), &oci.config());
        desc["annotations"] = serde_json::json!({"org.opencontainers.image.ref.name": tag});
        descs.push(desc);
    }
    write_index(d.path(), descs);
    let msg = scan_dir(d.path()).err().expect("two images").to_string();
    assert!(
        msg.contains("@0 (1.0)") && msg.contains("@1 (2.0)"),
        "{msg}"
    );
    let scan = |sel: &str| {
        bounded(sel, || {
            pkg_scanner()
                .image(sel)
                .scan(&ImageRef::parse(&format!("oci-dir:{}", d.path().display())).unwrap())
        })
    };
    assert_eq!(names_of(scan("2.0")), ["two"]);
    assert_eq!(names_of(scan("example.org/app:2.0")), ["two"]);
    assert_eq!(names_of(scan("@0")), ["one"]);
    let s = scan("1.0").unwrap();
    assert_eq!(s.inventory.image.repo_tags, ["1.0"]);
}

/// An archive from a pipe (`<(docker save app)`, a FIFO) is read as a stream; a hard link at
/// a claimed path to an earlier, unread entry of a large layer cannot be read again from a
/// pipe, so the inventory says it is incomplete, naming the path, instead of passing over it.
#[test]
fn a_pipe_is_streamed_and_a_hard_link_it_cannot_reread_is_reported() {
    let db = b"Package: linked-db\nStatus: install ok installed\nVersion: 1.0\nArchitecture: amd64\nDescription: x\n\n";
    let padding = vec![0x55u8; 96 << 10];
    let big = layer(&[
        E::Dir("var/"),
        E::Dir("var/lib/"),
        E::Dir("var/lib/dpkg/"),
        E::File("var/lib/dpkg/status.stored", db),
        E::File("opt/padding", &padding),
        E::Hardlink("var/lib/dpkg/status", "var/lib/dpkg/status.stored"),
    ]);
    let d = tempfile::tempdir().unwrap();
    let fifo = d.path().join("image.pipe");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo");
    for (archive, packages, incomplete) in [
        (docker_archive(std::slice::from_ref(&big)), 0, true),
        // the same layer small enough to be kept in memory is read again from there
        (
            docker_archive(&[layer(&[
                E::File("var/lib/dpkg/status.stored", db),
                E::Hardlink("var/lib/dpkg/status", "var/lib/dpkg/status.stored"),
            ])]),
            1,
            false,
        ),
    ] {
        let writer = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::write(fifo, archive))
        };
        let scan = Scanner::new()
            .scan(&ImageRef::from_path(&fifo))
            .expect("a pipe scans");
        writer.join().unwrap().unwrap();
        let inv = &scan.inventory;
        assert_eq!(inv.image.source_kind, "docker-archive");
        assert_eq!(inv.installed().count(), packages, "{:?}", inv.packages);
        assert_eq!(inv.is_incomplete(), incomplete, "{:?}", inv.warnings);
        if incomplete {
            assert!(inv
                .warnings
                .iter()
                .any(|w| w.path.as_deref() == Some("/var/lib/dpkg/status")
                    && w.message.contains("hard link")));
        }
    }
}

/// A hard link to an executable that is no ELF binary (Debian's `gzip` ships `uncompress` as a
/// link to the `gunzip` script) is decided in the first pass: the target's first bytes, read
/// and rejected by every claim's magic, reject the link too. Nothing is left to read again,
/// so a pipe (or an engine's export) gives a complete inventory.
#[test]
fn a_hard_link_to_a_rejected_script_needs_no_second_pass() {
    let padding = vec![0x55u8; 96 << 10];
    let script = b"#!/bin/sh\nexec gzip -d \"$@\"\n";
    let big = layer(&[
        E::Dir("usr/"),
        E::Dir("usr/bin/"),
        E::Exec("usr/bin/gunzip", script),
        E::File("opt/padding", &padding),
        E::Hardlink("usr/bin/uncompress", "usr/bin/gunzip"),
    ]);
    let d = tempfile::tempdir().unwrap();
    let fifo = d.path().join("image.pipe");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo");
    let archive = docker_archive(std::slice::from_ref(&big));
    let writer = {
        let (fifo, archive) = (fifo.clone(), archive.clone());
        std::thread::spawn(move || std::fs::write(fifo, archive))
    };
    let piped = Scanner::new()
        .scan(&ImageRef::from_path(&fifo))
        .expect("a pipe scans");
    writer.join().unwrap().unwrap();
    assert!(
        !piped.inventory.is_incomplete(),
        "{:?}",
        piped.inventory.warnings
    );
    assert!(
        piped.inventory.warnings.is_empty(),
        "{:?}",
        piped.inventory.warnings
    );
    // the same as the file read with a second pass at hand
    let file = d.path().join("image.tar");
    std::fs::write(&file, &archive).unwrap();
    let from_file = Scanner::new().scan(&ImageRef::from_path(&file)).unwrap();
    assert!(from_file.inventory.warnings.is_empty());
    let (f, p) = (&from_file.layers[0], &piped.layers[0]);
    assert_eq!(
        (f.claimed_files, f.entries, f.diff_id.clone()),
        (p.claimed_files, p.entries, p.diff_id.clone())
    );
    assert_eq!(f.claimed(), p.claimed());
}
