//! .NET: the `<app>.deps.json` the SDK writes beside every published application (and the
//! runtime beside its shared frameworks). Its `libraries` say what shipped: NuGet packages
//! (`type: package`) and runtime packs of self-contained apps (`runtimepack`, reported under
//! the NuGet id of the pack) are reported; the application itself (`project`) and framework
//! reference assemblies (`reference`, `referenceassembly`) are not packages. A package the
//! runtime target lists with no runtime, native or resource asset (a reference-only or
//! meta-package such as `NETStandard.Library`) left nothing in the image and is not reported
//! either: it would only draw false vulnerability matches. Trivy's .NET parser filters the
//! same way.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use sbom_core::{Checksum, Ecosystem, Package};
use serde::de::IgnoredAny;
use serde::Deserialize;

use super::common::encoding::{base64_decode, lower_hex};
use super::{Claim, CollectContext, Detector, EntryMeta, Findings, FsView, ParseError, Parsed};

#[cfg(test)]
mod tests;

const NAME: &str = "dotnet";
const MAX_DEPS_JSON: u64 = 16 << 20;
const SHIPPED: [&str; 2] = ["package", "runtimepack"];
const RUNTIME_PACK_PREFIX: &str = "runtimepack.";

/// The .NET `deps.json` detector.
#[derive(Debug, Default)]
pub struct DotnetDetector;

/// One shipped library of a `deps.json`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DotnetLibrary {
    /// NuGet package id: the part of the `libraries` key before the `/`, without the SDK's
    /// `runtimepack.` prefix.
    pub name: String,
    /// Version, the part of the key after the `/`.
    pub version: String,
    /// `package` or `runtimepack`.
    pub kind: String,
    /// Hex SHA-512 of the `.nupkg`, when recorded.
    pub sha512: Option<String>,
    /// NuGet ids of the libraries it depends on in the runtime target, reference-only ones
    /// replaced by their own dependencies.
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
    #[serde(default)]
    runtime: BTreeMap<String, IgnoredAny>,
    #[serde(default, rename = "runtimeTargets")]
    runtime_targets: BTreeMap<String, IgnoredAny>,
    #[serde(default)]
    native: BTreeMap<String, IgnoredAny>,
    #[serde(default)]
    resources: BTreeMap<String, IgnoredAny>,
}

impl TargetEntry {
    /// Whether anything of the library is deployed with the app: managed assemblies
    /// (`runtime`), RID-specific or native files, or satellite resource assemblies. A library
    /// with none of them (`NETStandard.Library`, `Microsoft.NETCore.Platforms`, meta-packages)
    /// was only referenced at build time.
    fn ships_assets(&self) -> bool {
        !(self.runtime.is_empty()
            && self.runtime_targets.is_empty()
            && self.native.is_empty()
            && self.resources.is_empty())
    }
}

#[derive(Deserialize)]
struct Library {
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    sha512: String,
}

/// The NuGet id of a `deps.json` library name: self-contained apps list their bundled runtime
/// as `runtimepack.Microsoft.NETCore.App.Runtime.linux-x64`, a name the SDK makes up for the
/// NuGet package `Microsoft.NETCore.App.Runtime.linux-x64` it copied the runtime from.
fn nuget_id(name: &str) -> &str {
    name.strip_prefix(RUNTIME_PACK_PREFIX)
        .filter(|n| !n.is_empty())
        .unwrap_or(name)
}

/// The libraries of one `deps.json` and the target the app runs with.
struct Deps<'a> {
    libraries: &'a BTreeMap<String, Library>,
    target: Option<&'a BTreeMap<String, TargetEntry>>,
}

impl Deps<'_> {
    /// A shipped-type library the runtime target lists without any deployed asset. A library
    /// the target does not list is kept: nothing says it is not deployed.
    fn reference_only(&self, key: &str) -> bool {
        self.libraries
            .get(key)
            .is_some_and(|l| SHIPPED.contains(&l.kind.as_str()))
            && self
                .target
                .and_then(|t| t.get(key))
                .is_some_and(|e| !e.ships_assets())
    }

    /// The NuGet ids `key` depends on at run time. A reference-only dependency is replaced by
    /// what it depends on in turn, so a meta-package's deployed children stay reachable.
    fn depends(&self, key: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut seen = BTreeSet::from([key.to_string()]);
        let mut todo = vec![key.to_string()];
        while let Some(k) = todo.pop() {
            let Some(entry) = self.target.and_then(|t| t.get(&k)) else {
                continue;
            };
            for (name, version) in &entry.dependencies {
                let dep = format!("{name}/{version}");
                if !seen.insert(dep.clone()) {
                    continue;
                }
                if self.reference_only(&dep) {
                    todo.push(dep);
                } else {
                    out.push(nuget_id(name).to_string());
                }
            }
        }
        out.sort();
        out.dedup();
        out
    }
}

/// Reads a `deps.json`: the shipped libraries, in key order.
pub fn parse_deps_json(body: &[u8]) -> Result<Vec<DotnetLibrary>, ParseError> {
    let file: DepsFile = serde_json::from_slice(body)
        .map_err(|e| ParseError(format!("not a .NET deps.json: {e}")))?;
    let target = file
        .runtime_target
        .as_ref()
        .and_then(|t| file.targets.get(&t.name))
        .or_else(|| file.targets.values().next());
    let deps = Deps {
        libraries: &file.libraries,
        target,
    };
    let mut out = Vec::new();
    for (key, lib) in &file.libraries {
        if !SHIPPED.contains(&lib.kind.as_str()) || deps.reference_only(key) {
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
        out.push(DotnetLibrary {
            name: nuget_id(name).to_string(),
            version: version.to_string(),
            kind: lib.kind.clone(),
            sha512,
            depends: deps.depends(key),
        });
    }
    Ok(out)
}

impl Detector for DotnetDetector {
    super::common::codec::cache_codec!(0 => Vec<DotnetLibrary>);

    fn name(&self) -> &'static str {
        NAME
    }

    fn claim_patterns(&self) -> Option<&'static [super::ClaimPattern]> {
        Some(&[super::ClaimPattern::Suffix(".deps.json")])
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
