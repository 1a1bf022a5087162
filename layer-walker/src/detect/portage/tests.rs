//! On Syft's portage fixture (testdata/portage/syft-layout), checked against what Syft
//! 1.18.1 and Gentoo's own portage (3.0.83, from PyPI) read from it, and on portage's own
//! splitting of package directory names (testdata/portage/make-truth.sh).

use std::sync::Arc;

use serde_json::Value;

use super::*;
use crate::detect::testutil::{files_of, run, testdata};

fn json(rel: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(testdata(rel)).unwrap()).unwrap()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn every_package_syft_and_portage_read_with_its_fields_and_files() {
    let files = files_of(&testdata("portage/syft-layout"));
    let found = run(Arc::new(PortageDetector), &files);
    assert!(found.warnings.is_empty(), "{:?}", found.warnings);
    let syft = json("portage/syft-layout.syft.json");
    let syft = syft["packages"].as_array().unwrap();
    let portage = json("portage/syft-layout.portage.json");
    let portage = portage.as_array().unwrap();
    assert_eq!(syft.len(), 1);
    assert_eq!(found.packages.len(), syft.len());
    assert_eq!(found.packages.len(), portage.len());
    for (s, t) in syft.iter().zip(portage) {
        let p = found
            .packages
            .iter()
            .find(|p| p.name == s["name"].as_str().unwrap())
            .unwrap_or_else(|| panic!("{} not found", s["name"]));
        assert_eq!(p.name, t["name"].as_str().unwrap());
        assert_eq!(p.version, s["version"].as_str().unwrap());
        assert_eq!(p.version, t["version"].as_str().unwrap());
        assert_eq!(p.ecosystem, Ecosystem::Portage);
        assert_eq!(
            sbom_core::purl::package_purl(p, None),
            s["purl"].as_str().unwrap()
        );
        assert_eq!(p.licenses_declared, strings(&s["licenses"]));
        assert_eq!(p.installed_size, s["installedSize"].as_u64());
        assert_eq!(
            p.installed_size.map(|n| n.to_string()).as_deref(),
            t["size"].as_str()
        );
        let mut files = p.files.clone();
        files.sort();
        assert_eq!(files, strings(&t["files"]), "portage's obj entries");
        let mut syft_files = strings(&s["files"]);
        syft_files.sort();
        assert_eq!(files, syft_files);
        assert!(strings(&s["locations"]).contains(&p.database_path));
        assert_eq!(
            p.license.as_deref(),
            license_expression(t["license"].as_str().unwrap()).as_deref()
        );
    }
}

#[test]
fn directory_names_split_as_portage_splits_them() {
    let table = std::fs::read_to_string(testdata("portage/split.tsv")).unwrap();
    let mut n = 0;
    for line in table.lines().filter(|l| !l.starts_with('#')) {
        let [pf, name, ver] = line.split('\t').collect::<Vec<_>>()[..] else {
            panic!("bad line {line:?}");
        };
        let want = (name != "-").then_some((name, ver));
        assert_eq!(version::split_pf(pf), want, "{pf}");
        n += 1;
    }
    assert!(n >= 40, "{n} rows");
}

#[test]
fn license_choices_and_use_conditionals_stay_in_the_expression() {
    assert_eq!(
        license_expression("|| ( MIT Apache-2.0 ) ssl? ( OpenSSL )").as_deref(),
        Some("(MIT OR Apache-2.0) AND OpenSSL")
    );
    assert_eq!(
        license_names("|| ( MIT Apache-2.0 ) ssl? ( OpenSSL )"),
        ["MIT", "Apache-2.0", "OpenSSL"]
    );
}

#[test]
fn malformed_entries_are_errors_naming_the_file_not_panics() {
    let good = std::fs::read(testdata(
        "portage/syft-layout/var/db/pkg/app-containers/skopeo-1.5.1/CONTENTS",
    ))
    .unwrap();
    assert!(parse_contents(&good).is_ok());
    // cut inside an obj line: the md5 and mtime are gone
    let cut = good
        .windows(4)
        .position(|w| w == b"obj ")
        .map(|i| i + 12)
        .unwrap();
    assert!(parse_contents(&good[..cut]).is_err());
    assert!(parse_contents(b"obj /usr/bin/x 376c02bd3b2280 1649284374\n").is_err());
    assert!(parse_contents(b"what /usr\n").is_err());
    assert!(parse_contents(&[0xff, 0xfe]).is_err());
    // paths with spaces
    assert_eq!(
        parse_contents(b"obj /usr/share/a b.txt 376c02bd3b22804df8fdfdc895e7dbfb 1649284374\n")
            .unwrap(),
        ["/usr/share/a b.txt"]
    );
    let d = PortageDetector;
    assert!(d
        .parse("/var/db/pkg/app-misc/noversion/CONTENTS", b"")
        .is_err());
    assert!(d
        .parse("/var/db/pkg/app-misc/ok-1.0-r1/CONTENTS", b"")
        .is_ok());
    // through a scan: the warning names the file, the good package is still there
    let dir = tempfile::tempdir().unwrap();
    let skopeo = dir.path().join("var/db/pkg/app-containers/skopeo-1.5.1");
    std::fs::create_dir_all(&skopeo).unwrap();
    std::fs::write(skopeo.join("CONTENTS"), &good).unwrap();
    let bad = dir.path().join("var/db/pkg/app-misc/broken-2.0");
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::write(bad.join("CONTENTS"), &good[..cut]).unwrap();
    let image = crate::ImageRef::parse(&format!("dir:{}", dir.path().display())).unwrap();
    let inv = crate::Scanner::new().scan(&image).unwrap().inventory;
    assert!(inv
        .packages
        .iter()
        .any(|p| p.name == "app-containers/skopeo"));
    assert!(!inv.packages.iter().any(|p| p.name == "app-misc/broken"));
    assert!(
        inv.warnings.iter().any(|w| {
            format!("{:?} {}", w.path, w.message)
                .contains("/var/db/pkg/app-misc/broken-2.0/CONTENTS")
                && w.incomplete
        }),
        "{:?}",
        inv.warnings
    );
}

#[test]
fn only_vdb_entries_are_claimed() {
    let m = EntryMeta {
        size: 10,
        mode: 0o644,
    };
    let d = PortageDetector;
    assert!(d
        .claim("/var/db/pkg/sys-libs/zlib-1.3/CONTENTS", &m)
        .is_some());
    assert!(d
        .claim("/var/db/pkg/sys-libs/zlib-1.3/LICENSE", &m)
        .is_some());
    assert!(d
        .claim("/var/db/pkg/sys-libs/zlib-1.3/environment.bz2", &m)
        .is_none());
    assert!(d.claim("/var/db/pkg/sys-libs/CONTENTS", &m).is_none());
    assert!(d.claim("/var/db/pkg/a/b/c/CONTENTS", &m).is_none());
}
