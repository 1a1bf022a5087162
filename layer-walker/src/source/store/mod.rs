//! Where blobs are read from, by name (`manifest.json`, `blobs/sha256/<hex>`): a directory
//! (`dir.rs`), a tar file on disk indexed once and read with positioned reads so layers
//! stream in parallel without sharing a cursor (`tar.rs`), or memory, for the small files of
//! an archive that could only be streamed (`mem.rs`).

mod dir;
mod mem;
mod tar;

pub(crate) use dir::DirStore;
pub(crate) use mem::MemStore;
pub(crate) use tar::TarStore;

use std::io::Read;

use crate::error::{Error, Location, Result};
use crate::limits::Limit;
use crate::tar::path as names;

/// Hops allowed through links inside an archive (containers/image writes `<id>/layer.tar`
/// as a symlink to the top-level blob).
pub(super) const MAX_LINK_HOPS: usize = 16;

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
                at: self.location().clone(),
                layer: None,
                limit: Limit::MetadataFile,
                what: format!("metadata file {name}"),
                max,
            });
        }
        let mut buf = Vec::with_capacity(size as usize);
        r.read_to_end(&mut buf).map_err(|e| {
            let at = match self.location() {
                Location::Path(p) => Location::Path(p.join(name)),
                other => other.clone(),
            };
            Error::from_stream(at, None, e)
        })?;
        Ok(Some(buf))
    }

    /// The archive or directory, for error messages.
    fn location(&self) -> &Location;
}

/// An archive member name, cleaned, without a leading `/`; `None` if it leaves the archive.
pub(super) fn member_name(name: &str) -> Option<String> {
    Some(
        names::clean(name.as_bytes())
            .ok()?
            .trim_start_matches('/')
            .to_string(),
    )
}

/// Where the symlink member `link` pointing at `target` leads: relative targets start from
/// the link's directory, absolute ones from the archive root.
pub(super) fn link_target(link: &str, target: &str) -> Option<String> {
    let joined = match (target.starts_with('/'), link.rsplit_once('/')) {
        (false, Some((dir, _))) => format!("{dir}/{target}"),
        _ => target.to_string(),
    };
    member_name(&joined)
}
