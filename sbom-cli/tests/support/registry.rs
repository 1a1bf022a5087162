//! Real registries for the tests: the CNCF Distribution registry (`docker-registry serve`)
//! on 127.0.0.1 in three configurations (open HTTP; htpasswd Basic over TLS with a CA made
//! here; token auth with the token issuer below), images pushed with skopeo, and a proxy
//! that breaks transfers on purpose.
//!
//! Tools come from apt (`docker-registry`, `skopeo`, `apache2-utils` for `htpasswd -B`,
//! `openssl`): without one a test fails when `CI` is set and is skipped, saying so, otherwise.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;

pub const USER: &str = "alice";
pub const PASSWORD: &str = "s3cret-Pa55word-x9";

/// The tools are there, or (outside CI) the test says why it is skipped.
pub fn tools(names: &[&str]) -> bool {
    for n in names {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {n}")])
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !found {
            if std::env::var_os("CI").is_some() {
                panic!("{n} is required in CI (apt-get install docker-registry skopeo apache2-utils openssl)");
            }
            eprintln!(
                "SKIP: {n} is not installed (apt-get install docker-registry skopeo apache2-utils)"
            );
            return false;
        }
    }
    true
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Auth {
    Open,
    BasicTls,
    Token,
}

/// A registry process, killed when dropped.
pub struct Registry {
    child: Child,
    pub dir: tempfile::TempDir,
    pub port: u16,
    pub auth: Auth,
    /// The CA the TLS registry's certificate is signed with.
    pub ca: Option<PathBuf>,
    pub tokens: Option<TokenServer>,
}

impl Registry {
    pub fn start(auth: Auth) -> Registry {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let port = free_port();
        let mut extra = String::new();
        let mut ca = None;
        let mut tokens = None;
        match auth {
            Auth::Open => {}
            Auth::BasicTls => {
                make_tls(d);
                let out = Command::new("htpasswd")
                    .args(["-Bbn", USER, PASSWORD])
                    .output()
                    .unwrap();
                assert!(out.status.success());
                std::fs::write(d.join("htpasswd"), out.stdout).unwrap();
                extra = format!(
                    "  tls:\n    certificate: {0}/server.crt\n    key: {0}/server.key\nauth:\n  htpasswd:\n    realm: test\n    path: {0}/htpasswd\n",
                    d.display()
                );
                ca = Some(d.join("ca.crt"));
            }
            Auth::Token => {
                run(Command::new("openssl")
                    .args([
                        "req",
                        "-x509",
                        "-newkey",
                        "rsa:2048",
                        "-nodes",
                        "-days",
                        "2",
                        "-subj",
                        "/CN=token-issuer",
                    ])
                    .arg("-keyout")
                    .arg(d.join("token.key"))
                    .arg("-out")
                    .arg(d.join("token.crt")));
                let t = TokenServer::start(d);
                extra = format!(
                    "auth:\n  token:\n    realm: http://127.0.0.1:{}/token\n    service: test-registry\n    issuer: test-issuer\n    rootcertbundle: {}/token.crt\n",
                    t.port,
                    d.display()
                );
                tokens = Some(t);
            }
        }
        let config = format!(
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}/data\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n{extra}",
            d.display()
        );
        std::fs::write(d.join("config.yml"), config).unwrap();
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(d.join("config.yml"))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(d.join("registry.log")).unwrap())
            .spawn()
            .expect("docker-registry");
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "the registry did not start: {}",
                std::fs::read_to_string(d.join("registry.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Registry {
            child,
            dir,
            port,
            auth,
            ca,
            tokens,
        }
    }

    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// `skopeo copy SRC docker://HOST/REPO`; `all` copies every platform of an index.
    pub fn push(&self, src: &str, repo: &str, all: bool) {
        let mut c = Command::new("skopeo");
        c.args(["copy", "-q", "--dest-tls-verify=false"]);
        if self.auth != Auth::Open {
            c.arg(format!("--dest-creds={USER}:{PASSWORD}"));
        }
        if all {
            c.arg("--all");
        }
        c.arg(src).arg(format!("docker://{}/{repo}", self.host()));
        c.env(
            "REGISTRY_AUTH_FILE",
            self.dir.path().join("skopeo-auth.json"),
        );
        run(&mut c);
    }

    /// The file holding blob `hex` in the registry's storage.
    pub fn blob_file(&self, hex: &str) -> PathBuf {
        self.dir
            .path()
            .join("data/docker/registry/v2/blobs/sha256")
            .join(&hex[..2])
            .join(hex)
            .join("data")
    }

    /// Stores `bytes` as a manifest and points `repo:tag` at it, as the registry itself
    /// does on a push, without the checks a push would go through.
    pub fn plant_manifest(&self, repo: &str, tag: &str, bytes: &[u8]) -> String {
        let hex = layer_walker::Digest::sha256(bytes).hex().to_string();
        let f = self.blob_file(&hex);
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(&f, bytes).unwrap();
        let r = self
            .dir
            .path()
            .join("data/docker/registry/v2/repositories")
            .join(repo)
            .join("_manifests");
        let link = format!("sha256:{hex}");
        for p in [
            r.join("revisions/sha256").join(&hex),
            r.join("tags").join(tag).join("current"),
            r.join("tags").join(tag).join("index/sha256").join(&hex),
        ] {
            std::fs::create_dir_all(&p).unwrap();
            std::fs::write(p.join("link"), &link).unwrap();
        }
        link
    }

    /// Stores `bytes` as a blob of `repo`, as an upload would.
    pub fn plant_blob(&self, repo: &str, bytes: &[u8]) -> String {
        let hex = layer_walker::Digest::sha256(bytes).hex().to_string();
        let f = self.blob_file(&hex);
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(&f, bytes).unwrap();
        let link = self
            .dir
            .path()
            .join("data/docker/registry/v2/repositories")
            .join(repo)
            .join("_layers/sha256")
            .join(&hex);
        std::fs::create_dir_all(&link).unwrap();
        std::fs::write(link.join("link"), format!("sha256:{hex}")).unwrap();
        format!("sha256:{hex}")
    }

    /// A manifest as the registry serves it (open registries only).
    pub fn manifest(&self, repo: &str, reference: &str) -> Vec<u8> {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        write!(
            s,
            "GET /v2/{repo}/manifests/{reference} HTTP/1.1\r\nHost: {}\r\nAccept: application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json\r\nConnection: close\r\n\r\n",
            self.host()
        )
        .unwrap();
        let mut all = Vec::new();
        s.read_to_end(&mut all).unwrap();
        let split = all.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        assert!(
            all.starts_with(b"HTTP/1.1 200"),
            "{}",
            String::from_utf8_lossy(&all[..split])
        );
        all[split + 4..].to_vec()
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A CA, and a certificate for 127.0.0.1 it signed.
fn make_tls(d: &Path) {
    let o = |args: &[&str]| run(Command::new("openssl").current_dir(d).args(args));
    o(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=sbom test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
    ]);
    o(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
    ]);
    std::fs::write(d.join("san.ext"), "subjectAltName=IP:127.0.0.1\n").unwrap();
    o(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "san.ext",
        "-out",
        "server.crt",
    ]);
}

/// What the token issuer does, switchable by a test.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum TokenMode {
    Normal,
    /// Answers 2 MiB of JSON.
    Oversized,
    /// Grants only `pull`, whatever the scope asks (a user who may read but not write).
    PullOnly,
}

/// The token issuer of Docker's token flow: GET /token?service=..&scope=.., Basic
/// credentials optional; answers a JWT (RS256, signed with the openssl CLI, the certificate
/// in the x5c header) granting the actions the scope asks for. Wrong credentials get 401.
pub struct TokenServer {
    pub port: u16,
    pub requests: Arc<AtomicUsize>,
    /// Authorization headers that carried the right password, and every query seen.
    pub log: Arc<Mutex<Vec<String>>>,
    pub mode: Arc<Mutex<TokenMode>>,
    stop: Arc<AtomicBool>,
}

impl TokenServer {
    /// A token for `scope`, fetched as a client would (anonymous).
    pub fn token(&self, scope: &str) -> String {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        let scope: String = scope.replace(':', "%3A").replace('/', "%2F");
        write!(
            s,
            "GET /token?service=test-registry&scope={scope} HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        .unwrap();
        let mut all = String::new();
        s.read_to_string(&mut all).unwrap();
        let body = &all[all.find("\r\n\r\n").unwrap() + 4..];
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        v["token"].as_str().unwrap().to_string()
    }
}

impl TokenServer {
    fn start(d: &Path) -> TokenServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(AtomicUsize::new(0));
        let log = Arc::new(Mutex::new(Vec::new()));
        let mode = Arc::new(Mutex::new(TokenMode::Normal));
        let stop = Arc::new(AtomicBool::new(false));
        let (key, cert) = (d.join("token.key"), d.join("token.crt"));
        let der = {
            let pem = std::fs::read_to_string(&cert).unwrap();
            let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
            b64
        };
        let (rq, lg, md, st) = (requests.clone(), log.clone(), mode.clone(), stop.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if st.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(mut conn) = conn else { continue };
                rq.fetch_add(1, Ordering::Relaxed);
                let head = read_head(&mut conn).unwrap_or_default();
                let target = head
                    .lines()
                    .next()
                    .unwrap_or("")
                    .split(' ')
                    .nth(1)
                    .unwrap_or("")
                    .to_string();
                let authz = header(&head, "authorization");
                let expected = format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"))
                );
                lg.lock().unwrap().push(target.clone());
                let (status, body) = match authz {
                    Some(a) if a != expected => (
                        401,
                        "{\"errors\":[{\"code\":\"UNAUTHORIZED\"}]}".to_string(),
                    ),
                    _ if *md.lock().unwrap() == TokenMode::Oversized => (
                        200,
                        format!("{{\"token\":\"x\",\"pad\":\"{}\"}}", "a".repeat(2 << 20)),
                    ),
                    _ => {
                        let mut scope = query(&target, "scope").unwrap_or_default();
                        if *md.lock().unwrap() == TokenMode::PullOnly {
                            scope = scope
                                .split(' ')
                                .map(|s| match s.rsplit_once(':') {
                                    Some((r, _)) => format!("{r}:pull"),
                                    None => s.to_string(),
                                })
                                .collect::<Vec<_>>()
                                .join(" ");
                        }
                        let token = sign_token(&key, &der, &scope);
                        (200, format!("{{\"token\":\"{token}\",\"expires_in\":300}}"))
                    }
                };
                let _ = write!(
                    conn,
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        TokenServer {
            port,
            requests,
            log,
            mode,
            stop,
        }
    }
}

impl Drop for TokenServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn b64url(b: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// A JWT as Distribution's token auth reads it: RS256, x5c, the scope's actions granted.
fn sign_token(key: &Path, cert_der_b64: &str, scope: &str) -> String {
    let header = serde_json::json!({"typ": "JWT", "alg": "RS256", "x5c": [cert_der_b64]});
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let access: Vec<serde_json::Value> = scope
        .split(' ')
        .filter_map(|s| {
            let mut p = s.splitn(3, ':');
            let (t, name, actions) = (p.next()?, p.next()?, p.next()?);
            Some(serde_json::json!({"type": t, "name": name, "actions": actions.split(',').collect::<Vec<_>>()}))
        })
        .collect();
    let claims = serde_json::json!({
        "iss": "test-issuer", "sub": USER, "aud": "test-registry",
        "exp": now + 3600, "nbf": now - 60, "iat": now - 60, "jti": format!("{now}-{scope}"),
        "access": access,
    });
    let input = format!(
        "{}.{}",
        b64url(header.to_string().as_bytes()),
        b64url(claims.to_string().as_bytes())
    );
    let mut child = Command::new("openssl")
        .args(["dgst", "-sha256", "-sign"])
        .arg(key)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    format!("{input}.{}", b64url(&out.stdout))
}

fn query(target: &str, key: &str) -> Option<String> {
    let q = target.split_once('?')?.1;
    q.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == key).then(|| percent_decode(v))
    })
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// An HTTP request head, up to the blank line. Read a byte at a time so that a request body
/// after it stays in the stream for whoever forwards it.
fn read_head(s: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        match s.read(&mut byte) {
            // a TLS ClientHello (0x16), or anything else that is no HTTP method: closed at
            // once, as a plain-HTTP server does, so a client trying HTTPS first falls back
            // without waiting for a timeout
            Ok(1) if head.is_empty() && !byte[0].is_ascii_uppercase() => return None,
            Ok(1) => head.push(byte[0]),
            _ => return None,
        }
        if head.ends_with(b"\r\n\r\n") || head == b"\n" || head.ends_with(b"\n\n") {
            return Some(String::from_utf8_lossy(&head).into_owned());
        }
    }
}

/// The body a request head announces with `Content-Length`.
fn read_body(s: &mut TcpStream, head: &str) -> Vec<u8> {
    let n: usize = header(head, "content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; n];
    if s.read_exact(&mut body).is_err() {
        body.clear();
    }
    body
}

fn header(head: &str, name: &str) -> Option<String> {
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().to_string())
    })
}

/// What the proxy does to blob requests.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Fault {
    /// Redirects blob requests to `http://localhost:PORT` (another host, as blob storage is).
    RedirectTo(u16),
    /// Forwards with this `Authorization` instead of the client's (as a pre-signed blob
    /// storage URL needs none from the client).
    Inject(String),
    /// Closes the connection after this many bytes of the answer (the first `cuts` times).
    Cut { after: usize, cuts: usize },
    /// Stops sending after this many bytes, keeping the connection open.
    Stall { after: usize },
    /// Answers every blob request with a redirect to itself.
    RedirectLoop,
    /// Answers the first `times` requests (of any kind) with this HTTP status and no body.
    Status { code: u16, times: usize },
    /// Answers every POST and PUT with this HTTP status and no body (a registry that lets
    /// this client read but not write).
    RefuseWrites(u16),
    /// For the first `times` PUTs whose path contains `path`: forwards the head and half
    /// the body, then closes both connections (a push cut midway).
    BreakPuts { path: String, times: usize },
    /// Serves the referrers API (`GET /v2/<name>/referrers/<digest>`) in front of a registry
    /// that lacks it, from the subjects of the manifests PUT through it; with `subject_header`
    /// it answers those PUTs with `OCI-Subject` as such registries do.
    Referrers {
        subject_header: bool,
        answer: ReferrersAnswer,
    },
    /// Makes two writers of a referrers tag (`/manifests/sha256-...`) collide: the first two
    /// GETs of it wait for each other, and the answers to the first two PUTs of it wait until
    /// both PUTs reached the registry. So both read the same index and both write it, the
    /// interleaving that loses an entry unless the writer reads back what it wrote.
    RaceReferrersTag,
}

/// How [`Fault::Referrers`] answers `GET .../referrers/<digest>`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ReferrersAnswer {
    /// An image index of the manifests recorded for the subject.
    Honest,
    /// 200, `Content-Type` of an index, and a body that is not JSON.
    BadJson,
    /// 200 with an index served as `application/json`.
    WrongMediaType,
}

/// What the proxy keeps across connections.
#[derive(Default)]
struct Shared {
    /// Subject digest -> descriptors of the manifests PUT with that subject.
    referrers: Mutex<std::collections::HashMap<String, Vec<serde_json::Value>>>,
    /// For [`Fault::RaceReferrersTag`]: GETs and PUTs of the tag seen so far.
    race: Mutex<(usize, usize)>,
    race_cv: std::sync::Condvar,
}

/// A one-request-per-connection HTTP proxy in front of a plain-HTTP registry, breaking blob
/// transfers as told. Records every request head it saw.
pub struct Proxy {
    pub port: u16,
    pub heads: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    shared: Arc<Shared>,
}

impl Proxy {
    pub fn start(upstream: u16, fault: Fault) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let heads = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let cuts_left = Arc::new(AtomicUsize::new(match fault {
            Fault::Cut { cuts, .. } => cuts,
            Fault::Status { times, .. } => times,
            _ => 0,
        }));
        let (hd, st) = (heads.clone(), stop.clone());
        let shared = Arc::new(Shared::default());
        let sh = shared.clone();
        if let Fault::BreakPuts { times, .. } = &fault {
            cuts_left.store(*times, Ordering::Relaxed);
        }
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if st.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (hd, cuts_left, fault) = (hd.clone(), cuts_left.clone(), fault.clone());
                let sh = sh.clone();
                std::thread::spawn(move || serve(conn, upstream, port, fault, hd, cuts_left, sh));
            }
        });
        Proxy {
            port,
            heads,
            stop,
            shared,
        }
    }

    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// How many manifests the emulated referrers API recorded for `subject`.
    pub fn recorded_referrers(&self, subject: &str) -> usize {
        self.shared
            .referrers
            .lock()
            .unwrap()
            .get(subject)
            .map_or(0, Vec::len)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn serve(
    mut client: TcpStream,
    upstream: u16,
    me: u16,
    fault: Fault,
    heads: Arc<Mutex<Vec<String>>>,
    cuts_left: Arc<AtomicUsize>,
    shared: Arc<Shared>,
) {
    while let Some(head) = read_head(&mut client) {
        heads.lock().unwrap().push(head.clone());
        let method = head.split(' ').next().unwrap_or("").to_string();
        let target = head.split(' ').nth(1).unwrap_or("").to_string();
        let blob = target.contains("/blobs/");
        let body = read_body(&mut client, &head);
        let writes = method == "PUT" || method == "POST";
        if let Fault::RefuseWrites(code) = fault {
            if writes {
                let _ = write!(
                    client,
                    "HTTP/1.1 {code} Refused\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
                let _ = client.shutdown(Shutdown::Both);
                return;
            }
        }
        if let Fault::Referrers { answer, .. } = fault {
            if method == "GET" && target.contains("/referrers/") {
                answer_referrers(&mut client, &target, answer, &shared);
                return;
            }
        }
        let tag_of_referrers = target.contains("/manifests/sha256-");
        if fault == Fault::RaceReferrersTag && tag_of_referrers && method == "GET" {
            meet(&shared, |r| &mut r.0);
        }
        if let Fault::Status { code, .. } = fault {
            let left = cuts_left.load(Ordering::Relaxed);
            if left > 0 {
                cuts_left.store(left - 1, Ordering::Relaxed);
                let _ = write!(
                    client,
                    "HTTP/1.1 {code} Injected\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
                let _ = client.shutdown(Shutdown::Both);
                return;
            }
        }
        let redirect = match fault {
            Fault::RedirectLoop => Some(format!("127.0.0.1:{me}")),
            Fault::RedirectTo(port) => Some(format!("localhost:{port}")),
            _ => None,
        };
        if let Some(to) = redirect.filter(|_| blob) {
            let _ = write!(
                client,
                "HTTP/1.1 307 Temporary Redirect\r\nLocation: http://{to}{target}\r\nContent-Length: 0\r\n\r\n"
            );
            continue;
        }
        let inject = match &fault {
            Fault::Inject(a) => Some(format!("Authorization: {a}\r\n")),
            _ => None,
        };
        // one request per upstream connection: the answer ends when upstream closes
        let head: String = head
            .lines()
            .filter(|l| {
                let l = l.to_ascii_lowercase();
                let replaced = inject.is_some() && l.starts_with("authorization:");
                !(l.starts_with("connection:") || l.is_empty() || replaced)
            })
            .map(|l| format!("{l}\r\n"))
            .collect::<String>()
            + inject.as_deref().unwrap_or("")
            + "Connection: close\r\n\r\n";
        let Ok(mut up) = TcpStream::connect(("127.0.0.1", upstream)) else {
            return;
        };
        if up.write_all(head.as_bytes()).is_err() {
            return;
        }
        if let Fault::BreakPuts { path, .. } = &fault {
            if method == "PUT" && target.contains(path.as_str()) {
                let left = cuts_left.load(Ordering::Relaxed);
                if left > 0 {
                    cuts_left.store(left - 1, Ordering::Relaxed);
                    let _ = up.write_all(&body[..body.len() / 2]);
                    let _ = up.shutdown(Shutdown::Both);
                    let _ = client.shutdown(Shutdown::Both);
                    return;
                }
            }
        }
        if up.write_all(&body).is_err() {
            return;
        }
        let record = matches!(fault, Fault::Referrers { .. })
            && method == "PUT"
            && target.contains("/manifests/");
        if record || (fault == Fault::RaceReferrersTag && tag_of_referrers && method == "PUT") {
            // the whole answer, to add a header or hold it back
            let mut answer = Vec::new();
            let _ = up.read_to_end(&mut answer);
            if record {
                answer = record_referrer(answer, &body, &fault, &shared);
            } else {
                meet(&shared, |r| &mut r.1);
            }
            let _ = client.write_all(&answer);
            let _ = client.shutdown(Shutdown::Both);
            return;
        }
        let limit = match fault {
            Fault::Cut { after, .. } if blob && cuts_left.load(Ordering::Relaxed) > 0 => {
                cuts_left.fetch_sub(1, Ordering::Relaxed);
                Some(after)
            }
            Fault::Stall { after } if blob => Some(after),
            _ => None,
        };
        let mut sent = 0usize;
        let mut buf = vec![0u8; 16 << 10];
        loop {
            let n = match up.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let n = match limit {
                Some(l) => n.min(l.saturating_sub(sent)),
                None => n,
            };
            if n > 0 && client.write_all(&buf[..n]).is_err() {
                return;
            }
            sent += n;
            if limit.is_some_and(|l| sent >= l) {
                if let Fault::Stall { .. } = fault {
                    // hold the connection, send nothing more
                    std::thread::sleep(Duration::from_secs(60));
                }
                let _ = client.shutdown(Shutdown::Both);
                return;
            }
        }
        let _ = client.shutdown(Shutdown::Both);
        return;
    }
}

/// Waits until two requests of one kind (the counter `which` picks) have come, for the first
/// two; later ones pass. A minute at most, so a test that goes wrong fails instead of hanging.
fn meet(shared: &Shared, which: impl Fn(&mut (usize, usize)) -> &mut usize) {
    let mut race = shared.race.lock().unwrap();
    *which(&mut race) += 1;
    if *which(&mut race) > 2 {
        return;
    }
    shared.race_cv.notify_all();
    let deadline = Instant::now() + Duration::from_secs(60);
    while *which(&mut race) < 2 && Instant::now() < deadline {
        race = shared
            .race_cv
            .wait_timeout(race, Duration::from_millis(200))
            .unwrap()
            .0;
    }
}

/// Notes the subject of a manifest the registry accepted (201), and says so with
/// `OCI-Subject` when the fault asks for it.
fn record_referrer(answer: Vec<u8>, body: &[u8], fault: &Fault, shared: &Shared) -> Vec<u8> {
    let accepted = answer.starts_with(b"HTTP/1.1 201");
    let Ok(m) = serde_json::from_slice::<serde_json::Value>(body) else {
        return answer;
    };
    let Some(subject) = m["subject"]["digest"].as_str().filter(|_| accepted) else {
        return answer;
    };
    let digest = layer_walker::Digest::sha256(body).to_string();
    let artifact_type = m["artifactType"]
        .as_str()
        .or(m["config"]["mediaType"].as_str())
        .unwrap_or("");
    let entry = serde_json::json!({
        "mediaType": m["mediaType"],
        "digest": digest,
        "size": body.len(),
        "artifactType": artifact_type,
        "annotations": m.get("annotations").cloned().unwrap_or(serde_json::json!({})),
    });
    shared
        .referrers
        .lock()
        .unwrap()
        .entry(subject.to_string())
        .or_default()
        .push(entry);
    if !matches!(
        fault,
        Fault::Referrers {
            subject_header: true,
            ..
        }
    ) {
        return answer;
    }
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(0);
    let mut out = answer[..split].to_vec();
    out.extend_from_slice(format!("\r\nOCI-Subject: {subject}").as_bytes());
    out.extend_from_slice(&answer[split..]);
    out
}

/// `GET /v2/<name>/referrers/<digest>` as a registry with the referrers API answers it.
fn answer_referrers(
    client: &mut TcpStream,
    target: &str,
    answer: ReferrersAnswer,
    shared: &Shared,
) {
    let path = target.split('?').next().unwrap_or(target);
    let subject = path.rsplit('/').next().unwrap_or("");
    let manifests = shared
        .referrers
        .lock()
        .unwrap()
        .get(subject)
        .cloned()
        .unwrap_or_default();
    let index = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": manifests,
    })
    .to_string();
    let (content_type, body) = match answer {
        ReferrersAnswer::Honest => ("application/vnd.oci.image.index.v1+json", index),
        ReferrersAnswer::BadJson => (
            "application/vnd.oci.image.index.v1+json",
            "{\"manifests\": [ <html>oops".to_string(),
        ),
        ReferrersAnswer::WrongMediaType => ("application/json", index),
    };
    let _ = write!(
        client,
        "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = client.shutdown(Shutdown::Both);
}

/// A forward proxy as `HTTPS_PROXY`/`HTTP_PROXY` name one: `CONNECT host:port` tunnels, and
/// absolute-form requests (`GET http://host/path`) passed on. Records the first line of each
/// request it was asked.
pub struct ForwardProxy {
    pub port: u16,
    pub asked: Arc<Mutex<Vec<String>>>,
}

impl ForwardProxy {
    pub fn start() -> ForwardProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let asked = Arc::new(Mutex::new(Vec::new()));
        let a = asked.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let a = a.clone();
                std::thread::spawn(move || forward(conn, a));
            }
        });
        ForwardProxy { port, asked }
    }
}

fn forward(mut client: TcpStream, asked: Arc<Mutex<Vec<String>>>) {
    let Some(head) = read_head(&mut client) else {
        return;
    };
    let first = head.lines().next().unwrap_or("").to_string();
    asked.lock().unwrap().push(first.clone());
    let mut words = first.split(' ');
    let (method, target) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    let (authority, rest) = if method == "CONNECT" {
        (target.to_string(), None)
    } else {
        let after = target.strip_prefix("http://").unwrap_or(target);
        let (auth, path) = after.split_once('/').unwrap_or((after, ""));
        let line = format!("{method} /{path} HTTP/1.1");
        let rewritten = std::iter::once(line)
            .chain(head.lines().skip(1).map(str::to_string))
            .collect::<Vec<_>>()
            .join("\r\n")
            + "\r\n";
        (auth.to_string(), Some(rewritten))
    };
    let Ok(mut up) = TcpStream::connect(authority.as_str()) else {
        let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
        return;
    };
    match rest {
        None => {
            if client
                .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                .is_err()
            {
                return;
            }
        }
        Some(request) => {
            if up.write_all(request.as_bytes()).is_err() {
                return;
            }
        }
    }
    let (mut c2, mut u2) = (client.try_clone().unwrap(), up.try_clone().unwrap());
    let t = std::thread::spawn(move || {
        let _ = std::io::copy(&mut c2, &mut u2);
        let _ = u2.shutdown(Shutdown::Write);
    });
    let _ = std::io::copy(&mut up, &mut client);
    let _ = client.shutdown(Shutdown::Both);
    let _ = t.join();
}
