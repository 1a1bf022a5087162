//! SBOM writers: one module per output format, all behind [`Writer`].
//!
//! Adding a format is adding a module with a type that implements [`Writer`] and one line in
//! [`writer_for`].
//!
//! ```
//! use sbom_core::{format::{writer_for, WriteOptions}, Inventory};
//! let mut inv = Inventory::default();
//! inv.finalize();
//! let writer = writer_for("json").unwrap();
//! let mut out = Vec::new();
//! writer.write(&inv, &WriteOptions::fixed(0), &mut out).unwrap();
//! assert!(out.starts_with(b"{"));
//! ```

mod cyclonedx;
mod native_json;
mod spdx_json;
pub mod spdx_model;
mod spdx_tag_value;
mod table;
mod util;

use std::io;

use sha2::{Digest, Sha256};

use crate::Inventory;

pub use cyclonedx::{CycloneDx, SpecVersion};
pub use native_json::NativeJson;
pub use spdx_json::SpdxJson;
pub use spdx_tag_value::SpdxTagValue;
pub use table::Table;
pub use util::printable;

/// Why a document could not be written.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    #[error("writing the document: {0}")]
    Io(#[from] io::Error),
    #[error("serialising the document: {0}")]
    Json(#[from] serde_json::Error),
    #[error("unknown output format {0:?} (known: {1})")]
    UnknownFormat(String, String),
}

/// What a document needs besides the inventory: when it was made and what makes it unique.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteOptions {
    /// Seconds since the Unix epoch, written as the document's creation time.
    pub created_unix: i64,
    /// True when the timestamp came from `SOURCE_DATE_EPOCH`: then the document namespace
    /// and serial number are derived from the image, so the bytes are reproducible.
    pub reproducible: bool,
    /// Show every package in human reports instead of collapsing long lists.
    pub verbose: bool,
    /// Terminal width for human reports.
    pub width: usize,
}

impl WriteOptions {
    /// Options for "now", or for `SOURCE_DATE_EPOCH` when that is set (reproducible builds).
    pub fn from_env() -> Self {
        if let Some(t) = std::env::var("SOURCE_DATE_EPOCH")
            .ok()
            .and_then(|s| s.trim().parse::<i64>().ok())
        {
            return Self::fixed(t);
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        WriteOptions {
            created_unix: now,
            reproducible: false,
            verbose: false,
            width: 80,
        }
    }

    /// Options with a fixed timestamp: documents are byte-identical for the same image.
    pub fn fixed(created_unix: i64) -> Self {
        WriteOptions {
            created_unix,
            reproducible: true,
            verbose: false,
            width: 80,
        }
    }

    /// `2024-01-02T03:04:05Z`: whole seconds, as SPDX requires.
    pub fn created_rfc3339(&self) -> String {
        let t = time::OffsetDateTime::from_unix_timestamp(self.created_unix)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        let f = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
        t.format(&f)
            .unwrap_or_else(|_| "1970-01-01T00:00:00Z".into())
    }

    /// 16 bytes that identify this document: derived from the image and the format when
    /// reproducible, random-ish (time and process) otherwise.
    pub fn unique_bytes(&self, inv: &Inventory, format: &str) -> [u8; 16] {
        let mut h = Sha256::new();
        h.update(format.as_bytes());
        h.update(inv.image.config_digest.as_deref().unwrap_or("").as_bytes());
        h.update(
            inv.image
                .manifest_digest
                .as_deref()
                .unwrap_or("")
                .as_bytes(),
        );
        for l in &inv.layers {
            h.update(l.diff_id.as_bytes());
        }
        h.update(self.created_unix.to_le_bytes());
        if !self.reproducible {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0);
            h.update(nanos.to_le_bytes());
            h.update(std::process::id().to_le_bytes());
            let local = 0u8;
            h.update((&local as *const u8 as usize).to_le_bytes());
        }
        let d = h.finalize();
        let mut out = [0u8; 16];
        out.copy_from_slice(&d[..16]);
        out
    }

    /// A version 4 style UUID from [`WriteOptions::unique_bytes`].
    pub fn uuid(&self, inv: &Inventory, format: &str) -> String {
        let mut b = self.unique_bytes(inv, format);
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
        format!(
            "{}-{}-{}-{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..32]
        )
    }
}

/// An output format.
pub trait Writer: Send + Sync {
    /// The name users select it by (`spdx-json`, `cyclonedx-json@1.5`, ...).
    fn name(&self) -> &'static str;
    /// Writes `inv` as one document.
    fn write(
        &self,
        inv: &Inventory,
        opts: &WriteOptions,
        out: &mut dyn io::Write,
    ) -> Result<(), FormatError>;
}

/// Every format name [`writer_for`] knows.
pub const FORMAT_NAMES: &[&str] = &[
    "json",
    "spdx-json",
    "spdx-tag-value",
    "cyclonedx-json",
    "cyclonedx-json@1.5",
    "table",
];

/// The writer for a format name.
pub fn writer_for(name: &str) -> Result<Box<dyn Writer>, FormatError> {
    match name {
        "json" => Ok(Box::new(NativeJson)),
        "spdx-json" => Ok(Box::new(SpdxJson)),
        "spdx-tag-value" => Ok(Box::new(SpdxTagValue)),
        // the newest version we write is the default; `@1.6` spelled out is accepted too
        "cyclonedx-json" | "cyclonedx-json@1.6" => Ok(Box::new(CycloneDx(SpecVersion::V1_6))),
        "cyclonedx-json@1.5" => Ok(Box::new(CycloneDx(SpecVersion::V1_5))),
        "table" => Ok(Box::new(Table)),
        other => Err(FormatError::UnknownFormat(
            other.to_string(),
            FORMAT_NAMES.join(", "),
        )),
    }
}
