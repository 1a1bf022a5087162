//! The layers' change lists (`added`, `removed`, `changed`), naming packages by the ids the
//! inventory gave them.

use std::cmp::Ordering;
use std::collections::HashMap;

use sbom_core::{ChangeDirection, Inventory, PackageChange, PackageId, PackageRef};

use super::diff::{key, Entry, Key, LayerDiff};

/// Fills each layer's lists from its diff. Run after [`Inventory::assign_ids`]: an entry
/// for a package the inventory holds takes that package's id (with any `#path` the
/// inventory added), one copy per package where several share the entry's identity (one
/// OS package in two databases); an entry for a package the inventory does not hold (a
/// version a later layer replaced, a removed package outside `all-layers`) is named as the
/// inventory would name it ([`Inventory::id_for`]).
pub(super) fn fill(inv: &mut Inventory, diffs: Vec<LayerDiff>) {
    // identity and introducing layer -> the inventory's packages; removed copies
    // (`all-layers`) have the layer that introduced them too, so they are found as well
    let mut held: HashMap<(Key, Option<usize>), Vec<usize>> = HashMap::new();
    for (i, p) in inv.packages.iter().enumerate() {
        held.entry((key(p), p.layer)).or_default().push(i);
    }
    let mut lists = Vec::with_capacity(diffs.len());
    for d in diffs {
        let refs = |entries: &[Entry]| -> Vec<PackageRef> {
            entries
                .iter()
                .flat_map(|e| {
                    ids(inv, &held, e).into_iter().map(|id| PackageRef {
                        id,
                        ecosystem: e.package.ecosystem,
                        name: e.package.name.clone(),
                        version: e.package.version.clone(),
                    })
                })
                .collect()
        };
        let added = refs(&d.added);
        let removed = refs(&d.removed);
        let changed: Vec<PackageChange> = d
            .changed
            .iter()
            .flat_map(|(e, from)| {
                let p = &e.package;
                ids(inv, &held, e).into_iter().map(move |id| PackageChange {
                    id,
                    ecosystem: p.ecosystem,
                    name: p.name.clone(),
                    from_version: from.clone(),
                    to_version: p.version.clone(),
                    direction: crate::detect::version_order(p.ecosystem, &p.version, from).map(
                        |o| match o {
                            Ordering::Greater => ChangeDirection::Upgrade,
                            Ordering::Less => ChangeDirection::Downgrade,
                            Ordering::Equal => ChangeDirection::Same,
                        },
                    ),
                })
            })
            .collect();
        lists.push((added, removed, changed));
    }
    for (l, (added, removed, changed)) in inv.layers.iter_mut().zip(lists) {
        l.added = added;
        l.removed = removed;
        l.changed = changed;
    }
}

/// The ids an entry names: those of the inventory's packages it is, else the one the
/// inventory would give it.
fn ids(
    inv: &Inventory,
    held: &HashMap<(Key, Option<usize>), Vec<usize>>,
    e: &Entry,
) -> Vec<PackageId> {
    let found: Vec<PackageId> = held
        .get(&(key(&e.package), e.introduced))
        .into_iter()
        .flatten()
        .map(|&i| &inv.packages[i])
        .filter(|p| p.version == e.package.version)
        .map(|p| p.id.clone())
        .collect();
    if found.is_empty() {
        vec![inv.id_for(&e.package)]
    } else {
        found
    }
}
