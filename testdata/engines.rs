//! Test support: real Docker and Podman engines, started once per test binary on their own
//! sockets (so they never collide with another daemon on the machine), stopped when the test
//! process ends, with images loaded into them from archives.
//!
//! Include it with `#[path = "../../testdata/engines.rs"] mod engines;`. When an engine cannot
//! be started, [`docker`] / [`podman`] return `None` after saying why (eprintln), or panic when
//! `CI` is set: CI must test them.
#![allow(dead_code)]

use std::collections::HashSet;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// A running engine.
pub struct Running {
    /// `docker` or `podman`.
    pub kind: &'static str,
    pub socket: PathBuf,
    /// Docker only: `tcp://127.0.0.1:PORT` with `--tlsverify`, and the `DOCKER_CERT_PATH`
    /// of a client certificate it accepts (None without openssl).
    pub tls: Option<(String, PathBuf)>,
    dir: PathBuf,
    loaded: Mutex<HashSet<PathBuf>>,
}

/// The Debian client, not whatever else `docker` is on PATH (a newer client may shadow it).
const DOCKER_CLIENT: &str = "/usr/bin/docker";

impl Running {
    /// `DOCKER_HOST` or `CONTAINER_HOST`, and its value for this engine.
    pub fn host_env(&self) -> (&'static str, String) {
        let var = if self.kind == "docker" {
            "DOCKER_HOST"
        } else {
            "CONTAINER_HOST"
        };
        (var, format!("unix://{}", self.socket.display()))
    }

    /// Loads the archive into the engine once (podman reads only uncompressed archives: a
    /// gzip-compressed one is unpacked to a temporary file first).
    pub fn load(&self, archive: &Path) {
        let mut loaded = self.loaded.lock().unwrap_or_else(|p| p.into_inner());
        if loaded.contains(archive) {
            return;
        }
        let out = match self.kind {
            "docker" => Command::new(DOCKER_CLIENT)
                .env("DOCKER_HOST", self.host_env().1)
                .arg("load")
                .arg("-i")
                .arg(archive)
                .output(),
            _ => {
                let mut input = archive.to_path_buf();
                if archive.extension().is_some_and(|e| e == "gz") {
                    input = self.dir.join(format!("load-{}.tar", loaded.len()));
                    let st = Command::new("sh")
                        .arg("-c")
                        .arg("gzip -dc \"$1\" > \"$2\"")
                        .arg("sh")
                        .arg(archive)
                        .arg(&input)
                        .status()
                        .expect("gzip");
                    assert!(st.success(), "gunzip {}", archive.display());
                }
                let out = self.podman().arg("load").arg("-i").arg(&input).output();
                if input != archive {
                    let _ = std::fs::remove_file(&input);
                }
                out
            }
        }
        .expect("running the engine's client");
        assert!(
            out.status.success(),
            "{} load {}: {}",
            self.kind,
            archive.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        loaded.insert(archive.to_path_buf());
    }

    /// `podman` on this engine's storage.
    fn podman(&self) -> Command {
        let mut c = Command::new("podman");
        c.arg("--root")
            .arg(self.dir.join("root"))
            .arg("--runroot")
            .arg(self.dir.join("run"))
            .arg("--storage-driver")
            .arg("overlay")
            .arg("--events-backend")
            .arg("file");
        c
    }

    /// The engine's own ID of an image (`docker image inspect -f {{.Id}}`).
    pub fn image_id(&self, name: &str) -> String {
        let out = match self.kind {
            "docker" => Command::new(DOCKER_CLIENT)
                .env("DOCKER_HOST", self.host_env().1)
                .args(["image", "inspect", "-f", "{{.Id}}", name])
                .output(),
            _ => self
                .podman()
                .args(["image", "inspect", "-f", "{{.Id}}", name])
                .output(),
        }
        .expect("inspect");
        assert!(
            out.status.success(),
            "inspect {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
}

/// Says why an engine is not tested, or fails when CI must test it.
fn unavailable(kind: &str, why: &str) -> Option<&'static Running> {
    if std::env::var_os("CI").is_some() {
        panic!("{kind}: {why} (CI is set: the engine tests must run; .ci/run installs docker.io and podman)");
    }
    eprintln!("SKIP: {kind} engine tests: {why}");
    None
}

/// Whether a program exists at `path` or on PATH.
fn have(program: &str) -> bool {
    if program.starts_with('/') {
        return Path::new(program).exists();
    }
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(program).exists()))
        .unwrap_or(false)
}

/// `GET /_ping` answers `OK`.
fn pings(socket: &Path) -> bool {
    let Ok(mut s) = UnixStream::connect(socket) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(b"GET /_ping HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer);
    answer.starts_with(b"HTTP/1.1 200") && answer.ends_with(b"OK")
}

/// Starts `script` under a watchdog shell that stops the engine (and removes its storage)
/// once this test process is gone, however it ends; waits for `/_ping`.
fn start(kind: &'static str, dir: PathBuf, script: &str) -> Result<Running, String> {
    let socket = dir.join(format!("{kind}.sock"));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let watchdog = format!(
        "{script} >\"$DIR/log\" 2>&1 &\n\
         engine=$!\n\
         while kill -0 \"$PARENT\" 2>/dev/null && kill -0 $engine 2>/dev/null; do sleep 0.3; done\n\
         kill $engine 2>/dev/null; wait $engine\n\
         # podman leaves its overlay directory bind-mounted on itself\n\
         findmnt -rn -o TARGET | grep \"^$DIR/\" | sort -r | xargs -r umount\n\
         rm -rf \"$DIR\"\n"
    );
    Command::new("bash")
        .arg("-c")
        .arg(watchdog)
        .env("DIR", &dir)
        .env("SOCK", &socket)
        .env("PARENT", std::process::id().to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if pings(&socket) {
            return Ok(Running {
                kind,
                socket,
                tls: None,
                dir,
                loaded: Mutex::new(HashSet::new()),
            });
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let log = std::fs::read_to_string(dir.join("log")).unwrap_or_default();
    let tail: Vec<&str> = log.lines().rev().take(5).collect();
    Err(format!(
        "did not answer /_ping within 60 s; its log ends: {}",
        tail.join(" | ")
    ))
}

fn test_dir(kind: &str) -> PathBuf {
    // short: a Unix socket path has at most 107 bytes, and containerd's sits deeper
    PathBuf::from(format!("/tmp/sbom-{kind}-{}", std::process::id()))
}

/// The Docker engine (dockerd from Debian's docker.io), started on first use.
pub fn docker() -> Option<&'static Running> {
    static DOCKER: OnceLock<Result<Running, String>> = OnceLock::new();
    let r = DOCKER.get_or_init(|| {
        for p in ["/usr/sbin/dockerd", DOCKER_CLIENT] {
            if !have(p) {
                return Err(format!("{p} is not installed (apt-get install docker.io)"));
            }
        }
        let dir = test_dir("docker");
        let tls = make_certs(&dir.join("tls"));
        let tls_flags = match &tls {
            Some((addr, d)) => format!(
                " --host tcp://{addr} --tlsverify --tlscacert {0}/ca.pem --tlscert {0}/server-cert.pem --tlskey {0}/server-key.pem",
                d.display()
            ),
            None => String::new(),
        };
        let mut running = start(
            "docker",
            dir,
            &format!(
                "/usr/sbin/dockerd --data-root \"$DIR/data\" --exec-root \"$DIR/exec\" --pidfile \"$DIR/pid\" \
                 --host \"unix://$SOCK\" --iptables=false --ip6tables=false --ip-masq=false --bridge=none \
                 --storage-driver overlay2{tls_flags}"
            ),
        )?;
        running.tls = tls.map(|(addr, d)| (format!("tcp://{addr}"), d));
        Ok(running)
    });
    match r {
        Ok(r) => Some(r),
        Err(why) => unavailable("docker", why),
    }
}

/// A CA, a server certificate for 127.0.0.1 and a client certificate (`ca.pem`, `cert.pem`,
/// `key.pem`: what `DOCKER_CERT_PATH` names) in `dir`, and a free port for the TLS listener;
/// `None` (said) without openssl.
fn make_certs(dir: &Path) -> Option<(String, PathBuf)> {
    std::fs::create_dir_all(dir).ok()?;
    let script = "set -e\n\
        openssl req -x509 -newkey rsa:2048 -nodes -keyout ca-key.pem -out ca.pem -days 2 -subj /CN=sbom-test-ca\n\
        openssl req -newkey rsa:2048 -nodes -keyout server-key.pem -out server.csr -subj /CN=127.0.0.1\n\
        printf 'subjectAltName=IP:127.0.0.1\\nextendedKeyUsage=serverAuth\\n' > server.ext\n\
        openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out server-cert.pem -days 2 -extfile server.ext\n\
        openssl req -newkey rsa:2048 -nodes -keyout key.pem -out client.csr -subj /CN=sbom-test-client\n\
        printf 'extendedKeyUsage=clientAuth\\n' > client.ext\n\
        openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out cert.pem -days 2 -extfile client.ext\n";
    let ok = Command::new("bash")
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        if std::env::var_os("CI").is_some() {
            panic!("openssl could not make the test certificates (CI is set: the TLS endpoint must be tested)");
        }
        eprintln!(
            "SKIP: no certificates (openssl failed or is missing): the TLS endpoint is not tested"
        );
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    Some((format!("127.0.0.1:{port}"), dir.to_path_buf()))
}

/// Podman's API service (Debian's podman), started on first use.
pub fn podman() -> Option<&'static Running> {
    static PODMAN: OnceLock<Result<Running, String>> = OnceLock::new();
    let r = PODMAN.get_or_init(|| {
        if !have("podman") {
            return Err("podman is not installed (apt-get install podman)".into());
        }
        start(
            "podman",
            test_dir("podman"),
            "podman --root \"$DIR/root\" --runroot \"$DIR/run\" --storage-driver overlay --events-backend file \
             system service --time=0 \"unix://$SOCK\"",
        )
    });
    match r {
        Ok(r) => Some(r),
        Err(why) => unavailable("podman", why),
    }
}
