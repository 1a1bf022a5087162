use super::*;
use proptest::prelude::*;
use std::collections::BTreeSet;

const FIX: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/lang/npm");

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(format!("{FIX}/{rel}")).expect("fixture")
}

fn scan(files: &[(String, Vec<u8>)]) -> Findings {
    let detectors: Vec<Arc<dyn Detector>> = vec![Arc::new(NpmDetector)];
    let files: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(p, b)| (p.as_str(), b.as_slice()))
        .collect();
    let view = FsView::from_files(&detectors, &files, &[]);
    let mut out = Findings::default();
    detectors[0].collect(&view, CollectContext { full_detail: true }, &mut out);
    out
}

fn installed_fixture(root: &str) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    for e in std::fs::read_dir(format!("{FIX}/app-lockfile-v1/node_modules")).expect("dir") {
        let name = e.expect("entry").file_name().to_string_lossy().into_owned();
        files.push((
            format!("{root}/node_modules/{name}/package.json"),
            read(&format!("app-lockfile-v1/node_modules/{name}/package.json")),
        ));
    }
    files
}

#[test]
fn installed_manifests_match_fixture_values() {
    let mut files = installed_fixture("/app");
    files.push((
        "/app/package-lock.json".into(),
        read("app-lockfile-v1/package-lock.json"),
    ));
    let out = scan(&files);
    // the lockfile is not reported: the project has node_modules
    assert_eq!(out.packages.len(), files.len() - 1);
    for (path, body) in &files[..files.len() - 1] {
        let v: Value = serde_json::from_slice(body).expect("json");
        let p = out
            .packages
            .iter()
            .find(|p| &p.database_path == path)
            .expect("reported");
        assert_eq!(Some(p.name.as_str()), v["name"].as_str());
        assert_eq!(Some(p.version.as_str()), v["version"].as_str());
        assert_eq!(
            p.licenses_declared.first().map(String::as_str),
            v["license"].as_str()
        );
        assert_eq!(p.homepage.as_deref(), v["homepage"].as_str());
        let deps: Vec<&str> = v["dependencies"]
            .as_object()
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        assert_eq!(p.depends, deps);
        assert!(!p.properties.contains_key("npm:from-lockfile"));
    }
}

fn lock_entries(body: &[u8]) -> Vec<NpmPackage> {
    parse_lockfile(&serde_json::from_slice(body).expect("json")).expect("lockfile")
}

#[test]
fn lockfile_v1_is_parsed_but_a_lockfile_alone_installs_nothing() {
    let body = read("app-lockfile-v1/package-lock.json");
    let out = scan(&[("/srv/package-lock.json".into(), body.clone())]);
    assert!(
        out.packages.is_empty(),
        "a lockfile without node_modules is not an installation"
    );
    let v: Value = serde_json::from_slice(&body).expect("json");
    // count (name, version) pairs with plain recursion, independent of the parser's stack
    fn walk(d: &Value, acc: &mut BTreeSet<(String, String)>) {
        if let Some(m) = d.as_object() {
            for (k, e) in m {
                if let Some(ver) = e["version"].as_str() {
                    acc.insert((k.clone(), ver.to_string()));
                }
                walk(&e["dependencies"], acc);
            }
        }
    }
    let mut want = BTreeSet::new();
    walk(&v["dependencies"], &mut want);
    let got: BTreeSet<(String, String)> = lock_entries(&body)
        .iter()
        .map(|p| (p.name.clone(), p.version.clone()))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn lockfile_v3_scoped_names() {
    let body = read("lockfile-v3/package-lock.json");
    let entries = lock_entries(&body);
    let v: Value = serde_json::from_slice(&body).expect("json");
    let want: BTreeSet<(String, String)> = v["packages"]
        .as_object()
        .expect("packages")
        .iter()
        .filter(|(k, _)| !k.is_empty())
        .map(|(k, e)| {
            let name = k.rsplit("node_modules/").next().unwrap_or_default();
            (
                name.to_string(),
                e["version"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let got: BTreeSet<(String, String)> = entries
        .iter()
        .map(|p| (p.name.clone(), p.version.clone()))
        .collect();
    assert_eq!(got, want);
    assert!(got.iter().any(|(n, _)| n.starts_with("@types/")));
}

#[test]
fn claims_only_installed_manifests() {
    let d = NpmDetector;
    let m = EntryMeta {
        size: 10,
        mode: 0o644,
    };
    for yes in [
        "/app/node_modules/x/package.json",
        "/app/node_modules/@s/x/package.json",
        "/app/node_modules/a/node_modules/@s/b/package.json",
        "/app/package-lock.json",
    ] {
        assert!(d.claim(yes, &m).is_some(), "{yes}");
    }
    for no in [
        "/app/node_modules/x/test/fixtures/package.json",
        "/app/node_modules/x/lib/package.json",
        "/app/node_modules/@s/package.json",
        "/app/node_modules/.package-lock.json",
        "/app/node_modules/x/package-lock.json",
        "/app/package.json",
    ] {
        assert!(d.claim(no, &m).is_none(), "{no}");
    }
}

#[test]
fn invalid_json_is_a_parse_error_and_nameless_manifest_skipped() {
    let d = NpmDetector;
    assert!(d
        .parse("/a/node_modules/x/package.json", b"{\"name\": ")
        .is_err());
    assert!(d.parse("/a/package-lock.json", b"[1,2]").is_err());
    let out = scan(&[(
        "/a/node_modules/x/package.json".into(),
        br#"{"name":"x","licenses":[{"type":"MIT"}]}"#.to_vec(),
    )]);
    assert!(out.packages.is_empty());
    let v: Value =
        serde_json::from_str(r#"{"name":"x","version":"1","licenses":[{"type":"MIT"},"ISC"]}"#)
            .expect("json");
    assert_eq!(
        parse_manifest(&v).expect("pkg").licenses,
        vec!["MIT", "ISC"]
    );
}

#[test]
fn lockfile_locations_and_flags() {
    let lock = br#"{"lockfileVersion":2,"packages":{
        "":{"name":"app","version":"1.0.0"},
        "node_modules/ms":{"version":"2.1.3","license":"MIT"},
        "node_modules/debug":{"version":"2.6.9","dev":true},
        "node_modules/debug/node_modules/ms":{"version":"2.0.0"},
        "node_modules/linked":{"resolved":"packages/linked","link":true}
    }}"#;
    let entries = lock_entries(lock);
    let got: Vec<(&str, &str, bool)> = entries
        .iter()
        .map(|e| (e.name.as_str(), e.location.as_deref().unwrap_or(""), e.dev))
        .collect();
    assert_eq!(
        got,
        [
            ("debug", "node_modules/debug", true),
            ("ms", "node_modules/ms", false),
            ("ms", "node_modules/debug/node_modules/ms", false)
        ]
    );
}

#[test]
fn lockfile_integrity_becomes_the_installed_packages_checksum() {
    let mut files = installed_fixture("/app");
    let lock = read("app-lockfile-v1/package-lock.json");
    files.push(("/app/package-lock.json".into(), lock.clone()));
    let out = scan(&files);
    let entries = lock_entries(&lock);
    let mut checked = 0;
    for p in &out.packages {
        let Some(e) = entries
            .iter()
            .find(|e| e.name == p.name && e.version == p.version)
        else {
            continue;
        };
        let Some(sri) = &e.integrity else { continue };
        let (alg, b64) = sri.split_once('-').expect("sri");
        let c = p
            .checksums
            .first()
            .unwrap_or_else(|| panic!("{} has no checksum", p.name));
        assert_eq!(c.algorithm, alg.to_uppercase());
        assert_eq!(
            c.value.len(),
            super::base64_decode(b64).expect("b64").len() * 2
        );
        assert_eq!(p.properties.get("npm:resolved"), e.resolved.as_ref());
        checked += 1;
    }
    assert!(checked > 0, "the fixture lockfile has integrity fields");
    // the decoder itself, on a known value: sha1 of the empty string
    assert_eq!(
        integrity_checksum("sha1-2jmj7l5rSw0yVb/vlWAYkK/YBwk=").map(|c| c.value),
        Some("da39a3ee5e6b4b0d3255bfef95601890afd80709".to_string())
    );
}

proptest! {
    #[test]
    fn parse_never_panics(body in proptest::collection::vec(any::<u8>(), 0..1024)) {
        let d = NpmDetector;
        let _ = d.parse("/a/node_modules/x/package.json", &body);
        let _ = d.parse("/a/package-lock.json", &body);
    }
}
