//! Alpine (and Wolfi, postmarketOS...) packages: apk's installed database,
//! `/lib/apk/db/installed`.

pub mod installed;
/// Alpine version ordering (moved to [`sbom_core::version::apk`]).
pub use sbom_core::version::apk as version;

use std::sync::Arc;

use sbom_core::{license, Checksum, Ecosystem, Package, SourcePackage};

use super::{Claim, CollectContext, Detector, EntryMeta, Findings, FsView, ParseError, Parsed};
use installed::{ApkRecord, InstalledDb};

const INSTALLED: &str = "/lib/apk/db/installed";
/// Before apk-tools moved it to /lib (Alpine 3.x keeps a link); some images still have only this.
const INSTALLED_OLD: &str = "/usr/lib/apk/db/installed";

/// With full file lists a large image's database reaches tens of MB.
const MAX_INSTALLED: u64 = 128 * 1024 * 1024;

/// Finds apk-installed packages.
#[derive(Debug, Default, Clone, Copy)]
pub struct ApkDetector;

impl Detector for ApkDetector {
    super::common::codec::cache_codec!(0 => InstalledDb);

    fn name(&self) -> &'static str {
        "apk"
    }

    fn claim_patterns(&self) -> Option<&'static [super::ClaimPattern]> {
        use super::ClaimPattern::Path;
        Some(&[Path(INSTALLED), Path(INSTALLED_OLD)])
    }

    fn claim(&self, path: &str, _meta: &EntryMeta) -> Option<Claim> {
        (path == INSTALLED || path == INSTALLED_OLD).then_some(Claim::up_to(MAX_INSTALLED))
    }

    fn parse(&self, _path: &str, body: &[u8]) -> Result<Parsed, ParseError> {
        let db = installed::parse_installed(body)?;
        Ok(Arc::new(db))
    }

    fn collect(&self, view: &FsView, ctx: CollectContext, out: &mut Findings) {
        // One database: the /lib path wins; the /usr/lib one only counts when it is not the
        // same file reached through a link.
        let file = view
            .lookup(self.name(), INSTALLED)
            .or_else(|| view.lookup(self.name(), INSTALLED_OLD));
        let Some(file) = file else {
            return;
        };
        let Some(db) = file.get::<InstalledDb>() else {
            return;
        };
        if db.unreadable > 0 {
            out.warn(
                file.path,
                Some(file.layer),
                format!(
                    "{} record(s) of the apk database could not be read",
                    db.unreadable
                ),
                true,
            );
        }
        for rec in &db.packages {
            out.packages.push(package(ctx, file.path, rec));
        }
    }
}

fn package(ctx: CollectContext, db_path: &str, rec: &ApkRecord) -> Package {
    let mut p = Package::new(Ecosystem::Apk, rec.name.clone(), rec.version.clone());
    p.arch = rec.arch.clone();
    p.source = rec.origin.as_ref().map(|o| SourcePackage {
        name: o.clone(),
        // an origin is built at the same version as its subpackages
        version: Some(rec.version.clone()),
    });
    p.maintainer = rec.maintainer.clone();
    p.supplier = rec.maintainer.clone();
    p.homepage = rec.url.clone();
    p.description = rec.description.clone();
    p.installed_size = rec.installed_size;
    if let Some(l) = &rec.license {
        p.licenses_declared = vec![l.clone()];
        p.license = license::normalize(l);
    }
    if let Some(h) = &rec.sha1 {
        p.checksums.push(Checksum {
            algorithm: "SHA1".into(),
            value: h.clone(),
        });
    }
    p.depends = rec.depends.clone();
    p.provides = rec.provides.clone();
    p.database_path = db_path.to_string();
    if ctx.full_detail {
        p.files = rec.files.clone();
    }
    p
}

#[cfg(test)]
mod tests;
