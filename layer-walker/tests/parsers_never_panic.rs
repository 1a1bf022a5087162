//! Arbitrary bytes into every parser, through the path the walker uses (`FsView::from_files`
//! with a path the detector claims, then `collect`): never a panic, and never more packages
//! than input bytes. The whole-image front end gets arbitrary archives and layers the same way.

mod support;

use layer_walker::detect::{default_detectors, CollectContext, Findings};
use layer_walker::walk::view::FsView;
use layer_walker::{ImageRef, Limits, Scanner};
use proptest::prelude::*;

/// (path a detector claims, magic the claim requires)
const PATHS: &[(&str, &[u8])] = &[
    ("/var/lib/dpkg/status", b""),
    ("/var/lib/dpkg/status.d/base", b""),
    ("/var/lib/dpkg/info/base.list", b""),
    ("/usr/share/doc/base/copyright", b""),
    ("/lib/apk/db/installed", b""),
    ("/var/lib/rpm/Packages", b""),
    ("/var/lib/rpm/Packages.db", b"RpmP"),
    ("/usr/lib/sysimage/rpm/rpmdb.sqlite", b"SQLite format 3\0"),
    ("/var/lib/rpm/rpmdb.sqlite-wal", b"\x37\x7f\x06\x82"),
    ("/var/lib/rpmmanifest/container-manifest-2", b""),
    ("/etc/os-release", b""),
    ("/usr/lib/os-release", b""),
    ("/etc/lsb-release", b""),
    ("/etc/redhat-release", b""),
    ("/etc/debian_version", b""),
    (
        "/usr/lib/python3/site-packages/x-1.0.dist-info/METADATA",
        b"",
    ),
    ("/usr/lib/python3/site-packages/x-1.0.dist-info/RECORD", b""),
    (
        "/usr/lib/python3/site-packages/x-1.0.egg-info/PKG-INFO",
        b"",
    ),
    ("/app/node_modules/x/package.json", b"{"),
    ("/app/package-lock.json", b"{"),
    ("/usr/bin/app", b"\x7fELF"),
    ("/app/lib/x.jar", b"PK\x03\x04"),
    ("/usr/lib/ruby/gems/3.0.0/specifications/x-1.0.gemspec", b""),
    ("/var/www/app/vendor/composer/installed.json", b"{"),
    ("/app/MyApp.deps.json", b"{"),
    ("/opt/bitnami/redis/.spdx-redis.spdx", b"{"),
    ("/opt/bitnami/.bitnami_components.json", b"{"),
    ("/lib/modules/6.1.0/kernel/x.ko", b"\x7fELF"),
    ("/lib/modules/6.1.0/kernel/x.ko.xz", b"\xfd7zXZ\0"),
    ("/lib/modules/6.1.0/kernel/x.ko.zst", b"\x28\xb5\x2f\xfd"),
    ("/lib/modules/6.1.0/kernel/x.ko.gz", b"\x1f\x8b"),
    ("/boot/vmlinuz-6.1.0", b""),
];

fn collect(path: &str, body: &[u8]) -> usize {
    let detectors = default_detectors();
    let view = FsView::from_files(&detectors, &[(path, body)], &[]);
    let mut most = 0;
    for full_detail in [true, false] {
        let mut out = Findings::default();
        for d in &detectors {
            d.collect(&view, CollectContext { full_detail }, &mut out);
        }
        most = most.max(out.packages.len());
    }
    most
}

fn small_limits() -> Limits {
    {
        let mut l = Limits::default();
        l.max_layer_bytes = 16 << 20;
        l.max_archive_bytes = 16 << 20;
        l.max_entries = 10_000;
        l.max_claimed_file = 1 << 20;
        l.max_retained_bytes = 16 << 20;
        l.max_layers = 64;
        l.max_parallel_layers = 2;
        l
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn every_parser_takes_arbitrary_bytes(
        which in 0..PATHS.len(),
        tail in proptest::collection::vec(any::<u8>(), 0..2048),
    ) {
        let (path, magic) = PATHS[which];
        let body = [magic, &tail[..]].concat();
        let n = collect(path, &body);
        // java archives may hold compressed nested archives; everything else is plain text or
        // a page format where a package takes bytes of its own
        if !path.ends_with(".jar") {
            prop_assert!(n <= body.len(), "{n} packages from {} bytes at {path}", body.len());
        }
    }

    #[test]
    fn image_front_end_takes_arbitrary_archives(
        bytes in proptest::collection::vec(any::<u8>(), 0..4096),
        prefix in prop_oneof![Just(&b""[..]), Just(&b"\x1f\x8b"[..]), Just(&b"\x28\xb5\x2f\xfd"[..])],
    ) {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("image.tar");
        std::fs::write(&p, [prefix, &bytes[..]].concat()).unwrap();
        let r = Scanner::new().limits(small_limits()).scan(&ImageRef::Path { kind: None, path: p });
        prop_assert!(r.is_err(), "random bytes scanned as an image");
    }

    #[test]
    fn image_front_end_takes_damaged_docker_archives(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let raw = support::layer(&[
            support::E::Dir("etc/"),
            support::E::File("etc/os-release", b"ID=debian\nVERSION_ID=12\n"),
            support::E::File("var/lib/dpkg/status", b"Package: a\nStatus: install ok installed\nVersion: 1\nArchitecture: all\n\n"),
        ]);
        let mut bytes = support::docker_archive(&[raw]);
        for (at, b) in flips {
            let i = at.index(bytes.len());
            bytes[i] ^= b;
        }
        if truncate {
            bytes.truncate(cut.index(bytes.len()));
        }
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("image.tar");
        std::fs::write(&p, &bytes).unwrap();
        // an error or a result: never a panic
        let _ = Scanner::new().limits(small_limits()).scan(&ImageRef::Path { kind: None, path: p });
    }

    #[test]
    fn layer_walk_takes_arbitrary_tar_bytes(
        bytes in proptest::collection::vec(any::<u8>(), 0..4096),
        valid_first in any::<bool>(),
    ) {
        // a valid entry first, so the walk reaches the garbage after it
        let body = if valid_first {
            let mut t = support::layer(&[support::E::File("etc/os-release", b"ID=alpine\n")]);
            t.truncate(1024); // header + body block, no end-of-archive marker
            t.extend_from_slice(&bytes);
            t
        } else {
            bytes
        };
        let d = tempfile::tempdir().unwrap();
        support::Oci {
            layers: vec![(body.clone(), body, "application/vnd.oci.image.layer.v1.tar".into())],
            platform: ("linux", "amd64"),
        }
        .write(d.path());
        let _ = Scanner::new()
            .limits(small_limits())
            .scan(&ImageRef::parse(&format!("oci-dir:{}", d.path().display())).unwrap());
    }
}
