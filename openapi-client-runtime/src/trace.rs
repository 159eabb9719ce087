//! Tracing: one span per call (with the `tracing` feature; a no-op without it).

use std::time::Duration;
#[cfg(feature = "tracing")]
use std::time::Instant;

use crate::Provider;
#[cfg(feature = "tracing")]
use crate::transport::EnvelopeFailure;

/// One call's span (with the `tracing` feature; a no-op without it).
///
/// The span carries the operation id, the method and the spec's path template,
/// the attempt number, the final status and the duration. Never the URL: its
/// path holds the caller's identifiers and a query string can hold secrets.
pub(crate) struct Trace {
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
    pub(crate) fn start(
        provider: &'static Provider,
        operation: &'static str,
        request: &reqwest::Request,
    ) -> Self {
        let path = provider
            .operations
            .iter()
            .find(|op| op.id == operation)
            .map_or("", |op| op.path);
        let span = tracing::info_span!(
            "http.call",
            api = provider.crate_name,
            operation,
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

    pub(crate) fn instrument<F: std::future::Future>(
        &self,
        future: F,
    ) -> tracing::instrument::Instrumented<F> {
        tracing::Instrument::instrument(future, self.span.clone())
    }

    pub(crate) fn attempt(&self, attempt: u32) {
        self.span.record("attempt", attempt);
    }

    pub(crate) fn retry(
        &self,
        attempt: u32,
        result: &reqwest::Result<reqwest::Response>,
        delay: Duration,
    ) {
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

    pub(crate) fn finish(&self, result: &reqwest::Result<reqwest::Response>) {
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
    pub(crate) fn start(_: &'static Provider, _: &'static str, _: &reqwest::Request) -> Self {
        Self {}
    }

    pub(crate) fn instrument<F: std::future::Future>(&self, future: F) -> F {
        future
    }

    pub(crate) fn attempt(&self, _: u32) {}

    pub(crate) fn retry(&self, _: u32, _: &reqwest::Result<reqwest::Response>, _: Duration) {}

    pub(crate) fn finish(&self, _: &reqwest::Result<reqwest::Response>) {}
}
