//! No retry of a write can reach the server twice without the provider's
//! idempotency key.
//!
//! A POST whose attempt times out may have been acted on: the server got it,
//! and was slow to answer. Without a key it is sent once; with the key the
//! provider declares (`idempotency_header` in `specs/providers.toml`), every
//! attempt carries the same key, made once for the call, and the server can
//! tell a retry from a second request. The clients here are the runtime with
//! two providers that differ only in that setting, against a loopback server
//! that never answers in time.

use std::time::Duration;

use openapi_client_runtime::{Api, ClientBuilder, Operation, Provider, Runtime};
use workspace_tests::{Captured, Reply, TestServer};

/// What a generated client holds, for a provider with or without the key.
struct Client<const KEYED: bool> {
    base_url: String,
    http: reqwest::Client,
    runtime: Runtime,
}

const fn provider(idempotency_header: Option<&'static str>) -> Provider {
    Provider {
        title: "Payments",
        crate_name: "payments",
        crate_version: "1.0.0",
        default_base_url: "",
        base_url_env: "PAYMENTS_BASE_URL",
        auth_header: "Authorization",
        auth_prefix: "Bearer ",
        credential_env: "PAYMENTS_KEY",
        credential_name: "API key",
        idempotency_header,
        envelope: None,
        operations: &[Operation {
            id: "create_charge",
            method: "POST",
            path: "/charges",
        }],
    }
}

impl Api for Client<false> {
    const PROVIDER: &'static Provider = &provider(None);
    fn from_parts(base_url: &str, http: reqwest::Client, runtime: Runtime) -> Self {
        Self {
            base_url: base_url.into(),
            http,
            runtime,
        }
    }
}

impl Api for Client<true> {
    const PROVIDER: &'static Provider = &provider(Some("Idempotency-Key"));
    fn from_parts(base_url: &str, http: reqwest::Client, runtime: Runtime) -> Self {
        Self {
            base_url: base_url.into(),
            http,
            runtime,
        }
    }
}

impl<const KEYED: bool> Client<KEYED> {
    /// `POST /charges` as generated code sends it: built, prepared, executed.
    async fn create_charge(&self) -> reqwest::Result<reqwest::Response> {
        let mut request = self
            .http
            .post(format!("{}/charges", self.base_url))
            .header("content-type", "application/json")
            .body(r#"{"amount":500,"currency":"eur"}"#)
            .build()?;
        self.runtime.prepare(&mut request);
        self.runtime
            .execute(&self.http, request, "create_charge")
            .await
    }
}

fn client<const KEYED: bool>(server: &TestServer) -> Client<KEYED>
where
    Client<KEYED>: Api,
{
    ClientBuilder::<Client<KEYED>>::default()
        .credential("sk_test")
        .base_url(server.url(""))
        .timeout(Duration::from_millis(200))
        .max_retries(3)
        .retry_backoff(Duration::from_millis(1), Duration::from_millis(2))
        .build()
        .unwrap()
}

/// A server that takes every request and answers too late.
async fn slow_server() -> TestServer {
    TestServer::with_replies(vec![Reply::status(201).delayed(Duration::from_secs(3))]).await
}

/// The requests the server has received once there are at least `n`.
async fn received(server: &TestServer, n: usize) -> Vec<Captured> {
    loop {
        let requests = server.requests();
        if requests.len() >= n {
            return requests;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn a_post_that_timed_out_is_sent_once_without_a_key() {
    let server = slow_server().await;
    let error = client::<false>(&server).create_charge().await.unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    // The call is over, so nothing more can arrive.
    let requests = received(&server, 1).await;
    assert_eq!(requests.len(), 1, "{requests:#?}");
    assert_eq!(requests[0].header("idempotency-key"), None);
}

#[tokio::test]
async fn with_the_providers_key_it_is_retried_under_one_key() {
    let server = slow_server().await;
    let client = client::<true>(&server);
    let error = client.create_charge().await.unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    let requests = received(&server, 4).await;
    assert_eq!(requests.len(), 4, "the first attempt and 3 retries");
    let key = requests[0]
        .header("idempotency-key")
        .expect("a key")
        .to_string();
    for request in &requests {
        assert_eq!(request.method, "POST");
        assert_eq!(request.header("idempotency-key"), Some(key.as_str()));
        assert_eq!(request.body, requests[0].body);
    }

    // The next call is another request: another key.
    let _ = client.create_charge().await;
    let requests = received(&server, 8).await;
    let next = requests[4].header("idempotency-key").unwrap();
    assert_ne!(next, key);
    assert!(
        requests[4..]
            .iter()
            .all(|r| r.header("idempotency-key") == Some(next))
    );
}

#[tokio::test]
async fn a_default_header_cannot_make_one_key_for_every_call() {
    let server = TestServer::with_replies(vec![Reply::status(201)]).await;
    let client: Client<true> = ClientBuilder::default()
        .credential("sk_test")
        .base_url(server.url(""))
        .default_header("Idempotency-Key", "same-for-all")
        .build()
        .unwrap();
    client.create_charge().await.unwrap();
    client.create_charge().await.unwrap();
    let keys: Vec<_> = server
        .requests()
        .iter()
        .map(|r| r.header("idempotency-key").unwrap().to_string())
        .collect();
    assert_eq!(keys.len(), 2);
    assert_ne!(keys[0], keys[1]);
    assert!(!keys.contains(&"same-for-all".to_string()), "{keys:?}");
}
