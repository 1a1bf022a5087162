//! Binaries identified by their contents (see `detect::binary`) that a package manager
//! installed belong to that package: they are dropped, as Syft drops binary-classifier
//! packages whose files an OS package owns, so nothing is listed twice.

use std::collections::HashSet;

use sbom_core::Package;

use crate::detect::binary::{FOUND_BY, FOUND_BY_BINARY};

fn classified(p: &Package) -> bool {
    p.properties.get(FOUND_BY).map(String::as_str) == Some(FOUND_BY_BINARY)
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
    let owned: HashSet<&str> = packages
        .iter()
        .filter(|p| !classified(p))
        .flat_map(|p| p.files.iter().map(String::as_str))
        .filter(|f| wanted.iter().any(|w| w.len() == f.len() && w == f))
        .collect();
    let gone: Vec<bool> = packages
        .iter()
        .map(|p| {
            classified(p)
                && (owned.contains(p.database_path.as_str())
                    || usr_alias(&p.database_path).is_some_and(|a| owned.contains(a.as_str())))
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
}
