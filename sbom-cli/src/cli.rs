//! Command-line definitions.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use sbom_core::format::{FORMATS, FORMAT_NAMES};

pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (", env!("SBOM_GIT_HASH"), ")");

const AFTER_HELP: &str = "\
Examples:
  sbom scan image.tar                              table on a terminal, native JSON otherwise
  sbom scan image.tar -o spdx-json=image.spdx.json -o cyclonedx-json=image.cdx.json
  sbom scan oci-dir:./layout --platform linux/arm64 -o cyclonedx-json@1.5
  docker save app | gzip > app.tar.gz && sbom scan app.tar.gz --dockerfile Dockerfile
  sbom layers image.tar --dockerfile Dockerfile     the layer-by-layer report
  sbom scan dir:./rootfs -o spdx-json              an unpacked root filesystem
  sbom scan docker:app:1.2                         an image in the local Docker engine (podman:app for Podman)
  sbom scan registry:ghcr.io/org/app:1.2           pulled from a registry, nothing written to disk
  SBOM_REGISTRY_PASSWORD=... sbom scan registry:reg.example/app --registry-username ci
  sbom scan app.oci.tar -o in-toto-spdx-json=app.intoto.json   a statement for cosign attest
  sbom check app.spdx.json --policy policy.toml    the policy gate (also: an image)
  sbom check app.tar --deny-license 'AGPL-*' --deny-package 'pkg:pypi/requests@<2.32'
  sbom diff old.tar new.tar --exit-code            what changed, layer by layer
  sbom scan --images-from list.txt --cache ~/.cache/sbom -o spdx-json=out/{name}.spdx.json
                                                   many images, shared layers analysed once
  sbom attach reg.example/app:1.2 app.spdx.json app.cdx.json   OCI 1.1 referrers of the image
  sbom scan registry:reg.example/app:1.2 -o spdx-json=app.spdx.json --attach
  sbom discover reg.example/app:1.2                what is attached (-o json, --type spdx)
  sbom fetch reg.example/app:1.2 --type spdx -o app.spdx.json

Exit status: 0 success (warnings are printed and recorded in the SBOM), 1 the image could
not be scanned, 2 usage error. check: 0 passes, 1 violations, 2 the check could not be made.
diff --exit-code: 0 no change, 1 changes, 2 error.";

#[derive(Parser, Debug)]
#[command(name = "sbom", version = VERSION, about = "Software bills of materials for container images, layer by layer", after_help = AFTER_HELP)]
pub struct Cli {
    /// More logging on stderr (-v info, -vv debug, -vvv trace); the layer report lists every package
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// No progress bar and no warnings on stderr
    #[arg(short, long, global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Scan an image and write SBOM documents
    Scan(ScanArgs),
    /// Show the layer-by-layer report (same as `scan -o table`)
    Layers(ScanArgs),
    /// Check an SBOM document or an image against a policy (exit 0 pass, 1 violations, 2 error)
    Check(crate::commands::check::CheckArgs),
    /// Compare two SBOM documents or images: packages added, removed, upgraded, downgraded
    Diff(crate::commands::diff::DiffArgs),
    /// Attach SBOM documents to an image in its registry, as OCI 1.1 referrers
    Attach(crate::commands::attach::AttachArgs),
    /// List the artifacts attached to an image in its registry (SBOMs, signatures, ...)
    Discover(crate::commands::discover::DiscoverArgs),
    /// Write out an SBOM document attached to an image in its registry
    Fetch(crate::commands::fetch::FetchArgs),
    /// Write the Dockerfile with every package its RUN lines install pinned to the version
    /// the image holds (Tern's Dockerfile lock)
    Lock(LockArgs),
    /// Look after the layer cache (--cache DIR): its size, evicting old layers
    Cache(crate::commands::cache::CacheCommand),
    /// Print a shell completion script
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(clap::Args, Debug, Clone)]
pub struct LockArgs {
    /// The image built from the Dockerfile (any input `sbom scan` takes)
    #[arg(value_name = "IMAGE")]
    pub image: std::ffi::OsString,
    /// The Dockerfile the image was built from
    #[arg(long, value_name = "PATH")]
    pub dockerfile: PathBuf,
    /// The stage the image was built from, as given to the build's --target (default: the last)
    #[arg(long, value_name = "STAGE")]
    pub target: Option<String>,
    /// Where to write the locked Dockerfile (default: stdout)
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The image to read from an archive holding several (as for scan)
    #[arg(long = "image", value_name = "TAG|ID|@N")]
    pub select: Option<String>,
    /// Platform to pick from a multi-platform index
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Option<String>,
    /// Do not fail on digest mismatches
    #[arg(long)]
    pub no_verify: bool,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

/// How `registry:` images are reached (scan, layers, lock, attach, discover, fetch).
#[derive(clap::Args, Debug, Clone)]
pub struct RegistryArgs {
    /// User name for the registry; the password comes from SBOM_REGISTRY_PASSWORD or
    /// --registry-password-stdin, never the command line. Without it, docker/podman login's
    /// saved credentials are used, else the pull is anonymous
    #[arg(long, value_name = "USER", help_heading = "Registry")]
    pub registry_username: Option<String>,
    /// Read the registry password (or token) from standard input (its first line)
    #[arg(long, help_heading = "Registry")]
    pub registry_password_stdin: bool,
    /// Trust this PEM certificate authority for registry TLS, besides the system's (repeatable)
    #[arg(long, value_name = "FILE", help_heading = "Registry")]
    pub registry_ca: Vec<PathBuf>,
    /// Allow plain HTTP, and do not verify TLS, for this registry host[:port] (repeatable;
    /// loopback addresses may always use plain HTTP)
    #[arg(long, value_name = "HOST", help_heading = "Registry")]
    pub insecure_registry: Vec<String>,
    /// Seconds to wait for a registry to connect or send the next byte
    #[arg(
        long,
        value_name = "SECS",
        default_value_t = 30,
        help_heading = "Registry"
    )]
    pub registry_timeout: u64,
}

#[derive(clap::Args, Debug, Clone)]
pub struct ScanArgs {
    /// The image: a docker-archive tar (optionally gzip/zstd), an OCI layout directory, an OCI
    /// archive tar, an unpacked root filesystem, or - for an archive on standard input. Force
    /// the kind with a prefix: docker-archive:PATH, oci-dir:PATH, oci-archive:PATH, dir:PATH.
    /// docker:NAME[:TAG] (or docker:ID) and podman:NAME read an image from the local engine
    /// (DOCKER_HOST, CONTAINER_HOST); a bare NAME[:TAG] that is no file is looked for in
    /// Docker, then Podman, then the registry.
    /// registry:HOST[:PORT]/REPO[:TAG|@sha256:...] pulls from a registry (registry:debian is
    /// docker.io/library/debian:latest). Several images are scanned one after the other,
    /// sharing the layers they have in common; each -o FILE then needs {name} or {index}
    /// (filled in for a single image too)
    #[arg(value_name = "IMAGE", required_unless_present = "images_from")]
    pub images: Vec<std::ffi::OsString>,
    /// Also scan the images FILE lists, one per line (blank lines and # comments skipped; -
    /// reads standard input)
    #[arg(long, value_name = "FILE")]
    pub images_from: Option<PathBuf>,
    // help built from sbom-core's format registry, so it cannot fall behind it
    #[arg(
        short,
        long = "output",
        value_name = "FORMAT[=FILE]",
        help = output_help(),
        long_help = output_long_help()
    )]
    pub outputs: Vec<String>,
    /// The Dockerfile the image was built from: maps every layer to the instruction that made it
    #[arg(long, value_name = "PATH")]
    pub dockerfile: Option<PathBuf>,
    /// The stage of the Dockerfile the image was built from, as given to the build's --target
    /// (default: the last)
    #[arg(long, value_name = "STAGE", requires = "dockerfile")]
    pub target: Option<String>,
    /// The image to read from an archive holding several (`docker save a b`): a tag as the
    /// archive records it (debian:12), the image ID or manifest digest (sha256:..., or 12+
    /// hex digits), or @N, the N-th image from 0
    #[arg(long = "image", value_name = "TAG|ID|@N")]
    pub select: Option<String>,
    /// Platform to pick from a multi-platform index
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Option<String>,
    /// squashed: what the final image holds; all-layers: also packages a later layer removed
    #[arg(long, value_enum, default_value_t = ScopeArg::Squashed)]
    pub scope: ScopeArg,
    /// Also list every regular file (path, size, mode, SHA-256, layer, owning packages, and
    /// SHA-1 when an SPDX 2 output is asked for; with --scope all-layers every file of every
    /// layer). Reads every file's body, so the scan takes longer; bypasses the layer cache
    #[arg(long)]
    pub files: bool,
    /// Who distributes the image, for the SBOM's image and layer supplier: "Organization: NAME
    /// (MAIL)", "Person: NAME", or a bare name. Without it the image's own
    /// org.opencontainers.image.vendor label or config author is used, else NOASSERTION
    #[arg(long, value_name = "SUPPLIER")]
    pub supplier: Option<String>,
    /// Who made the SBOM, with a contact, for the documents' creator besides this program:
    /// "Organization: NAME (MAIL)" or "Person: NAME (MAIL)" (SPDX 2 creators, SPDX 3
    /// createdBy, CycloneDX metadata authors/manufacturer). BSI TR-03183-2 asks for it;
    /// without it only the tool is named
    #[arg(long, value_name = "CREATOR")]
    pub creator: Option<String>,
    /// Do not fail on digest mismatches (they become warnings in the SBOM)
    #[arg(long)]
    pub no_verify: bool,
    /// List every package in the table report instead of collapsing long lists (as does -v)
    #[arg(long)]
    pub full: bool,
    /// Attach every SPDX, CycloneDX and in-toto document written (-o) to the image, as OCI
    /// 1.1 referrers (registry: images only; as `sbom attach`)
    #[arg(long)]
    pub attach: bool,
    #[command(flatten)]
    pub registry: RegistryArgs,
    #[command(flatten)]
    pub cache: crate::commands::cache::CacheArgs,
}

const OUTPUT_STDOUT: &str = "Without =FILE the document goes to stdout (only one may).";

/// `-h`: the names, from the registry so a new format shows up without touching this file.
fn output_help() -> String {
    format!(
        "Output FORMAT[=FILE], repeatable: {}. {OUTPUT_STDOUT}",
        FORMAT_NAMES.join(", ")
    )
}

/// `--help`: one line per format with what it writes and the other names it answers to.
fn output_long_help() -> String {
    let width = FORMATS.iter().map(|f| f.id.len()).max().unwrap_or(0) + 2;
    let mut s = format!("Output FORMAT[=FILE], repeatable. {OUTPUT_STDOUT}\n\nFORMAT is one of:");
    for f in FORMATS {
        s += &format!("\n  {:width$}{}", f.id, f.description);
        if !f.aliases.is_empty() {
            s += &format!(" (also: {})", f.aliases.join(", "));
        }
    }
    s
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeArg {
    Squashed,
    AllLayers,
}
