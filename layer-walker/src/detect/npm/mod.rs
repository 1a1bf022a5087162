//! npm packages: the `package.json` of every package installed under a `node_modules`
//! directory. A project's `package-lock.json` adds what the manifests lack: the integrity
//! hash (as a checksum) and the URL each installed package was resolved from.
//!
//! Why lockfiles alone never make packages: a lockfile lists what *would* be installed (dev
//! dependencies, optional platform packages, packages pruned later). Images carry many
//! lockfiles that were never installed at all: sources vendored by other software (Go's
//! pprof viewer, an editor extension inside a Ruby gem). Reporting those as installed
//! would list hundreds of packages the image does not contain; Syft and Trivy likewise
//! catalogue only installed packages in image scans.

use std::collections::HashMap;
use std::sync::Arc;

use sbom_core::{license, Checksum, Ecosystem, Package};
use serde_json::Value;

use super::common::encoding::{base64_decode, lower_hex};
use super::{Claim, CollectContext, Detector, EntryMeta, Findings, FsView, ParseError, Parsed};

#[cfg(test)]
mod tests;

const NAME: &str = "npm";
const MAX_MANIFEST: u64 = 4 << 20;
const MAX_LOCKFILE: u64 = 128 << 20;

/// The npm detector.
#[derive(Debug, Default)]
pub struct NpmDetector;

/// The facts kept from one package manifest or lockfile entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NpmPackage {
    /// Full name, `@scope/name` for scoped packages.
    pub name: String,
    /// Version as the metadata writes it.
    pub version: String,
    /// Declared licenses, as written.
    pub licenses: Vec<String>,
    /// `author`, as `Name <email>` when an object.
    pub author: Option<String>,
    /// Project home page.
    pub homepage: Option<String>,
    /// One-line description.
    pub description: Option<String>,
    /// Names of the runtime dependencies.
    pub depends: Vec<String>,
    /// Lockfile only: a development dependency.
    pub dev: bool,
    /// Lockfile only: where npm would install it (`node_modules/a/node_modules/b`).
    pub location: Option<String>,
    /// Lockfile only: Subresource Integrity string (`sha512-<base64>`).
    pub integrity: Option<String>,
    /// Lockfile only: the URL the package was resolved from.
    pub resolved: Option<String>,
}

/// What the detector keeps from a claimed file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum NpmFile {
    /// An installed manifest; `None` when it lacks a name or version (not a package).
    Manifest(Option<Box<NpmPackage>>),
    /// The packages a project lockfile lists.
    Lockfile(Vec<NpmPackage>),
}

/// True for `…/node_modules/<name>/package.json` and `…/node_modules/@scope/<name>/package.json`:
/// the manifest of an installed package, not a file in a package's own subfolders.
fn is_installed_manifest(path: &str) -> bool {
    let Some(dir) = path.strip_suffix("/package.json") else {
        return false;
    };
    let Some(idx) = dir.rfind("/node_modules/") else {
        return false;
    };
    let rest = &dir[idx + "/node_modules/".len()..];
    match rest.split_once('/') {
        None => !rest.is_empty() && !rest.starts_with('.') && !rest.starts_with('@'),
        Some((scope, name)) => {
            scope.starts_with('@') && scope.len() > 1 && !name.is_empty() && !name.contains('/')
        }
    }
}

/// A project lockfile: `package-lock.json` not inside `node_modules` (npm's hidden
/// `node_modules/.package-lock.json` and lockfiles shipped inside packages are not projects).
fn is_project_lockfile(path: &str) -> bool {
    path.ends_with("/package-lock.json") && !path.contains("/node_modules/")
}

impl Detector for NpmDetector {
    super::common::codec::cache_codec!(0 => NpmFile);

    fn name(&self) -> &'static str {
        NAME
    }

    fn claim_patterns(&self) -> Option<&'static [super::ClaimPattern]> {
        use super::ClaimPattern::Name;
        Some(&[Name("package.json"), Name("package-lock.json")])
    }

    fn claim(&self, path: &str, _meta: &EntryMeta) -> Option<Claim> {
        if is_installed_manifest(path) {
            Some(Claim::up_to(MAX_MANIFEST))
        } else if is_project_lockfile(path) {
            Some(Claim::up_to(MAX_LOCKFILE))
        } else {
            None
        }
    }

    fn parse(&self, path: &str, body: &[u8]) -> Result<Parsed, ParseError> {
        let v: Value =
            serde_json::from_slice(body).map_err(|e| ParseError(format!("invalid JSON: {e}")))?;
        if is_project_lockfile(path) {
            Ok(Arc::new(NpmFile::Lockfile(parse_lockfile(&v)?)))
        } else {
            Ok(Arc::new(NpmFile::Manifest(
                parse_manifest(&v).map(Box::new),
            )))
        }
    }

    fn collect(&self, view: &FsView, ctx: CollectContext, out: &mut Findings) {
        // install path of a lockfile entry -> the entry, for every project lockfile
        let mut locked: HashMap<String, &NpmPackage> = HashMap::new();
        if ctx.full_detail {
            for f in view.parsed(NAME) {
                if let Some(NpmFile::Lockfile(entries)) = f.get::<NpmFile>() {
                    let project = f.path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
                    for e in entries {
                        if let Some(loc) = &e.location {
                            locked.insert(format!("{project}/{loc}/package.json"), e);
                        }
                    }
                }
            }
        }
        for f in view.parsed(NAME) {
            if let Some(NpmFile::Manifest(Some(m))) = f.get::<NpmFile>() {
                let mut pkg = to_package(m, ctx);
                pkg.database_path = f.path.to_string();
                if let Some(e) = locked
                    .get(f.path)
                    .filter(|e| e.name == m.name && e.version == m.version)
                {
                    if let Some(c) = e.integrity.as_deref().and_then(integrity_checksum) {
                        pkg.checksums.push(c);
                    }
                    if let Some(r) = &e.resolved {
                        pkg.properties.insert("npm:resolved".into(), r.clone());
                    }
                }
                out.packages.push(pkg);
            }
        }
    }
}

/// `sha512-<base64>` (Subresource Integrity) to a checksum in hex; the strongest hash when
/// several are listed.
fn integrity_checksum(sri: &str) -> Option<Checksum> {
    let mut best: Option<Checksum> = None;
    for part in sri.split_whitespace() {
        let (alg, b64) = part.split_once('-')?;
        let algorithm = match alg {
            "sha512" => "SHA512",
            "sha384" => "SHA384",
            "sha256" => "SHA256",
            "sha1" => "SHA1",
            _ => continue,
        };
        let value = lower_hex(&base64_decode(b64)?);
        let rank = |a: &str| {
            ["SHA1", "SHA256", "SHA384", "SHA512"]
                .iter()
                .position(|x| *x == a)
        };
        if best
            .as_ref()
            .map(|b| rank(algorithm) > rank(&b.algorithm))
            .unwrap_or(true)
        {
            best = Some(Checksum {
                algorithm: algorithm.into(),
                value,
            });
        }
    }
    best
}

fn to_package(m: &NpmPackage, ctx: CollectContext) -> Package {
    let mut pkg = Package::new(Ecosystem::Npm, &m.name, &m.version);
    if ctx.full_detail {
        pkg.licenses_declared = m.licenses.clone();
        pkg.license = license::combine(&m.licenses);
        pkg.supplier = m.author.clone();
        pkg.homepage = m.homepage.clone();
        pkg.description = m.description.clone();
        pkg.depends = m.depends.clone();
    }
    pkg
}

fn str_of(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// `license` (a string, or the legacy `{type, url}` object) and legacy `licenses` (an array
/// of either).
fn licenses_of(v: &Value) -> Vec<String> {
    let one = |l: &Value| match l {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Object(_) => str_of(l, "type"),
        _ => None,
    };
    let mut out: Vec<String> = Vec::new();
    if let Some(l) = v.get("license").and_then(one) {
        out.push(l);
    }
    if let Some(Value::Array(a)) = v.get("licenses") {
        out.extend(a.iter().filter_map(one));
    }
    out.retain(|l| !l.is_empty());
    out.dedup();
    out
}

/// `author` as a string (`Name <mail> (url)`) or an object `{name, email}`.
fn author_of(v: &Value) -> Option<String> {
    match v.get("author")? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        a @ Value::Object(_) => match (str_of(a, "name"), str_of(a, "email")) {
            (Some(n), Some(e)) => Some(format!("{n} <{e}>")),
            (n, e) => n.or(e),
        },
        _ => None,
    }
}

fn dep_names(v: &Value) -> Vec<String> {
    match v.get("dependencies") {
        Some(Value::Object(m)) => m.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

/// The facts of an installed `package.json`; `None` when it has no name or version.
pub fn parse_manifest(v: &Value) -> Option<NpmPackage> {
    Some(NpmPackage {
        name: str_of(v, "name")?,
        version: str_of(v, "version")?,
        licenses: licenses_of(v),
        author: author_of(v),
        homepage: str_of(v, "homepage"),
        description: str_of(v, "description"),
        depends: dep_names(v),
        ..Default::default()
    })
}

/// The packages a `package-lock.json` lists. v2/v3 have `packages` keyed by install
/// location (`""` is the project itself); v1 has nested `dependencies` keyed by name.
pub fn parse_lockfile(v: &Value) -> Result<Vec<NpmPackage>, ParseError> {
    if !v.is_object() {
        return Err("package-lock.json is not a JSON object".into());
    }
    let mut out = Vec::new();
    if let Some(Value::Object(pkgs)) = v.get("packages") {
        for (key, e) in pkgs {
            let Some(idx) = key.rfind("node_modules/") else {
                // "" (the project) and workspace folders are not dependencies
                continue;
            };
            if e.get("link").and_then(Value::as_bool) == Some(true) {
                continue; // a symlink to a workspace folder, reported at its target
            }
            let name =
                str_of(e, "name").unwrap_or_else(|| key[idx + "node_modules/".len()..].to_string());
            let Some(version) = str_of(e, "version") else {
                continue;
            };
            out.push(NpmPackage {
                name,
                version,
                licenses: licenses_of(e),
                depends: dep_names(e),
                dev: e.get("dev").and_then(Value::as_bool) == Some(true),
                location: Some(key.clone()),
                integrity: str_of(e, "integrity"),
                resolved: str_of(e, "resolved"),
                ..Default::default()
            });
        }
        sort_by_depth(&mut out);
        return Ok(out);
    }
    // v1: `dependencies` nest to mirror node_modules nesting; walk with an explicit stack
    // (JSON nesting is bounded by serde_json's recursion limit, but keep it iterative anyway)
    let mut stack: Vec<(String, &Value)> = Vec::new();
    if let Some(d) = v.get("dependencies") {
        stack.push((String::new(), d));
    }
    while let Some((prefix, deps)) = stack.pop() {
        let Value::Object(map) = deps else { continue };
        for (name, e) in map {
            let location = format!("{prefix}node_modules/{name}");
            if let Some(version) = str_of(e, "version") {
                // `file:`/`link:` versions are local folders, not registry packages
                if !version.starts_with("file:") && !version.starts_with("link:") {
                    out.push(NpmPackage {
                        name: name.clone(),
                        version,
                        depends: match e.get("requires") {
                            Some(Value::Object(r)) => r.keys().cloned().collect(),
                            _ => Vec::new(),
                        },
                        dev: e.get("dev").and_then(Value::as_bool) == Some(true),
                        location: Some(location.clone()),
                        integrity: str_of(e, "integrity"),
                        resolved: str_of(e, "resolved"),
                        ..Default::default()
                    });
                }
            }
            if let Some(nested) = e.get("dependencies") {
                stack.push((format!("{location}/"), nested));
            }
        }
    }
    sort_by_depth(&mut out);
    Ok(out)
}

/// Shallowest install locations first: a stable order, hoisted copies first.
fn sort_by_depth(out: &mut [NpmPackage]) {
    out.sort_by_cached_key(|p| {
        let loc = p.location.clone().unwrap_or_default();
        (loc.matches("node_modules/").count(), loc)
    });
}
