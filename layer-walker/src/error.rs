//! Typed errors. Every error names where the problem is ([`Location`]: a file, standard
//! input, a URL) and, for a layer, which one, so the CLI prints one clear line; and every
//! error has an [`ErrorKind`], so an embedder tells a truncated download from a digest
//! mismatch or a limit without reading the message.
//!
//! ```
//! use layer_walker::{ErrorKind, ImageRef, Scanner};
//!
//! let image = ImageRef::parse("oci-dir:/nonexistent/layout").unwrap();
//! let err = Scanner::new().scan(&image).err().unwrap();
//! assert_eq!(err.kind(), ErrorKind::Io);
//! assert!(err.to_string().starts_with("/nonexistent/layout: "));
//! ```

use std::fmt;
use std::path::PathBuf;

use crate::digest::Digest;
use crate::limits::Limit;

/// Where an image, or the part of one an error is about, is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Location {
    /// A file or directory on this machine.
    Path(PathBuf),
    /// An archive read from standard input.
    Stdin,
    /// A URL: a registry, an engine's API.
    Url(String),
    /// A blob, by digest, within an image elsewhere.
    Blob {
        /// The image the blob belongs to.
        within: Box<Location>,
        /// The blob.
        digest: Digest,
    },
}

impl Location {
    /// The path, when the location is one on this machine.
    pub fn path(&self) -> Option<&std::path::Path> {
        match self {
            Location::Path(p) => Some(p),
            Location::Blob { within, .. } => within.path(),
            _ => None,
        }
    }
}

impl From<PathBuf> for Location {
    fn from(p: PathBuf) -> Self {
        Location::Path(p)
    }
}

impl From<&PathBuf> for Location {
    fn from(p: &PathBuf) -> Self {
        Location::Path(p.clone())
    }
}

impl From<&std::path::Path> for Location {
    fn from(p: &std::path::Path) -> Self {
        Location::Path(p.to_path_buf())
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Path(p) => write!(f, "{}", p.display()),
            Location::Stdin => f.write_str("standard input"),
            Location::Url(u) => f.write_str(u),
            Location::Blob { within, digest } => write!(f, "{within}: blob {digest}"),
        }
    }
}

/// The layer of an image an error is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerAt {
    /// Position in the image, from 0 (the base layer).
    pub index: usize,
    /// Its blob, as the image names it (a file in the archive, a digest).
    pub blob: String,
}

/// What kind of problem an [`Error`] is: stable for matching, whatever the message says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Reading failed for a reason outside the image: a missing file, permissions, the
    /// network.
    Io,
    /// The data ends early: a cut archive, layer or download.
    Truncated,
    /// The bytes are not what their format says: a bad gzip, zstd or tar stream.
    Corrupt,
    /// A blob's bytes do not hash to the digest the image names for them.
    DigestMismatch,
    /// A blob is not the size the image says it is.
    SizeMismatch,
    /// A bound on what a scan reads or keeps was reached; which one.
    LimitExceeded(Limit),
    /// A tar entry names a path outside the image root.
    PathTraversal,
    /// A blob the image names is not there.
    MissingBlob,
    /// The input is no container image this crate reads.
    UnsupportedFormat,
    /// A manifest, index or config is malformed or inconsistent.
    InvalidMetadata,
    /// No image for the platform asked for.
    PlatformNotFound,
    /// Several images, and none (or no matching one) chosen.
    ImageNotChosen,
    /// The Dockerfile given does not parse.
    Dockerfile,
    /// The caller cancelled the scan.
    Cancelled,
    /// An image engine (Docker, Podman) cannot be reached: no socket, no permission, not
    /// running, or an endpoint this build does not speak to.
    EngineUnavailable,
    /// The engine (or every source a bare name was tried in) has no such image.
    ImageNotFound,
    /// The engine answered, but not as its API says it does, or speaks too old an API.
    EngineApi,
    /// A registry (or its token service) refused the credentials, or asked for some and
    /// none were given.
    AuthFailed,
    /// A registry has no such repository, tag, manifest or blob.
    NotFound,
    /// A registry answered in a way that is not the protocol: an unexpected status, a
    /// redirect loop, a TLS failure.
    Remote,
}

/// Why a scan failed. A scan that returns an error produced no inventory: nothing partial is
/// ever presented as complete.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The Dockerfile given with [`crate::Scanner::dockerfile`] could not be parsed.
    #[error(transparent)]
    Dockerfile(#[from] crate::dockerfile::ParseError),
    /// Reading failed for a reason outside the image (see [`ErrorKind::Io`]).
    // the io error is part of the message, not a separate cause, so chains print it once
    #[error("{}{err}", Prefix(at, layer.as_ref()))]
    Io {
        /// Where.
        at: Location,
        /// The layer being read, if one was.
        layer: Option<LayerAt>,
        /// What the system said.
        err: std::io::Error,
    },
    /// The data ends early.
    #[error("{}truncated: {detail}", Prefix(at, layer.as_ref()))]
    Truncated {
        /// Where.
        at: Location,
        /// The layer, if the cut is inside one.
        layer: Option<LayerAt>,
        /// What was being read when it ended.
        detail: String,
    },
    /// The bytes do not follow their format.
    #[error("{}corrupt: {detail}", Prefix(at, layer.as_ref()))]
    Corrupt {
        /// Where.
        at: Location,
        /// The layer, if the damage is inside one.
        layer: Option<LayerAt>,
        /// What the decoder said.
        detail: String,
    },
    /// A tar entry names a path above the image root.
    #[error("{}entry {path:?} points outside the image root (path traversal)", Prefix(at, layer.as_ref()))]
    PathTraversal {
        /// Where.
        at: Location,
        /// The layer holding the entry.
        layer: Option<LayerAt>,
        /// The entry's name, as written.
        path: String,
    },
    /// A bound was reached.
    #[error("{}{what} exceeds the limit of {max} {} ({})", Prefix(at, layer.as_ref()), limit.unit(), raise_hint(*limit))]
    LimitExceeded {
        /// Where.
        at: Location,
        /// The layer, if the bound is per layer.
        layer: Option<LayerAt>,
        /// Which bound.
        limit: Limit,
        /// What grew past it.
        what: String,
        /// The bound, in [`Limit::unit`]s.
        max: u64,
    },
    /// A blob does not hash to its digest.
    #[error("{at}: digest mismatch for {what} {name}: expected {expected}, got {actual} (use --no-verify to scan anyway)")]
    DigestMismatch {
        /// Where.
        at: Location,
        /// Which blob: `manifest`, `config`, `layer 2 blob`, `layer 2 diff_id`.
        what: String,
        /// The blob's name in the image.
        name: String,
        /// The digest the image names.
        expected: Digest,
        /// The digest of the bytes.
        actual: Digest,
    },
    /// A blob is not the size the image says.
    #[error("{at}: {what} {name} is {actual} bytes, the manifest says {expected}")]
    SizeMismatch {
        /// Where.
        at: Location,
        /// Which blob.
        what: String,
        /// The blob's name in the image.
        name: String,
        /// The size the image names.
        expected: u64,
        /// The size of the bytes.
        actual: u64,
    },
    /// The input is not an image this crate reads.
    #[error("{at}: not a container image: {reason}")]
    NotAnImage {
        /// Where.
        at: Location,
        /// Why not, and what it looks like instead.
        reason: String,
    },
    /// A manifest, index or config is malformed.
    #[error("{at}: {what} is not valid: {reason}")]
    BadMetadata {
        /// Where.
        at: Location,
        /// Which document.
        what: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A blob the image names is not there.
    #[error("{at}: blob {name} is missing from the archive")]
    MissingBlob {
        /// Where.
        at: Location,
        /// The blob's name in the image.
        name: String,
    },
    /// No image for the platform asked for.
    #[error("{at}: no image for platform {wanted}; the index has: {available}")]
    PlatformNotFound {
        /// Where.
        at: Location,
        /// The platform asked for.
        wanted: String,
        /// The platforms there are.
        available: String,
    },
    /// The archive holds several images and none was chosen, or not the one asked for.
    #[error("{at}: {problem}; it holds {available} (choose one by tag or @INDEX)")]
    ImageNotChosen {
        /// Where.
        at: Location,
        /// None chosen, or the one asked for is not there.
        problem: String,
        /// The images there are.
        available: String,
    },
    /// The scan was cancelled through [`crate::Scanner::cancel_flag`].
    #[error("the scan was cancelled")]
    Cancelled,
    /// An image engine cannot be reached (see [`ErrorKind::EngineUnavailable`]).
    #[error("{at}: {reason}")]
    EngineUnavailable {
        /// The image asked for.
        at: Location,
        /// Which endpoint, what the system said, how to point at another.
        reason: String,
    },
    /// The engine has no such image.
    #[error("{at}: {reason}")]
    ImageNotFound {
        /// The image asked for.
        at: Location,
        /// Which engine said so, and how to list what it has.
        reason: String,
    },
    /// The engine's answer is not what its API says, or its API is too old.
    #[error("{at}: {reason}")]
    EngineApi {
        /// The image asked for.
        at: Location,
        /// What the engine said or did.
        reason: String,
    },
    /// A bare name (`app:1.2`) is no file, and no source it was tried in has it.
    #[error("{reference}: no such image: {}", tried.iter().map(|(s, why)| format!("{s}: {why}")).collect::<Vec<_>>().join("; "))]
    NotFoundAnywhere {
        /// The name as given.
        reference: String,
        /// Each source tried, in order, and why it did not have the image.
        tried: Vec<(String, String)>,
    },
    /// Authentication to a registry failed (see [`ErrorKind::AuthFailed`]). The message
    /// names the user, never the secret.
    #[error("{at}: authentication failed: {detail}")]
    Auth {
        /// The registry image.
        at: Location,
        /// Who was refused by whom, or what is missing.
        detail: String,
    },
    /// A registry has no such object.
    #[error("{at}: {what} not found (HTTP 404)")]
    NotFound {
        /// The registry image.
        at: Location,
        /// The repository, manifest or blob.
        what: String,
    },
    /// A registry's answer does not follow the protocol.
    #[error("{at}: {what}: {detail}")]
    Remote {
        /// The registry image.
        at: Location,
        /// The request: which manifest, which blob.
        what: String,
        /// What went wrong.
        detail: String,
    },
}

impl Error {
    /// What kind of problem this is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Dockerfile(_) => ErrorKind::Dockerfile,
            Error::Io { .. } => ErrorKind::Io,
            Error::Truncated { .. } => ErrorKind::Truncated,
            Error::Corrupt { .. } => ErrorKind::Corrupt,
            Error::PathTraversal { .. } => ErrorKind::PathTraversal,
            Error::LimitExceeded { limit, .. } => ErrorKind::LimitExceeded(*limit),
            Error::DigestMismatch { .. } => ErrorKind::DigestMismatch,
            Error::SizeMismatch { .. } => ErrorKind::SizeMismatch,
            Error::NotAnImage { .. } => ErrorKind::UnsupportedFormat,
            Error::BadMetadata { .. } => ErrorKind::InvalidMetadata,
            Error::MissingBlob { .. } => ErrorKind::MissingBlob,
            Error::PlatformNotFound { .. } => ErrorKind::PlatformNotFound,
            Error::ImageNotChosen { .. } => ErrorKind::ImageNotChosen,
            Error::Cancelled => ErrorKind::Cancelled,
            Error::EngineUnavailable { .. } => ErrorKind::EngineUnavailable,
            Error::ImageNotFound { .. } | Error::NotFoundAnywhere { .. } => {
                ErrorKind::ImageNotFound
            }
            Error::EngineApi { .. } => ErrorKind::EngineApi,
            Error::Auth { .. } => ErrorKind::AuthFailed,
            Error::NotFound { .. } => ErrorKind::NotFound,
            Error::Remote { .. } => ErrorKind::Remote,
        }
    }

    /// Where the problem is, when it is anywhere in particular.
    pub fn location(&self) -> Option<&Location> {
        match self {
            Error::Io { at, .. }
            | Error::Truncated { at, .. }
            | Error::Corrupt { at, .. }
            | Error::PathTraversal { at, .. }
            | Error::LimitExceeded { at, .. }
            | Error::DigestMismatch { at, .. }
            | Error::SizeMismatch { at, .. }
            | Error::NotAnImage { at, .. }
            | Error::BadMetadata { at, .. }
            | Error::MissingBlob { at, .. }
            | Error::PlatformNotFound { at, .. }
            | Error::ImageNotChosen { at, .. }
            | Error::EngineUnavailable { at, .. }
            | Error::ImageNotFound { at, .. }
            | Error::EngineApi { at, .. }
            | Error::Auth { at, .. }
            | Error::NotFound { at, .. }
            | Error::Remote { at, .. } => Some(at),
            Error::Dockerfile(_) | Error::Cancelled | Error::NotFoundAnywhere { .. } => None,
        }
    }

    /// An I/O error at `at`, outside any layer.
    pub(crate) fn io(at: impl Into<Location>, err: std::io::Error) -> Self {
        Error::Io {
            at: at.into(),
            layer: None,
            err,
        }
    }

    /// An error reading the bytes of a stream (an archive, a layer, a download) at `at`:
    /// truncated, corrupt, a limit a reader below hit, or plain I/O, told apart by what the
    /// `io::Error` carries, never by its text.
    pub(crate) fn from_stream(at: Location, layer: Option<LayerAt>, e: std::io::Error) -> Self {
        use std::io::ErrorKind as K;
        if let Some(hit) = crate::limits::LimitHit::find(&e) {
            return Error::LimitExceeded {
                at,
                layer,
                limit: hit.limit,
                what: limit_subject(hit.limit).into(),
                max: hit.max,
            };
        }
        if let Some(m) = crate::tar::guard::metadata_too_large(&e) {
            return Error::LimitExceeded {
                at,
                layer,
                limit: m.limit,
                what: format!(
                    "the {} at byte {} of the tar ({} {})",
                    m.what,
                    m.offset,
                    m.declared,
                    m.limit.unit()
                ),
                max: m.max,
            };
        }
        match e.kind() {
            K::UnexpectedEof => Error::Truncated {
                at,
                layer,
                detail: eof_detail(&e),
            },
            // the environment, not the image: the file system, the network, the system
            K::NotFound
            | K::PermissionDenied
            | K::ConnectionRefused
            | K::ConnectionReset
            | K::ConnectionAborted
            | K::NotConnected
            | K::AddrInUse
            | K::AddrNotAvailable
            | K::BrokenPipe
            | K::WouldBlock
            | K::TimedOut
            | K::Interrupted
            | K::OutOfMemory
            | K::StorageFull
            | K::IsADirectory
            | K::NotADirectory
            | K::ReadOnlyFilesystem
            | K::ResourceBusy => Error::Io { at, layer, err: e },
            _ => Error::Corrupt {
                at,
                layer,
                detail: corrupt_detail(&e),
            },
        }
    }
}

/// `the data ends before ...`: decoders say little more than "unexpected end of file".
fn eof_detail(e: &std::io::Error) -> String {
    let s = e.to_string();
    if s.is_empty() || s == "unexpected end of file" || s == "failed to fill whole buffer" {
        "the data ends before the archive does".into()
    } else {
        s
    }
}

/// The decoder's words, with the format named when the decoder does not name it.
fn corrupt_detail(e: &std::io::Error) -> String {
    let s = e.to_string();
    if s.contains("deflate") || s.contains("gzip header") || s.contains("crc") {
        format!("gzip stream: {s}")
    } else {
        s
    }
}

/// What a byte limit hit inside a reader is about.
fn limit_subject(limit: Limit) -> &'static str {
    match limit {
        Limit::LayerBytes => "the uncompressed layer",
        Limit::ArchiveBytes => "the uncompressed archive",
        Limit::Entries => "the number of tar entries",
        Limit::RetainedBytes => crate::limits::RETAINED_WHAT,
        Limit::MetadataFile => "a metadata file",
        _ => "the input",
    }
}

fn raise_hint(limit: Limit) -> &'static str {
    if limit.is_settable() {
        "raise it with the scan limits if the image is trusted"
    } else {
        "a fixed bound: no real image comes near it"
    }
}

/// `LOCATION: ` or `LOCATION: layer N (BLOB): `.
struct Prefix<'a>(&'a Location, Option<&'a LayerAt>);

impl fmt::Display for Prefix<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.1 {
            Some(l) => write!(f, "{}: layer {} ({}): ", self.0, l.index, l.blob),
            None => write!(f, "{}: ", self.0),
        }
    }
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
