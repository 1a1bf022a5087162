//! Layer by layer: the layers are laid over each other in order; after each one the
//! detectors report what the image holds, and consecutive reports are compared to tell what
//! every layer added, changed and removed.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use sbom_core::{Distro, Ecosystem, LayerInfo, Package, Warning};

use crate::detect::{CollectContext, Detector, Findings, FsView};
use crate::image::ImagePlan;
use crate::walk::layer::LayerAnalysis;

/// What identifies "the same package" across layers (see [`Package::identity`]).
pub(super) type Key = (Ecosystem, String, Option<String>, String);

pub(super) fn key(p: &Package) -> Key {
    let (e, n, a, place) = p.identity();
    (e, n.to_string(), a.map(str::to_string), place.to_string())
}

/// A package named in a layer's change lists, with the layer that introduced it in this
/// version: the two together find it among the inventory's packages.
pub(super) struct Entry {
    pub package: Package,
    pub introduced: Option<usize>,
}

/// What one layer did: packages added, removed, and changed (with the version before).
#[derive(Default)]
pub(super) struct LayerDiff {
    pub added: Vec<Entry>,
    pub removed: Vec<Entry>,
    pub changed: Vec<(Entry, String)>,
}

/// Everything the walk over the layers found.
pub(super) struct Walk {
    /// The layers, without their change lists (those need the final ids).
    pub layers: Vec<LayerInfo>,
    /// What each layer changed, in layer order.
    pub diffs: Vec<LayerDiff>,
    /// The detectors' report on the final image, in full detail; its packages have
    /// [`Package::layer`] set.
    pub last: Findings,
    /// Packages a layer removed, with the layer that introduced them and the one that
    /// removed them.
    pub removed: Vec<Package>,
    /// Failures of claimed files still visible in the final image.
    pub failures: Vec<Warning>,
}

/// Lays the layers over each other and records what each one changed.
pub(super) fn walk(
    resolved: &ImagePlan,
    analyses: &[LayerAnalysis],
    detectors: &[Arc<dyn Detector>],
) -> Walk {
    let mut view = FsView::new();
    let mut previous: BTreeMap<Key, Package> = BTreeMap::new();
    // when each present package (in its present version) came in
    let mut introduced: HashMap<Key, usize> = HashMap::new();
    let mut removed_pkgs: Vec<Package> = Vec::new();
    let mut layers = Vec::with_capacity(analyses.len());
    let mut prev_distro: Option<Distro> = None;
    let mut last = Findings::default();
    let mut diffs: Vec<LayerDiff> = Vec::new();

    for (i, a) in analyses.iter().enumerate() {
        let changed = view.apply(a);
        let is_last = i + 1 == analyses.len();
        if !changed && !is_last && i > 0 {
            // nothing a detector sees changed: the same findings, no package changes
            layers.push(layer_info(i, a, resolved, None));
            diffs.push(LayerDiff::default());
            continue;
        }
        let findings = collect(&view, detectors, is_last);
        let now: BTreeMap<Key, Package> = findings
            .packages
            .iter()
            .map(|p| (key(p), light(p)))
            .collect();
        let mut diff = LayerDiff::default();
        for (k, p) in &now {
            match previous.get(k) {
                None => {
                    diff.added.push(Entry {
                        package: p.clone(),
                        introduced: Some(i),
                    });
                    introduced.insert(k.clone(), i);
                }
                Some(old) if old.version != p.version => {
                    let entry = Entry {
                        package: p.clone(),
                        introduced: Some(i),
                    };
                    diff.changed.push((entry, old.version.clone()));
                    introduced.insert(k.clone(), i);
                }
                Some(_) => {}
            }
        }
        for (k, old) in &previous {
            if !now.contains_key(k) {
                let came = introduced.remove(k);
                diff.removed.push(Entry {
                    package: old.clone(),
                    introduced: came,
                });
                let mut gone = old.clone();
                gone.layer = came;
                gone.removed_in = Some(i);
                removed_pkgs.push(gone);
            }
        }
        let distro_changed = findings.distro.is_some() && findings.distro != prev_distro;
        let distro = distro_changed.then(|| findings.distro.clone()).flatten();
        layers.push(layer_info(i, a, resolved, distro));
        diffs.push(diff);
        prev_distro = findings.distro.clone();
        previous = now;
        if is_last {
            last = findings;
        }
    }
    for p in &mut last.packages {
        p.layer = introduced.get(&key(p)).copied();
    }
    let failures = view
        .failures()
        .map(|f| Warning {
            path: Some(f.path.to_string()),
            layer: Some(f.layer),
            message: format!("{} detector: {}", f.detector, f.message),
            incomplete: true,
        })
        .collect();
    Walk {
        layers,
        diffs,
        last,
        removed: removed_pkgs,
        failures,
    }
}

fn collect(view: &FsView, detectors: &[Arc<dyn Detector>], full: bool) -> Findings {
    let mut all = Findings::default();
    // which detectors reported OS packages, and where their packages are in `all`
    let mut os_reports: Vec<(usize, std::ops::Range<usize>)> = Vec::new();
    for (k, d) in detectors.iter().enumerate() {
        let mut f = Findings::default();
        d.collect(view, CollectContext { full_detail: full }, &mut f);
        let start = all.packages.len();
        if f.packages.iter().any(|p| p.ecosystem.is_os()) {
            os_reports.push((k, start..start + f.packages.len()));
        }
        all.packages.append(&mut f.packages);
        all.relationships.append(&mut f.relationships);
        all.warnings.append(&mut f.warnings);
        if f.distro.is_some() {
            all.distro = f.distro;
        }
    }
    if crate::assemble::owned::has_classified(&all.packages) {
        if !full {
            // which binaries a package manager owns needs its file lists, which only its
            // full report has: ask the OS detectors again, in images with classified
            // binaries only
            for (k, range) in os_reports.into_iter().rev() {
                let mut f = Findings::default();
                detectors[k].collect(view, CollectContext { full_detail: true }, &mut f);
                all.packages.splice(range, f.packages);
            }
        }
        crate::assemble::owned::drop_owned_binaries(&mut all.packages);
    }
    all
}

fn layer_info(
    i: usize,
    a: &LayerAnalysis,
    resolved: &ImagePlan,
    distro: Option<Distro>,
) -> LayerInfo {
    LayerInfo {
        index: i,
        diff_id: a
            .diff_id
            .as_ref()
            .map(|d| d.to_string())
            .unwrap_or_default(),
        digest: a.digest.as_ref().map(|d| d.to_string()).unwrap_or_default(),
        compression: a.compression.as_str().to_string(),
        size: a.size,
        uncompressed_size: a.uncompressed_size,
        entries: a.entries,
        distro,
        media_type: resolved.layers.get(i).and_then(|l| l.media_type.clone()),
        ..Default::default()
    }
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
