//! Where an engine listens: `DOCKER_HOST` / `CONTAINER_HOST` when set, else the engine's
//! default socket; and connecting to it with bounded waits.

use std::io;
use std::net::{TcpStream, ToSocketAddrs};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::sync::Arc;
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
    /// `tcp://HOST:PORT` with `DOCKER_TLS_VERIFY`: TLS, the server checked against `ca.pem`
    /// and this client known by `cert.pem` / `key.pem`, from `DOCKER_CERT_PATH` (else
    /// `~/.docker`).
    Tls { addr: String, certs: PathBuf },
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
            Endpoint::Tls { addr, .. } => write!(f, "tcp://{addr} (TLS)"),
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
        let addr = if addr.contains(':') {
            addr.to_string()
        } else {
            format!("{addr}:{}", if tls { 2376 } else { 2375 })
        };
        if tls {
            let certs = env("DOCKER_CERT_PATH")
                .filter(|p| !p.is_empty())
                .map(PathBuf::from)
                .or_else(|| env("HOME").map(|h| PathBuf::from(h).join(".docker")))
                .ok_or_else(|| format!("{var}={v} with DOCKER_TLS_VERIFY: set DOCKER_CERT_PATH to the directory of ca.pem, cert.pem and key.pem"))?;
            return Ok(Endpoint::Tls { addr, certs });
        }
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
        Endpoint::Tls { addr, certs } => {
            let tcp = connect(&Endpoint::Tcp(addr.clone()), stall)?;
            tls(addr, certs, tcp)
        }
    }
}

/// TLS over `tcp` to `addr`, as Docker's `--tlsverify` clients do it: the server's
/// certificate must chain to `ca.pem`, the client shows `cert.pem` with `key.pem`.
fn tls(addr: &str, certs: &std::path::Path, tcp: Box<dyn Conn>) -> io::Result<Box<dyn Conn>> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
    let file = |n: &str| certs.join(n);
    let bad = |n: &str, e: &dyn std::fmt::Display| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{}: {e} (DOCKER_CERT_PATH names the directory of ca.pem, cert.pem, key.pem)",
                file(n).display()
            ),
        )
    };
    let pems = |n: &str| -> io::Result<Vec<CertificateDer<'static>>> {
        CertificateDer::pem_file_iter(file(n))
            .and_then(|i| i.collect::<Result<Vec<_>, _>>())
            .map_err(|e| bad(n, &e))
    };
    let mut roots = rustls::RootCertStore::empty();
    for c in pems("ca.pem")? {
        roots.add(c).map_err(|e| bad("ca.pem", &e))?;
    }
    let chain = pems("cert.pem")?;
    let key = PrivateKeyDer::from_pem_file(file("key.pem")).map_err(|e| bad("key.pem", &e))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?
        .with_root_certificates(roots)
        .with_client_auth_cert(chain, key)
        .map_err(|e| bad("cert.pem", &e))?;
    let host = addr.rsplit_once(':').map(|(h, _)| h).unwrap_or(addr);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let name = ServerName::try_from(host.to_string())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("{host}: {e}")))?;
    let conn = rustls::ClientConnection::new(Arc::new(config), name).map_err(io::Error::other)?;
    Ok(Box::new(rustls::StreamOwned::new(conn, tcp)))
}

/// The `Host` header: the engines ignore it, HTTP/1.1 requires one.
pub(crate) fn host_header(endpoint: &Endpoint) -> &str {
    match endpoint {
        Endpoint::Unix(_) => "localhost",
        Endpoint::Tcp(a) | Endpoint::Tls { addr: a, .. } => a,
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
        let l = locate(
            Engine::Docker,
            &with(&[
                ("DOCKER_HOST", "tcp://h"),
                ("DOCKER_TLS_VERIFY", "1"),
                ("HOME", "/home/u"),
            ]),
        )
        .unwrap();
        assert_eq!(
            l.endpoint,
            Endpoint::Tls {
                addr: "h:2376".into(),
                certs: "/home/u/.docker".into()
            }
        );
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
