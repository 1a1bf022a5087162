//! Docker archives whose manifest.json carries `LayerSources`, as go-containerregistry's
//! tarball writer (crane, ko, ...) and `docker save` of foreign layers write it: the
//! descriptor of each foreign layer as the registry serves it (compressed blob digest,
//! size, foreign media type, urls), keyed by diff_id. It says nothing about the file the
//! archive stores, which Docker loads either way; the diff_ids are what can be checked.

use std::io::Read;

use layer_walker::{ErrorKind, ImageRef, Scanner};

fn fixture() -> Vec<u8> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/images/ggcr-foreign-layersources.tar");
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn entries(archive: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut a = tar::Archive::new(archive);
    a.entries()
        .unwrap()
        .map(|e| {
            let mut e = e.unwrap();
            let name = e.path().unwrap().to_string_lossy().into_owned();
            let mut body = Vec::new();
            e.read_to_end(&mut body).unwrap();
            (name, body)
        })
        .collect()
}

fn archive(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, body) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(body.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, body.as_slice()).unwrap();
    }
    b.into_inner().unwrap()
}

fn get<'a>(files: &'a [(String, Vec<u8>)], name: &str) -> &'a [u8] {
    &files.iter().find(|(n, _)| n == name).expect(name).1
}

fn scan(bytes: &[u8]) -> layer_walker::Result<layer_walker::Scan> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("image.tar");
    std::fs::write(&path, bytes).unwrap();
    Scanner::new().scan(&ImageRef::Path {
        kind: None,
        path: path.clone(),
    })
}

/// (manifest entry, config diff_ids).
fn metadata(files: &[(String, Vec<u8>)]) -> (serde_json::Value, Vec<String>) {
    let m: serde_json::Value = serde_json::from_slice(get(files, "manifest.json")).unwrap();
    let entry = m[0].clone();
    let config: serde_json::Value =
        serde_json::from_slice(get(files, entry["Config"].as_str().unwrap())).unwrap();
    let diff_ids = config["rootfs"]["diff_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap().to_string())
        .collect();
    (entry, diff_ids)
}

#[test]
fn go_containerregistry_archive_with_layer_sources_scans_with_diff_ids_verified() {
    let files = entries(&fixture());
    let (entry, diff_ids) = metadata(&files);
    // the shape go-containerregistry writes: a foreign layer described by LayerSources
    let sources = entry["LayerSources"].as_object().unwrap();
    assert_eq!(sources.len(), 1);
    let (diff_id, desc) = sources.iter().next().unwrap();
    assert_eq!(diff_id, &diff_ids[1]);
    assert!(desc["mediaType"].as_str().unwrap().contains("foreign"));
    let s = scan(&fixture()).expect("scan");
    assert_eq!(s.layers.len(), 2);
    let got: Vec<String> = s
        .layers
        .iter()
        .map(|l| l.diff_id.as_ref().expect("diff_id").to_string())
        .collect();
    assert_eq!(got, diff_ids);
}

#[test]
fn layer_sources_of_compressed_blobs_over_uncompressed_layers_still_load() {
    // what Docker keeps after loading such an image and saving it again: each layer stored
    // uncompressed as `<diff_id>.tar`, LayerSources still the compressed blob's descriptor
    // (digest, size and gzip media type of a file that is not in the archive)
    let files = entries(&fixture());
    let (mut entry, diff_ids) = metadata(&files);
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    let mut names = Vec::new();
    for (layer, diff_id) in entry["Layers"].as_array().unwrap().iter().zip(&diff_ids) {
        let gz = get(&files, layer.as_str().unwrap());
        let mut raw = Vec::new();
        flate2::read::GzDecoder::new(gz)
            .read_to_end(&mut raw)
            .unwrap();
        let name = format!("{}.tar", diff_id.trim_start_matches("sha256:"));
        names.push(serde_json::Value::String(name.clone()));
        out.push((name, raw));
    }
    let config = entry["Config"].as_str().unwrap().to_string();
    out.push((config.clone(), get(&files, &config).to_vec()));
    entry["Layers"] = serde_json::Value::Array(names);
    out.push((
        "manifest.json".into(),
        serde_json::to_vec(&serde_json::json!([entry.clone()])).unwrap(),
    ));
    let s = scan(&archive(&out)).expect("scan");
    let got: Vec<String> = s
        .layers
        .iter()
        .map(|l| l.diff_id.as_ref().unwrap().to_string())
        .collect();
    assert_eq!(got, diff_ids);
    // each layer's digest is the uncompressed file's, not the LayerSources blob digest
    let blob = entry["LayerSources"][&diff_ids[1]]["digest"]
        .as_str()
        .unwrap();
    assert_ne!(
        s.layers[1]
            .digest
            .as_ref()
            .map(|d| d.to_string())
            .as_deref(),
        Some(blob)
    );
    assert!(
        s.inventory
            .warnings
            .iter()
            .all(|w| !w.message.contains("not verified")),
        "{:?}",
        s.inventory.warnings
    );

    // a layer whose content is not its diff_id is still caught: swap the two layers' files
    let swapped: Vec<(String, Vec<u8>)> = out
        .iter()
        .map(|(n, b)| {
            let other = out
                .iter()
                .filter(|(m, _)| m.ends_with(".tar") && m != n)
                .map(|(_, b)| b.clone())
                .next();
            match other {
                Some(o) if n.ends_with(".tar") => (n.clone(), o),
                _ => (n.clone(), b.clone()),
            }
        })
        .collect();
    let e = scan(&archive(&swapped)).err().expect("a digest mismatch");
    assert_eq!(e.kind(), ErrorKind::DigestMismatch, "{e}");
}

#[test]
fn go_containerregistry_archive_with_a_changed_foreign_layer_is_refused() {
    // the real archive with the foreign layer's stored blob replaced by the other layer
    let files = entries(&fixture());
    let (entry, _) = metadata(&files);
    let layers: Vec<&str> = entry["Layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    let first = get(&files, layers[0]).to_vec();
    let changed: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|(n, b)| {
            if n == layers[1] {
                (n.clone(), first.clone())
            } else {
                (n.clone(), b.clone())
            }
        })
        .collect();
    let e = scan(&archive(&changed)).err().expect("a digest mismatch");
    assert_eq!(e.kind(), ErrorKind::DigestMismatch, "{e}");
}

#[test]
fn go_containerregistry_blob_names_are_their_digests_and_are_checked() {
    // go-containerregistry names each layer `<compressed digest>.tar.gz` and the config
    // `sha256:<digest>`: a layer recompressed (same content, so the same diff_id) no longer
    // has the digest its name states
    let files = entries(&fixture());
    let (entry, _) = metadata(&files);
    let s = scan(&fixture()).expect("scan");
    let layer0 = entry["Layers"][0].as_str().unwrap();
    assert_eq!(
        s.layers[0].digest.as_ref().map(|d| d.to_string()),
        Some(format!("sha256:{}", layer0.trim_end_matches(".tar.gz")))
    );
    let recompressed: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|(n, b)| {
            if n == layer0 {
                let mut raw = Vec::new();
                flate2::read::GzDecoder::new(b.as_slice())
                    .read_to_end(&mut raw)
                    .unwrap();
                let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
                std::io::Write::write_all(&mut gz, &raw).unwrap();
                (n.clone(), gz.finish().unwrap())
            } else {
                (n.clone(), b.clone())
            }
        })
        .collect();
    assert_ne!(get(&recompressed, layer0), get(&files, layer0));
    let e = scan(&archive(&recompressed))
        .err()
        .expect("a digest mismatch");
    assert_eq!(e.kind(), ErrorKind::DigestMismatch, "{e}");
    assert!(e.to_string().contains(layer0), "{e}");

    // the config, named by its digest, changed by one byte of whitespace
    let config = entry["Config"].as_str().unwrap();
    let changed: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|(n, b)| {
            let mut b = b.clone();
            if n == config {
                b.push(b'\n');
            }
            (n.clone(), b)
        })
        .collect();
    let e = scan(&archive(&changed)).err().expect("a digest mismatch");
    assert_eq!(e.kind(), ErrorKind::DigestMismatch, "{e}");
}
