//! The `sbom` binary end to end, on the shipped tiny-debian image (3 layers, in docker-archive,
//! OCI layout and OCI-archive-with-zstd form; `testdata/images/tiny-debian.truth.json` says
//! what each layer holds) and, when `SBOM_IMAGES` is set, on the bigger generated images.
//!
//! Plain `std::process::Command`: what a user or a CI script sees is what is tested.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// Every `-o` format, and the schema its document must validate against (None: not JSON).
const FORMATS: &[(&str, Option<&str>)] = &[
    ("json", None),
    ("spdx-json", Some("spdx-2.3.schema.json")),
    ("spdx-tag-value", None),
    ("spdx3-json", Some("spdx-3.0.1/schema.json")),
    ("cyclonedx-json", Some("bom-1.6.schema.json")),
    ("cyclonedx-json@1.5", Some("bom-1.5.schema.json")),
    // validated against the XSDs in tests/documents.rs (libxml2 through Python)
    ("cyclonedx-xml", None),
    ("cyclonedx-xml@1.5", None),
    ("table", None),
];

const EPOCH: &str = "1700000000";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn tiny(suffix: &str) -> PathBuf {
    root()
        .join("testdata/images")
        .join(format!("tiny-debian.{suffix}"))
}

/// The three shipped forms of the tiny image.
fn tiny_all() -> Vec<PathBuf> {
    ["docker.tar.gz", "oci", "oci-zstd.tar"]
        .iter()
        .map(|s| tiny(s))
        .collect()
}

/// The binary with a clean, reproducible environment.
fn sbom() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sbom"));
    c.env("SOURCE_DATE_EPOCH", EPOCH)
        .env("RUST_BACKTRACE", "1")
        .env_remove("SBOM_LOG")
        .env_remove("COLUMNS");
    c
}

/// `scan IMAGE REST...` as arguments.
fn scan_args(image: &Path, rest: &[&str]) -> Vec<std::ffi::OsString> {
    let mut v = vec!["scan".into(), image.as_os_str().to_owned()];
    v.extend(rest.iter().map(Into::into));
    v
}

fn run<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Output {
    sbom().args(args).output().expect("running sbom")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs and requires exit 0; returns stdout.
fn ok<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Vec<u8> {
    let o = run(args);
    assert!(
        o.status.success(),
        "sbom {:?} failed ({:?}): {}",
        args.iter().map(|a| a.as_ref()).collect::<Vec<_>>(),
        o.status.code(),
        stderr(&o)
    );
    o.stdout
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exited, not killed")
}

/// An error from the CLI: exactly one `error:` line, no Debug dump, no backtrace.
fn assert_clean_error(o: &Output, expected_code: i32, must_contain: &[&str]) {
    let err = stderr(o);
    assert_eq!(code(o), expected_code, "stderr: {err}");
    let error_lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(error_lines.len(), 1, "one error line expected, got: {err}");
    for s in must_contain {
        assert!(
            error_lines[0].contains(s),
            "{s:?} not in {:?}",
            error_lines[0]
        );
    }
    for bad in [
        "backtrace",
        "Backtrace",
        "panicked",
        "Os {",
        "Custom {",
        "kind:",
    ] {
        assert!(!err.contains(bad), "{bad:?} in stderr: {err}");
    }
    for l in err.lines() {
        assert!(
            l.starts_with("error:") || l.starts_with("hint:"),
            "unexpected stderr line {l:?} in {err}"
        );
    }
    assert!(o.stdout.is_empty(), "a failed scan printed a document");
}

fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).expect("valid JSON")
}

// ---------------------------------------------------------------------------------------------
// schemas: testdata/schema_check.rs

#[path = "../../testdata/schema_check.rs"]
mod schema_check;
use schema_check::schema_errors;

/// (name, version, purl) of every package in the native JSON.
type PkgSet = BTreeSet<(String, String, String)>;

fn native_packages(doc: &Value) -> PkgSet {
    doc["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .filter(|p| p["removed_in"].is_null())
        .map(|p| triple(p, "name", "version", p["purl"].as_str()))
        .collect()
}

fn triple(p: &Value, name: &str, version: &str, purl: Option<&str>) -> (String, String, String) {
    (
        p[name].as_str().unwrap_or_default().to_string(),
        p[version].as_str().unwrap_or_default().to_string(),
        purl.unwrap_or_default().to_string(),
    )
}

/// SPDX packages that carry a purl externalRef (the image package itself does not... or does,
/// as pkg:oci; it is not in the native package list, so it is left out).
fn spdx_packages(doc: &Value) -> PkgSet {
    doc["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .filter_map(|p| {
            let purl = p["externalRefs"].as_array()?.iter().find_map(|r| {
                (r["referenceType"] == "purl").then(|| r["referenceLocator"].as_str())?
            })?;
            (!purl.starts_with("pkg:oci/")).then(|| triple(p, "name", "versionInfo", Some(purl)))
        })
        .collect()
}

/// SPDX 3 `software_Package`s with a purl, except the image's `pkg:oci`.
fn spdx3_packages(doc: &Value) -> PkgSet {
    doc["@graph"]
        .as_array()
        .expect("@graph")
        .iter()
        .filter(|n| n["type"] == "software_Package")
        .filter_map(|p| {
            let purl = p["software_packageUrl"].as_str()?;
            (!purl.starts_with("pkg:oci/"))
                .then(|| triple(p, "name", "software_packageVersion", Some(purl)))
        })
        .collect()
}

fn cyclonedx_packages(doc: &Value) -> PkgSet {
    doc["components"]
        .as_array()
        .expect("components")
        .iter()
        .filter(|c| c["type"] == "library")
        .map(|c| triple(c, "name", "version", c["purl"].as_str()))
        .collect()
}

/// Every format of one image: each JSON document valid against its schema, and the same
/// package set in each as in the native JSON.
fn check_documents(image: &Path) {
    let dir = tempfile::tempdir().unwrap();
    let mut args: Vec<String> = vec!["scan".into(), image.display().to_string()];
    for (f, _) in FORMATS {
        args.push("-o".into());
        args.push(format!("{f}={}", dir.path().join(file_name(f)).display()));
    }
    ok(&args);
    let read = |f: &str| std::fs::read(dir.path().join(file_name(f))).unwrap();
    let native = native_packages(&json(&read("json")));
    assert!(
        native.len() > 10,
        "{}: too few packages: {native:?}",
        image.display()
    );
    for (f, schema) in FORMATS {
        let bytes = read(f);
        assert!(!bytes.is_empty(), "{f} is empty");
        let Some(schema) = schema else { continue };
        let doc = json(&bytes);
        let errs = schema_errors(schema, &doc);
        assert!(errs.is_empty(), "{} {f}: {errs:#?}", image.display());
        let set = if f.starts_with("spdx3") {
            spdx3_packages(&doc)
        } else if f.starts_with("spdx") {
            spdx_packages(&doc)
        } else {
            cyclonedx_packages(&doc)
        };
        assert_eq!(set, native, "{} {f}: package set differs", image.display());
    }
    let tv = String::from_utf8(read("spdx-tag-value")).unwrap();
    assert!(tv.starts_with("SPDXVersion: SPDX-2.3"), "{tv:.200}");
    for (name, version, _) in &native {
        assert!(
            tv.contains(&format!("PackageName: {name}\n")),
            "{name} {version} missing from tag-value"
        );
    }
}

fn file_name(format: &str) -> String {
    format!("out.{}", format.replace('@', "_"))
}

// ---------------------------------------------------------------------------------------------
// formats and outputs

#[test]
fn every_format_to_stdout_equals_the_same_format_to_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let image = tiny("docker.tar.gz");
    for (f, _) in FORMATS {
        let out = dir.path().join(file_name(f));
        let to_stdout = ok(&scan_args(&image, &["-o", f]));
        let spec = format!("{f}={}", out.display());
        let to_file = ok(&scan_args(&image, &["-o", &spec]));
        assert!(to_file.is_empty(), "-o {f}=FILE also wrote to stdout");
        let file = std::fs::read(&out).unwrap();
        assert!(!file.is_empty(), "{f}: empty document");
        assert_eq!(file, to_stdout, "{f}: file and stdout differ");
    }
}

#[test]
fn json_documents_validate_and_agree_on_packages_for_every_archive_kind() {
    for image in tiny_all() {
        check_documents(&image);
    }
}

#[test]
fn native_json_matches_the_truth_file() {
    let truth = json(&std::fs::read(tiny("truth.json")).unwrap());
    // replay the truth's per-layer dpkg changes to get the final set
    let mut expected = BTreeSet::new();
    for l in truth["layers"].as_array().unwrap() {
        for n in l["dpkg"]["added"].as_array().unwrap() {
            expected.insert(n.as_str().unwrap().to_string());
        }
        for n in l["dpkg"]["removed"].as_array().unwrap() {
            expected.remove(n.as_str().unwrap());
        }
    }
    assert!(expected.contains("python3-six") && !expected.contains("sensible-utils"));
    for image in tiny_all() {
        let doc = json(&ok(&scan_args(&image, &["-o", "json"])));
        let got: BTreeSet<String> = doc["packages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["purl"].as_str().unwrap_or("").starts_with("pkg:deb/"))
            .map(|p| p["name"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(got, expected, "{}", image.display());
    }
}

#[test]
fn several_outputs_from_one_run_equal_single_runs() {
    let dir = tempfile::tempdir().unwrap();
    let image = tiny("oci");
    let mut args: Vec<String> = vec!["scan".into(), image.display().to_string()];
    for (f, _) in FORMATS {
        args.push("-o".into());
        args.push(format!("{f}={}", dir.path().join(file_name(f)).display()));
    }
    // one of them may go to stdout
    args.push("-o".into());
    args.push("cyclonedx-json".into());
    let out = ok(&args);
    for (f, _) in FORMATS {
        let single = ok(&scan_args(&image, &["-o", f]));
        let file = std::fs::read(dir.path().join(file_name(f))).unwrap();
        assert_eq!(file, single, "{f}");
    }
    assert_eq!(
        out,
        std::fs::read(dir.path().join(file_name("cyclonedx-json"))).unwrap()
    );
}

#[test]
fn source_date_epoch_gives_byte_identical_documents() {
    let image = tiny("oci-zstd.tar");
    for (f, _) in FORMATS {
        let a = ok(&scan_args(&image, &["-o", f]));
        let b = ok(&scan_args(&image, &["-o", f]));
        assert_eq!(a, b, "{f} differs between two runs");
        if *f != "table" {
            assert!(
                String::from_utf8_lossy(&a).contains("2023-11-14T22:13:20Z"),
                "{f}: SOURCE_DATE_EPOCH not used as the creation time"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// usage errors: exit 2

#[test]
fn two_outputs_to_stdout_is_a_usage_error() {
    let o = run(&scan_args(&tiny("oci"), &["-o", "json", "-o", "spdx-json"]));
    assert_clean_error(&o, 2, &["only one -o may write to stdout", "FORMAT=FILE"]);
}

#[test]
fn unknown_format_is_a_usage_error() {
    let o = run(&scan_args(&tiny("oci"), &["-o", "spdx-yaml"]));
    let mut want = vec!["-o spdx-yaml", "unknown output format"];
    want.extend(sbom_core::format::FORMAT_NAMES);
    assert_clean_error(&o, 2, &want);
    // with a file too, the name is checked before anything is scanned or created
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("out.yaml");
    let spec = format!("spdx-yaml={}", file.display());
    let o = run(&scan_args(&tiny("oci"), &["-o", &spec]));
    assert_clean_error(&o, 2, &["unknown output format"]);
    assert!(dir_entries(dir.path()).is_empty());
}

#[test]
fn invalid_platform_is_a_usage_error() {
    let o = run(&scan_args(&tiny("oci"), &["--platform", "not a platform/"]));
    assert_clean_error(&o, 2, &["--platform"]);
}

#[test]
fn unknown_flag_is_a_usage_error() {
    let o = run(&["scan", "x.tar", "--no-such-flag"]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
}

// ---------------------------------------------------------------------------------------------
// image errors: exit 1, one line naming the file

#[test]
fn missing_file_fails_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-image.tar");
    let o = run(&scan_args(&missing, &[]));
    assert_clean_error(&o, 1, &[&missing.display().to_string()]);
}

#[test]
fn random_bytes_fail_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("random.tar");
    // deterministic "random" bytes: an LCG, so a failure can be reproduced
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let bytes: Vec<u8> = (0..100_000)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 56) as u8
        })
        .collect();
    std::fs::write(&path, bytes).unwrap();
    let o = run(&scan_args(&path, &[]));
    assert_clean_error(&o, 1, &[&path.display().to_string()]);
}

#[test]
fn truncated_archives_fail_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    // cuts inside the content; cutting only a plain tar's trailing zero padding leaves a
    // complete image whose every blob still verifies, which is not an error
    for (suffix, tail) in [("docker.tar.gz", 100), ("oci-zstd.tar", 3000)] {
        let bytes = std::fs::read(tiny(suffix)).unwrap();
        for keep in [bytes.len() / 3, bytes.len() * 2 / 3, bytes.len() - tail] {
            let path = dir.path().join(format!("cut-{keep}-{suffix}"));
            std::fs::write(&path, &bytes[..keep]).unwrap();
            let o = run(&scan_args(&path, &[]));
            assert_clean_error(&o, 1, &[&path.display().to_string()]);
        }
    }
}

/// Copies the OCI layout and changes a byte of the first layer blob that gzip ignores (the
/// header's MTIME): the layer still decompresses to the same tar, only its digest is wrong.
fn corrupted_oci() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let dst = dir.path().join("layout");
    copy_dir(&tiny("oci"), &dst);
    let blob =
        dst.join("blobs/sha256/c4d15d9c37b5df58d61883ed0592328d9870b7a70df1fca2037a823c29818f8e");
    let mut bytes = std::fs::read(&blob).unwrap();
    assert_eq!(&bytes[..2], &[0x1f, 0x8b], "the first layer is gzip");
    bytes[4] ^= 0x5a;
    std::fs::write(&blob, bytes).unwrap();
    (dir, dst)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

#[test]
fn digest_mismatch_fails_with_a_hint_and_no_verify_records_a_warning() {
    let (_dir, layout) = corrupted_oci();
    let o = run(&scan_args(&layout, &["-o", "json"]));
    assert_clean_error(&o, 1, &[&layout.display().to_string(), "digest mismatch"]);
    assert!(
        stderr(&o).contains("hint:") && stderr(&o).contains("--no-verify"),
        "{}",
        stderr(&o)
    );

    let o = run(&scan_args(&layout, &["--no-verify", "-o", "json"]));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stderr(&o).contains("digest not verified"), "{}", stderr(&o));
    let doc = json(&o.stdout);
    let warnings = doc["warnings"].as_array().expect("warnings in the JSON");
    assert!(
        warnings.iter().any(|w| w["message"]
            .as_str()
            .is_some_and(|m| m.contains("digest not verified") && m.contains("c4d15d9c"))),
        "{warnings:#?}"
    );
    // the packages are still all there
    let clean = json(&ok(&scan_args(&tiny("oci"), &["-o", "json"])));
    assert_eq!(native_packages(&doc), native_packages(&clean));
}

// ---------------------------------------------------------------------------------------------
// scope, forced kinds, other subcommands

fn find_package<'a>(doc: &'a Value, name: &str) -> Option<&'a Value> {
    doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
}

#[test]
fn all_layers_scope_lists_the_purged_package() {
    for image in tiny_all() {
        let squashed = json(&ok(&scan_args(&image, &["-o", "json"])));
        assert!(find_package(&squashed, "sensible-utils").is_none());
        let all = json(&ok(&scan_args(
            &image,
            &["--scope", "all-layers", "-o", "json"],
        )));
        let p = find_package(&all, "sensible-utils").expect("sensible-utils with all-layers");
        assert_eq!(p["layer"], 0, "{p:#}");
        assert_eq!(p["removed_in"], 2, "{p:#}");
    }
}

fn deb_names(doc: &Value) -> BTreeSet<String> {
    doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["purl"].as_str().unwrap_or("").starts_with("pkg:deb/"))
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn forced_kinds() {
    let reference = native_packages(&json(&ok(&scan_args(&tiny("oci"), &[]))));
    for (prefix, suffix) in [
        ("oci-dir", "oci"),
        ("oci-archive", "oci-zstd.tar"),
        ("docker-archive", "docker.tar.gz"),
    ] {
        let spec = format!("{prefix}:{}", tiny(suffix).display());
        let doc = json(&ok(&["scan", &spec, "-o", "json"]));
        assert_eq!(native_packages(&doc), reference, "{spec}");
    }
    // a wrong forced kind fails cleanly
    let spec = format!("oci-dir:{}", tiny("docker.tar.gz").display());
    let o = run(&["scan", &spec]);
    assert_clean_error(&o, 1, &[&tiny("docker.tar.gz").display().to_string()]);
}

#[test]
fn dir_kind_scans_an_unpacked_root() {
    let dir = tempfile::tempdir().unwrap();
    let rootfs = dir.path().join("rootfs");
    std::fs::create_dir(&rootfs).unwrap();
    let blobs = tiny("oci").join("blobs/sha256");
    for layer in [
        "c4d15d9c37b5df58d61883ed0592328d9870b7a70df1fca2037a823c29818f8e",
        "9a5b3082935a412a39e618d2740f123079e7d91a7ed45fc6ff49cb899e712c51",
        "202f32367a895df1a424abc122299d37d660a3aa9f2aa7edbc2bdeb9df7b57c9",
    ] {
        let st = Command::new("tar")
            .arg("-xzf")
            .arg(blobs.join(layer))
            .arg("-C")
            .arg(&rootfs)
            .args(["--no-same-owner", "--no-same-permissions"])
            .status()
            .expect("system tar");
        assert!(st.success(), "tar failed on {layer}");
    }
    let spec = format!("dir:{}", rootfs.display());
    let doc = json(&ok(&["scan", &spec, "-o", "json"]));
    let debs = deb_names(&doc);
    assert!(
        debs.contains("base-files") && debs.contains("python3-six"),
        "{debs:?}"
    );
    assert!(
        !debs.contains("sensible-utils"),
        "purged in the last layer: {debs:?}"
    );
    // and an SPDX document of it is valid
    let spdx = json(&ok(&["scan", &spec, "-o", "spdx-json"]));
    let errs = schema_errors("spdx-2.3.schema.json", &spdx);
    assert!(errs.is_empty(), "{errs:#?}");
}

#[test]
fn layers_prints_the_report() {
    let out = String::from_utf8(ok(&["layers".as_ref(), tiny("oci").as_os_str()])).unwrap();
    let table = String::from_utf8(ok(&scan_args(&tiny("oci"), &["-o", "table"]))).unwrap();
    assert_eq!(out, table, "`layers` is `scan -o table`");
    for s in ["base-files", "python3-six", "sensible-utils"] {
        assert!(out.contains(s), "{s} not in the report:\n{out}");
    }
}

#[test]
fn verbose_and_full_list_every_package_in_the_report() {
    // layer 0 of the tiny image adds 13 packages: the report collapses them by default
    let short = String::from_utf8(ok(&["layers".as_ref(), tiny("oci").as_os_str()])).unwrap();
    assert!(short.contains(" more"), "collapsed by default:\n{short}");
    assert!(
        !short.contains("zlib1g 1:"),
        "the last name is collapsed away:\n{short}"
    );
    for flag in ["-v", "--verbose", "--full"] {
        let out = String::from_utf8(ok(&[
            "layers".as_ref(),
            tiny("oci").as_os_str(),
            flag.as_ref(),
        ]))
        .unwrap();
        assert!(
            out.contains("zlib1g 1:") && !out.contains(" more"),
            "{flag}:\n{out}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// the format registry: help, names and aliases all come from sbom-core's FORMATS

/// The `FORMAT is one of:` list of `--help`, as (id, description, aliases).
fn help_formats(help: &str) -> Vec<(String, String, Vec<String>)> {
    let list = help
        .split_once("FORMAT is one of:\n")
        .unwrap_or_else(|| panic!("no format list in:\n{help}"))
        .1;
    list.lines()
        .take_while(|l| !l.trim().is_empty())
        .map(|l| {
            let (id, rest) = l.trim().split_once(' ').unwrap_or((l.trim(), ""));
            let rest = rest.trim();
            let (desc, aliases) = match rest
                .strip_suffix(')')
                .and_then(|r| r.split_once(" (also: "))
            {
                Some((d, a)) => (d, a.split(", ").map(String::from).collect()),
                None => (rest, Vec::new()),
            };
            (id.to_string(), desc.to_string(), aliases)
        })
        .collect()
}

#[test]
fn help_lists_exactly_the_registry_formats() {
    let registry: Vec<(String, String, Vec<String>)> = sbom_core::format::FORMATS
        .iter()
        .map(|f| {
            (
                f.id.to_string(),
                f.description.to_string(),
                f.aliases.iter().map(|a| a.to_string()).collect(),
            )
        })
        .collect();
    for cmd in ["scan", "layers"] {
        // wide enough that no line of the list is wrapped
        let long = sbom()
            .env("COLUMNS", "200")
            .args([cmd, "--help"])
            .output()
            .unwrap();
        assert!(long.status.success());
        let long = String::from_utf8(long.stdout).unwrap();
        assert_eq!(help_formats(&long), registry, "{cmd} --help:\n{long}");

        let short = sbom()
            .env("COLUMNS", "200")
            .args([cmd, "-h"])
            .output()
            .unwrap();
        let short = String::from_utf8(short.stdout).unwrap();
        // the list is longer than a 200-column line: join its wrapped lines
        let names = short
            .split_once("repeatable: ")
            .and_then(|(_, r)| r.split_once(". "))
            .unwrap_or_else(|| panic!("{cmd} -h:\n{short}"))
            .0
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(
            names.split(", ").collect::<Vec<_>>(),
            sbom_core::format::FORMAT_NAMES,
            "{cmd} -h:\n{short}"
        );
    }
}

/// The in-toto statement formats: they need the image's manifest digest, which a classic
/// `docker save` does not record, so they run on the OCI forms only (here, and against the
/// in-toto bindings in tests/gate.rs).
const STATEMENT_FORMATS: &[&str] = &["in-toto-spdx-json", "in-toto-cyclonedx-json"];

/// The formats these tests run are the registry's: a new format cannot go untested here.
#[test]
fn the_tests_cover_every_registry_format() {
    let mut tested: Vec<&str> = FORMATS.iter().map(|(f, _)| *f).collect();
    tested.extend(STATEMENT_FORMATS);
    assert_eq!(tested, sbom_core::format::FORMAT_NAMES);
}

#[test]
fn statements_to_stdout_equal_files_are_reproducible_and_carry_a_valid_document() {
    let dir = tempfile::tempdir().unwrap();
    for image in [tiny("oci"), tiny("oci-zstd.tar")] {
        for (f, schema) in STATEMENT_FORMATS
            .iter()
            .zip(["spdx-2.3.schema.json", "bom-1.6.schema.json"])
        {
            let out = dir.path().join(file_name(f));
            let to_stdout = ok(&scan_args(&image, &["-o", f]));
            let spec = format!("{f}={}", out.display());
            assert!(ok(&scan_args(&image, &["-o", &spec])).is_empty());
            assert_eq!(std::fs::read(&out).unwrap(), to_stdout, "{f}");
            assert_eq!(
                ok(&scan_args(&image, &["-o", f])),
                to_stdout,
                "{f}: not reproducible"
            );
            let st = json(&to_stdout);
            let errs = schema_errors(schema, &st["predicate"]);
            assert!(errs.is_empty(), "{} {f}: {errs:#?}", image.display());
        }
    }
}

#[test]
fn aliases_write_what_their_format_writes() {
    let image = tiny("oci");
    for f in sbom_core::format::FORMATS {
        let want = ok(&scan_args(&image, &["-o", f.id]));
        for alias in f.aliases {
            assert_eq!(ok(&scan_args(&image, &["-o", alias])), want, "{alias}");
        }
    }
    // the two the project promises
    assert_eq!(
        ok(&scan_args(&image, &["-o", "text"])),
        ok(&scan_args(&image, &["-o", "table"]))
    );
    assert_eq!(
        ok(&scan_args(&image, &["-o", "cyclonedx-json@1.6"])),
        ok(&scan_args(&image, &["-o", "cyclonedx-json"]))
    );
}

/// The report fits `COLUMNS` (40 or more; else 80), whichever `-o` selects it.
#[test]
fn the_table_is_as_wide_as_columns_says() {
    let image = tiny("docker.tar.gz");
    let report = |columns: Option<&str>, rest: &[&str]| {
        let mut c = sbom();
        if let Some(n) = columns {
            c.env("COLUMNS", n);
        }
        let o = c.args(scan_args(&image, rest)).output().unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        String::from_utf8(o.stdout).unwrap()
    };
    let widest = |s: &str| {
        s.lines()
            // a digest is one word, and a heading keeps its first entry: the only lines
            // the report lets run long
            .filter(|l| !l.starts_with("Digest: ") && !l.starts_with("  Added "))
            .map(|l| l.chars().count())
            .max()
            .unwrap()
    };
    let default = report(None, &["-o", "table"]);
    assert!((70..=80).contains(&widest(&default)), "{default}");
    assert_eq!(
        report(Some("30"), &["-o", "table"]),
        default,
        "below 40 is ignored"
    );
    let narrow = report(Some("50"), &["-o", "text"]);
    assert!(
        widest(&narrow) <= 50 && narrow.lines().count() > default.lines().count(),
        "{narrow}"
    );
    let wide = report(Some("200"), &["-o", "table", "--full"]);
    assert!(widest(&wide) > 80 && wide.contains("zlib1g 1:"), "{wide}");
    // a file gets the same report as the terminal
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.txt");
    report(Some("50"), &["-o", &format!("table={}", file.display())]);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), narrow);
}

#[test]
fn completions() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef sbom"),
        ("fish", "complete -c sbom"),
    ] {
        let out = String::from_utf8(ok(&["completions", shell])).unwrap();
        assert!(out.contains(marker), "{shell}: {marker:?} missing");
        assert!(out.contains("no-verify"), "{shell}: flags missing");
    }
    let o = run(&["completions", "tcsh"]);
    assert_eq!(code(&o), 2);
}

#[test]
fn version_shows_the_version_and_a_git_hash() {
    let out = String::from_utf8(ok(&["--version"])).unwrap();
    let line = out.trim();
    let rest = line
        .strip_prefix(&format!("sbom {} (", env!("CARGO_PKG_VERSION")))
        .unwrap_or_else(|| panic!("{line:?}"));
    let hash = rest.strip_suffix(')').unwrap();
    let hash = hash.strip_suffix("-dirty").unwrap_or(hash);
    assert!(
        hash.len() >= 7 && hash.chars().all(|c| c.is_ascii_hexdigit()),
        "not a git hash: {line:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// atomic output files

fn dir_entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn a_failed_scan_leaves_no_output_file() {
    let dir = tempfile::tempdir().unwrap();
    let (_c, layout) = corrupted_oci();
    let out = dir.path().join("out.json");
    let spec = format!("json={}", out.display());
    let o = run(&scan_args(&layout, &["-o", &spec]));
    assert_eq!(code(&o), 1);
    assert_eq!(dir_entries(dir.path()), Vec::<String>::new());

    // an existing file is left as it was
    std::fs::write(&out, "old").unwrap();
    let o = run(&scan_args(&layout, &["-o", &spec]));
    assert_eq!(code(&o), 1);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "old");
    assert_eq!(dir_entries(dir.path()), vec!["out.json".to_string()]);
}

#[test]
fn an_unwritable_output_fails_without_leftovers() {
    let dir = tempfile::tempdir().unwrap();
    // the target is a directory: the rename fails after the document was written
    let target = dir.path().join("out.json");
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("keep"), "x").unwrap();
    let spec = format!("json={}", target.display());
    let o = run(&scan_args(&tiny("oci"), &["-o", &spec]));
    assert_clean_error(&o, 1, &[&target.display().to_string()]);
    assert_eq!(dir_entries(dir.path()), vec!["out.json".to_string()]);
}

#[test]
fn an_existing_file_is_replaced_keeping_its_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.json");
    std::fs::write(&out, "old contents that are longer than nothing").unwrap();
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o640)).unwrap();
    let spec = format!("json={}", out.display());
    ok(&scan_args(&tiny("oci"), &["-o", &spec]));
    let doc = json(&std::fs::read(&out).unwrap());
    assert!(doc["packages"].as_array().unwrap().len() > 10);
    let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode, 0o640);
    assert_eq!(dir_entries(dir.path()), vec!["out.json".to_string()]);

    // a new file is 0644 (minus the umask), not the temp file's 0600
    let new = dir.path().join("new.json");
    let spec = format!("json={}", new.display());
    ok(&scan_args(&tiny("oci"), &["-o", &spec]));
    let mode = std::fs::metadata(&new).unwrap().permissions().mode() & 0o7777;
    assert_ne!(mode, 0o600, "the temp file's mode leaked");
    assert_eq!(mode & 0o044, 0o044, "{mode:o}");
}

// ---------------------------------------------------------------------------------------------
// bigger images, when built

#[test]
fn generated_images_validate_in_every_format() {
    let Some(dir) = std::env::var_os("SBOM_IMAGES") else {
        println!("SKIP: SBOM_IMAGES is not set (see README: Tests with real images)");
        return;
    };
    let dir = PathBuf::from(dir);
    for name in [
        "debian-small.docker.tar",
        "debian-small.oci.tar",
        "debian-small.oci-zstd.tar",
    ] {
        let path = dir.join(name);
        assert!(
            path.is_file(),
            "SBOM_IMAGES is set but {} is missing",
            path.display()
        );
        check_documents(&path);
    }
}

/// `--supplier` names who distributes the image: the image and every layer carry it in SPDX,
/// the container component in CycloneDX, and packages keep their own maintainers. The tiny
/// image declares no vendor or author, so without the flag they stay NOASSERTION.
#[test]
fn supplier_flag_sets_the_image_and_layer_supplier() {
    let img = tiny("docker.tar.gz");
    let scan = |extra: &[&str], format: &str| -> Value {
        let mut args = scan_args(&img, extra);
        args.extend(["-o".into(), format.into()]);
        json(&ok(&args))
    };
    let suppliers = |doc: &Value| -> Vec<(String, String)> {
        doc["packages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["SPDXID"].as_str().unwrap().to_string(),
                    p["supplier"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let is_image_or_layer = |id: &str| id == "SPDXRef-Image" || id.starts_with("SPDXRef-Layer-");

    let plain = suppliers(&scan(&[], "spdx-json"));
    assert!(plain.iter().any(|(id, _)| id.starts_with("SPDXRef-Layer-")));
    for (id, s) in plain.iter().filter(|(id, _)| is_image_or_layer(id)) {
        assert_eq!(s, "NOASSERTION", "{id}");
    }

    let given = "Organization: Example Builders (sbom@example.org)";
    let with = suppliers(&scan(&["--supplier", given], "spdx-json"));
    for (id, s) in with.iter().filter(|(id, _)| is_image_or_layer(id)) {
        assert_eq!(s, given, "{id}");
    }
    // packages that had a supplier of their own keep it
    for ((id, before), (_, after)) in plain.iter().zip(&with) {
        if !is_image_or_layer(id) && before != "NOASSERTION" {
            assert_eq!(before, after, "{id}");
        }
    }
    let cdx = scan(&["--supplier", given], "cyclonedx-json");
    assert_eq!(
        cdx["metadata"]["component"]["supplier"]["name"],
        "Example Builders"
    );
    // --creator names who made the document, with the contact BSI TR-03183-2 asks for; the
    // supplier is not taken for it
    let doc = scan(&["--supplier", given], "spdx-json");
    assert_eq!(doc["creationInfo"]["creators"].as_array().unwrap().len(), 1);
    let creator = "Organization: SBOM Team (sbom@builders.example)";
    let doc = scan(&["--creator", creator], "spdx-json");
    assert_eq!(doc["creationInfo"]["creators"][1], creator);
    let cdx = scan(&["--creator", creator], "cyclonedx-json");
    assert_eq!(
        cdx["metadata"]["manufacturer"]["contact"][0]["email"],
        "sbom@builders.example"
    );
}

/// Every format of the shipped tiny image, byte for byte, against `tests/golden/`: any change
/// to what users get shows up as a diff to review. After an intended change, regenerate with
/// `UPDATE_GOLDEN=1 cargo test -p sbom-cli --test cli golden` and read the diff.
#[test]
fn documents_of_the_tiny_image_match_the_golden_files() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut stale = Vec::new();
    for (format, ext) in [
        ("json", "json"),
        ("spdx-json", "spdx.json"),
        ("spdx-tag-value", "spdx"),
        ("cyclonedx-json", "cdx.json"),
        ("cyclonedx-json@1.5", "cdx15.json"),
        ("cyclonedx-xml", "cdx.xml"),
        ("cyclonedx-xml@1.5", "cdx15.xml"),
        ("spdx3-json", "spdx3.json"),
        ("table", "txt"),
    ] {
        // a relative image path: documents record the path they were given
        let o = sbom()
            .current_dir(root())
            .args([
                "scan",
                "testdata/images/tiny-debian.docker.tar.gz",
                "-o",
                format,
            ])
            .output()
            .expect("running sbom");
        assert!(o.status.success(), "{format}: {}", stderr(&o));
        let path = dir.join(format!("tiny-debian.{ext}"));
        if update {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &o.stdout).unwrap();
            continue;
        }
        let want = std::fs::read(&path)
            .unwrap_or_else(|e| panic!("{}: {e}; run with UPDATE_GOLDEN=1", path.display()));
        if want != o.stdout {
            stale.push(format!("{format} ({})", path.display()));
        }
    }
    assert!(
        stale.is_empty(),
        "output differs from the golden files: {}; if intended, rerun with UPDATE_GOLDEN=1 and review the diff",
        stale.join(", ")
    );
}

/// The native JSON of `sbom scan ARG -o json` with `input` on standard input.
fn scan_stdin(arg: &str, input: &[u8]) -> Output {
    use std::io::Write;
    let mut child = sbom()
        .args(["scan", arg, "-o", "json"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("running sbom");
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_vec();
    // written from a thread: the scan reads as it goes, and a full pipe must not deadlock
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().expect("waiting for sbom");
    writer.join().expect("writer");
    out
}

/// Everything in the native JSON but where it was read from.
fn without_source(mut doc: Value) -> Value {
    doc["image"]["source"] = Value::Null;
    doc
}

#[test]
fn standard_input_is_read_as_a_stream_with_the_same_result() {
    // compressed docker-archive, and a plain tar (an OCI archive) that could not be indexed
    for suffix in ["docker.tar.gz", "oci-zstd.tar"] {
        let path = tiny(suffix);
        let from_file = json(&ok(&scan_args(&path, &["-o", "json"])));
        let bytes = std::fs::read(&path).unwrap();
        for arg in ["-", "docker-archive:-"] {
            if arg.starts_with("docker") && suffix.starts_with("oci") {
                continue;
            }
            let o = scan_stdin(arg, &bytes);
            assert!(o.status.success(), "{suffix} {arg}: {}", stderr(&o));
            let doc = json(&o.stdout);
            assert_eq!(doc["image"]["source"], "standard input", "{suffix}");
            assert_eq!(
                without_source(doc),
                without_source(from_file.clone()),
                "{suffix} {arg}"
            );
        }
    }
    // a cut stream fails like a cut file, naming standard input
    let bytes = std::fs::read(tiny("docker.tar.gz")).unwrap();
    let o = scan_stdin("-", &bytes[..bytes.len() / 2]);
    assert_clean_error(&o, 1, &["standard input", "truncated"]);
    let o = scan_stdin("-", b"");
    assert_clean_error(&o, 1, &["standard input", "empty"]);
}

#[test]
fn an_unknown_kind_is_a_usage_error_listing_the_known_ones() {
    for image in ["containerd:app", "singularity:app.sif"] {
        let o = run(&["scan", image]);
        assert_clean_error(
            &o,
            2,
            &[
                "unknown image kind",
                "docker-archive:",
                "oci-dir:",
                "oci-archive:",
                "dir:",
                "docker:",
                "podman:",
            ],
        );
    }
}

#[test]
fn an_existing_file_whose_name_looks_like_a_kind_is_scanned() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(tiny("docker.tar.gz"), dir.path().join("app:1.tar.gz")).unwrap();
    let o = sbom()
        .current_dir(dir.path())
        .args(["scan", "app:1.tar.gz", "-o", "json"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let reference = native_packages(&json(&ok(&scan_args(
        &tiny("docker.tar.gz"),
        &["-o", "json"],
    ))));
    assert_eq!(native_packages(&json(&o.stdout)), reference);
}

#[test]
fn a_path_that_is_not_utf8_is_kept_as_it_is() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let name = std::ffi::OsStr::from_bytes(b"tiny-\xff.tar.gz");
    let path = dir.path().join(name);
    std::fs::copy(tiny("docker.tar.gz"), &path).unwrap();
    let doc = json(&ok(&scan_args(&path, &["-o", "json"])));
    let reference = native_packages(&json(&ok(&scan_args(
        &tiny("docker.tar.gz"),
        &["-o", "json"],
    ))));
    assert_eq!(native_packages(&doc), reference);
}

#[test]
fn a_device_pipe_or_link_as_output_is_written_through_not_replaced() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    let image = tiny("docker.tar.gz");
    // a FIFO stands for /dev/null and /dev/stdout: renaming over it would replace the node
    let fifo = dir.path().join("doc.pipe");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(fifo).unwrap())
    };
    let out = format!("json={}", fifo.display());
    ok(&scan_args(&image, &["-o", &out]));
    let doc = json(&reader.join().unwrap());
    assert!(!native_packages(&doc).is_empty());
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
    // a link to a file: the file gets the document, the link stays a link
    let target = dir.path().join("real.json");
    std::fs::write(&target, b"old").unwrap();
    let link = dir.path().join("link.json");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    ok(&scan_args(
        &image,
        &["-o", &format!("json={}", link.display())],
    ));
    assert!(link.is_symlink());
    assert_eq!(
        native_packages(&json(&std::fs::read(&target).unwrap())),
        native_packages(&doc)
    );
}

/// `--files` computes SHA-1s only for a document that needs them: SPDX 2.3 requires one on
/// every file, CycloneDX and SPDX 3 do not, and they are half a file scan's hashing. When
/// SPDX 2 is one of several outputs, every document gets them.
#[test]
fn files_give_sha1_only_when_an_spdx2_output_is_asked_for() {
    let image = tiny("docker.tar.gz");
    let dir = tempfile::tempdir().unwrap();
    let hashes = |doc: &serde_json::Value| -> BTreeSet<String> {
        doc["components"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["type"] == "file")
            .flat_map(|c| c["hashes"].as_array().unwrap().iter())
            .map(|h| h["alg"].as_str().unwrap().to_string())
            .collect()
    };
    let alone: serde_json::Value = serde_json::from_slice(&ok(&scan_args(
        &image,
        &["--files", "-o", "cyclonedx-json"],
    )))
    .unwrap();
    assert_eq!(hashes(&alone), BTreeSet::from(["SHA-256".to_string()]));

    let cdx = dir.path().join("cdx.json");
    let spdx = ok(&scan_args(
        &image,
        &[
            "--files",
            "-o",
            "spdx-json",
            "-o",
            &format!("cyclonedx-json={}", cdx.display()),
        ],
    ));
    let spdx: serde_json::Value = serde_json::from_slice(&spdx).unwrap();
    let files = spdx["files"].as_array().unwrap();
    assert!(!files.is_empty());
    for f in files {
        let algs: Vec<&str> = f["checksums"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["algorithm"].as_str().unwrap())
            .collect();
        assert_eq!(algs, ["SHA1", "SHA256"], "{f}");
    }
    let with: serde_json::Value = serde_json::from_slice(&std::fs::read(&cdx).unwrap()).unwrap();
    assert_eq!(
        hashes(&with),
        BTreeSet::from(["SHA-1".to_string(), "SHA-256".to_string()])
    );
}
