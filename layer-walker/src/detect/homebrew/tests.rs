//! On the kegs of Syft's Homebrew cataloger tests, checked against the packages Syft's tests
//! expect (testdata/homebrew/syft-expected-*.json, read from them by
//! testdata/syft-expected.py), and on osv-scalibr's rclone keg, checked against the SPDX
//! document Homebrew itself wrote for that keg.

use std::sync::Arc;

use serde_json::Value;

use super::*;
use crate::detect::testutil::{files_of, run, testdata};

fn json(rel: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(testdata(rel)).unwrap()).unwrap()
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| s(x).to_string())
        .collect()
}

/// The fields Syft's expected packages carry, compared with ours.
fn assert_as_syft_expects(p: &Package, w: &Value) {
    assert_eq!(p.name, s(&w["name"]));
    assert_eq!(p.version, s(&w["version"]));
    assert_eq!(sbom_core::purl::package_purl(p, None), s(&w["purl"]));
    assert_eq!(p.licenses_declared, strings(&w["licenses"]));
    assert_eq!(
        p.homepage.as_deref(),
        w["metadata"]["Homepage"].as_str(),
        "{}",
        p.name
    );
    assert_eq!(
        p.description.as_deref(),
        w["metadata"]["Description"].as_str(),
        "{}",
        p.name
    );
    assert_eq!(p.ecosystem, Ecosystem::Homebrew);
}

#[test]
fn the_installed_keg_syft_expects_and_not_the_tap_formula() {
    let files = files_of(&testdata("homebrew/syft-install-example"));
    let found = run(Arc::new(HomebrewDetector), &files);
    assert!(found.warnings.is_empty(), "{:?}", found.warnings);
    let cases = json("homebrew/syft-expected-cataloger.json");
    let want = cases[0].as_array().unwrap();
    assert_eq!(want.len(), 2);
    for w in want {
        let location = format!("/{}", s(&w["locations"][0]));
        match found.packages.iter().find(|p| p.name == s(&w["name"])) {
            Some(p) => {
                assert_eq!(p.database_path, location);
                assert_as_syft_expects(p, w);
            }
            // Syft also reports formulae that a tap merely offers; nothing of them is
            // installed (no keg), so they are left out here on purpose
            None => assert!(location.contains("/Library/Taps/"), "{location}"),
        }
    }
    assert_eq!(found.packages.len(), 1);
}

#[test]
fn the_formulae_syft_parses_read_the_same_from_a_cellar() {
    // Syft's parser fixtures, laid out in a Cellar as brew installs them
    let files: Vec<(String, Vec<u8>)> = files_of(&testdata("homebrew/syft-formulas"))
        .into_iter()
        .map(|(p, b)| (format!("/home/linuxbrew/.linuxbrew/Cellar{p}"), b))
        .collect();
    let found = run(Arc::new(HomebrewDetector), &files);
    let cases = json("homebrew/syft-expected-formula.json");
    let cases = cases.as_array().unwrap();
    assert_eq!(cases.len(), 2);
    assert_eq!(found.packages.len(), cases.len());
    for case in cases {
        let w = &case[0];
        let p = found
            .packages
            .iter()
            .find(|p| p.name == s(&w["name"]))
            .unwrap_or_else(|| panic!("{} not found", w["name"]));
        assert_as_syft_expects(p, w);
    }
}

#[test]
fn a_keg_as_homebrew_describes_it_in_its_own_sbom() {
    let files = files_of(&testdata("homebrew/scalibr"));
    let found = run(Arc::new(HomebrewDetector), &files);
    assert!(found.warnings.is_empty(), "{:?}", found.warnings);
    assert_eq!(found.packages.len(), 1);
    let p = &found.packages[0];
    let doc = json("homebrew/scalibr/usr/local/Cellar/rclone/1.67.0/sbom.spdx.json");
    // the bottle: the package brew installed
    let bottle = doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| s(&x["SPDXID"]).starts_with("SPDXRef-Bottle-"))
        .unwrap();
    assert_eq!(p.name, s(&bottle["name"]));
    assert_eq!(p.version, s(&bottle["versionInfo"]));
    assert_eq!(p.license.as_deref(), Some(s(&bottle["licenseConcluded"])));
    let purl = bottle["externalRefs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["referenceType"] == "purl")
        .unwrap();
    assert_eq!(
        sbom_core::purl::package_purl(p, None),
        s(&purl["referenceLocator"])
    );
    assert_eq!(
        p.database_path,
        "/usr/local/Cellar/rclone/1.67.0/INSTALL_RECEIPT.json"
    );
    assert_eq!(p.arch.as_deref(), Some("x86_64"));
    assert!(p.depends.is_empty());
    // every file of the keg is its own
    assert_eq!(p.files.len(), files.len());
    assert!(p
        .files
        .iter()
        .all(|f| f.starts_with("/usr/local/Cellar/rclone/1.67.0/")));
}

#[test]
fn malformed_receipts_and_formulae_are_errors_naming_the_file() {
    let receipt = std::fs::read(testdata(
        "homebrew/scalibr/usr/local/Cellar/rclone/1.67.0/INSTALL_RECEIPT.json",
    ))
    .unwrap();
    assert!(parse_receipt(&receipt).is_ok());
    assert!(
        parse_receipt(&receipt[..receipt.len() / 2]).is_err(),
        "truncated"
    );
    assert!(parse_receipt(b"[1, 2]").is_err());
    assert!(parse_formula(&[0xff, 0xfe]).is_err());
    assert_eq!(
        parse_formula(
            b"name = \"global\"\nclass X < Formula\n  desc \"d \\\"q\\\"\" # \"c\"\nend\n"
        )
        .unwrap()
        .desc
        .as_deref(),
        Some("d \"q\""),
        "a quoted quote, a comment with quotes"
    );
    // the `any_of:` form
    let f = parse_formula(b"class X < Formula\n  license any_of: [\"MIT\", \"Apache-2.0\"]\nend\n")
        .unwrap();
    assert_eq!(f.licenses, ["MIT", "Apache-2.0"]);
    assert_eq!(f.license.as_deref(), Some("MIT OR Apache-2.0"));
    // through a scan: the warning names the receipt; the keg is still found by its formula
    let dir = tempfile::tempdir().unwrap();
    for (p, b) in files_of(&testdata("homebrew/scalibr")) {
        let to = dir.path().join(&p[1..]);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        let body = if p.ends_with(RECEIPT) {
            b[..b.len() / 2].to_vec()
        } else {
            b
        };
        std::fs::write(&to, body).unwrap();
    }
    let image = crate::ImageRef::parse(&format!("dir:{}", dir.path().display())).unwrap();
    let inv = crate::Scanner::new().scan(&image).unwrap().inventory;
    assert!(inv.packages.iter().any(|p| p.name == "rclone"));
    assert!(
        inv.warnings
            .iter()
            .any(|w| format!("{:?} {}", w.path, w.message)
                .contains("/usr/local/Cellar/rclone/1.67.0/INSTALL_RECEIPT.json")),
        "{:?}",
        inv.warnings
    );
}

#[test]
fn only_kegs_are_claimed() {
    let m = EntryMeta {
        size: 1 << 40,
        mode: 0o755,
    };
    let d = HomebrewDetector;
    let c = |p: &str| d.claim(p, &m);
    assert!(
        c("/opt/homebrew/Cellar/foo/1.2.3/INSTALL_RECEIPT.json")
            .unwrap()
            .read_body
    );
    assert!(
        c("/opt/homebrew/Cellar/foo/1.2.3/.brew/foo.rb")
            .unwrap()
            .read_body
    );
    assert!(
        !c("/opt/homebrew/Cellar/foo/1.2.3/bin/foo")
            .unwrap()
            .read_body
    );
    assert!(c("/opt/homebrew/Cellar/foo/1.2.3").is_none());
    assert!(c("/opt/homebrew/Library/Taps/o/t/Formula/bar.rb").is_none());
}
