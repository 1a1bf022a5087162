//! Version ordering: the digit-run comparison the package managers' orders share, and
//! [`version_order`], which picks the order of an ecosystem.
//!
//! Each package manager's own rules stay in its folder (`dpkg/version.rs`,
//! `rpm/version.rs`, `apk/version.rs`): they differ in every detail but this one, that a
//! run of digits compares by its value.

use std::cmp::Ordering;

use sbom_core::Ecosystem;

/// Compares two runs of ASCII digits by value (empty is 0) without parsing them, so runs
/// longer than any integer type (dates, commit counts) still compare right.
pub(crate) fn compare_numbers(a: &[u8], b: &[u8]) -> Ordering {
    let a = &a[a.iter().take_while(|&&c| c == b'0').count()..];
    let b = &b[b.iter().take_while(|&&c| c == b'0').count()..];
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// Orders two versions of one package by its package manager's rules, where we have them:
/// dpkg, rpm (epoch, version, release) and apk. `None` for other ecosystems.
///
/// ```
/// use std::cmp::Ordering;
/// use sbom_core::Ecosystem;
/// use layer_walker::detect::version_order;
/// assert_eq!(version_order(Ecosystem::Deb, "1:1.0", "2.0"), Some(Ordering::Greater));
/// assert_eq!(version_order(Ecosystem::Apk, "1.2.3-r1", "1.2.3-r0"), Some(Ordering::Greater));
/// ```
pub fn version_order(ecosystem: Ecosystem, a: &str, b: &str) -> Option<Ordering> {
    match ecosystem {
        Ecosystem::Deb => Some(crate::detect::dpkg::version::compare(a, b)),
        Ecosystem::Rpm => Some(crate::detect::rpm::compare_evr(a, b)),
        Ecosystem::Apk => Some(crate::detect::apk::version::compare(a, b)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digit_runs_compare_by_value() {
        use Ordering::*;
        for (a, b, want) in [
            ("", "", Equal),
            ("", "0", Equal),
            ("007", "7", Equal),
            ("9", "10", Less),
            ("10", "9", Greater),
            ("0010", "9", Greater),
            // past u64::MAX
            ("184467440737095516160", "184467440737095516161", Less),
            ("99999999999999999999999", "100000000000000000000000", Less),
        ] {
            assert_eq!(
                compare_numbers(a.as_bytes(), b.as_bytes()),
                want,
                "{a} vs {b}"
            );
        }
    }

    #[test]
    fn only_the_three_os_package_managers_have_an_order() {
        assert_eq!(
            version_order(Ecosystem::Rpm, "1.10-1", "1.9-1"),
            Some(Ordering::Greater)
        );
        assert_eq!(
            version_order(Ecosystem::Deb, "1.0~rc1", "1.0"),
            Some(Ordering::Less)
        );
        assert_eq!(version_order(Ecosystem::Npm, "1.0.0", "2.0.0"), None);
    }
}
