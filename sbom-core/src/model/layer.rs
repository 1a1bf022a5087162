use serde::{Deserialize, Serialize};

use super::{Distro, DockerfileRef, Ecosystem, PackageId};

/// One filesystem layer, in image order (index 0 is the base).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LayerInfo {
    /// Position in the image, 0 for the base layer.
    pub index: usize,
    /// `sha256:` of the uncompressed tar, from the config's `rootfs.diff_ids` (verified).
    pub diff_id: String,
    /// `sha256:` of the blob as stored (compressed or not), verified.
    pub digest: String,
    /// The manifest's media type for the blob, when the image has a manifest that says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// `none`, `gzip` or `zstd`, from the bytes themselves.
    pub compression: String,
    /// Size of the blob as stored.
    pub size: u64,
    /// Size of the uncompressed tar stream.
    pub uncompressed_size: u64,
    /// Tar entries seen in the layer.
    pub entries: u64,
    /// Index into the image history of the entry that made this layer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history_index: Option<usize>,
    /// That history entry's `created_by`, as the builder wrote it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// Cleaned-up instruction (see [`crate::HistoryEntry::instruction`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instruction: Option<String>,
    /// The Dockerfile instruction that made the layer, when a Dockerfile was given and it
    /// matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dockerfile: Option<DockerfileRef>,
    /// The distro as of this layer, when this layer changed it (wrote an os-release file).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distro: Option<Distro>,
    /// Packages that appear in this layer.
    #[serde(default)]
    pub added: Vec<PackageRef>,
    /// Packages present before this layer and gone after it.
    #[serde(default)]
    pub removed: Vec<PackageRef>,
    /// Packages whose version this layer changed.
    #[serde(default)]
    pub changed: Vec<PackageChange>,
}

impl LayerInfo {
    /// `sha256:0123456789ab` -> `0123456789ab`: 12 hex digits, as `docker` shows them.
    pub fn short_diff_id(&self) -> &str {
        let hex = self
            .diff_id
            .split_once(':')
            .map(|x| x.1)
            .unwrap_or(&self.diff_id);
        &hex[..hex.len().min(12)]
    }
}

/// A package named from a layer's lists. Self-contained, because a package a later layer
/// removed is not in the final inventory.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PackageRef {
    /// The package's id, as in [`crate::Inventory::packages`] (when it is still there).
    pub id: PackageId,
    /// Its ecosystem.
    pub ecosystem: Ecosystem,
    /// Its name.
    pub name: String,
    /// Its version at that layer.
    pub version: String,
}

/// A package whose version a layer changed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PackageChange {
    /// The package as it is after the layer.
    pub id: PackageId,
    /// Its ecosystem.
    pub ecosystem: Ecosystem,
    /// Its name.
    pub name: String,
    /// The version before the layer.
    pub from_version: String,
    /// The version after it.
    pub to_version: String,
    /// Which way the version moved, by the package manager's own ordering (dpkg, rpm, apk);
    /// `None` where the ecosystem has none we implement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<ChangeDirection>,
}

/// Which way a layer moved a package's version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeDirection {
    /// The new version sorts after the old one.
    Upgrade,
    /// The new version sorts before the old one: rare, and worth a look.
    Downgrade,
    /// A different string for the same version (`1.0` and `1.00` to dpkg): a rebuild, or a
    /// package replaced by another of the same version.
    Same,
}
