use super::*;

fn fixture() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../testdata/lang/dotnet/MyApp.deps.json"
    ))
    .expect("fixture")
}

fn collect(files: &[(&str, &[u8])]) -> Vec<Package> {
    let dets: Vec<Arc<dyn Detector>> = vec![Arc::new(DotnetDetector)];
    let view = FsView::from_files(&dets, files, &[]);
    let mut out = Findings::default();
    DotnetDetector.collect(&view, CollectContext { full_detail: true }, &mut out);
    out.packages
}

/// The one NuGet package of the fixture, with its purl and the .nupkg SHA-512 decoded from
/// the base64 the file records; the app itself (`project`) and the framework's reference
/// assemblies are not packages. The app's dependencies are read from the runtime target.
#[test]
fn deps_json_fixture() {
    let body = fixture();
    let pkgs = collect(&[("/app/MyApp.deps.json", &body)]);
    assert_eq!(pkgs.len(), 1, "{pkgs:?}");
    let p = &pkgs[0];
    assert_eq!(
        (p.name.as_str(), p.version.as_str()),
        ("Newtonsoft.Json", "13.0.3")
    );
    assert_eq!(
        sbom_core::purl::package_purl(p, None),
        "pkg:nuget/Newtonsoft.Json@13.0.3"
    );
    assert_eq!(p.checksums.len(), 1);
    assert_eq!(p.checksums[0].algorithm, "SHA512");
    assert!(
        p.checksums[0].value.starts_with("1eb0b9057765d3420ff7"),
        "{}",
        p.checksums[0].value
    );
    assert_eq!(p.checksums[0].value.len(), 128);
    assert_eq!(p.database_path, "/app/MyApp.deps.json");

    let libs = parse_deps_json(&body).unwrap();
    assert!(libs.iter().all(|l| l.kind == "package"));
}

#[test]
fn runtime_packs_and_dependencies() {
    let body = br#"{"runtimeTarget": {"name": "t"},
        "targets": {"t": {"A/1.0": {"dependencies": {"B": "2.0"}}, "B/2.0": {}}},
        "libraries": {"A/1.0": {"type": "package", "sha512": "sha512-bad"},
                      "B/2.0": {"type": "package"},
                      "Microsoft.NETCore.App.Runtime.linux-x64/8.0.1": {"type": "runtimepack"},
                      "weird": {"type": "package"}}}"#;
    let pkgs = collect(&[("/srv/x.deps.json", body)]);
    let names: Vec<_> = pkgs
        .iter()
        .map(|p| (p.name.as_str(), p.depends.clone()))
        .collect();
    assert_eq!(
        names,
        [
            ("A", vec!["B".to_string()]),
            ("B", vec![]),
            ("Microsoft.NETCore.App.Runtime.linux-x64", vec![]),
        ]
    );
    assert!(
        pkgs[0].checksums.is_empty(),
        "an undecodable hash is dropped"
    );
    assert_eq!(
        pkgs[2].properties.get("dotnet:type").map(String::as_str),
        Some("runtimepack")
    );
    assert!(parse_deps_json(b"bogus deps.json").is_err());
}

#[test]
fn claims_deps_json_files_only() {
    let meta = EntryMeta {
        size: 10,
        mode: 0o644,
    };
    assert!(DotnetDetector
        .claim("/app/MyApp.deps.json", &meta)
        .is_some());
    for p in [
        "/app/.deps.json",
        "/app/MyApp.runtimeconfig.json",
        "/app/deps.json",
    ] {
        assert!(DotnetDetector.claim(p, &meta).is_none(), "{p}");
    }
}
