//! Images whose blobs can be opened by name, in any order and at once: an archive file on
//! disk (indexed once) or an OCI layout directory.

use super::store::BlobStore;
use super::{ImageSource, SourceKind};
use crate::error::{Error, LayerAt, Location, Result};
use crate::image::resolve::resolve;
use crate::image::ImagePlan;
use crate::scan::ScanCtx;
use crate::walk::layer::{analyze_blob, LayerAnalysis, LayerError};
use crate::walk::links;

/// A docker-archive or OCI layout, in a tar file or a directory.
pub(crate) struct ArchiveSource {
    store: Box<dyn BlobStore>,
    kind: SourceKind,
}

impl ArchiveSource {
    pub(crate) fn new(store: Box<dyn BlobStore>, kind: SourceKind) -> Self {
        ArchiveSource { store, kind }
    }

    /// A blob the plan names, which must be there.
    fn open(&self, blob: &str) -> Result<Box<dyn std::io::Read + Send + '_>> {
        let (reader, _) = self.store.open(blob)?.ok_or_else(|| Error::MissingBlob {
            at: self.location().clone(),
            name: blob.to_string(),
        })?;
        Ok(reader)
    }
}

impl ImageSource for ArchiveSource {
    fn location(&self) -> &Location {
        self.store.location()
    }

    fn plan(&mut self, ctx: &ScanCtx) -> Result<ImagePlan> {
        resolve(self.store.as_ref(), self.kind, &ctx.resolve_options())
    }

    /// A docker archive's manifest gives no sizes, but the archive's index (or the layout's
    /// file) does, without reading the blob.
    fn blob_size(&self, plan: &ImagePlan, i: usize) -> Option<u64> {
        let l = &plan.layers[i];
        l.size.or_else(|| Some(self.store.open(&l.blob).ok()??.1))
    }

    fn layer(&self, plan: &ImagePlan, i: usize, ctx: &ScanCtx) -> Result<LayerAnalysis> {
        let l = &plan.layers[i];
        let reader = self.open(&l.blob)?;
        let at = |e: LayerError| {
            e.at(
                self.location(),
                LayerAt {
                    index: i,
                    blob: l.blob.clone(),
                },
            )
        };
        let mut a = analyze_blob(reader, ctx.walk(Some(i), true)).map_err(at)?;
        if !a.pending_links.is_empty() {
            // hard links to bodies the first pass did not keep: read the blob once more
            let again = self.open(&l.blob)?;
            links::resolve(again, &mut a, ctx.detectors, ctx.limits).map_err(at)?;
        }
        Ok(a)
    }
}
