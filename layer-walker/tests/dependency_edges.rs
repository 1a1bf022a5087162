//! Dependency edges in an image that holds the same packages at two places: real npm
//! manifests under two `node_modules` trees and real Python dists in two site directories.
//! Every edge must be there and point at the copy Node or Python loads, as recorded in
//! `testdata/lang/*/EXPECTED-*` from Node's `require.resolve` and Python's
//! `importlib.metadata`; layer change lists must name the ids the packages got.

mod support;

use std::collections::BTreeSet;

use layer_walker::ImageRef;
use sbom_core::{Inventory, RelationshipKind, Scope};
use support::*;

const TREES: [&str; 2] = ["/app", "/srv"];
const SITES: [&str; 2] = [
    "/usr/local/lib/python3.11/site-packages",
    "/opt/venv/lib/python3.11/site-packages",
];
const NPM: &str = "lang/npm/npm-11-bundled";
const PY: &str = "lang/python/site-packages-requests";

/// Files below `dir` in testdata, relative to it, sorted.
fn files(dir: &str) -> Vec<String> {
    fn walk(base: &std::path::Path, at: &std::path::Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(at).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                out.push(p.strip_prefix(base).unwrap().to_str().unwrap().to_string());
            }
        }
    }
    let base = testdata().join(dir);
    let mut out = Vec::new();
    walk(&base, &base, &mut out);
    out.sort();
    assert!(!out.is_empty(), "{dir}");
    out
}

/// Every file of testdata `dir`, placed under `at` (an image path): (tar path, body).
fn tree(dir: &str, at: &str) -> Vec<(String, Vec<u8>)> {
    files(dir)
        .into_iter()
        .map(|f| {
            let body = std::fs::read(testdata().join(dir).join(&f)).unwrap();
            (format!("{}/{f}", at.trim_start_matches('/')), body)
        })
        .collect()
}

/// A layer of regular files.
fn layer_of(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let entries: Vec<E> = files
        .iter()
        .map(|(p, b)| E::File(p.as_str(), b.as_slice()))
        .collect();
    layer(&entries)
}

/// `from -> to` lines of an EXPECTED file.
fn expected(file: &str) -> Vec<(String, String)> {
    std::fs::read_to_string(testdata().join(file))
        .unwrap()
        .lines()
        .map(|l| {
            let (a, b) = l.split_once(" -> ").expect("`from -> to`");
            assert_ne!(b, "NONE", "every dependency of the fixture is installed");
            (a.to_string(), b.to_string())
        })
        .collect()
}

/// Every edge Node and Python resolve, as (dependent, dependency) database paths, for the
/// trees and site directories the image holds.
fn resolved_edges() -> BTreeSet<(String, String)> {
    let mut want = BTreeSet::new();
    for tree in TREES {
        for (a, b) in expected("lang/npm/EXPECTED-npm-11-bundled-require-resolve.txt") {
            want.insert((
                format!("{tree}/{a}/package.json"),
                format!("{tree}/{b}/package.json"),
            ));
        }
    }
    for site in SITES {
        for (a, b) in expected("lang/python/EXPECTED-site-packages-requests-importlib.txt") {
            want.insert((
                format!("{site}/{a}/METADATA"),
                format!("{site}/{b}/METADATA"),
            ));
        }
    }
    want
}

fn depends_on(inv: &Inventory) -> BTreeSet<(String, String)> {
    let at = |id| {
        &inv.package(id)
            .expect("an edge names a package")
            .database_path
    };
    inv.relationships
        .iter()
        .filter(|r| r.kind == RelationshipKind::DependsOn)
        .map(|r| (at(&r.from).clone(), at(&r.to).clone()))
        .collect()
}

fn scan(layers: Vec<Vec<u8>>, scope: Scope) -> Inventory {
    let d = tempfile::tempdir().unwrap();
    Oci::gzip_layers(layers).write(d.path());
    let r = ImageRef::parse(&format!("oci-dir:{}", d.path().display())).unwrap();
    layer_walker::Scanner::new()
        .scope(scope)
        .scan(&r)
        .unwrap()
        .inventory
}

/// Layer 0: the npm tree at /app and the dists in the first site directory; layer 1: the
/// same at /srv and in the second.
fn two_places() -> Vec<Vec<u8>> {
    (0..2)
        .map(|i| layer_of(&[tree(NPM, TREES[i]), tree(PY, SITES[i])].concat()))
        .collect()
}

/// Every layer entry names a package of the inventory introduced (or, for `removed`,
/// removed) by that layer, except entries for packages the inventory does not hold.
fn assert_layer_entries_name_their_packages(inv: &Inventory, absent: &[&str]) {
    for l in &inv.layers {
        for (r, removed) in l
            .added
            .iter()
            .map(|r| (r, false))
            .chain(l.removed.iter().map(|r| (r, true)))
        {
            match inv.package(&r.id) {
                Some(p) => {
                    assert_eq!((&p.name, &p.version), (&r.name, &r.version), "{}", r.id);
                    let when = if removed { p.removed_in } else { p.layer };
                    assert_eq!(when, Some(l.index), "layer {} names {}", l.index, r.id);
                }
                None => assert!(
                    absent.iter().any(|a| r.id.as_str().ends_with(a)),
                    "layer {} names {}, which is not in the inventory",
                    l.index,
                    r.id
                ),
            }
        }
    }
}

#[test]
fn every_edge_points_at_the_copy_in_its_own_tree_or_site_directory() {
    let inv = scan(two_places(), Scope::Squashed);
    // 10 npm packages and 5 dists, twice
    assert_eq!(inv.packages.len(), 30);
    let want = resolved_edges();
    assert_eq!(want.len(), 2 * (5 + 4));
    assert_eq!(depends_on(&inv), want);
    // minipass-pipeline loads its nested minipass 3, not the tree's minipass 7
    let pipeline = "/srv/node_modules/minipass-pipeline";
    let to = want
        .iter()
        .find(|(a, _)| *a == format!("{pipeline}/package.json"))
        .map(|(_, b)| b.as_str());
    assert_eq!(
        to,
        Some("/srv/node_modules/minipass-pipeline/node_modules/minipass/package.json")
    );
    assert_layer_entries_name_their_packages(&inv, &[]);
    assert_eq!(inv.layers[0].added.len(), 15);
    assert_eq!(inv.layers[1].added.len(), 15);
}

#[test]
fn a_dependency_removed_from_one_tree_is_not_taken_from_the_other() {
    let mut layers = two_places();
    layers.push(layer(&[
        E::File("srv/node_modules/.wh.ms", b""),
        E::File(
            "opt/venv/lib/python3.11/site-packages/.wh.urllib3-2.7.0.dist-info",
            b"",
        ),
    ]));
    let gone_ms = "/srv/node_modules/ms/package.json";
    let gone_urllib3 = format!("{}/urllib3-2.7.0.dist-info/METADATA", SITES[1]);
    let mut want = resolved_edges();
    // Node finds no `ms` from /srv's debug any more, Python no urllib3 in the venv
    assert!(want.remove(&(
        "/srv/node_modules/debug/package.json".into(),
        gone_ms.into()
    )));
    assert!(want.remove(&(
        format!("{}/requests-2.34.2.dist-info/METADATA", SITES[1]),
        gone_urllib3.clone()
    )));
    for scope in [Scope::Squashed, Scope::AllLayers] {
        let inv = scan(layers.clone(), scope);
        assert_eq!(depends_on(&inv), want, "{scope:?}");
        let absent = [format!("#{gone_ms}"), format!("#{gone_urllib3}")];
        let absent: Vec<&str> = if scope == Scope::Squashed {
            absent.iter().map(String::as_str).collect()
        } else {
            Vec::new()
        };
        assert_layer_entries_name_their_packages(&inv, &absent);
        assert_eq!(inv.layers[2].removed.len(), 2, "{scope:?}");
    }
}

#[test]
fn a_package_removed_and_installed_again_has_two_ids_and_the_edge_goes_to_the_one_present() {
    let ms = std::fs::read(testdata().join(NPM).join("node_modules/ms/package.json")).unwrap();
    let mut layers = two_places();
    layers.push(layer(&[E::File("srv/node_modules/.wh.ms", b"")]));
    layers.push(layer(&[E::File("srv/node_modules/ms/package.json", &ms)]));
    let inv = scan(layers, Scope::AllLayers);
    assert_eq!(depends_on(&inv), resolved_edges());
    let copies: Vec<_> = inv
        .packages
        .iter()
        .filter(|p| p.database_path == "/srv/node_modules/ms/package.json")
        .collect();
    assert_eq!(copies.len(), 2);
    assert_ne!(copies[0].id, copies[1].id);
    let present = copies.iter().find(|p| p.removed_in.is_none()).unwrap();
    let removed = copies.iter().find(|p| p.removed_in == Some(2)).unwrap();
    assert_eq!((present.layer, removed.layer), (Some(3), Some(1)));
    assert!(
        removed.id.as_str().ends_with("#removed-in-2"),
        "{}",
        removed.id
    );
    let debug_edge = inv
        .relationships
        .iter()
        .find(|r| {
            inv.package(&r.from).unwrap().database_path == "/srv/node_modules/debug/package.json"
        })
        .unwrap();
    assert_eq!(debug_edge.to, present.id);
    assert_layer_entries_name_their_packages(&inv, &[]);
}
