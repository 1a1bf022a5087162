//! An unpacked root filesystem directory, scanned as an image of one layer. Build tools often
//! have one before they have an image. Links are recorded, never followed.

use std::fs;
use std::path::{Path, PathBuf};

use sbom_core::{ImageInfo, Platform};

use super::ImageSource;
use crate::blob::Compression;
use crate::detect::EntryMeta;
use crate::error::{Error, LayerAt, Location, Result};
use crate::image::{ImagePlan, LayerRef};
use crate::scan::ScanCtx;
use crate::walk::claim::{offer, ClaimIndex, Offer};
use crate::walk::files::{FileRecord, Hashing};
use crate::walk::layer::{Change, LayerAnalysis, LayerError};

/// A directory holding an unpacked root filesystem.
pub(crate) struct RootfsSource {
    root: PathBuf,
    at: Location,
}

impl RootfsSource {
    pub(crate) fn new(root: &Path) -> Self {
        RootfsSource {
            root: root.to_path_buf(),
            at: Location::Path(root.to_path_buf()),
        }
    }
}

impl ImageSource for RootfsSource {
    fn cacheable(&self) -> bool {
        // a directory has no diff_id to key an entry by
        false
    }

    fn location(&self) -> &Location {
        &self.at
    }

    fn plan(&mut self, _ctx: &ScanCtx) -> Result<ImagePlan> {
        let root = &self.root;
        let info = ImageInfo {
            name: root
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| root.display().to_string()),
            source_kind: "dir".into(),
            source: root.display().to_string(),
            platform: Platform {
                os: "linux".into(),
                architecture: std::env::consts::ARCH
                    .replace("x86_64", "amd64")
                    .replace("aarch64", "arm64"),
                variant: None,
            },
            ..Default::default()
        };
        let layer = LayerRef {
            blob: root.display().to_string(),
            digest: None,
            diff_id: None,
            media_type: None,
            size: None,
        };
        Ok(ImagePlan {
            info,
            layers: vec![layer],
            unverified: vec![],
        })
    }

    fn layer(&self, _plan: &ImagePlan, _i: usize, ctx: &ScanCtx) -> Result<LayerAnalysis> {
        walk(&self.root, ctx)
    }
}

fn walk(root: &Path, ctx: &ScanCtx) -> Result<LayerAnalysis> {
    let mut changes = Vec::new();
    let mut entries = 0u64;
    let mut claimed = 0u64;
    let index = ClaimIndex::new(ctx.detectors);
    let mut files = Vec::new();
    let mut drain = Vec::new();
    let mut stack = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, rel)) = stack.pop() {
        let mut items: Vec<_> = fs::read_dir(&dir)
            .map_err(|e| Error::io(&dir, e))?
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| Error::io(&dir, e))?;
        items.sort_by_key(|e| e.file_name());
        for item in items {
            if ctx.cancelled() {
                return Err(Error::Cancelled);
            }
            entries += 1;
            let name = item.file_name().to_string_lossy().into_owned();
            let path = format!("{rel}/{name}");
            let fs_path = item.path();
            let meta = fs::symlink_metadata(&fs_path).map_err(|e| Error::io(&fs_path, e))?;
            let ft = meta.file_type();
            if ft.is_symlink() {
                let target = fs::read_link(&fs_path).map_err(|e| Error::io(&fs_path, e))?;
                changes.push(Change::Symlink {
                    path,
                    target: target.to_string_lossy().into_owned(),
                });
            } else if ft.is_dir() {
                stack.push((fs_path, path));
            } else if ft.is_file() {
                use std::os::unix::fs::PermissionsExt;
                let em = EntryMeta {
                    size: meta.len(),
                    mode: meta.permissions().mode(),
                };
                let at = |e: LayerError| {
                    e.at(
                        &Location::Path(fs_path.clone()),
                        LayerAt {
                            index: 0,
                            blob: path.clone(),
                        },
                    )
                };
                let offered = if let Some(hashes) = ctx.files {
                    let opened = fs::File::open(&fs_path).map_err(|e| Error::io(&fs_path, e))?;
                    let mut tap = Hashing::new(opened, hashes);
                    let offered = offer(&index, ctx.limits, &path, &em, || Ok(Box::new(&mut tap)))
                        .map_err(at)?;
                    // a file that grew or shrank since its metadata was read is an error,
                    // not a digest of something else
                    let body = tap
                        .finish(&path, em.size, &mut drain)
                        .map_err(|e| Error::io(&fs_path, e))?;
                    ctx.retained
                        .keep(path.len() + 60)
                        .map_err(|hit| at(LayerError::Limit(hit)))?;
                    files.push(FileRecord {
                        path: path.clone(),
                        order: changes.len() as u32,
                        mode: em.mode & 0o7777,
                        body,
                    });
                    offered
                } else {
                    offer(&index, ctx.limits, &path, &em, || {
                        Ok(Box::new(fs::File::open(&fs_path)?))
                    })
                    .map_err(at)?
                };
                if let Offer::Parsed(claims) = offered {
                    claimed += 1;
                    changes.push(Change::File { path, claims });
                }
            }
        }
    }
    Ok(LayerAnalysis {
        changes,
        digest: None,
        size: 0,
        diff_id: None,
        uncompressed_size: 0,
        compression: Compression::None,
        entries,
        whiteouts: 0,
        claimed_files: claimed,
        pending_links: Vec::new(),
        files,
    })
}
