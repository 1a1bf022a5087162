use serde::{Deserialize, Serialize};

use super::PackageId;

/// One regular file of the image, from the opt-in file inventory (`--files`): what it is,
/// where it came from and who owns it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FileEntry {
    /// Absolute path in the image.
    pub path: String,
    /// Index of the layer that wrote it (for the final image: the layer that last wrote it).
    pub layer: usize,
    /// Size in bytes (a sparse file's full size, holes included).
    pub size: u64,
    /// Permission bits as the tar header (or the root filesystem) gives them.
    pub mode: u32,
    /// Lowercase hex SHA-256 of the contents.
    pub sha256: String,
    /// Lowercase hex SHA-1 of the contents, when the scan computed it: SPDX 2.3 requires
    /// one on every file, the other formats do not, and it costs as much as the SHA-256
    /// (`Scanner::file_sha1` in layer-walker).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha1: Option<String>,
    /// The packages whose databases list this file (usually one), by final id; empty when
    /// no package manager claims it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owners: Vec<PackageId>,
    /// Some execute bit is set.
    pub executable: bool,
    /// Only with the `all-layers` scope: the layer that removed or replaced this file, so it
    /// is not (in this form) in the final image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removed_in: Option<usize>,
}

impl FileEntry {
    /// An executable no package owns: what a reviewer looks at first (a binary copied in
    /// by hand, downloaded by a build step).
    pub fn unowned_executable(&self) -> bool {
        self.executable && self.owners.is_empty()
    }

    /// Whether the file is in the final image (not removed or replaced by a later layer).
    pub fn in_final_image(&self) -> bool {
        self.removed_in.is_none()
    }
}
