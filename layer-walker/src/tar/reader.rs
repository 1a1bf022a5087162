//! The layer walk's tar reader: one parse of each header, from a buffer it owns, with the
//! tar guard's limits built in.
//!
//! It lists exactly what the `tar` crate (0.4.46) lists over the tar guard, by the same
//! rules, in the same order, with the same errors: GNU long names and links (`L`, `K`) and
//! PAX extended headers (`x`: `path`, `linkpath`, `size`) applied to the entry after them,
//! only under a ustar or GNU magic; the first all-zero block or the end of the stream ends
//! the archive; checksums checked on every header; old-GNU sparse entries (`S`) expanded
//! with their holes. The header fields are read through `tar::Header`'s own views, so the
//! two cannot read a field differently; only the common case of the three numbers read for
//! every entry (checksum, size, mode) is parsed here, and anything unusual in them goes to
//! `tar`'s parser for its value or its error. `tests` checks the framing against `tar` on
//! generated archives.
//!
//! Hand-written because of what `tar` cost per entry, measured with callgrind on an image of
//! 100,000 small files (benches/RESULTS.md, "Issue 21, instruction counts"): `tar` and the
//! guard beside it (which parsed every header a second time to bound what `tar` buffers)
//! spent `octal_from` 136 M instructions, `entry_size` 81 M, the octal formatting of a fresh
//! `Header::new_old` per entry 63 M, `next_entry_raw` itself ~65 M plus two copies of every
//! header; this reader's whole parse is ~80 M. With the claim index and the path cleaning,
//! sbom's instructions above the floor went from 1,061 M to 371 M on that image.

use std::io::{self, Read};

use crate::tar::guard::{check_extension, MetadataTooLarge, MAX_SPARSE_BLOCKS};

const BLOCK: u64 = 512;

/// Bytes read ahead: the readers below (decoder, hashes, counters) are called once per
/// this many bytes, not per entry.
const AHEAD: usize = 64 << 10;

/// What an entry is (the typeflag byte, as `tar::EntryType` reads it).
pub(crate) type Kind = tar::EntryType;

/// One entry the reader lists: what the walk needs of its header.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry {
    pub kind: Kind,
    /// The file's size: the PAX `size`, else the header's; an old-GNU sparse file's real
    /// size, holes included.
    pub size: u64,
    /// Offset of its header in the tar (for the tests, which compare it with `tar`'s).
    #[cfg_attr(not(test), allow(dead_code))]
    pub offset: u64,
}

/// Reads the entries of a tar stream, in order. See the module docs.
pub(crate) struct TarReader<R> {
    inner: R,
    buf: Box<[u8]>,
    /// `buf[start..end]` holds the stream's bytes from offset `pos` on.
    start: usize,
    end: usize,
    pos: u64,
    /// Where the next header starts.
    next: u64,
    /// Stored data of the current entry not yet read (it ends at `data_end`).
    data_end: u64,
    done: bool,
    /// The current entry's header (a copy: the buffer moves).
    header: [u8; 512],
    /// The current entry's GNU long name and link, and PAX records, when it has them.
    long_name: Option<Vec<u8>>,
    long_link: Option<Vec<u8>>,
    pax: Option<Vec<u8>>,
    /// An old-GNU sparse entry's fragments (offset, length) in the file.
    sparse: Option<Vec<(u64, u64)>>,
}

fn other(msg: &str) -> io::Error {
    io::Error::other(msg.to_string())
}

impl<R: Read> TarReader<R> {
    pub(crate) fn new(inner: R) -> Self {
        TarReader {
            inner,
            buf: vec![0; AHEAD].into_boxed_slice(),
            start: 0,
            end: 0,
            pos: 0,
            next: 0,
            data_end: 0,
            done: false,
            header: [0; 512],
            long_name: None,
            long_link: None,
            pax: None,
            sparse: None,
        }
    }

    /// At least `n` (<= AHEAD) bytes in the buffer, or fewer at the end of the stream.
    fn fill(&mut self, n: usize) -> io::Result<usize> {
        if self.end - self.start >= n {
            return Ok(self.end - self.start);
        }
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        while self.end < n {
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => break,
                Ok(k) => self.end += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(self.end)
    }

    fn consume(&mut self, n: usize) {
        self.start += n;
        self.pos += n as u64;
    }

    /// Moves to offset `to` (never backwards), reading what is between.
    fn skip_to(&mut self, to: u64) -> io::Result<()> {
        while self.pos < to {
            let avail = self.end - self.start;
            if avail == 0 && self.fill(1)? == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "unexpected end of the layer inside an entry",
                ));
            }
            let k = (to - self.pos).min((self.end - self.start) as u64) as usize;
            self.consume(k);
        }
        Ok(())
    }

    /// The next header block, or `None` at the end of the stream (nothing at all left).
    fn read_block(&mut self) -> io::Result<Option<[u8; 512]>> {
        let have = self.fill(512)?;
        if have == 0 {
            return Ok(None);
        }
        if have < 512 {
            return Err(other("failed to read entire block"));
        }
        let block: [u8; 512] = self.buf[self.start..self.start + 512]
            .try_into()
            .expect("512 bytes");
        self.consume(512);
        Ok(Some(block))
    }

    /// Reads `n` bytes of the stream whole (an extension's body, at most 1 MiB).
    fn read_body(&mut self, n: u64) -> io::Result<Vec<u8>> {
        let mut out = Vec::with_capacity(n.min(128 << 10) as usize);
        let mut left = n;
        while left > 0 {
            if self.end == self.start && self.fill(1)? == 0 {
                break;
            }
            let k = left.min((self.end - self.start) as u64) as usize;
            out.extend_from_slice(&self.buf[self.start..self.start + k]);
            self.consume(k);
            left -= k as u64;
        }
        Ok(out)
    }

    /// The next entry, skipping what is left of the current one; `None` at the end.
    pub(crate) fn next_entry(&mut self) -> io::Result<Option<Entry>> {
        if self.done {
            return Ok(None);
        }
        match self.next_inner() {
            Ok(Some(e)) => Ok(Some(e)),
            Ok(None) => {
                self.done = true;
                Ok(None)
            }
            Err(e) => {
                self.done = true;
                Err(e)
            }
        }
    }

    fn next_inner(&mut self) -> io::Result<Option<Entry>> {
        self.long_name = None;
        self.long_link = None;
        self.pax = None;
        self.sparse = None;
        let mut processed = 0;
        loop {
            processed += 1;
            self.skip_to(self.next)?;
            let offset = self.pos;
            let block = self.read_block()?;
            // one pass over the header for both the zero test and the checksum
            let total = block.as_ref().map_or(0, |b| {
                b.chunks_exact(8)
                    .map(|c| c.iter().map(|&x| u32::from(x)).sum::<u32>())
                    .sum::<u32>()
            });
            let block = match block {
                Some(b) if total != 0 => b,
                // the end of the stream or the first zero block ends the archive
                _ if processed > 1 => {
                    return Err(other(
                        "members found describing a future member but no future member found",
                    ))
                }
                _ => return Ok(None),
            };
            self.next += BLOCK;
            let header = tar::Header::from_byte_slice(&block);
            let sum = total - block[148..156].iter().map(|&b| u32::from(b)).sum::<u32>() + 8 * 32;
            let cksum = match octal(&block[148..156]) {
                Some(c) => c as u32,
                None => header.cksum()?,
            };
            if sum != cksum {
                return Err(other("archive header checksum mismatch"));
            }
            let kind = header.entry_type();
            let extension = kind.is_gnu_longname()
                || kind.is_gnu_longlink()
                || kind.is_pax_local_extensions()
                || kind.is_pax_global_extensions();
            let pax_size = match &self.pax {
                Some(pax) if !extension => pax_size(pax),
                _ => None,
            };
            let mut size = match size_field(&block) {
                Some(s) => s,
                None => header.entry_size()?,
            };
            if let Some(s) = pax_size {
                size = s;
            }
            let stored_end = self
                .next
                .checked_add(size)
                .ok_or_else(|| other("size overflow"))?;
            self.next = self
                .next
                .checked_add(round_up(size)?)
                .ok_or_else(|| other("size overflow"))?;
            let recognized = header.as_gnu().is_some() || header.as_ustar().is_some();
            if extension {
                check_extension(kind, size, offset, recognized)?;
                if !kind.is_pax_global_extensions() {
                    let slot = match kind {
                        tar::EntryType::GNULongName => &self.long_name,
                        tar::EntryType::GNULongLink => &self.long_link,
                        _ => &self.pax,
                    };
                    if slot.is_some() {
                        return Err(other(if kind.is_pax_local_extensions() {
                            "two pax extensions entries describing the same member"
                        } else {
                            "two long name entries describing the same member"
                        }));
                    }
                    let body = self.read_body(size)?;
                    match kind {
                        tar::EntryType::GNULongName => self.long_name = Some(body),
                        tar::EntryType::GNULongLink => self.long_link = Some(body),
                        _ => self.pax = Some(body),
                    }
                    continue;
                }
            }
            self.header = block;
            self.data_end = stored_end;
            if kind.is_gnu_sparse() {
                size = self.sparse_map(offset, size)?;
            } else if kind.is_pax_global_extensions() && self.pax.is_none() {
                // `tar` lists a global header as an entry and reads its records as the
                // entry's own (its name may come from them)
                self.pax = Some(self.read_body(size)?);
            }
            return Ok(Some(Entry { kind, size, offset }));
        }
    }

    /// Reads an old-GNU sparse entry's map (its header's and the extension blocks after
    /// it), checked as `tar` checks it; returns the file's real size.
    fn sparse_map(&mut self, offset: u64, stored: u64) -> io::Result<u64> {
        let block = self.header;
        let header = tar::Header::from_byte_slice(&block);
        let Some(gnu) = header.as_gnu() else {
            return Err(other("sparse entry type listed but not GNU header"));
        };
        let mut frags = Vec::new();
        let mut cur = 0u64;
        let mut remaining = stored;
        let mut add = |block: &tar::GnuSparseHeader| -> io::Result<()> {
            if block.is_empty() {
                return Ok(());
            }
            let off = block.offset()?;
            let len = block.length()?;
            if len != 0 && (stored - remaining) % BLOCK != 0 {
                return Err(other(
                    "previous block in sparse file was not aligned to 512-byte boundary",
                ));
            } else if off < cur {
                return Err(other("out of order or overlapping sparse blocks"));
            }
            cur = off
                .checked_add(len)
                .ok_or_else(|| other("more bytes listed in sparse file than u64 can hold"))?;
            remaining = remaining
                .checked_sub(len)
                .ok_or_else(|| other("sparse file consumed more data than the header listed"))?;
            frags.push((off, len));
            Ok(())
        };
        for block in gnu.sparse.iter() {
            add(block)?;
        }
        if gnu.is_extended() {
            let mut blocks = 0u64;
            loop {
                blocks += 1;
                if blocks > MAX_SPARSE_BLOCKS {
                    return Err(io::Error::other(MetadataTooLarge {
                        what: "GNU sparse map",
                        offset,
                        declared: blocks,
                        limit: crate::limits::Limit::SparseMap,
                        max: MAX_SPARSE_BLOCKS,
                    }));
                }
                match self.fill(512)? {
                    0 => return Err(other("failed to read extension")),
                    1..512 => return Err(other("failed to read entire block")),
                    _ => {}
                }
                let mut ext = tar::GnuExtSparseHeader::new();
                ext.as_mut_bytes()
                    .copy_from_slice(&self.buf[self.start..self.start + 512]);
                self.consume(512);
                self.next += BLOCK;
                self.data_end += BLOCK;
                for block in ext.sparse.iter() {
                    add(block)?;
                }
                if !ext.is_extended() {
                    break;
                }
            }
        }
        if cur != gnu.real_size()? {
            return Err(other("mismatch in sparse file chunks and size in header"));
        }
        if remaining > 0 {
            return Err(other(
                "mismatch in sparse file chunks and entry size in header",
            ));
        }
        self.sparse = Some(frags);
        Ok(cur)
    }

    /// The current entry's name as `tar` gives it: the GNU long name (less one trailing
    /// NUL), else the first well-formed PAX `path`, else the header's (a ustar prefix joined).
    pub(crate) fn path(&self) -> std::borrow::Cow<'_, [u8]> {
        if let Some(long) = &self.long_name {
            return long.strip_suffix(b"\0").unwrap_or(long).into();
        }
        if let Some(v) = self.pax_value(b"path") {
            return v.into();
        }
        tar::Header::from_byte_slice(&self.header).path_bytes()
    }

    /// The current entry's link target as `tar` gives it (long link, PAX `linkpath`, header).
    pub(crate) fn link_bytes(&self) -> Option<&[u8]> {
        if let Some(long) = &self.long_link {
            return Some(long.strip_suffix(b"\0").unwrap_or(long));
        }
        if let Some(v) = self.pax_value(b"linkpath") {
            return Some(v);
        }
        let link = &self.header[157..257];
        (link[0] != 0).then(|| &link[..link.iter().position(|&b| b == 0).unwrap_or(100)])
    }

    /// The current entry's mode bits, if the field parses.
    pub(crate) fn mode(&self) -> Option<u32> {
        match octal(&self.header[100..108]) {
            Some(m) => Some(m as u32),
            None => tar::Header::from_byte_slice(&self.header).mode().ok(),
        }
    }

    /// The PAX records that apply to the current entry (its own, for a global header).
    pub(crate) fn pax(&self) -> Option<tar::PaxExtensions<'_>> {
        self.pax.as_deref().map(tar::PaxExtensions::new)
    }

    fn pax_value(&self, key: &[u8]) -> Option<&[u8]> {
        tar::PaxExtensions::new(self.pax.as_deref()?)
            .filter_map(|r| r.ok())
            .find(|r| r.key_bytes() == key)
            .map(|r| r.value_bytes())
    }

    /// The current entry's content (an old-GNU sparse file's with its holes filled).
    pub(crate) fn body(&mut self) -> Box<dyn Read + '_> {
        match self.sparse.take() {
            Some(frags) => Box::new(OldSparse {
                data: Data { r: self },
                frags,
                next: 0,
                pos: 0,
            }),
            None => Box::new(Data { r: self }),
        }
    }
}

/// An old-GNU sparse file's content as `tar` reads it: zeros up to each fragment, then its
/// stored bytes; a short stream ends it early (as `tar`'s `Take`s do), which the reader of
/// the body notices.
struct OldSparse<'a, R> {
    data: Data<'a, R>,
    frags: Vec<(u64, u64)>,
    next: usize,
    pos: u64,
}

impl<R: Read> Read for OldSparse<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while let Some(&(offset, length)) = self.frags.get(self.next) {
            if self.pos < offset {
                let n = (offset - self.pos).min(buf.len() as u64) as usize;
                buf[..n].fill(0);
                self.pos += n as u64;
                return Ok(n);
            }
            if self.pos < offset + length {
                let want = (offset + length - self.pos).min(buf.len() as u64) as usize;
                let n = self.data.read(&mut buf[..want])?;
                if n == 0 {
                    self.next = self.frags.len();
                    return Ok(0);
                }
                self.pos += n as u64;
                return Ok(n);
            }
            self.next += 1;
        }
        Ok(0)
    }
}

/// The stored bytes of the current entry.
struct Data<'a, R> {
    r: &'a mut TarReader<R>,
}

impl<R: Read> Read for Data<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let r = &mut *self.r;
        let left = r.data_end.saturating_sub(r.pos);
        if left == 0 || buf.is_empty() {
            return Ok(0);
        }
        if r.end == r.start {
            if buf.len() >= AHEAD && left >= buf.len() as u64 {
                // a large read of a large body: straight into the caller's buffer
                let n = r.inner.read(buf)?;
                r.pos += n as u64;
                return Ok(n);
            }
            if r.fill(1)? == 0 {
                return Ok(0);
            }
        }
        let n = left.min((r.end - r.start) as u64).min(buf.len() as u64) as usize;
        buf[..n].copy_from_slice(&r.buf[r.start..r.start + n]);
        r.consume(n);
        Ok(n)
    }
}

fn round_up(size: u64) -> io::Result<u64> {
    size.checked_add(BLOCK - 1)
        .map(|s| s & !(BLOCK - 1))
        .ok_or_else(|| other("size overflow"))
}

/// The common form of a numeric field: octal digits between spaces, ended by a NUL or the
/// field's end. `None` for anything else (base-256, other whitespace, a sign, empty), which
/// `tar`'s own parser then reads, to the same value or its error.
fn octal(field: &[u8]) -> Option<u64> {
    let field = match field.iter().position(|&b| b == 0) {
        Some(i) => &field[..i],
        None => field,
    };
    let mut n = 0u64;
    let mut digits = 0;
    let mut trailing = false;
    for &b in field {
        match b {
            b' ' if digits == 0 => {}
            b' ' => trailing = true,
            b'0'..=b'7' if !trailing => {
                n = (n << 3) | u64::from(b - b'0');
                digits += 1;
            }
            _ => return None,
        }
    }
    // 12 bytes hold at most 12 octal digits: no overflow
    (digits > 0).then_some(n)
}

/// The size field, octal in the common case (base-256 and oddities to `tar`).
fn size_field(block: &[u8; 512]) -> Option<u64> {
    let field = &block[124..136];
    if field[0] & 0x80 != 0 {
        return None;
    }
    octal(field)
}

/// The `size` record of PAX records as `tar` reads it: the first `size` key, and nothing if
/// a record before it, or its value, does not parse.
fn pax_size(body: &[u8]) -> Option<u64> {
    for record in tar::PaxExtensions::new(body) {
        let record = record.ok()?;
        if record.key() == Ok("size") {
            return record.value().ok()?.parse().ok();
        }
    }
    None
}

#[cfg(test)]
mod tests;
