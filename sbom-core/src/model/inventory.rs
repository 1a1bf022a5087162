use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::{Distro, ImageInfo, LayerInfo, Package, PackageId};

/// Which packages an inventory lists.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    /// What the final image holds.
    #[default]
    Squashed,
    /// Also packages a later layer removed, marked with `removed_in`.
    AllLayers,
}

/// The program that made the inventory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolInfo {
    /// `sbom`: the name documents give as their creator tool.
    pub name: String,
    /// The version of this crate that made the inventory.
    pub version: String,
}

impl Default for ToolInfo {
    fn default() -> Self {
        ToolInfo {
            name: "sbom".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

/// How two packages relate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RelationshipKind {
    /// `from` needs `to` (from the package database's dependency fields).
    DependsOn,
    /// `from` (an OS package) owns the files of `to` (a language package).
    Contains,
}

/// A directed edge between two packages of the inventory; [`Inventory::finalize`] drops
/// edges whose ends are not both in [`Inventory::packages`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Relationship {
    /// The package the edge starts from.
    pub from: PackageId,
    /// What the edge says.
    pub kind: RelationshipKind,
    /// The package it points to.
    pub to: PackageId,
}

/// Something the scan could not fully read. `incomplete` means packages may be missing from
/// the inventory because of it; every writer records that.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Warning {
    /// Absolute path in the image, when the warning is about a file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Index of the layer it concerns, when it concerns one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<usize>,
    /// What went wrong, for people.
    pub message: String,
    /// True when packages may be missing because of it: writers then mark the whole
    /// document incomplete.
    pub incomplete: bool,
}

/// Everything a scan found: the image, its layers, and its packages.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Inventory {
    /// The program that made it.
    pub tool: ToolInfo,
    /// Whether [`Inventory::packages`] also holds packages a later layer removed.
    pub scope: Scope,
    /// The image as a whole.
    pub image: ImageInfo,
    /// The distro of the final image.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distro: Option<Distro>,
    /// Every layer, base first, with what each added, changed and removed.
    pub layers: Vec<LayerInfo>,
    /// Every package found, sorted by [`Inventory::finalize`].
    pub packages: Vec<Package>,
    /// Dependencies and ownership between [`Inventory::packages`].
    #[serde(default)]
    pub relationships: Vec<Relationship>,
    /// What the scan could not read; see [`Inventory::is_incomplete`].
    #[serde(default)]
    pub warnings: Vec<Warning>,
}

impl Inventory {
    /// Fills derived fields (purl, id) and puts everything in a stable order, so that the same
    /// image always serialises to the same bytes. Call once after the last package is added.
    pub fn finalize(&mut self) {
        for p in &mut self.packages {
            if p.purl.is_empty() {
                p.purl = crate::purl::package_purl(p, self.distro.as_ref());
            }
            if p.id.0.is_empty() {
                p.id = default_id(p);
            }
        }
        // Same purl recorded in two places (two copies of one npm package): keep both, with
        // the place in the id, so bom-refs stay unique.
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        for p in &self.packages {
            *seen.entry(p.id.0.clone()).or_default() += 1;
        }
        let mut renamed = BTreeMap::new();
        for p in &mut self.packages {
            if seen[&p.id.0] > 1 && !p.id.0.contains('#') {
                let new = PackageId(format!("{}#{}", p.id.0, p.database_path));
                renamed.insert(p.id.clone(), new.clone());
                p.id = new;
            }
        }
        self.packages.sort_by(|a, b| {
            (a.ecosystem, &a.name, &a.version, &a.arch, &a.id).cmp(&(
                b.ecosystem,
                &b.name,
                &b.version,
                &b.arch,
                &b.id,
            ))
        });
        for p in &mut self.packages {
            p.files.sort();
            p.files.dedup();
        }
        let ids: BTreeSet<&PackageId> = self.packages.iter().map(|p| &p.id).collect();
        let rels: BTreeSet<Relationship> = self
            .relationships
            .drain(..)
            .filter(|r| ids.contains(&r.from) && ids.contains(&r.to) && r.from != r.to)
            .collect();
        self.relationships = rels.into_iter().collect();
        for l in &mut self.layers {
            l.added.sort();
            l.removed.sort();
            l.changed.sort();
        }
        self.warnings.sort();
        self.warnings.dedup();
    }

    /// Packages present in the final image (not removed by a later layer).
    pub fn installed(&self) -> impl Iterator<Item = &Package> {
        self.packages.iter().filter(|p| p.removed_in.is_none())
    }

    /// True when some database could not be read in full.
    pub fn is_incomplete(&self) -> bool {
        self.warnings.iter().any(|w| w.incomplete)
    }

    /// Looks a package up by id.
    pub fn package(&self, id: &PackageId) -> Option<&Package> {
        self.packages.iter().find(|p| &p.id == id)
    }
}

/// The id a package gets when the detector did not set one: see [`PackageId`].
pub fn default_id(p: &Package) -> PackageId {
    if p.ecosystem.is_os() {
        PackageId(p.purl.clone())
    } else {
        PackageId(format!("{}#{}", p.purl, p.database_path))
    }
}
