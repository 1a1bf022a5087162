//! Registry authentication: the `WWW-Authenticate` challenge of a 401, then Basic, or the
//! Bearer token flow Docker Hub, GHCR, GitLab, Harbor and ECR use (a token from the realm the
//! challenge names, for the scope it names, anonymous or with credentials). Tokens are kept
//! per scope and reused by every layer thread until they expire.

use std::collections::HashMap;
use std::io::Read;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine as _;

use super::options::Credentials;
use crate::error::{Error, Location, Result};
use crate::limits::Limit;

/// Token responses are a few KiB (a JWT); a bigger one is refused, not buffered.
pub(crate) const MAX_TOKEN_RESPONSE: u64 = 1 << 20;

/// A challenge: its scheme and parameters (`realm`, `service`, `scope`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Challenge {
    pub scheme: String,
    pub params: HashMap<String, String>,
}

/// Parses `Bearer realm="https://auth.example/token",service="registry",scope="a:b:pull"`.
/// Hand-written: the grammar is a handful of rules (RFC 7235 auth-params), and the crates for
/// it are unmaintained or come with a whole HTTP stack of their own.
pub(crate) fn parse_challenge(h: &str) -> Option<Challenge> {
    let h = h.trim();
    let (scheme, mut rest) = h.split_once(' ').unwrap_or((h, ""));
    if scheme.is_empty() {
        return None;
    }
    let mut params = HashMap::new();
    loop {
        rest = rest.trim_start_matches([' ', ',']);
        if rest.is_empty() {
            break;
        }
        let (key, after) = rest.split_once('=')?;
        let key = key.trim().to_ascii_lowercase();
        let after = after.trim_start();
        let (value, next) = if let Some(q) = after.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = q.char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, n)) = chars.next() {
                            value.push(n);
                        }
                    }
                    '"' => {
                        end = Some(i + 1);
                        break;
                    }
                    c => value.push(c),
                }
            }
            (value, &q[end?..])
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (after[..end].trim().to_string(), &after[end..])
        };
        params.insert(key, value);
        rest = next;
    }
    Some(Challenge {
        scheme: scheme.to_ascii_lowercase(),
        params,
    })
}

#[derive(Debug, Clone)]
enum Scheme {
    /// No challenge met yet: requests go without `Authorization`.
    Anonymous,
    Basic,
    /// Tokens from the realm a challenge named, per scope.
    Bearer,
}

struct Token {
    value: String,
    /// When to fetch a new one (a little before it expires).
    renew_at: Option<Instant>,
}

/// What a client knows about authenticating to one registry.
pub(crate) struct Auth {
    at: Location,
    /// Found when the registry first asks for them.
    credentials: Mutex<Option<Option<Credentials>>>,
    find: Box<dyn Fn() -> Option<Credentials> + Send + Sync>,
    scheme: Mutex<Scheme>,
    tokens: Mutex<HashMap<String, Token>>,
    /// Token requests made, for tests and logs.
    pub(crate) token_requests: std::sync::atomic::AtomicUsize,
}

/// Where a token request goes, and whether it may go in plain HTTP.
pub(crate) trait TokenTransport: Sync {
    /// GETs `url` with `authorization`; the status and the body reader.
    fn get_token(
        &self,
        url: &str,
        authorization: Option<&str>,
    ) -> Result<(u16, Box<dyn Read + Send>)>;
}

impl Auth {
    pub(crate) fn new(
        at: Location,
        find: Box<dyn Fn() -> Option<Credentials> + Send + Sync>,
    ) -> Self {
        Auth {
            at,
            credentials: Mutex::new(None),
            find,
            scheme: Mutex::new(Scheme::Anonymous),
            tokens: Mutex::new(HashMap::new()),
            token_requests: Default::default(),
        }
    }

    fn credentials(&self) -> Option<Credentials> {
        let mut c = self.credentials.lock().unwrap_or_else(|e| e.into_inner());
        c.get_or_insert_with(|| (self.find)()).clone()
    }

    /// The `Authorization` value for a request in `scope`, if there is one yet.
    pub(crate) fn header(&self, scope: &str) -> Option<String> {
        let scheme = self
            .scheme
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        match scheme {
            Scheme::Anonymous => None,
            Scheme::Basic => self.credentials().map(|c| basic(&c)),
            Scheme::Bearer => {
                let tokens = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
                let t = tokens.get(scope)?;
                if t.renew_at.is_some_and(|r| Instant::now() >= r) {
                    return None;
                }
                Some(format!("Bearer {}", t.value))
            }
        }
    }

    /// Answers the challenge of a 401 to a request in `scope`: afterwards [`Auth::header`]
    /// has what to send. `sent` is whether that request carried credentials already (then
    /// they were refused).
    pub(crate) fn answer(
        &self,
        www_authenticate: Option<&str>,
        scope: &str,
        sent: bool,
        transport: &dyn TokenTransport,
    ) -> Result<()> {
        let challenge = www_authenticate.and_then(parse_challenge);
        let Some(challenge) = challenge else {
            return Err(self.failed(
                "the registry answered 401 without a challenge (WWW-Authenticate) to answer".into(),
            ));
        };
        match challenge.scheme.as_str() {
            "basic" => {
                let Some(c) = self.credentials() else {
                    return Err(self.failed(
                        "the registry needs credentials (--registry-username, or docker login)".into(),
                    ));
                };
                if sent {
                    return Err(self.failed(format!(
                        "the registry refused the credentials of user {:?}",
                        c.username()
                    )));
                }
                *self.scheme.lock().unwrap_or_else(|e| e.into_inner()) = Scheme::Basic;
                Ok(())
            }
            "bearer" => {
                let Some(realm) = challenge.params.get("realm").cloned() else {
                    return Err(self.failed("the Bearer challenge names no realm".into()));
                };
                let service = challenge.params.get("service").cloned();
                // a challenge names what the one request needs (`pull` for a GET); a
                // client that will push asks for its own, wider scope at once, so one token
                // serves both and a pull-only token is never taken for a push
                let scope = match challenge.params.get("scope") {
                    Some(c) if !covers(scope, c) => c.clone(),
                    _ => scope.to_string(),
                };
                if sent && self.header(&scope).is_some() {
                    // a fresh token for this scope was refused: the registry denies the pull
                    return Err(self.failed(format!(
                        "the registry refused the token for {scope}{}",
                        self.whose()
                    )));
                }
                *self.scheme.lock().unwrap_or_else(|e| e.into_inner()) = Scheme::Bearer;
                let token = self.fetch_token(&realm, service.as_deref(), &scope, transport)?;
                self.tokens
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(scope, token);
                Ok(())
            }
            other => Err(self.failed(format!(
                "the registry asks for {other} authentication, which is not supported (Basic and Bearer are)"
            ))),
        }
    }

    fn whose(&self) -> String {
        match self.credentials() {
            Some(c) => format!(" of user {:?}", c.username()),
            None => " (anonymous; pass --registry-username or docker login)".into(),
        }
    }

    fn failed(&self, detail: String) -> Error {
        Error::Auth {
            at: self.at.clone(),
            detail,
        }
    }

    fn fetch_token(
        &self,
        realm: &str,
        service: Option<&str>,
        scope: &str,
        transport: &dyn TokenTransport,
    ) -> Result<Token> {
        self.token_requests
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut url = realm.to_string();
        let mut sep = if url.contains('?') { '&' } else { '?' };
        for (k, v) in [("service", service), ("scope", Some(scope))] {
            if let Some(v) = v {
                url.push(sep);
                url.push_str(k);
                url.push('=');
                url.push_str(&query_escape(v));
                sep = '&';
            }
        }
        let creds = self.credentials();
        let authorization = creds.as_ref().map(basic);
        let (status, body) = transport.get_token(&url, authorization.as_deref())?;
        if status == 401 || status == 403 {
            return Err(self.failed(format!(
                "the token service {realm} refused a token for {scope}{} (HTTP {status})",
                self.whose()
            )));
        }
        if status != 200 {
            return Err(self.failed(format!(
                "the token service {realm} answered HTTP {status} for {scope}"
            )));
        }
        let mut bytes = Vec::new();
        body.take(MAX_TOKEN_RESPONSE + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| Error::from_stream(Location::Url(realm.to_string()), None, e))?;
        if bytes.len() as u64 > MAX_TOKEN_RESPONSE {
            return Err(Error::LimitExceeded {
                at: self.at.clone(),
                layer: None,
                limit: Limit::TokenResponse,
                what: format!("the token response of {realm}"),
                max: MAX_TOKEN_RESPONSE,
            });
        }
        #[derive(serde::Deserialize)]
        struct TokenResponse {
            #[serde(default)]
            token: Option<String>,
            #[serde(default)]
            access_token: Option<String>,
            #[serde(default)]
            expires_in: Option<u64>,
        }
        let parsed: TokenResponse = serde_json::from_slice(&bytes).map_err(|e| {
            self.failed(format!(
                "the token service {realm} answered something that is not a token response ({})",
                e.classify_name()
            ))
        })?;
        let Some(value) = parsed
            .token
            .or(parsed.access_token)
            .filter(|t| !t.is_empty())
        else {
            return Err(self.failed(format!("the token service {realm} answered no token")));
        };
        if !value.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(self.failed(format!(
                "the token service {realm} answered a token that cannot go in a header"
            )));
        }
        // the spec's default lifetime is 60 s; renewed when 90 % of it has passed
        let life = Duration::from_secs(parsed.expires_in.unwrap_or(60).max(1));
        Ok(Token {
            value,
            renew_at: Some(Instant::now() + life.mul_f64(0.9)),
        })
    }
}

/// True when scope `wide` (`repository:NAME:pull,push`) grants everything `narrow` asks:
/// same resource, a superset of its actions.
fn covers(wide: &str, narrow: &str) -> bool {
    let split = |s: &str| {
        let mut p = s.splitn(3, ':');
        let (t, n, a) = (p.next()?, p.next()?, p.next()?);
        Some((
            t.to_string(),
            n.to_string(),
            a.split(',').map(str::to_string).collect::<Vec<_>>(),
        ))
    };
    match (split(wide), split(narrow)) {
        (Some((wt, wn, wa)), Some((nt, nn, na))) => {
            wt == nt && wn == nn && na.iter().all(|a| wa.contains(a))
        }
        _ => false,
    }
}

/// What serde_json says went wrong, without quoting the input (it may hold a secret).
trait ClassifyName {
    fn classify_name(&self) -> &'static str;
}

impl ClassifyName for serde_json::Error {
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "unreadable",
            serde_json::error::Category::Syntax => "not JSON",
            serde_json::error::Category::Data => "JSON of the wrong shape",
            serde_json::error::Category::Eof => "cut JSON",
        }
    }
}

pub(crate) fn basic(c: &Credentials) -> String {
    let raw = format!("{}:{}", c.username(), c.password());
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

/// Percent-encodes a query value: everything but unreserved characters.
fn query_escape(v: &str) -> String {
    use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
    const UNRESERVED: &percent_encoding::AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    utf8_percent_encode(v, UNRESERVED).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_parse_with_quoted_commas() {
        let c = parse_challenge(
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/debian:pull,push""#,
        )
        .unwrap();
        assert_eq!(c.scheme, "bearer");
        assert_eq!(c.params["realm"], "https://auth.docker.io/token");
        assert_eq!(c.params["service"], "registry.docker.io");
        assert_eq!(c.params["scope"], "repository:library/debian:pull,push");
        let b = parse_challenge(r#"Basic realm="Registry Realm""#).unwrap();
        assert_eq!(
            (b.scheme.as_str(), b.params["realm"].as_str()),
            ("basic", "Registry Realm")
        );
        assert_eq!(parse_challenge("Bearer realm=\"x"), None);
        let bare = parse_challenge("Bearer realm=https://a/t, service=s").unwrap();
        assert_eq!(bare.params["service"], "s");
    }

    #[test]
    fn a_push_scope_covers_the_pull_a_challenge_asks_for() {
        assert!(covers("repository:a/b:pull,push", "repository:a/b:pull"));
        assert!(covers(
            "repository:a/b:pull,push",
            "repository:a/b:push,pull"
        ));
        assert!(!covers("repository:a/b:pull", "repository:a/b:pull,push"));
        assert!(!covers("repository:a/b:pull,push", "repository:a/c:pull"));
        assert!(!covers("repository:a/b:pull,push", "registry:catalog:*"));
    }

    #[test]
    fn query_values_are_escaped() {
        assert_eq!(
            query_escape("repository:a/b:pull"),
            "repository%3Aa%2Fb%3Apull"
        );
    }
}
