//! On binaries linked here with `ld --package-metadata` (testdata/elfnote/make-notes.sh) and
//! Debian's own libsystemd (fetched by testdata/binaries/fetch.sh), each note read back with
//! `readelf --notes` as truth.

use super::*;
use proptest::prelude::*;
use std::sync::Arc;

const FIX: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/elfnote");

/// The JSON `readelf --notes` prints for the file's package note; `None` when readelf is
/// not installed (then the test says so and checks what it can without it).
fn readelf_note(path: &std::path::Path) -> Option<serde_json::Value> {
    let out = match std::process::Command::new("readelf")
        .args(["--notes", "--wide"])
        .arg(path)
        .output()
    {
        Ok(o) if o.status.success() => o.stdout,
        _ => {
            eprintln!("SKIP: readelf (binutils) does not run here");
            return None;
        }
    };
    let text = String::from_utf8_lossy(&out);
    let json = text
        .lines()
        .find_map(|l| l.split_once("Packaging Metadata: ").map(|x| x.1))
        .unwrap_or_else(|| panic!("readelf shows no package note in {}", path.display()));
    Some(serde_json::from_str(json.trim()).expect("readelf's JSON"))
}

fn collect(files: &[(&str, &[u8])], full_detail: bool) -> Vec<Package> {
    let detectors: Vec<Arc<dyn Detector>> = vec![Arc::new(ElfNoteDetector)];
    let view = FsView::from_files(&detectors, files, &[]);
    let mut out = Findings::default();
    detectors[0].collect(&view, CollectContext { full_detail }, &mut out);
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
    out.packages
}

fn assert_matches(note: &PackageNote, want: &serde_json::Value) {
    let s = |k: &str| want[k].as_str().map(str::to_string);
    assert_eq!(Some(note.kind.clone()), s("type"));
    assert_eq!(Some(note.name.clone()), s("name"));
    assert_eq!(Some(note.version.clone()), s("version"));
    assert_eq!(note.architecture, s("architecture"));
    assert_eq!(note.os, s("os"));
    assert_eq!(note.os_cpe, s("osCpe"));
    assert_eq!(note.debug_info_url, s("debugInfoUrl"));
}

#[test]
fn linked_notes_match_readelf() {
    for name in ["note-rpm-azurelinux.elf", "libnote-deb.so.1"] {
        let path = std::path::Path::new(FIX).join(name);
        let body = std::fs::read(&path).expect("fixture");
        let note = read_note(&body).expect("ok").expect("a note");
        if let Some(want) = readelf_note(&path) {
            assert_matches(&note, &want);
        }
    }
    assert_eq!(
        read_note(&std::fs::read(format!("{FIX}/no-note.elf")).unwrap()),
        Ok(None)
    );
}

#[test]
fn notes_become_packages_with_purls_of_their_type() {
    let rpm = std::fs::read(format!("{FIX}/note-rpm-azurelinux.elf")).unwrap();
    let deb = std::fs::read(format!("{FIX}/libnote-deb.so.1")).unwrap();
    // the same rpm's note in two binaries is one package with both files
    let pkgs = collect(
        &[
            ("/usr/bin/hello", &rpm),
            ("/usr/libexec/hello-helper", &rpm),
            ("/usr/lib/x86_64-linux-gnu/libnote.so.1", &deb),
        ],
        true,
    );
    assert_eq!(pkgs.len(), 2, "{pkgs:?}");
    let want = readelf_note(&std::path::Path::new(FIX).join("note-rpm-azurelinux.elf"));
    let r = &pkgs[0];
    assert_eq!(r.ecosystem, Ecosystem::Rpm);
    if let Some(w) = &want {
        assert_eq!(Some(r.name.as_str()), w["name"].as_str());
        assert_eq!(Some(r.version.as_str()), w["version"].as_str());
        assert_eq!(r.arch.as_deref(), w["architecture"].as_str());
        assert_eq!(
            r.properties.get("elf-note:os-cpe").map(String::as_str),
            w["osCpe"].as_str()
        );
    }
    assert_eq!(r.files, ["/usr/bin/hello", "/usr/libexec/hello-helper"]);
    assert_eq!(
        r.properties.get(sbom_core::FOUND_BY).map(String::as_str),
        Some(FOUND_BY_ELF_NOTE)
    );
    assert_eq!(
        sbom_core::purl::package_purl(r, None),
        format!(
            "pkg:rpm/unknown/{}@{}?arch={}",
            r.name,
            r.version,
            r.arch.as_deref().unwrap()
        )
    );
    // Debian's note: the epoch split off as dpkg records it, `os` the namespace when the
    // image has no os-release
    let d = &pkgs[1];
    assert_eq!(d.ecosystem, Ecosystem::Deb);
    assert_eq!(d.epoch, Some(1));
    assert_eq!(
        sbom_core::purl::package_purl(d, None),
        format!(
            "pkg:deb/debian/{}@{}?arch=amd64&epoch=1",
            d.name,
            d.version_without_epoch()
        )
    );
    // a shared library without an execute bit is claimed; a plain data file is not
    let plain = EntryMeta {
        size: 1,
        mode: 0o644,
    };
    assert!(ElfNoteDetector
        .claim("/usr/lib/libnote.so.1", &plain)
        .is_some());
    assert!(ElfNoteDetector.claim("/usr/share/doc/x", &plain).is_none());
}

#[test]
fn debian_libsystemd_note_matches_readelf() {
    let dir = match std::env::var_os("SBOM_BINARIES") {
        Some(d) if !d.is_empty() => std::path::PathBuf::from(d),
        _ => {
            eprintln!("SKIP: SBOM_BINARIES is not set (testdata/binaries/fetch.sh DIR)");
            return;
        }
    };
    let libs = dir.join("usr/lib/x86_64-linux-gnu");
    let lib = std::fs::read_dir(&libs)
        .unwrap_or_else(|e| panic!("{}: {e}", libs.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("libsystemd.so.0.") && !p.is_symlink())
        })
        .unwrap_or_else(|| panic!("no libsystemd.so.0.* in {} (refetch)", libs.display()));
    let body = std::fs::read(&lib).unwrap();
    let note = read_note(&body)
        .expect("ok")
        .expect("Debian's libsystemd has a note");
    if let Some(want) = readelf_note(&lib) {
        assert_matches(&note, &want);
    }
    assert_eq!(note.kind, "deb");
    // through the walker's claim only the library's first bytes are read, and the note is
    // among them
    assert!(body.len() as u64 > NOTE_HEAD * 4, "{} bytes", body.len());
    let path = "/usr/lib/x86_64-linux-gnu/libsystemd.so.0";
    let view = FsView::from_files(
        &[Arc::new(ElfNoteDetector) as Arc<dyn Detector>],
        &[(path, body.as_slice())],
        &[],
    );
    let walked = view
        .parsed(NAME)
        .next()
        .and_then(|f| f.get::<NoteData>().cloned())
        .expect("parsed");
    assert_eq!(walked, Some(note));
    assert_eq!(view.failures().count(), 0);
}

#[test]
fn hostile_notes_are_errors_or_nothing_never_panics() {
    let full = std::fs::read(format!("{FIX}/note-rpm-azurelinux.elf")).unwrap();
    let at = full
        .windows(4)
        .position(|w| w == b"FDO\0")
        .expect("note owner")
        - 12;
    // a descriptor size past the section's end: an error naming the note
    let mut bad = full.clone();
    bad[at + 4..at + 8].copy_from_slice(&0x7fff_fff0_u32.to_le_bytes());
    assert!(read_note(&bad).is_err());
    // a name size that wraps around
    let mut bad = full.clone();
    bad[at..at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(read_note(&bad).is_err());
    // JSON that is not JSON
    let mut bad = full.clone();
    bad[at + 16] = b'}';
    assert!(read_note(&bad).is_err());
    assert!(ElfNoteDetector.parse("/usr/bin/x", &full[..64]).is_err());
    for cut in (0..full.len()).step_by(97) {
        let _ = read_note(&full[..cut]);
    }
    for i in 0..48 {
        let mut b = full.clone();
        b[at + i] ^= 0xa5;
        let _ = read_note(&b);
    }
    // the note parser alone: garbage in, never a panic
    assert_eq!(find_note(&[0; 11], false), Ok(None));
    assert!(find_note(&[0xff; 40], true).is_err());
}

proptest! {
    #[test]
    fn note_parser_never_panics(data in proptest::collection::vec(any::<u8>(), 0..512), be: bool) {
        let _ = find_note(&data, be);
        let mut body = b"\x7fELF\x02\x01\x01\x00".to_vec();
        body.extend_from_slice(&data);
        let _ = read_note(&body);
    }
}
