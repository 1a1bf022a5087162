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

const NAME: &str = "binary";

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
}

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
    },
    Classifier {
        product: "httpd",
        cpes: &[("apache", "http_server")],
        file: |n| n == "httpd" || n == "apache2",
        markers: &[(b"Apache/", ANY)],
        min_parts: 3,
    },
    Classifier {
        product: "postgresql",
        cpes: &[("postgresql", "postgresql")],
        file: |n| n == "postgres",
        markers: &[(b"PostgreSQL ", STRING_START)],
        min_parts: 2,
    },
    Classifier {
        product: "node",
        cpes: &[("nodejs", "node.js")],
        file: |n| n == "node" || n == "nodejs",
        markers: &[(b"node.js/v", ANY)],
        min_parts: 3,
    },
    Classifier {
        product: "busybox",
        cpes: &[("busybox", "busybox")],
        file: |n| n == "busybox",
        markers: &[(b"BusyBox v", ANY)],
        min_parts: 3,
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
        // executables, and CPython's shared library whatever its mode
        use super::ClaimPattern::{Executable, Prefix};
        Some(&[Executable, Prefix("libpython")])
    }

    fn claim(&self, path: &str, meta: &EntryMeta) -> Option<Claim> {
        let name = file_name(path);
        let known = CLASSIFIERS.iter().any(|c| (c.file)(name)) || python_series(name).is_some();
        // the executables' claim, so each binary is still read once for every detector
        if !known {
            return None;
        }
        if name.starts_with("libpython") {
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
