//! Sending: the [`Runtime`] that every generated client holds, which adds the
//! headers to each request, runs the retry loop under the concurrency limit,
//! and reads the final body within bounds.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, USER_AGENT};
use reqwest::{ResponseBuilderExt, StatusCode};

use crate::retry::{Replay, RetryPolicy, idempotency_key, is_idempotent};
use crate::trace::Trace;
use crate::{Envelope, MAX_ERROR_BODY, MAX_SUCCESS_BODY, Provider};

/// The generated client's inner state: the resolved settings, shared by clones.
#[derive(Clone)]
pub struct Runtime(pub(crate) Arc<Settings>);

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Runtime { .. }")
    }
}

pub(crate) struct Settings {
    pub provider: &'static Provider,
    pub auth_name: HeaderName,
    pub auth: HeaderValue,
    pub user_agent: HeaderValue,
    pub headers: HeaderMap,
    /// The provider's idempotency-key header, if it declares one.
    pub idempotency: Option<HeaderName>,
    pub timeout: Duration,
    pub retry: RetryPolicy,
    /// One permit per request in flight (see [`DEFAULT_MAX_CONCURRENT_REQUESTS`]).
    pub slots: Arc<tokio::sync::Semaphore>,
}

impl Runtime {
    /// Completes a request progenitor built (its timeout); the provider's credential, `User-Agent` and the
    /// default headers are added to each attempt when it is sent. Called from
    /// the client crate's `ClientHooks::pre`.
    pub fn prepare(&self, request: &mut reqwest::Request) {
        // (progenitor's `api-version` header, which the vendors' SDKs do not
        // send, is taken out of the generated code by `cargo xtask generate`.)
        request.timeout_mut().get_or_insert(self.0.timeout);
        // The client's own headers are added per attempt, by `send`, so that
        // the copy kept for a retry need not carry them.
    }

    /// Sends a prepared request through `http`, retrying as the policy allows,
    /// and reads the final response's body (bounded) so that the whole exchange
    /// happens within the attempt's timeout and the call's span. Called from the
    /// client crate's `ClientHooks::exec`.
    pub async fn execute(
        &self,
        http: &reqwest::Client,
        request: reqwest::Request,
        operation: &'static str,
    ) -> reqwest::Result<reqwest::Response> {
        let trace = Trace::start(self.0.provider, operation, &request);
        trace
            .instrument(self.send(request, &trace, |request| http.execute(request)))
            .await
    }

    /// The client's `Debug` output: never the credential.
    pub fn fmt_client(&self, f: &mut fmt::Formatter<'_>, base_url: &str) -> fmt::Result {
        let settings = &self.0;
        f.debug_struct("Client")
            .field("api", &settings.provider.title)
            .field("base_url", &base_url)
            .field("credential", &"<redacted>")
            .field("timeout", &settings.timeout)
            .field("max_retries", &settings.retry.max_retries)
            .finish_non_exhaustive()
    }

    /// The retry loop, over any way of sending one attempt (tests send none).
    async fn send<S, F>(
        &self,
        mut request: reqwest::Request,
        trace: &Trace,
        mut attempt: S,
    ) -> reqwest::Result<reqwest::Response>
    where
        S: FnMut(reqwest::Request) -> F,
        F: Future<Output = reqwest::Result<reqwest::Response>>,
    {
        let settings = &self.0;
        let policy = &settings.retry;
        let replay = settings.replay(&mut request);
        let mut retry = 0;
        // progenitor asks for JSON exactly when the operation decodes a JSON body.
        let decodes_json = request
            .headers()
            .get(reqwest::header::ACCEPT)
            .is_some_and(|v| v.as_bytes() == b"application/json");
        loop {
            trace.attempt(retry + 1);
            // The semaphore is never closed, so acquiring only waits. Boxed:
            // waiting is rare, and inline it would enlarge every call's future.
            let slot = match settings.slots.try_acquire() {
                Ok(slot) => Some(slot),
                Err(_) => Box::pin(settings.slots.acquire()).await.ok(),
            };
            // The copy is taken before sending because sending consumes the request.
            let next = (retry < policy.max_retries)
                .then(|| Resend::of(&request))
                .flatten();
            settings.add_headers(request.headers_mut());
            let result = attempt(request).await;
            let delay = next
                .as_ref()
                .and_then(|_| policy.delay(&result, retry, replay));
            match (next, delay) {
                (Some(next), Some(delay)) => {
                    trace.retry(retry + 1, &result, delay);
                    drop(result);
                    drop(slot);
                    Box::pin(tokio::time::sleep(delay)).await;
                    request = next.request();
                    retry += 1;
                }
                _ => {
                    let provider = settings.provider;
                    let result = match result {
                        Ok(response) => match unbuffered(response, decodes_json, provider) {
                            Ok(response) => Ok(response),
                            Err(response) => {
                                Box::pin(buffer(response, decodes_json, provider)).await
                            }
                        },
                        Err(e) => Err(e),
                    };
                    drop(slot);
                    trace.finish(&result);
                    return result;
                }
            }
        }
    }
}

/// Marks a 2xx response that must not be decoded as a success (its envelope
/// reports a failure, it is not an envelope, or its body could not be read
/// whole), so that it reaches [`finish`](crate::finish) as a failure with its real status.
#[derive(Clone)]
pub(crate) struct EnvelopeFailure {
    pub status: StatusCode,
    pub reason: Option<String>,
}

/// What happened while reading an error body, for `from_response`.
#[derive(Clone)]
pub(crate) struct ErrorBody {
    pub truncated: bool,
    /// Why the body ended before its end, if it did.
    pub problem: Option<String>,
}

/// The provider's envelope, travelling with a buffered failure so that its
/// `errors` list can be read into [`ApiError::errors`](crate::ApiError).
#[derive(Clone, Copy)]
pub(crate) struct EnvelopeFields(pub &'static Envelope);

impl Settings {
    /// Whether `request` may be sent again after it reached the server: if
    /// its method is not idempotent and the provider takes an idempotency
    /// key, it gets one now, once for all its attempts (unless the caller set
    /// one through a parameter of the operation).
    fn replay(&self, request: &mut reqwest::Request) -> Replay {
        let Some(name) = &self.idempotency else {
            return Replay::of(request.method());
        };
        if is_idempotent(request.method()) || request.headers().contains_key(name) {
            return Replay::Safe;
        }
        match HeaderValue::try_from(idempotency_key()) {
            Ok(key) => {
                request.headers_mut().insert(name.clone(), key);
                Replay::Safe
            }
            Err(_) => Replay::Unsafe,
        }
    }

    /// The default headers, `User-Agent` and the credential, over the
    /// operation's own headers.
    pub(crate) fn add_headers(&self, headers: &mut HeaderMap) {
        for (name, value) in &self.headers {
            headers.insert(name, value.clone());
        }
        headers.insert(USER_AGENT, self.user_agent.clone());
        headers.insert(self.auth_name.clone(), self.auth.clone());
    }
}

/// What sending a request again takes, copied before sending consumes it: of
/// a request without a body, the method, URL, the operation's own headers
/// (often none; the client's are added per attempt), version and timeout,
/// the only extension generated code sets. A request with a body is copied
/// whole, the only way a `reqwest::Body` clones.
enum Resend {
    Bodiless {
        method: reqwest::Method,
        url: reqwest::Url,
        headers: Option<HeaderMap>,
        version: reqwest::Version,
        timeout: Option<Duration>,
    },
    Whole(reqwest::Request),
}

impl Resend {
    fn of(request: &reqwest::Request) -> Option<Self> {
        if request.body().is_some() {
            return request.try_clone().map(Self::Whole);
        }
        Some(Self::Bodiless {
            method: request.method().clone(),
            url: request.url().clone(),
            headers: (!request.headers().is_empty()).then(|| request.headers().clone()),
            version: request.version(),
            timeout: request.timeout().copied(),
        })
    }

    fn request(self) -> reqwest::Request {
        match self {
            Self::Whole(request) => request,
            Self::Bodiless {
                method,
                url,
                headers,
                version,
                timeout,
            } => {
                let mut request = reqwest::Request::new(method, url);
                if let Some(headers) = headers {
                    *request.headers_mut() = headers;
                }
                *request.version_mut() = version;
                *request.timeout_mut() = timeout;
                request
            }
        }
    }
}

/// The response as it is when there is nothing to read or check (a 204 is the
/// usual answer to a DELETE), which spares rebuilding it, and [`buffer`]'s
/// future, on every call; `Err` hands it on to [`buffer`].
///
/// A success's headers are dropped: the facade returns only the body, and
/// progenitor's `ResponseValue` would copy them on every call.
// Both sides are the same response handed back: boxing one would cost an
// allocation per call, which is what this function is for saving.
#[allow(clippy::result_large_err)]
fn unbuffered(
    mut response: reqwest::Response,
    decodes_json: bool,
    provider: &Provider,
) -> Result<reqwest::Response, reqwest::Response> {
    let status = response.status();
    let empty = matches!(status.as_u16(), 204 | 304) || response.content_length() == Some(0);
    if empty && !(status.is_success() && (provider.envelope.is_some() || decodes_json)) {
        if status.is_success() {
            drop(std::mem::take(response.headers_mut()));
        }
        return Ok(response);
    }
    Err(response)
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
    provider: &'static Provider,
) -> reqwest::Result<reqwest::Response> {
    let status = response.status();
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
    if body.is_empty() && status.is_success() && decodes_json && provider.envelope.is_none() {
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
        provider
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
    // A success's headers are not read (see `unbuffered`).
    if failure.is_some() || !status.is_success() {
        *rebuilt.headers_mut() = headers;
    }
    *rebuilt.status_mut() = status;
    if let Some(envelope) = &provider.envelope {
        rebuilt.extensions_mut().insert(EnvelopeFields(envelope));
    }
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

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use progenitor_client::Error as Raw;
    use tokio::time::Instant;

    use super::*;
    use crate::{Api, ClientBuilder, Error, Operation, finish};

    const OPERATIONS: &[Operation] = &[Operation {
        id: "delete_thing",
        method: "DELETE",
        path: "/things/{id}",
    }];

    /// The test provider; the tests vary one field each (`..TEST`).
    const TEST: Provider = Provider {
        title: "Test",
        crate_name: "test-client",
        crate_version: "1.2.3",
        default_base_url: "https://api.example.com",
        base_url_env: "TEST_BASE_URL",
        auth_header: "Authorization",
        auth_prefix: "Bearer ",
        credential_env: "TEST_TOKEN",
        credential_name: "token",
        idempotency_header: None,
        envelope: None,
        operations: OPERATIONS,
    };

    fn provider(envelope: Option<Envelope>) -> &'static Provider {
        Box::leak(Box::new(Provider { envelope, ..TEST }))
    }

    /// The smallest client: the runtime alone.
    struct Plain(Runtime);
    impl Api for Plain {
        const PROVIDER: &'static Provider = &TEST;
        fn from_parts(_: &str, _: reqwest::Client, runtime: Runtime) -> Self {
            Self(runtime)
        }
    }

    fn runtime(retries: u32, provider: &'static Provider) -> Runtime {
        let Plain(runtime) = ClientBuilder::<Plain>::default()
            .credential("secret")
            .max_retries(retries)
            .retry_backoff(Duration::from_secs(1), Duration::from_secs(4))
            .build()
            .unwrap();
        let settings = Arc::into_inner(runtime.0).unwrap();
        Runtime(Arc::new(Settings {
            provider,
            idempotency: provider
                .idempotency_header
                .map(|name| HeaderName::try_from(name).unwrap()),
            ..settings
        }))
    }

    /// A provider whose API takes Stripe's `Idempotency-Key`.
    fn keyed() -> &'static Provider {
        Box::leak(Box::new(Provider {
            idempotency_header: Some("Idempotency-Key"),
            ..TEST
        }))
    }

    fn request() -> reqwest::Request {
        reqwest::Request::new(
            reqwest::Method::DELETE,
            "https://api.example.com/things/7".parse().unwrap(),
        )
    }

    fn reply(
        status: u16,
        headers: &[(&str, &str)],
        body: &str,
    ) -> reqwest::Result<reqwest::Response> {
        let mut builder = http::Response::builder().status(status);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        Ok(reqwest::Response::from(
            builder.body(body.to_string()).unwrap(),
        ))
    }

    /// Sends `request()` through the retry loop; attempt `n` (from 1) gets `replies(n)`.
    async fn send(
        runtime: &Runtime,
        replies: impl Fn(usize) -> reqwest::Result<reqwest::Response>,
    ) -> (reqwest::Result<reqwest::Response>, usize) {
        send_as(runtime, reqwest::Method::DELETE, replies).await
    }

    /// [`send`] with another method.
    async fn send_as(
        runtime: &Runtime,
        method: reqwest::Method,
        replies: impl Fn(usize) -> reqwest::Result<reqwest::Response>,
    ) -> (reqwest::Result<reqwest::Response>, usize) {
        let attempts = Cell::new(0);
        let mut request = request();
        *request.method_mut() = method;
        let trace = Trace::start(runtime.0.provider, "delete_thing", &request);
        let result = runtime
            .send(request, &trace, |_| {
                attempts.set(attempts.get() + 1);
                let reply = replies(attempts.get());
                async move { reply }
            })
            .await;
        (result, attempts.get())
    }

    /// Sends `request` through the retry loop and a real HTTP client; returns
    /// the result and the headers of each attempt.
    async fn send_real(
        runtime: &Runtime,
        mut request: reqwest::Request,
    ) -> (reqwest::Result<reqwest::Response>, Vec<HeaderMap>) {
        // The paused clock runs the timeout out as soon as nothing else can happen.
        *request.timeout_mut() = Some(Duration::from_secs(30));
        let http = reqwest::Client::new();
        let sent = std::cell::RefCell::new(Vec::new());
        let trace = Trace::start(runtime.0.provider, "create_thing", &request);
        let result = runtime
            .send(request, &trace, |request| {
                sent.borrow_mut().push(request.headers().clone());
                http.execute(request)
            })
            .await;
        (result, sent.into_inner())
    }

    /// A request to a server that accepts the connection, reads nothing and
    /// never answers: it may have acted when the attempt times out.
    async fn to_silent_server(method: &str) -> (reqwest::Request, tokio::net::TcpListener) {
        let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/things", silent.local_addr().unwrap());
        let request = reqwest::Request::new(method.parse().unwrap(), url.parse().unwrap());
        (request, silent)
    }

    #[tokio::test(start_paused = true)]
    async fn a_write_that_timed_out_is_sent_once_without_an_idempotency_key() {
        for method in ["POST", "PATCH", "PURGE"] {
            let runtime = runtime(3, provider(None));
            let (request, _server) = to_silent_server(method).await;
            let (result, sent) = send_real(&runtime, request).await;
            assert!(result.unwrap_err().is_timeout());
            assert_eq!(sent.len(), 1, "{method}");
            assert!(!sent[0].contains_key("idempotency-key"));
        }
        // An idempotent method is retried as before.
        let runtime = runtime(3, provider(None));
        let (request, _server) = to_silent_server("DELETE").await;
        let (result, sent) = send_real(&runtime, request).await;
        assert!(result.unwrap_err().is_timeout());
        assert_eq!(sent.len(), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn a_write_that_never_reached_a_server_is_retried() {
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/things", closed.local_addr().unwrap());
        drop(closed);
        let runtime = runtime(3, provider(None));
        let request = reqwest::Request::new(reqwest::Method::POST, url.parse().unwrap());
        let (result, sent) = send_real(&runtime, request).await;
        assert!(result.unwrap_err().is_connect());
        assert_eq!(sent.len(), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn with_a_declared_header_one_key_per_call_goes_on_every_attempt() {
        let runtime = runtime(3, keyed());
        let mut keys = Vec::new();
        for _ in 0..2 {
            let (request, _server) = to_silent_server("POST").await;
            let (result, sent) = send_real(&runtime, request).await;
            assert!(result.unwrap_err().is_timeout());
            assert_eq!(sent.len(), 4);
            let key = sent[0]["idempotency-key"].clone();
            assert!(sent.iter().all(|h| h["idempotency-key"] == key), "{sent:?}");
            assert_eq!(key.len(), 36, "{key:?}");
            keys.push(key);
        }
        assert_ne!(keys[0], keys[1], "each call has a key of its own");

        // An idempotent method needs none.
        let (request, _server) = to_silent_server("GET").await;
        let (_, sent) = send_real(&runtime, request).await;
        assert_eq!(sent.len(), 4);
        assert!(!sent[0].contains_key("idempotency-key"));

        // A key the caller set (a parameter of the operation) is the one sent.
        let (mut request, _server) = to_silent_server("POST").await;
        request
            .headers_mut()
            .insert("idempotency-key", HeaderValue::from_static("order-17"));
        let (_, sent) = send_real(&runtime, request).await;
        assert_eq!(sent.len(), 4);
        assert!(sent.iter().all(|h| h["idempotency-key"] == "order-17"));
    }

    #[tokio::test(start_paused = true)]
    async fn a_write_is_retried_when_the_server_says_it_did_not_act() {
        let runtime = runtime(3, provider(None));
        let sent = async |replies: &dyn Fn(usize) -> reqwest::Result<reqwest::Response>| {
            let (result, attempts) = send_as(&runtime, reqwest::Method::POST, replies).await;
            (result.unwrap().status().as_u16(), attempts)
        };
        assert_eq!(sent(&|_| reply(500, &[], "")).await, (500, 1));
        assert_eq!(sent(&|_| reply(503, &[], "")).await, (503, 1));
        assert_eq!(sent(&|_| reply(429, &[], "")).await, (429, 1));
        assert_eq!(
            sent(&|n| match n {
                1 => reply(503, &[("retry-after", "1")], ""),
                2 => reply(429, &[("retry-after-ms", "10")], ""),
                3 => reply(500, &[("x-should-retry", "true")], ""),
                _ => reply(201, &[], ""),
            })
            .await,
            (201, 4)
        );
    }

    /// What the client returns for a response the generated code did not expect.
    async fn failure(result: reqwest::Result<reqwest::Response>) -> Error {
        finish::<(), ()>(Err(Raw::UnexpectedResponse(result.unwrap())))
            .await
            .unwrap_err()
    }

    #[test]
    fn every_attempt_carries_the_credential_agent_and_timeout() {
        let runtime = runtime(0, provider(None));
        let mut request = request();
        runtime.prepare(&mut request);
        assert_eq!(request.timeout(), Some(&crate::DEFAULT_TIMEOUT));
        // Every attempt, the first and the retries, carries the same headers.
        let sent = std::cell::RefCell::new(Vec::new());
        let trace = Trace::start(runtime.0.provider, "delete_thing", &request);
        let runtime = Runtime(Arc::new(Settings {
            retry: RetryPolicy {
                max_retries: 2,
                initial_backoff: Duration::ZERO,
                max_backoff: Duration::ZERO,
            },
            ..Arc::into_inner(runtime.0).unwrap()
        }));
        let result = futures_lite(runtime.send(request, &trace, |request| {
            sent.borrow_mut()
                .push((request.headers().clone(), request.timeout().copied()));
            let reply = reply(if sent.borrow().len() < 3 { 503 } else { 204 }, &[], "");
            async move { reply }
        }));
        assert_eq!(result.unwrap().status(), 204);
        let sent = sent.into_inner();
        assert_eq!(sent.len(), 3);
        for (headers, timeout) in &sent {
            assert_eq!(headers["authorization"], "Bearer secret");
            assert!(headers["authorization"].is_sensitive());
            assert_eq!(headers["user-agent"], "test-client/1.2.3");
            assert_eq!(headers.len(), 2, "{headers:?}");
            assert_eq!(*timeout, Some(crate::DEFAULT_TIMEOUT));
        }
    }

    /// Runs a future on a runtime of its own (the test above is not async, to
    /// show that `prepare` needs none).
    fn futures_lite<F: Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(future)
    }

    #[tokio::test(start_paused = true)]
    async fn waits_as_long_as_retry_after_says_then_succeeds() {
        let runtime = runtime(2, provider(None));
        let start = Instant::now();
        let (result, attempts) = send(&runtime, |n| match n {
            1 => reply(503, &[("retry-after", "30")], ""),
            2 => reply(429, &[("retry-after-ms", "1500")], ""),
            _ => reply(204, &[], ""),
        })
        .await;
        assert_eq!(result.unwrap().status(), 204);
        assert_eq!(attempts, 3);
        assert_eq!(start.elapsed(), Duration::from_millis(31_500));
    }

    #[tokio::test(start_paused = true)]
    async fn backs_off_between_attempts_and_stops_at_the_limit() {
        let runtime = runtime(3, provider(None));
        let start = Instant::now();
        let (result, attempts) = send(&runtime, |_| reply(500, &[], "down")).await;
        assert_eq!(result.unwrap().status(), 500);
        assert_eq!(attempts, 4);
        // 1 s + 2 s + 4 s of backoff, each less up to 25 % of jitter.
        let waited = start.elapsed();
        assert!(
            waited <= Duration::from_secs(7) && waited >= Duration::from_millis(5_250),
            "{waited:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_status_that_does_not_retry_is_returned_at_once() {
        let runtime = runtime(3, provider(None));
        let start = Instant::now();
        let (result, attempts) = send(&runtime, |_| reply(404, &[], "")).await;
        assert_eq!(result.unwrap().status(), 404);
        assert_eq!((attempts, start.elapsed()), (1, Duration::ZERO));
    }

    #[tokio::test(start_paused = true)]
    async fn the_slot_is_free_while_waiting_to_retry() {
        let runtime = runtime(1, provider(None));
        let slots = runtime.0.slots.clone();
        let call = send(&runtime, |n| reply(if n == 1 { 503 } else { 204 }, &[], ""));
        let check = async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            slots.available_permits()
        };
        let ((_, attempts), free) = tokio::join!(call, check);
        assert_eq!(attempts, 2);
        assert_eq!(free, crate::DEFAULT_MAX_CONCURRENT_REQUESTS);
    }

    #[tokio::test]
    async fn an_error_body_is_kept_up_to_its_limit_and_classified() {
        let runtime = runtime(0, provider(None));
        let long = "x".repeat(crate::MAX_ERROR_BODY + 10);
        let (result, _) = send(&runtime, |_| reply(403, &[("x-request-id", "r1")], &long)).await;
        let error = failure(result).await;
        let Error::PermissionDenied(api) = &error else {
            panic!("{error:?}")
        };
        assert_eq!(api.body.len(), crate::MAX_ERROR_BODY);
        assert!(api.body_truncated);
        assert_eq!(api.headers["x-request-id"], "r1");
        assert_eq!(error.status(), Some(StatusCode::FORBIDDEN));
    }

    #[tokio::test]
    async fn an_envelope_that_reports_failure_is_an_error_with_its_messages() {
        let envelope = Envelope {
            success: "success",
            errors: "errors",
        };
        let runtime = runtime(0, provider(Some(envelope)));
        let body = r#"{"success": false, "errors": [{"code": 1003, "message": "Invalid token"}], "result": null}"#;
        let (result, _) = send(&runtime, |_| reply(200, &[], body)).await;
        let error = failure(result).await;
        let Error::Unsuccessful(api) = &error else {
            panic!("{error:?}")
        };
        assert_eq!(api.status, StatusCode::OK);
        assert_eq!(api.errors.len(), 1);
        assert_eq!(
            (api.errors[0].code, api.errors[0].message.as_str()),
            (Some(1003), "Invalid token")
        );
        assert!(
            error.to_string().contains("Invalid token (code 1003)"),
            "{error}"
        );

        // A success body that is no envelope at all is not taken for a success.
        let (result, _) = send(&runtime, |_| reply(200, &[], "<html>")).await;
        let error = failure(result).await;
        assert!(
            matches!(&error, Error::InvalidResponse(e) if e.reason.contains("not JSON")),
            "{error:?}"
        );
        let (result, _) = send(&runtime, |_| reply(200, &[], r#"{"result": 1}"#)).await;
        let error = failure(result).await;
        assert!(
            matches!(&error, Error::InvalidResponse(e) if e.reason.contains("`success`")),
            "{error:?}"
        );

        // And one that reports success goes through untouched.
        let (result, _) = send(&runtime, |_| {
            reply(200, &[], r#"{"success": true, "result": 1}"#)
        })
        .await;
        assert_eq!(result.unwrap().status(), 200);
    }

    #[tokio::test]
    async fn a_success_body_beyond_its_limit_is_refused() {
        let runtime = runtime(0, provider(None));
        let huge = "1".repeat(crate::MAX_SUCCESS_BODY + 1);
        let (result, _) = send(&runtime, |_| reply(200, &[], &huge)).await;
        let error = failure(result).await;
        assert!(
            matches!(&error, Error::InvalidResponse(e) if e.reason.contains("larger than")),
            "{error:?}"
        );
    }
}
