//! The JSON documents of docker-archive and OCI layouts, read leniently: unknown fields are
//! ignored and optional ones may be null (Docker 25 writes `"manifests": null`).

use std::collections::BTreeMap;

use serde::Deserialize;

/// One entry of a docker-archive `manifest.json`.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct DockerManifestEntry {
    #[serde(rename = "Config")]
    pub config: String,
    #[serde(rename = "RepoTags", default)]
    pub repo_tags: Option<Vec<String>>,
    #[serde(rename = "Layers", default)]
    pub layers: Vec<String>,
}

/// An OCI content descriptor.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Descriptor {
    #[serde(rename = "mediaType", default)]
    pub media_type: Option<String>,
    pub digest: String,
    #[serde(default)]
    pub size: Option<i64>,
    #[serde(default)]
    pub platform: Option<OciPlatform>,
    #[serde(default)]
    pub annotations: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct OciPlatform {
    #[serde(default)]
    pub architecture: String,
    #[serde(default)]
    pub os: String,
    #[serde(default)]
    pub variant: Option<String>,
}

/// `index.json`, or an image index / docker manifest list blob.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct OciIndex {
    #[serde(default)]
    pub manifests: Option<Vec<Descriptor>>,
}

/// An image manifest (OCI or docker v2 schema 2).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct OciManifest {
    pub config: Descriptor,
    #[serde(default)]
    pub layers: Vec<Descriptor>,
}

/// The image configuration: the parts an SBOM needs.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct ImageConfig {
    #[serde(default)]
    pub architecture: Option<String>,
    #[serde(default)]
    pub os: Option<String>,
    #[serde(default)]
    pub variant: Option<String>,
    #[serde(default)]
    pub created: Option<String>,
    #[serde(default)]
    pub author: Option<String>,
    #[serde(default)]
    pub config: Option<RunConfig>,
    #[serde(default)]
    pub rootfs: Option<RootFs>,
    #[serde(default)]
    pub history: Option<Vec<History>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct RunConfig {
    #[serde(rename = "Labels", default)]
    pub labels: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct RootFs {
    #[serde(default)]
    pub diff_ids: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct History {
    #[serde(default)]
    pub created: Option<String>,
    #[serde(default)]
    pub created_by: Option<String>,
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default)]
    pub empty_layer: Option<bool>,
}

/// What a manifest says it is, read before knowing which kind it is (registries may serve
/// a manifest under a generic content type).
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(not(feature = "registry"), allow(dead_code))]
pub(crate) struct MediaTypeOf {
    #[serde(rename = "mediaType", default)]
    pub media_type: Option<String>,
    #[serde(rename = "schemaVersion", default)]
    pub schema_version: Option<i64>,
}

/// The `mediaType` and `schemaVersion` of a manifest's JSON (empty when it is not JSON).
#[cfg_attr(not(feature = "registry"), allow(dead_code))]
pub(crate) fn media_type_of(bytes: &[u8]) -> MediaTypeOf {
    serde_json::from_slice(bytes).unwrap_or_default()
}

pub(crate) const MT_OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub(crate) const MT_DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";

/// True for media types of indexes (which point at more manifests).
pub(crate) fn is_index(mt: Option<&str>) -> bool {
    matches!(mt, Some(MT_OCI_INDEX) | Some(MT_DOCKER_LIST))
}
