//! Runs the code of the library examples (`layer-walker/examples/`), so they are proven to
//! work by `cargo test` without building and spawning the example binaries: each example
//! keeps its logic in a function, and this test includes the example file as a module.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

#[allow(dead_code)]
#[path = "../examples/scan_to_cyclonedx.rs"]
mod scan_to_cyclonedx;

#[allow(dead_code)]
#[path = "../examples/build_step.rs"]
mod build_step;

fn tiny(suffix: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../testdata/images/tiny-debian.{suffix}"))
}

#[test]
fn scan_to_cyclonedx_writes_a_cyclonedx_document_of_the_tiny_image() {
    for suffix in ["docker.tar.gz", "oci", "oci-zstd.tar"] {
        let mut out = Vec::new();
        scan_to_cyclonedx::scan_to_cyclonedx(&tiny(suffix).display().to_string(), &mut out)
            .unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(doc["bomFormat"], "CycloneDX");
        assert_eq!(doc["specVersion"], "1.6");
        let names: Vec<&str> = doc["components"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|c| c["name"].as_str())
            .collect();
        for n in ["base-files", "python3-six", "six", "attrs"] {
            assert!(names.contains(&n), "{suffix}: {n} missing from {names:?}");
        }
    }
    let mut out = Vec::new();
    let err = scan_to_cyclonedx::scan_to_cyclonedx("/no/such/image.tar", &mut out).unwrap_err();
    assert!(err.to_string().contains("/no/such/image.tar"), "{err}");
}

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// A root with two Python packages, one GPL, one MIT.
fn small_root() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "usr/lib/python3/dist-packages/copyleft-1.0.dist-info/METADATA",
        "Metadata-Version: 2.4\nName: copyleft\nVersion: 1.0\nLicense-Expression: GPL-3.0-only\n",
    );
    write(
        dir.path(),
        "usr/lib/python3/dist-packages/permissive-2.0.dist-info/METADATA",
        "Metadata-Version: 2.4\nName: permissive\nVersion: 2.0\nLicense-Expression: MIT\n",
    );
    dir
}

#[test]
fn build_step_flags_denied_licenses_only() {
    let root = small_root();
    let cancel = Arc::new(AtomicBool::new(false));
    let deny = vec!["gpl-3.0-only".to_string(), "AGPL-3.0-only".to_string()];
    let v = build_step::check_licenses(root.path(), &deny, cancel.clone()).unwrap();
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(v[0].package, "copyleft");
    assert_eq!(v[0].license, "GPL-3.0-only");

    let v = build_step::check_licenses(root.path(), &["Apache-2.0".into()], cancel).unwrap();
    assert!(v.is_empty(), "{v:?}");
}

#[test]
fn build_step_honours_the_cancel_flag() {
    let root = small_root();
    let cancel = Arc::new(AtomicBool::new(true));
    let err = build_step::check_licenses(root.path(), &[], cancel).unwrap_err();
    assert!(matches!(err, layer_walker::Error::Cancelled), "{err}");
}
