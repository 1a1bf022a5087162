//! dpkg's package records: `/var/lib/dpkg/status` and distroless `status.d/` files, deb822
//! paragraphs (deb-control(5), dpkg(1) "status" database).

use deb822_fast::Paragraph;

/// One installed package as the status file recorded it, reduced to what the inventory uses.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct DebRecord {
    /// `Package:`.
    pub name: String,
    /// `Version:`, epoch and revision included.
    pub version: String,
    /// `Architecture:`.
    pub arch: Option<String>,
    /// `Source:` name, when the field is there.
    pub source_name: Option<String>,
    /// The `(version)` of `Source:`, when given.
    pub source_version: Option<String>,
    /// `Maintainer:`.
    pub maintainer: Option<String>,
    /// `Installed-Size`, in KiB as dpkg writes it.
    pub installed_size_kib: Option<u64>,
    /// `Homepage:`.
    pub homepage: Option<String>,
    /// First line of `Description`.
    pub description: Option<String>,
    /// Package names from `Pre-Depends` and `Depends`; alternatives joined as `a | b`.
    pub depends: Vec<String>,
    /// Package names from `Provides`.
    pub provides: Vec<String>,
    /// `Status:` as `want flag state`, when it is anything but `<want> ok installed`: the
    /// package's files are on disk but dpkg did not finish with it (or its selection is
    /// not `install`/`hold`... only the flag and state matter for that).
    pub unfinished_status: Option<String>,
}

/// The records of one status file.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct StatusFile {
    /// Installed packages, in file order.
    pub packages: Vec<DebRecord>,
    /// Paragraphs that could not be read (syntax errors, no Package or Version).
    pub unreadable: usize,
    /// Paragraphs read only after dropping malformed lines (a truncated last line...).
    pub damaged: usize,
}

/// Parses a status body. `require_status` is true for `/var/lib/dpkg/status`, where an
/// entry without `Status:` is not known to be installed; distroless `status.d/` files have
/// no `Status:` and list only installed packages.
///
/// Paragraphs are split here (on blank lines) and parsed one by one, so one bad paragraph
/// costs only itself. The whole file is an error only when it has content and not one
/// paragraph of it could be read.
pub fn parse_status(body: &[u8], require_status: bool) -> Result<StatusFile, String> {
    // dpkg writes UTF-8; an odd Latin-1 maintainer name must not cost the file.
    let text = String::from_utf8_lossy(body);
    let mut out = StatusFile::default();
    let mut seen_paragraphs = 0usize;
    let mut skipped = 0usize;
    for chunk in paragraphs(&text) {
        seen_paragraphs += 1;
        let para: Paragraph = match chunk.parse() {
            Ok(p) => p,
            // a cut-off file ends in half a line: keep what is well-formed
            Err(e) => match salvage(&chunk).parse() {
                Ok(p) => {
                    tracing::debug!(error = %e, "dpkg status paragraph read without its malformed lines");
                    out.damaged += 1;
                    p
                }
                Err(_) => {
                    tracing::debug!(error = %e, "dpkg status paragraph could not be parsed");
                    out.unreadable += 1;
                    continue;
                }
            },
        };
        let field = |name: &str| {
            para.get(name)
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let (Some(name), Some(version)) = (field("Package"), field("Version")) else {
            tracing::debug!("dpkg status paragraph without Package or Version");
            out.unreadable += 1;
            continue;
        };
        let status = para
            .get("Status")
            .map(|s| s.split_whitespace().collect::<Vec<_>>());
        let unfinished_status = match status.as_deref() {
            Some(words) if !files_on_disk(words) => {
                tracing::debug!(package = %name, status = %words.join(" "),
                    "dpkg entry left out: its files are not on disk");
                skipped += 1;
                continue;
            }
            Some([_, "ok", "installed"]) => None,
            Some(words) => Some(words.join(" ")),
            None if require_status => {
                tracing::debug!(package = %name, "dpkg entry left out: no Status field");
                skipped += 1;
                continue;
            }
            None => None,
        };
        let (source_name, source_version) = match field("Source") {
            Some(s) => {
                let (n, v) = split_source(&s);
                (Some(n), v)
            }
            None => (None, None),
        };
        let mut depends = Vec::new();
        for f in ["Pre-Depends", "Depends"] {
            if let Some(v) = para.get(f) {
                for d in relation_names(v) {
                    if !depends.contains(&d) {
                        depends.push(d);
                    }
                }
            }
        }
        out.packages.push(DebRecord {
            arch: field("Architecture"),
            maintainer: field("Maintainer"),
            installed_size_kib: field("Installed-Size").and_then(|s| s.parse().ok()),
            homepage: field("Homepage"),
            description: para
                .get("Description")
                .and_then(|d| d.lines().next())
                .map(str::trim)
                .filter(|d| !d.is_empty())
                .map(str::to_string),
            depends,
            provides: para.get("Provides").map(relation_names).unwrap_or_default(),
            name,
            version,
            source_name,
            source_version,
            unfinished_status,
        });
    }
    if seen_paragraphs > 0 && out.unreadable == seen_paragraphs {
        return Err(format!(
            "none of its {seen_paragraphs} paragraph(s) is a dpkg package record"
        ));
    }
    tracing::debug!(
        installed = out.packages.len(),
        skipped,
        unreadable = out.unreadable,
        "dpkg status parsed"
    );
    Ok(out)
}

/// The lines of `chunk` that are deb822: `Name: value` fields (name without white space)
/// and the continuation lines that follow a kept field.
fn salvage(chunk: &str) -> String {
    let mut out = String::with_capacity(chunk.len());
    let mut in_field = false;
    for line in chunk.lines() {
        let is_field = !line.starts_with([' ', '\t'])
            && line
                .split_once(':')
                .is_some_and(|(k, _)| !k.is_empty() && !k.contains(char::is_whitespace));
        if is_field || (in_field && line.starts_with([' ', '\t'])) {
            in_field = true;
            out.push_str(line);
            out.push('\n');
        } else {
            in_field = false;
        }
    }
    out
}

/// Whether a `Status: want flag state` entry has its files on disk, as dpkg sees it.
///
/// dpkg orders the states (`enum pkgstatus` in dpkg's lib/dpkg/dpkg-db.h): not-installed,
/// config-files, half-installed, unpacked, half-configured, triggers-awaited,
/// triggers-pending, installed. From half-installed on, dpkg has started unpacking and
/// keeps the package's file list (`dpkg -L` lists it, removal deletes those files); dpkg(1)
/// says of config-files that "only the configuration files of the package exist on the
/// system", and not-installed packages (kept only for their selection) have nothing.
/// `dpkg-query -W` also lists config-files entries, but those ship no code, so the
/// inventory leaves them out. The selection (`want`) does not matter: a `deinstall` or
/// `purge` selection is a wish, not a removal. The flag does not either: `reinstreq` marks
/// a broken package whose files may still be there (it is reported, with its status).
fn files_on_disk(status: &[&str]) -> bool {
    matches!(
        status,
        [
            _,
            _,
            "half-installed"
                | "unpacked"
                | "half-configured"
                | "triggers-awaited"
                | "triggers-pending"
                | "installed"
        ]
    )
}

/// Blank-line separated chunks; a line holding only white space separates too
/// (deb822(5)). Lines are kept with their newline for the deb822 parser.
fn paragraphs(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for line in text.split_inclusive('\n') {
        if line.trim().is_empty() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        // CRLF files: deb822 values must not keep the '\r'
        cur.push_str(line.trim_end_matches(['\n', '\r']));
        cur.push('\n');
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// `name (version)` or `name`.
fn split_source(s: &str) -> (String, Option<String>) {
    match s.split_once('(') {
        Some((n, v)) => {
            let v = v.trim_end().trim_end_matches(')').trim();
            (n.trim().to_string(), (!v.is_empty()).then(|| v.to_string()))
        }
        None => (s.trim().to_string(), None),
    }
}

/// Package names of a relationship field (deb-control(5): `a (>= 1) | b:any [amd64] <!nocheck>, c`):
/// version constraints, architecture qualifiers and restrictions are dropped, alternatives
/// kept as `a | b`.
pub fn relation_names(field: &str) -> Vec<String> {
    let mut out = Vec::new();
    for group in field.split(',') {
        let alts: Vec<&str> = group
            .split('|')
            .filter_map(|alt| {
                let alt = alt.trim();
                let end = alt
                    .find(|c: char| c.is_whitespace() || matches!(c, '(' | '[' | '<'))
                    .unwrap_or(alt.len());
                let name = &alt[..end];
                // `name:any`, `name:amd64`: the qualifier is not part of the name
                let name = name.split(':').next().unwrap_or("");
                (!name.is_empty()).then_some(name)
            })
            .collect();
        if alts.is_empty() {
            continue;
        }
        let joined = alts.join(" | ");
        if !out.contains(&joined) {
            out.push(joined);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relations() {
        assert_eq!(
            relation_names("libc6 (>= 2.14), python3:any (>= 3.5~), a [amd64] | b <!nocheck>,,"),
            ["libc6", "python3", "a | b"]
        );
        assert_eq!(relation_names(" "), Vec::<String>::new());
    }

    #[test]
    fn source_field() {
        assert_eq!(
            split_source("glibc (2.27-3ubuntu1)"),
            ("glibc".into(), Some("2.27-3ubuntu1".into()))
        );
        assert_eq!(split_source("glibc"), ("glibc".into(), None));
        assert_eq!(split_source("glibc ("), ("glibc".into(), None));
    }

    #[test]
    fn status_filter() {
        let on_disk = |s: &str| files_on_disk(&s.split_whitespace().collect::<Vec<_>>());
        assert!(on_disk("install ok installed"));
        assert!(on_disk("hold ok installed"));
        assert!(on_disk("deinstall ok installed"));
        assert!(on_disk("install reinstreq half-installed"));
        assert!(!on_disk("deinstall ok config-files"));
        assert!(!on_disk("purge ok not-installed"));
        assert!(!on_disk("install ok"));
        assert!(!on_disk(""));
    }

    #[test]
    fn malformed_bodies() {
        // garbage only: the whole file is unreadable
        assert!(parse_status(b"\x00\x01\xff garbage\n more\n", true).is_err());
        // empty: a valid, empty database
        assert_eq!(parse_status(b"", true).map(|s| s.packages.len()), Ok(0));
        // one good, one garbage, one missing Version
        let s = parse_status(
            b"Package: a\nStatus: install ok installed\nVersion: 1\n\n garbage\nx\n\nPackage: b\nStatus: install ok installed\n",
            true,
        )
        .expect("partly readable");
        assert_eq!(s.packages.len(), 1);
        assert_eq!(s.unreadable, 2);
        // truncated in the middle of a field, non-UTF-8 maintainer, CRLF
        let s = parse_status(
            b"Package: a\r\nStatus: install ok installed\r\nMaintainer: Caf\xe9\r\nVersion: 1:2.0-1\r\nDescr",
            true,
        )
        .expect("readable");
        assert_eq!(s.packages[0].version, "1:2.0-1");
        assert_eq!(s.damaged, 1);
        assert!(s.packages[0]
            .maintainer
            .as_deref()
            .unwrap_or("")
            .starts_with("Caf"));
        // Installed-Size not a number: left out, not an error
        let s = parse_status(b"Package: a\nVersion: 1\nInstalled-Size: lots\n", false).expect("ok");
        assert_eq!(s.packages[0].installed_size_kib, None);
        // missing Status in the main status file: left out
        let s = parse_status(b"Package: a\nVersion: 1\n", true).expect("ok");
        assert!(s.packages.is_empty());
    }
}
