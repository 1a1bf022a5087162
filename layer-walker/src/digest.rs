//! Content digests (`sha256:<hex>`), parsed and validated once where they enter: from a
//! manifest, a config's `diff_ids`, a file name, or the bytes themselves.
//!
//! A digest is also a file name (`blobs/sha256/<hex>` in an OCI layout) and, for registries,
//! part of a URL, so a string that is not exactly `algorithm:hex` must never get that far.

use std::fmt;
use std::str::FromStr;

use sha2::{Digest as _, Sha256};

/// The digest algorithms the OCI image spec registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Algorithm {
    /// SHA-256: what every image builder writes, and the only one computed here.
    Sha256,
    /// SHA-512: registered, rarely used; digests of it are reported as not verified.
    Sha512,
}

impl Algorithm {
    /// The name in a digest string: `sha256`.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha512 => "sha512",
        }
    }

    /// Hex digits of its encoded form.
    fn hex_len(self) -> usize {
        match self {
            Algorithm::Sha256 => 64,
            Algorithm::Sha512 => 128,
        }
    }
}

/// A content digest: algorithm and lowercase hex, as the OCI image spec writes them.
///
/// ```
/// use layer_walker::{Algorithm, Digest};
///
/// let d: Digest = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".parse()?;
/// assert_eq!(d.algorithm(), Algorithm::Sha256);
/// assert_eq!(d, Digest::sha256(b""));
/// assert_eq!(d.blob_path(), "blobs/sha256/e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
/// assert!("sha256:E3B0".parse::<Digest>().is_err());
/// # Ok::<(), layer_walker::DigestError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest {
    /// `algorithm:hex`, validated: one allocation, and small enough that errors carrying
    /// two digests stay small.
    full: Box<str>,
}

/// Why a string is not a [`Digest`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{input:?} is not a digest: {reason}")]
pub struct DigestError {
    /// The string, cut to 100 characters.
    pub input: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl Digest {
    /// The SHA-256 digest of `bytes`.
    pub fn sha256(bytes: &[u8]) -> Digest {
        Digest::from_sha256(Sha256::digest(bytes).into())
    }

    /// A SHA-256 digest from its 32 bytes.
    pub fn from_sha256(bytes: [u8; 32]) -> Digest {
        use std::fmt::Write;
        let mut full = String::with_capacity(71);
        full.push_str("sha256:");
        for b in bytes {
            let _ = write!(full, "{b:02x}");
        }
        Digest { full: full.into() }
    }

    /// A digest from its algorithm and encoded (hex) part, checked like [`str::parse`].
    pub fn new(algorithm: Algorithm, hex: &str) -> Result<Digest, DigestError> {
        let bad = |reason| DigestError {
            input: format!("{}:{}", algorithm.as_str(), cut(hex)),
            reason,
        };
        if hex.len() != algorithm.hex_len() {
            return Err(bad("wrong length for its algorithm"));
        }
        if !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(bad("not lowercase hex"));
        }
        Ok(Digest {
            full: format!("{}:{hex}", algorithm.as_str()).into(),
        })
    }

    /// The algorithm.
    pub fn algorithm(&self) -> Algorithm {
        if self.full.starts_with("sha512:") {
            Algorithm::Sha512
        } else {
            Algorithm::Sha256
        }
    }

    /// The encoded part: lowercase hex.
    pub fn hex(&self) -> &str {
        self.full.split_once(':').map_or("", |(_, h)| h)
    }

    /// Where an OCI layout keeps the blob: `blobs/<algorithm>/<hex>`.
    pub fn blob_path(&self) -> String {
        format!("blobs/{}/{}", self.algorithm().as_str(), self.hex())
    }

    /// Whether `wanted` names this digest: the whole `sha256:<hex>`, or at least 12 hex
    /// digits of it (with or without `sha256:`), as `docker images` shows image IDs.
    pub fn matches_prefix(&self, wanted: &str) -> bool {
        let w = wanted
            .strip_prefix(self.algorithm().as_str())
            .and_then(|r| r.strip_prefix(':'))
            .unwrap_or(wanted)
            .to_ascii_lowercase();
        w.len() >= 12 && w.bytes().all(|b| b.is_ascii_hexdigit()) && self.hex().starts_with(&w)
    }
}

fn cut(s: &str) -> &str {
    match s.char_indices().nth(100) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

impl FromStr for Digest {
    type Err = DigestError;

    fn from_str(s: &str) -> Result<Digest, DigestError> {
        let bad = |reason| DigestError {
            input: cut(s).to_string(),
            reason,
        };
        let (alg, hex) = s.split_once(':').ok_or_else(|| bad("no `algorithm:`"))?;
        let algorithm = match alg {
            "sha256" => Algorithm::Sha256,
            "sha512" => Algorithm::Sha512,
            _ => return Err(bad("the algorithm is not sha256 or sha512")),
        };
        Digest::new(algorithm, hex).map_err(|e| bad(e.reason))
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.full)
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl serde::Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Read where documents name digests (descriptors): parsed as [`Digest::from_str`], so a
/// malformed one is refused at the edge.
impl<'de> serde::Deserialize<'de> for Digest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Digest, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn parses_what_it_prints() {
        let d: Digest = EMPTY.parse().unwrap();
        assert_eq!(d.to_string(), EMPTY);
        assert_eq!(d, Digest::sha256(b""));
        let long = format!("sha512:{}", "ab".repeat(64));
        assert_eq!(long.parse::<Digest>().unwrap().to_string(), long);
    }

    #[test]
    fn refuses_what_could_name_another_file() {
        for bad in [
            "",
            "sha256",
            "sha256:",
            "sha256:../../etc/passwd",
            "md5:d41d8cd98f00b204e9800998ecf8427e",
            "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
            &format!("{EMPTY}0"),
            &format!("sha512:{}", "a".repeat(64)),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85/",
        ] {
            assert!(bad.parse::<Digest>().is_err(), "{bad}");
        }
    }

    #[test]
    fn prefixes_name_image_ids_as_docker_shows_them() {
        let d: Digest = EMPTY.parse().unwrap();
        assert!(d.matches_prefix("e3b0c44298fc"));
        assert!(d.matches_prefix("sha256:E3B0C44298FC1C"));
        assert!(d.matches_prefix(EMPTY));
        assert!(!d.matches_prefix("e3b0c44298f"));
        assert!(!d.matches_prefix("e3b0c44298fd"));
    }
}
