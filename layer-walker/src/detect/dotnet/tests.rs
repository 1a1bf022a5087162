use super::*;

fn read(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../testdata/lang/dotnet/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("fixture")
}

fn fixture() -> Vec<u8> {
    read("MyApp.deps.json")
}

/// (name, version, depends) of each package, in output order.
fn summary(pkgs: &[Package]) -> Vec<(&str, &str, Vec<&str>)> {
    pkgs.iter()
        .map(|p| {
            (
                p.name.as_str(),
                p.version.as_str(),
                p.depends.iter().map(String::as_str).collect(),
            )
        })
        .collect()
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

/// A self-contained app (Trivy's fixture): the runtime packs are reported under their NuGet
/// ids, as Trivy's parser test expects them, not under the SDK's `runtimepack.` names, and the
/// app's dependency edges use the same ids.
#[test]
fn self_contained_runtime_packs_use_nuget_ids() {
    let body = read("trivy-self-contained.deps.json");
    assert!(String::from_utf8_lossy(&body)
        .contains("\"runtimepack.Microsoft.NETCore.App.Runtime.linux-x64/8.0.0\""));
    let pkgs = collect(&[("/app/ExampleApp1.deps.json", &body)]);
    assert_eq!(
        summary(&pkgs),
        [
            // in `libraries` key order: `N` sorts before `r`
            ("Newtonsoft.Json", "13.0.1", vec![]),
            (
                "Microsoft.AspNetCore.App.Runtime.linux-x64",
                "8.0.0",
                vec![]
            ),
            ("Microsoft.NETCore.App.Runtime.linux-x64", "8.0.0", vec![]),
        ]
    );
    let purls: Vec<String> = pkgs
        .iter()
        .map(|p| sbom_core::purl::package_purl(p, None))
        .collect();
    assert_eq!(
        purls[2],
        "pkg:nuget/Microsoft.NETCore.App.Runtime.linux-x64@8.0.0"
    );
    assert!(
        purls.iter().all(|p| !p.contains("runtimepack")),
        "{purls:?}"
    );
    let kinds: Vec<_> = pkgs
        .iter()
        .map(|p| p.properties.get("dotnet:type").map(String::as_str))
        .collect();
    assert_eq!(kinds, [None, Some("runtimepack"), Some("runtimepack")]);

    // the app's own edges (it is no package) name the packs by the same ids
    let file: DepsFile = serde_json::from_slice(&body).unwrap();
    let deps = Deps {
        libraries: &file.libraries,
        target: file.targets.get(".NETCoreApp,Version=v8.0/linux-x64"),
    };
    assert_eq!(
        deps.depends("ExampleApp1/1.0.0"),
        [
            "Microsoft.AspNetCore.App.Runtime.linux-x64",
            "Microsoft.NETCore.App.Runtime.linux-x64",
            "Newtonsoft.Json",
        ]
    );
}

/// Trivy's `without-runtime` fixture: `Microsoft.NETCore.App` 1.1.2 (a meta-package) and
/// `Microsoft.NETCore.Platforms` are in the runtime target with no runtime, native or
/// resource asset, so nothing of them is in the image; what ships is what Trivy's test
/// expects (less the project). `System.Collections.Immutable` is not in the target at all and
/// is kept. The edge through the dropped meta-package reaches what it pulled in.
#[test]
fn reference_only_libraries_are_not_reported() {
    let body = read("trivy-without-runtime.deps.json");
    let pkgs = collect(&[("/app/hello2.deps.json", &body)]);
    assert_eq!(
        summary(&pkgs),
        [
            (
                "JsonDiffPatch",
                "2.0.61",
                vec!["Libuv", "System.Collections.Immutable"]
            ),
            ("Libuv", "1.9.1", vec![]),
            ("System.Collections.Immutable", "1.3.0", vec![]),
        ]
    );
    // both dropped libraries are `type: package` with a hash: only the target tells
    let text = String::from_utf8_lossy(&body);
    for dropped in [
        "Microsoft.NETCore.App/1.1.2",
        "Microsoft.NETCore.Platforms/1.1.0",
    ] {
        assert!(text.contains(&format!("\"{dropped}\": {{\n      \"type\": \"package\"")));
    }
}

#[test]
fn synthetic_edge_cases() {
    let body = br#"{"runtimeTarget": {"name": "t"},
        "targets": {"t": {"A/1.0": {"dependencies": {"B": "2.0", "Meta": "1.0"},
                                    "runtime": {"lib/A.dll": {}}},
                          "B/2.0": {"native": {"libb.so": {}}},
                          "Meta/1.0": {"dependencies": {"Meta2": "1.0", "A": "1.0"}},
                          "Meta2/1.0": {"dependencies": {"C": "3.0", "Meta": "1.0"}},
                          "C/3.0": {"resources": {"de/C.resources.dll": {"locale": "de"}}},
                          "runtimepack.X/1.0": {"runtime": {"X.dll": {}}},
                          "R/1.0": {"compile": {"R.dll": {}}}}},
        "libraries": {"A/1.0": {"type": "package", "sha512": "sha512-bad"},
                      "B/2.0": {"type": "package"},
                      "C/3.0": {"type": "package"},
                      "Meta/1.0": {"type": "package"},
                      "Meta2/1.0": {"type": "package"},
                      "R/1.0": {"type": "reference"},
                      "runtimepack.X/1.0": {"type": "package"},
                      "runtimepack./1.0": {"type": "runtimepack"},
                      "weird": {"type": "package"}}}"#;
    let pkgs = collect(&[("/srv/x.deps.json", body)]);
    assert_eq!(
        summary(&pkgs),
        [
            // Meta and Meta2 ship nothing: A's edge goes through both to C; the cycle back
            // to A ends there
            ("A", "1.0", vec!["B", "C"]),
            ("B", "2.0", vec![]),
            ("C", "3.0", vec![]),
            // a bare `runtimepack.` is no prefix of anything: kept as written
            ("runtimepack.", "1.0", vec![]),
            ("X", "1.0", vec![]),
        ]
    );
    assert!(
        pkgs[0].checksums.is_empty(),
        "an undecodable hash is dropped"
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
