//! What `/usr/share/doc/<pkg>/copyright` says about licenses and copyright holders.
//!
//! A machine-readable file (DEP-5, "Machine-readable debian/copyright file", format 1.0)
//! starts with a `Format:` header paragraph, then `Files:` paragraphs, each naming the
//! `Copyright:` holders and the `License:` (a short name or an expression of them, on the
//! field's first line) of the files it matches, then stand-alone `License:` paragraphs with
//! license texts. Free-form files give no license at all (guessing one from prose is not
//! done), only their own `Copyright ...` lines.

/// What a copyright file states.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CopyrightFile {
    /// Every `License:` short name of a DEP-5 file (all paragraphs), first-seen order, no
    /// duplicates; empty for free-form files.
    pub licenses: Vec<String>,
    /// The `License:` names of the paragraphs that say which files they cover (`Files:`,
    /// and the header's when it has one), when the file is DEP-5, has at least one `Files:`
    /// paragraph and every one of them names a license: the Debian maintainer's conclusion
    /// of what licenses the package's sources are under. `None` otherwise.
    pub concluded: Option<Vec<String>>,
    /// The copyright notices as the file writes them, one a line, first-seen order, no
    /// duplicates: a DEP-5 file's `Copyright:` fields, or a free-form file's lines that
    /// start with "Copyright" or "©" and carry a year or a "(C)".
    pub copyright: Vec<String>,
}

/// Reads a copyright file.
pub fn read(body: &[u8]) -> CopyrightFile {
    let text = String::from_utf8_lossy(body);
    match paragraphs(&text) {
        Some(paras) => dep5(&paras),
        None => CopyrightFile {
            copyright: free_form_notices(&text),
            ..Default::default()
        },
    }
}

/// Short license names of a DEP-5 file, in first-seen order without duplicates; `None`
/// when the file is not DEP-5.
pub fn dep5_licenses(body: &[u8]) -> Option<Vec<String>> {
    let text = String::from_utf8_lossy(body);
    paragraphs(&text).map(|p| dep5(&p).licenses)
}

/// One deb822 field: its name and its lines (the first line's value, then the
/// continuation lines without their leading space).
type Field<'a> = (&'a str, Vec<&'a str>);

/// The paragraphs of a DEP-5 file, `None` when its first paragraph does not start with a
/// non-empty `Format:` field (DEP-5 "Header paragraph"; comment and blank lines may precede
/// it in the wild).
fn paragraphs(text: &str) -> Option<Vec<Vec<Field<'_>>>> {
    let mut paras: Vec<Vec<Field>> = Vec::new();
    let mut cur: Vec<Field> = Vec::new();
    for line in text.lines().map(str::trim_end) {
        if line.starts_with('#') {
            continue;
        }
        if line.trim().is_empty() {
            if !cur.is_empty() {
                paras.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if line.starts_with([' ', '\t']) {
            // continuation line; deb822 writes an empty line inside a value as " .",
            // kept as "" (a paragraph break inside the value)
            if let Some((_, lines)) = cur.last_mut() {
                let l = line.trim();
                lines.push(if l == "." { "" } else { l });
            }
            continue;
        }
        // fields start at column 0; a stray line without a colon (a license text left
        // unindented, a truncated file) is skipped, as the old reader skipped it
        if let Some((k, v)) = line.split_once(':') {
            cur.push((k.trim(), vec![v.trim()]));
        }
    }
    if !cur.is_empty() {
        paras.push(cur);
    }
    let header = paras.first()?.first()?;
    (header.0.eq_ignore_ascii_case("Format") && !header.1[0].is_empty()).then_some(paras)
}

fn field<'a>(para: &'a [Field<'a>], name: &str) -> Option<&'a [&'a str]> {
    para.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_slice())
}

fn push_new(out: &mut Vec<String>, s: &str) {
    if !s.is_empty() && !out.iter().any(|o| o == s) {
        out.push(s.to_string());
    }
}

fn dep5(paras: &[Vec<Field>]) -> CopyrightFile {
    let mut out = CopyrightFile::default();
    let mut concluded = Vec::new();
    let mut files_paras = 0usize;
    let mut all_licensed = true;
    for (i, para) in paras.iter().enumerate() {
        let license = field(para, "License").map(|l| l[0]).unwrap_or("");
        push_new(&mut out.licenses, license);
        // which paragraphs cover files: `Files:` ones, and the header, whose License is
        // "the licensing terms for the package as a whole" when it has one
        let covers = field(para, "Files").is_some();
        if covers {
            files_paras += 1;
            if license.is_empty() {
                all_licensed = false;
            }
        }
        if covers || (i == 0 && !license.is_empty()) {
            push_new(&mut concluded, license);
        }
        if covers || i == 0 {
            // statements are lines; after a paragraph break some files go on with the
            // license's permission text, which is no copyright statement
            let value = field(para, "Copyright").unwrap_or_default();
            let first = usize::from(value.first().is_some_and(|l| l.is_empty()));
            for l in value[first..].iter().take_while(|l| !l.is_empty()) {
                push_new(&mut out.copyright, l);
            }
        }
    }
    if files_paras > 0 && all_licensed && !concluded.is_empty() {
        out.concluded = Some(concluded);
    }
    out
}

/// A free-form file's copyright lines: its own words, never reworded.
fn free_form_notices(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for l in text.lines().map(str::trim) {
        let lower = l.to_lowercase();
        let starts = lower.starts_with("copyright") || l.starts_with('©');
        let dated =
            l.chars().any(|c| c.is_ascii_digit()) || lower.contains("(c)") || l.contains('©');
        // a license text's template line ("Copyright (C) <year> <name of author>") names nobody
        if starts && dated && !l.contains('<') {
            push_new(&mut out, l);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_must_be_format() {
        assert_eq!(
            dep5_licenses(b"Format: x\n\nFiles: *\nLicense: MIT\n"),
            Some(vec!["MIT".into()])
        );
        assert_eq!(dep5_licenses(b"This is free text.\nLicense: MIT\n"), None);
        assert_eq!(dep5_licenses(b""), None);
        assert_eq!(dep5_licenses(b"\xff\xfe\x00"), None);
        // continuation lines that look like fields are not fields
        assert_eq!(
            dep5_licenses(b"Format: x\nLicense: GPL-2+\n License: fake\nLicense:\n text\n"),
            Some(vec!["GPL-2+".into()])
        );
        // truncated
        assert_eq!(dep5_licenses(b"Format: x\nLicen"), Some(vec![]));
        assert_eq!(
            dep5_licenses(b"Format: x\nLicense: MIT"),
            Some(vec!["MIT".into()])
        );
    }

    #[test]
    fn concluded_only_when_every_files_paragraph_has_a_license() {
        let f = read(
            b"Format: x\nUpstream-Name: a\n\nFiles: *\nCopyright: 2001 A\n 2002 B\n .\n\
 This program is free software\nLicense: GPL-2+\n\nFiles: lib/*\nCopyright: 2003 C\nLicense: MIT\n\n\
License: GPL-2+\n text\n Copyright (C) 1989 not a holder\n",
        );
        assert_eq!(f.concluded, Some(vec!["GPL-2+".into(), "MIT".into()]));
        assert_eq!(f.copyright, ["2001 A", "2002 B", "2003 C"]);
        // a Files paragraph without License: nothing concluded, notices still read
        let f = read(b"Format: x\n\nFiles: *\nCopyright: 2001 A\n\nFiles: b\nCopyright: 2001 A\n");
        assert_eq!(f.concluded, None);
        assert_eq!(f.copyright, ["2001 A"]);
        // no Files paragraph at all: nothing says what the license covers
        assert_eq!(read(b"Format: x\n\nLicense: MIT\n").concluded, None);
    }

    #[test]
    fn free_form_keeps_its_copyright_lines() {
        let f = read(
            b"This is Debian's prepackaged foo.\n\nCopyright (C) 1991-2023 Free Software Foundation, Inc.\n\
  Copyright 2001 Jane Doe\nCopyright and license: see below\n\
Copyright (C) <year>  <name of author>\n",
        );
        assert_eq!(f.concluded, None);
        assert!(f.licenses.is_empty());
        assert_eq!(
            f.copyright,
            [
                "Copyright (C) 1991-2023 Free Software Foundation, Inc.",
                "Copyright 2001 Jane Doe"
            ]
        );
    }
}
