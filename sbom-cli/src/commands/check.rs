//! `sbom check TARGET --policy FILE`: the policy gate. Exit 0 passes, 1 violations, 2 the
//! check could not be made (usage, policy, or an unreadable document or image).

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::ValueEnum;
use sbom_core::format::printable;
use sbom_core::policy::{sarif, Field, LicensePattern, PackagePattern, Policy, Report};

use super::{load, ImageArgs};

#[derive(clap::Args, Debug, Clone)]
pub struct CheckArgs {
    /// An SBOM document (SPDX 2.3 JSON, CycloneDX 1.4-1.6 JSON, or an in-toto statement of
    /// either, from any producer; - for standard input) or an image, as `sbom scan` takes it
    #[arg(value_name = "DOCUMENT|IMAGE")]
    pub target: OsString,
    /// The policy file: TOML, or YAML when it ends in .yaml/.yml
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Deny a license (an SPDX id, or a prefix ending in *): repeatable
    #[arg(long, value_name = "LICENSE")]
    pub deny_license: Vec<String>,
    /// Allow a license (an SPDX id, or a prefix ending in *); with any, every package's
    /// license must be satisfiable with allowed ones: repeatable
    #[arg(long, value_name = "LICENSE")]
    pub allow_license: Vec<String>,
    /// Deny a package by purl, optionally with a version range: pkg:deb/debian/curl,
    /// 'pkg:pypi/requests@<2.32', 'pkg:npm/lodash@>=4.0.0,<4.17.21': repeatable
    #[arg(long, value_name = "PURL[@RANGE]")]
    pub deny_package: Vec<String>,
    /// Require a field of every package: supplier, license, version, purl: repeatable
    #[arg(long, value_name = "FIELD")]
    pub require: Vec<String>,
    /// Report format
    #[arg(long, short = 'f', value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,
    /// Write the report to FILE instead of stdout
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub image: ImageArgs,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    Table,
    Json,
    Sarif,
}

/// The policy of the file and the flags together.
pub fn policy(args: &CheckArgs) -> Result<Policy> {
    let mut policy = match &args.policy {
        Some(p) => Policy::from_file(p)?,
        None => Policy::default(),
    };
    let mut flags = Policy::default();
    for l in &args.deny_license {
        flags
            .deny_licenses
            .push(LicensePattern::parse(l).context("--deny-license")?);
    }
    for l in &args.allow_license {
        flags
            .allow_licenses
            .push(LicensePattern::parse(l).context("--allow-license")?);
    }
    for p in &args.deny_package {
        flags
            .deny_packages
            .push(PackagePattern::parse(p).context("--deny-package")?);
    }
    for f in &args.require {
        flags.require.push(f.parse::<Field>().context("--require")?);
    }
    policy.extend(flags);
    if policy.is_empty() {
        anyhow::bail!("no rules: give --policy FILE or at least one of --deny-license, --allow-license, --deny-package, --require");
    }
    Ok(policy)
}

/// Runs the check; `Ok(passed)`. Errors are the caller's exit status 2.
pub fn run(args: &CheckArgs, quiet: bool) -> Result<bool> {
    let policy = policy(args)?;
    let doc = load(&args.target, &args.image, quiet)?;
    let report = policy.check(&doc);
    let mut out: Box<dyn Write> = match &args.output {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?,
        )),
        None => Box::new(std::io::stdout().lock()),
    };
    match args.format {
        ReportFormat::Table => table(&report, &mut out)?,
        ReportFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &report)?;
            writeln!(out)?;
        }
        ReportFormat::Sarif => {
            let log = sarif::to_sarif(&report, env!("CARGO_PKG_VERSION"));
            serde_json::to_writer_pretty(&mut out, &log)?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    Ok(report.passed())
}

fn table(report: &Report, out: &mut dyn Write) -> Result<()> {
    let width = report
        .violations
        .iter()
        .map(|v| v.rule.id().len())
        .max()
        .unwrap_or(4);
    if !report.violations.is_empty() {
        writeln!(out, "{:width$}  MESSAGE", "RULE")?;
    }
    for v in &report.violations {
        writeln!(out, "{:width$}  {}", v.rule.id(), printable(&v.message))?;
    }
    let verdict = if report.passed() { "PASS" } else { "FAIL" };
    writeln!(
        out,
        "{verdict}: {} ({}, {} packages): {} violation{}",
        printable(&report.document),
        report.format,
        report.packages,
        report.violations.len(),
        if report.violations.len() == 1 {
            ""
        } else {
            "s"
        }
    )?;
    Ok(())
}
