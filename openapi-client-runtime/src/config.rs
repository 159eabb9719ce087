//! Configuration: [`ClientBuilder`] checks the settings and resolves them into
//! a [`Runtime`](crate::Runtime), and [`ConfigError`] says which one is wrong.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, USER_AGENT};

use crate::retry::RetryPolicy;
use crate::transport::{Runtime, Settings};
use crate::{
    Api, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_CONCURRENT_REQUESTS, DEFAULT_TIMEOUT, MAX_REDIRECTS,
};

/// Builds a client of type `C` (a client crate's `Client`, whose crate names
/// this type `ClientBuilder`). Every setting has a safe default.
pub struct ClientBuilder<C> {
    credential: Option<String>,
    base_url: Option<String>,
    timeout: Duration,
    connect_timeout: Duration,
    retry: RetryPolicy,
    headers: Vec<(String, String)>,
    /// The caller's HTTP settings; not `Clone`, so neither is this builder.
    http: Option<reqwest::ClientBuilder>,
    max_concurrent_requests: usize,
    client: PhantomData<fn() -> C>,
}

// A derive would require `C: Default`; the builder holds no `C`.
impl<C> Default for ClientBuilder<C> {
    fn default() -> Self {
        Self {
            credential: None,
            base_url: None,
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            retry: RetryPolicy::default(),
            headers: Vec::new(),
            http: None,
            max_concurrent_requests: DEFAULT_MAX_CONCURRENT_REQUESTS,
            client: PhantomData,
        }
    }
}

impl<C> fmt::Debug for ClientBuilder<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field(
                "credential",
                &self.credential.as_ref().map(|_| "<redacted>"),
            )
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("retry", &self.retry)
            .field(
                "headers",
                &self.headers.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .field("custom_http_client", &self.http.is_some())
            .field("max_concurrent_requests", &self.max_concurrent_requests)
            .finish()
    }
}

impl<C: Api> ClientBuilder<C> {
    /// The secret sent with every request (the API key or token).
    pub fn credential(mut self, credential: impl Into<String>) -> Self {
        self.credential = Some(credential.into());
        self
    }

    /// The base URL; a path prefix (such as `/client/v4`) is kept.
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = Some(base_url.into());
        self
    }

    /// Fills the credential and base URL from the environment where not set yet.
    pub fn env(mut self) -> Self {
        let provider = C::PROVIDER;
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        if self.credential.is_none() {
            self.credential = var(provider.credential_env);
        }
        if self.base_url.is_none() {
            self.base_url = var(provider.base_url_env);
        }
        self
    }

    /// Time limit of one attempt, from connecting to reading the whole body.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Time limit for establishing a connection (also with [`Self::http_client`]).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Retries after a failed attempt; `0` disables retries.
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.retry.max_retries = retries;
        self
    }

    /// Backoff when the server does not say how long to wait: `initial`, doubling
    /// per retry, capped at `max`, each reduced by up to 25 % random jitter.
    pub fn retry_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.retry.initial_backoff = initial;
        self.retry.max_backoff = max;
        self
    }

    /// A header sent with every request. The credential and `User-Agent` headers
    /// cannot be overridden this way.
    pub fn default_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Requests in flight at once, shared by the client's clones (at least 1);
    /// further calls wait for a slot. Each request holds its slot from sending
    /// to reading the body, but not while waiting to retry.
    pub fn max_concurrent_requests(mut self, limit: usize) -> Self {
        self.max_concurrent_requests = limit;
        self
    }

    /// Builds the HTTP client from the caller's `reqwest::ClientBuilder`
    /// (proxies, TLS roots, pool and HTTP/2 settings, default headers), over
    /// which [`build`](Self::build) sets the runtime's redirect policy and
    /// [`connect_timeout`](Self::connect_timeout): a redirect is followed
    /// only within the same origin, so neither the credential, whatever
    /// header carries it, nor any default header (the builder's or the
    /// caller's) reaches another origin. Timeouts, retries and headers apply
    /// per request as without it.
    ///
    /// A builder, not a `reqwest::Client`: a client's redirect policy is
    /// fixed when it is built, and reqwest's default one follows redirects to
    /// other hosts with every header but `Authorization` (and `Cookie`). The
    /// client and its clones get a connection pool of their own.
    ///
    pub fn http_client(mut self, builder: reqwest::ClientBuilder) -> Self {
        self.http = Some(builder);
        self
    }

    /// Checks the settings and creates the client. Sends nothing.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] naming the setting that is missing or invalid.
    pub fn build(self) -> Result<C, ConfigError> {
        let provider = C::PROVIDER;
        let credential = self.credential.filter(|c| !c.trim().is_empty()).ok_or(
            ConfigError::MissingCredential {
                what: provider.credential_name,
                env: provider.credential_env,
            },
        )?;
        let mut auth =
            HeaderValue::try_from(format!("{}{}", provider.auth_prefix, credential.trim()))
                .map_err(|_| ConfigError::InvalidCredential {
                    what: provider.credential_name,
                })?;
        auth.set_sensitive(true);

        let base_url = self
            .base_url
            .unwrap_or_else(|| provider.default_base_url.to_string());
        if base_url.is_empty() {
            // The spec names no absolute server, so there is no default.
            return Err(ConfigError::InvalidBaseUrl {
                url: base_url,
                reason: format!(
                    "empty (a spec that names no server gives no default): set one with `ClientBuilder::base_url` or ${}",
                    provider.base_url_env
                ),
            });
        }
        let parsed = reqwest::Url::parse(&base_url).map_err(|e| ConfigError::InvalidBaseUrl {
            url: base_url.clone(),
            reason: e.to_string(),
        })?;
        if !matches!(parsed.scheme(), "http" | "https")
            || parsed.query().is_some()
            || parsed.fragment().is_some()
        {
            return Err(ConfigError::InvalidBaseUrl {
                url: base_url,
                reason: "must be an http(s) URL without query or fragment".into(),
            });
        }
        let base_url = base_url.trim_end_matches('/').to_string();

        let mut headers = HeaderMap::new();
        for (name, value) in self.headers {
            let header =
                HeaderName::try_from(name.as_str()).map_err(|e| ConfigError::InvalidHeader {
                    name: name.clone(),
                    reason: e.to_string(),
                })?;
            let value = HeaderValue::try_from(value).map_err(|e| ConfigError::InvalidHeader {
                name: name.clone(),
                reason: e.to_string(),
            })?;
            headers.append(header, value);
        }
        let auth_name =
            HeaderName::try_from(provider.auth_header).map_err(|e| ConfigError::InvalidHeader {
                name: provider.auth_header.into(),
                reason: e.to_string(),
            })?;
        headers.remove(&auth_name);
        headers.remove(USER_AGENT);
        let idempotency = provider
            .idempotency_header
            .map(|name| {
                HeaderName::try_from(name).map_err(|e| ConfigError::InvalidHeader {
                    name: name.into(),
                    reason: e.to_string(),
                })
            })
            .transpose()?;
        // A default value would be one key for every call: the server would
        // take a new call for a retry of the first and answer it with its
        // result.
        if let Some(name) = &idempotency {
            headers.remove(name);
        }

        let http = self
            .http
            .unwrap_or_default()
            .connect_timeout(self.connect_timeout)
            .redirect(redirect_policy())
            .build()
            .map_err(ConfigError::HttpClient)?;
        let user_agent = HeaderValue::try_from(format!(
            "{}/{}",
            provider.crate_name, provider.crate_version
        ))
        .map_err(|e| ConfigError::InvalidHeader {
            name: "user-agent".into(),
            reason: e.to_string(),
        })?;
        let runtime = Runtime(Arc::new(Settings {
            provider,
            auth_name,
            auth,
            user_agent,
            headers,
            idempotency,
            timeout: self.timeout,
            retry: self.retry,
            slots: Arc::new(tokio::sync::Semaphore::new(
                self.max_concurrent_requests
                    .clamp(1, tokio::sync::Semaphore::MAX_PERMITS),
            )),
        }));
        Ok(C::from_parts(&base_url, http, runtime))
    }
}

/// Follows a redirect only to the same scheme, host and port, at most
/// [`MAX_REDIRECTS`] times. A redirect elsewhere is not followed at all: the
/// credential, and any default header, never reach another origin, and the
/// caller gets the 3xx as [`Error::Status`] with its `Location` header.
fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let same_origin = attempt
            .previous()
            .last()
            .is_some_and(|from| from.origin() == attempt.url().origin());
        if !same_origin {
            attempt.stop()
        } else if attempt.previous().len() > MAX_REDIRECTS {
            attempt.error(TooManyRedirects)
        } else {
            attempt.follow()
        }
    })
}

/// The error behind [`Error::InvalidResponse`] for a redirect loop.
#[derive(Debug)]
struct TooManyRedirects;

impl fmt::Display for TooManyRedirects {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "more than {MAX_REDIRECTS} redirects")
    }
}

impl std::error::Error for TooManyRedirects {}

/// Why a client could not be built.
#[derive(Debug)]
#[non_exhaustive]
pub enum ConfigError {
    /// No credential was given, or it was empty.
    MissingCredential {
        /// What the vendor calls the credential.
        what: &'static str,
        /// The environment variable the client's `from_env` reads it from.
        env: &'static str,
    },
    /// The credential holds characters that cannot be sent in a header.
    InvalidCredential {
        /// What the vendor calls the credential.
        what: &'static str,
    },
    /// The base URL is not an absolute http(s) URL.
    InvalidBaseUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A default header has an invalid name or value.
    InvalidHeader {
        /// The header name as given.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The HTTP client could not be created (for example, no TLS backend).
    HttpClient(reqwest::Error),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingCredential { what, env } => write!(
                f,
                "no {what} configured: pass one to the builder or set {env}"
            ),
            Self::InvalidCredential { what } => {
                write!(
                    f,
                    "the {what} contains characters that cannot be sent in an HTTP header"
                )
            }
            Self::InvalidBaseUrl { url, reason } => write!(f, "invalid base URL {url:?}: {reason}"),
            Self::InvalidHeader { name, reason } => {
                write!(f, "invalid default header {name:?}: {reason}")
            }
            Self::HttpClient(e) => write!(f, "cannot create the HTTP client: {e}"),
        }
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::HttpClient(e) => Some(e),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader, Write};
    use std::net::TcpListener;

    use super::*;

    /// A loopback server answering each request line with `answer(path)`, in
    /// a thread of its own, for as long as the test runs.
    fn server(answer: impl Fn(&str, u16) -> String + Send + 'static) -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut reader = BufReader::new(stream);
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        break;
                    }
                    let path = line.split(' ').nth(1).unwrap_or("/").to_string();
                    while line != "\r\n" {
                        line.clear();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                    }
                    let response = answer(&path, port);
                    if reader.get_mut().write_all(response.as_bytes()).is_err() {
                        break;
                    }
                }
            }
        });
        port
    }

    fn redirect(to: &str) -> String {
        format!("HTTP/1.1 302 Found\r\nlocation: {to}\r\ncontent-length: 0\r\n\r\n")
    }

    fn http() -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(redirect_policy())
            .build()
            .unwrap()
    }

    #[tokio::test]
    async fn redirects_are_followed_within_the_origin_only() {
        let elsewhere = server(|_, _| "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nleak!".into());
        let port = server(move |path, port| match path {
            "/moved" => redirect(&format!("http://127.0.0.1:{port}/here")),
            "/away" => redirect(&format!("http://127.0.0.1:{elsewhere}/")),
            "/loop" => redirect("/loop"),
            _ => "HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nhere".into(),
        });
        let url = |path: &str| format!("http://127.0.0.1:{port}{path}");

        let same = http().get(url("/moved")).send().await.unwrap();
        assert_eq!(same.status(), 200);
        assert_eq!(same.text().await.unwrap(), "here");

        // Another port is another origin: the 3xx comes back as it is.
        let away = http().get(url("/away")).send().await.unwrap();
        assert_eq!(away.status(), 302);
        assert_eq!(
            away.headers()["location"],
            format!("http://127.0.0.1:{elsewhere}/")
        );

        let looping = http().get(url("/loop")).send().await.unwrap_err();
        assert!(looping.is_redirect(), "{looping:?}");
        let source = std::error::Error::source(&looping).map(ToString::to_string);
        assert_eq!(source.as_deref(), Some("more than 10 redirects"));
    }

    struct Parts {
        base_url: String,
        http: reqwest::Client,
        runtime: Runtime,
    }

    impl Api for Parts {
        const PROVIDER: &'static crate::Provider = &crate::Provider {
            title: "Test",
            crate_name: "test-client",
            crate_version: "1.2.3",
            default_base_url: "",
            base_url_env: "TEST_BASE_URL",
            auth_header: "X-Auth",
            auth_prefix: "Key ",
            credential_env: "TEST_KEY",
            credential_name: "API key",
            idempotency_header: None,
            envelope: None,
            operations: &[],
        };

        fn from_parts(base_url: &str, http: reqwest::Client, runtime: Runtime) -> Self {
            Self {
                base_url: base_url.into(),
                http,
                runtime,
            }
        }
    }

    fn builder() -> ClientBuilder<Parts> {
        ClientBuilder::default()
    }

    /// A loopback server that records each request's head, answering with
    /// `answer(path)`.
    fn recording(
        answer: impl Fn(&str) -> String + Send + 'static,
    ) -> (u16, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
        let heads = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = heads.clone();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut reader = BufReader::new(stream);
                let mut head = String::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    head.push_str(&line);
                }
                let path = head.split(' ').nth(1).unwrap_or("/").to_string();
                log.lock().unwrap().push(head.to_ascii_lowercase());
                let _ = reader.get_mut().write_all(answer(&path).as_bytes());
            }
        });
        (port, heads)
    }

    #[tokio::test]
    async fn a_callers_http_client_keeps_headers_within_the_origin() {
        // Another port is another origin.
        let (elsewhere, reached) =
            recording(|_| "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n".into());
        for status in [301, 302, 303, 307, 308] {
            let (port, _) = recording(move |_| {
                format!(
                    "HTTP/1.1 {status} Moved\r\nlocation: http://127.0.0.1:{elsewhere}/x\r\ncontent-length: 0\r\n\r\n"
                )
            });
            let mut preset = HeaderMap::new();
            preset.insert("x-preset", HeaderValue::from_static("callers-own"));
            let parts = builder()
                .credential("k1-secret")
                .base_url(format!("http://127.0.0.1:{port}"))
                .default_header("x-team", "blue")
                // The caller's own policy, reqwest's default, is replaced.
                .http_client(
                    reqwest::Client::builder()
                        .default_headers(preset)
                        .redirect(reqwest::redirect::Policy::limited(10)),
                )
                .max_retries(0)
                .build()
                .unwrap();
            let request = parts
                .http
                .get(format!("{}/a", parts.base_url))
                .build()
                .unwrap();
            let response = parts
                .runtime
                .execute(&parts.http, request, "op")
                .await
                .unwrap();
            // Not followed: the caller gets the 3xx and its `Location`.
            assert_eq!(response.status().as_u16(), status);
        }
        let reached = reached.lock().unwrap();
        assert!(reached.is_empty(), "the other origin got: {reached:?}");
    }

    #[test]
    fn settings_are_checked_and_each_error_says_which() {
        let err = builder().build().err().unwrap();
        assert_eq!(
            err.to_string(),
            "no API key configured: pass one to the builder or set TEST_KEY"
        );
        let err = builder().credential("  ").build().err().unwrap();
        assert!(
            matches!(err, ConfigError::MissingCredential { .. }),
            "{err}"
        );
        let err = builder().credential("a\nb").build().err().unwrap();
        assert!(
            matches!(err, ConfigError::InvalidCredential { .. }),
            "{err}"
        );
        // No server in the spec, none configured: say how to set one.
        let err = builder().credential("k").build().err().unwrap();
        assert!(
            err.to_string()
                .contains("set one with `ClientBuilder::base_url` or $TEST_BASE_URL"),
            "{err}"
        );
        for url in ["ftp://x", "https://x/?q=1", "https://x/#f", "not a url"] {
            let err = builder()
                .credential("k")
                .base_url(url)
                .build()
                .err()
                .unwrap();
            assert!(
                matches!(err, ConfigError::InvalidBaseUrl { .. }),
                "{url}: {err}"
            );
        }
        let err = builder()
            .credential("k")
            .base_url("https://x")
            .default_header("bad name", "v")
            .build()
            .err()
            .unwrap();
        assert!(matches!(err, ConfigError::InvalidHeader { .. }), "{err}");
    }

    #[test]
    fn default_headers_cannot_replace_the_credential_or_the_agent() {
        let parts = builder()
            .credential(" k1 ")
            .base_url("https://api.example.com/v4/")
            .default_header("x-auth", "stolen")
            .default_header("user-agent", "other")
            .default_header("x-team", "blue")
            .build()
            .unwrap();
        assert_eq!(parts.base_url, "https://api.example.com/v4");
        let mut headers = HeaderMap::new();
        parts.runtime.0.add_headers(&mut headers);
        assert_eq!(headers["x-auth"], "Key k1");
        assert_eq!(headers["user-agent"], "test-client/1.2.3");
        assert_eq!(headers["x-team"], "blue");
        // The builder's Debug output never shows the credential.
        let shown = format!("{:?}", builder().credential("k1-secret"));
        assert!(!shown.contains("k1-secret"), "{shown}");
    }
}
