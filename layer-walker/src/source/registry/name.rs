//! Registry references (`HOST[:PORT]/REPO[:TAG][@DIGEST]`), parsed and normalised as Docker
//! does: a first component without a `.` or `:` (and not `localhost`) is a Docker Hub
//! repository, so `debian` is `docker.io/library/debian:latest`.

use std::fmt;

use crate::digest::Digest;
use crate::source::RefError;

/// Docker Hub's name in references, and the host its API is served from.
const DOCKER_HUB: &str = "docker.io";
const DOCKER_HUB_API: &str = "registry-1.docker.io";

/// An image in a registry: where, which repository, which tag or digest.
///
/// ```
/// use layer_walker::RegistryRef;
///
/// let r = RegistryRef::parse("debian")?;
/// assert_eq!(r.to_string(), "docker.io/library/debian:latest");
/// assert_eq!(r.api_host(), "registry-1.docker.io");
///
/// let r = RegistryRef::parse("127.0.0.1:5000/team/app:1.2")?;
/// assert_eq!((r.registry(), r.repository(), r.tag()), ("127.0.0.1:5000", "team/app", Some("1.2")));
/// assert!(r.digest().is_none());
///
/// let pinned = "ghcr.io/org/tool@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/// let r = RegistryRef::parse(pinned)?;
/// assert_eq!(r.tag(), None);
/// assert_eq!(r.to_string(), pinned);
/// assert!(RegistryRef::parse("Upper/Case").is_err());
/// # Ok::<(), layer_walker::RefError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RegistryRef {
    registry: String,
    repository: String,
    tag: Option<String>,
    digest: Option<Digest>,
}

impl RegistryRef {
    /// Parses a reference as `docker pull` reads it, filling in Docker Hub's implied parts.
    pub fn parse(s: &str) -> Result<RegistryRef, RefError> {
        let bad = |reason: &str| RefError::BadRegistryRef {
            input: s.chars().take(300).collect(),
            reason: reason.to_string(),
        };
        if s.is_empty() {
            return Err(bad("it is empty"));
        }
        let (rest, digest) = match s.split_once('@') {
            Some((r, d)) => {
                let d: Digest = d
                    .parse()
                    .map_err(|_| bad("the digest after @ is not sha256:<64 hex digits>"))?;
                (r, Some(d))
            }
            None => (s, None),
        };
        let (name, tag) = match rest.rsplit_once(':') {
            Some((n, t)) if !t.contains('/') => (n, Some(t)),
            _ => (rest, None),
        };
        if let Some(t) = tag {
            if !valid_tag(t) {
                return Err(bad(
                    "the tag must be 1 to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'",
                ));
            }
        }
        let (registry, path) = match name.split_once('/') {
            Some((first, path)) if is_host(first) => (first, path),
            _ => (DOCKER_HUB, name),
        };
        if registry.is_empty() || registry.contains(|c: char| c.is_whitespace() || c == '@') {
            return Err(bad("the registry host is not valid"));
        }
        let registry = match registry {
            "index.docker.io" | "registry-1.docker.io" => DOCKER_HUB,
            r => r,
        };
        let repository = if registry == DOCKER_HUB && !path.contains('/') {
            format!("library/{path}")
        } else {
            path.to_string()
        };
        if repository.len() > 255 || !repository.split('/').all(valid_component) {
            return Err(bad(
                "the repository must be lowercase letters, digits and separators (., _, __, -) between '/'",
            ));
        }
        let tag = match (tag, &digest) {
            (Some(t), _) => Some(t.to_string()),
            (None, Some(_)) => None,
            (None, None) => Some("latest".to_string()),
        };
        Ok(RegistryRef {
            registry: registry.to_string(),
            repository,
            tag,
            digest,
        })
    }

    /// The registry as references name it: `docker.io`, `127.0.0.1:5000`.
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// The host (and port) its API answers on: the registry, except Docker Hub's.
    pub fn api_host(&self) -> &str {
        if self.registry == DOCKER_HUB {
            DOCKER_HUB_API
        } else {
            &self.registry
        }
    }

    /// The repository: `library/debian`, `team/app`.
    pub fn repository(&self) -> &str {
        &self.repository
    }

    /// The tag (`latest` when the reference names neither tag nor digest).
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The manifest digest the reference pins, if it pins one.
    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }

    /// `registry/repository`, without tag or digest.
    pub fn name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// What the manifest is fetched by: the digest when pinned, else the tag.
    pub fn manifest_reference(&self) -> String {
        match (&self.digest, &self.tag) {
            (Some(d), _) => d.to_string(),
            (None, Some(t)) => t.clone(),
            (None, None) => "latest".to_string(),
        }
    }
}

impl fmt::Display for RegistryRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for RegistryRef {
    type Err = RefError;

    fn from_str(s: &str) -> Result<Self, RefError> {
        RegistryRef::parse(s)
    }
}

/// Docker's rule: a first component is a host when it has a `.` or a `:`, is `localhost`,
/// or has capitals (repositories cannot).
fn is_host(first: &str) -> bool {
    first.contains(['.', ':'])
        || first == "localhost"
        || first.chars().any(|c| c.is_ascii_uppercase())
}

fn valid_tag(t: &str) -> bool {
    let b = t.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || b"_.-".contains(c))
}

/// `[a-z0-9]+` runs joined by `.`, `_`, `__` or any number of `-`.
fn valid_component(c: &str) -> bool {
    let b = c.as_bytes();
    if b.is_empty() || !is_alnum(b[0]) || !is_alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if is_alnum(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !is_alnum(b[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        if !(sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|x| x == b'-')) {
            return false;
        }
    }
    true
}

fn is_alnum(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(s: &str) -> String {
        RegistryRef::parse(s).unwrap().to_string()
    }

    #[test]
    fn docker_hub_names_are_normalised() {
        assert_eq!(canon("debian"), "docker.io/library/debian:latest");
        assert_eq!(canon("debian:12"), "docker.io/library/debian:12");
        assert_eq!(canon("bitnami/redis"), "docker.io/bitnami/redis:latest");
        assert_eq!(canon("docker.io/debian"), "docker.io/library/debian:latest");
        assert_eq!(
            canon("index.docker.io/library/debian:12"),
            "docker.io/library/debian:12"
        );
        assert_eq!(
            RegistryRef::parse("debian").unwrap().api_host(),
            "registry-1.docker.io"
        );
    }

    #[test]
    fn hosts_ports_and_digests() {
        let r = RegistryRef::parse("localhost/app").unwrap();
        assert_eq!((r.registry(), r.repository()), ("localhost", "app"));
        let r = RegistryRef::parse("localhost:5000/a/b/c:v1").unwrap();
        assert_eq!(
            (r.registry(), r.repository(), r.tag()),
            ("localhost:5000", "a/b/c", Some("v1"))
        );
        assert_eq!(r.api_host(), "localhost:5000");
        let d = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        let r = RegistryRef::parse(&format!("quay.io/x/y:t@{d}")).unwrap();
        assert_eq!(r.tag(), Some("t"));
        assert_eq!(r.manifest_reference(), d);
        assert_eq!(r.to_string(), format!("quay.io/x/y:t@{d}"));
        // a port is not a tag
        let r = RegistryRef::parse("reg:5000/app").unwrap();
        assert_eq!((r.registry(), r.tag()), ("reg:5000", Some("latest")));
    }

    #[test]
    fn malformed_references_are_refused() {
        for s in [
            "",
            "app:",
            "app:-x",
            "Upper/Case",
            "reg.io/App",
            "reg.io/a//b",
            "reg.io/a/",
            "a@sha256:12",
            "reg.io/a:b:c",
            "a___b",
        ] {
            assert!(RegistryRef::parse(s).is_err(), "{s}");
        }
        assert!(RegistryRef::parse("a__b.c-d---e").is_ok());
    }
}
