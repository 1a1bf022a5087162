//! SUSE's NDB `Packages.db` (rpm's `ndb` backend), read-only.
//!
//! Hand-written because no crate reads NDB. Layout (little-endian): a 32-byte header
//! (`RpmP`, version, generation, number of slot pages, ...), then 16-byte slots (`Slot`,
//! package index, block offset, block count) filling the slot pages; a package's blob starts
//! at `block offset * 16` with a 16-byte blob header (`BlbS`, package index, generation,
//! length) followed by the header blob.

use thiserror::Error;

/// Why a `Packages.db` file could not be read at all.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum NdbError {
    #[error("not an NDB Packages.db (no RpmP header)")]
    BadMagic,
    #[error("NDB slot area of {0} pages does not fit in the file")]
    BadSlotPages(u32),
}

const HEADER_MAGIC: &[u8; 4] = b"RpmP";
const SLOT_MAGIC: &[u8; 4] = b"Slot";
const BLOB_MAGIC: &[u8; 4] = b"BlbS";
const SLOT_PAGE: usize = 4096;
const SLOT_LEN: usize = 16;
const BLOCK: usize = 16;
/// The header takes the room of the first two slots.
const HEADER_LEN: usize = 32;

/// What was read from a `Packages.db` file.
#[derive(Debug, Default)]
pub struct NdbRecords {
    /// Header blobs, in slot order.
    pub values: Vec<Vec<u8>>,
    /// Slots whose blob could not be read.
    pub damaged: usize,
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

/// Reads every used slot's header blob.
pub fn read_packages(file: &[u8]) -> Result<NdbRecords, NdbError> {
    if file.get(..4) != Some(HEADER_MAGIC.as_slice()) {
        return Err(NdbError::BadMagic);
    }
    let slot_pages = le32(file, 12).ok_or(NdbError::BadMagic)?;
    let slot_end = (slot_pages as usize)
        .checked_mul(SLOT_PAGE)
        .filter(|&e| e >= HEADER_LEN && e <= file.len())
        .ok_or(NdbError::BadSlotPages(slot_pages))?;
    let mut out = NdbRecords::default();
    for slot in file[HEADER_LEN..slot_end].chunks_exact(SLOT_LEN) {
        if &slot[..4] != SLOT_MAGIC {
            // a page that is not slots: the slot area is corrupt from here on
            out.damaged += 1;
            break;
        }
        let idx = le32(slot, 4).unwrap_or(0);
        if idx == 0 {
            continue; // free slot
        }
        let blkoff = le32(slot, 8).unwrap_or(0) as usize;
        let blkcnt = le32(slot, 12).unwrap_or(0) as usize;
        match blob(file, idx, blkoff, blkcnt, slot_end) {
            Some(b) => out.values.push(b.to_vec()),
            None => out.damaged += 1,
        }
    }
    Ok(out)
}

/// The header blob a slot points at, when everything about it is in bounds and consistent.
fn blob(file: &[u8], idx: u32, blkoff: usize, blkcnt: usize, slot_end: usize) -> Option<&[u8]> {
    let start = blkoff.checked_mul(BLOCK)?;
    let end = blkcnt.checked_mul(BLOCK)?.checked_add(start)?;
    // blobs live after the slot pages
    if start < slot_end || end > file.len() {
        return None;
    }
    let area = &file[start..end];
    if area.get(..4)? != BLOB_MAGIC.as_slice() || le32(area, 4)? != idx {
        return None;
    }
    let len = le32(area, 12)? as usize;
    area.get(16..16usize.checked_add(len)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One slot page holding one slot, and its blob at block 256 (offset 4096).
    fn db(blkoff: u32, blkcnt: u32, payload: &[u8]) -> Vec<u8> {
        let mut f = vec![0u8; SLOT_PAGE];
        f[..4].copy_from_slice(HEADER_MAGIC);
        f[12..16].copy_from_slice(&1u32.to_le_bytes());
        for s in (HEADER_LEN..SLOT_PAGE).step_by(SLOT_LEN) {
            f[s..s + 4].copy_from_slice(SLOT_MAGIC);
        }
        f[36..40].copy_from_slice(&7u32.to_le_bytes());
        f[40..44].copy_from_slice(&blkoff.to_le_bytes());
        f[44..48].copy_from_slice(&blkcnt.to_le_bytes());
        f.extend_from_slice(BLOB_MAGIC);
        f.extend_from_slice(&7u32.to_le_bytes());
        f.extend_from_slice(&0u32.to_le_bytes());
        f.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        f.extend_from_slice(payload);
        f.resize(f.len().div_ceil(BLOCK) * BLOCK + BLOCK, 0);
        f
    }

    #[test]
    fn reads_a_blob() {
        let r = read_packages(&db(256, 3, b"hello")).expect("valid");
        assert_eq!(r.values, vec![b"hello".to_vec()]);
        assert_eq!(r.damaged, 0);
    }

    #[test]
    fn bad_slot_offsets_are_damage() {
        for (off, cnt) in [(0, 3), (u32::MAX, 3), (256, u32::MAX), (9999, 1), (257, 2)] {
            let r = read_packages(&db(off, cnt, b"hello")).expect("readable");
            assert!(r.values.is_empty(), "{off} {cnt}");
            assert_eq!(r.damaged, 1, "{off} {cnt}");
        }
    }

    #[test]
    fn bad_magic_and_slot_pages_are_errors() {
        assert_eq!(read_packages(b"nope").unwrap_err(), NdbError::BadMagic);
        let mut f = db(256, 3, b"x");
        f[12..16].copy_from_slice(&1000u32.to_le_bytes());
        assert!(matches!(read_packages(&f), Err(NdbError::BadSlotPages(_))));
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..8192)) {
            let _ = read_packages(&bytes);
            let mut f = db(256, 3, b"hello");
            let n = bytes.len().min(f.len());
            f[..n].copy_from_slice(&bytes[..n]);
            f[..4].copy_from_slice(HEADER_MAGIC);
            let _ = read_packages(&f);
        }
    }
}
