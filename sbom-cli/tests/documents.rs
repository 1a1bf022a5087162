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

/// `inv` in `format`, with [`ACME`] as the creator (`--creator`), so that every schema and
/// validator check here also covers where the creator goes.
fn write(format: &str, inv: &Inventory) -> Vec<u8> {
    let mut out = Vec::new();
    let opts = WriteOptions::fixed(1_700_000_000).with_creator(Some(ACME.into()));
    writer_for(format)
        .expect("known format")
        .write(inv, &opts, &mut out)
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

/// The `software_Package`s of an SPDX 3 graph by `spdxId`.
fn spdx3_packages(doc: &Value) -> std::collections::BTreeMap<String, &Value> {
    doc["@graph"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["type"] == "software_Package")
        .map(|n| (n["spdxId"].as_str().unwrap().to_string(), n))
        .collect()
}

/// `(from, type, to)` of every relationship of an SPDX 3 graph.
fn spdx3_relationships(doc: &Value) -> BTreeSet<(String, String, String)> {
    let mut out = BTreeSet::new();
    for n in doc["@graph"].as_array().unwrap() {
        if n["type"] != "Relationship" {
            continue;
        }
        for to in n["to"].as_array().unwrap() {
            out.insert((
                n["from"].as_str().unwrap().to_string(),
                n["relationshipType"].as_str().unwrap().to_string(),
                to.as_str().unwrap().to_string(),
            ));
        }
    }
    out
}

/// Checks an SPDX 3 document of `inv` against the official JSON schema and for its content:
/// every package once with its purl, contained by the layer that introduced it, owned
/// packages `packagedBy` their owner, declared licenses as license expressions.
fn check_spdx3(doc: &Value, inv: &Inventory) {
    let errs = schema_errors("spdx-3.0.1/schema.json", doc);
    assert!(errs.is_empty(), "{errs:#?}");
    assert_eq!(doc["@graph"][0]["type"], "CreationInfo");
    assert_eq!(doc["@graph"][0]["created"], "2023-11-14T22:13:20Z");

    let pkgs = spdx3_packages(doc);
    let by_purl: std::collections::BTreeMap<&str, &str> = pkgs
        .iter()
        .filter_map(|(id, n)| Some((n["software_packageUrl"].as_str()?, id.as_str())))
        .filter(|(p, _)| !p.starts_with("pkg:oci/"))
        .collect();
    let purls: BTreeSet<String> = by_purl.keys().map(|p| p.to_string()).collect();
    assert_eq!(purls, inventory_purls(inv));
    let rels = spdx3_relationships(doc);
    let id_named = |name: &str, purpose: &str| -> String {
        pkgs.iter()
            .find(|(_, n)| n["name"] == name && n["software_primaryPurpose"] == purpose)
            .map(|(id, _)| id.clone())
            .unwrap_or_else(|| panic!("no {purpose} package {name}"))
    };
    let has = |from: &str, ty: &str, to: &str| {
        rels.contains(&(from.to_string(), ty.to_string(), to.to_string()))
    };
    let image = id_named(&inv.image.name, "container");
    for l in &inv.layers {
        let layer = id_named(&format!("layer-{}", l.index), "archive");
        assert!(
            has(&image, "contains", &layer),
            "image contains layer {}",
            l.index
        );
    }
    for p in &inv.packages {
        let id = by_purl[p.purl.as_str()];
        let l = p.layer.expect("every scanned package has a layer");
        let layer = id_named(&format!("layer-{l}"), "archive");
        assert!(has(&layer, "contains", id), "layer {l} contains {}", p.purl);
        if let Some(owner) = &p.owner {
            let o = inv.package(owner).unwrap();
            assert!(
                has(id, "packagedBy", by_purl[o.purl.as_str()]),
                "{} packagedBy {}",
                p.purl,
                o.purl
            );
        }
        let declared: Vec<&str> = rels
            .iter()
            .filter(|(f, t, _)| f == id && t == "hasDeclaredLicense")
            .map(|(_, _, to)| to.as_str())
            .collect();
        assert_eq!(declared.len(), 1, "{}", p.purl);
        match &p.license {
            Some(l) => {
                let lic = doc["@graph"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|n| n["spdxId"] == declared[0])
                    .expect("the license element");
                assert_eq!(lic["type"], "simplelicensing_LicenseExpression");
                assert_eq!(lic["simplelicensing_licenseExpression"], l.as_str());
            }
            None => assert_eq!(declared[0], "expandedlicensing_NoAssertionLicense"),
        }
    }
    // ownership is never containment: a consumer walking `contains` from an OS package must
    // not reach a Python dist
    for (from, ty, to) in &rels {
        if ty == "contains" {
            let (f, t) = (pkgs.get(from), pkgs.get(to));
            if let (Some(f), Some(t)) = (f, t) {
                let lib = |n: &Value| n["software_primaryPurpose"] == "library";
                assert!(!(lib(f) && lib(t)), "{from} contains {to}");
            }
        }
    }
}

#[test]
fn spdx3_json_of_a_real_image_is_valid_and_complete() {
    let inv = tiny_debian();
    check_spdx3(&json("spdx3-json", &inv), &inv);
}

/// The real test images under `SBOM_IMAGES` (debian-small also with the all-layers scope, which
/// lists removed packages), or none when it is unset.
fn real_images() -> Vec<(String, Inventory)> {
    let Some(dir) = std::env::var_os("SBOM_IMAGES").filter(|d| !d.is_empty()) else {
        eprintln!("SKIP the real images: SBOM_IMAGES is not set");
        return vec![];
    };
    let dir = PathBuf::from(dir);
    let mut out = Vec::new();
    for name in ["debian-small", "rpm-sqlite", "rpm-bdb"] {
        let path = dir.join(format!("{name}.docker.tar"));
        out.push((name.to_string(), scan(&path)));
        if name == "debian-small" {
            let r = ImageRef::parse(path.to_str().unwrap()).unwrap();
            let all = Scanner::new()
                .scope(sbom_core::Scope::AllLayers)
                .scan(&r)
                .expect("scan")
                .inventory;
            out.push((format!("{name} (all layers)"), all));
        }
    }
    out
}

#[test]
fn spdx3_json_of_every_test_image_is_valid_and_complete() {
    for (name, inv) in real_images() {
        eprintln!("{name}");
        check_spdx3(&json("spdx3-json", &inv), &inv);
    }
}

/// A validator from PyPI: `env` (set by .ci/run), else what shared/tools/anchors/install.sh
/// installed at `anchors_path` under its cache. Under CI a missing one is a failure.
fn python_tool(env: &str, anchors_path: &str) -> Option<PathBuf> {
    if let Some(t) = std::env::var_os(env).filter(|t| !t.is_empty()) {
        return Some(PathBuf::from(t));
    }
    let found = std::env::var_os("SBOM_ANCHORS")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/sbom-anchors")))
        .map(|c| c.join(anchors_path))
        .filter(|p| p.is_file());
    if found.is_none() && std::env::var_os("CI").is_some() {
        panic!("CI is set and {env} is not set (.ci/run sets it)");
    }
    found
}

/// `(success, output)` of `spdx3-validate` (the SPDX 3.0.1 JSON schema and SHACL model) on
/// `doc`, offline: shared/tools/anchors' wrapper serves the model and context from
/// `testdata/schemas/spdx-3.0.1` instead of spdx.org.
fn spdx3_validate(python: &Path, doc: &Path) -> (bool, String) {
    let offline = std::env::var_os("SBOM_SPDX3_OFFLINE")
        .map(PathBuf::from)
        .unwrap_or_else(|| testdata().join("../../shared/tools/anchors/spdx3-validate-offline.py"));
    assert!(offline.is_file(), "{} is missing", offline.display());
    let out = std::process::Command::new(python)
        .arg(&offline)
        .arg(doc)
        .arg("--quiet")
        .env("SPDX3_SCHEMAS", testdata().join("schemas/spdx-3.0.1"))
        .output()
        .expect("run spdx3-validate");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn spdx3_validate_accepts_our_spdx3_documents() {
    let Some(python) = python_tool("SBOM_VALIDATE_PYTHON", "venv-validate/bin/python") else {
        eprintln!("SKIP: no Python with spdx3-validate (shared/tools/anchors/install.sh)");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let inv = tiny_debian();
    let path = tmp.path().join("tiny.spdx3.json");
    let doc = json("spdx3-json", &inv);
    std::fs::write(&path, serde_json::to_vec(&doc).unwrap()).unwrap();
    let (ok, out) = spdx3_validate(&python, &path);
    assert!(ok, "spdx3-validate: {out}");
    // the validator can fail: a creation info without its creator is refused by the SHACL
    // model (the JSON schema check is done by check_spdx3 already)
    let mut bad = doc;
    bad["@graph"][0]
        .as_object_mut()
        .unwrap()
        .remove("createdBy");
    let path = tmp.path().join("bad.spdx3.json");
    std::fs::write(&path, serde_json::to_vec(&bad).unwrap()).unwrap();
    let (ok, out) = spdx3_validate(&python, &path);
    assert!(!ok && out.contains("createdBy"), "{out}");
}

/// `(valid, errors)` of `doc` against the official CycloneDX XSD (`testdata/schemas`), by
/// libxml2 through lxml: no Rust crate validates XSD, and libxml2 implements XSD 1.0, which
/// the CycloneDX schemas are written in.
fn xsd_validate(python: &Path, xsd: &str, doc: &Path) -> (bool, String) {
    const CHECK: &str = "import sys\nfrom lxml import etree\n\
        s = etree.XMLSchema(etree.parse(sys.argv[1]))\n\
        ok = s.validate(etree.parse(sys.argv[2]))\n\
        print(s.error_log)\nsys.exit(0 if ok else 1)\n";
    let out = std::process::Command::new(python)
        .args(["-c", CHECK])
        .arg(testdata().join("schemas").join(xsd))
        .arg(doc)
        .output()
        .expect("run python");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// The `<purl>`s of the `library` components of a CycloneDX XML document.
fn xml_library_purls(xml: &str) -> BTreeSet<String> {
    // every library component's purl is the first <purl> after its opening tag
    xml.split("<component type=\"library\"")
        .skip(1)
        .filter_map(|c| {
            let start = c.find("<purl>")? + "<purl>".len();
            let end = c[start..].find("</purl>")? + start;
            Some(c[start..end].replace("&amp;", "&"))
        })
        .collect()
}

#[test]
fn cyclonedx_xml_of_real_images_is_valid_against_the_xsd() {
    let Some(python) = python_tool("SBOM_VALIDATE_PYTHON", "venv-validate/bin/python") else {
        eprintln!("SKIP: no Python with lxml (shared/tools/anchors/install.sh)");
        return;
    };
    let mut images = vec![("tiny-debian".to_string(), tiny_debian())];
    images.extend(real_images());
    let tmp = tempfile::tempdir().unwrap();
    for (name, inv) in &images {
        for (format, xsd) in [
            ("cyclonedx-xml", "bom-1.6.xsd"),
            ("cyclonedx-xml@1.5", "bom-1.5.xsd"),
        ] {
            let bytes = write(format, inv);
            let path = tmp.path().join(format!("{name}-{format}.xml"));
            std::fs::write(&path, &bytes).unwrap();
            let (ok, errs) = xsd_validate(&python, xsd, &path);
            assert!(ok, "{name} {format}: {errs}");
            let xml = String::from_utf8(bytes).unwrap();
            assert_eq!(
                xml_library_purls(&xml),
                inventory_purls(inv),
                "{name} {format}"
            );
        }
    }
    // the check can fail: a component's <name> after its <version> breaks the XSD's order
    let xml = String::from_utf8(write("cyclonedx-xml", &images[0].1)).unwrap();
    let bad = xml.replacen("<name>sbom</name>\n          <version>", "<version>", 1);
    let bad = bad.replacen(
        "</version>\n        </component>",
        "</version>\n          <name>sbom</name>\n        </component>",
        1,
    );
    assert_ne!(bad, xml);
    let path = tmp.path().join("bad.xml");
    std::fs::write(&path, bad).unwrap();
    let (ok, errs) = xsd_validate(&python, "bom-1.6.xsd", &path);
    assert!(!ok, "an out-of-order document passed: {errs}");
}

#[test]
fn cyclonedx_evidence_names_each_package_s_file_layer_and_method() {
    let inv = tiny_debian();
    for format in ["cyclonedx-json", "cyclonedx-json@1.5"] {
        let doc = json(format, &inv);
        let v16 = format == "cyclonedx-json";
        // the layers are components of the image, one each, with their diff_id
        let layers = doc["metadata"]["component"]["components"]
            .as_array()
            .unwrap();
        assert_eq!(layers.len(), inv.layers.len(), "{format}");
        for (c, l) in layers.iter().zip(&inv.layers) {
            assert_eq!(c["bom-ref"], format!("layer:{}", l.index));
            assert_eq!(c["version"], l.diff_id.as_str());
        }
        let comps = doc["components"].as_array().unwrap();
        for p in &inv.packages {
            let c = comps
                .iter()
                .find(|c| c["purl"] == p.purl.as_str())
                .unwrap_or_else(|| panic!("{format}: {}", p.purl));
            let ev = &c["evidence"];
            let identity = if v16 {
                &ev["identity"][0]
            } else {
                &ev["identity"]
            };
            assert_eq!(identity["field"], "purl", "{format}");
            assert_eq!(identity["methods"][0]["value"], p.database_path.as_str());
            let technique = identity["methods"][0]["technique"].as_str().unwrap();
            let binary = p.properties.get(sbom_core::FOUND_BY).map(String::as_str)
                == Some(sbom_core::FOUND_BY_BINARY_CLASSIFIER);
            assert_eq!(
                technique == "binary-analysis",
                binary
                    || matches!(
                        p.ecosystem,
                        sbom_core::Ecosystem::Go | sbom_core::Ecosystem::Cargo
                    )
            );
            let occ = ev["occurrences"].as_array().unwrap();
            assert_eq!(occ.len(), 1);
            assert_eq!(occ[0]["location"], p.database_path.as_str());
            let layer = p.layer.unwrap();
            match v16 {
                true => assert!(
                    occ[0]["additionalContext"]
                        .as_str()
                        .unwrap()
                        .starts_with(&format!("layer:{layer} sha256:")),
                    "{occ:?}"
                ),
                false => assert!(occ[0].get("additionalContext").is_none()),
            }
        }
    }
}

/// The supplier and creator the conformance test states, as a build pipeline would
/// (`--supplier`, `--creator`): the test images name no vendor of their own.
const ACME: &str = "Organization: ACME (sbom@acme.example)";

/// What ntia-conformance-checker decides for `doc` (`testdata/conformance-check.py`): whether
/// it conforms to `standard`, each of the checker's requirement rows, and per element the SPDX
/// ids of the components that lack it.
fn conformance(python: &Path, standard: &str, spec: &str, doc: &Path) -> Value {
    let out = std::process::Command::new(python)
        .arg(testdata().join("conformance-check.py"))
        .args([standard, spec])
        .arg(doc)
        .output()
        .expect("run the conformance checker");
    assert!(
        out.status.success(),
        "conformance-check.py {standard} {spec}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("checker JSON");
    assert_eq!(
        v["validation"],
        serde_json::json!([]),
        "{standard} {spec}: {v}"
    );
    assert_eq!(
        v["parsing"],
        serde_json::json!([]),
        "{standard} {spec}: {v}"
    );
    v
}

fn ids(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .map(|a| a.iter().map(|s| s.as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

/// Asserts that every requirement row of `verdict` passed except the `failing` ones, which
/// must fail (the checker then still reads what it can).
fn rows_pass_except(verdict: &Value, failing: &[&str], what: &str) {
    for (label, ok) in verdict["requirements"].as_object().unwrap() {
        let optional = label.contains("(Warning)") || label.contains("(Optional)");
        if failing.contains(&label.as_str()) {
            assert_eq!(ok, false, "{what}: {label} was expected to fail");
        } else if !optional {
            assert_eq!(ok, true, "{what}: {label} fails: {verdict}");
        }
    }
}

/// ntia-conformance-checker on the SPDX 2 and SPDX 3 documents of the tiny image and every
/// test image. What it reads must be where we write it: NTIA passes outright; CISA's FSCT 3
/// (minimum) and BSI TR-03183-2 pass every row except the ones that need what the packages
/// do not say, and there the components it finds lacking are exactly those our documents
/// give as NOASSERTION (no concluded license, no copyright notice in the package's files), the
/// image, its layers and the OS included. Rows the checker reads from SPDX 3 only (SBOM
/// type; BSI's creator contact and dependency completeness) fail on SPDX 2 by its design.
#[test]
fn conformance_checker_reads_every_element_we_have() {
    let Some(python) = python_tool("SBOM_NTIA_PYTHON", "venv-validate/bin/python") else {
        eprintln!(
            "SKIP: no Python with ntia-conformance-checker (shared/tools/anchors/install.sh)"
        );
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let mut images = vec![("tiny-debian".to_string(), tiny_debian())];
    images.extend(real_images());
    let opts = WriteOptions::fixed(1_700_000_000).with_creator(Some(ACME.into()));
    let mut concluded_somewhere = 0;
    for (name, mut inv) in images {
        inv.image.supplier = Some(ACME.into());
        let mut docs = Vec::new();
        for (format, file) in [
            ("spdx-json", "doc.spdx.json"),
            ("spdx3-json", "doc.spdx3.json"),
        ] {
            let mut out = Vec::new();
            writer_for(format)
                .unwrap()
                .write(&inv, &opts, &mut out)
                .unwrap();
            let path = tmp.path().join(file);
            std::fs::write(&path, &out).unwrap();
            docs.push((path, serde_json::from_slice::<Value>(&out).unwrap()));
        }
        let [(spdx2_path, spdx2), (spdx3_path, spdx3)] = <[_; 2]>::try_from(docs).unwrap();
        // what each document leaves unasserted, by SPDX id
        let no_concluded2: BTreeSet<String> = spdx2["packages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["licenseConcluded"] == "NOASSERTION")
            .map(|p| p["SPDXID"].as_str().unwrap().to_string())
            .collect();
        let no_copyright2: BTreeSet<String> = spdx2["packages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["copyrightText"] == "NOASSERTION")
            .map(|p| p["SPDXID"].as_str().unwrap().to_string())
            .collect();
        let packages3 = spdx3_packages(&spdx3);
        let rels3 = spdx3_relationships(&spdx3);
        let no_concluded3: BTreeSet<String> = rels3
            .iter()
            .filter(|(_, ty, to)| ty == "hasConcludedLicense" && to.ends_with("NoAssertionLicense"))
            .map(|(from, _, _)| from.clone())
            .collect();
        let no_copyright3: BTreeSet<String> = packages3
            .iter()
            .filter(|(_, p)| p.get("software_copyrightText").is_none())
            .map(|(id, _)| id.clone())
            .collect();
        // a contact is a mail address or, failing one, a web address (BSI TR-03183-2)
        let agents_with_mail: BTreeSet<&str> = spdx3["@graph"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| {
                n["externalIdentifier"].as_array().is_some_and(|x| {
                    x.iter().any(|e| {
                        e["externalIdentifierType"] == "email"
                            || e["externalIdentifierType"] == "urlScheme"
                    })
                })
            })
            .map(|n| n["spdxId"].as_str().unwrap())
            .collect();
        let no_creator3: BTreeSet<String> = packages3
            .iter()
            .filter(|(_, p)| {
                !ids(&p["originatedBy"])
                    .iter()
                    .any(|a| agents_with_mail.contains(a.as_str()))
            })
            .map(|(id, _)| id.clone())
            .collect();
        // the OS is made by its distribution, reached at os-release's HOME_URL
        if let Some(d) = inv.distro.as_ref().filter(|d| {
            d.name.is_some() && d.home_url.as_deref().is_some_and(|u| u.starts_with("http"))
        }) {
            let os = packages3
                .iter()
                .find(|(_, p)| p["software_primaryPurpose"] == "operatingSystem")
                .map(|(id, _)| id.clone())
                .expect("an OS element");
            assert!(
                !no_creator3.contains(&os),
                "{name}: {} has no creator",
                d.id
            );
        }
        // ... which is what the inventory does not know: the image, its layers and the OS
        // conclude nothing, nor do packages without a machine-readable copyright file
        let unconcluded = inv
            .packages
            .iter()
            .filter(|p| p.license_concluded.is_none())
            .count();
        let without_notices = inv
            .packages
            .iter()
            .filter(|p| p.copyright.is_none())
            .count();
        let not_packages = 1 + inv.layers.len() + usize::from(inv.distro.is_some());
        for set in [&no_concluded2, &no_concluded3] {
            assert_eq!(set.len(), unconcluded + not_packages, "{name}");
        }
        for set in [&no_copyright2, &no_copyright3] {
            assert_eq!(set.len(), without_notices + not_packages, "{name}");
        }
        concluded_somewhere += inv.packages.len() - unconcluded;

        for (spec, path) in [("spdx2", &spdx2_path), ("spdx3", &spdx3_path)] {
            let what = format!("{name} {spec}");
            let v = conformance(&python, "ntia", spec, path);
            assert_eq!(v["compliant"], true, "{what} ntia: {v}");

            let (concluded, copyright) = if spec == "spdx2" {
                (&no_concluded2, &no_copyright2)
            } else {
                (&no_concluded3, &no_copyright3)
            };
            let v = conformance(&python, "fsct3-min", spec, path);
            let mut failing = Vec::new();
            if !concluded.is_empty() {
                failing.push("All component concluded license provided?");
            }
            if !copyright.is_empty() {
                failing.push("All component copyright notice provided?");
            }
            if spec == "spdx2" {
                failing.push("SBOM generation context (SBOM type) provided?");
            }
            rows_pass_except(&v, &failing, &format!("{what} fsct3-min"));
            assert_eq!(
                &ids(&v["missing"]["concluded_license"]),
                concluded,
                "{what}"
            );
            assert_eq!(&ids(&v["missing"]["copyright_text"]), copyright, "{what}");

            let v = conformance(&python, "bsi", spec, path);
            if spec == "spdx2" {
                // the checker reads BSI's document-level elements from SPDX 3 only
                rows_pass_except(
                    &v,
                    &["Creator of the SBOM", "Dependency Completeness"],
                    &format!("{what} bsi"),
                );
                continue;
            }
            // distribution file names and their SHA-512 are the file inventory's (--files)
            let mut failing = vec!["Distribution Filenames"];
            if !concluded.is_empty() {
                failing.push("Distribution Licenses");
            }
            if !no_creator3.is_empty() {
                failing.push("Component Creators");
            }
            rows_pass_except(&v, &failing, &format!("{what} bsi"));
            assert_eq!(
                &ids(&v["missing"]["distribution_licenses"]),
                concluded,
                "{what}"
            );
            assert_eq!(ids(&v["missing"]["creator"]), no_creator3, "{what}");
            // the creator row can fail: without --creator nobody is named with a contact
            if name == "tiny-debian" {
                let mut out = Vec::new();
                writer_for("spdx3-json")
                    .unwrap()
                    .write(&inv, &WriteOptions::fixed(1_700_000_000), &mut out)
                    .unwrap();
                let bare = tmp.path().join("bare.spdx3.json");
                std::fs::write(&bare, out).unwrap();
                let v = conformance(&python, "bsi", spec, &bare);
                assert_eq!(v["requirements"]["Creator of the SBOM"], false, "{v}");
            }
        }
    }
    assert!(
        concluded_somewhere > 0,
        "no image has a concluded license at all"
    );
}

/// `--creator` is in every format, with its contact: SPDX 2 `creators`, SPDX 3 `createdBy`
/// (an `Organization` with an `email` identifier), CycloneDX `metadata.authors` and, in 1.6,
/// `metadata.manufacturer` (the schema and XSD checks above run on these same documents).
#[test]
fn the_creator_and_its_contact_are_in_every_format() {
    let inv = tiny_debian();
    let spdx = json("spdx-json", &inv);
    assert_eq!(
        spdx["creationInfo"]["creators"][1],
        "Organization: ACME (sbom@acme.example)"
    );
    let spdx3 = json("spdx3-json", &inv);
    let graph = spdx3["@graph"].as_array().unwrap();
    let by = ids(&graph[0]["createdBy"]);
    let org = graph
        .iter()
        .find(|n| n["type"] == "Organization" && by.contains(n["spdxId"].as_str().unwrap()))
        .expect("the creator among createdBy");
    assert_eq!(org["name"], "ACME");
    assert_eq!(
        org["externalIdentifier"][0]["externalIdentifierType"],
        "email"
    );
    assert_eq!(
        org["externalIdentifier"][0]["identifier"],
        "sbom@acme.example"
    );
    for (format, manufacturer) in [("cyclonedx-json", true), ("cyclonedx-json@1.5", false)] {
        let cdx = json(format, &inv);
        let m = &cdx["metadata"];
        assert_eq!(m["authors"][0]["email"], "sbom@acme.example", "{format}");
        assert_eq!(m.get("manufacturer").is_some(), manufacturer, "{format}");
    }
    let xml = String::from_utf8(write("cyclonedx-xml", &inv)).unwrap();
    assert!(xml.contains("<email>sbom@acme.example</email>"), "{xml}");
    // without it only the tool is named: a contact is never made up
    let mut out = Vec::new();
    writer_for("spdx-json")
        .unwrap()
        .write(&inv, &WriteOptions::fixed(1_700_000_000), &mut out)
        .unwrap();
    let bare: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        bare["creationInfo"]["creators"].as_array().unwrap().len(),
        1
    );
}

/// tiny-debian scanned with the file inventory.
fn tiny_debian_files() -> Inventory {
    tiny_debian_files_with(true)
}

/// tiny-debian scanned with the file inventory, its SHA-1s computed or not.
fn tiny_debian_files_with(sha1: bool) -> Inventory {
    let r = ImageRef::parse(
        testdata()
            .join("images/tiny-debian.docker.tar.gz")
            .to_str()
            .unwrap(),
    )
    .unwrap();
    let inv = Scanner::new()
        .files(true)
        .file_sha1(sha1)
        .scan(&r)
        .expect("scan")
        .inventory;
    assert!(inv.files.len() > 100, "{}", inv.files.len());
    inv
}

/// `(success, output)` of `pyspdxtools -i doc` (SPDX 2.3: parses, then validates).
fn pyspdxtools(tool: &Path, doc: &Path) -> (bool, String) {
    let out = std::process::Command::new(tool)
        .arg("-i")
        .arg(doc)
        .output()
        .expect("run pyspdxtools");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // it reports invalid documents on its output, with a zero status in some versions; ply,
    // its tag-value parser, says "Generating LALR tables" the first time a venv parses one
    let text: String = text
        .lines()
        .filter(|l| l.trim() != "Generating LALR tables")
        .map(|l| format!("{l}\n"))
        .collect();
    (out.status.success() && text.trim().is_empty(), text)
}

#[test]
fn file_inventory_documents_are_valid_in_every_format() {
    let inv = tiny_debian_files();
    let n = inv.files.len();

    // SPDX 2.3: every file with SHA1 and SHA256, contained by its owners or the image; a
    // package that contains files has filesAnalyzed and a verification code
    let doc = json("spdx-json", &inv);
    let errs = schema_errors("spdx-2.3.schema.json", &doc);
    assert!(errs.is_empty(), "{errs:#?}");
    let files = doc["files"].as_array().unwrap();
    assert_eq!(files.len(), n);
    for (f, ours) in files.iter().zip(&inv.files) {
        assert_eq!(f["fileName"], format!(".{}", ours.path));
        let sums: Vec<(&str, &str)> = f["checksums"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["algorithm"].as_str().unwrap(),
                    c["checksumValue"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            sums,
            [
                ("SHA1", ours.sha1.as_deref().unwrap()),
                ("SHA256", ours.sha256.as_str())
            ]
        );
    }
    let rels = doc["relationships"].as_array().unwrap();
    let containers: BTreeSet<&str> = rels
        .iter()
        .filter(|r| {
            r["relationshipType"] == "CONTAINS"
                && r["relatedSpdxElement"]
                    .as_str()
                    .unwrap()
                    .starts_with("SPDXRef-File-")
        })
        .map(|r| r["spdxElementId"].as_str().unwrap())
        .collect();
    let contained: BTreeSet<&str> = rels
        .iter()
        .filter(|r| r["relationshipType"] == "CONTAINS")
        .map(|r| r["relatedSpdxElement"].as_str().unwrap())
        .collect();
    for f in files {
        assert!(contained.contains(f["SPDXID"].as_str().unwrap()), "{f}");
    }
    assert!(containers.contains("SPDXRef-Image"), "unowned files");
    for p in doc["packages"].as_array().unwrap() {
        let has = containers.contains(p["SPDXID"].as_str().unwrap());
        assert_eq!(p["filesAnalyzed"], has, "{}", p["SPDXID"]);
        assert_eq!(p.get("packageVerificationCode").is_some(), has);
    }

    // the same document, SPDX's own tool: JSON and tag-value; and it can fail (a package
    // containing files without filesAnalyzed)
    let tmp = tempfile::tempdir().unwrap();
    let pyspdx = python_tool("SBOM_VALIDATE_PYTHON", "venv-validate/bin/python")
        .map(|p| p.with_file_name("pyspdxtools"))
        .filter(|p| p.is_file());
    match &pyspdx {
        Some(tool) => {
            for (format, name) in [("spdx-json", "f.spdx.json"), ("spdx-tag-value", "f.spdx")] {
                let path = tmp.path().join(name);
                std::fs::write(&path, write(format, &inv)).unwrap();
                let (ok, out) = pyspdxtools(tool, &path);
                assert!(ok, "pyspdxtools {format}: {out}");
            }
            let mut bad = doc.clone();
            let pkg = bad["packages"]
                .as_array_mut()
                .unwrap()
                .iter_mut()
                .find(|p| p["SPDXID"] == "SPDXRef-Image")
                .unwrap();
            pkg["filesAnalyzed"] = Value::Bool(false);
            pkg.as_object_mut()
                .unwrap()
                .remove("packageVerificationCode");
            let path = tmp.path().join("bad.spdx.json");
            std::fs::write(&path, serde_json::to_vec(&bad).unwrap()).unwrap();
            let (ok, out) = pyspdxtools(tool, &path);
            assert!(!ok && out.contains("files_analyzed"), "{out}");
        }
        None => eprintln!("SKIP: no pyspdxtools (shared/tools/anchors/install.sh)"),
    }

    // SPDX 3: software_File elements, schema and SHACL model
    let doc3 = json("spdx3-json", &inv);
    let errs = schema_errors("spdx-3.0.1/schema.json", &doc3);
    assert!(errs.is_empty(), "{errs:#?}");
    let files3 = doc3["@graph"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "software_File")
        .count();
    assert_eq!(files3, n);
    if let Some(python) = python_tool("SBOM_VALIDATE_PYTHON", "venv-validate/bin/python") {
        let path = tmp.path().join("f.spdx3.json");
        std::fs::write(&path, serde_json::to_vec(&doc3).unwrap()).unwrap();
        let (ok, out) = spdx3_validate(&python, &path);
        assert!(ok, "spdx3-validate: {out}");
    }

    // CycloneDX: `file` components with both digests, JSON schema and XSD
    for (format, schema) in [
        ("cyclonedx-json", "bom-1.6.schema.json"),
        ("cyclonedx-json@1.5", "bom-1.5.schema.json"),
    ] {
        let doc = json(format, &inv);
        let errs = schema_errors(schema, &doc);
        assert!(errs.is_empty(), "{format}: {errs:#?}");
        let comps: Vec<&Value> = doc["components"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["type"] == "file")
            .collect();
        assert_eq!(comps.len(), n, "{format}");
        assert!(comps
            .iter()
            .all(|c| c["hashes"].as_array().unwrap().len() == 2));
    }
    if let Some(python) = python_tool("SBOM_VALIDATE_PYTHON", "venv-validate/bin/python") {
        for (format, xsd) in [
            ("cyclonedx-xml", "bom-1.6.xsd"),
            ("cyclonedx-xml@1.5", "bom-1.5.xsd"),
        ] {
            let path = tmp.path().join(format!("f-{format}.xml"));
            std::fs::write(&path, write(format, &inv)).unwrap();
            let (ok, errs) = xsd_validate(&python, xsd, &path);
            assert!(ok, "{format}: {errs}");
        }
    }

    // native JSON carries them as the model has them
    let native: Inventory = serde_json::from_slice(&write("json", &inv)).unwrap();
    assert_eq!(native.files, inv.files);
}

/// A file inventory made without SHA-1s (`Scanner::file_sha1(false)`, what the CLI does when
/// no SPDX 2 output is asked for): SPDX 2.3 requires one on every file, so its writers refuse
/// it, naming a file, rather than write an invalid document; every other format stays valid
/// with the SHA-256 alone.
#[test]
fn file_inventory_without_sha1_is_refused_by_spdx2_only() {
    let inv = tiny_debian_files_with(false);
    assert!(inv.files.iter().all(|f| f.sha1.is_none()));
    let opts = WriteOptions::fixed(1_700_000_000);
    // the in-toto statement carries an SPDX 2.3 document (it refuses this archive earlier,
    // for its lack of a manifest digest)
    assert!(writer_for("in-toto-spdx-json").unwrap().needs_file_sha1());
    assert!(!writer_for("in-toto-cyclonedx-json")
        .unwrap()
        .needs_file_sha1());
    for format in ["spdx-json", "spdx-tag-value"] {
        let w = writer_for(format).unwrap();
        assert!(w.needs_file_sha1(), "{format}");
        let mut out = Vec::new();
        let err = w.write(&inv, &opts, &mut out).unwrap_err().to_string();
        assert!(
            err.contains("SHA-1") && err.contains('/'),
            "{format}: {err}"
        );
        assert!(
            out.is_empty(),
            "{format}: nothing written before the refusal"
        );
    }
    let doc3 = json("spdx3-json", &inv);
    assert!(schema_errors("spdx-3.0.1/schema.json", &doc3).is_empty());
    for (format, schema) in [
        ("cyclonedx-json", "bom-1.6.schema.json"),
        ("cyclonedx-json@1.5", "bom-1.5.schema.json"),
    ] {
        let w = writer_for(format).unwrap();
        assert!(!w.needs_file_sha1(), "{format}");
        let doc = json(format, &inv);
        let errs = schema_errors(schema, &doc);
        assert!(errs.is_empty(), "{format}: {errs:#?}");
    }
    if let Some(python) = python_tool("SBOM_VALIDATE_PYTHON", "venv-validate/bin/python") {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("f.spdx3.json");
        std::fs::write(&path, serde_json::to_vec(&doc3).unwrap()).unwrap();
        let (ok, out) = spdx3_validate(&python, &path);
        assert!(ok, "spdx3-validate: {out}");
    }
}
