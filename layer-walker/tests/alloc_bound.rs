//! Memory a parser takes is bounded by its input: under a counting global allocator, the peak
//! of live heap bytes while a claimed file is parsed and collected stays below
//! `K * input + C`. Real fixtures and random bytes both. A parser that sizes a buffer from a
//! length field in the file, instead of from what the file holds, fails here.
//!
//! One test function: the allocator's counters are global to the process, so the cases run
//! one after the other.

mod support;

use layer_walker::detect::{default_detectors, CollectContext, Findings};
use layer_walker::walk::view::FsView;
use support::counting::{peak_during, Counting};

#[global_allocator]
static GLOBAL: Counting = Counting;

fn parse_and_collect(path: &str, body: &[u8]) {
    let detectors = default_detectors();
    let view = FsView::from_files(&detectors, &[(path, body)], &[]);
    let mut out = Findings::default();
    for d in &detectors {
        d.collect(&view, CollectContext { full_detail: true }, &mut out);
    }
    std::hint::black_box(&out);
}

/// Parsed forms are a few times the size of their text (a `String` per field, a `Package`
/// per record, the body copy `read_claimed` makes). Measured at most ~4x on the fixtures
/// (apk's installed database, damaged), so 8x leaves room and still catches a length field
/// read as a capacity.
const K: usize = 8;
/// Fixed costs: detectors, sqlite's connection and page cache, zip's central directory.
const C: usize = 2 << 20;

/// (claimed path, fixture under testdata/, magic for random bodies)
const CASES: &[(&str, &str, &[u8])] = &[
    (
        "/var/lib/dpkg/status",
        "dpkg/ubuntu-18.04/var/lib/dpkg/status",
        b"",
    ),
    (
        "/var/lib/dpkg/status.d/base",
        "dpkg/distroless-static-debian11/var/lib/dpkg/status.d/base",
        b"",
    ),
    (
        "/lib/apk/db/installed",
        "apk/alpine-3.21-39pkgs/lib/apk/db/installed",
        b"",
    ),
    ("/var/lib/rpm/Packages", "rpm/bdb-libuuid-el8/Packages", b""),
    (
        "/var/lib/rpm/Packages.db",
        "rpm/ndb-sle15-bci-minimal-15.3/Packages.db",
        b"RpmP",
    ),
    (
        "/usr/lib/sysimage/rpm/rpmdb.sqlite",
        "rpm/sqlite-fedora38-2pkgs/rpmdb.sqlite",
        b"SQLite format 3\0",
    ),
    (
        "/var/lib/rpmmanifest/container-manifest-2",
        "rpm/rpmmanifest-cbl-mariner-distroless/container-manifest-2",
        b"",
    ),
    ("/etc/os-release", "distro/ubuntu/etc/os-release", b""),
    (
        "/usr/lib/python3/site-packages/x-1.0.dist-info/METADATA",
        "lang/python/site-packages/idna-3.13.dist-info/METADATA",
        b"",
    ),
    (
        "/usr/lib/python3/site-packages/x-1.0.dist-info/RECORD",
        "lang/python/site-packages/idna-3.13.dist-info/RECORD",
        b"",
    ),
    (
        "/app/node_modules/react/package.json",
        "lang/npm/app-lockfile-v1/node_modules/react/package.json",
        b"{",
    ),
    (
        "/app/package-lock.json",
        "lang/npm/lockfile-v3/package-lock.json",
        b"{",
    ),
    (
        "/usr/bin/go-app",
        "lang/go/go1.22-module-replacement.elf",
        b"\x7fELF",
    ),
    (
        "/usr/bin/rust-app",
        "lang/rust/cargo-auditable-test.elf",
        b"\x7fELF",
    ),
    (
        "/app/lib/x.jar",
        "lang/java/hadoop-shaded-guava-1.1.0-SNAPSHOT.jar",
        b"PK\x03\x04",
    ),
    (
        "/usr/lib/ruby/gems/3.0.0/specifications/rake-13.0.3.gemspec",
        "lang/ruby/specifications/rake-13.0.3.gemspec",
        b"",
    ),
    (
        "/var/www/app/vendor/composer/installed.json",
        "lang/php/composer_2/vendor/composer/installed.json",
        b"",
    ),
    ("/app/MyApp.deps.json", "lang/dotnet/MyApp.deps.json", b""),
];

/// A small deterministic generator: the test must fail the same way every run.
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

#[test]
fn parser_memory_is_bounded_by_input_size() {
    // warm up lazily initialised statics (sqlite, regex-free but still) outside the measure
    for (path, fixture, _) in CASES {
        let body = std::fs::read(support::testdata().join(fixture)).expect(fixture);
        parse_and_collect(path, &body);
    }
    let mut failures = Vec::new();
    for (i, (path, fixture, magic)) in CASES.iter().enumerate() {
        let real = std::fs::read(support::testdata().join(fixture)).expect(fixture);
        let mut bodies = vec![("fixture".to_string(), real.clone())];
        for (j, len) in [0usize, 64, 1024, 16 << 10].into_iter().enumerate() {
            let seed = (i * 16 + j) as u64;
            bodies.push((
                format!("noise {len}"),
                [*magic, &noise(seed, len)[..]].concat(),
            ));
            // the fixture with a damaged stretch: length fields that lie
            let mut damaged = real.clone();
            if !damaged.is_empty() {
                let at = (seed as usize * 7919) % damaged.len();
                let end = (at + len.max(16)).min(damaged.len());
                damaged[at..end].copy_from_slice(&noise(seed ^ 0xff, end - at));
            }
            bodies.push((format!("fixture damaged at {len}"), damaged));
        }
        for (what, body) in bodies {
            let peak = peak_during(|| parse_and_collect(path, &body));
            let bound = K * body.len() + C;
            eprintln!("{path} {what}: {} bytes in, peak {peak}", body.len());
            if peak > bound {
                failures.push(format!(
                    "{path} ({what}): peak {peak} bytes > {K} x {} + {C}",
                    body.len()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
