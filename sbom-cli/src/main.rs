//! `sbom`: software bills of materials for container images. Thin glue: the work happens in
//! `layer-walker` (reading images) and `sbom-core` (the model and the document writers).

mod batch;
mod cli;
mod commands;
mod lock;
mod output;
mod progress;

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{CommandFactory, Parser};
use cli::{Cli, Command, ScanArgs, ScopeArg};
use layer_walker::{Credentials, ImageRef, RegistryOptions, Scanner};
use sbom_core::format::{Table, WriteOptions};
use sbom_core::Scope;

fn main() -> ExitCode {
    bound_allocator_retention();
    let cli = Cli::parse();
    init_logging(cli.verbose, cli.quiet);
    let result = match &cli.command {
        // check and diff answer with their exit status; any error of theirs is 2
        Command::Check(args) => {
            return gate(commands::check::run(args, cli.quiet).map(|pass| !pass))
        }
        Command::Diff(args) => {
            return gate(
                commands::diff::run(args, cli.quiet).map(|changed| changed && args.exit_code),
            )
        }
        Command::Scan(args) => scan(args, cli.quiet, cli.verbose > 0, false),
        Command::Layers(args) => scan(args, cli.quiet, cli.verbose > 0, true),
        Command::Lock(args) => lock::run(args, cli.quiet),
        Command::Cache(args) => commands::cache::run(args),
        Command::Attach(args) => commands::attach::run(args, cli.quiet),
        Command::Discover(args) => commands::discover::run(args),
        Command::Fetch(args) => commands::fetch::run(args, cli.quiet),
        Command::Completions { shell } => {
            clap_complete::generate(*shell, &mut Cli::command(), "sbom", &mut std::io::stdout());
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // one line per cause, no Debug dump; names from the image may carry escapes
            eprintln!("error: {}", sbom_core::format::printable(&format!("{e:#}")));
            if let Some(hint) = hint(&e) {
                eprintln!("hint: {hint}");
            }
            ExitCode::from(exit_code(&e))
        }
    }
}

/// The exit status of `check` and `diff`: 1 when the check failed or something changed,
/// 0 otherwise, 2 when the answer could not be found.
fn gate(result: Result<bool>) -> ExitCode {
    match result {
        Ok(fail) => ExitCode::from(u8::from(fail)),
        Err(e) => {
            eprintln!("error: {}", sbom_core::format::printable(&format!("{e:#}")));
            ExitCode::from(2)
        }
    }
}

/// Claimed files (ELF binaries, jars) are read whole and freed right after parsing. glibc
/// raises its mmap threshold to the largest such buffer freed, after which later big buffers
/// come from the heap and stay mapped when freed: measured on debian-large, peak RSS 92 MB
/// with the dynamic threshold, 69 MB with it pinned at 128 KiB. Pinning it keeps big transient
/// buffers in their own mappings, returned to the system on free.
fn bound_allocator_retention() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator tuning; called before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

fn init_logging(verbose: u8, quiet: bool) {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("SBOM_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .without_time()
        .init();
}

/// 2 for problems with what the user typed, 1 for problems with the image.
fn exit_code(e: &anyhow::Error) -> u8 {
    if e.downcast_ref::<UsageError>().is_some() {
        2
    } else {
        1
    }
}

fn hint(e: &anyhow::Error) -> Option<&'static str> {
    use layer_walker::ErrorKind;
    match e.downcast_ref::<layer_walker::Error>()?.kind() {
        ErrorKind::DigestMismatch | ErrorKind::SizeMismatch => {
            Some("the archive is corrupt or was modified; --no-verify scans it anyway")
        }
        ErrorKind::PlatformNotFound => Some("choose one with --platform OS/ARCH[/VARIANT]"),
        ErrorKind::ImageNotChosen => Some("choose one with --image TAG or --image @N"),
        ErrorKind::EngineApi => {
            Some("save the image and scan the archive instead: docker save NAME | sbom scan -")
        }
        ErrorKind::AuthFailed => Some(
            "log in with docker login or podman login, or pass --registry-username with SBOM_REGISTRY_PASSWORD or --registry-password-stdin",
        ),
        _ => None,
    }
}

#[derive(Debug)]
struct UsageError(String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

pub(crate) fn usage(e: anyhow::Error) -> anyhow::Error {
    anyhow::Error::new(UsageError(format!("{e:#}")))
}

fn scan(args: &ScanArgs, quiet: bool, verbose: bool, layers_report: bool) -> Result<()> {
    let default_format = if layers_report || std::io::stdout().is_terminal() {
        "table"
    } else {
        "json"
    };
    // --verbose shows more everywhere: logs, and every package in the layer report
    let table = Table::new()
        .full(args.full || verbose)
        .width(terminal_width());
    let outs = if layers_report && args.outputs.is_empty() {
        output::parse(&["table".to_string()], default_format, &table)
    } else {
        output::parse(&args.outputs, default_format, &table)
    }
    .map_err(usage)?;
    let images = batch::images(&args.images, args.images_from.as_deref()).map_err(usage)?;
    let cache = args.cache.open(images.len()).map_err(usage)?;
    let opts = WriteOptions::from_env().with_creator(args.creator.clone());
    // the password is read (from standard input, maybe) once, for every image and push
    let stdin_used = images.iter().any(|i| i == "-")
        || args.images_from.as_deref() == Some(std::path::Path::new("-"));
    if args.registry.registry_password_stdin && stdin_used {
        return Err(usage(anyhow::anyhow!(
            "--registry-password-stdin: standard input is already the image or the image list"
        )));
    }
    let ropts = registry_options_from(&args.registry)?;
    // one image's documents: written, and with --attach pushed beside it
    let one = |image: &std::ffi::OsStr, name: &dyn Fn(&std::path::Path) -> std::path::PathBuf| {
        if args.attach {
            scan_and_attach(args, image, &outs, cache.clone(), quiet, &ropts, name)
        } else {
            let s = scan_inventory_with(
                args,
                image,
                cache.clone(),
                quiet,
                Some(ropts.clone()),
                output::need_file_sha1(&outs),
            )?;
            output::write_all_as(&outs, &s.inventory, &opts, name)?;
            Ok(s)
        }
    };
    if images.len() == 1 {
        // placeholders are filled in for one image too: a list that happens to hold one
        // image (one shard of a fleet's list) must not write a file named `{name}.json`
        let name = batch::file_name_for(&images[0]);
        return one(&images[0], &|p| batch::expand(p, &name, 0)).map(|_| ());
    }
    // several images: checked before the first is scanned, so a typo costs nothing
    let names: Vec<String> = images.iter().map(batch::file_name_for).collect();
    let files: Vec<&std::path::Path> = outs.iter().filter_map(|o| o.file.as_deref()).collect();
    batch::check_templates(&files, &names).map_err(usage)?;
    if let Some(o) = outs
        .iter()
        .find(|o| o.file.is_none() && o.writer.name() != "table")
    {
        return Err(usage(anyhow::anyhow!(
            "with several images, {} cannot go to stdout: give it a file, -o {}=out/{{name}}.json",
            o.writer.name(),
            o.writer.name()
        )));
    }
    let mut rows = Vec::new();
    for (i, image) in images.iter().enumerate() {
        let started = std::time::Instant::now();
        let shown = sbom_core::format::printable(&image.to_string_lossy()).into_owned();
        let outcome = one(image, &|p| batch::expand(p, &names[i], i)).map(|s| batch::Done {
            packages: s.inventory.installed().count(),
            layers: s.layers,
            cached: s.cached,
            incomplete: s.inventory.is_incomplete(),
        });
        if let Err(e) = &outcome {
            // each failure as a single run would print it (naming the image, which the
            // library's errors mostly do already), and the batch goes on
            let msg = sbom_core::format::printable(&format!("{e:#}")).into_owned();
            if msg.contains(shown.as_str()) {
                eprintln!("error: {msg}");
            } else {
                eprintln!("error: {shown}: {msg}");
            }
        }
        rows.push(batch::Row {
            image: shown,
            outcome: outcome.map_err(|e| sbom_core::format::printable(&format!("{e}")).to_string()),
            seconds: started.elapsed().as_secs_f64(),
        });
    }
    if !quiet {
        eprint!("{}", batch::summary(&rows));
    }
    let failed = rows.iter().filter(|r| r.outcome.is_err()).count();
    if failed > 0 {
        anyhow::bail!("{failed} of {} images could not be scanned", rows.len());
    }
    Ok(())
}

/// What one image's scan gives the command line.
pub(crate) struct Scanned {
    pub inventory: sbom_core::Inventory,
    /// Layers in the image.
    pub layers: usize,
    /// Of which taken from the layer cache.
    pub cached: usize,
}

/// `scan registry:IMAGE -o ... --attach`: the documents are written as usual, then every
/// SPDX, CycloneDX and in-toto one is attached to the image the scan read.
fn scan_and_attach(
    args: &ScanArgs,
    image: &std::ffi::OsStr,
    outs: &[output::Output],
    cache: Option<std::sync::Arc<dyn layer_walker::cache::LayerCache>>,
    quiet: bool,
    ropts: &RegistryOptions,
    name: &dyn Fn(&std::path::Path) -> std::path::PathBuf,
) -> Result<Scanned> {
    use layer_walker::referrers::{self, Document};
    let parsed = ImageRef::parse_os(image).map_err(|e| usage(e.into()))?;
    let ImageRef::Registry(r) = &parsed else {
        return Err(usage(anyhow::anyhow!(
            "--attach: the image must be a registry: image (the documents go to its registry)"
        )));
    };
    let attachable = [
        referrers::ARTIFACT_SPDX,
        referrers::ARTIFACT_SPDX_TAG_VALUE,
        referrers::ARTIFACT_CYCLONEDX,
        referrers::ARTIFACT_CYCLONEDX_XML,
        referrers::ARTIFACT_IN_TOTO,
    ];
    let is_attachable = |o: &output::Output| {
        let mt = o.writer.format().media_type;
        attachable.contains(&mt.split(';').next().unwrap_or(mt).trim())
    };
    if !outs.iter().any(is_attachable) {
        return Err(usage(anyhow::anyhow!(
            "--attach: no document to attach; add -o spdx-json, cyclonedx-json or in-toto-spdx-json (=FILE)"
        )));
    }
    let platform = match &args.platform {
        Some(p) => Some(
            p.parse()
                .map_err(|e: String| usage(anyhow::anyhow!("--platform: {e}")))?,
        ),
        None => None,
    };
    let file_sha1 = output::need_file_sha1(outs);
    let scanned = scan_inventory_with(args, image, cache, quiet, Some(ropts.clone()), file_sha1)?;
    let inv = &scanned.inventory;
    // each document is rendered once: the bytes written are the bytes attached
    let opts = WriteOptions::from_env().with_creator(args.creator.clone());
    let mut docs = Vec::new();
    for o in outs {
        let mut bytes = Vec::new();
        o.writer
            .write(inv, &opts, &mut bytes)
            .with_context(|| format!("writing {}", o.writer.name()))?;
        let file = o.file.as_deref().map(name);
        match &file {
            Some(path) => output::write_file(path, &bytes)
                .with_context(|| format!("writing {} to {}", o.writer.name(), path.display()))?,
            None => {
                use std::io::Write;
                let mut out = std::io::stdout().lock();
                out.write_all(&bytes)
                    .with_context(|| format!("writing {} to stdout", o.writer.name()))?;
                out.flush().ok();
            }
        }
        if is_attachable(o) {
            let title = match &file {
                Some(p) => p.file_name().map(|n| n.to_string_lossy().into_owned()),
                None => Some(format!("sbom.{}", o.writer.format().file_extension)),
            };
            let doc = Document::detect(title, bytes)
                .map_err(|e| anyhow::anyhow!("{} output: {e}", o.writer.name()))?;
            docs.push(doc);
        }
    }
    commands::attach::attach(
        r,
        ropts,
        platform.as_ref(),
        &docs,
        Some(commands::attach::Scanned {
            manifest_digest: inv.image.manifest_digest.as_deref(),
        }),
        quiet,
    )?;
    Ok(scanned)
}

/// Scans `image` as `args` say, with warnings logged unless `quiet`.
pub(crate) fn scan_inventory(
    args: &ScanArgs,
    image: &std::ffi::OsStr,
    cache: Option<std::sync::Arc<dyn layer_walker::cache::LayerCache>>,
    quiet: bool,
) -> Result<Scanned> {
    scan_inventory_with(args, image, cache, quiet, None, true)
}

/// [`scan_inventory`], with the registry options already made from the flags, if they were
/// (the password may come from standard input, read once for the scan and the push).
fn scan_inventory_with(
    args: &ScanArgs,
    image: &std::ffi::OsStr,
    cache: Option<std::sync::Arc<dyn layer_walker::cache::LayerCache>>,
    quiet: bool,
    registry: Option<RegistryOptions>,
    file_sha1: bool,
) -> Result<Scanned> {
    let mut scanner = Scanner::new()
        .verify_digests(!args.no_verify)
        .scope(match args.scope {
            ScopeArg::Squashed => Scope::Squashed,
            ScopeArg::AllLayers => Scope::AllLayers,
        })
        .files(args.files)
        .file_sha1(file_sha1);
    if let Some(i) = &args.select {
        scanner = scanner.image(i.clone());
    }
    if let Some(p) = &args.platform {
        let platform = p
            .parse()
            .map_err(|e: String| usage(anyhow::anyhow!("--platform: {e}")))?;
        scanner = scanner.platform(platform);
    }
    if let Some(path) = &args.dockerfile {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the Dockerfile {}", path.display()))
            .map_err(usage)?;
        scanner = scanner.dockerfile(text);
        if let Some(t) = &args.target {
            scanner = scanner.dockerfile_target(t.clone());
        }
    }
    // a reference that names no image kind is the user's mistake, found before any work
    let image = ImageRef::parse_os(image).map_err(|e| usage(e.into()))?;
    let registry = match registry {
        Some(r) => r,
        None => registry_options(args, &image)?,
    };
    scanner = scanner.registry(registry);
    if let Some(cache) = cache {
        scanner = scanner.cache(cache);
    }
    let scan = match progress::bar(quiet) {
        Some((pb, cb)) => {
            let r = scanner.on_progress(cb).scan(&image);
            pb.finish_and_clear();
            r?
        }
        None => scanner.scan(&image)?,
    };
    let layers = scan.cached.len();
    let cached = scan.cached.iter().filter(|c| **c).count();
    if cached > 0 {
        tracing::info!("{cached} of {layers} layers from the layer cache");
    }
    let mut inv = scan.inventory;
    inv.image.supplier = args.supplier.clone().filter(|s| !s.trim().is_empty());
    if !quiet {
        // a bare name could have come from several places: say which one it was
        if let ImageRef::Name { reference } = &image {
            eprintln!(
                "{}: read from {}:{}",
                sbom_core::format::printable(reference),
                inv.image.source_kind,
                sbom_core::format::printable(reference)
            );
        }
        for w in &inv.warnings {
            let place = w
                .path
                .as_deref()
                .map(|p| format!("{p}: "))
                .unwrap_or_default();
            let text = format!("{place}{}", w.message);
            tracing::warn!("{}", sbom_core::format::printable(&text));
        }
        if inv.is_incomplete() {
            tracing::warn!("the inventory is INCOMPLETE: some package databases could not be read in full (recorded in the SBOM)");
        }
    }
    Ok(Scanned {
        inventory: inv,
        layers,
        cached,
    })
}

/// Registry options from the flags; the password from the environment or standard input only.
fn registry_options(args: &ScanArgs, image: &ImageRef) -> Result<RegistryOptions> {
    if args.registry.registry_password_stdin && matches!(image, ImageRef::Stdin { .. }) {
        return Err(usage(anyhow::anyhow!(
            "--registry-password-stdin: standard input is the image"
        )));
    }
    registry_options_from(&args.registry)
}

/// Registry options from the `Registry` flags any command shares.
pub(crate) fn registry_options_from(args: &cli::RegistryArgs) -> Result<RegistryOptions> {
    let mut opts = RegistryOptions::default();
    opts.ca_files = args.registry_ca.clone();
    opts.insecure_hosts = args.insecure_registry.clone();
    opts.timeout = std::time::Duration::from_secs(args.registry_timeout.max(1));
    let password = if args.registry_password_stdin {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .context("--registry-password-stdin: reading standard input")
            .map_err(usage)?;
        Some(line.trim_end_matches(['\r', '\n']).to_string())
    } else {
        std::env::var("SBOM_REGISTRY_PASSWORD").ok()
    };
    match (&args.registry_username, password) {
        (Some(user), Some(password)) if !password.is_empty() => {
            opts.credentials = Some(Credentials::new(user.clone(), password));
        }
        (Some(_), _) => {
            return Err(usage(anyhow::anyhow!(
                "--registry-username needs a password: set SBOM_REGISTRY_PASSWORD or pass --registry-password-stdin"
            )))
        }
        (None, _) if args.registry_password_stdin => {
            return Err(usage(anyhow::anyhow!(
                "--registry-password-stdin needs --registry-username"
            )))
        }
        (None, _) => {}
    }
    Ok(opts)
}

fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .filter(|w: &usize| *w >= 40)
        .unwrap_or(80)
}
