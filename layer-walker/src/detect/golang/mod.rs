//! Go modules compiled into executables: the build information the Go linker embeds in
//! every module-aware binary (section `.go.buildinfo`), decoded by hand from the format's
//! facts because no crate reads it:
//!
//! * a 32-byte header: the 14-byte magic `\xff Go buildinf:`, the pointer size, a flag byte;
//! * Go ≥ 1.18 (flag bit `0x2`): the Go version and the module info follow the header as
//!   two uvarint-length-prefixed strings;
//! * older Go: two pointers after the magic point to Go string headers (data pointer,
//!   length), resolved through the ELF program headers; flag bit `0x1` means big-endian.
//!
//! The module info is the text `go version -m` prints, wrapped in 16-byte sentinels.
//!
//! The header is found the way Go's `debug/buildinfo` finds it: the ELF `.go.buildinfo` or
//! Mach-O `__go_buildinfo` section, else the magic at a 16-byte boundary in a data section
//! (PE, which has no section of its own for it, and renamed sections).

use std::sync::Arc;

use object::{Object, ObjectSection, ObjectSegment};
use sbom_core::{Ecosystem, Package};

use super::common::elf;
use super::{Claim, CollectContext, Detector, EntryMeta, Findings, FsView, ParseError, Parsed};

#[cfg(test)]
mod tests;

const NAME: &str = "golang";
const MAGIC: &[u8] = b"\xff Go buildinf:";
/// No real version or module-info string is this long; a larger length is corruption.
const MAX_STRING: u64 = 16 << 20;
/// The name the Go vulnerability database, Syft and Trivy give the standard library.
pub const STDLIB: &str = "stdlib";

/// The Go binary detector.
#[derive(Debug, Default)]
pub struct GoDetector;

/// One module as the build info records it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GoModule {
    /// Module path, after any `=>` replacement.
    pub path: String,
    /// Version as the metadata writes it.
    pub version: String,
    /// `h1:` checksum, when recorded.
    pub sum: Option<String>,
    /// The module as required (`path@version`) when a replace directive swapped it.
    pub replaces: Option<String>,
    /// A local directory (`=> ../fork`) the module was replaced by.
    pub local_replacement: Option<String>,
}

/// The decoded build information of one binary.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GoBuildInfo {
    /// Toolchain, e.g. `go1.22.0`.
    pub go_version: String,
    /// The `path` line: the main package's import path.
    pub path: Option<String>,
    /// The `mod` line: the module the main package belongs to.
    pub main: Option<GoModule>,
    /// The `dep` lines, replacements applied.
    pub deps: Vec<GoModule>,
    /// `build` lines as `key=value`.
    pub settings: Vec<String>,
}

/// Parsed form: `None` for ELF files that are not Go binaries, which is the common case and not
/// an error. A binary built without module support (GOPATH mode, Go < 1.18 file builds) has
/// only its toolchain version.
pub type GoBinary = Option<GoBuildInfo>;

impl Detector for GoDetector {
    super::common::codec::cache_codec!(0 => GoBinary);

    fn name(&self) -> &'static str {
        NAME
    }

    fn claim_patterns(&self) -> Option<&'static [super::ClaimPattern]> {
        Some(elf::COMPILED_PATTERNS)
    }

    fn claim(&self, path: &str, meta: &EntryMeta) -> Option<Claim> {
        elf::claim_compiled(path, meta)
    }

    fn parse(&self, _path: &str, body: &[u8]) -> Result<Parsed, ParseError> {
        let info: GoBinary = read_buildinfo(body)?;
        Ok(Arc::new(info))
    }

    fn collect(&self, view: &FsView, ctx: CollectContext, out: &mut Findings) {
        for f in view.parsed(NAME) {
            let Some(Some(info)) = f.get::<GoBinary>() else {
                continue;
            };
            let mut push = |m: &GoModule, main: bool| {
                let version = if m.version.is_empty() {
                    "(devel)"
                } else {
                    m.version.as_str()
                };
                let mut pkg = Package::new(Ecosystem::Go, &m.path, version);
                pkg.database_path = f.path.to_string();
                pkg.layer = Some(f.layer);
                if !info.go_version.is_empty() {
                    pkg.properties
                        .insert("go:toolchain".into(), info.go_version.clone());
                }
                if let Some(r) = &m.local_replacement {
                    pkg.properties.insert("go:replaced-by".into(), r.clone());
                }
                if let Some(r) = &m.replaces {
                    pkg.properties.insert("go:replaces".into(), r.clone());
                }
                if ctx.full_detail {
                    if let Some(s) = &m.sum {
                        pkg.properties.insert("go:sum".into(), s.clone());
                    }
                    if main {
                        pkg.properties
                            .insert("go:main-module".into(), "true".into());
                        for s in &info.settings {
                            if let Some((k, v)) = s.split_once('=') {
                                pkg.properties.insert(format!("go:build:{k}"), v.into());
                            }
                        }
                    }
                }
                out.packages.push(pkg);
            };
            // The main module is reported even as `(devel)` (what `go build` in a checkout
            // records): it is the program itself and the SBOM should name it; scanners skip
            // the non-semver version rather than matching it wrongly.
            if let Some(m) = &info.main {
                push(m, true);
            }
            for d in &info.deps {
                push(d, false);
            }
            // Every Go binary carries the standard library it was linked with, and Go's own
            // CVEs are filed against it (the Go vulnerability database's `stdlib` module):
            // reported for file builds and GOPATH builds too, which have no module at all.
            if let Some(v) = stdlib_version(&info.go_version) {
                let mut pkg = Package::new(Ecosystem::Go, STDLIB, &v);
                pkg.database_path = f.path.to_string();
                pkg.layer = Some(f.layer);
                pkg.properties
                    .insert("go:toolchain".into(), info.go_version.clone());
                out.packages.push(pkg);
            }
        }
    }
}

/// Finds and decodes the build info of an ELF, PE or Mach-O body (of the first slice that has
/// one, in a universal binary: Go builds each slice from the same module graph). `Ok(None)`
/// when the file has none.
pub fn read_buildinfo(body: &[u8]) -> Result<GoBinary, ParseError> {
    for image in elf::images(body)? {
        if let Some(info) = read_image(image)? {
            return Ok(Some(info));
        }
    }
    Ok(None)
}

fn read_image(body: &[u8]) -> Result<GoBinary, ParseError> {
    let file = elf::open(body)?;
    let Some(start) = find_header(&file, body) else {
        return Ok(None);
    };
    let data = &body[start..];
    if data.len() < 32 {
        return Err("truncated Go build info header".into());
    }
    let ptr_size = data[14] as usize;
    let flags = data[15];
    let (version, modinfo) = if flags & 0x2 != 0 {
        let mut pos = 32;
        let v = read_varint_str(data, &mut pos)?;
        let m = read_varint_str(data, &mut pos)?;
        (v.to_vec(), m.to_vec())
    } else {
        if ptr_size != 4 && ptr_size != 8 {
            return Err(format!("bad Go build info pointer size {ptr_size}").into());
        }
        let big = flags & 0x1 != 0;
        let v_ptr = read_uint(data, 16, ptr_size, big).ok_or("truncated Go build info")?;
        let m_ptr =
            read_uint(data, 16 + ptr_size, ptr_size, big).ok_or("truncated Go build info")?;
        let v = read_go_string(&file, body, v_ptr, ptr_size, big)?;
        let m = read_go_string(&file, body, m_ptr, ptr_size, big)?;
        (v, m)
    };
    let version = String::from_utf8_lossy(&version).into_owned();
    let mut info = parse_modinfo(&String::from_utf8_lossy(strip_sentinels(&modinfo)));
    info.go_version = version;
    if info.go_version.is_empty()
        && info.main.is_none()
        && info.deps.is_empty()
        && info.path.is_none()
    {
        return Ok(None);
    }
    Ok(Some(info))
}

/// The standard library's version from the toolchain string the linker records, in the
/// `v`-prefixed form of the binary's module versions (as Trivy writes it; Syft drops the `v`,
/// and scanners accept both): `go1.22.0` → `v1.22.0`. Dropped: a custom build suffix after a
/// space (`go1.21.5 X:boringcrypto`, vendor notes) and the `-X:` experiment list of newer
/// toolchains. `None` for development toolchains (`devel go1.23-abc…`), which are no release
/// and would match release advisories wrongly.
pub fn stdlib_version(toolchain: &str) -> Option<String> {
    let v = toolchain.strip_prefix("go")?;
    let v = v.split(' ').next().unwrap_or("");
    let v = v.split("-X:").next().unwrap_or("");
    let release = v.split(['.', 'r', 'b']).next().unwrap_or("");
    (!release.is_empty() && release.bytes().all(|b| b.is_ascii_digit()) && v.contains('.'))
        .then(|| format!("v{v}"))
}

/// The file offset of the build info header: the `.go.buildinfo` (ELF) or `__go_buildinfo`
/// (Mach-O) section when present, else a 16-byte aligned magic in a data section (PE, and
/// linkers/strippers that rename sections).
fn find_header(file: &object::File<'_>, body: &[u8]) -> Option<usize> {
    let named = file
        .section_by_name(".go.buildinfo")
        .or_else(|| file.section_by_name("__go_buildinfo"));
    if let Some(sec) = named {
        if let Some((off, _)) = sec.file_range() {
            let off = usize::try_from(off).ok()?;
            if body.get(off..)?.starts_with(MAGIC) {
                return Some(off);
            }
        }
    }
    for sec in file.sections() {
        if sec.kind() != object::SectionKind::Data
            && sec.kind() != object::SectionKind::ReadOnlyData
        {
            continue;
        }
        let Some((off, size)) = sec.file_range() else {
            continue;
        };
        let (Ok(off), Ok(size)) = (usize::try_from(off), usize::try_from(size)) else {
            continue;
        };
        let Some(data) = body.get(off..off.saturating_add(size)) else {
            continue;
        };
        let mut i = 0;
        while i + MAGIC.len() <= data.len() {
            if data[i..].starts_with(MAGIC) {
                return Some(off + i);
            }
            i += 16;
        }
    }
    None
}

fn read_uint(data: &[u8], at: usize, size: usize, big: bool) -> Option<u64> {
    let b = data.get(at..at.checked_add(size)?)?;
    let mut v: u64 = 0;
    if big {
        for &x in b {
            v = (v << 8) | u64::from(x);
        }
    } else {
        for &x in b.iter().rev() {
            v = (v << 8) | u64::from(x);
        }
    }
    Some(v)
}

/// An unsigned LEB128 length followed by that many bytes.
fn read_varint_str<'a>(data: &'a [u8], pos: &mut usize) -> Result<&'a [u8], ParseError> {
    let mut len: u64 = 0;
    let mut shift = 0;
    loop {
        let b = *data.get(*pos).ok_or("truncated Go build info")?;
        *pos += 1;
        if shift > 63 {
            return Err("bad varint in Go build info".into());
        }
        len |= u64::from(b & 0x7f) << shift;
        shift += 7;
        if b & 0x80 == 0 {
            break;
        }
    }
    if len > MAX_STRING {
        return Err("implausible string length in Go build info".into());
    }
    let end = pos
        .checked_add(len as usize)
        .ok_or("truncated Go build info")?;
    let s = data.get(*pos..end).ok_or("truncated Go build info")?;
    *pos = end;
    Ok(s)
}

/// Bytes at virtual address `addr`, through the loadable segments' file ranges.
fn at_address<'a>(
    file: &object::File<'_>,
    body: &'a [u8],
    addr: u64,
    len: u64,
) -> Option<&'a [u8]> {
    for seg in file.segments() {
        let start = seg.address();
        let (off, fsize) = seg.file_range();
        if addr >= start && addr.checked_add(len)? <= start.checked_add(fsize)? {
            let from = usize::try_from(off.checked_add(addr - start)?).ok()?;
            let to = from.checked_add(usize::try_from(len).ok()?)?;
            return body.get(from..to);
        }
    }
    None
}

/// A Go string header (data pointer, length) at `addr`, and the bytes it points to.
fn read_go_string(
    file: &object::File<'_>,
    body: &[u8],
    addr: u64,
    ptr_size: usize,
    big: bool,
) -> Result<Vec<u8>, ParseError> {
    let hdr = at_address(file, body, addr, 2 * ptr_size as u64)
        .ok_or("Go build info string header outside the file")?;
    let data_ptr = read_uint(hdr, 0, ptr_size, big).ok_or("truncated Go string header")?;
    let len = read_uint(hdr, ptr_size, ptr_size, big).ok_or("truncated Go string header")?;
    if len > MAX_STRING {
        return Err("implausible string length in Go build info".into());
    }
    if len == 0 {
        return Ok(Vec::new());
    }
    at_address(file, body, data_ptr, len)
        .map(<[u8]>::to_vec)
        .ok_or_else(|| "Go build info string outside the file".into())
}

/// Module info is framed by two 16-byte sentinels; the byte before the closing one is `\n`.
fn strip_sentinels(m: &[u8]) -> &[u8] {
    if m.len() >= 33 && m[m.len() - 17] == b'\n' {
        &m[16..m.len() - 16]
    } else {
        m
    }
}

/// Parses the module-info text: tab-separated `path`, `mod`, `dep`, `=>` and `build` lines.
pub fn parse_modinfo(text: &str) -> GoBuildInfo {
    let mut info = GoBuildInfo::default();
    // which module a `=>` line replaces: the last `mod` or `dep` line
    enum Last {
        None,
        Main,
        Dep,
    }
    let mut last = Last::None;
    for line in text.lines() {
        let mut cols = line.split('\t');
        let kind = cols.next().unwrap_or("");
        let a = cols.next().unwrap_or("").to_string();
        let b = cols.next().unwrap_or("").to_string();
        let sum = cols.next().filter(|s| !s.is_empty()).map(str::to_string);
        let module = GoModule {
            path: a.clone(),
            version: b.clone(),
            sum: sum.clone(),
            replaces: None,
            local_replacement: None,
        };
        match kind {
            "path" => info.path = Some(a),
            "mod" if !a.is_empty() => {
                info.main = Some(module);
                last = Last::Main;
            }
            "dep" if !a.is_empty() => {
                info.deps.push(module);
                last = Last::Dep;
            }
            "=>" if !a.is_empty() => {
                let target = match last {
                    Last::Main => info.main.as_mut(),
                    Last::Dep => info.deps.last_mut(),
                    Last::None => None,
                };
                if let Some(t) = target {
                    if a.starts_with('.') || a.starts_with('/') {
                        // replaced by a local directory: the code is not the registry module,
                        // but there is no other name for it; keep the required one, note it
                        t.local_replacement = Some(a);
                        last = Last::None;
                        continue;
                    }
                    let orig = format!("{}@{}", t.path, t.version);
                    t.replaces = Some(orig);
                    t.path = a;
                    // a local-directory replacement has no version: keep the required one
                    if !b.is_empty() {
                        t.version = b;
                    }
                    t.sum = sum;
                }
                last = Last::None;
            }
            "build" => {
                let setting = line.split_once('\t').map(|x| x.1).unwrap_or("");
                if !setting.is_empty() {
                    info.settings.push(setting.to_string());
                }
            }
            _ => {}
        }
    }
    info
}
