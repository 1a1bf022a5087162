use serde::{Deserialize, Serialize};

/// The operating system release an image (or a layer) declares.
///
/// Filled from `/etc/os-release` (or `/usr/lib/os-release`) and, when those are missing, from
/// the older release files (`/etc/alpine-release`, `/etc/debian_version`, ...).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Distro {
    /// `ID`, lower case: `debian`, `alpine`, `rhel`, ...
    pub id: String,
    /// `VERSION_ID`: `12`, `3.10.4`, `8.9`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// `VERSION_CODENAME`: `bookworm`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub codename: Option<String>,
    /// `PRETTY_NAME`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pretty_name: Option<String>,
    /// `NAME`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `ID_LIKE`, split on white space.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub id_like: Vec<String>,
    /// `CPE_NAME` when present.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpe_name: Option<String>,
    /// `HOME_URL` when present.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub home_url: Option<String>,
    /// The file the facts came from, absolute in the image: `/etc/os-release`.
    pub source_path: String,
}

impl Distro {
    /// `debian-12`, `alpine-3.10.4`: the form purl `distro=` qualifiers use.
    pub fn purl_qualifier(&self) -> String {
        match &self.version_id {
            Some(v) if !v.is_empty() => format!("{}-{}", self.id, v),
            _ => self.id.clone(),
        }
    }

    /// The name a human reads: `PRETTY_NAME`, else `ID VERSION_ID`.
    pub fn display_name(&self) -> String {
        if let Some(p) = &self.pretty_name {
            return p.clone();
        }
        self.purl_qualifier().replacen('-', " ", 1)
    }
}
