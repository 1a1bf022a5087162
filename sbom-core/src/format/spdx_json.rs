//! `spdx-json`: SPDX 2.3 as JSON, from [`super::spdx_model`].

use std::io;

use super::spdx_model::{build_document, SPDX_VERSION};
use super::{Format, FormatError, WriteOptions, Writer};
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
#[derive(Debug, Clone, Copy, Default)]
pub struct SpdxJson;

impl SpdxJson {
    /// Its entry in [`super::FORMATS`].
    pub const FORMAT: Format = Format {
        id: "spdx-json",
        aliases: &[],
        spec: "SPDX",
        spec_version: Some(SPDX_VERSION),
        description: "SPDX 2.3 as JSON",
        media_type: "application/spdx+json",
        file_extension: "spdx.json",
        new: || Box::new(SpdxJson),
    };
}

impl Writer for SpdxJson {
    fn format(&self) -> &'static Format {
        &Self::FORMAT
    }

    fn needs_file_sha1(&self) -> bool {
        true
    }

    fn write(
        &self,
        inv: &Inventory,
        opts: &WriteOptions,
        out: &mut dyn io::Write,
    ) -> Result<(), FormatError> {
        let doc = build_document(inv, opts)?;
        serde_json::to_writer_pretty(&mut *out, &doc)?;
        out.write_all(b"\n")?;
        Ok(())
    }
}
