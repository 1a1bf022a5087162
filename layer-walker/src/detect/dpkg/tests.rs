//! dpkg detector against real status files (testdata/dpkg, see SOURCES.md there).

use std::collections::BTreeSet;
use std::sync::Arc;

use super::*;
use crate::detect::testutil::{files_of, run, testdata};

fn dpkg() -> Arc<dyn Detector> {
    Arc::new(DpkgDetector)
}

type Row = (String, String, Option<String>, String, Option<String>);

/// Ubuntu 18.04: exactly the `install ok installed` entries of the real dpkg-query output
/// (EXPECTED-dpkg-ubuntu-18.04.json), with their version, arch and source name/version.
#[test]
fn ubuntu_1804_matches_dpkg_query() {
    let root = testdata("dpkg/ubuntu-18.04");
    let expected: serde_json::Value = serde_json::from_slice(
        &std::fs::read(root.join("EXPECTED-dpkg-ubuntu-18.04.json")).expect("expected json"),
    )
    .expect("json");
    let s = |v: &serde_json::Value, k: &str| v[k].as_str().unwrap_or_default().to_string();
    let want: BTreeSet<Row> = expected["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .filter(|p| p["status"] == "install ok installed")
        .map(|p| {
            (
                s(p, "package"),
                s(p, "version"),
                Some(s(p, "architecture")),
                s(p, "sourcePackage"),
                Some(s(p, "sourceVersion")),
            )
        })
        .collect();
    assert_eq!(want.len(), 90, "fixture note says 90 installed");

    let files: Vec<_> = files_of(&root)
        .into_iter()
        .filter(|(p, _)| p.starts_with("/var/"))
        .collect();
    let found = run(dpkg(), &files);
    let got: BTreeSet<Row> = found
        .packages
        .iter()
        .map(|p| {
            let src = p.source.clone().unwrap_or_default();
            (
                p.name.clone(),
                p.version.clone(),
                p.arch.clone(),
                src.name,
                src.version,
            )
        })
        .collect();
    assert_eq!(found.packages.len(), 90);
    assert_eq!(got, want);
    assert!(found.warnings.is_empty(), "{:?}", found.warnings);

    // installed size and maintainer agree too
    for p in &found.packages {
        let e = expected["packages"]
            .as_array()
            .and_then(|a| a.iter().find(|e| e["package"] == p.name.as_str()))
            .expect("listed");
        let kib = e["installedSizeKiB"].as_u64();
        assert_eq!(p.installed_size, kib.map(|k| k * 1024), "{}", p.name);
        assert_eq!(
            p.maintainer.as_deref(),
            e["maintainer"].as_str(),
            "{}",
            p.name
        );
        assert_eq!(p.supplier, p.maintainer);
        assert_eq!(p.ecosystem, Ecosystem::Deb);
        assert_eq!(p.database_path, STATUS);
        // epoch exactly when the version has one
        let epoch = p
            .version
            .split_once(':')
            .map(|(e, _)| e.parse::<u64>().expect("epoch"));
        assert_eq!(p.epoch, epoch, "{}", p.name);
        assert!(p.description.as_deref().is_some_and(|d| !d.contains('\n')));
        assert!(p
            .depends
            .iter()
            .all(|d| !d.contains('(') && !d.contains(":any")));
    }
    // the left-out config-files entry is the one the fixture notes describe
    assert!(!found.packages.iter().any(|p| p.name == "git"));
}

/// The `Package:` lines of status.d files, found without the deb822 parser.
fn grep_packages(files: &[(String, Vec<u8>)]) -> BTreeSet<String> {
    files
        .iter()
        .filter(|(p, _)| p.starts_with(STATUS_D) && !p.ends_with(".md5sums"))
        .flat_map(|(_, b)| {
            String::from_utf8_lossy(b)
                .lines()
                .filter_map(|l| l.strip_prefix("Package:").map(|n| n.trim().to_string()))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn distroless_status_d() {
    for case in [
        "dpkg/distroless-static-debian11",
        "dpkg/distroless-deb-libsqlite3",
    ] {
        let files = files_of(&testdata(case));
        let found = run(dpkg(), &files);
        let got: BTreeSet<String> = found.packages.iter().map(|p| p.name.clone()).collect();
        let want = grep_packages(&files);
        assert!(!want.is_empty(), "{case}");
        assert_eq!(got, want, "{case}");
        assert_eq!(found.packages.len(), want.len(), "{case}");
        for p in &found.packages {
            assert!(p.database_path.starts_with(STATUS_D), "{case}");
            assert!(!p.database_path.ends_with(".md5sums"));
            if let Some(l) = &p.license {
                assert!(spdx::Expression::parse(l).is_ok(), "{case}: {l}");
            }
        }
    }
    // file name `base`, package `base-files`; its copyright is DEP-5
    let found = run(
        dpkg(),
        &files_of(&testdata("dpkg/distroless-static-debian11")),
    );
    let base = found
        .packages
        .iter()
        .find(|p| p.name == "base-files")
        .expect("base-files");
    assert_eq!(base.database_path, "/var/lib/dpkg/status.d/base");
    // libsqlite3-0: DEP-5, "GPL-2+ and public-domain" per SOURCES.md
    let found = run(
        dpkg(),
        &files_of(&testdata("dpkg/distroless-deb-libsqlite3")),
    );
    let p = &found.packages[0];
    assert_eq!(p.source.as_ref().map(|s| s.name.as_str()), Some("sqlite3"));
    let l = p.license.as_deref().expect("license");
    assert!(l.contains("GPL-2.0-or-later"), "{l}");
    assert!(l.contains("LicenseRef-public-domain"), "{l}");
}

/// `License:` first lines of a copyright file, read without the detector's code.
fn grep_licenses(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("License:"))
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn copyright_files() {
    let dir = testdata("dpkg/copyright");
    // DEP-5: every License name shows up, mapped, in one valid SPDX expression
    let body = std::fs::read(dir.join("liblzma5.copyright")).expect("fixture");
    let names = copyright::dep5_licenses(&body).expect("dep5");
    let grepped = grep_licenses(&String::from_utf8_lossy(&body));
    let unique: BTreeSet<&String> = grepped.iter().collect();
    assert_eq!(names.len(), unique.len());
    let expr = license::combine(&names).expect("expression");
    assert!(spdx::Expression::parse(&expr).is_ok(), "{expr}");
    for n in &grepped {
        let mapped = license::normalize(n).expect("normalised");
        assert!(
            expr.contains(&mapped),
            "{n} -> {mapped} missing from {expr}"
        );
    }
    // Debian short names map to real SPDX ids (SPDX license list), not refs
    for (debian, spdx_id) in [
        ("GPL-2+", "GPL-2.0-or-later"),
        ("GPL-2", "GPL-2.0-only"),
        ("LGPL-2.1+", "LGPL-2.1-or-later"),
    ] {
        assert!(names.iter().any(|n| n == debian));
        assert!(expr.split(' ').any(|t| t == spdx_id), "{spdx_id} in {expr}");
    }
    for (debian, spdx_id) in [
        ("Expat", "MIT"),
        ("BSD-3-clause", "BSD-3-Clause"),
        ("GPL-3+", "GPL-3.0-or-later"),
    ] {
        assert_eq!(license::normalize(debian).as_deref(), Some(spdx_id));
    }
    // free-form: no license at all
    let body = std::fs::read(dir.join("libc6.copyright")).expect("fixture");
    assert_eq!(copyright::dep5_licenses(&body), None);
    let files = vec![
        (
            STATUS.to_string(),
            b"Package: libc6\nStatus: install ok installed\nVersion: 2.23-0ubuntu3\nArchitecture: amd64\n".to_vec(),
        ),
        ("/usr/share/doc/libc6/copyright".to_string(), body),
    ];
    let found = run(dpkg(), &files);
    assert_eq!(found.packages[0].license, None);
    assert!(found.packages[0].licenses_declared.is_empty());
    // ... and no concluded license, but its own copyright lines, word for word
    assert_eq!(found.packages[0].license_concluded, None);
    let notices = found.packages[0].copyright.clone().expect("notices");
    let text = String::from_utf8_lossy(&files[1].1).into_owned();
    for n in notices.lines() {
        assert!(text.lines().any(|l| l.trim() == n), "{n}");
    }
    assert!(notices.lines().count() > 1, "{notices}");

    // DEP-5 whose every Files paragraph names its license: concluded as the AND of those;
    // the notices are the Copyright fields' lines
    let body = std::fs::read(dir.join("liblzma5.copyright")).expect("fixture");
    let read = copyright::read(&body);
    let concluded = read.concluded.expect("concluded");
    let text = String::from_utf8_lossy(&body);
    let files_paras = text
        .split("\n\n")
        .filter(|p| p.starts_with("Files:"))
        .count();
    assert!(files_paras > 1 && concluded.len() <= files_paras);
    for n in &read.copyright {
        assert!(
            text.lines()
                .any(|l| l.trim_start_matches("Copyright:").trim() == n),
            "{n}"
        );
    }
    assert!(!read.copyright.is_empty());
}

#[test]
fn owned_files_source_and_relations() {
    let status = b"Package: libfoo1\nStatus: install ok installed\nVersion: 2:1.0-1\n\
Architecture: amd64\nSource: foo (1.0-0.1)\nInstalled-Size: 10\n\
Pre-Depends: dpkg (>= 1.15)\nDepends: libc6:any (>= 2.14), a | b (<< 3)\nProvides: libfoo (= 1.0)\n\
Description: the foo library\n more text\n\n\
Package: bar\nStatus: install ok installed\nVersion: 3\nArchitecture: all\n";
    let files = vec![
        (STATUS.to_string(), status.to_vec()),
        (
            "/var/lib/dpkg/info/libfoo1:amd64.list".to_string(),
            b"/.\n/usr\n/usr/lib/libfoo.so.1\n".to_vec(),
        ),
        (
            "/var/lib/dpkg/info/bar.list".to_string(),
            b"/.\n/usr/bin/bar\n".to_vec(),
        ),
    ];
    let found = run(dpkg(), &files);
    let foo = &found.packages[0];
    assert_eq!(foo.epoch, Some(2));
    assert_eq!(foo.version, "2:1.0-1");
    assert_eq!(foo.installed_size, Some(10240));
    assert_eq!(foo.depends, ["dpkg", "libc6", "a | b"]);
    assert_eq!(foo.provides, ["libfoo"]);
    assert_eq!(foo.files, ["/usr", "/usr/lib/libfoo.so.1"]);
    assert_eq!(foo.description.as_deref(), Some("the foo library"));
    assert_eq!(
        foo.source,
        Some(SourcePackage {
            name: "foo".into(),
            version: Some("1.0-0.1".into())
        })
    );
    let bar = &found.packages[1];
    assert_eq!(bar.files, ["/usr/bin/bar"]);
    assert_eq!(bar.epoch, None);
    assert_eq!(
        bar.source,
        Some(SourcePackage {
            name: "bar".into(),
            version: Some("3".into())
        })
    );

    // per-layer snapshots leave the file lists out
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(p, b)| (p.as_str(), b.as_slice()))
        .collect();
    let view = FsView::from_files(&[dpkg()], &refs, &[]);
    let mut out = Findings::default();
    DpkgDetector.collect(&view, CollectContext { full_detail: false }, &mut out);
    assert!(out.packages.iter().all(|p| p.files.is_empty()));
}

#[test]
fn garbage_paragraphs_warn_and_keep_the_good_ones() {
    let files = vec![(
        STATUS.to_string(),
        b"Package: a\nStatus: install ok installed\nVersion: 1\n\n\xff\xfe\x00garbage\n\n  indented\n".to_vec(),
    )];
    let found = run(dpkg(), &files);
    assert_eq!(found.packages.len(), 1);
    assert_eq!(found.warnings.len(), 1);
    let w = &found.warnings[0];
    assert!(
        w.incomplete && w.message.contains("could not be read"),
        "{w:?}"
    );
    assert_eq!(w.path.as_deref(), Some(STATUS));
    assert_eq!(w.layer, Some(0));
    // all garbage: the file is unreadable as a whole
    assert!(DpkgDetector.parse(STATUS, b"\x00\x01garbage\n").is_err());
}

#[test]
fn claims() {
    let meta = EntryMeta {
        size: 1,
        mode: 0o644,
    };
    let d = DpkgDetector;
    for yes in [
        STATUS,
        "/var/lib/dpkg/status.d/base",
        "/var/lib/dpkg/status.d/libgtk2.0-0",
        "/var/lib/dpkg/info/libc6:amd64.list",
        "/usr/share/doc/libc6/copyright",
    ] {
        assert!(d.claim(yes, &meta).is_some(), "{yes}");
    }
    for no in [
        "/var/lib/dpkg/status-old",
        "/var/lib/dpkg/status.d/x.md5sums",
        "/var/lib/dpkg/info/libc6.md5sums",
        "/usr/share/doc/a/b/copyright",
        "/usr/share/doc/copyright",
    ] {
        assert!(d.claim(no, &meta).is_none(), "{no}");
    }
}

/// A status file written by the real dpkg with a package left in each state dpkg knows
/// (`testdata/dpkg/make-status-states.sh`): the packages reported are those dpkg-query -W
/// lists (it never lists not-installed) less the config-files one, each with its status as
/// dpkg-query printed it when dpkg did not finish with it.
#[test]
fn every_dpkg_state_as_dpkg_wrote_it() {
    let root = testdata("dpkg/status-states");
    let body = std::fs::read(root.join("status")).expect("status");
    let truth = std::fs::read_to_string(root.join("dpkg-query-W.tsv")).expect("truth");
    let listed: Vec<(&str, &str)> = truth.lines().filter_map(|l| l.split_once('\t')).collect();
    // the fixture really holds every state; notinst-pkg is in the file, not in -W
    let states: BTreeSet<&str> = listed
        .iter()
        .filter_map(|(_, s)| s.rsplit(' ').next())
        .collect();
    assert_eq!(states.len(), 7, "{states:?}");
    assert!(String::from_utf8_lossy(&body).contains("Status: install ok not-installed"));

    let found = run(dpkg(), &[(STATUS.to_string(), body)]);
    let got: BTreeSet<(String, Option<String>)> = found
        .packages
        .iter()
        .map(|p| (p.name.clone(), p.properties.get("dpkg:status").cloned()))
        .collect();
    let want: BTreeSet<(String, Option<String>)> = listed
        .iter()
        .filter(|(_, s)| !s.ends_with(" config-files"))
        .map(|(n, s)| {
            let shown = (!s.ends_with(" ok installed")).then(|| s.to_string());
            (n.to_string(), shown)
        })
        .collect();
    assert_eq!(got, want);
    assert!(got.contains(&(
        "trig-int".into(),
        Some("install ok triggers-pending".into())
    )));
    assert!(got.contains(&("hc-pkg".into(), Some("install ok half-configured".into()))));
    assert!(got.contains(&("ok-pkg".into(), None)));
    assert!(!got
        .iter()
        .any(|(n, _)| n == "cfg-pkg" || n == "notinst-pkg"));
}

proptest::proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(body in proptest::collection::vec(proptest::num::u8::ANY, 0..600)) {
        for path in [STATUS, "/var/lib/dpkg/status.d/x", "/var/lib/dpkg/info/x.list", "/usr/share/doc/x/copyright"] {
            let _ = run(dpkg(), &[(path.to_string(), body.clone())]);
        }
    }

    #[test]
    fn deb822_like_text_never_panics(body in "(Package|Version|Status|Source|Depends|License|Format)?[: a-z0-9()|,\n]{0,200}") {
        let _ = run(dpkg(), &[(STATUS.to_string(), body.clone().into_bytes()),
            ("/usr/share/doc/x/copyright".to_string(), body.into_bytes())]);
    }
}
