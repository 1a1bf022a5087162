//! apk detector against real databases (testdata/apk, see SOURCES.md there).

use std::sync::Arc;

use super::*;
use crate::detect::testutil::{files_of, run, testdata};

fn apk() -> Arc<dyn Detector> {
    Arc::new(ApkDetector)
}

/// (P, V, A, o, L) of every record, read line by line without the detector's parser.
fn grep_records(text: &str) -> Vec<[Option<String>; 5]> {
    let mut out = Vec::new();
    for rec in text.split("\n\n").filter(|r| !r.trim().is_empty()) {
        let get = |k: &str| {
            rec.lines()
                .find_map(|l| l.strip_prefix(k))
                .map(str::to_string)
        };
        out.push([get("P:"), get("V:"), get("A:"), get("o:"), get("L:")]);
    }
    out
}

#[test]
fn fixtures_match_an_independent_reading() {
    for (case, count) in [
        ("alpine-3.10", None),
        ("alpine-3.16", None),
        ("alpine-3.21-39pkgs", Some(39)),
    ] {
        let root = testdata(&format!("apk/{case}"));
        let files = files_of(&root);
        let found = run(apk(), &files);
        let text = std::fs::read_to_string(root.join("lib/apk/db/installed")).expect("fixture");
        let want = grep_records(&text);
        if let Some(n) = count {
            assert_eq!(found.packages.len(), n, "{case}");
        }
        assert_eq!(found.packages.len(), want.len(), "{case}");
        assert!(found.warnings.is_empty(), "{case}: {:?}", found.warnings);
        for (p, w) in found.packages.iter().zip(&want) {
            let got = [
                Some(p.name.clone()),
                Some(p.version.clone()),
                p.arch.clone(),
                p.source.as_ref().map(|s| s.name.clone()),
                p.licenses_declared.first().cloned(),
            ];
            assert_eq!(&got, w, "{case}");
            assert_eq!(p.ecosystem, Ecosystem::Apk);
            assert_eq!(p.database_path, INSTALLED);
            if let Some(l) = &p.license {
                assert!(spdx::Expression::parse(l).is_ok(), "{case}: {l}");
            }
            // every C: line decodes to a 40-digit SHA-1
            assert_eq!(p.checksums.len(), 1, "{case}: {}", p.name);
            assert_eq!(p.checksums[0].value.len(), 40);
            assert!(p
                .depends
                .iter()
                .all(|d| !d.contains(">=") && !d.starts_with('!')));
        }
        // files: as many as R: lines, all absolute
        let r_lines = text.lines().filter(|l| l.starts_with("R:")).count();
        let files: usize = found.packages.iter().map(|p| p.files.len()).sum();
        assert_eq!(files, r_lines, "{case}");
        assert!(found
            .packages
            .iter()
            .flat_map(|p| &p.files)
            .all(|f| f.starts_with('/') && !f.contains("//")));
    }
}

#[test]
fn musl_of_alpine_310() {
    // facts of the first record of the alpine-3.10 database (C:Q11Ing8/u1VIdY9czSxaDO9wJg72I=,
    // F:lib R:libc.musl-x86_64.so.1, p:so:libc.musl-x86_64.so.1=1, I:598016)
    let found = run(apk(), &files_of(&testdata("apk/alpine-3.10")));
    let musl = &found.packages[0];
    assert_eq!(musl.name, "musl");
    assert_eq!(musl.installed_size, Some(598016));
    assert_eq!(musl.provides, ["so:libc.musl-x86_64.so.1"]);
    assert_eq!(musl.files[0], "/lib/libc.musl-x86_64.so.1");
    assert_eq!(musl.checksums[0].algorithm, "SHA1");
    // base64-decoded with Python's base64 module, independently of installed.rs
    assert_eq!(
        musl.checksums[0].value,
        "d489e0f3fbb5548758f5ccd2c5a0cef70260ef62"
    );
}

#[test]
fn garbage_records_warn_and_keep_the_good_ones() {
    let body = b"P:a\nV:1.0-r0\nA:x86_64\n\n\xff\xfe garbage line\n\nP:b\nV:2\n".to_vec();
    let found = run(apk(), &[(INSTALLED.to_string(), body)]);
    assert_eq!(found.packages.len(), 2);
    assert_eq!(found.warnings.len(), 1);
    assert!(found.warnings[0].incomplete);
    assert!(found.warnings[0].message.contains("could not be read"));
    assert!(ApkDetector
        .parse(INSTALLED, b"garbage\n\nmore garbage")
        .is_err());
}

#[test]
fn snapshots_leave_files_out() {
    let files = files_of(&testdata("apk/alpine-3.16"));
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(p, b)| (p.as_str(), b.as_slice()))
        .collect();
    let view = FsView::from_files(&[apk()], &refs, &[]);
    let mut out = Findings::default();
    ApkDetector.collect(&view, CollectContext { full_detail: false }, &mut out);
    assert!(!out.packages.is_empty());
    assert!(out.packages.iter().all(|p| p.files.is_empty()));
}

proptest::proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(body in proptest::collection::vec(proptest::num::u8::ANY, 0..600)) {
        let _ = run(apk(), &[(INSTALLED.to_string(), body)]);
    }

    #[test]
    fn record_like_text_never_panics(body in "([PVAoLDpFRCIT]:[ -~]{0,20}\n{1,2}){0,12}") {
        let _ = run(apk(), &[(INSTALLED.to_string(), body.into_bytes())]);
    }
}
