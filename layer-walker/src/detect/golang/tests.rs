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

/// Cross-compiled by make-pe-macho.sh; `go version -m` read each one for its EXPECTED file.
const FOREIGN: [&str; 3] = [
    "go-module-local.windows-amd64.exe",
    "go-module-local.windows-386.exe",
    "go-module-local.darwin-arm64.macho",
];

/// `(path, version)` of the `mod`/`dep` lines, and the `=>` target of each, from the
/// EXPECTED text (a local-directory replacement keeps the required module's name).
#[allow(clippy::type_complexity)]
fn expected_lines(name: &str) -> (String, Vec<(String, String, Option<String>)>) {
    let text = String::from_utf8(read(&format!("EXPECTED-{name}.go-version-m.txt"))).expect("utf8");
    let mut toolchain = String::new();
    let mut mods: Vec<(String, String, Option<String>)> = Vec::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        if let Some(v) = line.strip_prefix(&format!("{name}: ")) {
            toolchain = v.to_string();
            continue;
        }
        let cols: Vec<&str> = line.trim_start_matches('\t').split('\t').collect();
        match cols[0] {
            "mod" | "dep" => mods.push((cols[1].into(), cols[2].into(), None)),
            "=>" => mods.last_mut().expect("=> follows a module").2 = Some(cols[1].into()),
            _ => {}
        }
    }
    (toolchain, mods)
}

fn collect_one(path: &str, body: &[u8]) -> Vec<Package> {
    let detectors: Vec<Arc<dyn Detector>> = vec![Arc::new(GoDetector)];
    let view = FsView::from_files(&detectors, &[(path, body)], &[]);
    let mut out = Findings::default();
    detectors[0].collect(&view, CollectContext { full_detail: true }, &mut out);
    out.packages
}

#[test]
fn pe_and_macho_binaries_match_go_version_m() {
    for name in FOREIGN {
        let body = read(name);
        let path = format!("/opt/tools/{name}");
        let (toolchain, mods) = expected_lines(name);
        assert_eq!(mods.len(), 2, "{name}");
        let pkgs = collect_one(&path, &body);
        assert_eq!(pkgs.len(), mods.len() + 1, "{name}: {pkgs:?}");
        for (p, (mpath, ver, replaced)) in pkgs.iter().zip(&mods) {
            assert_eq!((&p.name, &p.version), (mpath, ver), "{name}");
            assert_eq!(
                p.properties.get("go:replaced-by"),
                replaced.as_ref(),
                "{name}"
            );
            assert_eq!(p.properties.get("go:toolchain"), Some(&toolchain));
        }
        assert_stdlib(pkgs.last().expect("stdlib"), &toolchain, &path);
        // the build settings too, in order
        let text = String::from_utf8(read(&format!("EXPECTED-{name}.go-version-m.txt"))).unwrap();
        let want: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("\tbuild\t"))
            .collect();
        let info = read_buildinfo(&body).expect("ok").expect("go");
        assert_eq!(info.settings, want, "{name}");
    }
}

#[test]
fn windows_files_are_claimed_without_an_execute_bit() {
    let plain = EntryMeta {
        size: 1,
        mode: 0o644,
    };
    assert!(GoDetector.claim("/Files/app/Tool.EXE", &plain).is_some());
    assert!(GoDetector.claim("/Files/app/x.dll", &plain).is_some());
    assert!(GoDetector.claim("/usr/bin/app", &plain).is_none());
    // a body claimed by name must still be a binary: a text file called x.exe is skipped
    let pkgs = collect_one("/x.exe", b"MZ but not a PE at all");
    assert!(pkgs.is_empty());
}

/// A universal binary around the real Mach-O slice (the header `lipo` writes: big-endian
/// magic, count, then cputype, cpusubtype, offset, size, align per slice).
fn universal(slices: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&0xcafe_babe_u32.to_be_bytes());
    out.extend_from_slice(&(slices.len() as u32).to_be_bytes());
    let mut offset = 0x4000_u32;
    let mut bodies = Vec::new();
    for s in slices {
        let cputype = u32::from_le_bytes(s[4..8].try_into().unwrap());
        let subtype = u32::from_le_bytes(s[8..12].try_into().unwrap());
        for v in [cputype, subtype, offset, s.len() as u32, 14] {
            out.extend_from_slice(&v.to_be_bytes());
        }
        bodies.push((offset, *s));
        offset = (offset + s.len() as u32).next_multiple_of(0x4000);
    }
    for (at, s) in bodies {
        out.resize(at as usize, 0);
        out.extend_from_slice(s);
    }
    out
}

#[test]
fn universal_macho_is_read_slice_by_slice() {
    let slice = read(FOREIGN[2]);
    let fat = universal(&[&slice]);
    assert_eq!(read_buildinfo(&fat), read_buildinfo(&slice));
    assert!(read_buildinfo(&fat).expect("ok").is_some());
    // a Java class file shares the magic: nothing, and no error
    let class = b"\xca\xfe\xba\xbe\x00\x00\x00\x34\x00\x10rest of a class";
    assert_eq!(read_buildinfo(class), Ok(None));
}

#[test]
fn truncated_pe_and_macho_never_panic() {
    for name in FOREIGN {
        let full = read(name);
        let magic_at = full
            .windows(MAGIC.len())
            .position(|w| w == MAGIC)
            .expect("magic");
        // cuts through the headers, the section table and the build info itself
        let mut cuts: Vec<usize> = (0..512).step_by(7).collect();
        cuts.extend((magic_at..magic_at + 600).step_by(5));
        cuts.extend([full.len() / 2, full.len() - 1]);
        for cut in cuts {
            let _ = read_buildinfo(&full[..cut.min(full.len())]);
        }
        // garbage over the header fields
        for at in (0..256).step_by(3) {
            let mut bad = full.clone();
            bad[at] ^= 0xff;
            let _ = read_buildinfo(&bad);
        }
        let fat = universal(&[&full[..full.len() / 3]]);
        let _ = read_buildinfo(&fat);
    }
}

/// The Go toolchain's own `go` command is a Go binary without a main module (`path cmd/go`):
/// what it reports is the standard library it was built with, which `go version` names.
#[test]
fn the_go_command_reports_its_toolchain_as_stdlib() {
    let goroot = match std::process::Command::new("go")
        .args(["env", "GOROOT"])
        .output()
    {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).trim().to_string(),
        _ => {
            eprintln!("SKIP: no Go toolchain here (Debian: apt-get install golang-go)");
            return;
        }
    };
    let version = std::process::Command::new("go")
        .arg("version")
        .output()
        .unwrap();
    // `go version go1.19.8 linux/amd64`
    let toolchain = String::from_utf8_lossy(&version.stdout)
        .split_whitespace()
        .nth(2)
        .expect("go version output")
        .to_string();
    let path = format!("{goroot}/bin/go");
    let body = std::fs::read(&path).unwrap();
    let pkgs = collect_one("/usr/local/go/bin/go", &body);
    let stdlib = pkgs.iter().find(|p| p.name == STDLIB).expect("stdlib");
    assert_stdlib(stdlib, &toolchain, "/usr/local/go/bin/go");
    assert!(
        pkgs.iter()
            .all(|p| p.name == STDLIB || p.name.starts_with("golang.org/x/")),
        "{pkgs:?}"
    );
}
