//! Where an engine listens: `DOCKER_HOST` / `CONTAINER_HOST` when set, else the engine's
//! default socket; and connecting to it with bounded waits.

use std::io;
use std::net::{TcpStream, ToSocketAddrs};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::Duration;

use super::http::Conn;
use crate::source::Engine;

/// How long a TCP connect may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// An engine's API endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Endpoint {
    /// A Unix socket (the engines' default).
    Unix(PathBuf),
    /// `tcp://HOST:PORT`, plain HTTP.
    Tcp(String),
}

/// An endpoint and what chose it, for errors that say how to point at another.
#[derive(Debug, Clone)]
pub(crate) struct Located {
    pub endpoint: Endpoint,
    /// `DOCKER_HOST`, `CONTAINER_HOST`, or `None` for the default.
    pub from_var: Option<&'static str>,
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Endpoint::Unix(p) => write!(f, "unix://{}", p.display()),
            Endpoint::Tcp(a) => write!(f, "tcp://{a}"),
        }
    }
}

/// The variable that points at another endpoint of `engine`.
pub(crate) fn host_var(engine: Engine) -> &'static str {
    match engine {
        Engine::Docker => "DOCKER_HOST",
        Engine::Podman => "CONTAINER_HOST",
    }
}

/// Where `engine` listens, from the environment `env`.
pub(crate) fn locate(
    engine: Engine,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Located, String> {
    let var = host_var(engine);
    if let Some(v) = env(var).filter(|v| !v.is_empty()) {
        return Ok(Located {
            endpoint: parse(engine, var, &v, env)?,
            from_var: Some(var),
        });
    }
    let endpoint = match engine {
        Engine::Docker => Endpoint::Unix("/var/run/docker.sock".into()),
        Engine::Podman => {
            // rootless podman serves the user's images from the user's runtime directory;
            // the rootful socket is the fallback
            let rootless = env("XDG_RUNTIME_DIR")
                .filter(|d| !d.is_empty())
                .map(|d| PathBuf::from(d).join("podman/podman.sock"))
                .filter(|p| p.exists());
            Endpoint::Unix(rootless.unwrap_or_else(|| "/run/podman/podman.sock".into()))
        }
    };
    Ok(Located {
        endpoint,
        from_var: None,
    })
}

fn parse(
    engine: Engine,
    var: &str,
    v: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Endpoint, String> {
    if let Some(path) = v.strip_prefix("unix://") {
        return Ok(Endpoint::Unix(path.into()));
    }
    if let Some(addr) = v
        .strip_prefix("tcp://")
        .or_else(|| v.strip_prefix("http://"))
    {
        let addr = addr.trim_end_matches('/');
        let tls = match engine {
            Engine::Docker => env("DOCKER_TLS_VERIFY").is_some_and(|t| !t.is_empty() && t != "0"),
            Engine::Podman => false,
        };
        if tls {
            return Err(format!(
                "{var}={v} with DOCKER_TLS_VERIFY: TLS connections to an engine are not supported by this build; \
                 use its Unix socket (unix:///PATH), or save the image (docker save NAME | sbom scan -)"
            ));
        }
        let addr = if addr.contains(':') {
            addr.to_string()
        } else {
            format!("{addr}:2375")
        };
        return Ok(Endpoint::Tcp(addr));
    }
    Err(format!(
        "{var}={v}: only unix://PATH and tcp://HOST:PORT endpoints are supported (for ssh:// and others, \
         save the image instead: {} save NAME | sbom scan -)",
        engine.as_str()
    ))
}

/// Connects to `endpoint`; reads and writes time out after `stall` of silence.
pub(crate) fn connect(endpoint: &Endpoint, stall: Duration) -> io::Result<Box<dyn Conn>> {
    match endpoint {
        Endpoint::Unix(p) => {
            let s = UnixStream::connect(p)?;
            s.set_read_timeout(Some(stall))?;
            s.set_write_timeout(Some(stall))?;
            Ok(Box::new(s))
        }
        Endpoint::Tcp(addr) => {
            let mut last = None;
            for a in addr.to_socket_addrs()? {
                match TcpStream::connect_timeout(&a, CONNECT_TIMEOUT) {
                    Ok(s) => {
                        s.set_read_timeout(Some(stall))?;
                        s.set_write_timeout(Some(stall))?;
                        s.set_nodelay(true)?;
                        return Ok(Box::new(s));
                    }
                    Err(e) => last = Some(e),
                }
            }
            Err(last.unwrap_or_else(|| {
                io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("{addr} resolves to no address"),
                )
            }))
        }
    }
}

/// The `Host` header: the engines ignore it, HTTP/1.1 requires one.
pub(crate) fn host_header(endpoint: &Endpoint) -> &str {
    match endpoint {
        Endpoint::Unix(_) => "localhost",
        Endpoint::Tcp(a) => a,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn host_variables_and_defaults() {
        let l = locate(Engine::Docker, &with(&[])).unwrap();
        assert_eq!(l.endpoint, Endpoint::Unix("/var/run/docker.sock".into()));
        assert_eq!(l.from_var, None);
        let l = locate(
            Engine::Docker,
            &with(&[("DOCKER_HOST", "unix:///tmp/d.sock")]),
        )
        .unwrap();
        assert_eq!(l.endpoint, Endpoint::Unix("/tmp/d.sock".into()));
        assert_eq!(l.from_var, Some("DOCKER_HOST"));
        let l = locate(Engine::Docker, &with(&[("DOCKER_HOST", "tcp://127.0.0.1")])).unwrap();
        assert_eq!(l.endpoint, Endpoint::Tcp("127.0.0.1:2375".into()));
        let e = locate(
            Engine::Docker,
            &with(&[("DOCKER_HOST", "tcp://h:2376"), ("DOCKER_TLS_VERIFY", "1")]),
        )
        .unwrap_err();
        assert!(e.contains("TLS"), "{e}");
        let e = locate(Engine::Docker, &with(&[("DOCKER_HOST", "ssh://me@h")])).unwrap_err();
        assert!(e.contains("docker save NAME | sbom scan -"), "{e}");
        // podman: its own variable; rootless socket only when it is there
        let l = locate(
            Engine::Podman,
            &with(&[
                ("DOCKER_HOST", "unix:///x"),
                ("XDG_RUNTIME_DIR", "/nonexistent"),
            ]),
        )
        .unwrap();
        assert_eq!(l.endpoint, Endpoint::Unix("/run/podman/podman.sock".into()));
        let l = locate(
            Engine::Podman,
            &with(&[("CONTAINER_HOST", "unix:///p.sock")]),
        )
        .unwrap();
        assert_eq!(l.endpoint, Endpoint::Unix("/p.sock".into()));
    }
}
