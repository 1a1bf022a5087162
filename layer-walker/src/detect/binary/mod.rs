//! Software installed by hand: runtimes and servers copied or unpacked into the image without
//! a package manager (`COPY --from=build /usr/local/bin/nginx`, a tarball under /opt),
//! identified from the version string every build of them carries. Each classifier names the
//! executable by file name and finds the version after a literal its build always embeds;
//! products and CPE vendors are the names NVD uses for them, as Syft's binary classifiers use
//! them, so vulnerability matchers that key on them find these packages.
//!
//! A binary that an OS package owns is that package's, and is dropped when the inventory is
//! assembled (see `assemble`): this detector reports only what nothing else accounts for.

#[cfg(test)]
mod tests;

use std::sync::Arc;

use memchr::memmem;
use sbom_core::{Ecosystem, Package};

use super::common::elf;
use super::{Claim, CollectContext, Detector, EntryMeta, Findings, FsView, ParseError, Parsed};

pub(crate) const NAME: &str = "binary";

/// The property that marks a package found by this detector (how it was identified); the
/// writers read it as [`sbom_core::FOUND_BY`].
pub const FOUND_BY: &str = sbom_core::FOUND_BY;
/// Its value.
pub const FOUND_BY_BINARY: &str = sbom_core::FOUND_BY_BINARY_CLASSIFIER;

/// One product: which files are it, and where its version is.
struct Classifier {
    /// purl name (`pkg:generic/<product>`).
    product: &'static str,
    /// CPE `vendor:product` pairs.
    cpes: &'static [(&'static str, &'static str)],
    /// Whether a file name is this product's executable or library.
    file: fn(&str) -> bool,
    /// The literals the version follows, each with the bytes allowed right before it (the
    /// real string starts a C string; the same words inside a message do not).
    markers: &'static [(&'static [u8], &'static [u8])],
    /// Only versions with this many dot-separated numbers or more.
    min_parts: usize,
    /// For versions no literal precedes: a search of its own, used instead of `markers`.
    custom: Option<Finder>,
}

/// A version search of a classifier's own.
type Finder = fn(&[u8]) -> Option<String>;

/// Bytes that may precede a marker: anything.
const ANY: &[u8] = b"";
/// A C string's start (the previous string's NUL) or the `~` some builds join with.
const STRING_START: &[u8] = b"\0~";

const CLASSIFIERS: &[Classifier] = &[
    Classifier {
        product: "nginx",
        cpes: &[("f5", "nginx"), ("nginx", "nginx")],
        file: |n| n == "nginx",
        markers: &[(b"nginx/", ANY)],
        min_parts: 3,
        custom: None,
    },
    Classifier {
        product: "httpd",
        cpes: &[("apache", "http_server")],
        file: |n| n == "httpd" || n == "apache2",
        markers: &[(b"Apache/", ANY)],
        min_parts: 3,
        custom: None,
    },
    Classifier {
        product: "postgresql",
        cpes: &[("postgresql", "postgresql")],
        file: |n| n == "postgres",
        markers: &[(b"PostgreSQL ", STRING_START)],
        min_parts: 2,
        custom: None,
    },
    Classifier {
        product: "node",
        cpes: &[("nodejs", "node.js")],
        file: |n| n == "node" || n == "nodejs",
        markers: &[(b"node.js/v", ANY)],
        min_parts: 3,
        custom: None,
    },
    Classifier {
        product: "busybox",
        cpes: &[("busybox", "busybox")],
        file: |n| n == "busybox",
        markers: &[(b"BusyBox v", ANY)],
        min_parts: 3,
        custom: None,
    },
    Classifier {
        product: "redis",
        cpes: &[("redis", "redis")],
        // redis-server, -sentinel and the check tools are one executable under several names
        file: |n| {
            matches!(
                n,
                "redis-server" | "redis-sentinel" | "redis-check-rdb" | "redis-check-aof"
            )
        },
        markers: &[],
        min_parts: 3,
        custom: Some(redis_version),
    },
    Classifier {
        product: "openssl",
        cpes: &[("openssl", "openssl")],
        // libssl carries no version text of its own; libcrypto's is the library's
        file: |n| n == "openssl" || n.starts_with("libcrypto.so"),
        markers: &[],
        min_parts: 3,
        custom: Some(openssl_version),
    },
    Classifier {
        product: "ruby",
        cpes: &[("ruby-lang", "ruby")],
        // the official image builds with --enable-shared: the version is in libruby
        file: |n| n == "ruby" || (n.starts_with("libruby") && n.contains(".so")),
        markers: &[(b"ruby ", STRING_START)],
        min_parts: 3,
        custom: None,
    },
    Classifier {
        product: "php",
        cpes: &[("php", "php")],
        file: |n| {
            n == "php"
                || n == "php-fpm"
                || n == "php-cgi"
                || (n.starts_with("libphp") && n.contains(".so"))
                || n.strip_prefix("php")
                    .is_some_and(|v| v.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
        },
        markers: &[(b"X-Powered-By: PHP/", STRING_START)],
        min_parts: 3,
        custom: None,
    },
    Classifier {
        product: "perl",
        cpes: &[("perl", "perl")],
        file: |n| n == "perl" || n.strip_prefix("perl5.").is_some_and(|v| !v.is_empty()),
        markers: &[],
        min_parts: 3,
        custom: Some(perl_version),
    },
    Classifier {
        product: "memcached",
        cpes: &[("memcached", "memcached")],
        file: |n| n == "memcached",
        markers: &[(b"memcached ", STRING_START)],
        min_parts: 3,
        custom: None,
    },
    Classifier {
        product: "haproxy",
        cpes: &[("haproxy", "haproxy")],
        file: |n| n == "haproxy",
        markers: &[],
        min_parts: 3,
        custom: Some(haproxy_version),
    },
    Classifier {
        product: "mariadb",
        cpes: &[("mariadb", "mariadb")],
        // MariaDB still installs its server as mysqld too
        file: |n| n == "mariadbd" || n == "mysqld",
        markers: &[],
        min_parts: 3,
        custom: Some(mariadb_version),
    },
    Classifier {
        product: "bash",
        cpes: &[("gnu", "bash")],
        file: |n| n == "bash",
        markers: &[(b"@(#)Bash version ", STRING_START)],
        min_parts: 2,
        custom: None,
    },
    Classifier {
        product: "curl",
        cpes: &[("haxx", "curl")],
        file: |n| n == "curl",
        // the default User-Agent
        markers: &[(b"curl/", STRING_START)],
        min_parts: 3,
        custom: None,
    },
    Classifier {
        product: "libcurl",
        cpes: &[("haxx", "libcurl")],
        file: |n| n.starts_with("libcurl.so") || n.starts_with("libcurl-gnutls.so"),
        markers: &[(b"libcurl/", STRING_START)],
        min_parts: 3,
        custom: None,
    },
];

/// What a claimed executable turned out to be.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Identified {
    /// `CLASSIFIERS` index.
    product: usize,
    /// The version found in it.
    pub version: String,
}

/// Finds packages in executables by their embedded version strings.
pub struct BinaryDetector;

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// `python3.11`, `libpython3.11.so.1.0`: the major.minor a CPython file name carries.
fn python_series(name: &str) -> Option<&str> {
    let rest = name
        .strip_prefix("libpython")
        .or_else(|| name.strip_prefix("python"))?;
    let series = rest.split(".so").next()?;
    let series = series.strip_suffix('m').unwrap_or(series);
    let (major, minor) = series.split_once('.')?;
    (!major.is_empty()
        && !minor.is_empty()
        && major.bytes().all(|b| b.is_ascii_digit())
        && minor.bytes().all(|b| b.is_ascii_digit()))
    .then_some(series)
}

impl Detector for BinaryDetector {
    super::common::codec::cache_codec!(0 => Option<Identified>);

    fn name(&self) -> &'static str {
        NAME
    }

    fn claim_patterns(&self) -> Option<&'static [super::ClaimPattern]> {
        // executables, and shared libraries (`libpython3.11.so`, `libcrypto.so.3`) whatever
        // their mode
        use super::ClaimPattern::{Executable, Prefix};
        Some(&[Executable, Prefix("lib")])
    }

    fn claim(&self, path: &str, meta: &EntryMeta) -> Option<Claim> {
        let name = file_name(path);
        let known = CLASSIFIERS.iter().any(|c| (c.file)(name)) || python_series(name).is_some();
        // the executables' claim, so each binary is still read once for every detector
        if !known {
            return None;
        }
        if name.starts_with("lib") {
            // shared libraries need no execute bit
            return Some(Claim::with_magic(elf::MAX_BINARY, elf::MAGIC));
        }
        elf::claim_executable(meta)
    }

    fn parse(&self, path: &str, body: &[u8]) -> Result<Parsed, ParseError> {
        let name = file_name(path);
        let found = match python_series(name) {
            Some(series) => python_version(body, series).map(|version| Identified {
                product: usize::MAX,
                version,
            }),
            None => CLASSIFIERS
                .iter()
                .enumerate()
                .filter(|(_, c)| (c.file)(name))
                .find_map(|(i, c)| {
                    classify(body, c).map(|version| Identified {
                        product: i,
                        version,
                    })
                }),
        };
        Ok(Arc::new(found))
    }

    fn collect(&self, view: &FsView, _ctx: CollectContext, out: &mut Findings) {
        for f in view.parsed(NAME) {
            let Some(Some(id)) = f.get::<Option<Identified>>() else {
                continue;
            };
            let (product, cpes): (&str, &[(&str, &str)]) = match CLASSIFIERS.get(id.product) {
                Some(c) => (c.product, c.cpes),
                None => ("python", &[("python_software_foundation", "python")]),
            };
            let mut pkg = Package::new(Ecosystem::Generic, product, &id.version);
            pkg.cpes = cpes
                .iter()
                .map(|(vendor, p)| format!("cpe:2.3:a:{vendor}:{p}:{}:*:*:*:*:*:*:*", id.version))
                .collect();
            pkg.layer = Some(f.layer);
            pkg.database_path = f.path.to_string();
            pkg.files.push(f.path.to_string());
            pkg.properties
                .insert(FOUND_BY.into(), FOUND_BY_BINARY.into());
            out.packages.push(pkg);
        }
    }
}

/// The first version after one of `c`'s markers.
fn classify(body: &[u8], c: &Classifier) -> Option<String> {
    if let Some(find) = c.custom {
        return find(body);
    }
    for (marker, before) in c.markers {
        for at in memmem::find_iter(body, marker) {
            if !before.is_empty() && (at == 0 || !before.contains(&body[at - 1])) {
                continue;
            }
            if let Some(v) = version_at(&body[at + marker.len()..], c.min_parts) {
                return Some(v);
            }
        }
    }
    None
}

/// `1.22.1` at the start of `b`: dot-separated numbers, at least `min_parts` of them, not
/// followed by another digit or dot-digit.
fn version_at(b: &[u8], min_parts: usize) -> Option<String> {
    let mut end = 0;
    let mut parts = 0;
    loop {
        let digits = b[end..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 || digits > 6 {
            break;
        }
        end += digits;
        parts += 1;
        if b.get(end) == Some(&b'.') && b.get(end + 1).is_some_and(u8::is_ascii_digit) {
            end += 1;
        } else {
            break;
        }
    }
    (parts >= min_parts).then(|| String::from_utf8_lossy(&b[..end]).into_owned())
}

/// CPython keeps its version (`3.11.2`) as a C string of its own; the file name says which
/// series to look for, so `3.1` never matches inside `3.11.2`.
fn python_version(body: &[u8], series: &str) -> Option<String> {
    let marker = format!("{series}.");
    for at in memmem::find_iter(body, marker.as_bytes()) {
        if at > 0 && body[at - 1] != 0 {
            continue;
        }
        let rest = &body[at + marker.len()..];
        let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            continue;
        }
        // the patch number, with a pre-release tag if any (`3.13.0rc1`), then the string ends
        let tail = rest[digits..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || **c == b'+')
            .count();
        let end = digits + tail;
        if matches!(rest.get(end), Some(0) | Some(b' ')) {
            return Some(format!(
                "{series}.{}",
                String::from_utf8_lossy(&rest[..end])
            ));
        }
    }
    None
}

/// The NUL-terminated string starting at `at`, when it is one (no NUL within `max` bytes
/// means it is not a C string worth reading).
fn c_string(body: &[u8], at: usize, max: usize) -> Option<&[u8]> {
    let rest = body.get(at..)?;
    let len = memchr::memchr(0, &rest[..rest.len().min(max)])?;
    Some(&rest[..len])
}

/// Whether `at` begins a C string (the byte before is a NUL, or it is the file's start).
fn starts_string(body: &[u8], at: usize) -> bool {
    at == 0 || body[at - 1] == 0
}

/// `x.y.z` as a whole C string at `at`.
fn whole_version(body: &[u8], at: usize) -> Option<String> {
    let s = c_string(body, at, 32)?;
    let v = version_at(s, 3)?;
    (v.len() == s.len()).then_some(v)
}

/// Redis prints its version from a bare `REDIS_VERSION` string, which no literal precedes;
/// what ties it to Redis is its build id (`redisBuildIdRaw`: the version, then the build id
/// and git digits run together in one C string, `7.0.151790282056000000000`, which need
/// not start a string of its own). The version is the one that appears both bare and as
/// that build id's prefix.
fn redis_version(body: &[u8]) -> Option<String> {
    // only in a Redis binary: the INFO field every build formats
    memmem::find(body, b"redis_version:")?;
    let mut at = 0;
    while let Some(i) = memchr::memchr(0, &body[at..]) {
        let start = at + i + 1;
        at = start;
        let Some(v) = whole_version(body, start) else {
            continue;
        };
        for hit in memmem::find_iter(body, v.as_bytes()) {
            if hit > 0 && (body[hit - 1].is_ascii_digit() || body[hit - 1] == b'.') {
                continue;
            }
            let Some(s) = c_string(body, hit, 128) else {
                continue;
            };
            let id = &s[v.len()..];
            if id.len() >= 8 && id.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-') {
                return Some(v);
            }
        }
    }
    None
}

/// `OpenSSL 3.0.22 25 Aug 2026` (OPENSSL_VERSION_TEXT) as a whole C string: 1.x versions
/// end in a letter (`1.1.1w`), and the release date follows.
fn openssl_version(body: &[u8]) -> Option<String> {
    for at in memmem::find_iter(body, b"OpenSSL ") {
        if !starts_string(body, at) {
            continue;
        }
        let rest = &body[at + 8..];
        let Some(v) = version_at(rest, 3) else {
            continue;
        };
        let mut end = v.len();
        if rest.get(end).is_some_and(u8::is_ascii_lowercase) {
            end += 1;
        }
        // pre-releases: `3.0.0-alpha17`, `3.2.0-beta1`
        if rest.get(end) == Some(&b'-') {
            end += 1 + rest[end + 1..]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric())
                .count();
        }
        // one or two spaces (`1.1.1w  11 Sep 2023`), then the day
        let date = &rest[end..];
        let spaces = date.iter().take_while(|b| **b == b' ').count();
        if (1..=2).contains(&spaces) && date.get(spaces).is_some_and(u8::is_ascii_digit) {
            return Some(String::from_utf8_lossy(&rest[..end]).into_owned());
        }
    }
    None
}

/// `v5.36.0` as a C string of its own (what `perl -v` prints in parentheses).
fn perl_version(body: &[u8]) -> Option<String> {
    for at in memmem::find_iter(body, b"v5.") {
        if !starts_string(body, at) {
            continue;
        }
        if let Some(v) = whole_version(body, at + 1) {
            return Some(v);
        }
    }
    None
}

/// ` version 2.6.12-1+deb12u4, released 2026/10/17`: the version line HAProxy prints,
/// after which a packager's suffix (`-1+deb12u4`) or a dev commit may follow.
fn haproxy_version(body: &[u8]) -> Option<String> {
    for at in memmem::find_iter(body, b" version ") {
        let rest = &body[at + 9..];
        let Some(v) = version_at(rest, 2) else {
            continue;
        };
        let Some(line) = c_string(rest, 0, 128) else {
            continue;
        };
        let tail = &line[v.len()..];
        let Some(comma) = memchr::memchr(b',', tail) else {
            continue;
        };
        if tail[comma..].starts_with(b", released ") {
            return Some(v);
        }
    }
    None
}

/// `10.11.19-MariaDB` (MYSQL_SERVER_VERSION with its suffix) as the start of a C string.
fn mariadb_version(body: &[u8]) -> Option<String> {
    for at in memmem::find_iter(body, b"-MariaDB") {
        let start = body[..at]
            .iter()
            .rposition(|b| !(b.is_ascii_digit() || *b == b'.'))
            .map_or(0, |p| p + 1);
        if start < at && starts_string(body, start) {
            if let Some(v) = version_at(&body[start..at], 3) {
                if v.len() == at - start {
                    return Some(v);
                }
            }
        }
    }
    None
}
