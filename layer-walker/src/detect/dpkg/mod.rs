//! Debian packages: dpkg's status database (`/var/lib/dpkg/status`), distroless per-package
//! status files (`/var/lib/dpkg/status.d/*`), the file lists in `/var/lib/dpkg/info/*.list`
//! and the licenses of machine-readable `/usr/share/doc/<pkg>/copyright` files.

pub mod copyright;
pub mod status;
/// Debian version ordering (moved to [`sbom_core::version::dpkg`]).
pub use sbom_core::version::dpkg as version;

use std::sync::Arc;

use sbom_core::{license, Ecosystem, Package, SourcePackage};

use super::{Claim, CollectContext, Detector, EntryMeta, Findings, FsView, ParseError, Parsed};
use status::{DebRecord, StatusFile};

const STATUS: &str = "/var/lib/dpkg/status";
const STATUS_D: &str = "/var/lib/dpkg/status.d/";
const INFO: &str = "/var/lib/dpkg/info/";
const DOC: &str = "/usr/share/doc/";

/// Big Ubuntu images have status files of a few MB; 64 MiB leaves room without letting a
/// hostile file take the memory.
const MAX_STATUS: u64 = 64 * 1024 * 1024;
/// `.list` files of the largest packages (texlive, kernels) run to a few MB.
const MAX_LIST: u64 = 16 * 1024 * 1024;
/// Copyright files are rarely above 200 KB; only the license names and copyright notices
/// are kept.
const MAX_COPYRIGHT: u64 = 4 * 1024 * 1024;

/// Files that sit next to distroless status.d entries but are not package records
/// (dpkg's per-package control files: md5sums, maintainer scripts, ...).
const NOT_RECORDS: [&str; 11] = [
    ".md5sums",
    ".preinst",
    ".postinst",
    ".prerm",
    ".postrm",
    ".conffiles",
    ".list",
    ".triggers",
    ".shlibs",
    ".symbols",
    ".templates",
];

/// The files a package owns (`/var/lib/dpkg/info/<pkg>[:<arch>].list`), one path a line.
/// Kept as one string: a big image lists ~200k paths, and a `String` each costs three times
/// the bytes of the paths themselves.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct OwnedFiles(String);

impl OwnedFiles {
    /// The owned paths, in the order dpkg wrote them.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.0.lines()
    }
}

/// What a package's copyright file says ([`copyright::read`]).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Copyright {
    /// `License:` short names of a machine-readable file, first-seen order, no duplicates.
    pub licenses: Vec<String>,
    /// Them as one SPDX expression ([`license::combine`]), made once here rather than in
    /// every snapshot's collect: SPDX parsing was 15 % of a warm-cache scan of debian-large.
    pub expression: Option<String>,
    /// The concluded license as one SPDX expression: only for a machine-readable file whose
    /// every `Files:` paragraph names its license ([`copyright::CopyrightFile::concluded`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concluded: Option<String>,
    /// The file's copyright notices, one a line, as it writes them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notices: Option<String>,
}

/// Finds dpkg-installed packages.
#[derive(Debug, Default, Clone, Copy)]
pub struct DpkgDetector;

impl Detector for DpkgDetector {
    super::common::codec::cache_codec!(0 => StatusFile, 1 => OwnedFiles, 2 => Copyright);

    fn name(&self) -> &'static str {
        "dpkg"
    }

    fn claim_patterns(&self) -> Option<&'static [super::ClaimPattern]> {
        use super::ClaimPattern::{Dir, Name, Path, Suffix};
        const PATTERNS: &[super::ClaimPattern] = &[
            Path(STATUS),
            Dir("/var/lib/dpkg/status.d"),
            Suffix(".list"),
            Name("copyright"),
        ];
        Some(PATTERNS)
    }

    fn claim(&self, path: &str, _meta: &EntryMeta) -> Option<Claim> {
        if path == STATUS {
            return Some(Claim::up_to(MAX_STATUS));
        }
        if let Some(name) = path.strip_prefix(STATUS_D) {
            if !name.is_empty()
                && !name.contains('/')
                && !NOT_RECORDS.iter().any(|s| name.ends_with(s))
            {
                return Some(Claim::up_to(MAX_STATUS));
            }
            return None;
        }
        if let Some(name) = path.strip_prefix(INFO) {
            if name.ends_with(".list") && !name.contains('/') {
                return Some(Claim::up_to(MAX_LIST));
            }
            return None;
        }
        if let Some(rest) = path.strip_prefix(DOC) {
            if let Some(pkg) = rest.strip_suffix("/copyright") {
                if !pkg.is_empty() && !pkg.contains('/') {
                    return Some(Claim::up_to(MAX_COPYRIGHT));
                }
            }
        }
        None
    }

    fn parse(&self, path: &str, body: &[u8]) -> Result<Parsed, ParseError> {
        if path == STATUS || path.starts_with(STATUS_D) {
            // the walker names the file in the warning
            let parsed = status::parse_status(body, path == STATUS)
                .map_err(|e| ParseError(e.to_string()))?;
            return Ok(Arc::new(parsed));
        }
        if path.starts_with(INFO) {
            let text = String::from_utf8_lossy(body);
            let mut files = String::with_capacity(text.len());
            // `/.` is the root every package lists; it says nothing
            for l in text
                .lines()
                .map(str::trim_end)
                .filter(|l| l.starts_with('/') && *l != "/.")
            {
                files.push_str(l);
                files.push('\n');
            }
            files.shrink_to_fit();
            return Ok(Arc::new(OwnedFiles(files)));
        }
        // a free-form copyright file is kept as "no licenses": never guessed from prose
        let file = copyright::read(body);
        let expression = license::combine(&file.licenses);
        let concluded = file.concluded.as_deref().and_then(license::combine);
        let notices = Some(file.copyright.join("\n")).filter(|n| !n.is_empty());
        Ok(Arc::new(Copyright {
            licenses: file.licenses,
            expression,
            concluded,
            notices,
        }))
    }

    fn collect(&self, view: &FsView, ctx: CollectContext, out: &mut Findings) {
        let main = view.lookup(self.name(), STATUS);
        let status_d = view.parsed_under(self.name(), STATUS_D);
        for file in main.into_iter().chain(status_d) {
            let Some(db) = file.get::<StatusFile>() else {
                continue;
            };
            if db.unreadable > 0 {
                out.warn(
                    file.path,
                    Some(file.layer),
                    format!(
                        "{} paragraph(s) of the dpkg status could not be read",
                        db.unreadable
                    ),
                    true,
                );
            }
            if db.damaged > 0 {
                // the package is reported, but fields may be missing from it
                out.warn(
                    file.path,
                    Some(file.layer),
                    format!(
                        "{} paragraph(s) of the dpkg status were read without their malformed lines",
                        db.damaged
                    ),
                    false,
                );
            }
            for rec in &db.packages {
                out.packages.push(package(view, ctx, file.path, rec));
            }
        }
    }
}

fn package(view: &FsView, ctx: CollectContext, db_path: &str, rec: &DebRecord) -> Package {
    let mut p = Package::new(Ecosystem::Deb, rec.name.clone(), rec.version.clone());
    p.epoch = rec
        .version
        .split_once(':')
        .and_then(|(e, _)| e.parse::<u64>().ok());
    p.arch = rec.arch.clone();
    // dpkg-query's `source:Package` is the package itself when `Source:` is absent, and
    // `source:Version` the package version when the field has no `(version)`.
    p.source = Some(SourcePackage {
        name: rec.source_name.clone().unwrap_or_else(|| rec.name.clone()),
        version: Some(
            rec.source_version
                .clone()
                .unwrap_or_else(|| rec.version.clone()),
        ),
    });
    p.maintainer = rec.maintainer.clone();
    p.supplier = rec.maintainer.clone();
    p.installed_size = rec.installed_size_kib.and_then(|k| k.checked_mul(1024));
    p.homepage = rec.homepage.clone();
    p.description = rec.description.clone();
    p.depends = rec.depends.clone();
    p.provides = rec.provides.clone();
    p.database_path = db_path.to_string();
    if let Some(status) = &rec.unfinished_status {
        p.properties.insert("dpkg:status".into(), status.clone());
    }
    // /usr/share/doc/<pkg> is often a link to another package's directory: lookup follows it
    let copyright = format!("{DOC}{}/copyright", rec.name);
    if let Some(c) = view
        .lookup("dpkg", &copyright)
        .and_then(|f| f.get::<Copyright>())
    {
        p.license = c.expression.clone();
        p.licenses_declared = c.licenses.clone();
        p.license_concluded = c.concluded.clone();
        p.copyright = c.notices.clone();
    }
    if ctx.full_detail {
        let lists = rec
            .arch
            .as_deref()
            .map(|a| format!("{INFO}{}:{a}.list", rec.name))
            .into_iter()
            .chain(std::iter::once(format!("{INFO}{}.list", rec.name)));
        for list in lists {
            if let Some(files) = view
                .lookup("dpkg", &list)
                .and_then(|f| f.get::<OwnedFiles>())
            {
                p.files = files.paths().map(str::to_string).collect();
                break;
            }
        }
    }
    p
}

#[cfg(test)]
mod tests;
