//! The rpm header blob, as rpm stores it in every database backend.
//!
//! Hand-written because no crate reads this form: the `rpm` crate parses whole `.rpm` files
//! only (lead + signature + header with magic), and its header parser is private. A database
//! value is the "headerImport" form: `be32 il` (index entries), `be32 dl` (data bytes), `il`
//! 16-byte entries (tag, type, offset, count; all big-endian), then `dl` bytes of data, with
//! no magic. Every offset and count is checked against the blob: images are hostile input.

use thiserror::Error;

/// Why a header blob could not be read.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum HeaderError {
    #[error("header blob is {0} bytes, too short for its index")]
    Truncated(usize),
    #[error("header blob claims {il} entries and {dl} data bytes but holds {len} bytes")]
    BadSize { il: u32, dl: u32, len: usize },
    #[error("header tag {tag} (type {kind}) points outside the data area")]
    OutOfRange { tag: u32, kind: u32 },
    #[error("header tag {tag} has type {kind}, expected {expected}")]
    WrongType {
        tag: u32,
        kind: u32,
        expected: &'static str,
    },
    #[error("header has no {0} tag")]
    Missing(&'static str),
}

// Tag numbers (rpmtag.h).
const TAG_SIGMD5: u32 = 261;
const TAG_NAME: u32 = 1000;
const TAG_VERSION: u32 = 1001;
const TAG_RELEASE: u32 = 1002;
const TAG_EPOCH: u32 = 1003;
const TAG_SUMMARY: u32 = 1004;
const TAG_SIZE: u32 = 1009;
const TAG_VENDOR: u32 = 1011;
const TAG_LICENSE: u32 = 1014;
const TAG_PACKAGER: u32 = 1015;
const TAG_URL: u32 = 1020;
const TAG_ARCH: u32 = 1022;
const TAG_SOURCERPM: u32 = 1044;
const TAG_PROVIDENAME: u32 = 1047;
const TAG_REQUIRENAME: u32 = 1049;
const TAG_DIRINDEXES: u32 = 1116;
const TAG_BASENAMES: u32 = 1117;
const TAG_DIRNAMES: u32 = 1118;
const TAG_MODULARITYLABEL: u32 = 5096;

// Entry types (rpmtag.h, rpmTagType).
const TYPE_INT16: u32 = 3;
const TYPE_INT32: u32 = 4;
const TYPE_INT64: u32 = 5;
const TYPE_STRING: u32 = 6;
const TYPE_BIN: u32 = 7;
const TYPE_STRING_ARRAY: u32 = 8;
const TYPE_I18NSTRING: u32 = 9;

/// Size of one index entry.
const ENTRY_LEN: usize = 16;

/// The facts this crate keeps from one installed package's header.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RpmHeader {
    /// `NAME`.
    pub name: String,
    /// `VERSION`.
    pub version: String,
    /// `RELEASE`.
    pub release: String,
    /// Present only when the header has an EPOCH tag (which may hold 0).
    pub epoch: Option<u32>,
    /// `SUMMARY`: the one-line description.
    pub summary: Option<String>,
    /// `SIZE`: installed size in bytes.
    pub size: Option<u64>,
    /// `VENDOR`.
    pub vendor: Option<String>,
    /// `LICENSE`, as the spec file wrote it.
    pub license: Option<String>,
    /// `PACKAGER`.
    pub packager: Option<String>,
    /// `URL`: the project home page.
    pub url: Option<String>,
    /// `ARCH`.
    pub arch: Option<String>,
    /// `SOURCERPM`: the file name of the source package (`name-version-release.src.rpm`).
    pub source_rpm: Option<String>,
    /// `PROVIDENAME`: capabilities, without versions.
    pub provides: Vec<String>,
    /// `REQUIRENAME`: required capabilities, without versions.
    pub requires: Vec<String>,
    /// Owned files, absolute: `DIRNAMES[DIRINDEXES[i]] + BASENAMES[i]`.
    pub files: Vec<String>,
    /// `SIGMD5`: MD5 digest of the package's header and payload, from its signature header.
    pub sigmd5: Option<Vec<u8>>,
    /// `MODULARITYLABEL`: the module stream of a RHEL/Fedora modular package.
    pub modularity_label: Option<String>,
}

#[derive(Clone, Copy)]
struct Entry {
    tag: u32,
    kind: u32,
    offset: u32,
    count: u32,
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

/// A parsed index over a blob's data area.
struct Blob<'a> {
    entries: Vec<Entry>,
    data: &'a [u8],
}

impl<'a> Blob<'a> {
    fn parse(blob: &'a [u8]) -> Result<Self, HeaderError> {
        let il = be32(blob, 0).ok_or(HeaderError::Truncated(blob.len()))?;
        let dl = be32(blob, 4).ok_or(HeaderError::Truncated(blob.len()))?;
        let bad = || HeaderError::BadSize {
            il,
            dl,
            len: blob.len(),
        };
        // The index and data must fit in the blob: this bounds `il` before anything is
        // allocated for it.
        let index_len = (il as usize).checked_mul(ENTRY_LEN).ok_or_else(bad)?;
        let data_start = index_len.checked_add(8).ok_or_else(bad)?;
        let data_end = data_start.checked_add(dl as usize).ok_or_else(bad)?;
        if data_end > blob.len() || il == 0 {
            return Err(bad());
        }
        let data = &blob[data_start..data_end];
        let entries = blob[8..data_start]
            .chunks_exact(ENTRY_LEN)
            .map(|e| Entry {
                tag: u32::from_be_bytes([e[0], e[1], e[2], e[3]]),
                kind: u32::from_be_bytes([e[4], e[5], e[6], e[7]]),
                offset: u32::from_be_bytes([e[8], e[9], e[10], e[11]]),
                count: u32::from_be_bytes([e[12], e[13], e[14], e[15]]),
            })
            .collect();
        Ok(Blob { entries, data })
    }

    /// The entry for `tag`. A tag may appear twice when rpm appended a "dribble" entry after
    /// the immutable region; the later one is what rpm reads, so the last one wins.
    fn find(&self, tag: u32) -> Option<Entry> {
        self.entries.iter().rev().find(|e| e.tag == tag).copied()
    }

    fn tail(&self, e: Entry) -> Result<&'a [u8], HeaderError> {
        self.data
            .get(e.offset as usize..)
            .ok_or(HeaderError::OutOfRange {
                tag: e.tag,
                kind: e.kind,
            })
    }

    /// `count` NUL-terminated strings from the entry's offset.
    fn strings(&self, e: Entry, max: u32) -> Result<Vec<String>, HeaderError> {
        let oor = HeaderError::OutOfRange {
            tag: e.tag,
            kind: e.kind,
        };
        // Each string takes at least one byte, so a count above the data length is a lie;
        // checking first keeps a hostile count from sizing an allocation.
        let count = e.count.min(max);
        if count as usize > self.data.len() {
            return Err(oor);
        }
        let mut rest = self.tail(e)?;
        let mut out = Vec::with_capacity(count as usize);
        for _ in 0..count {
            let nul = rest
                .iter()
                .position(|&b| b == 0)
                .ok_or(HeaderError::OutOfRange {
                    tag: e.tag,
                    kind: e.kind,
                })?;
            // Old packages carry Latin-1 text; keep what is readable rather than fail.
            out.push(String::from_utf8_lossy(&rest[..nul]).into_owned());
            rest = &rest[nul + 1..];
        }
        Ok(out)
    }

    fn string(&self, tag: u32, label: &'static str) -> Result<Option<String>, HeaderError> {
        let Some(e) = self.find(tag) else {
            return Ok(None);
        };
        match e.kind {
            // An I18NSTRING holds one string per locale; the first is the untranslated one.
            TYPE_STRING | TYPE_I18NSTRING | TYPE_STRING_ARRAY => {
                Ok(self.strings(e, 1)?.into_iter().next())
            }
            kind => Err(HeaderError::WrongType {
                tag,
                kind,
                expected: label,
            }),
        }
    }

    fn string_array(&self, tag: u32) -> Result<Vec<String>, HeaderError> {
        let Some(e) = self.find(tag) else {
            return Ok(Vec::new());
        };
        match e.kind {
            TYPE_STRING_ARRAY | TYPE_STRING | TYPE_I18NSTRING => self.strings(e, u32::MAX),
            kind => Err(HeaderError::WrongType {
                tag,
                kind,
                expected: "string array",
            }),
        }
    }

    /// Integers of any width, widened to u64.
    fn ints(&self, tag: u32) -> Result<Vec<u64>, HeaderError> {
        let Some(e) = self.find(tag) else {
            return Ok(Vec::new());
        };
        let width = match e.kind {
            TYPE_INT16 => 2,
            TYPE_INT32 => 4,
            TYPE_INT64 => 8,
            kind => {
                return Err(HeaderError::WrongType {
                    tag,
                    kind,
                    expected: "integer",
                })
            }
        };
        let len = (e.count as usize)
            .checked_mul(width)
            .ok_or(HeaderError::OutOfRange { tag, kind: e.kind })?;
        let bytes = self
            .tail(e)?
            .get(..len)
            .ok_or(HeaderError::OutOfRange { tag, kind: e.kind })?;
        Ok(bytes
            .chunks_exact(width)
            .map(|c| c.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
            .collect())
    }

    fn bin(&self, tag: u32) -> Result<Option<Vec<u8>>, HeaderError> {
        let Some(e) = self.find(tag) else {
            return Ok(None);
        };
        if e.kind != TYPE_BIN {
            return Err(HeaderError::WrongType {
                tag,
                kind: e.kind,
                expected: "binary",
            });
        }
        let bytes = self
            .tail(e)?
            .get(..e.count as usize)
            .ok_or(HeaderError::OutOfRange { tag, kind: e.kind })?;
        Ok(Some(bytes.to_vec()))
    }
}

/// Reads the package facts from one header blob. `with_files` decodes the file list, which
/// is most of a header and not needed for quick per-layer listings.
pub fn parse_header(blob: &[u8], with_files: bool) -> Result<RpmHeader, HeaderError> {
    let b = Blob::parse(blob)?;
    let name = b
        .string(TAG_NAME, "string")?
        .ok_or(HeaderError::Missing("NAME"))?;
    let version = b
        .string(TAG_VERSION, "string")?
        .ok_or(HeaderError::Missing("VERSION"))?;
    let release = b
        .string(TAG_RELEASE, "string")?
        .ok_or(HeaderError::Missing("RELEASE"))?;
    let epoch = match b.ints(TAG_EPOCH)?.first() {
        // rpm's EPOCH is an INT32; anything wider is not a header rpm wrote.
        Some(&e) => Some(u32::try_from(e).map_err(|_| HeaderError::OutOfRange {
            tag: TAG_EPOCH,
            kind: TYPE_INT32,
        })?),
        None => None,
    };
    let files = if with_files {
        let dirs = b.string_array(TAG_DIRNAMES)?;
        let bases = b.string_array(TAG_BASENAMES)?;
        let idx = b.ints(TAG_DIRINDEXES)?;
        if idx.len() != bases.len() {
            return Err(HeaderError::OutOfRange {
                tag: TAG_DIRINDEXES,
                kind: TYPE_INT32,
            });
        }
        bases
            .iter()
            .zip(&idx)
            .map(|(base, &i)| {
                let dir = usize::try_from(i).ok().and_then(|i| dirs.get(i)).ok_or(
                    HeaderError::OutOfRange {
                        tag: TAG_DIRINDEXES,
                        kind: TYPE_INT32,
                    },
                )?;
                Ok(format!("{dir}{base}"))
            })
            .collect::<Result<Vec<_>, _>>()?
    } else {
        Vec::new()
    };
    Ok(RpmHeader {
        name,
        version,
        release,
        epoch,
        summary: b.string(TAG_SUMMARY, "string")?,
        size: b.ints(TAG_SIZE)?.first().copied(),
        vendor: b.string(TAG_VENDOR, "string")?,
        license: b.string(TAG_LICENSE, "string")?,
        packager: b.string(TAG_PACKAGER, "string")?,
        url: b.string(TAG_URL, "string")?,
        arch: b.string(TAG_ARCH, "string")?,
        source_rpm: b.string(TAG_SOURCERPM, "string")?,
        provides: b.string_array(TAG_PROVIDENAME)?,
        requires: b.string_array(TAG_REQUIRENAME)?,
        files,
        sigmd5: b.bin(TAG_SIGMD5)?,
        modularity_label: b.string(TAG_MODULARITYLABEL, "string")?,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds a blob from (tag, type, offset, count) entries and a data area.
    pub(crate) fn blob(entries: &[(u32, u32, u32, u32)], data: &[u8]) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(&(entries.len() as u32).to_be_bytes());
        b.extend_from_slice(&(data.len() as u32).to_be_bytes());
        for &(t, k, o, c) in entries {
            for v in [t, k, o, c] {
                b.extend_from_slice(&v.to_be_bytes());
            }
        }
        b.extend_from_slice(data);
        b
    }

    /// A small valid header: name "a", version "1", release "2", epoch 0.
    pub(crate) fn minimal() -> Vec<u8> {
        blob(
            &[
                (TAG_NAME, TYPE_STRING, 0, 1),
                (TAG_VERSION, TYPE_STRING, 2, 1),
                (TAG_RELEASE, TYPE_STRING, 4, 1),
                (TAG_EPOCH, TYPE_INT32, 8, 1),
            ],
            b"a\x001\x002\x00\x00\x00\x00\x00\x00\x00",
        )
    }

    #[test]
    fn reads_a_minimal_header() {
        let h = parse_header(&minimal(), true).expect("valid");
        assert_eq!((h.name.as_str(), h.version.as_str()), ("a", "1"));
        assert_eq!(h.release, "2");
        assert_eq!(h.epoch, Some(0));
    }

    #[test]
    fn offset_past_the_data_is_an_error() {
        let b = blob(&[(TAG_NAME, TYPE_STRING, 999, 1)], b"a\0");
        assert!(matches!(
            parse_header(&b, true),
            Err(HeaderError::OutOfRange { .. })
        ));
    }

    #[test]
    fn string_without_terminator_is_an_error() {
        let b = blob(&[(TAG_NAME, TYPE_STRING, 0, 1)], b"abc");
        assert!(parse_header(&b, true).is_err());
    }

    #[test]
    fn huge_counts_are_refused_without_allocating() {
        let b = blob(
            &[
                (TAG_NAME, TYPE_STRING, 0, 1),
                (TAG_VERSION, TYPE_STRING, 0, 1),
                (TAG_RELEASE, TYPE_STRING, 0, 1),
                (TAG_PROVIDENAME, TYPE_STRING_ARRAY, 0, u32::MAX),
            ],
            b"a\0",
        );
        assert!(parse_header(&b, false).is_err());
        let b = blob(
            &[
                (TAG_NAME, TYPE_STRING, 0, 1),
                (TAG_VERSION, TYPE_STRING, 0, 1),
                (TAG_RELEASE, TYPE_STRING, 0, 1),
                (TAG_SIZE, TYPE_INT64, 0, u32::MAX),
            ],
            b"a\0",
        );
        assert!(parse_header(&b, false).is_err());
    }

    #[test]
    fn index_count_larger_than_blob_is_an_error() {
        let mut b = minimal();
        b[0..4].copy_from_slice(&0x0fff_ffffu32.to_be_bytes());
        assert!(matches!(
            parse_header(&b, true),
            Err(HeaderError::BadSize { .. })
        ));
        assert!(parse_header(&[0, 0, 0], true).is_err());
    }

    #[test]
    fn dirindex_out_of_range_is_an_error() {
        let b = blob(
            &[
                (TAG_NAME, TYPE_STRING, 0, 1),
                (TAG_VERSION, TYPE_STRING, 0, 1),
                (TAG_RELEASE, TYPE_STRING, 0, 1),
                (TAG_DIRINDEXES, TYPE_INT32, 4, 1),
                (TAG_BASENAMES, TYPE_STRING_ARRAY, 0, 1),
                (TAG_DIRNAMES, TYPE_STRING_ARRAY, 0, 1),
            ],
            b"a\0\0\0\0\0\0\x07",
        );
        assert!(parse_header(&b, true).is_err());
        // without files the rest of the header is still readable
        assert!(parse_header(&b, false).is_ok());
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = parse_header(&bytes, true);
        }

        #[test]
        fn mutated_valid_header_never_panics(pos in 0usize..64, val in proptest::num::u8::ANY) {
            let mut b = minimal();
            let p = pos % b.len();
            b[p] = val;
            let _ = parse_header(&b, true);
        }
    }
}
