//! Python version ordering, PEP 440 ("Version specifiers", as the PyPA packaging
//! specifications keep it): `[N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]`.
//!
//! * epoch first, then the release numbers with trailing zeros ignored (`1.0 == 1.0.0`);
//! * then `.devN` of a plain release < `aN` < `bN` < `rcN` < the release < `.postN`, and a
//!   `.devN` sorts just before the same version without it;
//! * then the local label (`+ubuntu.1`): none first, then segment by segment, numbers by
//!   value after words, words case-insensitively, fewer segments first.
//!
//! Spellings are normalised as PEP 440 says (`alpha`, `c`, `pre`, `preview`, `rev`, `r`,
//! `-N` as post-release, `.`/`-`/`_` separators, a leading `v`). Checked against the
//! `packaging` library (what pip uses) on every pair of testdata/version/pep440.tsv.
//! Hand-written (about 130 lines): the crates that implement PEP 440 carry specifier
//! parsing, markers and serde besides. A string that is not a PEP 440 version sorts before
//! every valid one, among themselves by bytes, which keeps the order total.

use std::cmp::Ordering;

use super::compare_numbers;

/// Compares two Python versions by PEP 440.
///
/// ```
/// use std::cmp::Ordering;
/// use sbom_core::version::pep440::compare;
/// assert_eq!(compare("2.32.0rc1", "2.32.0"), Ordering::Less);
/// assert_eq!(compare("1.0.dev1", "1.0a1"), Ordering::Less);
/// assert_eq!(compare("1.0.post1", "1.0+local"), Ordering::Greater);
/// assert_eq!(compare("1!0.1", "2024.1"), Ordering::Greater);
/// assert_eq!(compare("1.0", "1.0.0"), Ordering::Equal);
/// ```
pub fn compare(a: &str, b: &str) -> Ordering {
    match (parse(a), parse(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (None, None) => a.cmp(b),
    }
}

/// Whether `v` is a version PEP 440 accepts (in any of its permitted spellings).
pub fn is_valid(v: &str) -> bool {
    parse(v).is_some()
}

/// A number kept as its digits, so any length compares right.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Num(String);

impl Ord for Num {
    fn cmp(&self, other: &Self) -> Ordering {
        compare_numbers(self.0.as_bytes(), other.0.as_bytes())
    }
}

impl PartialOrd for Num {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The sort key: fields in comparison order; `None`/`Some` and the phase enum encode the
/// "before"/"after" rules.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    epoch: Num,
    release: Vec<Num>,
    pre: Pre,
    /// `None` (no post-release) sorts first.
    post: Option<Num>,
    dev: Dev,
    local: Vec<Local>,
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Pre {
    /// A dev release of a final version: before every pre-release of it.
    DevOfFinal,
    /// `a` = 0, `b` = 1, `rc` = 2.
    Phase(u8, Num),
    Final,
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Dev {
    Dev(Num),
    None,
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Local {
    Word(String),
    Number(Num),
}

fn parse(v: &str) -> Option<Key> {
    let s = v.trim().to_ascii_lowercase();
    let s = s.strip_prefix('v').unwrap_or(&s);
    let (public, local) = match s.split_once('+') {
        Some((p, l)) => (p, Some(l)),
        None => (s, None),
    };
    let mut rest = public;
    let epoch = match rest.split_once('!') {
        Some((e, r)) => {
            rest = r;
            digits(e)?
        }
        None => Num("0".into()),
    };
    // release: N(.N)*
    let mut release = Vec::new();
    loop {
        let n = rest.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return None;
        }
        release.push(Num(rest[..n].to_string()));
        rest = &rest[n..];
        match rest.strip_prefix('.') {
            Some(r) if r.starts_with(|c: char| c.is_ascii_digit()) => rest = r,
            _ => break,
        }
    }
    while release.len() > 1
        && release
            .last()
            .is_some_and(|n| n.0.bytes().all(|c| c == b'0'))
    {
        release.pop();
    }
    let mut pre = None;
    if let Some((phase, r)) = label(
        rest,
        &[
            ("alpha", 0),
            ("a", 0),
            ("beta", 1),
            ("b", 1),
            ("preview", 2),
            ("pre", 2),
            ("rc", 2),
            ("c", 2),
        ],
    ) {
        let (n, r) = number(r);
        pre = Some((phase, n));
        rest = r;
    }
    let mut post = None;
    if let Some(r) = rest
        .strip_prefix('-')
        .filter(|r| r.starts_with(|c: char| c.is_ascii_digit()))
    {
        let (n, r) = number(r);
        post = Some(n);
        rest = r;
    } else if let Some((_, r)) = label(rest, &[("post", 0), ("rev", 0), ("r", 0)]) {
        let (n, r) = number(r);
        post = Some(n);
        rest = r;
    }
    let mut dev = None;
    if let Some((_, r)) = label(rest, &[("dev", 0)]) {
        let (n, r) = number(r);
        dev = Some(n);
        rest = r;
    }
    if !rest.is_empty() {
        return None;
    }
    let local = match local {
        None => Vec::new(),
        Some(l) => {
            let mut out = Vec::new();
            for seg in l.split(['.', '-', '_']) {
                if seg.is_empty() || !seg.bytes().all(|c| c.is_ascii_alphanumeric()) {
                    return None;
                }
                out.push(if seg.bytes().all(|c| c.is_ascii_digit()) {
                    Local::Number(Num(seg.to_string()))
                } else {
                    Local::Word(seg.to_string())
                });
            }
            out
        }
    };
    let pre = match (pre, &post, &dev) {
        (Some((p, n)), _, _) => Pre::Phase(p, n),
        (None, None, Some(_)) => Pre::DevOfFinal,
        (None, _, _) => Pre::Final,
    };
    Some(Key {
        epoch,
        release,
        pre,
        post,
        dev: dev.map_or(Dev::None, Dev::Dev),
        local,
    })
}

fn digits(s: &str) -> Option<Num> {
    (!s.is_empty() && s.bytes().all(|c| c.is_ascii_digit())).then(|| Num(s.to_string()))
}

/// An optional separator (`.`, `-`, `_`) and one of `labels` (longest first in the list).
fn label<'a>(s: &'a str, labels: &[(&str, u8)]) -> Option<(u8, &'a str)> {
    let t = s.strip_prefix(['.', '-', '_']).unwrap_or(s);
    labels
        .iter()
        .find_map(|(l, v)| t.strip_prefix(l).map(|r| (*v, r)))
}

/// An optional separator and number after a label; a missing number is 0.
fn number(s: &str) -> (Num, &str) {
    let t = s.strip_prefix(['.', '-', '_']).unwrap_or(s);
    let n = t.bytes().take_while(u8::is_ascii_digit).count();
    if n == 0 {
        (Num("0".into()), s)
    } else {
        (Num(t[..n].to_string()), &t[n..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// testdata/version/pep440.tsv, made by make-vercmp-table.sh with `packaging`.
    #[test]
    fn agrees_with_packaging() {
        let n = crate::version::tests::assert_agrees_with_table("version/pep440.tsv", compare);
        assert!(n >= 2000, "only {n} pairs");
    }

    #[test]
    fn invalid_strings_sort_first() {
        assert!(!is_valid("not a version"));
        assert!(!is_valid("1.0+"));
        assert_eq!(compare("garbage", "0"), Ordering::Less);
    }

    proptest::proptest! {
        #[test]
        fn total_order(a in "[0-9a-e.+!-]{0,10}", b in "[0-9a-e.+!-]{0,10}", c in "[0-9a-e.+!-]{0,10}") {
            proptest::prop_assert_eq!(compare(&a, &b), compare(&b, &a).reverse());
            if compare(&a, &b) != Ordering::Greater && compare(&b, &c) != Ordering::Greater {
                proptest::prop_assert_ne!(compare(&a, &c), Ordering::Greater);
            }
        }
    }
}
