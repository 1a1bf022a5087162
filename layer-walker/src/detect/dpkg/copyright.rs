//! License names from `/usr/share/doc/<pkg>/copyright` when it is machine-readable
//! (DEP-5, "Machine-readable debian/copyright file", format 1.0): its first paragraph starts
//! with `Format:`, and every `License:` field's first line is a short license name or an
//! expression of them (`GPL-2+ or Artistic-1.0`). Free-form copyright files give nothing:
//! guessing a license from prose is not done.

/// Short license names of a DEP-5 file, in first-seen order without duplicates; `None`
/// when the file is not DEP-5.
pub fn dep5_licenses(body: &[u8]) -> Option<Vec<String>> {
    let text = String::from_utf8_lossy(body);
    let mut lines = text.lines();
    // The header paragraph's first field is Format (DEP-5 "Header paragraph"); comment
    // lines and blank lines may precede it in the wild.
    let first = lines
        .by_ref()
        .map(str::trim_end)
        .find(|l| !l.trim().is_empty() && !l.starts_with('#'))?;
    if field_value(first, "Format").is_none_or(|v| v.is_empty()) {
        return None;
    }
    let mut out: Vec<String> = Vec::new();
    for line in lines {
        // Fields start at column 0; continuation lines (license texts) are indented.
        if let Some(v) = field_value(line, "License") {
            let name = v.trim();
            if !name.is_empty() && !out.iter().any(|o| o == name) {
                out.push(name.to_string());
            }
        }
    }
    Some(out)
}

/// The value of `line` when it is the field `name` (case-insensitive, deb822).
fn field_value<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let (k, v) = line.split_once(':')?;
    k.eq_ignore_ascii_case(name).then_some(v)
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
    }
}
