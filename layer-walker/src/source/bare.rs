//! A bare image name (`app:1.2`, `debian:12`) that is no file: every source that may hold
//! it, tried in one fixed order, the first that has it read. An existing file or directory
//! of that name always wins; a name none has is one error listing each attempt and why it
//! failed.

use std::path::Path;

use super::{open_engine, open_path, Engine, ImageSource};
use crate::error::{Error, ErrorKind, Result};
use crate::scan::ScanCtx;

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
            Attempt::Registry => {
                tried.push((
                    attempt.name(),
                    "the registry source is not in this build yet".into(),
                ));
                continue;
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
