use super::*;

fn fixture(version: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../testdata/lang/php/{version}/vendor/composer/installed.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("fixture")
}

fn collect(body: &[u8]) -> Vec<Package> {
    let dets: Vec<Arc<dyn Detector>> = vec![Arc::new(ComposerDetector)];
    let view = FsView::from_files(
        &dets,
        &[("/var/www/app/vendor/composer/installed.json", body)],
        &[],
    );
    let mut out = Findings::default();
    ComposerDetector.collect(&view, CollectContext { full_detail: true }, &mut out);
    out.packages
}

/// Both layouts of the file give every package with the name, version and licenses the file
/// itself states (read here with plain serde_json), `vendor/name` as the purl namespace, and
/// only package requirements as dependencies.
#[test]
fn composer_1_and_2_fixtures() {
    for v in ["composer_1", "composer_2"] {
        let body = fixture(v);
        let raw: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let list = raw
            .get("packages")
            .unwrap_or(&raw)
            .as_array()
            .unwrap()
            .clone();
        let pkgs = collect(&body);
        assert_eq!(pkgs.len(), list.len(), "{v}");
        for (p, r) in pkgs.iter().zip(&list) {
            assert_eq!(p.name, r["name"].as_str().unwrap(), "{v}");
            assert_eq!(p.version, r["version"].as_str().unwrap(), "{v}");
            let (vendor, name) = p.name.split_once('/').unwrap();
            let purl = sbom_core::purl::package_purl(p, None);
            assert!(
                purl.starts_with(&format!("pkg:composer/{vendor}/{name}@")),
                "{purl}"
            );
            assert_eq!(p.license.as_deref(), Some("MIT"));
            assert!(p.depends.iter().all(|d| d.contains('/')), "{:?}", p.depends);
            assert_eq!(
                p.database_path,
                "/var/www/app/vendor/composer/installed.json"
            );
        }
        let cors = &pkgs[0];
        assert_eq!(
            sbom_core::purl::package_purl(cors, None),
            "pkg:composer/asm89/stack-cors@1.3.0"
        );
        assert_eq!(
            cors.supplier.as_deref(),
            Some("Alexander <iam.asm89@gmail.com>")
        );
        assert_eq!(
            cors.depends,
            ["symfony/http-foundation", "symfony/http-kernel"]
        );
        // Composer 2 records which packages were installed for development
        let dev = pkgs[1].properties.get("composer:dev").map(String::as_str);
        assert_eq!(dev, (v == "composer_2").then_some("true"), "{v}");
    }
}

#[test]
fn broken_entries_are_skipped_and_broken_files_are_errors() {
    let body = br#"[{"name": "a/b", "version": "1.0", "license": "BSD-3-Clause"},
                   {"name": "no/version"}, 42, {"version": "2.0"}]"#;
    let pkgs = collect(body);
    assert_eq!(pkgs.len(), 1);
    assert_eq!(pkgs[0].license.as_deref(), Some("BSD-3-Clause"));
    assert!(parse_installed(b"{\"packages\": 7}").is_err());
    assert!(parse_installed(b"not json").is_err());
    assert_eq!(parse_installed(b"[]").unwrap(), Installed::default());
}

#[test]
fn claims_only_composers_own_file() {
    let meta = EntryMeta {
        size: 10,
        mode: 0o644,
    };
    assert!(ComposerDetector
        .claim("/var/www/app/vendor/composer/installed.json", &meta)
        .is_some());
    for p in [
        "/var/www/app/composer.lock",
        "/var/www/app/vendor/composer/installed.php",
        "/installed.json",
    ] {
        assert!(ComposerDetector.claim(p, &meta).is_none(), "{p}");
    }
}
