//! The policy gate: rules over the packages of an SBOM ([`crate::read::Document`]), the
//! checks of an admission controller's package and license checkers, usable anywhere.
//!
//! A [`Policy`] holds three kinds of rule:
//!
//! * **licenses**, by SPDX identifier (a trailing `*` matches a prefix: `AGPL-*`). A
//!   package's license is an expression and is evaluated as one: with `deny`, it fails when
//!   no choice of its `OR` branches avoids every denied license (`MIT OR GPL-3.0-only` passes
//!   when only GPL is denied, `MIT AND GPL-3.0-only` does not); with `allow`, it fails when no
//!   choice uses allowed licenses only. A package without a license breaks no license rule
//!   (require `license` for that);
//! * **packages**, by purl pattern ([`PackagePattern`]): `pkg:deb/debian/curl` denies every
//!   version, `pkg:pypi/requests@<2.32` only those the range holds, compared by the
//!   ecosystem's own order ([`crate::version::compare`]);
//! * **required fields** ([`Field`]): supplier, license, version, purl.
//!
//! Policies are TOML or YAML files of this shape ([`Policy::from_toml`],
//! [`Policy::from_yaml`], [`Policy::from_file`]):
//!
//! ```toml
//! require = ["version", "license"]
//!
//! [licenses]
//! allow = ["MIT", "Apache-2.0", "BSD-*"]
//! deny = ["GPL-3.0-or-later", "AGPL-*"]
//!
//! [packages]
//! deny = ["pkg:deb/debian/curl", "pkg:pypi/requests@<2.32", "pkg:npm/lodash@>=4.0.0,<4.17.21"]
//! ```
//!
//! ```
//! use sbom_core::policy::Policy;
//! use sbom_core::read::Document;
//! let policy = Policy::from_toml(r#"
//!     [licenses]
//!     deny = ["GPL-3.0-only"]
//!     [packages]
//!     deny = ["pkg:pypi/requests@<2.32"]
//! "#).unwrap();
//! let bom = br#"{"bomFormat":"CycloneDX","specVersion":"1.6","components":[
//!   {"type":"library","name":"requests","version":"2.31.0","purl":"pkg:pypi/requests@2.31.0"},
//!   {"type":"library","name":"a","version":"1","purl":"pkg:npm/a@1","licenses":[{"expression":"MIT OR GPL-3.0-only"}]},
//!   {"type":"library","name":"b","version":"1","purl":"pkg:npm/b@1","licenses":[{"expression":"MIT AND GPL-3.0-only"}]}]}"#;
//! let report = policy.check(&Document::from_slice("bom.json", bom).unwrap());
//! let hits: Vec<_> = report.violations.iter().map(|v| (v.rule.id(), v.package.name.as_str())).collect();
//! assert_eq!(hits, [("package-denied", "requests"), ("license-denied", "b")]);
//! ```

mod package;
pub mod sarif;

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::read::{Component, Document};

pub use package::{PackagePattern, VersionRange};

/// Why a policy could not be used: the file, or the rule, named.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// The policy file could not be read.
    #[error("{name}: {source}")]
    Io {
        /// The file.
        name: String,
        /// What the system said.
        source: std::io::Error,
    },
    /// The file is not a policy: bad TOML or YAML, an unknown key, a wrong type.
    #[error("{name}: {reason}")]
    Syntax {
        /// The file.
        name: String,
        /// What the parser said.
        reason: String,
    },
    /// A rule that cannot be evaluated: an unknown license id, a malformed purl pattern or
    /// version range, a range for an ecosystem without a version order.
    #[error("{rule}: {reason}")]
    Rule {
        /// The rule as written.
        rule: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// A field a package must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Field {
    /// Who supplies it.
    Supplier,
    /// A license (an assertion, not `NOASSERTION`).
    License,
    /// A version.
    Version,
    /// A package URL.
    Purl,
}

impl std::str::FromStr for Field {
    type Err = PolicyError;
    fn from_str(s: &str) -> Result<Self, PolicyError> {
        match s {
            "supplier" => Ok(Field::Supplier),
            "license" => Ok(Field::License),
            "version" => Ok(Field::Version),
            "purl" => Ok(Field::Purl),
            _ => Err(PolicyError::Rule {
                rule: s.to_string(),
                reason: "not a field that can be required (supplier, license, version, purl)"
                    .into(),
            }),
        }
    }
}

impl Field {
    /// The name as written in policies.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Supplier => "supplier",
            Field::License => "license",
            Field::Version => "version",
            Field::Purl => "purl",
        }
    }
}

/// A policy file's `[licenses]` table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct LicensesFile {
    #[serde(default)]
    allow: Vec<String>,
    #[serde(default)]
    deny: Vec<String>,
}

/// A policy file's `[packages]` table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct PackagesFile {
    #[serde(default)]
    deny: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    #[serde(default)]
    licenses: LicensesFile,
    #[serde(default)]
    packages: PackagesFile,
    #[serde(default)]
    require: Vec<Field>,
}

/// A license rule: an SPDX identifier (or `LicenseRef-`), or a prefix ending in `*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LicensePattern(String);

impl LicensePattern {
    /// Parses a rule; an identifier that is neither on the SPDX list nor a `LicenseRef-` is
    /// an error (a typo would otherwise match nothing, silently).
    ///
    /// ```
    /// use sbom_core::policy::LicensePattern;
    /// assert!(LicensePattern::parse("GPL-3.0-or-later").is_ok());
    /// assert!(LicensePattern::parse("AGPL-*").is_ok());
    /// assert!(LicensePattern::parse("GPL-3.0-or-latr").is_err());
    /// ```
    pub fn parse(s: &str) -> Result<Self, PolicyError> {
        let s = s.trim();
        let err = |reason: &str| PolicyError::Rule {
            rule: s.to_string(),
            reason: reason.to_string(),
        };
        if s.is_empty() {
            return Err(err("an empty license rule"));
        }
        if let Some(prefix) = s.strip_suffix('*') {
            if prefix.contains('*') {
                return Err(err("`*` may only end a license rule"));
            }
            return Ok(LicensePattern(s.to_string()));
        }
        let known = s.starts_with("LicenseRef-")
            || matches!(spdx::Expression::parse(s), Ok(e) if e.requirements().count() == 1);
        if !known {
            return Err(err(
                "not an SPDX license identifier (see https://spdx.org/licenses/) or LicenseRef-",
            ));
        }
        Ok(LicensePattern(s.to_string()))
    }

    /// The rule as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether one license of an expression (with or without its `WITH` exception) is this.
    fn matches(&self, req: &spdx::LicenseReq) -> bool {
        let full = req.to_string();
        let license = req.license.to_string();
        [full.as_str(), license.as_str()]
            .iter()
            .any(|name| match self.0.strip_suffix('*') {
                Some(prefix) => name
                    .get(..prefix.len())
                    .is_some_and(|p| p.eq_ignore_ascii_case(prefix)),
                None => name.eq_ignore_ascii_case(&self.0),
            })
    }
}

/// The rules a document is checked against.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    /// Licenses a package may use; empty = any.
    pub allow_licenses: Vec<LicensePattern>,
    /// Licenses no package may need.
    pub deny_licenses: Vec<LicensePattern>,
    /// Packages (and version ranges) no document may hold.
    pub deny_packages: Vec<PackagePattern>,
    /// Fields every package must have.
    pub require: Vec<Field>,
}

impl Policy {
    /// Parses a TOML policy. `name` names it in errors.
    pub fn from_toml(text: &str) -> Result<Policy, PolicyError> {
        Self::from_toml_named("policy", text)
    }

    fn from_toml_named(name: &str, text: &str) -> Result<Policy, PolicyError> {
        let file: PolicyFile = toml::from_str(text).map_err(|e| PolicyError::Syntax {
            name: name.to_string(),
            reason: e.to_string().trim_end().replace('\n', " "),
        })?;
        Self::from_parsed(file)
    }

    /// Parses a YAML policy (the same keys as TOML).
    ///
    /// ```
    /// let p = sbom_core::policy::Policy::from_yaml("licenses:\n  deny: [GPL-3.0-only]\nrequire: [supplier]\n").unwrap();
    /// assert_eq!(p.deny_licenses.len(), 1);
    /// ```
    pub fn from_yaml(text: &str) -> Result<Policy, PolicyError> {
        Self::from_yaml_named("policy", text)
    }

    fn from_yaml_named(name: &str, text: &str) -> Result<Policy, PolicyError> {
        let file: PolicyFile = serde_norway::from_str(text).map_err(|e| PolicyError::Syntax {
            name: name.to_string(),
            reason: e.to_string(),
        })?;
        Self::from_parsed(file)
    }

    /// Reads a policy file: YAML when it ends in `.yaml` or `.yml`, TOML otherwise.
    pub fn from_file(path: &Path) -> Result<Policy, PolicyError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| PolicyError::Io {
            name: name.clone(),
            source,
        })?;
        let yaml = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"));
        let with_name = |e: PolicyError| match e {
            PolicyError::Rule { rule, reason } => PolicyError::Syntax {
                name: name.clone(),
                reason: format!("{rule}: {reason}"),
            },
            e => e,
        };
        if yaml {
            Self::from_yaml_named(&name, &text).map_err(with_name)
        } else {
            Self::from_toml_named(&name, &text).map_err(with_name)
        }
    }

    fn from_parsed(f: PolicyFile) -> Result<Policy, PolicyError> {
        let mut p = Policy {
            require: f.require,
            ..Policy::default()
        };
        for l in &f.licenses.allow {
            p.allow_licenses.push(LicensePattern::parse(l)?);
        }
        for l in &f.licenses.deny {
            p.deny_licenses.push(LicensePattern::parse(l)?);
        }
        for d in &f.packages.deny {
            p.deny_packages.push(PackagePattern::parse(d)?);
        }
        Ok(p)
    }

    /// Adds another policy's rules to this one (a file, then command-line flags).
    pub fn extend(&mut self, other: Policy) {
        self.allow_licenses.extend(other.allow_licenses);
        self.deny_licenses.extend(other.deny_licenses);
        self.deny_packages.extend(other.deny_packages);
        for f in other.require {
            if !self.require.contains(&f) {
                self.require.push(f);
            }
        }
    }

    /// True when the policy has no rule at all (a check would pass anything).
    pub fn is_empty(&self) -> bool {
        self.allow_licenses.is_empty()
            && self.deny_licenses.is_empty()
            && self.deny_packages.is_empty()
            && self.require.is_empty()
    }

    /// Checks every package of `doc`.
    pub fn check(&self, doc: &Document) -> Report {
        let mut violations = Vec::new();
        for c in &doc.components {
            self.check_component(c, &mut violations);
        }
        Report {
            document: doc.source.clone(),
            format: doc.format.clone(),
            packages: doc.components.len(),
            violations,
        }
    }

    fn check_component(&self, c: &Component, out: &mut Vec<Violation>) {
        let pkg = PackageSummary::of(c);
        for field in &self.require {
            let missing = match field {
                Field::Supplier => c.supplier.is_none(),
                Field::License => c.license.is_none(),
                Field::Version => c.version.is_none(),
                Field::Purl => c.purl.is_none(),
            };
            if missing {
                out.push(Violation {
                    rule: Rule::MissingField,
                    package: pkg.clone(),
                    message: format!("{} has no {}", pkg.display(), field.as_str()),
                });
            }
        }
        for pattern in &self.deny_packages {
            if let Some(why) = pattern.matches(c) {
                out.push(Violation {
                    rule: Rule::PackageDenied,
                    package: pkg.clone(),
                    message: format!("{} is denied by {}{}", pkg.display(), pattern.as_str(), why),
                });
            }
        }
        let Some(license) = &c.license else { return };
        if self.allow_licenses.is_empty() && self.deny_licenses.is_empty() {
            return;
        }
        let expr = match spdx::Expression::parse_mode(license, spdx::ParseMode::LAX) {
            Ok(e) => e,
            Err(_) => {
                out.push(Violation {
                    rule: Rule::LicenseUnparsable,
                    package: pkg.clone(),
                    message: format!(
                        "{}: license {license:?} is not an SPDX expression, so license rules cannot be checked",
                        pkg.display()
                    ),
                });
                return;
            }
        };
        let denied = |r: &spdx::LicenseReq| self.deny_licenses.iter().any(|p| p.matches(r));
        let allowed = |r: &spdx::LicenseReq| {
            self.allow_licenses.is_empty() || self.allow_licenses.iter().any(|p| p.matches(r))
        };
        if !self.deny_licenses.is_empty() && !expr.evaluate(|r| !denied(r)) {
            let names = names_of(&expr, denied);
            out.push(Violation {
                rule: Rule::LicenseDenied,
                package: pkg.clone(),
                message: format!("{}: license {license} needs denied {names}", pkg.display()),
            });
        } else if !self.allow_licenses.is_empty() && !expr.evaluate(|r| allowed(r) && !denied(r)) {
            let names = names_of(&expr, |r| !allowed(r));
            out.push(Violation {
                rule: Rule::LicenseNotAllowed,
                package: pkg,
                message: format!(
                    "{}: license {license} needs {names}, not in the allow list",
                    pkg_display(c)
                ),
            });
        }
    }
}

fn pkg_display(c: &Component) -> String {
    PackageSummary::of(c).display()
}

/// The licenses of `expr` for which `pick` holds, joined for a message.
fn names_of(expr: &spdx::Expression, pick: impl Fn(&spdx::LicenseReq) -> bool) -> String {
    let mut names: Vec<String> = expr
        .requirements()
        .filter(|r| pick(&r.req))
        .map(|r| r.req.to_string())
        .collect();
    names.dedup();
    names.join(", ")
}

/// Which rule a violation broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// The license needs a denied license.
    LicenseDenied,
    /// The license cannot be satisfied with allowed licenses.
    LicenseNotAllowed,
    /// The license is not an SPDX expression.
    LicenseUnparsable,
    /// The package matches a denied purl pattern.
    PackageDenied,
    /// A required field is missing.
    MissingField,
}

impl Rule {
    /// Every rule, in the order SARIF lists them.
    pub const ALL: [Rule; 5] = [
        Rule::LicenseDenied,
        Rule::LicenseNotAllowed,
        Rule::LicenseUnparsable,
        Rule::PackageDenied,
        Rule::MissingField,
    ];

    /// The rule's id (`license-denied`), as JSON and SARIF write it.
    pub fn id(self) -> &'static str {
        match self {
            Rule::LicenseDenied => "license-denied",
            Rule::LicenseNotAllowed => "license-not-allowed",
            Rule::LicenseUnparsable => "license-unparsable",
            Rule::PackageDenied => "package-denied",
            Rule::MissingField => "missing-field",
        }
    }

    /// One line saying what the rule checks.
    pub fn description(self) -> &'static str {
        match self {
            Rule::LicenseDenied => {
                "A package's license expression cannot be satisfied without a denied license"
            }
            Rule::LicenseNotAllowed => {
                "A package's license expression cannot be satisfied with allowed licenses only"
            }
            Rule::LicenseUnparsable => "A package's license is not an SPDX expression",
            Rule::PackageDenied => {
                "A package matches a denied package URL pattern and version range"
            }
            Rule::MissingField => "A package lacks a field the policy requires",
        }
    }
}

/// The package a violation is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PackageSummary {
    /// Its name.
    pub name: String,
    /// Its version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Its purl.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    /// Its license.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
}

impl PackageSummary {
    fn of(c: &Component) -> Self {
        PackageSummary {
            name: c.name.clone(),
            version: c.version.clone(),
            purl: c.purl.clone(),
            license: c.license.clone(),
        }
    }

    /// `name version` (or the purl when there is one), for messages.
    pub fn display(&self) -> String {
        match (&self.purl, &self.version) {
            (Some(p), _) => p.clone(),
            (None, Some(v)) => format!("{} {v}", self.name),
            (None, None) => self.name.clone(),
        }
    }
}

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// Which rule.
    pub rule: Rule,
    /// Which package.
    pub package: PackageSummary,
    /// What is wrong, in one line.
    pub message: String,
}

/// The outcome of [`Policy::check`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The document or image checked.
    pub document: String,
    /// Its format.
    pub format: String,
    /// How many packages were checked.
    pub packages: usize,
    /// Every broken rule, in document order.
    pub violations: Vec<Violation>,
}

impl Report {
    /// True when no rule was broken.
    pub fn passed(&self) -> bool {
        self.violations.is_empty()
    }
}
