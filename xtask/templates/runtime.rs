//! The runtime every generated client shares: configuration, authentication,
//! retries, timeouts and the typed [`Error`].
//!
//! One template (`xtask/templates/runtime.rs`) is emitted into each client crate;
//! what differs per provider comes from `crate::api::PROVIDER`. It plugs into
//! progenitor's extension points: [`Runtime`] is the generated client's inner
//! state, and the `ClientHooks` implementation below adds the headers and runs
//! the retry loop, so the generated code itself is never edited.

use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
#[cfg(feature = "tracing")]
use std::time::Instant;
use std::time::{Duration, SystemTime};

use progenitor_client::{ClientHooks, ClientInfo, OperationInfo, ResponseValue};
use reqwest::{ResponseBuilderExt, StatusCode};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, USER_AGENT};

#[cfg(feature = "tracing")]
use crate::api::OPERATIONS;
use crate::api::PROVIDER;
use crate::generated;

/// Request timeout (connect, send, and read the whole response) unless configured.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// Connect timeout of the HTTP client the builder creates.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Retries after the first attempt unless configured (so 3 attempts in all).
pub const DEFAULT_MAX_RETRIES: u32 = 2;
/// First backoff delay; it doubles on each retry.
pub const DEFAULT_INITIAL_BACKOFF: Duration = Duration::from_millis(500);
/// Upper bound of the backoff delay.
pub const DEFAULT_MAX_BACKOFF: Duration = Duration::from_secs(8);
/// A server-requested delay (`Retry-After`, `retry-after-ms`) is obeyed up to this.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);
/// At most this much of an error body is read and kept.
pub const MAX_ERROR_BODY: usize = 64 * 1024;
/// A success body longer than this is refused as [`Error::InvalidResponse`]
/// instead of being held in memory.
pub const MAX_SUCCESS_BODY: usize = 16 * 1024 * 1024;
/// Requests one [`Client`] (and its clones) has in flight at once unless configured.
///
/// HTTP/1.1 carries one request per connection at a time, so without a bound a
/// burst of N concurrent calls opens N connections. With it, calls beyond the
/// limit wait for a free slot and reuse the pooled connections.
pub const DEFAULT_MAX_CONCURRENT_REQUESTS: usize = 64;
/// Redirects followed per attempt, and only within the same origin.
pub const MAX_REDIRECTS: usize = 10;

/// What the runtime needs to know about a provider (emitted into `api.rs`).
pub(crate) struct Provider {
    pub title: &'static str,
    pub crate_name: &'static str,
    pub crate_version: &'static str,
    pub default_base_url: &'static str,
    pub base_url_env: &'static str,
    pub auth_header: &'static str,
    pub auth_prefix: &'static str,
    pub credential_env: &'static str,
    pub credential_name: &'static str,
    pub envelope: Option<Envelope>,
}

/// One operation as the spec declares it (emitted into `api.rs`).
// Read only by traces; `method` documents the table for its readers.
#[allow(dead_code)]
pub(crate) struct Operation {
    /// progenitor's operation id: the method name.
    pub id: &'static str,
    pub method: &'static str,
    /// The path template (`/a/{id}`), never the concrete path.
    pub path: &'static str,
}

/// Field names of the provider's `{success, errors, result}` response envelope.
pub(crate) struct Envelope {
    pub success: &'static str,
    pub errors: &'static str,
}

// ---------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------

/// A client for the API. Cheap to clone: clones share one connection pool.
///
/// Create one with [`Client::new`], [`Client::from_env`] or [`Client::builder`].
#[derive(Clone)]
pub struct Client {
    raw: generated::Client,
}

impl Client {
    /// A client with the given credential and every other setting at its default.
    ///
    /// # Errors
    ///
    /// [`ConfigError::MissingCredential`] when `credential` is empty, and
    /// [`ConfigError::InvalidCredential`] when it cannot be sent in a header.
    pub fn new(credential: impl Into<String>) -> Result<Self, ConfigError> {
        Self::builder().credential(credential).build()
    }

    /// A client configured from the environment: the credential from the
    /// provider's credential variable, the base URL from its base-URL variable
    /// when set (see the crate docs for their names).
    ///
    /// # Errors
    ///
    /// [`ConfigError::MissingCredential`] when the variable is unset or empty,
    /// and the errors of [`ClientBuilder::build`].
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::builder().env().build()
    }

    /// A builder for every setting.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The base URL requests are sent to, without a trailing `/`.
    pub fn base_url(&self) -> &str {
        self.raw.baseurl()
    }

    /// The generated client, for code that calls it directly.
    pub(crate) fn raw(&self) -> &generated::Client {
        &self.raw
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let settings = &self.raw.inner().0;
        f.debug_struct("Client")
            .field("api", &PROVIDER.title)
            .field("base_url", &self.raw.baseurl())
            .field("credential", &"<redacted>")
            .field("timeout", &settings.timeout)
            .field("max_retries", &settings.retry.max_retries)
            .finish_non_exhaustive()
    }
}

/// Builds a [`Client`]. Every setting has a safe default.
#[derive(Clone)]
pub struct ClientBuilder {
    credential: Option<String>,
    base_url: Option<String>,
    timeout: Duration,
    connect_timeout: Duration,
    retry: RetryPolicy,
    headers: Vec<(String, String)>,
    http: Option<reqwest::Client>,
    max_concurrent_requests: usize,
}

impl Default for ClientBuilder {
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
        }
    }
}

impl fmt::Debug for ClientBuilder {
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

impl ClientBuilder {
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
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        if self.credential.is_none() {
            self.credential = var(PROVIDER.credential_env);
        }
        if self.base_url.is_none() {
            self.base_url = var(PROVIDER.base_url_env);
        }
        self
    }

    /// Time limit of one attempt, from connecting to reading the whole body.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Time limit for establishing a connection. Ignored with [`Self::http_client`],
    /// whose own setting applies.
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

    /// Sends requests through the caller's `reqwest::Client` (proxies, TLS roots,
    /// connection pool). Timeouts, retries and headers still apply per request.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Checks the settings and creates the client. Sends nothing.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] naming the setting that is missing or invalid.
    pub fn build(self) -> Result<Client, ConfigError> {
        let credential = self.credential.filter(|c| !c.trim().is_empty()).ok_or(
            ConfigError::MissingCredential {
                what: PROVIDER.credential_name,
                env: PROVIDER.credential_env,
            },
        )?;
        let mut auth =
            HeaderValue::try_from(format!("{}{}", PROVIDER.auth_prefix, credential.trim()))
                .map_err(|_| ConfigError::InvalidCredential {
                    what: PROVIDER.credential_name,
                })?;
        auth.set_sensitive(true);

        let base_url = self
            .base_url
            .unwrap_or_else(|| PROVIDER.default_base_url.to_string());
        if base_url.is_empty() {
            // The spec names no absolute server, so there is no default.
            return Err(ConfigError::InvalidBaseUrl {
                url: base_url,
                reason: format!(
                    "empty (a spec that names no server gives no default): set one with `ClientBuilder::base_url` or ${}",
                    PROVIDER.base_url_env
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
            HeaderName::try_from(PROVIDER.auth_header).map_err(|e| ConfigError::InvalidHeader {
                name: PROVIDER.auth_header.into(),
                reason: e.to_string(),
            })?;
        headers.remove(&auth_name);
        headers.remove(USER_AGENT);

        let http = match self.http {
            Some(http) => http,
            None => reqwest::Client::builder()
                .connect_timeout(self.connect_timeout)
                .redirect(redirect_policy())
                .build()
                .map_err(ConfigError::HttpClient)?,
        };
        let user_agent = HeaderValue::try_from(format!(
            "{}/{}",
            PROVIDER.crate_name, PROVIDER.crate_version
        ))
        .map_err(|e| ConfigError::InvalidHeader {
            name: "user-agent".into(),
            reason: e.to_string(),
        })?;
        let runtime = Runtime(Arc::new(Settings {
            auth_name,
            auth,
            user_agent,
            headers,
            timeout: self.timeout,
            retry: self.retry,
            slots: Arc::new(tokio::sync::Semaphore::new(
                self.max_concurrent_requests
                    .clamp(1, tokio::sync::Semaphore::MAX_PERMITS),
            )),
        }));
        Ok(Client {
            raw: generated::Client::new_with_client(&base_url, http, runtime),
        })
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

/// Why a [`Client`] could not be built.
#[derive(Debug)]
#[non_exhaustive]
pub enum ConfigError {
    /// No credential was given, or it was empty.
    MissingCredential {
        /// What the vendor calls the credential.
        what: &'static str,
        /// The environment variable [`Client::from_env`] reads it from.
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

// ---------------------------------------------------------------------------
// Hooks: headers and retries
// ---------------------------------------------------------------------------

/// The generated client's inner state: the resolved settings, shared by clones.
#[derive(Clone)]
pub struct Runtime(Arc<Settings>);

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Runtime { .. }")
    }
}

struct Settings {
    auth_name: HeaderName,
    auth: HeaderValue,
    user_agent: HeaderValue,
    headers: HeaderMap,
    timeout: Duration,
    retry: RetryPolicy,
    /// One permit per request in flight (see [`DEFAULT_MAX_CONCURRENT_REQUESTS`]).
    slots: Arc<tokio::sync::Semaphore>,
}

#[derive(Debug, Clone)]
struct RetryPolicy {
    max_retries: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: DEFAULT_MAX_RETRIES,
            initial_backoff: DEFAULT_INITIAL_BACKOFF,
            max_backoff: DEFAULT_MAX_BACKOFF,
        }
    }
}

impl ClientHooks<Runtime> for generated::Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        crate::api::rewire(request, info.operation_id)
            .map_err(progenitor_client::Error::InvalidRequest)?;
        let settings = &self.inner().0;
        let headers = request.headers_mut();
        // progenitor sends the spec's `info.version` as `api-version`; the vendors'
        // own SDKs send no such header, and ours should not differ from them.
        headers.remove("api-version");
        for (name, value) in &settings.headers {
            headers.insert(name, value.clone());
        }
        headers.insert(USER_AGENT, settings.user_agent.clone());
        headers.insert(settings.auth_name.clone(), settings.auth.clone());
        request.timeout_mut().get_or_insert(settings.timeout);
        Ok(())
    }

    async fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let trace = Trace::start(info, &request);
        trace.instrument(send(self, request, &trace)).await
    }
}

/// A schema-less body the caller left out: the facade passed `null`, and the
/// request goes out empty, still labelled JSON, as Cloudflare's SDK sends its
/// DELETEs. A caller's explicit `Some(&Value::Null)` is sent empty as well.
#[allow(dead_code)] // Only crates with such an operation call it.
pub(crate) fn empty_for_null(request: &mut reqwest::Request) {
    if request.body().and_then(reqwest::Body::as_bytes) == Some(b"null") {
        *request.body_mut() = Some(reqwest::Body::from(Vec::new()));
    }
}

/// Sends a query parameter under the vendor's name: the lowered document
/// renamed it because its Rust name collided with another parameter's.
#[allow(dead_code)] // Only crates with such an operation call it.
pub(crate) fn rename_query_parameter(request: &mut reqwest::Request, sent: &str, wire: &str) {
    let url = request.url_mut();
    if !url.query_pairs().any(|(key, _)| key == sent) {
        return;
    }
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(key, value)| {
            let key = if key == sent { wire.to_string() } else { key.into_owned() };
            (key, value.into_owned())
        })
        .collect();
    url.query_pairs_mut().clear().extend_pairs(pairs);
}

/// The same for a header parameter.
#[allow(dead_code)] // Only crates with such an operation call it.
pub(crate) fn rename_header(
    request: &mut reqwest::Request,
    sent: &str,
    wire: &str,
) -> Result<(), String> {
    let (sent, wire) = (header_name(sent)?, header_name(wire)?);
    let headers = request.headers_mut();
    let values: Vec<HeaderValue> = match headers.entry(sent) {
        reqwest::header::Entry::Occupied(entry) => entry.remove_entry_mult().1.collect(),
        reqwest::header::Entry::Vacant(_) => return Ok(()),
    };
    for value in values {
        headers.append(wire.clone(), value);
    }
    Ok(())
}

/// A header name from the lowered document, for the rewires above and below.
#[allow(dead_code)] // Only crates with such an operation call it.
fn header_name(name: &str) -> Result<HeaderName, String> {
    HeaderName::try_from(name).map_err(|e| format!("header `{name}`: {e}"))
}

/// Moves a cookie parameter's value from the header it was generated as into
/// the `Cookie` header, as `name=value`.
#[allow(dead_code)] // Only crates with such an operation call it.
pub(crate) fn cookie_from_header(
    request: &mut reqwest::Request,
    sent: &str,
    name: &str,
) -> Result<(), String> {
    let sent = header_name(sent)?;
    let headers = request.headers_mut();
    let Some(value) = headers.remove(&sent) else {
        return Ok(());
    };
    // RFC 6265 cookie-octets: no controls, whitespace, `"`, `,`, `;` or backslash.
    let value = value
        .to_str()
        .ok()
        .filter(|v| {
            v.bytes()
                .all(|b| b.is_ascii_graphic() && !matches!(b, b'"' | b',' | b';' | b'\\'))
        })
        .ok_or_else(|| format!("the value of cookie `{name}` holds characters a cookie cannot carry"))?;
    let cookie = match headers.get(reqwest::header::COOKIE).map(HeaderValue::to_str) {
        Some(Ok(existing)) => format!("{existing}; {name}={value}"),
        _ => format!("{name}={value}"),
    };
    let cookie = HeaderValue::try_from(cookie).map_err(|e| format!("cookie `{name}`: {e}"))?;
    headers.insert(reqwest::header::COOKIE, cookie);
    Ok(())
}

/// Sends the body progenitor built under the media type the spec declares
/// (an image, XML, ...): progenitor labels every raw body
/// `application/octet-stream`.
#[allow(dead_code)] // Only crates with such an operation call it.
pub(crate) fn set_content_type(
    request: &mut reqwest::Request,
    media_type: &'static str,
) -> Result<(), String> {
    request.headers_mut().insert(
        reqwest::header::CONTENT_TYPE,
        HeaderValue::from_static(media_type),
    );
    Ok(())
}

/// Re-encodes the JSON object progenitor built as `multipart/form-data`: one
/// part per field (one per element of an array), strings as they are and
/// other values as JSON; `null` fields are left out. The body stays in memory,
/// so the request can still be retried.
#[allow(dead_code)] // Only crates with such an operation call it.
pub(crate) fn encode_multipart(request: &mut reqwest::Request) -> Result<(), String> {
    let Some(json) = request.body().and_then(reqwest::Body::as_bytes) else {
        return Ok(());
    };
    let fields: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(json)
        .map_err(|e| format!("a multipart form must be a JSON object of fields: {e}"))?;
    let boundary = format!(
        "form-boundary-{:016x}{:016x}",
        std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish(),
        std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish()
    );
    let mut body = Vec::new();
    for (name, value) in &fields {
        let values: Vec<&serde_json::Value> = match value {
            serde_json::Value::Array(items) => items.iter().collect(),
            serde_json::Value::Null => Vec::new(),
            other => vec![other],
        };
        // WHATWG's multipart encoding: quotes and line breaks in a field name
        // are percent-encoded so that they cannot end the header.
        let name = name
            .replace('"', "%22")
            .replace('\r', "%0D")
            .replace('\n', "%0A");
        for value in values {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n")
                    .as_bytes(),
            );
            match value {
                serde_json::Value::String(text) => body.extend_from_slice(text.as_bytes()),
                other => body.extend_from_slice(other.to_string().as_bytes()),
            }
            body.extend_from_slice(b"\r\n");
        }
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let content_type = HeaderValue::try_from(format!("multipart/form-data; boundary={boundary}"))
        .map_err(|e| e.to_string())?;
    request
        .headers_mut()
        .insert(reqwest::header::CONTENT_TYPE, content_type);
    *request.body_mut() = Some(reqwest::Body::from(body));
    Ok(())
}

/// Sends a request with retries, then reads the final response's body (bounded)
/// so that the whole exchange happens within the attempt's timeout and span.
async fn send(
    client: &generated::Client,
    mut request: reqwest::Request,
    trace: &Trace,
) -> reqwest::Result<reqwest::Response> {
    let settings = &client.inner().0;
    let policy = &settings.retry;
    let mut retry = 0;
    // progenitor asks for JSON exactly when the operation decodes a JSON body.
    let decodes_json = request
        .headers()
        .get(reqwest::header::ACCEPT)
        .is_some_and(|v| v.as_bytes() == b"application/json");
    loop {
        trace.attempt(retry + 1);
        // The semaphore is never closed, so acquiring only waits.
        let slot = settings.slots.acquire().await.ok();
        // The clone is taken before sending because sending consumes the request.
        let next = (retry < policy.max_retries)
            .then(|| request.try_clone())
            .flatten();
        let result = client.client().execute(request).await;
        let delay = next.as_ref().and_then(|_| policy.delay(&result, retry));
        match (next, delay) {
            (Some(next), Some(delay)) => {
                trace.retry(retry + 1, &result, delay);
                drop(result);
                drop(slot);
                tokio::time::sleep(delay).await;
                request = next;
                retry += 1;
            }
            _ => {
                let result = match result {
                    Ok(response) => buffer(response, decodes_json).await,
                    Err(e) => Err(e),
                };
                drop(slot);
                trace.finish(&result);
                return result;
            }
        }
    }
}

impl RetryPolicy {
    /// How long to wait before retrying after `result`, or `None` to stop.
    fn delay(&self, result: &reqwest::Result<reqwest::Response>, retry: u32) -> Option<Duration> {
        match result {
            Err(e) => {
                (e.is_timeout() || e.is_connect() || e.is_request()).then(|| self.backoff(retry))
            }
            Ok(response) => {
                let headers = response.headers();
                let status = response.status().as_u16();
                let retryable = match headers.get("x-should-retry").map(HeaderValue::as_bytes) {
                    Some(b"true") => true,
                    Some(b"false") => false,
                    _ => matches!(status, 408 | 409 | 429) || status >= 500,
                };
                retryable.then(|| retry_after(headers).unwrap_or_else(|| self.backoff(retry)))
            }
        }
    }

    /// `min(initial · 2^retry, max)`, reduced by up to 25 % so that clients that
    /// failed together do not retry in lockstep.
    fn backoff(&self, retry: u32) -> Duration {
        let base = self
            .initial_backoff
            .saturating_mul(2u32.saturating_pow(retry))
            .min(self.max_backoff);
        // RandomState is seeded per instance: enough randomness for jitter
        // without a dependency on a random-number crate.
        let random = std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish();
        let fraction = (random % 10_000) as f64 / 10_000.0;
        base.mul_f64(1.0 - 0.25 * fraction)
    }
}

/// The delay a response asks for, when it is in (0, [`MAX_RETRY_AFTER`]].
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    let delay = if let Some(ms) = text("retry-after-ms").and_then(|v| v.parse::<f64>().ok()) {
        Duration::try_from_secs_f64(ms / 1000.0).ok()
    } else {
        let value = text("retry-after")?;
        match value.parse::<f64>() {
            Ok(seconds) => Duration::try_from_secs_f64(seconds).ok(),
            Err(_) => httpdate::parse_http_date(value)
                .ok()
                .and_then(|at| at.duration_since(SystemTime::now()).ok()),
        }
    }?;
    (!delay.is_zero() && delay <= MAX_RETRY_AFTER).then_some(delay)
}

/// Marks a 2xx response that must not be decoded as a success (its envelope
/// reports a failure, it is not an envelope, or its body could not be read
/// whole), so that it reaches [`finish`] as a failure with its real status.
#[derive(Clone)]
struct EnvelopeFailure {
    status: StatusCode,
    reason: Option<String>,
}

/// What happened while reading an error body, for [`from_response`].
#[derive(Clone)]
struct ErrorBody {
    truncated: bool,
    /// Why the body ended before its end, if it did.
    problem: Option<String>,
}

/// Reads the body of the final response into memory, at most
/// [`MAX_SUCCESS_BODY`] of a success and [`MAX_ERROR_BODY`] of an error, and
/// hands back an equivalent response. Reading stops at the limit: the rest is
/// never received, and the connection is closed instead of reused.
///
/// For providers with an envelope, a 2xx body that says `success: false` (or
/// is not an envelope at all) is re-labelled as a failure.
async fn buffer(
    mut response: reqwest::Response,
    decodes_json: bool,
) -> reqwest::Result<reqwest::Response> {
    let status = response.status();
    // Nothing to read or check (a 204 is the usual answer to a DELETE): hand
    // the response on as it is, which spares rebuilding it on every call.
    let empty = matches!(status.as_u16(), 204 | 304) || response.content_length() == Some(0);
    if empty && !(status.is_success() && (PROVIDER.envelope.is_some() || decodes_json)) {
        return Ok(response);
    }
    let limit = if status.is_success() {
        MAX_SUCCESS_BODY
    } else {
        MAX_ERROR_BODY
    };
    let mut body = Vec::new();
    let mut truncated = false;
    let mut problem = None;
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = limit - body.len();
                if chunk.len() > room {
                    body.extend_from_slice(&chunk[..room]);
                    truncated = true;
                    break;
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(e) if e.is_timeout() => return Err(e),
            Err(e) => {
                problem = Some(format!("the body ended early: {}", e.without_url()));
                break;
            }
        }
    }
    // An operation whose success comes with a body or without one (200 and
    // 204) decodes one nullable type: JSON `null` stands for the missing body.
    if body.is_empty() && status.is_success() && decodes_json && PROVIDER.envelope.is_none() {
        body.extend_from_slice(b"null");
    }
    let version = response.version();
    let headers = std::mem::take(response.headers_mut());
    // Handing the URL on spares `reqwest::Response::from` parsing a placeholder
    // URL per call, which showed in the client-overhead profile.
    let url = response.url().clone();
    drop(response);

    let failure = if !status.is_success() {
        None
    } else if let Some(problem) = problem.take() {
        Some(problem)
    } else if truncated {
        Some(format!(
            "the body is larger than {MAX_SUCCESS_BODY} bytes, the most this client reads"
        ))
    } else {
        PROVIDER
            .envelope
            .as_ref()
            .and_then(|envelope| envelope_failure(envelope, &body))
    };
    if failure.is_some() {
        body.truncate(MAX_ERROR_BODY);
    }
    let mut rebuilt = http::Response::builder()
        .url(url)
        .body(())
        // Cannot fail (only the URL is set); without it, reqwest's placeholder.
        .unwrap_or_default()
        .map(|()| reqwest::Body::from(body));
    *rebuilt.version_mut() = version;
    *rebuilt.headers_mut() = headers;
    *rebuilt.status_mut() = status;
    if let Some(reason) = failure {
        // Any non-2xx status makes the generated code hand the response back
        // untouched; the real status travels in the extension.
        *rebuilt.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        let reason = (!reason.is_empty()).then_some(reason);
        rebuilt
            .extensions_mut()
            .insert(EnvelopeFailure { status, reason });
    } else if !status.is_success() {
        rebuilt
            .extensions_mut()
            .insert(ErrorBody { truncated, problem });
    }
    Ok(reqwest::Response::from(rebuilt))
}

/// `Some("")` when the envelope says `success: false`, `Some(reason)` when the
/// body is not an envelope, `None` when it reports success.
fn envelope_failure(envelope: &Envelope, body: &[u8]) -> Option<String> {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(value) => match value.get(envelope.success) {
            Some(serde_json::Value::Bool(true)) => None,
            Some(serde_json::Value::Bool(false)) => Some(String::new()),
            _ => Some(format!(
                "the response has no boolean `{}` field",
                envelope.success
            )),
        },
        Err(e) => Some(format!("the body is not JSON: {e}")),
    }
}

// ---------------------------------------------------------------------------
// Tracing
// ---------------------------------------------------------------------------

/// One call's span (with the `tracing` feature; a no-op without it).
///
/// The span carries the operation id, the method and the spec's path template,
/// the attempt number, the final status and the duration. Never the URL: its
/// path holds the caller's identifiers and a query string can hold secrets.
struct Trace {
    #[cfg(feature = "tracing")]
    span: tracing::Span,
    #[cfg(feature = "tracing")]
    started: Instant,
}

/// What a failed attempt is called in traces: a fixed word, because a
/// `reqwest::Error`'s text contains the URL.
#[cfg_attr(not(feature = "tracing"), allow(dead_code))]
fn error_kind(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect"
    } else if e.is_redirect() {
        "redirect"
    } else if e.is_body() || e.is_decode() {
        "body"
    } else {
        "request"
    }
}

#[cfg(feature = "tracing")]
impl Trace {
    fn start(info: &OperationInfo, request: &reqwest::Request) -> Self {
        let path = OPERATIONS
            .iter()
            .find(|op| op.id == info.operation_id)
            .map_or("", |op| op.path);
        let span = tracing::info_span!(
            "http.call",
            api = PROVIDER.crate_name,
            operation = info.operation_id,
            http.request.method = %request.method(),
            url.template = path,
            attempt = tracing::field::Empty,
            http.response.status_code = tracing::field::Empty,
            error = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
        );
        Self {
            span,
            started: Instant::now(),
        }
    }

    fn instrument<F: std::future::Future>(
        &self,
        future: F,
    ) -> tracing::instrument::Instrumented<F> {
        tracing::Instrument::instrument(future, self.span.clone())
    }

    fn attempt(&self, attempt: u32) {
        self.span.record("attempt", attempt);
    }

    fn retry(&self, attempt: u32, result: &reqwest::Result<reqwest::Response>, delay: Duration) {
        let delay_ms = delay.as_millis() as u64;
        match result {
            Ok(response) => tracing::info!(
                parent: &self.span,
                attempt,
                http.response.status_code = response.status().as_u16(),
                delay_ms,
                "retrying"
            ),
            Err(e) => tracing::info!(
                parent: &self.span,
                attempt,
                error = error_kind(e),
                delay_ms,
                "retrying"
            ),
        }
    }

    fn finish(&self, result: &reqwest::Result<reqwest::Response>) {
        let duration_ms = self.started.elapsed().as_millis() as u64;
        self.span.record("duration_ms", duration_ms);
        match result {
            Ok(response) => {
                // A re-labelled response travels as a 500; report the real status.
                let status = response
                    .extensions()
                    .get::<EnvelopeFailure>()
                    .map_or(response.status(), |f| f.status);
                self.span
                    .record("http.response.status_code", status.as_u16());
            }
            Err(e) => {
                self.span.record("error", error_kind(e));
            }
        }
    }
}

#[cfg(not(feature = "tracing"))]
impl Trace {
    fn start(_: &OperationInfo, _: &reqwest::Request) -> Self {
        Self {}
    }

    fn instrument<F: std::future::Future>(&self, future: F) -> F {
        future
    }

    fn attempt(&self, _: u32) {}

    fn retry(&self, _: u32, _: &reqwest::Result<reqwest::Response>, _: Duration) {}

    fn finish(&self, _: &reqwest::Result<reqwest::Response>) {}
}

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/// Everything a call can fail with. Match on the variant for the kind of failure;
/// [`Error::api_error`] gives the status, headers and body of any HTTP error.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// 400: the request was malformed.
    BadRequest(Box<ApiError>),
    /// 401: the credential is missing, wrong or expired.
    Authentication(Box<ApiError>),
    /// 403: the credential lacks the permission.
    PermissionDenied(Box<ApiError>),
    /// 404: the resource does not exist.
    NotFound(Box<ApiError>),
    /// 409: the request conflicts with the resource's state.
    Conflict(Box<ApiError>),
    /// 422: the request was well-formed but semantically invalid.
    UnprocessableEntity(Box<ApiError>),
    /// 429: too many requests (retried first, as the policy allows).
    RateLimited(Box<ApiError>),
    /// 5xx: the server failed (retried first, as the policy allows).
    Server(Box<ApiError>),
    /// Any other non-success status.
    Status(Box<ApiError>),
    /// A success status whose body reports that the call failed (`success: false`).
    Unsuccessful(Box<ApiError>),
    /// No response: the connection could not be made or was lost.
    Connection(reqwest::Error),
    /// An attempt exceeded the configured timeout.
    Timeout(reqwest::Error),
    /// A response arrived but is not what the API describes.
    InvalidResponse(Box<InvalidResponse>),
    /// An argument was rejected before anything was sent.
    InvalidArgument {
        /// The parameter.
        name: &'static str,
        /// Why it was rejected.
        reason: String,
    },
}

/// An HTTP error response, as received.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ApiError {
    /// The status code.
    pub status: StatusCode,
    /// The response headers.
    pub headers: HeaderMap,
    /// The body as text (lossy UTF-8), at most [`MAX_ERROR_BODY`] bytes of it.
    pub body: String,
    /// Whether the body was longer than what was kept.
    pub body_truncated: bool,
    /// The messages of the provider's error envelope, when the body has one.
    pub errors: Vec<ApiMessage>,
}

/// One entry of an error envelope's `errors` list.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApiMessage {
    /// The provider's error code, when given.
    pub code: Option<i64>,
    /// The message.
    pub message: String,
}

/// A response that could not be understood.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct InvalidResponse {
    /// The status code, when known.
    pub status: Option<StatusCode>,
    /// The body as text (lossy UTF-8), possibly truncated.
    pub body: String,
    /// What is wrong with it.
    pub reason: String,
}

impl Error {
    /// The HTTP error response behind this error, if there is one.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Self::BadRequest(e)
            | Self::Authentication(e)
            | Self::PermissionDenied(e)
            | Self::NotFound(e)
            | Self::Conflict(e)
            | Self::UnprocessableEntity(e)
            | Self::RateLimited(e)
            | Self::Server(e)
            | Self::Status(e)
            | Self::Unsuccessful(e) => Some(e),
            _ => None,
        }
    }

    /// The status code of the response, if one arrived.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::InvalidResponse(e) => e.status,
            Self::Connection(e) | Self::Timeout(e) => e.status(),
            _ => self.api_error().map(|e| e.status),
        }
    }

    fn from_status(error: ApiError) -> Self {
        let boxed = Box::new(error);
        match boxed.status.as_u16() {
            400 => Self::BadRequest(boxed),
            401 => Self::Authentication(boxed),
            403 => Self::PermissionDenied(boxed),
            404 => Self::NotFound(boxed),
            409 => Self::Conflict(boxed),
            422 => Self::UnprocessableEntity(boxed),
            429 => Self::RateLimited(boxed),
            500..=599 => Self::Server(boxed),
            _ => Self::Status(boxed),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Connection(e) => write!(f, "connection failed: {e}"),
            Self::Timeout(_) => write!(f, "the request timed out"),
            Self::InvalidResponse(e) => match e.status {
                Some(status) => write!(f, "invalid response ({status}): {}", e.reason),
                None => write!(f, "invalid response: {}", e.reason),
            },
            Self::InvalidArgument { name, reason } => {
                write!(f, "invalid argument `{name}`: {reason}")
            }
            Self::Unsuccessful(e) => {
                write!(f, "the API reported a failure ({}){}", e.status, summary(e))
            }
            _ => match self.api_error() {
                Some(e) => write!(f, "{}{}", e.status, summary(e)),
                None => write!(f, "request failed"),
            },
        }
    }
}

/// `: message` from the envelope, or the start of the body.
fn summary(e: &ApiError) -> String {
    if let Some(first) = e.errors.first() {
        return match first.code {
            Some(code) => format!(": {} (code {code})", first.message),
            None => format!(": {}", first.message),
        };
    }
    let body = e.body.trim();
    if body.is_empty() {
        return String::new();
    }
    let cut: String = body.chars().take(200).collect();
    if cut.len() < body.len() {
        format!(": {cut}…")
    } else {
        format!(": {cut}")
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Connection(e) | Self::Timeout(e) => Some(e),
            _ => None,
        }
    }
}

impl From<generated::types::error::ConversionError> for Error {
    fn from(e: generated::types::error::ConversionError) -> Self {
        Self::InvalidArgument {
            name: "value",
            reason: e.to_string(),
        }
    }
}

/// Rejects a path parameter that would change the request's target.
///
/// Values are percent-encoded, but an empty value or `.`/`..` is a path segment
/// of its own that URL normalisation collapses; the vendors' SDKs refuse them too.
// Unused by a provider whose path parameters are all numbers.
#[allow(dead_code)]
pub(crate) fn check_path_segment(name: &'static str, value: &str) -> Result<(), Error> {
    let reason = match value {
        "" => "must not be empty",
        "." | ".." => "must not be `.` or `..`",
        _ => return Ok(()),
    };
    Err(Error::InvalidArgument {
        name,
        reason: reason.into(),
    })
}

/// Turns the generated method's result into the crate's result.
pub(crate) async fn finish<T, E>(
    result: Result<ResponseValue<T>, progenitor_client::Error<E>>,
) -> Result<T, Error> {
    use progenitor_client::Error as Raw;
    match result {
        Ok(value) => Ok(value.into_inner()),
        Err(Raw::UnexpectedResponse(response)) => Err(from_response(response).await),
        Err(Raw::CommunicationError(e)) => Err(transport(e)),
        Err(Raw::ResponseBodyError(e)) if e.is_timeout() => Err(Error::Timeout(e)),
        Err(Raw::ResponseBodyError(e)) => Err(invalid(
            None,
            "",
            format!("the body could not be read: {e}"),
        )),
        Err(Raw::InvalidResponsePayload(body, e)) => Err(invalid(
            None,
            &String::from_utf8_lossy(&body[..body.len().min(MAX_ERROR_BODY)]),
            format!("the body does not match the API description: {e}"),
        )),
        Err(Raw::ErrorResponse(value)) => Err(Error::from_status(ApiError {
            status: value.status(),
            headers: value.headers().clone(),
            body: String::new(),
            body_truncated: false,
            errors: Vec::new(),
        })),
        Err(Raw::InvalidRequest(reason)) => Err(Error::InvalidArgument {
            name: "request",
            reason,
        }),
        Err(Raw::InvalidUpgrade(e)) => Err(invalid(e.status(), "", e.to_string())),
        Err(Raw::Custom(reason)) => Err(invalid(None, "", reason)),
    }
}

fn transport(e: reqwest::Error) -> Error {
    if e.is_timeout() {
        Error::Timeout(e)
    } else if e.is_redirect() {
        invalid(
            None,
            "",
            format!("the server kept redirecting: {}", e.without_url()),
        )
    } else {
        Error::Connection(e)
    }
}

fn invalid(status: Option<StatusCode>, body: &str, reason: String) -> Error {
    Error::InvalidResponse(Box::new(InvalidResponse {
        status,
        body: body.to_string(),
        reason,
    }))
}

/// Classifies an error response, whose body [`buffer`] already read (bounded).
async fn from_response(mut response: reqwest::Response) -> Error {
    let failure = response.extensions_mut().remove::<EnvelopeFailure>();
    let note = response.extensions_mut().remove::<ErrorBody>();
    let status = failure.as_ref().map_or(response.status(), |f| f.status);
    let headers = std::mem::take(response.headers_mut());
    let body = match response.bytes().await {
        Ok(body) => body,
        Err(e) if e.is_timeout() => return Error::Timeout(e),
        Err(e) => return invalid(Some(status), "", format!("the body ended early: {e}")),
    };
    let body = &body[..body.len().min(MAX_ERROR_BODY)];
    let text = String::from_utf8_lossy(body).into_owned();
    if let Some(EnvelopeFailure {
        reason: Some(reason),
        ..
    }) = failure
    {
        return invalid(Some(status), &text, reason);
    }
    let truncated = note.as_ref().is_some_and(|n| n.truncated);
    if let Some(problem) = note.and_then(|n| n.problem) {
        return invalid(Some(status), &text, problem);
    }
    let errors = if truncated {
        Vec::new()
    } else {
        envelope_errors(body)
    };
    let error = ApiError {
        status,
        headers,
        body: text,
        body_truncated: truncated,
        errors,
    };
    if failure.is_some() {
        Error::Unsuccessful(Box::new(error))
    } else if status.is_success() {
        let reason = format!("unexpected status {status}");
        invalid(Some(status), &error.body, reason)
    } else {
        Error::from_status(error)
    }
}

/// The `errors` list of the provider's envelope, if the body is one.
fn envelope_errors(body: &[u8]) -> Vec<ApiMessage> {
    let Some(envelope) = &PROVIDER.envelope else {
        return Vec::new();
    };
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return Vec::new();
    };
    let Some(list) = value
        .get(envelope.errors)
        .and_then(serde_json::Value::as_array)
    else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|e| {
            Some(ApiMessage {
                code: e.get("code").and_then(serde_json::Value::as_i64),
                message: e.get("message")?.as_str()?.to_string(),
            })
        })
        .collect()
}
