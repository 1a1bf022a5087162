//! How layers combine: whiteouts, opaque directories, duplicates, hard links, and what each
//! layer is credited with.

mod support;

use layer_walker::ImageRef;
use sbom_core::Scope;
use support::*;

fn names(v: &[sbom_core::PackageRef]) -> Vec<String> {
    v.iter()
        .map(|p| format!("{}@{}", p.name, p.version))
        .collect()
}

fn image(layers: Vec<Vec<u8>>) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    Oci::gzip_layers(layers).write(d.path());
    d
}

#[test]
fn layers_are_credited_with_what_they_add_change_and_remove() {
    let d = image(vec![
        layer(&[
            E::Dir("pkgs/"),
            E::File("pkgs/a", b"a 1"),
            E::File("pkgs/b", b"b 1"),
            E::File("pkgs/gone", b"gone 1"),
        ]),
        layer(&[E::File("pkgs/.wh.a", b""), E::File("pkgs/b", b"b 2")]),
        layer(&[E::File("pkgs/.wh..wh..opq", b""), E::File("pkgs/c", b"c 1")]),
    ]);
    let r = ImageRef::parse(&format!("oci-dir:{}", d.path().display())).unwrap();
    let s = pkg_scanner().scan(&r).unwrap();
    let inv = &s.inventory;
    assert_eq!(names(&inv.layers[0].added), ["a@1", "b@1", "gone@1"]);
    assert_eq!(names(&inv.layers[1].removed), ["a@1"]);
    assert_eq!(inv.layers[1].changed.len(), 1);
    assert_eq!(
        (
            inv.layers[1].changed[0].from_version.as_str(),
            inv.layers[1].changed[0].to_version.as_str()
        ),
        ("1", "2")
    );
    // the opaque directory hides everything below /pkgs from lower layers
    assert_eq!(names(&inv.layers[2].removed), ["b@2", "gone@1"]);
    assert_eq!(names(&inv.layers[2].added), ["c@1"]);
    let final_names: Vec<_> = inv
        .packages
        .iter()
        .map(|p| (p.name.as_str(), p.layer))
        .collect();
    assert_eq!(final_names, [("c", Some(2))]);

    let all = pkg_scanner()
        .scope(Scope::AllLayers)
        .scan(&r)
        .unwrap()
        .inventory;
    let mut removed: Vec<_> = all
        .packages
        .iter()
        .filter_map(|p| p.removed_in.map(|l| (p.name.as_str(), p.layer, l)))
        .collect();
    removed.sort();
    assert_eq!(
        removed,
        [("a", Some(0), 1), ("b", Some(1), 2), ("gone", Some(0), 2)]
    );
}

#[test]
fn the_later_of_duplicate_entries_wins_and_hard_links_share_bodies() {
    let d = image(vec![layer(&[
        E::File("pkgs/x", b"x 1"),
        E::File("pkgs/x", b"x 2"),
        E::Hardlink("pkgs/y", "pkgs/x"),
        E::Hardlink("pkgs/z", "pkgs/missing"),
        E::Hardlink("pkgs/w", "pkgs/later"),
        E::File("pkgs/later", b"later 1"),
    ])]);
    let s = pkg_scanner()
        .scan(&ImageRef::parse(&format!("oci-dir:{}", d.path().display())).unwrap())
        .unwrap();
    let mut got: Vec<_> = s
        .inventory
        .packages
        .iter()
        .map(|p| (p.database_path.as_str(), p.version.as_str()))
        .collect();
    got.sort();
    // y links to x as it was when y was written (x 2); z and w point at nothing that existed
    // before them, so they are not packages
    assert_eq!(
        got,
        [("/pkgs/later", "1"), ("/pkgs/x", "2"), ("/pkgs/y", "2")]
    );
}

#[test]
fn whiteout_of_a_directory_and_a_later_replacement_by_a_file() {
    let d = image(vec![
        layer(&[
            E::File("pkgs/sub/a", b"a 1"),
            E::File("pkgs/sub/b", b"b 1"),
            E::File("pkgs/keep", b"keep 1"),
        ]),
        layer(&[E::File("pkgs/.wh.sub", b"")]),
        layer(&[E::File("pkgs/sub", b"sub 1")]),
    ]);
    let s = pkg_scanner()
        .scan(&ImageRef::parse(&format!("oci-dir:{}", d.path().display())).unwrap())
        .unwrap();
    assert_eq!(names(&s.inventory.layers[1].removed), ["a@1", "b@1"]);
    let mut fin: Vec<_> = s
        .inventory
        .packages
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    fin.sort();
    assert_eq!(fin, ["keep", "sub"]);
}

#[test]
fn symlinked_directories_are_followed_for_lookups() {
    // /usr/lib/os-release reached through /etc -> a link to a directory in a lower layer
    let v = layer_walker::walk::view::FsView::from_files(
        &[std::sync::Arc::new(PkgFiles)],
        &[("/pkgs/real/a", b"a 1")],
        &[("/pkgs/link", "real"), ("/lib", "usr/lib")],
    );
    assert!(v.lookup("pkgfiles", "/pkgs/link/a").is_some());
    assert_eq!(v.resolve("/lib/x/../y").unwrap(), "/usr/lib/y");
}

fn dpkg_status(pkgs: &[(&str, &str)]) -> Vec<u8> {
    pkgs.iter()
        .map(|(n, v)| {
            format!(
                "Package: {n}\nStatus: install ok installed\nArchitecture: amd64\nVersion: {v}\n\n"
            )
        })
        .collect::<String>()
        .into_bytes()
}

/// A version change says which way it went, by dpkg's own ordering: `1:0.9` is newer than
/// `2.0` (epoch), `2.0~rc1` older than `2.0`, `1.0` and `1.00` the same version.
#[test]
fn version_changes_say_upgrade_or_downgrade_by_the_package_managers_order() {
    let st = |pkgs: &[(&str, &str)]| layer(&[E::File("var/lib/dpkg/status", &dpkg_status(pkgs))]);
    let d = image(vec![
        st(&[("epoch", "2.0"), ("tilde", "2.0"), ("zeros", "1.0")]),
        st(&[("epoch", "1:0.9"), ("tilde", "2.0~rc1"), ("zeros", "1.00")]),
    ]);
    let s = layer_walker::Scanner::new()
        .scan(&ImageRef::parse(&format!("oci-dir:{}", d.path().display())).unwrap())
        .unwrap();
    let got: Vec<(String, Option<sbom_core::ChangeDirection>)> = s.inventory.layers[1]
        .changed
        .iter()
        .map(|c| (c.name.clone(), c.direction))
        .collect();
    use sbom_core::ChangeDirection::*;
    assert_eq!(
        got,
        [
            ("epoch".to_string(), Some(Upgrade)),
            ("tilde".to_string(), Some(Downgrade)),
            ("zeros".to_string(), Some(Same)),
        ]
    );
    let table = sbom_core::format::writer_for("table").unwrap();
    let mut out = Vec::new();
    table
        .write(
            &s.inventory,
            &sbom_core::format::WriteOptions::fixed(0),
            &mut out,
        )
        .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("tilde 2.0 -> 2.0~rc1 (downgrade)"), "{text}");
}

/// `docker save` lists one file for identical layers (the same diff_id, e.g. two `COPY`s of
/// the same file): the manifest names it twice, the archive holds it once.
#[test]
fn a_layer_listed_twice_is_read_for_both_places() {
    // over 64 KiB, so that a streamed archive analyses it as it passes instead of keeping it
    let filler = vec![7u8; 100 << 10];
    let a = layer(&[
        E::Dir("pkgs/"),
        E::File("pkgs/a", b"a 1"),
        E::File("filler", &filler),
    ]);
    let b = layer(&[E::File("pkgs/a", b"a 2"), E::File("filler", &filler)]);
    let archive = docker_archive(&[a.clone(), b, a]);
    let d = tempfile::tempdir().unwrap();
    let plain = d.path().join("image.tar");
    std::fs::write(&plain, &archive).unwrap();
    let wrapped = d.path().join("image.tar.gz");
    std::fs::write(&wrapped, gzip(&archive)).unwrap();
    for path in [&plain, &wrapped] {
        let read = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let counter = read.clone();
        let s = pkg_scanner()
            .on_progress(move |p| {
                if let layer_walker::Progress::Bytes {
                    layer: Some(_),
                    bytes,
                } = p
                {
                    counter.fetch_add(*bytes, std::sync::atomic::Ordering::Relaxed);
                }
            })
            .scan(&ImageRef::Path {
                kind: None,
                path: path.clone(),
            })
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let inv = &s.inventory;
        assert_eq!(inv.layers.len(), 3, "{}", path.display());
        assert_eq!(names(&inv.layers[0].added), ["a@1"]);
        assert_eq!(
            inv.layers[2].changed[0].to_version,
            "1",
            "{}",
            path.display()
        );
        assert_eq!(s.layers[0].diff_id, s.layers[2].diff_id);
        if path == &plain {
            // read once, not once per place
            let once = s.layers[0].size + s.layers[1].size;
            assert_eq!(read.load(std::sync::atomic::Ordering::Relaxed), once);
        }
    }
}

/// Counts the views it is asked to collect from, and otherwise is [`PkgFiles`].
struct Counting(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl layer_walker::detect::Detector for Counting {
    fn name(&self) -> &'static str {
        PkgFiles.name()
    }
    fn claim(
        &self,
        path: &str,
        meta: &layer_walker::detect::EntryMeta,
    ) -> Option<layer_walker::detect::Claim> {
        PkgFiles.claim(path, meta)
    }
    fn parse(
        &self,
        path: &str,
        body: &[u8],
    ) -> Result<layer_walker::detect::Parsed, layer_walker::detect::ParseError> {
        PkgFiles.parse(path, body)
    }
    fn collect(
        &self,
        view: &layer_walker::walk::view::FsView,
        ctx: layer_walker::detect::CollectContext,
        out: &mut layer_walker::detect::Findings,
    ) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        PkgFiles.collect(view, ctx, out)
    }
}

/// A layer that changes nothing a detector sees (unclaimed files only, or the same blob again)
/// is not collected again: a manifest naming one layer with a large package database
/// thousands of times would otherwise re-read that database for each.
#[test]
fn layers_that_change_nothing_claimed_are_not_collected_again() {
    let a = layer(&[E::Dir("pkgs/"), E::File("pkgs/a", b"a 1")]);
    let b = layer(&[E::File("pkgs/a", b"a 2")]);
    let unclaimed = layer(&[E::File("app/main.js", b"x")]);
    let d = image(vec![
        a.clone(),
        b,
        a.clone(),
        unclaimed,
        a.clone(),
        a.clone(),
        a,
    ]);
    let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let s = layer_walker::Scanner::new()
        .detectors(vec![std::sync::Arc::new(Counting(calls.clone()))])
        .scan(&ImageRef::parse(&format!("oci-dir:{}", d.path().display())).unwrap())
        .unwrap();
    let inv = &s.inventory;
    assert_eq!(names(&inv.layers[0].added), ["a@1"]);
    assert_eq!(inv.layers[1].changed[0].to_version, "2");
    assert_eq!(inv.layers[2].changed[0].to_version, "1");
    for l in &inv.layers[3..] {
        assert!(l.added.is_empty() && l.changed.is_empty() && l.removed.is_empty());
    }
    assert_eq!(inv.packages.len(), 1);
    assert_eq!(inv.packages[0].layer, Some(2));
    // layers 0, 1 and 2 change the view; the last is collected in full whatever it did
    assert_eq!(calls.load(std::sync::atomic::Ordering::Relaxed), 4);
}
