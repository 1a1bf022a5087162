use super::*;
use proptest::prelude::*;
use std::collections::BTreeSet;
use std::io::Write;

const FIX: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/lang/java");

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(format!("{FIX}/{rel}")).expect("fixture")
}

/// (groupId, artifactId, version) of every `--- …pom.properties` block the unzip output
/// printed, and how many `# nested` levels it expanded.
fn expected(jar: &str) -> (BTreeSet<(String, String, String)>, usize) {
    let text = String::from_utf8(read(&format!("EXPECTED-{jar}.txt"))).expect("utf8");
    let mut out = BTreeSet::new();
    let mut nested = 0;
    let mut cur: Option<[String; 3]> = None;
    let flush = |cur: &mut Option<[String; 3]>, out: &mut BTreeSet<_>| {
        if let Some([g, a, v]) = cur.take() {
            out.insert((g, a, v));
        }
    };
    for line in text.lines() {
        if line.starts_with("--- ") && line.ends_with("pom.properties") {
            flush(&mut cur, &mut out);
            cur = Some(Default::default());
        } else if line.is_empty() || line.starts_with("# nested") {
            nested += usize::from(line.starts_with("# nested"));
            flush(&mut cur, &mut out);
        } else if let Some(c) = cur.as_mut() {
            for (i, key) in ["groupId=", "artifactId=", "version="].iter().enumerate() {
                if let Some(v) = line.strip_prefix(key) {
                    c[i] = v.to_string();
                }
            }
        }
    }
    flush(&mut cur, &mut out);
    (out, nested)
}

fn scan(path: &str, body: &[u8]) -> Findings {
    let detectors: Vec<Arc<dyn Detector>> = vec![Arc::new(JavaDetector)];
    let view = FsView::from_files(&detectors, &[(path, body)], &[]);
    let mut out = Findings::default();
    detectors[0].collect(&view, CollectContext { full_detail: true }, &mut out);
    out
}

#[test]
fn fixtures_match_unzip_output() {
    for jar in ["hadoop-shaded-guava-1.1.0-SNAPSHOT.jar", "nested.jar"] {
        let path = format!("/opt/app/lib/{jar}");
        let out = scan(&path, &read(jar));
        let (want, nested) = expected(jar);
        assert!(!want.is_empty());
        let got: BTreeSet<(String, String, String)> = out
            .packages
            .iter()
            .map(|p| {
                (
                    p.namespace.clone().unwrap_or_default(),
                    p.name.clone(),
                    p.version.clone(),
                )
            })
            .collect();
        assert_eq!(got, want, "{jar}");
        assert_eq!(out.packages.len(), want.len());
        assert!(out.warnings.is_empty(), "{:?}", out.warnings);
        // each nesting level has its own database path under the outer jar
        let paths: BTreeSet<&str> = out
            .packages
            .iter()
            .map(|p| p.database_path.as_str())
            .collect();
        if nested > 0 {
            assert_eq!(paths.len(), nested + 1);
            assert!(paths.iter().all(|p| p.starts_with(&path)));
            assert!(paths.iter().any(|p| p.matches("!/").count() == nested));
        }
    }
}

fn make_zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, body) in entries {
        w.start_file(*name, opts).expect("start");
        w.write_all(body).expect("write");
    }
    w.finish().expect("finish").into_inner()
}

#[test]
fn manifest_fallback_and_continuation_lines() {
    let mf = b"Manifest-Version: 1.0\r\nImplementation-Title: Some Lib\r\nImplementation-Version: 2.\r\n 5.1\r\nImplementation-Vendor: ACME\r\n\r\nName: x\r\nImplementation-Version: 9\r\n";
    let jar = make_zip(&[("META-INF/MANIFEST.MF", mf)]);
    let info = read_archive("/a/lib.jar", &jar, INFLATE_BUDGET).expect("ok");
    assert_eq!(info.packages.len(), 1);
    assert_eq!(info.packages[0].artifact, "Some Lib");
    assert_eq!(info.packages[0].version, "2.5.1");
    let info = read_archive("/a/commons-io-2.11.0.jar", &jar, INFLATE_BUDGET).expect("ok");
    assert_eq!(info.packages[0].artifact, "commons-io");
}

#[test]
fn truncated_zip_is_a_parse_error() {
    let body = read("nested.jar");
    let d = JavaDetector;
    assert!(d.parse("/a/x.jar", &body[..body.len() / 2]).is_err());
    assert!(d.parse("/a/x.jar", b"PK\x03\x04garbage").is_err());
}

#[test]
fn zip_bomb_stops_at_the_budget_with_a_warning() {
    let zeros = vec![0u8; 4 << 20];
    let inner = make_zip(&[
        ("big.bin", &zeros),
        (
            "META-INF/x/pom.properties",
            b"groupId=g\nartifactId=a\nversion=1\n",
        ),
    ]);
    let outer = make_zip(&[
        (
            "META-INF/o/pom.properties",
            b"groupId=g\nartifactId=outer\nversion=1\n",
        ),
        ("BOOT-INF/lib/bomb.jar", &inner),
    ]);
    // the nested jar itself inflates to ~8 KiB (its entries stay compressed inside it), so
    // use a budget smaller than that
    let info = read_archive("/a/x.jar", &outer, 200).expect("ok");
    assert!(
        info.warnings.iter().any(|w| w.contains("budget")),
        "{:?}",
        info.warnings
    );
    assert_eq!(info.packages.len(), 1);
    // an entry whose inflated size exceeds its own cap is skipped with a warning
    let big_props = vec![b'#'; (MAX_PROPERTIES + 10) as usize];
    let jar = make_zip(&[("META-INF/m/pom.properties", &big_props)]);
    let info = read_archive("/a/y.jar", &jar, INFLATE_BUDGET).expect("ok");
    assert!(info.packages.is_empty());
    assert_eq!(info.warnings.len(), 1);
    let out = scan("/a/y.jar", &jar);
    assert!(out.warnings[0].incomplete);
}

proptest! {
    #[test]
    fn archive_reader_never_panics(tail in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let mut body = b"PK\x03\x04".to_vec();
        body.extend_from_slice(&tail);
        let _ = read_archive("/a/x.jar", &body, 1 << 20);
        let _ = parse_pom_properties(&String::from_utf8_lossy(&tail));
        let _ = manifest_attributes(&String::from_utf8_lossy(&tail));
    }
}

#[test]
fn other_java_archive_kinds_are_read_as_jars() {
    // Syft's archiveFormatGlobs: every kind holds a jar's layout
    let body = read("nested.jar");
    let want = scan("/opt/app/nested.jar", &body).packages.len();
    assert!(want > 0);
    for ext in [
        "hpi", "jpi", "war", "ear", "par", "sar", "nar", "lpkg", "HPI",
    ] {
        let path = format!("/var/jenkins_home/plugins/nested.{ext}");
        let out = scan(&path, &body);
        assert_eq!(out.packages.len(), want, "{ext}");
        assert!(out
            .packages
            .iter()
            .all(|p| p.database_path.starts_with(&path)));
    }
    // a zip that is no Java archive kind, and a bare extension, are not opened
    for path in ["/opt/app/nested.zip", "/opt/app/.jar", "/opt/app/nestedjar"] {
        assert!(scan(path, &body).packages.is_empty(), "{path}");
    }
}

const JVM: &str = "jvm/debian-openjdk-17-jre-headless";

/// `KEY="value"` of the fixture's release file, read the plain way.
fn release_value(key: &str) -> String {
    let text = String::from_utf8(read(&format!("{JVM}/release"))).expect("utf8");
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}=")))
        .map(|v| v.trim_matches('"').to_string())
        .expect(key)
}

#[test]
fn debian_openjdk_is_one_runtime_not_a_maven_package() {
    let home = "/usr/lib/jvm/java-17-openjdk-amd64";
    let release = read(&format!("{JVM}/release"));
    let jrt = read(&format!("{JVM}/lib/jrt-fs.jar"));
    let app = read("nested.jar");
    let release_path = format!("{home}/release");
    let jrt_path = format!("{home}/lib/jrt-fs.jar");
    let detectors: Vec<Arc<dyn Detector>> = vec![Arc::new(JavaDetector)];
    let view = FsView::from_files(
        &detectors,
        &[
            (release_path.as_str(), &release),
            (jrt_path.as_str(), &jrt),
            ("/opt/app/nested.jar", &app),
            // os-release style files named `release` that are no JVM's
            ("/etc/release", b"NAME=\"Solaris\"\n"),
        ],
        &[],
    );
    let mut out = Findings::default();
    detectors[0].collect(&view, CollectContext { full_detail: true }, &mut out);
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
    let jvms: Vec<&Package> = out
        .packages
        .iter()
        .filter(|p| p.ecosystem == Ecosystem::Generic)
        .collect();
    assert_eq!(jvms.len(), 1);
    let jvm = jvms[0];
    // Syft: an implementor other than Azul, Sun or Oracle is Oracle's OpenJDK, versioned by
    // JAVA_RUNTIME_VERSION, its CPE version the part before `+`
    let runtime = release_value("JAVA_RUNTIME_VERSION");
    assert_eq!(jvm.name, "openjdk");
    assert_eq!(jvm.namespace.as_deref(), Some("oracle"));
    assert_eq!(jvm.version, runtime);
    assert_eq!(jvm.supplier, Some(release_value("IMPLEMENTOR")));
    assert_eq!(
        sbom_core::purl::package_purl(jvm, None),
        format!("pkg:generic/oracle/openjdk@{}", runtime.replace('+', "%2B"))
    );
    let short = runtime.split('+').next().unwrap();
    assert_eq!(short, release_value("JAVA_VERSION"));
    assert_eq!(
        jvm.cpes,
        vec![format!("cpe:2.3:a:oracle:openjdk:{short}:*:*:*:*:*:*:*")]
    );
    assert_eq!(jvm.database_path, release_path);
    assert_eq!(jvm.files, vec![release_path.clone(), jrt_path.clone()]);
    // the runtime's jrt-fs.jar manifest names the runtime itself: not a Maven package
    let mf = String::from_utf8(read(&format!("{JVM}/EXPECTED-jrt-fs-MANIFEST.MF"))).unwrap();
    assert!(mf.contains("Implementation-Title: Java Runtime Environment"));
    assert!(out
        .packages
        .iter()
        .all(|p| !p.database_path.starts_with(home) || p.ecosystem == Ecosystem::Generic));
    // the application's jars are still reported
    let (want, _) = expected("nested.jar");
    let maven = out
        .packages
        .iter()
        .filter(|p| p.ecosystem == Ecosystem::Maven)
        .count();
    assert_eq!(maven, want.len());
    // outside a JVM installation the same jar is still an archive to report
    let alone = scan("/opt/tools/jrt-fs.jar", &jrt);
    assert_eq!(alone.packages.len(), 1);
    assert_eq!(alone.packages[0].name, "Java Runtime Environment");
}

#[test]
fn jvm_release_naming_follows_syft() {
    let r = |text: &str| jvm::parse_release(text).expect("a JVM release");
    // Temurin's release (the example in Syft's parse_jvm_release.go)
    let t = r("IMPLEMENTOR=\"Eclipse Adoptium\"\nJAVA_RUNTIME_VERSION=\"21.0.4+7-LTS\"\nJAVA_VERSION=\"21.0.4\"\nSOURCE_REPO=\"https://github.com/adoptium/jdk21u.git\"\nIMAGE_TYPE=\"JDK\"\n");
    assert_eq!(t.version(), "21.0.4+7-LTS");
    assert_eq!(
        t.vendor_product("/opt/java/openjdk/release", false),
        ("oracle", "openjdk")
    );
    assert_eq!(
        t.source_repo.as_deref(),
        Some("https://github.com/adoptium/jdk21u.git")
    );
    // Azul, by implementor; Oracle's own JDK 8 with javac: java_se, jre and jdk CPEs with
    // the legacy update number
    let z = r("IMPLEMENTOR=\"Azul Systems, Inc.\"\nJAVA_VERSION=\"9.0.1+20\"\n");
    assert_eq!(
        z.vendor_product("/usr/lib/jvm/x/release", false),
        ("azul", "zulu")
    );
    assert_eq!(
        z.cpes("azul", "zulu", false),
        vec![
            "cpe:2.3:a:azul:zulu:9.0.1:*:*:*:*:*:*:*".to_string(),
            "cpe:2.3:a:oracle:openjdk:9.0.1:*:*:*:*:*:*:*".to_string()
        ]
    );
    let o = r("JAVA_VERSION=\"1.8.0_411\"\nFULL_VERSION=\"1.8.0_411-b09\"\n");
    let path = "/usr/lib/jvm/jdk-1.8-oracle-x64/release";
    assert_eq!(o.version(), "1.8.0_411-b09");
    assert_eq!(o.vendor_product(path, true), ("oracle", "jdk"));
    assert_eq!(
        o.cpes("oracle", "jdk", true),
        ["java_se", "jre", "jdk"]
            .iter()
            .map(|p| format!("cpe:2.3:a:oracle:{p}:1.8.0:update411:*:*:*:*:*:*"))
            .collect::<Vec<_>>()
    );
    assert!(jvm::parse_release("NAME=\"Debian\"\nVERSION_ID=\"12\"\n").is_none());
}
