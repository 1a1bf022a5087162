//! Images in OCI registries (`registry:HOST/REPO:TAG`), pulled as the OCI Distribution Spec
//! v1.1 describes and read like an OCI layout: the registry is a [`BlobStore`] whose
//! `index.json` is the manifest the tag (or pinned digest) resolves to, and whose
//! `blobs/sha256/<hex>` are fetched by digest, from the manifests endpoint for manifests and
//! indexes and from the blobs endpoint for configs and layers. The archive code then plans
//! the image (index -> platform -> manifest -> config, every digest checked) and streams each
//! layer straight from its GET into the walk, on the scan's layer threads. Nothing is
//! written to disk.
//!
//! | file             | what                                                           |
//! |------------------|----------------------------------------------------------------|
//! | `name.rs`        | references, Docker Hub normalisation (always built)            |
//! | `options.rs`     | [`RegistryOptions`], [`Credentials`] (always built)            |
//! | `client.rs`      | HTTP(S), retries with backoff, resumed blobs                   |
//! | `auth.rs`        | challenges, Basic, Bearer tokens cached per scope              |
//! | `credentials.rs` | `config.json`, credential helpers, containers' `auth.json`     |
//! | `push.rs`        | the write side: blob HEAD, monolithic upload, manifest PUT     |
//! | `referrers.rs`   | SBOMs as OCI 1.1 referrers: attach, list, fetch ([`referrers`]) |

mod name;
mod options;

#[cfg(feature = "registry")]
mod auth;
#[cfg(feature = "registry")]
mod client;
#[cfg(feature = "registry")]
mod credentials;
#[cfg(feature = "registry")]
mod push;
#[cfg(feature = "registry")]
pub mod referrers;

pub use name::RegistryRef;
pub use options::{Credentials, RegistryOptions};

#[cfg(not(feature = "registry"))]
use crate::error::Error;
use crate::error::{Location, Result};
use crate::source::ImageSource;

/// Where errors about `r` point: the reference as the user would write it.
fn location(r: &RegistryRef) -> Location {
    Location::Url(format!("registry:{r}"))
}

/// Opens the image `r` names, as an archive whose store is the registry.
#[cfg(feature = "registry")]
pub(crate) fn open(r: &RegistryRef, opts: &RegistryOptions) -> Result<Box<dyn ImageSource>> {
    let store = store::RegistryStore::connect(r, opts, location(r))?;
    Ok(Box::new(super::archive::ArchiveSource::new(
        Box::new(store),
        super::SourceKind::Registry,
    )))
}

/// The digest of the manifest `r` names in its registry (for a multi-platform image, its
/// index): what pins `r` as `NAME@sha256:...`. Pinned references are checked against what
/// the registry serves.
///
/// ```no_run
/// use layer_walker::{manifest_digest, RegistryOptions, RegistryRef};
///
/// let r = RegistryRef::parse("127.0.0.1:5000/base:1")?;
/// let d = manifest_digest(&r, &RegistryOptions::default())?;
/// println!("FROM {}@{d}", r.name());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg(feature = "registry")]
pub fn manifest_digest(r: &RegistryRef, opts: &RegistryOptions) -> Result<crate::Digest> {
    store::RegistryStore::connect(r, opts, location(r))?.manifest_digest(16 << 20)
}

/// Without the `registry` feature a registry reference is an error that says so.
#[cfg(not(feature = "registry"))]
pub(crate) fn open(r: &RegistryRef, _opts: &RegistryOptions) -> Result<Box<dyn ImageSource>> {
    Err(Error::NotAnImage {
        at: location(r),
        reason: "this build of layer-walker has no registry support (cargo feature `registry`)"
            .into(),
    })
}

#[cfg(feature = "registry")]
mod store;
