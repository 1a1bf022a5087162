//! Version orders, one per package manager, behind one [`compare`] that picks an
//! ecosystem's order.
//!
//! Each order lives in its own file ([`dpkg`], [`rpm`], [`apk`], [`alpm`], [`semver`], [`pep440`]) and
//! is checked against the package manager's own implementation on a table that tool
//! produced (`testdata/*/vercmp.tsv`, each with the script that made it). They differ in
//! every detail but one, that a run of digits compares by its value ([`compare_numbers`]).
//!
//! The scanner orders the versions a layer changed with them; the policy gate compares
//! versions against `--deny-package` ranges and `sbom diff` tells upgrades from downgrades.

use std::cmp::Ordering;

use crate::Ecosystem;

pub mod alpm;
pub mod apk;
pub mod dpkg;
pub mod pep440;
pub mod rpm;
pub mod semver;

/// Compares two runs of ASCII digits by value (empty is 0) without parsing them, so runs
/// longer than any integer type (dates, commit counts) still compare right.
///
/// ```
/// use std::cmp::Ordering;
/// use sbom_core::version::compare_numbers;
/// assert_eq!(compare_numbers(b"007", b"7"), Ordering::Equal);
/// assert_eq!(compare_numbers(b"99999999999999999999", b"100000000000000000000"), Ordering::Less);
/// ```
pub fn compare_numbers(a: &[u8], b: &[u8]) -> Ordering {
    let a = &a[a.iter().take_while(|&&c| c == b'0').count()..];
    let b = &b[b.iter().take_while(|&&c| c == b'0').count()..];
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// Orders two versions of one package by its ecosystem's rules: dpkg, rpm (epoch, version,
/// release), apk, PEP 440 for Python, and semantic versioning for npm, Go modules, Cargo and
/// NuGet. `None` for ecosystems with an order of their own we do not implement (Maven,
/// RubyGems, Composer) and for `generic`: an unknown order is never guessed.
///
/// ```
/// use std::cmp::Ordering;
/// use sbom_core::{version::compare, Ecosystem};
/// assert_eq!(compare(Ecosystem::Deb, "1:1.0", "2.0"), Some(Ordering::Greater));
/// assert_eq!(compare(Ecosystem::Apk, "1.2.3-r1", "1.2.3-r0"), Some(Ordering::Greater));
/// assert_eq!(compare(Ecosystem::Python, "2.32.0rc1", "2.32.0"), Some(Ordering::Less));
/// assert_eq!(compare(Ecosystem::Npm, "1.10.0", "1.9.0"), Some(Ordering::Greater));
/// assert_eq!(compare(Ecosystem::Maven, "1.0", "2.0"), None);
/// ```
pub fn compare(ecosystem: Ecosystem, a: &str, b: &str) -> Option<Ordering> {
    match ecosystem {
        Ecosystem::Deb => Some(dpkg::compare(a, b)),
        Ecosystem::Rpm => Some(rpm::compare_evr(a, b)),
        Ecosystem::Apk => Some(apk::compare(a, b)),
        Ecosystem::Python => Some(pep440::compare(a, b)),
        Ecosystem::Npm | Ecosystem::Go | Ecosystem::Cargo | Ecosystem::Nuget => {
            Some(semver::compare(a, b))
        }
        Ecosystem::Alpm => Some(alpm::compare(a, b)),
        Ecosystem::Cran
        | Ecosystem::Bitnami
        | Ecosystem::Conda
        | Ecosystem::Portage
        | Ecosystem::Nix
        | Ecosystem::Homebrew
        | Ecosystem::Maven
        | Ecosystem::Gem
        | Ecosystem::Composer
        | Ecosystem::Generic => None,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Checks `compare` against every row of `testdata/<rel>` (`a<TAB>b<TAB>lt|eq|gt`, or
    /// -1/0/1), both ways round; returns the number of rows.
    pub(crate) fn assert_agrees_with_table(
        rel: &str,
        compare: fn(&str, &str) -> Ordering,
    ) -> usize {
        let path = format!("{}/../testdata/{rel}", env!("CARGO_MANIFEST_DIR"));
        let table = std::fs::read_to_string(&path).expect("version table");
        let mut wrong = Vec::new();
        let mut n = 0;
        for line in table
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
        {
            let [a, b, r] = line.split('\t').collect::<Vec<_>>()[..] else {
                panic!("{rel}: bad line {line:?}");
            };
            let want = match r {
                "lt" | "-1" => Ordering::Less,
                "eq" | "0" => Ordering::Equal,
                "gt" | "1" => Ordering::Greater,
                other => panic!("{rel}: bad result {other:?}"),
            };
            let (got, back) = (compare(a, b), compare(b, a));
            if got != want || back != want.reverse() {
                wrong.push(format!(
                    "{a} vs {b}: tool says {want:?}, we say {got:?} (reversed {back:?})"
                ));
            }
            n += 1;
        }
        assert!(
            wrong.is_empty(),
            "{rel}: {} of {n} rows disagree:\n{}",
            wrong.len(),
            wrong.join("\n")
        );
        n
    }

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
    fn every_ecosystem_with_an_order_dispatches_to_it() {
        assert_eq!(
            compare(Ecosystem::Rpm, "1.10-1", "1.9-1"),
            Some(Ordering::Greater)
        );
        assert_eq!(
            compare(Ecosystem::Deb, "1.0~rc1", "1.0"),
            Some(Ordering::Less)
        );
        assert_eq!(
            compare(Ecosystem::Go, "v1.2.3-pre", "v1.2.3"),
            Some(Ordering::Less)
        );
        assert_eq!(
            compare(Ecosystem::Python, "1.0.post1", "1.0"),
            Some(Ordering::Greater)
        );
        assert_eq!(compare(Ecosystem::Gem, "1.0", "2.0"), None);
    }
}
