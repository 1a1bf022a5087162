//! What the user points at: [`ImageRef`], parsed from `KIND:WHERE`, a bare path, or a bare
//! image name (`app:1.2`) that is no path.

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

/// The local image engines the scanner reads from, through their API sockets: the image is
/// inspected (its tags, registry digests), then exported and read as one stream while it
/// arrives, every blob verified, nothing written to disk. `SBOM_ENGINE_TIMEOUT` (seconds,
/// default 120) bounds how long an engine may fall silent.
///
/// ```no_run
/// use layer_walker::{Engine, ErrorKind, ImageRef, Scanner};
///
/// // what `sbom scan docker:app:1.2` reads; `ImageRef::parse("podman:app")` for Podman
/// let image = ImageRef::Engine { engine: Engine::Docker, name: "app:1.2".into() };
/// match Scanner::new().scan(&image) {
///     Ok(scan) => {
///         // named as the engine tags it, with its registry digests for the purl
///         println!("{}: {} packages", scan.inventory.image.name, scan.inventory.installed().count());
///     }
///     Err(e) if e.kind() == ErrorKind::EngineUnavailable => eprintln!("no engine: {e}"),
///     Err(e) if e.kind() == ErrorKind::ImageNotFound => eprintln!("no such image: {e}"),
///     Err(e) => return Err(e.into()),
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Engine {
    /// The Docker engine (`docker:NAME`): `DOCKER_HOST`, else `/var/run/docker.sock`.
    Docker,
    /// Podman's Docker-compatible service (`podman:NAME`): `CONTAINER_HOST`, else the
    /// rootless `$XDG_RUNTIME_DIR/podman/podman.sock`, else `/run/podman/podman.sock`.
    Podman,
}

impl Engine {
    /// The prefix users write: `docker`, `podman`.
    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Docker => "docker",
            Engine::Podman => "podman",
        }
    }

    /// The engine a prefix (without its colon) selects.
    pub fn from_prefix(p: &str) -> Option<Self> {
        [Engine::Docker, Engine::Podman]
            .into_iter()
            .find(|e| e.as_str() == p)
    }

    /// Its name in prose: `Docker`, `Podman`.
    pub fn title(self) -> &'static str {
        match self {
            Engine::Docker => "Docker",
            Engine::Podman => "Podman",
        }
    }
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Source kinds of other tools that this crate does not read: `containerd:app` is a usage
/// error naming the kinds there are, not a bare name `containerd` with the tag `app`.
const FOREIGN_KINDS: &[&str] = &[
    "containerd",
    "singularity",
    "sif",
    "file",
    "oci-registry",
    "docker-daemon",
    "containers-storage",
];

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

    /// Every prefix, as a user would write it: `docker-archive:, oci-dir: (or oci:), ...,
    /// docker:, podman:`.
    pub fn known_prefixes() -> String {
        KINDS
            .iter()
            .map(|(_, names)| match names {
                [one] => format!("{one}:"),
                [first, rest @ ..] => format!("{first}: (or {}:)", rest.join(":, ")),
                [] => String::new(),
            })
            .chain(["docker:".to_string(), "podman:".to_string()])
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
/// use layer_walker::{Engine, ImageRef, SourceKind};
///
/// let r = ImageRef::parse("oci-dir:./layout")?;
/// assert_eq!(r, ImageRef::Path { kind: Some(SourceKind::OciDir), path: "./layout".into() });
/// assert_eq!(ImageRef::parse("-")?, ImageRef::Stdin { kind: None });
/// // a one-letter prefix is part of the file name, as is anything after a `/`
/// assert_eq!(ImageRef::parse("C:img.tar")?.path(), Some(Path::new("C:img.tar")));
/// assert_eq!(ImageRef::parse("./x:y.tar")?.path(), Some(Path::new("./x:y.tar")));
/// // an image in the local Docker or Podman engine
/// assert_eq!(
///     ImageRef::parse("docker:app:1.2")?,
///     ImageRef::Engine { engine: Engine::Docker, name: "app:1.2".into() }
/// );
/// // a name that is no file or directory: tried in the engines in turn
/// assert_eq!(ImageRef::parse("debian:12")?, ImageRef::Name { reference: "debian:12".into() });
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
    /// An image held by a local engine (`docker:NAME[:TAG]`, `docker:ID`, `podman:NAME`),
    /// exported through its API and read as one stream.
    Engine {
        /// Which engine.
        engine: Engine,
        /// The image as the engine names it: `app`, `app:1.2`, `registry/app@sha256:...`,
        /// an image ID or a prefix of one.
        name: String,
    },
    /// A bare image name (`app:1.2`) that is no file or directory: tried in the Docker
    /// engine, then Podman, then a registry; an existing file of that name always wins.
    Name {
        /// The name as given.
        reference: String,
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
    /// `docker:` or `podman:` followed by no valid image name.
    #[error("{engine}:{name:?} is not an image name or ID (NAME[:TAG][@DIGEST], lowercase)")]
    InvalidName {
        /// The engine given.
        engine: Engine,
        /// What followed the prefix.
        name: String,
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
        let exists = || Path::new(s).symlink_metadata().is_ok();
        let Some((prefix, rest)) = kind_prefix(bytes) else {
            return Ok(match std::str::from_utf8(bytes) {
                Ok(name) if !exists() && is_bare_name(name) => ImageRef::Name {
                    reference: name.to_string(),
                },
                _ => ImageRef::local(None, bytes),
            });
        };
        if let Some(engine) = Engine::from_prefix(prefix) {
            return match std::str::from_utf8(rest) {
                Ok(name) if is_image_name(name) => Ok(ImageRef::Engine {
                    engine,
                    name: name.to_string(),
                }),
                _ => Err(RefError::InvalidName {
                    engine,
                    name: String::from_utf8_lossy(rest).into_owned(),
                }),
            };
        }
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
            None if exists() => Ok(ImageRef::local(None, bytes)),
            None if !FOREIGN_KINDS.contains(&prefix) && is_bare_name(&s.to_string_lossy()) => {
                Ok(ImageRef::Name {
                    reference: s.to_string_lossy().into_owned(),
                })
            }
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
            ImageRef::Engine { .. } | ImageRef::Name { .. } => None,
            ImageRef::Registry(_) => Some(SourceKind::Registry),
        }
    }

    /// The file or directory, for references to one.
    pub fn path(&self) -> Option<&Path> {
        match self {
            ImageRef::Path { path, .. } => Some(path),
            ImageRef::Stdin { .. } | ImageRef::Registry(_) => None,
            ImageRef::Engine { .. } | ImageRef::Name { .. } => None,
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
            ImageRef::Engine { engine, name } => write!(f, "{engine}:{name}"),
            ImageRef::Name { reference } => f.write_str(reference),
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

/// Whether `s` is an image name an engine resolves: `[HOST[:PORT]/]PATH[:TAG][@ALG:HEX]`, PATH
/// lowercase components joined by `/` (Docker's reference grammar), or an image ID. Nothing
/// else reaches an engine, so a name cannot add to its API request.
pub(crate) fn is_image_name(s: &str) -> bool {
    let (rest, digest) = match s.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (s, None),
    };
    if let Some(d) = digest {
        let ok = d.split_once(':').is_some_and(|(alg, hex)| {
            !alg.is_empty()
                && alg
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
                && hex.len() >= 32
                && hex.bytes().all(|b| b.is_ascii_hexdigit())
        });
        if !ok {
            return false;
        }
    }
    // the tag: after the last ':' that has no '/' after it
    let (path, tag) = match rest.rsplit_once(':') {
        Some((p, t)) if !t.contains('/') => (p, Some(t)),
        _ => (rest, None),
    };
    if let Some(t) = tag {
        let tag_ok = !t.is_empty()
            && t.len() <= 128
            && t.bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
        if !tag_ok {
            return false;
        }
    }
    let mut parts: Vec<&str> = path.split('/').collect();
    // a first part with '.' or ':' (or `localhost`) is a registry host, maybe with a port
    if parts.len() > 1 && (parts[0].contains(['.', ':']) || parts[0] == "localhost") {
        let host = parts.remove(0);
        let (h, port) = match host.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (host, None),
        };
        let host_ok = !h.is_empty()
            && h.split('.').all(|l| {
                !l.is_empty()
                    && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    && !l.starts_with('-')
                    && !l.ends_with('-')
            });
        if !host_ok || port.is_some_and(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
        {
            return false;
        }
    }
    !parts.is_empty()
        && parts.iter().all(|c| {
            let b = c.as_bytes();
            !b.is_empty()
                && b[0].is_ascii_lowercase() | b[0].is_ascii_digit()
                && b[b.len() - 1].is_ascii_lowercase() | b[b.len() - 1].is_ascii_digit()
                && b.iter()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || b"._-".contains(c))
        })
}

/// A bare argument read as an image name rather than a missing file: a valid name that does
/// not look like a file someone meant (`./x`, `~/x`, `app.tar`, `layout.oci`).
fn is_bare_name(s: &str) -> bool {
    const FILE_SUFFIXES: &[&str] = &[".tar", ".gz", ".tgz", ".zst", ".zstd", ".oci", ".json"];
    is_image_name(s)
        && !s.starts_with(['.', '/', '~'])
        && !FILE_SUFFIXES.iter().any(|x| s.ends_with(x))
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
    fn engine_and_bare_names() {
        for (input, engine, name) in [
            ("docker:app", Engine::Docker, "app"),
            ("docker:registry.local:5000/team/app:1.2", Engine::Docker, "registry.local:5000/team/app:1.2"),
            ("podman:localhost/app", Engine::Podman, "localhost/app"),
            ("docker:65bf1c9c97ce", Engine::Docker, "65bf1c9c97ce"),
            ("docker:app@sha256:ba90d7f9bbc3233a7bedfd86b5059eed36d71e05c6bd67ce0a2786ceca4f7117", Engine::Docker, "app@sha256:ba90d7f9bbc3233a7bedfd86b5059eed36d71e05c6bd67ce0a2786ceca4f7117"),
        ] {
            let r = ImageRef::parse(input).unwrap();
            assert_eq!(r, ImageRef::Engine { engine, name: name.into() }, "{input}");
            assert_eq!(r.to_string(), input);
        }
        for bad in [
            "docker:",
            "docker:App",
            "docker:a b",
            "docker:a:",
            "docker:a\r\nHost: x",
            "podman:-x",
            "docker:a@md5:1",
        ] {
            assert!(
                matches!(ImageRef::parse(bad), Err(RefError::InvalidName { .. })),
                "{bad}"
            );
        }
        for bare in [
            "debian:12",
            "app",
            "ghcr.io/org/app:v1",
            "localhost:5000/app",
        ] {
            assert_eq!(
                ImageRef::parse(bare).unwrap(),
                ImageRef::Name {
                    reference: bare.into()
                },
                "{bare}"
            );
        }
        // what looks like a file stays one, and reports itself missing
        for file in ["app.tar", "img.tar.gz", "layout.oci", "./app", "Image", "-"] {
            assert!(
                !matches!(ImageRef::parse(file).unwrap(), ImageRef::Name { .. }),
                "{file}"
            );
        }
    }

    #[test]
    fn unknown_kinds_list_the_known_ones() {
        for input in ["containerd:app", "file:x", "singularity:x"] {
            let err = ImageRef::parse(input).unwrap_err();
            let RefError::UnknownKind { known, .. } = &err else {
                panic!("{input}: {err:?}");
            };
            for k in [
                "docker-archive:",
                "oci-dir:",
                "oci-archive:",
                "dir:",
                "docker:",
                "podman:",
            ] {
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
