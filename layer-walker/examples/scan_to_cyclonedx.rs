//! Scans an image archive and prints its CycloneDX 1.6 JSON SBOM on stdout.
//!
//! ```sh
//! cargo run -p layer-walker --example scan_to_cyclonedx -- testdata/images/tiny-debian.docker.tar.gz
//! ```
//!
//! `layer-walker/tests/examples.rs` runs [`scan_to_cyclonedx`] on the shipped tiny image, so
//! this example cannot silently rot.

use std::io::Write;
use std::process::ExitCode;

use layer_walker::{ImageRef, Scanner};
use sbom_core::format::{writer_for, WriteOptions};

/// Scans `image` (any kind `sbom scan` accepts, `KIND:` prefixes included) and writes its
/// CycloneDX JSON document to `out`.
pub fn scan_to_cyclonedx(
    image: &str,
    out: &mut dyn Write,
) -> Result<(), Box<dyn std::error::Error>> {
    let scan = Scanner::new().scan(&ImageRef::parse(image).unwrap())?;
    // `SOURCE_DATE_EPOCH`, when set, makes the document reproducible
    let opts = WriteOptions::from_env();
    writer_for("cyclonedx-json")?.write(&scan.inventory, &opts, out)?;
    out.flush()?;
    Ok(())
}

fn main() -> ExitCode {
    let Some(image) = std::env::args().nth(1) else {
        eprintln!("usage: scan_to_cyclonedx IMAGE");
        return ExitCode::from(2);
    };
    match scan_to_cyclonedx(&image, &mut std::io::stdout().lock()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
