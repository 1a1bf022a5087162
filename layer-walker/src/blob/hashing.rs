use std::collections::VecDeque;
use std::io::{self, BufRead, Read};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;

use sha2::{Digest, Sha256};

/// Hashes (SHA-256) and counts every byte read through it, so digests cost no second pass.
///
/// SHA-256 runs at ~1.2 GB/s even with SHA-NI, about as fast as inflating or walking the
/// same bytes, and a layer is one sequential stream: hashed inline, the biggest layer's hash
/// sits on the critical path. [`HashingReader::threaded`] moves it to a thread of its own:
/// bytes are read in chunks, each chunk is shared (not copied) with the hasher, and the
/// reader goes on with the next while the hasher catches up.
pub(crate) struct HashingReader<'p, R> {
    inner: R,
    mode: Mode,
    /// The chunk being served (threaded mode and [`BufRead`] use), and the position in it.
    chunk: Option<Arc<Chunk>>,
    pos: usize,
    count: u64,
    progress: Option<Box<dyn FnMut(u64) + Send + 'p>>,
    unreported: u64,
}

enum Mode {
    /// Only counting: an uncompressed layer's diff_id is its blob digest, and hashing the
    /// same bytes twice would double the dominant cost of the walk.
    Count,
    Inline(Sha256),
    Threaded(HashThread),
}

/// The hashing thread: chunks go in through a bounded channel (the bound is what keeps
/// memory flat when the hasher falls behind), the digest comes out of `join`.
struct HashThread {
    tx: Option<SyncSender<Arc<Chunk>>>,
    handle: Option<JoinHandle<Sha256>>,
    /// Chunks handed to the hasher, oldest first; one the hasher has dropped is refilled
    /// instead of allocating (at most `IN_FLIGHT + 2` ever exist).
    ring: VecDeque<Arc<Chunk>>,
}

/// A reader dropped early (the layer failed) still waits for its hasher: the thread has at
/// most `IN_FLIGHT` chunks left, and none may outlive the scan that started it.
impl Drop for HashThread {
    fn drop(&mut self) {
        drop(self.tx.take());
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// A buffer of `CHUNK` bytes of which the first `len` hold data. Its memory is initialised
/// once and reused: zeroing 256 KiB per refill showed up at 5 % of the walk.
struct Chunk {
    buf: Box<[u8]>,
    len: usize,
}

impl Chunk {
    fn new() -> Arc<Chunk> {
        Arc::new(Chunk {
            buf: vec![0; CHUNK].into_boxed_slice(),
            len: 0,
        })
    }

    fn data(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// Progress is reported in steps of this many bytes.
const PROGRESS_STEP: u64 = 4 << 20;
/// Chunk size in threaded mode; large enough that channel traffic is noise.
const CHUNK: usize = 256 << 10;
/// Reads at least this large go straight into the caller's buffer when hashing inline.
const DIRECT: usize = 16 << 10;
/// Chunks queued for the hasher before the reader waits: 1 MiB per threaded reader.
const IN_FLIGHT: usize = 4;

impl<'p, R> HashingReader<'p, R> {
    fn with_mode(inner: R, mode: Mode) -> Self {
        HashingReader {
            inner,
            mode,
            chunk: None,
            pos: 0,
            count: 0,
            progress: None,
            unreported: 0,
        }
    }

    pub(crate) fn new(inner: R) -> Self {
        Self::with_mode(inner, Mode::Inline(Sha256::new()))
    }

    /// Counts bytes without hashing them; [`HashingReader::finish`] then returns an empty digest.
    pub(crate) fn counting(inner: R) -> Self {
        Self::with_mode(inner, Mode::Count)
    }

    /// Hashes on a thread of its own (falls back to inline hashing if none can be started).
    pub(crate) fn threaded(inner: R) -> Self {
        let (tx, rx) = sync_channel::<Arc<Chunk>>(IN_FLIGHT);
        let spawned = std::thread::Builder::new()
            .name("sha256".into())
            .spawn(move || {
                let mut h = Sha256::new();
                for chunk in rx {
                    h.update(chunk.data());
                }
                h
            });
        match spawned {
            Ok(handle) => Self::with_mode(
                inner,
                Mode::Threaded(HashThread {
                    tx: Some(tx),
                    handle: Some(handle),
                    ring: VecDeque::new(),
                }),
            ),
            Err(_) => Self::new(inner),
        }
    }

    /// Calls `f` with the number of new bytes every few MiB (and at the end, from
    /// [`HashingReader::finish`]).
    pub(crate) fn with_progress(mut self, f: Box<dyn FnMut(u64) + Send + 'p>) -> Self {
        self.progress = Some(f);
        self
    }

    /// The digest of everything read (none when only counting), and the byte count. Fails
    /// only if the hashing thread died, which would leave the digest unknown.
    pub(crate) fn finish(mut self) -> io::Result<(Option<crate::Digest>, u64)> {
        if let Some(p) = self.progress.as_mut() {
            if self.unreported > 0 {
                p(self.unreported);
            }
        }
        let hasher = match std::mem::replace(&mut self.mode, Mode::Count) {
            Mode::Count => None,
            Mode::Inline(h) => Some(h),
            Mode::Threaded(mut t) => {
                drop(t.tx.take());
                let joined = t.handle.take().map(|h| h.join());
                match joined {
                    Some(Ok(h)) => Some(h),
                    _ => return Err(io::Error::other("the sha256 thread failed")),
                }
            }
        };
        let digest = hasher.map(|h| crate::Digest::from_sha256(h.finalize().into()));
        Ok((digest, self.count))
    }

    fn account(&mut self, n: usize) {
        self.count += n as u64;
        if let Some(p) = self.progress.as_mut() {
            self.unreported += n as u64;
            if self.unreported >= PROGRESS_STEP {
                p(self.unreported);
                self.unreported = 0;
            }
        }
    }
}

impl<R: Read> HashingReader<'_, R> {
    /// Reads the next chunk from `inner` (in threaded mode: into a recycled buffer, then
    /// hands it to the hasher). An empty chunk means end of input.
    fn refill(&mut self) -> io::Result<()> {
        let mut buf = match &mut self.mode {
            Mode::Threaded(t) => {
                // the hasher holds at most IN_FLIGHT + 1 chunks; an older one it has
                // finished with can be reused
                if t.ring.len() > IN_FLIGHT + 1 {
                    // strong count 1: only the ring holds it, the hasher is done with it
                    match t.ring.pop_front() {
                        Some(oldest) if Arc::strong_count(&oldest) == 1 => oldest,
                        _ => Chunk::new(),
                    }
                } else {
                    Chunk::new()
                }
            }
            _ => self
                .chunk
                .take()
                .filter(|c| Arc::strong_count(c) == 1)
                .unwrap_or_else(Chunk::new),
        };
        let c = Arc::get_mut(&mut buf).expect("a chunk nobody else holds");
        c.len = 0;
        // fill most of the chunk: decoders return little at a time, and every chunk costs a
        // channel round trip
        let mut filled = 0;
        while filled < CHUNK / 2 {
            let n = match self.inner.read(&mut c.buf[filled..]) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if n == 0 {
                break;
            }
            filled += n;
        }
        c.len = filled;
        match &mut self.mode {
            Mode::Inline(h) => h.update(c.data()),
            Mode::Threaded(t) if filled > 0 => {
                if let Some(tx) = &t.tx {
                    tx.send(Arc::clone(&buf))
                        .map_err(|_| io::Error::other("the sha256 thread stopped"))?;
                }
                t.ring.push_back(Arc::clone(&buf));
            }
            _ => {}
        }
        self.account(filled);
        self.chunk = Some(buf);
        self.pos = 0;
        Ok(())
    }
}

impl<R: Read> Read for HashingReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if matches!(self.mode, Mode::Count) && self.chunk.is_none() {
            // counting, not used through BufRead: straight through, no copy
            let n = self.inner.read(buf)?;
            self.account(n);
            return Ok(n);
        }
        let exhausted = self.chunk.as_ref().is_none_or(|c| self.pos >= c.len);
        if let (Mode::Inline(h), true) = (&mut self.mode, exhausted && buf.len() >= DIRECT) {
            // a reader with a large buffer of its own (the tar reader's 64 KiB): the bytes go
            // straight into it and are hashed there, not copied out of a chunk. That copy of
            // every byte of an uncompressed layer was 158 M of the 5.9 G instructions of a scan
            // of 100,000 small files (benches/RESULTS.md, issue 21).
            let n = loop {
                match self.inner.read(buf) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    r => break r?,
                }
            };
            h.update(&buf[..n]);
            self.account(n);
            return Ok(n);
        }
        // otherwise whole chunks: the hash then sees 256 KiB at a time whatever the reader
        // asks for (a 512-byte header)
        let avail = self.fill_buf()?;
        let n = avail.len().min(buf.len());
        buf[..n].copy_from_slice(&avail[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read> BufRead for HashingReader<'_, R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        let exhausted = self.chunk.as_ref().is_none_or(|c| self.pos >= c.len);
        if exhausted {
            self.refill()?;
        }
        Ok(self
            .chunk
            .as_ref()
            .map(|c| &c.data()[self.pos..])
            .unwrap_or_default())
    }

    fn consume(&mut self, amt: usize) {
        let len = self.chunk.as_ref().map_or(0, |c| c.len);
        self.pos = (self.pos + amt).min(len);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
    }

    /// A reader that returns at most `step` bytes per call, like a decoder.
    struct Trickle<'a>(&'a [u8], usize);
    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.0.len().min(self.1).min(buf.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    /// Every mode and access pattern gives the same digest and count as hashing the whole
    /// input at once, including across many chunk refills and buffer reuse.
    #[test]
    fn every_mode_agrees_with_one_shot_hashing() {
        for len in [0, 1, 511, CHUNK - 1, CHUNK, CHUNK + 1, 10 * CHUNK + 12345] {
            let d = data(len);
            let want = Some(crate::Digest::sha256(&d));
            for step in [1 << 20, 4096, 333] {
                for threaded in [false, true] {
                    let make = |r| {
                        if threaded {
                            HashingReader::threaded(r)
                        } else {
                            HashingReader::new(r)
                        }
                    };
                    // through Read
                    let mut r = make(Trickle(&d, step));
                    let mut out = Vec::new();
                    r.read_to_end(&mut out).unwrap();
                    assert_eq!(out, d);
                    assert_eq!(r.finish().unwrap(), (want.clone(), len as u64));
                    // through BufRead, consuming odd amounts
                    let mut r = make(Trickle(&d, step));
                    let mut out = Vec::new();
                    loop {
                        let b = r.fill_buf().unwrap();
                        if b.is_empty() {
                            break;
                        }
                        let n = b.len().min(1000);
                        out.extend_from_slice(&b[..n]);
                        r.consume(n);
                    }
                    assert_eq!(out, d);
                    assert_eq!(r.finish().unwrap(), (want.clone(), len as u64));
                }
            }
        }
    }

    /// Small reads (served from a chunk) and large ones (straight into the caller's buffer)
    /// mixed: every byte once, in order, hashed once.
    #[test]
    fn small_and_large_reads_mixed_hash_every_byte_once() {
        let d = data(3 * CHUNK + 777);
        for step in [1 << 20, 5000] {
            let mut r = HashingReader::new(Trickle(&d, step));
            let mut out = Vec::new();
            let mut buf = vec![0u8; 64 << 10];
            for i in 0.. {
                let want = if i % 3 == 0 { 100 } else { buf.len() };
                let n = r.read(&mut buf[..want]).unwrap();
                if n == 0 {
                    break;
                }
                out.extend_from_slice(&buf[..n]);
            }
            assert_eq!(out, d);
            let want = Some(crate::Digest::sha256(&d));
            assert_eq!(r.finish().unwrap(), (want, d.len() as u64));
        }
    }

    /// Stopping early (an error in the walk) must not hang: the thread ends with the reader.
    #[test]
    fn dropping_a_threaded_reader_mid_stream_does_not_hang() {
        let d = data(20 * CHUNK);
        let mut r = HashingReader::threaded(Trickle(&d, 1 << 20));
        let mut buf = vec![0; 3 * CHUNK];
        r.read_exact(&mut buf).unwrap();
        drop(r);
    }

    #[test]
    fn counting_counts_without_a_digest() {
        let d = data(CHUNK + 7);
        let mut r = HashingReader::counting(&d[..]);
        io::copy(&mut r, &mut io::sink()).unwrap();
        assert_eq!(r.finish().unwrap(), (None, d.len() as u64));
    }
}
