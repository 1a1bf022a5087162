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

/// A reader that hashes what passes through it on a thread of its own (copies of what was
/// read go over a bounded channel), so a compressed layer's inflate does not wait for its two
/// hashes: a single stream's sha256 cannot be split, but it can run beside the inflate.
struct Tee<R> {
    inner: R,
    tx: Option<std::sync::mpsc::SyncSender<Vec<u8>>>,
    hasher: Option<std::thread::JoinHandle<String>>,
}

impl<R> Tee<R> {
    fn new(inner: R) -> Self {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(4);
        let hasher = std::thread::spawn(move || {
            let mut h = Sha256::new();
            for chunk in rx {
                h.update(&chunk);
            }
            hex(h.finalize())
        });
        Tee {
            inner,
            tx: Some(tx),
            hasher: Some(hasher),
        }
    }

    fn finish(mut self) -> String {
        drop(self.tx.take());
        self.hasher
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default()
    }
}

impl<R: Read> Read for Tee<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0 {
            if let Some(tx) = &self.tx {
                tx.send(buf[..n].to_vec()).map_err(io::Error::other)?;
            }
        }
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
    let mut tee = Tee::new(BufReader::with_capacity(BUF, r));
    let plain = Tee::new(io::empty());
    let n = {
        let mut decoded: Box<dyn Read + '_> = match kind {
            Kind::Gzip => Box::new(flate2::read::MultiGzDecoder::new(&mut tee)),
            _ => Box::new(zstd::stream::read::Decoder::new(&mut tee)?),
        };
        let mut buf = vec![0u8; BUF];
        let mut n = 0u64;
        loop {
            let k = decoded.read(&mut buf)?;
            if k == 0 {
                break n;
            }
            if let Some(tx) = &plain.tx {
                tx.send(buf[..k].to_vec()).map_err(io::Error::other)?;
            }
            n += k as u64;
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
