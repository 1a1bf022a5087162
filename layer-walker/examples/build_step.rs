//! How a build tool embeds the scanner: after it has assembled a root filesystem, scan it,
//! show progress, let the user cancel (Ctrl-C in a real tool), and fail the build step when a
//! package carries a denied license.
//!
//! ```sh
//! cargo run -p layer-walker --example build_step -- ./rootfs GPL-3.0-only AGPL-3.0-or-later
//! ```
//!
//! Exit status: 0 no denied license, 1 denied licenses found (listed on stderr), 2 the scan
//! failed. `layer-walker/tests/examples.rs` runs [`check_licenses`] on a small root.

use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use layer_walker::{ImageRef, Progress, Scanner};

/// A package whose license matched the deny list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub package: String,
    pub version: String,
    pub license: String,
    pub denied: String,
}

/// Scans the unpacked root filesystem `root` and returns the packages whose license
/// expression names one of the `deny` licenses (compared case-insensitively, term by term, so
/// `MIT OR GPL-3.0-only` matches `GPL-3.0-only`). Setting `cancel` stops the scan with
/// [`layer_walker::Error::Cancelled`].
pub fn check_licenses(
    root: &Path,
    deny: &[String],
    cancel: Arc<AtomicBool>,
) -> Result<Vec<Violation>, layer_walker::Error> {
    let bytes = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&bytes);
    let scanner = Scanner::new()
        .cancel_flag(cancel)
        // called from the scanning threads: keep it cheap and thread-safe
        .on_progress(move |p| {
            if let Progress::Bytes { bytes, .. } = p {
                seen.fetch_add(*bytes as usize, Ordering::Relaxed);
            }
        });
    let image = ImageRef::parse(&format!("dir:{}", root.display())).unwrap();
    let scan = scanner.scan(&image)?;
    eprintln!(
        "build_step: scanned {} ({} bytes read, {} packages)",
        root.display(),
        bytes.load(Ordering::Relaxed),
        scan.inventory.installed().count()
    );
    let mut violations = Vec::new();
    for pkg in scan.inventory.installed() {
        let Some(license) = &pkg.license else {
            continue;
        };
        let terms: Vec<&str> = license
            .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
            .filter(|t| !t.is_empty() && !matches!(*t, "AND" | "OR" | "WITH"))
            .collect();
        if let Some(d) = deny
            .iter()
            .find(|d| terms.iter().any(|t| t.eq_ignore_ascii_case(d)))
        {
            violations.push(Violation {
                package: pkg.name.clone(),
                version: pkg.version.clone(),
                license: license.clone(),
                denied: d.clone(),
            });
        }
    }
    Ok(violations)
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(root) = args.next() else {
        eprintln!("usage: build_step ROOTFS [DENIED-LICENSE...]");
        return ExitCode::from(2);
    };
    let deny: Vec<String> = args.collect();
    // a real build tool sets this from its Ctrl-C handler or its own cancellation
    let cancel = Arc::new(AtomicBool::new(false));
    match check_licenses(Path::new(&root), &deny, cancel) {
        Ok(v) if v.is_empty() => ExitCode::SUCCESS,
        Ok(v) => {
            for x in &v {
                eprintln!(
                    "denied license {}: {} {} ({})",
                    x.denied, x.package, x.version, x.license
                );
            }
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
