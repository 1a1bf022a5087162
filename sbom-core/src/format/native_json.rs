//! `json`: the inventory model itself, for people and scripts that want all of it.
//!
//! The shape is the serde form of [`crate::Inventory`] inside an envelope that names the
//! schema version; fields are only ever added, never renamed, within one major version.

use std::io;

use serde::Serialize;

use super::{Format, FormatError, WriteOptions, Writer};
use crate::Inventory;

/// Version of the native JSON shape. Bumped on any incompatible change.
pub const NATIVE_SCHEMA_VERSION: &str = "1";

/// The `json` writer.
///
/// ```
/// use sbom_core::{format::{NativeJson, WriteOptions, Writer, NATIVE_SCHEMA_VERSION}, Inventory};
/// let mut out = Vec::new();
/// NativeJson.write(&Inventory::default(), &WriteOptions::fixed(0), &mut out).unwrap();
/// let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
/// assert_eq!(doc["schema_version"], NATIVE_SCHEMA_VERSION);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct NativeJson;

impl NativeJson {
    /// Its entry in [`super::FORMATS`].
    pub const FORMAT: Format = Format {
        id: "json",
        aliases: &[],
        spec: "sbom native JSON",
        spec_version: Some(NATIVE_SCHEMA_VERSION),
        description: "the inventory model itself, all the scan found",
        // our own shape, not a registered one: plain JSON is what consumers can assume
        media_type: "application/json",
        file_extension: "json",
        new: || Box::new(NativeJson),
    };
}

#[derive(Serialize)]
struct Envelope<'a> {
    schema_version: &'static str,
    created: String,
    complete: bool,
    #[serde(flatten)]
    inventory: &'a Inventory,
}

impl Writer for NativeJson {
    fn format(&self) -> &'static Format {
        &Self::FORMAT
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
