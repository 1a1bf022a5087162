//! The opt-in file inventory's part of the walk: every regular file's size, mode and
//! digests, hashed from its body as the walk streams past it (claimed bodies are hashed as
//! the detectors read them, the rest as it is drained), never held in memory.
//!
//! Nothing here runs unless the scan asked for files ([`crate::Scanner::files`]): the walk
//! tests one flag per entry and otherwise takes the same path as before.

use std::io::{self, Read};

use sha1::Sha1;
use sha2::{Digest as _, Sha256};

/// Which digests the file inventory computes. SHA-256 always; SHA-1 only when asked for,
/// because SPDX 2.3 is the one format that requires it and it costs as much again as the
/// SHA-256 (debian-large with `--files`: 2.33x the default scan with both, measured in
/// benches/RESULTS.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FileHashes {
    pub sha1: bool,
}

/// What one tar entry (or root filesystem file) contributes to the file inventory.
#[derive(Clone, Debug)]
pub(crate) struct FileRecord {
    pub path: String,
    /// How many of the layer's [`crate::walk::layer::Change`]s come before this file: the
    /// overlay applies them first, so a later symlink or whiteout at the path wins.
    pub order: u32,
    pub mode: u32,
    pub body: FileBody,
}

#[derive(Clone, Debug)]
pub(crate) enum FileBody {
    /// A regular file, hashed.
    Hashed {
        size: u64,
        sha256: [u8; 32],
        sha1: Option<[u8; 20]>,
    },
    /// A hard link: the contents of `target` as the overlay has it when the link is laid.
    LinkTo(String),
}

impl FileRecord {
    /// Bytes kept for it, counted against the scan's budget of kept metadata.
    pub(crate) fn kept_bytes(&self) -> usize {
        self.path.len()
            + match &self.body {
                FileBody::Hashed { .. } => 60,
                FileBody::LinkTo(t) => t.len(),
            }
    }
}

/// Passes a body through, hashing every byte read.
pub(crate) struct Hashing<R> {
    inner: R,
    sha256: Sha256,
    sha1: Option<Sha1>,
    read: u64,
}

/// The drain's buffer: as large as the walk's read-ahead, so one call empties it.
const DRAIN: usize = 64 << 10;

impl<R: Read> Hashing<R> {
    pub(crate) fn new(inner: R, hashes: FileHashes) -> Self {
        Hashing {
            inner,
            sha256: Sha256::new(),
            sha1: hashes.sha1.then(Sha1::new),
            read: 0,
        }
    }

    /// Reads (and hashes) what the detectors left of the body, then gives its digests.
    /// `size` is what the header promised: a shorter body is an error, as for a claimed one.
    pub(crate) fn finish(
        mut self,
        path: &str,
        size: u64,
        buf: &mut Vec<u8>,
    ) -> io::Result<FileBody> {
        buf.resize(DRAIN, 0);
        loop {
            match self.inner.read(buf) {
                Ok(0) => break,
                Ok(n) => self.update(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
        if self.read != size {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "{path}: body of {} bytes where its header says {size}",
                    self.read
                ),
            ));
        }
        Ok(FileBody::Hashed {
            size,
            sha256: self.sha256.finalize().into(),
            sha1: self.sha1.map(|h| h.finalize().into()),
        })
    }

    fn update(&mut self, bytes: &[u8]) {
        self.sha256.update(bytes);
        if let Some(h) = &mut self.sha1 {
            h.update(bytes);
        }
        self.read += bytes.len() as u64;
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.update(&buf[..n]);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_cover_what_the_detectors_read_and_the_rest() {
        let body: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
        for sha1_too in [true, false] {
            let mut h = Hashing::new(&body[..], FileHashes { sha1: sha1_too });
            let mut head = [0u8; 1000];
            h.read_exact(&mut head).unwrap();
            let got = h.finish("/x", body.len() as u64, &mut Vec::new()).unwrap();
            let FileBody::Hashed { sha256, sha1, size } = got else {
                panic!("a body gives digests")
            };
            assert_eq!(size, 200_000);
            assert_eq!(sha256, <[u8; 32]>::from(Sha256::digest(&body)));
            let want = sha1_too.then(|| <[u8; 20]>::from(Sha1::digest(&body)));
            assert_eq!(sha1, want);
        }
    }

    #[test]
    fn a_body_shorter_than_its_header_is_an_error() {
        let h = Hashing::new(&b"abc"[..], FileHashes { sha1: true });
        let e = h.finish("/x", 4, &mut Vec::new()).unwrap_err();
        assert!(e.to_string().contains("/x"), "{e}");
    }
}
