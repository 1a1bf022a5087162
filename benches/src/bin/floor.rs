//! The physical floor of a scan: the work no SBOM tool can skip while still verifying the
//! image. Reads the archive, sha256s every layer blob and decompresses every layer, hashing
//! the uncompressed stream too (the diff_id), with the layers spread over all cores by rayon
//! and, for a compressed layer, each of its two hashes on a thread beside the decoder (a
//! single stream's sha256 or inflate cannot be split further). No tar listing, no detectors,
//! no output. On a docker archive the floor is therefore at least the sha256 of its largest
//! layer; on a gzip OCI image, at least the inflate of its largest layer.
//!
//! `floor IMAGE...` accepts a docker-archive or OCI tar (optionally gzip-wrapped, e.g.
//! `.tar.gz`) or an OCI layout directory. Layers are found by content, not by manifest:
//! every member (or `blobs/` file) that is gzip, zstd or a tar is a layer. For an
//! uncompressed layer the blob digest *is* the diff_id, so it is hashed once.
//!
//! The primitives are sbom's own: flate2 on zlib-rs (built with `std`, for its AVX2 inflate
//! and PCLMULQDQ CRC), libzstd through the zstd crate, sha2 with SHA-NI, and hash threads fed
//! shared chunks rather than copies. ISA-L and zlib-ng were measured against zlib-rs on the
//! real layers (benches/RESULTS.md, 2026-12-02) and not taken.
//!
//! Prints one line per image: `path  layers  stored_bytes  uncompressed_bytes  seconds`.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;
use sha2::{Digest, Sha256};

const BUF: usize = 256 << 10;

/// Where a layer's bytes are.
enum Blob {
    /// `len` bytes at `offset` in a file.
    Slice {
        file: PathBuf,
        offset: u64,
        len: u64,
    },
    /// Already in memory (members of a gzip-wrapped archive, which must be read in order).
    Mem(Vec<u8>),
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Gzip,
    Zstd,
    Tar,
}

fn sniff(head: &[u8]) -> Option<Kind> {
    if head.starts_with(&[0x1f, 0x8b]) {
        Some(Kind::Gzip)
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Some(Kind::Zstd)
    } else if head.len() >= 262 && &head[257..262] == b"ustar" {
        Some(Kind::Tar)
    } else {
        None
    }
}

/// Reads everything from `r` into `h`, returning the byte count.
fn hash_all(mut r: impl Read, h: &mut Sha256) -> io::Result<u64> {
    let mut buf = vec![0u8; BUF];
    let mut n = 0u64;
    loop {
        let k = r.read(&mut buf)?;
        if k == 0 {
            return Ok(n);
        }
        h.update(&buf[..k]);
        n += k as u64;
    }
}

/// Bytes of one read, shared with a hashing thread (never copied for it).
type Chunk = std::sync::Arc<Vec<u8>>;

/// Size of the chunks hashed on a thread: large enough that channel traffic is noise.
const CHUNK: usize = 256 << 10;

/// A hashing thread: chunks go in over a bounded channel, the digest comes out at the end.
/// Chunks the hasher has dropped are reused, so steady state allocates and copies nothing,
/// as sbom's own `HashingReader::threaded` (the floor must not pay costs sbom does not).
struct Hasher {
    tx: Option<std::sync::mpsc::SyncSender<Chunk>>,
    handle: Option<std::thread::JoinHandle<String>>,
    /// Chunks handed over, oldest first: one only this ring still holds is free again.
    ring: std::collections::VecDeque<Chunk>,
}

impl Hasher {
    fn new() -> Self {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Chunk>(4);
        let handle = std::thread::spawn(move || {
            let mut h = Sha256::new();
            for chunk in rx {
                h.update(&chunk[..]);
            }
            hex(h.finalize())
        });
        Hasher {
            tx: Some(tx),
            handle: Some(handle),
            ring: Default::default(),
        }
    }

    /// A chunk to fill: a free one from the ring, or a new one.
    fn take(&mut self) -> Chunk {
        if self.ring.len() > 6 {
            if let Some(mut c) = self.ring.pop_front() {
                if let Some(v) = std::sync::Arc::get_mut(&mut c) {
                    v.clear();
                    return c;
                }
            }
        }
        std::sync::Arc::new(Vec::with_capacity(CHUNK))
    }

    /// Fills a chunk from `r` (to at least half its size, or the end) and hashes it.
    fn fill(&mut self, mut r: impl Read) -> io::Result<Chunk> {
        let mut c = self.take();
        {
            let v = std::sync::Arc::get_mut(&mut c).expect("a free chunk");
            v.resize(CHUNK, 0);
            let mut n = 0;
            while n < CHUNK / 2 {
                let k = r.read(&mut v[n..])?;
                if k == 0 {
                    break;
                }
                n += k;
            }
            v.truncate(n);
        }
        if !c.is_empty() {
            if let Some(tx) = &self.tx {
                tx.send(c.clone()).map_err(io::Error::other)?;
            }
            self.ring.push_back(c.clone());
        }
        Ok(c)
    }

    fn finish(mut self) -> String {
        drop(self.tx.take());
        self.handle
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default()
    }
}

/// A reader whose bytes are hashed on a thread beside whoever reads it (the decoder), so
/// a compressed layer's inflate does not wait for its hash: a single stream's sha256 cannot
/// be split, but it can run beside the inflate.
struct Tee<R> {
    inner: R,
    hasher: Hasher,
    chunk: Chunk,
    pos: usize,
}

impl<R: Read> Tee<R> {
    fn new(inner: R) -> Self {
        Tee {
            inner,
            hasher: Hasher::new(),
            chunk: Default::default(),
            pos: 0,
        }
    }

    fn finish(self) -> String {
        self.hasher.finish()
    }
}

impl<R: Read> io::BufRead for Tee<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos >= self.chunk.len() {
            self.chunk = self.hasher.fill(&mut self.inner)?;
            self.pos = 0;
        }
        Ok(&self.chunk[self.pos..])
    }

    fn consume(&mut self, n: usize) {
        self.pos += n;
    }
}

impl<R: Read> Read for Tee<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let avail = io::BufRead::fill_buf(self)?;
        let n = avail.len().min(buf.len());
        buf[..n].copy_from_slice(&avail[..n]);
        io::BufRead::consume(self, n);
        Ok(n)
    }
}

/// Hashes the blob and its decompressed stream. Returns (uncompressed bytes, digests).
fn process(r: impl Read, kind: Kind) -> io::Result<(u64, String, String)> {
    if kind == Kind::Tar {
        // an uncompressed blob is its own diff_id: one hash, inline (the bytes are in cache)
        let mut h = Sha256::new();
        let n = hash_all(BufReader::with_capacity(BUF, r), &mut h)?;
        let d = hex(h.finalize());
        return Ok((n, d.clone(), d));
    }
    // the decoders read the blob straight from the chunks its hasher sees (bufread), and
    // write into chunks the diff_id's hasher then takes: no copy on either side
    let mut tee = Tee::new(r);
    let mut plain = Hasher::new();
    let n = {
        let mut decoded: Box<dyn Read + '_> = match kind {
            Kind::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(&mut tee)),
            _ => Box::new(zstd::stream::read::Decoder::with_buffer(&mut tee)?),
        };
        let mut n = 0u64;
        loop {
            let c = plain.fill(&mut decoded)?;
            if c.is_empty() {
                break n;
            }
            n += c.len() as u64;
        }
    };
    // the decoder may stop before trailing bytes; the blob digest covers all of them
    io::copy(&mut tee, &mut io::sink())?;
    Ok((n, tee.finish(), plain.finish()))
}

fn hex(d: impl AsRef<[u8]>) -> String {
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

fn find_layers(path: &Path) -> io::Result<Vec<(Blob, Kind)>> {
    let mut out = Vec::new();
    if path.is_dir() {
        for e in std::fs::read_dir(path.join("blobs/sha256"))? {
            let p = e?.path();
            let mut head = vec![0u8; 512];
            let k = File::open(&p)?.read(&mut head)?;
            if let Some(kind) = sniff(&head[..k]) {
                let len = p.metadata()?.len();
                out.push((
                    Blob::Slice {
                        file: p,
                        offset: 0,
                        len,
                    },
                    kind,
                ));
            }
        }
        return Ok(out);
    }
    let mut f = File::open(path)?;
    let mut head = [0u8; 4];
    let k = f.read(&mut head)?;
    f.seek(SeekFrom::Start(0))?;
    if sniff(&head[..k]) == Some(Kind::Gzip) {
        // gzip-wrapped: must be read in order; members are small enough to hold (tiny images)
        let mut outer = tar::Archive::new(flate2::read::MultiGzDecoder::new(BufReader::new(f)));
        for entry in outer.entries()? {
            let mut entry = entry?;
            if !entry.header().entry_type().is_file() {
                continue;
            }
            let mut body = Vec::with_capacity(entry.size() as usize);
            entry.read_to_end(&mut body)?;
            if let Some(kind) = sniff(&body[..body.len().min(512)]) {
                out.push((Blob::Mem(body), kind));
            }
        }
        return Ok(out);
    }
    // plain outer tar: note each member's offset, read nothing but headers and 512 bytes
    // (seeking over the bodies: the layers themselves are read once, in parallel, below)
    let mut outer = tar::Archive::new(File::open(path)?);
    for entry in outer.entries_with_seek()? {
        let mut entry = entry?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let (offset, len) = (entry.raw_file_position(), entry.size());
        let mut head = Vec::with_capacity(512);
        (&mut entry).take(512).read_to_end(&mut head)?;
        if let Some(kind) = sniff(&head) {
            out.push((
                Blob::Slice {
                    file: path.to_path_buf(),
                    offset,
                    len,
                },
                kind,
            ));
        }
    }
    Ok(out)
}

fn run(path: &Path) -> io::Result<(usize, u64, u64)> {
    let layers = find_layers(path)?;
    let results: Vec<io::Result<(u64, u64)>> = layers
        .par_iter()
        .map(|(blob, kind)| match blob {
            Blob::Slice { file, offset, len } => {
                let mut f = File::open(file)?;
                f.seek(SeekFrom::Start(*offset))?;
                let (n, _, _) = process(f.take(*len), *kind)?;
                Ok((*len, n))
            }
            Blob::Mem(bytes) => {
                let (n, _, _) = process(&bytes[..], *kind)?;
                Ok((bytes.len() as u64, n))
            }
        })
        .collect();
    let mut stored = 0;
    let mut plain = 0;
    for r in results {
        let (s, p) = r?;
        stored += s;
        plain += p;
    }
    Ok((layers.len(), stored, plain))
}

fn main() {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    if args.is_empty() {
        eprintln!("usage: floor IMAGE...");
        std::process::exit(2);
    }
    let mut failed = false;
    for p in &args {
        let t = Instant::now();
        match run(p) {
            Ok((n, stored, plain)) => println!(
                "{}\t{n}\t{stored}\t{plain}\t{:.3}",
                p.display(),
                t.elapsed().as_secs_f64()
            ),
            Err(e) => {
                eprintln!("floor: {}: {e}", p.display());
                failed = true;
            }
        }
    }
    std::process::exit(i32::from(failed));
}
