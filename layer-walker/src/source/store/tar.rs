//! An uncompressed tar archive on disk: one pass over its headers (seeking past bodies),
//! then any member can be read at its offset, from any thread.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;

use super::{link_target, member_name, names, BlobStore, MAX_LINK_HOPS};
use crate::error::{Error, Location, Result};
use crate::limits::Retained;
use crate::tar::guard::{self, TarGuard};

#[derive(Debug, Clone)]
enum TarItem {
    File { offset: u64, size: u64 },
    Symlink(String),
    Hardlink(String),
}

/// An uncompressed tar archive on disk: one pass over its headers (seeking past bodies),
/// then any member can be read at its offset, from any thread.
pub(crate) struct TarStore {
    at: Location,
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
            .map_err(|e| not_an_archive(path, e))?;
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
                        return Err(Error::Truncated {
                            at: path.into(),
                            layer: None,
                            detail: format!(
                                "member {name} needs {size} bytes from offset {offset}, the file ends at {len}"
                            ),
                        });
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
            retained
                .keep(bytes)
                .map_err(|hit| Error::from_stream(path.into(), None, hit.into_io()))?;
            // later members win, as when the archive is extracted
            items.insert(name, item);
        }
        Ok(TarStore {
            at: path.into(),
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

impl BlobStore for TarStore {
    fn open(&self, name: &str) -> Result<Option<(Box<dyn Read + Send + '_>, u64)>> {
        let Some((offset, size)) = self.resolve(name) else {
            return Ok(None);
        };
        let file_len = self
            .file
            .metadata()
            .map_err(|e| Error::io(self.at.clone(), e))?
            .len();
        if offset.saturating_add(size) > file_len {
            return Err(Error::Truncated {
                at: self.at.clone(),
                layer: None,
                detail: format!(
                    "member {name} is cut off: the archive ends {} bytes early",
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

    fn location(&self) -> &Location {
        &self.at
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

fn not_an_archive(path: &Path, e: io::Error) -> Error {
    if guard::metadata_too_large(&e).is_some() {
        return Error::from_stream(path.into(), None, e);
    }
    Error::NotAnImage {
        at: path.into(),
        reason: format!("cannot read it as a tar archive ({e})"),
    }
}
