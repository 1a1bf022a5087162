//! Real images: the tiny-debian fixture in its three archive forms, the shared fixture
//! images, and (with SBOM_IMAGES) the debian-small and rpm images from make-images.sh.

mod support;

use layer_walker::{ImageRef, Scan, Scanner};
use support::{sbom_images, testdata};

fn scan(path: &std::path::Path) -> Scan {
    Scanner::new()
        .scan(&ImageRef::Path {
            kind: None,
            path: path.to_path_buf(),
        })
        .unwrap_or_else(|e| panic!("scanning {}: {e}", path.display()))
}

/// Per-layer facts that must not depend on the archive form: diff_id, uncompressed size,
/// entries, whiteouts, whiteout paths, claimed files.
type Facts = (
    String,
    u64,
    u64,
    u64,
    Vec<String>,
    Vec<(String, &'static str)>,
);

fn layer_facts(s: &Scan) -> Vec<Facts> {
    s.layers
        .iter()
        .map(|a| {
            (
                a.diff_id
                    .as_ref()
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
                a.uncompressed_size,
                a.entries,
                a.whiteouts,
                a.whiteout_paths(),
                a.claimed(),
            )
        })
        .collect()
}

fn truth(path: &std::path::Path) -> serde_json::Value {
    serde_json::from_slice(
        &std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap()
}

#[test]
fn tiny_debian_reads_alike_in_every_form() {
    let dir = testdata().join("images");
    let t = truth(&dir.join("tiny-debian.truth.json"));
    let docker = scan(&dir.join("tiny-debian.docker.tar.gz"));
    let oci = scan(&dir.join("tiny-debian.oci"));
    let zstd = scan(&dir.join("tiny-debian.oci-zstd.tar"));
    assert_eq!(docker.inventory.image.source_kind, "docker-archive");
    assert_eq!(oci.inventory.image.source_kind, "oci-dir");
    assert_eq!(zstd.inventory.image.source_kind, "oci-archive");
    assert_eq!(layer_facts(&docker), layer_facts(&oci));
    assert_eq!(layer_facts(&docker), layer_facts(&zstd));
    let layers = t["layers"].as_array().unwrap();
    assert_eq!(docker.layers.len(), layers.len());
    for (a, tl) in docker.layers.iter().zip(layers) {
        assert_eq!(
            a.diff_id.as_ref().unwrap().to_string(),
            tl["diff_id"].as_str().unwrap()
        );
        assert_eq!(a.whiteouts, tl["whiteouts"].as_u64().unwrap());
    }
    assert_eq!(
        docker.inventory.image.config_digest.as_deref(),
        t["config_digest"].as_str()
    );
    assert_eq!(
        oci.inventory.image.config_digest,
        docker.inventory.image.config_digest
    );
    assert_eq!(
        oci.layers.iter().map(|a| a.compression).collect::<Vec<_>>(),
        vec![layer_walker::blob::Compression::Gzip; 3]
    );
    assert!(oci.inventory.image.manifest_digest.is_some());
    assert_eq!(
        docker.inventory.image.repo_tags,
        vec!["tiny-debian:latest".to_string()]
    );
    // history: two empty-layer entries among the three layer entries
    let h = &docker.inventory.image.history;
    assert_eq!(h.len(), 5);
    assert_eq!(h.iter().filter(|e| e.empty_layer).count(), 2);
    assert_eq!(docker.inventory.layers[2].history_index, Some(3));
}

#[test]
fn shared_fixture_images_read_with_digests_verified() {
    let dir = testdata().join("images");
    let alpine = scan(&dir.join("alpine-3.10-docker-save.tar.gz"));
    assert_eq!(alpine.layers.len(), 1);
    assert_eq!(
        alpine.inventory.image.repo_tags,
        vec!["alpine:3.10".to_string()]
    );
    assert_eq!(alpine.layers[0].entries, 482);
    let hello = scan(&dir.join("hello-world-docker25-save-oci.tar"));
    assert_eq!(hello.layers.len(), 1);
    assert_eq!(hello.inventory.image.platform.architecture, "arm64");
    let wh = scan(&dir.join("whiteout-3layers-docker-save.tar"));
    assert_eq!(
        wh.layers.iter().map(|a| a.whiteouts).collect::<Vec<_>>(),
        vec![0, 1, 0]
    );
}

#[test]
fn debian_small_three_archive_kinds_agree() {
    let Some(dir) = sbom_images() else { return };
    let t = truth(&dir.join("debian-small.truth.json"));
    let docker = scan(&dir.join("debian-small.docker.tar"));
    let oci = scan(&dir.join("debian-small.oci.tar"));
    let zstd = scan(&dir.join("debian-small.oci-zstd.tar"));
    assert_eq!(layer_facts(&docker), layer_facts(&oci));
    assert_eq!(layer_facts(&docker), layer_facts(&zstd));
    let layers = t["layers"].as_array().expect("truth layers");
    assert_eq!(docker.layers.len(), layers.len());
    for (a, tl) in docker.layers.iter().zip(layers) {
        assert_eq!(
            a.diff_id.as_ref().unwrap().to_string(),
            tl["diff_id"].as_str().unwrap()
        );
    }
}

#[test]
fn rpm_images_read() {
    let Some(dir) = sbom_images() else { return };
    for name in ["rpm-sqlite", "rpm-bdb"] {
        let s = scan(&dir.join(format!("{name}.docker.tar")));
        assert_eq!(s.layers.len(), 1, "{name}");
    }
}

/// The config's `author` and labels reach the model, and [`sbom_core::ImageInfo::supplier`]
/// prefers the vendor label to the author.
#[test]
fn config_author_and_vendor_label_are_read() {
    use support::{layer, Oci, E};
    let oci = Oci::gzip_layers(vec![layer(&[E::File("etc/hostname", b"x\n")])]);
    let mut config: serde_json::Value = serde_json::from_slice(&oci.config()).unwrap();
    config["author"] = "Jane Doe <jane@example.org>".into();
    let dir = tempfile::tempdir().unwrap();
    let desc = oci.write_image(dir.path(), &serde_json::to_vec(&config).unwrap());
    support::write_index(dir.path(), vec![desc]);
    let img = scan(dir.path()).inventory.image;
    assert_eq!(img.author.as_deref(), Some("Jane Doe <jane@example.org>"));
    assert_eq!(img.supplier(), Some("Jane Doe <jane@example.org>"));

    config["config"] =
        serde_json::json!({"Labels": {"org.opencontainers.image.vendor": "Example Org"}});
    let dir = tempfile::tempdir().unwrap();
    let desc = oci.write_image(dir.path(), &serde_json::to_vec(&config).unwrap());
    support::write_index(dir.path(), vec![desc]);
    let img = scan(dir.path()).inventory.image;
    assert_eq!(img.supplier(), Some("Example Org"));
}
