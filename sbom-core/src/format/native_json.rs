//! `json`: the inventory model itself, for people and scripts that want all of it.
//!
//! The shape is the serde form of [`crate::Inventory`] inside an envelope that names the
//! schema version; fields are only ever added, never renamed, within one major version.

use std::io;

use serde::Serialize;

use super::{FormatError, WriteOptions, Writer};
use crate::Inventory;

/// Version of the native JSON shape. Bumped on any incompatible change.
pub const NATIVE_SCHEMA_VERSION: &str = "1";

/// The `json` writer.
pub struct NativeJson;

#[derive(Serialize)]
struct Envelope<'a> {
    schema_version: &'static str,
    created: String,
    complete: bool,
    #[serde(flatten)]
    inventory: &'a Inventory,
}

impl Writer for NativeJson {
    fn name(&self) -> &'static str {
        "json"
    }

    fn write(
        &self,
        inv: &Inventory,
        opts: &WriteOptions,
        out: &mut dyn io::Write,
    ) -> Result<(), FormatError> {
        let env = Envelope {
            schema_version: NATIVE_SCHEMA_VERSION,
            created: opts.created_rfc3339(),
            complete: !inv.is_incomplete(),
            inventory: inv,
        };
        serde_json::to_writer_pretty(&mut *out, &env)?;
        out.write_all(b"\n")?;
        Ok(())
    }
}
