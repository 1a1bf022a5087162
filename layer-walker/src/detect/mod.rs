//! Detectors: what turns files in an image into packages.
//!
//! A detector has three steps, which keep memory bounded by the files it claims:
//! 1. [`Detector::claim`] is asked about the regular files of every layer while the layer
//!    streams past; it answers from the path (and size, mode) alone. It is asked only about
//!    files that fit one of its [`Detector::claim_patterns`] (exact paths, file names,
//!    name suffixes and prefixes, directories, executables), which the walker tests for all
//!    detectors at once; a detector that declares none is asked about every file. A new
//!    detector declares its patterns next to its `claim` and keeps the two in step.
//! 2. [`Detector::parse`] gets the body of each claimed file, at once, and keeps only the
//!    facts it needs (a parsed form, not the bytes).
//! 3. [`Detector::collect`] reads the parsed files visible in a filesystem view (the image
//!    after some layer, whiteouts applied) and reports packages.
//!
//! # Where code goes
//!
//! A new detector is one folder here, named after its ecosystem, with a type that
//! implements [`Detector`] (and its tests, on real fixtures, in the folder's `tests.rs`),
//! plus one line in [`default_detectors`]. No folder uses another ecosystem's folder: what
//! two detectors share lives in `common/`, one small file per kind of thing, named after
//! it:
//!
//! * `common/elf.rs`: executables: the one claim (size cap, ELF/PE/Mach-O magic) of every
//!   detector that reads binaries (Go, Rust, package notes), so the walker reads each binary
//!   once for all of them, and opening a body (or each slice of a universal binary) to read
//!   its sections;
//! * `common/encoding.rs`: base64 and hex, for the checksums package databases record;
//! * `common/codec.rs`: parsed forms as bytes for the layer cache (`cache_codec!`, one line
//!   per detector listing the types its `parse` returns).
//!
//! A helper moves to `common/` when a second detector needs it; until then it stays in the
//! folder of the one that uses it. The test helpers all detectors' tests use (fixture
//! paths, one-layer views) are in `testutil.rs`.

pub mod apk;
pub mod binary;
pub mod bitnami;
mod common;
pub mod conda;
pub mod distro;
pub mod dotnet;
pub mod dpkg;
pub mod elfnote;
pub mod golang;
pub mod homebrew;
pub mod java;
pub mod kernel;
pub mod nix;
pub mod npm;
pub mod pacman;
pub mod php;
pub mod portage;
pub mod python;
pub mod r;
pub mod rpm;
pub mod ruby;
pub mod rust;
#[cfg(test)]
mod testutil;

use std::any::Any;
use std::sync::Arc;

use sbom_core::{Distro, Package, Relationship, Warning};

pub use crate::walk::view::{FsView, ViewFile};
/// Orders two versions of one package by its ecosystem's rules; `None` where we have none.
/// The orders live in [`sbom_core::version`] (the policy gate and `sbom diff` use them too).
///
/// ```
/// use std::cmp::Ordering;
/// use sbom_core::Ecosystem;
/// use layer_walker::detect::version_order;
/// assert_eq!(version_order(Ecosystem::Deb, "1:1.0", "2.0"), Some(Ordering::Greater));
/// ```
pub use sbom_core::version::compare as version_order;

/// What a detector kept from one claimed file. Each detector downcasts its own.
pub type Parsed = Arc<dyn Any + Send + Sync>;

/// What the walker knows about a file before reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryMeta {
    /// Body size in bytes, as the tar header gives it.
    pub size: u64,
    /// Unix permission bits.
    pub mode: u32,
}

impl EntryMeta {
    /// Whether any execute bit (user, group, other) is set.
    pub fn is_executable(&self) -> bool {
        self.mode & 0o111 != 0
    }
}

/// A detector's request for a file's body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claim {
    /// Bodies larger than this are not read; the file is reported as too large and the
    /// detector's result marked incomplete.
    pub max_size: u64,
    /// When set, the body is only handed over if it starts with these bytes (ELF, zip...):
    /// files that do not are skipped silently.
    pub magic: Option<Magic>,
    /// False for a claim on the path alone ([`Claim::path_only`]): the body is not read
    /// and [`Detector::parse`] gets an empty one.
    pub read_body: bool,
    /// When set, only the body's first this many bytes are read and parsed, whatever the
    /// file's size ([`Claim::head`]).
    pub head: Option<u64>,
}

/// The first bytes a claimed body must start with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Magic {
    /// One signature (ELF, zip).
    Bytes(&'static [u8]),
    /// Any of several (executables: ELF, PE, Mach-O).
    AnyOf(&'static [&'static [u8]]),
}

impl Magic {
    /// How many leading bytes deciding this takes.
    pub fn len(&self) -> usize {
        match self {
            Magic::Bytes(m) => m.len(),
            Magic::AnyOf(ms) => ms.iter().map(|m| m.len()).max().unwrap_or(0),
        }
    }

    /// Whether there is nothing to check.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `head` starts with (one of) the signature(s).
    pub fn matches(&self, head: &[u8]) -> bool {
        match self {
            Magic::Bytes(m) => head.starts_with(m),
            Magic::AnyOf(ms) => ms.iter().any(|m| head.starts_with(m)),
        }
    }
}

impl Claim {
    /// A claim for any body up to `max_size` bytes.
    pub const fn up_to(max_size: u64) -> Self {
        Claim {
            max_size,
            magic: None,
            read_body: true,
            head: None,
        }
    }

    /// A claim on the file's path (and metadata) alone, for detectors to whom a file's
    /// presence is the fact (every file under a Nix store path belongs to that path): the
    /// body is never read, whatever its size, and `parse` gets an empty body.
    pub const fn path_only() -> Self {
        Claim {
            max_size: u64::MAX,
            magic: None,
            read_body: false,
            head: None,
        }
    }

    /// A claim for bodies up to `max_size` that start with `magic`.
    pub const fn with_magic(max_size: u64, magic: &'static [u8]) -> Self {
        Claim {
            max_size,
            magic: Some(Magic::Bytes(magic)),
            read_body: true,
            head: None,
        }
    }

    /// A claim for bodies up to `max_size` that start with one of `magics`.
    pub const fn with_any_magic(max_size: u64, magics: &'static [&'static [u8]]) -> Self {
        Claim {
            max_size,
            magic: Some(Magic::AnyOf(magics)),
            read_body: true,
            head: None,
        }
    }

    /// A claim for the first `bytes` of a body that starts with `magic`, for facts kept at
    /// the front of a file of any size (the notes an ELF file's program headers point to):
    /// a 100 MB shared library costs `bytes` of memory, not 100 MB. Where another detector
    /// reads the whole body, this one still gets only its first `bytes`.
    pub const fn head(bytes: u64, magic: &'static [u8]) -> Self {
        Claim {
            max_size: u64::MAX,
            magic: Some(Magic::Bytes(magic)),
            read_body: true,
            head: Some(bytes),
        }
    }
}

/// A shape of path a detector's [`Detector::claim`] can say yes to, declared through
/// [`Detector::claim_patterns`] so the walker tests every file against all detectors' patterns
/// at once (one table look-up per file) and asks `claim` only of the detectors whose pattern
/// the file fits. A pattern is a pre-filter, not the claim: it may match more than `claim`
/// accepts, never less. Names are compared ignoring ASCII case (a superset of either case).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimPattern {
    /// This absolute path, exactly (`/var/lib/dpkg/status`).
    Path(&'static str),
    /// Files with this name (the last path component) in any directory (`METADATA`).
    Name(&'static str),
    /// Files whose name ends with this (`.jar`, `.deps.json`).
    Suffix(&'static str),
    /// Files whose name starts with this (`libpython`).
    Prefix(&'static str),
    /// Any file directly in this directory (absolute, no trailing slash).
    Dir(&'static str),
    /// Any file with an execute bit ([`EntryMeta::is_executable`]).
    Executable,
    /// Files whose absolute path contains this, case-sensitively (`/nix/store/`,
    /// `/Cellar/`): for detectors that want everything under a directory found anywhere.
    PathContains(&'static str),
    /// Files whose name contains this, case-sensitively (`.so` of `libz.so.1.3`).
    NameContains(&'static str),
}

/// A parse failure: the file is unreadable as a whole. Partial results are not errors:
/// return them and report what was lost from [`Detector::collect`] as a warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError(pub String);

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ParseError {}

impl From<String> for ParseError {
    fn from(s: String) -> Self {
        ParseError(s)
    }
}

impl From<&str> for ParseError {
    fn from(s: &str) -> Self {
        ParseError(s.to_string())
    }
}

/// Where [`Detector::collect`] puts what it found.
#[derive(Debug, Default)]
pub struct Findings {
    /// The packages found, in the order the detector reports them.
    pub packages: Vec<Package>,
    /// Relationships between packages that only the detector can tell.
    pub relationships: Vec<Relationship>,
    /// Problems met, each saying whether packages may be missing because of it.
    pub warnings: Vec<Warning>,
    /// Set by the distro detector.
    pub distro: Option<Distro>,
}

impl Findings {
    /// Records a warning about `path`. `incomplete` says packages may be missing because of it.
    pub fn warn(
        &mut self,
        path: &str,
        layer: Option<usize>,
        message: impl Into<String>,
        incomplete: bool,
    ) {
        self.warnings.push(Warning {
            path: Some(path.to_string()),
            layer,
            message: message.into(),
            incomplete,
        });
    }
}

/// Context for [`Detector::collect`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CollectContext {
    /// True for the final image. For the per-layer snapshots only name, version, arch and
    /// the database path matter, so expensive details (owned files, licenses) may be left out.
    pub full_detail: bool,
}

/// One package ecosystem's (or the distro's) detection.
pub trait Detector: Send + Sync {
    /// Short name for logs and warnings: `dpkg`, `rpm`, `python`.
    fn name(&self) -> &'static str;

    /// Whether this detector wants the body of the regular file at `path` (absolute and
    /// normalised: `/var/lib/dpkg/status`). Called for every file of every layer: keep it
    /// to a few string comparisons.
    fn claim(&self, path: &str, meta: &EntryMeta) -> Option<Claim>;

    /// Every shape of path [`Detector::claim`] can return `Some` for; files that fit none
    /// are not offered to `claim` at all. `None` (the default) offers every file, which is
    /// always right but costs a call per file of every layer: a detector should declare its
    /// patterns, and must update them with its `claim` (debug builds check, on every file
    /// a test walks, that `claim` never accepts a file its patterns exclude).
    fn claim_patterns(&self) -> Option<&'static [ClaimPattern]> {
        None
    }

    /// Parses a claimed body into the facts [`Detector::collect`] needs.
    fn parse(&self, path: &str, body: &[u8]) -> Result<Parsed, ParseError>;

    /// Reports the packages the parsed files visible in `view` describe.
    fn collect(&self, view: &FsView, ctx: CollectContext, out: &mut Findings);

    /// A parsed form as bytes, for the layer cache ([`crate::cache`]). `None` (the default)
    /// keeps every layer this detector claimed a file in out of the cache: such layers are
    /// analysed afresh on every scan.
    fn encode(&self, parsed: &Parsed) -> Option<Vec<u8>> {
        let _ = parsed;
        None
    }

    /// The parsed form [`Detector::encode`] wrote. Only called with bytes this detector's
    /// `encode` returned, under a cache key that names this detector; an error makes the
    /// cache entry count as missing.
    fn decode(&self, bytes: &[u8]) -> Result<Parsed, ParseError> {
        let _ = bytes;
        Err(ParseError(
            "this detector's parsed forms are not cached".into(),
        ))
    }
}

/// Every detector this crate has, in the order they run.
pub fn default_detectors() -> Vec<Arc<dyn Detector>> {
    vec![
        // the distro first, then OS package databases: language packages are linked to the
        // OS package owning their files afterwards
        Arc::new(distro::DistroDetector),
        Arc::new(dpkg::DpkgDetector),
        Arc::new(apk::ApkDetector),
        Arc::new(rpm::RpmDetector),
        Arc::new(pacman::PacmanDetector),
        Arc::new(portage::PortageDetector),
        Arc::new(python::PythonDetector),
        Arc::new(npm::NpmDetector),
        Arc::new(golang::GoDetector),
        Arc::new(java::JavaDetector),
        Arc::new(rust::RustDetector),
        Arc::new(ruby::RubyDetector),
        Arc::new(php::ComposerDetector),
        Arc::new(dotnet::DotnetDetector),
        Arc::new(r::RDetector),
        Arc::new(bitnami::BitnamiDetector),
        Arc::new(kernel::KernelDetector),
        Arc::new(conda::CondaDetector),
        Arc::new(nix::NixDetector),
        Arc::new(homebrew::HomebrewDetector),
        Arc::new(binary::BinaryDetector),
        Arc::new(elfnote::ElfNoteDetector),
    ]
}
