//! Python packages installed by pip/setuptools/distro packagers: `*.dist-info/METADATA`
//! (with `RECORD` for owned files and `INSTALLER` for the tool), `*.egg-info/PKG-INFO`, and
//! single-file `*.egg-info` (Debian ships `Python-2.7.egg-info` as a file), and eggs: zipped
//! `*.egg` files (read in memory, `EGG-INFO/PKG-INFO` inside) or their unzipped directories
//! (`*.egg/EGG-INFO/PKG-INFO`). Found anywhere,
//! not only under `site-packages`: `pip install --target /opt/app` installs are common.
//!
//! The metadata format (core metadata, RFC 822-like with folded lines and a free body after
//! the first blank line) is parsed by hand: the deb822 crates treat the body as another
//! paragraph and choke on it.

use std::sync::Arc;

use sbom_core::{license, Ecosystem, Package};

use super::{Claim, CollectContext, Detector, EntryMeta, Findings, FsView, ParseError, Parsed};

#[cfg(test)]
mod tests;

/// METADATA files carry the whole README as the body: allow generous sizes.
const MAX_METADATA: u64 = 8 << 20;
/// RECORD lists every installed file; big packages (e.g. botocore) have tens of thousands.
const MAX_RECORD: u64 = 32 << 20;
/// Zipped eggs carry the package's code (and compiled extensions): the archive is read whole,
/// in memory, so it is bounded like the Java detector's archives.
const MAX_EGG: u64 = 256 << 20;
/// `requires.txt` of an egg lists requirement lines only.
const MAX_REQUIRES: u64 = 1 << 20;
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
/// A `License:` value longer than this is a pasted license text, not a name.
const MAX_LICENSE_NAME: usize = 120;

/// The Python detector.
#[derive(Debug, Default)]
pub struct PythonDetector;

/// The facts kept from one core-metadata file.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PyMetadata {
    /// Name as the metadata writes it.
    pub name: String,
    /// Version as the metadata writes it.
    pub version: String,
    /// Declared licenses, best source first (see [`choose_licenses`]).
    pub licenses: Vec<String>,
    /// Author (or maintainer) with e-mail when given.
    pub supplier: Option<String>,
    /// Project home page.
    pub homepage: Option<String>,
    /// One-line summary.
    pub summary: Option<String>,
    /// Requirement names from `Requires-Dist` (not those only needed for an extra), without
    /// versions or markers.
    pub requires: Vec<String>,
}

/// What the detector keeps from each claimed file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum PyFile {
    /// `METADATA`, `PKG-INFO` or a single-file egg-info.
    Metadata(PyMetadata),
    /// `RECORD`: paths relative to the directory holding the `.dist-info` directory.
    Record(Vec<String>),
    /// egg-info `installed-files.txt`: paths relative to the `.egg-info` directory.
    InstalledFiles(Vec<String>),
    /// `INSTALLER`: the tool that installed the distribution (`pip`, `uv`, ...).
    Installer(String),
}

const NAME: &str = "python";

/// `.../site-packages` or `.../dist-packages` (Debian's name for it).
fn is_site_dir(dir: &str) -> bool {
    dir.ends_with("/site-packages") || dir.ends_with("/dist-packages")
}

fn kind_of(path: &str) -> Option<(&'static str, u64)> {
    let (dir, file) = path.rsplit_once('/')?;
    // a zipped egg (`easy_install`, `setup.py install` of old setuptools, `bdist_egg`):
    // the metadata is inside the archive
    // Only eggs in a site-packages directory are installed: an egg elsewhere is data (CPython
    // ships test eggs under /usr/lib/python3.X/test/), as the make-images truth and pip agree.
    if file.len() > ".egg".len() && file.ends_with(".egg") && is_site_dir(dir) {
        return Some(("egg", MAX_EGG));
    }
    // the same egg unzipped: a directory `foo-1.0-py3.11.egg` holding `EGG-INFO/`
    if let Some(egg) = dir.strip_suffix("/EGG-INFO") {
        if egg.ends_with(".egg") && file == "PKG-INFO" {
            let parent = egg.rsplit_once('/').map_or("", |(p, _)| p);
            if is_site_dir(parent) {
                return Some(("metadata", MAX_METADATA));
            }
        }
    }
    if dir.ends_with(".dist-info") {
        return match file {
            "METADATA" => Some(("metadata", MAX_METADATA)),
            "RECORD" => Some(("record", MAX_RECORD)),
            "INSTALLER" => Some(("installer", 4096)),
            _ => None,
        };
    }
    if dir.ends_with(".egg-info") {
        return match file {
            "PKG-INFO" => Some(("metadata", MAX_METADATA)),
            // setuptools' list of installed files, relative to the egg-info directory
            "installed-files.txt" => Some(("installed-files", MAX_RECORD)),
            _ => None,
        };
    }
    // a regular file named *.egg-info is the metadata itself (distutils' install_egg_info)
    if file.ends_with(".egg-info") {
        return Some(("metadata", MAX_METADATA));
    }
    None
}

impl Detector for PythonDetector {
    super::common::codec::cache_codec!(0 => PyFile);

    fn name(&self) -> &'static str {
        NAME
    }

    fn claim_patterns(&self) -> Option<&'static [super::ClaimPattern]> {
        use super::ClaimPattern::{Name, Suffix};
        const PATTERNS: &[super::ClaimPattern] = &[
            Suffix(".egg"),
            Suffix(".egg-info"),
            Name("PKG-INFO"),
            Name("METADATA"),
            Name("RECORD"),
            Name("INSTALLER"),
            Name("installed-files.txt"),
        ];
        Some(PATTERNS)
    }

    fn claim(&self, path: &str, _meta: &EntryMeta) -> Option<Claim> {
        kind_of(path).map(|(kind, max)| {
            if kind == "egg" {
                Claim::with_magic(max, ZIP_MAGIC)
            } else {
                Claim::up_to(max)
            }
        })
    }

    fn parse(&self, path: &str, body: &[u8]) -> Result<Parsed, ParseError> {
        let parsed = match kind_of(path).map(|k| k.0) {
            Some("record") => PyFile::Record(parse_record(body)),
            Some("installed-files") => PyFile::InstalledFiles(
                String::from_utf8_lossy(body)
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_string)
                    .collect(),
            ),
            Some("egg") => PyFile::Metadata(read_egg(body)?),
            Some("installer") => {
                PyFile::Installer(String::from_utf8_lossy(body).trim().to_string())
            }
            _ => PyFile::Metadata(parse_metadata(body)?),
        };
        Ok(Arc::new(parsed))
    }

    fn collect(&self, view: &FsView, ctx: CollectContext, out: &mut Findings) {
        for f in view.parsed(NAME) {
            let Some(PyFile::Metadata(meta)) = f.get::<PyFile>() else {
                continue;
            };
            let mut pkg = Package::new(Ecosystem::Python, &meta.name, &meta.version);
            pkg.database_path = f.path.to_string();
            pkg.layer = Some(f.layer);
            // `foo.dist-info/METADATA` has siblings; a single-file egg-info has none
            let info_dir = f
                .path
                .rsplit_once('/')
                .map(|(d, _)| d)
                .filter(|d| d.ends_with(".dist-info") || d.ends_with(".egg-info"));
            if let Some(dir) = info_dir {
                if let Some(PyFile::Installer(i)) = view
                    .lookup(NAME, &format!("{dir}/INSTALLER"))
                    .and_then(|v| v.get::<PyFile>())
                {
                    if !i.is_empty() {
                        pkg.properties.insert("python:installer".into(), i.clone());
                    }
                }
                if ctx.full_detail {
                    if let Some(PyFile::Record(paths)) = view
                        .lookup(NAME, &format!("{dir}/RECORD"))
                        .and_then(|v| v.get::<PyFile>())
                    {
                        let base = dir.rsplit_once('/').map(|(b, _)| b).unwrap_or("");
                        pkg.files = paths.iter().map(|p| join_normal(base, p)).collect();
                    } else if let Some(PyFile::InstalledFiles(paths)) = view
                        .lookup(NAME, &format!("{dir}/installed-files.txt"))
                        .and_then(|v| v.get::<PyFile>())
                    {
                        pkg.files = paths.iter().map(|p| join_normal(dir, p)).collect();
                    }
                }
            }
            if ctx.full_detail && kind_of(f.path).is_some_and(|k| k.0 == "egg") {
                // a zipped egg is imported from the archive itself: it is the one file
                pkg.files = vec![f.path.to_string()];
            }
            if ctx.full_detail {
                pkg.licenses_declared = meta.licenses.clone();
                pkg.license = license::combine(&meta.licenses);
                pkg.supplier = meta.supplier.clone();
                pkg.homepage = meta.homepage.clone();
                pkg.description = meta.summary.clone();
                pkg.depends = meta.requires.clone();
            }
            out.packages.push(pkg);
        }
    }
}

/// Reads the core metadata of a zipped egg from its `EGG-INFO/PKG-INFO`, with the
/// requirements of `EGG-INFO/requires.txt` when PKG-INFO has none (setuptools writes an egg's
/// requirements there, not as `Requires-Dist`). Entries are read up to their limit, whatever
/// size the archive claims for them.
pub fn read_egg(body: &[u8]) -> Result<PyMetadata, ParseError> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(body))
        .map_err(|e| ParseError(format!("unreadable egg (zip): {e}")))?;
    let pkg_info = read_zip_entry(&mut zip, "EGG-INFO/PKG-INFO", MAX_METADATA)?
        .ok_or("no EGG-INFO/PKG-INFO in the egg")?;
    let mut meta = parse_metadata(&pkg_info)?;
    if meta.requires.is_empty() {
        if let Some(req) = read_zip_entry(&mut zip, "EGG-INFO/requires.txt", MAX_REQUIRES)? {
            meta.requires = parse_requires_txt(&req);
        }
    }
    Ok(meta)
}

/// The whole of entry `name`, `None` when the archive has no such entry.
fn read_zip_entry<R: std::io::Read + std::io::Seek>(
    zip: &mut zip::ZipArchive<R>,
    name: &str,
    cap: u64,
) -> Result<Option<Vec<u8>>, ParseError> {
    use std::io::Read;
    let mut entry = match zip.by_name(name) {
        Ok(e) => e,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(e) => return Err(ParseError(format!("egg entry {name}: {e}"))),
    };
    let mut buf = Vec::new();
    (&mut entry)
        .take(cap.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(|e| ParseError(format!("egg entry {name}: {e}")))?;
    if buf.len() as u64 > cap {
        return Err(ParseError(format!(
            "egg entry {name} larger than {cap} bytes"
        )));
    }
    Ok(Some(buf))
}

/// setuptools' `requires.txt`: one requirement a line; `[extra]` and `[:marker]` sections
/// that follow hold optional or conditional ones, which are not dependencies of every install.
fn parse_requires_txt(body: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(body);
    let mut out: Vec<String> = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            break;
        }
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let n = requirement_name(line);
        if !n.is_empty() && !out.iter().any(|r| r == n) {
            out.push(n.to_string());
        }
    }
    out
}

/// Joins a RECORD path (relative, may climb with `..` to `bin/`) to the install base and
/// removes `.`/`..` so the result is a plain absolute image path.
fn join_normal(base: &str, rel: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    let start = if rel.starts_with('/') { "" } else { base };
    for c in start.split('/').chain(rel.split('/')) {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    let mut s = String::new();
    for p in parts {
        s.push('/');
        s.push_str(p);
    }
    s
}

/// RECORD is CSV (`path,hash,size`); the path is quoted when it contains a comma or quote.
fn parse_record(body: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(body);
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            continue;
        }
        let path = if let Some(rest) = line.strip_prefix('"') {
            // CSV quoting: "" is a literal quote, the field ends at a lone quote
            let mut p = String::new();
            let mut chars = rest.chars().peekable();
            while let Some(c) = chars.next() {
                if c == '"' {
                    if chars.peek() == Some(&'"') {
                        chars.next();
                        p.push('"');
                    } else {
                        break;
                    }
                } else {
                    p.push(c);
                }
            }
            p
        } else {
            line.split(',').next().unwrap_or("").to_string()
        };
        if !path.is_empty() {
            out.push(path);
        }
    }
    out
}

/// Parses core metadata (`METADATA`, `PKG-INFO`). Fails when there is no `Name` or
/// `Version`: such a file does not describe an installed distribution.
pub fn parse_metadata(body: &[u8]) -> Result<PyMetadata, ParseError> {
    let text = String::from_utf8_lossy(body);
    let mut headers: Vec<(String, String)> = Vec::new();
    let lines: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        i += 1;
        if line.trim().is_empty() {
            if headers.is_empty() {
                continue;
            }
            // Old setuptools folds a `Description:` header with bare empty lines inside it
            // (and more headers after it), so a blank line only ends the headers when what
            // follows is neither indented nor, after such a header, another header.
            let next = lines[i..].iter().find(|l| !l.trim().is_empty());
            if next.is_some_and(|l| l.starts_with(' ') || l.starts_with('\t')) {
                continue;
            }
            let folded_description = headers.iter().any(|(k, _)| k == "description");
            if folded_description && next.is_some_and(|l| looks_like_header(l)) {
                continue;
            }
            break; // end of the header block; the rest is the description body
        }
        if line.starts_with(' ') || line.starts_with('\t') {
            // folded continuation of the previous header
            if let Some((_, v)) = headers.last_mut() {
                v.push('\n');
                v.push_str(line.trim());
            }
            continue;
        }
        match line.split_once(':') {
            Some((k, v)) if !k.is_empty() && !k.contains(' ') => {
                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()))
            }
            // not a header line: garbage; stop rather than guess
            _ => break,
        }
    }
    let first = |key: &str| {
        headers
            .iter()
            .find(|(k, v)| k == key && !v.is_empty() && !v.eq_ignore_ascii_case("unknown"))
            .map(|(_, v)| v.clone())
    };
    let name = first("name").ok_or("no Name header in Python metadata")?;
    let version = first("version").ok_or("no Version header in Python metadata")?;
    let classifiers: Vec<&str> = headers
        .iter()
        .filter(|(k, _)| k == "classifier")
        .map(|(_, v)| v.as_str())
        .collect();
    let licenses = choose_licenses(
        first("license-expression").as_deref(),
        first("license").as_deref(),
        &classifiers,
    );
    let supplier = person(first("author"), first("author-email"))
        .or_else(|| person(first("maintainer"), first("maintainer-email")));
    let homepage = first("home-page").or_else(|| {
        let urls: Vec<(&str, &str)> = headers
            .iter()
            .filter(|(k, _)| k == "project-url")
            .filter_map(|(_, v)| v.split_once(','))
            .map(|(l, u)| (l.trim(), u.trim()))
            .collect();
        ["homepage", "home", "source", "repository", "source code"]
            .iter()
            .find_map(|want| {
                urls.iter()
                    .find(|(l, _)| l.eq_ignore_ascii_case(want))
                    .map(|(_, u)| u.to_string())
            })
    });
    let mut requires: Vec<String> = Vec::new();
    for (_, v) in headers.iter().filter(|(k, _)| k == "requires-dist") {
        // `; extra == "x"` requirements only come with an optional feature: not dependencies
        // of the installed package
        if v.split_once(';')
            .is_some_and(|(_, marker)| marker.contains("extra"))
        {
            continue;
        }
        let n = requirement_name(v);
        if !n.is_empty() && !requires.iter().any(|r| r == n) {
            requires.push(n.to_string());
        }
    }
    Ok(PyMetadata {
        name,
        version,
        licenses,
        supplier,
        homepage,
        summary: first("summary"),
        requires,
    })
}

/// `Key: value` with a key of letters, digits and dashes.
fn looks_like_header(line: &str) -> bool {
    line.split_once(':').is_some_and(|(k, _)| {
        !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    })
}

/// The distribution name at the start of a PEP 508 requirement (`foo[bar] >= 1; extra == "x"`).
fn requirement_name(req: &str) -> &str {
    let end = req
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(req.len());
    &req[..end]
}

fn person(name: Option<String>, email: Option<String>) -> Option<String> {
    match (name, email) {
        (Some(n), Some(e)) if !e.contains('<') => Some(format!("{n} <{e}>")),
        (Some(n), Some(e)) if e.contains(&n) => Some(e),
        (Some(n), _) => Some(n),
        (None, Some(e)) => Some(e),
        (None, None) => None,
    }
}

/// Picks the declared licenses: the PEP 639 `License-Expression` when present, else a short
/// `License` value (long ones are whole license texts), else the `License ::` classifiers.
pub fn choose_licenses(
    expression: Option<&str>,
    license: Option<&str>,
    classifiers: &[&str],
) -> Vec<String> {
    if let Some(e) = expression {
        return vec![e.to_string()];
    }
    if let Some(l) = license {
        if l.len() <= MAX_LICENSE_NAME && !l.contains('\n') {
            return vec![l.to_string()];
        }
    }
    classifiers
        .iter()
        .filter_map(|c| c.strip_prefix("License ::"))
        .map(|c| {
            let leaf = c.rsplit("::").next().unwrap_or(c).trim();
            classifier_spdx(leaf).unwrap_or(leaf).to_string()
        })
        .filter(|l| !l.is_empty() && l != "OSI Approved")
        .collect()
}

/// SPDX ids for trove classifiers that name exactly one license version. Classifiers such as
/// "BSD License" or "Apache Software License" do not say which version and stay as written.
fn classifier_spdx(leaf: &str) -> Option<&'static str> {
    Some(match leaf {
        "MIT License" => "MIT",
        "MIT No Attribution License (MIT-0)" => "MIT-0",
        "ISC License (ISCL)" => "ISC",
        "The Unlicense (Unlicense)" => "Unlicense",
        "Mozilla Public License 2.0 (MPL 2.0)" => "MPL-2.0",
        "Mozilla Public License 1.1 (MPL 1.1)" => "MPL-1.1",
        "Boost Software License 1.0 (BSL-1.0)" => "BSL-1.0",
        "GNU General Public License v2 (GPLv2)" => "GPL-2.0-only",
        "GNU General Public License v2 or later (GPLv2+)" => "GPL-2.0-or-later",
        "GNU General Public License v3 (GPLv3)" => "GPL-3.0-only",
        "GNU General Public License v3 or later (GPLv3+)" => "GPL-3.0-or-later",
        "GNU Lesser General Public License v2 (LGPLv2)" => "LGPL-2.0-only",
        "GNU Lesser General Public License v2 or later (LGPLv2+)" => "LGPL-2.0-or-later",
        "GNU Lesser General Public License v3 (LGPLv3)" => "LGPL-3.0-only",
        "GNU Lesser General Public License v3 or later (LGPLv3+)" => "LGPL-3.0-or-later",
        "GNU Affero General Public License v3" => "AGPL-3.0-only",
        "GNU Affero General Public License v3 or later (AGPLv3+)" => "AGPL-3.0-or-later",
        "Eclipse Public License 2.0 (EPL-2.0)" => "EPL-2.0",
        "Universal Permissive License (UPL)" => "UPL-1.0",
        "Zero-Clause BSD (0BSD)" => "0BSD",
        _ => return None,
    })
}
