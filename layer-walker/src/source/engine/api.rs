//! The Docker Engine API calls the scan makes (Podman serves the same ones on its
//! Docker-compatible socket): `/_ping`, `/version`, `/images/{name}/json`, `/images/{id}/get`.

use std::io;
use std::time::Duration;

use serde::Deserialize;

use super::http::{self, Body};
use super::socket::{self, Endpoint};

/// The oldest API version whose image export and inspect answer this reads (Docker 1.12).
pub(crate) const MIN_API: (u32, u32) = (1, 24);

/// Why a call failed.
#[derive(Debug)]
pub(crate) enum CallError {
    /// Connecting, or the exchange itself.
    Io(io::Error),
    /// The engine answered with an error status; its message, if it gave one.
    Status(u16, String),
    /// The answer is not what the API documents.
    Answer(String),
}

/// One engine's API.
pub(crate) struct Client {
    pub endpoint: Endpoint,
    pub stall: Duration,
}

/// What `/images/{name}/json` says of an image (the fields the SBOM uses).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Inspect {
    pub id: String,
    #[serde(default)]
    pub repo_tags: Option<Vec<String>>,
    #[serde(default)]
    pub repo_digests: Option<Vec<String>>,
    #[serde(default)]
    pub size: Option<u64>,
}

#[derive(Deserialize)]
struct Version {
    #[serde(rename = "ApiVersion")]
    api_version: String,
    #[serde(rename = "Version", default)]
    version: String,
}

#[derive(Deserialize)]
struct Message {
    message: String,
}

impl Client {
    fn call(&self, path: &str) -> Result<http::Response, CallError> {
        let conn = socket::connect(&self.endpoint, self.stall).map_err(CallError::Io)?;
        http::get(conn, socket::host_header(&self.endpoint), path, self.stall)
            .map_err(CallError::Io)
    }

    /// A small JSON answer of a successful call.
    fn json<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, CallError> {
        let r = self.ok(path)?;
        let bytes = r.read_small(16 << 20).map_err(CallError::Io)?;
        serde_json::from_slice(&bytes)
            .map_err(|e| CallError::Answer(format!("GET {path}: unexpected answer: {e}")))
    }

    /// The response of `path`, or the engine's error.
    fn ok(&self, path: &str) -> Result<http::Response, CallError> {
        let r = self.call(path)?;
        if (200..300).contains(&r.status) {
            return Ok(r);
        }
        let status = r.status;
        let text = r.read_small(64 << 10).unwrap_or_default();
        let msg = serde_json::from_slice::<Message>(&text)
            .map(|m| m.message)
            .unwrap_or_else(|_| String::from_utf8_lossy(&text).trim().to_string());
        Err(CallError::Status(status, msg))
    }

    /// Checks the engine answers and speaks a recent enough API; returns its version.
    pub(crate) fn version(&self) -> Result<String, CallError> {
        let r = self.ok("/_ping")?;
        r.read_small(1 << 10).map_err(CallError::Io)?;
        let v: Version = self.json("/version")?;
        let parsed = parse_api(&v.api_version).ok_or_else(|| {
            CallError::Answer(format!("unparsable API version {:?}", v.api_version))
        })?;
        if parsed < MIN_API {
            return Err(CallError::Answer(format!(
                "the engine speaks API {} (engine {}); reading images needs {}.{} or later",
                v.api_version, v.version, MIN_API.0, MIN_API.1
            )));
        }
        Ok(format!("{} (API {})", v.version, v.api_version))
    }

    pub(crate) fn inspect(&self, name: &str) -> Result<Inspect, CallError> {
        self.json(&format!("/images/{}/json", encode(name)))
    }

    /// The export stream of the image `id`: a `docker save` archive.
    pub(crate) fn export(&self, id: &str) -> Result<Body, CallError> {
        Ok(self.ok(&format!("/images/{}/get", encode(id)))?.body)
    }
}

fn parse_api(v: &str) -> Option<(u32, u32)> {
    let (a, b) = v.split_once('.')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

/// `name` as one path segment's worth of URL: reference characters kept (`/`, `:`, `@` too:
/// the engines route `/images/{name:.*}/json`), everything else percent-encoded, so no name
/// can add to the request.
fn encode(name: &str) -> String {
    use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
    const KEEP: &percent_encoding::AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~')
        .remove(b'/')
        .remove(b':')
        .remove(b'@');
    utf8_percent_encode(name, KEEP).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cannot_add_to_the_request() {
        assert_eq!(
            encode("reg:5000/a/b:1@sha256:ab"),
            "reg:5000/a/b:1@sha256:ab"
        );
        assert_eq!(encode("a b\r\nX: y"), "a%20b%0D%0AX:%20y");
        assert_eq!(parse_api("1.41"), Some((1, 41)));
        assert!(parse_api("4").is_none());
    }
}
