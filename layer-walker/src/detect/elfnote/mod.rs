//! ELF package notes: the package a binary was built for, as its packager's linker wrote it
//! into the binary (the systemd convention, <https://systemd.io/ELF_PACKAGE_METADATA/>,
//! used by Fedora, Azure Linux and Debian's systemd, set with `ld --package-metadata`).
//!
//! The note is an ELF note of owner `FDO` and type `0xcafe1a7e` (in `.note.package`) whose
//! descriptor is a NUL-terminated JSON object: `type` (`rpm`, `deb`, ...), `name`, `version`,
//! `architecture`, `os`, `osVersion`, `osCpe`, `debugInfoUrl`. It matters where no package
//! database is left (distroless images, binaries copied out of a package): it is then the
//! only record of which package, at which version, a binary came from.
//!
//! One package is reported per distinct note, with every binary carrying it as its files;
//! one that a package database also lists is dropped when the inventory is assembled.

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::sync::Arc;

use object::read::elf::{FileHeader, ProgramHeader};
use object::{Object, ObjectSection};
use sbom_core::{Ecosystem, Package};

use super::common::elf;
use super::{Claim, CollectContext, Detector, EntryMeta, Findings, FsView, ParseError, Parsed};

const NAME: &str = "elf-note";
/// The note's owner and type, from the specification.
const OWNER: &[u8] = b"FDO";
const NOTE_TYPE: u32 = 0xcafe_1a7e;
/// How much of a file is read for its note: the headers and the notes linkers put right
/// after them fit in a few KiB; reading every shared library whole (libreoffice's is 100 MB)
/// took debian-large's peak RSS from 45 to 130 MB.
pub const NOTE_HEAD: u64 = 64 << 10;
/// A note is a few hundred bytes; a longer JSON payload is not a package note.
const MAX_JSON: usize = 64 << 10;

/// The [`sbom_core::FOUND_BY`] value of the packages this detector reports.
pub const FOUND_BY_ELF_NOTE: &str = sbom_core::FOUND_BY_ELF_PACKAGE_NOTE;

/// The ELF package note detector.
#[derive(Debug, Default)]
pub struct ElfNoteDetector;

/// The fields of a package note this inventory keeps (the JSON's names, camel case).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PackageNote {
    /// The package manager: `rpm`, `deb`, `apk`, `alpm`, or another word.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// Package name (Debian writes the source package's).
    #[serde(default)]
    pub name: String,
    /// Package version as the package manager writes it (`9.4-7.fc40`, `252.38-1~deb12u1`).
    #[serde(default)]
    pub version: String,
    /// Architecture (`x86_64`, `amd64`).
    #[serde(default)]
    pub architecture: Option<String>,
    /// Distribution name (`Debian`, `fedora`).
    #[serde(default)]
    pub os: Option<String>,
    /// Distribution version.
    #[serde(default)]
    pub os_version: Option<String>,
    /// The distribution's CPE (`cpe:/o:fedoraproject:fedora:40`).
    #[serde(default)]
    pub os_cpe: Option<String>,
    /// Where the binary's debug information is served.
    #[serde(default)]
    pub debug_info_url: Option<String>,
}

/// Parsed form: `None` for ELF files without a package note (most of them).
pub type NoteData = Option<PackageNote>;

impl Detector for ElfNoteDetector {
    super::common::codec::cache_codec!(0 => NoteData);

    fn name(&self) -> &'static str {
        NAME
    }

    fn claim_patterns(&self) -> Option<&'static [super::ClaimPattern]> {
        // executables, and shared libraries whatever their mode
        use super::ClaimPattern::*;
        Some(&[Executable, NameContains(".so")])
    }

    fn claim(&self, path: &str, meta: &EntryMeta) -> Option<Claim> {
        let name = path.rsplit('/').next().unwrap_or(path);
        // shared libraries carry the note too, and Debian installs them without an execute bit
        if name.contains(".so") || meta.is_executable() {
            return Some(Claim::head(NOTE_HEAD, elf::MAGIC));
        }
        None
    }

    fn parse(&self, _path: &str, body: &[u8]) -> Result<Parsed, ParseError> {
        Ok(Arc::new(read_note_in(
            body,
            (body.len() as u64) < NOTE_HEAD,
        )?))
    }

    fn collect(&self, view: &FsView, ctx: CollectContext, out: &mut Findings) {
        // one package per distinct note, in the order first seen, with all its binaries
        let mut seen: BTreeMap<(String, String, String, Option<String>), usize> = BTreeMap::new();
        for f in view.parsed(NAME) {
            let Some(Some(note)) = f.get::<NoteData>() else {
                continue;
            };
            if note.name.is_empty() || note.version.is_empty() {
                out.warn(
                    f.path,
                    Some(f.layer),
                    format!("{}: package note without a name or version", f.path),
                    false,
                );
                continue;
            }
            let key = (
                note.kind.clone(),
                note.name.clone(),
                note.version.clone(),
                note.architecture.clone(),
            );
            if let Some(&i) = seen.get(&key) {
                out.packages[i].files.push(f.path.to_string());
                continue;
            }
            let eco = ecosystem(&note.kind);
            let mut pkg = Package::new(eco, &note.name, &note.version);
            if eco.is_os() {
                // `1:2.10-3`: the epoch as the package databases' own records carry it
                pkg.epoch = note
                    .version
                    .split_once(':')
                    .and_then(|(e, _)| e.parse().ok());
            }
            pkg.arch = note.architecture.clone();
            // the purl namespace when the image names no distribution of its own
            pkg.namespace = note.os.as_ref().map(|o| o.to_ascii_lowercase());
            pkg.layer = Some(f.layer);
            pkg.database_path = f.path.to_string();
            pkg.files.push(f.path.to_string());
            pkg.properties
                .insert(sbom_core::FOUND_BY.into(), FOUND_BY_ELF_NOTE.into());
            pkg.properties
                .insert("elf-note:type".into(), note.kind.clone());
            if ctx.full_detail {
                for (k, v) in [
                    ("elf-note:os", &note.os),
                    ("elf-note:os-version", &note.os_version),
                    ("elf-note:os-cpe", &note.os_cpe),
                    ("elf-note:debug-info-url", &note.debug_info_url),
                ] {
                    if let Some(v) = v {
                        pkg.properties.insert(k.into(), v.clone());
                    }
                }
            }
            seen.insert(key, out.packages.len());
            out.packages.push(pkg);
        }
    }
}

/// The package manager a note's `type` names; anything else is a generic package.
fn ecosystem(kind: &str) -> Ecosystem {
    match kind {
        "rpm" => Ecosystem::Rpm,
        "deb" => Ecosystem::Deb,
        "apk" => Ecosystem::Apk,
        "alpm" | "pacman" => Ecosystem::Alpm,
        _ => Ecosystem::Generic,
    }
}

/// The package note of a whole ELF file, if it has one.
pub fn read_note(body: &[u8]) -> Result<NoteData, ParseError> {
    read_note_in(body, true)
}

/// The package note of an ELF file from `body`, which is the whole file when `complete`,
/// else its first [`NOTE_HEAD`] bytes.
///
/// The note is looked for where the loader sees it first, in the `PT_NOTE` segments the
/// program headers list (linkers put `.note.package` there, near the front of the file, so
/// the first bytes hold it), then, for a whole file, in every note section: a stripper may
/// rename or merge note sections. In a file's first bytes, what lies past them is not an error.
pub fn read_note_in(body: &[u8], complete: bool) -> Result<NoteData, ParseError> {
    let big_endian = body.get(5) == Some(&2);
    let desc = match body.get(4) {
        Some(2) => segment_note::<object::elf::FileHeader64<object::Endianness>>(
            body, big_endian, complete,
        )?,
        _ => segment_note::<object::elf::FileHeader32<object::Endianness>>(
            body, big_endian, complete,
        )?,
    };
    let desc = match desc {
        Some(d) => Some(d),
        None if complete => section_note(body, big_endian)?,
        None => None,
    };
    let Some(json) = desc else {
        return Ok(None);
    };
    let end = json.iter().position(|&b| b == 0).unwrap_or(json.len());
    let note: PackageNote = serde_json::from_slice(&json[..end])
        .map_err(|e| ParseError(format!("invalid package note JSON: {e}")))?;
    Ok(Some(note))
}

/// The note descriptor in the `PT_NOTE` segments, reading only the file header, the program
/// headers and the segments they point to.
fn segment_note<Elf: FileHeader<Endian = object::Endianness>>(
    body: &[u8],
    big_endian: bool,
    complete: bool,
) -> Result<Option<&[u8]>, ParseError> {
    let unreadable = |e: &dyn std::fmt::Display| ParseError(format!("unreadable ELF: {e}"));
    let header = Elf::parse(body).map_err(|e| unreadable(&e))?;
    let endian = header.endian().map_err(|e| unreadable(&e))?;
    let phdrs = match header.program_headers(endian, body) {
        Ok(p) => p,
        Err(e) if complete => return Err(unreadable(&e)),
        Err(_) => return Ok(None),
    };
    for ph in phdrs {
        if ph.p_type(endian) != object::elf::PT_NOTE {
            continue;
        }
        match ph.data(endian, body) {
            Ok(data) => {
                if let Some(desc) = find_note(data, big_endian)? {
                    return Ok(Some(desc));
                }
            }
            Err(()) if complete => return Err("a note segment past the end of the file".into()),
            Err(()) => {}
        }
    }
    Ok(None)
}

/// The note descriptor in any note section (a whole file only: section headers sit at its end).
fn section_note(body: &[u8], big_endian: bool) -> Result<Option<&[u8]>, ParseError> {
    let file = elf::open(body)?;
    let mut sections: Vec<_> = file
        .sections()
        .filter(|s| s.kind() == object::SectionKind::Note)
        .collect();
    sections.sort_by_key(|s| s.name().ok() != Some(".note.package"));
    for sec in sections {
        let data = sec
            .data()
            .map_err(|e| ParseError(format!("unreadable note section: {e}")))?;
        if let Some(desc) = find_note(data, big_endian)? {
            return Ok(Some(desc));
        }
    }
    Ok(None)
}

/// The descriptor of the `FDO` package note among the notes in `data`: each a header of
/// three 4-byte words (name size, descriptor size, type) in the file's byte order, then the
/// name and the descriptor, each padded to 4 bytes.
fn find_note(mut data: &[u8], big_endian: bool) -> Result<Option<&[u8]>, ParseError> {
    let word = |b: &[u8]| {
        let w = [b[0], b[1], b[2], b[3]];
        if big_endian {
            u32::from_be_bytes(w)
        } else {
            u32::from_le_bytes(w)
        }
    };
    let pad = |n: usize| n.checked_add(3).map(|n| n & !3);
    while data.len() >= 12 {
        let namesz = word(&data[0..4]) as usize;
        let descsz = word(&data[4..8]) as usize;
        let kind = word(&data[8..12]);
        let name_end = pad(namesz)
            .and_then(|n| n.checked_add(12))
            .ok_or("truncated ELF note")?;
        let desc_end = pad(descsz)
            .and_then(|n| n.checked_add(name_end))
            .ok_or("truncated ELF note")?;
        let name = data.get(12..12 + namesz).ok_or("truncated ELF note")?;
        let desc = data
            .get(name_end..name_end.saturating_add(descsz))
            .ok_or("truncated ELF note")?;
        let name = name.strip_suffix(b"\0").unwrap_or(name);
        if name == OWNER && kind == NOTE_TYPE {
            if descsz > MAX_JSON {
                return Err("package note larger than any real one".into());
            }
            return Ok(Some(desc));
        }
        data = data.get(desc_end..).unwrap_or(&[]);
    }
    Ok(None)
}
