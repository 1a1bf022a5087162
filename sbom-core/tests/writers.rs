//! Every writer, checked against the official schemas and for determinism; the table report
//! against a golden file.

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;

use sbom_core::format::{writer_for, Table, WriteOptions, Writer, FORMAT_NAMES};
use sbom_core::Inventory;
use serde_json::Value;

#[path = "../../testdata/schema_check.rs"]
mod schema_check;
use schema_check::schema_errors;

fn write(format: &str, inv: &Inventory, opts: &WriteOptions) -> Vec<u8> {
    let mut out = Vec::new();
    writer_for(format)
        .unwrap()
        .write(inv, opts, &mut out)
        .unwrap();
    out
}

/// What the SPDX schema cannot check but the spec (and pyspdxtools) require.
fn spdx_semantics(doc: &Value) -> Vec<String> {
    let mut errs = Vec::new();
    let mut ids = BTreeSet::new();
    ids.insert("SPDXRef-DOCUMENT".to_string());
    for p in doc["packages"].as_array().unwrap() {
        let id = p["SPDXID"].as_str().unwrap().to_string();
        if !id.strip_prefix("SPDXRef-").is_some_and(|r| {
            !r.is_empty()
                && r.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        }) {
            errs.push(format!("bad SPDXID {id}"));
        }
        if !ids.insert(id.clone()) {
            errs.push(format!("duplicate SPDXID {id}"));
        }
    }
    let declared: BTreeSet<&str> = doc["hasExtractedLicensingInfos"]
        .as_array()
        .map(|a| a.iter().map(|e| e["licenseId"].as_str().unwrap()).collect())
        .unwrap_or_default();
    for p in doc["packages"].as_array().unwrap() {
        for field in ["licenseDeclared", "licenseConcluded"] {
            let l = p[field].as_str().unwrap();
            if l != "NOASSERTION" && l != "NONE" {
                if spdx::Expression::parse(l).is_err() {
                    errs.push(format!("{field} {l:?} does not parse"));
                }
                for t in l
                    .split([' ', '(', ')'])
                    .filter(|t| t.starts_with("LicenseRef-"))
                {
                    if !declared.contains(t) {
                        errs.push(format!("{t} used but not declared"));
                    }
                }
            }
        }
        let s = p["supplier"].as_str().unwrap();
        if !(s == "NOASSERTION" || s.starts_with("Person: ") || s.starts_with("Organization: ")) {
            errs.push(format!("bad supplier {s}"));
        }
    }
    for r in doc["relationships"].as_array().unwrap() {
        for f in ["spdxElementId", "relatedSpdxElement"] {
            let id = r[f].as_str().unwrap();
            if !ids.contains(id) {
                errs.push(format!("relationship to unknown {id}"));
            }
        }
    }
    errs
}

/// What the CycloneDX schema cannot check: unique bom-refs, dependencies that resolve.
fn cdx_semantics(doc: &Value) -> Vec<String> {
    let mut errs = Vec::new();
    let mut refs = BTreeSet::new();
    refs.insert(
        doc["metadata"]["component"]["bom-ref"]
            .as_str()
            .unwrap()
            .to_string(),
    );
    for c in doc["components"].as_array().unwrap() {
        let r = c["bom-ref"].as_str().unwrap().to_string();
        if !refs.insert(r.clone()) {
            errs.push(format!("duplicate bom-ref {r}"));
        }
    }
    let mut seen = BTreeSet::new();
    for d in doc["dependencies"].as_array().unwrap() {
        let r = d["ref"].as_str().unwrap();
        seen.insert(r.to_string());
        for t in d["dependsOn"].as_array().unwrap() {
            if !refs.contains(t.as_str().unwrap()) {
                errs.push(format!("dependsOn unknown {t}"));
            }
        }
    }
    if seen != refs {
        errs.push("not every component has a dependencies entry".into());
    }
    errs
}

fn check_all_formats(inv: &Inventory) {
    let opts = WriteOptions::fixed(1_714_557_600);
    for (format, schema) in [
        ("spdx-json", "spdx-2.3.schema.json"),
        ("cyclonedx-json", "bom-1.6.schema.json"),
        ("cyclonedx-json@1.5", "bom-1.5.schema.json"),
    ] {
        let doc: Value = serde_json::from_slice(&write(format, inv, &opts)).unwrap();
        let errs = schema_errors(schema, &doc);
        assert!(
            errs.is_empty(),
            "{format} fails {schema}:\n{}",
            errs.join("\n")
        );
        let sem = if format.starts_with("spdx") {
            spdx_semantics(&doc)
        } else {
            cdx_semantics(&doc)
        };
        assert!(sem.is_empty(), "{format}:\n{}", sem.join("\n"));
    }
}

#[test]
fn realistic_inventory_validates_in_every_format() {
    check_all_formats(&common::realistic());
}

#[test]
fn thousand_packages_validate() {
    let inv = common::big(1000);
    assert!(inv.packages.len() > 1000);
    check_all_formats(&inv);
}

#[test]
fn the_validators_do_reject_broken_documents() {
    // guards against a validator that accepts everything (e.g. a $ref resolved to `true`)
    let inv = common::realistic();
    let opts = WriteOptions::fixed(0);
    let mut cdx: Value = serde_json::from_slice(&write("cyclonedx-json", &inv, &opts)).unwrap();
    cdx["components"][1]["licenses"] = serde_json::json!([{"license": {"id": "Not-A-License"}}]);
    assert!(!schema_errors("bom-1.6.schema.json", &cdx).is_empty());
    let mut spdx: Value = serde_json::from_slice(&write("spdx-json", &inv, &opts)).unwrap();
    spdx["packages"][0]
        .as_object_mut()
        .unwrap()
        .remove("SPDXID");
    assert!(!schema_errors("spdx-2.3.schema.json", &spdx).is_empty());
    let mut spdx: Value = serde_json::from_slice(&write("spdx-json", &inv, &opts)).unwrap();
    spdx.as_object_mut()
        .unwrap()
        .remove("hasExtractedLicensingInfos");
    assert!(!spdx_semantics(&spdx).is_empty());
}

#[test]
fn spdx_content() {
    let inv = common::realistic();
    let doc: Value =
        serde_json::from_slice(&write("spdx-json", &inv, &WriteOptions::fixed(0))).unwrap();
    let pkgs = doc["packages"].as_array().unwrap();
    let os = pkgs
        .iter()
        .find(|p| p["primaryPackagePurpose"] == "OPERATING_SYSTEM")
        .unwrap();
    assert_eq!(os["name"], "debian");
    assert_eq!(os["versionInfo"], "12");
    let image = pkgs
        .iter()
        .find(|p| p["SPDXID"] == "SPDXRef-Image")
        .unwrap();
    assert_eq!(image["primaryPackagePurpose"], "CONTAINER");
    assert!(image["externalRefs"][0]["referenceLocator"]
        .as_str()
        .unwrap()
        .starts_with("pkg:oci/app@sha256"));
    let layer1 = pkgs.iter().find(|p| p["name"] == "layer-1").unwrap();
    assert!(layer1["comment"]
        .as_str()
        .unwrap()
        .contains("Dockerfile:3-5 RUN apt-get update"));
    let uni = pkgs.iter().find(|p| p["name"] == "naïve-café").unwrap();
    assert_eq!(uni["supplier"], "Person: Jürgen Müller (jm@example.org)");
    let team = pkgs.iter().find(|p| p["name"] == "python3-pip").unwrap();
    assert!(team["supplier"]
        .as_str()
        .unwrap()
        .starts_with("Organization: Debian Python Team"));
    assert!(doc["comment"].as_str().unwrap().contains("INCOMPLETE"));
    assert_eq!(doc["annotations"].as_array().unwrap().len(), 1);
    let rels: Vec<(String, String, String)> = doc["relationships"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["spdxElementId"].as_str().unwrap().to_string(),
                r["relationshipType"].as_str().unwrap().to_string(),
                r["relatedSpdxElement"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let id_of = |n: &str| {
        pkgs.iter().find(|p| p["name"] == n).unwrap()["SPDXID"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(rels.contains(&(
        "SPDXRef-DOCUMENT".into(),
        "DESCRIBES".into(),
        "SPDXRef-Image".into()
    )));
    assert!(rels.contains(&(
        "SPDXRef-Layer-2".into(),
        "CONTAINS".into(),
        id_of("express")
    )));
    // ownership from the owned side: an OS package's CONTAINS makes Trivy file it as an OS
    // package
    assert!(rels.contains(&(id_of("pip"), "CONTAINED_BY".into(), id_of("python3-pip"))));
    assert!(!rels.contains(&(id_of("python3-pip"), "CONTAINS".into(), id_of("pip"))));
    assert!(rels.contains(&(id_of("perl-base"), "DEPENDS_ON".into(), id_of("libc6"))));
    assert!(rels.contains(&(
        "SPDXRef-OperatingSystem".into(),
        "CONTAINS".into(),
        id_of("libc6")
    )));
}

#[test]
fn cyclonedx_content_and_downgrade() {
    let inv = common::realistic();
    let opts = WriteOptions::fixed(0);
    let v6: Value = serde_json::from_slice(&write("cyclonedx-json", &inv, &opts)).unwrap();
    let v5: Value = serde_json::from_slice(&write("cyclonedx-json@1.5", &inv, &opts)).unwrap();
    assert_eq!(v6["specVersion"], "1.6");
    assert_eq!(v5["specVersion"], "1.5");
    let comps = v6["components"].as_array().unwrap();
    assert_eq!(comps[0]["type"], "operating-system");
    assert_eq!(comps[0]["name"], "debian");
    let zlib = comps.iter().find(|c| c["name"] == "zlib1g").unwrap();
    assert_eq!(zlib["licenses"][0]["license"]["id"], "Zlib");
    assert_eq!(
        zlib["licenses"][0]["license"]["acknowledgement"],
        "declared"
    );
    let express = comps.iter().find(|c| c["name"] == "express").unwrap();
    assert_eq!(express["licenses"][0]["expression"], "MIT OR Apache-2.0");
    let tz = comps.iter().find(|c| c["name"] == "tzdata").unwrap();
    assert_eq!(
        tz["licenses"][0]["license"]["name"],
        "LicenseRef-public-domain"
    );
    let curl = comps.iter().find(|c| c["name"] == "curl").unwrap();
    assert!(curl["properties"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == "sbom:package:removed_in" && p["value"] == "2"));
    assert!(!v5.to_string().contains("acknowledgement"));
    assert_eq!(v6["compositions"][0]["aggregate"], "incomplete");
}

#[test]
fn fixed_options_give_identical_bytes_and_unfixed_do_not() {
    let inv = common::realistic();
    for &format in FORMAT_NAMES {
        let a = write(format, &inv, &WriteOptions::fixed(1_700_000_000));
        let b = write(format, &inv, &WriteOptions::fixed(1_700_000_000));
        assert_eq!(a, b, "{format} is not deterministic");
        // a clone with its packages shuffled must give the same bytes after finalize
        let mut shuffled = inv.clone();
        shuffled.packages.reverse();
        shuffled.relationships.reverse();
        shuffled.finalize();
        assert_eq!(
            a,
            write(format, &shuffled, &WriteOptions::fixed(1_700_000_000)),
            "{format}"
        );
    }
    for format in [
        "spdx-json",
        "spdx-tag-value",
        "cyclonedx-json",
        "cyclonedx-json@1.5",
    ] {
        let mut o = WriteOptions::fixed(1_700_000_000);
        o.reproducible = false;
        assert_ne!(
            write(format, &inv, &o),
            write(format, &inv, &o),
            "{format} namespace/serial must be unique"
        );
    }
}

#[test]
fn tag_value_carries_the_json_content() {
    let inv = common::realistic();
    let opts = WriteOptions::fixed(0);
    let json: Value = serde_json::from_slice(&write("spdx-json", &inv, &opts)).unwrap();
    let tv = String::from_utf8(write("spdx-tag-value", &inv, &opts)).unwrap();
    let n = |tag: &str| tv.lines().filter(|l| l.starts_with(tag)).count();
    assert_eq!(
        n("PackageName: "),
        json["packages"].as_array().unwrap().len()
    );
    assert_eq!(
        n("Relationship: "),
        json["relationships"].as_array().unwrap().len()
    );
    assert_eq!(
        n("LicenseID: "),
        json["hasExtractedLicensingInfos"].as_array().unwrap().len()
    );
    assert!(tv.contains("PrimaryPackagePurpose: OPERATING-SYSTEM"));
    assert!(tv.contains("PackageName: naïve-café"));
    // multi-line text only inside <text>
    let mut in_text = false;
    for l in tv.lines() {
        if !in_text && !l.is_empty() && !l.starts_with('#') {
            assert!(l.contains(": "), "not a tag line: {l:?}");
        }
        let opens = l.matches("<text>").count();
        let closes = l.matches("</text>").count();
        if opens > closes {
            in_text = true;
        } else if closes > opens {
            in_text = false;
        }
    }
}

/// The table report is compared with `tests/golden/table.txt`. After an intended change, run
/// `UPDATE_GOLDEN=1 cargo test -p sbom-core --test writers` and review the diff of the file:
/// the diff is the review of the report's new look.
#[test]
fn table_matches_golden() {
    let inv = common::realistic();
    let mut out = Vec::new();
    Table::new()
        .width(72)
        .write(&inv, &WriteOptions::fixed(0), &mut out)
        .unwrap();
    let got = String::from_utf8(out).unwrap();
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/table.txt");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &got).unwrap();
    }
    let want = std::fs::read_to_string(&path).expect("golden file; run with UPDATE_GOLDEN=1");
    assert_eq!(
        got, want,
        "table report changed; see the comment on this test"
    );
    for l in got.lines() {
        // longer lines only where one word (a digest) cannot be broken
        let last = l.rsplit(' ').next().unwrap_or(l);
        assert!(
            l.chars().count() <= 72 || last.len() > 36,
            "too long: {l:?}"
        );
    }
}

#[test]
fn table_collapses_and_full_expands() {
    let inv = common::big(40);
    let opts = WriteOptions::fixed(0);
    let short = String::from_utf8(write("table", &inv, &opts)).unwrap();
    assert!(short.contains(" more"));
    let mut out = Vec::new();
    Table::new()
        .full(true)
        .write(&inv, &opts, &mut out)
        .unwrap();
    let long = String::from_utf8(out).unwrap();
    assert!(!long.contains(" more"));
    assert!(long.contains("INCOMPLETE"));
}

/// The registry's `table` is the table with its defaults: collapsed lists, 80 columns.
#[test]
fn registry_table_is_the_default_table() {
    let inv = common::big(40);
    let opts = WriteOptions::fixed(0);
    let from_registry = write("table", &inv, &opts);
    let mut default = Vec::new();
    Table::new().write(&inv, &opts, &mut default).unwrap();
    assert_eq!(from_registry, default);
    let text = String::from_utf8(default).unwrap();
    assert!(text.lines().any(|l| l.chars().count() > 72), "{text}");
    for l in text.lines() {
        // longer lines only where one word (a digest) cannot be broken
        let last = l.rsplit(' ').next().unwrap_or(l);
        assert!(
            l.chars().count() <= Table::DEFAULT_WIDTH || last.len() > 36,
            "too long: {l:?}"
        );
    }
    let mut narrow = Vec::new();
    Table::new()
        .width(40)
        .write(&inv, &opts, &mut narrow)
        .unwrap();
    assert_ne!(narrow, from_registry, "the width reaches the report");
}

/// Writes every format for the realistic inventory to `$SBOM_DUMP_DIR`, for the external
/// validators (`testdata/validate-external.sh`). Does nothing without the variable.
#[test]
fn dump_documents_for_external_validators() {
    let Some(dir) = std::env::var_os("SBOM_DUMP_DIR") else {
        return;
    };
    let dir = PathBuf::from(dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (name, inv) in [
        ("realistic", common::realistic()),
        ("big", common::big(1000)),
    ] {
        for (format, ext) in [
            ("spdx-json", "spdx.json"),
            ("spdx-tag-value", "spdx"),
            ("cyclonedx-json", "cdx16.json"),
            ("cyclonedx-json@1.5", "cdx15.json"),
            ("table", "txt"),
        ] {
            let bytes = write(format, &inv, &WriteOptions::fixed(1_714_557_600));
            std::fs::write(dir.join(format!("{name}.{ext}")), bytes).unwrap();
        }
    }
}

/// The image's supplier is the one the scan was told, else its own
/// `org.opencontainers.image.vendor` label, else its config author; without any it stays
/// unknown (NOASSERTION / no `supplier`). Layers, and packages whose database names nobody,
/// take the image's supplier: it is their actual distribution source.
#[test]
fn image_supplier_is_stated_declared_or_unknown() {
    let mut inv = common::realistic();
    inv.image.labels.remove("org.opencontainers.image.vendor");
    // one package whose database names no maintainer
    let orphan = inv
        .packages
        .iter_mut()
        .find(|p| p.supplier.is_some())
        .unwrap();
    orphan.supplier = None;
    let orphan = orphan.name.clone();
    let spdx_of = |inv: &sbom_core::Inventory| -> Value {
        serde_json::from_slice(&write("spdx-json", inv, &WriteOptions::fixed(0))).unwrap()
    };
    let cdx_of = |inv: &sbom_core::Inventory| -> Value {
        serde_json::from_slice(&write("cyclonedx-json", inv, &WriteOptions::fixed(0))).unwrap()
    };
    let supplier = |d: &Value, name: &str| {
        d["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name || p["SPDXID"] == name)
            .unwrap()["supplier"]
            .clone()
    };
    let layers = |d: &Value| {
        d["packages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["name"].as_str().unwrap().starts_with("layer-"))
            .map(|p| p["supplier"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };

    let spdx = spdx_of(&inv);
    assert_eq!(supplier(&spdx, "SPDXRef-Image"), "NOASSERTION");
    assert_eq!(supplier(&spdx, &orphan), "NOASSERTION");
    assert!(layers(&spdx).iter().all(|s| s == "NOASSERTION"));
    assert!(cdx_of(&inv)["metadata"]["component"]
        .get("supplier")
        .is_none());

    inv.image.author = Some("Jane Doe <jane@example.org>".into());
    let spdx = spdx_of(&inv);
    assert_eq!(
        supplier(&spdx, "SPDXRef-Image"),
        "Person: Jane Doe (jane@example.org)"
    );

    inv.image.labels.insert(
        "org.opencontainers.image.vendor".into(),
        "Example Org".into(),
    );
    let spdx = spdx_of(&inv);
    assert_eq!(
        supplier(&spdx, "SPDXRef-Image"),
        "Organization: Example Org"
    );
    assert!(layers(&spdx)
        .iter()
        .all(|s| s == "Organization: Example Org"));
    assert_eq!(supplier(&spdx, &orphan), "Organization: Example Org");
    let cdx = cdx_of(&inv);
    assert_eq!(
        cdx["metadata"]["component"]["supplier"]["name"],
        "Example Org"
    );

    inv.image.supplier = Some("Person: Builder Bot (bot@example.org)".into());
    let spdx = spdx_of(&inv);
    assert_eq!(
        supplier(&spdx, "SPDXRef-Image"),
        "Person: Builder Bot (bot@example.org)"
    );
    assert_eq!(
        supplier(&spdx, &orphan),
        "Person: Builder Bot (bot@example.org)"
    );
    // packages whose database names a maintainer keep it
    let named = inv.packages.iter().find(|p| p.supplier.is_some()).unwrap();
    assert_ne!(
        supplier(&spdx, &named.name),
        "Person: Builder Bot (bot@example.org)"
    );
    let cdx = cdx_of(&inv);
    let comp = cdx["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == orphan.as_str())
        .unwrap();
    assert_eq!(comp["supplier"]["name"], "Builder Bot");
    check_all_formats(&inv);
}

/// The distribution's own `CPE_NAME` reaches the OS package: os-release writes the CPE 2.2
/// URI form, which SPDX types `cpe22Type` (and CycloneDX's `cpe` accepts as it is).
#[test]
fn os_cpe_name_is_written_in_its_own_binding() {
    let mut inv = common::realistic();
    for (cpe, ty) in [
        ("cpe:/o:fedoraproject:fedora:40", "cpe22Type"),
        ("cpe:/o:redhat:enterprise_linux:9::baseos", "cpe22Type"),
        ("cpe:2.3:o:amazon:amazon_linux:2023", "cpe23Type"),
    ] {
        inv.distro.as_mut().unwrap().cpe_name = Some(cpe.into());
        let spdx: Value =
            serde_json::from_slice(&write("spdx-json", &inv, &WriteOptions::fixed(0))).unwrap();
        let os = spdx["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["primaryPackagePurpose"] == "OPERATING_SYSTEM")
            .unwrap();
        assert_eq!(os["externalRefs"][0]["referenceType"], ty, "{cpe}");
        assert_eq!(os["externalRefs"][0]["referenceLocator"], cpe);
        let cdx: Value =
            serde_json::from_slice(&write("cyclonedx-json", &inv, &WriteOptions::fixed(0)))
                .unwrap();
        let os = cdx["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["type"] == "operating-system")
            .unwrap();
        assert_eq!(os["cpe"], cpe);
        check_all_formats(&inv);
    }
}

/// SPDX 3 `originatedBy` (BSI TR-03183-2's component creator, with a mail or web contact):
/// the image's is who the image says made it (its `org.opencontainers.image.authors` label,
/// else config `author`), never the distributor the scan names; the OS's is its
/// distribution, reached at os-release's `HOME_URL`.
#[test]
fn spdx3_creators_of_the_image_and_the_os() {
    let mut inv = common::realistic();
    inv.image.supplier = Some("Organization: Mirror Inc (m@mirror.example)".into());
    inv.image.author = None;
    inv.image.labels.remove("org.opencontainers.image.authors");
    let d = inv.distro.as_mut().expect("realistic has a distro");
    d.name = Some("Debian GNU/Linux".into());
    d.home_url = Some("https://www.debian.org/".into());
    let doc = |inv: &sbom_core::Inventory| -> Value {
        serde_json::from_slice(&write("spdx3-json", inv, &WriteOptions::fixed(0))).unwrap()
    };
    // the agents an element was originated by, as (name, [identifier types and values])
    let creators = |d: &Value, purpose: &str| -> Vec<(String, Vec<(String, String)>)> {
        let graph = d["@graph"].as_array().unwrap();
        let node = graph
            .iter()
            .find(|n| n["type"] == "software_Package" && n["software_primaryPurpose"] == purpose)
            .unwrap();
        node.get("originatedBy")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|id| {
                let a = graph.iter().find(|n| n["spdxId"] == *id).unwrap();
                let ids = a["externalIdentifier"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|e| {
                        (
                            e["externalIdentifierType"].as_str().unwrap().to_string(),
                            e["identifier"].as_str().unwrap().to_string(),
                        )
                    })
                    .collect();
                (a["name"].as_str().unwrap().to_string(), ids)
            })
            .collect()
    };
    let d0 = doc(&inv);
    assert_eq!(creators(&d0, "container"), vec![]);
    assert_eq!(
        creators(&d0, "operatingSystem"),
        vec![(
            "Debian GNU/Linux".to_string(),
            vec![(
                "urlScheme".to_string(),
                "https://www.debian.org/".to_string()
            )]
        )]
    );
    inv.image.author = Some("Jane Doe <jane@example.org>".into());
    assert_eq!(
        creators(&doc(&inv), "container"),
        vec![(
            "Jane Doe".to_string(),
            vec![("email".to_string(), "jane@example.org".to_string())]
        )]
    );
    inv.image.labels.insert(
        "org.opencontainers.image.authors".into(),
        "Platform Team <platform@example.org>".into(),
    );
    assert_eq!(
        creators(&doc(&inv), "container")[0].0,
        "Platform Team".to_string()
    );
    check_all_formats(&inv);
}
