//! Executables: the claim of the detectors that read ELF binaries (Go build info,
//! cargo-auditable data) and opening a body to read its sections.
//!
//! The claim is one on purpose. The walker reads a claimed body once and hands it to every
//! detector whose claim it fits, so with the same size cap and magic a binary is read once
//! for all of them, and they never disagree about whether it was too large to read.

use object::{Object, ObjectSection};

use crate::detect::{Claim, EntryMeta, ParseError};

/// The first bytes of every ELF file.
pub(crate) const MAGIC: &[u8] = b"\x7fELF";
/// Go binaries of a few hundred MiB exist (kubelet-style monoliths); beyond this, skip.
pub(crate) const MAX_BINARY: u64 = 256 << 20;

/// The claim for a file that may be an executable: any file with an execute bit, read only
/// when it starts with the ELF magic.
pub(crate) fn claim_executable(meta: &EntryMeta) -> Option<Claim> {
    meta.is_executable()
        .then_some(Claim::with_magic(MAX_BINARY, MAGIC))
}

/// Parses the headers of an executable body.
pub(crate) fn open(body: &[u8]) -> Result<object::File<'_>, ParseError> {
    object::File::parse(body).map_err(|e| ParseError(format!("unreadable ELF: {e}")))
}

/// The bytes of the section called `name`; `Ok(None)` when the file has no such section.
pub(crate) fn section_data<'a>(
    file: &object::File<'a>,
    name: &str,
) -> Result<Option<&'a [u8]>, ParseError> {
    let Some(sec) = file.section_by_name(name) else {
        return Ok(None);
    };
    sec.data()
        .map(Some)
        .map_err(|e| ParseError(format!("unreadable {name} section: {e}")))
}
