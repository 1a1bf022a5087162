//! A bare image name (`app:1.2`, `debian:12`) that is no file: every source that may hold
//! it, tried in one fixed order, the first that has it read. An existing file or directory
//! of that name always wins; a name none has is one error listing each attempt and why it
//! failed.

use std::path::Path;

use sbom_core::Warning;

use super::{open_engine, open_path, registry, Engine, ImageSource, RegistryRef};
use crate::error::{Error, ErrorKind, Location, Result};
use crate::image::ImagePlan;
use crate::scan::ScanCtx;
use crate::walk::layer::LayerAnalysis;

/// Where a bare name is looked for, in order.
#[derive(Debug, Clone, Copy)]
enum Attempt {
    Engine(Engine),
    Registry,
}

const ORDER: &[Attempt] = &[
    Attempt::Engine(Engine::Docker),
    Attempt::Engine(Engine::Podman),
    Attempt::Registry,
];

impl Attempt {
    fn name(self) -> String {
        match self {
            Attempt::Engine(e) => e.as_str().into(),
            Attempt::Registry => "registry".into(),
        }
    }
}

/// Opens the first source that has `reference`.
pub(super) fn open(reference: &str, ctx: &ScanCtx) -> Result<Box<dyn ImageSource>> {
    let path = Path::new(reference);
    if path.symlink_metadata().is_ok() {
        return open_path(path, None, ctx);
    }
    let mut tried = vec![(
        "file".to_string(),
        "no file or directory of that name".to_string(),
    )];
    for &attempt in ORDER {
        let opened = match attempt {
            Attempt::Engine(e) => open_engine(e, reference, ctx),
            // the last place: a registry finds out whether it has the image when the
            // manifest is fetched, in `plan`, so its answer is judged there
            Attempt::Registry => {
                let opened = RegistryRef::parse(reference)
                    .map_err(|e| Error::NotAnImage {
                        at: Location::Url(format!("registry:{reference}")),
                        reason: e.to_string(),
                    })
                    .and_then(|r| registry::open(&r, ctx.registry));
                return match opened {
                    Ok(inner) => {
                        tracing::info!("{reference}: trying registry:{reference}");
                        Ok(Box::new(LastAttempt {
                            inner,
                            reference: reference.to_string(),
                            tried,
                        }))
                    }
                    Err(e) => {
                        tried.push((attempt.name(), e.to_string()));
                        Err(Error::NotFoundAnywhere {
                            reference: reference.to_string(),
                            tried,
                        })
                    }
                };
            }
        };
        match opened {
            Ok(source) => {
                tracing::info!("{reference}: read from {}:{reference}", attempt.name());
                return Ok(source);
            }
            // not there, or the engine is not: the next source may have it. Anything else
            // (the image is there but cannot be read) is the answer.
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::ImageNotFound | ErrorKind::EngineUnavailable
                ) =>
            {
                let why = e.to_string();
                let why = why
                    .strip_prefix(&format!("{}:{reference}: ", attempt.name()))
                    .map(str::to_string)
                    .unwrap_or(why);
                tried.push((attempt.name(), why));
            }
            Err(e) => return Err(e),
        }
    }
    Err(Error::NotFoundAnywhere {
        reference: reference.to_string(),
        tried,
    })
}

/// The registry, tried last: when it does not have the image either (or cannot be reached),
/// the error lists every attempt.
struct LastAttempt {
    inner: Box<dyn ImageSource>,
    reference: String,
    tried: Vec<(String, String)>,
}

impl ImageSource for LastAttempt {
    fn location(&self) -> &Location {
        self.inner.location()
    }

    fn plan(&mut self, ctx: &ScanCtx) -> Result<ImagePlan> {
        match self.inner.plan(ctx) {
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::NotFound | ErrorKind::AuthFailed | ErrorKind::Io | ErrorKind::Remote
                ) =>
            {
                let mut tried = std::mem::take(&mut self.tried);
                tried.push(("registry".into(), e.to_string()));
                Err(Error::NotFoundAnywhere {
                    reference: self.reference.clone(),
                    tried,
                })
            }
            r => {
                if r.is_ok() {
                    tracing::info!("{}: read from registry:{}", self.reference, self.reference);
                }
                r
            }
        }
    }

    fn blob_key<'p>(&self, plan: &'p ImagePlan, i: usize) -> std::borrow::Cow<'p, str> {
        self.inner.blob_key(plan, i)
    }

    fn layer(&self, plan: &ImagePlan, i: usize, ctx: &ScanCtx) -> Result<LayerAnalysis> {
        self.inner.layer(plan, i, ctx)
    }

    fn cacheable(&self) -> bool {
        self.inner.cacheable()
    }

    fn blob_size(&self, plan: &ImagePlan, i: usize) -> Option<u64> {
        self.inner.blob_size(plan, i)
    }

    fn verify(
        &self,
        plan: &ImagePlan,
        i: usize,
        analysis: &LayerAnalysis,
        ctx: &ScanCtx,
        warnings: &mut Vec<Warning>,
    ) -> Result<()> {
        self.inner.verify(plan, i, analysis, ctx, warnings)
    }
}
