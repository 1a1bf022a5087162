//! On real binaries from Debian's packages (testdata/binaries/fetch.sh puts them in
//! `$SBOM_BINARIES` with the packages' versions), and on hand-made edge cases.

use super::*;

/// `(path under the fetch dir, product, upstream version from the .deb, version flag or
/// `-`)`.
type Row = (String, String, String, String);

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
    assert!(
        truth
            .lines()
            .next()
            .is_some_and(|h| h.contains("version flag")),
        "{}/truth.tsv is from an older fetch.sh (no version flag column, fewer binaries): \
         rerun testdata/binaries/fetch.sh {0}",
        dir.display()
    );
    let rows = truth
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let mut f = l.split('\t');
            Some((
                f.next()?.into(),
                f.next()?.into(),
                f.next()?.into(),
                f.next()?.into(),
            ))
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
    for (path, product, version, _) in rows {
        let body = std::fs::read(dir.join(&path))
            .unwrap_or_else(|e| panic!("{path} listed in truth.tsv: {e}"));
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

/// What the classifiers make of a body under a file name, by product name.
fn identify(path: &str, body: &[u8]) -> Option<(&'static str, String)> {
    let parsed = BinaryDetector.parse(path, body).unwrap();
    let id = parsed
        .downcast_ref::<Option<Identified>>()
        .unwrap()
        .clone()?;
    Some((
        CLASSIFIERS.get(id.product).map_or("python", |c| c.product),
        id.version,
    ))
}

/// Each fetched binary runs here with its own version flag when its libraries are present
/// (the fetch dir's, then the system's): the version it prints is the one identified.
#[test]
fn identified_versions_are_what_the_binaries_print() {
    let Some((dir, rows)) = fetched() else {
        return;
    };
    let libs = dir.join("usr/lib/x86_64-linux-gnu");
    let mut ran = 0;
    for (path, _, _, flag) in &rows {
        if flag == "-" {
            continue;
        }
        let abs = format!("/{path}");
        let body = std::fs::read(dir.join(path)).unwrap();
        let (_, version) = identify(&abs, &body).unwrap_or_else(|| panic!("{abs}"));
        let out = std::process::Command::new(dir.join(path))
            .arg(flag)
            .env("LD_LIBRARY_PATH", &libs)
            .output();
        let text = match out {
            Ok(o) if !o.stdout.is_empty() || !o.stderr.is_empty() => {
                format!(
                    "{}{}",
                    String::from_utf8_lossy(&o.stdout),
                    String::from_utf8_lossy(&o.stderr)
                )
            }
            other => {
                eprintln!("SKIP {abs} {flag}: does not run here ({other:?})");
                continue;
            }
        };
        if text.contains("error while loading shared libraries") {
            eprintln!("SKIP {abs} {flag}: {}", text.trim());
            continue;
        }
        ran += 1;
        // the version as a word of its own: `1.2.3` must not pass inside `11.2.30`
        let word = text
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '.'))
            .any(|w| w == version || w.strip_prefix('v') == Some(version.as_str()));
        assert!(word, "{abs} {flag} printed {text:?}, identified {version}");
    }
    eprintln!("{ran} binaries ran with their version flag");
    assert!(ran >= 5, "too few fetched binaries run here ({ran})");
}

/// Every classifier over every fetched binary, under the file name each classifier claims:
/// only the binary's own classifier may find a version in it.
#[test]
fn no_classifier_matches_another_products_binary() {
    let Some((dir, rows)) = fetched() else {
        return;
    };
    let mut wrong = Vec::new();
    for (path, product, _, _) in &rows {
        let body = std::fs::read(dir.join(path)).unwrap();
        for c in CLASSIFIERS {
            if c.product == product.as_str() {
                continue;
            }
            let Some(v) = classify(&body, c) else {
                continue;
            };
            // every program built against OpenSSL holds its OPENSSL_VERSION_TEXT (`nginx -V`
            // prints it; node bundles the library): true, and why that classifier is bound
            // to the names `openssl` and libcrypto
            let uses_openssl = memmem::find(&body, b"libssl.so").is_some()
                || memmem::find(&body, b"OPENSSL_init_ssl").is_some();
            if c.product == "openssl" && uses_openssl {
                continue;
            }
            wrong.push(format!("{} {v} in {path}", c.product));
        }
        if product != "python" {
            for series in ["2.7", "3.9", "3.10", "3.11", "3.12", "3.13"] {
                if let Some(v) = python_version(&body, series) {
                    wrong.push(format!("python {v} in {path}"));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn new_classifiers_on_edge_cases() {
    let by = |p: &str| CLASSIFIERS.iter().find(|c| c.product == p).unwrap();
    let ssl = by("openssl");
    assert_eq!(
        classify(b"x\0OpenSSL 1.1.1w  11 Sep 2023\0", ssl),
        Some("1.1.1w".into())
    );
    assert_eq!(
        classify(b"x\0OpenSSL 3.0.0-alpha17 3 May 2021\0", ssl),
        Some("3.0.0-alpha17".into())
    );
    // in a message, or without the release date: not the library's version text
    assert_eq!(classify(b"x\0needs OpenSSL 1.1.1 or later\0", ssl), None);
    assert_eq!(classify(b"x\0OpenSSL 3.0.2\0", ssl), None);
    let redis = by("redis");
    assert_eq!(
        classify(
            b"redis_version:\0x\x007.2.4\0y\x007.2.4buildkitsandbox-1700000000\0",
            redis
        ),
        Some("7.2.4".into())
    );
    // a bare version alone is no Redis build id
    assert_eq!(classify(b"redis_version:\0x\x007.2.4\0y\0", redis), None);
    assert_eq!(classify(b"\x007.2.4\0\x007.2.4abcdefgh12\0", redis), None);
    let maria = by("mariadb");
    assert_eq!(
        classify(b"\x0011.4.2-MariaDB-ubu2404\0", maria),
        Some("11.4.2".into())
    );
    assert_eq!(classify(b"\0see 10.11.19-MariaDB\0", maria), None);
    let ha = by("haproxy");
    assert_eq!(
        classify(b"HAProxy version 3.0.5-8e879a5, released 2024/09/19\0", ha),
        Some("3.0.5".into())
    );
    assert_eq!(classify(b"minimum TLS version 1.2.0\0", ha), None);
    let perl = by("perl");
    assert_eq!(classify(b"\0v5.38.2\0", perl), Some("5.38.2".into()));
    assert_eq!(classify(b"\0v5.38.2 or later\0", perl), None);
    // library file names are claimed without an execute bit, executables are not
    let plain = EntryMeta {
        size: 1,
        mode: 0o644,
    };
    for lib in [
        "/usr/local/lib/libruby.so.3.3",
        "/usr/lib/libcrypto.so.3",
        "/usr/local/lib/libphp.so",
        "/usr/lib/x86_64-linux-gnu/libcurl.so.4",
    ] {
        assert!(BinaryDetector.claim(lib, &plain).is_some(), "{lib}");
    }
    assert!(BinaryDetector
        .claim("/usr/local/bin/redis-server", &plain)
        .is_none());
    let exe = EntryMeta {
        size: 1,
        mode: 0o755,
    };
    for bin in [
        "/usr/local/bin/php",
        "/usr/local/sbin/php-fpm",
        "/usr/bin/php8.3",
    ] {
        assert!(BinaryDetector.claim(bin, &exe).is_some(), "{bin}");
    }
    assert!(BinaryDetector
        .claim("/usr/local/bin/phpize", &exe)
        .is_none());
}
