//! `sbom discover IMAGE`: the artifacts attached to an image (SBOMs, signatures,
//! attestations: every referrer), as a tree like `oras discover` prints, or JSON.

use anyhow::Result;
use clap::ValueEnum;
use layer_walker::referrers::{Descriptor, Referrers};
use sbom_core::format::printable;

use crate::cli::RegistryArgs;

#[derive(clap::Args, Debug, Clone)]
pub struct DiscoverArgs {
    /// The image in its registry: [registry:]HOST[:PORT]/REPO[:TAG|@sha256:...]
    #[arg(value_name = "IMAGE")]
    pub image: String,
    /// Only artifacts of this type: spdx, cyclonedx, in-toto, or a media type
    #[arg(long = "type", value_name = "TYPE")]
    pub kind: Option<String>,
    /// How to print them
    #[arg(short, long, value_enum, default_value_t = DiscoverFormat::Tree)]
    pub output: DiscoverFormat,
    /// For a multi-platform index: the referrers of this platform's manifest instead
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Option<String>,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiscoverFormat {
    Tree,
    Json,
}

pub fn run(args: &DiscoverArgs) -> Result<()> {
    let image = super::registry_image(&args.image)?;
    let platform = super::platform(args.platform.as_deref())?;
    let wanted = args
        .kind
        .as_deref()
        .map(super::artifact_types)
        .transpose()?;
    let opts = crate::registry_options_from(&args.registry)?;
    let registry = Referrers::connect(&image, &opts)?;
    let subject = registry.subject(platform.as_ref())?;
    let listing = registry.list(&subject)?;
    let referrers: Vec<&Descriptor> = listing
        .referrers
        .iter()
        .filter(|d| wanted.as_ref().is_none_or(|w| super::is_of_type(d, w)))
        .collect();
    match args.output {
        DiscoverFormat::Json => {
            let v = serde_json::json!({
                "reference": format!("{}@{}", image.name(), subject.digest),
                "subject": subject,
                "support": listing.support,
                "manifests": referrers,
            });
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        DiscoverFormat::Tree => {
            println!("{}@{}", image.name(), subject.digest);
            // grouped by artifact type, in the order each type first appears
            let mut types: Vec<&str> = Vec::new();
            for d in &referrers {
                let t = d.artifact_type.as_deref().unwrap_or("(no artifact type)");
                if !types.contains(&t) {
                    types.push(t);
                }
            }
            for (ti, t) in types.iter().enumerate() {
                let last_type = ti + 1 == types.len();
                println!(
                    "{}{}",
                    if last_type {
                        "└── "
                    } else {
                        "├── "
                    },
                    printable(t)
                );
                let pad = if last_type { "    " } else { "│   " };
                let of_type: Vec<&&Descriptor> = referrers
                    .iter()
                    .filter(|d| d.artifact_type.as_deref().unwrap_or("(no artifact type)") == *t)
                    .collect();
                for (i, d) in of_type.iter().enumerate() {
                    let last = i + 1 == of_type.len();
                    println!("{pad}{}{}", if last { "└── " } else { "├── " }, d.digest);
                    let pad2 = format!("{pad}{}", if last { "    " } else { "│   " });
                    let mut lines = vec![format!("size: {}", d.size)];
                    lines.extend(
                        d.annotations
                            .iter()
                            .map(|(k, v)| format!("{}: {}", printable(k), printable(v))),
                    );
                    for (j, l) in lines.iter().enumerate() {
                        let b = if j + 1 == lines.len() {
                            "└── "
                        } else {
                            "├── "
                        };
                        println!("{pad2}{b}{l}");
                    }
                }
            }
        }
    }
    Ok(())
}
