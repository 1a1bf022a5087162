//! Image sources: what the user points at, and how its blobs are reached.
//!
//! Every source implements [`ImageSource`]: it is opened by [`open`], plans the image (an
//! [`ImagePlan`]: metadata and the layers to read), analyses a layer when asked, and has
//! each layer verified against what the plan says it must be. The scan
//! (`crate::scan`) is that pipeline and nothing else, so a new source is one module here
//! plus one arm in [`open`].
//!
//! | input                           | module       | how it is read                                            |
//! |---------------------------------|--------------|-----------------------------------------------------------|
//! | docker-archive / OCI tar        | `archive.rs` | headers indexed once, members read in parallel at offsets |
//! | OCI layout directory            | `archive.rs` | files opened directly                                     |
//! | compressed archive, stdin, pipe | `stream.rs`  | one streamed pass; layers analysed as they pass           |
//! | unpacked root filesystem        | `rootfs.rs`  | walked as a single layer                                  |
//! | image in Docker or Podman       | `engine/`    | exported through the engine's API, read as `stream.rs` does |
//! | bare name (`app:1.2`)           | `bare.rs`    | a file if there is one, else each engine, then a registry |
//! | image in an OCI registry        | `registry/`  | a blob store over HTTP: resolved as a layout, layers streamed from their GETs |

mod archive;
mod bare;
#[cfg(feature = "engine")]
mod engine;
mod reference;
pub(crate) mod registry;
mod rootfs;
pub(crate) mod store;
mod stream;

pub use reference::{Engine, ImageRef, RefError, SourceKind};
#[cfg(feature = "registry")]
pub use registry::manifest_digest;
#[cfg(feature = "registry")]
pub use registry::referrers;
pub use registry::{Credentials, RegistryOptions, RegistryRef};

use std::fs::File;
use std::io::Read;
use std::path::Path;

use sbom_core::Warning;

use crate::blob::Compression;
use crate::error::{Error, Location, Result};
use crate::image::ImagePlan;
use crate::scan::ScanCtx;
use crate::walk::layer::LayerAnalysis;

/// One kind of place images come from. Called in this order: [`ImageSource::plan`] once,
/// then [`ImageSource::layer`] once for every distinct layer blob of the plan (from several
/// threads at once), then [`ImageSource::verify`] for every layer of the plan.
pub(crate) trait ImageSource: Send + Sync {
    /// Where the image is, for errors and the SBOM.
    fn location(&self) -> &Location;

    /// Reads what the image is made of and chooses the image: an archive's manifests and
    /// config, a root filesystem's one layer. A source that can only be read front to back
    /// analyses its layers here, as they pass.
    fn plan(&mut self, ctx: &ScanCtx) -> Result<ImagePlan>;

    /// What tells two layers of `plan` are the same blob, read once for both (default: the
    /// blob's name).
    fn blob_key<'p>(&self, plan: &'p ImagePlan, i: usize) -> std::borrow::Cow<'p, str> {
        std::borrow::Cow::Borrowed(&plan.layers[i].blob)
    }

    /// The stored size of layer `i`'s blob when it is known before reading it (default: what
    /// the plan says), so the biggest layers can be started first, and a cached analysis is
    /// only taken for a blob of the size it was made from.
    fn blob_size(&self, plan: &ImagePlan, i: usize) -> Option<u64> {
        plan.layers[i].size
    }

    /// Analyses layer `i` of `plan`.
    fn layer(&self, plan: &ImagePlan, i: usize, ctx: &ScanCtx) -> Result<LayerAnalysis>;

    /// Whether layers are read one by one on request, so that one the layer cache has can
    /// be skipped: not for a streamed archive, whose layers pass by as the stream does.
    fn cacheable(&self) -> bool {
        true
    }

    /// Checks layer `i` is what the plan says (digests, size, media type). Mismatches are
    /// errors, or warnings when verification is off.
    fn verify(
        &self,
        plan: &ImagePlan,
        i: usize,
        analysis: &LayerAnalysis,
        ctx: &ScanCtx,
        warnings: &mut Vec<Warning>,
    ) -> Result<()> {
        crate::verify::layer(
            self.location(),
            i,
            &plan.layers[i],
            analysis,
            ctx.verify,
            warnings,
        )
    }
}

/// Works out what `r` is and opens it.
pub(crate) fn open(r: &ImageRef, ctx: &ScanCtx) -> Result<Box<dyn ImageSource>> {
    match r {
        ImageRef::Path { kind, path } => open_path(path, *kind, ctx),
        ImageRef::Registry(r) => registry::open(r, ctx.registry),
        ImageRef::Stdin { kind } => {
            let (head, compression) =
                sniff(std::io::stdin()).map_err(|e| Error::io(Location::Stdin, e))?;
            let kind = forced_archive_kind(Location::Stdin, *kind)?;
            Ok(Box::new(stream::StreamSource::new(
                Location::Stdin,
                Box::new(head),
                compression,
                0,
                kind,
            )))
        }
        ImageRef::Engine { engine, name } => open_engine(*engine, name, ctx),
        ImageRef::Name { reference } => bare::open(reference, ctx),
    }
}

#[cfg(feature = "engine")]
fn open_engine(engine: Engine, name: &str, _ctx: &ScanCtx) -> Result<Box<dyn ImageSource>> {
    Ok(Box::new(engine::EngineSource::open(engine, name)?))
}

#[cfg(not(feature = "engine"))]
fn open_engine(engine: Engine, name: &str, _ctx: &ScanCtx) -> Result<Box<dyn ImageSource>> {
    Err(Error::EngineUnavailable {
        at: Location::Url(format!("{engine}:{name}")),
        reason: "this build of layer-walker has no engine sources (its `engine` feature is off)"
            .into(),
    })
}

fn open_path(path: &Path, kind: Option<SourceKind>, ctx: &ScanCtx) -> Result<Box<dyn ImageSource>> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    let at = Location::Path(path.to_path_buf());
    if meta.is_dir() {
        let has = |n: &str| path.join(n).exists();
        let kind = match kind {
            Some(SourceKind::Registry) => {
                return Err(Error::NotAnImage {
                    at,
                    reason: "registry: names an image in a registry, not a directory".into(),
                })
            }
            Some(k) => k,
            None if has("index.json") || has("oci-layout") => SourceKind::OciDir,
            None if has("manifest.json") => SourceKind::DockerArchive,
            None => SourceKind::RootfsDir,
        };
        return Ok(match kind {
            SourceKind::RootfsDir => Box::new(rootfs::RootfsSource::new(path)),
            k => Box::new(archive::ArchiveSource::new(
                Box::new(store::DirStore::new(path)?),
                k,
            )),
        });
    }
    let kind = forced_archive_kind(at.clone(), kind)?;
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let (head, compression) = sniff(file).map_err(|e| Error::io(path, e))?;
    // compressed, or a pipe or device (`/dev/stdin`, `<(docker save app)`) that cannot be
    // indexed by seeking: read front to back once
    if compression != Compression::None || !meta.is_file() {
        let size = if meta.is_file() { meta.len() } else { 0 };
        let source = stream::StreamSource::new(at, Box::new(head), compression, size, kind);
        if !meta.is_file() {
            return Ok(Box::new(source));
        }
        let path = path.to_path_buf();
        let reopen = move || Ok(Box::new(File::open(&path)?) as Box<dyn Read + Send>);
        return Ok(Box::new(source.with_reopen(Box::new(reopen), false)));
    }
    let bytes = head.get_ref().0.get_ref();
    if bytes.len() < 512 || !looks_like_tar(bytes) {
        let reason = if bytes.is_empty() {
            "the file is empty"
        } else {
            "it is neither a tar archive nor a gzip/zstd-compressed one"
        };
        return Err(Error::NotAnImage {
            at,
            reason: reason.into(),
        });
    }
    let store = store::TarStore::index(path, ctx.retained)?;
    let kind = match kind {
        Some(k) => k,
        None => classify_names(&at, store.names())?,
    };
    Ok(Box::new(archive::ArchiveSource::new(Box::new(store), kind)))
}

/// An input whose first bytes were read to tell what it is, then put back in front.
type Sniffed<R> = std::io::Chain<std::io::Cursor<Vec<u8>>, R>;

/// The first 512 bytes of `input` (enough for compression magic and a tar header), and the
/// whole input again as a reader that starts with them.
fn sniff<R: Read>(mut input: R) -> std::io::Result<(Sniffed<R>, Compression)> {
    let mut head = Vec::with_capacity(512);
    (&mut input).take(512).read_to_end(&mut head)?;
    let compression = Compression::sniff(&head);
    Ok((std::io::Cursor::new(head).chain(input), compression))
}

/// An archive can be forced to be a docker-archive or OCI archive, not a directory kind.
fn forced_archive_kind(at: Location, kind: Option<SourceKind>) -> Result<Option<SourceKind>> {
    match kind {
        Some(k @ (SourceKind::OciDir | SourceKind::RootfsDir)) => Err(Error::NotAnImage {
            at,
            reason: format!("{} needs a directory, and this is a file", k.as_str()),
        }),
        Some(SourceKind::Registry) => Err(Error::NotAnImage {
            at,
            reason: "registry: names an image in a registry, not a file (ImageRef::Registry)"
                .into(),
        }),
        k => Ok(k),
    }
}

/// A ustar/GNU header has its magic at offset 257; v7 headers have a valid checksum only.
fn looks_like_tar(h: &[u8]) -> bool {
    if h.len() < 512 {
        return false;
    }
    if &h[257..262] == b"ustar" {
        return true;
    }
    let stored = std::str::from_utf8(&h[148..156])
        .ok()
        .map(|s| s.trim_matches(|c: char| c == '\0' || c == ' '))
        .and_then(|s| u32::from_str_radix(s, 8).ok());
    let sum: u32 = h[..512]
        .iter()
        .enumerate()
        .map(|(i, b)| {
            if (148..156).contains(&i) {
                32
            } else {
                *b as u32
            }
        })
        .sum();
    stored == Some(sum)
}

/// docker-archive or OCI archive, from the member names; a hint when it is neither.
pub(crate) fn classify_names<'a>(
    at: &Location,
    names: impl Iterator<Item = &'a str>,
) -> Result<SourceKind> {
    let (mut manifest, mut index, mut layout, mut rootfs_like) = (false, false, false, 0);
    for n in names {
        match n {
            "manifest.json" => manifest = true,
            "index.json" => index = true,
            "oci-layout" => layout = true,
            _ if n.starts_with("etc/")
                || n.starts_with("usr/")
                || n.starts_with("bin/")
                || n.starts_with("var/") =>
            {
                rootfs_like += 1
            }
            _ => {}
        }
    }
    if manifest {
        // Docker 25+ writes an OCI layout and manifest.json both: it is what `docker save` made
        return Ok(SourceKind::DockerArchive);
    }
    if index || layout {
        return Ok(SourceKind::OciArchive);
    }
    let reason = if rootfs_like > 0 {
        "this looks like a single layer or root filesystem tar, not an image archive (no manifest.json or index.json); \
         unpack it and scan the directory with dir:PATH"
            .to_string()
    } else {
        "the tar has no manifest.json (docker-archive) or index.json (OCI layout)".to_string()
    };
    Err(Error::NotAnImage {
        at: at.clone(),
        reason,
    })
}
