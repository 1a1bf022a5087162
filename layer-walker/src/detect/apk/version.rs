//! Alpine package version ordering, following apk-tools' documented version format
//! (apk-package(5), "pkgver"; Alpine wiki "APKBUILD Reference: pkgver"):
//! `number{.number}[letter]{_suffix[number]}[-rREVISION]`, where
//!
//! * numbers compare by value, except that a later component with a leading zero compares
//!   as a decimal fraction (`1.01 < 1.1`), as apk does;
//! * one letter may follow the numbers (`1.0a > 1.0`);
//! * suffixes: `_alpha < _beta < _pre < _rc` are pre-releases and sort *before* the bare
//!   version; `_cvs < _svn < _git < _hg < _p` sort *after* it;
//! * `-rN` is the package revision, compared last;
//! * where two versions run out of matching parts, the one that goes on is greater unless
//!   what follows is a pre-release suffix (`1.0.1 > 1.0`, `1.0_rc1 < 1.0`), and of two
//!   different kinds of part, a number beats a letter beats a suffix beats a revision
//!   (`1.0.1 > 1.0a`).
//!
//! Each part becomes a sort key and versions compare as key sequences, which makes the order
//! total by construction (the property tests below check it). Strings that do not follow the
//! format sort before every valid version, then by their bytes.

use std::cmp::Ordering;

use crate::detect::dpkg::version::compare_numbers;

/// One part of a parsed version, in the order apk ranks parts of different kinds at the
/// same position (lowest first).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part<'a> {
    /// `_alpha` .. `_rc`: rank 0..=3.
    PreSuffix(u8),
    /// The end of the version.
    End,
    /// `-rN`.
    Revision(&'a str),
    /// The number after a suffix.
    SuffixNumber(&'a str),
    /// `_cvs` .. `_p`: rank 0..=4.
    PostSuffix(u8),
    Letter(u8),
    /// A dot-separated number; `first` is the leading component (always by value).
    Number {
        digits: &'a str,
        first: bool,
    },
}

impl Part<'_> {
    fn class(&self) -> u8 {
        match self {
            Part::PreSuffix(_) => 0,
            Part::End => 1,
            Part::Revision(_) => 2,
            Part::SuffixNumber(_) => 3,
            Part::PostSuffix(_) => 4,
            Part::Letter(_) => 5,
            Part::Number { .. } => 6,
        }
    }

    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Part::PreSuffix(a), Part::PreSuffix(b))
            | (Part::PostSuffix(a), Part::PostSuffix(b))
            | (Part::Letter(a), Part::Letter(b)) => a.cmp(b),
            (Part::Revision(a), Part::Revision(b))
            | (Part::SuffixNumber(a), Part::SuffixNumber(b)) => compare_numbers(a, b),
            (
                Part::Number {
                    digits: a,
                    first: fa,
                },
                Part::Number {
                    digits: b,
                    first: fb,
                },
            ) => {
                if *fa || *fb {
                    compare_numbers(a, b)
                } else {
                    number_key(a).cmp(&number_key(b))
                }
            }
            _ => self.class().cmp(&other.class()),
        }
    }
}

/// Later components: a leading zero means a decimal fraction (`01` < `1`, compared as
/// strings); others compare by value. Fractions sort below whole numbers.
fn number_key(d: &str) -> (u8, usize, &str) {
    if d.len() > 1 && d.starts_with('0') {
        (0, 0, d)
    } else {
        let t = d.trim_start_matches('0');
        (1, t.len(), t)
    }
}

const PRE: [&str; 4] = ["alpha", "beta", "pre", "rc"];
const POST: [&str; 5] = ["cvs", "svn", "git", "hg", "p"];

fn digits(s: &str) -> (&str, &str) {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    s.split_at(end)
}

/// The parts of a valid version, `None` when it does not follow the format.
fn parse(v: &str) -> Option<Vec<Part<'_>>> {
    let mut parts = Vec::new();
    let (mut num, mut rest) = digits(v);
    if num.is_empty() {
        return None;
    }
    parts.push(Part::Number {
        digits: num,
        first: true,
    });
    while let Some(r) = rest.strip_prefix('.') {
        (num, rest) = digits(r);
        if num.is_empty() {
            return None;
        }
        parts.push(Part::Number {
            digits: num,
            first: false,
        });
    }
    if let Some(c) = rest.bytes().next().filter(u8::is_ascii_lowercase) {
        parts.push(Part::Letter(c));
        rest = &rest[1..];
    }
    while let Some(r) = rest.strip_prefix('_') {
        let end = r.find(|c: char| !c.is_ascii_lowercase()).unwrap_or(r.len());
        let (name, after) = r.split_at(end);
        if let Some(i) = PRE.iter().position(|s| *s == name) {
            parts.push(Part::PreSuffix(i as u8));
        } else if let Some(i) = POST.iter().position(|s| *s == name) {
            parts.push(Part::PostSuffix(i as u8));
        } else {
            return None;
        }
        (num, rest) = digits(after);
        if !num.is_empty() {
            parts.push(Part::SuffixNumber(num));
        }
    }
    // `~hash` (a commit id newer apk versions allow) does not take part in ordering
    if let Some(r) = rest.strip_prefix('~') {
        let end = r.find('-').unwrap_or(r.len());
        if !r[..end].bytes().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        rest = &r[end..];
    }
    if let Some(r) = rest.strip_prefix("-r") {
        (num, rest) = digits(r);
        if num.is_empty() {
            return None;
        }
        parts.push(Part::Revision(num));
    }
    if !rest.is_empty() {
        return None;
    }
    parts.push(Part::End);
    Some(parts)
}

/// Compares two apk versions. Total: invalid strings sort first, among themselves by bytes.
pub fn compare(a: &str, b: &str) -> Ordering {
    match (parse(a), parse(b)) {
        (Some(pa), Some(pb)) => {
            for (x, y) in pa.iter().zip(pb.iter()) {
                let o = x.cmp(y);
                if o != Ordering::Equal {
                    return o;
                }
            }
            // both end with `End`, so a common prefix that long means equal
            Ordering::Equal
        }
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (None, None) => a.cmp(b),
    }
}

/// Whether `v` follows apk's version format.
pub fn is_valid(v: &str) -> bool {
    parse(v).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each pair is strictly increasing by a rule quoted in the module docs.
    #[test]
    fn documented_rules() {
        let ascending = [
            // numbers by value, more components is greater
            ("1.2", "1.10"),
            ("1.0", "1.0.1"),
            ("2", "10"),
            // leading zero: decimal fraction
            ("1.01", "1.1"),
            ("1.001", "1.01"),
            // letter after the numbers
            ("1.0", "1.0a"),
            ("1.0a", "1.0b"),
            ("1.0a", "1.0.1"),
            // pre-release suffixes before the bare version, in order
            ("1.0_alpha", "1.0_beta"),
            ("1.0_beta", "1.0_pre"),
            ("1.0_pre", "1.0_rc"),
            ("1.0_rc", "1.0"),
            ("1.0_rc1", "1.0_rc2"),
            ("1.0_rc", "1.0_rc1"),
            ("1.0_alpha9", "1.0_beta1"),
            // post-release suffixes after it, in order
            ("1.0", "1.0_cvs"),
            ("1.0_cvs", "1.0_svn"),
            ("1.0_svn", "1.0_git"),
            ("1.0_git", "1.0_hg"),
            ("1.0_hg", "1.0_p"),
            ("1.0_p1", "1.0_p2"),
            ("1.0_p9", "1.0.1"),
            ("1.2.3_git20230424", "1.2.3_p0"),
            // revision last
            ("1.0", "1.0-r1"),
            ("1.0-r1", "1.0-r2"),
            ("1.0-r9", "1.0-r10"),
            ("1.0_rc1-r5", "1.0-r0"),
            ("1.0-r5", "1.0a-r0"),
            ("1.0-r5", "1.0_p1-r0"),
            // invalid sorts first
            ("latest", "0"),
        ];
        for (a, b) in ascending {
            assert_eq!(compare(a, b), Ordering::Less, "{a} < {b}");
            assert_eq!(compare(b, a), Ordering::Greater, "{b} > {a}");
        }
        for (a, b) in [
            ("1.0", "1.0"),
            ("01.0", "1.0"),
            ("1.0~abc123-r1", "1.0-r1"),
            ("1.0-r0", "1.0-r00"),
        ] {
            assert_eq!(compare(a, b), Ordering::Equal, "{a} = {b}");
        }
        for bad in [
            "", "a1", "1.", "1..2", "1.0_foo", "1.0-r", "1.0-x", "1.0aa", "1 0",
        ] {
            assert!(!is_valid(bad), "{bad}");
        }
    }

    /// Every version in the fixture databases is valid, and sorting them is stable.
    #[test]
    fn fixture_versions_are_valid() {
        for case in ["alpine-3.10", "alpine-3.16", "alpine-3.21-39pkgs"] {
            let path = format!(
                "{}/../testdata/apk/{case}/lib/apk/db/installed",
                env!("CARGO_MANIFEST_DIR")
            );
            let text = std::fs::read_to_string(path).expect("fixture");
            for v in text.lines().filter_map(|l| l.strip_prefix("V:")) {
                assert!(is_valid(v), "{case}: {v}");
            }
        }
    }

    fn version() -> impl proptest::strategy::Strategy<Value = String> {
        "[0-9]{1,3}(\\.[0-9]{1,3}){0,2}[a-c]?(_(alpha|beta|pre|rc|cvs|svn|git|hg|p)[0-9]{0,2}){0,2}(-r[0-9]{1,2})?"
    }

    proptest::proptest! {
        #[test]
        fn total_order(a in version(), b in version(), c in version()) {
            proptest::prop_assert!(is_valid(&a));
            proptest::prop_assert_eq!(compare(&a, &a), Ordering::Equal);
            proptest::prop_assert_eq!(compare(&a, &b), compare(&b, &a).reverse());
            if compare(&a, &b) != Ordering::Greater && compare(&b, &c) != Ordering::Greater {
                proptest::prop_assert_ne!(compare(&a, &c), Ordering::Greater);
            }
        }

        #[test]
        fn total_order_with_invalid(a in ".{0,10}", b in version(), c in "[0-9._a-z-]{0,10}") {
            proptest::prop_assert_eq!(compare(&a, &b), compare(&b, &a).reverse());
            if compare(&a, &b) != Ordering::Greater && compare(&b, &c) != Ordering::Greater {
                proptest::prop_assert_ne!(compare(&a, &c), Ordering::Greater);
            }
        }
    }
}
