use super::*;
use crate::blob::Compression;

fn layer(changes: Vec<Change>, files: Vec<FileRecord>) -> LayerAnalysis {
    LayerAnalysis {
        changes,
        digest: None,
        size: 0,
        diff_id: None,
        uncompressed_size: 0,
        compression: Compression::None,
        entries: 0,
        whiteouts: 0,
        claimed_files: 0,
        pending_links: Vec::new(),
        files,
    }
}

fn file(path: &str, order: u32, byte: u8) -> FileRecord {
    FileRecord {
        path: path.into(),
        order,
        mode: 0o755,
        body: FileBody::Hashed {
            size: 1,
            sha256: [byte; 32],
            sha1: Some([byte; 20]),
        },
    }
}

fn link(path: &str, order: u32, target: &str) -> FileRecord {
    FileRecord {
        path: path.into(),
        order,
        mode: 0o644,
        body: FileBody::LinkTo(target.into()),
    }
}

#[test]
fn layers_overlay_files_as_an_engine_would() {
    let layers = [
        layer(
            vec![],
            vec![
                file("/a", 0, 1),
                file("/d/x", 0, 2),
                file("/keep", 0, 3),
                file("/o/y", 0, 4),
            ],
        ),
        layer(
            vec![
                Change::Whiteout("/d".into()),
                Change::Opaque("/o".into()),
                // a symlink written after /a in the same layer replaces it
                Change::Symlink {
                    path: "/a".into(),
                    target: "keep".into(),
                },
            ],
            vec![
                file("/a", 2, 5),
                link("/hard", 3, "/keep"),
                link("/dangling", 3, "/nothing"),
            ],
        ),
    ];
    let out = overlay(&layers);
    let state: Vec<(&str, usize, Option<usize>)> = out
        .iter()
        .map(|f| (f.path.as_str(), f.layer, f.removed_in))
        .collect();
    assert_eq!(
        state,
        [
            ("/a", 0, Some(1)),
            ("/d/x", 0, Some(1)),
            ("/keep", 0, None),
            ("/o/y", 0, Some(1)),
            ("/a", 1, Some(1)),
            ("/hard", 1, None),
        ]
    );
    // a hard link has its target's contents, and its own mode
    assert_eq!(out[5].sha256, out[2].sha256);
    assert_eq!(out[5].mode, 0o644);
    assert!(!out[5].executable && out[2].executable);
}

#[test]
fn owners_come_from_file_lists_both_usr_aliases_and_npm_directories() {
    let mut dpkg = Package::new(Ecosystem::Deb, "coreutils", "9.1");
    dpkg.id = sbom_core::PackageId("deb".into());
    dpkg.files = vec!["/bin/ls".into()];
    let mut npm = Package::new(Ecosystem::Npm, "a", "1");
    npm.database_path = "/app/node_modules/a/package.json".into();
    let mut nested = Package::new(Ecosystem::Npm, "b", "1");
    nested.database_path = "/app/node_modules/a/node_modules/b/package.json".into();
    let pkgs = [dpkg, npm, nested];
    let owners = Owners::new(&pkgs);
    assert_eq!(owners.of("/usr/bin/ls"), [0]);
    assert_eq!(owners.of("/bin/ls"), [0]);
    assert_eq!(owners.of("/app/node_modules/a/index.js"), [1]);
    assert_eq!(
        owners.of("/app/node_modules/a/node_modules/b/lib/x.js"),
        [2]
    );
    assert!(owners.of("/app/server.js").is_empty());
}
