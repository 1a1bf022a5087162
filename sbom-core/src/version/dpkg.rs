//! Debian version ordering (deb-version(7)): `[epoch:]upstream[-revision]`, compared epoch
//! first (numerically), then upstream, then revision, each with dpkg's "verrevcmp" rule:
//! alternate non-digit runs (compared char by char, `~` before everything, even the end;
//! letters before other characters) and digit runs (compared numerically).
//!
//! Hand-written (about 60 lines) rather than the `debversion` crate: the rule is short,
//! fully specified by deb-version(7), and checked here against the real
//! `dpkg --compare-versions` (testdata/dpkg/vercmp.tsv); a dependency would add more code
//! than it saves. Numbers are compared as digit strings, so no overflow on long runs.

use std::cmp::Ordering;

use super::compare_numbers;

/// Compares two Debian versions the way `dpkg --compare-versions` does. A total preorder:
/// `1.0` and `1.00` (or `0:1` and `1`) are equal.
pub fn compare(a: &str, b: &str) -> Ordering {
    let (ea, ua, ra) = split(a);
    let (eb, ub, rb) = split(b);
    compare_numbers(ea.as_bytes(), eb.as_bytes())
        .then_with(|| verrevcmp(ua, ub))
        .then_with(|| verrevcmp(ra, rb))
}

/// (epoch, upstream, revision). A missing epoch is 0; the revision follows the last `-`.
fn split(v: &str) -> (&str, &str, &str) {
    let v = v.trim();
    let (epoch, rest) = match v.split_once(':') {
        Some((e, rest)) if e.bytes().all(|c| c.is_ascii_digit()) => (e, rest),
        _ => ("0", v),
    };
    match rest.rsplit_once('-') {
        Some((u, r)) => (epoch, u, r),
        None => (epoch, rest, ""),
    }
}

/// Weight of one non-digit character: `~` sorts before the end of the string, the end and
/// digits weigh 0, letters their ASCII value, everything else after all letters.
fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(b'~') => -1,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(c) => i32::from(c) + 256,
    }
}

fn verrevcmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        // non-digit prefix, character by character
        while (i < a.len() && !a[i].is_ascii_digit()) || (j < b.len() && !b[j].is_ascii_digit()) {
            let ca = order(a.get(i).copied());
            let cb = order(b.get(j).copied());
            if ca != cb {
                return ca.cmp(&cb);
            }
            i += 1;
            j += 1;
        }
        // digit run, numerically
        let si = i;
        while i < a.len() && a[i].is_ascii_digit() {
            i += 1;
        }
        let sj = j;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        let ord = compare_numbers(&a[si..i], &b[sj..j]);
        if ord != Ordering::Equal {
            return ord;
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every line of testdata/dpkg/vercmp.tsv (`a<TAB>b<TAB>lt|eq|gt`, produced by the real
    /// `dpkg --compare-versions` with make-vercmp-table.sh) must agree.
    #[test]
    fn agrees_with_dpkg_compare_versions() {
        let n = super::super::tests::assert_agrees_with_table("dpkg/vercmp.tsv", compare);
        assert!(n >= 150, "only {n} pairs");
    }

    proptest::proptest! {
        #[test]
        fn total_order(a in "[0-9a-z.+~:-]{0,12}", b in "[0-9a-z.+~:-]{0,12}", c in "[0-9a-z.+~:-]{0,12}") {
            proptest::prop_assert_eq!(compare(&a, &a), Ordering::Equal);
            proptest::prop_assert_eq!(compare(&a, &b), compare(&b, &a).reverse());
            if compare(&a, &b) != Ordering::Greater && compare(&b, &c) != Ordering::Greater {
                proptest::prop_assert_ne!(compare(&a, &c), Ordering::Greater);
            }
        }

        #[test]
        fn any_string_never_panics(a in ".{0,20}", b in ".{0,20}") {
            let _ = compare(&a, &b);
        }
    }
}
