//! What changed between two SBOMs (or two scanned images): packages added, removed,
//! upgraded and downgraded, by each ecosystem's own version order.
//!
//! Packages are matched by identity: the purl's type, namespace, name and `arch` qualifier
//! (other qualifiers, such as Syft's `distro=debian-12` and Trivy's `distro=debian-12.5`,
//! differ between producers for the same package); without a purl, by name. Several
//! packages of one identity on a side (the same npm package in two `node_modules`) are
//! paired version by version: versions on both sides are unchanged, the rest are paired in
//! order and the leftovers are added or removed.
//!
//! A version change is an upgrade or a downgrade by [`crate::version::compare`]; where the
//! ecosystem has no order we implement, or the order calls two different strings equal
//! (`1.0` and `1.00` to dpkg), it is `changed`. Each entry carries the layer it came from
//! (the new side's for additions and version changes, the old side's for removals) when the
//! side is an image, with the Dockerfile instruction when the scan mapped one.
//!
//! ```
//! use sbom_core::{diff::diff, read::Document};
//! let old = Document::from_slice("old.json", br#"{"bomFormat":"CycloneDX","specVersion":"1.6","components":[
//!   {"type":"library","name":"a","version":"1.9.0","purl":"pkg:npm/a@1.9.0"},
//!   {"type":"library","name":"b","version":"1.0.0","purl":"pkg:npm/b@1.0.0"}]}"#).unwrap();
//! let new = Document::from_slice("new.json", br#"{"bomFormat":"CycloneDX","specVersion":"1.6","components":[
//!   {"type":"library","name":"a","version":"1.10.0","purl":"pkg:npm/a@1.10.0"},
//!   {"type":"library","name":"c","version":"2.0.0","purl":"pkg:npm/c@2.0.0"}]}"#).unwrap();
//! let d = diff(&old, &new);
//! assert_eq!(d.upgraded[0].name, "a"); // 1.10.0 > 1.9.0 by semver, not by string
//! assert_eq!(d.added[0].name, "c");
//! assert_eq!(d.removed[0].name, "b");
//! assert!(!d.is_empty());
//! ```

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde::Serialize;

use crate::read::{Component, Document, Origin};
use crate::Ecosystem;

/// A package on one side only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// Its name.
    pub name: String,
    /// Its version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Its purl.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    /// Its ecosystem.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ecosystem: Option<Ecosystem>,
    /// The layer it is in, on its side.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
}

/// A package whose version differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// Its name.
    pub name: String,
    /// Its purl on the new side (else the old).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    /// Its ecosystem.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ecosystem: Option<Ecosystem>,
    /// The old version.
    pub from: String,
    /// The new version.
    pub to: String,
    /// The layer of the new version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
}

/// The difference of two documents.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Diff {
    /// The old side's source.
    pub old: String,
    /// The new side's source.
    pub new: String,
    /// Only in the new side.
    pub added: Vec<Entry>,
    /// Only in the old side.
    pub removed: Vec<Entry>,
    /// A newer version in the new side.
    pub upgraded: Vec<Change>,
    /// An older version in the new side.
    pub downgraded: Vec<Change>,
    /// A different version the ecosystem's order cannot rank (none implemented, or equal).
    pub changed: Vec<Change>,
}

impl Diff {
    /// True when nothing changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.removed.is_empty()
            && self.upgraded.is_empty()
            && self.downgraded.is_empty()
            && self.changed.is_empty()
    }
}

/// (purl type, namespace, name, arch) lower-cased, or the name alone.
type Key = (String, String, String, String);

fn key(c: &Component) -> Key {
    if let Some(p) = c
        .purl
        .as_deref()
        .and_then(|p| p.parse::<packageurl::PackageUrl>().ok())
    {
        let ty = p.ty().to_ascii_lowercase();
        let name = if ty == "pypi" {
            crate::purl::pep503_normalize(p.name())
        } else {
            p.name().to_ascii_lowercase()
        };
        let arch = p
            .qualifiers()
            .get("arch")
            .map(|a| a.to_ascii_lowercase())
            .unwrap_or_default();
        return (
            ty,
            p.namespace().unwrap_or("").to_ascii_lowercase(),
            name,
            arch,
        );
    }
    (
        String::new(),
        String::new(),
        c.name.to_ascii_lowercase(),
        String::new(),
    )
}

fn entry(c: &Component) -> Entry {
    Entry {
        name: c.name.clone(),
        version: c.version.clone(),
        purl: c.purl.clone(),
        ecosystem: c.ecosystem,
        origin: c.origin.clone(),
    }
}

/// Compares `old` with `new`.
pub fn diff(old: &Document, new: &Document) -> Diff {
    let mut groups: BTreeMap<Key, (Vec<&Component>, Vec<&Component>)> = BTreeMap::new();
    for c in &old.components {
        groups.entry(key(c)).or_default().0.push(c);
    }
    for c in &new.components {
        groups.entry(key(c)).or_default().1.push(c);
    }
    let mut d = Diff {
        old: old.source.clone(),
        new: new.source.clone(),
        ..Diff::default()
    };
    for (_, (mut a, mut b)) in groups {
        // the same version on both sides is no change, whichever producer wrote it
        a.retain(|x| match b.iter().position(|y| y.version == x.version) {
            Some(i) => {
                b.remove(i);
                false
            }
            None => true,
        });
        let eco = a.first().or(b.first()).and_then(|c| c.ecosystem);
        let order = |x: &&Component, y: &&Component| match (&x.version, &y.version, eco) {
            (Some(p), Some(q), Some(e)) => {
                crate::version::compare(e, p, q).unwrap_or_else(|| p.cmp(q))
            }
            _ => x.version.cmp(&y.version),
        };
        a.sort_by(order);
        b.sort_by(order);
        let paired = a.len().min(b.len());
        for (x, y) in a.iter().zip(&b) {
            let change = Change {
                name: y.name.clone(),
                purl: y.purl.clone().or_else(|| x.purl.clone()),
                ecosystem: y.ecosystem.or(x.ecosystem),
                from: x.version.clone().unwrap_or_default(),
                to: y.version.clone().unwrap_or_default(),
                origin: y.origin.clone(),
            };
            let direction = match (eco, &x.version, &y.version) {
                (Some(e), Some(p), Some(q)) => crate::version::compare(e, p, q),
                _ => None,
            };
            match direction {
                Some(Ordering::Less) => d.upgraded.push(change),
                Some(Ordering::Greater) => d.downgraded.push(change),
                _ => d.changed.push(change),
            }
        }
        d.removed.extend(a[paired..].iter().map(|c| entry(c)));
        d.added.extend(b[paired..].iter().map(|c| entry(c)));
    }
    d
}
