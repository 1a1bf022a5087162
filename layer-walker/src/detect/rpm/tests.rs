//! The detector against real databases, each checked against the list the real `rpm` tool
//! printed for it (`testdata/rpm/*/EXPECTED-*.json`), and against damaged input.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use sbom_core::Package;

use super::*;
use crate::detect::Detector;

fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/rpm")
        .join(rel)
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn detectors() -> Vec<Arc<dyn Detector>> {
    vec![Arc::new(RpmDetector)]
}

/// Runs the detector over one file placed at `image_path`.
fn scan(image_path: &str, body: &[u8], full_detail: bool) -> (Findings, FsView) {
    let view = FsView::from_files(&detectors(), &[(image_path, body)], &[]);
    let mut out = Findings::default();
    RpmDetector.collect(&view, CollectContext { full_detail }, &mut out);
    (out, view)
}

type Row = (
    String,
    Option<u64>,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<u64>,
    Option<String>,
);

fn expected_rows(expected: &Path) -> Vec<Row> {
    let json: serde_json::Value =
        serde_json::from_slice(&read(expected)).expect("EXPECTED file is JSON");
    let s = |p: &serde_json::Value, k: &str| p.get(k).and_then(|v| v.as_str()).map(String::from);
    let packages = json["packages"].as_array().expect("packages array");
    assert_eq!(
        json["count"].as_u64(),
        Some(packages.len() as u64),
        "EXPECTED count"
    );
    let mut rows: Vec<Row> = packages
        .iter()
        .map(|p| {
            (
                s(p, "name").expect("name"),
                p["epoch"].as_u64(),
                s(p, "version").expect("version"),
                s(p, "release").expect("release"),
                s(p, "arch"),
                s(p, "sourceRpm"),
                s(p, "license"),
                s(p, "vendor"),
                p["size"].as_u64(),
                s(p, "sigMD5"),
            )
        })
        .collect();
    rows.sort();
    rows
}

fn actual_rows(packages: &[Package]) -> Vec<Row> {
    let mut rows: Vec<Row> = packages
        .iter()
        .map(|p| {
            let (v, r) = p
                .version_without_epoch()
                .rsplit_once('-')
                .expect("version-release");
            (
                p.name.clone(),
                p.epoch,
                v.to_string(),
                r.to_string(),
                p.arch.clone(),
                p.source
                    .as_ref()
                    .map(|s| format!("{}-{}.src.rpm", s.name, s.version.as_deref().unwrap_or(""))),
                p.licenses_declared.first().cloned(),
                p.properties.get("rpm:vendor").cloned(),
                p.installed_size,
                p.properties.get("rpm:sigmd5").cloned(),
            )
        })
        .collect();
    rows.sort();
    rows
}

/// Every fixture's packages must equal its EXPECTED list exactly (name, epoch, version,
/// release, arch, source rpm, license, vendor, size, SIGMD5).
fn check(case: &str, db: &Path, image_path: &str) {
    let body = read(db);
    let (out, view) = scan(image_path, &body, true);
    assert_eq!(view.failures().count(), 0, "{case}: file failed to parse");
    assert!(out.warnings.is_empty(), "{case}: {:?}", out.warnings);
    let want = expected_rows(&testdata(&format!("{case}/EXPECTED-{case}.json")));
    let got = actual_rows(&out.packages);
    assert_eq!(got.len(), want.len(), "{case}: package count");
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g, w, "{case}");
    }
    for p in &out.packages {
        assert_eq!(p.database_path, image_path);
        // epoch shown in the version exactly when the header has one
        assert_eq!(p.version.contains(':'), p.epoch.is_some(), "{}", p.version);
    }
}

#[test]
fn bdb_dive() {
    check(
        "bdb-dive",
        &testdata("bdb-dive/Packages"),
        "/var/lib/rpm/Packages",
    );
}

#[test]
fn bdb_epoch_hello() {
    check(
        "bdb-epoch-hello",
        &testdata("bdb-epoch-hello/Packages"),
        "/var/lib/rpm/Packages",
    );
}

#[test]
fn bdb_libuuid_el8() {
    check(
        "bdb-libuuid-el8",
        &testdata("bdb-libuuid-el8/Packages"),
        "/var/lib/rpm/Packages",
    );
}

#[test]
fn bdb_fedora_modular_26_from_shared_fixtures() {
    // 5.3 MB, so not copied into the repository
    let db = Path::new("/work/shared/fixtures/rpm/bdb-fedora-modular-26/Packages");
    if !db.exists() {
        println!("skipped: {} is absent", db.display());
        return;
    }
    check("bdb-fedora-modular-26", db, "/var/lib/rpm/Packages");
}

#[test]
fn ndb_sle15() {
    check(
        "ndb-sle15-bci-minimal-15.3",
        &testdata("ndb-sle15-bci-minimal-15.3/Packages.db"),
        "/usr/lib/sysimage/rpm/Packages.db",
    );
}

#[test]
fn sqlite_cbl_mariner() {
    check(
        "sqlite-cbl-mariner-2.0",
        &testdata("sqlite-cbl-mariner-2.0/rpmdb.sqlite"),
        "/var/lib/rpm/rpmdb.sqlite",
    );
}

#[test]
fn sqlite_fedora38() {
    check(
        "sqlite-fedora38-2pkgs",
        &testdata("sqlite-fedora38-2pkgs/rpmdb.sqlite"),
        "/usr/lib/sysimage/rpm/rpmdb.sqlite",
    );
}

#[test]
fn details_of_one_package() {
    let body = read(&testdata("bdb-libuuid-el8/Packages"));
    let (out, _) = scan("/var/lib/rpm/Packages", &body, true);
    let p = &out.packages[0];
    assert_eq!(p.version, "2.32.1-42.el8_8");
    assert!(p
        .files
        .iter()
        .any(|f| f.starts_with("/usr/lib64/libuuid.so")));
    assert!(p.files.iter().all(|f| f.starts_with('/')));
    assert!(p.depends.iter().all(|d| !d.starts_with("rpmlib(")));
    assert!(!p.provides.is_empty());
    assert!(p.properties.contains_key("rpm:sigmd5"));
    assert!(p.license.is_some());
    // per-layer snapshots leave the file list out
    let (quick, _) = scan("/var/lib/rpm/Packages", &body, false);
    assert!(quick.packages[0].files.is_empty());
}

#[test]
fn manifest_cbl_mariner_distroless() {
    let body = read(&testdata(
        "rpmmanifest-cbl-mariner-distroless/container-manifest-2",
    ));
    let (out, _) = scan("/var/lib/rpmmanifest/container-manifest-2", &body, true);
    // no EXPECTED list from rpm exists for a manifest; check it against its own lines
    let lines = String::from_utf8_lossy(&body)
        .lines()
        .filter(|l| !l.is_empty())
        .count();
    assert_eq!(out.packages.len(), lines);
    let vim = out
        .packages
        .iter()
        .find(|p| p.name == "vim")
        .expect("vim listed");
    assert_eq!((vim.version.as_str(), vim.epoch), ("2:9.0-1.cm2", Some(2)));
    assert!(out.packages.iter().all(|p| p.source.is_some()));
}

/// Microsoft's own manifest lines (from Trivy's test of issue 9100): `(none)` in the EPOCH
/// column, the epoch only in EPOCHNUM. Expected values are Trivy's.
#[test]
fn manifest_azure_linux_epoch_in_epochnum() {
    let body = read(&testdata(
        "rpmmanifest-azurelinux-trivy/container-manifest-2",
    ));
    let (out, _) = scan("/var/lib/rpmmanifest/container-manifest-2", &body, true);
    let got: Vec<_> = out
        .packages
        .iter()
        .map(|p| {
            let src = p.source.clone().unwrap_or_default();
            (
                p.name.as_str(),
                p.version.clone(),
                p.epoch,
                p.arch.clone().unwrap_or_default(),
                src.name,
                src.version.unwrap_or_default(),
            )
        })
        .collect();
    let row = |n, v: &str, e, a: &str, sn: &str, sv: &str| {
        (
            n,
            v.to_string(),
            e,
            a.to_string(),
            sn.to_string(),
            sv.to_string(),
        )
    };
    assert_eq!(
        got,
        [
            row(
                "mariner-release",
                "2.0-12.cm2",
                None,
                "noarch",
                "mariner-release",
                "2.0-12.cm2"
            ),
            row(
                "filesystem",
                "1.1-9.cm2",
                None,
                "x86_64",
                "filesystem",
                "1.1-9.cm2"
            ),
            row("glibc", "2.35-2.cm2", None, "x86_64", "glibc", "2.35-2.cm2"),
            row(
                "ca-certificates-base",
                "1:3.0.0-8.azl3",
                Some(1),
                "noarch",
                "ca-certificates",
                "3.0.0-8.azl3"
            ),
        ]
    );
}

#[test]
fn sqlite_is_preferred_over_a_leftover_bdb() {
    let bdb = read(&testdata("bdb-dive/Packages"));
    let sqlite = read(&testdata("sqlite-fedora38-2pkgs/rpmdb.sqlite"));
    let view = FsView::from_files(
        &detectors(),
        &[
            ("/var/lib/rpm/Packages", &bdb),
            ("/usr/lib/sysimage/rpm/rpmdb.sqlite", &sqlite),
        ],
        &[],
    );
    let mut out = Findings::default();
    RpmDetector.collect(&view, CollectContext { full_detail: false }, &mut out);
    assert_eq!(out.packages.len(), 2);
    assert!(out
        .packages
        .iter()
        .all(|p| p.database_path == "/usr/lib/sysimage/rpm/rpmdb.sqlite"));
}

#[test]
fn symlinked_db_dir_is_read_once() {
    let sqlite = read(&testdata("sqlite-fedora38-2pkgs/rpmdb.sqlite"));
    let view = FsView::from_files(
        &detectors(),
        &[("/usr/lib/sysimage/rpm/rpmdb.sqlite", &sqlite)],
        &[("/var/lib/rpm", "../../usr/lib/sysimage/rpm")],
    );
    let mut out = Findings::default();
    RpmDetector.collect(&view, CollectContext { full_detail: false }, &mut out);
    assert_eq!(out.packages.len(), 2);
}

#[test]
fn damaged_record_is_skipped_with_a_warning() {
    let mut body = read(&testdata("ndb-sle15-bci-minimal-15.3/Packages.db"));
    // first slot (at byte 32): point its block offset far outside the file
    body[40..44].copy_from_slice(&0x0fff_ffffu32.to_le_bytes());
    let path = "/usr/lib/sysimage/rpm/Packages.db";
    let (out, _) = scan(path, &body, false);
    assert_eq!(out.packages.len(), 34);
    assert_eq!(out.warnings.len(), 1);
    let w = &out.warnings[0];
    assert!(w.incomplete);
    assert_eq!(w.path.as_deref(), Some(path));
    assert!(
        w.message.contains("1 packages could not be read"),
        "{}",
        w.message
    );
}

#[test]
fn damaged_header_blob_in_bdb_is_skipped_with_a_warning() {
    let mut body = read(&testdata("bdb-libuuid-el8/Packages"));
    // break the blob's index count wherever the NAME tag entry sits: the record is unreadable
    let needle = [0u8, 0, 0x03, 0xe8, 0, 0, 0, 6]; // tag 1000, type STRING
    let at = body
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("NAME entry in fixture");
    body[at + 8..at + 12].copy_from_slice(&u32::MAX.to_be_bytes()); // offset far outside
    let (out, _) = scan("/var/lib/rpm/Packages", &body, true);
    assert!(out.packages.is_empty());
    assert_eq!(out.warnings.len(), 1);
    assert!(out.warnings[0].incomplete);
}

#[test]
fn truncated_bdb_is_reported() {
    let body = read(&testdata("bdb-libuuid-el8/Packages"));
    let cut = &body[..body.len() / 2 + 100];
    let (out, view) = scan("/var/lib/rpm/Packages", cut, false);
    assert_eq!(view.failures().count(), 0);
    assert!(out
        .warnings
        .iter()
        .any(|w| w.incomplete && w.message.contains("truncated")));
}

#[test]
fn unreadable_files_are_failures_not_panics() {
    let junk = vec![0x5au8; 8192];
    for path in [
        "/var/lib/rpm/Packages",
        "/var/lib/rpm/Packages.db",
        "/var/lib/rpm/rpmdb.sqlite",
    ] {
        let (out, view) = scan(path, &junk, true);
        assert!(out.packages.is_empty());
        let failures: Vec<_> = view.failures().collect();
        assert_eq!(failures.len(), 1, "{path}");
        assert_eq!(failures[0].detector, "rpm");
    }
    // a real SQLite database whose pages were overwritten
    let mut sqlite = read(&testdata("sqlite-fedora38-2pkgs/rpmdb.sqlite"));
    for b in sqlite.iter_mut().skip(100).step_by(7) {
        *b = 0xa5;
    }
    let (out, view) = scan("/var/lib/rpm/rpmdb.sqlite", &sqlite, true);
    assert!(out.packages.is_empty());
    assert_eq!(view.failures().count(), 1);
}

#[test]
fn claims_only_database_paths() {
    let meta = EntryMeta {
        size: 10,
        mode: 0o644,
    };
    for p in [
        "/var/lib/rpm/Packages",
        "/var/lib/rpm/Packages.db",
        "/var/lib/rpm/rpmdb.sqlite",
        "/usr/lib/sysimage/rpm/Packages",
        "/usr/lib/sysimage/rpm/Packages.db",
        "/usr/lib/sysimage/rpm/rpmdb.sqlite",
        "/var/lib/rpmmanifest/container-manifest-2",
        // the SQLite log, to tell whether the database is complete
        "/var/lib/rpm/rpmdb.sqlite-wal",
        "/usr/lib/sysimage/rpm/rpmdb.sqlite-wal",
    ] {
        assert!(RpmDetector.claim(p, &meta).is_some(), "{p}");
    }
    for p in [
        "/var/lib/rpm/Name",
        "/var/lib/rpm/Packages-wal",
        "/var/lib/rpm/rpmdb.sqlite-shm",
        "/opt/var/lib/rpm/Packages",
        "/var/lib/rpm/sub/Packages",
    ] {
        assert!(RpmDetector.claim(p, &meta).is_none(), "{p}");
    }
}

/// A WAL with committed transactions beside `rpmdb.sqlite` (made by the real SQLite on a copy
/// of the Fedora fixture, checkpoints off) marks the database incomplete, naming both files;
/// an empty WAL, as a clean rpm exit leaves it, changes nothing.
#[test]
fn committed_wal_marks_the_sqlite_database_incomplete() {
    let db = read(&testdata("sqlite-fedora38-2pkgs/rpmdb.sqlite"));
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("rpmdb.sqlite");
    std::fs::write(&copy, &db).unwrap();
    let conn = rusqlite::Connection::open(&copy).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
    // rpm's index tables point at Packages; an uninstall would clear them too
    conn.pragma_update(None, "foreign_keys", false).unwrap();
    conn.execute(
        "DELETE FROM Packages WHERE hnum = (SELECT MAX(hnum) FROM Packages)",
        [],
    )
    .unwrap();
    let wal = std::fs::read(dir.path().join("rpmdb.sqlite-wal")).unwrap();
    drop(conn);

    let dets = detectors();
    let run = |wal: &[u8]| {
        let view = FsView::from_files(
            &dets,
            &[
                ("/var/lib/rpm/rpmdb.sqlite", &db[..]),
                ("/var/lib/rpm/rpmdb.sqlite-wal", wal),
            ],
            &[],
        );
        let mut out = Findings::default();
        RpmDetector.collect(&view, CollectContext { full_detail: false }, &mut out);
        out
    };
    let out = run(&wal);
    assert_eq!(
        out.packages.len(),
        2,
        "the database file itself still lists both"
    );
    assert!(
        out.warnings.iter().any(|w| w.incomplete
            && w.message.contains("/var/lib/rpm/rpmdb.sqlite-wal")
            && w.message.contains("committed")),
        "{:?}",
        out.warnings
    );
    let clean = run(b"");
    assert!(clean.warnings.is_empty(), "{:?}", clean.warnings);
}
