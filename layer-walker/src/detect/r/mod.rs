//! R packages: the `DESCRIPTION` file of every package installed in an R library
//! (`<lib>/<package>/DESCRIPTION` under a `library` or `site-library` directory: R's own
//! `/usr/lib/R/library`, Debian's `/usr/lib/R/site-library`, `/usr/local/lib/R/site-library`,
//! renv's `renv/library/...`).
//!
//! `R CMD INSTALL` adds a `Built:` field to the `DESCRIPTION` it installs; a package's
//! source tree (tests, vignettes, bundled fixtures) has none. Only files with it count.

use std::sync::Arc;

use deb822_fast::Paragraph;
use sbom_core::{license, Ecosystem, Package};

use super::{Claim, CollectContext, Detector, EntryMeta, Findings, FsView, ParseError, Parsed};

#[cfg(test)]
mod tests;

const NAME: &str = "r";
/// DESCRIPTION files are a few kilobytes.
const MAX_DESCRIPTION: u64 = 1 << 20;

/// What the inventory keeps of one installed package's `DESCRIPTION`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Description {
    /// `Package:`.
    pub name: String,
    /// `Version:`.
    pub version: String,
    /// `License:` as written (`GPL (>= 2)`, `MIT + file LICENSE`).
    pub license: Option<String>,
    /// `Title:`.
    pub title: Option<String>,
    /// The first address of `URL:`.
    pub url: Option<String>,
    /// `Maintainer:`.
    pub maintainer: Option<String>,
    /// Package names of `Depends:`, `Imports:` and `LinkingTo:` (not R itself).
    pub depends: Vec<String>,
    /// `Repository:` (`CRAN`, `RSPM`, ...), when recorded.
    pub repository: Option<String>,
}

/// Whether `path` is `<...>/library/<pkg>/DESCRIPTION` or `<...>/site-library/<pkg>/DESCRIPTION`.
fn is_installed_description(path: &str) -> bool {
    let Some(dir) = path.strip_suffix("/DESCRIPTION") else {
        return false;
    };
    let Some((lib, pkg)) = dir.rsplit_once('/') else {
        return false;
    };
    !pkg.is_empty() && (lib.ends_with("/library") || lib.ends_with("/site-library"))
}

/// `methods, R (>= 3.5), utils (>= 2.0)` -> `["methods", "utils"]`.
fn package_names(list: &str) -> impl Iterator<Item = String> + '_ {
    list.split(',')
        .map(|d| d.split('(').next().unwrap_or("").trim().to_string())
        .filter(|d| !d.is_empty() && d != "R")
}

/// Parses an installed package's `DESCRIPTION`; `None` for one R did not install.
pub fn parse_description(body: &[u8]) -> Result<Option<Description>, ParseError> {
    let text = String::from_utf8_lossy(body);
    // one paragraph; CRLF files and trailing blank lines are normal
    let text: String = text
        .lines()
        .map(|l| l.trim_end_matches('\r'))
        .skip_while(|l| l.trim().is_empty())
        .take_while(|l| !l.trim().is_empty())
        .map(|l| format!("{l}\n"))
        .collect();
    let para: Paragraph = text
        .parse()
        .map_err(|e| ParseError(format!("not a DESCRIPTION file: {e}")))?;
    let field = |k: &str| {
        para.get(k)
            .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|v| !v.is_empty())
    };
    if field("Built").is_none() {
        return Ok(None);
    }
    let (Some(name), Some(version)) = (field("Package"), field("Version")) else {
        return Err("no Package or Version field".into());
    };
    let mut depends = Vec::new();
    for k in ["Depends", "Imports", "LinkingTo"] {
        if let Some(v) = field(k) {
            for d in package_names(&v) {
                if !depends.contains(&d) {
                    depends.push(d);
                }
            }
        }
    }
    Ok(Some(Description {
        name,
        version,
        license: field("License"),
        title: field("Title"),
        url: field("URL").and_then(|u| {
            u.split([',', ' ', '\n'])
                .find(|s| s.starts_with("http://") || s.starts_with("https://"))
                .map(str::to_string)
        }),
        maintainer: field("Maintainer"),
        depends,
        repository: field("Repository"),
    }))
}

/// R's license field as an SPDX expression, where each part is one SPDX knows: R writes
/// alternatives with `|`, version ranges as `GPL (>= 2)`, and `+ file LICENSE` for the
/// copyright holder's details (not a further license).
pub fn spdx_license(r: &str) -> Option<String> {
    let parts: Option<Vec<String>> = r
        .split('|')
        .map(|p| {
            let p = p.trim();
            let p = p
                .strip_suffix("+ file LICENSE")
                .or_else(|| p.strip_suffix("+ file LICENCE"))
                .unwrap_or(p)
                .trim();
            let compact: String = p.chars().filter(|c| !c.is_whitespace()).collect();
            if compact == "fileLICENSE" || compact == "fileLICENCE" {
                // the terms are only in the package's own file: nothing to name
                return None;
            }
            let mapped = match compact.as_str() {
                "GPL-2" => "GPL-2.0-only",
                "GPL-3" => "GPL-3.0-only",
                "GPL(>=2)" | "GPL(>=2.0)" => "GPL-2.0-or-later",
                "GPL(>=3)" | "GPL(>=3.0)" => "GPL-3.0-or-later",
                "LGPL-2" => "LGPL-2.0-only",
                "LGPL-2.1" => "LGPL-2.1-only",
                "LGPL-3" => "LGPL-3.0-only",
                "LGPL(>=2)" => "LGPL-2.0-or-later",
                "LGPL(>=2.1)" => "LGPL-2.1-or-later",
                "LGPL(>=3)" => "LGPL-3.0-or-later",
                "AGPL-3" => "AGPL-3.0-only",
                "Apache License 2.0" | "ApacheLicense2.0" | "ApacheLicense(==2.0)" => "Apache-2.0",
                "BSD_2_clause" => "BSD-2-Clause",
                "BSD_3_clause" => "BSD-3-Clause",
                "CC0" => "CC0-1.0",
                _ => p,
            };
            Some(mapped.to_string())
        })
        .collect();
    let normalized: Option<Vec<String>> = parts?.iter().map(|p| license::normalize(p)).collect();
    license::join(&normalized?, " OR ")
}

/// Finds packages installed in R libraries.
#[derive(Debug, Default, Clone, Copy)]
pub struct RDetector;

impl Detector for RDetector {
    super::common::codec::cache_codec!(0 => Option<Description>);

    fn name(&self) -> &'static str {
        NAME
    }

    fn claim_patterns(&self) -> Option<&'static [super::ClaimPattern]> {
        Some(&[super::ClaimPattern::Name("DESCRIPTION")])
    }

    fn claim(&self, path: &str, _meta: &EntryMeta) -> Option<Claim> {
        is_installed_description(path).then_some(Claim::up_to(MAX_DESCRIPTION))
    }

    fn parse(&self, _path: &str, body: &[u8]) -> Result<Parsed, ParseError> {
        Ok(Arc::new(parse_description(body)?))
    }

    fn collect(&self, view: &FsView, _ctx: CollectContext, out: &mut Findings) {
        for f in view.parsed(NAME) {
            let Some(Some(d)) = f.get::<Option<Description>>() else {
                continue;
            };
            let mut p = Package::new(Ecosystem::Cran, d.name.clone(), d.version.clone());
            p.description = d.title.clone();
            p.homepage = d.url.clone();
            p.maintainer = d.maintainer.clone();
            p.supplier = d.maintainer.clone();
            if let Some(l) = &d.license {
                p.licenses_declared = vec![l.clone()];
                p.license = spdx_license(l);
            }
            p.depends = d.depends.clone();
            p.database_path = f.path.to_string();
            if let Some(repo) = &d.repository {
                p.properties.insert("r:repository".into(), repo.clone());
            }
            out.packages.push(p);
        }
    }
}
