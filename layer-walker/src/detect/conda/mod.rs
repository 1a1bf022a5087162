//! conda packages: the `conda-meta/<name>-<version>-<build>.json` record conda (and mamba,
//! micromamba, pixi, rattler) writes into an environment for every package it links there.
//! The environment (its prefix) is the directory holding `conda-meta/`; the record's
//! `files` are relative to it.
//!
//! `conda-meta/history` and `conda-meta/pinned` are not package records and are not
//! claimed: only `*.json` files directly in a `conda-meta` directory are.

use std::sync::Arc;

use sbom_core::{license, purl::PURL_QUALIFIER, Checksum, Ecosystem, Package};

use super::{Claim, CollectContext, Detector, EntryMeta, Findings, FsView, ParseError, Parsed};

#[cfg(test)]
mod tests;

const NAME: &str = "conda";
const META_DIR: &str = "/conda-meta/";
/// Records list every file of the package, with digests in `paths_data`: tens of MB for
/// the largest (CUDA toolkits, MKL).
const MAX_RECORD: u64 = 128 << 20;

/// What the inventory keeps of one `conda-meta` record.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Record {
    /// `name`.
    pub name: String,
    /// `version`.
    pub version: String,
    /// `build`: the build string (`py311h06a4308_0`).
    #[serde(default)]
    pub build: Option<String>,
    /// `channel`, as recorded: a URL (`https://conda.anaconda.org/conda-forge/`) or a name.
    #[serde(default)]
    pub channel: Option<String>,
    /// `subdir`: the platform the build is for (`linux-64`, `noarch`).
    #[serde(default)]
    pub subdir: Option<String>,
    /// `fn`: the archive it was installed from (`zlib-1.2.11-h90dfc92_1014.tar.bz2`).
    #[serde(default, rename = "fn")]
    pub file_name: Option<String>,
    /// `license`, as the recipe declares it.
    #[serde(default)]
    pub license: Option<String>,
    /// `md5` of the archive.
    #[serde(default)]
    pub md5: Option<String>,
    /// `sha256` of the archive.
    #[serde(default)]
    pub sha256: Option<String>,
    /// `depends`: match specs (`python >=3.9`, `libzlib 1.2.11 h90dfc92_1014`).
    #[serde(default)]
    pub depends: Vec<String>,
    /// `files`, relative to the environment's prefix.
    #[serde(default)]
    pub files: Vec<String>,
}

/// The prefix of a record's environment (`""` for `/conda-meta/x.json`, the root), or
/// `None` when `path` is not a record.
fn prefix(path: &str) -> Option<&str> {
    let i = path.rfind(META_DIR)?;
    let file = &path[i + META_DIR.len()..];
    (file.len() > ".json".len() && file.ends_with(".json") && !file.contains('/'))
        .then_some(&path[..i])
}

/// Parses one `conda-meta` record.
pub fn parse_record(body: &[u8]) -> Result<Record, ParseError> {
    let r: Record = serde_json::from_slice(body)
        .map_err(|e| ParseError(format!("not a conda-meta record: {e}")))?;
    if r.name.is_empty() || r.version.is_empty() {
        return Err("a conda-meta record with an empty name or version".into());
    }
    Ok(r)
}

/// The channel's name for the purl's `channel=` qualifier: the last segment of a channel
/// URL (`https://conda.anaconda.org/conda-forge/` -> `conda-forge`,
/// `https://repo.anaconda.com/pkgs/main` -> `main`), as purl-spec's example spells it.
fn channel_name(channel: &str) -> Option<&str> {
    channel
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .filter(|c| !c.is_empty() && !c.contains(':'))
}

/// The archive kind for the purl's `type=` qualifier: `conda` or `tar.bz2`.
fn archive_type(file_name: &str) -> Option<&'static str> {
    if file_name.ends_with(".conda") {
        Some("conda")
    } else if file_name.ends_with(".tar.bz2") {
        Some("tar.bz2")
    } else {
        None
    }
}

/// Finds packages in conda environments.
#[derive(Debug, Default, Clone, Copy)]
pub struct CondaDetector;

impl Detector for CondaDetector {
    super::common::codec::cache_codec!(0 => Record);

    fn name(&self) -> &'static str {
        NAME
    }

    fn claim_patterns(&self) -> Option<&'static [super::ClaimPattern]> {
        // `<env>/conda-meta/<record>.json`
        use super::ClaimPattern::*;
        Some(&[Suffix(".json")])
    }

    fn claim(&self, path: &str, _meta: &EntryMeta) -> Option<Claim> {
        prefix(path).map(|_| Claim::up_to(MAX_RECORD))
    }

    fn parse(&self, _path: &str, body: &[u8]) -> Result<Parsed, ParseError> {
        // the walker's warning names the file
        Ok(Arc::new(parse_record(body)?))
    }

    fn collect(&self, view: &FsView, ctx: CollectContext, out: &mut Findings) {
        for f in view.parsed(NAME) {
            let Some(r) = f.get::<Record>() else { continue };
            let Some(prefix) = prefix(f.path) else {
                continue;
            };
            let mut p = Package::new(Ecosystem::Conda, r.name.clone(), r.version.clone());
            if let Some(l) = r.license.as_ref().filter(|l| !l.trim().is_empty()) {
                p.licenses_declared = vec![l.clone()];
                p.license = license::normalize(l);
            }
            p.depends = r
                .depends
                .iter()
                .filter_map(|d| d.split_whitespace().next())
                .map(str::to_string)
                .collect();
            for (algorithm, value) in [("MD5", &r.md5), ("SHA256", &r.sha256)] {
                if let Some(v) = value.as_ref().filter(|v| !v.is_empty()) {
                    p.checksums.push(Checksum {
                        algorithm: algorithm.into(),
                        value: v.to_ascii_lowercase(),
                    });
                }
            }
            let mut qualifier = |k: &str, v: Option<&str>| {
                if let Some(v) = v.filter(|v| !v.is_empty()) {
                    p.properties
                        .insert(format!("{PURL_QUALIFIER}{k}"), v.to_string());
                }
            };
            qualifier("build", r.build.as_deref());
            qualifier("channel", r.channel.as_deref().and_then(channel_name));
            qualifier("subdir", r.subdir.as_deref());
            qualifier("type", r.file_name.as_deref().and_then(archive_type));
            if let Some(c) = &r.channel {
                p.properties.insert("conda:channel".into(), c.clone());
            }
            p.database_path = f.path.to_string();
            if ctx.full_detail {
                p.files = r
                    .files
                    .iter()
                    .map(|rel| format!("{prefix}/{}", rel.trim_start_matches('/')))
                    .collect();
            }
            out.packages.push(p);
        }
    }
}
