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
const ETC_FEDORA_RELEASE: &str = "/etc/fedora-release";
const ALMALINUX_RELEASE: &str = "/etc/almalinux-release";
const ROCKY_RELEASE: &str = "/etc/rocky-release";
const ORACLE_RELEASE: &str = "/etc/oracle-release";
/// Amazon Linux 2023's own file (`/etc/system-release` points at it).
const AMAZON_LINUX_RELEASE: &str = "/etc/amazon-linux-release";
/// Fedora-family and Amazon Linux: a copy of (or link to) the distribution's own file.
const SYSTEM_RELEASE: &str = "/etc/system-release";
/// Amazon Linux 2022 and 2023 keep it here too.
const USR_SYSTEM_RELEASE: &str = "/usr/lib/system-release";
/// CBL-Mariner 1/2 and Azure Linux 3: `CBL-Mariner 2.0.20240123` / `Azure Linux 3.0...`,
/// then `MARINER_BUILD_NUMBER=...` (the mariner-release package's spec writes both).
const MARINER_RELEASE: &str = "/etc/mariner-release";
/// SUSE before os-release (SLES <= 12, openSUSE <= 42): a title line, then
/// `VERSION = 11` / `PATCHLEVEL = 4` / `CODENAME = ...` lines.
const SUSE_RELEASE: &str = "/etc/SuSE-release";
const SYSTEM_RELEASE_CPE: &str = "/etc/system-release-cpe";
const LSB_RELEASE: &str = "/etc/lsb-release";

/// Files whose body is `KEY=VALUE` lines.
const KEY_VALUE_FILES: [&str; 3] = [OS_RELEASE, USR_OS_RELEASE, LSB_RELEASE];
/// Files whose first line is all that matters.
const LINE_FILES: [&str; 14] = [
    ALPINE_RELEASE,
    DEBIAN_VERSION,
    REDHAT_RELEASE,
    CENTOS_RELEASE,
    FEDORA_RELEASE,
    ETC_FEDORA_RELEASE,
    ALMALINUX_RELEASE,
    ROCKY_RELEASE,
    ORACLE_RELEASE,
    AMAZON_LINUX_RELEASE,
    SYSTEM_RELEASE,
    USR_SYSTEM_RELEASE,
    MARINER_RELEASE,
    SYSTEM_RELEASE_CPE,
];

/// `NAME release VERSION` files, the distribution's own before the shared ones: Oracle
/// Linux's `/etc/redhat-release` says "Red Hat Enterprise Linux Server", CentOS, Rocky and
/// AlmaLinux ship one too, and `system-release` copies whichever the image has.
const REDHAT_STYLE_FILES: [&str; 10] = [
    ALMALINUX_RELEASE,
    ROCKY_RELEASE,
    ORACLE_RELEASE,
    CENTOS_RELEASE,
    ETC_FEDORA_RELEASE,
    FEDORA_RELEASE,
    AMAZON_LINUX_RELEASE,
    REDHAT_RELEASE,
    SYSTEM_RELEASE,
    USR_SYSTEM_RELEASE,
];

/// What the detector keeps of one release file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ReleaseFile {
    /// os-release or lsb-release assignments.
    KeyValues(BTreeMap<String, String>),
    /// The first non-empty line, trimmed.
    Line(String),
    /// A first line naming the distribution, then `KEY = VALUE` lines (`/etc/SuSE-release`).
    TitledKeyValues {
        /// The first non-empty line, trimmed.
        title: String,
        /// The assignments after it.
        fields: BTreeMap<String, String>,
    },
}

/// Finds the distribution an image (or layer snapshot) declares. Registered first so the
/// package detectors' findings can be tagged with it.
#[derive(Debug, Default, Clone, Copy)]
pub struct DistroDetector;

impl Detector for DistroDetector {
    super::common::codec::cache_codec!(0 => ReleaseFile);

    fn name(&self) -> &'static str {
        "distro"
    }

    fn claim_patterns(&self) -> Option<&'static [super::ClaimPattern]> {
        // every file `claim` names, exactly
        use super::ClaimPattern::Path;
        const PATTERNS: &[super::ClaimPattern] = &[
            Path(OS_RELEASE),
            Path(USR_OS_RELEASE),
            Path(LSB_RELEASE),
            Path(ALPINE_RELEASE),
            Path(DEBIAN_VERSION),
            Path(REDHAT_RELEASE),
            Path(CENTOS_RELEASE),
            Path(FEDORA_RELEASE),
            Path(ETC_FEDORA_RELEASE),
            Path(ALMALINUX_RELEASE),
            Path(ROCKY_RELEASE),
            Path(ORACLE_RELEASE),
            Path(AMAZON_LINUX_RELEASE),
            Path(SYSTEM_RELEASE),
            Path(USR_SYSTEM_RELEASE),
            Path(MARINER_RELEASE),
            Path(SYSTEM_RELEASE_CPE),
            Path(SUSE_RELEASE),
        ];
        Some(PATTERNS)
    }

    fn claim(&self, path: &str, _meta: &EntryMeta) -> Option<Claim> {
        if KEY_VALUE_FILES.contains(&path) || LINE_FILES.contains(&path) || path == SUSE_RELEASE {
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
            return Err(ParseError("binary, not a release file".into()));
        }
        let first_line = || {
            text.lines()
                .map(str::trim)
                .find(|l| !l.is_empty())
                .unwrap_or("")
                .to_string()
        };
        let parsed = if KEY_VALUE_FILES.contains(&path) {
            ReleaseFile::KeyValues(os_release::parse(&text))
        } else if path == SUSE_RELEASE {
            // the title has no `=`, so the os-release reader passes over it
            ReleaseFile::TitledKeyValues {
                title: first_line(),
                fields: os_release::parse(&text),
            }
        } else {
            ReleaseFile::Line(first_line())
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
        _ => None,
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
    // each rpm distribution's own file before redhat-release and system-release (see
    // REDHAT_STYLE_FILES). mariner-release comes before lsb-release: Mariner's lsb-release
    // has `DISTRIB_ID="Mariner"`, not the os-release ID `mariner`.
    if let Some(d) = from_alpine_release(view) {
        return Some(d);
    }
    if let Some(d) = line(view, MARINER_RELEASE).and_then(|(p, l)| from_mariner_release(p, l)) {
        return Some(d);
    }
    if let Some(d) = key_values(view, LSB_RELEASE).and_then(|(p, m)| from_lsb_release(p, m)) {
        return Some(d);
    }
    for path in REDHAT_STYLE_FILES {
        if let Some(d) = line(view, path).and_then(|(p, l)| from_redhat_style(p, l)) {
            return Some(d);
        }
    }
    if let Some(d) = from_suse_release(view) {
        return Some(d);
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
/// os-release `ID` is known are mapped: an unknown name is not turned into a made-up id
/// (Trivy calls any unknown name Red Hat; "Red Hat Linux release 6.2 (Zoot)" is the 2000
/// distribution, not RHEL 6, and naming it `rhel` would match it to RHEL 6 advisories).
fn from_redhat_style(path: &str, line: &str) -> Option<Distro> {
    let (name, rest) = line.split_once(" release ")?;
    let lower = name.trim().to_ascii_lowercase();
    let id = match lower.as_str() {
        "centos" | "centos linux" | "centos stream" => "centos",
        "almalinux" | "alma linux" => "almalinux",
        "rocky linux" | "rocky" => "rocky",
        "fedora" | "fedora modular" | "fedora linux" => "fedora",
        "scientific linux" => "scientific",
        // Amazon Linux 1 says "Amazon Linux AMI"; its os-release ID is `amzn` too
        "amazon linux" | "amazon linux ami" => "amzn",
        // Server, Workstation, Client, ComputeNode... editions of one distribution
        n if n.starts_with("red hat enterprise linux") => "rhel",
        n if n.starts_with("oracle linux") => "ol",
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
        // "Amazon Linux release 2023 (Amazon Linux)": the name again, not a codename
        .filter(|c| !c.is_empty() && !c.eq_ignore_ascii_case(name.trim()));
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

/// `CBL-Mariner 2.0.20240123` or `Azure Linux 3.0.20240624`: the name, then the release
/// version, whose leading `major.minor` is the os-release `VERSION_ID` (the mariner-release
/// spec derives VERSION_ID from it with `grep -o -E '[0-9]+.[0-9]+'`).
fn from_mariner_release(path: &str, line: &str) -> Option<Distro> {
    let (id, name, version) = if let Some(v) = line.strip_prefix("CBL-Mariner ") {
        ("mariner", "CBL-Mariner", v)
    } else if let Some(v) = line.strip_prefix("Azure Linux ") {
        ("azurelinux", "Azure Linux", v)
    } else {
        return None;
    };
    let version = version.split_whitespace().next()?;
    let mut parts = version.split('.');
    let major = parts.next().filter(|p| is_number(p))?;
    let version_id = match parts.next().filter(|p| is_number(p)) {
        Some(minor) => format!("{major}.{minor}"),
        None => major.to_string(),
    };
    Some(Distro {
        id: id.into(),
        version_id: Some(version_id),
        pretty_name: Some(line.to_string()),
        name: Some(name.to_string()),
        source_path: path.to_string(),
        ..Default::default()
    })
}

/// `/etc/SuSE-release`: `SUSE Linux Enterprise Server 11 (x86_64)` then `VERSION = 11`,
/// `PATCHLEVEL = 4`. The os-release of the same systems says `ID="sles"`,
/// `VERSION_ID="11.4"` (service pack 4), and `VERSION_ID="12"` for `PATCHLEVEL = 0`;
/// openSUSE 13.x and Leap 42.x have only `VERSION = 42.1` and `ID=opensuse`.
fn from_suse_release(view: &FsView) -> Option<Distro> {
    let f = view.lookup("distro", SUSE_RELEASE)?;
    let ReleaseFile::TitledKeyValues { title, fields } = f.get::<ReleaseFile>()? else {
        return None;
    };
    // the title ends in the architecture: `openSUSE 42.1 (x86_64)`
    let name = title.split(" (").next().unwrap_or("").trim();
    let id = if name.starts_with("SUSE Linux Enterprise Server") {
        "sles"
    } else if name.starts_with("SUSE Linux Enterprise Desktop") {
        "sled"
    } else if name.starts_with("openSUSE") {
        "opensuse"
    } else {
        return None;
    };
    let version =
        non_empty(fields, "VERSION").filter(|v| v.starts_with(|c: char| c.is_ascii_digit()))?;
    let version_id = match non_empty(fields, "PATCHLEVEL") {
        Some(sp) if sp != "0" && is_number(&sp) && !version.contains('.') => {
            format!("{version}.{sp}")
        }
        _ => version,
    };
    Some(Distro {
        id: id.into(),
        version_id: Some(version_id),
        codename: non_empty(fields, "CODENAME"),
        pretty_name: Some(title.clone()),
        source_path: f.path.to_string(),
        ..Default::default()
    })
}

fn is_number(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
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
