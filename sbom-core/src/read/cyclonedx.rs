//! CycloneDX 1.4 to 1.6 JSON: `components`, nested ones included, each with `name`,
//! `version`, `purl`, `licenses` (ids, names and expressions) and `supplier` (else
//! `manufacturer` or `publisher`, where producers such as Syft put the maintainer). Only
//! those fields are deserialised. The layer a component came from is read from the
//! `sbom:layer:*` properties our writer records.

use serde::Deserialize;

use super::{
    complete_from_purl, is_image_purl, license_of, supplier_of, Component, Document, Origin,
};

/// Nesting deeper than this is refused: real BOMs nest a few levels (a jar in a jar).
const MAX_DEPTH: usize = 64;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Bom {
    bom_format: String,
    spec_version: Option<String>,
    #[serde(default)]
    metadata: Option<Metadata>,
    #[serde(default)]
    components: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct Metadata {
    #[serde(default)]
    tools: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct Cdx {
    #[serde(rename = "type", default)]
    ty: String,
    name: String,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    purl: Option<String>,
    #[serde(default)]
    licenses: Vec<LicenseChoice>,
    #[serde(default)]
    supplier: Option<Entity>,
    #[serde(default)]
    manufacturer: Option<Entity>,
    #[serde(default)]
    publisher: Option<String>,
    #[serde(default)]
    properties: Vec<Property>,
    #[serde(default)]
    components: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct LicenseChoice {
    license: Option<License>,
    expression: Option<String>,
}

#[derive(Deserialize)]
struct License {
    id: Option<String>,
    name: Option<String>,
}

#[derive(Deserialize)]
struct Entity {
    name: Option<String>,
}

#[derive(Deserialize)]
struct Property {
    name: String,
    #[serde(default)]
    value: Option<String>,
}

/// Reads a CycloneDX JSON BOM; the error says what is wrong, without the file name.
pub(super) fn read(bytes: &[u8]) -> Result<Document, String> {
    let bom: Bom = serde_json::from_slice(bytes)
        .map_err(|e| format!("not a valid CycloneDX JSON document: {e}"))?;
    if bom.bom_format != "CycloneDX" {
        return Err(format!(
            "bomFormat is {:?}, not \"CycloneDX\"",
            bom.bom_format
        ));
    }
    let version = bom.spec_version.unwrap_or_default();
    if !matches!(version.as_str(), "1.4" | "1.5" | "1.6") {
        return Err(format!(
            "CycloneDX {version:?} documents are not read (1.4, 1.5 and 1.6 are)"
        ));
    }
    let mut components = Vec::new();
    walk(bom.components, 0, &mut components)?;
    Ok(Document {
        source: String::new(),
        format: format!("CycloneDX {version}"),
        tools: bom
            .metadata
            .and_then(|m| m.tools)
            .map(tool_names)
            .unwrap_or_default(),
        components,
    })
}

fn walk(
    values: Vec<serde_json::Value>,
    depth: usize,
    out: &mut Vec<Component>,
) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err(format!("components nest deeper than {MAX_DEPTH} levels"));
    }
    for (i, v) in values.into_iter().enumerate() {
        let c: Cdx = serde_json::from_value(v).map_err(|e| {
            format!("not a valid CycloneDX JSON document: component {i} at depth {depth}: {e}")
        })?;
        let nested = c.components;
        let is_package = !matches!(c.ty.as_str(), "container" | "operating-system")
            && !c.purl.as_deref().is_some_and(is_image_purl);
        if is_package {
            let licenses = c.licenses.iter().filter_map(|l| {
                l.expression.clone().or_else(|| {
                    l.license
                        .as_ref()
                        .and_then(|l| l.id.clone().or_else(|| l.name.clone()))
                })
            });
            let prop = |n: &str| {
                c.properties
                    .iter()
                    .find(|p| p.name == n)
                    .and_then(|p| p.value.clone())
            };
            let origin = prop("sbom:layer:index")
                .and_then(|i| i.parse().ok())
                .map(|layer| Origin {
                    layer,
                    diff_id: prop("sbom:layer:diff_id"),
                    instruction: prop("sbom:layer:instruction"),
                });
            let mut comp = Component {
                name: c.name,
                version: c.version.filter(|v| !v.is_empty()),
                purl: c.purl.filter(|p| !p.is_empty()),
                license: license_of(licenses),
                supplier: supplier_of(
                    c.supplier
                        .and_then(|s| s.name)
                        .or_else(|| c.manufacturer.and_then(|m| m.name))
                        .or(c.publisher),
                ),
                origin,
                ..Component::default()
            };
            complete_from_purl(&mut comp);
            out.push(comp);
        }
        walk(nested, depth + 1, out)?;
    }
    Ok(())
}

/// Tool names from `metadata.tools`: the 1.4 array of tools or the 1.5+ object with
/// `components`.
fn tool_names(tools: serde_json::Value) -> Vec<String> {
    let list = match tools {
        serde_json::Value::Array(a) => a,
        serde_json::Value::Object(mut o) => match o.remove("components") {
            Some(serde_json::Value::Array(a)) => a,
            _ => Vec::new(),
        },
        _ => Vec::new(),
    };
    list.iter()
        .filter_map(|t| {
            let name = t.get("name")?.as_str()?;
            Some(match t.get("version").and_then(|v| v.as_str()) {
                Some(v) => format!("{name} {v}"),
                None => name.to_string(),
            })
        })
        .collect()
}
