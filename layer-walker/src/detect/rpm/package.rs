//! From an rpm header to the inventory's [`Package`].

use std::collections::HashSet;

use sbom_core::{license, Ecosystem, Package, SourcePackage};

use super::header::RpmHeader;
use crate::detect::common::encoding::lower_hex;

/// Maps one header. `database_path` is the image path of the database that recorded it;
/// `full_detail` adds the owned files.
pub fn to_package(h: &RpmHeader, database_path: &str, full_detail: bool) -> Package {
    // As `rpm -q` prints it: the epoch only when the header has one, even 0.
    let version = match h.epoch {
        Some(e) => format!("{e}:{}-{}", h.version, h.release),
        None => format!("{}-{}", h.version, h.release),
    };
    let mut p = Package::new(Ecosystem::Rpm, h.name.clone(), version);
    p.epoch = h.epoch.map(u64::from);
    p.arch = h.arch.clone();
    p.source = h.source_rpm.as_deref().and_then(source_package);
    if let Some(l) = h.license.as_deref().filter(|l| !l.trim().is_empty()) {
        p.licenses_declared = vec![l.to_string()];
        p.license = license::normalize(l);
    }
    p.supplier = h.vendor.clone().or_else(|| h.packager.clone());
    p.maintainer = h.packager.clone();
    p.homepage = h.url.clone();
    p.description = h.summary.clone();
    p.installed_size = h.size;
    p.database_path = database_path.to_string();
    if full_detail {
        p.files = h.files.clone();
    }
    // rpmlib(...) are features of rpm itself and paths are file dependencies: neither names
    // a package. REQUIRENAME repeats names (one per version constraint), so dedupe.
    p.depends = unique(
        h.requires
            .iter()
            .filter(|r| !r.starts_with("rpmlib(") && !r.starts_with('/')),
    );
    p.provides = unique(h.provides.iter().filter(|n| **n != h.name));
    if let Some(v) = &h.vendor {
        p.properties.insert("rpm:vendor".into(), v.clone());
    }
    if let Some(m) = &h.modularity_label {
        p.properties.insert("rpm:modularitylabel".into(), m.clone());
    }
    if let Some(md5) = &h.sigmd5 {
        p.properties.insert("rpm:sigmd5".into(), lower_hex(md5));
    }
    p
}

fn unique<'a>(items: impl Iterator<Item = &'a String>) -> Vec<String> {
    let mut seen = HashSet::new();
    items.filter(|s| seen.insert(*s)).cloned().collect()
}

/// `name-version-release.src.rpm` to the source package (version as `version-release`).
pub fn source_package(srpm: &str) -> Option<SourcePackage> {
    let base = srpm
        .strip_suffix(".src.rpm")
        .or_else(|| srpm.strip_suffix(".nosrc.rpm"))?;
    let (rest, release) = base.rsplit_once('-')?;
    let (name, version) = rest.rsplit_once('-')?;
    if name.is_empty() || version.is_empty() || release.is_empty() {
        return None;
    }
    Some(SourcePackage {
        name: name.to_string(),
        version: Some(format!("{version}-{release}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_rpm_names_split_from_the_right() {
        let s = source_package("python3-dnf-plugins-core-4.0.21-1.el8.src.rpm").expect("valid");
        assert_eq!(s.name, "python3-dnf-plugins-core");
        assert_eq!(s.version.as_deref(), Some("4.0.21-1.el8"));
        assert!(source_package("nodashes.src.rpm").is_none());
        assert!(source_package("a-1-2.x86_64.rpm").is_none());
    }

    #[test]
    fn epoch_zero_is_shown_when_the_tag_exists() {
        let mut h = RpmHeader {
            name: "a".into(),
            version: "1".into(),
            release: "2".into(),
            epoch: Some(0),
            ..Default::default()
        };
        let p = to_package(&h, "/var/lib/rpm/Packages", false);
        assert_eq!((p.version.as_str(), p.epoch), ("0:1-2", Some(0)));
        h.epoch = None;
        let p = to_package(&h, "/var/lib/rpm/Packages", false);
        assert_eq!((p.version.as_str(), p.epoch), ("1-2", None));
    }

    #[test]
    fn dependencies_leave_out_rpmlib_and_files() {
        let h = RpmHeader {
            name: "a".into(),
            requires: [
                "rpmlib(PayloadIsXz)",
                "/bin/sh",
                "libc.so.6()(64bit)",
                "b",
                "b",
            ]
            .map(String::from)
            .to_vec(),
            provides: ["a", "a(x86-64)", "a(x86-64)"].map(String::from).to_vec(),
            packager: Some("P".into()),
            sigmd5: Some(vec![0xab, 0x01]),
            ..Default::default()
        };
        let p = to_package(&h, "/db", true);
        assert_eq!(p.depends, ["libc.so.6()(64bit)", "b"]);
        assert_eq!(p.provides, ["a(x86-64)"]);
        assert_eq!(p.supplier.as_deref(), Some("P"));
        assert_eq!(
            p.properties.get("rpm:sigmd5").map(String::as_str),
            Some("ab01")
        );
    }
}
