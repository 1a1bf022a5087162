//! Reads a container image layer by layer, streaming, and finds what each layer installed.
//!
//! The walk never writes image files to disk, never executes anything from the image and
//! needs no privileges. Each layer is decompressed, hashed and listed once, in parallel with
//! the other layers; only files a [`detect::Detector`] claims are read into memory. The
//! layers are then laid over each other in order (whiteouts applied) to tell which layer
//! added, changed or removed every package.
//!
//! This crate is all an embedder needs for the common path: it re-exports the model and the
//! writers of `sbom-core` ([`Inventory`], [`Scope`], [`Platform`], [`format`](mod@format)).
//!
//! ```
//! use layer_walker::format::{writer_for, WriteOptions};
//! use layer_walker::{ImageRef, Scanner, Scope};
//!
//! let image = ImageRef::parse("oci-dir:../testdata/images/tiny-debian.oci")?;
//! let scan = Scanner::new().scope(Scope::AllLayers).scan(&image)?;
//! for pkg in scan.inventory.installed() {
//!     println!("{} {} (layer {:?})", pkg.name, pkg.version, pkg.layer);
//! }
//! // the last layer purged sensible-utils: with all-layers it is listed, with its layer
//! let purged = scan.inventory.packages.iter().find(|p| p.name == "sensible-utils").unwrap();
//! assert_eq!(purged.removed_in, Some(2));
//!
//! let mut spdx = Vec::new();
//! writer_for("spdx-json")?.write(&scan.inventory, &WriteOptions::fixed(0), &mut spdx)?;
//! assert!(String::from_utf8(spdx)?.contains("\"SPDX-2.3\""));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Images in registries are read the same way, straight from the network (the `registry`
//! cargo feature, on by default): `registry:HOST/REPO:TAG` as an [`ImageRef`], reached as
//! [`RegistryOptions`] say (CAs, credentials, plain-HTTP hosts, timeouts; see
//! [`Scanner::registry`]). Each layer streams from its own request into the walk, its
//! digests computed as the bytes arrive; nothing is written to disk. The documents made
//! can go back to the registry beside the image, as OCI 1.1 referrers ([`referrers`]:
//! attach, list, fetch, by the referrers API or the referrers tag schema).
//!
//! Errors are typed: [`Error::kind`] tells a truncated download from a digest mismatch or a
//! limit, and every error names where it happened ([`Location`]).
//!
//! # Where things go
//!
//! A scan is one pipeline ([`Scanner::scan`], `scan.rs`): open the source, plan the image,
//! analyse every layer in parallel (`parallel.rs`), verify each against the plan
//! (`verify.rs`), assemble the inventory (`assemble.rs`).
//!
//! - **A new image source** (a registry, an engine) is one module in `source/` implementing
//!   its `ImageSource` trait (plan, layer, verify), plus one arm in `source::open` and a
//!   kind in [`ImageRef`].
//! - **A new detector** (an ecosystem) is one folder in [`detect`] with a type implementing
//!   [`detect::Detector`], plus one line in [`detect::default_detectors`]; code detectors
//!   share lives in `detect/common/`.
//! - **A new output format** is one module in `sbom-core`'s [`format`](mod@format) implementing
//!   [`format::Writer`], plus one entry in [`format::FORMATS`].
//!
//! Beneath them: `limits.rs` (every bound, and the budget of kept tar metadata), `digest.rs`,
//! `error.rs`, `tar/` (tar as Docker reads it: names, whiteouts, metadata bombs, sparse
//! files), `blob/` (compression and hashing), `image/` (manifests and configs to an image
//! plan), `walk/` (one layer's tar walk, claim -> read -> parse, hard links, the overlay
//! view), `dockerfile/` (mapping layers to the instructions that made them).
//!
//! Beside the pipeline: [`cache`] (layer analyses kept under their diff_id, so a layer seen
//! before is neither read nor downloaded again; [`Scanner::cache`]).

#![deny(missing_docs)]

mod assemble;
pub mod blob;
pub mod cache;
pub mod detect;
mod digest;
pub mod dockerfile;
mod error;
mod image;
mod limits;
mod parallel;
mod scan;
mod source;
mod tar;
mod verify;
pub mod walk;

pub use digest::{Algorithm, Digest, DigestError};
pub use error::{Error, ErrorKind, LayerAt, Location, Result};
pub use limits::{Limit, Limits};
pub use scan::{Progress, Scan, Scanner};
#[cfg(feature = "registry")]
pub use source::manifest_digest;
#[cfg(feature = "registry")]
pub use source::referrers;
pub use source::{
    Credentials, Engine, ImageRef, RefError, RegistryOptions, RegistryRef, SourceKind,
};

pub use blob::Compression;
pub use sbom_core::{self, format, Inventory, Platform, Scope};
