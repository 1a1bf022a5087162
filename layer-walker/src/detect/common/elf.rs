//! Executables: the claim of the detectors that read compiled binaries (Go build info,
//! cargo-auditable data) and opening a body to read its sections. ELF is what Linux images
//! run; PE (Windows images, `.exe` tools vendored for several platforms) and Mach-O (macOS
//! builds shipped in npm/pip packages) carry the same Go and Rust metadata in sections of
//! their own, so they are read through the same `object` parser.
//!
//! The claim is one on purpose. The walker reads a claimed body once and hands it to every
//! detector whose claim it fits, so with the same size cap and magic a binary is read once
//! for all of them, and they never disagree about whether it was too large to read.

use object::{Object, ObjectSection};

use crate::detect::{Claim, EntryMeta, ParseError};

/// The first bytes of every ELF file.
pub(crate) const MAGIC: &[u8] = b"\x7fELF";
/// ELF, PE (the DOS stub's `MZ`), and Mach-O: 32/64-bit in both byte orders, and the
/// universal (fat) container, whose magic Java class files share (see [`images`]).
pub(crate) const EXECUTABLE_MAGICS: &[&[u8]] = &[
    MAGIC,
    b"MZ",
    b"\xfe\xed\xfa\xce",
    b"\xce\xfa\xed\xfe",
    b"\xfe\xed\xfa\xcf",
    b"\xcf\xfa\xed\xfe",
    FAT_MAGIC,
    FAT_MAGIC_64,
];
const FAT_MAGIC: &[u8] = b"\xca\xfe\xba\xbe";
const FAT_MAGIC_64: &[u8] = b"\xca\xfe\xba\xbf";
/// More architectures than any universal binary holds: a Java class file has its version
/// (≥ 45) here, so this tells the two apart as `file(1)` does.
const MAX_FAT_ARCHES: u32 = 20;
/// Go binaries of a few hundred MiB exist (kubelet-style monoliths); beyond this, skip.
pub(crate) const MAX_BINARY: u64 = 256 << 20;

/// The claim for a file that may be an executable: any file with an execute bit, read only
/// when it starts with the ELF magic.
pub(crate) fn claim_executable(meta: &EntryMeta) -> Option<Claim> {
    meta.is_executable()
        .then_some(Claim::with_magic(MAX_BINARY, MAGIC))
}

/// The claim for a compiled executable or library of any format: an execute bit, or a
/// Windows file name (Windows layers and vendored `.exe` files often carry no Unix mode).
/// The [`claim_compiled`] files as claim patterns: executables, and Windows binaries by name.
pub(crate) const COMPILED_PATTERNS: &[crate::detect::ClaimPattern] = &[
    crate::detect::ClaimPattern::Executable,
    crate::detect::ClaimPattern::Suffix(".exe"),
    crate::detect::ClaimPattern::Suffix(".dll"),
];

pub(crate) fn claim_compiled(path: &str, meta: &EntryMeta) -> Option<Claim> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let lower = name.to_ascii_lowercase();
    let windows = lower.ends_with(".exe") || lower.ends_with(".dll");
    (meta.is_executable() || windows)
        .then_some(Claim::with_any_magic(MAX_BINARY, EXECUTABLE_MAGICS))
}

/// The single-architecture images in a body: the body itself, or each slice of a Mach-O
/// universal binary. Empty for a `0xcafebabe` file that is no universal binary (a Java
/// class file with an execute bit), which is nothing to report rather than an error.
pub(crate) fn images(body: &[u8]) -> Result<Vec<&[u8]>, ParseError> {
    let fat64 = body.starts_with(FAT_MAGIC_64);
    if !body.starts_with(FAT_MAGIC) && !fat64 {
        return Ok(vec![body]);
    }
    let count = body
        .get(4..8)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        .unwrap_or(0);
    if count == 0 || count > MAX_FAT_ARCHES {
        return Ok(Vec::new());
    }
    use object::read::macho::{FatArch, MachOFatFile32, MachOFatFile64};
    fn slices<'a, A: FatArch>(arches: &[A], body: &'a [u8]) -> Result<Vec<&'a [u8]>, ParseError> {
        arches
            .iter()
            .map(|a| {
                a.data(body)
                    .map_err(|e| ParseError(format!("unreadable universal binary slice: {e}")))
            })
            .collect()
    }
    let bad = |e: object::Error| ParseError(format!("unreadable universal binary: {e}"));
    if fat64 {
        slices(MachOFatFile64::parse(body).map_err(bad)?.arches(), body)
    } else {
        slices(MachOFatFile32::parse(body).map_err(bad)?.arches(), body)
    }
}

/// Parses the headers of a single-architecture executable body (see [`images`]).
pub(crate) fn open(body: &[u8]) -> Result<object::File<'_>, ParseError> {
    object::File::parse(body).map_err(|e| ParseError(format!("unreadable {}: {e}", kind(body))))
}

/// The format a body's magic names, for messages.
fn kind(body: &[u8]) -> &'static str {
    if body.starts_with(MAGIC) {
        "ELF"
    } else if body.starts_with(b"MZ") {
        "PE"
    } else {
        "Mach-O"
    }
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
