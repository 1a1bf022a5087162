//! Where blobs are read from: a directory, a tar file on disk (indexed once, then read with
//! positioned reads so layers stream in parallel without sharing a cursor), or memory (the
//! small JSON files of an archive that could only be streamed).

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::walk::path as names;
use crate::walk::retained::{self, Retained};
use crate::walk::tar_guard::{self, TarGuard};

/// Hops allowed through links inside an archive (containers/image writes `<id>/layer.tar`
/// as a symlink to the top-level blob).
const MAX_LINK_HOPS: usize = 16;

/// Read access to the files of an image archive or layout, by relative name (`manifest.json`,
/// `blobs/sha256/<hex>`).
pub(crate) trait BlobStore: Send + Sync {
    /// Opens `name` for reading; `Ok(None)` when it does not exist.
    fn open(&self, name: &str) -> Result<Option<(Box<dyn Read + Send + '_>, u64)>>;

    /// Reads a small file whole; `Ok(None)` when it does not exist. Larger than `max` is an
    /// error: metadata files are small, and a huge one is hostile.
    fn read_small(&self, name: &str, max: u64) -> Result<Option<Vec<u8>>> {
        let Some((mut r, size)) = self.open(name)? else {
            return Ok(None);
        };
        if size > max {
            return Err(Error::LimitExceeded {
                archive: self.location().to_path_buf(),
                what: format!("metadata file {name}"),
                limit: max,
                unit: "bytes",
            });
        }
        let mut buf = Vec::with_capacity(size as usize);
        r.read_to_end(&mut buf)
            .map_err(|e| Error::io(self.location().join(name), e))?;
        Ok(Some(buf))
    }

    /// The archive or directory, for error messages.
    fn location(&self) -> &Path;
}

/// An OCI layout directory.
pub(crate) struct DirStore {
    root: PathBuf,
}

impl DirStore {
    pub(crate) fn new(root: &Path) -> Result<Self> {
        let root = root.canonicalize().map_err(|e| Error::io(root, e))?;
        Ok(DirStore { root })
    }
}

impl BlobStore for DirStore {
    fn open(&self, name: &str) -> Result<Option<(Box<dyn Read + Send + '_>, u64)>> {
        let Ok(clean) = names::clean(name.as_bytes()) else {
            return Ok(None);
        };
        let path = self.root.join(clean.trim_start_matches('/'));
        // a layout's blobs may be links; never follow one out of the layout
        let real = match path.canonicalize() {
            Ok(p) => p,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(&path, e)),
        };
        if !real.starts_with(&self.root) {
            return Err(Error::BadMetadata {
                archive: self.root.clone(),
                what: name.to_string(),
                reason: "it is a link that points outside the layout".into(),
            });
        }
        // looked at before opening: opening a FIFO waits for a writer, forever
        let meta = std::fs::metadata(&real).map_err(|e| Error::io(&real, e))?;
        if !meta.is_file() {
            return Err(Error::BadMetadata {
                archive: self.root.clone(),
                what: name.to_string(),
                reason: "it is not a regular file".into(),
            });
        }
        let file = File::open(&real).map_err(|e| Error::io(&real, e))?;
        Ok(Some((Box::new(file), meta.len())))
    }

    fn location(&self) -> &Path {
        &self.root
    }
}

#[derive(Debug, Clone)]
enum TarItem {
    File { offset: u64, size: u64 },
    Symlink(String),
    Hardlink(String),
}

/// An uncompressed tar archive on disk: one pass over its headers (seeking past bodies),
/// then any member can be read at its offset, from any thread.
pub(crate) struct TarStore {
    path: PathBuf,
    file: Arc<File>,
    items: HashMap<String, TarItem>,
}

impl TarStore {
    pub(crate) fn index(path: &Path, retained: &Retained) -> Result<Self> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
        let mut items = HashMap::new();
        let mut archive = tar::Archive::new(TarGuard::new(&file));
        let entries = archive
            .entries_with_seek()
            .map_err(|e| Error::io(path, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| not_an_archive(path, e))?;
            let Ok(name) = names::clean(&entry.path_bytes()) else {
                continue; // a name outside the archive root can never be asked for
            };
            let name = name.trim_start_matches('/').to_string();
            let item = match entry.header().entry_type() {
                tar::EntryType::Regular | tar::EntryType::Continuous => {
                    let (offset, size) = (entry.raw_file_position(), entry.size());
                    // members are found by seeking over their bodies, which never notices
                    // a body that runs past the end of a cut archive
                    if offset.saturating_add(size) > len {
                        return Err(Error::io(
                            path,
                            io::Error::new(
                                io::ErrorKind::UnexpectedEof,
                                format!(
                                    "truncated: member {name} needs {size} bytes from offset {offset}, the file ends at {len}"
                                ),
                            ),
                        ));
                    }
                    TarItem::File { offset, size }
                }
                tar::EntryType::Symlink => {
                    let t = entry
                        .link_name_bytes()
                        .map(|b| String::from_utf8_lossy(&b).into_owned());
                    TarItem::Symlink(t.unwrap_or_default())
                }
                tar::EntryType::Link => {
                    let t = entry
                        .link_name_bytes()
                        .map(|b| String::from_utf8_lossy(&b).into_owned());
                    TarItem::Hardlink(t.unwrap_or_default())
                }
                _ => continue,
            };
            let bytes = name.len()
                + match &item {
                    TarItem::Symlink(t) | TarItem::Hardlink(t) => t.len(),
                    TarItem::File { .. } => 0,
                };
            retained.keep(bytes).map_err(|limit| Error::LimitExceeded {
                archive: path.to_path_buf(),
                what: retained::WHAT.into(),
                limit,
                unit: "bytes",
            })?;
            // later members win, as when the archive is extracted
            items.insert(name, item);
        }
        Ok(TarStore {
            path: path.to_path_buf(),
            file: Arc::new(file),
            items,
        })
    }

    /// Names of all members, for telling what kind of archive this is.
    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.items.keys().map(String::as_str)
    }

    fn resolve(&self, name: &str) -> Option<(u64, u64)> {
        let mut current = member_name(name)?;
        for _ in 0..MAX_LINK_HOPS {
            current = match self.items.get(&current)? {
                TarItem::File { offset, size } => return Some((*offset, *size)),
                TarItem::Hardlink(t) => member_name(t)?,
                TarItem::Symlink(t) => link_target(&current, t)?,
            };
        }
        None
    }
}

/// An archive member name, cleaned, without a leading `/`; `None` if it leaves the archive.
fn member_name(name: &str) -> Option<String> {
    Some(
        names::clean(name.as_bytes())
            .ok()?
            .trim_start_matches('/')
            .to_string(),
    )
}

/// Where the symlink member `link` pointing at `target` leads: relative targets start from
/// the link's directory, absolute ones from the archive root.
fn link_target(link: &str, target: &str) -> Option<String> {
    let joined = match (target.starts_with('/'), link.rsplit_once('/')) {
        (false, Some((dir, _))) => format!("{dir}/{target}"),
        _ => target.to_string(),
    };
    member_name(&joined)
}

pub(crate) fn not_an_archive(path: &Path, e: io::Error) -> Error {
    if tar_guard::metadata_too_large(&e).is_some() {
        return Error::io(path, e);
    }
    Error::NotAnImage {
        path: path.to_path_buf(),
        reason: format!("cannot read it as a tar archive ({e})"),
    }
}

impl BlobStore for TarStore {
    fn open(&self, name: &str) -> Result<Option<(Box<dyn Read + Send + '_>, u64)>> {
        let Some((offset, size)) = self.resolve(name) else {
            return Ok(None);
        };
        let file_len = self
            .file
            .metadata()
            .map_err(|e| Error::io(&self.path, e))?
            .len();
        if offset.saturating_add(size) > file_len {
            return Err(Error::Layer {
                archive: self.path.clone(),
                index: 0,
                name: name.to_string(),
                reason: format!(
                    "member is cut off: the archive ends {} bytes early",
                    offset + size - file_len
                ),
            });
        }
        Ok(Some((
            Box::new(SliceReader {
                file: self.file.clone(),
                pos: offset,
                end: offset + size,
            }),
            size,
        )))
    }

    fn location(&self) -> &Path {
        &self.path
    }
}

/// Reads `[pos, end)` of a file with positioned reads: no shared cursor, so any number of
/// these can read one file from different threads.
struct SliceReader {
    file: Arc<File>,
    pos: u64,
    end: u64,
}

impl Read for SliceReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.end.saturating_sub(self.pos);
        if left == 0 {
            return Ok(0);
        }
        let want = (buf.len() as u64).min(left) as usize;
        let n = self.file.read_at(&mut buf[..want], self.pos)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "archive member is cut off",
            ));
        }
        self.pos += n as u64;
        Ok(n)
    }
}

/// Small files kept in memory, plus links, from an archive read as a stream.
pub(crate) struct MemStore {
    pub(crate) path: PathBuf,
    pub(crate) files: HashMap<String, Vec<u8>>,
    pub(crate) links: HashMap<String, String>,
}

impl MemStore {
    /// Follows archive links to the member `name` stands for.
    pub(crate) fn resolve_name(&self, name: &str) -> String {
        let mut current = member_name(name).unwrap_or_default();
        for _ in 0..MAX_LINK_HOPS {
            match self.links.get(&current) {
                Some(t) => current = link_target(&current, t).unwrap_or_default(),
                None => return current,
            }
        }
        current
    }
}

impl BlobStore for MemStore {
    fn open(&self, name: &str) -> Result<Option<(Box<dyn Read + Send + '_>, u64)>> {
        let name = self.resolve_name(name);
        Ok(self
            .files
            .get(&name)
            .map(|b| (Box::new(&b[..]) as Box<dyn Read + Send>, b.len() as u64)))
    }

    fn location(&self) -> &Path {
        &self.path
    }
}
