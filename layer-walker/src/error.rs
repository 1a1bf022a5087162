//! Typed errors. Every variant names the file (archive, blob or path in the image) and what
//! is wrong with it, so the CLI can print one clear line.

use std::path::PathBuf;

/// Why a scan failed. A scan that returns an error produced no inventory: nothing partial is
/// ever presented as complete.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The Dockerfile given with [`crate::Scanner::dockerfile`] could not be parsed.
    #[error(transparent)]
    Dockerfile(#[from] crate::dockerfile::ParseError),
    // the io error is part of the message, not a separate cause, so chains print it once
    #[error("{}: {err}", path.display())]
    Io { path: PathBuf, err: std::io::Error },
    #[error("{}: not a container image: {reason}", path.display())]
    NotAnImage { path: PathBuf, reason: String },
    #[error("{}: {what} is not valid: {reason}", archive.display())]
    BadMetadata {
        archive: PathBuf,
        what: String,
        reason: String,
    },
    #[error("{}: blob {name} is missing from the archive", archive.display())]
    MissingBlob { archive: PathBuf, name: String },
    #[error("{}: digest mismatch for {what} {name}: expected {expected}, got {actual} (use --no-verify to scan anyway)", archive.display())]
    DigestMismatch {
        archive: PathBuf,
        what: String,
        name: String,
        expected: String,
        actual: String,
    },
    #[error("{}: no image for platform {wanted}; the index has: {available}", archive.display())]
    PlatformNotFound {
        archive: PathBuf,
        wanted: String,
        available: String,
    },
    /// The archive holds several images and none was chosen, or not the one asked for.
    #[error("{}: {problem}; it holds {available} (choose one by tag or @INDEX)", archive.display())]
    ImageNotChosen {
        archive: PathBuf,
        problem: String,
        available: String,
    },
    #[error("{}: layer {index} ({name}): {reason}", archive.display())]
    Layer {
        archive: PathBuf,
        index: usize,
        name: String,
        reason: String,
    },
    #[error("{}: {what} exceeds the limit of {limit} {unit} (raise it with the scan limits if the image is trusted)", archive.display())]
    LimitExceeded {
        archive: PathBuf,
        what: String,
        limit: u64,
        /// What `limit` counts: "bytes", "entries", "layers".
        unit: &'static str,
    },
    #[error("the scan was cancelled")]
    Cancelled,
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            err: source,
        }
    }
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
