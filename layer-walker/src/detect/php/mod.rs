//! PHP packages installed by Composer: `vendor/composer/installed.json`, which Composer writes
//! beside the code it installs (a list in Composer 1, `{"packages": [...]}` in Composer 2).
//! `composer.lock` alone is not read: it says what would be installed, not what is.

use std::sync::Arc;

use sbom_core::{license, Checksum, Ecosystem, Package};
use serde::Deserialize;

use super::{Claim, CollectContext, Detector, EntryMeta, Findings, FsView, ParseError, Parsed};

#[cfg(test)]
mod tests;

const NAME: &str = "composer";
const MAX_INSTALLED: u64 = 32 << 20;

/// The Composer detector.
#[derive(Debug, Default)]
pub struct ComposerDetector;

/// One package of `installed.json`, as far as an SBOM needs it.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq, serde::Serialize)]
pub struct ComposerPackage {
    /// `vendor/name`.
    pub name: String,
    /// Version as Composer writes it (`v1.2.3`, `dev-main`, ...).
    pub version: String,
    /// Declared licenses; Composer allows a string or a list.
    #[serde(default, deserialize_with = "one_or_many")]
    pub license: Vec<String>,
    /// The package's authors, in the order its `composer.json` lists them.
    #[serde(default)]
    pub authors: Vec<Author>,
    /// One-line description.
    #[serde(default)]
    pub description: Option<String>,
    /// Project home page.
    #[serde(default)]
    pub homepage: Option<String>,
    /// The archive Composer installed the package from.
    #[serde(default)]
    pub dist: Option<Dist>,
    /// Package name -> version constraint.
    #[serde(default)]
    pub require: std::collections::BTreeMap<String, String>,
}

/// One entry of a package's `authors`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq, serde::Serialize)]
pub struct Author {
    /// The author's name.
    #[serde(default)]
    pub name: Option<String>,
    /// The author's e-mail address.
    #[serde(default)]
    pub email: Option<String>,
}

/// A package's `dist`: the archive it was installed from.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq, serde::Serialize)]
pub struct Dist {
    /// Where the archive was downloaded from.
    #[serde(default)]
    pub url: Option<String>,
    /// SHA-1 of the archive, often empty.
    #[serde(default)]
    pub shasum: Option<String>,
}

/// What one `installed.json` holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Installed {
    /// The packages with a name and a version, in file order.
    pub packages: Vec<ComposerPackage>,
    /// Names Composer installed as development requirements (Composer 2 records them).
    pub dev: Vec<String>,
}

fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
        Other(serde::de::IgnoredAny),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => vec![s],
        OneOrMany::Many(v) => v,
        OneOrMany::Other(_) => Vec::new(),
    })
}

/// Parses either layout of `installed.json`. Entries without a name or version are skipped
/// (a broken entry does not hide the others); a file that is not JSON of either shape fails.
pub fn parse_installed(body: &[u8]) -> Result<Installed, ParseError> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum File {
        V1(Vec<serde_json::Value>),
        V2 {
            packages: Vec<serde_json::Value>,
            #[serde(default, rename = "dev-package-names")]
            dev: Vec<String>,
        },
    }
    let file: File = serde_json::from_slice(body)
        .map_err(|e| ParseError(format!("not a Composer installed.json: {e}")))?;
    let (raw, dev) = match file {
        File::V1(p) => (p, Vec::new()),
        File::V2 { packages, dev } => (packages, dev),
    };
    let packages = raw
        .into_iter()
        .filter_map(|v| serde_json::from_value::<ComposerPackage>(v).ok())
        .filter(|p| !p.name.is_empty() && !p.version.is_empty())
        .collect();
    Ok(Installed { packages, dev })
}

impl Detector for ComposerDetector {
    super::common::codec::cache_codec!(0 => Installed);

    fn name(&self) -> &'static str {
        NAME
    }

    fn claim_patterns(&self) -> Option<&'static [super::ClaimPattern]> {
        Some(&[super::ClaimPattern::Name("installed.json")])
    }

    fn claim(&self, path: &str, _meta: &EntryMeta) -> Option<Claim> {
        path.ends_with("/vendor/composer/installed.json")
            .then_some(Claim::up_to(MAX_INSTALLED))
    }

    fn parse(&self, _path: &str, body: &[u8]) -> Result<Parsed, ParseError> {
        Ok(Arc::new(parse_installed(body)?))
    }

    fn collect(&self, view: &FsView, ctx: CollectContext, out: &mut Findings) {
        for f in view.parsed(NAME) {
            let Some(inst) = f.get::<Installed>() else {
                continue;
            };
            for c in &inst.packages {
                let mut pkg = Package::new(Ecosystem::Composer, &c.name, &c.version);
                pkg.database_path = f.path.to_string();
                pkg.layer = Some(f.layer);
                // platform requirements (`php`, `ext-json`, `lib-icu`) are not packages
                pkg.depends = c
                    .require
                    .keys()
                    .filter(|n| n.contains('/'))
                    .cloned()
                    .collect();
                if inst.dev.contains(&c.name) {
                    pkg.properties.insert("composer:dev".into(), "true".into());
                }
                if ctx.full_detail {
                    pkg.licenses_declared = c.license.clone();
                    pkg.license = license::combine(&c.license);
                    pkg.supplier = c.authors.iter().find_map(|a| {
                        let name = a.name.as_deref().filter(|n| !n.trim().is_empty())?;
                        Some(match a.email.as_deref().filter(|e| !e.is_empty()) {
                            Some(e) => format!("{name} <{e}>"),
                            None => name.to_string(),
                        })
                    });
                    pkg.homepage = c.homepage.clone();
                    pkg.description = c.description.clone();
                    if let Some(sha) = c.dist.as_ref().and_then(|d| d.shasum.as_deref()) {
                        if sha.len() == 40 && sha.bytes().all(|b| b.is_ascii_hexdigit()) {
                            pkg.checksums.push(Checksum {
                                algorithm: "SHA1".into(),
                                value: sha.to_ascii_lowercase(),
                            });
                        }
                    }
                }
                out.packages.push(pkg);
            }
        }
    }
}
