//! Errors: the one [`Error`] every client returns, and [`finish`], which turns
//! progenitor's per-operation result into it.

use std::fmt;

use progenitor_client::ResponseValue;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use crate::transport::{EnvelopeFailure, EnvelopeFields, ErrorBody};
use crate::{Envelope, MAX_ERROR_BODY};

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
    /// A list's `.items()` fetched its most pages (`Items::max_pages`,
    /// [`DEFAULT_MAX_PAGES`](crate::paginate::DEFAULT_MAX_PAGES) by default)
    /// and the server still announced a next one: a list this long, or a
    /// server that ignores the page parameter.
    PageLimit {
        /// The limit that was reached.
        pages: u64,
    },
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

    pub(crate) fn from_status(error: ApiError) -> Self {
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
            Self::PageLimit { pages } => write!(
                f,
                "the list did not end within {pages} pages (the server may ignore the page \
                 parameter; if the list is this long, raise `Items::max_pages`)"
            ),
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

/// Turns a generated method's result into the client's result: the value, or
/// the [`Error`] that classifies the failure.
///
/// # Errors
///
/// Every failure `result` holds, as [`Error`].
pub async fn finish<T, E>(
    result: Result<ResponseValue<T>, progenitor_client::Error<E>>,
) -> Result<T, Error> {
    match result {
        Ok(value) => Ok(value.into_inner()),
        Err(progenitor_client::Error::UnexpectedResponse(response)) => {
            Err(from_response(response).await)
        }
        Err(other) => Err(classify(other)),
    }
}

/// A request that could not be built (a header value that is no header
/// value, a form body that does not serialize): what the `?` of generated
/// request-building code turns progenitor's error into.
impl<E> From<progenitor_client::Error<E>> for Error {
    fn from(e: progenitor_client::Error<E>) -> Self {
        classify(e)
    }
}

/// Every failure of progenitor's `Error` but an unexpected response, whose
/// body has yet to be read ([`from_response`]).
fn classify<E>(e: progenitor_client::Error<E>) -> Error {
    use progenitor_client::Error as Raw;
    match e {
        Raw::UnexpectedResponse(response) => {
            let status = response.status();
            invalid(Some(status), "", format!("unexpected status {status}"))
        }
        Raw::CommunicationError(e) => transport(e),
        Raw::ResponseBodyError(e) => body_error(e),
        Raw::InvalidResponsePayload(body, e) => payload_error(&body, &e),
        Raw::ErrorResponse(value) => Error::from_status(ApiError {
            status: value.status(),
            headers: value.headers().clone(),
            body: String::new(),
            body_truncated: false,
            errors: Vec::new(),
        }),
        Raw::InvalidRequest(reason) => Error::InvalidArgument {
            name: "request",
            reason,
        },
        Raw::InvalidUpgrade(e) => invalid(e.status(), "", redact(e).to_string()),
        Raw::Custom(reason) => invalid(None, "", reason),
    }
}

/// A success body that does not decode as the type the spec gives it.
pub(crate) fn payload_error(body: &[u8], e: &serde_json::Error) -> Error {
    invalid(
        None,
        &String::from_utf8_lossy(&body[..body.len().min(MAX_ERROR_BODY)]),
        format!("the body does not match the API description: {e}"),
    )
}

/// A body that could not be read to its end.
pub(crate) fn body_error(e: reqwest::Error) -> Error {
    if e.is_timeout() {
        Error::Timeout(redact(e))
    } else {
        invalid(
            None,
            "",
            format!("the body could not be read: {}", redact(e)),
        )
    }
}

pub(crate) fn transport(e: reqwest::Error) -> Error {
    let e = redact(e);
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

/// What stands for each query value in the URL an error carries.
const REDACTED: &str = "REDACTED";

/// `e` with every query value of its URL replaced by [`REDACTED`]: reqwest's
/// `Display` and `Debug` print the URL, and a query can carry a secret (an
/// API key, a signed token) into the caller's logs. The parameter names and
/// the rest of the URL stay, to say which request failed.
fn redact(mut e: reqwest::Error) -> reqwest::Error {
    if let Some(url) = e.url_mut().filter(|url| url.query().is_some()) {
        let names: Vec<String> = url
            .query_pairs()
            .map(|(name, _)| name.into_owned())
            .collect();
        let mut query = url.query_pairs_mut();
        query.clear();
        for name in &names {
            query.append_pair(name, REDACTED);
        }
    }
    e
}

pub(crate) fn invalid(status: Option<StatusCode>, body: &str, reason: String) -> Error {
    Error::InvalidResponse(Box::new(InvalidResponse {
        status,
        body: body.to_string(),
        reason,
    }))
}

/// Classifies an error response, whose body the runtime already read (bounded).
pub(crate) async fn from_response(mut response: reqwest::Response) -> Error {
    let failure = response.extensions_mut().remove::<EnvelopeFailure>();
    let note = response.extensions_mut().remove::<ErrorBody>();
    let envelope = response.extensions_mut().remove::<EnvelopeFields>();
    let status = failure.as_ref().map_or(response.status(), |f| f.status);
    let headers = std::mem::take(response.headers_mut());
    let body = match response.bytes().await {
        Ok(body) => body,
        Err(e) if e.is_timeout() => return Error::Timeout(redact(e)),
        Err(e) => {
            let reason = format!("the body ended early: {}", redact(e));
            return invalid(Some(status), "", reason);
        }
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
    let errors = match envelope {
        Some(EnvelopeFields(envelope)) if !truncated => envelope_errors(envelope, body),
        _ => Vec::new(),
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
fn envelope_errors(envelope: &Envelope, body: &[u8]) -> Vec<ApiMessage> {
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    const SECRET: &str = "k3y-in-the-query";

    /// What `finish` makes of a request that failed to reach `url`.
    async fn failed(url: &str, timeout: Duration) -> Error {
        let sent = reqwest::Client::new()
            .get(url)
            .timeout(timeout)
            .send()
            .await;
        let raw = sent.expect_err("nothing answers");
        finish::<(), ()>(Err(progenitor_client::Error::CommunicationError(raw)))
            .await
            .unwrap_err()
    }

    #[tokio::test(start_paused = true)]
    async fn query_values_never_reach_display_or_debug() {
        // Nothing listens on this port: refused at once.
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let refused = format!(
            "http://{}/a?api_key={SECRET}&page=2",
            closed.local_addr().unwrap()
        );
        drop(closed);
        // Accepts and never answers: the paused clock runs the timeout out.
        let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let stalled = format!("http://{}/a?token={SECRET}", silent.local_addr().unwrap());

        let connection = failed(&refused, Duration::from_secs(30)).await;
        let timeout = failed(&stalled, Duration::from_secs(30)).await;
        assert!(matches!(connection, Error::Connection(_)), "{connection:?}");
        assert!(matches!(timeout, Error::Timeout(_)), "{timeout:?}");
        for error in [&connection, &timeout] {
            for shown in [error.to_string(), format!("{error:?}")] {
                assert!(!shown.contains(SECRET), "{shown}");
            }
            // Still useful: which parameter, which place.
            assert!(format!("{error:?}").contains("/a?"), "{error:?}");
        }
        assert!(
            connection
                .to_string()
                .contains("api_key=REDACTED&page=REDACTED"),
            "{connection}"
        );
        // A styled query (brackets, delimiters) is redacted the same way.
        let styled = crate::style::Query::new(refused.clone())
            .param(
                "filter",
                &std::collections::BTreeMap::from([("key", SECRET)]),
                crate::style::Style::DeepObject,
                true,
            )
            .param(
                "ids",
                &[SECRET, "b"],
                crate::style::Style::PipeDelimited,
                false,
            )
            .finish()
            .unwrap();
        assert!(
            styled.contains(&format!("filter%5Bkey%5D={SECRET}")),
            "{styled}"
        );
        let styled = failed(&styled, Duration::from_secs(30)).await;
        for shown in [styled.to_string(), format!("{styled:?}")] {
            assert!(!shown.contains(SECRET), "{shown}");
            assert!(shown.contains("ids=REDACTED"), "{shown}");
        }
        // The error the caller can take out says the same.
        let Error::Connection(inner) = &connection else {
            unreachable!()
        };
        assert_eq!(
            inner.url().unwrap().query(),
            Some("api_key=REDACTED&page=REDACTED")
        );
    }
}
