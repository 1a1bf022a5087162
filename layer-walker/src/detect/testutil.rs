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

/// Checks `compare` against a table the package manager itself produced
/// (`testdata/<rel>`: `a<TAB>b<TAB>result` lines, `#` comments), in both argument orders.
/// Results are `lt`/`eq`/`gt` or rpm's `-1`/`0`/`1`. Every disagreement is listed at once,
/// so a rule change shows its whole effect. Returns the number of rows checked.
pub fn assert_agrees_with_table(rel: &str, compare: fn(&str, &str) -> std::cmp::Ordering) -> usize {
    use std::cmp::Ordering;
    let table = std::fs::read_to_string(testdata(rel)).expect("version table");
    let mut wrong = Vec::new();
    let mut n = 0;
    for line in table
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let [a, b, r] = line.split('\t').collect::<Vec<_>>()[..] else {
            panic!("{rel}: bad line {line:?}");
        };
        let want = match r {
            "lt" | "-1" => Ordering::Less,
            "eq" | "0" => Ordering::Equal,
            "gt" | "1" => Ordering::Greater,
            other => panic!("{rel}: bad result {other:?}"),
        };
        let (got, back) = (compare(a, b), compare(b, a));
        if got != want || back != want.reverse() {
            wrong.push(format!(
                "{a} vs {b}: tool says {want:?}, we say {got:?} (reversed {back:?})"
            ));
        }
        n += 1;
    }
    assert!(
        wrong.is_empty(),
        "{rel}: {} of {n} rows disagree:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    n
}
