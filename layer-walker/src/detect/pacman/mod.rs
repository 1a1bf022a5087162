//! Arch Linux (and Manjaro, SteamOS, ...) packages: pacman's local database,
//! `/var/lib/pacman/local/<name>-<version>/desc` (what the package is) and `files` (what it
//! installed), one directory per installed package, as libalpm writes them.
//!
//! Both files are `%SECTION%` headers each followed by one value per line up to a blank
//! line. Hand-written: a few lines, and no crate reads the format without libalpm.

use std::collections::BTreeMap;
use std::sync::Arc;

use sbom_core::{license, Ecosystem, Package};

use super::{Claim, CollectContext, Detector, EntryMeta, Findings, FsView, ParseError, Parsed};

#[cfg(test)]
mod tests;

const LOCAL: &str = "/var/lib/pacman/local/";
/// `desc` files are a few hundred bytes; `files` lists every path a package installed
/// (the largest Arch packages list about 100k).
const MAX_DESC: u64 = 1 << 20;
const MAX_FILES: u64 = 64 << 20;

/// One package's `desc`: the sections an SBOM needs.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Desc {
    /// `%NAME%`.
    pub name: String,
    /// `%VERSION%`: `[epoch:]pkgver-pkgrel`.
    pub version: String,
    /// `%BASE%`: the PKGBUILD the package was built from (split packages share one).
    pub base: Option<String>,
    /// `%DESC%`.
    pub description: Option<String>,
    /// `%URL%`.
    pub url: Option<String>,
    /// `%ARCH%` (`x86_64`, `any`, ...).
    pub arch: Option<String>,
    /// `%PACKAGER%`.
    pub packager: Option<String>,
    /// `%SIZE%`: installed size in bytes.
    pub size: Option<u64>,
    /// `%LICENSE%`, one per line.
    pub licenses: Vec<String>,
    /// `%DEPENDS%`, names without their version constraints.
    pub depends: Vec<String>,
    /// `%PROVIDES%`, names without versions.
    pub provides: Vec<String>,
}

/// One package's `files`: the paths it installed (absolute, directories left out).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Files(pub Vec<String>);

/// `%SECTION%` -> its lines.
fn sections(body: &[u8]) -> Result<BTreeMap<String, Vec<String>>, ParseError> {
    let text = std::str::from_utf8(body).map_err(|_| ParseError::from("not UTF-8"))?;
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            current = None;
        } else if line.len() > 2
            && line.starts_with('%')
            && line.ends_with('%')
            && current.is_none()
        {
            let key = line[1..line.len() - 1].to_string();
            out.entry(key.clone()).or_default();
            current = Some(key);
        } else if let Some(k) = &current {
            out.entry(k.clone()).or_default().push(line.to_string());
        } else {
            return Err(ParseError(format!(
                "a value outside any %SECTION%: {line:?}"
            )));
        }
    }
    Ok(out)
}

/// `libfoo>=1.2` -> `libfoo` (pacman's constraints are `<`, `<=`, `=`, `>=`, `>`).
fn bare_name(dep: &str) -> String {
    dep.split(['<', '>', '='])
        .next()
        .unwrap_or(dep)
        .trim()
        .to_string()
}

/// Parses a `desc` file.
pub fn parse_desc(body: &[u8]) -> Result<Desc, ParseError> {
    let mut s = sections(body)?;
    let mut one = |k: &str| s.remove(k).and_then(|v| v.into_iter().next());
    let name = one("NAME").ok_or_else(|| ParseError::from("no %NAME%"))?;
    let version = one("VERSION").ok_or_else(|| ParseError::from("no %VERSION%"))?;
    let base = one("BASE");
    let description = one("DESC");
    let url = one("URL");
    let arch = one("ARCH");
    let packager = one("PACKAGER");
    let size = one("SIZE").and_then(|v| v.trim().parse().ok());
    let list = |s: &mut BTreeMap<String, Vec<String>>, k: &str| s.remove(k).unwrap_or_default();
    Ok(Desc {
        name,
        version,
        base,
        description,
        url,
        arch,
        packager,
        size,
        licenses: list(&mut s, "LICENSE"),
        depends: list(&mut s, "DEPENDS")
            .iter()
            .map(|d| bare_name(d))
            .collect(),
        provides: list(&mut s, "PROVIDES")
            .iter()
            .map(|d| bare_name(d))
            .collect(),
    })
}

/// Parses a `files` file.
pub fn parse_files(body: &[u8]) -> Result<Files, ParseError> {
    let mut s = sections(body)?;
    Ok(Files(
        s.remove("FILES")
            .unwrap_or_default()
            .into_iter()
            .filter(|p| !p.ends_with('/'))
            .map(|p| format!("/{p}"))
            .collect(),
    ))
}

/// The package directory and file name of a path under the database: `(dir, "desc")`.
fn entry(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_prefix(LOCAL)?;
    let (dir, file) = rest.split_once('/')?;
    (!dir.is_empty() && !file.contains('/')).then_some((dir, file))
}

/// Finds pacman-installed packages.
#[derive(Debug, Default, Clone, Copy)]
pub struct PacmanDetector;

const NAME: &str = "pacman";

impl Detector for PacmanDetector {
    super::common::codec::cache_codec!(0 => Desc, 1 => Files);

    fn name(&self) -> &'static str {
        NAME
    }

    fn claim_patterns(&self) -> Option<&'static [super::ClaimPattern]> {
        use super::ClaimPattern::Name;
        Some(&[Name("desc"), Name("files")])
    }

    fn claim(&self, path: &str, _meta: &EntryMeta) -> Option<Claim> {
        match entry(path)?.1 {
            "desc" => Some(Claim::up_to(MAX_DESC)),
            "files" => Some(Claim::up_to(MAX_FILES)),
            _ => None,
        }
    }

    fn parse(&self, path: &str, body: &[u8]) -> Result<Parsed, ParseError> {
        // the walker names the file in the warning
        match entry(path).map(|(_, f)| f) {
            Some("files") => Ok(Arc::new(parse_files(body)?)),
            _ => Ok(Arc::new(parse_desc(body)?)),
        }
    }

    fn collect(&self, view: &FsView, ctx: CollectContext, out: &mut Findings) {
        for f in view.parsed_under(NAME, LOCAL) {
            let Some(d) = f.get::<Desc>() else { continue };
            let Some((dir, _)) = entry(f.path) else {
                continue;
            };
            let mut p = Package::new(Ecosystem::Alpm, d.name.clone(), d.version.clone());
            p.arch = d.arch.clone();
            p.description = d.description.clone();
            p.homepage = d.url.clone();
            // "Unknown Packager" is makepkg's default when PACKAGER is unset: no one
            p.maintainer = d.packager.clone().filter(|x| x != "Unknown Packager");
            p.supplier = p.maintainer.clone();
            p.installed_size = d.size;
            p.licenses_declared = d.licenses.clone();
            p.license = license::combine(&d.licenses);
            p.depends = d.depends.clone();
            p.provides = d.provides.clone();
            if let Some(base) = d.base.as_ref().filter(|b| **b != d.name) {
                p.source = Some(sbom_core::SourcePackage {
                    name: base.clone(),
                    version: Some(d.version.clone()),
                });
            }
            p.database_path = f.path.to_string();
            if ctx.full_detail {
                let files = format!("{LOCAL}{dir}/files");
                if let Some(list) = view.lookup(NAME, &files).and_then(|v| v.get::<Files>()) {
                    p.files = list.0.clone();
                }
            }
            out.packages.push(p);
        }
    }
}
