//! Helpers for detector tests: fixture roots on disk as one-layer views.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{CollectContext, Detector, Findings, FsView};

/// `<workspace>/testdata/<rel>`.
pub fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata")
        .join(rel)
}

/// Every regular file under `root`, as (absolute image path, body).
pub fn files_of(root: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .expect("fixture dir")
            .flatten()
            .map(|e| e.path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(root, &p, out);
            } else if let Ok(rel) = p.strip_prefix(root) {
                out.push((
                    format!("/{}", rel.to_string_lossy()),
                    std::fs::read(&p).expect("fixture file"),
                ));
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out
}

/// Runs `detector` over `files` laid out as one layer, with full detail.
pub fn run(detector: Arc<dyn Detector>, files: &[(String, Vec<u8>)]) -> Findings {
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(p, b)| (p.as_str(), b.as_slice()))
        .collect();
    let view = FsView::from_files(std::slice::from_ref(&detector), &refs, &[]);
    let mut out = Findings::default();
    detector.collect(&view, CollectContext { full_detail: true }, &mut out);
    out
}
