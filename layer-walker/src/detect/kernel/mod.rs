//! The Linux kernel and its modules, for images that carry one (bootable container images,
//! VM and appliance builds, kind nodes): the kernel from its image file (`/boot/vmlinuz-*`,
//! `bzImage`, an uncompressed `vmlinux`), the modules from the `.modinfo` section every
//! loadable module has (`/lib/modules/<release>/**/*.ko`, also compressed as `.ko.xz`,
//! `.ko.zst` or `.ko.gz` as distributions ship them).
//!
//! Kernels and modules a package manager installed are that package's (a Debian
//! `linux-image-*`) and are dropped when the inventory is assembled, as binaries identified
//! by their contents are (see `assemble::owned`): what is left is what was built or copied by
//! hand, out-of-tree modules among them.

use std::io::Read;
use std::sync::Arc;

use sbom_core::{license, Ecosystem, Package};

use super::common::elf;
use super::{Claim, CollectContext, Detector, EntryMeta, Findings, FsView, ParseError, Parsed};

#[cfg(test)]
mod tests;

const NAME: &str = "kernel";
/// A bzImage is 10–15 MB; a kernel with everything built in and debug info can be far
/// larger, but its version is all this reads.
const MAX_KERNEL: u64 = 128 << 20;
/// The largest modules (GPU drivers) are tens of MiB unpacked; compressed or not, a module
/// past this is not read, and one that unpacks past it is refused (a decompression bomb).
const MAX_MODULE: u64 = 64 << 20;
/// The purl name Syft gives the kernel, so the same image gets the same name from both.
pub const KERNEL_PACKAGE: &str = "linux-kernel";
/// The [`Package::properties`] key of the kernel release a module was built for
/// (`vermagic`'s first word, `uname -r` of the kernel that loads it).
pub const KERNEL_RELEASE: &str = "kernel:release";

/// What a claimed file turned out to be.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Found {
    /// A kernel image.
    Kernel {
        /// The release (`uname -r`): `6.1.0-57-cloud-amd64`.
        release: String,
        /// The whole version string the image carries (release, builder, build number, date).
        full: String,
    },
    /// A loadable module.
    Module(Module),
    /// A file by one of those names that is neither (a script named `kernel`, a module
    /// without `.modinfo`).
    Other,
}

/// The fields of a module's `.modinfo` the inventory keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Module {
    /// `name=`.
    pub name: String,
    /// `version=`, which in-tree modules mostly lack.
    pub version: Option<String>,
    /// `license=` as written (`GPL`, `Dual BSD/GPL`).
    pub license: Option<String>,
    /// `author=` (the first).
    pub author: Option<String>,
    /// `description=`.
    pub description: Option<String>,
    /// The first word of `vermagic=`: the kernel release the module was built for.
    pub kernel_release: Option<String>,
    /// `intree=Y`: built as part of the kernel's own tree.
    pub in_tree: bool,
    /// `depends=`: the modules it needs.
    pub depends: Vec<String>,
}

/// How a module file is compressed, from its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Packing {
    Plain,
    Xz,
    Zstd,
    Gzip,
}

fn module_packing(path: &str) -> Option<Packing> {
    if !path.contains("/lib/modules/") {
        return None;
    }
    if path.ends_with(".ko") {
        Some(Packing::Plain)
    } else if path.ends_with(".ko.xz") {
        Some(Packing::Xz)
    } else if path.ends_with(".ko.zst") {
        Some(Packing::Zstd)
    } else if path.ends_with(".ko.gz") {
        Some(Packing::Gzip)
    } else {
        None
    }
}

/// The file names kernels are installed under (the names Syft's kernel cataloger globs).
fn is_kernel_name(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    ["vmlinuz", "vmlinux", "bzImage", "zImage", "kernel"]
        .iter()
        .any(|k| name == *k || name.strip_prefix(k).is_some_and(|r| r.starts_with('-')))
}

/// Reads all of `r` into memory, failing past `limit` bytes.
fn read_bounded(r: impl Read, limit: u64, what: &str) -> Result<Vec<u8>, ParseError> {
    let mut out = Vec::new();
    r.take(limit + 1)
        .read_to_end(&mut out)
        .map_err(|e| ParseError(format!("corrupt {what} stream: {e}")))?;
    if out.len() as u64 > limit {
        return Err(ParseError(format!(
            "unpacks to more than {} MiB: not read",
            limit >> 20
        )));
    }
    Ok(out)
}

/// A bounded sink for lzma-rs, which writes rather than reads.
struct Bounded {
    out: Vec<u8>,
    limit: usize,
    overflowed: bool,
}

impl std::io::Write for Bounded {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.out.len() + buf.len() > self.limit {
            self.overflowed = true;
            return Err(std::io::Error::other("too large"));
        }
        self.out.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn unpack(body: &[u8], packing: Packing) -> Result<std::borrow::Cow<'_, [u8]>, ParseError> {
    Ok(match packing {
        Packing::Plain => std::borrow::Cow::Borrowed(body),
        Packing::Gzip => {
            read_bounded(flate2::read::GzDecoder::new(body), MAX_MODULE, "gzip")?.into()
        }
        Packing::Zstd => {
            let d = zstd::stream::read::Decoder::new(body)
                .map_err(|e| ParseError(format!("corrupt zstd stream: {e}")))?;
            read_bounded(d, MAX_MODULE, "zstd")?.into()
        }
        Packing::Xz => {
            // lzma-rs grows its dictionary window only as far as it has decoded, so a header
            // announcing a 4 GiB dictionary costs nothing until the output (capped here) is
            // that large
            let mut sink = Bounded {
                out: Vec::new(),
                limit: MAX_MODULE as usize,
                overflowed: false,
            };
            match lzma_rs::xz_decompress(&mut std::io::BufReader::new(body), &mut sink) {
                Ok(()) => sink.out.into(),
                Err(_) if sink.overflowed => {
                    return Err(ParseError(format!(
                        "unpacks to more than {} MiB: not read",
                        MAX_MODULE >> 20
                    )))
                }
                Err(e) => return Err(ParseError(format!("corrupt xz stream: {e}"))),
            }
        }
    })
}

/// Parses a module's `.modinfo`: NUL-separated `key=value` strings.
pub fn parse_modinfo(data: &[u8]) -> Module {
    let mut m = Module::default();
    for entry in data.split(|b| *b == 0) {
        let entry = String::from_utf8_lossy(entry);
        let Some((k, v)) = entry.split_once('=') else {
            continue;
        };
        let v = v.trim();
        if v.is_empty() {
            continue;
        }
        match k {
            "name" => m.name = v.to_string(),
            "version" => m.version = Some(v.to_string()),
            "license" if m.license.is_none() => m.license = Some(v.to_string()),
            "author" if m.author.is_none() => m.author = Some(v.to_string()),
            "description" if m.description.is_none() => m.description = Some(v.to_string()),
            "vermagic" => m.kernel_release = v.split_whitespace().next().map(str::to_string),
            "intree" => m.in_tree = v == "Y",
            "depends" => m.depends = v.split(',').map(str::to_string).collect(),
            _ => {}
        }
    }
    m
}

/// A module file: `Found::Other` when it has no `.modinfo` or no name.
pub fn parse_module(path: &str, body: &[u8]) -> Result<Found, ParseError> {
    let packing = module_packing(path).unwrap_or(Packing::Plain);
    let elf_bytes = unpack(body, packing)?;
    if !elf_bytes.starts_with(elf::MAGIC) {
        return Ok(Found::Other);
    }
    let file = elf::open(&elf_bytes)?;
    let Some(info) = elf::section_data(&file, ".modinfo")? else {
        return Ok(Found::Other);
    };
    let mut m = parse_modinfo(info);
    if m.name.is_empty() {
        // modules before 4.x carry no name=: the kernel names them by file
        let file = path.rsplit('/').next().unwrap_or(path);
        m.name = file.split(".ko").next().unwrap_or(file).replace('-', "_");
    }
    Ok(Found::Module(m))
}

/// The version string of a kernel image: an x86 bzImage's setup header points to it; any
/// other image (an uncompressed `vmlinux`, an ARM `Image`) carries `Linux version ...` in
/// its data. Compressed non-x86 images keep it inside the compressed part and yield nothing.
pub fn parse_kernel(body: &[u8]) -> Found {
    if let Some(full) = bzimage_version(body).or_else(|| banner_version(body)) {
        if let Some(release) = full.split_whitespace().next() {
            if release.bytes().next().is_some_and(|b| b.is_ascii_digit()) {
                return Found::Kernel {
                    release: release.to_string(),
                    full,
                };
            }
        }
    }
    Found::Other
}

/// The x86 boot protocol (Documentation/arch/x86/boot.rst): `HdrS` at 0x202, and at 0x20e
/// the offset, less 0x200, of a NUL-terminated version string.
fn bzimage_version(body: &[u8]) -> Option<String> {
    if body.get(0x202..0x206)? != b"HdrS" {
        return None;
    }
    let ptr = u16::from_le_bytes([*body.get(0x20e)?, *body.get(0x20f)?]) as usize;
    if ptr == 0 {
        return None;
    }
    c_string(body.get(ptr + 0x200..)?)
}

fn banner_version(body: &[u8]) -> Option<String> {
    const BANNER: &[u8] = b"Linux version ";
    memchr::memmem::find_iter(body, BANNER)
        .filter_map(|at| c_string(&body[at + BANNER.len()..]))
        .find(|v| v.bytes().next().is_some_and(|b| b.is_ascii_digit()))
}

/// The printable string at the start of `b`, up to its NUL or newline (at most 512 bytes).
fn c_string(b: &[u8]) -> Option<String> {
    let end = b.iter().take(512).position(|c| *c == 0 || *c == b'\n')?;
    let s = &b[..end];
    (!s.is_empty() && s.iter().all(|c| (0x20..0x7f).contains(c)))
        .then(|| String::from_utf8_lossy(s).into_owned())
}

/// The upstream version at the front of a release (`6.1.0` of `6.1.0-57-cloud-amd64`,
/// `5.10.121` of `5.10.121-linuxkit`): what NVD's `linux_kernel` CPEs are versioned by.
fn upstream(release: &str) -> &str {
    let end = release
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(release.len());
    release[..end].trim_end_matches('.')
}

/// Finds Linux kernels and kernel modules.
#[derive(Debug, Default, Clone, Copy)]
pub struct KernelDetector;

impl Detector for KernelDetector {
    super::common::codec::cache_codec!(0 => Found);

    fn name(&self) -> &'static str {
        NAME
    }

    fn claim_patterns(&self) -> Option<&'static [super::ClaimPattern]> {
        use super::ClaimPattern::*;
        Some(&[
            Suffix(".ko"),
            Suffix(".ko.xz"),
            Suffix(".ko.zst"),
            Suffix(".ko.gz"),
            Prefix("vmlinuz"),
            Prefix("vmlinux"),
            Prefix("bzImage"),
            Prefix("zImage"),
            Prefix("kernel"),
        ])
    }

    fn claim(&self, path: &str, _meta: &EntryMeta) -> Option<Claim> {
        if module_packing(path).is_some() {
            return Some(Claim::up_to(MAX_MODULE));
        }
        is_kernel_name(path).then_some(Claim::up_to(MAX_KERNEL))
    }

    fn parse(&self, path: &str, body: &[u8]) -> Result<Parsed, ParseError> {
        let found = if module_packing(path).is_some() {
            parse_module(path, body)?
        } else {
            parse_kernel(body)
        };
        Ok(Arc::new(found))
    }

    fn collect(&self, view: &FsView, _ctx: CollectContext, out: &mut Findings) {
        for f in view.parsed(NAME) {
            let mut p = match f.get::<Found>() {
                Some(Found::Kernel { release, full }) => {
                    let mut p = Package::new(Ecosystem::Generic, KERNEL_PACKAGE, release);
                    let v = upstream(release);
                    if !v.is_empty() {
                        p.cpes = vec![format!("cpe:2.3:o:linux:linux_kernel:{v}:*:*:*:*:*:*:*")];
                    }
                    p.properties.insert("kernel:version".into(), full.clone());
                    p
                }
                Some(Found::Module(m)) => {
                    // an in-tree module without its own version is the kernel's at that release
                    let version = m
                        .version
                        .clone()
                        .or_else(|| m.kernel_release.clone().filter(|_| m.in_tree))
                        .unwrap_or_default();
                    let mut p = Package::new(Ecosystem::Generic, m.name.clone(), version);
                    if let Some(l) = &m.license {
                        p.licenses_declared = vec![l.clone()];
                        p.license = license::normalize(l);
                    }
                    p.description = m.description.clone();
                    p.maintainer = m.author.clone();
                    if let Some(r) = &m.kernel_release {
                        p.properties.insert(KERNEL_RELEASE.into(), r.clone());
                    }
                    if m.in_tree {
                        p.properties.insert("kernel:in_tree".into(), "true".into());
                    }
                    p.depends = m.depends.clone();
                    p
                }
                _ => continue,
            };
            p.layer = Some(f.layer);
            p.database_path = f.path.to_string();
            p.files.push(f.path.to_string());
            p.properties.insert(
                sbom_core::FOUND_BY.into(),
                sbom_core::FOUND_BY_BINARY_CLASSIFIER.into(),
            );
            out.packages.push(p);
        }
    }
}
