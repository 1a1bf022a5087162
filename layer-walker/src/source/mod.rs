//! Image sources: what the user points at, and how its blobs are reached.
//!
//! | input                          | how it is read                                            |
//! |--------------------------------|-----------------------------------------------------------|
//! | docker-archive / OCI tar       | headers indexed once, members read in parallel at offsets |
//! | the same, gzip/zstd-compressed | one streamed pass; layers analysed as they pass           |
//! | OCI layout directory           | files opened directly                                     |
//! | unpacked root filesystem       | walked as a single layer (see `rootfs.rs`)               |

mod manifest;
pub(crate) mod resolve;
pub(crate) mod store;
pub(crate) mod stream;

use crate::walk::retained::Retained;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The kinds of input the scanner reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// `docker save` output (classic or Docker 25+), optionally gzip- or zstd-compressed.
    DockerArchive,
    /// An OCI image layout directory.
    OciDir,
    /// An OCI image layout packed in a tar (optionally compressed).
    OciArchive,
    /// An unpacked root filesystem directory.
    RootfsDir,
}

impl SourceKind {
    /// The prefix users write to force a kind: `docker-archive:`.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::DockerArchive => "docker-archive",
            SourceKind::OciDir => "oci-dir",
            SourceKind::OciArchive => "oci-archive",
            SourceKind::RootfsDir => "dir",
        }
    }

    fn from_prefix(p: &str) -> Option<Self> {
        Some(match p {
            "docker-archive" => SourceKind::DockerArchive,
            "oci-dir" | "oci" => SourceKind::OciDir,
            "oci-archive" => SourceKind::OciArchive,
            "dir" | "rootfs" => SourceKind::RootfsDir,
            _ => return None,
        })
    }
}

/// What to scan: a path, and the kind when the user forced one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    pub kind: Option<SourceKind>,
    pub path: PathBuf,
}

impl ImageRef {
    /// Parses `PATH` or `KIND:PATH` (`docker-archive:img.tar`, `oci-dir:layout/`,
    /// `oci-archive:img.oci.tar`, `dir:rootfs/`).
    ///
    /// ```
    /// use layer_walker::{ImageRef, SourceKind};
    /// let r = ImageRef::parse("oci-dir:./layout");
    /// assert_eq!(r.kind, Some(SourceKind::OciDir));
    /// assert_eq!(ImageRef::parse("C:img.tar").kind, None);
    /// ```
    pub fn parse(s: &str) -> ImageRef {
        if let Some((prefix, rest)) = s.split_once(':') {
            if let Some(kind) = SourceKind::from_prefix(prefix) {
                return ImageRef {
                    kind: Some(kind),
                    path: PathBuf::from(rest),
                };
            }
        }
        ImageRef {
            kind: None,
            path: PathBuf::from(s),
        }
    }
}

/// How the bytes of the input are laid out.
pub(crate) enum Access {
    /// Random access: an OCI directory or an uncompressed tar on disk.
    Store(Box<dyn store::BlobStore>, SourceKind),
    /// A compressed archive: must be read front to back once.
    Stream(File, crate::blob::Compression),
    /// An unpacked root filesystem.
    Rootfs(PathBuf),
}

/// Works out what `r` is and how to read it.
pub(crate) fn open(r: &ImageRef, retained: &Retained) -> Result<Access> {
    let path = &r.path;
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.is_dir() {
        let has = |n: &str| path.join(n).exists();
        let kind = match r.kind {
            Some(k) => k,
            None if has("index.json") || has("oci-layout") => SourceKind::OciDir,
            None if has("manifest.json") => SourceKind::DockerArchive,
            None => SourceKind::RootfsDir,
        };
        return Ok(match kind {
            SourceKind::RootfsDir => Access::Rootfs(path.clone()),
            k => Access::Store(Box::new(store::DirStore::new(path)?), k),
        });
    }
    if matches!(
        r.kind,
        Some(SourceKind::OciDir) | Some(SourceKind::RootfsDir)
    ) {
        return Err(Error::NotAnImage {
            path: path.clone(),
            reason: format!(
                "{} needs a directory, and this is a file",
                r.kind.unwrap().as_str()
            ),
        });
    }
    let mut head = [0u8; 512];
    let n = read_head(path, &mut head)?;
    let compression = crate::blob::Compression::sniff(&head[..n]);
    if compression != crate::blob::Compression::None {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        return Ok(Access::Stream(file, compression));
    }
    if n < 512 || !looks_like_tar(&head) {
        let reason = if n == 0 {
            "the file is empty"
        } else {
            "it is neither a tar archive nor a gzip/zstd-compressed one"
        };
        return Err(Error::NotAnImage {
            path: path.clone(),
            reason: reason.into(),
        });
    }
    let store = store::TarStore::index(path, retained)?;
    let kind = match r.kind {
        Some(k) => k,
        None => classify_names(path, store.names())?,
    };
    Ok(Access::Store(Box::new(store), kind))
}

fn read_head(path: &Path, buf: &mut [u8]) -> Result<usize> {
    let mut f = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) => return Err(Error::io(path, e)),
        }
    }
    Ok(n)
}

/// A ustar/GNU header has its magic at offset 257; v7 headers have a valid checksum only.
fn looks_like_tar(h: &[u8; 512]) -> bool {
    if &h[257..262] == b"ustar" {
        return true;
    }
    let stored = std::str::from_utf8(&h[148..156])
        .ok()
        .map(|s| s.trim_matches(|c: char| c == '\0' || c == ' '))
        .and_then(|s| u32::from_str_radix(s, 8).ok());
    let sum: u32 = h
        .iter()
        .enumerate()
        .map(|(i, b)| {
            if (148..156).contains(&i) {
                32
            } else {
                *b as u32
            }
        })
        .sum();
    stored == Some(sum)
}

/// docker-archive or OCI archive, from the member names; a hint when it is neither.
pub(crate) fn classify_names<'a>(
    path: &Path,
    names: impl Iterator<Item = &'a str>,
) -> Result<SourceKind> {
    let (mut manifest, mut index, mut layout, mut rootfs_like) = (false, false, false, 0);
    for n in names {
        match n {
            "manifest.json" => manifest = true,
            "index.json" => index = true,
            "oci-layout" => layout = true,
            _ if n.starts_with("etc/")
                || n.starts_with("usr/")
                || n.starts_with("bin/")
                || n.starts_with("var/") =>
            {
                rootfs_like += 1
            }
            _ => {}
        }
    }
    if manifest {
        // Docker 25+ writes an OCI layout and manifest.json both: it is what `docker save` made
        return Ok(SourceKind::DockerArchive);
    }
    if index || layout {
        return Ok(SourceKind::OciArchive);
    }
    let reason = if rootfs_like > 0 {
        "this looks like a single layer or root filesystem tar, not an image archive (no manifest.json or index.json); \
         unpack it and scan the directory with dir:PATH"
            .to_string()
    } else {
        "the tar has no manifest.json (docker-archive) or index.json (OCI layout)".to_string()
    };
    Err(Error::NotAnImage {
        path: path.to_path_buf(),
        reason,
    })
}
