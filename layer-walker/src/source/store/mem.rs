//! Small files kept in memory, plus links, from an archive read as a stream.

use std::collections::HashMap;
use std::io::Read;

use super::{link_target, member_name, BlobStore, MAX_LINK_HOPS};
use crate::error::{Location, Result};

/// Small files kept in memory, plus links, from an archive read as a stream.
pub(crate) struct MemStore {
    pub(crate) at: Location,
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

    fn location(&self) -> &Location {
        &self.at
    }
}
