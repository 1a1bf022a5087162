//! Installed rpm packages: the rpm database in any of its three backends (SQLite, SUSE NDB,
//! BerkeleyDB), or the text manifest of CBL-Mariner distroless images.
//!
//! Every backend stores the same thing, one header blob per package (`header.rs`); only the
//! container differs (`sqlite.rs`, `ndb.rs`, `bdb.rs`). Each is parsed once, when its layer
//! streams past, into [`RpmDb`]; [`RpmDetector::collect`] then maps the one database rpm
//! would use to packages (`package.rs`).

mod bdb;
mod header;
mod manifest;
mod ndb;
mod package;
mod sqlite;
mod wal;

#[cfg(test)]
mod tests;

pub use header::RpmHeader;
pub use sbom_core::version::rpm::{compare_evr, rpmvercmp};
pub use wal::WalSummary;

use super::{Claim, CollectContext, Detector, EntryMeta, Findings, FsView, ParseError, Parsed};
use std::sync::Arc;

/// Where rpm keeps its database: `/usr/lib/sysimage/rpm` on Fedora >= 36 and openSUSE,
/// `/var/lib/rpm` elsewhere (often a symlink to the former).
const DB_DIRS: [&str; 2] = ["/usr/lib/sysimage/rpm", "/var/lib/rpm"];
/// CBL-Mariner distroless images: no database, only this manifest.
const MANIFEST: &str = "/var/lib/rpmmanifest/container-manifest-2";
/// rpm databases of big images run to a few hundred MB; larger is not a real database.
const MAX_DB_SIZE: u64 = 512 << 20;
const MAX_MANIFEST_SIZE: u64 = 16 << 20;

/// The container a package list came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum DbFormat {
    /// `rpmdb.sqlite` (rpm >= 4.16: Fedora >= 33, RHEL >= 9, CBL-Mariner 2).
    Sqlite,
    /// `Packages.db` (SUSE, rpm `ndb` backend).
    Ndb,
    /// `Packages` (BerkeleyDB hash: RHEL <= 8, older Fedora, Amazon Linux 2).
    Bdb,
    /// `container-manifest-2` text.
    Manifest,
}

impl DbFormat {
    /// Formats in the order rpm's own configuration would pick them when several are
    /// present: a distribution that moved to SQLite or NDB may leave the old `Packages`.
    const PREFERENCE: [DbFormat; 3] = [DbFormat::Sqlite, DbFormat::Ndb, DbFormat::Bdb];

    fn file_name(self) -> &'static str {
        match self {
            DbFormat::Sqlite => "rpmdb.sqlite",
            DbFormat::Ndb => "Packages.db",
            DbFormat::Bdb => "Packages",
            DbFormat::Manifest => "container-manifest-2",
        }
    }

    fn of_path(path: &str) -> Option<DbFormat> {
        if path == MANIFEST {
            return Some(DbFormat::Manifest);
        }
        let (dir, file) = path.rsplit_once('/')?;
        if !DB_DIRS.contains(&dir) {
            return None;
        }
        DbFormat::PREFERENCE
            .into_iter()
            .find(|f| f.file_name() == file)
    }
}

/// What [`RpmDetector::parse`] keeps of one database file.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct RpmDb {
    /// The container the packages were read from.
    pub format: DbFormat,
    /// One header per readable package record, in the container's order.
    pub packages: Vec<RpmHeader>,
    /// Records present in the file that could not be read.
    pub damaged: usize,
    /// The file is shorter than its own metadata says: records may be missing uncounted.
    pub truncated: bool,
}

/// Finds rpm packages. See the [module docs](self).
#[derive(Debug, Default, Clone, Copy)]
pub struct RpmDetector;

impl RpmDetector {
    /// Parses a database body whose format is known.
    pub fn parse_db(format: DbFormat, body: &[u8]) -> Result<RpmDb, ParseError> {
        let mut db = RpmDb {
            format,
            packages: Vec::new(),
            damaged: 0,
            truncated: false,
        };
        let blobs = match format {
            DbFormat::Manifest => {
                let (packages, damaged) = manifest::read_manifest(&String::from_utf8_lossy(body));
                db.packages = packages;
                db.damaged = damaged;
                return Ok(db);
            }
            DbFormat::Sqlite => {
                sqlite::read_packages(body).map_err(|e| ParseError(e.to_string()))?
            }
            DbFormat::Ndb => {
                let r = ndb::read_packages(body).map_err(|e| ParseError(e.to_string()))?;
                db.damaged = r.damaged;
                r.values
            }
            DbFormat::Bdb => {
                let r = bdb::read_packages(body).map_err(|e| ParseError(e.to_string()))?;
                db.damaged = r.damaged;
                db.truncated = r.truncated;
                r.values
            }
        };
        for blob in &blobs {
            // Files are kept even though per-layer snapshots do not need them: parse runs
            // once per file, before anyone knows which view will ask.
            match header::parse_header(blob, true) {
                Ok(h) => db.packages.push(h),
                Err(e) => {
                    tracing::debug!("rpm header unreadable: {e}");
                    db.damaged += 1;
                }
            }
        }
        Ok(db)
    }
}

impl Detector for RpmDetector {
    super::common::codec::cache_codec!(0 => RpmDb, 1 => WalSummary);

    fn name(&self) -> &'static str {
        "rpm"
    }

    fn claim_patterns(&self) -> Option<&'static [super::ClaimPattern]> {
        use super::ClaimPattern::{Name, Path};
        const PATTERNS: &[super::ClaimPattern] = &[
            Path(MANIFEST),
            Name("rpmdb.sqlite"),
            Name("rpmdb.sqlite-wal"),
            Name("Packages.db"),
            Name("Packages"),
        ];
        Some(PATTERNS)
    }

    fn claim(&self, path: &str, _meta: &EntryMeta) -> Option<Claim> {
        if let Some(db) = path.strip_suffix("-wal") {
            return (DbFormat::of_path(db)? == DbFormat::Sqlite).then(|| Claim::up_to(MAX_DB_SIZE));
        }
        match DbFormat::of_path(path)? {
            DbFormat::Manifest => Some(Claim::up_to(MAX_MANIFEST_SIZE)),
            _ => Some(Claim::up_to(MAX_DB_SIZE)),
        }
    }

    fn parse(&self, path: &str, body: &[u8]) -> Result<Parsed, ParseError> {
        if path.ends_with("-wal") {
            // not a WAL: SQLite would ignore it, and so does the scan
            let summary = wal::summarize(body).unwrap_or(WalSummary {
                committed_frames: 0,
                transactions: 0,
            });
            return Ok(Arc::new(summary));
        }
        let format =
            DbFormat::of_path(path).ok_or_else(|| ParseError("not an rpm database".into()))?;
        let db = Self::parse_db(format, body)?;
        Ok(Arc::new(db))
    }

    fn collect(&self, view: &FsView, ctx: CollectContext, out: &mut Findings) {
        // Candidates in rpm's order of preference. Looking up by the usual paths follows a
        // `/var/lib/rpm -> ../../usr/lib/sysimage/rpm` symlink; the physical path dedupes.
        let mut found = Vec::new();
        for format in DbFormat::PREFERENCE {
            for dir in DB_DIRS {
                let path = format!("{dir}/{}", format.file_name());
                if let Some(f) = view.lookup(self.name(), &path) {
                    if f.get::<RpmDb>().is_some()
                        && !found.iter().any(|g: &super::ViewFile| g.path == f.path)
                    {
                        found.push(f);
                    }
                }
            }
        }
        // The manifest only stands in for a missing database; a real one has more detail.
        if let Some(f) = view.lookup(self.name(), MANIFEST) {
            found.push(f);
        }
        let Some(chosen) = found.first().copied() else {
            return;
        };
        if found.len() > 1 {
            let ignored: Vec<&str> = found[1..].iter().map(|f| f.path).collect();
            tracing::debug!(
                "several rpm databases: reading {} as rpm would, ignoring {}",
                chosen.path,
                ignored.join(", ")
            );
        }
        let Some(db) = chosen.get::<RpmDb>() else {
            return;
        };
        if db.damaged > 0 {
            out.warn(
                chosen.path,
                Some(chosen.layer),
                format!("{}: {} packages could not be read", chosen.path, db.damaged),
                true,
            );
        }
        if db.format == DbFormat::Sqlite {
            // the log is looked up beside the file actually read (symlinked dirs resolved)
            let wal = view
                .lookup(self.name(), &format!("{}-wal", chosen.path))
                .and_then(|f| f.get::<WalSummary>().map(|w| (f.path, w)));
            if let Some((wal_path, w)) = wal.filter(|(_, w)| w.committed_frames > 0) {
                out.warn(
                    chosen.path,
                    Some(chosen.layer),
                    format!(
                        "{wal_path} holds {} committed transactions ({} pages) not yet in {}: packages they installed or removed may be missing or still listed",
                        w.transactions, w.committed_frames, chosen.path
                    ),
                    true,
                );
            }
        }
        if db.truncated {
            out.warn(
                chosen.path,
                Some(chosen.layer),
                format!("{} is truncated: packages may be missing", chosen.path),
                true,
            );
        }
        out.packages.extend(
            db.packages
                .iter()
                .map(|h| package::to_package(h, chosen.path, ctx.full_detail)),
        );
    }
}
