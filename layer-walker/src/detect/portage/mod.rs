//! Gentoo packages: portage's installed-package database (the "vdb"),
//! `/var/db/pkg/<category>/<PF>/`, one directory per installed package holding one file per
//! fact: `CONTENTS` (what it installed), `LICENSE`, `SIZE`, `DESCRIPTION`, `HOMEPAGE`, ...
//!
//! A package is its `CONTENTS` file (every vdb entry has one, empty for virtual packages);
//! name and version come from the directory name split by PMS rules ([`version`]).

use std::sync::Arc;

use sbom_core::{license, Ecosystem, Package};

use super::{Claim, CollectContext, Detector, EntryMeta, Findings, FsView, ParseError, Parsed};

#[cfg(test)]
mod tests;
pub mod version;

const NAME: &str = "portage";
const VDB: &str = "/var/db/pkg/";
/// `CONTENTS` lists every path a package installed (texlive and kernel sources: ~100k).
const MAX_CONTENTS: u64 = 64 << 20;
/// The one-line fields.
const MAX_FIELD: u64 = 1 << 20;
const FIELDS: [&str; 4] = ["LICENSE", "SIZE", "DESCRIPTION", "HOMEPAGE"];

/// One package's `CONTENTS`, with the name and version its directory gives.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Contents {
    /// `<category>/<name>`, as portage names packages.
    pub name: String,
    /// `PVR`: the version with its `-rN` revision.
    pub version: String,
    /// The regular files (`obj` lines), absolute.
    pub files: Vec<String>,
}

/// One of the one-line fields (`LICENSE`, `SIZE`, `DESCRIPTION`, `HOMEPAGE`), whitespace-trimmed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Field(pub String);

/// `(category, PF, file)` of a path in the vdb.
fn entry(path: &str) -> Option<(&str, &str, &str)> {
    let rest = path.strip_prefix(VDB)?;
    let mut parts = rest.split('/');
    let (cat, pf, file) = (parts.next()?, parts.next()?, parts.next()?);
    (parts.next().is_none() && !cat.is_empty() && !pf.is_empty()).then_some((cat, pf, file))
}

/// Parses `CONTENTS`: `dir PATH`, `obj PATH MD5 MTIME`, `sym PATH -> TARGET MTIME`,
/// `fif PATH`, `dev PATH`. Paths may hold spaces: `obj` fields are split from the right.
pub fn parse_contents(body: &[u8]) -> Result<Vec<String>, ParseError> {
    let text = std::str::from_utf8(body).map_err(|_| ParseError::from("CONTENTS is not UTF-8"))?;
    let mut files = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.is_empty() {
            continue;
        }
        let bad = || ParseError(format!("CONTENTS line {}: {line:?}", n + 1));
        let (kind, rest) = line.split_once(' ').ok_or_else(bad)?;
        match kind {
            "obj" => {
                let mut fields = rest.rsplitn(3, ' ');
                let (Some(mtime), Some(md5), Some(path)) =
                    (fields.next(), fields.next(), fields.next())
                else {
                    return Err(bad());
                };
                let hex = md5.len() == 32 && md5.bytes().all(|c| c.is_ascii_hexdigit());
                if !hex || mtime.is_empty() || !mtime.bytes().all(|c| c.is_ascii_digit()) {
                    return Err(bad());
                }
                if !path.starts_with('/') {
                    return Err(bad());
                }
                files.push(path.to_string());
            }
            "dir" | "fif" | "dev" if rest.starts_with('/') => {}
            "sym" if rest.starts_with('/') && rest.contains(" -> ") => {}
            _ => return Err(bad()),
        }
    }
    Ok(files)
}

/// A `LICENSE` value as one SPDX expression: names separated by spaces are all required
/// (AND), `|| ( a b )` is a choice (OR), and `flag? ( ... )` depends on USE flags the vdb
/// entry does not resolve, so its licenses are kept as if the flag were set.
pub fn license_expression(value: &str) -> Option<String> {
    fn group<'a>(tokens: &mut impl Iterator<Item = &'a str>) -> Vec<String> {
        let mut parts = Vec::new();
        while let Some(t) = tokens.next() {
            match t {
                ")" => break,
                "||" => {
                    // `|| (`
                    if tokens.next() == Some("(") {
                        parts.extend(license::join(&group(tokens), " OR "));
                    }
                }
                "(" => parts.extend(license::join(&group(tokens), " AND ")),
                t if t.ends_with('?') => {
                    if tokens.next() == Some("(") {
                        parts.extend(license::join(&group(tokens), " AND "));
                    }
                }
                name => parts.extend(license::normalize(name)),
            }
        }
        parts
    }
    license::join(&group(&mut value.split_whitespace()), " AND ")
}

/// The license names a `LICENSE` value mentions, in order, without its operators.
fn license_names(value: &str) -> Vec<String> {
    value
        .split_whitespace()
        .filter(|t| !matches!(*t, "||" | "(" | ")") && !t.ends_with('?'))
        .map(str::to_string)
        .collect()
}

/// Finds packages portage installed.
#[derive(Debug, Default, Clone, Copy)]
pub struct PortageDetector;

impl Detector for PortageDetector {
    super::common::codec::cache_codec!(0 => Contents, 1 => Field);

    fn name(&self) -> &'static str {
        NAME
    }

    fn claim_patterns(&self) -> Option<&'static [super::ClaimPattern]> {
        use super::ClaimPattern::Name;
        // `CONTENTS` and `FIELDS`
        Some(&[
            Name("CONTENTS"),
            Name("LICENSE"),
            Name("SIZE"),
            Name("DESCRIPTION"),
            Name("HOMEPAGE"),
        ])
    }

    fn claim(&self, path: &str, _meta: &EntryMeta) -> Option<Claim> {
        match entry(path)?.2 {
            "CONTENTS" => Some(Claim::up_to(MAX_CONTENTS)),
            f if FIELDS.contains(&f) => Some(Claim::up_to(MAX_FIELD)),
            _ => None,
        }
    }

    fn parse(&self, path: &str, body: &[u8]) -> Result<Parsed, ParseError> {
        let Some((cat, pf, file)) = entry(path) else {
            return Err("not in the portage database".into());
        };
        if file != "CONTENTS" {
            let text = std::str::from_utf8(body)
                .map_err(|_| ParseError(format!("{file} is not UTF-8")))?;
            return Ok(Arc::new(Field(text.trim().to_string())));
        }
        let (name, version) = version::split_pf(pf).ok_or_else(|| {
            ParseError(format!(
                "the directory name {pf:?} is not <name>-<version> as portage writes it"
            ))
        })?;
        Ok(Arc::new(Contents {
            name: format!("{cat}/{name}"),
            version: version.to_string(),
            files: parse_contents(body)?,
        }))
    }

    fn collect(&self, view: &FsView, ctx: CollectContext, out: &mut Findings) {
        for f in view.parsed_under(NAME, VDB) {
            let Some(c) = f.get::<Contents>() else {
                continue;
            };
            let Some(dir) = f.path.strip_suffix("/CONTENTS") else {
                continue;
            };
            let field = |name: &str| {
                view.lookup(NAME, &format!("{dir}/{name}"))
                    .and_then(|v| v.get::<Field>())
                    .map(|v| v.0.clone())
                    .filter(|v| !v.is_empty())
            };
            let mut p = Package::new(Ecosystem::Portage, c.name.clone(), c.version.clone());
            p.database_path = f.path.to_string();
            if let Some(size) = field("SIZE") {
                match size.parse() {
                    Ok(n) => p.installed_size = Some(n),
                    Err(_) => out.warn(
                        &format!("{dir}/SIZE"),
                        None,
                        format!("SIZE is not a number: {size:?}"),
                        false,
                    ),
                }
            }
            if ctx.full_detail {
                if let Some(l) = field("LICENSE") {
                    p.licenses_declared = license_names(&l);
                    p.license = license_expression(&l);
                }
                p.description = field("DESCRIPTION");
                p.homepage =
                    field("HOMEPAGE").and_then(|h| h.split_whitespace().next().map(str::to_string));
                p.files = c.files.clone();
            }
            out.packages.push(p);
        }
    }
}
