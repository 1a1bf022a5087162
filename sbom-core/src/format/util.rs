//! Small helpers the writers share: names for layers, people and sizes.

use sha2::{Digest, Sha256};

use crate::LayerInfo;

/// What kind of party a supplier string names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PartyKind {
    Person,
    Organization,
}

/// A supplier or maintainer split into kind, name and e-mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Party {
    pub kind: PartyKind,
    pub name: String,
    pub email: Option<String>,
}

/// Words that mark a group rather than one person. Package databases write both
/// ("Debian Python Team <...>", "Jane Doe <...>"), and SPDX wants us to say which.
const ORG_WORDS: &[&str] = &[
    "team",
    "project",
    "foundation",
    "developers",
    "maintainers",
    "community",
    "inc",
    "inc.",
    "ltd",
    "ltd.",
    "llc",
    "gmbh",
    "corp",
    "corp.",
    "corporation",
    "group",
    "authors",
    "contributors",
    "organization",
    "organisation",
    "software",
    "debian",
    "ubuntu",
    "alpine",
    "red hat",
    "fedora",
    "centos",
    "suse",
];

/// Splits `Name <mail@x>` / `mail@x (Name)` / `Name` and decides person or organisation.
///
/// Without an e-mail address a bare name is taken as an organisation (distribution names,
/// vendors); with one it is a person unless the name has a group word in it.
pub(crate) fn parse_party(raw: &str) -> Option<Party> {
    let raw = raw.trim();
    if raw.is_empty() || raw.eq_ignore_ascii_case("noassertion") {
        return None;
    }
    // an SPDX-style `Organization: ` / `Person: ` prefix says the kind outright
    for (prefix, kind) in [
        ("organization:", PartyKind::Organization),
        ("person:", PartyKind::Person),
    ] {
        if raw.len() >= prefix.len()
            && raw.is_char_boundary(prefix.len())
            && raw[..prefix.len()].eq_ignore_ascii_case(prefix)
        {
            return parse_party(&raw[prefix.len()..]).map(|p| Party { kind, ..p });
        }
    }
    let (name, email) = if let (Some(lt), Some(gt)) = (raw.find('<'), raw.rfind('>')) {
        if lt < gt {
            (
                format!("{} {}", &raw[..lt], &raw[gt + 1..]),
                Some(raw[lt + 1..gt].trim().to_string()),
            )
        } else {
            (raw.to_string(), None)
        }
    } else if let (Some(lp), Some(rp)) = (raw.find('('), raw.rfind(')')) {
        let inner = raw[lp + 1..rp].trim();
        let outer = format!("{} {}", &raw[..lp], &raw[rp + 1..]);
        if outer.contains('@') && !inner.contains('@') {
            (inner.to_string(), Some(outer.trim().to_string()))
        } else if inner.contains('@') {
            (outer, Some(inner.to_string()))
        } else {
            (raw.to_string(), None)
        }
    } else if raw.contains('@') && !raw.contains(' ') {
        (raw.to_string(), Some(raw.to_string()))
    } else {
        (raw.to_string(), None)
    };
    // SPDX puts the e-mail in parentheses after the name, so the name itself must not
    // contain any; nor may it be empty.
    let mut name: String = name
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace(['(', ')'], "");
    let email = email
        .filter(|e| !e.is_empty())
        .map(|e| e.replace(['(', ')'], ""));
    if name.is_empty() {
        name = email.clone().unwrap_or_default();
    }
    if name.is_empty() {
        return None;
    }
    let lower = name.to_ascii_lowercase();
    let org = lower
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '.')
        .any(|w| ORG_WORDS.contains(&w))
        || ORG_WORDS
            .iter()
            .any(|w| w.contains(' ') && lower.contains(w));
    let kind = if org || email.is_none() {
        PartyKind::Organization
    } else {
        PartyKind::Person
    };
    Some(Party { kind, name, email })
}

/// The instruction that made a layer, as a person would have written it.
///
/// Prefers the cleaned [`LayerInfo::instruction`]; otherwise strips the `/bin/sh -c` and
/// `#(nop)` noise Docker puts into `created_by`.
pub(crate) fn layer_instruction(l: &LayerInfo) -> Option<String> {
    if let Some(i) = l.instruction.as_deref().filter(|i| !i.trim().is_empty()) {
        return Some(one_line(i));
    }
    let raw = l.created_by.as_deref()?.trim();
    if raw.is_empty() {
        return None;
    }
    let s = raw
        .strip_prefix("/bin/sh -c ")
        .map(|rest| match rest.trim_start().strip_prefix("#(nop)") {
            Some(nop) => nop.trim().to_string(),
            None => format!("RUN {}", rest.trim()),
        })
        .unwrap_or_else(|| raw.to_string());
    // BuildKit writes `RUN |2 ARG=1 ARG=2 /bin/sh -c ...`
    let s = match s.split_once("/bin/sh -c ") {
        Some((head, rest)) if head.starts_with("RUN |") => format!("RUN {}", rest.trim()),
        _ => s,
    };
    let s = s.strip_suffix(" # buildkit").unwrap_or(&s).to_string();
    Some(one_line(&s))
}

/// `Dockerfile:12-14 RUN apt-get ...` when the Dockerfile line is known, else the instruction.
pub(crate) fn layer_label(l: &LayerInfo) -> Option<String> {
    match &l.dockerfile {
        Some(d) => Some(format!(
            "Dockerfile:{} {}",
            d.line_range(),
            one_line(&d.text)
        )),
        None => layer_instruction(l),
    }
}

pub(crate) fn one_line(s: &str) -> String {
    // a Dockerfile line continuation is not part of the instruction
    s.replace("\\\r\n", " ")
        .replace("\\\n", " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// `1.5 MiB`: binary units, one decimal below 10 units.
///
/// ```
/// assert_eq!(sbom_core::format::human_size(1536), "1.5 KiB");
/// ```
pub fn human_size(n: u64) -> String {
    const UNITS: &[&str] = &["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else if v < 10.0 {
        format!("{v:.1} {}", UNITS[u])
    } else {
        format!("{v:.0} {}", UNITS[u])
    }
}

/// First `n` hex digits of the SHA-256 of `s`: short, stable suffixes for identifiers.
pub(crate) fn short_hash(s: &str, n: usize) -> String {
    let d = Sha256::digest(s.as_bytes());
    let hex: String = d.iter().map(|b| format!("{b:02x}")).collect();
    hex[..n.min(hex.len())].to_string()
}

/// `sha256:abcd` -> (`sha256`, `abcd`).
pub(crate) fn split_digest(d: &str) -> Option<(&str, &str)> {
    let (alg, hex) = d.split_once(':')?;
    if hex.is_empty() || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    Some((alg, hex))
}

/// `s` with its control characters (terminal escape sequences, newlines, tabs) written as
/// Rust-style escapes (`\u{1b}`, `\n`), for text from an image shown on a terminal: a package
/// name or a history line must not be able to move the cursor, recolour or retitle the
/// terminal, or start a line of its own in a report.
///
/// ```
/// use sbom_core::format::printable;
/// assert_eq!(printable("openssl 3.0"), "openssl 3.0");
/// assert_eq!(printable("evil\u{1b}]0;pwned\u{7}\nname"), "evil\\u{1b}]0;pwned\\u{7}\\nname");
/// ```
pub fn printable(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parties() {
        let p = parse_party("Debian Python Team <team+python@tracker.debian.org>").unwrap();
        assert_eq!(p.kind, PartyKind::Organization);
        assert_eq!(p.name, "Debian Python Team");
        assert_eq!(p.email.as_deref(), Some("team+python@tracker.debian.org"));
        let p = parse_party("Jane Doe <jane@example.org>").unwrap();
        assert_eq!(p.kind, PartyKind::Person);
        let p = parse_party("Debian").unwrap();
        assert_eq!(p.kind, PartyKind::Organization);
        let p = parse_party("jane@example.org (Jane (JD) Doe)").unwrap();
        assert!(!p.name.contains('('));
        assert!(parse_party("  ").is_none());
        // an SPDX-style prefix decides the kind the heuristics would not
        let p = parse_party("Person: Example Team (t@example.org)").unwrap();
        assert_eq!(p.kind, PartyKind::Person);
        assert_eq!(p.name, "Example Team");
        assert_eq!(p.email.as_deref(), Some("t@example.org"));
        let p = parse_party("organization: Jane Doe <jane@example.org>").unwrap();
        assert_eq!(p.kind, PartyKind::Organization);
        assert!(parse_party("Person: ").is_none());
        assert!(parse_party("Organization:").is_none());
    }

    #[test]
    fn instructions() {
        let l = LayerInfo {
            created_by: Some("/bin/sh -c #(nop)  CMD [\"bash\"]".into()),
            ..Default::default()
        };
        assert_eq!(layer_instruction(&l).unwrap(), "CMD [\"bash\"]");
        let l = LayerInfo {
            created_by: Some("RUN |1 X=1 /bin/sh -c apt-get update # buildkit".into()),
            ..Default::default()
        };
        assert_eq!(layer_instruction(&l).unwrap(), "RUN apt-get update");
    }

    #[test]
    fn sizes() {
        assert_eq!(human_size(512), "512 B");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(80 * 1024 * 1024), "80 MiB");
    }
}
