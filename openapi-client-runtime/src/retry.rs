//! When to retry and how long to wait: the statuses and errors that retry,
//! exponential backoff with jitter, and the server's own `Retry-After`; and
//! which requests may be sent again at all.
//!
//! A request whose method is idempotent (RFC 9110: GET, HEAD, OPTIONS, PUT,
//! DELETE, TRACE), or that carries the provider's idempotency key, has the
//! same effect sent once or twice, so it is retried after anything transient.
//! Any other (POST, PATCH, ...) may have been acted on when its attempt timed
//! out or failed with a 5xx: a second one could be a second payment. It is
//! retried only when it provably never reached the server (the connection
//! could not be made) or when the server says it may be (`x-should-retry:
//! true`, or a 429 or 503 with `Retry-After`).

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::{DEFAULT_INITIAL_BACKOFF, DEFAULT_MAX_BACKOFF, DEFAULT_MAX_RETRIES, MAX_RETRY_AFTER};

/// A server's say on whether to retry (`true`/`false`), over the status rule.
const X_SHOULD_RETRY: HeaderName = HeaderName::from_static("x-should-retry");

/// How many times to retry, and the backoff between attempts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RetryPolicy {
    pub max_retries: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
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

/// Whether sending a request twice has the effect of sending it once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Replay {
    /// An idempotent method, or a request carrying an idempotency key.
    Safe,
    /// Anything else: sent again only when it cannot have been acted on.
    Unsafe,
}

impl Replay {
    /// What a request of `method` is, without an idempotency key.
    pub(crate) fn of(method: &Method) -> Self {
        if is_idempotent(method) {
            Self::Safe
        } else {
            Self::Unsafe
        }
    }
}

/// RFC 9110's idempotent methods (section 9.2.2).
pub(crate) fn is_idempotent(method: &Method) -> bool {
    [
        Method::GET,
        Method::HEAD,
        Method::OPTIONS,
        Method::PUT,
        Method::DELETE,
        Method::TRACE,
    ]
    .contains(method)
}

impl RetryPolicy {
    /// How long to wait before retrying after `result`, or `None` to stop.
    pub(crate) fn delay(
        &self,
        result: &reqwest::Result<reqwest::Response>,
        retry: u32,
        replay: Replay,
    ) -> Option<Duration> {
        match result {
            // A connection that could not be made carried nothing. Any other
            // failure may have come after the server read the request.
            Err(e) if e.is_connect() => Some(self.backoff(retry)),
            Err(e) => (replay == Replay::Safe && (e.is_timeout() || e.is_request()))
                .then(|| self.backoff(retry)),
            Ok(response) => {
                let headers = response.headers();
                let status = response.status().as_u16();
                let retryable = match headers.get(X_SHOULD_RETRY).map(HeaderValue::as_bytes) {
                    Some(b"true") => true,
                    Some(b"false") => false,
                    _ if replay == Replay::Unsafe => {
                        // The server asks to come back later: it did not act.
                        matches!(status, 429 | 503)
                            && (headers.contains_key("retry-after")
                                || headers.contains_key("retry-after-ms"))
                    }
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

/// A fresh idempotency key: one per call, sent on each of its attempts.
///
/// A version 4 UUID (the form the APIs that take one document, Stripe's
/// `Idempotency-Key` among them) from 122 bits of SipHash output under
/// `RandomState`'s per-process random keys, over a process-wide counter and
/// the clock, so that no two calls share one, without a dependency on a
/// random-number crate.
pub(crate) fn idempotency_key() -> String {
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let call = CALLS.fetch_add(1, Ordering::Relaxed);
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let half = |which: u8| {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u8(which);
        hasher.write_u64(call);
        hasher.write_u128(now);
        hasher.finish()
    };
    // The version (4) and variant (0b10) bits of RFC 9562, over random ones.
    const FIXED: u128 = (0xF000 << 64) | (0xC000 << 48);
    const V4: u128 = (0x4000 << 64) | (0x8000 << 48);
    let random = (u128::from(half(0)) << 64) | u128::from(half(1));
    let bits = (random & !FIXED) | V4;
    let hex = format!("{bits:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
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

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_retries: 5,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
        }
    }

    fn response(status: u16, headers: &[(&str, &str)]) -> reqwest::Result<reqwest::Response> {
        let mut builder = http::Response::builder().status(status);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        Ok(reqwest::Response::from(builder.body(Vec::new()).unwrap()))
    }

    #[test]
    fn backoff_doubles_up_to_its_cap_less_at_most_a_quarter_of_jitter() {
        let policy = policy();
        for (retry, base) in [
            (0, 100),
            (1, 200),
            (2, 400),
            (3, 800),
            (4, 1000),
            (30, 1000),
        ] {
            let base = Duration::from_millis(base);
            let delays: Vec<Duration> = (0..200).map(|_| policy.backoff(retry)).collect();
            for delay in &delays {
                assert!(*delay <= base, "retry {retry}: {delay:?} > {base:?}");
                assert!(
                    *delay >= base.mul_f64(0.75),
                    "retry {retry}: {delay:?} < 75 % of {base:?}"
                );
            }
            // Jitter: clients that failed together must not retry in lockstep.
            let first = delays[0];
            assert!(
                delays.iter().any(|d| *d != first),
                "retry {retry}: no jitter"
            );
        }
    }

    #[test]
    fn the_default_backoff_starts_near_half_a_second() {
        for _ in 0..100 {
            let delay = RetryPolicy::default().backoff(0);
            assert!(
                delay >= Duration::from_millis(375) && delay <= Duration::from_millis(500),
                "{delay:?}"
            );
        }
    }

    #[test]
    fn these_statuses_retry_and_others_do_not() {
        let policy = policy();
        for status in [408, 409, 429, 500, 502, 503, 504, 599] {
            assert!(
                policy
                    .delay(&response(status, &[]), 0, Replay::Safe)
                    .is_some(),
                "{status}"
            );
        }
        for status in [200, 204, 301, 400, 401, 403, 404, 422] {
            assert!(
                policy
                    .delay(&response(status, &[]), 0, Replay::Safe)
                    .is_none(),
                "{status}"
            );
        }
    }

    #[test]
    fn x_should_retry_overrides_the_status() {
        let policy = policy();
        assert!(
            policy
                .delay(
                    &response(400, &[("x-should-retry", "true")]),
                    0,
                    Replay::Safe
                )
                .is_some()
        );
        assert!(
            policy
                .delay(
                    &response(503, &[("x-should-retry", "false")]),
                    0,
                    Replay::Safe
                )
                .is_none()
        );
        // Anything else is no opinion: the status decides.
        assert!(
            policy
                .delay(
                    &response(503, &[("x-should-retry", "maybe")]),
                    0,
                    Replay::Safe
                )
                .is_some()
        );
    }

    #[test]
    fn retry_after_in_seconds_milliseconds_and_as_a_date() {
        let policy = policy();
        let delay =
            |headers: &[(&str, &str)]| policy.delay(&response(503, headers), 0, Replay::Safe);
        assert_eq!(delay(&[("retry-after", "7")]), Some(Duration::from_secs(7)));
        assert_eq!(
            delay(&[("retry-after", " 1.5 ")]),
            Some(Duration::from_millis(1500))
        );
        // `retry-after-ms` (as Stainless SDKs send it) wins over `retry-after`.
        assert_eq!(
            delay(&[("retry-after-ms", "250"), ("retry-after", "7")]),
            Some(Duration::from_millis(250))
        );
        let at = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(30));
        let from_date = delay(&[("retry-after", &at)]).unwrap();
        assert!(
            from_date > Duration::from_secs(28) && from_date <= Duration::from_secs(30),
            "{from_date:?}"
        );
    }

    #[test]
    fn a_delay_beyond_the_cap_or_in_the_past_falls_back_to_backoff() {
        let policy = policy();
        let delay = |headers: &[(&str, &str)]| {
            policy
                .delay(&response(429, headers), 0, Replay::Safe)
                .unwrap()
        };
        let backoff =
            |d: Duration| d <= Duration::from_millis(100) && d >= Duration::from_millis(75);
        assert_eq!(delay(&[("retry-after", "60")]), MAX_RETRY_AFTER);
        assert!(backoff(delay(&[("retry-after", "61")])));
        assert!(backoff(delay(&[("retry-after", "0")])));
        assert!(backoff(delay(&[("retry-after", "-3")])));
        assert!(backoff(delay(&[("retry-after", "soon")])));
        let past = httpdate::fmt_http_date(SystemTime::now() - Duration::from_secs(30));
        assert!(backoff(delay(&[("retry-after", &past)])));
    }

    #[test]
    fn only_rfc_9110s_idempotent_methods_are_safe_to_replay() {
        for method in ["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"] {
            assert_eq!(
                Replay::of(&method.parse().unwrap()),
                Replay::Safe,
                "{method}"
            );
        }
        for method in ["POST", "PATCH", "CONNECT", "PURGE", "LOCK"] {
            assert_eq!(
                Replay::of(&method.parse().unwrap()),
                Replay::Unsafe,
                "{method}"
            );
        }
    }

    #[test]
    fn a_write_is_retried_only_when_the_server_says_so() {
        let policy = policy();
        let delay = |status, headers: &[(&str, &str)]| {
            policy.delay(&response(status, headers), 0, Replay::Unsafe)
        };
        // It may have been acted on: a 5xx, a 408, a 409 or a bare 429 is final.
        for status in [408, 409, 429, 500, 502, 503, 504] {
            assert_eq!(delay(status, &[]), None, "{status}");
        }
        assert_eq!(delay(500, &[("retry-after", "2")]), None);
        // Come back later: not acted on.
        for status in [429, 503] {
            assert_eq!(
                delay(status, &[("retry-after", "2")]),
                Some(Duration::from_secs(2))
            );
            assert_eq!(
                delay(status, &[("retry-after-ms", "20")]),
                Some(Duration::from_millis(20))
            );
        }
        // A delay beyond the cap still says "not acted on": backoff instead.
        assert!(delay(503, &[("retry-after", "3600")]).is_some());
        // The server's own word, either way.
        assert!(delay(500, &[("x-should-retry", "true")]).is_some());
        assert!(delay(400, &[("x-should-retry", "true")]).is_some());
        assert_eq!(
            delay(503, &[("x-should-retry", "false"), ("retry-after", "2")]),
            None
        );
    }

    #[test]
    fn idempotency_keys_are_version_4_uuids_and_never_repeat() {
        let keys: std::collections::HashSet<String> =
            (0..10_000).map(|_| idempotency_key()).collect();
        assert_eq!(keys.len(), 10_000);
        for key in keys.iter().take(100) {
            let parts: Vec<&str> = key.split('-').collect();
            assert_eq!(
                parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
                [8, 4, 4, 4, 12],
                "{key}"
            );
            assert!(
                key.bytes().all(|b| b == b'-' || b.is_ascii_hexdigit()),
                "{key}"
            );
            assert!(parts[2].starts_with('4'), "{key}");
            assert!(
                matches!(parts[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b'),
                "{key}"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn connection_failures_and_timeouts_retry_other_errors_do_not() {
        let policy = policy();
        // A port nobody listens on: refused at once.
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", closed.local_addr().unwrap());
        drop(closed);
        let refused = reqwest::Client::new().get(&url).send().await;
        assert!(refused.as_ref().unwrap_err().is_connect());
        assert!(policy.delay(&refused, 0, Replay::Safe).is_some());
        // It never reached a server: a write is retried too.
        assert!(policy.delay(&refused, 0, Replay::Unsafe).is_some());

        // A server that accepts and never answers: the paused clock runs the
        // timeout out at once.
        let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", silent.local_addr().unwrap());
        let timed_out = reqwest::Client::new()
            .get(&url)
            .timeout(Duration::from_secs(30))
            .send()
            .await;
        assert!(timed_out.as_ref().unwrap_err().is_timeout());
        assert!(policy.delay(&timed_out, 0, Replay::Safe).is_some());
        // The server may have acted before the time ran out.
        assert!(policy.delay(&timed_out, 0, Replay::Unsafe).is_none());

        // A request that cannot be built is not worth repeating.
        let builder = reqwest::Client::new()
            .get("http://127.0.0.1:1/")
            .header("bad\nname", "x");
        let invalid = builder.send().await;
        assert!(invalid.is_err());
        assert!(policy.delay(&invalid, 0, Replay::Safe).is_none());
    }
}
