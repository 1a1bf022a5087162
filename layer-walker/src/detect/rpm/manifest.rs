//! CBL-Mariner / Azure Linux distroless images have no rpm database, only a text manifest
//! at `/var/lib/rpmmanifest/container-manifest-2`: one package per line, tab-separated:
//! name, version-release, install time, build time, vendor, epoch, size, arch, epoch as a
//! number, source rpm.
//!
//! Two conventions fill the epoch columns. Microsoft's image builders query
//! `...%{VENDOR}\t(none)\t%{SIZE}\t%{ARCH}\t%{EPOCHNUM}...`: column 6 is always the
//! literal `(none)` and the epoch is only in column 9 (`%{EPOCHNUM}`, 0 when the package has
//! none; Trivy issue 9100). Other writers put `%{EPOCH}` in column 6: a number, or `(none)`
//! when the header has no epoch tag.

use super::header::RpmHeader;

/// Packages of a manifest, and how many lines could not be read.
pub fn read_manifest(text: &str) -> (Vec<RpmHeader>, usize) {
    let mut packages = Vec::new();
    let mut damaged = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        match parse_line(line) {
            Some(p) => packages.push(p),
            None => damaged += 1,
        }
    }
    (packages, damaged)
}

fn parse_line(line: &str) -> Option<RpmHeader> {
    let f: Vec<&str> = line.split('\t').collect();
    let name = f.first().filter(|n| !n.is_empty())?;
    let (version, release) = f.get(1)?.rsplit_once('-')?;
    let field = |i: usize| {
        f.get(i)
            .map(|s| s.trim())
            .filter(|s| !s.is_empty() && *s != "(none)")
            .map(str::to_string)
    };
    let epoch = match field(5) {
        Some(e) => Some(e.parse().ok()?),
        // EPOCHNUM cannot tell "no epoch" from an explicit 0; rpm compares the two alike and
        // `rpm -q` prints neither, so 0 is read as no epoch. An unreadable EPOCHNUM costs
        // only the epoch: the column is a copy, not the record.
        None => field(8)
            .and_then(|n| n.parse::<u32>().ok())
            .filter(|n| *n > 0),
    };
    Some(RpmHeader {
        name: name.to_string(),
        version: version.to_string(),
        release: release.to_string(),
        epoch,
        vendor: field(4),
        size: field(6).and_then(|s| s.parse().ok()),
        arch: field(7),
        source_rpm: field(9),
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_lines_and_counts_bad_ones() {
        let (p, bad) =
            read_manifest("a\t1.0-2\t0\t0\tV\t3\t10\tx86_64\t3\ta-1.0-2.src.rpm\nbroken\n\n");
        assert_eq!(bad, 1);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].epoch, Some(3));
        assert_eq!(p[0].release, "2");
        assert_eq!(p[0].source_rpm.as_deref(), Some("a-1.0-2.src.rpm"));
    }

    #[test]
    fn epoch_from_either_column() {
        let epoch = |e: &str, n: &str| {
            let line = format!("a\t1.0-2\t0\t0\tV\t{e}\t10\tx86_64\t{n}\ta-1.0-2.src.rpm");
            read_manifest(&line).0.first().map(|h| h.epoch)
        };
        assert_eq!(epoch("(none)", "1"), Some(Some(1)));
        assert_eq!(epoch("(none)", "0"), Some(None));
        assert_eq!(epoch("(none)", ""), Some(None));
        assert_eq!(epoch("(none)", "x"), Some(None));
        // an explicit EPOCH wins, even 0
        assert_eq!(epoch("0", "0"), Some(Some(0)));
        assert_eq!(epoch("3", "3"), Some(Some(3)));
        // a column-6 epoch that is not a number is a damaged line
        assert_eq!(epoch("x", "1"), None);
    }
}
