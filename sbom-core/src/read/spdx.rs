//! SPDX 2.2 and 2.3 JSON: `packages`, each with `name`, `versionInfo`, a `purl` external
//! reference, `licenseConcluded` (else `licenseDeclared`) and `supplier`. Only those fields
//! are deserialised; the rest of the document (files, relationships) is skipped unread.

use serde::Deserialize;

use super::{complete_from_purl, is_image_purl, license_of, supplier_of, Component, Document};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Spdx {
    spdx_version: String,
    #[serde(default)]
    creation_info: Option<CreationInfo>,
    #[serde(default)]
    packages: Vec<Package>,
}

#[derive(Deserialize)]
struct CreationInfo {
    #[serde(default)]
    creators: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Package {
    name: String,
    #[serde(default)]
    version_info: Option<String>,
    #[serde(default)]
    license_concluded: Option<String>,
    #[serde(default)]
    license_declared: Option<String>,
    #[serde(default)]
    supplier: Option<String>,
    #[serde(default)]
    primary_package_purpose: Option<String>,
    #[serde(default)]
    external_refs: Vec<ExternalRef>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExternalRef {
    reference_type: String,
    reference_locator: String,
}

/// Reads an SPDX 2.x JSON document; the error says what is wrong, without the file name.
pub(super) fn read(bytes: &[u8]) -> Result<Document, String> {
    let doc: Spdx = serde_json::from_slice(bytes)
        .map_err(|e| format!("not a valid SPDX JSON document: {e}"))?;
    if !matches!(doc.spdx_version.as_str(), "SPDX-2.2" | "SPDX-2.3") {
        return Err(format!(
            "{} documents are not read (SPDX-2.2 and SPDX-2.3 JSON are)",
            doc.spdx_version
        ));
    }
    let mut components = Vec::new();
    for p in doc.packages {
        if matches!(
            p.primary_package_purpose.as_deref(),
            Some("CONTAINER" | "OPERATING_SYSTEM")
        ) {
            continue;
        }
        let purl = p
            .external_refs
            .iter()
            .find(|r| r.reference_type == "purl")
            .map(|r| r.reference_locator.clone());
        if purl.as_deref().is_some_and(is_image_purl) {
            continue;
        }
        // an image layer (ours: purpose ARCHIVE, no purl) is not a package
        if purl.is_none() && p.primary_package_purpose.as_deref() == Some("ARCHIVE") {
            continue;
        }
        let concluded = p.license_concluded.as_deref().and_then(|l| license_of([l]));
        let mut c = Component {
            name: p.name,
            version: p
                .version_info
                .filter(|v| !v.is_empty() && v != "NOASSERTION"),
            purl,
            license: concluded
                .or_else(|| p.license_declared.as_deref().and_then(|l| license_of([l]))),
            supplier: supplier_of(p.supplier),
            ..Component::default()
        };
        complete_from_purl(&mut c);
        components.push(c);
    }
    Ok(Document {
        source: String::new(),
        format: doc.spdx_version,
        tools: doc
            .creation_info
            .map(|c| {
                c.creators
                    .into_iter()
                    .filter_map(|c| c.strip_prefix("Tool:").map(|t| t.trim().to_string()))
                    .collect()
            })
            .unwrap_or_default(),
        components,
    })
}
