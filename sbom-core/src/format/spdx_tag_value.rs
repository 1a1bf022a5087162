//! `spdx-tag-value`: SPDX 2.3 in the `Tag: value` syntax, from the same
//! [`super::spdx_model::Document`] as `spdx-json`.
//!
//! Values that may span lines or contain markup (comments, descriptions, extracted license
//! text) are wrapped in `<text>...</text>`, as the spec requires for multi-line values; we do
//! it for all free text so a stray newline can never end a value early.

use std::io::{self, Write as _};

use super::spdx_model::{build_document, Document, SPDX_VERSION};
use super::{Format, FormatError, WriteOptions, Writer};
use crate::Inventory;

/// The `spdx-tag-value` writer.
///
/// ```
/// use sbom_core::{format::{SpdxTagValue, WriteOptions, Writer}, Inventory};
/// let mut out = Vec::new();
/// SpdxTagValue.write(&Inventory::default(), &WriteOptions::fixed(0), &mut out).unwrap();
/// assert!(String::from_utf8(out).unwrap().starts_with("SPDXVersion: SPDX-2.3\n"));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct SpdxTagValue;

impl SpdxTagValue {
    /// Its entry in [`super::FORMATS`].
    pub const FORMAT: Format = Format {
        id: "spdx-tag-value",
        aliases: &[],
        spec: "SPDX",
        spec_version: Some(SPDX_VERSION),
        description: "SPDX 2.3 in the tag: value syntax",
        // IANA's registration for SPDX tag-value
        media_type: "text/spdx",
        file_extension: "spdx",
        new: || Box::new(SpdxTagValue),
    };
}

/// `<text>..</text>`; a literal `</text>` inside would end the value, so it is broken up.
fn text(s: &str) -> String {
    format!("<text>{}</text>", s.replace("</text>", "< /text>"))
}

/// Single-line values must not contain a newline.
fn line(s: &str) -> String {
    s.split(['\n', '\r']).collect::<Vec<_>>().join(" ")
}

fn render(doc: &Document, w: &mut dyn io::Write) -> io::Result<()> {
    writeln!(w, "SPDXVersion: {}", doc.spdx_version)?;
    writeln!(w, "DataLicense: {}", doc.data_license)?;
    writeln!(w, "SPDXID: {}", doc.spdx_id)?;
    writeln!(w, "DocumentName: {}", line(&doc.name))?;
    writeln!(w, "DocumentNamespace: {}", doc.document_namespace)?;
    if let Some(c) = &doc.comment {
        writeln!(w, "DocumentComment: {}", text(c))?;
    }
    writeln!(w)?;
    writeln!(w, "## Creation Information")?;
    for c in &doc.creation_info.creators {
        writeln!(w, "Creator: {}", line(c))?;
    }
    writeln!(w, "Created: {}", doc.creation_info.created)?;
    if let Some(v) = &doc.creation_info.license_list_version {
        writeln!(w, "LicenseListVersion: {v}")?;
    }

    // files before every package: a file after a package would be read as contained by it;
    // the relationships below say who contains each
    for f in &doc.files {
        writeln!(w)?;
        writeln!(w, "## File")?;
        writeln!(w, "FileName: {}", line(&f.file_name))?;
        writeln!(w, "SPDXID: {}", f.spdx_id)?;
        for c in &f.checksums {
            writeln!(w, "FileChecksum: {}: {}", c.algorithm, c.checksum_value)?;
        }
        writeln!(w, "LicenseConcluded: {}", f.license_concluded)?;
        writeln!(w, "FileCopyrightText: {}", f.copyright_text)?;
        if let Some(c) = &f.comment {
            writeln!(w, "FileComment: {}", text(c))?;
        }
    }

    for p in &doc.packages {
        writeln!(w)?;
        writeln!(w, "## Package")?;
        writeln!(w, "PackageName: {}", line(&p.name))?;
        writeln!(w, "SPDXID: {}", p.spdx_id)?;
        if let Some(v) = &p.version_info {
            writeln!(w, "PackageVersion: {}", line(v))?;
        }
        writeln!(w, "PackageSupplier: {}", line(&p.supplier))?;
        writeln!(w, "PackageDownloadLocation: {}", p.download_location)?;
        writeln!(w, "FilesAnalyzed: {}", p.files_analyzed)?;
        if let Some(v) = &p.package_verification_code {
            writeln!(
                w,
                "PackageVerificationCode: {}",
                v.package_verification_code_value
            )?;
        }
        for c in &p.checksums {
            writeln!(w, "PackageChecksum: {}: {}", c.algorithm, c.checksum_value)?;
        }
        if let Some(h) = &p.homepage {
            writeln!(w, "PackageHomePage: {}", line(h))?;
        }
        if let Some(s) = &p.source_info {
            writeln!(w, "PackageSourceInfo: {}", text(s))?;
        }
        writeln!(w, "PackageLicenseConcluded: {}", p.license_concluded)?;
        writeln!(w, "PackageLicenseDeclared: {}", p.license_declared)?;
        if p.copyright_text == super::spdx_model::NOASSERTION {
            writeln!(w, "PackageCopyrightText: {}", p.copyright_text)?;
        } else {
            writeln!(w, "PackageCopyrightText: {}", text(&p.copyright_text))?;
        }
        if let Some(d) = &p.description {
            writeln!(w, "PackageDescription: {}", text(d))?;
        }
        if let Some(c) = &p.comment {
            writeln!(w, "PackageComment: {}", text(c))?;
        }
        for r in &p.external_refs {
            writeln!(
                w,
                "ExternalRef: {} {} {}",
                r.reference_category, r.reference_type, r.reference_locator
            )?;
        }
        if let Some(pp) = &p.primary_package_purpose {
            // tag-value spells the enum with '-' (OPERATING-SYSTEM), JSON with '_'
            writeln!(w, "PrimaryPackagePurpose: {}", pp.replace('_', "-"))?;
        }
    }

    if !doc.has_extracted_licensing_infos.is_empty() {
        writeln!(w)?;
        writeln!(w, "## License Information")?;
        for e in &doc.has_extracted_licensing_infos {
            writeln!(w, "LicenseID: {}", e.license_id)?;
            writeln!(w, "ExtractedText: {}", text(&e.extracted_text))?;
            writeln!(w, "LicenseName: {}", line(&e.name))?;
        }
    }

    writeln!(w)?;
    writeln!(w, "## Relationships")?;
    for r in &doc.relationships {
        writeln!(
            w,
            "Relationship: {} {} {}",
            r.spdx_element_id, r.relationship_type, r.related_spdx_element
        )?;
    }

    for a in &doc.annotations {
        writeln!(w)?;
        writeln!(w, "## Annotation")?;
        writeln!(w, "Annotator: {}", line(&a.annotator))?;
        writeln!(w, "AnnotationDate: {}", a.annotation_date)?;
        writeln!(w, "AnnotationType: {}", a.annotation_type)?;
        writeln!(w, "SPDXREF: {}", doc.spdx_id)?;
        writeln!(w, "AnnotationComment: {}", text(&a.comment))?;
    }
    Ok(())
}

impl Writer for SpdxTagValue {
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
        // buffer: tag-value is many small writes
        let mut buf = io::BufWriter::new(out);
        render(&doc, &mut buf)?;
        buf.flush()?;
        Ok(())
    }
}
