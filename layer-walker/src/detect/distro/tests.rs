//! Every root under `testdata/distro/` (copied from the shared fixtures, see SOURCES.md there)
//! is detected, and the result agrees with the release files themselves.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::*;
use crate::detect::Detector;

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/distro")
}

/// A directory is a root when it holds `etc/` or `usr/`.
fn roots(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut subdirs: Vec<PathBuf> = rd
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    subdirs.sort();
    if subdirs
        .iter()
        .any(|p| p.ends_with("etc") || p.ends_with("usr"))
    {
        out.push(dir.to_path_buf());
        return;
    }
    for s in subdirs {
        roots(&s, out);
    }
}

fn files_under(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    for e in std::fs::read_dir(dir).expect("fixture dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(root, &p, out);
        } else {
            let rel = p.strip_prefix(root).expect("under root");
            out.push((
                format!("/{}", rel.to_string_lossy()),
                std::fs::read(&p).expect("fixture file"),
            ));
        }
    }
}

fn view_of(root: &Path) -> FsView {
    let mut files = Vec::new();
    files_under(root, root, &mut files);
    let has = |p: &str| files.iter().any(|(f, _)| f == p);
    // Real images link /etc/os-release to ../usr/lib/os-release (os-release(5)); the fixtures
    // that only have the /usr/lib file get that link, so resolving it is tested too.
    let mut links: Vec<(&str, &str)> = Vec::new();
    if !has(OS_RELEASE) && has(USR_OS_RELEASE) {
        links.push((OS_RELEASE, "../usr/lib/os-release"));
    }
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(p, b)| (p.as_str(), b.as_slice()))
        .collect();
    let detectors: Vec<Arc<dyn Detector>> = vec![Arc::new(DistroDetector)];
    FsView::from_files(&detectors, &refs, &links)
}

/// A deliberately small reading of os-release, independent of the detector's parser: only
/// `KEY=value` / `KEY="value"` lines, which is all the fixtures use.
fn naive_os_release(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| {
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(v);
            (k.trim().to_string(), v.to_string())
        })
        .collect()
}

/// Fixtures without os-release: facts as documented in testdata/distro/SOURCES.md (the file
/// contents, e.g. "CentOS release 5.7 (Final)").
fn documented(case: &str) -> Option<(&'static str, &'static str)> {
    Some(match case {
        "almalinux/from-redhat-release" => ("almalinux", "8.10"),
        "centos5" => ("centos", "5.7"),
        "centos6" => ("centos", "6"),
        "redhat/from-redhat-release" => ("rhel", "8.10"),
        "trivy-redhatbase/alma" => ("almalinux", "8.4"),
        "trivy-redhatbase/centos" => ("centos", "7.6.1810"),
        "trivy-redhatbase/fedora_29" => ("fedora", "29"),
        "trivy-redhatbase/oracle_7" => ("ol", "7.6"),
        "trivy-redhatbase/rocky" => ("rocky", "8.4"),
        "trivy-amazonlinux/1" => ("amzn", "2018.03"),
        "trivy-amazonlinux/2" => ("amzn", "2"),
        "trivy-amazonlinux/2023" => ("amzn", "2023"),
        "mariner-release/2.0" => ("mariner", "2.0"),
        "mariner-release/3.0" => ("azurelinux", "3.0"),
        _ => return None,
    })
}

#[test]
fn every_fixture_root_is_detected_as_its_files_say() {
    let base = testdata();
    let mut all = Vec::new();
    roots(&base, &mut all);
    assert!(all.len() >= 20, "only {} fixture roots found", all.len());
    for root in &all {
        let case = root
            .strip_prefix(&base)
            .expect("under testdata")
            .to_string_lossy()
            .replace('\\', "/");
        let view = view_of(root);
        let d = detect(&view).unwrap_or_else(|| panic!("{case}: no distro detected"));
        let os_file = [root.join("etc/os-release"), root.join("usr/lib/os-release")]
            .into_iter()
            .find(|p| p.exists());
        if let Some(os_file) = os_file {
            let text = std::fs::read_to_string(&os_file).expect("fixture");
            let m = naive_os_release(&text);
            let get = |k: &str| m.get(k).filter(|v| !v.is_empty()).cloned();
            assert_eq!(
                Some(d.id.clone()),
                get("ID").map(|s| s.to_lowercase()),
                "{case}: id"
            );
            assert_eq!(d.pretty_name, get("PRETTY_NAME"), "{case}: pretty_name");
            assert_eq!(d.name, get("NAME"), "{case}: name");
            assert_eq!(d.cpe_name, get("CPE_NAME"), "{case}: cpe_name");
            assert_eq!(d.home_url, get("HOME_URL"), "{case}: home_url");
            assert_eq!(d.codename, get("VERSION_CODENAME"), "{case}: codename");
            let like: Vec<String> = get("ID_LIKE")
                .map(|v| v.split_whitespace().map(str::to_string).collect())
                .unwrap_or_default();
            assert_eq!(d.id_like, like, "{case}: id_like");
            let expected_version = get("VERSION_ID").or_else(|| {
                // no VERSION_ID: the major number of /etc/debian_version
                std::fs::read_to_string(root.join("etc/debian_version"))
                    .ok()
                    .map(|v| v.trim().split('.').next().unwrap_or("").to_string())
            });
            assert_eq!(d.version_id, expected_version, "{case}: version_id");
            assert!(
                d.source_path.ends_with("os-release"),
                "{case}: {}",
                d.source_path
            );
        } else {
            let (id, version) =
                documented(&case).unwrap_or_else(|| panic!("{case}: no expectation for this root"));
            assert_eq!(d.id, id, "{case}");
            assert_eq!(d.version_id.as_deref(), Some(version), "{case}");
        }
    }
}

#[test]
fn etc_os_release_symlink_is_followed() {
    let view = view_of(&testdata().join("distroless-static-debian11"));
    let d = detect(&view).expect("distro");
    assert_eq!(d.source_path, USR_OS_RELEASE);
    assert_eq!(d.version_id.as_deref(), Some("11"));
}

#[test]
fn etc_wins_over_usr_lib_and_os_release_over_old_files() {
    let det: Vec<Arc<dyn Detector>> = vec![Arc::new(DistroDetector)];
    let view = FsView::from_files(
        &det,
        &[
            (OS_RELEASE, b"ID=first\n"),
            (USR_OS_RELEASE, b"ID=second\n"),
            (ALPINE_RELEASE, b"3.1.0\n"),
        ],
        &[],
    );
    assert_eq!(detect(&view).map(|d| d.id).as_deref(), Some("first"));
}

#[test]
fn debian_testing_codename_from_debian_version() {
    let det: Vec<Arc<dyn Detector>> = vec![Arc::new(DistroDetector)];
    let view = FsView::from_files(
        &det,
        &[
            (OS_RELEASE, b"ID=debian\n"),
            (DEBIAN_VERSION, b"trixie/sid\n"),
        ],
        &[],
    );
    let d = detect(&view).expect("distro");
    assert_eq!(d.version_id, None);
    assert_eq!(d.codename.as_deref(), Some("trixie"));
}

#[test]
fn lsb_release_and_unknown_redhat_style_names() {
    let det: Vec<Arc<dyn Detector>> = vec![Arc::new(DistroDetector)];
    let view = FsView::from_files(
        &det,
        &[(
            LSB_RELEASE,
            b"DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=14.04\nDISTRIB_CODENAME=trusty\n",
        )],
        &[],
    );
    let d = detect(&view).expect("distro");
    assert_eq!(
        (d.id.as_str(), d.version_id.as_deref()),
        ("ubuntu", Some("14.04"))
    );
    // an unknown vendor name is not turned into an invented id
    let view = FsView::from_files(&det, &[(REDHAT_RELEASE, b"Acme OS release 1.0\n")], &[]);
    assert_eq!(detect(&view), None);
}

fn read_fixture(rel: &str) -> Vec<u8> {
    std::fs::read(testdata().join(rel)).expect("fixture")
}

#[test]
fn a_distributions_own_release_file_wins_over_redhat_release() {
    let det: Vec<Arc<dyn Detector>> = vec![Arc::new(DistroDetector)];
    let rhel = read_fixture("redhat/from-redhat-release/etc/redhat-release");
    for (own_path, fixture, id) in [
        (
            ORACLE_RELEASE,
            "trivy-redhatbase/oracle_7/etc/oracle-release",
            "ol",
        ),
        (
            ROCKY_RELEASE,
            "trivy-redhatbase/rocky/etc/rocky-release",
            "rocky",
        ),
        (
            ALMALINUX_RELEASE,
            "trivy-redhatbase/alma/etc/almalinux-release",
            "almalinux",
        ),
        (
            CENTOS_RELEASE,
            "trivy-redhatbase/centos/etc/centos-release",
            "centos",
        ),
    ] {
        let own = read_fixture(fixture);
        let view = FsView::from_files(
            &det,
            &[
                (REDHAT_RELEASE, &rhel),
                (SYSTEM_RELEASE, &rhel),
                (own_path, &own),
            ],
            &[],
        );
        let d = detect(&view).expect("distro");
        assert_eq!((d.id.as_str(), d.source_path.as_str()), (id, own_path));
    }
    // without it, redhat-release (and then system-release) speaks
    let view = FsView::from_files(&det, &[(SYSTEM_RELEASE, &rhel)], &[]);
    let d = detect(&view).expect("distro");
    assert_eq!(
        (d.id.as_str(), d.version_id.as_deref()),
        ("rhel", Some("8.10"))
    );
}

#[test]
fn amazon_and_mariner_release_files() {
    let det: Vec<Arc<dyn Detector>> = vec![Arc::new(DistroDetector)];
    // Amazon Linux 2023 names its own file /etc/amazon-linux-release; same content
    let al2023 = read_fixture("trivy-amazonlinux/2023/usr/lib/system-release");
    let view = FsView::from_files(&det, &[(AMAZON_LINUX_RELEASE, &al2023)], &[]);
    let d = detect(&view).expect("distro");
    assert_eq!(
        (
            d.id.as_str(),
            d.version_id.as_deref(),
            d.codename.as_deref()
        ),
        ("amzn", Some("2023"), None)
    );
    let al2 = read_fixture("trivy-amazonlinux/2/etc/system-release");
    let view = FsView::from_files(&det, &[(SYSTEM_RELEASE, &al2)], &[]);
    assert_eq!(
        detect(&view).and_then(|d| d.codename).as_deref(),
        Some("Karoo")
    );
    // Mariner's lsb-release says DISTRIB_ID="Mariner": mariner-release is read first
    let mariner = read_fixture("mariner-release/2.0/etc/mariner-release");
    let view = FsView::from_files(
        &det,
        &[
            (MARINER_RELEASE, &mariner),
            (
                LSB_RELEASE,
                b"DISTRIB_ID=\"Mariner\"\nDISTRIB_RELEASE=\"2.0.20240123\"\n",
            ),
        ],
        &[],
    );
    let d = detect(&view).expect("distro");
    assert_eq!(
        (d.id.as_str(), d.version_id.as_deref()),
        ("mariner", Some("2.0"))
    );
    for bad in [
        &b"CBL-Mariner\n"[..],
        b"CBL-Mariner x.y\n",
        b"Mariner 2.0\n",
    ] {
        let view = FsView::from_files(&det, &[(MARINER_RELEASE, bad)], &[]);
        assert_eq!(detect(&view), None, "{}", String::from_utf8_lossy(bad));
    }
}

/// Ansible's SUSE fixtures hold `/etc/SuSE-release` and the os-release of the same system:
/// read alone, the old file gives the ID and VERSION_ID that os-release has.
#[test]
fn suse_release_agrees_with_the_same_systems_os_release() {
    let det: Vec<Arc<dyn Detector>> = vec![Arc::new(DistroDetector)];
    let base = testdata().join("suse-release");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&base)
        .expect("suse-release fixtures")
        .flatten()
        .map(|e| e.path())
        .collect();
    cases.sort();
    assert_eq!(cases.len(), 4);
    for case in cases {
        let old = std::fs::read(case.join("SuSE-release")).expect("SuSE-release");
        let os = std::fs::read_to_string(case.join("os-release.same-system")).expect("os-release");
        let m = naive_os_release(&os);
        let view = FsView::from_files(&det, &[(SUSE_RELEASE, &old)], &[]);
        let d = detect(&view).unwrap_or_else(|| panic!("{}: not detected", case.display()));
        assert_eq!(
            (Some(d.id.as_str()), d.version_id.as_deref()),
            (
                m.get("ID").map(String::as_str),
                m.get("VERSION_ID").map(String::as_str)
            ),
            "{}",
            case.display()
        );
        assert_eq!(d.source_path, SUSE_RELEASE);
    }
    let view = FsView::from_files(
        &det,
        &[(SUSE_RELEASE, b"Acme 1 (x86_64)\nVERSION = 1\n")],
        &[],
    );
    assert_eq!(detect(&view), None);
}

#[test]
fn ancient_red_hat_linux_is_not_called_rhel() {
    // Trivy's redhat_6 fixture: Red Hat Linux 6.2 (2000), which has no os-release ID
    let det: Vec<Arc<dyn Detector>> = vec![Arc::new(DistroDetector)];
    let old = b"Red Hat Linux release 6.2 (Zoot)\n";
    let view = FsView::from_files(&det, &[(REDHAT_RELEASE, old)], &[]);
    assert_eq!(detect(&view), None);
}

#[test]
fn malformed_release_files() {
    let det: Vec<Arc<dyn Detector>> = vec![Arc::new(DistroDetector)];
    // garbage, no ID: os-release(5) says ID defaults to "linux"
    let view = FsView::from_files(&det, &[(OS_RELEASE, b"\xff\xfe garbage\n=\n\"\n")], &[]);
    assert_eq!(detect(&view).map(|d| d.id).as_deref(), Some("linux"));
    // non-UTF-8 value: kept, lossily
    let view = FsView::from_files(&det, &[(OS_RELEASE, b"ID=x\nNAME=\"Caf\xe9\"\n")], &[]);
    let d = detect(&view).expect("distro");
    assert_eq!(d.id, "x");
    assert!(d.name.expect("name").starts_with("Caf"));
    // truncated mid-quote
    let view = FsView::from_files(&det, &[(OS_RELEASE, b"ID=\"alpi")], &[]);
    assert_eq!(detect(&view).map(|d| d.id).as_deref(), Some("alpi"));
    // empty files: nothing
    let view = FsView::from_files(&det, &[(OS_RELEASE, b""), (ALPINE_RELEASE, b"\n")], &[]);
    assert_eq!(detect(&view).map(|d| d.id).as_deref(), Some("linux"));
    // binary
    assert!(DistroDetector.parse(OS_RELEASE, b"\x7fELF\0\0").is_err());
}

proptest::proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(body in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
        let det: Vec<Arc<dyn Detector>> = vec![Arc::new(DistroDetector)];
        for path in [OS_RELEASE, REDHAT_RELEASE, SYSTEM_RELEASE_CPE, DEBIAN_VERSION, LSB_RELEASE, MARINER_RELEASE, SUSE_RELEASE] {
            let view = FsView::from_files(&det, &[(path, body.as_slice())], &[]);
            let _ = detect(&view);
        }
    }
}
