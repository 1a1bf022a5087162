//! Splitting a package directory name (`PF`, `font-adobe-100dpi-1.0.3-r2`) into the
//! package name and version by the rules of the Package Manager Specification (PMS 3.2):
//! the version is the first `-`-separated tail that is a whole version, optionally with a
//! `-rN` revision, as portage's `pkgsplit` finds it.

/// `1.0.3`, `2024a`, `13.2.1_p20240210`, `1.0_alpha1_rc4`: digits and dots, one optional
/// letter, then any number of `_alpha`, `_beta`, `_pre`, `_rc`, `_p` suffixes each with
/// optional digits.
fn is_version(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    loop {
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
        if i < b.len() && b[i] == b'.' {
            i += 1;
            continue;
        }
        break;
    }
    if i < b.len() && b[i].is_ascii_lowercase() {
        i += 1;
    }
    while i < b.len() {
        if b[i] != b'_' {
            return false;
        }
        i += 1;
        // `pre` before `p`: the longer suffix first
        let Some(n) = ["alpha", "beta", "pre", "rc", "p"]
            .iter()
            .find(|suffix| b[i..].starts_with(suffix.as_bytes()))
            .map(|suffix| suffix.len())
        else {
            return false;
        };
        i += n;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
    }
    true
}

/// `1.0.3-r2` or `1.0.3`: a version with an optional revision.
fn is_version_with_revision(s: &str) -> bool {
    match s.rsplit_once("-r") {
        Some((v, r)) if !r.is_empty() && r.bytes().all(|c| c.is_ascii_digit()) => is_version(v),
        _ => is_version(s),
    }
}

/// Whether `name` is a valid package name: `[A-Za-z0-9+_-]`, not starting with `-` or `+`,
/// and not ending in `-` followed by something that is a version.
fn is_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(['-', '+'])
        && name
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'_' | b'-'))
        && !name
            .match_indices('-')
            .any(|(i, _)| is_version(&name[i + 1..]))
}

/// `(name, version)` of a `PF`; the version keeps its `-rN` revision. `None` when no tail
/// is a version.
pub fn split_pf(pf: &str) -> Option<(&str, &str)> {
    pf.match_indices('-')
        .map(|(i, _)| (&pf[..i], &pf[i + 1..]))
        .find(|(name, version)| is_version_with_revision(version) && is_name(name))
}
