//! Credentials the user saved with `docker login` or `podman login`: containers' `auth.json`
//! (`REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`,
//! `~/.config/containers/auth.json`), then Docker's `config.json` (`$DOCKER_CONFIG`,
//! `~/.docker`): `credHelpers` for the host, else `credsStore`, else the inline `auths`.
//! Helpers speak the `docker-credential-*` protocol: `get` with the server on stdin, JSON
//! with `Username` and `Secret` on stdout.
//!
//! Nothing here logs or returns what it read except as [`Credentials`], whose `Debug` hides
//! the secret; problems with a file or helper are logged by name only.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use base64::Engine as _;
use serde::Deserialize;

use super::options::Credentials;

/// Credential files and helper answers are small; bigger ones are ignored.
const MAX_FILE: u64 = 4 << 20;

#[derive(Deserialize, Default)]
struct ConfigFile {
    #[serde(default)]
    auths: BTreeMap<String, AuthEntry>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: BTreeMap<String, String>,
}

#[derive(Deserialize, Default)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
}

/// The credentials saved for `repository` at `registry` (as references name it:
/// `docker.io`, `host:port`), if any.
pub(crate) fn lookup(registry: &str, repository: &str) -> Option<Credentials> {
    for path in containers_auth_files() {
        if let Some(c) = from_file(&path, registry, repository, false) {
            return Some(c);
        }
    }
    from_file(&docker_config()?, registry, repository, true)
}

fn containers_auth_files() -> Vec<PathBuf> {
    if let Some(f) = std::env::var_os("REGISTRY_AUTH_FILE") {
        return vec![PathBuf::from(f)];
    }
    let mut out = Vec::new();
    if let Some(run) = std::env::var_os("XDG_RUNTIME_DIR") {
        out.push(PathBuf::from(run).join("containers/auth.json"));
    }
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")));
    if let Some(c) = config {
        out.push(c.join("containers/auth.json"));
    }
    out
}

fn docker_config() -> Option<PathBuf> {
    match std::env::var_os("DOCKER_CONFIG") {
        Some(d) => Some(PathBuf::from(d).join("config.json")),
        None => std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".docker/config.json")),
    }
}

fn from_file(
    path: &std::path::Path,
    registry: &str,
    repository: &str,
    docker: bool,
) -> Option<Credentials> {
    let file = std::fs::File::open(path).ok()?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE).read_to_end(&mut bytes).ok()?;
    let config: ConfigFile = match serde_json::from_slice(&bytes) {
        Ok(c) => c,
        Err(_) => {
            tracing::warn!(
                "ignoring the credential file {}: not valid JSON",
                path.display()
            );
            return None;
        }
    };
    if let Some(helper) = config
        .cred_helpers
        .iter()
        .find(|(k, _)| host_of(k) == registry)
        .map(|(_, v)| v)
    {
        return helper_get(helper, registry);
    }
    if let Some(store) = &config.creds_store {
        if let Some(c) = helper_get(store, registry) {
            return Some(c);
        }
    }
    // the most specific entry: `host/namespace/repo` keys (containers) before `host`
    let full = format!("{registry}/{repository}");
    let entry = config
        .auths
        .iter()
        .filter_map(|(k, e)| {
            let key = normalise_key(k, docker);
            let applies = key == registry
                || key == full
                || (full.starts_with(&key) && full.as_bytes().get(key.len()) == Some(&b'/'));
            applies.then_some((key.len(), e))
        })
        .max_by_key(|(len, _)| *len)
        .map(|(_, e)| e)?;
    decode(entry).or_else(|| {
        tracing::warn!(
            "ignoring the entry for {registry} in {}: no readable auth",
            path.display()
        );
        None
    })
}

/// `https://index.docker.io/v1/` -> `docker.io`, `https://host:5000/v2/` -> `host:5000`;
/// containers' keys may carry a repository path, kept (Docker's never do).
fn normalise_key(k: &str, docker: bool) -> String {
    let k = k
        .strip_prefix("https://")
        .or_else(|| k.strip_prefix("http://"))
        .unwrap_or(k);
    let k = if docker || k.ends_with("/v1/") || k.ends_with("/v2/") {
        k.split('/').next().unwrap_or(k)
    } else {
        k.trim_end_matches('/')
    };
    let (host, rest) = k.split_once('/').unwrap_or((k, ""));
    let host = match host {
        "index.docker.io" | "registry-1.docker.io" => "docker.io",
        h => h,
    };
    if rest.is_empty() {
        host.to_string()
    } else {
        format!("{host}/{rest}")
    }
}

fn host_of(k: &str) -> String {
    let n = normalise_key(k, true);
    n.split('/').next().unwrap_or(&n).to_string()
}

fn decode(e: &AuthEntry) -> Option<Credentials> {
    if let Some(a) = e.auth.as_deref().filter(|a| !a.is_empty()) {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(a.trim())
            .ok()?;
        let s = String::from_utf8(raw).ok()?;
        let (u, p) = s.split_once(':')?;
        return Some(Credentials::new(u, p));
    }
    match (&e.username, &e.password) {
        (Some(u), Some(p)) => Some(Credentials::new(u.clone(), p.clone())),
        _ => None,
    }
}

/// Asks `docker-credential-NAME` for the registry's credentials. Docker Hub's are stored
/// under its v1 URL, as `docker login` saves them.
fn helper_get(name: &str, registry: &str) -> Option<Credentials> {
    if name.is_empty() || name.contains('/') {
        return None;
    }
    let program = format!("docker-credential-{name}");
    let server = if registry == "docker.io" {
        "https://index.docker.io/v1/"
    } else {
        registry
    };
    let mut child = match Command::new(&program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!("credential helper {program} could not be run: {e}");
            return None;
        }
    };
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(server.as_bytes());
    }
    let mut out = Vec::new();
    if let Some(stdout) = child.stdout.take() {
        let _ = stdout.take(MAX_FILE).read_to_end(&mut out);
    }
    let status = child.wait().ok()?;
    if !status.success() {
        // "credentials not found" is the usual answer: the registry may be anonymous
        tracing::debug!("credential helper {program} has nothing for {registry}");
        return None;
    }
    #[derive(Deserialize)]
    struct Answer {
        #[serde(rename = "Username", default)]
        username: String,
        #[serde(rename = "Secret", default)]
        secret: String,
    }
    let Ok(a) = serde_json::from_slice::<Answer>(&out) else {
        tracing::warn!("credential helper {program} answered something that is not its JSON");
        return None;
    };
    if a.username == "<token>" {
        // an identity token is exchanged through OAuth2, which registries do not all offer
        tracing::warn!(
            "credential helper {program} holds an identity token for {registry}, which is not supported; log in with a password or access token"
        );
        return None;
    }
    (!a.secret.is_empty()).then(|| Credentials::new(a.username, a.secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_normalised_as_docker_writes_them() {
        assert_eq!(
            normalise_key("https://index.docker.io/v1/", true),
            "docker.io"
        );
        assert_eq!(
            normalise_key("registry.example:5000", true),
            "registry.example:5000"
        );
        assert_eq!(normalise_key("http://r.example/v2/", false), "r.example");
        assert_eq!(normalise_key("quay.io/team/app", false), "quay.io/team/app");
    }

    #[test]
    fn inline_auths_decode_and_the_most_specific_entry_wins() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("auth.json");
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        std::fs::write(
            &f,
            format!(
                r#"{{"auths":{{"quay.io":{{"auth":"{}"}},"quay.io/team":{{"auth":"{}"}}}}}}"#,
                b64("all:one"),
                b64("team:two")
            ),
        )
        .unwrap();
        let c = from_file(&f, "quay.io", "team/app", false).unwrap();
        assert_eq!((c.username(), c.password()), ("team", "two"));
        let c = from_file(&f, "quay.io", "team", false).unwrap();
        assert_eq!(c.username(), "team");
        let c = from_file(&f, "quay.io", "other/app", false).unwrap();
        assert_eq!((c.username(), c.password()), ("all", "one"));
        assert!(from_file(&f, "ghcr.io", "team/app", false).is_none());
    }
}
