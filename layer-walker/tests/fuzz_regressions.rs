//! Replays every minimised fuzz finding under testdata/fuzz-regressions/<target>/ through the
//! entry point its fuzz target uses (fuzz/fuzz_targets/<target>.rs). Each must finish without
//! a panic, within the time a fuzz run allows.

mod support;

use std::time::{Duration, Instant};

use layer_walker::detect::{default_detectors, CollectContext, Findings};
use layer_walker::walk::view::FsView;
use layer_walker::{ImageRef, Limits, Scanner};

fn collect(path: &str, body: &[u8]) {
    let detectors = default_detectors();
    let view = FsView::from_files(&detectors, &[(path, body)], &[]);
    for full_detail in [true, false] {
        let mut out = Findings::default();
        for d in &detectors {
            d.collect(&view, CollectContext { full_detail }, &mut out);
        }
    }
}

fn with_magic(magic: &[u8], body: &[u8]) -> Vec<u8> {
    if body.starts_with(magic) {
        body.to_vec()
    } else {
        [magic, body].concat()
    }
}

fn limits() -> Limits {
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

fn replay(target: &str, data: &[u8]) {
    match target {
        "image" => {
            let d = tempfile::tempdir().unwrap();
            let p = d.path().join("image.tar");
            std::fs::write(&p, data).unwrap();
            let _ = Scanner::new().limits(limits()).scan(&ImageRef::Path {
                kind: None,
                path: p,
            });
        }
        "layer_tar" => {
            let d = tempfile::tempdir().unwrap();
            support::Oci {
                layers: vec![(
                    data.to_vec(),
                    data.to_vec(),
                    "application/vnd.oci.image.layer.v1.tar".into(),
                )],
                platform: ("linux", "amd64"),
            }
            .write(d.path());
            let _ = Scanner::new()
                .limits(limits())
                .scan(&ImageRef::parse(&format!("oci-dir:{}", d.path().display())).unwrap());
        }
        "dpkg_status" => collect("/var/lib/dpkg/status", data),
        "dpkg_status_d" => collect("/var/lib/dpkg/status.d/base", data),
        "apk_installed" => collect("/lib/apk/db/installed", data),
        "rpm_bdb" => collect("/var/lib/rpm/Packages", data),
        "rpm_ndb" => collect("/var/lib/rpm/Packages.db", data),
        "rpm_sqlite" => collect("/usr/lib/sysimage/rpm/rpmdb.sqlite", data),
        "rpm_manifest" => collect("/var/lib/rpmmanifest/container-manifest-2", data),
        "os_release" => {
            collect("/etc/os-release", data);
            collect("/etc/redhat-release", data);
        }
        "dockerfile" => {
            let text = String::from_utf8_lossy(data);
            if let Ok(df) = layer_walker::dockerfile::parse(&text) {
                let _ = layer_walker::dockerfile::match_history(&df, &[]);
            }
            let _ = layer_walker::dockerfile::clean_created_by(&text);
        }
        "python_metadata" => {
            collect(
                "/usr/lib/python3/site-packages/x-1.0.dist-info/METADATA",
                data,
            );
            collect(
                "/usr/lib/python3/site-packages/x-1.0.dist-info/RECORD",
                data,
            );
        }
        "npm_package_json" => collect("/app/node_modules/x/package.json", data),
        "npm_lockfile" => collect("/app/package-lock.json", data),
        "go_elf" | "rust_elf" => collect("/usr/bin/app", &with_magic(b"\x7fELF", data)),
        // as fuzz/src/lib.rs exe_pe_macho: the first byte picks the magic
        "exe_pe_macho" => {
            if let Some((&pick, rest)) = data.split_first() {
                let magics: [&[u8]; 4] = [
                    b"MZ",
                    b"\xcf\xfa\xed\xfe",
                    b"\xce\xfa\xed\xfe",
                    b"\xca\xfe\xba\xbe",
                ];
                let magic = magics[usize::from(pick) % magics.len()];
                collect("/app/tool.exe", &with_magic(magic, rest));
            }
        }
        "java_jar" => collect("/app/lib/x.jar", &with_magic(b"PK\x03\x04", data)),
        "gemspec" => collect(
            "/usr/lib/ruby/gems/3.0.0/specifications/x-1.0.gemspec",
            data,
        ),
        other => panic!("testdata/fuzz-regressions/{other}: no such fuzz target"),
    }
}

#[test]
fn fuzz_findings_stay_fixed() {
    let root = support::testdata().join("fuzz-regressions");
    assert!(root.is_dir(), "{} is missing", root.display());
    let mut n = 0;
    for target in std::fs::read_dir(&root).unwrap() {
        let target = target.unwrap();
        if !target.file_type().unwrap().is_dir() {
            continue;
        }
        let name = target.file_name().into_string().unwrap();
        for case in std::fs::read_dir(target.path()).unwrap() {
            let case = case.unwrap().path();
            let data = std::fs::read(&case).unwrap();
            let t = Instant::now();
            replay(&name, &data);
            assert!(
                t.elapsed() < Duration::from_secs(10),
                "{} took {:?}",
                case.display(),
                t.elapsed()
            );
            n += 1;
        }
    }
    eprintln!("{n} fuzz regression(s) replayed");
}
