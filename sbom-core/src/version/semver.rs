//! Semantic Versioning 2.0.0 precedence (semver.org, section 11), as npm, Go modules, Cargo
//! and NuGet order versions: `MAJOR.MINOR.PATCH`, compared numerically; a pre-release
//! (`-rc.1`) sorts before its release, its dot-separated identifiers compared numerically
//! when all digits, else by ASCII, numbers before words, fewer identifiers first; build
//! metadata (`+build.5`) is ignored.
//!
//! Checked against npm's own `semver` package on every pair of testdata/version/semver.tsv.
//! Hand-written (about 60 lines) rather than the `semver` crate, which rejects what package
//! records hold beside strict versions: a `v` prefix (Go), two components (`1.2`), four
//! (NuGet's `1.2.3.4`). Those are read leniently: missing components are 0, a leading `v` or
//! `=` is dropped. A component that is not a number compares by ASCII after all numbers,
//! which keeps the order total.

use std::cmp::Ordering;

use super::compare_numbers;

/// Compares two versions by semver precedence.
///
/// ```
/// use std::cmp::Ordering;
/// use sbom_core::version::semver::compare;
/// assert_eq!(compare("1.0.0-alpha", "1.0.0-alpha.1"), Ordering::Less);
/// assert_eq!(compare("1.0.0-rc.1", "1.0.0"), Ordering::Less);
/// assert_eq!(compare("v1.2.3", "1.2.3+build.7"), Ordering::Equal);
/// assert_eq!(compare("1.2", "1.2.0"), Ordering::Equal);
/// ```
pub fn compare(a: &str, b: &str) -> Ordering {
    let (ca, pa) = split(a);
    let (cb, pb) = split(b);
    compare_core(ca, cb).then_with(|| match (pa, pb) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => compare_pre(x, y),
    })
}

/// (core, pre-release) with the prefix and build metadata dropped.
fn split(v: &str) -> (&str, Option<&str>) {
    let v = v.trim();
    let v = v.strip_prefix(['v', 'V', '=']).unwrap_or(v);
    let v = v.split_once('+').map_or(v, |(v, _)| v);
    match v.split_once('-') {
        Some((core, pre)) => (core, Some(pre)),
        None => (v, None),
    }
}

fn is_number(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit())
}

fn compare_core(a: &str, b: &str) -> Ordering {
    let (mut x, mut y) = (a.split('.'), b.split('.'));
    loop {
        match (x.next(), y.next()) {
            (None, None) => return Ordering::Equal,
            (p, q) => {
                let (p, q) = (p.unwrap_or("0"), q.unwrap_or("0"));
                let o = match (is_number(p), is_number(q)) {
                    (true, true) => compare_numbers(p.as_bytes(), q.as_bytes()),
                    (true, false) => Ordering::Less,
                    (false, true) => Ordering::Greater,
                    (false, false) => p.cmp(q),
                };
                if o != Ordering::Equal {
                    return o;
                }
            }
        }
    }
}

fn compare_pre(a: &str, b: &str) -> Ordering {
    let (mut x, mut y) = (a.split('.'), b.split('.'));
    loop {
        let o = match (x.next(), y.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(p), Some(q)) => match (is_number(p), is_number(q)) {
                (true, true) => compare_numbers(p.as_bytes(), q.as_bytes()),
                (true, false) => Ordering::Less,
                (false, true) => Ordering::Greater,
                (false, false) => p.cmp(q),
            },
        };
        if o != Ordering::Equal {
            return o;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// testdata/version/semver.tsv, made by make-vercmp-table.sh with npm's `semver`.
    #[test]
    fn agrees_with_npm_semver() {
        let n = crate::version::tests::assert_agrees_with_table("version/semver.tsv", compare);
        assert!(n >= 400, "only {n} pairs");
    }

    #[test]
    fn lenient_forms() {
        use Ordering::*;
        for (a, b, want) in [
            (
                "v0.0.0-20210101000000-abcdef123456",
                "v0.0.0-20220101000000-000000000000",
                Less,
            ),
            ("1.2.3.4", "1.2.3", Greater),
            ("1.2.3.0", "1.2.3", Equal),
            ("1", "1.0.0", Equal),
            ("1.x", "1.0", Greater),
        ] {
            assert_eq!(compare(a, b), want, "{a} vs {b}");
            assert_eq!(compare(b, a), want.reverse(), "{b} vs {a}");
        }
    }

    proptest::proptest! {
        #[test]
        fn total_order(a in "[0-9a-c.+-]{0,10}", b in "[0-9a-c.+-]{0,10}", c in "[0-9a-c.+-]{0,10}") {
            proptest::prop_assert_eq!(compare(&a, &b), compare(&b, &a).reverse());
            if compare(&a, &b) != Ordering::Greater && compare(&b, &c) != Ordering::Greater {
                proptest::prop_assert_ne!(compare(&a, &c), Ordering::Greater);
            }
        }
    }
}
