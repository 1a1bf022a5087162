//! The image a source hands to the scan: what [`resolve`] chose from an archive's manifests
//! (or a source built by other means), as one [`ImagePlan`]: the image's metadata and the
//! layer blobs to read, each with what it must hash to.
//!
//! Every source ends its planning here, so the walk, the verification and the assembly never
//! know where an image came from.

pub(crate) mod manifest;
pub(crate) mod resolve;

use sbom_core::ImageInfo;

use crate::digest::Digest;

/// A layer to read: where its blob is and what it must hash to.
#[derive(Debug, Clone)]
pub(crate) struct LayerRef {
    /// Name of the blob in its source (a member of an archive, a file of a layout).
    pub blob: String,
    /// What the blob as stored must hash to, when the image says.
    pub digest: Option<Digest>,
    /// What the uncompressed tar must hash to (config `rootfs.diff_ids`).
    pub diff_id: Option<Digest>,
    pub media_type: Option<String>,
    /// The blob's size as stored, when the image says.
    pub size: Option<u64>,
}

/// The image chosen from a source: its metadata and its layers, base first.
#[derive(Debug, Clone)]
pub(crate) struct ImagePlan {
    pub info: ImageInfo,
    pub layers: Vec<LayerRef>,
    /// Digest problems found while planning, when verification is off.
    pub unverified: Vec<String>,
}
