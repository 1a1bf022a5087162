//! `spdx-json`: SPDX 2.3 as JSON, from [`super::spdx_model`].

use std::io;

use super::spdx_model::build_document;
use super::{FormatError, WriteOptions, Writer};
use crate::Inventory;

/// The `spdx-json` writer.
///
/// ```
/// use sbom_core::{format::{SpdxJson, WriteOptions, Writer}, Inventory};
/// let mut out = Vec::new();
/// SpdxJson.write(&Inventory::default(), &WriteOptions::fixed(0), &mut out).unwrap();
/// let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
/// assert_eq!(doc["spdxVersion"], "SPDX-2.3");
/// ```
pub struct SpdxJson;

impl Writer for SpdxJson {
    fn name(&self) -> &'static str {
        "spdx-json"
    }

    fn write(
        &self,
        inv: &Inventory,
        opts: &WriteOptions,
        out: &mut dyn io::Write,
    ) -> Result<(), FormatError> {
        let doc = build_document(inv, opts);
        serde_json::to_writer_pretty(&mut *out, &doc)?;
        out.write_all(b"\n")?;
        Ok(())
    }
}
