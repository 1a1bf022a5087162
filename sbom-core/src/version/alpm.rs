//! pacman's version comparison (libalpm's `alpm_pkg_vercmp`, the `vercmp` tool), for
//! ordering versions of one Arch Linux package.
//!
//! `[epoch:]pkgver[-pkgrel]`: epochs first, then versions, then releases when both have one,
//! each compared like rpm's `rpmvercmp` (runs of digits by value, runs of letters bytewise, a
//! number newer than letters) with pacman's own differences: separators count (a longer run
//! of separators is newer: `1.0..1 > 1.0.1`), there is no `~` or `^`, and a version that
//! goes on with letters after the other has ended is older (`1.0a < 1.0`), where rpm has it
//! newer. Checked against pacman's `vercmp` on `testdata/version/alpm.tsv`.

use std::cmp::Ordering;

use super::compare_numbers;

/// Compares two `[epoch:]pkgver[-pkgrel]` strings as pacman orders packages.
///
/// ```
/// use std::cmp::Ordering;
/// use sbom_core::version::alpm::compare;
/// assert_eq!(compare("1:1.0-1", "2.0-1"), Ordering::Greater);
/// assert_eq!(compare("1.0a-1", "1.0-1"), Ordering::Less);
/// assert_eq!(compare("1.0-1", "1.0"), Ordering::Equal);
/// ```
pub fn compare(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (ea, va, ra) = split(a);
    let (eb, vb, rb) = split(b);
    segments(ea, eb)
        .then_with(|| segments(va, vb))
        .then_with(|| match (ra, rb) {
            (Some(x), Some(y)) => segments(x, y),
            _ => Ordering::Equal,
        })
}

/// `epoch`, `version`, `release`: the epoch is the leading digits before a `:` (else `0`),
/// the release what follows the last `-` after it.
fn split(v: &str) -> (&str, &str, Option<&str>) {
    let digits = v.bytes().take_while(u8::is_ascii_digit).count();
    let (epoch, rest) = if v.as_bytes().get(digits) == Some(&b':') {
        let e = &v[..digits];
        (if e.is_empty() { "0" } else { e }, &v[digits + 1..])
    } else {
        ("0", v)
    };
    match rest.rsplit_once('-') {
        Some((ver, rel)) => (epoch, ver, Some(rel)),
        None => (epoch, rest, None),
    }
}

/// libalpm's `rpmvercmp`, on one part.
fn segments(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        let (si, sj) = (i, j);
        while i < a.len() && !a[i].is_ascii_alphanumeric() {
            i += 1;
        }
        while j < b.len() && !b[j].is_ascii_alphanumeric() {
            j += 1;
        }
        if i == a.len() || j == b.len() {
            break;
        }
        // unlike rpm, the separators' lengths matter
        if i - si != j - sj {
            return (i - si).cmp(&(j - sj));
        }
        let numeric = a[i].is_ascii_digit();
        let take = |s: &[u8], mut k: usize| {
            while k < s.len()
                && (if numeric {
                    s[k].is_ascii_digit()
                } else {
                    s[k].is_ascii_alphabetic()
                })
            {
                k += 1;
            }
            k
        };
        let (ei, ej) = (take(a, i), take(b, j));
        if ej == j {
            // b has the other kind of run here: numbers are newer than letters
            return if numeric {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let c = if numeric {
            compare_numbers(&a[i..ei], &b[j..ej])
        } else {
            a[i..ei].cmp(&b[j..ej])
        };
        if c != Ordering::Equal {
            return c;
        }
        i = ei;
        j = ej;
    }
    let (ra, rb) = (&a[i.min(a.len())..], &b[j.min(b.len())..]);
    if ra.is_empty() && rb.is_empty() {
        return Ordering::Equal;
    }
    // what is left decides: letters left on a, or nothing on a against anything but letters
    // on b, make a the older
    let alpha = |s: &[u8]| s.first().is_some_and(u8::is_ascii_alphabetic);
    if (ra.is_empty() && !alpha(rb)) || alpha(ra) {
        Ordering::Less
    } else {
        Ordering::Greater
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table `make-alpm-table.sh` made by asking pacman's `vercmp`.
    #[test]
    fn agrees_with_pacman() {
        let n = super::super::tests::assert_agrees_with_table("version/alpm.tsv", compare);
        assert!(n > 2000, "table has only {n} rows");
    }

    proptest::proptest! {
        #[test]
        fn antisymmetric(a in "[0-9a-c.:_-]{0,8}", b in "[0-9a-c.:_-]{0,8}") {
            proptest::prop_assert_eq!(compare(&a, &b), compare(&b, &a).reverse());
        }
    }
}
