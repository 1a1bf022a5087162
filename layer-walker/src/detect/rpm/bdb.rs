//! rpm's BerkeleyDB `Packages` file (hash access method), read-only.
//!
//! Hand-written because no crate reads BerkeleyDB files. Only what rpm's `Packages` uses is
//! supported: a hash database whose values (header blobs) are either inline (`H_KEYDATA`) or
//! in chains of overflow pages (`H_OFFPAGE`). Rather than walk the hash buckets, every hash
//! page is visited in file order, which also finds records when the bucket metadata is
//! damaged. Byte order is whatever the creating machine used; the metadata magic tells.

use std::collections::HashSet;

use thiserror::Error;

/// Why a `Packages` file could not be read at all.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum BdbError {
    #[error("file is {0} bytes, too short for a BerkeleyDB metadata page")]
    TooShort(usize),
    #[error("not a BerkeleyDB hash database (magic {0:#x})")]
    BadMagic(u32),
    #[error("unsupported BerkeleyDB page size {0}")]
    BadPageSize(u32),
}

/// Hash database magic (db.h `DB_HASHMAGIC`).
const HASH_MAGIC: u32 = 0x061561;
/// Page types (db_page.h).
const P_HASH_UNSORTED: u8 = 2;
const P_OVERFLOW: u8 = 7;
const P_HASH: u8 = 13;
/// Hash item types (db_page.h).
const H_KEYDATA: u8 = 1;
const H_OFFPAGE: u8 = 3;
/// Every page starts with this much header (lsn, pgno, prev, next, entries, hf_offset,
/// level, type).
const PAGE_HEADER: usize = 26;

/// What was read from a `Packages` file.
#[derive(Debug, Default)]
pub struct BdbRecords {
    /// Header blobs, in file order.
    pub values: Vec<Vec<u8>>,
    /// Records that were present but could not be read (bad item, broken overflow chain).
    pub damaged: usize,
    /// Set when the file is shorter than its metadata says: records may be missing.
    pub truncated: bool,
}

#[derive(Clone, Copy)]
struct Order {
    big: bool,
}

impl Order {
    fn u16(self, b: &[u8], at: usize) -> Option<u16> {
        let s = b.get(at..at.checked_add(2)?)?;
        let a = [s[0], s[1]];
        Some(if self.big {
            u16::from_be_bytes(a)
        } else {
            u16::from_le_bytes(a)
        })
    }

    fn u32(self, b: &[u8], at: usize) -> Option<u32> {
        let s = b.get(at..at.checked_add(4)?)?;
        let a = [s[0], s[1], s[2], s[3]];
        Some(if self.big {
            u32::from_be_bytes(a)
        } else {
            u32::from_le_bytes(a)
        })
    }
}

/// Reads every key/value pair of a hash `Packages` file and returns the values, skipping
/// rpm's key-0 record (it holds the next instance number, not a package).
pub fn read_packages(file: &[u8]) -> Result<BdbRecords, BdbError> {
    if file.len() < 512 {
        return Err(BdbError::TooShort(file.len()));
    }
    let raw = u32::from_le_bytes([file[12], file[13], file[14], file[15]]);
    let order = if raw == HASH_MAGIC {
        Order { big: false }
    } else if raw.swap_bytes() == HASH_MAGIC {
        Order { big: true }
    } else {
        return Err(BdbError::BadMagic(raw));
    };
    let page_size = order.u32(file, 20).unwrap_or(0);
    if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
        return Err(BdbError::BadPageSize(page_size));
    }
    let page_size = page_size as usize;
    let last_pgno = order.u32(file, 32).unwrap_or(0) as usize;
    let pages_in_file = file.len() / page_size;
    let mut out = BdbRecords {
        truncated: last_pgno >= pages_in_file || file.len() % page_size != 0,
        ..Default::default()
    };
    let pages = (last_pgno + 1).min(pages_in_file);
    let reader = Reader {
        file,
        page_size,
        pages,
        order,
    };
    for pgno in 1..pages {
        let page = reader.page(pgno);
        if page[25] == P_HASH || page[25] == P_HASH_UNSORTED {
            reader.read_hash_page(page, &mut out);
        }
    }
    Ok(out)
}

struct Reader<'a> {
    file: &'a [u8],
    page_size: usize,
    pages: usize,
    order: Order,
}

impl<'a> Reader<'a> {
    /// Page `pgno`, which the caller has checked is below `self.pages`.
    fn page(&self, pgno: usize) -> &'a [u8] {
        &self.file[pgno * self.page_size..(pgno + 1) * self.page_size]
    }

    fn read_hash_page(&self, page: &[u8], out: &mut BdbRecords) {
        let entries = self.order.u16(page, 20).unwrap_or(0) as usize;
        // Items come in key/data pairs; their offsets follow the page header.
        let offset = |i: usize| {
            self.order
                .u16(page, PAGE_HEADER + 2 * i)
                .map(usize::from)
                .filter(|&o| o >= PAGE_HEADER && o < self.page_size)
        };
        if PAGE_HEADER + 2 * entries > self.page_size {
            out.damaged += 1;
            return;
        }
        for pair in 0..entries / 2 {
            let (k, v) = (pair * 2, pair * 2 + 1);
            let (Some(ko), Some(vo)) = (offset(k), offset(v)) else {
                out.damaged += 1;
                continue;
            };
            // Items are packed from the end of the page down: an item ends where the one
            // before it in the index starts (or at the page end for the first).
            let end_of = |i: usize, start: usize| {
                let end = if i == 0 {
                    Some(self.page_size)
                } else {
                    offset(i - 1)
                };
                end.filter(|&e| e > start)
            };
            let (Some(kend), Some(vend)) = (end_of(k, ko), end_of(v, vo)) else {
                out.damaged += 1;
                continue;
            };
            let key = &page[ko..kend];
            if key.first() == Some(&H_KEYDATA) && key[1..].iter().all(|&b| b == 0) {
                continue; // rpm's bookkeeping record, key 0
            }
            let item = &page[vo..vend];
            match self.value(item) {
                Some(v) => out.values.push(v),
                None => out.damaged += 1,
            }
        }
    }

    fn value(&self, item: &[u8]) -> Option<Vec<u8>> {
        match *item.first()? {
            H_KEYDATA => Some(item[1..].to_vec()),
            H_OFFPAGE => {
                // type, 3 unused bytes, first overflow page, total length
                let pgno = self.order.u32(item, 4)? as usize;
                let total = self.order.u32(item, 8)? as usize;
                self.overflow(pgno, total)
            }
            _ => None,
        }
    }

    /// Follows an overflow chain from `pgno`, collecting `total` bytes. Returns `None` when
    /// the chain leaves the file, loops, or ends early.
    fn overflow(&self, mut pgno: usize, total: usize) -> Option<Vec<u8>> {
        // A value cannot be larger than the file holding it: this bounds the allocation.
        if total > self.file.len() {
            return None;
        }
        let mut data = Vec::with_capacity(total);
        let mut seen = HashSet::new();
        while data.len() < total {
            if pgno == 0 || pgno >= self.pages || !seen.insert(pgno) {
                return None;
            }
            let page = self.page(pgno);
            if page[25] != P_OVERFLOW {
                return None;
            }
            // On overflow pages hf_offset holds the number of bytes used.
            let used = self.order.u16(page, 22)? as usize;
            let chunk = page.get(PAGE_HEADER..PAGE_HEADER.checked_add(used)?)?;
            let want = (total - data.len()).min(chunk.len());
            data.extend_from_slice(&chunk[..want]);
            pgno = self.order.u32(page, 16)? as usize;
        }
        Some(data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PS: usize = 512;

    fn page(pgno: u32, next: u32, entries: u16, hf: u16, kind: u8) -> Vec<u8> {
        let mut p = vec![0u8; PS];
        p[8..12].copy_from_slice(&pgno.to_le_bytes());
        p[16..20].copy_from_slice(&next.to_le_bytes());
        p[20..22].copy_from_slice(&entries.to_le_bytes());
        p[22..24].copy_from_slice(&hf.to_le_bytes());
        p[25] = kind;
        p
    }

    fn meta(last_pgno: u32) -> Vec<u8> {
        let mut p = vec![0u8; PS];
        p[12..16].copy_from_slice(&HASH_MAGIC.to_le_bytes());
        p[16..20].copy_from_slice(&9u32.to_le_bytes());
        p[20..24].copy_from_slice(&(PS as u32).to_le_bytes());
        p[25] = 8;
        p[32..36].copy_from_slice(&last_pgno.to_le_bytes());
        p
    }

    /// A hash page holding one record: key 1, value an off-page reference to `ov` of `len`.
    fn hash_page_with_offpage(ov: u32, len: u32) -> Vec<u8> {
        let mut p = page(1, 0, 2, 0, P_HASH);
        let key_at = PS - 5;
        p[key_at] = H_KEYDATA;
        p[key_at + 1..key_at + 5].copy_from_slice(&1u32.to_le_bytes());
        let val_at = key_at - 12;
        p[val_at] = H_OFFPAGE;
        p[val_at + 4..val_at + 8].copy_from_slice(&ov.to_le_bytes());
        p[val_at + 8..val_at + 12].copy_from_slice(&len.to_le_bytes());
        p[26..28].copy_from_slice(&(key_at as u16).to_le_bytes());
        p[28..30].copy_from_slice(&(val_at as u16).to_le_bytes());
        p
    }

    fn db(pages: &[Vec<u8>]) -> Vec<u8> {
        let mut f = meta(pages.len() as u32);
        for p in pages {
            f.extend_from_slice(p);
        }
        f
    }

    #[test]
    fn reads_an_overflow_value() {
        let mut ov = page(2, 0, 0, 5, P_OVERFLOW);
        ov[26..31].copy_from_slice(b"hello");
        let f = db(&[hash_page_with_offpage(2, 5), ov]);
        let r = read_packages(&f).expect("valid");
        assert_eq!(r.values, vec![b"hello".to_vec()]);
        assert_eq!(r.damaged, 0);
        assert!(!r.truncated);
    }

    #[test]
    fn overflow_loop_terminates_as_damaged() {
        // page 2 points to itself and never delivers the promised bytes
        let ov = page(2, 2, 0, 5, P_OVERFLOW);
        let f = db(&[hash_page_with_offpage(2, 100), ov]);
        let r = read_packages(&f).expect("readable");
        assert!(r.values.is_empty());
        assert_eq!(r.damaged, 1);
    }

    #[test]
    fn bad_magic_is_an_error() {
        let mut f = db(&[]);
        f[12] = 0x42;
        assert!(matches!(read_packages(&f), Err(BdbError::BadMagic(_))));
    }

    #[test]
    fn truncated_file_is_reported() {
        let mut ov = page(2, 0, 0, 5, P_OVERFLOW);
        ov[26..31].copy_from_slice(b"hello");
        let mut f = db(&[hash_page_with_offpage(2, 5), ov]);
        f.truncate(PS * 2 + 100);
        let r = read_packages(&f).expect("readable");
        assert!(r.truncated);
        assert_eq!(r.damaged, 1, "the value's overflow page is gone");
        assert!(read_packages(&f[..300]).is_err());
    }

    #[test]
    fn item_offsets_outside_the_page_are_damage() {
        let mut p = hash_page_with_offpage(2, 5);
        p[28..30].copy_from_slice(&9000u16.to_le_bytes());
        let r = read_packages(&db(&[p])).expect("readable");
        assert_eq!(r.damaged, 1);
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_pages_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..2048)) {
            let mut f = meta(4);
            f.extend_from_slice(&bytes);
            let _ = read_packages(&f);
            let _ = read_packages(&bytes);
        }
    }
}
