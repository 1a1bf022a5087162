use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `os/architecture[/variant]` of an image.
///
/// ```
/// use sbom_core::Platform;
/// let p: Platform = "linux/arm64/v8".parse().unwrap();
/// assert_eq!((p.os.as_str(), p.architecture.as_str()), ("linux", "arm64"));
/// assert_eq!(p.to_string(), "linux/arm64/v8");
/// assert!("linux".parse::<Platform>().is_err());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Platform {
    /// `linux`, `windows`, as the OCI image config's `os`.
    pub os: String,
    /// `amd64`, `arm64`, ... (Go's `GOARCH` names, as OCI uses them).
    pub architecture: String,
    /// The CPU variant where it matters: `v7` for `arm`, `v8` for `arm64`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for Platform {
    type Err = String;

    /// Parses `linux/amd64`, `linux/arm64/v8`.
    fn from_str(s: &str) -> Result<Self, String> {
        let parts: Vec<&str> = s.split('/').collect();
        if parts.len() < 2 || parts.len() > 3 || parts.iter().any(|p| p.is_empty()) {
            return Err(format!(
                "invalid platform {s:?}: expected OS/ARCH[/VARIANT]"
            ));
        }
        Ok(Platform {
            os: parts[0].to_string(),
            architecture: parts[1].to_string(),
            variant: parts.get(2).map(|v| v.to_string()),
        })
    }
}

/// The image as a whole: where it came from and its configuration.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImageInfo {
    /// A human name: the first repo tag, else the file name of the archive.
    pub name: String,
    /// What the input was: `docker-archive`, `oci-dir`, `oci-archive`, `rootfs-dir`, or the
    /// engine it was exported from, `docker`, `podman`.
    pub source_kind: String,
    /// The path or reference the user gave.
    pub source: String,
    /// The tags the archive records for the image (`debian:12`); empty for OCI layouts
    /// without a `ref.name` annotation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repo_tags: Vec<String>,
    /// The image's digests in registries, as an engine records them
    /// (`docker.io/library/debian@sha256:...`): the manifest a pull of it gets.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repo_digests: Vec<String>,
    /// Digest of the image manifest, when the archive has one (OCI layouts do; classic
    /// docker-save archives do not).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manifest_digest: Option<String>,
    /// Digest of the image config: the image ID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config_digest: Option<String>,
    /// The platform the config declares.
    pub platform: Platform,
    /// The config's `created` timestamp, as written (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// The config's labels (`org.opencontainers.image.*` and the builder's own).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// The config's `author` (Docker's `MAINTAINER`): who made the image, as it says itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// Who distributes the image, as the person running the scan states it (the CLI's
    /// `--supplier`): `Organization: Name (mail)`, `Person: Name`, or a bare name. Wins over
    /// anything the image says; see [`ImageInfo::supplier`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supplier: Option<String>,
    /// The config's `history`, one entry per build step, with or without a layer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<HistoryEntry>,
}

impl ImageInfo {
    /// The image's supplier: the one stated for the scan ([`ImageInfo::supplier`] field),
    /// else the image's own `org.opencontainers.image.vendor` label ("name of the
    /// distributing entity, organization or individual"), else its config `author`.
    /// `None` when nobody says: a supplier is never guessed.
    ///
    /// ```
    /// use sbom_core::ImageInfo;
    /// let mut img = ImageInfo::default();
    /// assert_eq!(img.supplier(), None);
    /// img.author = Some("Jane Doe <jane@example.org>".into());
    /// assert_eq!(img.supplier(), Some("Jane Doe <jane@example.org>"));
    /// img.labels.insert("org.opencontainers.image.vendor".into(), "Example Org".into());
    /// assert_eq!(img.supplier(), Some("Example Org"));
    /// img.supplier = Some("Organization: Builder Inc".into());
    /// assert_eq!(img.supplier(), Some("Organization: Builder Inc"));
    /// ```
    pub fn supplier(&self) -> Option<&str> {
        first_given([
            self.supplier.as_ref(),
            self.labels.get("org.opencontainers.image.vendor"),
            self.author.as_ref(),
        ])
    }

    /// Who made the image, as the image itself says: its `org.opencontainers.image.authors`
    /// label ("contact details of the people or organization responsible for the image"),
    /// else its config `author` (Dockerfile `MAINTAINER`). Unlike [`ImageInfo::supplier`],
    /// never the party the scan names: a distributor did not necessarily build the image.
    ///
    /// ```
    /// use sbom_core::ImageInfo;
    /// let mut img = ImageInfo::default();
    /// img.supplier = Some("Organization: Mirror Inc".into());
    /// assert_eq!(img.authors(), None);
    /// img.author = Some("Jane Doe <jane@example.org>".into());
    /// assert_eq!(img.authors(), Some("Jane Doe <jane@example.org>"));
    /// img.labels.insert("org.opencontainers.image.authors".into(), "Team <t@example.org>".into());
    /// assert_eq!(img.authors(), Some("Team <t@example.org>"));
    /// ```
    pub fn authors(&self) -> Option<&str> {
        first_given([
            self.labels.get("org.opencontainers.image.authors"),
            self.author.as_ref(),
        ])
    }
}

/// The first of `values` that says something (blank is not an answer), trimmed.
fn first_given<'a>(values: impl IntoIterator<Item = Option<&'a String>>) -> Option<&'a str> {
    values
        .into_iter()
        .flatten()
        .map(|v| v.trim())
        .find(|v| !v.is_empty())
}

/// One entry of the image config's `history`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// When the step ran, as written (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// Exactly as the builder wrote it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// The builder's comment (`buildkit.dockerfile.v0`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// True for steps that made no layer (`ENV`, `CMD`, ...): they do not count when
    /// history is matched to layers.
    #[serde(default)]
    pub empty_layer: bool,
    /// Index into [`crate::Inventory::layers`] when this entry made a layer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer_index: Option<usize>,
    /// `created_by` without the shell and `#(nop)` noise: what a person would have written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instruction: Option<String>,
    /// The Dockerfile instruction that made this entry, when a Dockerfile was given and it
    /// matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dockerfile: Option<DockerfileRef>,
}

/// A Dockerfile instruction, with its 1-based, inclusive line range.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DockerfileRef {
    /// `RUN`, `COPY`, `FROM`, ...
    pub keyword: String,
    /// The instruction as written (continuations joined).
    pub text: String,
    /// The line the instruction starts on.
    pub start_line: usize,
    /// Its last line (the same as `start_line` without continuations).
    pub end_line: usize,
    /// The stage name or index (`FROM ... AS name`), when the file has several stages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    /// True when the entry came from the base image and maps to the `FROM` line.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub from_base_image: bool,
}

impl DockerfileRef {
    /// `12` or `12-14`.
    pub fn line_range(&self) -> String {
        if self.start_line == self.end_line {
            self.start_line.to_string()
        } else {
            format!("{}-{}", self.start_line, self.end_line)
        }
    }
}
