//! The distribution release: `/etc/os-release` (or `/usr/lib/os-release`), and when neither
//! names the distribution, the older release files distributions kept before os-release
//! existed (`/etc/alpine-release`, `/etc/redhat-release`, `/etc/debian_version`, ...).

pub mod os_release;

use std::collections::BTreeMap;
use std::sync::Arc;

use sbom_core::Distro;

use super::{Claim, CollectContext, Detector, EntryMeta, Findings, FsView, ParseError, Parsed};

/// Release files are a few hundred bytes; anything far larger is not one.
const MAX_RELEASE_FILE: u64 = 64 * 1024;

const OS_RELEASE: &str = "/etc/os-release";
const USR_OS_RELEASE: &str = "/usr/lib/os-release";
const ALPINE_RELEASE: &str = "/etc/alpine-release";
const DEBIAN_VERSION: &str = "/etc/debian_version";
const REDHAT_RELEASE: &str = "/etc/redhat-release";
const CENTOS_RELEASE: &str = "/etc/centos-release";
const FEDORA_RELEASE: &str = "/usr/lib/fedora-release";
const SYSTEM_RELEASE_CPE: &str = "/etc/system-release-cpe";
const LSB_RELEASE: &str = "/etc/lsb-release";

/// Files whose body is `KEY=VALUE` lines.
const KEY_VALUE_FILES: [&str; 3] = [OS_RELEASE, USR_OS_RELEASE, LSB_RELEASE];
/// Files whose first line is all that matters.
const LINE_FILES: [&str; 6] = [
    ALPINE_RELEASE,
    DEBIAN_VERSION,
    REDHAT_RELEASE,
    CENTOS_RELEASE,
    FEDORA_RELEASE,
    SYSTEM_RELEASE_CPE,
];

/// What the detector keeps of one release file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReleaseFile {
    /// os-release or lsb-release assignments.
    KeyValues(BTreeMap<String, String>),
    /// The first non-empty line, trimmed.
    Line(String),
}

/// Finds the distribution an image (or layer snapshot) declares. Registered first so the
/// package detectors' findings can be tagged with it.
#[derive(Debug, Default, Clone, Copy)]
pub struct DistroDetector;

impl Detector for DistroDetector {
    fn name(&self) -> &'static str {
        "distro"
    }

    fn claim(&self, path: &str, _meta: &EntryMeta) -> Option<Claim> {
        if KEY_VALUE_FILES.contains(&path) || LINE_FILES.contains(&path) {
            Some(Claim::up_to(MAX_RELEASE_FILE))
        } else {
            None
        }
    }

    fn parse(&self, path: &str, body: &[u8]) -> Result<Parsed, ParseError> {
        // Release files are ASCII in practice; a stray invalid byte (a Latin-1 PRETTY_NAME)
        // should not cost the whole file.
        let text = String::from_utf8_lossy(body);
        if body.contains(&0) {
            return Err(ParseError(format!("{path} is binary, not a release file")));
        }
        let parsed = if KEY_VALUE_FILES.contains(&path) {
            ReleaseFile::KeyValues(os_release::parse(&text))
        } else {
            let line = text
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty())
                .unwrap_or("");
            ReleaseFile::Line(line.to_string())
        };
        Ok(Arc::new(parsed))
    }

    fn collect(&self, view: &FsView, _ctx: CollectContext, out: &mut Findings) {
        out.distro = detect(view);
    }
}

fn key_values<'a>(view: &'a FsView, path: &str) -> Option<(&'a str, &'a BTreeMap<String, String>)> {
    let f = view.lookup("distro", path)?;
    match f.get::<ReleaseFile>()? {
        ReleaseFile::KeyValues(m) => Some((f.path, m)),
        ReleaseFile::Line(_) => None,
    }
}

fn line<'a>(view: &'a FsView, path: &str) -> Option<(&'a str, &'a str)> {
    let f = view.lookup("distro", path)?;
    match f.get::<ReleaseFile>()? {
        ReleaseFile::Line(l) if !l.is_empty() => Some((f.path, l.as_str())),
        _ => None,
    }
}

/// The distro `view` declares, or `None` when no release file names one.
pub fn detect(view: &FsView) -> Option<Distro> {
    // os-release(5): /etc/os-release takes precedence, /usr/lib/os-release is the fallback.
    // `lookup` resolves the usual `/etc/os-release -> ../usr/lib/os-release` link.
    let os = key_values(view, OS_RELEASE).or_else(|| key_values(view, USR_OS_RELEASE));
    if let Some((path, m)) = os {
        if let Some(mut d) = from_os_release(path, m) {
            if d.id == "debian" {
                fill_from_debian_version(view, &mut d);
            }
            return Some(d);
        }
    }
    // Older release files, most specific first: lsb-release before debian_version (Ubuntu
    // has both, and its debian_version names the Debian release it branched from), and
    // centos-release/fedora-release before redhat-release (which they also ship).
    if let Some(d) = from_alpine_release(view) {
        return Some(d);
    }
    if let Some(d) = key_values(view, LSB_RELEASE).and_then(|(p, m)| from_lsb_release(p, m)) {
        return Some(d);
    }
    for path in [CENTOS_RELEASE, FEDORA_RELEASE, REDHAT_RELEASE] {
        if let Some(d) = line(view, path).and_then(|(p, l)| from_redhat_style(p, l)) {
            return Some(d);
        }
    }
    if let Some(d) = line(view, SYSTEM_RELEASE_CPE).and_then(|(p, l)| from_cpe(p, l)) {
        return Some(d);
    }
    if let Some((path, _)) = line(view, DEBIAN_VERSION) {
        let mut d = Distro {
            id: "debian".into(),
            source_path: path.to_string(),
            ..Default::default()
        };
        fill_from_debian_version(view, &mut d);
        return Some(d);
    }
    // An os-release without ID still says "a Linux": os-release(5) defaults ID to `linux`.
    os.map(|(path, m)| distro_from_map(path, m, "linux".to_string()))
}

fn non_empty(m: &BTreeMap<String, String>, key: &str) -> Option<String> {
    m.get(key)
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

fn from_os_release(path: &str, m: &BTreeMap<String, String>) -> Option<Distro> {
    let id = non_empty(m, "ID")?.to_ascii_lowercase();
    Some(distro_from_map(path, m, id))
}

fn distro_from_map(path: &str, m: &BTreeMap<String, String>, id: String) -> Distro {
    Distro {
        id,
        version_id: non_empty(m, "VERSION_ID"),
        codename: non_empty(m, "VERSION_CODENAME"),
        pretty_name: non_empty(m, "PRETTY_NAME"),
        name: non_empty(m, "NAME"),
        id_like: m
            .get("ID_LIKE")
            .map(|v| v.split_whitespace().map(str::to_ascii_lowercase).collect())
            .unwrap_or_default(),
        cpe_name: non_empty(m, "CPE_NAME"),
        home_url: non_empty(m, "HOME_URL"),
        source_path: path.to_string(),
    }
}

/// Debian testing and distroless images ship an os-release without `VERSION_ID`;
/// `/etc/debian_version` then says either `10.8` (a point release) or `trixie/sid`
/// (testing). A point release gives the major version, which is what Debian's own
/// os-release `VERSION_ID` holds (`13` while debian_version says `13.5`), so the purl
/// `distro=debian-10` qualifier looks the same whichever file it came from. A codename
/// fills `codename` only.
fn fill_from_debian_version(view: &FsView, d: &mut Distro) {
    if d.version_id.is_some() {
        return;
    }
    let Some((_, v)) = line(view, DEBIAN_VERSION) else {
        return;
    };
    if v.starts_with(|c: char| c.is_ascii_digit()) {
        let major: String = v.chars().take_while(char::is_ascii_digit).collect();
        d.version_id = Some(major);
    } else if d.codename.is_none() {
        let codename = v.split('/').next().unwrap_or("").trim();
        if !codename.is_empty() && codename.chars().all(|c| c.is_ascii_alphanumeric()) {
            d.codename = Some(codename.to_string());
        }
    }
}

fn from_alpine_release(view: &FsView) -> Option<Distro> {
    let (path, v) = line(view, ALPINE_RELEASE)?;
    Some(Distro {
        id: "alpine".into(),
        version_id: Some(v.to_string()),
        source_path: path.to_string(),
        ..Default::default()
    })
}

fn from_lsb_release(path: &str, m: &BTreeMap<String, String>) -> Option<Distro> {
    Some(Distro {
        id: non_empty(m, "DISTRIB_ID")?.to_ascii_lowercase(),
        version_id: non_empty(m, "DISTRIB_RELEASE"),
        codename: non_empty(m, "DISTRIB_CODENAME"),
        pretty_name: non_empty(m, "DISTRIB_DESCRIPTION"),
        source_path: path.to_string(),
        ..Default::default()
    })
}

/// `NAME release VERSION (CODENAME)`, as in `/etc/redhat-release`. Only names whose
/// os-release `ID` is known are mapped: an unknown name is not turned into a made-up id.
fn from_redhat_style(path: &str, line: &str) -> Option<Distro> {
    let (name, rest) = line.split_once(" release ")?;
    let id = match name.trim().to_ascii_lowercase().as_str() {
        "centos" | "centos linux" | "centos stream" => "centos",
        "red hat enterprise linux" | "red hat enterprise linux server" => "rhel",
        "almalinux" => "almalinux",
        "rocky linux" => "rocky",
        "fedora" | "fedora modular" => "fedora",
        "oracle linux" | "oracle linux server" => "ol",
        "scientific linux" => "scientific",
        _ => return None,
    };
    let version = rest
        .split_whitespace()
        .next()
        .filter(|v| v.starts_with(|c: char| c.is_ascii_digit()))?;
    let codename = rest
        .split_once('(')
        .and_then(|(_, c)| c.split_once(')'))
        .map(|(c, _)| c.trim().to_string())
        .filter(|c| !c.is_empty());
    Some(Distro {
        id: id.into(),
        version_id: Some(version.to_string()),
        codename,
        pretty_name: Some(line.to_string()),
        name: Some(name.trim().to_string()),
        source_path: path.to_string(),
        ..Default::default()
    })
}

/// `cpe:/o:VENDOR:PRODUCT:VERSION[:...]` (CPE 2.2 URI) from `/etc/system-release-cpe`.
fn from_cpe(path: &str, line: &str) -> Option<Distro> {
    let rest = line.strip_prefix("cpe:/o:")?;
    let mut parts = rest.split(':');
    let vendor = parts.next()?;
    let product = parts.next()?;
    let version = parts.next().filter(|v| !v.is_empty());
    let id = match (vendor, product) {
        ("centos", _) => "centos",
        ("redhat", _) => "rhel",
        ("fedoraproject", _) => "fedora",
        ("oracle", _) => "ol",
        ("amazon", _) => "amzn",
        ("almalinux", _) => "almalinux",
        ("rocky", _) => "rocky",
        _ => return None,
    };
    Some(Distro {
        id: id.into(),
        version_id: version.map(str::to_string),
        cpe_name: Some(line.to_string()),
        source_path: path.to_string(),
        ..Default::default()
    })
}

#[cfg(test)]
mod tests;
