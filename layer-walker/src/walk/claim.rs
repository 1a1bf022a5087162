//! Claim, read, parse: how a regular file meets the detectors, the same for a layer's tar
//! entry, a file of an unpacked root filesystem, and a file handed over by a caller. Every
//! detector is asked about the path; a body is read only when one claims it, at most as
//! large as the claims allow, and parsed by each claimant in turn.

use std::io::{self, Read};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use crate::detect::{Claim, Detector, EntryMeta};
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

/// Offers the regular file at `path` to `detectors`; `open` gives its body, called only if
/// some detector claims it.
pub(crate) fn offer<'r>(
    detectors: &[Arc<dyn Detector>],
    limits: &Limits,
    path: &str,
    meta: &EntryMeta,
    open: impl FnOnce() -> io::Result<Box<dyn Read + 'r>>,
) -> Result<Offer, LayerError> {
    let wanted: Vec<(&Arc<dyn Detector>, Claim)> = detectors
        .iter()
        .filter_map(|d| d.claim(path, meta).map(|c| (d, c)))
        .collect();
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
            let fits = size <= c.max_size.min(limits.max_claimed_file);
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
    body.reserve_exact(size.saturating_sub(body.len() as u64) as usize);
    entry
        .take(size - body.len() as u64)
        .read_to_end(&mut body)
        .map_err(LayerError::Read)?;
    if (body.len() as u64) < size {
        return Err(LayerError::Read(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("{path}: body shorter than its header says"),
        )));
    }
    for (d, _) in passing {
        results.push(parse_one(d, path, &body));
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
