use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::{
    Distro, FileEntry, ImageInfo, LayerInfo, Package, PackageChange, PackageId, PackageRef,
};

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
///
/// Warnings order by path, layer, then message with numbers compared as numbers, so that
/// "entry 2" comes before "entry 10".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

impl Ord for Warning {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (&self.path, self.layer)
            .cmp(&(&other.path, other.layer))
            .then_with(|| natural_cmp(&self.message, &other.message))
            .then_with(|| self.message.cmp(&other.message))
            .then_with(|| self.incomplete.cmp(&other.incomplete))
    }
}

impl PartialOrd for Warning {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Text compared with runs of ASCII digits taken as numbers (`entry 2` < `entry 10`).
/// Hand-written: a dozen lines, where the crates for it bring Unicode tables along.
fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    loop {
        match (a.first(), b.first()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let digits = |s: &[u8]| s.iter().take_while(|c| c.is_ascii_digit()).count();
                let (na, nb) = (digits(a), digits(b));
                let (da, db) = (&a[..na], &b[..nb]);
                // leading zeros do not change a number's value
                let trim = |d: &'_ [u8]| -> usize { d.iter().take_while(|c| **c == b'0').count() };
                let (ta, tb) = (&da[trim(da)..], &db[trim(db)..]);
                let o = ta.len().cmp(&tb.len()).then_with(|| ta.cmp(tb));
                if o != Ordering::Equal {
                    return o;
                }
                a = &a[na..];
                b = &b[nb..];
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(y);
                }
                a = &a[1..];
                b = &b[1..];
            }
        }
    }
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
    /// The image's regular files, only when the scan was asked for them (`--files`): in
    /// path order, then layer order; empty (and not written) otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<FileEntry>,
}

impl Inventory {
    /// Fills derived fields (purl, id) and puts everything in a stable order, so that the same
    /// image always serialises to the same bytes. Call once after the last package is added;
    /// calling it again changes nothing.
    ///
    /// Ids are made unique by [`Inventory::assign_ids`] first, so relationships, owners and
    /// layer lists that named a shared id keep naming a package; a relationship whose end is
    /// still missing after that, or that links a package to itself, is dropped.
    pub fn finalize(&mut self) {
        self.assign_ids();
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
            l.added.dedup();
            l.removed.sort();
            l.removed.dedup();
            l.changed.sort();
            l.changed.dedup();
        }
        self.warnings.sort();
        self.warnings.dedup();
        for f in &mut self.files {
            f.owners.sort();
            f.owners.dedup();
        }
        self.files.sort();
    }

    /// Fills every empty purl and id (see [`Inventory::id_for`]) and gives packages that share an
    /// id distinct ones, without reordering packages: the only place ids and purls are
    /// filled. [`Inventory::finalize`] runs it; call it yourself to learn the final id of
    /// each package (by index) before adding references to them.
    ///
    /// Packages sharing an id (one package recorded in two databases, a package a layer
    /// removed and a later one installed again, two detector-set ids) get, in turn until
    /// they differ: `#` and the path that recorded them (unless the id already ends with
    /// it), `#removed-in-N` for a copy a layer removed, `#copy-N`.
    ///
    /// A reference to a shared id is moved to the copies it can mean:
    /// - a relationship end: the copies the other end relates to (for `depends-on`, those
    ///   the dependent package would load, nearest first, see [`Package::lookup_distance`];
    ///   for `contains`, those the OS package owns, see [`Package::owns`]), every copy when
    ///   none does;
    /// - an `owner`: the copy that owns the package, else the first copy;
    /// - a layer's `added` and `changed` entries: the copies that layer introduced
    ///   ([`Package::layer`]), else every copy; `removed` entries: the copies that layer
    ///   removed, else left as they are (the package is not in the inventory).
    pub fn assign_ids(&mut self) {
        for p in &mut self.packages {
            if p.purl.is_empty() {
                p.purl = crate::purl::package_purl(p, self.distro.as_ref());
            }
            if p.id.0.is_empty() {
                p.id = default_id(p);
            }
        }
        let copies = self.split_shared_ids();
        if copies.is_empty() {
            return;
        }
        self.move_relationships(&copies);
        self.move_owners(&copies);
        self.move_layer_refs(&copies);
    }

    /// Renames packages that share an id; returns each former shared id with the indices
    /// of the packages that held it.
    fn split_shared_ids(&mut self) -> BTreeMap<PackageId, Vec<usize>> {
        let mut all: BTreeMap<&PackageId, Vec<usize>> = BTreeMap::new();
        for (i, p) in self.packages.iter().enumerate() {
            all.entry(&p.id).or_default().push(i);
        }
        let by_id: BTreeMap<PackageId, Vec<usize>> = all
            .into_iter()
            .filter(|(_, v)| v.len() > 1)
            .map(|(id, v)| (id.clone(), v))
            .collect();
        if by_id.is_empty() {
            return by_id;
        }
        // a new id must not be one another package already has
        let mut taken: BTreeSet<String> = self
            .packages
            .iter()
            .filter(|p| !by_id.contains_key(&p.id))
            .map(|p| p.id.0.clone())
            .collect();
        for (old, idxs) in &by_id {
            let pkgs: Vec<&Package> = idxs.iter().map(|&i| &self.packages[i]).collect();
            let mut new: Vec<String> = pkgs
                .iter()
                .map(|p| {
                    let place = format!("#{}", p.database_path);
                    if p.database_path.is_empty() || old.0.ends_with(&place) {
                        old.0.clone()
                    } else {
                        old.0.clone() + &place
                    }
                })
                .collect();
            let clashing: Vec<bool> = (0..new.len()).map(|k| clashes(&new, k, &taken)).collect();
            for (k, p) in pkgs.iter().enumerate() {
                if let Some(r) = p.removed_in.filter(|_| clashing[k]) {
                    new[k] = format!("{}#removed-in-{r}", new[k]);
                }
            }
            // still equal: the later ones numbered, in the order they were recorded
            for id in &mut new {
                if taken.contains(id.as_str()) {
                    let base = id.clone();
                    *id = (2..)
                        .map(|n| format!("{base}#copy-{n}"))
                        .find(|c| !taken.contains(c.as_str()))
                        .expect("an unused suffix");
                }
                taken.insert(id.clone());
            }
            for (&i, id) in idxs.iter().zip(new) {
                self.packages[i].id = PackageId(id);
            }
        }
        by_id
    }

    fn move_relationships(&mut self, copies: &BTreeMap<PackageId, Vec<usize>>) {
        let index: BTreeMap<&PackageId, usize> = self
            .packages
            .iter()
            .enumerate()
            .map(|(i, p)| (&p.id, i))
            .collect();
        let mut out = Vec::with_capacity(self.relationships.len());
        for r in self.relationships.drain(..) {
            let (from, to) = (copies.get(&r.from), copies.get(&r.to));
            if from.is_none() && to.is_none() {
                out.push(r);
                continue;
            }
            let relates = |a: &Package, b: &Package| match r.kind {
                RelationshipKind::DependsOn => a.lookup_distance(b),
                RelationshipKind::Contains => a.owns(b).then_some(0),
            };
            let pkgs = &self.packages;
            let froms: Vec<usize> = match (from, to) {
                (Some(f), None) => match index.get(&r.to) {
                    Some(&t) => narrowest(f, |c| relates(&pkgs[c], &pkgs[t]).map(|_| 0)),
                    None => f.clone(),
                },
                (Some(f), Some(_)) => f.clone(),
                (None, _) => index.get(&r.from).into_iter().copied().collect(),
            };
            for &f in &froms {
                let tos: Vec<usize> = match to {
                    Some(t) => narrowest(t, |c| relates(&pkgs[f], &pkgs[c])),
                    None => index.get(&r.to).into_iter().copied().collect(),
                };
                for t in tos {
                    out.push(Relationship {
                        from: pkgs[f].id.clone(),
                        kind: r.kind,
                        to: pkgs[t].id.clone(),
                    });
                }
            }
            // an end that names no package cannot be placed; finalize drops the edge
            if froms.is_empty() && to.is_some() {
                out.push(r);
            }
        }
        self.relationships = out;
    }

    fn move_owners(&mut self, copies: &BTreeMap<PackageId, Vec<usize>>) {
        for i in 0..self.packages.len() {
            let Some(c) = self.packages[i].owner.as_ref().and_then(|o| copies.get(o)) else {
                continue;
            };
            let pkgs = &self.packages;
            let owner = c
                .iter()
                .copied()
                .find(|&o| pkgs[o].owns(&pkgs[i]))
                .unwrap_or(c[0]);
            self.packages[i].owner = Some(self.packages[owner].id.clone());
        }
    }

    fn move_layer_refs(&mut self, copies: &BTreeMap<PackageId, Vec<usize>>) {
        let pkgs = &self.packages;
        // the copies a layer's entry means: those it introduced (or removed), by index
        let pick = |id: &PackageId, matches: &dyn Fn(&Package) -> bool, all: bool| {
            let c = copies.get(id)?;
            let picked: Vec<&Package> =
                c.iter().map(|&i| &pkgs[i]).filter(|p| matches(p)).collect();
            match (picked.is_empty(), all) {
                (false, _) => Some(picked),
                (true, true) => Some(c.iter().map(|&i| &pkgs[i]).collect()),
                (true, false) => None,
            }
        };
        for l in &mut self.layers {
            let at = Some(l.index);
            let introduced = |p: &Package| p.layer == at;
            let removed = |p: &Package| p.removed_in == at;
            let mut refs = Vec::with_capacity(l.added.len());
            for r in l.added.drain(..) {
                match pick(&r.id, &introduced, true) {
                    Some(ps) => refs.extend(ps.into_iter().map(|p| PackageRef {
                        id: p.id.clone(),
                        ..r.clone()
                    })),
                    None => refs.push(r),
                }
            }
            l.added = refs;
            let mut refs = Vec::with_capacity(l.removed.len());
            for r in l.removed.drain(..) {
                match pick(&r.id, &removed, false) {
                    Some(ps) => refs.extend(ps.into_iter().map(|p| PackageRef {
                        id: p.id.clone(),
                        ..r.clone()
                    })),
                    None => refs.push(r),
                }
            }
            l.removed = refs;
            let mut changes = Vec::with_capacity(l.changed.len());
            for c in l.changed.drain(..) {
                match pick(&c.id, &introduced, true) {
                    Some(ps) => changes.extend(ps.into_iter().map(|p| PackageChange {
                        id: p.id.clone(),
                        ..c.clone()
                    })),
                    None => changes.push(c),
                }
            }
            l.changed = changes;
        }
    }

    /// The id [`Inventory::assign_ids`] gives `p` when no other package of the inventory has
    /// it: the id a detector set, else [`default_id`] of its purl (derived with this
    /// inventory's distro when unset). Names a package that is not in the inventory (a
    /// version a later layer replaced) the way the inventory would.
    pub fn id_for(&self, p: &Package) -> PackageId {
        if !p.id.0.is_empty() {
            return p.id.clone();
        }
        let purl = if p.purl.is_empty() {
            crate::purl::package_purl(p, self.distro.as_ref())
        } else {
            p.purl.clone()
        };
        default_id(&Package {
            ecosystem: p.ecosystem,
            purl,
            database_path: p.database_path.clone(),
            ..Default::default()
        })
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

/// True when `new[k]` is also another entry of `new`, or an id already taken.
fn clashes(new: &[String], k: usize, taken: &BTreeSet<String>) -> bool {
    taken.contains(new[k].as_str())
        || new
            .iter()
            .enumerate()
            .any(|(j, other)| j != k && *other == new[k])
}

/// The copies (indices) nearest by `distance`; all of them when none is reachable.
fn narrowest(copies: &[usize], distance: impl Fn(usize) -> Option<usize>) -> Vec<usize> {
    let d: Vec<Option<usize>> = copies.iter().map(|&c| distance(c)).collect();
    match d.iter().flatten().min() {
        Some(best) => copies
            .iter()
            .zip(&d)
            .filter(|(_, x)| **x == Some(*best))
            .map(|(&c, _)| c)
            .collect(),
        None => copies.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(message: &str) -> Warning {
        Warning {
            path: None,
            layer: None,
            message: message.into(),
            incomplete: false,
        }
    }

    #[test]
    fn warnings_order_numbers_by_value() {
        let mut v = [
            w("history entry 10 (x)"),
            w("history entry 2 (y)"),
            w("history entry 011 (z)"),
            w("history entry 1"),
            w("a"),
        ];
        v.sort();
        let got: Vec<&str> = v.iter().map(|w| w.message.as_str()).collect();
        assert_eq!(
            got,
            [
                "a",
                "history entry 1",
                "history entry 2 (y)",
                "history entry 10 (x)",
                "history entry 011 (z)"
            ]
        );
        // equal numbers written differently still order, so sorting is total
        assert_ne!(w("n 01").cmp(&w("n 1")), std::cmp::Ordering::Equal);
    }
}
