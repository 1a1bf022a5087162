//! GNU sparse files in PAX format (`tar --sparse --format=posix`, versions 0.0, 0.1, 1.0).
//!
//! The `tar` crate reads old-GNU sparse entries (type `S`) but not these: it lists such a file
//! under the name GNU tar gives the header (`./GNUSparseFile.0/status`), with the sparse map as
//! the first bytes of its data. Go's `archive/tar`, which Docker and containerd unpack layers
//! with, restores the real name and content, so a package database stored this way is seen by
//! the runtime; without this it would be hidden from the scan.
//!
//! Hand-written: no tar crate reads these. The rules are Go's (`readGNUSparsePAXHeaders`,
//! `readGNUSparseMap0x1`, `readGNUSparseMap1x0`, `validateSparseEntries`), so a layer Docker
//! refuses is refused here.

use std::io::{self, Read};

/// Most fragments read from a 1.0 map in the data (0.x maps sit in a PAX header, which the
/// tar guard already caps at 1 MiB).
const MAX_FRAGMENTS: u64 = 1 << 20;

/// A PAX-format sparse file: its real name and size, and where its map is.
#[derive(Debug)]
pub(crate) struct PaxSparse {
    /// `GNU.sparse.name`, which replaces the header's name.
    pub name: Option<Vec<u8>>,
    /// The size of the file, holes included.
    pub size: Option<u64>,
    map: Map,
}

#[derive(Debug)]
enum Map {
    /// 0.0 and 0.1: (offset, length) pairs from the PAX records.
    Pax(Vec<(u64, u64)>),
    /// 1.0: at the start of the entry's data, in 512-byte blocks.
    InData,
}

fn bad(what: impl std::fmt::Display) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("malformed GNU sparse entry: {what}"),
    )
}

/// Reads the GNU sparse records of an entry's PAX header; `None` when it has none.
pub(crate) fn from_pax(pax: tar::PaxExtensions<'_>) -> io::Result<Option<PaxSparse>> {
    let (mut major, mut minor, mut name, mut size, mut realsize) = (None, None, None, None, None);
    let (mut map, mut numblocks) = (None::<String>, None::<String>);
    // 0.0 repeats `offset` and `numbytes` records, in that order, one pair per fragment
    let mut pairs: Vec<String> = Vec::new();
    for record in pax {
        let record = record.map_err(bad)?;
        let Ok(key) = record.key() else { continue };
        if !key.starts_with("GNU.sparse.") {
            continue;
        }
        let value = record
            .value()
            .map_err(|_| bad(format!("{key} is not UTF-8")))?
            .to_string();
        match key {
            "GNU.sparse.major" => major = Some(value),
            "GNU.sparse.minor" => minor = Some(value),
            "GNU.sparse.name" => name = Some(record.value_bytes().to_vec()),
            "GNU.sparse.size" => size = Some(value),
            "GNU.sparse.realsize" => realsize = Some(value),
            "GNU.sparse.map" => map = Some(value),
            "GNU.sparse.numblocks" => numblocks = Some(value),
            "GNU.sparse.offset" | "GNU.sparse.numbytes" => {
                let want = if pairs.len() % 2 == 0 {
                    "GNU.sparse.offset"
                } else {
                    "GNU.sparse.numbytes"
                };
                if key != want || value.contains(',') {
                    return Err(bad("offset and numbytes records out of order"));
                }
                pairs.push(value);
            }
            _ => {}
        }
    }
    if !pairs.is_empty() {
        map = Some(pairs.join(","));
    }
    let v1 = match (major.as_deref(), minor.as_deref()) {
        (Some("0"), Some("0" | "1")) => false,
        (Some("1"), Some("0")) => true,
        (None, None) if map.is_some() => false,
        // an unknown version, or not sparse: Go leaves the entry as it is
        _ => return Ok(None),
    };
    let number = |what: &str, v: &str| {
        v.parse::<u64>()
            .map_err(|_| bad(format!("{what} {v:?} is not a number")))
    };
    let size = match size.or(realsize) {
        Some(s) => Some(number("size", &s)?),
        None => None,
    };
    let map = if v1 {
        Map::InData
    } else {
        let blocks = number("numblocks", numblocks.as_deref().unwrap_or(""))?;
        let values: Vec<&str> = match map.as_deref() {
            None | Some("") => Vec::new(),
            Some(m) => m.split(',').collect(),
        };
        if values.len() as u64 != blocks.saturating_mul(2) {
            return Err(bad(format!(
                "numblocks is {blocks}, the map has {} numbers",
                values.len()
            )));
        }
        let mut frags = Vec::with_capacity(values.len() / 2);
        for pair in values.chunks(2) {
            frags.push((number("offset", pair[0])?, number("length", pair[1])?));
        }
        Map::Pax(frags)
    };
    Ok(Some(PaxSparse { name, size, map }))
}

impl PaxSparse {
    /// The file's content, holes filled with zeros, read from the entry's stored data.
    /// `size` is the file's size (from the records, or the header's when they give none).
    pub(crate) fn expand<R: Read>(&self, mut stored: R, size: u64) -> io::Result<Expand<R>> {
        let frags = match &self.map {
            Map::Pax(f) => f.clone(),
            Map::InData => read_map_1x0(&mut stored)?,
        };
        let mut end = 0u64;
        for &(offset, length) in &frags {
            let stop = offset
                .checked_add(length)
                .ok_or_else(|| bad("a fragment ends past 2^64"))?;
            if offset < end || stop > size {
                return Err(bad(format!(
                    "fragment {offset}+{length} overlaps another or ends past the size {size}"
                )));
            }
            end = stop;
        }
        Ok(Expand {
            stored,
            frags,
            next: 0,
            pos: 0,
            size,
        })
    }
}

/// The 1.0 map: decimal numbers, one per line (the count, then offset and length of each
/// fragment), padded to whole 512-byte blocks that the data follows.
fn read_map_1x0(stored: &mut impl Read) -> io::Result<Vec<(u64, u64)>> {
    let mut block = [0u8; 512];
    let mut used = 512; // bytes of `block` consumed; 512 = read the next block
    let mut next_number = |stored: &mut dyn Read| -> io::Result<u64> {
        let mut digits = String::new();
        loop {
            if used == 512 {
                stored
                    .read_exact(&mut block)
                    .map_err(|_| bad("the map ends before its last number"))?;
                used = 0;
            }
            let b = block[used];
            used += 1;
            match b {
                b'\n' => break,
                b'0'..=b'9' if digits.len() < 20 => digits.push(b as char),
                _ => return Err(bad("the map is not decimal numbers, one per line")),
            }
        }
        digits
            .parse::<u64>()
            .map_err(|_| bad("an empty or oversized number in the map"))
    };
    let count = next_number(stored)?;
    if count > MAX_FRAGMENTS {
        return Err(bad(format!(
            "{count} fragments, more than the {MAX_FRAGMENTS} read"
        )));
    }
    let mut frags = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let offset = next_number(stored)?;
        let length = next_number(stored)?;
        frags.push((offset, length));
    }
    Ok(frags)
}

/// A sparse file's content: zeros for the holes, stored bytes for the fragments.
pub(crate) struct Expand<R> {
    stored: R,
    frags: Vec<(u64, u64)>,
    next: usize,
    pos: u64,
    size: u64,
}

impl<R: Read> Read for Expand<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() || self.pos >= self.size {
            return Ok(0);
        }
        // past the fragments already read
        while let Some(&(offset, length)) = self.frags.get(self.next) {
            if self.pos < offset + length {
                break;
            }
            self.next += 1;
        }
        let (hole_end, data_end) = match self.frags.get(self.next) {
            Some(&(offset, length)) => (offset, offset + length),
            None => (self.size, self.size),
        };
        if self.pos < hole_end {
            let n = (hole_end - self.pos).min(buf.len() as u64) as usize;
            buf[..n].fill(0);
            self.pos += n as u64;
            return Ok(n);
        }
        let want = (data_end - self.pos).min(buf.len() as u64) as usize;
        let n = self.stored.read(&mut buf[..want])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the sparse file's data ends before its fragments do",
            ));
        }
        self.pos += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Entries as a tar stream with `records` as the PAX header of one file.
    fn pax(records: &[(&str, &str)]) -> Vec<u8> {
        records
            .iter()
            .flat_map(|(k, v)| crate::tar::guard::tests::pax_record(k, v))
            .collect()
    }

    fn expand_all(sp: &PaxSparse, stored: &[u8], size: u64) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        sp.expand(stored, size)?.read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn version_0_1_map_in_the_records() {
        let body = pax(&[
            ("GNU.sparse.major", "0"),
            ("GNU.sparse.minor", "1"),
            ("GNU.sparse.name", "var/lib/dpkg/status"),
            ("GNU.sparse.size", "10"),
            ("GNU.sparse.numblocks", "2"),
            ("GNU.sparse.map", "0,2,6,3"),
        ]);
        let sp = from_pax(tar::PaxExtensions::new(&body)).unwrap().unwrap();
        assert_eq!(sp.name.as_deref(), Some(&b"var/lib/dpkg/status"[..]));
        assert_eq!(sp.size, Some(10));
        assert_eq!(expand_all(&sp, b"abxyz", 10).unwrap(), b"ab\0\0\0\0xyz\0");
    }

    #[test]
    fn version_0_0_repeats_offset_and_numbytes() {
        let body = pax(&[
            ("GNU.sparse.size", "6"),
            ("GNU.sparse.numblocks", "2"),
            ("GNU.sparse.offset", "1"),
            ("GNU.sparse.numbytes", "1"),
            ("GNU.sparse.offset", "4"),
            ("GNU.sparse.numbytes", "2"),
        ]);
        let sp = from_pax(tar::PaxExtensions::new(&body)).unwrap().unwrap();
        assert_eq!(expand_all(&sp, b"abc", 6).unwrap(), b"\0a\0\0bc");
        let disordered = pax(&[
            ("GNU.sparse.numblocks", "1"),
            ("GNU.sparse.numbytes", "1"),
            ("GNU.sparse.offset", "1"),
        ]);
        assert!(from_pax(tar::PaxExtensions::new(&disordered)).is_err());
    }

    #[test]
    fn version_1_0_map_at_the_start_of_the_data() {
        let body = pax(&[
            ("GNU.sparse.major", "1"),
            ("GNU.sparse.minor", "0"),
            ("GNU.sparse.realsize", "8"),
        ]);
        let sp = from_pax(tar::PaxExtensions::new(&body)).unwrap().unwrap();
        let mut stored = b"2\n0\n1\n5\n3\n".to_vec();
        stored.resize(512, 0);
        stored.extend_from_slice(b"qrst");
        assert_eq!(expand_all(&sp, &stored, 8).unwrap(), b"q\0\0\0\0rst");
    }

    #[test]
    fn what_go_refuses_is_refused() {
        let overlapping = pax(&[
            ("GNU.sparse.major", "0"),
            ("GNU.sparse.minor", "1"),
            ("GNU.sparse.numblocks", "2"),
            ("GNU.sparse.map", "0,4,2,2"),
        ]);
        let sp = from_pax(tar::PaxExtensions::new(&overlapping))
            .unwrap()
            .unwrap();
        assert!(sp.expand(&b"abcdef"[..], 8).is_err());
        let miscounted = pax(&[
            ("GNU.sparse.major", "0"),
            ("GNU.sparse.minor", "1"),
            ("GNU.sparse.numblocks", "3"),
            ("GNU.sparse.map", "0,4"),
        ]);
        assert!(from_pax(tar::PaxExtensions::new(&miscounted)).is_err());
        let v1 = pax(&[("GNU.sparse.major", "1"), ("GNU.sparse.minor", "0")]);
        let sp = from_pax(tar::PaxExtensions::new(&v1)).unwrap().unwrap();
        assert!(sp.expand(&b"2\nx\n"[..], 8).is_err());
        let mut huge = format!("{}\n", MAX_FRAGMENTS + 1).into_bytes();
        huge.resize(512, 0);
        assert!(sp.expand(&huge[..], 8).is_err());
        // stored data shorter than the fragments
        let short = pax(&[
            ("GNU.sparse.major", "0"),
            ("GNU.sparse.minor", "1"),
            ("GNU.sparse.numblocks", "1"),
            ("GNU.sparse.map", "0,4"),
        ]);
        let sp = from_pax(tar::PaxExtensions::new(&short)).unwrap().unwrap();
        assert!(expand_all(&sp, b"ab", 4).is_err());
    }

    #[test]
    fn other_pax_headers_are_not_sparse() {
        let body = pax(&[("path", "x"), ("GNU.sparse.major", "7")]);
        assert!(from_pax(tar::PaxExtensions::new(&body)).unwrap().is_none());
        assert!(from_pax(tar::PaxExtensions::new(&pax(&[("path", "x")])))
            .unwrap()
            .is_none());
    }
}
