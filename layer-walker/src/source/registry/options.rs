//! How registries are reached: trust, plain-HTTP exceptions, credentials, timeouts, retries.
//! Plain data, set through [`crate::Scanner::registry`], so nothing is global.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// Options for `registry:` images.
///
/// ```
/// use std::time::Duration;
/// use layer_walker::{Credentials, RegistryOptions};
///
/// let mut opts = RegistryOptions::default();
/// opts.ca_files.push("/etc/my-ca.pem".into());
/// opts.insecure_hosts.push("build-cache:5000".into());
/// opts.credentials = Some(Credentials::new("ci", "hunter2"));
/// opts.timeout = Duration::from_secs(10);
/// assert!(!format!("{opts:?}").contains("hunter2"));
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RegistryOptions {
    /// PEM files of certificate authorities trusted besides the system's (`/etc/ssl/certs`).
    pub ca_files: Vec<PathBuf>,
    /// Hosts (`host` or `host:port`) that may be reached over plain HTTP, and whose TLS
    /// certificate is not verified, as Docker's `insecure-registries`. Loopback addresses
    /// may always use plain HTTP (with TLS still verified when they speak it).
    pub insecure_hosts: Vec<String>,
    /// Credentials for the registry of the image; without them they are looked up in the
    /// credential files (see [`RegistryOptions::credential_files`]), else the pull is
    /// anonymous.
    pub credentials: Option<Credentials>,
    /// Whether to read Docker's `config.json` (and its credential helpers) and containers'
    /// `auth.json`. Default true.
    pub credential_files: bool,
    /// Connecting, and the longest wait for any byte of an answer. Default 30 s.
    pub timeout: Duration,
    /// Retries of a request after a connection error, a cut transfer, 429 or 5xx. Default 3.
    pub retries: u32,
    /// Wait before the first retry, doubled for each next one. Default 500 ms.
    pub retry_delay: Duration,
}

impl Default for RegistryOptions {
    fn default() -> Self {
        RegistryOptions {
            ca_files: Vec::new(),
            insecure_hosts: Vec::new(),
            credentials: None,
            credential_files: true,
            timeout: Duration::from_secs(30),
            retries: 3,
            retry_delay: Duration::from_millis(500),
        }
    }
}

/// A user name and password (or token) for a registry. `Debug` never shows the password,
/// and no error, log line or SBOM carries it.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    username: String,
    password: String,
}

impl Credentials {
    /// Credentials from a user name and a password or access token.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        Credentials {
            username: username.into(),
            password: password.into(),
        }
    }

    /// The user name.
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The password or token.
    pub fn password(&self) -> &str {
        &self.password
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}
