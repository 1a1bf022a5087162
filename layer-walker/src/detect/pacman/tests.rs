//! On a database pacman itself wrote (testdata/pacman/make-root.sh: three packages built by
//! makepkg, installed by `pacman -U`), checked against what `pacman -Qi` says of it.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::*;
use crate::detect::testutil::{files_of, run, testdata};

/// `pacman -Qi` output: one block per package, `Key : value` lines.
fn truth() -> Vec<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(testdata("pacman/truth.txt")).unwrap();
    text.split("\n\n")
        .filter(|b| !b.trim().is_empty())
        .map(|b| {
            b.lines()
                .filter_map(|l| l.split_once(" : "))
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .collect()
        })
        .collect()
}

fn list(v: &str) -> Vec<String> {
    if v == "None" {
        Vec::new()
    } else {
        v.split_whitespace().map(bare_name).collect()
    }
}

#[test]
fn every_package_pacman_lists_with_its_fields() {
    let files = files_of(&testdata("pacman/root"));
    let found = run(Arc::new(PacmanDetector), &files);
    let want = truth();
    assert_eq!(want.len(), 3);
    assert_eq!(found.packages.len(), want.len());
    for t in &want {
        let p = found
            .packages
            .iter()
            .find(|p| p.name == t["Name"])
            .unwrap_or_else(|| panic!("{} not found", t["Name"]));
        assert_eq!(p.version, t["Version"]);
        assert_eq!(p.arch.as_deref(), Some(t["Architecture"].as_str()));
        assert_eq!(p.homepage.as_deref(), Some(t["URL"].as_str()));
        assert_eq!(p.description.as_deref(), Some(t["Description"].as_str()));
        assert_eq!(p.licenses_declared, list(&t["Licenses"]));
        assert_eq!(p.depends, list(&t["Depends On"]));
        assert_eq!(p.ecosystem, Ecosystem::Alpm);
        // the files pacman lists (`pacman -Ql` is the `files` file): the package's own
        let db = format!("{LOCAL}{}-{}/desc", p.name, p.version);
        assert_eq!(p.database_path, db);
        assert!(
            p.files.iter().any(|f| f.starts_with("/usr/bin/")),
            "{:?}",
            p.files
        );
        assert!(p.files.iter().all(|f| !f.ends_with('/')));
    }
    let tools = found
        .packages
        .iter()
        .find(|p| p.name == "foo-tools")
        .unwrap();
    assert_eq!(
        tools.license.as_deref(),
        Some("GPL-2.0-or-later AND LGPL-2.1-only")
    );
    let purl = sbom_core::purl::package_purl(tools, None);
    assert_eq!(purl, "pkg:alpm/arch/foo-tools@2.0-3?arch=x86_64");
}

#[test]
fn the_epoch_is_kept_in_the_version() {
    let p = parse_desc(b"%NAME%\nbar\n\n%VERSION%\n2:0.9.1-1\n\n%DEPENDS%\nlibfoo>=1.2\nsh\n\n")
        .unwrap();
    assert_eq!(p.version, "2:0.9.1-1");
    assert_eq!(p.depends, ["libfoo", "sh"]);
}

#[test]
fn malformed_databases_are_errors_not_panics() {
    assert!(parse_desc(b"%VERSION%\n1-1\n").is_err(), "no name");
    assert!(parse_desc(b"stray\n%NAME%\nx\n").is_err());
    assert!(parse_desc(&[0xff, 0xfe]).is_err());
    assert!(parse_desc(b"%NAME%\nx\n").is_err(), "no version");
    assert_eq!(parse_files(b"").unwrap(), Files(vec![]));
    let d = PacmanDetector;
    assert!(d.parse("/var/lib/pacman/local/x-1-1/desc", b"%").is_err());
    assert!(d
        .claim(
            "/var/lib/pacman/local/x-1-1/mtree",
            &EntryMeta {
                size: 1,
                mode: 0o644
            }
        )
        .is_none());
    assert!(d
        .claim(
            "/var/lib/pacman/local/desc",
            &EntryMeta {
                size: 1,
                mode: 0o644
            }
        )
        .is_none());
}

#[test]
fn a_scan_links_each_package_to_what_it_depends_on() {
    let image =
        crate::ImageRef::parse(&format!("dir:{}", testdata("pacman/root").display())).unwrap();
    let inv = crate::Scanner::new().scan(&image).unwrap().inventory;
    let mut edges: Vec<(String, String)> = inv
        .relationships
        .iter()
        .filter(|r| r.kind == sbom_core::RelationshipKind::DependsOn)
        .map(|r| {
            let name = |i: &sbom_core::PackageId| {
                inv.packages
                    .iter()
                    .find(|p| &p.id == i)
                    .unwrap()
                    .name
                    .clone()
            };
            (name(&r.from), name(&r.to))
        })
        .collect();
    edges.sort();
    // what `pacman -Qi` lists under "Depends On", every one installed here
    let mut want: Vec<(String, String)> = truth()
        .iter()
        .flat_map(|t| {
            list(&t["Depends On"])
                .into_iter()
                .map(|d| (t["Name"].clone(), d))
                .collect::<Vec<_>>()
        })
        .collect();
    want.sort();
    assert_eq!(edges, want);
}
