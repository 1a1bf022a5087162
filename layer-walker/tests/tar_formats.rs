//! Tar dialects a layer may be written in, read as Go's `archive/tar` (Docker, containerd)
//! reads them: GNU sparse files in PAX format, as GNU tar writes them
//! (`testdata/tar/make-sparse.sh`).

mod support;

use std::sync::Arc;

use layer_walker::detect::{
    Claim, CollectContext, Detector, EntryMeta, Findings, ParseError, Parsed,
};
use layer_walker::walk::view::FsView;
use layer_walker::ImageRef;
use sbom_core::{Ecosystem, Package};
use support::*;

/// Claims `/status`; reports one package whose version is the sha256 of what it read.
struct Digest;

struct Body(String, usize);

impl Detector for Digest {
    fn name(&self) -> &'static str {
        "digest"
    }
    fn claim(&self, path: &str, _meta: &EntryMeta) -> Option<Claim> {
        (path == "/status").then_some(Claim::up_to(1 << 20))
    }
    fn parse(&self, _path: &str, body: &[u8]) -> Result<Parsed, ParseError> {
        Ok(Arc::new(Body(sha256(body)[7..].to_string(), body.len())))
    }
    fn collect(&self, view: &FsView, _ctx: CollectContext, out: &mut Findings) {
        for f in view.parsed(self.name()) {
            if let Some(b) = f.get::<Body>() {
                out.packages.push(Package::new(
                    Ecosystem::Npm,
                    format!("{}", b.1),
                    b.0.clone(),
                ));
            }
        }
    }
}

#[test]
fn gnu_sparse_files_in_every_pax_version_are_read_whole_under_their_real_name() {
    let want = std::fs::read_to_string(testdata().join("tar/sparse.sha256")).unwrap();
    for v in ["0.0", "0.1", "1.0"] {
        let raw = std::fs::read(testdata().join(format!("tar/sparse-{v}.tar"))).unwrap();
        let d = tempfile::tempdir().unwrap();
        Oci::gzip_layers(vec![raw]).write(d.path());
        let s = layer_walker::Scanner::new()
            .detectors(vec![Arc::new(Digest)])
            .scan(&ImageRef::parse(&format!("oci-dir:{}", d.path().display())).unwrap())
            .unwrap_or_else(|e| panic!("sparse {v}: {e}"));
        let found: Vec<(String, String)> = s
            .inventory
            .packages
            .iter()
            .map(|p| (p.name.clone(), p.version.clone()))
            .collect();
        assert_eq!(
            found,
            [("409600".to_string(), want.trim().to_string())],
            "sparse {v}"
        );
    }
}
