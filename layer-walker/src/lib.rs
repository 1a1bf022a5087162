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
//! let scan = Scanner::new().scan(&ImageRef::parse("image.tar"))?;
//! for pkg in scan.inventory.installed() {
//!     println!("{} {} (layer {:?})", pkg.name, pkg.version, pkg.layer);
//! }
//! # Ok::<(), layer_walker::Error>(())
//! ```

mod assemble;
pub mod blob;
pub mod detect;
pub mod dockerfile;
mod error;
mod rootfs;
mod scan;
pub mod source;
pub mod walk;

pub use error::{Error, Result};
pub use scan::{Limits, Progress, Scan, Scanner};
pub use source::{ImageRef, SourceKind};
