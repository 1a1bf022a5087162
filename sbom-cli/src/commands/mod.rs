//! The subcommands besides `scan`: `check` (the policy gate) and `diff`, which read SBOMs
//! (each side a document or an image; [`load`] decides which), and `attach`, `discover`
//! and `fetch`, which keep SBOMs in a registry beside the image, as OCI 1.1 referrers.

pub mod attach;
pub mod cache;
pub mod check;
pub mod diff;
pub mod discover;
pub mod fetch;

use std::ffi::OsStr;
use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result};
use layer_walker::{ImageRef, Scanner};
use sbom_core::read::Document;

/// How images named on these commands are scanned.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct ImageArgs {
    /// For image arguments: the image to read from an archive holding several (TAG, ID, @N)
    #[arg(long = "image", value_name = "TAG|ID|@N")]
    pub select: Option<String>,
    /// For image arguments: the platform to pick from a multi-platform index
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Option<String>,
    /// For image arguments: the Dockerfile they were built from, to name the instruction of
    /// each package's layer
    #[arg(long, value_name = "PATH")]
    pub dockerfile: Option<std::path::PathBuf>,
}

/// True when `path` is a file whose first non-blank byte is `{` or `[`: JSON. Image
/// archives are tar (or compressed tar) and never start so; anything else is an image
/// reference, parsed as `sbom scan` parses it.
fn is_json_document(path: &Path) -> bool {
    if path.as_os_str() == "-" {
        return true;
    }
    let Ok(meta) = std::fs::metadata(path) else {
        return false;
    };
    if !meta.is_file() {
        return false;
    }
    let Ok(f) = std::fs::File::open(path) else {
        return false;
    };
    let mut head = Vec::with_capacity(512);
    if f.take(512).read_to_end(&mut head).is_err() {
        return false;
    }
    head.iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'{' || b == b'[')
}

/// Reads `target` as a document, or scans it as an image.
pub fn load(target: &OsStr, args: &ImageArgs, quiet: bool) -> Result<Document> {
    let path = Path::new(target);
    if is_json_document(path) {
        return Ok(Document::read(path)?);
    }
    let image = ImageRef::parse_os(target)?;
    let mut scanner = Scanner::new().verify_digests(true);
    if let Some(i) = &args.select {
        scanner = scanner.image(i.clone());
    }
    if let Some(p) = &args.platform {
        let platform = p
            .parse()
            .map_err(|e: String| anyhow::anyhow!("--platform: {e}"))?;
        scanner = scanner.platform(platform);
    }
    if let Some(df) = &args.dockerfile {
        let text = std::fs::read_to_string(df)
            .with_context(|| format!("reading the Dockerfile {}", df.display()))?;
        scanner = scanner.dockerfile(text);
    }
    let inv = scanner.scan(&image)?.inventory;
    if !quiet && inv.is_incomplete() {
        tracing::warn!(
            "{}: the inventory is INCOMPLETE: some package databases could not be read in full",
            sbom_core::format::printable(&inv.image.source)
        );
    }
    Ok(Document::from_inventory(&inv))
}

/// An image in a registry, as `registry:REF` or bare `REF` (a usage error otherwise).
fn registry_image(s: &str) -> Result<layer_walker::RegistryRef> {
    let bare = s.strip_prefix("registry:").unwrap_or(s);
    layer_walker::RegistryRef::parse(bare).map_err(|e| crate::usage(e.into()))
}

fn platform(p: Option<&str>) -> Result<Option<sbom_core::Platform>> {
    p.map(|p| {
        p.parse()
            .map_err(|e: String| crate::usage(anyhow::anyhow!("--platform: {e}")))
    })
    .transpose()
}

/// A document file (or `-`), whole, at most [`sbom_core::read::MAX_DOCUMENT_BYTES`].
fn read_document(path: &Path) -> Result<Vec<u8>> {
    let max = sbom_core::read::MAX_DOCUMENT_BYTES;
    let mut bytes = Vec::new();
    let read = if path.as_os_str() == "-" {
        std::io::stdin()
            .lock()
            .take(max + 1)
            .read_to_end(&mut bytes)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(max + 1).read_to_end(&mut bytes))
    };
    read.with_context(|| format!("reading {}", path.display()))?;
    if bytes.len() as u64 > max {
        anyhow::bail!(
            "{}: larger than {max} bytes, the most an SBOM document may be",
            path.display()
        );
    }
    Ok(bytes)
}

/// The artifact types `--type` names: `spdx`, `cyclonedx`, `in-toto`, or one media type.
fn artifact_types(kind: &str) -> Result<Vec<String>> {
    use layer_walker::referrers::*;
    let types: &[&str] = match kind {
        "spdx" => &[ARTIFACT_SPDX, ARTIFACT_SPDX_TAG_VALUE],
        "cyclonedx" => &[ARTIFACT_CYCLONEDX, ARTIFACT_CYCLONEDX_XML],
        "in-toto" => &[ARTIFACT_IN_TOTO],
        t if t.contains('/') => return Ok(vec![base_media_type(t).to_string()]),
        other => {
            return Err(crate::usage(anyhow::anyhow!(
                "--type {other:?}: expected spdx, cyclonedx, in-toto or a media type (type/subtype)"
            )))
        }
    };
    Ok(types.iter().map(|t| t.to_string()).collect())
}

fn base_media_type(t: &str) -> &str {
    t.split(';').next().unwrap_or(t).trim()
}

fn is_of_type(d: &layer_walker::referrers::Descriptor, types: &[String]) -> bool {
    d.artifact_type
        .as_deref()
        .is_some_and(|a| types.iter().any(|t| t == base_media_type(a)))
}
