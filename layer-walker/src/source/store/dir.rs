//! An OCI layout (or unpacked docker-archive) directory.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use super::{names, BlobStore};
use crate::error::{Error, Location, Result};

/// An OCI layout directory.
pub(crate) struct DirStore {
    root: PathBuf,
    at: Location,
}

impl DirStore {
    pub(crate) fn new(root: &Path) -> Result<Self> {
        let at = Location::Path(root.to_path_buf());
        let root = root.canonicalize().map_err(|e| Error::io(root, e))?;
        Ok(DirStore { root, at })
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
                at: self.at.clone(),
                what: name.to_string(),
                reason: "it is a link that points outside the layout".into(),
            });
        }
        // looked at before opening: opening a FIFO waits for a writer, forever
        let meta = std::fs::metadata(&real).map_err(|e| Error::io(&real, e))?;
        if !meta.is_file() {
            return Err(Error::BadMetadata {
                at: self.at.clone(),
                what: name.to_string(),
                reason: "it is not a regular file".into(),
            });
        }
        let file = File::open(&real).map_err(|e| Error::io(&real, e))?;
        Ok(Some((Box::new(file), meta.len())))
    }

    fn location(&self) -> &Location {
        &self.at
    }
}
