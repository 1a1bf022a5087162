//! On Syft's Bitnami fixtures (testdata/bitnami, source in testdata/SOURCES.md): real
//! documents from Bitnami's postgresql, redis and render-template images and the legacy
//! components files of their mongodb and postgresql images. The truth is each document read
//! as plain JSON here, not through the parser under test.

use std::sync::Arc;

use serde_json::Value;

use super::*;
use crate::detect::testutil::{files_of, run, testdata};

fn fixture(case: &str) -> Vec<(String, Vec<u8>)> {
    files_of(&testdata(&format!("bitnami/{case}")))
}

/// (name, version, purl, declared license, CPEs) of every `pkg:bitnami` package of a document.
fn truth(body: &[u8]) -> Vec<(String, String, String, String, String)> {
    let doc: Value = serde_json::from_slice(body).unwrap();
    let mut out = Vec::new();
    for p in doc["packages"].as_array().unwrap() {
        let purl = p["externalRefs"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|r| r["referenceType"] == "purl")
            .and_then(|r| r["referenceLocator"].as_str());
        if let Some(purl) = purl.filter(|u| u.starts_with("pkg:bitnami/")) {
            out.push((
                p["name"].as_str().unwrap().to_string(),
                p["versionInfo"].as_str().unwrap().to_string(),
                purl.to_string(),
                p["licenseDeclared"].as_str().unwrap().to_string(),
                p["externalRefs"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|r| r["referenceType"] == "cpe23Type")
                    .map(|r| r["referenceLocator"].as_str().unwrap())
                    .collect::<Vec<_>>()
                    .join(" "),
            ));
        }
    }
    out.sort();
    out
}

fn got(found: &Findings) -> Vec<(String, String, String, String, String)> {
    let mut g: Vec<_> = found
        .packages
        .iter()
        .map(|p| {
            (
                p.name.clone(),
                p.version.clone(),
                p.purl.clone(),
                p.licenses_declared.join(""),
                p.cpes.join(" "),
            )
        })
        .collect();
    g.sort();
    g
}

#[test]
fn every_bitnami_package_of_each_document_and_nothing_else() {
    for case in ["json", "mix", "no-rel"] {
        let files = fixture(case);
        let (_, doc) = files
            .iter()
            .find(|(p, _)| p.ends_with(".spdx"))
            .expect("a document");
        let want = truth(doc);
        assert!(!want.is_empty(), "{case}");
        let found = run(Arc::new(BitnamiDetector), &files);
        assert_eq!(got(&found), want, "{case}");
        for p in &found.packages {
            assert_eq!(p.ecosystem, Ecosystem::Bitnami);
            assert!(p.database_path.ends_with(".spdx"), "{}", p.database_path);
        }
        assert!(found.warnings.is_empty(), "{case}: {:?}", found.warnings);
    }
}

#[test]
fn the_main_component_contains_the_bundled_ones() {
    let found = run(Arc::new(BitnamiDetector), &fixture("json"));
    let main = found
        .packages
        .iter()
        .find(|p| p.name == "postgresql")
        .unwrap();
    let main_id = sbom_core::default_id(main);
    let bundled: Vec<_> = found
        .packages
        .iter()
        .filter(|p| p.name != "postgresql")
        .map(sbom_core::default_id)
        .collect();
    assert_eq!(bundled.len(), found.packages.len() - 1);
    for id in &bundled {
        assert!(
            found
                .relationships
                .iter()
                .any(|r| r.from == main_id && r.to == *id && r.kind == RelationshipKind::Contains),
            "{id}"
        );
    }
    // the concluded license is the document's, as an SPDX expression
    assert_eq!(main.license.as_deref(), Some("PostgreSQL"));
    assert_eq!(main.arch.as_deref(), Some("arm64"));
    // the supplier is the organisation that wrote the document
    let doc: Value = serde_json::from_slice(&fixture("json")[0].1).unwrap();
    let creator = doc["creationInfo"]["creators"][0].as_str().unwrap();
    assert!(creator.starts_with("Organization: "));
    assert!(found
        .packages
        .iter()
        .all(|p| p.supplier.as_deref() == Some(creator)));
}

#[test]
fn legacy_components_files() {
    for case in ["components-json-mongodb", "components-json-postgresql"] {
        let files = fixture(case);
        let (_, body) = &files[0];
        let doc: Value = serde_json::from_slice(body).unwrap();
        let mut want: Vec<(String, String, String)> = doc
            .as_object()
            .unwrap()
            .iter()
            .map(|(name, e)| {
                (
                    name.clone(),
                    e["version"].as_str().unwrap().to_string(),
                    format!(
                        "pkg:bitnami/{name}@{}?arch={}&distro={}",
                        e["version"].as_str().unwrap(),
                        e["arch"].as_str().unwrap(),
                        e["distro"].as_str().unwrap()
                    ),
                )
            })
            .collect();
        want.sort();
        let mut found = run(Arc::new(BitnamiDetector), &files);
        for p in &mut found.packages {
            p.purl = sbom_core::purl::package_purl(p, None);
        }
        let mut got: Vec<_> = found
            .packages
            .iter()
            .map(|p| (p.name.clone(), p.version.clone(), p.purl.clone()))
            .collect();
        got.sort();
        assert_eq!(got, want, "{case}");
        let digests = doc
            .as_object()
            .unwrap()
            .values()
            .filter(|e| e.get("digest").is_some())
            .count();
        assert_eq!(
            found
                .packages
                .iter()
                .filter(|p| !p.checksums.is_empty())
                .count(),
            digests
        );
    }
}

#[test]
fn a_tag_value_document_is_not_bitnamis_and_yields_nothing() {
    let found = run(Arc::new(BitnamiDetector), &fixture("tag-value"));
    assert!(found.packages.is_empty());
    let view = FsView::from_files(
        &[Arc::new(BitnamiDetector) as Arc<dyn Detector>],
        &[(
            "/opt/bitnami/redis/.spdx-apache.spdx",
            fixture("tag-value")[0].1.as_slice(),
        )],
        &[],
    );
    assert_eq!(view.failures().count(), 0);
}

#[test]
fn json_that_is_not_spdx_fails_naming_the_file() {
    for body in [
        fixture("invalid")[0].1.clone(),
        br#"{"name": "x"}"#.to_vec(),
        br#"{"spdxVersion": "SPDX-2.3", "packages": [{"SPDXID": 1}]}"#.to_vec(),
        b"{\"spdxVersion\": \"SPDX-2.3\", \"packa".to_vec(),
    ] {
        let path = "/opt/bitnami/redis/.spdx-redis.spdx";
        let view = FsView::from_files(
            &[Arc::new(BitnamiDetector) as Arc<dyn Detector>],
            &[(path, body.as_slice())],
            &[],
        );
        let failures: Vec<_> = view.failures().collect();
        assert_eq!(failures.len(), 1, "{}", String::from_utf8_lossy(&body));
        assert!(
            failures[0].message.contains(path),
            "{}",
            failures[0].message
        );
    }
    let err = parse_components_json(b"[1, 2]").unwrap_err();
    assert!(err.0.contains("components"), "{err}");
}

#[test]
fn claims_only_bitnamis_documents() {
    let d = BitnamiDetector;
    let meta = EntryMeta {
        size: 10,
        mode: 0o644,
    };
    for (path, wanted) in [
        ("/opt/bitnami/redis/.spdx-redis.spdx", true),
        ("/opt/bitnami/postgresql/share/.spdx-x.spdx", true),
        ("/opt/bitnami/.bitnami_components.json", true),
        ("/opt/bitnami/redis/.bitnami_components.json", false),
        ("/opt/bitnami/redis/redis.spdx", false),
        ("/opt/bitnami/.spdx-.spdx", false),
        ("/usr/share/.spdx-redis.spdx", false),
    ] {
        assert_eq!(d.claim(path, &meta).is_some(), wanted, "{path}");
    }
}

/// An executable the binary detector reads under the component's directory is one of the
/// component's files, so assembly drops it as owned rather than reporting it twice.
#[test]
fn binaries_under_the_component_are_its_files() {
    let Some(dir) = std::env::var_os("SBOM_BINARIES") else {
        eprintln!("SBOM_BINARIES unset: skipping (testdata/binaries/fetch.sh makes it)");
        return;
    };
    let busybox = std::fs::read(std::path::Path::new(&dir).join("bin/busybox"))
        .expect("SBOM_BINARIES is set but bin/busybox is missing");
    let doc = &fixture("no-rel")[0].1;
    let detectors: Vec<Arc<dyn Detector>> = vec![
        Arc::new(crate::detect::binary::BinaryDetector),
        Arc::new(BitnamiDetector),
    ];
    let view = FsView::from_files(
        &detectors,
        &[
            ("/opt/bitnami/redis/.spdx-redis.spdx", doc.as_slice()),
            ("/opt/bitnami/redis/bin/busybox", busybox.as_slice()),
            ("/usr/local/bin/busybox", busybox.as_slice()),
        ],
        &[],
    );
    let mut out = Findings::default();
    BitnamiDetector.collect(&view, CollectContext { full_detail: true }, &mut out);
    let redis = &out.packages[0];
    assert!(
        redis
            .files
            .contains(&"/opt/bitnami/redis/bin/busybox".to_string()),
        "{:?}",
        redis.files
    );
    assert!(!redis.files.contains(&"/usr/local/bin/busybox".to_string()));
}
