//! On real binaries from Debian's packages (testdata/binaries/fetch.sh puts them in
//! `$SBOM_BINARIES` with the packages' versions), and on hand-made edge cases.

use super::*;

/// `(path under the fetch dir, product, upstream version from the .deb)`.
type Row = (String, String, String);

fn fetched() -> Option<(std::path::PathBuf, Vec<Row>)> {
    let dir = match std::env::var_os("SBOM_BINARIES") {
        Some(d) if !d.is_empty() => std::path::PathBuf::from(d),
        _ if std::env::var_os("CI").is_some() => {
            panic!("CI is set and SBOM_BINARIES is not (.ci/run runs testdata/binaries/fetch.sh)")
        }
        _ => {
            eprintln!("SKIP: SBOM_BINARIES is not set (testdata/binaries/fetch.sh DIR)");
            return None;
        }
    };
    let truth = std::fs::read_to_string(dir.join("truth.tsv")).expect("truth.tsv");
    let rows = truth
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let mut f = l.split('\t');
            Some((f.next()?.into(), f.next()?.into(), f.next()?.into()))
        })
        .collect();
    Some((dir, rows))
}

#[test]
fn real_debian_binaries_are_identified_with_their_package_version() {
    let Some((dir, rows)) = fetched() else {
        return;
    };
    assert!(rows.len() >= 5, "{rows:?}");
    let exe = EntryMeta {
        size: 0,
        mode: 0o755,
    };
    for (path, product, version) in rows {
        let body = std::fs::read(dir.join(&path)).unwrap();
        let abs = format!("/{path}");
        assert!(
            BinaryDetector.claim(&abs, &exe).is_some(),
            "{abs} not claimed"
        );
        let parsed = BinaryDetector.parse(&abs, &body).unwrap();
        let id = parsed
            .downcast_ref::<Option<Identified>>()
            .unwrap()
            .clone()
            .unwrap_or_else(|| panic!("{abs}: not identified"));
        let name = CLASSIFIERS.get(id.product).map_or("python", |c| c.product);
        assert_eq!(
            (name, id.version.as_str()),
            (product.as_str(), version.as_str()),
            "{abs}"
        );
    }
}

#[test]
fn versions_need_their_marker_and_the_start_of_a_string() {
    let pg = CLASSIFIERS
        .iter()
        .find(|c| c.product == "postgresql")
        .unwrap();
    // the number in a message is not the version
    assert_eq!(
        classify(
            b"before upgrading to PostgreSQL 9.1.\0PostgreSQL 15.20 (Debian)",
            pg
        ),
        Some("15.20".into())
    );
    assert_eq!(classify(b"upgrading to PostgreSQL 9.1.", pg), None);
    assert_eq!(version_at(b"1.22.1 ", 3), Some("1.22.1".into()));
    assert_eq!(version_at(b"1.22", 3), None);
    assert_eq!(version_at(b"1.2.3.4x", 3), Some("1.2.3.4".into()));
    assert_eq!(python_series("python3.11"), Some("3.11"));
    assert_eq!(python_series("libpython3.12.so.1.0"), Some("3.12"));
    assert_eq!(python_series("python3"), None);
    assert_eq!(python_series("python3-config"), None);
    assert_eq!(
        python_version(b"x\x003.11.2\x00y", "3.11"),
        Some("3.11.2".into())
    );
    assert_eq!(python_version(b"x\x003.1.4\x00", "3.11"), None);
    assert_eq!(
        python_version(b"\x003.13.0rc1 (main)", "3.13"),
        Some("3.13.0rc1".into())
    );
    // not an executable, or another name: not claimed
    let plain = EntryMeta {
        size: 1,
        mode: 0o644,
    };
    assert!(BinaryDetector.claim("/usr/sbin/nginx", &plain).is_none());
    let exe = EntryMeta {
        size: 1,
        mode: 0o755,
    };
    assert!(BinaryDetector.claim("/usr/sbin/nginx.conf", &exe).is_none());
}
