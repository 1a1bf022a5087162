use super::*;
use proptest::prelude::*;
use std::io::Write;

const FIX: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/lang/rust");

#[test]
fn fixture_matches_decoded_section() {
    let body = std::fs::read(format!("{FIX}/cargo-auditable-test.elf")).expect("fixture");
    let expected: serde_json::Value = serde_json::from_slice(
        &std::fs::read(format!("{FIX}/EXPECTED-cargo-auditable-test.json")).expect("fixture"),
    )
    .expect("json");
    let want = expected["depV0"]["packages"].as_array().expect("packages");
    let decoded = read_audit_data(&body).expect("ok").expect("audit data");
    assert_eq!(decoded.len(), want.len());
    for (d, w) in decoded.iter().zip(want) {
        assert_eq!(Some(d.name.as_str()), w["name"].as_str());
        assert_eq!(Some(d.version.as_str()), w["version"].as_str());
        assert_eq!(Some(d.source.as_str()), w["source"].as_str());
        assert_eq!(d.root, w["root"].as_bool().unwrap_or(false));
    }

    let detectors: Vec<Arc<dyn Detector>> = vec![Arc::new(RustDetector)];
    let view = FsView::from_files(&detectors, &[("/usr/bin/app", body.as_slice())], &[]);
    let mut out = Findings::default();
    detectors[0].collect(&view, CollectContext { full_detail: true }, &mut out);
    let non_root: Vec<&serde_json::Value> = want
        .iter()
        .filter(|w| !w["root"].as_bool().unwrap_or(false))
        .collect();
    assert_eq!(out.packages.len(), non_root.len());
    for (p, w) in out.packages.iter().zip(non_root) {
        assert_eq!(Some(p.name.as_str()), w["name"].as_str());
        assert_eq!(p.database_path, "/usr/bin/app");
    }
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).expect("write");
    e.finish().expect("finish")
}

#[test]
fn malformed_sections_are_errors() {
    assert!(decode(b"not zlib").is_err());
    assert!(decode(&zlib(b"{\"packages\": [")).is_err());
    assert!(decode(&zlib(b"[]")).is_err());
    // a zlib bomb: inflates past the cap
    let bomb = zlib(&vec![b' '; (MAX_JSON + 100) as usize]);
    assert!(decode(&bomb).unwrap_err().0.contains("more than"));
    assert!(read_audit_data(b"\x7fELF\x02\x01\x01\x00").is_err());
    let ok = decode(&zlib(
        br#"{"packages":[{"name":"a","version":"1","source":"crates.io","kind":"build"}]}"#,
    ))
    .expect("ok");
    assert_eq!(ok[0].kind.as_deref(), Some("build"));
}

proptest! {
    #[test]
    fn decoder_never_panics(body in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = decode(&body);
        let _ = decode(&zlib(&body));
        let _ = read_audit_data(&body);
    }
}
