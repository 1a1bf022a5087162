//! On the DESCRIPTION files Debian's r-cran-* packages install, checked against what R's
//! `installed.packages()` says of them (testdata/lang/r/make-fixture.sh).

use std::sync::Arc;

use super::*;
use crate::detect::testutil::{files_of, run, testdata};

fn truth() -> Vec<Vec<String>> {
    std::fs::read_to_string(testdata("lang/r/truth.tsv"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

#[test]
fn every_package_r_lists_with_its_version_license_and_dependencies() {
    // laid out where Debian installs them
    let files: Vec<(String, Vec<u8>)> = files_of(&testdata("lang/r/site-library"))
        .into_iter()
        .map(|(p, b)| (format!("/usr/lib/R/site-library{p}"), b))
        .collect();
    let found = run(Arc::new(RDetector), &files);
    let want = truth();
    assert_eq!(want.len(), 4);
    let mut got: Vec<Vec<String>> = found
        .packages
        .iter()
        .map(|p| {
            let mut deps = p.depends.clone();
            deps.sort();
            vec![
                p.name.clone(),
                p.version.clone(),
                p.licenses_declared.join(""),
                deps.join(" "),
            ]
        })
        .collect();
    got.sort();
    let mut want = want;
    want.sort();
    assert_eq!(got, want);
    for p in &found.packages {
        assert_eq!(p.ecosystem, Ecosystem::Cran);
        assert_eq!(p.license.as_deref(), Some("MIT"), "{}", p.name);
        assert!(p.database_path.ends_with("/DESCRIPTION"));
    }
    let json = found
        .packages
        .iter()
        .find(|p| p.name == "jsonlite")
        .unwrap();
    assert_eq!(
        json.homepage.as_deref(),
        Some("https://arxiv.org/abs/1403.2805")
    );
    assert_eq!(
        sbom_core::purl::package_purl(json, None),
        "pkg:cran/jsonlite@1.8.4"
    );
}

#[test]
fn a_description_r_did_not_install_is_not_a_package() {
    // rlang's test fixture, even placed in a library: no Built: field
    let body = std::fs::read(testdata("lang/r/doc/DESCRIPTION")).unwrap();
    let files = vec![(
        "/usr/lib/R/site-library/rlanglibtest/DESCRIPTION".to_string(),
        body,
    )];
    assert!(run(Arc::new(RDetector), &files).packages.is_empty());
    // and outside a library it is not even read
    let d = RDetector;
    let meta = EntryMeta {
        size: 10,
        mode: 0o644,
    };
    assert!(d
        .claim("/usr/share/doc/r-cran-rlang/tests/DESCRIPTION", &meta)
        .is_none());
    assert!(d
        .claim("/usr/lib/R/site-library/rlang/DESCRIPTION", &meta)
        .is_some());
    assert!(d
        .claim("/usr/lib/R/library/stats/DESCRIPTION", &meta)
        .is_some());
}

#[test]
fn r_license_fields_as_spdx() {
    for (r, spdx) in [
        ("MIT + file LICENSE", Some("MIT")),
        ("GPL (>= 2)", Some("GPL-2.0-or-later")),
        ("GPL-2 | GPL-3", Some("GPL-2.0-only OR GPL-3.0-only")),
        ("LGPL (>= 2.1)", Some("LGPL-2.1-or-later")),
        ("Apache License 2.0", Some("Apache-2.0")),
        ("file LICENSE", None),
    ] {
        assert_eq!(spdx_license(r).as_deref(), spdx, "{r}");
    }
}

#[test]
fn malformed_descriptions_are_errors_not_panics() {
    assert!(
        parse_description(b"Built: R 4\nVersion: 1\n").is_err(),
        "no Package"
    );
    // not UTF-8, cut mid-field: an answer, never a panic
    let _ = parse_description(&[0xff, 0xfe, b'\n']);
    let _ = parse_description(b"Package: x\nBuilt: R\nVersion");
    assert_eq!(
        parse_description(b"Package: x\nVersion: 1\n").unwrap(),
        None
    );
    assert_eq!(parse_description(b"").ok().flatten(), None);
}
