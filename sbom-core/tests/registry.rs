//! The format registry is the one source of format names: every name in it selects its
//! format, the writer built from an entry declares that same entry, and what an entry says
//! about its document (spec version, media type) is what the document says.

mod common;

use std::collections::BTreeSet;

use sbom_core::format::{
    find, writer_for, CycloneDx, Format, FormatError, SpecVersion, Table, WriteOptions, Writer,
    FORMATS, FORMAT_NAMES,
};
use serde_json::Value;

fn write(w: &dyn Writer) -> Vec<u8> {
    let mut out = Vec::new();
    w.write(
        &common::realistic(),
        &WriteOptions::fixed(1_700_000_000),
        &mut out,
    )
    .unwrap();
    out
}

#[test]
fn every_name_selects_its_format_and_the_writer_declares_it() {
    let mut checked = 0;
    for f in FORMATS {
        for name in f.names() {
            assert_eq!(find(name).unwrap(), f, "{name}");
            let w = writer_for(name).unwrap();
            assert_eq!(w.name(), f.id, "{name}");
            assert_eq!(w.format(), f, "{name}");
            // the writer's own descriptor is the registry's, field for field
            let d = w.format();
            assert_eq!(
                (d.aliases, d.spec, d.spec_version, d.media_type),
                (f.aliases, f.spec, f.spec_version, f.media_type),
                "{name}"
            );
            checked += 1;
        }
        assert_eq!(f.writer().format(), f);
    }
    // eleven formats, plus `cyclonedx-json@1.6`, `cyclonedx-xml@1.6`, `spdx3-json@3.0.1`
    // and `text`
    assert_eq!(checked, 15);
}

#[test]
fn format_names_are_the_registry_ids_in_order() {
    let ids: Vec<&str> = FORMATS.iter().map(|f| f.id).collect();
    assert_eq!(FORMAT_NAMES, ids.as_slice());
    assert_eq!(
        FORMAT_NAMES,
        [
            "json",
            "spdx-json",
            "spdx-tag-value",
            "spdx3-json",
            "cyclonedx-json",
            "cyclonedx-json@1.5",
            "cyclonedx-xml",
            "cyclonedx-xml@1.5",
            "table",
            "in-toto-spdx-json",
            "in-toto-cyclonedx-json"
        ]
    );
}

#[test]
fn names_are_unique_and_usable_on_the_command_line() {
    let mut seen = BTreeSet::new();
    for name in FORMATS.iter().flat_map(Format::names) {
        assert!(seen.insert(name), "{name} names two formats");
        // `-o FORMAT=FILE` splits at the first '='; the shell splits at spaces
        assert!(
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-@.".contains(c)),
            "{name:?} cannot be typed after -o"
        );
    }
}

#[test]
fn aliases_select_the_same_writer() {
    let inv_bytes = |name: &str| write(writer_for(name).unwrap().as_ref());
    assert_eq!(inv_bytes("text"), inv_bytes("table"));
    assert_eq!(inv_bytes("cyclonedx-json@1.6"), inv_bytes("cyclonedx-json"));
    assert_ne!(inv_bytes("cyclonedx-json@1.5"), inv_bytes("cyclonedx-json"));
    assert_eq!(find("text").unwrap(), &Table::FORMAT);
    assert_eq!(
        find("cyclonedx-json@1.6").unwrap(),
        SpecVersion::V1_6.format()
    );
    assert_eq!(CycloneDx(SpecVersion::V1_5).name(), "cyclonedx-json@1.5");
}

#[test]
fn an_unknown_name_is_an_error_listing_every_format() {
    for bad in ["spdx-yaml", "", "TABLE", "cyclonedx-json@1.4", "table=x"] {
        let err = writer_for(bad).err().unwrap_or_else(|| panic!("{bad:?}"));
        assert!(matches!(&err, FormatError::UnknownFormat(n) if n == bad));
        let msg = err.to_string();
        assert!(msg.contains(&format!("{bad:?}")), "{msg}");
        let known = msg
            .split_once("(known: ")
            .and_then(|(_, k)| k.strip_suffix(')'))
            .unwrap_or_else(|| panic!("{msg}"));
        assert_eq!(known.split(", ").collect::<Vec<_>>(), FORMAT_NAMES, "{msg}");
    }
}

/// What each entry declares about its document is checked against the document itself; a
/// new spec needs a check here, or this fails.
#[test]
fn declared_version_and_media_type_match_the_document() {
    for f in FORMATS {
        let out = write(f.writer().as_ref());
        let json = serde_json::from_slice::<Value>(&out).ok();
        assert_eq!(
            json.is_some(),
            f.media_type.split(';').next().unwrap().ends_with("json"),
            "{}: {} but the output {} JSON",
            f.id,
            f.media_type,
            if json.is_some() { "is" } else { "is not" }
        );
        let v = f.spec_version;
        match (f.spec, &json) {
            // SPDX 3 is JSON-LD: the version is the creation info's
            ("SPDX", Some(doc)) if doc.get("@graph").is_some() => {
                assert_eq!(doc["@graph"][0]["type"], "CreationInfo", "{}", f.id);
                assert_eq!(doc["@graph"][0]["specVersion"], v.unwrap(), "{}", f.id);
                assert!(
                    f.media_type
                        .starts_with(&format!("application/spdx3+json; version={}", v.unwrap())),
                    "{}",
                    f.media_type
                );
            }
            ("SPDX", Some(doc)) => {
                assert_eq!(
                    doc["spdxVersion"],
                    format!("SPDX-{}", v.unwrap()),
                    "{}",
                    f.id
                )
            }
            ("SPDX", None) => {
                let first = String::from_utf8(
                    out[..out.iter().position(|&b| b == b'\n').unwrap()].to_vec(),
                )
                .unwrap();
                assert_eq!(
                    first,
                    format!("SPDXVersion: SPDX-{}", v.unwrap()),
                    "{}",
                    f.id
                );
            }
            ("CycloneDX", Some(doc)) => {
                assert_eq!(doc["specVersion"], v.unwrap(), "{}", f.id);
                assert_eq!(doc["bomFormat"], "CycloneDX");
                // the media type's `version` parameter is the spec version
                assert!(
                    f.media_type.ends_with(&format!("; version={}", v.unwrap())),
                    "{}",
                    f.media_type
                );
            }
            ("CycloneDX", None) => {
                let xml = String::from_utf8(out).unwrap();
                assert!(
                    xml.contains(&format!(
                        "<bom xmlns=\"http://cyclonedx.org/schema/bom/{}\"",
                        v.unwrap()
                    )),
                    "{}",
                    f.id
                );
                assert_eq!(
                    f.media_type,
                    format!("application/vnd.cyclonedx+xml; version={}", v.unwrap())
                );
            }
            ("in-toto Statement", Some(st)) => {
                assert_eq!(
                    st["_type"],
                    format!("https://in-toto.io/Statement/v{}", v.unwrap()),
                    "{}",
                    f.id
                );
                assert_eq!(f.media_type, "application/vnd.in-toto+json");
                // the predicate is the document its type names
                match st["predicateType"].as_str().unwrap() {
                    "https://spdx.dev/Document" => {
                        assert_eq!(st["predicate"]["spdxVersion"], "SPDX-2.3")
                    }
                    "https://cyclonedx.org/bom" => {
                        assert_eq!(st["predicate"]["bomFormat"], "CycloneDX")
                    }
                    other => panic!("{}: predicate type {other}", f.id),
                }
            }
            ("sbom native JSON", Some(doc)) => {
                assert_eq!(doc["schema_version"], v.unwrap(), "{}", f.id)
            }
            ("text report", None) => {
                assert_eq!(v, None, "{}", f.id);
                assert!(String::from_utf8(out).unwrap().contains("\nSummary\n"));
            }
            (spec, _) => panic!("{}: no check for spec {spec:?}", f.id),
        }
        assert!(!f.description.is_empty() && !f.description.contains('\n'));
        assert!(!f.file_extension.starts_with('.') && !f.file_extension.is_empty());
    }
}
