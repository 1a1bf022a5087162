use serde::{Deserialize, Serialize};

use super::{Distro, DockerfileRef, Ecosystem, PackageId};

/// One filesystem layer, in image order (index 0 is the base).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LayerInfo {
    pub index: usize,
    /// `sha256:` of the uncompressed tar, from the config's `rootfs.diff_ids` (verified).
    pub diff_id: String,
    /// `sha256:` of the blob as stored (compressed or not), verified.
    pub digest: String,
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// Cleaned-up instruction (see [`crate::HistoryEntry::instruction`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instruction: Option<String>,
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
    pub id: PackageId,
    pub ecosystem: Ecosystem,
    pub name: String,
    pub version: String,
}

/// A package whose version a layer changed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PackageChange {
    /// The package as it is after the layer.
    pub id: PackageId,
    pub ecosystem: Ecosystem,
    pub name: String,
    pub from_version: String,
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
    Upgrade,
    Downgrade,
    /// A different string for the same version (`1.0` and `1.00` to dpkg): a rebuild, or a
    /// package replaced by another of the same version.
    Same,
}
