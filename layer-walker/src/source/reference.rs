//! What the user points at: [`ImageRef`], parsed from `KIND:WHERE` or a bare path.

pub use super::registry::RegistryRef;

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

/// The kinds of input the scanner reads, as users name them with a prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SourceKind {
    /// `docker save` output (classic or Docker 25+), optionally gzip- or zstd-compressed.
    DockerArchive,
    /// An OCI image layout directory.
    OciDir,
    /// An OCI image layout packed in a tar (optionally compressed).
    OciArchive,
    /// An unpacked root filesystem directory.
    RootfsDir,
    /// An image in an OCI registry (`registry:HOST/REPO:TAG`), pulled over HTTP(S).
    Registry,
}

/// Every kind, with the prefixes that select it (the first is its name).
const KINDS: &[(SourceKind, &[&str])] = &[
    (SourceKind::DockerArchive, &["docker-archive"]),
    (SourceKind::OciDir, &["oci-dir", "oci"]),
    (SourceKind::OciArchive, &["oci-archive"]),
    (SourceKind::RootfsDir, &["dir", "rootfs"]),
    (SourceKind::Registry, &["registry"]),
];

impl SourceKind {
    /// The prefix users write to force a kind: `docker-archive`.
    pub fn as_str(self) -> &'static str {
        KINDS
            .iter()
            .find(|(k, _)| *k == self)
            .map(|(_, names)| names[0])
            .unwrap_or("?")
    }

    /// The kind a prefix (without its colon) selects.
    pub fn from_prefix(p: &str) -> Option<Self> {
        KINDS
            .iter()
            .find(|(_, names)| names.contains(&p))
            .map(|(k, _)| *k)
    }

    /// Every prefix, as a user would write it: `docker-archive:, oci-dir: (or oci:), ...`.
    pub fn known_prefixes() -> String {
        KINDS
            .iter()
            .map(|(_, names)| match names {
                [one] => format!("{one}:"),
                [first, rest @ ..] => format!("{first}: (or {}:)", rest.join(":, ")),
                [] => String::new(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What to scan.
///
/// ```
/// use std::path::Path;
/// use layer_walker::{ImageRef, SourceKind};
///
/// let r = ImageRef::parse("oci-dir:./layout")?;
/// assert_eq!(r, ImageRef::Path { kind: Some(SourceKind::OciDir), path: "./layout".into() });
/// assert_eq!(ImageRef::parse("-")?, ImageRef::Stdin { kind: None });
/// // a one-letter prefix is part of the file name, as is anything after a `/`
/// assert_eq!(ImageRef::parse("C:img.tar")?.path(), Some(Path::new("C:img.tar")));
/// assert_eq!(ImageRef::parse("./x:y.tar")?.path(), Some(Path::new("./x:y.tar")));
/// // an image in a registry, named as `docker pull` names it
/// let r = ImageRef::parse("registry:localhost:5000/app:1")?;
/// assert_eq!(r.to_string(), "registry:localhost:5000/app:1");
/// assert_eq!(ImageRef::parse("registry:debian")?.to_string(), "registry:docker.io/library/debian:latest");
/// // a kind this crate does not read is an error, not a file name
/// let err = ImageRef::parse("containerd:app").unwrap_err();
/// assert!(err.to_string().contains("docker-archive:"), "{err}");
/// # Ok::<(), layer_walker::RefError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ImageRef {
    /// A file or directory on this machine; its kind is detected unless given.
    Path {
        /// The kind the user forced, if any.
        kind: Option<SourceKind>,
        /// The file or directory (any bytes: non-UTF-8 names are kept as they are).
        path: PathBuf,
    },
    /// An archive on standard input (`-`), read front to back once as a stream.
    Stdin {
        /// The kind the user forced, if any.
        kind: Option<SourceKind>,
    },
    /// An image in an OCI registry, pulled layer by layer (`registry:HOST/REPO:TAG`).
    Registry(RegistryRef),
}

/// Why a string does not name an image.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RefError {
    /// Nothing was given.
    #[error("the image reference is empty")]
    Empty,
    /// `KIND:` with a kind this crate does not read.
    #[error("unknown image kind {prefix:?}: the kinds are {known}; a file whose name has a colon can be given as ./{input}")]
    UnknownKind {
        /// The prefix, with its colon.
        prefix: String,
        /// Every known prefix.
        known: String,
        /// The whole reference, for the hint.
        input: String,
    },
    /// `registry:` with a reference that is not one.
    #[error("registry:{input}: not an image reference: {reason}")]
    BadRegistryRef {
        /// The reference, cut to 300 characters.
        input: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `KIND:` and nothing after it.
    #[error("{kind}: needs a path after the colon (or - for standard input)")]
    NothingAfterKind {
        /// The kind given.
        kind: SourceKind,
    },
}

impl ImageRef {
    /// Parses `PATH`, `KIND:PATH` (`docker-archive:img.tar`, `oci-dir:layout/`,
    /// `oci-archive:img.oci.tar`, `dir:rootfs/`), `-` or `KIND:-` for standard input, and
    /// `registry:REFERENCE` ([`RegistryRef::parse`]).
    ///
    /// A `word:` prefix that is no known kind is an error rather than part of a path,
    /// unless a file or directory of that whole name exists (it always wins).
    pub fn parse(s: &str) -> Result<ImageRef, RefError> {
        ImageRef::parse_os(OsStr::new(s))
    }

    /// [`ImageRef::parse`] for a command-line argument, which need not be UTF-8.
    pub fn parse_os(s: &OsStr) -> Result<ImageRef, RefError> {
        let bytes = s.as_bytes();
        if bytes.is_empty() {
            return Err(RefError::Empty);
        }
        let Some((prefix, rest)) = kind_prefix(bytes) else {
            return Ok(ImageRef::local(None, bytes));
        };
        match SourceKind::from_prefix(prefix) {
            Some(SourceKind::Registry) => {
                let rest = std::str::from_utf8(rest).map_err(|_| RefError::BadRegistryRef {
                    input: String::from_utf8_lossy(rest).chars().take(300).collect(),
                    reason: "it is not UTF-8".into(),
                })?;
                Ok(ImageRef::Registry(RegistryRef::parse(rest)?))
            }
            Some(kind) if rest.is_empty() => Err(RefError::NothingAfterKind { kind }),
            Some(kind) => Ok(ImageRef::local(Some(kind), rest)),
            None if Path::new(s).symlink_metadata().is_ok() => Ok(ImageRef::local(None, bytes)),
            None => Err(RefError::UnknownKind {
                prefix: format!("{prefix}:"),
                known: SourceKind::known_prefixes(),
                input: s.to_string_lossy().into_owned(),
            }),
        }
    }

    /// A file or directory, with no parsing of its name at all.
    pub fn from_path(path: impl Into<PathBuf>) -> ImageRef {
        ImageRef::Path {
            kind: None,
            path: path.into(),
        }
    }

    fn local(kind: Option<SourceKind>, rest: &[u8]) -> ImageRef {
        if rest == b"-" {
            return ImageRef::Stdin { kind };
        }
        ImageRef::Path {
            kind,
            path: PathBuf::from(OsString::from_vec(rest.to_vec())),
        }
    }

    /// The kind the user forced, if any.
    pub fn kind(&self) -> Option<SourceKind> {
        match self {
            ImageRef::Path { kind, .. } | ImageRef::Stdin { kind } => *kind,
            ImageRef::Registry(_) => Some(SourceKind::Registry),
        }
    }

    /// The file or directory, for references to one.
    pub fn path(&self) -> Option<&Path> {
        match self {
            ImageRef::Path { path, .. } => Some(path),
            ImageRef::Stdin { .. } | ImageRef::Registry(_) => None,
        }
    }
}

impl std::str::FromStr for ImageRef {
    type Err = RefError;

    fn from_str(s: &str) -> Result<Self, RefError> {
        ImageRef::parse(s)
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(k) = self.kind() {
            write!(f, "{k}:")?;
        }
        match self {
            ImageRef::Path { path, .. } => write!(f, "{}", path.display()),
            ImageRef::Stdin { .. } => f.write_str("-"),
            ImageRef::Registry(r) => write!(f, "{r}"),
        }
    }
}

/// `(word, rest)` when `s` starts with `word:` and `word` looks like a kind: lowercase
/// letters, digits and `-`, at least two characters (so `C:` stays part of a file name),
/// starting with a letter. A `/` before the colon makes it a path.
fn kind_prefix(s: &[u8]) -> Option<(&str, &[u8])> {
    let colon = s.iter().position(|&b| b == b':')?;
    let word = &s[..colon];
    let looks_like_kind = word.len() >= 2
        && word[0].is_ascii_lowercase()
        && word
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-');
    if !looks_like_kind {
        return None;
    }
    Some((std::str::from_utf8(word).ok()?, &s[colon + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_utf8_paths_survive() {
        let raw = OsStr::from_bytes(b"dir:/tmp/\xff\xfe-rootfs");
        let r = ImageRef::parse_os(raw).unwrap();
        assert_eq!(
            r.path().unwrap().as_os_str().as_bytes(),
            b"/tmp/\xff\xfe-rootfs"
        );
        assert_eq!(r.kind(), Some(SourceKind::RootfsDir));
        let bare = OsStr::from_bytes(b"\xffimage.tar");
        assert_eq!(
            ImageRef::parse_os(bare)
                .unwrap()
                .path()
                .unwrap()
                .as_os_str(),
            bare
        );
    }

    #[test]
    fn unknown_kinds_list_the_known_ones() {
        for input in ["containerd:app", "docker:app", "debian:12"] {
            let err = ImageRef::parse(input).unwrap_err();
            let RefError::UnknownKind { known, .. } = &err else {
                panic!("{input}: {err:?}");
            };
            for k in ["docker-archive:", "oci-dir:", "oci-archive:", "dir:"] {
                assert!(known.contains(k), "{known}");
            }
        }
    }

    #[test]
    fn a_slash_before_the_colon_makes_a_path() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("debian:12");
        std::fs::write(&file, b"x").unwrap();
        let r = ImageRef::parse_os(file.as_os_str()).unwrap();
        assert_eq!(r.path(), Some(file.as_path()));
    }

    #[test]
    fn kinds_and_stdin() {
        assert_eq!(
            ImageRef::parse("docker-archive:-").unwrap(),
            ImageRef::Stdin {
                kind: Some(SourceKind::DockerArchive)
            }
        );
        assert_eq!(
            ImageRef::parse("rootfs:/x").unwrap().kind(),
            Some(SourceKind::RootfsDir)
        );
        assert_eq!(
            ImageRef::parse("oci-dir:"),
            Err(RefError::NothingAfterKind {
                kind: SourceKind::OciDir
            })
        );
        assert_eq!(ImageRef::parse(""), Err(RefError::Empty));
        for s in [
            "a.tar",
            "oci:layout",
            "-",
            "dir:/r",
            "/abs/x:y",
            "registry:127.0.0.1:5000/a/b:1",
        ] {
            let r = ImageRef::parse(s).unwrap();
            assert_eq!(ImageRef::parse(&r.to_string()).unwrap(), r, "{s}");
        }
    }
}
