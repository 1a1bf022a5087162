//! Documents of a real image, made the way the CLI makes them (`layer_walker::Scanner` +
//! `sbom_core::format::writer_for`), checked against the official schemas in
//! `testdata/schemas/` and for their content: exactly the inventory's packages, and the
//! operating system as the element consumers (Trivy) look for.
//!
//! This lives in sbom-cli because it needs both layer-walker and sbom-core: a dev-dependency
//! of sbom-core on layer-walker would be a cycle (layer-walker depends on sbom-core), and its
//! `Inventory` would be a different type from the one sbom-core's tests see.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use layer_walker::{ImageRef, Scanner};
use sbom_core::format::{writer_for, WriteOptions};
use sbom_core::Inventory;
use serde_json::Value;

fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata")
}

#[path = "../../testdata/schema_check.rs"]
mod schema_check;
use schema_check::schema_errors;

fn scan(image: &Path) -> Inventory {
    let r = ImageRef::parse(image.to_str().expect("utf-8 path")).unwrap();
    Scanner::new().scan(&r).expect("scan").inventory
}

fn write(format: &str, inv: &Inventory) -> Vec<u8> {
    let mut out = Vec::new();
    writer_for(format)
        .expect("known format")
        .write(inv, &WriteOptions::fixed(1_700_000_000), &mut out)
        .expect("write");
    out
}

fn json(format: &str, inv: &Inventory) -> Value {
    serde_json::from_slice(&write(format, inv)).expect("valid JSON")
}

/// The purls of the inventory's packages: what every document must list, no more, no less.
fn inventory_purls(inv: &Inventory) -> BTreeSet<String> {
    let set: BTreeSet<String> = inv.packages.iter().map(|p| p.purl.clone()).collect();
    assert_eq!(set.len(), inv.packages.len(), "purls are unique");
    set
}

fn tiny_debian() -> Inventory {
    let inv = scan(&testdata().join("images/tiny-debian.docker.tar.gz"));
    assert!(inv.distro.is_some(), "tiny-debian has an os-release");
    assert!(
        inv.installed().count() > 0,
        "tiny-debian has packages: {inv:?}"
    );
    inv
}

/// SPDX packages with a purl externalRef, except the image's `pkg:oci`.
fn spdx_purls(doc: &Value) -> Vec<String> {
    doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["externalRefs"].as_array().cloned().unwrap_or_default())
        .filter(|r| r["referenceType"] == "purl")
        .map(|r| r["referenceLocator"].as_str().unwrap().to_string())
        .filter(|l| !l.starts_with("pkg:oci/"))
        .collect()
}

#[test]
fn spdx_json_of_a_real_image_is_valid_and_complete() {
    let inv = tiny_debian();
    let doc = json("spdx-json", &inv);
    let errs = schema_errors("spdx-2.3.schema.json", &doc);
    assert!(errs.is_empty(), "{errs:#?}");

    let purls = spdx_purls(&doc);
    let set: BTreeSet<String> = purls.iter().cloned().collect();
    assert_eq!(purls.len(), set.len(), "a package is listed twice");
    assert_eq!(set, inventory_purls(&inv));

    let d = inv.distro.as_ref().unwrap();
    let os: Vec<&Value> = doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["primaryPackagePurpose"] == "OPERATING_SYSTEM")
        .collect();
    assert_eq!(os.len(), 1, "one OPERATING_SYSTEM package");
    assert_eq!(os[0]["name"], d.id.as_str());
    assert_eq!(os[0]["versionInfo"].as_str(), d.version_id.as_deref());
    // Trivy finds OS packages as the OS package's CONTAINS children
    let os_id = os[0]["SPDXID"].as_str().unwrap();
    let children = doc["relationships"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["spdxElementId"] == os_id && r["relationshipType"] == "CONTAINS")
        .count();
    assert_eq!(
        children,
        inv.installed().filter(|p| p.ecosystem.is_os()).count()
    );
}

#[test]
fn spdx_tag_value_of_a_real_image_lists_the_same_packages() {
    let inv = tiny_debian();
    let text = String::from_utf8(write("spdx-tag-value", &inv)).unwrap();
    let purls: BTreeSet<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("ExternalRef: PACKAGE-MANAGER purl "))
        .filter(|l| !l.starts_with("pkg:oci/"))
        .map(str::to_string)
        .collect();
    assert_eq!(purls, inventory_purls(&inv));
    assert_eq!(
        text.matches("PrimaryPackagePurpose: OPERATING-SYSTEM\n")
            .count(),
        1
    );
}

#[test]
fn cyclonedx_of_a_real_image_is_valid_and_complete() {
    let inv = tiny_debian();
    for (format, schema) in [
        ("cyclonedx-json", "bom-1.6.schema.json"),
        ("cyclonedx-json@1.5", "bom-1.5.schema.json"),
    ] {
        let doc = json(format, &inv);
        let errs = schema_errors(schema, &doc);
        assert!(errs.is_empty(), "{format}: {errs:#?}");

        let comps = doc["components"].as_array().unwrap();
        let libs: Vec<String> = comps
            .iter()
            .filter(|c| c["type"] == "library")
            .map(|c| c["purl"].as_str().expect("library with a purl").to_string())
            .collect();
        let set: BTreeSet<String> = libs.iter().cloned().collect();
        assert_eq!(libs.len(), set.len(), "{format}: a package is listed twice");
        assert_eq!(set, inventory_purls(&inv), "{format}");

        let d = inv.distro.as_ref().unwrap();
        let os: Vec<&Value> = comps
            .iter()
            .filter(|c| c["type"] == "operating-system")
            .collect();
        assert_eq!(os.len(), 1, "{format}: one operating-system component");
        assert_eq!(os[0]["name"], d.id.as_str());
        assert_eq!(os[0]["version"].as_str(), d.version_id.as_deref());
        // Trivy finds OS packages as the OS component's dependencies
        let os_ref = os[0]["bom-ref"].as_str().unwrap();
        let dep = doc["dependencies"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["ref"] == os_ref)
            .expect("the OS has a dependencies entry");
        assert_eq!(
            dep["dependsOn"].as_array().unwrap().len(),
            inv.installed().filter(|p| p.ecosystem.is_os()).count(),
            "{format}"
        );
    }
}

/// Trivy: `SBOM_TRIVY` (set by .ci/run), else as shared/tools/anchors/install.sh installs it
/// (PATH, or its cache's bin). Under CI a missing Trivy is a failure.
fn trivy() -> Option<PathBuf> {
    if let Some(t) = std::env::var_os("SBOM_TRIVY").filter(|t| !t.is_empty()) {
        return Some(PathBuf::from(t));
    }
    let cache = std::env::var_os("SBOM_ANCHORS")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/sbom-anchors")));
    let found = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .chain(cache.map(|c| c.join("bin")))
        .map(|d| d.join("trivy"))
        .find(|t| t.is_file());
    if found.is_none() && std::env::var_os("CI").is_some() {
        panic!("CI is set and trivy is not found (.ci/run sets SBOM_TRIVY)");
    }
    found
}

/// Packages per (Trivy class, Trivy type) when Trivy reads `doc` back.
fn trivy_classes(trivy: &Path, doc: &Path) -> std::collections::BTreeMap<(String, String), usize> {
    let out = std::process::Command::new(trivy)
        .args([
            "sbom",
            "--quiet",
            "--offline-scan",
            "--skip-db-update",
            "--skip-java-db-update",
        ])
        .args([
            "--scanners",
            "license",
            "--cache-backend",
            "memory",
            "--list-all-pkgs",
        ])
        .args(["--format", "json"])
        .arg(doc)
        .env("TRIVY_NO_PROGRESS", "true")
        .output()
        .expect("run trivy");
    assert!(
        out.status.success(),
        "trivy: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut m = std::collections::BTreeMap::new();
    for r in v["Results"].as_array().into_iter().flatten() {
        let n = r["Packages"].as_array().map_or(0, Vec::len);
        if n > 0 {
            let key = (
                r["Class"].as_str().unwrap_or_default().to_string(),
                r["Type"].as_str().unwrap_or_default().to_string(),
            );
            *m.entry(key).or_default() += n;
        }
    }
    m
}

#[test]
fn trivy_files_dpkg_owned_python_dists_as_python_packages() {
    // debian-small's pip, setuptools and wheel dists belong to python3-pip & co: Trivy must
    // still file them as Python packages (to be matched against PyPI's feed), not as OS ones
    let Some(dir) = std::env::var_os("SBOM_IMAGES").filter(|d| !d.is_empty()) else {
        eprintln!("SKIP: SBOM_IMAGES is not set; the Trivy read-back needs debian-small");
        return;
    };
    let Some(trivy) = trivy() else {
        eprintln!("SKIP: trivy not found (shared/tools/anchors/install.sh installs it)");
        return;
    };
    let inv = scan(&PathBuf::from(dir).join("debian-small.docker.tar"));
    let owned = inv.packages.iter().filter(|p| p.owner.is_some()).count();
    assert!(owned >= 3, "debian-small has dpkg-owned dists");
    let count = |e: sbom_core::Ecosystem| inv.installed().filter(|p| p.ecosystem == e).count();
    let want = std::collections::BTreeMap::from([
        (
            ("os-pkgs".to_string(), "debian".to_string()),
            count(sbom_core::Ecosystem::Deb),
        ),
        (
            ("lang-pkgs".to_string(), "python-pkg".to_string()),
            count(sbom_core::Ecosystem::Python),
        ),
    ]);
    let tmp = tempfile::tempdir().unwrap();
    for format in ["spdx-json", "cyclonedx-json", "cyclonedx-json@1.5"] {
        let path = tmp.path().join(format!("{format}.json"));
        std::fs::write(&path, write(format, &inv)).unwrap();
        assert_eq!(trivy_classes(&trivy, &path), want, "{format}");
    }
}
