//! The scanner: options in, inventory out. [`Scanner::scan`] is the pipeline every source
//! goes through: open the source, plan the image, analyse its layers in parallel, verify
//! each against the plan, assemble the inventory.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use sbom_core::{Inventory, Platform, Scope, Warning};

use crate::cache::{self, CacheKey, LayerCache};
use crate::detect::{default_detectors, Detector};
use crate::error::{Error, Result};
use crate::image::resolve::ResolveOptions;
use crate::limits::{Limit, Limits, Retained};
use crate::source::{self, ImageRef, RegistryOptions};
use crate::walk::files::FileHashes;
use crate::walk::layer::{LayerAnalysis, WalkCtx};

/// Progress of a scan, for progress bars.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Progress {
    /// The layers are known: how many, and their stored size in bytes (0 when unknown).
    /// For a streamed archive this comes after the stream, whose bytes were counted by then.
    Layers {
        /// Layers in the image.
        count: usize,
        /// Their stored size, where the image says it.
        total_bytes: u64,
    },
    /// More bytes of a layer (or, for streamed archives, of the archive) were read.
    Bytes {
        /// The layer, or `None` for the bytes of a streamed archive.
        layer: Option<usize>,
        /// How many more.
        bytes: u64,
    },
    /// A layer is fully analysed.
    LayerDone {
        /// Its position in the image.
        layer: usize,
    },
    /// Streamed archives only: reading of the archive began; its size (0 when unknown:
    /// standard input, a pipe; for an engine's export, the image's size as the engine
    /// reports it, an estimate a little below the export's).
    Streaming {
        /// Bytes to read, when known.
        total_bytes: u64,
    },
}

/// Scans images. Cheap to build; reusable; `Send + Sync`.
///
/// ```no_run
/// use layer_walker::{ImageRef, Limits, Scanner};
/// use sbom_core::Scope;
///
/// let mut limits = Limits::default();
/// limits.max_layer_bytes = 8 << 30;
/// let scanner = Scanner::new()
///     .platform("linux/arm64".parse().unwrap())
///     .scope(Scope::AllLayers)
///     .limits(limits)
///     .on_progress(|p| eprintln!("{p:?}"));
/// let scan = scanner.scan(&ImageRef::parse("oci-dir:./layout")?)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
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
    target: Option<Arc<str>>,
    registry: Arc<RegistryOptions>,
    cache: Option<Arc<dyn LayerCache>>,
    files: bool,
    file_sha1: bool,
}

impl Default for Scanner {
    fn default() -> Self {
        Self::new()
    }
}

/// The result of a scan.
#[non_exhaustive]
pub struct Scan {
    /// Everything found, ready for a writer.
    pub inventory: Inventory,
    /// The raw per-layer walk results, in image order.
    pub layers: Vec<LayerAnalysis>,
    /// For each layer, whether its analysis came from the [layer cache](Scanner::cache)
    /// instead of reading it.
    pub cached: Vec<bool>,
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
            target: None,
            registry: Arc::new(RegistryOptions::default()),
            cache: None,
            files: false,
            file_sha1: true,
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

    /// What the inventory lists: the final image (default), or also packages a later layer
    /// removed.
    pub fn scope(mut self, scope: Scope) -> Self {
        self.scope = scope;
        self
    }

    /// The bounds the scan keeps to (default: [`Limits::default`]).
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

    /// The stage of the [`Scanner::dockerfile`] the image was built from, as given to the
    /// build's `--target` (a stage name or index); the last stage when not set. A name the
    /// file has no stage for fails the scan with [`Error::Dockerfile`].
    pub fn dockerfile_target(mut self, stage: String) -> Self {
        self.target = Some(Arc::from(stage));
        self
    }

    /// How `registry:` images are reached: extra CAs, plain-HTTP hosts, credentials,
    /// timeouts (default: [`RegistryOptions::default`]).
    ///
    /// ```no_run
    /// use layer_walker::{Credentials, ImageRef, RegistryOptions, Scanner};
    ///
    /// let mut opts = RegistryOptions::default();
    /// opts.ca_files.push("/etc/ssl/private-ca.pem".into());
    /// opts.credentials = Some(Credentials::new("ci", std::env::var("REGISTRY_TOKEN")?));
    /// let scan = Scanner::new()
    ///     .registry(opts)
    ///     .scan(&ImageRef::parse("registry:registry.example:5000/team/app:1.4")?)?;
    /// println!("{} packages in {}", scan.inventory.packages.len(), scan.inventory.image.name);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn registry(mut self, options: RegistryOptions) -> Self {
        self.registry = Arc::new(options);
        self
    }

    /// Keeps layer analyses in `cache` and takes them from there: a layer whose diff_id the
    /// cache has (under this scanner's detectors, limits and version) is not read again,
    /// and from a registry not even downloaded. See [`crate::cache`]. Archives on a stream
    /// (standard input, an engine's export) and root filesystems are read as before.
    ///
    /// ```no_run
    /// use std::sync::Arc;
    /// use layer_walker::cache::DiskCache;
    /// use layer_walker::{ImageRef, Scanner};
    ///
    /// let cache = Arc::new(DiskCache::open("/var/cache/sbom")?.max_size(10 << 30));
    /// let scanner = Scanner::new().cache(cache);
    /// for image in ["registry:reg.example/app:1", "registry:reg.example/app:2"] {
    ///     let scan = scanner.scan(&ImageRef::parse(image)?)?;
    ///     let hits = scan.cached.iter().filter(|c| **c).count();
    ///     println!("{image}: {hits} of {} layers from the cache", scan.cached.len());
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn cache(mut self, cache: Arc<dyn LayerCache>) -> Self {
        self.cache = Some(cache);
        self
    }

    /// Also list every regular file of the image ([`Inventory::files`]): path, size, mode,
    /// SHA-256 and SHA-1, the layer that wrote it and the packages whose databases list it.
    /// With [`Scope::AllLayers`], every file of every layer, those a later layer removed or
    /// replaced marked with the layer that did. Off by default: it reads every body the
    /// detectors do not want, so a scan takes longer (about twice as long on a large
    /// image); with it off the walk does no work for it.
    ///
    /// A file scan neither reads nor fills the [layer cache](Scanner::cache): entries hold
    /// what detectors parsed, not every file's digests.
    ///
    /// ```
    /// use layer_walker::{ImageRef, Scanner};
    ///
    /// let image = ImageRef::parse("oci-dir:../testdata/images/tiny-debian.oci")?;
    /// let scan = Scanner::new().files(true).scan(&image)?;
    /// let bin = scan.inventory.files.iter().find(|f| f.path == "/usr/bin/hostname").unwrap();
    /// assert!(bin.executable);
    /// assert_eq!(bin.sha256.len(), 64);
    /// // dpkg's hostname.list names it (as /bin/hostname: merged /usr)
    /// assert!(bin.owners.iter().any(|id| id.0.contains("/hostname@")));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn files(mut self, on: bool) -> Self {
        self.files = on;
        self
    }

    /// Whether the file inventory also gives each file's SHA-1 (on by default). SPDX 2.3 is
    /// the only format that requires it (its writer refuses an inventory without), and it
    /// costs as much CPU as the SHA-256, so a tool that writes only other formats can turn it
    /// off: on debian-large this takes a file scan from 2.3x the default scan's time to
    /// under 2x (benches/RESULTS.md).
    ///
    /// ```
    /// use layer_walker::{ImageRef, Scanner};
    ///
    /// let image = ImageRef::parse("oci-dir:../testdata/images/tiny-debian.oci")?;
    /// let scan = Scanner::new().files(true).file_sha1(false).scan(&image)?;
    /// assert!(scan.inventory.files.iter().all(|f| f.sha1.is_none() && f.sha256.len() == 64));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn file_sha1(mut self, on: bool) -> Self {
        self.file_sha1 = on;
        self
    }

    /// What the pipeline's steps share for one scan.
    fn ctx<'a>(&'a self, retained: &'a Retained, cache_key: Option<&'a str>) -> ScanCtx<'a> {
        ScanCtx {
            detectors: &self.detectors,
            limits: &self.limits,
            cancel: self.cancel.as_deref(),
            progress: self.progress.as_ref(),
            retained,
            verify: self.verify,
            platform: self.platform.as_ref(),
            image: self.image.as_deref(),
            registry: &self.registry,
            cache: self.cache.as_deref().zip(cache_key),
            files: self.files.then_some(FileHashes {
                sha1: self.file_sha1,
            }),
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
        let stage = match (&dockerfile, self.target.as_deref()) {
            (Some(df), Some(t)) => df.target(t)?,
            (Some(df), None) => df.stages.len().saturating_sub(1),
            (None, _) => 0,
        };
        let retained = Retained::new(self.limits.max_retained_bytes);
        // entries hold no file digests: a file scan reads every layer and stores nothing
        let cache_key = self
            .cache
            .as_ref()
            .filter(|_| !self.files)
            .map(|_| cache::scan_key(&self.detectors, &self.limits));
        let ctx = self.ctx(&retained, cache_key.as_deref());
        let mut source = source::open(image, &ctx)?;
        let plan = source.plan(&ctx)?;
        // each place a layer takes is laid over the view in turn, even when the blob is shared
        if plan.layers.len() as u64 > self.limits.max_layers {
            return Err(Error::LimitExceeded {
                at: source.location().clone(),
                layer: None,
                limit: Limit::Layers,
                what: format!("the image's {} layers", plan.layers.len()),
                max: self.limits.max_layers,
            });
        }
        ctx.emit(Progress::Layers {
            count: plan.layers.len(),
            total_bytes: plan.layers.iter().filter_map(|l| l.size).sum(),
        });
        let (analyses, cached) = crate::parallel::analyse_layers(source.as_ref(), &plan, &ctx)?;
        if ctx.cancelled() {
            return Err(Error::Cancelled);
        }
        tracing::debug!(
            bytes = retained.used(),
            limit = self.limits.max_retained_bytes,
            "tar metadata kept"
        );
        let mut warnings: Vec<Warning> = plan
            .unverified
            .iter()
            .map(|w| Warning {
                path: None,
                layer: None,
                message: format!("digest not verified: {w}"),
                incomplete: false,
            })
            .collect();
        for (i, a) in analyses.iter().enumerate() {
            source.verify(&plan, i, a, &ctx, &mut warnings)?;
        }
        if let Some((cache, key)) = ctx.cache.filter(|_| source.cacheable()) {
            store(cache, key, &plan, &analyses, &cached, &self.detectors);
        }
        let inventory = crate::assemble::assemble(
            plan,
            &analyses,
            &self.detectors,
            self.scope,
            self.files,
            warnings,
            dockerfile.as_ref().map(|df| (df, stage)),
        );
        Ok(Scan {
            inventory,
            layers: analyses,
            cached,
        })
    }
}

/// Stores the verified analyses of the layers not taken from the cache, each distinct
/// diff_id once. Only an analysis whose computed digests are the ones the image names is
/// stored: with verification off, a mismatching layer stays out.
fn store(
    cache: &dyn LayerCache,
    key: &str,
    plan: &crate::image::ImagePlan,
    analyses: &[LayerAnalysis],
    cached: &[bool],
    detectors: &[Arc<dyn Detector>],
) {
    let mut stored = std::collections::HashSet::new();
    for (i, a) in analyses.iter().enumerate() {
        let l = &plan.layers[i];
        let (Some(diff_id), false) = (l.diff_id.as_ref(), cached[i]) else {
            continue;
        };
        let verified = a.diff_id.as_ref() == Some(diff_id)
            && l.digest
                .as_ref()
                .is_none_or(|d| a.digest.as_ref() == Some(d));
        if !verified || stored.contains(diff_id) {
            continue;
        }
        match cache::entry::encode(key, a, detectors) {
            Some(bytes) => {
                let k = CacheKey {
                    diff_id: diff_id.clone(),
                    scan: key.to_string(),
                };
                cache.put(&k, &bytes);
                tracing::debug!(layer = i, %diff_id, bytes = bytes.len(), "layer cached");
                stored.insert(diff_id.clone());
            }
            None => tracing::debug!(
                layer = i,
                %diff_id,
                "layer not cached: a detector that claimed one of its files cannot encode what it parsed"
            ),
        }
    }
    if !stored.is_empty() {
        cache.flush();
    }
}

type ProgressFn = Arc<dyn Fn(&Progress) + Send + Sync>;

/// What the steps of one scan share: the scanner's settings and the scan's budget. Sources
/// get it in every call of [`source::ImageSource`].
pub(crate) struct ScanCtx<'a> {
    pub detectors: &'a [Arc<dyn Detector>],
    pub limits: &'a Limits,
    pub cancel: Option<&'a AtomicBool>,
    progress: Option<&'a ProgressFn>,
    /// The scan's budget for what it keeps of tar headers.
    pub retained: &'a Retained,
    /// Digest mismatches are errors (else warnings).
    pub verify: bool,
    platform: Option<&'a Platform>,
    image: Option<&'a str>,
    /// How registries are reached.
    pub registry: &'a RegistryOptions,
    /// The layer cache and this scan's key in it.
    pub cache: Option<(&'a dyn LayerCache, &'a str)>,
    /// Hash every regular file for the file inventory, with these digests.
    pub files: Option<FileHashes>,
}

impl ScanCtx<'_> {
    pub(crate) fn emit(&self, p: Progress) {
        if let Some(f) = self.progress {
            f(&p);
        }
    }

    pub(crate) fn cancelled(&self) -> bool {
        self.cancel
            .map(|c| c.load(Ordering::Relaxed))
            .unwrap_or(false)
    }

    /// How to choose the image from an archive's manifests.
    pub(crate) fn resolve_options(&self) -> ResolveOptions<'_> {
        ResolveOptions {
            platform: self.platform,
            image: self.image,
            verify: self.verify,
        }
    }

    /// What walking one layer needs; progress counts its bytes against `layer` (`None`: the
    /// bytes of a streamed archive, counted by the stream).
    pub(crate) fn walk(&self, layer: Option<usize>, count_bytes: bool) -> WalkCtx<'_> {
        let progress = self.progress.filter(|_| count_bytes).cloned().map(|f| {
            Box::new(move |n: u64| f(&Progress::Bytes { layer, bytes: n }))
                as Box<dyn FnMut(u64) + Send>
        });
        WalkCtx {
            detectors: self.detectors,
            limits: self.limits,
            cancel: self.cancel,
            progress,
            retained: self.retained,
            files: self.files,
        }
    }

    /// A callback counting `n` more bytes of input outside any layer (a streamed archive).
    pub(crate) fn stream_progress(&self) -> Box<dyn FnMut(u64) + Send + '_> {
        let progress = self.progress;
        Box::new(move |n: u64| {
            if let Some(f) = progress {
                f(&Progress::Bytes {
                    layer: None,
                    bytes: n,
                });
            }
        })
    }
}
