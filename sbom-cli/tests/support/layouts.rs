//! OCI layouts made for the tests from the shipped ones.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// Builds an OCI layout holding a two-platform index (the tiny image for amd64, and for
/// arm64 the same layers under a config that says arm64).
pub fn two_platform_layout(dir: &Path, tiny: &Path) -> PathBuf {
    let out = dir.join("multi");
    let src = tiny;
    Command::new("cp")
        .arg("-a")
        .arg(src)
        .arg(&out)
        .status()
        .unwrap();
    let index: Value =
        serde_json::from_slice(&std::fs::read(out.join("index.json")).unwrap()).unwrap();
    let amd = index["manifests"][0].clone();
    let blob = |d: &str| {
        out.join("blobs/sha256")
            .join(d.trim_start_matches("sha256:"))
    };
    let put = |bytes: &[u8]| {
        let d = layer_walker::Digest::sha256(bytes);
        std::fs::write(out.join("blobs/sha256").join(d.hex()), bytes).unwrap();
        d.to_string()
    };
    let mut manifest: Value =
        serde_json::from_slice(&std::fs::read(blob(amd["digest"].as_str().unwrap())).unwrap())
            .unwrap();
    let mut config: Value = serde_json::from_slice(
        &std::fs::read(blob(manifest["config"]["digest"].as_str().unwrap())).unwrap(),
    )
    .unwrap();
    config["architecture"] = "arm64".into();
    let cbytes = serde_json::to_vec(&config).unwrap();
    manifest["config"]["digest"] = put(&cbytes).into();
    manifest["config"]["size"] = cbytes.len().into();
    let mbytes = serde_json::to_vec(&manifest).unwrap();
    let arm = serde_json::json!({
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": put(&mbytes), "size": mbytes.len(),
        "platform": {"os": "linux", "architecture": "arm64"},
    });
    let mut amd_entry = amd.clone();
    amd_entry.as_object_mut().unwrap().remove("annotations");
    let nested = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [amd_entry, arm],
    });
    let nbytes = serde_json::to_vec(&nested).unwrap();
    let top = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "digest": put(&nbytes), "size": nbytes.len(),
        }],
    });
    std::fs::write(out.join("index.json"), serde_json::to_vec(&top).unwrap()).unwrap();
    out
}
