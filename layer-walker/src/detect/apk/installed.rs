//! apk's installed database (`/lib/apk/db/installed`, apk-tools "Package index format" /
//! `apk-package(5)` field letters): records separated by blank lines, one `X:value` field a
//! line. File lists are `F:dir` followed by that directory's `R:name` entries.

use crate::detect::common::encoding::{base64_decode, lower_hex};

/// One installed package, reduced to what the inventory uses.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct ApkRecord {
    /// `P`
    pub name: String,
    /// `V`
    pub version: String,
    /// `A`
    pub arch: Option<String>,
    /// `o`: the source (APKBUILD) name.
    pub origin: Option<String>,
    /// `m`
    pub maintainer: Option<String>,
    /// `L`
    pub license: Option<String>,
    /// `U`
    pub url: Option<String>,
    /// `T`
    pub description: Option<String>,
    /// `I`, bytes.
    pub installed_size: Option<u64>,
    /// `C` decoded: SHA-1 of the control data, lower-case hex.
    pub sha1: Option<String>,
    /// `D` without version constraints and without `!conflicts`.
    pub depends: Vec<String>,
    /// `p` without versions.
    pub provides: Vec<String>,
    /// `F`/`R`, absolute paths.
    pub files: Vec<String>,
}

/// The records of one database.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct InstalledDb {
    /// The readable records, in file order.
    pub packages: Vec<ApkRecord>,
    /// Records that could not be read (bad lines, no `P` or `V`).
    pub unreadable: usize,
}

/// Parses a database body. Bad records are counted and skipped; the whole file is an error
/// only when it has content and no record could be read.
pub fn parse_installed(body: &[u8]) -> Result<InstalledDb, String> {
    let text = String::from_utf8_lossy(body);
    let mut out = InstalledDb::default();
    let mut records = 0usize;
    let mut cur: Vec<&str> = Vec::new();
    let mut flush = |cur: &mut Vec<&str>, out: &mut InstalledDb| {
        if cur.is_empty() {
            return;
        }
        records += 1;
        match record(cur) {
            Some(r) => out.packages.push(r),
            None => {
                tracing::debug!("apk installed record could not be read");
                out.unreadable += 1;
            }
        }
        cur.clear();
    };
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            flush(&mut cur, &mut out);
        } else {
            cur.push(line);
        }
    }
    flush(&mut cur, &mut out);
    if records > 0 && out.unreadable == records {
        return Err(format!("none of its {records} record(s) is an apk package"));
    }
    Ok(out)
}

/// One record; `None` when a line is not `X:value` or `P`/`V` is missing.
fn record(lines: &[&str]) -> Option<ApkRecord> {
    let mut r = ApkRecord::default();
    let mut dir: Option<&str> = None;
    for line in lines {
        let mut chars = line.chars();
        let key = chars.next()?;
        if chars.next() != Some(':') || !key.is_ascii_alphabetic() {
            return None;
        }
        let value = &line[key.len_utf8() + 1..];
        let text = || Some(value.trim().to_string()).filter(|v| !v.is_empty());
        match key {
            'P' => r.name = value.trim().to_string(),
            'V' => r.version = value.trim().to_string(),
            'A' => r.arch = text(),
            'o' => r.origin = text(),
            'm' => r.maintainer = text(),
            'L' => r.license = text(),
            'U' => r.url = text(),
            'T' => r.description = text(),
            'I' => r.installed_size = value.trim().parse().ok(),
            'C' => r.sha1 = checksum_hex(value.trim()),
            'D' => {
                r.depends = value
                    .split_whitespace()
                    // `!name` is a conflict, not a dependency
                    .filter(|d| !d.starts_with('!'))
                    .map(strip_constraint)
                    .filter(|d| !d.is_empty())
                    .map(str::to_string)
                    .collect()
            }
            'p' => {
                r.provides = value
                    .split_whitespace()
                    .map(strip_constraint)
                    .filter(|d| !d.is_empty())
                    .map(str::to_string)
                    .collect()
            }
            'F' => dir = Some(value.trim_matches('/')),
            'R' => {
                let name = value.trim();
                let path = match dir {
                    Some(d) if !d.is_empty() => format!("/{d}/{name}"),
                    // a file before any F: (or F: with the root) lives at the root
                    _ => format!("/{name}"),
                };
                r.files.push(path);
            }
            // checksums of files, modes, build time, ...: not used
            _ => {}
        }
    }
    (!r.name.is_empty() && !r.version.is_empty()).then_some(r)
}

/// `name>=1.2`, `so:libc.so=1`, `name~1.2` -> the name (or capability) alone.
fn strip_constraint(dep: &str) -> &str {
    let end = dep.find(['<', '>', '=', '~']).unwrap_or(dep.len());
    &dep[..end]
}

/// `Q1` + base64(SHA-1) (apk's checksum notation) -> lower-case hex; other forms (`Q2`
/// SHA-256 in newer databases is not in the installed db) are left out.
fn checksum_hex(v: &str) -> Option<String> {
    let raw = base64_decode(v.strip_prefix("Q1")?)?;
    if raw.len() != 20 {
        return None;
    }
    Some(lower_hex(&raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_and_checksum() {
        // SHA-1 of the empty string, base64: 2jmj7l5rSw0yVb/vlWAYkK/YBwk=
        assert_eq!(
            checksum_hex("Q12jmj7l5rSw0yVb/vlWAYkK/YBwk=").as_deref(),
            Some("da39a3ee5e6b4b0d3255bfef95601890afd80709")
        );
        assert_eq!(checksum_hex("Q2abc"), None);
        assert_eq!(checksum_hex("Q1abc"), None);
    }

    #[test]
    fn constraints() {
        assert_eq!(strip_constraint("openrc>=0.24.1-r6"), "openrc");
        assert_eq!(
            strip_constraint("so:libc.musl-x86_64.so.1"),
            "so:libc.musl-x86_64.so.1"
        );
        assert_eq!(strip_constraint("cmd:lbu=3.19.2-r0"), "cmd:lbu");
        assert_eq!(strip_constraint("musl~1.2"), "musl");
    }

    #[test]
    fn malformed() {
        assert!(parse_installed(b"\xff\x00 garbage\nmore\n").is_err());
        assert_eq!(parse_installed(b"").map(|d| d.packages.len()), Ok(0));
        let db = parse_installed(
            b"P:a\nV:1-r0\nR:orphan\nF:usr/bin\nR:a\n\nP:b\n\nnot a field\n\nP:c\nV:\xff\n",
        )
        .expect("partly readable");
        assert_eq!(db.packages.len(), 2);
        assert_eq!(db.unreadable, 2);
        assert_eq!(db.packages[0].files, ["/orphan", "/usr/bin/a"]);
        // truncated mid-record
        let db = parse_installed(b"P:a\nV:1-r0\nT:trunc").expect("readable");
        assert_eq!(db.packages[0].description.as_deref(), Some("trunc"));
        // non-ASCII first byte of a line
        assert!(parse_installed("é:x\nP:a\nV:1\n".as_bytes()).is_err());
    }
}
