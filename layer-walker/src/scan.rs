//! The scanner: options in, inventory out.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use sbom_core::{Inventory, Platform, Scope, Warning};

use crate::detect::{default_detectors, Detector};
use crate::error::{Error, Result};
use crate::source::resolve::{resolve, LayerRef, ResolveOptions, ResolvedImage};
use crate::source::store::BlobStore;
use crate::source::{self, Access, ImageRef};
use crate::walk::layer::{analyze_blob, LayerAnalysis, LayerError, WalkCtx};
use crate::walk::retained::Retained;

/// Bounds that keep a hostile image from exhausting memory, disk or time. The defaults are
/// far above any real image and still finite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Uncompressed bytes of one layer (decompression bomb guard). Default 64 GiB.
    pub max_layer_bytes: u64,
    /// Uncompressed bytes of a compressed archive read as a stream. Default 256 GiB.
    pub max_archive_bytes: u64,
    /// Tar entries in one layer. Default 20 million.
    pub max_entries: u64,
    /// Largest file body handed to a detector, whatever the detector asks. Default 256 MiB.
    pub max_claimed_file: u64,
    /// Bytes of tar metadata a scan keeps: the paths of every directory, link, whiteout and
    /// replaced file in all layers, the small members of a compressed archive, the member
    /// names of an archive file (each counted with 64 bytes of overhead). Default 256 MiB;
    /// real images keep a few megabytes (debian-large, 4 GB: 2.5 MB).
    pub max_retained_bytes: u64,
    /// Layers in one image. Default 4096: runtimes stop far below (Docker at 125, the
    /// kernel's overlayfs at about 500), and a manifest can name one small blob a million
    /// times.
    pub max_layers: u64,
    /// Layers read at once (at most one per core). Default 8. Each may hold a zstd window
    /// of up to 128 MiB and a claimed file, so this, not the core count, bounds the memory
    /// of a scan on a large machine.
    pub max_parallel_layers: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_layer_bytes: 64 << 30,
            max_archive_bytes: 256 << 30,
            max_entries: 20_000_000,
            max_claimed_file: 256 << 20,
            max_retained_bytes: 256 << 20,
            max_layers: 4096,
            max_parallel_layers: 8,
        }
    }
}

/// Progress of a scan, for progress bars.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// The layers are known: how many, and their stored size in bytes (0 when unknown).
    Layers { count: usize, total_bytes: u64 },
    /// More bytes of a layer (or, for streamed archives, of the archive) were read.
    Bytes { layer: Option<usize>, bytes: u64 },
    /// A layer is fully analysed.
    LayerDone { layer: usize },
    /// Streamed archives only: reading of the archive began; its size on disk.
    Streaming { total_bytes: u64 },
}

type ProgressFn = Arc<dyn Fn(&Progress) + Send + Sync>;

/// Scans images. Cheap to build; reusable; `Send + Sync`.
///
/// ```no_run
/// use layer_walker::{ImageRef, Limits, Scanner};
/// use sbom_core::Scope;
///
/// let scanner = Scanner::new()
///     .platform("linux/arm64".parse().unwrap())
///     .scope(Scope::AllLayers)
///     .limits(Limits { max_layer_bytes: 8 << 30, ..Limits::default() })
///     .on_progress(|p| eprintln!("{p:?}"));
/// let scan = scanner.scan(&ImageRef::parse("oci-dir:./layout"))?;
/// # Ok::<(), layer_walker::Error>(())
/// ```
#[derive(Clone)]
pub struct Scanner {
    platform: Option<Platform>,
    image: Option<String>,
    verify: bool,
    scope: Scope,
    limits: Limits,
    detectors: Vec<Arc<dyn Detector>>,
    progress: Option<ProgressFn>,
    cancel: Option<Arc<AtomicBool>>,
    dockerfile: Option<Arc<str>>,
}

impl Default for Scanner {
    fn default() -> Self {
        Self::new()
    }
}

/// The result of a scan.
pub struct Scan {
    pub inventory: Inventory,
    /// The raw per-layer walk results, in image order.
    pub layers: Vec<LayerAnalysis>,
}

impl Scanner {
    /// A scanner with every detector, digest verification on, linux/amd64 preferred.
    pub fn new() -> Self {
        Scanner {
            platform: None,
            image: None,
            verify: true,
            scope: Scope::Squashed,
            limits: Limits::default(),
            detectors: default_detectors(),
            progress: None,
            cancel: None,
            dockerfile: None,
        }
    }

    /// The platform to pick from a multi-platform index (default linux/amd64; a single-image
    /// archive is taken as it is unless a platform is set).
    pub fn platform(mut self, p: Platform) -> Self {
        self.platform = Some(p);
        self
    }

    /// Which image to read from an archive that holds several (`docker save a b`, an OCI
    /// layout with several tagged images): a tag as the archive records it (`debian:12`,
    /// `docker.io/library/debian:12` and, for OCI, the `org.opencontainers.image.ref.name`
    /// annotation, e.g. `12`), the image ID or manifest digest (`sha256:...`, or 12+ hex
    /// digits of it), or `@N` for the N-th image (from 0). Without it such an archive is an
    /// error that lists what it holds, rather than a silent pick.
    pub fn image(mut self, selector: impl Into<String>) -> Self {
        self.image = Some(selector.into());
        self
    }

    /// `false` turns digest mismatches into warnings instead of errors.
    pub fn verify_digests(mut self, verify: bool) -> Self {
        self.verify = verify;
        self
    }

    pub fn scope(mut self, scope: Scope) -> Self {
        self.scope = scope;
        self
    }

    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Replaces the detectors (default: [`default_detectors`]).
    pub fn detectors(mut self, detectors: Vec<Arc<dyn Detector>>) -> Self {
        self.detectors = detectors;
        self
    }

    /// Called from the scanning threads as work progresses.
    pub fn on_progress(mut self, f: impl Fn(&Progress) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(f));
        self
    }

    /// Setting the flag stops the scan soon after with [`Error::Cancelled`].
    pub fn cancel_flag(mut self, flag: Arc<AtomicBool>) -> Self {
        self.cancel = Some(flag);
        self
    }

    /// The Dockerfile the image was built from: history entries and layers get the line that
    /// made them (see [`crate::dockerfile`]). Parsed when the scan starts; a malformed one
    /// fails the scan with [`Error::Dockerfile`].
    pub fn dockerfile(mut self, text: String) -> Self {
        self.dockerfile = Some(Arc::from(text));
        self
    }

    fn emit(&self, p: Progress) {
        if let Some(f) = &self.progress {
            f(&p);
        }
    }

    fn cancelled(&self) -> bool {
        self.cancel
            .as_ref()
            .map(|c| c.load(Ordering::Relaxed))
            .unwrap_or(false)
    }

    fn resolve_options(&self) -> ResolveOptions<'_> {
        ResolveOptions {
            platform: self.platform.as_ref(),
            image: self.image.as_deref(),
            verify: self.verify,
            max_layers: self.limits.max_layers,
        }
    }

    fn ctx<'a>(&'a self, layer: Option<usize>, retained: &'a Retained) -> WalkCtx<'a> {
        let progress = self.progress.clone().map(|f| {
            Box::new(move |n: u64| f(&Progress::Bytes { layer, bytes: n }))
                as Box<dyn FnMut(u64) + Send>
        });
        WalkCtx {
            detectors: &self.detectors,
            limits: &self.limits,
            cancel: self.cancel.as_deref(),
            progress,
            retained,
        }
    }

    /// Scans the image `image` refers to.
    pub fn scan(&self, image: &ImageRef) -> Result<Scan> {
        // parsed first: a bad Dockerfile should fail before any layer is read
        let dockerfile = self
            .dockerfile
            .as_deref()
            .map(crate::dockerfile::parse)
            .transpose()?;
        let retained = Retained::new(self.limits.max_retained_bytes);
        let access = source::open(image, &retained)?;
        let (resolved, analyses) = match access {
            Access::Store(store, kind) => {
                let resolved = resolve(store.as_ref(), kind, &self.resolve_options())?;
                let analyses = self.walk_store(store.as_ref(), &resolved, &retained)?;
                (resolved, analyses)
            }
            Access::Stream(file, compression) => {
                self.walk_stream(&image.path, file, compression, &retained)?
            }
            Access::Rootfs(dir) => {
                let (resolved, analysis) = crate::rootfs::walk(
                    &dir,
                    &self.detectors,
                    &self.limits,
                    self.cancel.as_deref(),
                )?;
                (resolved, vec![analysis])
            }
        };
        if self.cancelled() {
            return Err(Error::Cancelled);
        }
        tracing::debug!(
            bytes = retained.used(),
            limit = self.limits.max_retained_bytes,
            "tar metadata kept"
        );
        let archive = image.path.clone();
        let mut warnings = Vec::new();
        for w in &resolved.unverified {
            warnings.push(Warning {
                path: None,
                layer: None,
                message: format!("digest not verified: {w}"),
                incomplete: false,
            });
        }
        for (i, (l, a)) in resolved.layers.iter().zip(&analyses).enumerate() {
            self.verify_layer(&archive, i, l, a, &mut warnings)?;
        }
        let inventory = crate::assemble::assemble(
            resolved,
            &analyses,
            &self.detectors,
            self.scope,
            warnings,
            dockerfile.as_ref(),
        );
        Ok(Scan {
            inventory,
            layers: analyses,
        })
    }

    fn walk_store(
        &self,
        store: &dyn BlobStore,
        resolved: &ResolvedImage,
        retained: &Retained,
    ) -> Result<Vec<LayerAnalysis>> {
        let total = resolved.layers.iter().filter_map(|l| l.size).sum();
        self.emit(Progress::Layers {
            count: resolved.layers.len(),
            total_bytes: total,
        });
        // a blob the manifest lists more than once (identical layers) is read once
        let mut first: HashMap<&str, usize> = HashMap::new();
        let slot: Vec<usize> = (0..resolved.layers.len())
            .map(|i| *first.entry(resolved.layers[i].blob.as_str()).or_insert(i))
            .collect();
        let read = |i: usize| -> Result<LayerAnalysis> {
            let l = &resolved.layers[i];
            let (reader, _) = store.open(&l.blob)?.ok_or_else(|| Error::MissingBlob {
                archive: store.location().to_path_buf(),
                name: l.blob.clone(),
            })?;
            let a = analyze_blob(reader, self.ctx(Some(i), retained))
                .map_err(|e| layer_error(store.location(), i, l, e))?;
            for (j, _) in slot.iter().enumerate().filter(|(_, s)| **s == i) {
                self.emit(Progress::LayerDone { layer: j });
            }
            Ok(a)
        };
        let distinct: Vec<usize> = (0..slot.len()).filter(|&i| slot[i] == i).collect();
        // each layer in flight may hold a zstd window (up to 128 MiB) and a claimed file:
        // the scan's memory grows with how many run at once, not with the machine's cores.
        // Scoped workers take the next layer as they finish one, and are joined before the
        // scan returns (a pool's threads would outlive it).
        let workers = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .min(self.limits.max_parallel_layers.max(1))
            .min(distinct.len().max(1));
        let next = std::sync::atomic::AtomicUsize::new(0);
        let work = || {
            let mut done = Vec::new();
            loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                let Some(&i) = distinct.get(k) else { break };
                done.push((i, read(i)));
            }
            done
        };
        let mut results: Vec<(usize, Result<LayerAnalysis>)> = std::thread::scope(|scope| {
            // a worker that cannot be started leaves its share to the others
            let helpers: Vec<_> = (1..workers)
                .filter_map(|_| std::thread::Builder::new().spawn_scoped(scope, work).ok())
                .collect();
            let mut all = work();
            for h in helpers {
                match h.join() {
                    Ok(mut r) => all.append(&mut r),
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
            all
        });
        // the first error in layer order, as a sequential walk would report it
        results.sort_by_key(|(i, _)| *i);
        let mut by_first: HashMap<usize, LayerAnalysis> = HashMap::new();
        for (i, r) in results {
            by_first.insert(i, r?);
        }
        let mut out = Vec::with_capacity(slot.len());
        for (j, s) in slot.iter().enumerate() {
            let a = if slot[j + 1..].contains(s) {
                by_first[s].clone()
            } else {
                by_first.remove(s).expect("analysed")
            };
            out.push(a);
        }
        Ok(out)
    }

    fn walk_stream(
        &self,
        path: &std::path::Path,
        file: std::fs::File,
        compression: crate::blob::Compression,
        retained: &Retained,
    ) -> Result<(ResolvedImage, Vec<LayerAnalysis>)> {
        let total = file.metadata().map(|m| m.len()).unwrap_or(0);
        self.emit(Progress::Streaming { total_bytes: total });
        let progress = self.progress.clone();
        let on_bytes = Box::new(move |n: u64| {
            if let Some(f) = &progress {
                f(&Progress::Bytes {
                    layer: None,
                    bytes: n,
                });
            }
        });
        let mut streamed = source::stream::read_stream(
            path,
            file,
            compression,
            || self.ctx(None, retained),
            &self.limits,
            retained,
            on_bytes,
        )?;
        let names: Vec<String> = streamed
            .store
            .files
            .keys()
            .chain(streamed.analysed.keys())
            .cloned()
            .collect();
        let kind = source::classify_names(path, names.iter().map(String::as_str))?;
        let resolved = resolve(&streamed.store, kind, &self.resolve_options())?;
        let mut analyses = Vec::with_capacity(resolved.layers.len());
        let names: Vec<String> = resolved
            .layers
            .iter()
            .map(|l| streamed.store.resolve_name(&l.blob))
            .collect();
        for (i, l) in resolved.layers.iter().enumerate() {
            let name = &names[i];
            // identical layers are one member, named again by each place they take
            let again = names[i + 1..].contains(name);
            let analysed = match streamed.analysed.get(name) {
                Some(Ok(a)) if again => Some(Ok(a.clone())),
                _ => streamed.analysed.remove(name),
            };
            let result = match analysed {
                Some(r) => r,
                None => match streamed.store.files.get(name) {
                    Some(bytes) => analyze_blob(&bytes[..], self.ctx(Some(i), retained)),
                    None => {
                        return Err(Error::MissingBlob {
                            archive: path.to_path_buf(),
                            name: l.blob.clone(),
                        })
                    }
                },
            };
            analyses.push(result.map_err(|e| layer_error(path, i, l, e))?);
            self.emit(Progress::LayerDone { layer: i });
        }
        Ok((resolved, analyses))
    }

    fn verify_layer(
        &self,
        archive: &std::path::Path,
        i: usize,
        l: &LayerRef,
        a: &LayerAnalysis,
        warnings: &mut Vec<Warning>,
    ) -> Result<()> {
        let mut check = |what: &str, expected: Option<&String>, actual: &str| -> Result<()> {
            let Some(expected) = expected else {
                return Ok(());
            };
            if !expected.starts_with("sha256:") || expected == actual {
                return Ok(());
            }
            if self.verify {
                return Err(Error::DigestMismatch {
                    archive: archive.to_path_buf(),
                    what: format!("layer {i} {what}"),
                    name: l.blob.clone(),
                    expected: expected.clone(),
                    actual: actual.to_string(),
                });
            }
            warnings.push(Warning {
                path: None,
                layer: Some(i),
                message: format!(
                    "digest not verified: layer {i} {what} {}: expected {expected}, got {actual}",
                    l.blob
                ),
                incomplete: false,
            });
            Ok(())
        };
        check("blob", l.digest.as_ref(), &a.digest)?;
        check("diff_id", l.diff_id.as_ref(), &a.diff_id)?;
        if let Some(size) = l.size {
            if size != a.size {
                let msg = format!(
                    "layer {i} blob {} is {} bytes, the manifest says {size}",
                    l.blob, a.size
                );
                if self.verify {
                    return Err(Error::Layer {
                        archive: archive.to_path_buf(),
                        index: i,
                        name: l.blob.clone(),
                        reason: msg,
                    });
                }
                warnings.push(Warning {
                    path: None,
                    layer: Some(i),
                    message: msg,
                    incomplete: false,
                });
            }
        }
        if let Some(declared) = l
            .media_type
            .as_deref()
            .and_then(crate::blob::Compression::from_media_type)
        {
            if declared != a.compression {
                warnings.push(Warning {
                    path: None,
                    layer: Some(i),
                    message: format!(
                        "layer {i} is declared {} but its bytes are {}; read as {}",
                        declared.as_str(),
                        a.compression.as_str(),
                        a.compression.as_str()
                    ),
                    incomplete: false,
                });
            }
        }
        Ok(())
    }
}

fn layer_error(archive: &std::path::Path, index: usize, l: &LayerRef, e: LayerError) -> Error {
    match e {
        LayerError::Cancelled => Error::Cancelled,
        LayerError::Limit(what, limit, unit) => Error::LimitExceeded {
            archive: archive.to_path_buf(),
            what: format!("layer {index} ({}): {what}", l.blob),
            limit,
            unit,
        },
        other => Error::Layer {
            archive: archive.to_path_buf(),
            index,
            name: l.blob.clone(),
            reason: other.to_string(),
        },
    }
}
