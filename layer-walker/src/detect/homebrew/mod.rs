//! Homebrew and Linuxbrew formulae: every keg in a Cellar,
//! `<prefix>/Cellar/<name>/<version>/` (`/opt/homebrew`, `/usr/local`,
//! `/home/linuxbrew/.linuxbrew`), which `brew install` fills with the formula's files, the
//! formula it was built from (`.brew/<name>.rb`) and its `INSTALL_RECEIPT.json` (tap,
//! runtime dependencies, whether it was asked for).
//!
//! Name and version are the keg's directories, as brew names them (`1.2.3_1` carries the
//! formula's revision). The formula is Ruby and is never run: only its top-level `desc`,
//! `homepage` and `license` string literals are read. Formulae in taps
//! (`Library/Taps/*/*/Formula/*.rb`) are what could be installed, not what is, and are not
//! reported. Every file of a keg is the keg's ([`Claim::path_only`]).

use std::collections::BTreeMap;
use std::sync::Arc;

use sbom_core::{license, Ecosystem, Package};

use super::{Claim, CollectContext, Detector, EntryMeta, Findings, FsView, ParseError, Parsed};

#[cfg(test)]
mod tests;

const NAME: &str = "homebrew";
const CELLAR: &str = "/Cellar/";
const RECEIPT: &str = "INSTALL_RECEIPT.json";
/// Formulae and receipts are a few kilobytes.
const MAX_METADATA: u64 = 4 << 20;

/// What a formula file says of itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Formula {
    /// `desc`.
    pub desc: Option<String>,
    /// `homepage`.
    pub homepage: Option<String>,
    /// The license names of `license` (one string, or the strings of `any_of:`/`all_of:`).
    pub licenses: Vec<String>,
    /// The SPDX expression `license` amounts to (`any_of` is OR, `all_of` AND).
    pub license: Option<String>,
}

/// What an `INSTALL_RECEIPT.json` records.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Receipt {
    /// `source.tap`: `homebrew/core`, `owner/repo`.
    pub tap: Option<String>,
    /// `runtime_dependencies[].full_name`.
    pub depends: Vec<String>,
    /// `installed_on_request`.
    pub on_request: Option<bool>,
    /// `arch`.
    pub arch: Option<String>,
    /// `homebrew_version`: the brew that installed it.
    pub homebrew_version: Option<String>,
}

/// Any other file of a keg: its presence is all that is kept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KegFile;

/// `(keg dir, name, version, path inside the keg)` of a path in a Cellar.
fn keg(path: &str) -> Option<(&str, &str, &str, &str)> {
    let i = path.find(CELLAR)?;
    let rest = &path[i + CELLAR.len()..];
    let mut parts = rest.splitn(3, '/');
    let (name, version, inside) = (parts.next()?, parts.next()?, parts.next()?);
    if name.is_empty() || version.is_empty() || inside.is_empty() {
        return None;
    }
    let end = i + CELLAR.len() + name.len() + 1 + version.len();
    Some((&path[..end], name, version, inside))
}

/// The first string literal of `s`, its escapes undone; `None` without one.
fn string_literal(s: &str) -> Option<String> {
    let start = s.find('"')?;
    let mut out = String::new();
    let mut chars = s[start + 1..].chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(out),
            '\\' => out.push(chars.next()?),
            c => out.push(c),
        }
    }
    None
}

/// Every string literal of `s`.
fn string_literals(mut s: &str) -> Vec<String> {
    let mut out = Vec::new();
    while let Some(v) = string_literal(s) {
        // skip past this literal: its opening quote, its escaped length, its closing quote
        let start = s.find('"').unwrap_or(0);
        let mut end = start + 1;
        let b = s.as_bytes();
        while end < b.len() && b[end] != b'"' {
            end += if b[end] == b'\\' { 2 } else { 1 };
        }
        out.push(v);
        s = s.get(end + 1..).unwrap_or("");
    }
    out
}

/// Parses a formula's `desc`, `homepage` and `license` (the first of each, in its class).
pub fn parse_formula(body: &[u8]) -> Result<Formula, ParseError> {
    let text = std::str::from_utf8(body).map_err(|_| ParseError::from("formula is not UTF-8"))?;
    let mut f = Formula::default();
    // what precedes the class is not the formula's (assignments, comments); a file with no
    // class line (hand-written, as in Syft's fixtures) is read whole
    let mut in_class = !text
        .lines()
        .any(|l| l.trim().starts_with("class ") && l.contains(" < Formula"));
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with("class ") && t.contains(" < Formula") {
            in_class = true;
            continue;
        }
        if !in_class {
            continue;
        }
        let field = |k: &str| {
            t.strip_prefix(k)
                .filter(|r| r.starts_with([' ', '\t']))
                .map(str::trim_start)
        };
        if let Some(v) = field("desc").filter(|_| f.desc.is_none()) {
            f.desc = string_literal(v);
        } else if let Some(v) = field("homepage").filter(|_| f.homepage.is_none()) {
            f.homepage = string_literal(v);
        } else if let Some(v) = field("license").filter(|_| f.licenses.is_empty()) {
            let (names, op) = if v.starts_with("any_of:") {
                (string_literals(v), " OR ")
            } else if v.starts_with("all_of:") {
                (string_literals(v), " AND ")
            } else {
                (string_literal(v).into_iter().collect(), " AND ")
            };
            let spdx: Option<Vec<String>> = names.iter().map(|n| license::normalize(n)).collect();
            f.license = spdx.and_then(|s| license::join(&s, op));
            f.licenses = names;
        }
    }
    Ok(f)
}

/// Parses an `INSTALL_RECEIPT.json`.
pub fn parse_receipt(body: &[u8]) -> Result<Receipt, ParseError> {
    let v: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| ParseError(format!("not an install receipt: {e}")))?;
    if !v.is_object() {
        return Err("not an install receipt: not a JSON object".into());
    }
    let text = |v: &serde_json::Value| v.as_str().filter(|s| !s.is_empty()).map(str::to_string);
    Ok(Receipt {
        tap: text(&v["source"]["tap"]),
        depends: v["runtime_dependencies"]
            .as_array()
            .map(|deps| {
                deps.iter()
                    .filter_map(|d| text(&d["full_name"]).or_else(|| text(&d["name"])))
                    .collect()
            })
            .unwrap_or_default(),
        on_request: v["installed_on_request"].as_bool(),
        arch: text(&v["arch"]),
        homebrew_version: text(&v["homebrew_version"]),
    })
}

/// Finds kegs in Homebrew Cellars.
#[derive(Debug, Default, Clone, Copy)]
pub struct HomebrewDetector;

impl Detector for HomebrewDetector {
    super::common::codec::cache_codec!(0 => Formula, 1 => Receipt, 2 => KegFile);

    fn name(&self) -> &'static str {
        NAME
    }

    fn claim_patterns(&self) -> Option<&'static [super::ClaimPattern]> {
        // every path in a keg, wherever the prefix is
        use super::ClaimPattern::*;
        Some(&[PathContains(CELLAR)])
    }

    fn claim(&self, path: &str, _meta: &EntryMeta) -> Option<Claim> {
        let (_, name, _, inside) = keg(path)?;
        if inside == RECEIPT
            || inside
                .strip_prefix(".brew/")
                .is_some_and(|f| f.strip_suffix(".rb") == Some(name))
        {
            Some(Claim::up_to(MAX_METADATA))
        } else {
            Some(Claim::path_only())
        }
    }

    fn parse(&self, path: &str, body: &[u8]) -> Result<Parsed, ParseError> {
        match keg(path).map(|k| k.3) {
            Some(RECEIPT) => Ok(Arc::new(parse_receipt(body)?)),
            Some(f) if f.starts_with(".brew/") && f.ends_with(".rb") => {
                Ok(Arc::new(parse_formula(body)?))
            }
            _ => Ok(Arc::new(KegFile)),
        }
    }

    fn collect(&self, view: &FsView, ctx: CollectContext, out: &mut Findings) {
        #[derive(Default)]
        struct Keg<'a> {
            name: &'a str,
            version: &'a str,
            formula: Option<(&'a str, &'a Formula)>,
            receipt: Option<(&'a str, &'a Receipt)>,
            files: Vec<String>,
        }
        let mut kegs: BTreeMap<&str, Keg> = BTreeMap::new();
        for f in view.parsed(NAME) {
            let Some((dir, name, version, _)) = keg(f.path) else {
                continue;
            };
            let k = kegs.entry(dir).or_insert_with(|| Keg {
                name,
                version,
                ..Keg::default()
            });
            if let Some(formula) = f.get::<Formula>() {
                k.formula = Some((f.path, formula));
            } else if let Some(r) = f.get::<Receipt>() {
                k.receipt = Some((f.path, r));
            }
            k.files.push(f.path.to_string());
        }
        for k in kegs.into_values() {
            // a keg without a receipt or formula is something else (a partial copy)
            let Some(db) = k.receipt.map(|r| r.0).or(k.formula.map(|f| f.0)) else {
                continue;
            };
            let mut p = Package::new(Ecosystem::Homebrew, k.name, k.version);
            p.database_path = db.to_string();
            if let Some((_, f)) = k.formula {
                p.description = f.desc.clone();
                p.homepage = f.homepage.clone();
                p.licenses_declared = f.licenses.clone();
                p.license = f.license.clone();
            }
            if let Some((_, r)) = k.receipt {
                p.namespace = r.tap.as_ref().map(|t| t.to_lowercase());
                p.depends = r.depends.clone();
                p.arch = r.arch.clone();
                if let Some(v) = &r.homebrew_version {
                    p.properties.insert("homebrew:version".into(), v.clone());
                }
                if let Some(on_request) = r.on_request {
                    p.properties.insert(
                        "homebrew:installed_on_request".into(),
                        on_request.to_string(),
                    );
                }
            }
            if ctx.full_detail {
                p.files = k.files;
                p.files.sort();
            }
            out.packages.push(p);
        }
    }
}
