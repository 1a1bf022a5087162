//! On the conda-meta records of Syft's conda cataloger tests (written by rattler for a real
//! environment), checked against the packages Syft's own test expects of them
//! (testdata/conda/syft-expected.json, read from Syft's test by testdata/syft-expected.py).

use std::sync::Arc;

use serde_json::Value;

use super::*;
use crate::detect::testutil::{files_of, run, testdata};

fn syft_expected() -> Vec<Value> {
    let text = std::fs::read_to_string(testdata("conda/syft-expected.json")).unwrap();
    let cases: Vec<Vec<Value>> = serde_json::from_str(&text).unwrap();
    // the first case is the good environment; the bad-JSON case expects nothing
    cases.into_iter().next().unwrap()
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

#[test]
fn every_package_syft_expects_with_its_fields_and_files() {
    let files = files_of(&testdata("conda/conda-meta-python-c-etc"));
    let found = run(Arc::new(CondaDetector), &files);
    assert!(found.warnings.is_empty(), "{:?}", found.warnings);
    let want = syft_expected();
    assert_eq!(want.len(), 2);
    assert_eq!(found.packages.len(), want.len());
    for w in &want {
        let md = &w["metadata"];
        let p = found
            .packages
            .iter()
            .find(|p| p.name == s(&w["name"]))
            .unwrap_or_else(|| panic!("{} not found", w["name"]));
        assert_eq!(p.version, s(&w["version"]));
        assert_eq!(p.ecosystem, Ecosystem::Conda);
        let licenses: Vec<String> = w["licenses"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| s(l).to_string())
            .collect();
        assert_eq!(p.licenses_declared, licenses);
        assert_eq!(p.license.as_deref(), Some(s(&md["License"])));
        assert_eq!(
            format!("/{}", s(&w["locations"][0])),
            p.database_path,
            "where Syft found it"
        );
        // the prefix is the root: each file the record lists, as an absolute path
        let files: Vec<String> = md["Files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| format!("/{}", s(f)))
            .collect();
        assert_eq!(p.files, files);
        let deps: Vec<String> = md["Depends"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| s(d).split(' ').next().unwrap().to_string())
            .collect();
        assert_eq!(p.depends, deps);
        assert!(p.checksums.contains(&Checksum {
            algorithm: "SHA256".into(),
            value: s(&md["SHA256"]).into()
        }));
        assert_eq!(
            p.properties.get("conda:channel").map(String::as_str),
            Some(s(&md["Channel"]))
        );
        let purl = sbom_core::purl::package_purl(p, None);
        assert!(
            purl.starts_with(&format!("pkg:conda/{}@{}?", p.name, p.version)),
            "{purl}"
        );
        assert!(
            purl.contains(&format!("build={}", s(&md["Build"]))),
            "{purl}"
        );
        assert!(
            purl.contains(&format!("subdir={}", s(&md["Subdir"]))),
            "{purl}"
        );
        assert!(purl.contains("channel=conda-forge"), "{purl}");
        let kind = if s(&md["Filename"]).ends_with(".conda") {
            "type=conda"
        } else {
            "type=tar.bz2"
        };
        assert!(purl.contains(kind), "{purl}");
    }
}

#[test]
fn an_environment_under_a_prefix_owns_its_files_there() {
    let files: Vec<(String, Vec<u8>)> = files_of(&testdata("conda/conda-meta-python-c-etc"))
        .into_iter()
        .map(|(p, b)| (format!("/opt/conda/envs/app{p}"), b))
        .collect();
    let found = run(Arc::new(CondaDetector), &files);
    let zlib = found.packages.iter().find(|p| p.name == "zlib").unwrap();
    assert!(zlib
        .files
        .contains(&"/opt/conda/envs/app/lib/libz.a".to_string()));
    assert_eq!(
        zlib.install_root(),
        "/opt/conda/envs/app/conda-meta",
        "dependencies resolve within one environment"
    );
}

#[test]
fn bad_json_is_an_error_naming_the_file_not_a_panic() {
    // Syft's own bad-JSON fixture: Syft expects an error, no package
    let files = files_of(&testdata("conda/conda-meta-bad-json"));
    let found = run(Arc::new(CondaDetector), &files);
    assert!(found.packages.is_empty());
    let body = &files[0].1;
    let e = parse_record(body).unwrap_err();
    assert!(e.0.contains("not a conda-meta record"), "{e}");
    // truncated records and records without a name are errors too
    let good = std::fs::read(testdata(
        "conda/conda-meta-python-c-etc/conda-meta/zlib-1.2.11-h90dfc92_1014.json",
    ))
    .unwrap();
    assert!(parse_record(&good[..good.len() / 2]).is_err());
    assert!(parse_record(br#"{"name": "", "version": "1"}"#).is_err());
    assert!(parse_record(br#"{"version": "1"}"#).is_err());
    // through a scan, the warning names the record
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("conda-meta")).unwrap();
    std::fs::write(dir.path().join("conda-meta/package-1.2.3-x_0.json"), body).unwrap();
    let image = crate::ImageRef::parse(&format!("dir:{}", dir.path().display())).unwrap();
    let inv = crate::Scanner::new().scan(&image).unwrap().inventory;
    assert!(
        inv.warnings.iter().any(|w| {
            let text = format!("{:?} {}", w.path, w.message);
            text.contains("/conda-meta/package-1.2.3-x_0.json") && w.incomplete
        }),
        "{:?}",
        inv.warnings
    );
}

#[test]
fn only_records_directly_in_conda_meta_are_claimed() {
    let m = EntryMeta {
        size: 10,
        mode: 0o644,
    };
    let d = CondaDetector;
    assert!(d
        .claim("/opt/conda/conda-meta/zlib-1.2.11-0.json", &m)
        .is_some());
    assert!(d.claim("/conda-meta/x-1-0.json", &m).is_some());
    assert!(d.claim("/opt/conda/conda-meta/history", &m).is_none());
    assert!(d.claim("/opt/conda/conda-meta/.json", &m).is_none());
    assert!(d.claim("/opt/conda/conda-meta/sub/x.json", &m).is_none());
    assert!(d.claim("/opt/conda/pkgs/x/info/index.json", &m).is_none());
}
