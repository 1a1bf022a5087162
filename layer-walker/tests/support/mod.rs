//! Builders for test images: layers from entry lists, OCI layouts and docker archives, with
//! every digest right unless a test breaks one on purpose.
#![allow(dead_code)]

pub mod counting;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use layer_walker::detect::{
    Claim, CollectContext, Detector, EntryMeta, Findings, FsView, ParseError, Parsed,
};
use sbom_core::{Ecosystem, Package};
use sha2::{Digest, Sha256};

pub fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata")
}

/// `SBOM_IMAGES` when set: a missing file under it is a failure, not a skip.
pub fn sbom_images() -> Option<PathBuf> {
    match std::env::var_os("SBOM_IMAGES") {
        Some(d) if !d.is_empty() => Some(PathBuf::from(d)),
        _ => {
            eprintln!("SKIP: SBOM_IMAGES is not set; images from make-images.sh are not tested");
            None
        }
    }
}

pub fn sha256(b: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(b))
}

pub fn gzip(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

/// One entry of a test layer.
pub enum E<'a> {
    File(&'a str, &'a [u8]),
    /// A regular file with the execute bits set.
    Exec(&'a str, &'a [u8]),
    Dir(&'a str),
    Symlink(&'a str, &'a str),
    Hardlink(&'a str, &'a str),
    /// A regular file header written byte by byte, name unchecked (for `..` names).
    RawName(&'a [u8], &'a [u8]),
    /// A header that claims `size` bytes with no body following.
    Claims(&'a str, u64),
}

fn header(kind: tar::EntryType, size: u64) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.set_size(size);
    h.set_mode(if kind == tar::EntryType::Directory {
        0o755
    } else {
        0o644
    });
    h.set_mtime(1_700_000_000);
    h
}

pub fn layer(entries: &[E]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut b = tar::Builder::new(&mut out);
        for e in entries {
            match e {
                E::File(p, body) => {
                    let mut h = header(tar::EntryType::Regular, body.len() as u64);
                    b.append_data(&mut h, p, *body).unwrap();
                }
                E::Exec(p, body) => {
                    let mut h = header(tar::EntryType::Regular, body.len() as u64);
                    h.set_mode(0o755);
                    b.append_data(&mut h, p, *body).unwrap();
                }
                E::Dir(p) => {
                    let mut h = header(tar::EntryType::Directory, 0);
                    b.append_data(&mut h, p, &[][..]).unwrap();
                }
                E::Symlink(p, t) => {
                    let mut h = header(tar::EntryType::Symlink, 0);
                    b.append_link(&mut h, p, t).unwrap();
                }
                E::Hardlink(p, t) => {
                    let mut h = header(tar::EntryType::Link, 0);
                    b.append_link(&mut h, p, t).unwrap();
                }
                E::RawName(name, body) => {
                    let mut h = header(tar::EntryType::Regular, body.len() as u64);
                    h.as_old_mut().name[..name.len()].copy_from_slice(name);
                    h.set_cksum();
                    b.append(&h, *body).unwrap();
                }
                E::Claims(p, size) => {
                    let mut h = header(tar::EntryType::Regular, *size);
                    h.set_path(p).unwrap();
                    h.set_cksum();
                    b.get_mut().write_all(h.as_bytes()).unwrap();
                }
            }
        }
        b.finish().unwrap();
    }
    out
}

/// What an OCI layout is made of, so tests can break one part.
pub struct Oci {
    /// (blob as stored, uncompressed tar, media type)
    pub layers: Vec<(Vec<u8>, Vec<u8>, String)>,
    pub platform: (&'static str, &'static str),
}

impl Oci {
    pub fn gzip_layers(raws: Vec<Vec<u8>>) -> Oci {
        Oci {
            layers: raws
                .into_iter()
                .map(|r| {
                    (
                        gzip(&r),
                        r,
                        "application/vnd.oci.image.layer.v1.tar+gzip".to_string(),
                    )
                })
                .collect(),
            platform: ("linux", "amd64"),
        }
    }

    pub fn config(&self) -> Vec<u8> {
        let diff_ids: Vec<String> = self.layers.iter().map(|l| sha256(&l.1)).collect();
        let history: Vec<serde_json::Value> = self
            .layers
            .iter()
            .enumerate()
            .map(|(i, _)| serde_json::json!({"created_by": format!("step {i}")}))
            .collect();
        serde_json::to_vec(&serde_json::json!({
            "architecture": self.platform.1, "os": self.platform.0,
            "rootfs": {"type": "layers", "diff_ids": diff_ids}, "history": history,
        }))
        .unwrap()
    }

    /// Writes blobs and returns the manifest descriptor.
    pub fn write_image(&self, dir: &Path, config: &[u8]) -> serde_json::Value {
        let blobs = dir.join("blobs/sha256");
        std::fs::create_dir_all(&blobs).unwrap();
        let put = |b: &[u8]| {
            let d = sha256(b);
            std::fs::write(blobs.join(&d[7..]), b).unwrap();
            d
        };
        let cd = put(config);
        let layers: Vec<serde_json::Value> = self
            .layers
            .iter()
            .map(|(blob, _, mt)| serde_json::json!({"mediaType": mt, "digest": put(blob), "size": blob.len()}))
            .collect();
        let manifest = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": config.len()},
            "layers": layers,
        }))
        .unwrap();
        let md = put(&manifest);
        serde_json::json!({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": manifest.len(),
            "platform": {"os": self.platform.0, "architecture": self.platform.1}})
    }

    pub fn write(&self, dir: &Path) {
        let desc = self.write_image(dir, &self.config());
        write_index(dir, vec![desc]);
    }
}

pub fn write_index(dir: &Path, manifests: Vec<serde_json::Value>) {
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let index = serde_json::json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": manifests});
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
}

/// A classic docker-archive of uncompressed layers, as one tar.
pub fn docker_archive(raws: &[Vec<u8>]) -> Vec<u8> {
    docker_archive_of(&[(&["t:latest"], raws.to_vec())])
}

/// A docker-archive of several images (`docker save a b`): each with its tags and layers.
pub fn docker_archive_of(images: &[(&[&str], Vec<Vec<u8>>)]) -> Vec<u8> {
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut entries = Vec::new();
    for (tags, raws) in images {
        let diff_ids: Vec<String> = raws.iter().map(|r| sha256(r)).collect();
        let config = serde_json::to_vec(&serde_json::json!({
            "architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": diff_ids}})).unwrap();
        let cname = format!("{}.json", &sha256(&config)[7..]);
        let names: Vec<String> = raws
            .iter()
            .map(|r| format!("{}/layer.tar", &sha256(r)[7..]))
            .collect();
        entries.push(serde_json::json!({"Config": cname, "RepoTags": tags, "Layers": names}));
        files.extend(raws.iter().zip(&names).map(|(r, n)| (n.clone(), r.clone())));
        files.push((cname, config));
    }
    files.push((
        "manifest.json".into(),
        serde_json::to_vec(&serde_json::Value::Array(entries)).unwrap(),
    ));
    let mut out = Vec::new();
    {
        let mut b = tar::Builder::new(&mut out);
        for (n, body) in files {
            let mut h = header(tar::EntryType::Regular, body.len() as u64);
            b.append_data(&mut h, n, &body[..]).unwrap();
        }
        b.finish().unwrap();
    }
    out
}

/// A detector for tests: every file under `/pkgs/` holds `name version`; each becomes an npm
/// package recorded at that path. Exercises the whole pipeline without a real ecosystem.
pub struct PkgFiles;

struct Parsed1(String, String);

impl Detector for PkgFiles {
    fn name(&self) -> &'static str {
        "pkgfiles"
    }
    fn claim(&self, path: &str, _meta: &EntryMeta) -> Option<Claim> {
        path.starts_with("/pkgs/").then_some(Claim::up_to(1024))
    }
    fn parse(&self, _path: &str, body: &[u8]) -> Result<Parsed, ParseError> {
        let text = std::str::from_utf8(body).map_err(|_| ParseError::from("not UTF-8"))?;
        let (n, v) = text
            .trim()
            .split_once(' ')
            .ok_or_else(|| ParseError::from("expected `name version`"))?;
        Ok(Arc::new(Parsed1(n.to_string(), v.to_string())))
    }
    fn collect(&self, view: &FsView, _ctx: CollectContext, out: &mut Findings) {
        for f in view.parsed(self.name()) {
            if let Some(p) = f.get::<Parsed1>() {
                let mut pkg = Package::new(Ecosystem::Npm, p.0.clone(), p.1.clone());
                pkg.database_path = f.path.to_string();
                out.packages.push(pkg);
            }
        }
    }
}

pub fn pkg_scanner() -> layer_walker::Scanner {
    layer_walker::Scanner::new().detectors(vec![Arc::new(PkgFiles)])
}
