//! The subcommands that read SBOMs rather than write them: `check` (the policy gate) and
//! `diff`. Each side they read is a document or an image; [`load`] decides which.

pub mod cache;
pub mod check;
pub mod diff;

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
