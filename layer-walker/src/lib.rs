//! Reads a container image layer by layer, streaming, and finds what each layer installed.
//!
//! The walk never writes image files to disk, never executes anything from the image and
//! needs no privileges. Each layer is decompressed, hashed and listed once, in parallel with
//! the other layers; only files a [`detect::Detector`] claims are read into memory. The
//! layers are then laid over each other in order (whiteouts applied) to tell which layer
//! added, changed or removed every package.
//!
//! ```no_run
//! use layer_walker::{ImageRef, Scanner};
//!
//! let scan = Scanner::new().scan(&ImageRef::parse("image.tar").unwrap())?;
//! for pkg in scan.inventory.installed() {
//!     println!("{} {} (layer {:?})", pkg.name, pkg.version, pkg.layer);
//! }
//! # Ok::<(), layer_walker::Error>(())
//! ```
//!
//! Scanning the shipped test image and writing an SBOM with `sbom-core`'s writers (runs as a
//! doc test):
//!
//! ```
//! use layer_walker::{ImageRef, Scanner};
//! use sbom_core::format::{writer_for, WriteOptions};
//! use sbom_core::Scope;
//!
//! let image = ImageRef::parse("oci-dir:../testdata/images/tiny-debian.oci").unwrap();
//! let scan = Scanner::new().scope(Scope::AllLayers).scan(&image)?;
//! // the last layer purged sensible-utils: with all-layers it is listed, with its layer
//! let purged = scan.inventory.packages.iter().find(|p| p.name == "sensible-utils").unwrap();
//! assert_eq!(purged.removed_in, Some(2));
//!
//! let mut spdx = Vec::new();
//! writer_for("spdx-json").unwrap().write(&scan.inventory, &WriteOptions::fixed(0), &mut spdx).unwrap();
//! assert!(String::from_utf8(spdx).unwrap().contains("\"SPDX-2.3\""));
//! # Ok::<(), layer_walker::Error>(())
//! ```

mod assemble;
pub mod blob;
pub mod detect;
mod digest;
pub mod dockerfile;
mod error;
mod image;
mod limits;
mod parallel;
mod scan;
pub mod source;
mod tar;
mod verify;
pub mod walk;

pub use digest::{Algorithm, Digest, DigestError};
pub use error::{Error, ErrorKind, LayerAt, Location, Result};
pub use limits::{Limit, Limits};
pub use scan::{Progress, Scan, Scanner};
pub use source::{ImageRef, RefError, SourceKind};
