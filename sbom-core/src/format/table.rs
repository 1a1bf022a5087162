//! `table`: a report for people, layer by layer (in the spirit of Tern's report).
//!
//! For each layer: index, short diff_id, size, the instruction that made it (with the
//! Dockerfile line range when known), the distro if the layer changed it, and the packages it
//! added, changed and removed. Long package lists are cut to the first
//! [`COLLAPSE_AFTER`] names plus "and N more" unless [`Table::full`]; everything is
//! wrapped to [`Table::width`]. A summary follows: distro, totals per ecosystem,
//! warnings, and a loud `INCOMPLETE` when packages may be missing.
//!
//! Those two options are the table's own, not [`WriteOptions`]: no other format has a
//! terminal to fit.

use std::collections::BTreeMap;
use std::io;

use super::util::{human_size, layer_instruction, layer_label, one_line, printable};
use super::{Format, FormatError, WriteOptions, Writer};
use crate::{Ecosystem, Inventory};

/// How many names a list shows before "and N more" (unless [`Table::full`]).
pub const COLLAPSE_AFTER: usize = 8;

/// The `table` writer, with its options: how wide the report may be and whether long package
/// lists are shown in full.
///
/// ```
/// use sbom_core::{format::{Table, WriteOptions, Writer}, Inventory};
/// let mut out = Vec::new();
/// Table::new()
///     .full(true)
///     .width(100)
///     .write(&Inventory::default(), &WriteOptions::fixed(0), &mut out)
///     .unwrap();
/// assert!(String::from_utf8(out).unwrap().contains("Summary"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    full: bool,
    width: usize,
}

impl Table {
    /// Its entry in [`super::FORMATS`]; `text` selects it too.
    pub const FORMAT: Format = Format {
        id: "table",
        aliases: &["text"],
        spec: "text report",
        spec_version: None,
        description: "a layer-by-layer report for people",
        media_type: "text/plain; charset=utf-8",
        file_extension: "txt",
        new: || Box::new(Table::new()),
    };

    /// The width when none is set: what a terminal has when it does not say.
    pub const DEFAULT_WIDTH: usize = 80;

    /// Lists collapsed after [`COLLAPSE_AFTER`] names, [`Table::DEFAULT_WIDTH`] columns.
    pub fn new() -> Self {
        Table {
            full: false,
            width: Self::DEFAULT_WIDTH,
        }
    }

    /// Show every package of a layer instead of the first [`COLLAPSE_AFTER`] and "and N more".
    pub fn full(mut self, full: bool) -> Self {
        self.full = full;
        self
    }

    /// Wrap lines to `width` columns (at least 20; a word longer than a line, such as a
    /// digest, is kept whole).
    pub fn width(mut self, width: usize) -> Self {
        self.width = width;
        self
    }
}

impl Default for Table {
    fn default() -> Self {
        Self::new()
    }
}

/// Greedy word wrap: `first` starts the first line, `indent` the others. Words longer than a
/// line are left whole rather than split (package names must stay copy-pasteable).
fn wrap(first: &str, indent: &str, text: &str, width: usize) -> String {
    // everything shown comes through here; what came from the image may hold escapes
    let text = printable(text);
    let width = width.max(20);
    let mut out = String::new();
    let mut line = first.to_string();
    let mut line_has_word = false;
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let need = if line_has_word { 1 } else { 0 } + word.chars().count();
        if line_has_word && line.chars().count() + need > width {
            out.push_str(line.trim_end());
            out.push('\n');
            line = indent.to_string();
            line_has_word = false;
        }
        if line_has_word {
            line.push(' ');
        }
        line.push_str(word);
        line_has_word = true;
    }
    out.push_str(line.trim_end());
    out.push('\n');
    out
}

/// `a 1.0, b 2.0, c 3.0 and 5 more`. Inside one entry the spaces are no-break spaces so
/// [`wrap`] never puts a name and its version on different lines; [`render`] turns them back.
fn name_list(names: &[String], full: bool) -> String {
    let glue = |v: &[String]| {
        v.iter()
            .map(|n| n.replace(' ', NBSP))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if full || names.len() <= COLLAPSE_AFTER {
        return glue(names);
    }
    format!(
        "{} and {} more",
        glue(&names[..COLLAPSE_AFTER]),
        names.len() - COLLAPSE_AFTER
    )
}

const NBSP: &str = "\u{a0}";

/// `deb 3, python 1`.
fn per_ecosystem<'a>(it: impl Iterator<Item = Ecosystem> + 'a) -> String {
    let mut m: BTreeMap<Ecosystem, usize> = BTreeMap::new();
    for e in it {
        *m.entry(e).or_default() += 1;
    }
    m.iter()
        .map(|(e, n)| format!("{e} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn render(inv: &Inventory, table: &Table) -> String {
    let w = table.width;
    let mut s = String::new();
    let img = &inv.image;
    let name = if img.name.is_empty() {
        "(unnamed image)"
    } else {
        &img.name
    };
    s += &wrap(
        "Image: ",
        "       ",
        &format!("{name} ({}, {})", img.source_kind, img.platform),
        w,
    );
    if let Some(d) = img.manifest_digest.as_ref().or(img.config_digest.as_ref()) {
        s += &wrap("Digest: ", "        ", d, w);
    }
    if inv.is_incomplete() {
        s.push('\n');
        s += &wrap(
            "*** ",
            "    ",
            "INCOMPLETE: some package data could not be read; packages may be missing ***",
            w,
        );
    }

    // the base image's layers under one heading, then the layers the Dockerfile made
    fn base_of(l: &crate::LayerInfo) -> Option<&crate::DockerfileRef> {
        l.dockerfile.as_ref().filter(|d| d.from_base_image)
    }
    let mut in_base = false;
    for l in &inv.layers {
        match (base_of(l), in_base) {
            (Some(d), false) => {
                s.push('\n');
                s += &wrap(
                    "Base image: ",
                    "    ",
                    &format!("Dockerfile:{} {}", d.line_range(), one_line(&d.text)),
                    w,
                );
                in_base = true;
            }
            (None, true) if l.dockerfile.is_some() => {
                s.push('\n');
                s += "Built by the Dockerfile:\n";
                in_base = false;
            }
            _ => {}
        }
        s.push('\n');
        s += &format!(
            "Layer {}  {}  {}\n",
            l.index,
            if l.diff_id.is_empty() {
                "-".into()
            } else {
                printable(l.short_diff_id())
            },
            human_size(l.size)
        );
        // a base layer's own instruction, from the base image's history
        let label = match base_of(l) {
            Some(_) => layer_instruction(l),
            None => layer_label(l),
        };
        match label {
            Some(label) => s += &wrap("  ", "    ", &label, w),
            None => s += "  (instruction unknown)\n",
        }
        if let Some(d) = &l.distro {
            s += &wrap("  Distro: ", "    ", &d.display_name(), w);
        }
        if !l.added.is_empty() {
            let names: Vec<String> = l
                .added
                .iter()
                .map(|p| format!("{} {}", p.name, p.version))
                .collect();
            let head = format!(
                "  Added {} ({}): ",
                l.added.len(),
                per_ecosystem(l.added.iter().map(|p| p.ecosystem))
            );
            s += &wrap(&head, "    ", &name_list(&names, table.full), w);
        }
        if !l.changed.is_empty() {
            let names: Vec<String> = l
                .changed
                .iter()
                .map(|c| {
                    // downgrades are rare and worth a look; upgrades are the norm
                    let mark = match c.direction {
                        Some(crate::ChangeDirection::Downgrade) => " (downgrade)",
                        _ => "",
                    };
                    format!("{} {} -> {}{mark}", c.name, c.from_version, c.to_version)
                })
                .collect();
            let head = format!("  Changed {}: ", l.changed.len());
            s += &wrap(&head, "    ", &name_list(&names, table.full), w);
        }
        if !l.removed.is_empty() {
            let names: Vec<String> = l
                .removed
                .iter()
                .map(|p| format!("{} {}", p.name, p.version))
                .collect();
            let head = format!("  Removed {}: ", l.removed.len());
            s += &wrap(&head, "    ", &name_list(&names, table.full), w);
        }
        if l.added.is_empty() && l.changed.is_empty() && l.removed.is_empty() {
            s += "  No package changes\n";
        }
    }

    s += "\nSummary\n";
    match &inv.distro {
        Some(d) => s += &wrap("  Distro: ", "    ", &d.display_name(), w),
        None => s += "  Distro: unknown\n",
    }
    let installed: Vec<_> = inv.installed().collect();
    let by_eco = per_ecosystem(installed.iter().map(|p| p.ecosystem));
    let total = if by_eco.is_empty() {
        format!("{}", installed.len())
    } else {
        format!("{} ({by_eco})", installed.len())
    };
    s += &wrap("  Packages: ", "    ", &total, w);
    let removed = inv.packages.len() - installed.len();
    if removed > 0 {
        s += &format!("  Removed by later layers: {removed}\n");
    }
    s += &format!("  Layers: {}\n", inv.layers.len());
    if inv.warnings.is_empty() {
        s += "  Warnings: none\n";
    } else {
        s += &format!("  Warnings: {}\n", inv.warnings.len());
        for wa in &inv.warnings {
            let mut t = String::new();
            if let Some(p) = &wa.path {
                t += p;
                if let Some(l) = wa.layer {
                    t += &format!(" (layer {l})");
                }
                t += ": ";
            } else if let Some(l) = wa.layer {
                t += &format!("layer {l}: ");
            }
            t += &wa.message;
            if wa.incomplete {
                t += " [incomplete]";
            }
            s += &wrap("    - ", "      ", &t, w);
        }
    }
    if inv.is_incomplete() {
        s.push('\n');
        s += &wrap(
            "*** ",
            "    ",
            "INCOMPLETE: this inventory may be missing packages (see warnings) ***",
            w,
        );
    }
    // no-break spaces were only for wrapping; terminals and diffs want plain ones
    s.replace(NBSP, " ")
}

impl Writer for Table {
    fn format(&self) -> &'static Format {
        &Self::FORMAT
    }

    /// The report has no creation time or identifier: `_opts` is not read.
    fn write(
        &self,
        inv: &Inventory,
        _opts: &WriteOptions,
        out: &mut dyn io::Write,
    ) -> Result<(), FormatError> {
        out.write_all(render(inv, self).as_bytes())?;
        out.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_at_width_and_keeps_long_words() {
        let t = wrap("  Added: ", "    ", "aaaa bbbb cccc dddd eeee ffff", 20);
        for l in t.lines() {
            assert!(l.chars().count() <= 20, "{l:?}");
        }
        assert!(t.lines().count() > 1);
        let long = "x".repeat(50);
        assert!(wrap("- ", "  ", &long, 20).contains(&long));
    }

    #[test]
    fn text_from_the_image_cannot_drive_the_terminal() {
        let mut inv = Inventory::default();
        inv.image.name = "img\u{1b}[2J".into();
        inv.warnings.push(crate::Warning {
            path: Some("/x\n*** fake line".into()),
            layer: None,
            message: "m\u{9b}31m".into(),
            incomplete: false,
        });
        let out = render(&inv, &Table::new());
        assert!(!out.chars().any(|c| c.is_control() && c != '\n'), "{out:?}");
        assert!(!out.lines().any(|l| l.starts_with("***")), "{out}");
        assert!(out.contains("img\\u{1b}[2J"), "{out}");
    }

    #[test]
    fn collapses_long_lists() {
        let names: Vec<String> = (0..20).map(|i| format!("p{i}")).collect();
        assert!(name_list(&names, false).ends_with("and 12 more"));
        assert!(name_list(&names, true).ends_with("p19"));
    }
}
