//! Java archives (`.jar`, `.war`, `.ear` and the other zip kinds in `ARCHIVE_EXTENSIONS`): one package per `META-INF/**/pom.properties`
//! (Maven writes one per artifact, shaded jars keep those of what they bundle), else the
//! `META-INF/MANIFEST.MF` main attributes. Archives inside archives (Spring Boot
//! `BOOT-INF/lib/`, `WEB-INF/lib/`, ...) are read recursively from memory, never extracted,
//! with bounded depth and a bounded total of bytes inflated per top-level archive so a zip
//! bomb costs at most that budget.

use std::io::{Cursor, Read};
use std::sync::Arc;

use sbom_core::{Ecosystem, Package};

use super::{Claim, CollectContext, Detector, EntryMeta, Findings, FsView, ParseError, Parsed};

pub mod jvm;
#[cfg(test)]
mod tests;

const NAME: &str = "java";
/// Archives larger than this are not read.
pub const MAX_ARCHIVE: u64 = 256 << 20;
/// Bytes inflated per top-level archive (nested archives, manifests, properties together).
pub const INFLATE_BUDGET: u64 = 512 << 20;
/// Archive nesting followed: outer (0) → inner → inner-inner.
const MAX_DEPTH: usize = 3;
const MAX_PROPERTIES: u64 = 64 << 10;
const MAX_MANIFEST: u64 = 1 << 20;

/// The Java archive detector.
#[derive(Debug, Default)]
pub struct JavaDetector;

/// One artifact found in an archive.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct JarPackage {
    /// Nested archive chain inside the claimed file (`BOOT-INF/lib/a.jar!/lib/b.jar`), empty
    /// for the claimed archive itself.
    pub inner: String,
    /// Maven groupId.
    pub group: Option<String>,
    /// Maven artifactId (or the name the manifest or file name gives).
    pub artifact: String,
    /// Version as the metadata writes it.
    pub version: String,
    /// Implementation or bundle vendor.
    pub vendor: Option<String>,
    /// The entry the facts came from (`META-INF/maven/g/a/pom.properties`, `META-INF/MANIFEST.MF`).
    pub source: String,
}

/// What the detector keeps from one archive.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct JarInfo {
    /// Artifacts found, outer archive first.
    pub packages: Vec<JarPackage>,
    /// Problems that may have hidden packages (unreadable nested archive, budget exhausted).
    pub warnings: Vec<String>,
}

/// The zip archive kinds Java tools ship, as Syft's java archive cataloger lists them
/// (`archiveFormatGlobs` in anchore/syft `syft/pkg/cataloger/java/archive_parser.go`): jar,
/// web and enterprise archives, Jenkins plugins (`.hpi`, `.jpi`), `.par` and `.sar`
/// (JBoss) archives, NiFi archives (`.nar`) and Liferay packages (`.lpkg`). All are jars inside, read the same way and with the same bounds.
const ARCHIVE_EXTENSIONS: [&str; 9] = [
    "jar", "war", "ear", "par", "sar", "nar", "jpi", "hpi", "lpkg",
];

fn is_archive_name(name: &str) -> bool {
    let file = name.rsplit('/').next().unwrap_or(name);
    match file.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => ARCHIVE_EXTENSIONS
            .iter()
            .any(|e| ext.eq_ignore_ascii_case(e)),
        _ => false,
    }
}

impl Detector for JavaDetector {
    super::common::codec::cache_codec!(0 => JarInfo, 1 => jvm::ReleaseFile, 2 => jvm::Javac);

    fn name(&self) -> &'static str {
        NAME
    }

    fn claim_patterns(&self) -> Option<&'static [super::ClaimPattern]> {
        use super::ClaimPattern::{Name, Suffix};
        const PATTERNS: &[super::ClaimPattern] = &[
            Suffix(".jar"),
            Suffix(".war"),
            Suffix(".ear"),
            Suffix(".par"),
            Suffix(".sar"),
            Suffix(".nar"),
            Suffix(".jpi"),
            Suffix(".hpi"),
            Suffix(".lpkg"),
            Name("release"),
            Name("javac"),
        ];
        Some(PATTERNS)
    }

    fn claim(&self, path: &str, _meta: &EntryMeta) -> Option<Claim> {
        if is_archive_name(path) {
            Some(Claim::with_magic(MAX_ARCHIVE, b"PK\x03\x04"))
        } else if jvm::is_release(path) {
            Some(Claim::up_to(jvm::MAX_RELEASE))
        } else if jvm::is_javac(path) {
            Some(Claim::up_to(jvm::MAX_JAVAC))
        } else {
            None
        }
    }

    fn parse(&self, path: &str, body: &[u8]) -> Result<Parsed, ParseError> {
        if jvm::is_release(path) {
            let text = String::from_utf8_lossy(body);
            return Ok(Arc::new(jvm::ReleaseFile(jvm::parse_release(&text))));
        }
        if jvm::is_javac(path) {
            return Ok(Arc::new(jvm::Javac));
        }
        Ok(Arc::new(read_archive(path, body, INFLATE_BUDGET)?))
    }

    fn collect(&self, view: &FsView, _ctx: CollectContext, out: &mut Findings) {
        let runtimes = collect_runtimes(view, out);
        for f in view.parsed(NAME) {
            let Some(info) = f.get::<JarInfo>() else {
                continue;
            };
            for w in &info.warnings {
                out.warn(f.path, Some(f.layer), w.clone(), true);
            }
            if runtimes
                .iter()
                .any(|(dir, _)| is_runtime_jar(dir, f.path, info))
            {
                continue;
            }
            for j in &info.packages {
                let mut pkg = Package::new(Ecosystem::Maven, &j.artifact, &j.version);
                pkg.namespace = j.group.clone();
                pkg.supplier = j.vendor.clone();
                pkg.layer = Some(f.layer);
                // nested archives get their own path so identities stay distinct
                pkg.database_path = if j.inner.is_empty() {
                    f.path.to_string()
                } else {
                    format!("{}!/{}", f.path, j.inner)
                };
                pkg.properties
                    .insert("java:archive".into(), pkg.database_path.clone());
                pkg.properties
                    .insert("java:metadata".into(), j.source.clone());
                out.packages.push(pkg);
            }
        }
    }
}

/// The JVM installations visible in `view`, one package each, with the runtime's own jars
/// (see [`is_runtime_jar`]) listed among its files. Returns (installation directory,
/// index of its package in `out`).
fn collect_runtimes(view: &FsView, out: &mut Findings) -> Vec<(String, usize)> {
    let mut found = Vec::new();
    for f in view.parsed(NAME) {
        let Some(jvm::ReleaseFile(Some(rel))) = f.get::<jvm::ReleaseFile>() else {
            continue;
        };
        let dir = f.path.rsplit_once('/').map_or("", |(d, _)| d);
        let has_javac = view.exists(&format!("{dir}/bin/javac"));
        let (vendor, product) = rel.vendor_product(f.path, has_javac);
        let mut pkg = Package::new(Ecosystem::Generic, product, rel.version());
        pkg.namespace = Some(vendor.to_string());
        pkg.supplier = rel.implementor.clone();
        pkg.cpes = rel.cpes(vendor, product, has_javac);
        pkg.layer = Some(f.layer);
        pkg.database_path = f.path.to_string();
        pkg.files.push(f.path.to_string());
        let props = [
            ("java:implementor", &rel.implementor),
            ("java:implementor_version", &rel.implementor_version),
            ("java:java_version", &rel.java_version),
            ("java:runtime_version", &rel.runtime_version),
            ("java:image_type", &rel.image_type),
            ("java:source_repo", &rel.source_repo),
        ];
        for (k, v) in props {
            if let Some(v) = v {
                pkg.properties.insert(k.into(), v.clone());
            }
        }
        pkg.properties
            .insert("java:jdk".into(), has_javac.to_string());
        let prefix = format!("{dir}/");
        for j in view.parsed_under(NAME, &prefix) {
            if let Some(info) = j.get::<JarInfo>() {
                if is_runtime_jar(dir, j.path, info) {
                    pkg.files.push(j.path.to_string());
                }
            }
        }
        found.push((dir.to_string(), out.packages.len()));
        out.packages.push(pkg);
    }
    found
}

/// Whether the archive at `path` is part of the JVM installed in `dir` rather than a library
/// on its own: inside the installation and named only by its manifest (the runtime's
/// `lib/jrt-fs.jar` says `Implementation-Title: Java Runtime Environment`), with no Maven
/// metadata and nothing nested. Such a manifest names the runtime, which the installation's
/// package already reports; as a Maven package it was a coordinate no repository has.
fn is_runtime_jar(dir: &str, path: &str, info: &JarInfo) -> bool {
    path.strip_prefix(dir).is_some_and(|r| r.starts_with('/'))
        && info
            .packages
            .iter()
            .all(|p| p.inner.is_empty() && p.source == "META-INF/MANIFEST.MF")
}

/// Tracks inflated bytes across one top-level archive.
struct Budget {
    left: u64,
    exhausted: bool,
}

/// Reads the packages of the archive `body` (claimed at `path`), inflating at most `budget`
/// bytes in total. Fails only when the top-level archive is unreadable.
pub fn read_archive(path: &str, body: &[u8], budget: u64) -> Result<JarInfo, ParseError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(body))
        .map_err(|e| ParseError(format!("unreadable zip archive: {e}")))?;
    let mut info = JarInfo::default();
    let mut budget = Budget {
        left: budget,
        exhausted: false,
    };
    let file_name = path.rsplit('/').next().unwrap_or(path);
    walk(&mut zip, file_name, "", 0, &mut budget, &mut info);
    Ok(info)
}

/// Reads entry `i` whole, if it fits both `cap` and the budget. `None` (with a warning)
/// otherwise. The declared size is not trusted: reading stops at the limit.
fn read_entry<R: Read + std::io::Seek>(
    zip: &mut zip::ZipArchive<R>,
    i: usize,
    cap: u64,
    where_: &str,
    budget: &mut Budget,
    info: &mut JarInfo,
) -> Option<Vec<u8>> {
    let mut entry = match zip.by_index(i) {
        Ok(e) => e,
        Err(e) => {
            info.warnings
                .push(format!("{where_}: unreadable entry: {e}"));
            return None;
        }
    };
    let limit = cap.min(budget.left);
    let mut buf = Vec::new();
    let res = (&mut entry)
        .take(limit.saturating_add(1))
        .read_to_end(&mut buf);
    budget.left = budget.left.saturating_sub(buf.len() as u64);
    if let Err(e) = res {
        info.warnings
            .push(format!("{where_}: unreadable entry: {e}"));
        return None;
    }
    if buf.len() as u64 > limit {
        if limit < cap {
            budget.exhausted = true;
            info.warnings.push(format!(
                "{where_}: stopped reading: more than the {} MiB inflate budget for one archive",
                INFLATE_BUDGET >> 20
            ));
        } else {
            info.warnings
                .push(format!("{where_}: entry larger than {cap} bytes, skipped"));
        }
        return None;
    }
    Some(buf)
}

fn walk<R: Read + std::io::Seek>(
    zip: &mut zip::ZipArchive<R>,
    file_name: &str,
    inner: &str,
    depth: usize,
    budget: &mut Budget,
    info: &mut JarInfo,
) {
    let prefix = if inner.is_empty() {
        String::new()
    } else {
        format!("{inner}!/")
    };
    let mut found_pom = false;
    let mut manifest = None;
    let mut nested = Vec::new();
    // names first (cheap: from the central directory), bodies after
    let names: Vec<(usize, String)> = (0..zip.len())
        .filter_map(|i| {
            zip.name_for_index(i)
                .and_then(|r| r.ok())
                .map(|n| (i, n.to_string()))
        })
        .collect();
    for (i, name) in names {
        if budget.exhausted {
            return;
        }
        let where_ = format!("{prefix}{name}");
        if name.starts_with("META-INF/") && name.ends_with("/pom.properties") {
            if let Some(b) = read_entry(zip, i, MAX_PROPERTIES, &where_, budget, info) {
                if let Some(p) = parse_pom_properties(&String::from_utf8_lossy(&b)) {
                    found_pom = true;
                    info.packages.push(JarPackage {
                        inner: inner.to_string(),
                        source: name.clone(),
                        ..p
                    });
                }
            }
        } else if name.eq_ignore_ascii_case("META-INF/MANIFEST.MF") {
            manifest = Some(i);
        } else if is_archive_name(&name) {
            nested.push((i, name));
        }
    }
    if !found_pom {
        if let Some(i) = manifest {
            let where_ = format!("{prefix}META-INF/MANIFEST.MF");
            if let Some(b) = read_entry(zip, i, MAX_MANIFEST, &where_, budget, info) {
                if let Some(p) = from_manifest(&String::from_utf8_lossy(&b), file_name) {
                    info.packages.push(JarPackage {
                        inner: inner.to_string(),
                        source: "META-INF/MANIFEST.MF".into(),
                        ..p
                    });
                }
            }
        }
    }
    if depth + 1 >= MAX_DEPTH && !nested.is_empty() {
        info.warnings.push(format!(
            "{prefix}: archives nested deeper than {MAX_DEPTH} levels not read"
        ));
        return;
    }
    for (i, name) in nested {
        if budget.exhausted {
            return;
        }
        let where_ = format!("{prefix}{name}");
        let Some(b) = read_entry(zip, i, MAX_ARCHIVE, &where_, budget, info) else {
            continue;
        };
        match zip::ZipArchive::new(Cursor::new(b.as_slice())) {
            Ok(mut z) => {
                let short = name.rsplit('/').next().unwrap_or(&name);
                walk(&mut z, short, &where_, depth + 1, budget, info);
            }
            Err(e) => info
                .warnings
                .push(format!("{where_}: unreadable nested archive: {e}")),
        }
    }
}

/// `key=value` lines (Java properties, the subset Maven writes: no escapes matter here).
pub fn parse_pom_properties(text: &str) -> Option<JarPackage> {
    let mut p = JarPackage::default();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') || line.starts_with('!') {
            continue;
        }
        let Some((k, v)) = line.split_once(['=', ':']) else {
            continue;
        };
        let v = v.trim().to_string();
        match k.trim() {
            "groupId" => p.group = Some(v).filter(|v| !v.is_empty()),
            "artifactId" => p.artifact = v,
            "version" => p.version = v,
            _ => {}
        }
    }
    (!p.artifact.is_empty() && !p.version.is_empty()).then_some(p)
}

/// The main section of a manifest, continuation lines (leading space, 72-byte wrapping)
/// joined.
pub fn manifest_attributes(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            break; // end of the main section; per-entry sections follow
        }
        if let Some(cont) = line.strip_prefix(' ') {
            if let Some((_, v)) = out.last_mut() {
                v.push_str(cont);
            }
        } else if let Some((k, v)) = line.split_once(':') {
            out.push((k.trim().to_string(), v.trim_start().to_string()));
        }
    }
    out
}

/// Package facts from the manifest; the file name (`name-1.2.3.jar`) names the artifact
/// when it carries a version, since manifest titles are often prose.
fn from_manifest(text: &str, file_name: &str) -> Option<JarPackage> {
    let attrs = manifest_attributes(text);
    let get = |k: &str| {
        attrs
            .iter()
            .find(|(key, v)| key.eq_ignore_ascii_case(k) && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_string())
    };
    let (file_artifact, file_version) = split_file_name(file_name);
    let version = get("Implementation-Version")
        .or_else(|| get("Bundle-Version"))
        .or(file_version)?;
    let artifact = file_artifact
        .or_else(|| get("Implementation-Title"))
        .or_else(|| {
            get("Bundle-SymbolicName").map(|s| s.split(';').next().unwrap_or("").trim().to_string())
        })
        .filter(|a| !a.is_empty())?;
    Some(JarPackage {
        group: get("Implementation-Vendor-Id"),
        artifact,
        version,
        vendor: get("Implementation-Vendor").or_else(|| get("Bundle-Vendor")),
        ..Default::default()
    })
}

/// `commons-lang3-3.12.0.jar` → (`commons-lang3`, `3.12.0`): the version starts at the
/// first `-` followed by a digit.
fn split_file_name(file: &str) -> (Option<String>, Option<String>) {
    let stem = file.rsplit_once('.').map_or(file, |(s, _)| s);
    let b = stem.as_bytes();
    for i in 0..b.len().saturating_sub(1) {
        if b[i] == b'-' && b[i + 1].is_ascii_digit() && i > 0 {
            return (Some(stem[..i].to_string()), Some(stem[i + 1..].to_string()));
        }
    }
    (None, None)
}
