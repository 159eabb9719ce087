//! The `tracing` feature: one span per call with the operation, method, path
//! template, attempt, status and duration; retries as events; no secret and
//! no concrete URL anywhere.
//!
//! A tiny collecting `Subscriber` stands in for a real one, so the test needs
//! nothing beyond `tracing` itself.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};
use workspace_tests::{Reply, TestServer};

const SECRET: &str = "tracing-secret-that-must-not-appear";

type Fields = BTreeMap<String, String>;

#[derive(Default)]
struct Seen {
    spans: BTreeMap<u64, (String, Fields)>,
    /// (parent span id, fields) of each event.
    events: Vec<(Option<u64>, Fields)>,
}

#[derive(Clone, Default)]
struct Collector {
    next: Arc<AtomicU64>,
    seen: Arc<Mutex<Seen>>,
}

struct Into<'a>(&'a mut Fields);

impl Visit for Into<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().into(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().into(), value.into());
    }
}

impl Subscriber for Collector {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let id = self.next.fetch_add(1, Ordering::SeqCst) + 1;
        let mut fields = Fields::new();
        span.record(&mut Into(&mut fields));
        fields.insert("@target".into(), span.metadata().target().into());
        let name = span.metadata().name().to_string();
        self.seen.lock().unwrap().spans.insert(id, (name, fields));
        Id::from_u64(id)
    }
    fn record(&self, span: &Id, values: &Record<'_>) {
        let mut seen = self.seen.lock().unwrap();
        if let Some((_, fields)) = seen.spans.get_mut(&span.into_u64()) {
            values.record(&mut Into(fields));
        }
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields::new();
        event.record(&mut Into(&mut fields));
        fields.insert("@target".into(), event.metadata().target().into());
        let parent = event.parent().map(Id::into_u64);
        self.seen.lock().unwrap().events.push((parent, fields));
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

fn client(server: &TestServer) -> gcore_iam::Client {
    gcore_iam::Client::builder()
        .credential(SECRET)
        .base_url(server.url(""))
        .retry_backoff(Duration::from_millis(1), Duration::from_millis(4))
        .build()
        .unwrap()
}

/// Everything the collector saw, as one text, for "never appears" checks.
fn everything(seen: &Seen) -> String {
    format!("{:?} {:?}", seen.spans, seen.events)
}

/// What the client emitted, through the runtime it shares with every client
/// (hyper's own events, which name the peer's address, are the application's
/// choice to enable or not).
fn ours(seen: &Seen) -> String {
    let mine = |f: &Fields| {
        f.get("@target")
            .is_some_and(|t| t.starts_with("openapi_client_runtime"))
    };
    let spans: Vec<_> = seen.spans.values().filter(|(_, f)| mine(f)).collect();
    let events: Vec<_> = seen.events.iter().filter(|(_, f)| mine(f)).collect();
    assert!(!spans.is_empty() && !events.is_empty());
    format!("{spans:?} {events:?}")
}

#[tokio::test]
async fn one_span_per_call_with_retries_as_events() {
    let server = TestServer::with_replies(vec![
        Reply::status(503).header("retry-after-ms", "1"),
        Reply::status(503).header("retry-after-ms", "2"),
        Reply::status(204),
    ])
    .await;
    let collector = Collector::default();
    let guard = tracing::subscriber::set_default(collector.clone());
    client(&server)
        .iam_delete_api_token_v2(4242, 777)
        .await
        .unwrap();
    drop(guard);

    let seen = collector.seen.lock().unwrap();
    let calls: Vec<_> = seen
        .spans
        .iter()
        .filter(|(_, (name, _))| name == "http.call")
        .collect();
    assert_eq!(calls.len(), 1, "{:?}", seen.spans);
    let (&id, (_, span)) = calls[0];
    let field = |name: &str| span.get(name).map(String::as_str);
    assert_eq!(field("api"), Some("gcore-iam"));
    assert_eq!(field("operation"), Some("iam_delete_api_token_v2"));
    assert_eq!(field("http.request.method"), Some("DELETE"));
    assert_eq!(
        field("url.template"),
        Some("/iam/v2/clients/{clientId}/tokens/{tokenId}")
    );
    assert_eq!(field("attempt"), Some("3"));
    assert_eq!(field("http.response.status_code"), Some("204"));
    assert!(
        field("duration_ms").is_some_and(|d| d.parse::<u64>().is_ok()),
        "{span:?}"
    );

    let retries: Vec<&Fields> = seen
        .events
        .iter()
        .filter(|(_, f)| f.get("message").map(String::as_str) == Some("retrying"))
        .map(|(parent, f)| {
            assert_eq!(*parent, Some(id), "retry events belong to the call's span");
            f
        })
        .collect();
    assert_eq!(retries.len(), 2, "{:?}", seen.events);
    for (i, (retry, delay)) in retries.iter().zip(["1", "2"]).enumerate() {
        assert_eq!(retry["attempt"], (i + 1).to_string());
        assert_eq!(retry["http.response.status_code"], "503");
        assert_eq!(retry["delay_ms"], delay);
    }

    let all = everything(&seen);
    assert!(!all.contains(SECRET), "{all}");
    let mine = ours(&seen);
    assert!(
        !mine.contains("4242") && !mine.contains("777"),
        "concrete path: {mine}"
    );
    assert!(!mine.contains("127.0.0.1"), "URL: {mine}");
}

#[tokio::test]
async fn failures_record_their_kind_not_the_error_text() {
    let server =
        TestServer::with_replies(vec![Reply::status(204).delayed(Duration::from_secs(5))]).await;
    let collector = Collector::default();
    let guard = tracing::subscriber::set_default(collector.clone());
    let client = gcore_iam::Client::builder()
        .credential(SECRET)
        .base_url(server.url(""))
        .timeout(Duration::from_millis(100))
        .max_retries(1)
        .retry_backoff(Duration::from_millis(1), Duration::from_millis(1))
        .build()
        .unwrap();
    let err = client.iam_delete_api_token_v2(4242, 777).await.unwrap_err();
    drop(guard);
    assert!(matches!(err, gcore_iam::Error::Timeout(_)), "{err:?}");

    let seen = collector.seen.lock().unwrap();
    let (_, span) = seen
        .spans
        .values()
        .find(|(name, _)| name == "http.call")
        .expect("a call span");
    assert_eq!(span.get("error").map(String::as_str), Some("timeout"));
    assert_eq!(span.get("attempt").map(String::as_str), Some("2"));
    assert!(!span.contains_key("http.response.status_code"), "{span:?}");
    let retry = seen
        .events
        .iter()
        .find(|(_, f)| f.get("message").map(String::as_str) == Some("retrying"))
        .expect("a retry event");
    assert_eq!(retry.1["error"], "timeout");
    let all = everything(&seen);
    assert!(!all.contains(SECRET), "{all}");
    let mine = ours(&seen);
    assert!(
        !mine.contains("127.0.0.1") && !mine.contains("4242"),
        "{mine}"
    );
}
