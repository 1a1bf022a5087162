//! An unpacked root filesystem directory, scanned as an image of one layer. Build tools often
//! have one before they have an image. Links are recorded, never followed.

use std::fs;
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use sbom_core::{ImageInfo, Platform};

use crate::blob::Compression;
use crate::detect::{Detector, EntryMeta};
use crate::error::{Error, Result};
use crate::source::resolve::{LayerRef, ResolvedImage};
use crate::walk::layer::{read_claimed, Change, LayerAnalysis};
use crate::Limits;

pub(crate) fn walk(
    root: &Path,
    detectors: &[Arc<dyn Detector>],
    limits: &Limits,
    cancel: Option<&AtomicBool>,
) -> Result<(ResolvedImage, LayerAnalysis)> {
    let mut changes = Vec::new();
    let mut entries = 0u64;
    let mut claimed = 0u64;
    let mut stack = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, rel)) = stack.pop() {
        let mut items: Vec<_> = fs::read_dir(&dir)
            .map_err(|e| Error::io(&dir, e))?
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| Error::io(&dir, e))?;
        items.sort_by_key(|e| e.file_name());
        for item in items {
            if cancel.map(|c| c.load(Ordering::Relaxed)).unwrap_or(false) {
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
                let wanted: Vec<_> = detectors
                    .iter()
                    .filter_map(|d| d.claim(&path, &em).map(|c| (d, c)))
                    .collect();
                if wanted.is_empty() {
                    continue;
                }
                let mut file = fs::File::open(&fs_path).map_err(|e| Error::io(&fs_path, e))?;
                let result =
                    read_claimed(limits, &path, &mut file as &mut dyn Read, em.size, wanted)
                        .map_err(|e| Error::Layer {
                            archive: root.to_path_buf(),
                            index: 0,
                            name: path.clone(),
                            reason: e.to_string(),
                        })?;
                if let Some(claims) = result {
                    claimed += 1;
                    changes.push(Change::File { path, claims });
                }
            }
        }
    }
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
    let analysis = LayerAnalysis {
        changes,
        digest: String::new(),
        size: 0,
        diff_id: String::new(),
        uncompressed_size: 0,
        compression: Compression::None,
        entries,
        whiteouts: 0,
        claimed_files: claimed,
    };
    Ok((
        ResolvedImage {
            info,
            layers: vec![layer],
            unverified: vec![],
        },
        analysis,
    ))
}
