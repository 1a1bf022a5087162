//! `sbom attach IMAGE DOCUMENT...`: pushes each SBOM document to the image's registry as an
//! OCI 1.1 referrer of the image (see `layer_walker::referrers`), and `scan --attach`'s
//! second half.

use std::path::PathBuf;

use anyhow::{Context, Result};
use layer_walker::referrers::{Document, Referrers};
use layer_walker::RegistryRef;
use sbom_core::format::WriteOptions;

use crate::cli::RegistryArgs;

#[derive(clap::Args, Debug, Clone)]
pub struct AttachArgs {
    /// The image in its registry: [registry:]HOST[:PORT]/REPO[:TAG|@sha256:...]
    #[arg(value_name = "IMAGE")]
    pub image: String,
    /// The documents: SPDX (2 JSON, 3 JSON-LD, tag-value), CycloneDX (JSON, XML) or in-toto
    /// statements, told apart by their content
    #[arg(value_name = "DOCUMENT", required = true)]
    pub documents: Vec<PathBuf>,
    /// For a multi-platform index: attach to this platform's manifest instead of the index
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Option<String>,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

pub fn run(args: &AttachArgs, quiet: bool) -> Result<()> {
    let image = super::registry_image(&args.image)?;
    let platform = super::platform(args.platform.as_deref())?;
    // every document is read and recognised before anything is pushed
    let mut docs = Vec::new();
    for path in &args.documents {
        let bytes = super::read_document(path)?;
        let title = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .filter(|_| path.as_os_str() != "-");
        let doc = Document::detect(title, bytes)
            .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.reason))?;
        docs.push(doc);
    }
    let opts = crate::registry_options_from(&args.registry)?;
    attach(&image, &opts, platform.as_ref(), &docs, None, quiet)
}

/// What `scan --attach` read: the subject must be that image still.
pub struct Scanned<'a> {
    /// The manifest digest the scan read, when the source recorded one.
    pub manifest_digest: Option<&'a str>,
}

/// Pushes `docs` as referrers of `image` (of its `platform` manifest, for an index). From
/// `scan --attach`, `scanned` says what the scan read (and stdout may hold a document, so the
/// digests are reported on stderr only).
pub fn attach(
    image: &RegistryRef,
    opts: &layer_walker::RegistryOptions,
    platform: Option<&sbom_core::Platform>,
    docs: &[Document],
    scanned: Option<Scanned<'_>>,
    quiet: bool,
) -> Result<()> {
    let registry = Referrers::connect_for_push(image, opts)?;
    let subject = registry.subject(platform)?;
    if let Some(scanned) = scanned.as_ref().and_then(|s| s.manifest_digest) {
        let index = subject.media_type.contains("index") || subject.media_type.contains("list");
        if !index && subject.digest.to_string() != scanned {
            anyhow::bail!(
                "registry:{image}: the tag now names {} but the scan read {scanned}; nothing attached (scan {}@{scanned} to pin it)",
                subject.digest,
                image.name()
            );
        }
    }
    let created = WriteOptions::from_env().created_rfc3339();
    for doc in docs {
        let name = doc.title.as_deref().unwrap_or("standard input");
        let done = registry
            .attach(&subject, doc, &created)
            .with_context(|| format!("attaching {name}"))?;
        // `scan --attach` may have written a document to stdout: then only stderr says it
        if scanned.is_none() {
            println!(
                "{} {} {}",
                done.manifest.digest,
                doc.artifact_type,
                sbom_core::format::printable(name)
            );
        }
        if !quiet {
            eprintln!(
                "attached {} to {}@{} ({})",
                sbom_core::format::printable(name),
                image.name(),
                subject.digest,
                done.support
            );
        }
    }
    Ok(())
}
