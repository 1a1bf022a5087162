//! From per-layer walks to one inventory: the layers are laid over each other in order; after
//! each one the detectors report what the image holds, and consecutive reports are compared
//! to tell what every layer added, changed and removed.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use sbom_core::{
    default_id, ChangeDirection, Distro, Ecosystem, Inventory, LayerInfo, Package, PackageChange,
    PackageId, PackageRef, Relationship, RelationshipKind, Scope, Warning,
};

use crate::detect::{CollectContext, Detector, Findings, FsView};
use crate::source::resolve::ResolvedImage;
use crate::walk::layer::LayerAnalysis;

/// What identifies "the same package" across layers (see [`Package::identity`]).
type Key = (Ecosystem, String, Option<String>, String);

/// What one layer did: packages added, removed, and changed (with the version before).
#[derive(Default)]
struct LayerDiff {
    added: Vec<Package>,
    removed: Vec<Package>,
    changed: Vec<(Package, String)>,
}

fn key(p: &Package) -> Key {
    let (e, n, a, place) = p.identity();
    (e, n.to_string(), a.map(str::to_string), place.to_string())
}

fn collect(view: &FsView, detectors: &[Arc<dyn Detector>], full: bool) -> Findings {
    let mut all = Findings::default();
    for d in detectors {
        let mut f = Findings::default();
        d.collect(view, CollectContext { full_detail: full }, &mut f);
        all.packages.append(&mut f.packages);
        all.relationships.append(&mut f.relationships);
        all.warnings.append(&mut f.warnings);
        if f.distro.is_some() {
            all.distro = f.distro;
        }
    }
    all
}

fn layer_info(
    i: usize,
    a: &LayerAnalysis,
    resolved: &ResolvedImage,
    distro: Option<Distro>,
) -> LayerInfo {
    LayerInfo {
        index: i,
        diff_id: a.diff_id.clone(),
        digest: a.digest.clone(),
        compression: a.compression.as_str().to_string(),
        size: a.size,
        uncompressed_size: a.uncompressed_size,
        entries: a.entries,
        distro,
        media_type: resolved.layers.get(i).and_then(|l| l.media_type.clone()),
        ..Default::default()
    }
}

pub(crate) fn assemble(
    resolved: ResolvedImage,
    analyses: &[LayerAnalysis],
    detectors: &[Arc<dyn Detector>],
    scope: Scope,
    mut warnings: Vec<Warning>,
    dockerfile: Option<&crate::dockerfile::Dockerfile>,
) -> Inventory {
    let mut view = FsView::new();
    let mut previous: BTreeMap<Key, Package> = BTreeMap::new();
    // when each present package (in its present version) came in
    let mut introduced: HashMap<Key, usize> = HashMap::new();
    let mut removed_pkgs: Vec<Package> = Vec::new();
    let mut layers = Vec::with_capacity(analyses.len());
    let mut prev_distro: Option<Distro> = None;
    let mut final_findings = Findings::default();
    let mut diffs: Vec<LayerDiff> = Vec::new();

    for (i, a) in analyses.iter().enumerate() {
        let changed = view.apply(a);
        let last = i + 1 == analyses.len();
        if !changed && !last && i > 0 {
            // nothing a detector sees changed: the same findings, no package changes
            layers.push(layer_info(i, a, &resolved, None));
            diffs.push(LayerDiff::default());
            continue;
        }
        let findings = collect(&view, detectors, last);
        let now: BTreeMap<Key, Package> = findings
            .packages
            .iter()
            .map(|p| (key(p), light(p)))
            .collect();
        let mut added = Vec::new();
        let mut removed = Vec::new();
        let mut changed = Vec::new();
        for (k, p) in &now {
            match previous.get(k) {
                None => {
                    added.push(p.clone());
                    introduced.insert(k.clone(), i);
                }
                Some(old) if old.version != p.version => {
                    changed.push((p.clone(), old.version.clone()));
                    introduced.insert(k.clone(), i);
                }
                Some(_) => {}
            }
        }
        for (k, old) in &previous {
            if !now.contains_key(k) {
                removed.push(old.clone());
                let mut gone = old.clone();
                gone.layer = introduced.remove(k);
                gone.removed_in = Some(i);
                removed_pkgs.push(gone);
            }
        }
        let distro_changed = findings.distro.is_some() && findings.distro != prev_distro;
        let distro = distro_changed.then(|| findings.distro.clone()).flatten();
        layers.push(layer_info(i, a, &resolved, distro));
        diffs.push(LayerDiff {
            added,
            removed,
            changed,
        });
        prev_distro = findings.distro.clone();
        previous = now;
        if last {
            final_findings = findings;
        }
    }

    // failures of claimed files still visible in the final image
    for f in view.failures() {
        warnings.push(Warning {
            path: Some(f.path.to_string()),
            layer: Some(f.layer),
            message: format!("{} detector: {}", f.detector, f.message),
            incomplete: true,
        });
    }
    warnings.append(&mut final_findings.warnings);

    let distro = final_findings.distro.clone();
    let id_of = |p: &Package| -> PackageId {
        if !p.id.0.is_empty() {
            return p.id.clone();
        }
        let mut q = p.clone();
        q.purl = sbom_core::purl::package_purl(p, distro.as_ref());
        default_id(&q)
    };
    for (
        layer,
        LayerDiff {
            added,
            removed,
            changed,
        },
    ) in layers.iter_mut().zip(diffs)
    {
        layer.added = added.iter().map(|p| pkg_ref(p, id_of(p))).collect();
        layer.removed = removed.iter().map(|p| pkg_ref(p, id_of(p))).collect();
        layer.changed = changed
            .iter()
            .map(|(p, from)| PackageChange {
                id: id_of(p),
                ecosystem: p.ecosystem,
                name: p.name.clone(),
                from_version: from.clone(),
                to_version: p.version.clone(),
                direction: crate::detect::version_order(p.ecosystem, &p.version, from).map(|o| {
                    match o {
                        std::cmp::Ordering::Greater => ChangeDirection::Upgrade,
                        std::cmp::Ordering::Less => ChangeDirection::Downgrade,
                        std::cmp::Ordering::Equal => ChangeDirection::Same,
                    }
                }),
            })
            .collect();
    }

    let mut packages = final_findings.packages;
    for p in &mut packages {
        p.layer = introduced.get(&key(p)).copied();
    }
    if scope == Scope::AllLayers {
        packages.extend(removed_pkgs);
    }
    for p in &mut packages {
        if p.purl.is_empty() {
            p.purl = sbom_core::purl::package_purl(p, distro.as_ref());
        }
        if p.id.0.is_empty() {
            p.id = default_id(p);
        }
    }
    let mut relationships = final_findings.relationships;
    link_owners(&mut packages, &mut relationships);
    link_dependencies(&packages, &mut relationships);

    let info = resolved.info;
    for (hi, h) in info.history.iter().enumerate() {
        if let Some(li) = h.layer_index {
            if let Some(l) = layers.get_mut(li) {
                l.history_index = Some(hi);
                l.created_by = h.created_by.clone();
            }
        }
    }
    let mut inv = Inventory {
        scope,
        image: info,
        distro,
        layers,
        packages,
        relationships,
        warnings,
        ..Default::default()
    };
    // after history -> layers, so layers take the instruction and line of their entry
    crate::dockerfile::annotate(&mut inv, dockerfile);
    inv.finalize();
    inv
}

/// What comparing layers needs of a package: who it is and its version, not its file list
/// (the final layer's packages own ~200k paths on a big image; one copy is enough).
fn light(p: &Package) -> Package {
    Package {
        id: p.id.clone(),
        ecosystem: p.ecosystem,
        name: p.name.clone(),
        version: p.version.clone(),
        epoch: p.epoch,
        arch: p.arch.clone(),
        namespace: p.namespace.clone(),
        source: p.source.clone(),
        purl: p.purl.clone(),
        licenses_declared: p.licenses_declared.clone(),
        license: p.license.clone(),
        supplier: p.supplier.clone(),
        database_path: p.database_path.clone(),
        properties: p.properties.clone(),
        ..Default::default()
    }
}

fn pkg_ref(p: &Package, id: PackageId) -> PackageRef {
    PackageRef {
        id,
        ecosystem: p.ecosystem,
        name: p.name.clone(),
        version: p.version.clone(),
    }
}

/// A language package whose metadata file an OS package owns is that OS package's: record
/// who owns it rather than dropping or double-counting it.
fn link_owners(packages: &mut [Package], rels: &mut Vec<Relationship>) {
    let mut owner_of: HashMap<&str, PackageId> = HashMap::new();
    for p in packages
        .iter()
        .filter(|p| p.ecosystem.is_os() && p.removed_in.is_none())
    {
        for f in &p.files {
            owner_of.insert(f.as_str(), p.id.clone());
        }
    }
    let mut found = Vec::new();
    for (i, p) in packages.iter().enumerate() {
        if p.ecosystem.is_os() || p.database_path.is_empty() {
            continue;
        }
        // the metadata file itself, or its directory (dist-info, node_modules/x)
        let dir = p.database_path.rsplit_once('/').map(|x| x.0).unwrap_or("");
        if let Some(o) = owner_of
            .get(p.database_path.as_str())
            .or_else(|| owner_of.get(dir))
        {
            found.push((i, o.clone()));
        }
    }
    drop(owner_of);
    for (i, o) in found {
        rels.push(Relationship {
            from: o.clone(),
            kind: RelationshipKind::Contains,
            to: packages[i].id.clone(),
        });
        packages[i].owner = Some(o);
    }
}

/// Dependencies as the databases recorded them (names or capabilities, `a | b` for
/// alternatives), resolved to packages of the same ecosystem in the final image.
fn link_dependencies(packages: &[Package], rels: &mut Vec<Relationship>) {
    let mut provider: HashMap<(Ecosystem, &str), &PackageId> = HashMap::new();
    for p in packages.iter().filter(|p| p.removed_in.is_none()) {
        provider
            .entry((p.ecosystem, p.name.as_str()))
            .or_insert(&p.id);
        for cap in &p.provides {
            provider.entry((p.ecosystem, cap.as_str())).or_insert(&p.id);
        }
    }
    for p in packages.iter().filter(|p| p.removed_in.is_none()) {
        for dep in &p.depends {
            let target = dep
                .split('|')
                .map(str::trim)
                .find_map(|alt| provider.get(&(p.ecosystem, alt)));
            if let Some(t) = target {
                if **t != p.id {
                    rels.push(Relationship {
                        from: p.id.clone(),
                        kind: RelationshipKind::DependsOn,
                        to: (*t).clone(),
                    });
                }
            }
        }
    }
}
