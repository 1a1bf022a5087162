//! `cyclonedx-xml` (CycloneDX 1.6) and `cyclonedx-xml@1.5`: the same BOM the JSON writer
//! builds ([`super::cyclonedx`]), as XML in the official XSD's element order.
//!
//! Written with `quick-xml`'s writer (escaping, indentation); the element order is the XSD's
//! `xs:sequence` order, which XML validation enforces and JSON does not have, so the BOM is
//! walked here by hand rather than serialised with serde. XML 1.0 cannot carry most control
//! characters even escaped, so they are replaced (see [`xml_text`]); JSON keeps them.

use std::borrow::Cow;
use std::io;

use quick_xml::events::{BytesDecl, BytesText, Event};
use quick_xml::Writer as XmlWriter;

use super::cyclonedx::{
    build, Bom, Component, Evidence, IdentityEvidence, LicenseChoice, SpecVersion,
};
use super::{Format, FormatError, WriteOptions, Writer};
use crate::Inventory;

/// The `cyclonedx-xml` / `cyclonedx-xml@1.5` writer.
///
/// ```
/// use sbom_core::{format::{CycloneDxXml, SpecVersion, WriteOptions, Writer}, Inventory};
/// let mut out = Vec::new();
/// CycloneDxXml(SpecVersion::V1_6).write(&Inventory::default(), &WriteOptions::fixed(0), &mut out).unwrap();
/// let xml = String::from_utf8(out).unwrap();
/// assert!(xml.contains(r#"<bom xmlns="http://cyclonedx.org/schema/bom/1.6""#));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CycloneDxXml(pub SpecVersion);

impl CycloneDxXml {
    /// `cyclonedx-xml`: CycloneDX 1.6 as XML; its entry in [`super::FORMATS`].
    pub const FORMAT_1_6: Format = Format {
        id: "cyclonedx-xml",
        aliases: &["cyclonedx-xml@1.6"],
        spec: "CycloneDX",
        spec_version: Some(SpecVersion::V1_6.as_str()),
        description: "CycloneDX 1.6 as XML",
        media_type: "application/vnd.cyclonedx+xml; version=1.6",
        file_extension: "cdx.xml",
        new: || Box::new(CycloneDxXml(SpecVersion::V1_6)),
    };

    /// `cyclonedx-xml@1.5`: CycloneDX 1.5 as XML; its entry in [`super::FORMATS`].
    pub const FORMAT_1_5: Format = Format {
        id: "cyclonedx-xml@1.5",
        aliases: &[],
        spec: "CycloneDX",
        spec_version: Some(SpecVersion::V1_5.as_str()),
        description: "CycloneDX 1.5 as XML, for consumers without 1.6",
        media_type: "application/vnd.cyclonedx+xml; version=1.5",
        file_extension: "cdx.xml",
        new: || Box::new(CycloneDxXml(SpecVersion::V1_5)),
    };
}

impl Writer for CycloneDxXml {
    fn format(&self) -> &'static Format {
        match self.0 {
            SpecVersion::V1_5 => &Self::FORMAT_1_5,
            SpecVersion::V1_6 => &Self::FORMAT_1_6,
        }
    }

    fn write(
        &self,
        inv: &Inventory,
        opts: &WriteOptions,
        out: &mut dyn io::Write,
    ) -> Result<(), FormatError> {
        let bom = build(inv, opts, self.0);
        let mut w = XmlWriter::new_with_indent(&mut *out, b' ', 2);
        write_bom(&mut w, &bom)?;
        w.into_inner().write_all(b"\n")?;
        Ok(())
    }
}

type W<'a> = XmlWriter<&'a mut dyn io::Write>;

/// `s` without the characters XML 1.0 does not allow anywhere (C0 controls other than tab,
/// newline and carriage return, lone surrogates cannot occur in `str`, U+FFFE and U+FFFF):
/// each becomes U+FFFD, so the document stays well-formed and says something was there.
pub(super) fn xml_text(s: &str) -> Cow<'_, str> {
    let bad = |c: char| {
        (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{FFFE}' | '\u{FFFF}')
    };
    if !s.chars().any(bad) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| if bad(c) { '\u{FFFD}' } else { c })
            .collect(),
    )
}

/// `<name>text</name>`.
fn text(w: &mut W, name: &str, value: &str) -> io::Result<()> {
    w.create_element(name)
        .write_text_content(BytesText::new(&xml_text(value)))?;
    Ok(())
}

fn opt_text(w: &mut W, name: &str, value: Option<&str>) -> io::Result<()> {
    match value {
        Some(v) => text(w, name, v),
        None => Ok(()),
    }
}

/// `1`, `0.7`: XSD decimals, no exponent.
fn decimal(x: f64) -> String {
    let s = format!("{x:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

fn write_bom(w: &mut W, bom: &Bom) -> io::Result<()> {
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let ns = format!("http://cyclonedx.org/schema/bom/{}", bom.spec_version);
    let version = bom.version.to_string();
    w.create_element("bom")
        .with_attribute(("xmlns", ns.as_str()))
        .with_attribute(("serialNumber", bom.serial_number.as_str()))
        .with_attribute(("version", version.as_str()))
        .write_inner_content(|w| {
            w.create_element("metadata").write_inner_content(|w| {
                let m = &bom.metadata;
                text(w, "timestamp", &m.timestamp)?;
                w.create_element("lifecycles").write_inner_content(|w| {
                    for l in &m.lifecycles {
                        w.create_element("lifecycle")
                            .write_inner_content(|w| text(w, "phase", l.phase))?;
                    }
                    Ok(())
                })?;
                w.create_element("tools").write_inner_content(|w| {
                    w.create_element("components").write_inner_content(|w| {
                        m.tools.components.iter().try_for_each(|c| component(w, c))
                    })?;
                    Ok(())
                })?;
                if !m.authors.is_empty() {
                    w.create_element("authors").write_inner_content(|w| {
                        m.authors.iter().try_for_each(|a| contact(w, "author", a))
                    })?;
                }
                component(w, &m.component)?;
                if let Some(o) = &m.manufacturer {
                    w.create_element("manufacturer").write_inner_content(|w| {
                        text(w, "name", &o.name)?;
                        o.contact.iter().try_for_each(|c| contact(w, "contact", c))
                    })?;
                }
                Ok(())
            })?;
            if !bom.components.is_empty() {
                w.create_element("components").write_inner_content(|w| {
                    bom.components.iter().try_for_each(|c| component(w, c))
                })?;
            }
            if !bom.dependencies.is_empty() {
                w.create_element("dependencies").write_inner_content(|w| {
                    for d in &bom.dependencies {
                        let e = w
                            .create_element("dependency")
                            .with_attribute(("ref", xml_text(&d.reference).as_ref()));
                        if d.depends_on.is_empty() {
                            e.write_empty()?;
                        } else {
                            e.write_inner_content(|w| {
                                for to in &d.depends_on {
                                    w.create_element("dependency")
                                        .with_attribute(("ref", xml_text(to).as_ref()))
                                        .write_empty()?;
                                }
                                Ok(())
                            })?;
                        }
                    }
                    Ok(())
                })?;
            }
            if !bom.compositions.is_empty() {
                w.create_element("compositions").write_inner_content(|w| {
                    for c in &bom.compositions {
                        w.create_element("composition").write_inner_content(|w| {
                            text(w, "aggregate", c.aggregate)?;
                            w.create_element("assemblies").write_inner_content(|w| {
                                for a in &c.assemblies {
                                    w.create_element("assembly")
                                        .with_attribute(("ref", xml_text(a).as_ref()))
                                        .write_empty()?;
                                }
                                Ok(())
                            })?;
                            Ok(())
                        })?;
                    }
                    Ok(())
                })?;
            }
            Ok(())
        })?;
    Ok(())
}

/// An `organizationalContact` named `tag`.
fn contact(w: &mut W, tag: &str, c: &super::cyclonedx::Contact) -> io::Result<()> {
    w.create_element(tag).write_inner_content(|w| {
        text(w, "name", &c.name)?;
        opt_text(w, "email", c.email.as_deref())
    })?;
    Ok(())
}

fn component(w: &mut W, c: &Component) -> io::Result<()> {
    let mut e = w.create_element("component").with_attribute(("type", c.ty));
    let bom_ref = c.bom_ref.as_deref().map(xml_text);
    if let Some(r) = &bom_ref {
        e = e.with_attribute(("bom-ref", r.as_ref()));
    }
    e.write_inner_content(|w| {
        if let Some(s) = &c.supplier {
            w.create_element("supplier")
                .write_inner_content(|w| text(w, "name", &s.name))?;
        }
        text(w, "name", &c.name)?;
        opt_text(w, "version", c.version.as_deref())?;
        opt_text(w, "description", c.description.as_deref())?;
        if !c.hashes.is_empty() {
            w.create_element("hashes").write_inner_content(|w| {
                for h in &c.hashes {
                    w.create_element("hash")
                        .with_attribute(("alg", h.alg))
                        .write_text_content(BytesText::new(&h.content))?;
                }
                Ok(())
            })?;
        }
        if !c.licenses.is_empty() {
            w.create_element("licenses")
                .write_inner_content(|w| c.licenses.iter().try_for_each(|l| license(w, l)))?;
        }
        opt_text(w, "copyright", c.copyright.as_deref())?;
        opt_text(w, "cpe", c.cpe.as_deref())?;
        opt_text(w, "purl", c.purl.as_deref())?;
        if !c.external_references.is_empty() {
            w.create_element("externalReferences")
                .write_inner_content(|w| {
                    for r in &c.external_references {
                        w.create_element("reference")
                            .with_attribute(("type", r.ty))
                            .write_inner_content(|w| text(w, "url", &r.url))?;
                    }
                    Ok(())
                })?;
        }
        if !c.properties.is_empty() {
            w.create_element("properties").write_inner_content(|w| {
                for p in &c.properties {
                    w.create_element("property")
                        .with_attribute(("name", xml_text(&p.name).as_ref()))
                        .write_text_content(BytesText::new(&xml_text(&p.value)))?;
                }
                Ok(())
            })?;
        }
        if !c.components.is_empty() {
            w.create_element("components")
                .write_inner_content(|w| c.components.iter().try_for_each(|n| component(w, n)))?;
        }
        if let Some(ev) = &c.evidence {
            evidence(w, ev)?;
        }
        Ok(())
    })?;
    Ok(())
}

fn license(w: &mut W, l: &LicenseChoice) -> io::Result<()> {
    match l {
        LicenseChoice::License { license } => {
            let mut e = w.create_element("license");
            if let Some(a) = license.acknowledgement {
                e = e.with_attribute(("acknowledgement", a));
            }
            e.write_inner_content(|w| {
                opt_text(w, "id", license.id.as_deref())?;
                opt_text(w, "name", license.name.as_deref())
            })?;
        }
        LicenseChoice::Expression {
            expression,
            acknowledgement,
        } => {
            let mut e = w.create_element("expression");
            if let Some(a) = acknowledgement {
                e = e.with_attribute(("acknowledgement", *a));
            }
            e.write_text_content(BytesText::new(&xml_text(expression)))?;
        }
    }
    Ok(())
}

fn evidence(w: &mut W, ev: &Evidence) -> io::Result<()> {
    let identities = match &ev.identity {
        IdentityEvidence::One(i) => std::slice::from_ref(i),
        IdentityEvidence::List(l) => l.as_slice(),
    };
    w.create_element("evidence").write_inner_content(|w| {
        for i in identities {
            w.create_element("identity").write_inner_content(|w| {
                text(w, "field", i.field)?;
                text(w, "confidence", &decimal(i.confidence))?;
                opt_text(w, "concludedValue", i.concluded_value.as_deref())?;
                w.create_element("methods").write_inner_content(|w| {
                    for m in &i.methods {
                        w.create_element("method").write_inner_content(|w| {
                            text(w, "technique", m.technique)?;
                            text(w, "confidence", &decimal(m.confidence))?;
                            text(w, "value", &m.value)
                        })?;
                    }
                    Ok(())
                })?;
                Ok(())
            })?;
        }
        if !ev.occurrences.is_empty() {
            w.create_element("occurrences").write_inner_content(|w| {
                for o in &ev.occurrences {
                    w.create_element("occurrence").write_inner_content(|w| {
                        text(w, "location", &o.location)?;
                        opt_text(w, "additionalContext", o.additional_context.as_deref())
                    })?;
                }
                Ok(())
            })?;
        }
        Ok(())
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_do_not_reach_the_xml() {
        assert_eq!(xml_text("a\tb\nc"), "a\tb\nc");
        assert_eq!(xml_text("evil\u{1b}[0m\u{0}"), "evil\u{FFFD}[0m\u{FFFD}");
    }

    #[test]
    fn decimals_have_no_exponent() {
        assert_eq!(decimal(1.0), "1");
        assert_eq!(decimal(0.7), "0.7");
    }

    #[test]
    fn text_is_escaped() {
        let mut inv = Inventory::default();
        let mut p = crate::Package::new(crate::Ecosystem::Npm, "a<b>&\"c", "1");
        p.database_path = "/x/package.json".into();
        inv.packages.push(p);
        inv.finalize();
        let mut out = Vec::new();
        CycloneDxXml(SpecVersion::V1_6)
            .write(&inv, &WriteOptions::fixed(0), &mut out)
            .unwrap();
        let xml = String::from_utf8(out).unwrap();
        assert!(xml.contains("<name>a&lt;b&gt;&amp;&quot;c</name>"), "{xml}");
    }
}
