//! Bounds on the tar metadata the `tar` crate buffers before it yields an entry.
//!
//! `tar` reads a GNU long name or long link (`L`, `K`) and a PAX extended header (`x`) whole
//! into memory, as long as their headers say, before it returns the entry they describe; and
//! it keeps every fragment of a GNU sparse map (`S` with extension blocks) in a list. A gzip
//! layer of a few megabytes can declare gigabytes of any of these, and a caller only ever sees
//! the entry after. `tar` has no limit to set (0.4.46), so [`TarGuard`] follows the stream
//! beside it: it reads the same headers at the same offsets, by the same rules (the PAX `size`
//! of the next file entry included), and fails the read that would start buffering too much.
//!
//! The limits are Go's `archive/tar`, which Docker and containerd unpack layers with: an
//! extension over 1 MiB is an error there too, so no image that runs is refused here.
//!
//! Hand-written because no tar crate offers these limits; it parses headers with `tar`'s own
//! types, so the two cannot read a header differently.

use std::io::{self, Read, Seek, SeekFrom};

const BLOCK: u64 = 512;

/// Largest GNU long name, long link, or PAX header (local or global) accepted.
pub(crate) const MAX_EXTENSION: u64 = 1 << 20;

/// Most GNU sparse extension blocks after one header (21 fragments each): 1 MiB of map.
pub(crate) const MAX_SPARSE_BLOCKS: u64 = 2048;

/// Why the guard stopped a tar stream; carried inside the `io::Error` `tar` passes on.
#[derive(Debug)]
pub(crate) struct MetadataTooLarge {
    /// "GNU long name", "PAX header", ...
    pub what: &'static str,
    /// Offset of its header in the tar.
    pub offset: u64,
    /// What it declares (bytes, or blocks for a sparse map).
    pub declared: u64,
    /// Which bound, and its value.
    pub limit: crate::limits::Limit,
    pub max: u64,
}

impl std::fmt::Display for MetadataTooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the {} at byte {} of the tar declares {} {}, over the limit of {} (Docker's tar reader refuses it too)",
            self.what,
            self.offset,
            self.declared,
            self.limit.unit(),
            self.max
        )
    }
}

impl std::error::Error for MetadataTooLarge {}

#[derive(Debug)]
enum State {
    /// Bytes before `next` belong to the current entry; a header starts at `next`.
    Header { next: u64 },
    /// Collecting a PAX body ending at `end`, to learn the `size` it gives the next entry.
    Pax { end: u64, next: u64, body: Vec<u8> },
    /// Reading GNU sparse extension blocks of the entry whose header is at `header`; the
    /// entry's data (`size` bytes) follows them.
    Sparse { header: u64, size: u64, blocks: u64 },
    /// After the end-of-archive block, or after something `tar` itself rejects: nothing more
    /// is parsed by `tar`, so nothing more is watched.
    Done,
}

/// A reader that passes a tar stream through unchanged while enforcing the limits above.
pub(crate) struct TarGuard<R> {
    inner: R,
    pos: u64,
    state: State,
    /// The part of a 512-byte block (a header, or a sparse extension) read so far.
    block: [u8; 512],
    have: usize,
    /// PAX `size` for the next entry that is not itself an extension header.
    pending_size: Option<u64>,
    /// A failure found in bytes past those already handed out: returned by the next read,
    /// so it comes when `tar` reads the header it is about, not while a reader above the
    /// guard buffers ahead (a detector reading the entry before would get it otherwise).
    failed: Option<io::Error>,
    /// Offsets of the headers of entries `tar` returns, to compare with `tar`'s own.
    #[cfg(test)]
    entries: Vec<u64>,
}

impl<R> TarGuard<R> {
    pub(crate) fn new(inner: R) -> Self {
        TarGuard {
            inner,
            pos: 0,
            state: State::Header { next: 0 },
            block: [0; 512],
            have: 0,
            pending_size: None,
            failed: None,
            #[cfg(test)]
            entries: Vec::new(),
        }
    }

    /// Follows `bytes`, which sit at `self.pos` in the stream. A failure comes with the
    /// offset of the header it is about.
    fn observe(&mut self, mut bytes: &[u8]) -> Result<(), (io::Error, u64)> {
        while !bytes.is_empty() {
            match &mut self.state {
                State::Done => return Ok(()),
                State::Header { next } => {
                    if self.pos < *next {
                        let n = (*next - self.pos).min(bytes.len() as u64) as usize;
                        self.advance(&mut bytes, n);
                        continue;
                    }
                    let at = self.pos - self.have as u64;
                    if self.have == 0 && bytes.len() >= 512 {
                        // the usual case: the whole header is in this read, parsed in place
                        let (block, rest) = bytes.split_at(512);
                        let block: &[u8; 512] = block.try_into().expect("512 bytes");
                        self.pos += 512;
                        bytes = rest;
                        self.on_header(block).map_err(|e| (e, at))?;
                        continue;
                    }
                    let n = self.take_block(&mut bytes);
                    self.pos += n as u64;
                    if self.have == 512 {
                        self.have = 0;
                        let block = self.block;
                        self.on_header(&block).map_err(|e| (e, at))?;
                    }
                }
                State::Pax { end, next, body } => {
                    let n = (*end - self.pos).min(bytes.len() as u64) as usize;
                    body.extend_from_slice(&bytes[..n]);
                    self.pos += n as u64;
                    bytes = &bytes[n..];
                    if self.pos == *end {
                        let next = *next;
                        let body = std::mem::take(body);
                        // a repeated PAX header is an error in `tar`; which one wins is moot
                        self.pending_size = pax_size(&body);
                        self.state = State::Header { next };
                    }
                }
                State::Sparse { header, .. } => {
                    let at = *header;
                    let n = self.take_block(&mut bytes);
                    self.pos += n as u64;
                    if self.have == 512 {
                        self.have = 0;
                        self.on_sparse_block().map_err(|e| (e, at))?;
                    }
                }
            }
        }
        Ok(())
    }

    fn advance(&mut self, bytes: &mut &[u8], n: usize) {
        self.pos += n as u64;
        *bytes = &bytes[n..];
    }

    /// Copies into the block buffer; returns how many bytes it took.
    fn take_block(&mut self, bytes: &mut &[u8]) -> usize {
        let n = (512 - self.have).min(bytes.len());
        self.block[self.have..self.have + n].copy_from_slice(&bytes[..n]);
        self.have += n;
        *bytes = &bytes[n..];
        n
    }

    /// A whole header, `block`, has been read; `self.pos` is just past it. Mirrors
    /// `tar::Archive`'s `next_entry_raw` and `next_entry` (0.4.46).
    fn on_header(&mut self, block: &[u8; 512]) -> io::Result<()> {
        let offset = self.pos - BLOCK;
        if block.iter().all(|b| *b == 0) {
            // `tar` ends the archive at the first zero block (ignore_zeros is never set)
            self.state = State::Done;
            return Ok(());
        }
        let header = tar::Header::from_byte_slice(block);
        let Ok(size) = header.entry_size() else {
            self.state = State::Done; // `tar` fails on this header itself
            return Ok(());
        };
        let kind = header.entry_type();
        let extension = kind.is_gnu_longname()
            || kind.is_gnu_longlink()
            || kind.is_pax_local_extensions()
            || kind.is_pax_global_extensions();
        if !extension && !kind.is_gnu_sparse() {
            // An entry `tar` returns, the header of nearly every entry: only where the next
            // header starts matters. Its checksum is left to `tar`, which refuses the entry
            // (and so reads nothing after it) when it is wrong; a mistaken `next` is then
            // never acted on, as a failure found past it waits for `tar` to read that far.
            let size = self.pending_size.take().unwrap_or(size);
            self.state = State::Header {
                next: self
                    .pos
                    .checked_add(round_up(size)?)
                    .ok_or_else(|| io::Error::other("size overflow"))?,
            };
            #[cfg(test)]
            self.entries.push(offset);
            return Ok(());
        }
        // what can make `tar` buffer: only a header `tar` accepts is acted on
        let sum: u32 = block[..148]
            .iter()
            .chain(&block[156..])
            .map(|b| u32::from(*b))
            .sum::<u32>()
            + 8 * 32;
        if header.cksum().ok() != Some(sum) {
            self.state = State::Done;
            return Ok(());
        }
        let recognized = header.as_gnu().is_some() || header.as_ustar().is_some();
        if extension {
            check_extension(kind, size, offset, recognized)?;
        }
        let buffered = recognized
            && (kind.is_gnu_longname() || kind.is_gnu_longlink() || kind.is_pax_local_extensions());
        let size = if extension {
            size
        } else {
            self.pending_size.unwrap_or(size)
        };
        let next = self
            .pos
            .checked_add(round_up(size)?)
            .ok_or_else(|| io::Error::other("size overflow"))?;
        if !buffered {
            // this header is an entry `tar` returns: it used (and dropped) any PAX size
            self.pending_size = None;
            #[cfg(test)]
            self.entries.push(offset);
        }
        if buffered && kind.is_pax_local_extensions() {
            self.state = State::Pax {
                end: self.pos + size,
                next,
                body: Vec::with_capacity(size.min(4096) as usize),
            };
            if size == 0 {
                self.pending_size = None;
                self.state = State::Header { next };
            }
            return Ok(());
        }
        if !buffered && kind.is_gnu_sparse() {
            match header.as_gnu() {
                Some(gnu) if gnu.is_extended() => {
                    self.state = State::Sparse {
                        header: offset,
                        size,
                        blocks: 0,
                    };
                    return Ok(());
                }
                Some(_) => {}
                None => {
                    self.state = State::Done; // `tar` rejects it
                    return Ok(());
                }
            }
        }
        self.state = State::Header { next };
        Ok(())
    }

    fn on_sparse_block(&mut self) -> io::Result<()> {
        let State::Sparse { size, blocks, .. } = &mut self.state else {
            return Ok(());
        };
        *blocks += 1;
        if *blocks > MAX_SPARSE_BLOCKS {
            let offset = self.pos - (*blocks + 1) * BLOCK;
            return Err(too_large(
                "GNU sparse map",
                offset,
                *blocks,
                crate::limits::Limit::SparseMap,
                MAX_SPARSE_BLOCKS,
            ));
        }
        // `isextended` of a GnuExtSparseHeader: after 21 fragments of 24 bytes
        if self.block[504] == 0 {
            let next = self
                .pos
                .checked_add(round_up(*size)?)
                .ok_or_else(|| io::Error::other("size overflow"))?;
            self.state = State::Header { next };
        }
        Ok(())
    }
}

fn round_up(size: u64) -> io::Result<u64> {
    size.checked_add(BLOCK - 1)
        .map(|s| s & !(BLOCK - 1))
        .ok_or_else(|| io::Error::other("size overflow"))
}

/// The checks every reader of an image's tars makes on a GNU long name or link or a PAX
/// header before acting on it (this guard in front of `tar`, and the layer walk's own
/// reader): the size limit, and the refusal of one under a pre-POSIX header.
pub(crate) fn check_extension(
    kind: tar::EntryType,
    size: u64,
    offset: u64,
    recognized: bool,
) -> io::Result<()> {
    let what = match kind {
        tar::EntryType::GNULongName => "GNU long name",
        tar::EntryType::GNULongLink => "GNU long link name",
        tar::EntryType::XHeader => "PAX header",
        _ => "PAX global header",
    };
    if size > MAX_EXTENSION {
        return Err(too_large(
            what,
            offset,
            size,
            crate::limits::Limit::TarExtension,
            MAX_EXTENSION,
        ));
    }
    if !recognized && !kind.is_pax_global_extensions() {
        // Go applies it to the next entry whatever the magic; `tar` only under a ustar or
        // GNU magic, and lists it as a file otherwise: the two would read different names
        // and sizes from here on
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "the {what} at byte {offset} of the tar has a pre-POSIX (v7) header, which tar readers disagree on (Docker's applies it, others list it as a file); refusing the layer"
            ),
        ));
    }
    Ok(())
}

fn too_large(
    what: &'static str,
    offset: u64,
    declared: u64,
    limit: crate::limits::Limit,
    max: u64,
) -> io::Error {
    io::Error::other(MetadataTooLarge {
        what,
        offset,
        declared,
        limit,
        max,
    })
}

/// The `size` record of a PAX header as `tar` reads it: the first `size` key, and nothing
/// if a record before it, or its value, does not parse.
fn pax_size(body: &[u8]) -> Option<u64> {
    for record in tar::PaxExtensions::new(body) {
        let record = record.ok()?;
        if record.key() == Ok("size") {
            return record.value().ok()?.parse().ok();
        }
    }
    None
}

/// The [`MetadataTooLarge`] inside an error from a guarded tar stream, if that is what it is.
pub(crate) fn metadata_too_large(e: &io::Error) -> Option<&MetadataTooLarge> {
    e.get_ref()?.downcast_ref()
}

impl<R: Read> Read for TarGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(e) = self.failed.take() {
            self.state = State::Done;
            return Err(e);
        }
        let start = self.pos;
        let n = self.inner.read(buf)?;
        match self.observe(&buf[..n]) {
            Ok(()) => Ok(n),
            Err((e, header)) => {
                // hand out what precedes the header the failure is about; the stream is
                // not read further, so the bytes after it are never wanted
                let before = header.saturating_sub(start) as usize;
                self.state = State::Done;
                if before == 0 {
                    return Err(e);
                }
                self.pos = start + before as u64;
                self.failed = Some(e);
                Ok(before)
            }
        }
    }
}

/// For archives read by seeking past bodies (an archive file on disk). `tar` seeks only over
/// entry bodies and padding, never into a header or PAX body it reads, so a seek is a skip
/// the guard can account for without seeing the bytes.
impl<R: Read + Seek> Seek for TarGuard<R> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let at = self.inner.seek(to)?;
        let skipped_over_watched = match &self.state {
            State::Header { next } => at > *next || (self.have > 0 && at != self.pos),
            State::Pax { .. } | State::Sparse { .. } => at != self.pos,
            State::Done => false,
        };
        if skipped_over_watched || at < self.pos {
            // not how `tar` moves: stop watching rather than misread what follows
            debug_assert!(
                false,
                "tar guard: unexpected seek from {} to {at}",
                self.pos
            );
            self.state = State::Done;
        }
        self.pos = at;
        Ok(at)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn header(kind: tar::EntryType, path: &str, size: u64) -> tar::Header {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(kind);
        h.set_path(path).unwrap();
        h.set_size(size);
        h.set_mode(0o644);
        h.set_cksum();
        h
    }

    /// One PAX record, `LEN key=value\n`, its length counting itself.
    pub(crate) fn pax_record(key: &str, value: &str) -> Vec<u8> {
        let tail = format!(" {key}={value}\n");
        let mut len = tail.len() + 1;
        while len.to_string().len() + tail.len() != len {
            len += 1;
        }
        format!("{len}{tail}").into_bytes()
    }

    pub(crate) fn push(out: &mut Vec<u8>, h: &tar::Header, body: &[u8]) {
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(body);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }

    /// A PAX header of `kind` (local or global) holding one record.
    pub(crate) fn push_pax(out: &mut Vec<u8>, kind: tar::EntryType, key: &str, value: &str) {
        let rec = pax_record(key, value);
        push(out, &header(kind, "pax", rec.len() as u64), &rec);
    }

    /// Reads the whole stream through the guard in small reads, then lists it with `tar`
    /// over the guard (seeking past bodies), returning the names `tar` saw or the error.
    fn run(bytes: &[u8]) -> Result<Vec<String>, String> {
        let mut sink = Vec::new();
        let mut g = TarGuard::new(bytes);
        let mut buf = [0u8; 7]; // odd reads: blocks arrive in pieces
        loop {
            match g.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => sink.extend_from_slice(&buf[..n]),
                Err(e) => return Err(e.to_string()),
            }
        }
        assert_eq!(sink, bytes);
        let mut a = tar::Archive::new(TarGuard::new(io::Cursor::new(bytes)));
        let mut names = Vec::new();
        for e in a.entries_with_seek().map_err(|e| e.to_string())? {
            let e = e.map_err(|e| e.to_string())?;
            names.push(String::from_utf8_lossy(&e.path_bytes()).into_owned());
        }
        Ok(names)
    }

    #[test]
    fn extensions_under_the_limit_pass_and_are_applied() {
        let mut t = Vec::new();
        let long = "d/".repeat(200) + "file";
        push(
            &mut t,
            &header(
                tar::EntryType::GNULongName,
                "././@LongLink",
                long.len() as u64 + 1,
            ),
            format!("{long}\0").as_bytes(),
        );
        push(&mut t, &header(tar::EntryType::Regular, "short", 3), b"abc");
        push_pax(&mut t, tar::EntryType::XHeader, "path", "via-pax");
        push(&mut t, &header(tar::EntryType::Regular, "ignored", 0), b"");
        t.extend_from_slice(&[0; 1024]);
        assert_eq!(run(&t).unwrap(), vec![long, "via-pax".to_string()]);
    }

    #[test]
    fn oversized_extensions_fail_before_tar_buffers_them() {
        for kind in [
            tar::EntryType::GNULongName,
            tar::EntryType::GNULongLink,
            tar::EntryType::XHeader,
            tar::EntryType::XGlobalHeader,
        ] {
            let mut t = Vec::new();
            push(
                &mut t,
                &header(tar::EntryType::Regular, "first", 5),
                b"hello",
            );
            let h = header(kind, "././@LongLink", MAX_EXTENSION + 1);
            t.extend_from_slice(h.as_bytes());
            t.extend(std::iter::repeat_n(b'a', 2 << 20));
            let err = run(&t).unwrap_err();
            assert!(
                err.contains("at byte 1024") && err.contains("1048577"),
                "{kind:?}: {err}"
            );
        }
    }

    #[test]
    fn a_failure_read_ahead_waits_for_its_header() {
        // one large read takes in the file, its body and the oversized long name after it:
        // the bytes before the long name's header come first, the failure with the next read
        let mut t = Vec::new();
        push(
            &mut t,
            &header(tar::EntryType::Regular, "first", 5),
            b"hello",
        );
        t.extend_from_slice(header(tar::EntryType::GNULongName, "x", MAX_EXTENSION + 1).as_bytes());
        t.extend(std::iter::repeat_n(b'a', 4096));
        let mut g = TarGuard::new(&t[..]);
        let mut buf = vec![0u8; 64 << 10];
        assert_eq!(g.read(&mut buf).unwrap(), 1024);
        let err = g.read(&mut buf).unwrap_err();
        assert!(metadata_too_large(&err).is_some(), "{err}");
        // and through a buffer above the guard, as the layer walk reads: the file before is
        // listed and read whole, the long name fails the next entry
        let reader = std::io::BufReader::with_capacity(64 << 10, TarGuard::new(&t[..]));
        let mut a = tar::Archive::new(reader);
        let mut entries = a.entries().unwrap();
        let mut first = entries.next().unwrap().unwrap();
        let mut body = String::new();
        first.read_to_string(&mut body).unwrap();
        assert_eq!(body, "hello");
        drop(first);
        match entries.next().unwrap() {
            Err(err) => assert!(metadata_too_large(&err).is_some(), "{err}"),
            Ok(e) => panic!("listed {:?}", e.path_bytes()),
        }
    }

    #[test]
    fn a_pax_size_moves_the_next_header_as_it_does_in_tar() {
        // the PAX size says the next entry's body is 1024 bytes, its ustar header says 0; the
        // body holds what looks like an oversized long-name header, which is data, not a header

        let mut body = Vec::new();
        body.extend_from_slice(header(tar::EntryType::GNULongName, "x", 1 << 30).as_bytes());
        body.resize(1024, 0);
        let mut t = Vec::new();
        push_pax(&mut t, tar::EntryType::XHeader, "size", "1024");
        push(
            &mut t,
            &header(tar::EntryType::Regular, "sized-by-pax", 0),
            &body,
        );
        push(&mut t, &header(tar::EntryType::Regular, "after", 1), b"z");
        t.extend_from_slice(&[0; 1024]);
        assert_eq!(run(&t).unwrap(), vec!["sized-by-pax", "after"]);
    }

    #[test]
    fn a_pax_size_does_not_apply_to_a_long_name_between() {
        let mut t = Vec::new();
        push_pax(&mut t, tar::EntryType::XHeader, "size", "512");
        push(
            &mut t,
            &header(tar::EntryType::GNULongName, "././@LongLink", 5),
            b"name\0",
        );
        push(
            &mut t,
            &header(tar::EntryType::Regular, "x", 0),
            &[7u8; 512],
        );
        push(&mut t, &header(tar::EntryType::Regular, "after", 1), b"z");
        t.extend_from_slice(&[0; 1024]);
        assert_eq!(run(&t).unwrap(), vec!["name", "after"]);
    }

    #[test]
    fn sparse_maps_are_followed_and_bounded() {
        // an old-GNU sparse entry: one fragment in the header, then extension blocks
        let sparse = |ext_blocks: u64| {
            let mut h = header(tar::EntryType::GNUSparse, "sparse", 512);
            {
                let gnu = h.as_gnu_mut().unwrap();
                gnu.sparse[0].offset = *b"00000000000\0";
                gnu.sparse[0].numbytes = *b"00000001000\0";
                gnu.realsize = *b"00000001000\0";
                gnu.isextended[0] = u8::from(ext_blocks > 0);
            }
            h.set_cksum();
            let mut t = h.as_bytes().to_vec();
            for i in 0..ext_blocks {
                let mut ext = [0u8; 512];
                ext[504] = u8::from(i + 1 < ext_blocks);
                t.extend_from_slice(&ext);
            }
            t.extend_from_slice(&[1u8; 512]);
            push(&mut t, &header(tar::EntryType::Regular, "after", 1), b"z");
            t.extend_from_slice(&[0; 1024]);
            t
        };
        assert_eq!(run(&sparse(0)).unwrap(), vec!["sparse", "after"]);
        assert_eq!(run(&sparse(3)).unwrap(), vec!["sparse", "after"]);
        let err = run(&sparse(MAX_SPARSE_BLOCKS + 1)).unwrap_err();
        assert!(err.contains("GNU sparse map"), "{err}");
    }

    /// One piece of a generated archive.
    #[derive(Debug, Clone)]
    pub(crate) enum Item {
        /// A file; with a PAX `size` (and a different ustar size) when `pax_sized`, and a
        /// GNU long name of `between` bytes between the PAX header and the file's.
        File {
            body: usize,
            pax_sized: bool,
            ustar: u64,
            between: Option<usize>,
        },
        LongName(usize),
        LongLink(usize),
        PaxPath(usize),
        Global(usize),
        Sparse {
            ext_blocks: u64,
        },
    }

    pub(crate) fn item() -> impl proptest::strategy::Strategy<Value = Item> {
        use proptest::prelude::*;
        prop_oneof![
            (
                0usize..1500,
                any::<bool>(),
                0u64..2000,
                proptest::option::of(1usize..1200)
            )
                .prop_map(|(body, pax_sized, ustar, between)| Item::File {
                    body,
                    pax_sized,
                    ustar,
                    between,
                }),
            (1usize..1200).prop_map(Item::LongName),
            (1usize..1200).prop_map(Item::LongLink),
            (1usize..700).prop_map(Item::PaxPath),
            (0usize..700).prop_map(Item::Global),
            (0u64..4).prop_map(|ext_blocks| Item::Sparse { ext_blocks }),
        ]
    }

    /// Bodies are made of tar headers claiming huge sizes: if the guard ever takes data for
    /// a header, it fails (or its offsets differ from `tar`'s).
    fn decoy(len: usize) -> Vec<u8> {
        let h = header(tar::EntryType::GNULongName, "decoy", 1 << 40);
        h.as_bytes().iter().copied().cycle().take(len).collect()
    }

    pub(crate) fn build(items: &[Item]) -> Vec<u8> {
        let mut t = Vec::new();
        for (i, it) in items.iter().enumerate() {
            let name = format!("f{i}");
            match it {
                Item::File {
                    body,
                    pax_sized,
                    ustar,
                    between,
                } => {
                    let mut h = header(tar::EntryType::Regular, &name, *body as u64);
                    if *pax_sized {
                        push_pax(&mut t, tar::EntryType::XHeader, "size", &body.to_string());
                        h.set_size(*ustar);
                        h.set_cksum();
                    }
                    if let Some(n) = between {
                        let long = header(tar::EntryType::GNULongName, "././@LongLink", *n as u64);
                        push(&mut t, &long, &vec![b'n'; *n]);
                    }
                    push(&mut t, &h, &decoy(*body));
                }
                Item::LongName(n) | Item::LongLink(n) => {
                    let kind = if matches!(it, Item::LongName(_)) {
                        tar::EntryType::GNULongName
                    } else {
                        tar::EntryType::GNULongLink
                    };
                    push(
                        &mut t,
                        &header(kind, "././@LongLink", *n as u64),
                        &vec![b'n'; *n],
                    );
                }
                Item::PaxPath(n) => {
                    push_pax(&mut t, tar::EntryType::XHeader, "path", &"p".repeat(*n));
                }
                Item::Global(n) => {
                    push_pax(
                        &mut t,
                        tar::EntryType::XGlobalHeader,
                        "comment",
                        &"c".repeat(*n),
                    );
                }
                Item::Sparse { ext_blocks } => {
                    let mut h = header(tar::EntryType::GNUSparse, &name, 512);
                    {
                        let gnu = h.as_gnu_mut().unwrap();
                        gnu.sparse[0].offset = *b"00000000000\0";
                        gnu.sparse[0].numbytes = *b"00000001000\0";
                        gnu.realsize = *b"00000001000\0";
                        gnu.isextended[0] = u8::from(*ext_blocks > 0);
                    }
                    h.set_cksum();
                    t.extend_from_slice(h.as_bytes());
                    for i in 0..*ext_blocks {
                        let mut ext = [0u8; 512];
                        ext[504] = u8::from(i + 1 < *ext_blocks);
                        t.extend_from_slice(&ext);
                    }
                    t.extend_from_slice(&decoy(512));
                }
            }
        }
        t.extend_from_slice(&[0; 1024]);
        t
    }

    proptest::proptest! {
        /// On any archive `tar` reads, the guard finds every entry header where `tar` does.
        #[test]
        fn the_guard_frames_archives_as_tar_does(items in proptest::collection::vec(item(), 0..12)) {
            let t = build(&items);
            let mut archive = tar::Archive::new(TarGuard::new(io::Cursor::new(&t[..])));
            let mut from_tar = Vec::new();
            let mut tar_failed = false;
            for e in archive.entries().unwrap() {
                match e {
                    Ok(mut e) => {
                        from_tar.push(e.raw_header_position());
                        io::copy(&mut e, &mut io::sink()).unwrap();
                    }
                    Err(err) => {
                        // only what tar itself refuses (two long names for one entry, ...)
                        proptest::prop_assert!(metadata_too_large(&err).is_none(), "{err}");
                        tar_failed = true;
                        break;
                    }
                }
            }
            let guard = archive.into_inner();
            if tar_failed {
                proptest::prop_assert!(guard.entries.starts_with(&from_tar) || from_tar.starts_with(&guard.entries));
            } else {
                proptest::prop_assert_eq!(&guard.entries, &from_tar);
            }
        }
    }

    #[test]
    fn extensions_in_v7_headers_are_refused() {
        for kind in [
            tar::EntryType::GNULongName,
            tar::EntryType::GNULongLink,
            tar::EntryType::XHeader,
        ] {
            let mut h = tar::Header::new_old();
            h.set_entry_type(kind);
            h.set_path("x").unwrap();
            h.set_size(4);
            h.set_mode(0o644);
            h.set_cksum();
            let mut t = Vec::new();
            push(&mut t, &h, b"9 a=b\n");
            push(&mut t, &header(tar::EntryType::Regular, "f", 1), b"z");
            t.extend_from_slice(&[0; 1024]);
            let err = run(&t).unwrap_err();
            assert!(err.contains("pre-POSIX"), "{kind:?}: {err}");
        }
    }

    #[test]
    fn nothing_is_watched_after_the_end_block() {
        let mut t = Vec::new();
        push(&mut t, &header(tar::EntryType::Regular, "a", 1), b"a");
        t.extend_from_slice(&[0; 1024]);
        t.extend_from_slice(header(tar::EntryType::GNULongName, "x", 1 << 30).as_bytes());
        assert_eq!(run(&t).unwrap(), vec!["a"]);
    }
}
