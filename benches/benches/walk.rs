//! The walker's hot path on the shipped test image: decode + hash + tar listing + detectors,
//! for each archive form. Run with `cargo bench -p sbom-benches`.

use std::path::PathBuf;

use layer_walker::{ImageRef, Scanner};

fn main() {
    divan::main();
}

fn image(name: &str) -> ImageRef {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/images")
        .join(name);
    ImageRef::from_path(path)
}

#[divan::bench(args = ["tiny-debian.docker.tar.gz", "tiny-debian.oci", "tiny-debian.oci-zstd.tar"], sample_count = 20)]
fn scan_tiny_debian(name: &str) -> usize {
    let scan = Scanner::new().scan(&image(name)).expect("scan");
    scan.inventory.packages.len()
}
