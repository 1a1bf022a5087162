//! Binaries identified by their contents (see `detect::binary`) or their package notes (see
//! `detect::elfnote`) that a package manager installed belong to that package: they are
//! dropped, as Syft drops binary-classifier packages whose files an OS package owns, so
//! nothing is listed twice. A package note also names its package outright: one that a
//! package database lists by the same name (or source name) and version is that package,
//! file lists or not (rpm manifests of distroless images have none).

use std::collections::HashSet;

use sbom_core::Package;

use crate::detect::binary::{FOUND_BY, FOUND_BY_BINARY};

fn classified(p: &Package) -> bool {
    matches!(
        p.properties.get(FOUND_BY).map(String::as_str),
        Some(FOUND_BY_BINARY) | Some(sbom_core::FOUND_BY_ELF_PACKAGE_NOTE)
    )
}

fn noted(p: &Package) -> bool {
    p.properties.get(FOUND_BY).map(String::as_str) == Some(sbom_core::FOUND_BY_ELF_PACKAGE_NOTE)
}

/// Whether a database-recorded package is the one `note` names.
fn same_package(note: &Package, recorded: &Package) -> bool {
    recorded.ecosystem == note.ecosystem
        && recorded.version_without_epoch() == note.version_without_epoch()
        && (recorded.name == note.name
            || recorded
                .source
                .as_ref()
                .is_some_and(|s| s.name == note.name))
}

/// Whether any of `packages` was identified from a binary's contents.
pub(crate) fn has_classified(packages: &[Package]) -> bool {
    packages.iter().any(classified)
}

/// The same file under the merged-/usr alias: `/bin/x` and `/usr/bin/x` (Debian 12's dpkg
/// lists `/bin/busybox`; the image's tar may hold it under `/usr/bin`).
pub(super) fn usr_alias(path: &str) -> Option<String> {
    for dir in ["/bin/", "/sbin/", "/lib/", "/lib32/", "/lib64/", "/libx32/"] {
        if let Some(rest) = path.strip_prefix(dir) {
            return Some(format!("/usr{dir}{rest}"));
        }
        if let Some(rest) = path.strip_prefix(&format!("/usr{dir}")) {
            return Some(format!("{dir}{rest}"));
        }
    }
    None
}

/// Removes the classified packages whose file another package lists among its files.
///
/// The few classified paths are looked for among the many owned ones, not the other way
/// round: hashing every owned path into a set (200k on debian-large) took 27 % of a
/// warm-cache scan; comparing lengths first against a handful of paths costs next to nothing.
pub(crate) fn drop_owned_binaries(packages: &mut Vec<Package>) {
    let mut wanted: Vec<String> = Vec::new();
    for p in packages.iter().filter(|p| classified(p)) {
        wanted.extend(usr_alias(&p.database_path));
        wanted.push(p.database_path.clone());
    }
    if wanted.is_empty() {
        return;
    }
    // a kernel's modules make thousands of classified paths: then a set of them, probed
    // once per owned path, beats the linear scan
    let wanted_set: Option<HashSet<&str>> =
        (wanted.len() > 64).then(|| wanted.iter().map(String::as_str).collect());
    let owned: HashSet<&str> = packages
        .iter()
        .filter(|p| !classified(p))
        .flat_map(|p| p.files.iter().map(String::as_str))
        .filter(|f| match &wanted_set {
            Some(set) => set.contains(f),
            None => wanted.iter().any(|w| w.len() == f.len() && w == f),
        })
        .collect();
    let gone: Vec<bool> = packages
        .iter()
        .map(|p| {
            classified(p)
                && (owned.contains(p.database_path.as_str())
                    || usr_alias(&p.database_path).is_some_and(|a| owned.contains(a.as_str()))
                    || (noted(p)
                        && packages
                            .iter()
                            .any(|r| !classified(r) && same_package(p, r))))
        })
        .collect();
    let mut i = 0;
    packages.retain(|_| {
        i += 1;
        !gone[i - 1]
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use sbom_core::Ecosystem;

    #[test]
    fn a_binary_a_package_lists_is_dropped_under_either_usr_alias() {
        let mut dpkg = Package::new(Ecosystem::Deb, "busybox", "1:1.35.0-4");
        dpkg.files = vec!["/bin/busybox".into(), "/usr/sbin/nginx".into()];
        let bin = |path: &str| {
            let mut p = Package::new(Ecosystem::Generic, "x", "1");
            p.database_path = path.into();
            p.properties.insert(FOUND_BY.into(), FOUND_BY_BINARY.into());
            p
        };
        let mut v = vec![
            dpkg,
            bin("/usr/bin/busybox"),
            bin("/usr/sbin/nginx"),
            bin("/usr/local/sbin/nginx"),
        ];
        drop_owned_binaries(&mut v);
        let left: Vec<&str> = v.iter().map(|p| p.database_path.as_str()).collect();
        assert_eq!(left, ["", "/usr/local/sbin/nginx"]);
    }

    #[test]
    fn a_package_note_a_database_records_is_dropped() {
        let note = |eco, name: &str, version: &str, path: &str| {
            let mut p = Package::new(eco, name, version);
            p.database_path = path.into();
            p.properties
                .insert(FOUND_BY.into(), sbom_core::FOUND_BY_ELF_PACKAGE_NOTE.into());
            p
        };
        // Debian's notes name the source package; an rpm manifest lists no files
        let mut dpkg = Package::new(Ecosystem::Deb, "libsystemd0", "252.38-1~deb12u1");
        dpkg.source = Some(sbom_core::SourcePackage {
            name: "systemd".into(),
            ..Default::default()
        });
        let manifest = Package::new(Ecosystem::Rpm, "hello", "2.12.1-3.azl3");
        let mut v = vec![
            dpkg,
            manifest,
            note(
                Ecosystem::Deb,
                "systemd",
                "252.38-1~deb12u1",
                "/opt/a/libsystemd.so.0",
            ),
            note(Ecosystem::Rpm, "hello", "2.12.1-3.azl3", "/usr/bin/hello"),
            // another version, another type: not the recorded package
            note(Ecosystem::Rpm, "hello", "2.12.1-4.azl3", "/opt/b/hello"),
            note(Ecosystem::Generic, "hello", "2.12.1-3.azl3", "/opt/c/hello"),
        ];
        drop_owned_binaries(&mut v);
        let left: Vec<&str> = v.iter().map(|p| p.database_path.as_str()).collect();
        assert_eq!(left, ["", "", "/opt/b/hello", "/opt/c/hello"]);
    }
}
