//! Images held by a local engine, Docker or Podman (`docker:NAME`, `podman:NAME`): found with
//! the engine's API on its socket (`socket.rs`: `DOCKER_HOST` / `CONTAINER_HOST` or the
//! default; Unix socket, TCP, or TCP with TLS; `http.rs`: the exchange), inspected for the tags and digests the SBOM names the image by, then exported
//! (`api.rs`: `GET /images/{id}/get`, the `docker save` archive, classic or OCI layout) and
//! read as one stream by [`StreamSource`] while it arrives: nothing is written to disk,
//! every blob is verified, memory stays bounded as for any streamed archive.
//!
//! The export is asked for by image ID, not by name: a tag moved between the inspection and
//! the export cannot swap the image being read.

mod api;
mod http;
mod socket;

use std::time::Duration;

use sbom_core::Warning;

use super::stream::StreamSource;
use super::{Engine, ImageSource};
use crate::blob::Compression;
use crate::error::{Error, Location, Result};
use crate::image::ImagePlan;
use crate::scan::ScanCtx;
use crate::walk::layer::LayerAnalysis;
use api::{CallError, Client, Inspect};
use socket::Endpoint;

/// How long an engine may stay silent by default: Docker 20.10 writes the whole export to a
/// temporary directory before sending its first byte (about 3 s for 400 MB).
const DEFAULT_STALL: Duration = Duration::from_secs(120);

/// An image exported by an engine, read as a stream.
pub(crate) struct EngineSource {
    engine: Engine,
    name: String,
    at: Location,
    inspect: Inspect,
    stream: StreamSource,
}

impl EngineSource {
    /// Finds the engine, checks it has the image `name`, and starts its export.
    pub(crate) fn open(engine: Engine, name: &str) -> Result<Self> {
        Self::open_with(engine, name, &|k| std::env::var(k).ok())
    }

    fn open_with(engine: Engine, name: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Self> {
        let at = Location::Url(format!("{engine}:{name}"));
        let located = socket::locate(engine, env).map_err(|reason| Error::EngineUnavailable {
            at: at.clone(),
            reason,
        })?;
        let stall = stall_timeout(env);
        let client = Client {
            endpoint: located.endpoint.clone(),
            stall,
        };
        let fail = |e: CallError, doing: &str| failure(engine, &located, &at, name, doing, e);
        // the engine's own words on a refused call are kept, its socket errors explained
        let version = client.version().map_err(|e| fail(e, "connect"))?;
        tracing::info!(
            "{} engine {version} at {}",
            engine.title(),
            located.endpoint
        );
        let inspect = client.inspect(name).map_err(|e| fail(e, "inspect"))?;
        if !inspect.id.starts_with("sha256:") && !inspect.id.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return Err(Error::EngineApi {
                at,
                reason: format!(
                    "the engine gave the image an ID it cannot export: {:?}",
                    inspect.id
                ),
            });
        }
        let body = client.export(&inspect.id).map_err(|e| fail(e, "export"))?;
        tracing::info!(
            "{at}: exporting image {} from the {} engine",
            inspect.id,
            engine.title()
        );
        // a second export, when a hard link needs a file the first pass did not read
        let again = Client {
            endpoint: located.endpoint.clone(),
            stall,
        };
        let id = inspect.id.clone();
        let again_at = at.clone();
        let reopen = move || {
            tracing::info!(
                "{again_at}: exporting again, for hard-linked files the first pass did not read"
            );
            again
                .export(&id)
                .map(|b| Box::new(b) as Box<dyn std::io::Read + Send>)
                .map_err(|e| match e {
                    CallError::Io(e) => e,
                    CallError::Status(s, m) => {
                        std::io::Error::other(format!("exporting again: HTTP {s}: {m}"))
                    }
                    CallError::Answer(m) => std::io::Error::other(m),
                })
        };
        let stream = StreamSource::new(
            at.clone(),
            Box::new(body),
            Compression::None,
            inspect.size.unwrap_or(0),
            None,
        )
        .with_reopen(Box::new(reopen), true);
        Ok(EngineSource {
            engine,
            name: name.to_string(),
            at,
            inspect,
            stream,
        })
    }
}

/// `SBOM_ENGINE_TIMEOUT` (seconds), else [`DEFAULT_STALL`].
fn stall_timeout(env: &dyn Fn(&str) -> Option<String>) -> Duration {
    env("SBOM_ENGINE_TIMEOUT")
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0)
        .map(Duration::from_secs_f64)
        .unwrap_or(DEFAULT_STALL)
}

/// A failed call as the scan's error: which engine, which endpoint, what to do about it.
fn failure(
    engine: Engine,
    located: &socket::Located,
    at: &Location,
    name: &str,
    doing: &str,
    e: CallError,
) -> Error {
    let title = engine.title();
    let endpoint = &located.endpoint;
    let var = socket::host_var(engine);
    let point = match located.from_var {
        Some(v) => {
            format!("{v} chose it: set it to another engine, unix:///PATH or tcp://HOST:PORT")
        }
        None => format!("point at another engine with {var}=unix:///PATH or tcp://HOST:PORT"),
    };
    let at = at.clone();
    match e {
        CallError::Io(err) => {
            use std::io::ErrorKind as K;
            let why = match (err.kind(), endpoint) {
                (K::NotFound, Endpoint::Unix(_)) => "no such socket (is it running?)".to_string(),
                (K::ConnectionRefused, _) => "connection refused (is it running?)".to_string(),
                (K::PermissionDenied, _) => match engine {
                    Engine::Docker => "permission denied (run as root or as a member of the docker group)".into(),
                    Engine::Podman => "permission denied (rootless podman serves $XDG_RUNTIME_DIR/podman/podman.sock once `podman system service` runs)".into(),
                },
                _ => err.to_string(),
            };
            Error::EngineUnavailable {
                at,
                reason: format!("cannot reach the {title} engine at {endpoint}: {why}; {point}"),
            }
        }
        CallError::Status(404, msg) if doing == "inspect" => Error::ImageNotFound {
            at,
            reason: format!(
                "the {title} engine at {endpoint} has no image {name:?} ({msg}); `{} images` lists what it has",
                engine.as_str()
            ),
        },
        CallError::Status(status, msg) => Error::EngineApi {
            at,
            reason: format!("the {title} engine at {endpoint} refused to {doing} it: HTTP {status}: {msg}"),
        },
        CallError::Answer(msg) => Error::EngineApi {
            at,
            reason: format!("the {title} engine at {endpoint}: {msg}"),
        },
    }
}

impl ImageSource for EngineSource {
    fn location(&self) -> &Location {
        &self.at
    }

    fn plan(&mut self, ctx: &ScanCtx) -> Result<ImagePlan> {
        let mut plan = self.stream.plan(ctx)?;
        let info = &mut plan.info;
        let id = self.inspect.id.as_str();
        // a classic export's config is the image: an ID it does not hash to is another image.
        // (An OCI layout export from the containerd store is named by its index's digest,
        // which neither the chosen manifest nor its config hashes to.)
        let oci = self.stream.kept("index.json");
        if !oci && info.config_digest.as_deref() != Some(id) {
            return Err(Error::EngineApi {
                at: self.at.clone(),
                reason: format!(
                    "the engine exported image {} when asked for {id}",
                    info.config_digest.as_deref().unwrap_or("?")
                ),
            });
        }
        let named = |v: &Option<Vec<String>>| -> Vec<String> {
            v.iter()
                .flatten()
                .filter(|t| !t.starts_with("<none>"))
                .cloned()
                .collect()
        };
        let tags = named(&self.inspect.repo_tags);
        if !tags.is_empty() {
            info.repo_tags = tags;
        }
        info.repo_digests = named(&self.inspect.repo_digests);
        info.name = display_name(&self.name, &info.repo_tags, id);
        info.source_kind = self.engine.as_str().to_string();
        Ok(plan)
    }

    fn blob_key<'p>(&self, plan: &'p ImagePlan, i: usize) -> std::borrow::Cow<'p, str> {
        self.stream.blob_key(plan, i)
    }

    fn layer(&self, plan: &ImagePlan, i: usize, ctx: &ScanCtx) -> Result<LayerAnalysis> {
        self.stream.layer(plan, i, ctx)
    }

    fn cacheable(&self) -> bool {
        self.stream.cacheable()
    }

    fn blob_size(&self, plan: &ImagePlan, i: usize) -> Option<u64> {
        self.stream.blob_size(plan, i)
    }

    fn verify(
        &self,
        plan: &ImagePlan,
        i: usize,
        analysis: &LayerAnalysis,
        ctx: &ScanCtx,
        warnings: &mut Vec<Warning>,
    ) -> Result<()> {
        self.stream.verify(plan, i, analysis, ctx, warnings)
    }
}

/// The image's name in the SBOM: the tag the user asked for as the engine records it
/// (`app` is `app:latest`, for Podman `localhost/app:latest`), else its first tag, else what
/// was asked for (an ID).
fn display_name(asked: &str, tags: &[String], id: &str) -> String {
    let with_tag =
        if asked.contains('@') || asked.rsplit('/').next().is_some_and(|l| l.contains(':')) {
            asked.to_string()
        } else {
            format!("{asked}:latest")
        };
    let is_asked =
        |t: &&String| **t == with_tag || t.ends_with(&format!("/{with_tag}")) || **t == asked;
    tags.iter()
        .find(is_asked)
        .or(tags.first())
        .cloned()
        .unwrap_or_else(|| {
            if asked.len() >= 12
                && id
                    .trim_start_matches("sha256:")
                    .starts_with(asked.trim_start_matches("sha256:"))
            {
                id.to_string()
            } else {
                asked.to_string()
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_is_the_tag_asked_for() {
        let tags = vec![
            "localhost/app:1".to_string(),
            "localhost/app:latest".to_string(),
        ];
        assert_eq!(
            display_name("app", &tags, "sha256:ab"),
            "localhost/app:latest"
        );
        assert_eq!(display_name("app:1", &tags, "sha256:ab"), "localhost/app:1");
        assert_eq!(
            display_name("65bf1c9c97ce", &tags, "sha256:ab"),
            "localhost/app:1"
        );
        assert_eq!(
            display_name("65bf1c9c97ce", &[], "sha256:65bf1c9c97ceb620"),
            "sha256:65bf1c9c97ceb620"
        );
    }

    #[test]
    fn the_stall_timeout_is_settable() {
        assert_eq!(stall_timeout(&|_| None), DEFAULT_STALL);
        assert_eq!(
            stall_timeout(&|_| Some("1.5".into())),
            Duration::from_millis(1500)
        );
        assert_eq!(stall_timeout(&|_| Some("-1".into())), DEFAULT_STALL);
    }
}
