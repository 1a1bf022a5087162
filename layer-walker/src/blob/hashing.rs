use std::io::{self, Read};

use sha2::{Digest, Sha256};

/// Hashes (SHA-256) and counts every byte read through it, so digests cost no second pass.
pub(crate) struct HashingReader<'p, R> {
    inner: R,
    hasher: Sha256,
    count: u64,
    progress: Option<Box<dyn FnMut(u64) + Send + 'p>>,
    unreported: u64,
    /// False: only count bytes (the caller knows the digest some other way).
    hash: bool,
}

/// Progress is reported in steps of this many bytes.
const PROGRESS_STEP: u64 = 4 << 20;

impl<'p, R> HashingReader<'p, R> {
    pub(crate) fn new(inner: R) -> Self {
        HashingReader {
            inner,
            hasher: Sha256::new(),
            count: 0,
            progress: None,
            unreported: 0,
            hash: true,
        }
    }

    /// Counts bytes without hashing them; [`HashingReader::finish`] then returns an empty
    /// digest. For an uncompressed layer, whose diff_id is its blob digest.
    pub(crate) fn counting(inner: R) -> Self {
        HashingReader {
            hash: false,
            ..Self::new(inner)
        }
    }

    /// Calls `f` with the number of new bytes every few MiB (and at the end, from
    /// [`HashingReader::finish`]).
    pub(crate) fn with_progress(mut self, f: Box<dyn FnMut(u64) + Send + 'p>) -> Self {
        self.progress = Some(f);
        self
    }

    /// `sha256:<hex>` of everything read, and the byte count.
    pub(crate) fn finish(mut self) -> (String, u64) {
        if let Some(p) = self.progress.as_mut() {
            if self.unreported > 0 {
                p(self.unreported);
            }
        }
        if !self.hash {
            return (String::new(), self.count);
        }
        (format!("sha256:{:x}", self.hasher.finalize()), self.count)
    }
}

impl<R: Read> Read for HashingReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if self.hash {
            self.hasher.update(&buf[..n]);
        }
        self.count += n as u64;
        if let Some(p) = self.progress.as_mut() {
            self.unreported += n as u64;
            if self.unreported >= PROGRESS_STEP {
                p(self.unreported);
                self.unreported = 0;
            }
        }
        Ok(n)
    }
}

/// `sha256:<hex>` of a byte slice.
pub(crate) fn sha256_of(bytes: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(bytes))
}
