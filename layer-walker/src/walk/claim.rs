//! Claim, read, parse: how a regular file meets the detectors, the same for a layer's tar
//! entry, a file of an unpacked root filesystem, and a file handed over by a caller. The
//! detectors whose claim patterns the path fits are asked about it ([`ClaimIndex`]); a body
//! is read only when one claims it, at most as
//! large as the claims allow, and parsed by each claimant in turn.

use std::io::{self, Read};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use crate::detect::{Claim, ClaimPattern, Detector, EntryMeta};
use crate::walk::layer::{ClaimResult, LayerError};
use crate::Limits;

/// What came of offering a file to the detectors.
pub(crate) enum Offer {
    /// No detector wants it: the body was not read.
    Unclaimed,
    /// Claimed, but no claim's magic bytes matched: the path holds something else now.
    Rejected,
    /// Read and parsed (or the reasons it could not be).
    Parsed(Arc<[ClaimResult]>),
}

/// Every detector's [`ClaimPattern`]s in one table, so a file meets all detectors with one
/// test and only the detectors whose pattern fits it are asked to [`Detector::claim`] it.
///
/// Asking each of the ~15 detectors about every file was ~12 % of a scan's instructions on a
/// layer of a million small files (benches/RESULTS.md, issue 21): most of them split the
/// path or compare suffixes for nothing. Here a file costs one search for its last `/` and
/// a look-up of its name's first and last byte in tables that are empty for nearly all of
/// them. Detectors that declare no patterns are asked about every file, as before.
pub(crate) struct ClaimIndex<'d> {
    detectors: &'d [Arc<dyn Detector>],
    /// Detectors asked about every file (no patterns, or past the mask's 64 bits).
    always: u64,
    executable: u64,
    /// Names and suffixes by the lowercased last byte of the name.
    by_last: Box<[Vec<Ending>; 256]>,
    /// Prefixes by the lowercased first byte of the name.
    by_first: Box<[Vec<Prefix>; 256]>,
    /// Directories whose every file is a candidate.
    dirs: Vec<(&'static str, u64)>,
    /// Substrings of the path, and of the name, that make a file a candidate.
    in_path: Vec<(memchr::memmem::Finder<'static>, u64)>,
    in_name: Vec<(memchr::memmem::Finder<'static>, u64)>,
    /// Detectors beyond the mask's bits (more than 64 in all), asked about every file.
    rest: usize,
}

/// A name or suffix in [`ClaimIndex`]: its lowercased bytes, whether it is the whole name,
/// and the detectors (bits) it is for.
type Ending = (Box<[u8]>, bool, u64);

/// A prefix in [`ClaimIndex`]: its lowercased bytes and the detectors (bits) it is for.
type Prefix = (Box<[u8]>, u64);

/// Detectors indexed by bit; any after these are asked about every file.
const MASK_BITS: usize = 64;

impl<'d> ClaimIndex<'d> {
    /// The table for `detectors` (cheap: a few dozen patterns; built once per layer walk).
    pub(crate) fn new(detectors: &'d [Arc<dyn Detector>]) -> Self {
        let mut index = ClaimIndex {
            detectors,
            always: 0,
            executable: 0,
            by_last: Box::new(std::array::from_fn(|_| Vec::new())),
            by_first: Box::new(std::array::from_fn(|_| Vec::new())),
            dirs: Vec::new(),
            in_path: Vec::new(),
            in_name: Vec::new(),
            rest: detectors.len().saturating_sub(MASK_BITS),
        };
        for (i, d) in detectors.iter().enumerate().take(MASK_BITS) {
            let bit = 1u64 << i;
            let Some(patterns) = d.claim_patterns() else {
                index.always |= bit;
                continue;
            };
            for p in patterns {
                let (bytes, whole) = match *p {
                    ClaimPattern::Executable => {
                        index.executable |= bit;
                        continue;
                    }
                    ClaimPattern::Dir(dir) => {
                        index.dirs.push((dir.trim_end_matches('/'), bit));
                        continue;
                    }
                    ClaimPattern::PathContains(needle) => {
                        index
                            .in_path
                            .push((memchr::memmem::Finder::new(needle.as_bytes()), bit));
                        continue;
                    }
                    ClaimPattern::NameContains(needle) => {
                        index
                            .in_name
                            .push((memchr::memmem::Finder::new(needle.as_bytes()), bit));
                        continue;
                    }
                    ClaimPattern::Prefix(pre) => {
                        match pre.as_bytes().first() {
                            Some(b) => index.by_first[usize::from(b.to_ascii_lowercase())]
                                .push((pre.as_bytes().to_ascii_lowercase().into(), bit)),
                            None => index.always |= bit,
                        }
                        continue;
                    }
                    ClaimPattern::Path(path) => (file_name(path), true),
                    ClaimPattern::Name(name) => (file_name(name), true),
                    ClaimPattern::Suffix(suffix) => (suffix, false),
                };
                match bytes.as_bytes().last() {
                    Some(b) => index.by_last[usize::from(b.to_ascii_lowercase())].push((
                        bytes.as_bytes().to_ascii_lowercase().into(),
                        whole,
                        bit,
                    )),
                    // an empty name or suffix fits every file
                    None => index.always |= bit,
                }
            }
        }
        index
    }

    /// The detectors whose patterns `path` fits, as bits.
    fn candidates(&self, path: &str, meta: &EntryMeta) -> u64 {
        let mut who = self.always;
        if meta.is_executable() {
            who |= self.executable;
        }
        let bytes = path.as_bytes();
        let (dir, name) = match bytes.iter().rposition(|&b| b == b'/') {
            Some(i) => (&bytes[..i], &bytes[i + 1..]),
            None => (&bytes[..0], bytes),
        };
        let (Some(first), Some(last)) = (name.first(), name.last()) else {
            return who;
        };
        for (s, whole, bit) in &self.by_last[usize::from(last.to_ascii_lowercase())] {
            if (name.len() == s.len() || (!whole && name.len() > s.len()))
                && name[name.len() - s.len()..].eq_ignore_ascii_case(s)
            {
                who |= bit;
            }
        }
        for (p, bit) in &self.by_first[usize::from(first.to_ascii_lowercase())] {
            if name.len() >= p.len() && name[..p.len()].eq_ignore_ascii_case(p) {
                who |= bit;
            }
        }
        for (d, bit) in &self.dirs {
            if dir == d.as_bytes() {
                who |= bit;
            }
        }
        for (f, bit) in &self.in_path {
            if who & bit == 0 && f.find(bytes).is_some() {
                who |= bit;
            }
        }
        for (f, bit) in &self.in_name {
            if who & bit == 0 && f.find(name).is_some() {
                who |= bit;
            }
        }
        who
    }

    /// What each detector claiming the file at `path` asks for, in the detectors' order.
    pub(crate) fn claims(
        &self,
        path: &str,
        meta: &EntryMeta,
    ) -> Vec<(&'d Arc<dyn Detector>, Claim)> {
        let who = self.candidates(path, meta);
        #[cfg(debug_assertions)]
        self.check(path, meta, who);
        if who == 0 && self.rest == 0 {
            return Vec::new();
        }
        self.detectors
            .iter()
            .enumerate()
            .filter(|(i, _)| *i >= MASK_BITS || who & (1 << i) != 0)
            .filter_map(|(_, d)| d.claim(path, meta).map(|c| (d, c)))
            .collect()
    }

    /// Whether any detector claims the file at `path`.
    pub(crate) fn any(&self, path: &str, meta: &EntryMeta) -> bool {
        !self.claims(path, meta).is_empty()
    }

    /// Debug builds: a detector whose `claim` accepts what its patterns exclude would lose
    /// files silently in release builds; every file a test walks is checked.
    #[cfg(debug_assertions)]
    fn check(&self, path: &str, meta: &EntryMeta, who: u64) {
        for (i, d) in self.detectors.iter().enumerate().take(MASK_BITS) {
            if who & (1 << i) == 0 && d.claim(path, meta).is_some() {
                panic!(
                    "the {} detector claims {path} (mode {:o}), which its claim_patterns() exclude: add a pattern for it",
                    d.name(),
                    meta.mode
                );
            }
        }
    }
}

/// The last component of a path pattern.
fn file_name(path: &'static str) -> &'static str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Offers the regular file at `path` to the detectors of `index`; `open` gives its body,
/// called only if some detector claims it.
pub(crate) fn offer<'r>(
    index: &ClaimIndex<'_>,
    limits: &Limits,
    path: &str,
    meta: &EntryMeta,
    open: impl FnOnce() -> io::Result<Box<dyn Read + 'r>>,
) -> Result<Offer, LayerError> {
    let wanted = index.claims(path, meta);
    if wanted.is_empty() {
        return Ok(Offer::Unclaimed);
    }
    if wanted.iter().all(|(_, c)| !c.read_body) {
        // nothing to read: the body is not even opened
        let claims: Vec<ClaimResult> = wanted
            .iter()
            .map(|(d, _)| parse_one(d, path, &[]))
            .collect();
        return Ok(Offer::Parsed(claims.into()));
    }
    let mut body = open().map_err(LayerError::Read)?;
    Ok(
        match read_claimed(limits, path, &mut body, meta.size, wanted)? {
            Some(claims) => Offer::Parsed(claims),
            None => Offer::Rejected,
        },
    )
}

/// Reads a claimed body (if it fits the claims) and parses it with each claimant.
/// `None` when every claim's magic bytes failed: the path holds something else now.
fn read_claimed(
    limits: &Limits,
    path: &str,
    entry: &mut dyn Read,
    size: u64,
    wanted: Vec<(&Arc<dyn Detector>, Claim)>,
) -> Result<Option<Arc<[ClaimResult]>>, LayerError> {
    let mut results: Vec<ClaimResult> = Vec::with_capacity(wanted.len());
    for (d, _) in wanted.iter().filter(|(_, c)| !c.read_body) {
        results.push(parse_one(d, path, &[]));
    }
    let fitting: Vec<&(&Arc<dyn Detector>, Claim)> = wanted
        .iter()
        .filter(|(_, c)| c.read_body)
        .filter(|(d, c)| {
            // a head claim reads its few bytes of a file of any size
            let fits = c.head.is_some() || size <= c.max_size.min(limits.max_claimed_file);
            if !fits && c.magic.is_none() {
                results.push(ClaimResult {
                    detector: d.name(),
                    parsed: Err(format!(
                        "{path} is {size} bytes, more than the {} bytes the {} detector reads; not analysed",
                        c.max_size.min(limits.max_claimed_file),
                        d.name()
                    )
                    .into()),
                });
            }
            fits
        })
        .collect();
    if fitting.is_empty() {
        return Ok(if results.is_empty() {
            None
        } else {
            Some(results.into())
        });
    }
    // magic first, so a claim on "every executable" reads only ELF files in full
    let magic_len = fitting
        .iter()
        .filter_map(|(_, c)| c.magic.map(|m| m.len()))
        .max()
        .unwrap_or(0);
    let mut body = Vec::new();
    if magic_len > 0 {
        let mut head = entry.take(magic_len as u64);
        head.read_to_end(&mut body).map_err(LayerError::Read)?;
    }
    let passing: Vec<&&(&Arc<dyn Detector>, Claim)> = fitting
        .iter()
        .filter(|(_, c)| c.magic.map(|m| m.matches(&body)).unwrap_or(true))
        .collect();
    if passing.is_empty() {
        return Ok(if results.is_empty() {
            None
        } else {
            Some(results.into())
        });
    }
    // only as far as the claims need: the whole body, or the longest head when every
    // passing claim wants just the front of the file
    let want = match passing
        .iter()
        .map(|(_, c)| c.head)
        .collect::<Option<Vec<u64>>>()
    {
        Some(heads) => heads.into_iter().max().unwrap_or(0).min(size),
        None => size,
    };
    body.reserve_exact(want.saturating_sub(body.len() as u64) as usize);
    entry
        .take(want.saturating_sub(body.len() as u64))
        .read_to_end(&mut body)
        .map_err(LayerError::Read)?;
    if (body.len() as u64) < want {
        return Err(LayerError::Read(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("{path}: body shorter than its header says"),
        )));
    }
    body.truncate(want as usize);
    for (d, c) in passing {
        let part = match c.head {
            Some(h) => &body[..body.len().min(h as usize)],
            None => &body[..],
        };
        results.push(parse_one(d, path, part));
    }
    Ok(Some(results.into()))
}

/// `d`'s parse of `body`, a panic in it turned into an error naming the file.
fn parse_one(d: &Arc<dyn Detector>, path: &str, body: &[u8]) -> ClaimResult {
    let parsed = match catch_unwind(AssertUnwindSafe(|| d.parse(path, body))) {
        Ok(Ok(p)) => Ok(p),
        Ok(Err(e)) => Err(Arc::<str>::from(format!("{path}: {e}"))),
        Err(_) => Err(Arc::<str>::from(format!(
            "{path}: the {} parser failed on this file",
            d.name()
        ))),
    };
    ClaimResult {
        detector: d.name(),
        parsed,
    }
}
