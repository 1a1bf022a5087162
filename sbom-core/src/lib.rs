//! The one inventory model of a container image, and the writers that turn it into SBOMs.
//!
//! Detectors in `layer-walker` fill an [`Inventory`]; writers in [`format`](mod@format) read it. A writer
//! never knows how the inventory was found, a detector never knows which format is written.
//!
//! ```
//! use sbom_core::{Ecosystem, Inventory, Package};
//!
//! let mut inv = Inventory::default();
//! let mut pkg = Package::new(Ecosystem::Deb, "libc6", "2.36-9+deb12u4");
//! pkg.arch = Some("amd64".into());
//! inv.packages.push(pkg);
//! inv.finalize();
//! assert!(inv.packages[0].purl.starts_with("pkg:deb/"));
//! ```

#![deny(missing_docs)]

pub mod diff;
pub mod format;
pub mod license;
pub mod model;
pub mod policy;
pub mod purl;
pub mod read;
pub mod version;

pub use model::*;
