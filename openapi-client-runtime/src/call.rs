//! The one execution path of every operation: a [`Call`].
//!
//! The code generated for an operation builds its `reqwest::Request`
//! (synchronously: URL, query, headers, body, exactly as progenitor writes
//! them) and hands it here with a description of its responses, a
//! [`Responses`]. Everything asynchronous — the retry loop, the bounded read
//! of the body, the classification of a failure — is this module's one
//! non-generic `async fn`, compiled once for every operation of every
//! client. What stays generic is only the decoding of the success type, a
//! plain function.
//!
//! Before, each operation compiled three async state machines (progenitor's
//! method, the facade's `send`, and a boxed `IntoFuture`), so a 1,533-operation
//! crate type-checked and borrow-checked 3,066 of them, and each call paid for
//! the nested futures and a copy of the response headers it never returned.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;

use crate::error::{body_error, from_response, invalid, payload_error, transport};
use crate::{Error, Runtime};

/// What one operation's responses decode to, derived from the status `match`
/// progenitor generated for it.
#[derive(Debug)]
pub struct Responses {
    /// progenitor's operation id (the method name), for traces and rewiring.
    pub operation: &'static str,
    /// The statuses (inclusive ranges) whose response is the operation's
    /// success value, in progenitor's match order. Every other status is a
    /// failure, classified from its status and body as [`Error`].
    pub success: &'static [(u16, u16)],
}

impl Responses {
    fn is_success(&self, status: u16) -> bool {
        self.success
            .iter()
            .any(|&(from, to)| (from..=to).contains(&status))
    }
}

/// A success response as the shared path hands it to the decoder.
enum Success {
    /// The whole body (of a JSON success; empty for no content).
    Body(Bytes),
    /// The response, its body unread (of a stream).
    Response(reqwest::Response),
}

/// How a success response becomes the operation's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// A JSON body, deserialized.
    Json,
    /// No content: the value is `()`.
    Empty,
    /// The body as a stream of bytes, unread.
    Stream,
}

type Exchange<'a> = Pin<Box<dyn Future<Output = Result<Success, Error>> + Send + 'a>>;

/// An operation in flight: `.await` it for the decoded response.
///
/// Returned by each request builder's `send` (and `IntoFuture`), so that
/// `client.operation(..).await` is the whole call.
#[must_use = "a call does nothing until it is awaited"]
pub struct Call<'a, T> {
    exchange: Exchange<'a>,
    decode: fn(Success) -> Result<T, Error>,
}

impl<T> std::fmt::Debug for Call<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Call { .. }")
    }
}

impl<T> Future for Call<'_, T> {
    type Output = Result<T, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let decode = self.decode;
        self.exchange.as_mut().poll(cx).map(|r| r.and_then(decode))
    }
}

/// What the generated code of an operation hands to [`Call`]: the client's
/// runtime and HTTP client, the built request (or why it could not be built)
/// and the operation's responses.
pub struct Request<'a> {
    /// The generated client's runtime.
    pub runtime: &'a Runtime,
    /// The HTTP client requests go through.
    pub http: &'a reqwest::Client,
    /// The request as the operation's generated code built it.
    pub request: Result<reqwest::Request, Error>,
    /// The operation's responses.
    pub responses: &'static Responses,
}

impl<'a> Call<'a, ()> {
    /// A call whose success has no content.
    pub fn empty(request: Request<'a>) -> Self {
        Self::start(request, Kind::Empty, |_| Ok(()))
    }
}

impl<'a> Call<'a, progenitor_client::ByteStream> {
    /// A call whose success body is returned unread, as a stream.
    pub fn stream(request: Request<'a>) -> Self {
        Self::start(request, Kind::Stream, |success| match success {
            Success::Response(response) => Ok(progenitor_client::ByteStream::new(Box::pin(
                response.bytes_stream(),
            ))),
            // `exchange` hands a stream's response over unread.
            Success::Body(_) => Err(invalid(
                None,
                "",
                "the body was read before it could be streamed".into(),
            )),
        })
    }
}

impl<'a, T: serde::de::DeserializeOwned> Call<'a, T> {
    /// A call whose success body is JSON, decoded as `T`.
    pub fn json(request: Request<'a>) -> Self {
        Self::start(request, Kind::Json, decode_json::<T>)
    }
}

impl<'a, T> Call<'a, T> {
    fn start(request: Request<'a>, kind: Kind, decode: fn(Success) -> Result<T, Error>) -> Self {
        Self {
            exchange: Box::pin(exchange(request, kind)),
            decode,
        }
    }
}

fn decode_json<T: serde::de::DeserializeOwned>(success: Success) -> Result<T, Error> {
    let body = match success {
        Success::Body(body) => body,
        Success::Response(_) => Bytes::new(),
    };
    serde_json::from_slice(&body).map_err(|e| payload_error(&body, &e))
}

/// Sends the request (retries, bounds, traces: [`Runtime::execute`]) and
/// sorts the final response into a success or an [`Error`].
async fn exchange(request: Request<'_>, kind: Kind) -> Result<Success, Error> {
    let Request {
        runtime,
        http,
        request,
        responses,
    } = request;
    let mut request = request?;
    runtime.prepare(&mut request);
    let response = runtime
        .execute(http, request, responses.operation)
        .await
        .map_err(transport)?;
    if !responses.is_success(response.status().as_u16()) {
        return Err(from_response(response).await);
    }
    match kind {
        Kind::Stream => Ok(Success::Response(response)),
        Kind::Empty => Ok(Success::Body(Bytes::new())),
        // The runtime has read the body already (bounded): this takes it.
        Kind::Json => response
            .bytes()
            .await
            .map(Success::Body)
            .map_err(body_error),
    }
}
