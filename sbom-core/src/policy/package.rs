//! Purl patterns with version ranges: `pkg:TYPE/[NAMESPACE/]NAME[@RANGE]`.
//!
//! The type, namespace and name compare case-insensitively (PyPI names after PEP 503
//! normalisation); a name ending in `*` matches by prefix; a pattern without a namespace
//! matches every namespace. The package's qualifiers (`arch`, `distro`) are not compared.
//!
//! A range is comparators joined by `,`, all of which must hold: `<2.32`, `>=4.0.0,<4.17.21`,
//! `=1.2.3` (a bare version means `=`), `!=1.0`. Versions compare by the ecosystem's order
//! ([`crate::version::compare`]), so `pkg:deb/debian/openssl@<3.0.15-1~deb12u1` means what
//! dpkg means. A range on a purl type whose order we do not implement is a policy error,
//! not a guess.

use std::cmp::Ordering;

use super::PolicyError;
use crate::read::Component;
use crate::Ecosystem;

/// One comparison of a range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

/// Comparators that must all hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionRange {
    ecosystem: Ecosystem,
    parts: Vec<(Op, String)>,
}

impl VersionRange {
    /// Whether `version` is in the range.
    pub fn contains(&self, version: &str) -> bool {
        self.parts.iter().all(|(op, bound)| {
            let Some(o) = crate::version::compare(self.ecosystem, version, bound) else {
                return false;
            };
            match op {
                Op::Lt => o == Ordering::Less,
                Op::Le => o != Ordering::Greater,
                Op::Gt => o == Ordering::Greater,
                Op::Ge => o != Ordering::Less,
                Op::Eq => o == Ordering::Equal,
                Op::Ne => o != Ordering::Equal,
            }
        })
    }
}

/// A denied package: purl type, namespace and name, and an optional version range.
///
/// ```
/// use sbom_core::policy::PackagePattern;
/// let p = PackagePattern::parse("pkg:pypi/requests@<2.32").unwrap();
/// assert!(p.range().unwrap().contains("2.31.0"));
/// assert!(!p.range().unwrap().contains("2.32.0"));
/// assert!(PackagePattern::parse("pkg:maven/org.example/lib@<2").is_err()); // no Maven order
/// assert!(PackagePattern::parse("requests").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackagePattern {
    text: String,
    ty: String,
    namespace: Option<String>,
    name: String,
    range: Option<VersionRange>,
}

impl PackagePattern {
    /// Parses a pattern.
    pub fn parse(s: &str) -> Result<Self, PolicyError> {
        let text = s.trim().to_string();
        let err = |reason: String| PolicyError::Rule {
            rule: text.clone(),
            reason,
        };
        let rest = text.strip_prefix("pkg:").ok_or_else(|| {
            err("a package pattern is a purl: pkg:TYPE/[NAMESPACE/]NAME[@RANGE]".into())
        })?;
        let (ty, rest) = rest
            .split_once('/')
            .ok_or_else(|| err("no name after the purl type".into()))?;
        let ty = ty.to_ascii_lowercase();
        // the range follows the last '@' that has no '/' after it (npm scopes are `@scope/`)
        let (path, range) = match rest.rsplit_once('@') {
            Some((p, r)) if !r.contains('/') && !p.is_empty() => (p, Some(r)),
            _ => (rest, None),
        };
        let decode = |s: &str| {
            s.replace("%40", "@")
                .replace("%2F", "/")
                .replace("%2f", "/")
        };
        let (namespace, name) = match path.rsplit_once('/') {
            Some((ns, n)) => (Some(decode(ns)), decode(n)),
            None => (None, decode(path)),
        };
        if name.is_empty() || name[..name.len() - 1].contains('*') {
            return Err(err(
                "the name is empty, or has a `*` other than at its end".into()
            ));
        }
        let range = match range {
            None => None,
            Some(r) => {
                let ecosystem = Ecosystem::from_purl_type(&ty)
                    .filter(|e| crate::version::compare(*e, "1", "2").is_some())
                    .ok_or_else(|| {
                        err(format!(
                            "no version order is implemented for purl type {ty:?}; ranges work for deb, rpm, apk, pypi, npm, golang, cargo, nuget"
                        ))
                    })?;
                Some(VersionRange {
                    ecosystem,
                    parts: parse_range(r).map_err(err)?,
                })
            }
        };
        Ok(PackagePattern {
            ty,
            namespace,
            name,
            range,
            text,
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Its version range, if it has one.
    pub fn range(&self) -> Option<&VersionRange> {
        self.range.as_ref()
    }

    /// `Some(why)` when the component matches (`why` is empty or says more: an unknown
    /// version a range cannot rule out); `None` otherwise.
    pub(crate) fn matches(&self, c: &Component) -> Option<String> {
        let purl: packageurl::PackageUrl = c.purl.as_deref()?.parse().ok()?;
        if !purl.ty().eq_ignore_ascii_case(&self.ty) {
            return None;
        }
        if let Some(ns) = &self.namespace {
            if !purl.namespace().is_some_and(|n| n.eq_ignore_ascii_case(ns)) {
                return None;
            }
        }
        let norm = |n: &str| {
            if self.ty == "pypi" {
                crate::purl::pep503_normalize(n)
            } else {
                n.to_ascii_lowercase()
            }
        };
        let name = norm(purl.name());
        let hit = match self.name.strip_suffix('*') {
            Some(prefix) => name.starts_with(&norm(prefix)),
            None => name == norm(&self.name),
        };
        if !hit {
            return None;
        }
        let Some(range) = &self.range else {
            return Some(String::new());
        };
        match c.version.as_deref().or(purl.version()) {
            Some(v) if range.contains(v) => Some(String::new()),
            Some(_) => None,
            None => Some(" (it has no version, so the range cannot rule it out)".into()),
        }
    }
}

fn parse_range(r: &str) -> Result<Vec<(Op, String)>, String> {
    let r = r
        .replace("%3C", "<")
        .replace("%3E", ">")
        .replace("%3D", "=");
    let mut parts = Vec::new();
    for c in r.split(',').map(str::trim) {
        let (op, v) = [
            ("<=", Op::Le),
            (">=", Op::Ge),
            ("!=", Op::Ne),
            ("<", Op::Lt),
            (">", Op::Gt),
            ("==", Op::Eq),
            ("=", Op::Eq),
        ]
        .iter()
        .find_map(|(s, op)| c.strip_prefix(s).map(|v| (*op, v.trim())))
        .unwrap_or((Op::Eq, c));
        if v.is_empty() || v.contains(['<', '>', '=', ' ']) {
            return Err(format!(
                "{c:?} is not a comparison (<, <=, >, >=, =, != and a version)"
            ));
        }
        parts.push((op, v.to_string()));
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comp(purl: &str, version: Option<&str>) -> Component {
        let mut c = Component {
            name: "x".into(),
            purl: Some(purl.into()),
            version: version.map(str::to_string),
            ..Component::default()
        };
        c.ecosystem = purl
            .strip_prefix("pkg:")
            .and_then(|r| r.split('/').next())
            .and_then(Ecosystem::from_purl_type);
        c
    }

    #[test]
    fn names_namespaces_and_ranges() {
        let curl = PackagePattern::parse("pkg:deb/debian/curl").unwrap();
        assert!(curl
            .matches(&comp(
                "pkg:deb/debian/curl@7.88.1-10?arch=amd64&distro=debian-12",
                Some("7.88.1-10")
            ))
            .is_some());
        assert!(curl
            .matches(&comp("pkg:deb/ubuntu/curl@7.88.1-10", Some("7.88.1-10")))
            .is_none());
        assert!(curl
            .matches(&comp(
                "pkg:deb/debian/libcurl4@7.88.1-10",
                Some("7.88.1-10")
            ))
            .is_none());
        let any_ns = PackagePattern::parse("pkg:deb/curl").unwrap();
        assert!(any_ns
            .matches(&comp("pkg:deb/ubuntu/curl@1", Some("1")))
            .is_some());

        // dpkg's order: the epoch wins, ~ sorts before the release
        let old_ssl = PackagePattern::parse("pkg:deb/debian/openssl@<3.0.15-1~deb12u1").unwrap();
        assert!(old_ssl
            .matches(&comp(
                "pkg:deb/debian/openssl@3.0.14-1~deb12u2",
                Some("3.0.14-1~deb12u2")
            ))
            .is_some());
        assert!(old_ssl
            .matches(&comp("pkg:deb/debian/openssl@3.0.15-1", Some("3.0.15-1")))
            .is_none());
        assert!(old_ssl
            .matches(&comp("pkg:deb/debian/openssl@1:1.0", Some("1:1.0")))
            .is_none());

        // PEP 503 names, PEP 440 order: a release candidate is before the release
        let req = PackagePattern::parse("pkg:pypi/Requests@<2.32").unwrap();
        assert!(req
            .matches(&comp("pkg:pypi/requests@2.32.0rc1", Some("2.32.0rc1")))
            .is_some());
        assert!(req
            .matches(&comp("pkg:pypi/requests@2.32.0", Some("2.32.0")))
            .is_none());
        assert!(req
            .matches(&comp("pkg:pypi/requests", None))
            .unwrap()
            .contains("no version"));

        let lodash = PackagePattern::parse("pkg:npm/lodash@>=4.0.0,<4.17.21").unwrap();
        assert!(lodash
            .matches(&comp("pkg:npm/lodash@4.17.4", Some("4.17.4")))
            .is_some());
        assert!(lodash
            .matches(&comp("pkg:npm/lodash@3.10.1", Some("3.10.1")))
            .is_none());

        let scoped = PackagePattern::parse("pkg:npm/@angular/core@<17").unwrap();
        assert!(scoped
            .matches(&comp("pkg:npm/%40angular/core@16.2.0", Some("16.2.0")))
            .is_some());
        let prefix = PackagePattern::parse("pkg:npm/@types/*").unwrap();
        assert!(prefix
            .matches(&comp("pkg:npm/%40types/node@20.1.0", Some("20.1.0")))
            .is_some());
    }

    #[test]
    fn bad_patterns_are_errors() {
        for bad in [
            "curl",
            "pkg:deb",
            "pkg:deb/debian/curl@<",
            "pkg:deb/debian/curl@<1 <2",
            "pkg:gem/rails@<7",
            "pkg:npm/a*b",
        ] {
            assert!(PackagePattern::parse(bad).is_err(), "{bad}");
        }
    }
}
