//! Turning declared license strings into valid SPDX expressions.
//!
//! Package databases write licenses in many dialects: SPDX already (`MIT OR Apache-2.0`),
//! Debian short names (`GPL-2+`, `Expat`), RPM style (`GPLv2+ and BSD`), or free text. The
//! `spdx` crate parses and knows the identifiers; what it cannot do safely is guess
//! (`imprecise_license_id` maps `GPLv2+` to `GPL-2.0-only`, losing the "+"), so the aliases
//! below handle the common dialects first, and any name that is still unknown becomes a
//! `LicenseRef-` rather than an invented identifier.

use std::collections::HashMap;
use std::sync::OnceLock;

/// Normalises one declared license string to an SPDX expression.
///
/// ```
/// use sbom_core::license::normalize;
/// assert_eq!(normalize("MIT").as_deref(), Some("MIT"));
/// assert_eq!(normalize("GPLv2+ and BSD").as_deref(), Some("GPL-2.0-or-later AND LicenseRef-BSD"));
/// assert_eq!(normalize("GPL-2+").as_deref(), Some("GPL-2.0-or-later"));
/// assert_eq!(normalize("  ").as_deref(), None);
/// ```
pub fn normalize(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty()
        || raw.eq_ignore_ascii_case("unknown")
        || raw.eq_ignore_ascii_case("noassertion")
    {
        return None;
    }
    let collapsed = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if spdx::Expression::parse(&collapsed).is_ok() && !collapsed.contains('+') {
        return Some(collapsed);
    }
    let tokens = tokenize(&collapsed);
    let mut out: Vec<String> = Vec::new();
    let mut pending_name: Vec<&str> = Vec::new();
    let flush = |pending: &mut Vec<&str>, out: &mut Vec<String>| {
        if !pending.is_empty() {
            out.push(map_license(&pending.join(" ")));
            pending.clear();
        }
    };
    let mut after_with = false;
    for t in &tokens {
        match t.to_ascii_lowercase().as_str() {
            "and" | "&" | "&&" | "," | ";" => {
                flush(&mut pending_name, &mut out);
                out.push("AND".into());
            }
            "or" | "|" | "||" | "/" => {
                flush(&mut pending_name, &mut out);
                out.push("OR".into());
            }
            "with" => {
                flush(&mut pending_name, &mut out);
                out.push("WITH".into());
                after_with = true;
                continue;
            }
            "(" | ")" => {
                flush(&mut pending_name, &mut out);
                out.push((*t).into());
            }
            _ if after_with => {
                out.push(map_exception(t));
            }
            _ => pending_name.push(t),
        }
        after_with = false;
    }
    flush(&mut pending_name, &mut out);
    let expr = tidy(out);
    if !expr.is_empty() && spdx::Expression::parse(&expr).is_ok() {
        return Some(expr);
    }
    Some(license_ref(raw))
}

/// Joins several declared licenses of one package into one expression (all apply).
///
/// ```
/// use sbom_core::license::combine;
/// assert_eq!(combine(["MIT", "Apache-2.0 OR MIT"]).as_deref(), Some("MIT AND (Apache-2.0 OR MIT)"));
/// ```
pub fn combine<I, S>(declared: I) -> Option<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut parts: Vec<String> = Vec::new();
    for d in declared {
        if let Some(e) = normalize(d.as_ref()) {
            if !parts.contains(&e) {
                parts.push(e);
            }
        }
    }
    join(&parts, " AND ")
}

/// Joins SPDX expressions with `op` (`" AND "` or `" OR "`), parenthesising the compound
/// ones so the result means what the parts did; `None` for no parts.
///
/// ```
/// use sbom_core::license::join;
/// assert_eq!(join(&["MIT", "Apache-2.0 AND BSD-3-Clause"], " OR ").as_deref(), Some("MIT OR (Apache-2.0 AND BSD-3-Clause)"));
/// assert_eq!(join(&["GPL-2.0-or-later"], " OR ").as_deref(), Some("GPL-2.0-or-later"));
/// ```
pub fn join<S: AsRef<str>>(parts: &[S], op: &str) -> Option<String> {
    match parts {
        [] => None,
        [one] => Some(one.as_ref().to_string()),
        _ => Some(
            parts
                .iter()
                .map(|p| {
                    let p = p.as_ref();
                    if p.contains(" OR ") || p.contains(" AND ") {
                        format!("({p})")
                    } else {
                        p.to_string()
                    }
                })
                .collect::<Vec<_>>()
                .join(op),
        ),
    }
}

/// `LicenseRef-` plus the name with every character SPDX does not allow replaced by `-`.
pub fn license_ref(name: &str) -> String {
    let mut s = String::from("LicenseRef-");
    let mut last_dash = true;
    for c in name.trim().chars() {
        if c.is_ascii_alphanumeric() || c == '.' {
            s.push(c);
            last_dash = false;
        } else if !last_dash {
            s.push('-');
            last_dash = true;
        }
    }
    while s.ends_with('-') && s.len() > "LicenseRef-".len() {
        s.pop();
    }
    if s.len() == "LicenseRef-".len() {
        s.push_str("unknown");
    }
    s
}

fn tokenize(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in s.char_indices() {
        let sep = c.is_whitespace() || matches!(c, '(' | ')' | ',' | ';');
        if sep {
            if let Some(st) = start.take() {
                out.push(&s[st..i]);
            }
            if !c.is_whitespace() {
                out.push(&s[i..i + c.len_utf8()]);
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(st) = start {
        out.push(&s[st..]);
    }
    out
}

fn tidy(tokens: Vec<String>) -> String {
    // drop operators that dangle at the ends or repeat ("GPL and , BSD")
    let is_op = |t: &str| matches!(t, "AND" | "OR" | "WITH");
    let mut out: Vec<String> = Vec::new();
    for t in tokens {
        if is_op(&t)
            && (out.is_empty() || out.last().map(|l| is_op(l) || l == "(").unwrap_or(false))
        {
            continue;
        }
        if t == ")" && out.last().map(|l| is_op(l)).unwrap_or(false) {
            out.pop();
        }
        out.push(t);
    }
    while out.last().map(|l| is_op(l)).unwrap_or(false) {
        out.pop();
    }
    out.join(" ").replace("( ", "(").replace(" )", ")")
}

/// One license name (no operators) to an SPDX id or a `LicenseRef-`.
fn map_license(name: &str) -> String {
    let name = name.trim();
    if let Some(id) = alias(name) {
        return id.to_string();
    }
    if let Some(id) = exact_id(name) {
        return id.to_string();
    }
    if let Some(base) = name.strip_suffix('+') {
        if let Some(id) = or_later(base) {
            return id;
        }
        if let Some(id) = exact_id(base) {
            return format!("{id}+");
        }
    }
    if let Some(stripped) = name
        .strip_suffix("-only")
        .or_else(|| name.strip_suffix("-or-later"))
    {
        if exact_id(stripped).is_some() {
            if let Some(id) = exact_id(name) {
                return id.to_string();
            }
        }
    }
    license_ref(name)
}

fn map_exception(name: &str) -> String {
    match spdx::exception_id(name) {
        Some(e) => e.name.to_string(),
        None => name.to_string(),
    }
}

/// Case-insensitive lookup of a current (or deprecated) SPDX license id.
fn exact_id(name: &str) -> Option<&'static str> {
    static IDS: OnceLock<HashMap<String, &'static str>> = OnceLock::new();
    let ids = IDS.get_or_init(|| {
        spdx::identifiers::LICENSES
            .iter()
            .map(|l| (l.name.to_ascii_lowercase(), l.name))
            .collect()
    });
    let id = *ids.get(&name.to_ascii_lowercase())?;
    // deprecated GPL-style ids (GPL-2.0, GPL-2.0+) have precise replacements
    Some(match id {
        "GPL-1.0" => "GPL-1.0-only",
        "GPL-2.0" => "GPL-2.0-only",
        "GPL-3.0" => "GPL-3.0-only",
        "LGPL-2.0" => "LGPL-2.0-only",
        "LGPL-2.1" => "LGPL-2.1-only",
        "LGPL-3.0" => "LGPL-3.0-only",
        "AGPL-1.0" => "AGPL-1.0-only",
        "AGPL-3.0" => "AGPL-3.0-only",
        "GFDL-1.1" => "GFDL-1.1-only",
        "GFDL-1.2" => "GFDL-1.2-only",
        "GFDL-1.3" => "GFDL-1.3-only",
        other => other,
    })
}

/// `GPL-2` / `GPLv2` / `GPL-2.0` followed by "+" -> `GPL-2.0-or-later`.
fn or_later(base: &str) -> Option<String> {
    let only = alias(base)
        .map(str::to_string)
        .or_else(|| exact_id(base).map(str::to_string))?;
    let family = only.strip_suffix("-only")?;
    let later = format!("{family}-or-later");
    exact_id(&later).map(str::to_string)
}

/// Names that are not SPDX ids but say exactly which license they mean.
fn alias(name: &str) -> Option<&'static str> {
    let n = name.to_ascii_lowercase();
    Some(match n.as_str() {
        "expat" | "mit/x11" | "x11/mit" | "mit-style" => "MIT",
        "gpl" | "gpl-1" | "gplv1" => "GPL-1.0-or-later",
        "gpl-2" | "gplv2" | "gpl2" | "gpl v2" => "GPL-2.0-only",
        "gpl-3" | "gplv3" | "gpl3" | "gpl v3" => "GPL-3.0-only",
        "gpl-2+" | "gplv2+" | "gpl2+" | "gpl-2.0+" => "GPL-2.0-or-later",
        "gpl-3+" | "gplv3+" | "gpl3+" | "gpl-3.0+" => "GPL-3.0-or-later",
        "gpl+" | "gpl-1+" | "gplv1+" => "GPL-1.0-or-later",
        "lgpl" => "LGPL-2.0-or-later",
        "lgpl-2" | "lgplv2" => "LGPL-2.0-only",
        "lgpl-2.1" | "lgplv2.1" | "lgpl2.1" => "LGPL-2.1-only",
        "lgpl-3" | "lgplv3" | "lgpl3" => "LGPL-3.0-only",
        "lgpl-2+" | "lgplv2+" | "lgpl2+" => "LGPL-2.0-or-later",
        "lgpl-2.1+" | "lgplv2.1+" | "lgpl2.1+" | "lgplv2+ and lgplv2.1+" => "LGPL-2.1-or-later",
        "lgpl-3+" | "lgplv3+" | "lgpl3+" => "LGPL-3.0-or-later",
        "agpl-3" | "agplv3" => "AGPL-3.0-only",
        "agpl-3+" | "agplv3+" => "AGPL-3.0-or-later",
        "gfdl-1.2+" => "GFDL-1.2-or-later",
        "gfdl-1.3+" => "GFDL-1.3-or-later",
        "apache-2"
        | "apache 2.0"
        | "apache2"
        | "asl 2.0"
        | "apache license 2.0"
        | "apache license, version 2.0"
        | "apache software license"
        | "apache-2.0 license" => "Apache-2.0",
        "asl 1.1" => "Apache-1.1",
        "bsd-2-clause" | "bsd-2" | "bsd 2-clause" | "simplified bsd" => "BSD-2-Clause",
        "bsd-3-clause" | "bsd-3" | "bsd 3-clause" | "new bsd" | "modified bsd" | "revised bsd" => {
            "BSD-3-Clause"
        }
        "bsd-4-clause" | "bsd-4" => "BSD-4-Clause",
        "mpl-1.1" | "mplv1.1" => "MPL-1.1",
        "mpl-2.0" | "mplv2.0" | "mpl 2.0" => "MPL-2.0",
        "zlib/libpng" => "Zlib",
        "psf" | "psf-2" | "python" | "python software foundation license" => "PSF-2.0",
        "artistic" | "artistic-1" => "Artistic-1.0",
        "artistic-2" => "Artistic-2.0",
        "public domain" | "public-domain" => return None,
        "isc license" => "ISC",
        "mit license" | "the mit license" => "MIT",
        "openssl" => "OpenSSL",
        "curl" => "curl",
        "unicode-dfs-2016" => "Unicode-DFS-2016",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spdx_expressions_pass_through() {
        assert_eq!(
            normalize("MIT OR Apache-2.0").as_deref(),
            Some("MIT OR Apache-2.0")
        );
        assert_eq!(
            normalize("GPL-2.0-or-later WITH Classpath-exception-2.0").as_deref(),
            Some("GPL-2.0-or-later WITH Classpath-exception-2.0")
        );
    }

    #[test]
    fn rpm_and_debian_dialects() {
        assert_eq!(normalize("GPLv3+").as_deref(), Some("GPL-3.0-or-later"));
        assert_eq!(normalize("LGPL-2.1+").as_deref(), Some("LGPL-2.1-or-later"));
        assert_eq!(normalize("BSD-3-clause").as_deref(), Some("BSD-3-Clause"));
        assert_eq!(normalize("GPL-2.0+").as_deref(), Some("GPL-2.0-or-later"));
        assert_eq!(
            normalize("MIT and ASL 2.0").as_deref(),
            Some("MIT AND Apache-2.0")
        );
        assert_eq!(
            normalize("(GPL-2+ or Artistic)").as_deref(),
            Some("(GPL-2.0-or-later OR Artistic-1.0)")
        );
    }

    #[test]
    fn unknown_names_become_license_refs_never_guesses() {
        assert_eq!(
            normalize("public-domain").as_deref(),
            Some("LicenseRef-public-domain")
        );
        assert_eq!(
            normalize("Freely redistributable").as_deref(),
            Some("LicenseRef-Freely-redistributable")
        );
        assert_eq!(normalize("BSD").as_deref(), Some("LicenseRef-BSD"));
    }

    #[test]
    fn every_output_parses() {
        for s in [
            "GPL",
            "GPLv2+ and LGPLv2+ and BSD",
            "(MIT",
            "MIT)",
            "a and or b",
            "ü-licence",
            "AND",
            "+",
        ] {
            if let Some(e) = normalize(s) {
                assert!(spdx::Expression::parse(&e).is_ok(), "{s:?} -> {e:?}");
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn any_input_gives_a_valid_expression(s in ".{0,60}") {
            if let Some(e) = normalize(&s) {
                proptest::prop_assert!(spdx::Expression::parse(&e).is_ok(), "{:?} -> {:?}", s, e);
            }
        }
    }
}
