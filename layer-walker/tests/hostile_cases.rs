//! Every case of the hostile-image generator (`testdata/hostile/cases.rs`) behaves as the case
//! states, scanned from disk with the default scanner (real detectors), each under a bound on
//! peak heap and a (generous) bound on time.

mod support;

#[path = "../../testdata/hostile/cases.rs"]
mod cases;

use cases::Expect;
use layer_walker::{ErrorKind, ImageRef, Limit, Scanner};

#[global_allocator]
static GLOBAL: support::counting::Counting = support::counting::Counting;

/// The scans stream: whatever a case claims, the heap holds buffers, not the input.
const HEAP_BOUND: usize = 48 << 20;

/// What a scan may keep of tar headers (paths of directories and links): 256 MiB by default,
/// which a flood of long names reaches before it fails. Lowered here so that the heap bound
/// above can hold for every case; real images keep a few megabytes, these cases kilobytes.
const RETAINED: u64 = 16 << 20;

/// No case may take longer than this. It is a hang detector, not a speed check: the slowest
/// case (4 GiB inflated and hashed) takes seconds, the rest milliseconds, and a scan that
/// loops would otherwise stall the suite until CI kills it without naming the case.
const TIME_BOUND: std::time::Duration = std::time::Duration::from_secs(300);

/// Aborts the process, naming the case, when a case outlives [`TIME_BOUND`]; each message on
/// the returned channel starts the clock for the case it names.
fn watchdog() -> std::sync::mpsc::Sender<String> {
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        let mut current = match rx.recv() {
            Ok(name) => name,
            Err(_) => return,
        };
        loop {
            match rx.recv_timeout(TIME_BOUND) {
                Ok(next) => current = next,
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return,
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                    eprintln!("hostile case {current} still running after {TIME_BOUND:?}");
                    std::process::abort();
                }
            }
        }
    });
    tx
}

#[test]
fn every_case_behaves_as_stated() {
    let dir = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    let cases = cases::all();
    for case in &cases {
        case.write(dir.path());
    }
    let before = listing(dir.path());
    let clock = watchdog();
    for case in &cases {
        clock.send(case.name.to_string()).expect("watchdog");
        let path = case.path_in(dir.path());
        let label = format!("{} ({})", case.name, case.what);
        let image = ImageRef::Path {
            kind: None,
            path: path.clone(),
        };
        let mut result = None;
        let scanner = Scanner::new().limits({
            let mut l = layer_walker::Limits::default();
            l.max_retained_bytes = RETAINED;
            l
        });
        let peak = support::counting::peak_during(|| result = Some(scanner.scan(&image)));
        let result = result.expect("scanned");
        if peak > HEAP_BOUND {
            failures.push(format!("{}: peak heap {peak} bytes", label));
        }
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let dpkg = |s: &layer_walker::Scan| {
            let mut v: Vec<String> = s
                .inventory
                .packages
                .iter()
                .filter(|p| p.ecosystem == sbom_core::Ecosystem::Deb)
                .map(|p| p.name.clone())
                .collect();
            v.sort();
            v
        };
        match (&case.expect, result) {
            (Expect::Fails(words), Err(e)) => {
                let msg = e.to_string();
                // embedders tell failures apart by kind, not by these words
                let want = expected_kind(case.name);
                if want != Some(e.kind()) {
                    failures.push(format!(
                        "{}: error kind must be {want:?}, is {:?}: {msg}",
                        label,
                        e.kind()
                    ));
                }
                // the words must be in what is said about the file, not in its name
                let said = msg.replace(&path.display().to_string(), "");
                if !msg.contains(&file) || !words.iter().all(|w| said.contains(w)) {
                    failures.push(format!(
                        "{}: error must name {file} and say {words:?}: {msg}",
                        label
                    ));
                }
            }
            (Expect::Complete(want), Ok(s)) => {
                if dpkg(&s) != *want || s.inventory.is_incomplete() {
                    failures.push(format!(
                        "{}: want complete {want:?}, got {:?} (incomplete: {}, warnings {:?})",
                        label,
                        dpkg(&s),
                        s.inventory.is_incomplete(),
                        s.inventory.warnings
                    ));
                }
            }
            (Expect::Incomplete(at, want), Ok(s)) => {
                let named = s
                    .inventory
                    .warnings
                    .iter()
                    .any(|w| w.path.as_deref() == Some(*at));
                if dpkg(&s) != *want || !s.inventory.is_incomplete() || !named {
                    failures.push(format!(
                        "{}: want incomplete naming {at} with {want:?}, got {:?} (incomplete: {}, warnings {:?})",
                        label,
                        dpkg(&s),
                        s.inventory.is_incomplete(),
                        s.inventory.warnings
                    ));
                }
            }
            (Expect::Fails(_), Ok(s)) => {
                failures.push(format!("{}: must fail, scanned {:?}", label, dpkg(&s)))
            }
            (_, Err(e)) => failures.push(format!("{}: must scan, failed: {e}", label)),
        }
    }
    drop(clock);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // the scanner writes nothing, not even beside the images
    assert_eq!(
        listing(dir.path()),
        before,
        "the scans changed the directory"
    );
}

/// Every path under `dir` with its size and modification time.
fn listing(dir: &std::path::Path) -> Vec<(std::path::PathBuf, u64, std::time::SystemTime)> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let m = std::fs::symlink_metadata(e.path()).unwrap();
            if m.is_dir() {
                todo.push(e.path());
            }
            out.push((e.path(), m.len(), m.modified().unwrap()));
        }
    }
    out.sort();
    out
}

/// What kind of error each failing case is, as an embedder would match it.
fn expected_kind(case: &str) -> Option<ErrorKind> {
    use ErrorKind as K;
    Some(match case {
        "truncated-archive" | "truncated-gzip-archive" | "gzip-archive-without-trailer" => {
            K::Truncated
        }
        "truncated-gzip-layer" | "truncated-zstd-layer" | "huge-size-header" => K::Truncated,
        "gzip-archive-bad-crc" | "v7-pax-header" => K::Corrupt,
        "layer-digest-mismatch" | "diff-id-mismatch" => K::DigestMismatch,
        "missing-blob" => K::MissingBlob,
        "blob-link-outside-the-layout"
        | "blob-is-a-fifo"
        | "invalid-index-json"
        | "config-without-rootfs"
        | "diff-id-count-mismatch"
        | "digest-path-traversal" => K::InvalidMetadata,
        "dotdot-entry" => K::PathTraversal,
        "gnu-long-name-bomb" | "pax-header-bomb" | "gzip-archive-pax-bomb" => {
            K::LimitExceeded(Limit::TarExtension)
        }
        "path-flood" => K::LimitExceeded(Limit::RetainedBytes),
        "one-layer-listed-5000-times" => K::LimitExceeded(Limit::Layers),
        "index-fan-out" => K::LimitExceeded(Limit::IndexManifests),
        "two-images-none-chosen" => K::ImageNotChosen,
        "plain-layer-as-image" | "random-bytes" | "empty-file" => K::UnsupportedFormat,
        _ => return None,
    })
}
