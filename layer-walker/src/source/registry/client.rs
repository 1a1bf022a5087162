//! HTTP to one repository of one registry: the scheme chosen once (HTTPS, or plain HTTP where
//! allowed), every request authenticated ([`Auth`]) and retried with backoff on connection
//! errors, 429 and 5xx; blobs streamed, a cut transfer resumed with a `Range` request.
//!
//! ureq, blocking: each layer thread owns one request at a time, so the threads the scan
//! already bounds ([`crate::Limits::max_parallel_layers`]) bound the connections too.

use std::io::{self, Read};
use std::net::IpAddr;
use std::time::Duration;

use ureq::config::RedirectAuthHeaders;
use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};
use ureq::{Agent, Body};

use super::auth::{Auth, TokenTransport};
use super::name::RegistryRef;
use super::options::RegistryOptions;
use crate::error::{Error, Location, Result};

/// Redirects followed for one request (blob storage redirects once, to S3 or a CDN).
const MAX_REDIRECTS: u32 = 10;

pub(crate) type Response = ureq::http::Response<Body>;

pub(crate) struct Client {
    agent: Agent,
    /// `https://host:port` or `http://host:port`.
    base: String,
    repo: String,
    scope: String,
    /// Whether the client writes (its scope asks for `push`).
    push: bool,
    at: Location,
    pub(crate) auth: Auth,
    retries: u32,
    delay: Duration,
    /// Hosts that may be reached in plain HTTP (the registry's, if allowed; token realms on
    /// loopback).
    insecure: Vec<String>,
}

impl Client {
    /// Reaches the registry of `r` (its `/v2/` endpoint) to pull, authenticating if it asks.
    pub(crate) fn connect(r: &RegistryRef, opts: &RegistryOptions, at: Location) -> Result<Client> {
        Client::connect_for(r, opts, at, false)
    }

    /// As [`Client::connect`]; with `push`, tokens are asked for `pull,push` on the
    /// repository, which a registry grants only to whom may write to it.
    pub(crate) fn connect_for(
        r: &RegistryRef,
        opts: &RegistryOptions,
        at: Location,
        push: bool,
    ) -> Result<Client> {
        let host = r.api_host().to_string();
        let insecure_host = opts
            .insecure_hosts
            .iter()
            .any(|h| h == &host || h == host_without_port(&host));
        let plain_ok = insecure_host || is_loopback(&host);
        let mut roots = Vec::new();
        let native = rustls_native_certs::load_native_certs();
        for c in &native.certs {
            roots.push(Certificate::from_der(c.as_ref()).to_owned());
        }
        for f in &opts.ca_files {
            let bytes = std::fs::read(f).map_err(|e| Error::io(f.as_path(), e))?;
            let before = roots.len();
            for item in ureq::tls::parse_pem(&bytes) {
                if let Ok(PemItem::Certificate(c)) = item {
                    roots.push(c.to_owned());
                }
            }
            if roots.len() == before {
                return Err(Error::BadMetadata {
                    at: Location::Path(f.clone()),
                    what: "--registry-ca file".into(),
                    reason: "it holds no PEM certificate".into(),
                });
            }
        }
        let tls = TlsConfig::builder()
            .root_certs(RootCerts::new_with_certs(&roots))
            .disable_verification(insecure_host)
            .build();
        let agent: Agent = Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(opts.timeout))
            .timeout_recv_response(Some(opts.timeout))
            .timeout_per_read(Some(opts.timeout))
            .max_redirects(MAX_REDIRECTS)
            .max_redirects_will_error(true)
            // not to another host: blob storage (S3, a CDN) gets its credentials in the URL
            .redirect_auth_headers(RedirectAuthHeaders::SameHost)
            .user_agent(concat!("sbom/", env!("CARGO_PKG_VERSION")))
            .tls_config(tls)
            .build()
            .into();
        let mut insecure = opts.insecure_hosts.clone();
        if plain_ok {
            insecure.push(host.clone());
        }
        let registry = r.registry().to_string();
        let repository = r.repository().to_string();
        let given = opts.credentials.clone();
        let files = opts.credential_files;
        let find = Box::new(move || {
            given.clone().or_else(|| {
                files
                    .then(|| super::credentials::lookup(&registry, &repository))
                    .flatten()
            })
        });
        let mut client = Client {
            agent,
            base: format!("https://{host}"),
            repo: r.repository().to_string(),
            scope: format!(
                "repository:{}:{}",
                r.repository(),
                if push { "pull,push" } else { "pull" }
            ),
            push,
            auth: Auth::new(at.clone(), find),
            at,
            retries: opts.retries,
            delay: opts.retry_delay,
            insecure,
        };
        // as Docker: HTTPS first; plain HTTP only where allowed, when HTTPS fails
        let https = client.get(
            "the registry API",
            "/v2/",
            None,
            None,
            if plain_ok { 0 } else { client.retries },
        );
        let answer = match https {
            // a registry that spoke HTTPS and refused us is not retried in plain HTTP
            Err(e)
                if plain_ok
                    && matches!(e.kind(), crate::ErrorKind::Io | crate::ErrorKind::Remote) =>
            {
                tracing::debug!("HTTPS to {host} failed ({e}); trying plain HTTP");
                client.base = format!("http://{host}");
                let retries = client.retries;
                match client.get("the registry API", "/v2/", None, None, retries) {
                    // it speaks HTTPS (a plain request gets 400): what failed is HTTPS
                    Ok(a) if a.status().as_u16() == 400 => return Err(e),
                    // a plain-HTTP registry that answered: its status is the story (below)
                    Ok(a) => a,
                    // nothing answers either way: the plain-HTTP error has the retries
                    Err(plain) if e.kind() == crate::ErrorKind::Io => return Err(plain),
                    Err(_) => return Err(e),
                }
            }
            other => other?,
        };
        let status = answer.status().as_u16();
        if status != 200 {
            return Err(client.status_error("the registry API /v2/", status));
        }
        tracing::debug!("registry {} answers at {}", r.registry(), client.base);
        Ok(client)
    }

    pub(crate) fn location(&self) -> &Location {
        &self.at
    }

    /// `https://host:port` (or `http://`): what relative `Location`s are resolved against.
    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    pub(crate) fn repo_path(&self, kind: &str, reference: &str) -> String {
        format!("/v2/{}/{kind}/{reference}", self.repo)
    }

    /// GETs `path`, answering auth challenges, retrying transport failures, 429 and 5xx up
    /// to `retries` times. 401 and 403 are errors here; other statuses are the caller's.
    pub(crate) fn get(
        &self,
        what: &str,
        path: &str,
        accept: Option<&str>,
        range: Option<u64>,
        retries: u32,
    ) -> Result<Response> {
        let url = format!("{}{path}", self.base);
        self.exchange(what, &url, true, retries, &|authorization| {
            let mut req = self.agent.get(&url);
            if let Some(a) = accept {
                req = req.header("Accept", a);
            }
            if let Some(r) = range {
                req = req.header("Range", format!("bytes={r}-"));
            }
            if let Some(h) = authorization {
                req = req.header("Authorization", h);
            }
            req.call()
        })
    }

    /// Sends a request that writes (or, with [`Method::Head`], asks) to `target`: a path on
    /// the registry, or an absolute URL it handed out (an upload's `Location`). A URL on
    /// another host gets no `Authorization`: credentials and tokens are for the registry
    /// only. Answered, retried and refused as [`Client::get`]; a PUT of the same bytes to
    /// the same URL is idempotent, so retrying one is safe.
    pub(crate) fn send(
        &self,
        method: Method,
        what: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &[u8],
        retries: u32,
    ) -> Result<Response> {
        let url = if target.starts_with("http://") || target.starts_with("https://") {
            target.to_string()
        } else {
            format!("{}{target}", self.base)
        };
        let same_host = authority(&url) == authority(&self.base);
        if !same_host && url.starts_with("http://") && !is_loopback(authority(&url)) {
            return Err(Error::Remote {
                at: self.at.clone(),
                what: what.to_string(),
                detail: format!(
                    "the registry sent the upload to a plain-HTTP URL on another host ({})",
                    authority(&url)
                ),
            });
        }
        self.exchange(what, &url, same_host, retries, &|authorization| {
            let mut req = ureq::http::Request::builder()
                .method(method.as_str())
                .uri(&url);
            for (k, v) in headers {
                req = req.header(*k, *v);
            }
            if let Some(h) = authorization {
                req = req.header("Authorization", h);
            }
            let req = req
                .body(body)
                .map_err(|e| ureq::Error::BadUri(e.to_string()))?;
            self.agent.run(req)
        })
    }

    /// One request, by `call` (given the `Authorization` to send, if any): answers auth
    /// challenges, retries transport failures, 429 and 5xx up to `retries` times. 401 and
    /// 403 are errors here; other statuses are the caller's.
    fn exchange(
        &self,
        what: &str,
        url: &str,
        authorize: bool,
        retries: u32,
        call: &dyn Fn(Option<&str>) -> std::result::Result<Response, ureq::Error>,
    ) -> Result<Response> {
        let mut attempt = 0;
        let mut answered = false;
        loop {
            let sent = if authorize {
                self.auth.header(&self.scope)
            } else {
                None
            };
            match call(sent.as_deref()) {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    match status {
                        401 if authorize => {
                            let www = resp
                                .headers()
                                .get("www-authenticate")
                                .and_then(|v| v.to_str().ok())
                                .map(str::to_string);
                            self.auth.answer(
                                www.as_deref(),
                                &self.scope,
                                sent.is_some() || answered,
                                self,
                            )?;
                            if answered {
                                return Err(Error::Auth {
                                    at: self.at.clone(),
                                    detail: format!("the registry refused access to {what}"),
                                });
                            }
                            answered = true;
                        }
                        401 | 403 => {
                            return Err(Error::Auth {
                                at: self.at.clone(),
                                detail: format!(
                                    "the registry denied access to {what} (HTTP {status}){}",
                                    if sent.is_some() {
                                        ""
                                    } else if self.push {
                                        " for an anonymous push"
                                    } else {
                                        " for an anonymous pull"
                                    }
                                ),
                            })
                        }
                        429 | 500..=599 if attempt < retries => {
                            tracing::debug!("{url}: HTTP {status}, retrying");
                            self.backoff(attempt);
                            attempt += 1;
                        }
                        _ => return Ok(resp),
                    }
                }
                Err(e) if retryable(&e) && attempt < retries => {
                    tracing::debug!("{url}: {e}, retrying");
                    self.backoff(attempt);
                    attempt += 1;
                }
                Err(e) => return Err(self.transport_error(what, url, e, attempt)),
            }
        }
    }

    pub(crate) fn backoff(&self, attempt: u32) {
        std::thread::sleep(self.delay.saturating_mul(1 << attempt.min(6)));
    }

    /// A wait of up to about `attempt` retry delays, different in each process and call: two
    /// clients that collided fall out of step.
    pub(crate) fn jitter(&self, attempt: u32) {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let spread =
            (u64::from(std::process::id()).wrapping_mul(2654435761) ^ u64::from(nanos)) % 1000;
        let factor = (0.1 + spread as f64 / 1000.0) * f64::from(attempt.min(6));
        std::thread::sleep(self.delay.mul_f64(factor));
    }

    pub(crate) fn retries(&self) -> u32 {
        self.retries
    }

    /// An answer other than the one expected: 404 is "not found", the rest is the registry's
    /// error, with its error code when it sent one.
    pub(crate) fn status_error(&self, what: &str, status: u16) -> Error {
        if status == 404 {
            return Error::NotFound {
                at: self.at.clone(),
                what: what.to_string(),
            };
        }
        Error::Remote {
            at: self.at.clone(),
            what: what.to_string(),
            detail: format!("the registry answered HTTP {status}"),
        }
    }

    fn transport_error(&self, what: &str, url: &str, e: ureq::Error, retries: u32) -> Error {
        let after = if retries > 0 {
            format!(" (after {retries} retries)")
        } else {
            String::new()
        };
        let io = |kind: io::ErrorKind, msg: String| Error::Io {
            at: self.at.clone(),
            layer: None,
            err: io::Error::new(kind, format!("{what}: {url}: {msg}{after}")),
        };
        match e {
            // ureq passes rustls' verdicts on as io errors; only their words tell them apart
            ureq::Error::Io(err) if err.to_string().contains("certificate") => Error::Remote {
                at: self.at.clone(),
                what: what.to_string(),
                detail: format!(
                    "{url}: TLS: {err} (signed by a private CA? trust it with --registry-ca FILE)"
                ),
            },
            ureq::Error::Io(err) => io(err.kind(), err.to_string()),
            ureq::Error::Timeout(t) => io(
                io::ErrorKind::TimedOut,
                format!("no answer in time (timeout: {t})"),
            ),
            ureq::Error::HostNotFound => io(io::ErrorKind::NotFound, "host not found".into()),
            ureq::Error::ConnectionFailed => {
                io(io::ErrorKind::ConnectionRefused, "cannot connect".into())
            }
            ureq::Error::TooManyRedirects => Error::Remote {
                at: self.at.clone(),
                what: what.to_string(),
                detail: format!(
                    "redirected more than {MAX_REDIRECTS} times (a redirect loop?) from {url}"
                ),
            },
            e @ (ureq::Error::Rustls(_) | ureq::Error::Tls(_)) => Error::Remote {
                at: self.at.clone(),
                what: what.to_string(),
                detail: format!(
                    "{url}: TLS: {e} (signed by a private CA? trust it with --registry-ca FILE)"
                ),
            },
            other => Error::Remote {
                at: self.at.clone(),
                what: what.to_string(),
                detail: format!("{url}: {other}{after}"),
            },
        }
    }
}

impl TokenTransport for Client {
    fn get_token(
        &self,
        url: &str,
        authorization: Option<&str>,
    ) -> Result<(u16, Box<dyn Read + Send>)> {
        let plain = url.strip_prefix("http://");
        if let Some(rest) = plain {
            let host = rest.split(['/', '?']).next().unwrap_or(rest);
            if !(is_loopback(host)
                || self
                    .insecure
                    .iter()
                    .any(|h| h == host || h == host_without_port(host)))
            {
                return Err(Error::Auth {
                    at: self.at.clone(),
                    detail: format!("the token service {url} is plain HTTP; credentials go only over HTTPS (or to a host named with --insecure-registry)"),
                });
            }
        } else if !url.starts_with("https://") {
            return Err(Error::Auth {
                at: self.at.clone(),
                detail: "the Bearer challenge names a realm that is no http(s) URL".into(),
            });
        }
        let mut attempt = 0;
        loop {
            let mut req = self.agent.get(url);
            if let Some(a) = authorization {
                req = req.header("Authorization", a);
            }
            match req.call() {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    if matches!(status, 429 | 500..=599) && attempt < self.retries {
                        self.backoff(attempt);
                        attempt += 1;
                        continue;
                    }
                    return Ok((status, Box::new(resp.into_body().into_reader())));
                }
                Err(e) if retryable(&e) && attempt < self.retries => {
                    self.backoff(attempt);
                    attempt += 1;
                }
                Err(e) => {
                    // the query names the scope only: no secret in it
                    return Err(self.transport_error("the token service", url, e, attempt));
                }
            }
        }
    }
}

/// The methods besides GET the registry API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Head,
    Post,
    Put,
}

impl Method {
    fn as_str(self) -> &'static str {
        match self {
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
        }
    }
}

/// `host:port` of an `http(s)://host:port/...` URL.
fn authority(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split(['/', '?', '#']).next().unwrap_or(rest)
}

fn retryable(e: &ureq::Error) -> bool {
    matches!(
        e,
        ureq::Error::Io(_) | ureq::Error::Timeout(_) | ureq::Error::ConnectionFailed
    )
}

fn host_without_port(h: &str) -> &str {
    if let Some(rest) = h.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match h.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
        _ => h,
    }
}

/// `localhost`, `127.0.0.0/8`, `::1`: where plain HTTP never leaves the machine.
pub(crate) fn is_loopback(host: &str) -> bool {
    let h = host_without_port(host);
    h == "localhost" || h.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// A blob's body, resumed from where it was cut with `Range: bytes=N-` (or, if the
/// registry ignores ranges, fetched again with the first N bytes skipped), at most
/// `retries` times. Whatever reads it hashes every byte, so a resumed blob is verified as a
/// whole.
pub(crate) struct BlobReader<'c> {
    client: &'c Client,
    what: String,
    path: String,
    body: Option<ureq::BodyReader<'static>>,
    offset: u64,
    total: Option<u64>,
    failures: u32,
}

impl<'c> BlobReader<'c> {
    pub(crate) fn new(client: &'c Client, what: String, path: String, first: Response) -> Self {
        let total = content_length(&first);
        BlobReader {
            client,
            what,
            path,
            body: Some(first.into_body().into_reader()),
            offset: 0,
            total,
            failures: 0,
        }
    }

    fn resume(&mut self) -> io::Result<()> {
        let resp = self
            .client
            .get(
                &self.what,
                &self.path,
                None,
                Some(self.offset),
                self.client.retries(),
            )
            .map_err(|e| io::Error::other(e.to_string()))?;
        let status = resp.status().as_u16();
        match status {
            206 => {
                let start = resp
                    .headers()
                    .get("content-range")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.strip_prefix("bytes "))
                    .and_then(|v| v.split('-').next())
                    .and_then(|v| v.parse::<u64>().ok());
                if start != Some(self.offset) {
                    return Err(io::Error::other(format!(
                        "{}: the registry resumed at another byte than {} asked for",
                        self.what, self.offset
                    )));
                }
                self.body = Some(resp.into_body().into_reader());
            }
            200 => {
                let mut body = resp.into_body().into_reader();
                let skipped = io::copy(&mut (&mut body).take(self.offset), &mut io::sink())?;
                if skipped != self.offset {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!("{}: the blob is shorter on the retry", self.what),
                    ));
                }
                self.body = Some(body);
            }
            s => {
                return Err(io::Error::other(format!(
                    "{}: the registry answered HTTP {s} to the resumed request",
                    self.what
                )))
            }
        }
        tracing::debug!("{}: resumed at byte {}", self.what, self.offset);
        Ok(())
    }
}

impl Read for BlobReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let err = match &mut self.body {
                None => match self.resume() {
                    Ok(()) => continue,
                    Err(e) => return Err(e),
                },
                Some(body) => match body.read(buf) {
                    Ok(0) if self.total.is_some_and(|t| self.offset < t) => {
                        io::Error::new(io::ErrorKind::UnexpectedEof, "the connection closed early")
                    }
                    Ok(n) => {
                        self.offset += n as u64;
                        return Ok(n);
                    }
                    Err(e) => e,
                },
            };
            if self.failures >= self.client.retries() {
                let kind = match err.kind() {
                    io::ErrorKind::Other => io::ErrorKind::ConnectionAborted,
                    k => k,
                };
                return Err(io::Error::new(
                    kind,
                    format!(
                        "{}: the transfer failed at byte {}{} after {} retries: {err}",
                        self.what,
                        self.offset,
                        self.total.map(|t| format!(" of {t}")).unwrap_or_default(),
                        self.failures
                    ),
                ));
            }
            tracing::debug!(
                "{}: cut at byte {} ({err}); resuming",
                self.what,
                self.offset
            );
            self.client.backoff(self.failures);
            self.failures += 1;
            self.body = None;
        }
    }
}

pub(crate) fn content_length(r: &Response) -> Option<u64> {
    r.headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}
