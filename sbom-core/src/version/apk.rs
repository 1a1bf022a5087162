//! Alpine package version ordering, as apk-tools orders them (`apk version -t`), checked
//! against the real apk-tools 2.10.4 on every pair of testdata/apk/vercmp.tsv.
//!
//! The format (apk-package(5), "pkgver"): `number{.number}[letter]{_suffix[number]}[-rN]`.
//! apk reads a version as a stream of typed tokens and compares the streams token by token:
//!
//! * numbers compare by value; in a later component (after a `.`) a run of leading zeros is
//!   a token of its own that weighs minus its length, and what follows it is another number
//!   token, so `1.01 < 1.1`, `1.001 < 1.01` and `1.00 < 1.0`;
//! * one lowercase letter may follow the numbers (`1.0a`), weighing its ASCII code;
//! * suffixes: `_alpha < _beta < _pre < _rc` weigh below zero, `_cvs < _svn < _git < _hg < _p`
//!   zero and up, each optionally followed by a number; `-rN` is the revision;
//! * when one stream ends or changes kind first, a pending pre-release suffix makes its
//!   version smaller; otherwise the version whose next token kind ranks lower (number <
//!   letter < suffix < suffix number < revision < end) is the *greater* one, so
//!   `1.0.1 > 1.0a > 1.0_p1 > 1.0-r1 > 1.0`.
//!
//! A consequence kept on purpose because apk has it: a component that is only zeros ends
//! its token early, so `1.0 < 1.0_alpha` while `1.1_alpha < 1.1` (the table records both).
//!
//! Written from the rules above rather than bound to apk-tools (C, GPL-2.0); numbers are
//! compared as digit strings, where apk's `int` would overflow past ten digits, and a
//! `~hash` commit id (accepted by apk-tools 2.12 and later) is left out of the comparison. A string
//! apk calls invalid sorts before every valid version, then by its bytes, which keeps the
//! order total (apk's own answer for invalid strings depends on where the scan stops).

use std::cmp::Ordering;

use super::compare_numbers;

/// Token kinds in apk's rank order; `Invalid` is below all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Invalid,
    /// A component after a `.`, which may start with zeros.
    DigitOrZero,
    Digit,
    Letter,
    Suffix,
    SuffixNumber,
    Revision,
    End,
}

/// A token's weight: a number (as digits, compared by value) or a small signed value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Weight<'a> {
    Small(i64),
    Digits(&'a str),
}

impl Weight<'_> {
    fn cmp(self, other: Self) -> Ordering {
        let digits = |w: Self| match w {
            Weight::Digits(d) => Some(d),
            Weight::Small(0) => Some(""),
            Weight::Small(_) => None,
        };
        match (self, other) {
            (Weight::Small(a), Weight::Small(b)) => a.cmp(&b),
            _ => match (digits(self), digits(other)) {
                (Some(a), Some(b)) => compare_numbers(a.as_bytes(), b.as_bytes()),
                // a non-zero small weight against a number: small weights here are the
                // negative zero-run and pre-suffix weights, or letters and post-suffixes
                // (never compared with numbers: token kinds match in the main loop)
                _ => self.small().cmp(&other.small()),
            },
        }
    }

    fn small(self) -> i64 {
        match self {
            Weight::Small(v) => v,
            Weight::Digits(d) if d.trim_start_matches('0').is_empty() => 0,
            Weight::Digits(_) => i64::MAX,
        }
    }
}

const PRE: [&str; 4] = ["alpha", "beta", "pre", "rc"];
const POST: [&str; 5] = ["cvs", "svn", "git", "hg", "p"];

/// The token reader: `kind` is what the next token is read as, `rest` what is left.
struct Tokens<'a> {
    kind: Kind,
    rest: &'a str,
}

impl<'a> Tokens<'a> {
    fn new(v: &'a str) -> Self {
        Tokens {
            kind: Kind::Digit,
            rest: v,
        }
    }

    /// The tokens of `v` without its `~hash` part (a commit id before the revision, which
    /// apk-tools 2.12 and later accept and leave out of ordering; 2.10 rejected it).
    fn without_hash(v: &'a str, buf: &'a mut String) -> Self {
        if let Some((head, tail)) = v.split_once('~') {
            let end = tail.find("-r").unwrap_or(tail.len());
            if end > 0 && tail[..end].bytes().all(|c| c.is_ascii_hexdigit()) {
                buf.push_str(head);
                buf.push_str(&tail[end..]);
                return Tokens::new(buf);
            }
        }
        Tokens::new(v)
    }

    /// Reads one token of the current kind and decides the kind of the next.
    fn next_weight(&mut self) -> Weight<'a> {
        if self.rest.is_empty() {
            self.kind = Kind::End;
            return Weight::Small(0);
        }
        let b = self.rest.as_bytes();
        let mut then = None;
        let (weight, used) = match self.kind {
            Kind::DigitOrZero if b[0] == b'0' => {
                let zeros = b.iter().take_while(|&&c| c == b'0').count();
                then = Some(Kind::Digit);
                (Weight::Small(-(zeros as i64)), zeros)
            }
            Kind::DigitOrZero | Kind::Digit | Kind::SuffixNumber | Kind::Revision => {
                let n = b.iter().take_while(|c| c.is_ascii_digit()).count();
                (Weight::Digits(&self.rest[..n]), n)
            }
            Kind::Letter => (Weight::Small(i64::from(b[0])), 1),
            Kind::Suffix => {
                let pre = PRE.iter().position(|s| self.rest.starts_with(s));
                let post = POST.iter().position(|s| self.rest.starts_with(s));
                match (pre, post) {
                    (Some(i), _) => (Weight::Small(i as i64 - PRE.len() as i64), PRE[i].len()),
                    (None, Some(i)) => (Weight::Small(i as i64), POST[i].len()),
                    (None, None) => {
                        self.kind = Kind::Invalid;
                        return Weight::Small(-1);
                    }
                }
            }
            Kind::Invalid | Kind::End => {
                self.kind = Kind::Invalid;
                return Weight::Small(-1);
            }
        };
        self.rest = &self.rest[used..];
        if self.rest.is_empty() {
            self.kind = Kind::End;
        } else if let Some(k) = then {
            self.kind = k;
        } else {
            self.advance_kind();
        }
        weight
    }

    /// Decides the next token's kind from the separator (consumed) or the character class.
    fn advance_kind(&mut self) {
        let b = self.rest.as_bytes();
        let prev = self.kind;
        let mut next = Kind::Invalid;
        if matches!(prev, Kind::Digit | Kind::DigitOrZero) && b[0].is_ascii_lowercase() {
            next = Kind::Letter;
        } else if prev == Kind::Letter && b[0].is_ascii_digit() {
            next = Kind::Digit;
        } else if prev == Kind::Suffix && b[0].is_ascii_digit() {
            next = Kind::SuffixNumber;
        } else {
            let mut skip = 1;
            match b[0] {
                b'.' => next = Kind::DigitOrZero,
                b'_' => next = Kind::Suffix,
                b'-' if b.get(1) == Some(&b'r') => {
                    next = Kind::Revision;
                    skip = 2;
                }
                // anything else is invalid, and nothing reads past an invalid token
                _ => skip = 0,
            }
            self.rest = &self.rest[skip..];
        }
        // kinds only move forward, except a new component after a number, a new suffix
        // after a suffix number, and digits after a letter
        let allowed_back = matches!(
            (next, prev),
            (Kind::DigitOrZero, Kind::Digit)
                | (Kind::Suffix, Kind::SuffixNumber)
                | (Kind::Digit, Kind::Letter)
        );
        if next < prev && !allowed_back {
            next = Kind::Invalid;
        }
        self.kind = next;
    }
}

/// Whether `v` follows apk's version format (what `apk version -c` accepts).
pub fn is_valid(v: &str) -> bool {
    let mut buf = String::new();
    let mut t = Tokens::without_hash(v, &mut buf);
    while !matches!(t.kind, Kind::End | Kind::Invalid) {
        t.next_weight();
    }
    t.kind == Kind::End
}

/// Compares two apk versions as `apk version -t` does. Total: strings apk calls invalid
/// sort first, among themselves by bytes.
///
/// ```
/// use std::cmp::Ordering;
/// use sbom_core::version::apk::compare;
/// assert_eq!(compare("1.2.3-r1", "1.2.10-r0"), Ordering::Less);
/// assert_eq!(compare("1.1_rc1", "1.1"), Ordering::Less);
/// assert_eq!(compare("2.4_p1", "2.4-r9"), Ordering::Greater);
/// ```
pub fn compare(a: &str, b: &str) -> Ordering {
    match (is_valid(a), is_valid(b)) {
        (true, true) => compare_valid(a, b),
        (false, true) => Ordering::Less,
        (true, false) => Ordering::Greater,
        (false, false) => a.cmp(b),
    }
}

fn compare_valid(a: &str, b: &str) -> Ordering {
    let (mut buf_a, mut buf_b) = (String::new(), String::new());
    let mut ta = Tokens::without_hash(a, &mut buf_a);
    let mut tb = Tokens::without_hash(b, &mut buf_b);
    let (mut wa, mut wb) = (Weight::Small(0), Weight::Small(0));
    while ta.kind == tb.kind
        && !matches!(ta.kind, Kind::End | Kind::Invalid)
        && wa.cmp(wb) == Ordering::Equal
    {
        wa = ta.next_weight();
        wb = tb.next_weight();
    }
    match wa.cmp(wb) {
        Ordering::Equal => {}
        o => return o,
    }
    if ta.kind == tb.kind {
        return Ordering::Equal;
    }
    // one went on: a pre-release suffix next makes it the smaller
    let pre_release =
        |t: &Tokens| t.kind == Kind::Suffix && PRE.iter().any(|s| t.rest.starts_with(s));
    if pre_release(&ta) {
        return Ordering::Less;
    }
    if pre_release(&tb) {
        return Ordering::Greater;
    }
    // otherwise the lower-ranked next kind (more version to come) is the greater version
    tb.kind.cmp(&ta.kind)
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
            ("1.1_rc", "1.1"),
            // ... except after a component of zeros, which ends before the suffix is seen
            ("1.0", "1.0_alpha"),
            ("1.0", "1.01"),
            ("1.00", "1.0"),
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
        // `apk version -c` (2.10.4) rejects these ...
        for bad in ["1.0_foo", "1.0-x", "1.0aa", "1 0", "1.0é", "1.0_rc1.2"] {
            assert!(!is_valid(bad), "{bad}");
        }
        // ... and accepts these, odd as they look
        for odd in ["", "a1", "1.", "1..2", "1.0-r"] {
            assert!(is_valid(odd), "{odd}");
        }
    }

    /// Every row of testdata/apk/vercmp.tsv, which make-vercmp-table.sh took from the real
    /// `apk version -t` (apk-tools 2.10.4 from the shipped alpine:3.10 image).
    #[test]
    fn agrees_with_apk_version_t() {
        let n = super::super::tests::assert_agrees_with_table("apk/vercmp.tsv", compare);
        assert!(n >= 3000, "only {n} pairs");
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
