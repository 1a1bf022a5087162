//! Parsed forms as bytes, for the layer cache: every detector's `encode`/`decode` pair is
//! made by [`cache_codec!`] from the list of types its `parse` returns.
//!
//! The bytes are one tag (the type's place in that list) and the value as JSON. JSON rather
//! than a compact binary format because several parsed types keep the `Deserialize` they
//! have for the ecosystem's own JSON (Composer's string-or-list licenses, cargo-auditable's
//! defaults), which needs a self-describing format; serde_json is already built, and the
//! cache compresses whole entries with zstd, which takes back most of JSON's size.

use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::detect::{ParseError, Parsed};

/// `parsed` as `tag` + JSON, if it is a `T`.
pub(crate) fn encode_one<T: Serialize + 'static>(tag: u8, parsed: &Parsed) -> Option<Vec<u8>> {
    let value = parsed.downcast_ref::<T>()?;
    let mut out = vec![tag];
    serde_json::to_writer(&mut out, value).ok()?;
    Some(out)
}

/// The `T` that [`encode_one`] wrote (without its tag).
pub(crate) fn decode_one<T: DeserializeOwned + Send + Sync + 'static>(
    body: &[u8],
) -> Result<Parsed, ParseError> {
    serde_json::from_slice::<T>(body)
        .map(|v| Arc::new(v) as Parsed)
        .map_err(|e| ParseError(format!("cached parsed form: {e}")))
}

/// Implements [`crate::detect::Detector::encode`] and `decode` for a detector whose
/// `parse` returns one of the listed types, each with its own tag.
macro_rules! cache_codec {
    ($($tag:literal => $t:ty),+ $(,)?) => {
        fn encode(&self, parsed: &$crate::detect::Parsed) -> Option<Vec<u8>> {
            None $(.or_else(|| $crate::detect::common::codec::encode_one::<$t>($tag, parsed)))+
        }

        fn decode(&self, bytes: &[u8]) -> Result<$crate::detect::Parsed, $crate::detect::ParseError> {
            match bytes.split_first() {
                $(Some((&$tag, body)) => $crate::detect::common::codec::decode_one::<$t>(body),)+
                _ => Err("cached parsed form of an unknown kind".into()),
            }
        }
    };
}
pub(crate) use cache_codec;
