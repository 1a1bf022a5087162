//! `sbom scan docker:NAME`, `podman:NAME` and bare names, against real engines started by the
//! test (testdata/engines.rs: dockerd and `podman system service` on sockets of their own),
//! with images loaded from the same archives the result is compared with. Faults (a missing or
//! forbidden socket, a missing image, an export cut or stalled) are injected with a proxy
//! socket in front of the real one.

#[path = "../../testdata/engines.rs"]
mod engines;

use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn testdata(name: &str) -> PathBuf {
    root().join("testdata/images").join(name)
}

/// `SBOM_IMAGES/NAME`, when the generated images are there (a missing file under a set
/// `SBOM_IMAGES` fails).
fn generated(name: &str) -> Option<PathBuf> {
    match std::env::var_os("SBOM_IMAGES") {
        Some(d) if !d.is_empty() => {
            let p = PathBuf::from(d).join(name);
            assert!(
                p.exists(),
                "{} is missing (SBOM_IMAGES is set)",
                p.display()
            );
            Some(p)
        }
        _ => {
            eprintln!("SKIP: SBOM_IMAGES is not set: {name} is not tested in the engines");
            None
        }
    }
}

/// The binary, with no engine variables but those a test sets.
fn sbom() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sbom"));
    c.env("SOURCE_DATE_EPOCH", "1700000000")
        .env_remove("SBOM_LOG")
        .env_remove("DOCKER_HOST")
        .env_remove("CONTAINER_HOST")
        .env_remove("DOCKER_TLS_VERIFY")
        .env_remove("SBOM_ENGINE_TIMEOUT")
        .env("XDG_RUNTIME_DIR", "/nonexistent");
    c
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn scan_json(image: &str, env: &[(&str, &str)], extra: &[&str]) -> Value {
    let o = sbom()
        .envs(env.iter().copied())
        .args(["scan", image, "-o", "json"])
        .args(extra)
        .output()
        .unwrap();
    assert!(o.status.success(), "sbom scan {image}: {}", stderr(&o));
    serde_json::from_slice(&o.stdout).expect("JSON")
}

/// The native JSON without what says where the image was read from: what the image is made
/// of (packages, layers, history and its Dockerfile mapping, config) stays.
fn content(mut doc: Value) -> Value {
    for k in ["source", "source_kind", "name", "repo_tags", "repo_digests"] {
        doc["image"].as_object_mut().unwrap().remove(k);
    }
    // the engine names layer blobs its own way (`<v1 id>/layer.tar`); their digests stay
    for l in doc["layers"].as_array_mut().into_iter().flatten() {
        if let Some(o) = l.as_object_mut() {
            o.remove("blob");
        }
    }
    doc
}

/// An error from the CLI: exit 1, one `error:` line with every `needle`, nothing on stdout.
fn assert_fails(o: &Output, needles: &[&str]) -> String {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(1), "stderr: {err}");
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(lines.len(), 1, "{err}");
    for n in needles {
        assert!(lines[0].contains(n), "{n:?} not in {:?}", lines[0]);
    }
    assert!(!err.contains("panicked"), "{err}");
    assert!(o.stdout.is_empty(), "a failed scan printed a document");
    err
}

/// Scans `archive` as a file, loads it into `engine` and scans it from there by `name` (and
/// by image ID): the same image, the same result.
fn same_as_archive(engine: &engines::Running, archive: &Path, name: &str, extra: &[&str]) {
    engine.load(archive);
    let (var, host) = engine.host_env();
    let env = [(var, host.as_str())];
    let from_file = scan_json(archive.to_str().unwrap(), &[], extra);
    let spec = format!("{}:{name}", engine.kind);
    let from_engine = scan_json(&spec, &env, extra);
    assert_eq!(from_engine["image"]["source_kind"], engine.kind);
    assert_eq!(from_engine["image"]["source"], spec.as_str());
    let tags = from_engine["image"]["repo_tags"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        tags.iter().any(|t| t
            .as_str()
            .is_some_and(|t| t.ends_with(name) || t.ends_with(&format!("{name}:latest")))),
        "{spec}: tags {tags:?}"
    );
    assert!(!from_file["packages"].as_array().unwrap().is_empty() || name.contains("whiteout"));
    assert_eq!(
        content(from_engine.clone()),
        content(from_file.clone()),
        "{spec} vs {}",
        archive.display()
    );
    let id = engine.image_id(name);
    let short = &id.trim_start_matches("sha256:")[..12];
    let by_id = scan_json(&format!("{}:{short}", engine.kind), &env, extra);
    assert_eq!(
        content(by_id),
        content(from_file),
        "{}:{short}",
        engine.kind
    );
}

#[test]
fn docker_images_scan_as_the_archives_they_were_loaded_from() {
    let Some(docker) = engines::docker() else {
        return;
    };
    for (file, name) in [
        ("tiny-debian.docker.tar.gz", "tiny-debian"),
        ("alpine-3.10-docker-save.tar.gz", "alpine:3.10"),
        (
            "whiteout-3layers-docker-save.tar",
            "bazel/pkg/v1/mutate:whiteout_image",
        ),
    ] {
        same_as_archive(docker, &testdata(file), name, &[]);
    }
    if let Some(small) = generated("debian-small.docker.tar") {
        let dockerfile = small.with_file_name("debian-small.Dockerfile");
        let df = dockerfile.to_str().unwrap();
        same_as_archive(docker, &small, "debian-small", &["--dockerfile", df]);
    }
}

#[test]
fn podman_images_scan_as_the_archives_they_were_loaded_from() {
    let Some(podman) = engines::podman() else {
        return;
    };
    same_as_archive(
        podman,
        &testdata("tiny-debian.docker.tar.gz"),
        "tiny-debian",
        &[],
    );
    if let Some(small) = generated("debian-small.docker.tar") {
        let dockerfile = small.with_file_name("debian-small.Dockerfile");
        let df = dockerfile.to_str().unwrap();
        same_as_archive(podman, &small, "debian-small", &["--dockerfile", df]);
    }
}

#[test]
fn the_image_info_names_the_engine_tags_and_digests() {
    let Some(podman) = engines::podman() else {
        return;
    };
    podman.load(&testdata("tiny-debian.docker.tar.gz"));
    let (var, host) = podman.host_env();
    let doc = scan_json("podman:tiny-debian", &[(var, &host)], &[]);
    let img = &doc["image"];
    assert_eq!(img["name"], "localhost/tiny-debian:latest");
    // podman records the digest of the manifest it stored: the purl is versioned by it
    let digest = img["repo_digests"][0].as_str().expect("a repo digest");
    assert!(
        digest.starts_with("localhost/tiny-debian@sha256:"),
        "{digest}"
    );
    let cdx = sbom()
        .env(var, &host)
        .args(["scan", "podman:tiny-debian", "-o", "cyclonedx-json"])
        .output()
        .unwrap();
    let cdx: Value = serde_json::from_slice(&cdx.stdout).unwrap();
    let purl = cdx["metadata"]["component"]["purl"].as_str().unwrap();
    let hex = digest.rsplit(':').next().unwrap();
    assert!(
        purl.starts_with(&format!("pkg:oci/tiny-debian@sha256%3A{hex}?")),
        "{purl}"
    );
    assert!(
        purl.contains("repository_url=localhost%2Ftiny-debian"),
        "{purl}"
    );
}

// ---------------------------------------------------------------------------------------------
// faults

#[test]
fn a_missing_socket_names_it_and_the_variable_to_point_elsewhere() {
    let o = sbom()
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .args(["scan", "docker:app"])
        .output()
        .unwrap();
    assert_fails(
        &o,
        &[
            "docker:app",
            "unix:///nonexistent/docker.sock",
            "DOCKER_HOST",
            "running",
        ],
    );
    // without the variable: the default socket, and how to choose another
    let o = sbom().args(["scan", "podman:app"]).output().unwrap();
    if !Path::new("/run/podman/podman.sock").exists() {
        assert_fails(
            &o,
            &[
                "podman:app",
                "unix:///run/podman/podman.sock",
                "CONTAINER_HOST=",
            ],
        );
    }
}

#[test]
fn a_forbidden_socket_says_so() {
    if !Path::new("/usr/bin/setpriv").exists() || unsafe_uid() != 0 {
        eprintln!("SKIP: needs root and setpriv to try a socket as another user");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("docker.sock");
    let _listener = UnixListener::bind(&sock).unwrap();
    std::fs::set_permissions(&sock, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let o = Command::new("/usr/bin/setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            env!("CARGO_BIN_EXE_sbom"),
        ])
        .env_remove("CONTAINER_HOST")
        .env("DOCKER_HOST", format!("unix://{}", sock.display()))
        .args(["scan", "docker:app"])
        .output()
        .unwrap();
    assert_fails(
        &o,
        &[
            &sock.display().to_string(),
            "ermission denied",
            "docker group",
        ],
    );
}

fn unsafe_uid() -> u32 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self")
        .map(|m| m.uid())
        .unwrap_or(u32::MAX)
}

#[test]
fn an_image_the_engine_lacks_is_not_found() {
    let Some(docker) = engines::docker() else {
        return;
    };
    let (var, host) = docker.host_env();
    let o = sbom()
        .env(var, &host)
        .args(["scan", "docker:no-such-image:1"])
        .output()
        .unwrap();
    let err = assert_fails(&o, &["docker:no-such-image:1", "no image", "docker images"]);
    assert!(err.contains(&docker.socket.display().to_string()), "{err}");
}

/// What the proxy does to the export once `pass` bytes of it went through.
#[derive(Clone, Copy)]
enum Fault {
    Cut,
    Stall,
}

/// A socket in front of `upstream` that passes every call through, but only `pass` bytes of
/// an export's response.
fn proxy(upstream: &Path, pass: usize, fault: Fault) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("proxy.sock");
    let listener = UnixListener::bind(&path).unwrap();
    let upstream = upstream.to_path_buf();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(mut client) = client else { return };
            let upstream = upstream.clone();
            std::thread::spawn(move || {
                let mut head = Vec::new();
                let mut b = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    if client.read(&mut b).unwrap_or(0) == 0 {
                        return;
                    }
                    head.push(b[0]);
                }
                let mut up = UnixStream::connect(&upstream).unwrap();
                up.write_all(&head).unwrap();
                let export = String::from_utf8_lossy(&head)
                    .lines()
                    .next()
                    .unwrap_or("")
                    .contains("/get ");
                let mut sent = 0usize;
                let mut buf = vec![0u8; 64 << 10];
                loop {
                    let n = up.read(&mut buf).unwrap_or(0);
                    if n == 0 {
                        break;
                    }
                    let n = if export { n.min(pass - sent) } else { n };
                    if client.write_all(&buf[..n]).is_err() {
                        return;
                    }
                    sent += n;
                    if export && sent >= pass {
                        match fault {
                            Fault::Cut => return,
                            Fault::Stall => {
                                std::thread::sleep(std::time::Duration::from_secs(600));
                                return;
                            }
                        }
                    }
                }
            });
        }
    });
    (dir, path)
}

#[test]
fn a_cut_export_is_a_truncated_image_and_writes_no_sbom() {
    let Some(docker) = engines::docker() else {
        return;
    };
    docker.load(&testdata("tiny-debian.docker.tar.gz"));
    let out = tempfile::tempdir().unwrap();
    for pass in [300, 20_000, 1_000_000, 5_000_000] {
        let (_d, sock) = proxy(&docker.socket, pass, Fault::Cut);
        let file = out.path().join("sbom.json");
        let o = sbom()
            .env("DOCKER_HOST", format!("unix://{}", sock.display()))
            .args(["scan", "docker:tiny-debian", "-o"])
            .arg(format!("json={}", file.display()))
            .output()
            .unwrap();
        assert_fails(&o, &["docker:tiny-debian", "truncated"]);
        assert!(!file.exists(), "{pass}: a cut export wrote an SBOM");
        assert_eq!(
            std::fs::read_dir(out.path()).unwrap().count(),
            0,
            "leftovers"
        );
    }
}

#[test]
fn a_stalled_export_times_out() {
    let Some(docker) = engines::docker() else {
        return;
    };
    docker.load(&testdata("tiny-debian.docker.tar.gz"));
    let (_d, sock) = proxy(&docker.socket, 1_000_000, Fault::Stall);
    let t = std::time::Instant::now();
    let o = sbom()
        .env("DOCKER_HOST", format!("unix://{}", sock.display()))
        .env("SBOM_ENGINE_TIMEOUT", "2")
        .args(["scan", "docker:tiny-debian"])
        .output()
        .unwrap();
    assert_fails(
        &o,
        &["docker:tiny-debian", "sent nothing for 2 s", "timed out"],
    );
    assert!(t.elapsed().as_secs() < 30, "{:?}", t.elapsed());
}

// ---------------------------------------------------------------------------------------------
// bare names

#[test]
fn a_bare_name_is_read_from_the_first_engine_that_has_it() {
    let Some(docker) = engines::docker() else {
        return;
    };
    docker.load(&testdata("alpine-3.10-docker-save.tar.gz"));
    let (var, host) = docker.host_env();
    let o = sbom()
        .env(var, &host)
        .args(["scan", "alpine:3.10", "-o", "json"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("alpine:3.10: read from docker:alpine:3.10"),
        "{}",
        stderr(&o)
    );
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["image"]["source_kind"], "docker");
    // only in podman: docker says it has none, podman has it
    if let Some(podman) = engines::podman() {
        podman.load(&testdata("tiny-debian.docker.tar.gz"));
        let (pvar, phost) = podman.host_env();
        let o = sbom()
            .env(var, &host)
            .env(pvar, &phost)
            .args(["scan", "localhost/tiny-debian", "-o", "json"])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(doc["image"]["source_kind"], "podman", "{}", stderr(&o));
        // nobody has it: one error, every attempt and why
        let o = sbom()
            .env(var, &host)
            .env(pvar, &phost)
            .args(["scan", "nobody-has-this:1"])
            .output()
            .unwrap();
        assert_fails(
            &o,
            &[
                "nobody-has-this:1",
                "file: no file",
                "docker: the Docker engine",
                "podman: the Podman engine",
                "registry: registry:docker.io/library/nobody-has-this:1",
            ],
        );
    }
}

#[test]
fn an_existing_file_wins_over_an_engine() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        testdata("tiny-debian.docker.tar.gz"),
        dir.path().join("app:1"),
    )
    .unwrap();
    let o = sbom()
        .current_dir(dir.path())
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .args(["scan", "app:1", "-o", "json"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["image"]["source_kind"], "docker-archive");
    // and no engine at all: every attempt says why
    let o = sbom()
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .env("CONTAINER_HOST", "unix:///nonexistent/podman.sock")
        .args(["scan", "app:1"])
        .output()
        .unwrap();
    assert_fails(
        &o,
        &[
            "app:1",
            "docker: cannot reach",
            "/nonexistent/docker.sock",
            "podman: cannot reach",
            "/nonexistent/podman.sock",
            "registry:",
        ],
    );
}

// ---------------------------------------------------------------------------------------------
// Docker 25+: no such daemon here (Debian ships 20.10), so its answers are replayed: a socket
// that answers the four calls with what Docker 25 answers, and exports a real `docker save` of
// Docker 25 (testdata/images/hello-world-docker25-save-oci.tar, an OCI layout with
// manifest.json). The same socket, claiming an old API, must be refused.

fn replay_engine(api: &'static str, id: String, export: PathBuf) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("docker25.sock");
    let listener = UnixListener::bind(&path).unwrap();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(mut client) = client else { return };
            let mut head = Vec::new();
            let mut b = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") {
                if client.read(&mut b).unwrap_or(0) == 0 {
                    break;
                }
                head.push(b[0]);
            }
            let line = String::from_utf8_lossy(&head)
                .lines()
                .next()
                .unwrap_or("")
                .to_string();
            let body = if line.contains("/_ping ") {
                b"OK".to_vec()
            } else if line.contains("/version ") {
                format!(r#"{{"Version":"25.0.3","ApiVersion":"{api}","MinAPIVersion":"1.24"}}"#)
                    .into_bytes()
            } else if line.contains("/json ") {
                format!(r#"{{"Id":"{id}","RepoTags":["hello-world:latest"],"RepoDigests":[]}}"#)
                    .into_bytes()
            } else if line.contains("/get ") {
                std::fs::read(&export).unwrap()
            } else {
                b"{\"message\":\"page not found\"}".to_vec()
            };
            let _ = write!(
                client,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = client.write_all(&body);
        }
    });
    (dir, path)
}

#[test]
fn a_docker_25_oci_export_reads_as_its_archive_and_an_old_api_is_refused() {
    let archive = testdata("hello-world-docker25-save-oci.tar");
    let from_file = scan_json(archive.to_str().unwrap(), &[], &[]);
    // with the containerd image store the image ID is the manifest's digest, not the config's
    let manifest = from_file["image"]["manifest_digest"]
        .as_str()
        .map(str::to_string);
    let config = from_file["image"]["config_digest"]
        .as_str()
        .unwrap()
        .to_string();
    for id in manifest.into_iter().chain([config]) {
        let (_d, sock) = replay_engine("1.44", id.clone(), archive.clone());
        let host = format!("unix://{}", sock.display());
        let doc = scan_json("docker:hello-world", &[("DOCKER_HOST", &host)], &[]);
        assert_eq!(doc["image"]["name"], "hello-world:latest");
        assert_eq!(content(doc), content(from_file.clone()), "ID {id}");
    }
    let (_d, sock) = replay_engine("1.12", "sha256:00".into(), archive);
    let o = sbom()
        .env("DOCKER_HOST", format!("unix://{}", sock.display()))
        .args(["scan", "docker:hello-world"])
        .output()
        .unwrap();
    assert_fails(&o, &["docker:hello-world", "API 1.12", "1.24 or later"]);
    assert!(stderr(&o).contains("hint: "), "{}", stderr(&o));
}

/// `DOCKER_HOST=tcp://127.0.0.1:PORT`: a TCP listener that relays each connection to the real
/// engine's socket, so the TCP path is read against the engine's own answers.
#[test]
fn a_tcp_endpoint_reads_the_same_image() {
    let Some(docker) = engines::docker() else {
        return;
    };
    let archive = testdata("tiny-debian.docker.tar.gz");
    docker.load(&archive);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let upstream = docker.socket.clone();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(client) = client else { return };
            let up = UnixStream::connect(&upstream).unwrap();
            let (mut c_read, mut up_write) = (client.try_clone().unwrap(), up.try_clone().unwrap());
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut c_read, &mut up_write);
            });
            let (mut up_read, mut c_write) = (up, client);
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut up_read, &mut c_write);
                let _ = c_write.shutdown(std::net::Shutdown::Both);
            });
        }
    });
    let host = format!("tcp://127.0.0.1:{port}");
    let doc = scan_json("docker:tiny-debian", &[("DOCKER_HOST", &host)], &[]);
    let from_file = scan_json(archive.to_str().unwrap(), &[], &[]);
    assert_eq!(content(doc), content(from_file));
}

/// `DOCKER_HOST=tcp://127.0.0.1:PORT` with `DOCKER_TLS_VERIFY` and `DOCKER_CERT_PATH`: the
/// engine's own TLS listener (`--tlsverify`, certificates made by the test); a client without
/// an accepted certificate is refused.
#[test]
fn a_tls_endpoint_reads_the_same_image() {
    let Some(docker) = engines::docker() else {
        return;
    };
    let Some((host, certs)) = docker.tls.clone() else {
        return;
    };
    let archive = testdata("tiny-debian.docker.tar.gz");
    docker.load(&archive);
    let certs_s = certs.display().to_string();
    let env = [
        ("DOCKER_HOST", host.as_str()),
        ("DOCKER_TLS_VERIFY", "1"),
        ("DOCKER_CERT_PATH", certs_s.as_str()),
    ];
    let doc = scan_json("docker:tiny-debian", &env, &[]);
    let from_file = scan_json(archive.to_str().unwrap(), &[], &[]);
    assert_eq!(content(doc), content(from_file));
    // the server's own certificate is no client certificate the CA signed for clients
    let wrong = tempfile::tempdir().unwrap();
    std::fs::copy(certs.join("ca.pem"), wrong.path().join("ca.pem")).unwrap();
    std::fs::copy(certs.join("server-cert.pem"), wrong.path().join("cert.pem")).unwrap();
    std::fs::copy(certs.join("server-key.pem"), wrong.path().join("key.pem")).unwrap();
    let o = sbom()
        .envs(env)
        .env("DOCKER_CERT_PATH", wrong.path())
        .args(["scan", "docker:tiny-debian"])
        .output()
        .unwrap();
    assert_fails(&o, &["docker:tiny-debian", &host]);
    // no certificates at all: which file is missing
    let o = sbom()
        .envs(env)
        .env("DOCKER_CERT_PATH", "/nonexistent/certs")
        .args(["scan", "docker:tiny-debian"])
        .output()
        .unwrap();
    assert_fails(&o, &["/nonexistent/certs/ca.pem", "DOCKER_CERT_PATH"]);
}
