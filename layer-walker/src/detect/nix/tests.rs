//! On a store Nix itself built (testdata/nix/make-store.sh: Debian's nix-bin 2.8.0, offline),
//! checked against what Nix says of it (`nix show-derivation` outputs with
//! `builtins.parseDrvName`, `nix path-info`) and against which paths Syft 1.18.1 reports.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::Value;

use super::*;
use crate::detect::testutil::{files_of, run, testdata};

fn json(rel: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(testdata(rel)).unwrap()).unwrap()
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap()
}

fn store() -> Vec<(String, Vec<u8>)> {
    files_of(&testdata("nix/root"))
}

#[test]
fn every_output_with_the_name_and_version_nix_gives_it() {
    let found = run(Arc::new(NixDetector), &store());
    assert!(found.warnings.is_empty(), "{:?}", found.warnings);
    let outputs = json("nix/outputs.json");
    let info = json("nix/path-info.json");
    // every output Nix built, except those whose name has no version
    let want: Vec<&Value> = outputs
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| !s(&o["parsed"]["version"]).is_empty())
        .collect();
    assert_eq!(want.len(), 7);
    assert_eq!(found.packages.len(), want.len());
    for o in want {
        let p = found
            .packages
            .iter()
            .find(|p| p.database_path == s(&o["path"]))
            .unwrap_or_else(|| panic!("{} not found", o["path"]));
        assert_eq!(p.name, s(&o["parsed"]["name"]));
        assert_eq!(p.version, s(&o["parsed"]["version"]));
        assert_eq!(p.ecosystem, Ecosystem::Nix);
        let output = s(&o["output"]);
        let purl = sbom_core::purl::package_purl(p, None);
        assert_eq!(
            purl.contains(&format!("output={output}")),
            output != "out",
            "{purl}"
        );
        let i = info
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["path"] == o["path"])
            .unwrap();
        assert_eq!(p.installed_size, i["narSize"].as_u64());
        assert_eq!(
            p.properties.get("nix:deriver").map(String::as_str),
            i["deriver"].as_str()
        );
        // references, by the name of the package each referenced path is
        let mut refs: Vec<String> = i["references"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| *r != &o["path"])
            .map(|r| {
                let drv = outputs
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|x| x["path"] == *r)
                    .unwrap();
                s(&drv["parsed"]["name"]).to_string()
            })
            .collect();
        refs.sort();
        let mut deps = p.depends.clone();
        deps.sort();
        assert_eq!(deps, refs, "{}", p.name);
        assert!(p.files.iter().all(|f| f.starts_with(s(&o["path"]))));
        assert!(!p.files.is_empty());
    }
}

#[test]
fn the_paths_and_files_syft_reports() {
    let found = run(Arc::new(NixDetector), &store());
    let syft = json("nix/syft.json");
    let syft = syft["packages"].as_array().unwrap();
    let ours: BTreeSet<&str> = found
        .packages
        .iter()
        .map(|p| p.database_path.as_str())
        .collect();
    let theirs: BTreeSet<&str> = syft.iter().map(|p| s(&p["locations"][0])).collect();
    assert_eq!(ours, theirs);
    for t in syft {
        let p = found
            .packages
            .iter()
            .find(|p| p.database_path == s(&t["locations"][0]))
            .unwrap();
        // Syft lists directories too; the regular files are the same
        let files: BTreeSet<&str> = p.files.iter().map(String::as_str).collect();
        let theirs: BTreeSet<&str> = t["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(s)
            .filter(|f| testdata("nix/root").join(&f[1..]).is_file())
            .collect();
        assert_eq!(files, theirs);
        // the same outputhash and output qualifiers
        let purl = sbom_core::purl::package_purl(p, None);
        let q = |purl: &str| -> BTreeSet<String> {
            purl.split_once('?')
                .map(|(_, q)| q.split('&').map(str::to_string).collect())
                .unwrap_or_default()
        };
        assert_eq!(q(&purl), q(s(&t["purl"])), "{purl}");
    }
}

#[test]
fn without_the_database_outputs_are_told_by_their_names() {
    let files: Vec<(String, Vec<u8>)> = store().into_iter().filter(|(p, _)| p != DB).collect();
    let found = run(Arc::new(NixDetector), &files);
    let outputs = json("nix/outputs.json");
    for o in outputs.as_array().unwrap() {
        if s(&o["parsed"]["version"]).is_empty() {
            continue;
        }
        let p = found
            .packages
            .iter()
            .find(|p| p.database_path == s(&o["path"]))
            .unwrap();
        assert_eq!(p.version, s(&o["parsed"]["version"]), "{}", o["path"]);
        assert!(p.depends.is_empty() && p.installed_size.is_none());
    }
}

#[test]
fn a_broken_database_is_an_error_and_the_store_is_still_read() {
    let files = store();
    let (_, db) = files.iter().find(|(p, _)| p == DB).unwrap();
    assert!(read_database(db).is_ok());
    assert!(read_database(&db[..db.len() / 2]).is_err(), "truncated");
    assert!(read_database(b"SQLite format 3\0 but nothing more").is_err());
    assert!(read_database(&[0u8; 4096]).is_err());
    // a SQLite database that is not Nix's
    let mut conn = rusqlite::Connection::open_in_memory().unwrap();
    conn.execute_batch("CREATE TABLE Packages (hnum INTEGER, blob BLOB);")
        .unwrap();
    let other = conn.serialize(rusqlite::MAIN_DB).unwrap().to_vec();
    let e = read_database(&other).unwrap_err();
    assert!(e.to_string().contains("ValidPaths"), "{e}");
    // through a scan: the warning names the database, the store paths are still found
    let dir = tempfile::tempdir().unwrap();
    for (p, b) in &files {
        let to = dir.path().join(&p[1..]);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::write(&to, if p == DB { &db[..db.len() / 2] } else { b }).unwrap();
    }
    let image = crate::ImageRef::parse(&format!("dir:{}", dir.path().display())).unwrap();
    let inv = crate::Scanner::new().scan(&image).unwrap().inventory;
    assert_eq!(
        inv.packages
            .iter()
            .filter(|p| p.ecosystem == Ecosystem::Nix)
            .count(),
        7
    );
    assert!(
        inv.warnings
            .iter()
            .any(|w| format!("{:?} {}", w.path, w.message).contains(DB)),
        "{:?}",
        inv.warnings
    );
}

#[test]
fn store_paths_are_claimed_by_path_alone() {
    let m = EntryMeta {
        size: 1 << 40,
        mode: 0o644,
    };
    let d = NixDetector;
    let c = d
        .claim(
            "/nix/store/gr15qs62xsw2glxdzvi9fly5rln0x9hx-hello-2.12.1/bin/hello",
            &m,
        )
        .unwrap();
    assert!(!c.read_body, "a large file under a store path is not read");
    assert!(d
        .claim(
            "/nix/store/saxrc13klhxlfv702z2zpcwz5r3qmwyr-hello-2.12.1.drv",
            &m
        )
        .is_none());
    assert!(d
        .claim(
            "/nix/store/lizpmxwmkrbwzgyjn49nbsv9hw4ykak7-glibc-2.39-52.lock",
            &m
        )
        .is_none());
    assert!(d.claim("/nix/store/.links/0abc", &m).is_none());
    assert!(d.claim("/nix/store/short-hello-1.0/x", &m).is_none());
    assert!(d.claim(DB, &m).unwrap().read_body);
    assert_eq!(parse_drv_name("hello-2.12.1"), ("hello", "2.12.1"));
}
