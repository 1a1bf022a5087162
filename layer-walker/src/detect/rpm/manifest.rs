//! CBL-Mariner / Azure Linux distroless images have no rpm database, only a text manifest
//! at `/var/lib/rpmmanifest/container-manifest-2`: one package per line, tab-separated:
//! name, version-release, install time, build time, vendor, epoch (`(none)` when unset),
//! size, arch, epoch as a number, source rpm.

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
        None => None,
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
}
