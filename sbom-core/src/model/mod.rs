//! Plain data: what an image holds, layer by layer. Everything here is `serde`-serialisable
//! and is what the native `json` format writes, so field names are part of the stable output.

mod distro;
mod file;
mod image;
mod inventory;
mod layer;
mod package;

pub use distro::Distro;
pub use file::FileEntry;
pub use image::{DockerfileRef, HistoryEntry, ImageInfo, Platform};
pub use inventory::{
    default_id, Inventory, Relationship, RelationshipKind, Scope, ToolInfo, Warning,
};
pub use layer::{ChangeDirection, LayerInfo, PackageChange, PackageRef};
pub use package::{
    Checksum, Ecosystem, Package, PackageId, SourcePackage, FOUND_BY, FOUND_BY_BINARY_CLASSIFIER,
    FOUND_BY_ELF_PACKAGE_NOTE,
};
