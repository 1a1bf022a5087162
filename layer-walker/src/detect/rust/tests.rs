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

/// make-pe.sh: cargo-auditable's section in a PE executable; rust-audit-info read it.
const PE: &str = "cargo-auditable-itoa.windows-386.exe";

#[test]
fn pe_audit_data_matches_rust_audit_info() {
    let body = std::fs::read(format!("{FIX}/{PE}")).expect("fixture");
    let want: serde_json::Value = serde_json::from_slice(
        &std::fs::read(format!("{FIX}/EXPECTED-{PE}.rust-audit-info.json")).expect("fixture"),
    )
    .expect("json");
    let want = want["packages"].as_array().expect("packages");
    let decoded = read_audit_data(&body).expect("ok").expect("audit data");
    assert_eq!(decoded.len(), want.len());
    for (d, w) in decoded.iter().zip(want) {
        assert_eq!(Some(d.name.as_str()), w["name"].as_str());
        assert_eq!(Some(d.version.as_str()), w["version"].as_str());
        assert_eq!(Some(d.source.as_str()), w["source"].as_str());
    }
    // a Windows file name is enough to claim it, execute bit or not
    let plain = EntryMeta {
        size: body.len() as u64,
        mode: 0o644,
    };
    assert!(RustDetector.claim("/Files/tools/app.exe", &plain).is_some());
    let detectors: Vec<Arc<dyn Detector>> = vec![Arc::new(RustDetector)];
    let view = FsView::from_files(
        &detectors,
        &[("/Files/tools/app.exe", body.as_slice())],
        &[],
    );
    let mut out = Findings::default();
    detectors[0].collect(&view, CollectContext { full_detail: false }, &mut out);
    let got: Vec<(&str, &str)> = out
        .packages
        .iter()
        .map(|p| (p.name.as_str(), p.version.as_str()))
        .collect();
    let non_root: Vec<(&str, &str)> = want
        .iter()
        .filter(|w| !w["root"].as_bool().unwrap_or(false))
        .map(|w| (w["name"].as_str().unwrap(), w["version"].as_str().unwrap()))
        .collect();
    assert_eq!(got, non_root);
    assert_eq!(
        out.packages[0]
            .properties
            .get("cargo:source")
            .map(String::as_str),
        Some("crates.io")
    );
}

#[test]
fn truncated_or_garbled_pe_never_panics() {
    let full = std::fs::read(format!("{FIX}/{PE}")).expect("fixture");
    let sec = full
        .windows(8)
        .position(|w| w == b".dep-v0\0")
        .expect("section header");
    let mut cuts: Vec<usize> = (0..1024).step_by(3).collect();
    cuts.extend([full.len() / 2, full.len() - 100, full.len() - 1]);
    for cut in cuts {
        let _ = read_audit_data(&full[..cut]);
    }
    // the section header's size, offset and name fields garbled
    for at in sec..sec + 40 {
        for v in [0x00, 0x7f, 0xff] {
            let mut bad = full.clone();
            bad[at] = v;
            let _ = read_audit_data(&bad);
        }
    }
}
