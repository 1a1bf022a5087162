//! From per-layer walks to one inventory.
//!
//! - [`diff`]: the layers laid over each other in order, the detectors run after each, and
//!   consecutive reports compared to tell what every layer added, changed and removed;
//! - [`link`]: owners and dependencies among the final packages, by index;
//! - [`changes`]: the layers' change lists, naming packages by their final ids;
//! - [`history`]: history entries to the layers they made.
//!
//! Ids and purls are filled in one place, [`Inventory::assign_ids`] (which
//! [`Inventory::finalize`] runs again, to no effect): everything that names a package by id
//! is made after it, from indices, so an edge or a layer entry names the very package it was
//! found for even where two packages would have shared an id.

mod changes;
mod diff;
mod files;
mod history;
mod link;
mod owned;

use std::sync::Arc;

use sbom_core::{Inventory, Scope, Warning};

use crate::detect::Detector;
use crate::image::ImagePlan;
use crate::walk::layer::LayerAnalysis;

pub(crate) fn assemble(
    resolved: ImagePlan,
    analyses: &[LayerAnalysis],
    detectors: &[Arc<dyn Detector>],
    scope: Scope,
    list_files: bool,
    mut warnings: Vec<Warning>,
    dockerfile: Option<(&crate::dockerfile::Dockerfile, usize)>,
) -> Inventory {
    let diff::Walk {
        layers,
        diffs,
        mut last,
        removed,
        failures,
    } = diff::walk(&resolved, analyses, detectors);
    warnings.extend(failures);
    warnings.append(&mut last.warnings);

    let mut packages = last.packages;
    if scope == Scope::AllLayers {
        packages.extend(removed);
    }
    let links = link::Links::find(&packages);
    let mut inv = Inventory {
        scope,
        image: resolved.info,
        distro: last.distro,
        layers,
        packages,
        // the detectors' own, naming ids they set: assign_ids keeps them on the right copy
        relationships: last.relationships,
        warnings,
        ..Default::default()
    };
    inv.assign_ids();
    links.apply(&mut inv);
    changes::fill(&mut inv, diffs);
    history::map_to_layers(&mut inv);
    // after history -> layers, so layers take the instruction and line of their entry
    crate::dockerfile::annotate(&mut inv, dockerfile);
    if list_files {
        inv.files = files::inventory(analyses, &inv.packages, scope);
    }
    inv.finalize();
    inv
}
