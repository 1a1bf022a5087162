//! rpm's version comparison (`rpmvercmp`), for ordering versions of one package.
//!
//! A version is split into runs of digits and runs of letters; everything else separates
//! runs. Runs compare pairwise: numbers numerically (leading zeros ignored), letters
//! bytewise, and a number is newer than letters. `~` sorts before anything, even the end of
//! the string (`1.0~rc1 < 1.0`); `^` sorts after the end but before anything else
//! (`1.0 < 1.0^git1 < 1.0.1`).

use std::cmp::Ordering;

use super::compare_numbers;

/// Compares two full `[epoch:]version[-release]` strings as rpm orders packages: epoch
/// (missing = 0) by value, then version, then release with [`rpmvercmp`]. A release missing
/// on one side is not compared (rpm's rule for dependency ranges, and the safe one here).
///
/// ```
/// use std::cmp::Ordering;
/// use sbom_core::version::rpm::compare_evr;
/// assert_eq!(compare_evr("1:1.0-1", "2.0-1"), Ordering::Greater);
/// assert_eq!(compare_evr("2.0-1.fc40", "2.0-2.fc40"), Ordering::Less);
/// ```
pub fn compare_evr(a: &str, b: &str) -> Ordering {
    fn split(v: &str) -> (&str, &str, Option<&str>) {
        let (epoch, rest) = match v.split_once(':') {
            Some((e, rest)) if !e.is_empty() && e.bytes().all(|c| c.is_ascii_digit()) => (e, rest),
            _ => ("0", v),
        };
        match rest.rsplit_once('-') {
            Some((ver, rel)) => (epoch, ver, Some(rel)),
            None => (epoch, rest, None),
        }
    }
    let (ea, va, ra) = split(a);
    let (eb, vb, rb) = split(b);
    compare_numbers(ea.as_bytes(), eb.as_bytes())
        .then_with(|| rpmvercmp(va, vb))
        .then_with(|| match (ra, rb) {
            (Some(x), Some(y)) => rpmvercmp(x, y),
            _ => Ordering::Equal,
        })
}

/// Compares two version (or release) strings the way rpm does.
///
/// ```
/// use std::cmp::Ordering;
/// use sbom_core::version::rpm::rpmvercmp;
/// assert_eq!(rpmvercmp("1.0~rc1", "1.0"), Ordering::Less);
/// assert_eq!(rpmvercmp("1.10", "1.9"), Ordering::Greater);
/// ```
pub fn rpmvercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (mut one, mut two) = (a.as_bytes(), b.as_bytes());
    let is_sep = |c: &u8| !c.is_ascii_alphanumeric() && *c != b'~' && *c != b'^';
    while !one.is_empty() || !two.is_empty() {
        one = &one[one.iter().take_while(|c| is_sep(c)).count()..];
        two = &two[two.iter().take_while(|c| is_sep(c)).count()..];

        // tilde: older than everything, including the end of the string
        if one.first() == Some(&b'~') || two.first() == Some(&b'~') {
            if one.first() != Some(&b'~') {
                return Ordering::Greater;
            }
            if two.first() != Some(&b'~') {
                return Ordering::Less;
            }
            one = &one[1..];
            two = &two[1..];
            continue;
        }
        // caret: newer than the end of the string, older than anything else
        if one.first() == Some(&b'^') || two.first() == Some(&b'^') {
            if one.is_empty() {
                return Ordering::Less;
            }
            if two.is_empty() {
                return Ordering::Greater;
            }
            if one.first() != Some(&b'^') {
                return Ordering::Greater;
            }
            if two.first() != Some(&b'^') {
                return Ordering::Less;
            }
            one = &one[1..];
            two = &two[1..];
            continue;
        }
        if one.is_empty() || two.is_empty() {
            break;
        }
        // the first string's run decides whether this is a numeric or an alphabetic run
        let numeric = one[0].is_ascii_digit();
        let run = |s: &[u8]| {
            s.iter()
                .take_while(|c| {
                    if numeric {
                        c.is_ascii_digit()
                    } else {
                        c.is_ascii_alphabetic()
                    }
                })
                .count()
        };
        let (n1, n2) = (run(one), run(two));
        let (s1, s2) = (&one[..n1], &two[..n2]);
        one = &one[n1..];
        two = &two[n2..];
        if s2.is_empty() {
            // different kinds of run: numbers are newer than letters
            return if numeric {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        // numbers by value (leading zeros ignored), letters bytewise
        let ord = if numeric {
            compare_numbers(s1, s2)
        } else {
            s1.cmp(s2)
        };
        match ord {
            Ordering::Equal => {}
            other => return other,
        }
    }
    match (one.is_empty(), two.is_empty()) {
        (true, true) => Ordering::Equal,
        // whichever still has runs left is newer
        (true, false) => Ordering::Less,
        _ => Ordering::Greater,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_evr_order() {
        use Ordering::*;
        for (a, b, want) in [
            ("1:1.0-1", "9.9-9", Greater),
            ("0:2.0-1", "2.0-1", Equal),
            ("2.0-1.el9", "2.0-1.el9_1", Less),
            ("2.0", "2.0-5", Equal),
            ("1.0~rc1-1", "1.0-1", Less),
            ("x:1.0-1", "1.0-1", Less),
        ] {
            assert_eq!(compare_evr(a, b), want, "{a} vs {b}");
            assert_eq!(compare_evr(b, a), want.reverse(), "{b} vs {a}");
        }
    }

    /// The table `make-vercmp-table.sh` made by asking the real rpm.
    #[test]
    fn agrees_with_rpm() {
        let n = super::super::tests::assert_agrees_with_table("rpm/vercmp.tsv", rpmvercmp);
        assert!(n > 1000, "table has only {n} rows");
    }

    fn version() -> impl proptest::strategy::Strategy<Value = String> {
        proptest::string::string_regex("[0-9a-c.~^_]{0,8}").expect("valid regex")
    }

    proptest::proptest! {
        #[test]
        fn antisymmetric(a in version(), b in version()) {
            proptest::prop_assert_eq!(rpmvercmp(&a, &b), rpmvercmp(&b, &a).reverse());
        }

        #[test]
        fn transitive(a in version(), b in version(), c in version()) {
            let v = [&a, &b, &c];
            for (x, y, z) in [(0, 1, 2), (0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0)] {
                let xy = rpmvercmp(v[x], v[y]);
                let yz = rpmvercmp(v[y], v[z]);
                if xy != Ordering::Greater && yz != Ordering::Greater {
                    let want = if xy == Ordering::Equal && yz == Ordering::Equal {
                        Ordering::Equal
                    } else {
                        Ordering::Less
                    };
                    proptest::prop_assert_eq!(rpmvercmp(v[x], v[z]), want, "{:?} {:?} {:?}", v[x], v[y], v[z]);
                }
            }
        }
    }
}
