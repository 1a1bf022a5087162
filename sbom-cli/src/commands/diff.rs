//! `sbom diff OLD NEW`: packages added, removed, upgraded and downgraded between two
//! documents or images. With `--exit-code`, 1 when anything changed (as `git diff`).

use std::ffi::OsString;
use std::io::Write;

use anyhow::Result;
use clap::ValueEnum;
use sbom_core::diff::{diff, Change, Diff, Entry};
use sbom_core::format::printable;
use sbom_core::read::Origin;

use super::{load, ImageArgs};

#[derive(clap::Args, Debug, Clone)]
pub struct DiffArgs {
    /// The old side: an SBOM document or an image
    #[arg(value_name = "OLD")]
    pub old: OsString,
    /// The new side: an SBOM document or an image
    #[arg(value_name = "NEW")]
    pub new: OsString,
    /// Output format
    #[arg(long, short = 'f', value_enum, default_value_t = DiffFormat::Table)]
    pub format: DiffFormat,
    /// Exit with 1 when anything changed, 0 when nothing did
    #[arg(long)]
    pub exit_code: bool,
    #[command(flatten)]
    pub image: ImageArgs,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiffFormat {
    Table,
    Json,
}

/// Runs the diff; `Ok(changed)`.
pub fn run(args: &DiffArgs, quiet: bool) -> Result<bool> {
    let old = load(&args.old, &args.image, quiet)?;
    let new = load(&args.new, &args.image, quiet)?;
    let d = diff(&old, &new);
    let mut out = std::io::stdout().lock();
    match args.format {
        DiffFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &d)?;
            writeln!(out)?;
        }
        DiffFormat::Table => table(&d, &mut out)?,
    }
    out.flush()?;
    Ok(!d.is_empty())
}

fn origin(o: &Option<Origin>) -> String {
    match o {
        None => String::new(),
        Some(o) => match &o.instruction {
            Some(i) => format!("  [layer {}: {}]", o.layer, shorten(i)),
            None => format!("  [layer {}]", o.layer),
        },
    }
}

fn shorten(s: &str) -> String {
    let s = printable(s);
    if s.chars().count() > 70 {
        let cut: String = s.chars().take(67).collect();
        format!("{cut}...")
    } else {
        s.into_owned()
    }
}

fn entry(mark: char, e: &Entry) -> String {
    format!(
        "  {mark} {} {}{}",
        printable(&e.name),
        printable(e.version.as_deref().unwrap_or("")),
        origin(&e.origin)
    )
}

fn change(mark: char, c: &Change) -> String {
    format!(
        "  {mark} {} {} -> {}{}",
        printable(&c.name),
        printable(&c.from),
        printable(&c.to),
        origin(&c.origin)
    )
}

fn table(d: &Diff, out: &mut dyn Write) -> Result<()> {
    writeln!(out, "--- {}\n+++ {}", printable(&d.old), printable(&d.new))?;
    let sections: [(&str, Vec<String>); 5] = [
        ("added", d.added.iter().map(|e| entry('+', e)).collect()),
        ("removed", d.removed.iter().map(|e| entry('-', e)).collect()),
        (
            "upgraded",
            d.upgraded.iter().map(|c| change('^', c)).collect(),
        ),
        (
            "downgraded",
            d.downgraded.iter().map(|c| change('v', c)).collect(),
        ),
        (
            "changed (no version order)",
            d.changed.iter().map(|c| change('~', c)).collect(),
        ),
    ];
    for (title, lines) in &sections {
        if lines.is_empty() {
            continue;
        }
        writeln!(out, "{title} ({})", lines.len())?;
        for l in lines {
            writeln!(out, "{l}")?;
        }
    }
    writeln!(
        out,
        "{} added, {} removed, {} upgraded, {} downgraded, {} changed",
        d.added.len(),
        d.removed.len(),
        d.upgraded.len(),
        d.downgraded.len(),
        d.changed.len()
    )?;
    Ok(())
}
