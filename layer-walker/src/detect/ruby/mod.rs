//! Ruby gems: the specification RubyGems writes for each installed gem,
//! `…/specifications/<name>-<version>.gemspec`. It is Ruby source; it is never evaluated.
//! A small scanner reads the simple assignments RubyGems generates (`s.name = "x".freeze`,
//! `s.licenses = ["MIT".freeze]`, `s.version = Gem::Version.new("1")`), and the
//! `# stub: name version` header as a fallback.

use std::sync::Arc;

use sbom_core::{license, Ecosystem, Package};

use super::{Claim, CollectContext, Detector, EntryMeta, Findings, FsView, ParseError, Parsed};

#[cfg(test)]
mod tests;

const NAME: &str = "ruby";
const MAX_GEMSPEC: u64 = 1 << 20;

/// The installed-gem detector.
#[derive(Debug, Default)]
pub struct RubyDetector;

/// The facts kept from one gemspec.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Gemspec {
    /// Name as the metadata writes it.
    pub name: String,
    /// Version as the metadata writes it.
    pub version: String,
    /// Declared licenses, as written.
    pub licenses: Vec<String>,
    /// `s.authors`.
    pub authors: Vec<String>,
    /// Project home page.
    pub homepage: Option<String>,
    /// One-line summary.
    pub summary: Option<String>,
}

impl Detector for RubyDetector {
    super::common::codec::cache_codec!(0 => Gemspec);

    fn name(&self) -> &'static str {
        NAME
    }

    fn claim_patterns(&self) -> Option<&'static [super::ClaimPattern]> {
        Some(&[super::ClaimPattern::Suffix(".gemspec")])
    }

    fn claim(&self, path: &str, _meta: &EntryMeta) -> Option<Claim> {
        let (dir, file) = path.rsplit_once('/')?;
        // `specifications/default/` holds the default gems shipped with Ruby itself
        (file.ends_with(".gemspec")
            && (dir.ends_with("/specifications") || dir.ends_with("/specifications/default")))
        .then_some(Claim::up_to(MAX_GEMSPEC))
    }

    fn parse(&self, _path: &str, body: &[u8]) -> Result<Parsed, ParseError> {
        Ok(Arc::new(parse_gemspec(&String::from_utf8_lossy(body))?))
    }

    fn collect(&self, view: &FsView, ctx: CollectContext, out: &mut Findings) {
        for f in view.parsed(NAME) {
            let Some(g) = f.get::<Gemspec>() else {
                continue;
            };
            let mut pkg = Package::new(Ecosystem::Gem, &g.name, &g.version);
            pkg.database_path = f.path.to_string();
            pkg.layer = Some(f.layer);
            if ctx.full_detail {
                pkg.licenses_declared = g.licenses.clone();
                pkg.license = license::combine(&g.licenses);
                if !g.authors.is_empty() {
                    pkg.supplier = Some(g.authors.join(", "));
                }
                pkg.homepage = g.homepage.clone();
                pkg.description = g.summary.clone();
            }
            out.packages.push(pkg);
        }
    }
}

/// The string literals in a Ruby expression, in order (`"a".freeze, 'b'` → a, b). Handles
/// backslash escapes; ignores everything that is not a literal.
fn string_literals(expr: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = expr.chars();
    while let Some(c) = chars.next() {
        if c == '#' {
            break; // comment to end of line
        }
        if c != '"' && c != '\'' {
            continue;
        }
        let mut s = String::new();
        let mut closed = false;
        while let Some(d) = chars.next() {
            if d == '\\' {
                if let Some(e) = chars.next() {
                    s.push(match e {
                        'n' if c == '"' => '\n',
                        't' if c == '"' => '\t',
                        e => e,
                    });
                }
            } else if d == c {
                closed = true;
                break;
            } else {
                s.push(d);
            }
        }
        if closed {
            out.push(s);
        }
    }
    out
}

/// Scans a generated gemspec. Fails when no name or version can be found.
pub fn parse_gemspec(text: &str) -> Result<Gemspec, ParseError> {
    let mut g = Gemspec::default();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let t = line.trim();
        if let Some(stub) = t.strip_prefix("# stub: ") {
            let mut w = stub.split_whitespace();
            if let (Some(n), Some(v)) = (w.next(), w.next()) {
                g.name = n.to_string();
                g.version = v.to_string();
            }
            continue;
        }
        // `<receiver>.<attr> = <value>`; receiver is whatever the block names it (s, spec)
        let Some((lhs, rhs)) = t.split_once('=') else {
            continue;
        };
        let Some((recv, attr)) = lhs.trim().split_once('.') else {
            continue;
        };
        if recv.is_empty() || !recv.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        let mut value = rhs.to_string();
        // an array literal may span lines
        if value.trim_start().starts_with('[') && !value.contains(']') {
            for more in lines.by_ref() {
                value.push_str(more);
                if more.contains(']') {
                    break;
                }
            }
        }
        let lits = string_literals(&value);
        match attr.trim() {
            "name" => {
                if let Some(n) = lits.into_iter().next() {
                    g.name = n;
                }
            }
            // also `Gem::Version.new("1.2")`: the literal inside is the version
            "version" => {
                if let Some(v) = lits.into_iter().next() {
                    g.version = v;
                }
            }
            "licenses" | "license" => {
                for l in lits {
                    if !l.is_empty() && !g.licenses.contains(&l) {
                        g.licenses.push(l);
                    }
                }
            }
            "authors" | "author" => g.authors.extend(lits.into_iter().filter(|a| !a.is_empty())),
            "homepage" => g.homepage = lits.into_iter().next().filter(|h| !h.is_empty()),
            "summary" => g.summary = lits.into_iter().next().filter(|h| !h.is_empty()),
            _ => {}
        }
    }
    if g.name.is_empty() || g.version.is_empty() {
        return Err("no gem name or version in gemspec".into());
    }
    Ok(g)
}
