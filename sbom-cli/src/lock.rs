//! `sbom lock`: the image scanned with its Dockerfile, then the Dockerfile written back with
//! the packages each RUN line installed pinned (see `layer_walker::dockerfile::lock`).

use std::io::Write;

use anyhow::{Context, Result};

use crate::cli::{LockArgs, ScanArgs, ScopeArg};

pub(crate) fn run(args: &LockArgs, quiet: bool) -> Result<()> {
    let text = std::fs::read_to_string(&args.dockerfile)
        .with_context(|| format!("reading the Dockerfile {}", args.dockerfile.display()))
        .map_err(crate::usage)?;
    // the scan parses the Dockerfile too and fails on a bad one or an unknown target first
    let scan = ScanArgs {
        images: vec![args.image.clone()],
        images_from: None,
        outputs: Vec::new(),
        dockerfile: Some(args.dockerfile.clone()),
        target: args.target.clone(),
        select: args.select.clone(),
        platform: args.platform.clone(),
        scope: ScopeArg::Squashed,
        files: false,
        supplier: None,
        creator: None,
        no_verify: args.no_verify,
        full: false,
        attach: false,
        registry: args.registry.clone(),
        cache: Default::default(),
    };
    let inv = crate::scan_inventory(&scan, &args.image, None, quiet)?.inventory;
    let df = layer_walker::dockerfile::parse(&text)?;
    // bases are pinned by what their registry serves now; credentials come from the usual
    // files (the --registry-username/password flags are for the image's own registry)
    let mut opts = layer_walker::RegistryOptions::default();
    opts.ca_files = args.registry.registry_ca.clone();
    opts.insecure_hosts = args.registry.insecure_registry.clone();
    opts.timeout = std::time::Duration::from_secs(args.registry.registry_timeout.max(1));
    let mut resolve = |base: &str| -> std::result::Result<String, String> {
        let r = layer_walker::RegistryRef::parse(base).map_err(|e| e.to_string())?;
        layer_walker::manifest_digest(&r, &opts)
            .map(|d| d.to_string())
            .map_err(|e| format!("its registry did not give its digest ({e})"))
    };
    let locked = layer_walker::dockerfile::lock_with_bases(&text, &df, &inv, &mut resolve);
    if !quiet {
        for (line, note) in &locked.notes {
            tracing::warn!(
                "Dockerfile line {line}: {}",
                sbom_core::format::printable(note)
            );
        }
        tracing::info!("{} packages pinned", locked.pinned.len());
    }
    match &args.output {
        Some(path) => crate::output::write_file(path, locked.text.as_bytes())
            .with_context(|| format!("writing {}", path.display())),
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(locked.text.as_bytes())
                .and_then(|()| out.flush())
                .context("writing to stdout")
        }
    }
}
