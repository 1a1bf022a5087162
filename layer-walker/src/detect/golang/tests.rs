use super::*;
use proptest::prelude::*;

const FIX: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/lang/go");
const BINARIES: [&str; 2] = [
    "go1.15-old-buildinfo-3deps.elf",
    "go1.22-module-replacement.elf",
];
/// Built by `make-file-build.sh` with `go build main.go`.
const FILE_BUILD: &str = "go-file-build-cmdline.elf";

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(format!("{FIX}/{rel}")).expect("fixture")
}

/// What `go version -m` printed: toolchain, and (path, version, sum, replaced) per module
/// line, with each `=>` line applied to the line before it.
#[allow(clippy::type_complexity)]
fn expected(
    name: &str,
) -> (
    String,
    Vec<(String, String, Option<String>, Option<String>)>,
) {
    let text = String::from_utf8(read(&format!("EXPECTED-{name}.go-version-m.txt"))).expect("utf8");
    let mut toolchain = String::new();
    let mut mods: Vec<(String, String, Option<String>, Option<String>)> = Vec::new();
    for line in text.lines() {
        if line.starts_with('#') {
            continue;
        }
        if let Some(v) = line.strip_prefix(&format!("{name}: ")) {
            toolchain = v.to_string();
            continue;
        }
        let cols: Vec<&str> = line.trim_start_matches('\t').split('\t').collect();
        let sum = cols.get(3).filter(|s| !s.is_empty()).map(|s| s.to_string());
        match cols[0] {
            "mod" | "dep" => mods.push((cols[1].into(), cols[2].into(), sum, None)),
            "=>" => {
                let last = mods.last_mut().expect("=> follows a module");
                let orig = format!("{}@{}", last.0, last.1);
                *last = (cols[1].into(), cols[2].into(), sum, Some(orig));
            }
            _ => {}
        }
    }
    (toolchain, mods)
}

#[test]
fn fixtures_match_go_version_m() {
    for name in BINARIES {
        let body = read(name);
        let path = format!("/usr/local/bin/{name}");
        let detectors: Vec<Arc<dyn Detector>> = vec![Arc::new(GoDetector)];
        let view = FsView::from_files(&detectors, &[(path.as_str(), body.as_slice())], &[]);
        let mut out = Findings::default();
        detectors[0].collect(&view, CollectContext { full_detail: true }, &mut out);
        let (toolchain, mods) = expected(name);
        assert!(!mods.is_empty());
        // every module line, then the standard library the binary was linked with
        assert_eq!(out.packages.len(), mods.len() + 1, "{name}");
        let stdlib = out.packages.last().expect("stdlib");
        assert_stdlib(stdlib, &toolchain, &path);
        for (p, (mpath, ver, sum, replaced)) in out.packages.iter().zip(&mods) {
            assert_eq!(&p.name, mpath);
            assert_eq!(&p.version, ver);
            assert_eq!(p.properties.get("go:sum"), sum.as_ref(), "{mpath}");
            assert_eq!(p.properties.get("go:replaces"), replaced.as_ref());
            assert_eq!(p.properties.get("go:toolchain"), Some(&toolchain));
            assert_eq!(p.database_path, path);
        }
        assert_eq!(
            out.packages[0]
                .properties
                .get("go:main-module")
                .map(String::as_str),
            Some("true")
        );
    }
}

/// The `stdlib` package of a binary whose `go version -m` first line named `toolchain`.
fn assert_stdlib(p: &Package, toolchain: &str, path: &str) {
    let release = toolchain.strip_prefix("go").expect("a release toolchain");
    assert_eq!(
        (p.name.as_str(), p.version.as_str()),
        ("stdlib", format!("v{release}").as_str())
    );
    assert_eq!(
        sbom_core::purl::package_purl(p, None),
        format!("pkg:golang/stdlib@v{release}")
    );
    assert_eq!(
        p.properties.get("go:toolchain").map(String::as_str),
        Some(toolchain)
    );
    assert!(!p.properties.contains_key("go:main-module"));
    assert_eq!(p.database_path, path);
}

/// `go build main.go` (see make-file-build.sh): the build info names no module, only the
/// `command-line-arguments` package; the standard library is still reported.
#[test]
fn file_build_reports_the_standard_library() {
    let name = FILE_BUILD;
    let text = String::from_utf8(read(&format!("EXPECTED-{name}.go-version-m.txt"))).expect("utf8");
    assert!(text.contains("\tpath\tcommand-line-arguments\n"), "{text}");
    assert!(!text.contains("\tmod\t"), "{text}");
    let (toolchain, mods) = expected(name);
    assert!(mods.is_empty());

    let body = read(name);
    let info = read_buildinfo(&body).expect("ok").expect("a Go binary");
    assert_eq!(info.path.as_deref(), Some("command-line-arguments"));
    assert_eq!(info.main, None);
    assert_eq!(info.go_version, toolchain);

    let path = "/app/hello";
    let detectors: Vec<Arc<dyn Detector>> = vec![Arc::new(GoDetector)];
    let view = FsView::from_files(&detectors, &[(path, body.as_slice())], &[]);
    let mut out = Findings::default();
    detectors[0].collect(&view, CollectContext { full_detail: true }, &mut out);
    assert_eq!(out.packages.len(), 1, "{:?}", out.packages);
    assert_stdlib(&out.packages[0], &toolchain, path);
}

#[test]
fn stdlib_versions_from_toolchain_strings() {
    for (toolchain, want) in [
        ("go1.22.0", Some("v1.22.0")),
        ("go1.20", Some("v1.20")),
        ("go1.21rc2", Some("v1.21rc2")),
        ("go1.21.5 X:boringcrypto", Some("v1.21.5")),
        ("go1.26.1-X:nocoverageredesign", Some("v1.26.1")),
        ("go1.26.5 (Red Hat 1.26.5-1.el10)", Some("v1.26.5")),
        ("devel go1.23-6b7f5e2 Tue Jan 2 00:00:00 2024 +0000", None),
        ("", None),
        ("gox", None),
    ] {
        assert_eq!(stdlib_version(toolchain).as_deref(), want, "{toolchain}");
    }
}

#[test]
fn build_settings_are_kept() {
    let info = read_buildinfo(&read(BINARIES[1])).expect("ok").expect("go");
    let text = String::from_utf8(read(&format!("EXPECTED-{}.go-version-m.txt", BINARIES[1])))
        .expect("utf8");
    let want: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("\tbuild\t"))
        .collect();
    assert_eq!(info.settings, want);
}

#[test]
fn local_replacement_keeps_required_module() {
    let info =
        parse_modinfo("path\tx\nmod\tx\t(devel)\t\ndep\tgithub.com/a/b\tv1.0.0\n=>\t../b\t\t\n");
    assert_eq!(info.deps[0].path, "github.com/a/b");
    assert_eq!(info.deps[0].local_replacement.as_deref(), Some("../b"));
}

#[test]
fn malformed_binaries_are_errors_not_panics() {
    assert!(read_buildinfo(b"\x7fELF\x02\x01\x01garbage").is_err());
    // not Go at all: the Rust fixture is a valid ELF without build info
    let rust = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../testdata/lang/rust/cargo-auditable-test.elf"
    ))
    .expect("fixture");
    assert_eq!(read_buildinfo(&rust), Ok(None));

    let find = |b: &[u8]| {
        b.windows(MAGIC.len())
            .position(|w| w == MAGIC)
            .expect("magic")
    };
    // inline format: a length running past the end of the file
    let mut modern = read(BINARIES[1]);
    let at = find(&modern) + 32;
    modern[at..at + 4].copy_from_slice(&[0xff, 0xff, 0xff, 0x07]);
    assert!(read_buildinfo(&modern).is_err());
    // pointer format: pointers that resolve nowhere
    let mut old = read(BINARIES[0]);
    let at = find(&old) + 16;
    old[at..at + 8].copy_from_slice(&[0xff; 8]);
    assert!(read_buildinfo(&old).is_err());
    // truncated file: the ELF or the build info is cut short
    let full = read(BINARIES[1]);
    let cut = &full[..find(&full) + 40];
    let _ = read_buildinfo(cut); // must not panic; object may or may not accept it
    let d = GoDetector;
    assert!(d.parse("/bin/x", &full[..64]).is_err());
}

#[test]
fn magic_scan_without_the_section_name() {
    // rename `.go.buildinfo` in the section-name table: the header must still be found
    for name in BINARIES.into_iter().chain([FILE_BUILD]) {
        let orig = read(name);
        let mut body = orig.clone();
        let needle = b".go.buildinfo";
        let at = body
            .windows(needle.len())
            .position(|w| w == needle)
            .expect("section name");
        body[at..at + needle.len()].copy_from_slice(b".xx.buildinfo");
        assert_eq!(read_buildinfo(&body), read_buildinfo(&orig), "{name}");
        assert!(read_buildinfo(&body).expect("ok").is_some());
    }
}

proptest! {
    #[test]
    fn buildinfo_reader_never_panics(tail in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let mut body = b"\x7fELF\x02\x01\x01\x00".to_vec();
        body.extend_from_slice(&tail);
        let _ = read_buildinfo(&body);
        let _ = parse_modinfo(&String::from_utf8_lossy(&tail));
    }
}
