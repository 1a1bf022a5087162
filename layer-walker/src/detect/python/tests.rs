use super::*;
use proptest::prelude::*;

const FIX: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/lang/python");

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(format!("{FIX}/{rel}")).expect("fixture")
}

/// The first `Key: value` header of a fixture, read with plain string search (independent of
/// the parser under test).
fn header(body: &[u8], key: &str) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let prefix = format!("{key}: ");
    text.lines()
        .take_while(|l| !l.is_empty())
        .find_map(|l| l.strip_prefix(&prefix).map(|v| v.trim().to_string()))
}

fn scan(files: &[(&str, Vec<u8>)]) -> Findings {
    let detectors: Vec<Arc<dyn Detector>> = vec![Arc::new(PythonDetector)];
    let files: Vec<(&str, &[u8])> = files.iter().map(|(p, b)| (*p, b.as_slice())).collect();
    let view = FsView::from_files(&detectors, &files, &[]);
    let mut out = Findings::default();
    detectors[0].collect(&view, CollectContext { full_detail: true }, &mut out);
    out
}

#[test]
fn fixtures_match_their_headers() {
    let cases = [
        (
            "/usr/local/lib/python3.11/site-packages/idna-3.13.dist-info",
            "site-packages/idna-3.13.dist-info",
        ),
        (
            "/opt/pyapp/jmespath-1.1.0.dist-info",
            "site-packages/jmespath-1.1.0.dist-info",
        ),
    ];
    let mut files = Vec::new();
    for (dst, src) in cases {
        for f in ["METADATA", "RECORD", "INSTALLER"] {
            files.push((format!("{dst}/{f}"), read(&format!("{src}/{f}"))));
        }
    }
    files.push((
        "/usr/lib/python3/dist-packages/setuptools-51.3.3-py3.8.egg-info/PKG-INFO".into(),
        read("site-packages/setuptools-51.3.3-py3.8.egg-info/PKG-INFO"),
    ));
    files.push((
        "/usr/lib/python2.7/dist-packages/Python-2.7.egg-info".into(),
        read("dist-packages-debian/Python-2.7.egg-info"),
    ));
    let refs: Vec<(&str, Vec<u8>)> = files.iter().map(|(p, b)| (p.as_str(), b.clone())).collect();
    let out = scan(&refs);
    let metas: Vec<&(String, Vec<u8>)> = files
        .iter()
        .filter(|(p, _)| {
            p.ends_with("METADATA") || p.ends_with("PKG-INFO") || p.ends_with(".egg-info")
        })
        .collect();
    assert_eq!(out.packages.len(), metas.len());
    for (path, body) in metas {
        let p = out
            .packages
            .iter()
            .find(|p| &p.database_path == path)
            .unwrap_or_else(|| panic!("no package for {path}"));
        assert_eq!(Some(&p.name), header(body, "Name").as_ref());
        assert_eq!(Some(&p.version), header(body, "Version").as_ref());
        if let Some(expr) = header(body, "License-Expression") {
            assert_eq!(p.licenses_declared, vec![expr.clone()]);
            assert_eq!(p.license.as_deref(), Some(expr.as_str()));
        } else if let Some(l) = header(body, "License").filter(|l| l != "UNKNOWN") {
            assert_eq!(p.licenses_declared, vec![l]);
        }
        if path.ends_with("METADATA") {
            let dir = path.trim_end_matches("/METADATA");
            let record = String::from_utf8_lossy(&read(&format!(
                "site-packages/{}/RECORD",
                dir.rsplit('/').next().unwrap_or_default()
            )))
            .into_owned();
            assert_eq!(
                p.files.len(),
                record.lines().filter(|l| !l.is_empty()).count()
            );
            let base = dir.rsplit_once('/').map(|b| b.0).unwrap_or_default();
            // entries not climbing out with `..` sit under the install base
            let inside = record
                .lines()
                .filter(|l| !l.is_empty() && !l.starts_with(".."))
                .count();
            assert_eq!(
                p.files
                    .iter()
                    .filter(|f| f.starts_with(&format!("{base}/")))
                    .count(),
                inside
            );
            assert!(p.files.contains(path));
            assert_eq!(
                p.properties.get("python:installer").map(String::as_str),
                Some("pip")
            );
        }
    }
    let idna = out
        .packages
        .iter()
        .find(|p| p.name == "idna")
        .expect("idna");
    // Requires-Dist names in the fixture, read independently
    let body = read("site-packages/idna-3.13.dist-info/METADATA");
    let want: Vec<String> = String::from_utf8_lossy(&body)
        .lines()
        .filter_map(|l| l.strip_prefix("Requires-Dist: "))
        .filter(|r| !r.contains("extra =="))
        .map(|r| r.split(' ').next().unwrap_or_default().to_string())
        .collect();
    assert_eq!(idna.depends, want);
    assert_eq!(
        idna.supplier.as_deref(),
        header(&body, "Author-email").as_deref()
    );
}

#[test]
fn folded_headers_and_classifier_licenses() {
    let m = parse_metadata(
        b"Metadata-Version: 1.0\nName: x_y\nVersion: 1\nLicense: UNKNOWN\nClassifier: License :: OSI Approved :: MIT License\nClassifier: License :: OSI Approved :: BSD License\nDescription: a\n   b\n\nbody: not a header\n",
    )
    .expect("parses");
    assert_eq!(m.licenses, vec!["MIT".to_string(), "BSD License".into()]);
    assert_eq!(m.name, "x_y");
    let long = format!(
        "Name: a\nVersion: 1\nLicense: {}\n",
        "Permission is granted ".repeat(20)
    );
    assert!(parse_metadata(long.as_bytes())
        .expect("ok")
        .licenses
        .is_empty());
}

#[test]
fn record_paths_climb_and_quote() {
    let r = parse_record(b"\"a,b.py\",sha256=x,1\n../../../bin/tool,,\n");
    assert_eq!(r, vec!["a,b.py".to_string(), "../../../bin/tool".into()]);
    assert_eq!(
        join_normal("/usr/lib/python3/site-packages", "../../../bin/tool"),
        "/usr/bin/tool"
    );
}

#[test]
fn garbage_metadata_is_a_parse_error() {
    assert!(parse_metadata(b"\x00\x01\x02garbage\n\nName: x\n").is_err());
    assert!(parse_metadata(b"").is_err());
    let out = scan(&[(
        "/x/site-packages/a-1.dist-info/METADATA",
        b"<html>".to_vec(),
    )]);
    assert!(out.packages.is_empty());
}

proptest! {
    #[test]
    fn metadata_parser_never_panics(body in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = parse_metadata(&body);
        let _ = parse_record(&body);
    }
}

#[test]
fn unknown_license_falls_back_to_classifiers() {
    // setuptools 51 writes `License: UNKNOWN` and one `License ::` classifier
    let body = read("site-packages/setuptools-51.3.3-py3.8.egg-info/PKG-INFO");
    let classifier = String::from_utf8_lossy(&body)
        .lines()
        .find_map(|l| l.strip_prefix("Classifier: License :: OSI Approved :: "))
        .map(str::to_string)
        .expect("classifier");
    assert_eq!(classifier, "MIT License");
    let m = parse_metadata(&body).expect("ok");
    assert_eq!(m.licenses, vec!["MIT".to_string()]);
    assert_eq!(m.homepage, header(&body, "Home-page"));
}

#[test]
fn egg_info_installed_files() {
    let dir = "/usr/lib/python3/dist-packages/setuptools-51.3.3-py3.8.egg-info";
    let out = scan(&[
        (
            &format!("{dir}/PKG-INFO"),
            read("site-packages/setuptools-51.3.3-py3.8.egg-info/PKG-INFO"),
        ),
        (
            &format!("{dir}/installed-files.txt"),
            b"../setuptools/__init__.py\nPKG-INFO\n".to_vec(),
        ),
    ]);
    assert_eq!(out.packages.len(), 1);
    assert_eq!(
        out.packages[0].files,
        vec![
            "/usr/lib/python3/dist-packages/setuptools/__init__.py".to_string(),
            format!("{dir}/PKG-INFO")
        ]
    );
}

#[test]
fn requirements_needed_only_for_extras_are_not_dependencies() {
    let m = parse_metadata(
        b"Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\nRequires-Dist: charset-normalizer (<4,>=2)\nRequires-Dist: urllib3<3,>=1.21.1\nRequires-Dist: PySocks!=1.5.7,>=1.5.6 ; extra == 'socks'\nRequires-Dist: chardet (<6,>=3.0.2) ; extra == \"use_chardet_on_py3\"\nRequires-Dist: idna ; python_version >= \"3\"\n",
    )
    .expect("parses");
    assert_eq!(m.requires, vec!["charset-normalizer", "urllib3", "idna"]);
}

const EGG: &str = "tinyegg-0.3.1-py3.11.egg";

/// The `--- name` sections of the EXPECTED file `make-egg.sh` wrote with unzip.
fn egg_expected(section: &str) -> String {
    let text = String::from_utf8(read(&format!("EXPECTED-{EGG}.txt"))).expect("utf8");
    let start = text.find(&format!("--- {section}\n")).expect("section") + section.len() + 5;
    let rest = &text[start..];
    rest[..rest.find("\n--- ").map_or(rest.len(), |e| e + 1)].to_string()
}

/// A real zipped egg from `setup.py bdist_egg` (make-egg.sh): its EGG-INFO/PKG-INFO is read
/// in memory, and the requirements come from EGG-INFO/requires.txt, as unzip shows them.
#[test]
fn zipped_egg_is_read() {
    let pkg_info = egg_expected("EGG-INFO/PKG-INFO");
    let requires = egg_expected("EGG-INFO/requires.txt");
    let path = format!("/usr/local/lib/python3.11/site-packages/{EGG}");
    let out = scan(&[(path.as_str(), read(EGG))]);
    assert_eq!(out.packages.len(), 1, "{:?}", out.packages);
    let p = &out.packages[0];
    let h = |k: &str| header(pkg_info.as_bytes(), k);
    assert_eq!(Some(&p.name), h("Name").as_ref());
    assert_eq!(Some(&p.version), h("Version").as_ref());
    assert_eq!(p.licenses_declared, vec![h("License").expect("License")]);
    assert_eq!(p.description, h("Summary"));
    assert_eq!(p.homepage, h("Home-page"));
    let want_deps: Vec<String> = requires
        .lines()
        .map(|l| {
            l.split(|c: char| "<>=!~ ;[".contains(c))
                .next()
                .unwrap_or("")
                .to_string()
        })
        .filter(|n| !n.is_empty())
        .collect();
    assert!(!want_deps.is_empty());
    assert_eq!(p.depends, want_deps);
    assert_eq!(p.files, vec![path.clone()]);
    assert_eq!(p.database_path, path);
    assert_eq!(
        sbom_core::purl::package_purl(p, None),
        format!("pkg:pypi/{}@{}", h("Name").unwrap(), h("Version").unwrap())
    );
}

/// The same egg unzipped into a directory (`foo.egg/EGG-INFO/PKG-INFO`).
#[test]
fn unzipped_egg_directory_is_read() {
    let pkg_info = egg_expected("EGG-INFO/PKG-INFO");
    let path = format!("/usr/lib/python3/dist-packages/{EGG}/EGG-INFO/PKG-INFO");
    let out = scan(&[(path.as_str(), pkg_info.clone().into_bytes())]);
    assert_eq!(out.packages.len(), 1);
    assert_eq!(
        Some(&out.packages[0].name),
        header(pkg_info.as_bytes(), "Name").as_ref()
    );
}

fn make_zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, body) in entries {
        w.start_file(*name, opts).unwrap();
        w.write_all(body).unwrap();
    }
    w.finish().unwrap().into_inner()
}

#[test]
fn broken_eggs_are_parse_errors() {
    let egg = read(EGG);
    assert!(read_egg(&egg[..egg.len() / 2]).is_err(), "truncated");
    assert!(read_egg(&make_zip(&[("tinyegg/__init__.py", b"x = 1\n")])).is_err());
    // PKG-INFO far larger than any metadata: refused without inflating all of it
    let huge = vec![b'#'; (MAX_METADATA + 10) as usize];
    let e = read_egg(&make_zip(&[("EGG-INFO/PKG-INFO", &huge)])).unwrap_err();
    assert!(e.0.contains("larger than"), "{e:?}");
    // conditional and optional requirement sections are not dependencies of every install
    let meta = read_egg(&make_zip(&[
        ("EGG-INFO/PKG-INFO", b"Name: a\nVersion: 1\n"),
        (
            "EGG-INFO/requires.txt",
            b"b>=1\nc[x]\n\n[:python_version < \"3\"]\nd\n[extra]\ne\n",
        ),
    ]))
    .unwrap();
    assert_eq!(meta.requires, ["b", "c"]);
    let meta_path = "/usr/lib/python3/dist-packages/a.egg";
    let m = EntryMeta {
        size: 10,
        mode: 0o644,
    };
    let claim = PythonDetector.claim(meta_path, &m).expect("claimed");
    assert_eq!(claim.magic, Some(crate::detect::Magic::Bytes(ZIP_MAGIC)));
    assert!(PythonDetector
        .claim("/usr/lib/python3/dist-packages/.egg", &m)
        .is_none());
    // an egg outside site-packages is data, not an installed distribution (CPython's own
    // test suite ships one)
    for data in [
        "/usr/lib/python3.11/test/test_importlib/data/example-21.12-py3.6.egg",
        "/usr/lib/python3.11/test/data/x-1.egg/EGG-INFO/PKG-INFO",
    ] {
        assert!(PythonDetector.claim(data, &m).is_none(), "{data}");
    }
    assert!(PythonDetector
        .claim(
            "/usr/local/lib/python3.11/site-packages/x-1.egg/EGG-INFO/PKG-INFO",
            &m
        )
        .is_some());
    assert!(PythonDetector
        .claim("/x/a.egg/EGG-INFO/SOURCES.txt", &m)
        .is_none());
}
