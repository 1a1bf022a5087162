//! Rust crates compiled into binaries built with `cargo auditable`: the section `.dep-v0`
//! (its name in ELF, PE and Mach-O's `__DATA` segment alike) holds zlib-compressed JSON, `{"packages": [{name, version, source, kind,
//! dependencies, root}]}`. The root package is the binary's own crate; build-time-only
//! packages (`kind: "build"`) are not linked into the binary and are skipped.

use std::io::Read;
use std::sync::Arc;

use sbom_core::{Ecosystem, Package};
use serde::Deserialize;

use super::common::elf;
use super::{Claim, CollectContext, Detector, EntryMeta, Findings, FsView, ParseError, Parsed};

#[cfg(test)]
mod tests;

const NAME: &str = "rust";
const SECTION: &str = ".dep-v0";
/// Inflated JSON cap: a few thousand crates take well under 1 MiB; more is a zlib bomb.
const MAX_JSON: u64 = 8 << 20;

/// The cargo-auditable detector.
#[derive(Debug, Default)]
pub struct RustDetector;

/// One crate from the audit data.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
pub struct AuditPackage {
    /// Name as the metadata writes it.
    pub name: String,
    /// Version as the metadata writes it.
    pub version: String,
    /// `crates.io`, `git`, `local`, `registry`, ...
    #[serde(default)]
    pub source: String,
    /// `runtime` (default) or `build`.
    #[serde(default)]
    pub kind: Option<String>,
    /// Indexes, into the same package list, of the packages this one depends on.
    #[serde(default)]
    pub dependencies: Vec<usize>,
    /// The binary's own crate, the root of the dependency graph.
    #[serde(default)]
    pub root: bool,
}

#[derive(Deserialize)]
struct DepV0 {
    packages: Vec<AuditPackage>,
}

/// Parsed form: `None` for ELF files without audit data (most of them).
pub type AuditData = Option<Vec<AuditPackage>>;

impl Detector for RustDetector {
    super::common::codec::cache_codec!(0 => AuditData);

    fn name(&self) -> &'static str {
        NAME
    }

    fn claim_patterns(&self) -> Option<&'static [super::ClaimPattern]> {
        Some(elf::COMPILED_PATTERNS)
    }

    fn claim(&self, path: &str, meta: &EntryMeta) -> Option<Claim> {
        // the same claim as the Go detector: the walker reads each binary once for both
        elf::claim_compiled(path, meta)
    }

    fn parse(&self, _path: &str, body: &[u8]) -> Result<Parsed, ParseError> {
        let data: AuditData = read_audit_data(body)?;
        Ok(Arc::new(data))
    }

    fn collect(&self, view: &FsView, ctx: CollectContext, out: &mut Findings) {
        for f in view.parsed(NAME) {
            let Some(Some(pkgs)) = f.get::<AuditData>() else {
                continue;
            };
            for p in pkgs {
                if p.root || p.kind.as_deref() == Some("build") {
                    continue;
                }
                let mut pkg = Package::new(Ecosystem::Cargo, &p.name, &p.version);
                pkg.database_path = f.path.to_string();
                pkg.layer = Some(f.layer);
                if !p.source.is_empty() {
                    pkg.properties
                        .insert("cargo:source".into(), p.source.clone());
                }
                if ctx.full_detail {
                    pkg.depends = p
                        .dependencies
                        .iter()
                        .filter_map(|&i| pkgs.get(i))
                        .map(|d| d.name.clone())
                        .collect();
                }
                out.packages.push(pkg);
            }
        }
    }
}

/// The audit data of an ELF, PE or Mach-O body (the first slice with some, in a universal
/// binary); `Ok(None)` when it has no `.dep-v0` section.
pub fn read_audit_data(body: &[u8]) -> Result<AuditData, ParseError> {
    for image in elf::images(body)? {
        let file = elf::open(image)?;
        if let Some(compressed) = elf::section_data(&file, SECTION)? {
            return decode(compressed).map(Some);
        }
    }
    Ok(None)
}

/// Inflates (bounded) and parses the section's bytes.
pub fn decode(compressed: &[u8]) -> Result<Vec<AuditPackage>, ParseError> {
    let mut json = Vec::new();
    flate2::read::ZlibDecoder::new(compressed)
        .take(MAX_JSON + 1)
        .read_to_end(&mut json)
        .map_err(|e| ParseError(format!("corrupt {SECTION} section: {e}")))?;
    if json.len() as u64 > MAX_JSON {
        return Err(format!("{SECTION} inflates to more than {MAX_JSON} bytes").into());
    }
    let d: DepV0 = serde_json::from_slice(&json)
        .map_err(|e| ParseError(format!("invalid {SECTION} JSON: {e}")))?;
    Ok(d.packages)
}
