//! .NET: the `<app>.deps.json` the SDK writes beside every published application (and the
//! runtime beside its shared frameworks). Its `libraries` say what shipped: NuGet packages
//! (`type: package`) and runtime packs of self-contained apps (`runtimepack`) are reported;
//! the application itself (`project`) and framework reference assemblies are not packages.

use std::collections::BTreeMap;
use std::sync::Arc;

use sbom_core::{Checksum, Ecosystem, Package};
use serde::Deserialize;

use super::common::encoding::{base64_decode, lower_hex};
use super::{Claim, CollectContext, Detector, EntryMeta, Findings, FsView, ParseError, Parsed};

#[cfg(test)]
mod tests;

const NAME: &str = "dotnet";
const MAX_DEPS_JSON: u64 = 16 << 20;
const SHIPPED: [&str; 2] = ["package", "runtimepack"];

/// The .NET `deps.json` detector.
#[derive(Debug, Default)]
pub struct DotnetDetector;

/// One shipped library of a `deps.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DotnetLibrary {
    /// Package id, the part of the `libraries` key before the `/`.
    pub name: String,
    /// Version, the part of the key after the `/`.
    pub version: String,
    /// `package` or `runtimepack`.
    pub kind: String,
    /// Hex SHA-512 of the `.nupkg`, when recorded.
    pub sha512: Option<String>,
    /// Names of the libraries it depends on, for the runtime target.
    pub depends: Vec<String>,
}

#[derive(Deserialize)]
struct DepsFile {
    #[serde(default, rename = "runtimeTarget")]
    runtime_target: Option<RuntimeTarget>,
    #[serde(default)]
    targets: BTreeMap<String, BTreeMap<String, TargetEntry>>,
    #[serde(default)]
    libraries: BTreeMap<String, Library>,
}

#[derive(Deserialize)]
struct RuntimeTarget {
    #[serde(default)]
    name: String,
}

#[derive(Deserialize, Default)]
struct TargetEntry {
    #[serde(default)]
    dependencies: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct Library {
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    sha512: String,
}

/// Reads a `deps.json`: the shipped libraries, in name order.
pub fn parse_deps_json(body: &[u8]) -> Result<Vec<DotnetLibrary>, ParseError> {
    let file: DepsFile = serde_json::from_slice(body)
        .map_err(|e| ParseError(format!("not a .NET deps.json: {e}")))?;
    let target = file
        .runtime_target
        .as_ref()
        .and_then(|t| file.targets.get(&t.name))
        .or_else(|| file.targets.values().next());
    let mut out = Vec::new();
    for (key, lib) in &file.libraries {
        if !SHIPPED.contains(&lib.kind.as_str()) {
            continue;
        }
        let Some((name, version)) = key.rsplit_once('/') else {
            continue;
        };
        if name.is_empty() || version.is_empty() {
            continue;
        }
        let sha512 = lib
            .sha512
            .strip_prefix("sha512-")
            .and_then(base64_decode)
            .filter(|d| d.len() == 64)
            .map(|d| lower_hex(&d));
        let depends = target
            .and_then(|t| t.get(key))
            .map(|e| e.dependencies.keys().cloned().collect())
            .unwrap_or_default();
        out.push(DotnetLibrary {
            name: name.to_string(),
            version: version.to_string(),
            kind: lib.kind.clone(),
            sha512,
            depends,
        });
    }
    Ok(out)
}

impl Detector for DotnetDetector {
    fn name(&self) -> &'static str {
        NAME
    }

    fn claim(&self, path: &str, _meta: &EntryMeta) -> Option<Claim> {
        let file = path.rsplit('/').next()?;
        (file.len() > ".deps.json".len() && file.ends_with(".deps.json"))
            .then_some(Claim::up_to(MAX_DEPS_JSON))
    }

    fn parse(&self, _path: &str, body: &[u8]) -> Result<Parsed, ParseError> {
        Ok(Arc::new(parse_deps_json(body)?))
    }

    fn collect(&self, view: &FsView, ctx: CollectContext, out: &mut Findings) {
        for f in view.parsed(NAME) {
            let Some(libs) = f.get::<Vec<DotnetLibrary>>() else {
                continue;
            };
            for l in libs {
                let mut pkg = Package::new(Ecosystem::Nuget, &l.name, &l.version);
                pkg.database_path = f.path.to_string();
                pkg.layer = Some(f.layer);
                pkg.depends = l.depends.clone();
                if l.kind != "package" {
                    pkg.properties.insert("dotnet:type".into(), l.kind.clone());
                }
                if ctx.full_detail {
                    if let Some(h) = &l.sha512 {
                        pkg.checksums.push(Checksum {
                            algorithm: "SHA512".into(),
                            value: h.clone(),
                        });
                    }
                }
                out.packages.push(pkg);
            }
        }
    }
}
