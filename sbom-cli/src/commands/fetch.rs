//! `sbom fetch IMAGE --type spdx`: writes out an SBOM document attached to the image,
//! checked against its digest. Several of the type: the newest by its creation annotation,
//! or `--digest` picks one.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use layer_walker::referrers::{Descriptor, Referrers};

use crate::cli::RegistryArgs;

#[derive(clap::Args, Debug, Clone)]
pub struct FetchArgs {
    /// The image in its registry: [registry:]HOST[:PORT]/REPO[:TAG|@sha256:...]
    #[arg(value_name = "IMAGE")]
    pub image: String,
    /// Which document: spdx, cyclonedx, in-toto, or an artifact media type
    #[arg(long = "type", value_name = "TYPE")]
    pub kind: String,
    /// The artifact manifest to fetch, when several of the type are attached
    #[arg(long, value_name = "sha256:...")]
    pub digest: Option<String>,
    /// Where to write the document (default: stdout)
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// For a multi-platform index: a document attached to this platform's manifest
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Option<String>,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

pub fn run(args: &FetchArgs, quiet: bool) -> Result<()> {
    let image = super::registry_image(&args.image)?;
    let platform = super::platform(args.platform.as_deref())?;
    let wanted = super::artifact_types(&args.kind)?;
    let pick: Option<layer_walker::Digest> = args
        .digest
        .as_deref()
        .map(|d| d.parse())
        .transpose()
        .map_err(|e| crate::usage(anyhow::anyhow!("--digest: {e}")))?;
    let opts = crate::registry_options_from(&args.registry)?;
    let registry = Referrers::connect(&image, &opts)?;
    let subject = registry.subject(platform.as_ref())?;
    let listing = registry.list(&subject)?;
    let at = format!("{}@{}", image.name(), subject.digest);
    let matching: Vec<&Descriptor> = listing
        .referrers
        .iter()
        .filter(|d| super::is_of_type(d, &wanted))
        .filter(|d| pick.as_ref().is_none_or(|p| d.digest == *p))
        .collect();
    let chosen = match (matching.as_slice(), &pick) {
        ([], Some(p)) => bail!("{at}: no {} artifact {p} is attached", args.kind),
        ([], None) => bail!("{at}: no {} document is attached ({})", args.kind, listing.support),
        ([one], _) => *one,
        (several, _) => newest(several).ok_or_else(|| {
            let list: Vec<String> = several
                .iter()
                .map(|d| format!("{} ({})", d.digest, d.created().unwrap_or("no creation time")))
                .collect();
            anyhow::anyhow!(
                "{at}: {} {} documents are attached and none is the newest by its creation time; choose one with --digest: {}",
                several.len(),
                args.kind,
                list.join(", ")
            )
        })?,
    };
    let (layer, bytes) = registry.fetch(chosen)?;
    match &args.output {
        Some(path) => crate::output::write_file(path, &bytes)
            .with_context(|| format!("writing {}", path.display()))?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(&bytes).context("writing to stdout")?;
            out.flush().ok();
        }
    }
    if !quiet {
        eprintln!(
            "{}: {} document {} ({} bytes) from artifact {}",
            at, layer.media_type, layer.digest, layer.size, chosen.digest
        );
    }
    Ok(())
}

/// The one with the latest `org.opencontainers.image.created`, when every candidate has
/// one in the form tools write (`YYYY-MM-DDThh:mm:ss[.frac]Z`, which sorts as text) and
/// the latest is not shared.
fn newest<'a>(several: &[&'a Descriptor]) -> Option<&'a Descriptor> {
    let mut dated: Vec<(&str, &Descriptor)> = Vec::new();
    for d in several {
        let c = d.created().filter(|c| utc_timestamp(c))?;
        dated.push((c, d));
    }
    dated.sort_by(|a, b| b.0.cmp(a.0));
    match dated.as_slice() {
        [(a, d), (b, _), ..] if a != b => Some(d),
        [(_, d)] => Some(d),
        _ => None,
    }
}

fn utc_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    b.len() >= 20
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19)
        && b[b.len() - 1] == b'Z'
        && (b.len() == 20 || (b[19] == b'.' && digits(20..b.len() - 1) && b.len() > 21))
}
