//! SBOM writers: one module per output format, all behind [`Writer`], all listed in one
//! registry, [`FORMATS`].
//!
//! Each writer declares what it writes as a [`Format`]: the name users select it by, other
//! names that select it too, the specification and version it follows, a line for `--help`,
//! its media type and file extension. Everything that names formats derives from the
//! registry: [`find`] and [`writer_for`], [`FORMAT_NAMES`], the error for an unknown name, and
//! the command line's `-o` help and parsing. Nothing else keeps a list.
//!
//! **Adding a format** is one module with a type that implements [`Writer`] (its
//! [`Writer::format`] returning the type's own `FORMAT` descriptor), and one entry in
//! [`FORMATS`]. A name that collides with another format's fails the build.
//!
//! Options every document needs (creation time, reproducibility) are [`WriteOptions`];
//! options of one format belong to its writer, as the table's width does to [`Table`].
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
mod cyclonedx_xml;
mod in_toto;
mod native_json;
mod spdx3_json;
mod spdx_json;
pub mod spdx_model;
mod spdx_tag_value;
mod table;
mod util;

use std::io;

use sha2::{Digest, Sha256};

use crate::Inventory;

pub use cyclonedx::{CycloneDx, SpecVersion};
pub use cyclonedx_xml::CycloneDxXml;
pub use in_toto::{
    subject_name, InToto, Predicate, PREDICATE_CYCLONEDX, PREDICATE_SPDX, STATEMENT_TYPE,
};
pub use native_json::{NativeJson, NATIVE_SCHEMA_VERSION};
pub use spdx3_json::{Spdx3Json, SPDX3_CONTEXT, SPDX3_VERSION};
pub use spdx_json::SpdxJson;
pub use spdx_tag_value::SpdxTagValue;
pub use table::{Table, COLLAPSE_AFTER};
pub use util::{human_size, printable};

/// Why a document could not be written, or its format not found.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    /// The output could not be written to (a full disk, a closed pipe).
    #[error("writing the document: {0}")]
    Io(#[from] io::Error),
    /// The document could not be serialised as JSON.
    #[error("serialising the document: {0}")]
    Json(#[from] serde_json::Error),
    /// No format in [`FORMATS`] has this name; the message lists the ones that do.
    #[error("unknown output format {0:?} (known: {known})", known = FORMAT_NAMES.join(", "))]
    UnknownFormat(String),
    /// SPDX 2.3 requires a SHA-1 on every file, and the file inventory was made without
    /// them (layer-walker's `Scanner::file_sha1(false)`); the value is the first such path.
    #[error("{0}: the file inventory has no SHA-1 for this file, and SPDX 2.3 requires one on every file; scan with SHA-1 on (layer-walker's Scanner::file_sha1(true))")]
    FileWithoutSha1(String),
    /// An attestation needs the image's manifest digest and the source recorded none (a
    /// classic `docker save` archive, a root filesystem); the value names the image.
    #[error("{0}: no manifest digest is known for this image (a classic docker-save archive or a root filesystem has none), and an in-toto subject must be the manifest digest the registry serves, not the config digest; scan an OCI layout or the registry image")]
    NoManifestDigest(String),
}

/// What every document needs besides the inventory: when it was made and what makes it unique.
///
/// Options that only one format reads belong to that format's writer (the table's width and
/// `full` listing are [`Table`]'s), so this stays what all of them share.
///
/// ```
/// use sbom_core::format::WriteOptions;
/// let opts = WriteOptions::fixed(1_700_000_000);
/// assert!(opts.reproducible);
/// assert_eq!(opts.created_rfc3339(), "2023-11-14T22:13:20Z");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteOptions {
    /// Seconds since the Unix epoch, written as the document's creation time.
    pub created_unix: i64,
    /// True when the timestamp came from `SOURCE_DATE_EPOCH`: then the document namespace
    /// and serial number are derived from the image, so the bytes are reproducible.
    pub reproducible: bool,
    /// Who made the document besides this program (`--creator`): `Organization: NAME
    /// (MAIL)`, `Person: NAME (MAIL)` or `Name <mail>`. Written as an SPDX 2 creator, an
    /// SPDX 3 `createdBy` agent with its e-mail, CycloneDX `metadata.authors` (and 1.6
    /// `metadata.manufacturer` for an organisation). `None`: only the tool is named, as a
    /// contact is never made up.
    pub creator: Option<String>,
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
            creator: None,
        }
    }

    /// Options with a fixed timestamp: documents are byte-identical for the same image.
    pub fn fixed(created_unix: i64) -> Self {
        WriteOptions {
            created_unix,
            reproducible: true,
            creator: None,
        }
    }

    /// The same options with `creator` as the document's creator (blank: none).
    pub fn with_creator(mut self, creator: Option<String>) -> Self {
        self.creator = creator.filter(|c| !c.trim().is_empty());
        self
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

    /// A version 4 style UUID from [`WriteOptions::unique_bytes`]: the SPDX namespace's and
    /// the CycloneDX serial number's.
    ///
    /// ```
    /// use sbom_core::{format::WriteOptions, Inventory};
    /// let inv = Inventory::default();
    /// let fixed = WriteOptions::fixed(1_700_000_000);
    /// assert_eq!(fixed.uuid(&inv, "cdx"), fixed.uuid(&inv, "cdx"));
    /// assert_ne!(fixed.uuid(&inv, "cdx"), fixed.uuid(&inv, "spdx"));
    /// assert_eq!(&fixed.uuid(&inv, "cdx")[14..15], "4");
    /// ```
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

/// An output format's writer.
///
/// Writers are stateless apart from their own options, so one can write any number of
/// documents, from several threads.
pub trait Writer: Send + Sync {
    /// The registry entry of the format this writer writes: its names, version, media type.
    fn format(&self) -> &'static Format;

    /// The name users select it by: the [`Format::id`] of [`Writer::format`].
    fn name(&self) -> &'static str {
        self.format().id
    }

    /// Whether the document needs a SHA-1 of every file in [`Inventory::files`] (SPDX 2.3
    /// requires one; the writer fails without). A scanner can skip computing SHA-1s, half
    /// the hashing of a file scan, when no writer it feeds needs them.
    ///
    /// ```
    /// use sbom_core::format::writer_for;
    /// assert!(writer_for("spdx-json")?.needs_file_sha1());
    /// assert!(!writer_for("cyclonedx-json")?.needs_file_sha1());
    /// # Ok::<(), sbom_core::format::FormatError>(())
    /// ```
    fn needs_file_sha1(&self) -> bool {
        false
    }

    /// Writes `inv` as one document.
    fn write(
        &self,
        inv: &Inventory,
        opts: &WriteOptions,
        out: &mut dyn io::Write,
    ) -> Result<(), FormatError>;
}

/// One output format, as users select it and as tools downstream identify it: the registry's
/// entry for a writer, declared by the writer's module (`Table::FORMAT`, ...).
///
/// ```
/// use sbom_core::format::find;
/// let f = find("cyclonedx-json@1.6").unwrap();
/// assert_eq!(f.id, "cyclonedx-json");
/// assert_eq!(f.spec_version, Some("1.6"));
/// assert_eq!(f.media_type, "application/vnd.cyclonedx+json; version=1.6");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Format {
    /// The name users select it by (`-o spdx-json`, [`writer_for`]), and that
    /// [`FORMAT_NAMES`] lists.
    pub id: &'static str,
    /// Other names that select it: older or more explicit spellings (`text` for `table`,
    /// `cyclonedx-json@1.6` for `cyclonedx-json`). Not listed as formats of their own.
    pub aliases: &'static [&'static str],
    /// The specification the document follows (`SPDX`, `CycloneDX`), or what the output is
    /// when it follows none.
    pub spec: &'static str,
    /// The version of [`Format::spec`] written (`2.3`, `1.6`; the native JSON's
    /// [`NATIVE_SCHEMA_VERSION`]); `None` when the output is not versioned (the table).
    pub spec_version: Option<&'static str>,
    /// One line for `--help`: what the document is and who it is for.
    pub description: &'static str,
    /// The document's media type (IANA registered where one is), with the spec version as a
    /// parameter where the registration defines one: what an OCI artifact or attestation
    /// carrying the document declares.
    pub media_type: &'static str,
    /// The conventional file name extension, without the leading dot (`spdx.json`).
    pub file_extension: &'static str,
    /// Makes the writer, with its default options.
    new: fn() -> Box<dyn Writer>,
}

impl Format {
    /// The writer of this format, with its default options (a format with options of its
    /// own, like [`Table`], can also be built directly).
    pub fn writer(&self) -> Box<dyn Writer> {
        (self.new)()
    }

    /// Every name that selects this format: [`Format::id`], then [`Format::aliases`].
    pub fn names(&self) -> impl Iterator<Item = &'static str> {
        std::iter::once(self.id).chain(self.aliases.iter().copied())
    }

    /// True when `name` selects this format (exactly: names are case-sensitive).
    pub fn is_named(&self, name: &str) -> bool {
        self.names().any(|n| n == name)
    }
}

/// Two descriptors are the same format when they have the same [`Format::id`]: the registry
/// guarantees ids are unique, and constructors cannot be compared meaningfully.
impl PartialEq for Format {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for Format {}

/// Every output format, in the order help and error messages list them. The one list: a new
/// format is added here and nowhere else.
pub const FORMATS: &[Format] = &[
    NativeJson::FORMAT,
    SpdxJson::FORMAT,
    SpdxTagValue::FORMAT,
    Spdx3Json::FORMAT,
    // the newest CycloneDX we write is the default; older versions are `@`-suffixed
    CycloneDx::FORMAT_1_6,
    CycloneDx::FORMAT_1_5,
    CycloneDxXml::FORMAT_1_6,
    CycloneDxXml::FORMAT_1_5,
    Table::FORMAT,
    InToto::FORMAT_SPDX,
    InToto::FORMAT_CYCLONEDX,
];

/// The [`Format::id`] of every format in [`FORMATS`], in the same order (aliases are left
/// out: they are other spellings, not other formats).
pub const FORMAT_NAMES: &[&str] = &format_ids();

const fn format_ids() -> [&'static str; FORMATS.len()] {
    let mut ids = [""; FORMATS.len()];
    let mut i = 0;
    while i < FORMATS.len() {
        ids[i] = FORMATS[i].id;
        i += 1;
    }
    ids
}

// Two formats answering to one name would make the second unreachable: refuse to build.
const _: () = assert!(
    names_are_unique(),
    "two formats in FORMATS share a name (id or alias)"
);

const fn names_are_unique() -> bool {
    let mut a = 0;
    while a < FORMATS.len() {
        let mut b = a;
        while b < FORMATS.len() {
            let mut i = 0;
            while i <= FORMATS[a].aliases.len() {
                let x = name_at(&FORMATS[a], i);
                let mut j = 0;
                while j <= FORMATS[b].aliases.len() {
                    let same_name = a == b && i == j;
                    if !same_name && str_eq(x, name_at(&FORMATS[b], j)) {
                        return false;
                    }
                    j += 1;
                }
                i += 1;
            }
            b += 1;
        }
        a += 1;
    }
    true
}

/// The id at 0, then the aliases.
const fn name_at(f: &Format, i: usize) -> &'static str {
    if i == 0 {
        f.id
    } else {
        f.aliases[i - 1]
    }
}

const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The format a name (an id or an alias) selects.
///
/// ```
/// use sbom_core::format::find;
/// assert_eq!(find("text").unwrap().id, "table");
/// let err = find("spdx-yaml").unwrap_err().to_string();
/// assert!(err.contains("spdx-yaml") && err.contains("spdx-json"), "{err}");
/// ```
pub fn find(name: &str) -> Result<&'static Format, FormatError> {
    FORMATS
        .iter()
        .find(|f| f.is_named(name))
        .ok_or_else(|| FormatError::UnknownFormat(name.to_string()))
}

/// The writer, with default options, for a format name (an id or an alias).
pub fn writer_for(name: &str) -> Result<Box<dyn Writer>, FormatError> {
    find(name).map(Format::writer)
}
