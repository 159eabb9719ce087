//! The runtime's rules, each against a real server on 127.0.0.1: configuration,
//! retries, `Retry-After`, timeouts, typed errors, path safety, secrets.
//!
//! The rules are the ones the vendors' official SDKs follow for these calls;
//! both crates share one runtime, so each rule is exercised through whichever
//! provider shows it best, and the provider-specific parts through both.

use std::time::{Duration, Instant};

use serde_json::json;
use workspace_tests::{Reply, TestServer};

const SECRET: &str = "s3cr3t-value-that-must-not-leak";
const ACCOUNT: &str = "023e105f4ecef8ad9ca31a8372d0c353";

fn gcore_builder(server: &TestServer) -> gcore_iam::ClientBuilder {
    gcore_iam::Client::builder()
        .credential(SECRET)
        .base_url(server.url(""))
        .retry_backoff(Duration::from_millis(1), Duration::from_millis(4))
}

fn gcore(server: &TestServer) -> gcore_iam::Client {
    gcore_builder(server).build().unwrap()
}

fn cloudflare(server: &TestServer) -> cloudflare_accounts::Client {
    cloudflare_accounts::Client::builder()
        .credential(SECRET)
        .base_url(server.url("/client/v4"))
        .retry_backoff(Duration::from_millis(1), Duration::from_millis(4))
        .build()
        .unwrap()
}

// --- one error type ---------------------------------------------------------

/// What a service does with any provider's failure: one function, one `match`.
fn advice(error: &gcore_iam::Error) -> &'static str {
    match error {
        gcore_iam::Error::NotFound(_) => "already gone",
        gcore_iam::Error::Authentication(_) | gcore_iam::Error::PermissionDenied(_) => {
            "check the credential"
        }
        e if e.status().is_some_and(|s| s.is_server_error()) => "try later",
        _ => "give up",
    }
}

#[tokio::test]
async fn one_function_handles_the_errors_of_both_clients() {
    let server = TestServer::with_replies(vec![Reply::status(404)]).await;
    let gcore_error = gcore(&server)
        .iam_delete_api_token_v2(1, 2)
        .await
        .unwrap_err();
    let server = TestServer::with_replies(vec![Reply::json(
        403,
        &json!({"success": false, "errors": [{"code": 9109, "message": "Unauthorized"}], "messages": [], "result": null}),
    )])
    .await;
    let account = ACCOUNT.parse().unwrap();
    let token = "ed17574386854bf78a67040be0a770b0".parse().unwrap();
    // `cloudflare_accounts::Error` is `gcore_iam::Error`: both re-export the runtime's.
    let cloudflare_error: cloudflare_accounts::Error = cloudflare(&server)
        .account_api_tokens_delete_token(&account, &token)
        .await
        .unwrap_err();
    assert_eq!(advice(&gcore_error), "already gone");
    assert_eq!(advice(&cloudflare_error), "check the credential");
    let errors: Vec<gcore_iam::Error> = vec![gcore_error, cloudflare_error];
    assert_eq!(errors.len(), 2);
}

// --- retries ----------------------------------------------------------------

#[tokio::test]
async fn transient_statuses_are_retried_until_success() {
    for status in [408, 409, 429, 500, 502, 503, 504] {
        let server = TestServer::with_replies(vec![
            Reply::status(status),
            Reply::status(status),
            Reply::status(204),
        ])
        .await;
        gcore(&server)
            .iam_delete_api_token_v2(1, 2)
            .await
            .unwrap_or_else(|e| panic!("{status}: {e}"));
        assert_eq!(server.requests().len(), 3, "status {status}");
    }
}

#[tokio::test]
async fn default_policy_makes_three_attempts_then_reports_the_last_status() {
    let server = TestServer::with_replies(vec![Reply::status(503)]).await;
    let err = gcore(&server)
        .iam_delete_api_token_v2(1, 2)
        .await
        .unwrap_err();
    assert!(
        matches!(err, gcore_iam::Error::Server(ref e) if e.status.as_u16() == 503),
        "{err:?}"
    );
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn max_retries_is_configurable_and_zero_disables() {
    for (retries, attempts) in [(0, 1), (1, 2), (4, 5)] {
        let server = TestServer::with_replies(vec![Reply::status(500)]).await;
        let client = gcore_builder(&server).max_retries(retries).build().unwrap();
        client.iam_delete_api_token_v2(1, 2).await.unwrap_err();
        assert_eq!(server.requests().len(), attempts, "max_retries({retries})");
    }
}

#[tokio::test]
async fn other_client_errors_are_not_retried() {
    for status in [400, 401, 403, 404, 422] {
        let server = TestServer::with_replies(vec![Reply::status(status)]).await;
        gcore(&server)
            .iam_delete_api_token_v2(1, 2)
            .await
            .unwrap_err();
        assert_eq!(server.requests().len(), 1, "status {status}");
    }
}

#[tokio::test]
async fn each_status_has_its_error_kind() {
    use gcore_iam::Error as E;
    type IsKind = fn(&E) -> bool;
    let kinds: [(u16, IsKind); 10] = [
        (400, |e| matches!(e, E::BadRequest(_))),
        (401, |e| matches!(e, E::Authentication(_))),
        (403, |e| matches!(e, E::PermissionDenied(_))),
        (404, |e| matches!(e, E::NotFound(_))),
        (409, |e| matches!(e, E::Conflict(_))),
        (422, |e| matches!(e, E::UnprocessableEntity(_))),
        (429, |e| matches!(e, E::RateLimited(_))),
        (500, |e| matches!(e, E::Server(_))),
        (503, |e| matches!(e, E::Server(_))),
        (418, |e| matches!(e, E::Status(_))),
    ];
    for (status, is_kind) in kinds {
        let server = TestServer::with_replies(vec![
            Reply::body(status, "text/plain", "nope").header("x-request-id", "r-1"),
        ])
        .await;
        let client = gcore_builder(&server).max_retries(0).build().unwrap();
        let err = client.iam_delete_api_token_v2(1, 2).await.unwrap_err();
        assert!(is_kind(&err), "{status}: {err:?}");
        let api = err.api_error().expect("an HTTP error carries the response");
        assert_eq!(api.status.as_u16(), status);
        assert_eq!(api.headers.get("x-request-id").unwrap(), "r-1");
        assert_eq!(api.body, "nope");
        assert_eq!(err.status().map(|s| s.as_u16()), Some(status));
    }
}

#[tokio::test]
async fn x_should_retry_overrides_the_status_rule() {
    let server =
        TestServer::with_replies(vec![Reply::status(503).header("x-should-retry", "false")]).await;
    gcore(&server)
        .iam_delete_api_token_v2(1, 2)
        .await
        .unwrap_err();
    assert_eq!(
        server.requests().len(),
        1,
        "x-should-retry: false stops a 503"
    );

    let server = TestServer::with_replies(vec![
        Reply::status(400).header("x-should-retry", "true"),
        Reply::status(204),
    ])
    .await;
    gcore(&server).iam_delete_api_token_v2(1, 2).await.unwrap();
    assert_eq!(
        server.requests().len(),
        2,
        "x-should-retry: true retries a 400"
    );
}

/// Backoff is configured at 1–4 ms, so a pause of at least the requested delay
/// can only come from obeying the header.
#[tokio::test]
async fn retry_after_ms_is_obeyed() {
    let server = TestServer::with_replies(vec![
        Reply::status(429).header("retry-after-ms", "80"),
        Reply::status(204),
    ])
    .await;
    let started = Instant::now();
    gcore(&server).iam_delete_api_token_v2(1, 2).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(80),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.requests().len(), 2);
}

// Retry-After in seconds and as an HTTP date, and the default backoff, are
// unit tests of `openapi-client-runtime` on a paused clock: here they would
// wait on the wall clock for seconds.

#[tokio::test]
async fn retry_after_beyond_sixty_seconds_falls_back_to_backoff() {
    let server = TestServer::with_replies(vec![
        Reply::status(503).header("retry-after", "3600"),
        Reply::status(204),
    ])
    .await;
    let started = Instant::now();
    gcore(&server).iam_delete_api_token_v2(1, 2).await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn a_connection_closed_without_response_is_retried_then_reported() {
    let server = TestServer::with_replies(vec![Reply::Close, Reply::status(204)]).await;
    gcore(&server).iam_delete_api_token_v2(1, 2).await.unwrap();
    assert_eq!(server.requests().len(), 2);

    let server = TestServer::with_replies(vec![Reply::Close]).await;
    let err = gcore(&server)
        .iam_delete_api_token_v2(1, 2)
        .await
        .unwrap_err();
    assert!(matches!(err, gcore_iam::Error::Connection(_)), "{err:?}");
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn nothing_listening_is_a_connection_error() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let client = gcore_iam::Client::builder()
        .credential(SECRET)
        .base_url(format!("http://127.0.0.1:{port}"))
        .max_retries(1)
        .retry_backoff(Duration::from_millis(1), Duration::from_millis(1))
        .build()
        .unwrap();
    let err = client.iam_delete_api_token_v2(1, 2).await.unwrap_err();
    assert!(matches!(err, gcore_iam::Error::Connection(_)), "{err:?}");
}

// --- timeouts ---------------------------------------------------------------

#[tokio::test]
async fn a_response_that_never_starts_is_a_timeout() {
    let server =
        TestServer::with_replies(vec![Reply::status(204).delayed(Duration::from_secs(5))]).await;
    let client = gcore_builder(&server)
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = client.iam_delete_api_token_v2(1, 2).await.unwrap_err();
    assert!(matches!(err, gcore_iam::Error::Timeout(_)), "{err:?}");
    assert_eq!(server.requests().len(), 3, "timeouts are retried");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_body_that_stalls_is_a_timeout() {
    let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 500\r\n\r\n{\"success\": true, ";
    let server = TestServer::with_replies(vec![Reply::StallBody {
        start: head.into(),
        stall: Duration::from_secs(5),
    }])
    .await;
    let client = cloudflare_accounts::Client::builder()
        .credential(SECRET)
        .base_url(server.url("/client/v4"))
        .timeout(Duration::from_millis(300))
        .max_retries(0)
        .build()
        .unwrap();
    let account = ACCOUNT.parse().unwrap();
    let token = "t".parse().unwrap();
    let err = client
        .account_api_tokens_delete_token(&account, &token)
        .await
        .unwrap_err();
    assert!(
        matches!(err, cloudflare_accounts::Error::Timeout(_)),
        "{err:?}"
    );
}

// --- response bodies --------------------------------------------------------

#[tokio::test]
async fn empty_and_truncated_error_bodies_are_typed_errors() {
    let server = TestServer::with_replies(vec![Reply::status(404)]).await;
    let err = gcore(&server)
        .iam_delete_api_token_v2(1, 2)
        .await
        .unwrap_err();
    let gcore_iam::Error::NotFound(e) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(e.body, "");

    // content-length promises more than arrives before the connection closes.
    let raw = b"HTTP/1.1 404 Not Found\r\ncontent-length: 100\r\n\r\n{\"message\": \"tok".to_vec();
    let server = TestServer::with_replies(vec![Reply::Raw(raw)]).await;
    let err = gcore(&server)
        .iam_delete_api_token_v2(1, 2)
        .await
        .unwrap_err();
    let gcore_iam::Error::InvalidResponse(e) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(e.status.map(|s| s.as_u16()), Some(404));
    assert_eq!(e.body, "{\"message\": \"tok");
}

#[tokio::test]
async fn large_error_bodies_are_capped() {
    let body = vec![b'x'; gcore_iam::MAX_ERROR_BODY * 4];
    let server = TestServer::with_replies(vec![Reply::body(400, "text/plain", body)]).await;
    let err = gcore(&server)
        .iam_delete_api_token_v2(1, 2)
        .await
        .unwrap_err();
    let api = err.api_error().unwrap();
    assert_eq!(api.body.len(), gcore_iam::MAX_ERROR_BODY);
    assert!(api.body_truncated);
}

#[tokio::test]
async fn an_unexpected_success_status_is_an_invalid_response() {
    let server = TestServer::with_replies(vec![Reply::body(200, "text/plain", "ok")]).await;
    let err = gcore(&server)
        .iam_delete_api_token_v2(1, 2)
        .await
        .unwrap_err();
    assert!(
        matches!(err, gcore_iam::Error::InvalidResponse(ref e) if e.body == "ok"),
        "{err:?}"
    );
}

#[tokio::test]
async fn cloudflare_success_false_with_a_result_is_still_an_error() {
    let body = json!({"errors": [{"code": 1001, "message": "nope"}], "messages": [], "success": false, "result": {"id": ACCOUNT}});
    let server = TestServer::with_replies(vec![Reply::json(200, &body)]).await;
    let account = ACCOUNT.parse().unwrap();
    let token = "t".parse().unwrap();
    let err = cloudflare(&server)
        .account_api_tokens_delete_token(&account, &token)
        .await
        .unwrap_err();
    assert!(
        matches!(err, cloudflare_accounts::Error::Unsuccessful(ref e) if e.errors[0].code == Some(1001)),
        "{err:?}"
    );
}

// --- path parameters --------------------------------------------------------

#[tokio::test]
async fn path_parameters_are_percent_encoded() {
    let server = TestServer::with_replies(vec![Reply::json(
        200,
        &json!({"errors": [], "messages": [], "success": true, "result": {"id": ACCOUNT}}),
    )])
    .await;
    let client = cloudflare(&server);
    let account = ACCOUNT.parse().unwrap();
    for (token, encoded) in [
        ("a/b", "a%2Fb"),
        ("a?b#c", "a%3Fb%23c"),
        ("100%", "100%25"),
        ("a b", "a%20b"),
        ("jeton-é", "jeton-%C3%A9"),
        ("..a", "..a"),
    ] {
        let token = token.parse().unwrap();
        client
            .account_api_tokens_delete_token(&account, &token)
            .await
            .unwrap();
        let last = server.requests().pop().unwrap();
        assert_eq!(
            last.target,
            format!("/client/v4/accounts/{ACCOUNT}/tokens/{encoded}")
        );
    }
}

#[tokio::test]
async fn dot_segments_and_empty_values_are_rejected_before_sending() {
    let server = TestServer::with_replies(vec![Reply::status(500)]).await;
    let client = cloudflare(&server);
    let account = ACCOUNT.parse().unwrap();
    for bad in ["", ".", ".."] {
        let token = bad.parse().unwrap();
        let err = client
            .account_api_tokens_delete_token(&account, &token)
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                cloudflare_accounts::Error::InvalidArgument {
                    name: "token_id",
                    ..
                }
            ),
            "{bad:?}: {err:?}"
        );
    }
    assert!(server.requests().is_empty());
}

#[test]
fn account_id_length_is_enforced_by_its_type() {
    use cloudflare_accounts::types::{AccountIdentifier, TokenIdentifier};
    assert!(
        "023e105f4ecef8ad9ca31a8372d0c35"
            .parse::<AccountIdentifier>()
            .is_err(),
        "31 characters"
    );
    assert!(
        "023e105f4ecef8ad9ca31a8372d0c3533"
            .parse::<AccountIdentifier>()
            .is_err(),
        "33 characters"
    );
    assert!(ACCOUNT.parse::<AccountIdentifier>().is_ok());
    assert!("x".repeat(33).parse::<TokenIdentifier>().is_err());
    // The conversion error converts into the crate's error for `?`.
    let err: cloudflare_accounts::Error = "short".parse::<AccountIdentifier>().unwrap_err().into();
    assert!(matches!(
        err,
        cloudflare_accounts::Error::InvalidArgument { .. }
    ));
}

// --- configuration ----------------------------------------------------------

#[test]
fn missing_or_empty_credentials_are_refused() {
    for credential in [None, Some(""), Some("   ")] {
        let mut builder = gcore_iam::Client::builder();
        if let Some(c) = credential {
            builder = builder.credential(c);
        }
        let err = builder.build().unwrap_err();
        assert!(
            matches!(err, gcore_iam::ConfigError::MissingCredential { .. }),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            "no API key configured: pass one to the builder or set GCORE_API_KEY"
        );
    }
    let err = cloudflare_accounts::Client::new("").unwrap_err();
    assert_eq!(
        err.to_string(),
        "no API token configured: pass one to the builder or set CLOUDFLARE_API_TOKEN"
    );
    let err = gcore_iam::Client::new("line\nbreak").unwrap_err();
    assert!(
        matches!(err, gcore_iam::ConfigError::InvalidCredential { .. }),
        "{err:?}"
    );
}

#[test]
fn defaults_come_from_the_specs_servers() {
    assert_eq!(
        gcore_iam::Client::new("k").unwrap().base_url(),
        "https://api.gcore.com"
    );
    assert_eq!(
        cloudflare_accounts::Client::new("k").unwrap().base_url(),
        "https://api.cloudflare.com/client/v4"
    );
}

#[test]
fn invalid_base_urls_are_refused() {
    for url in [
        "api.gcore.com",
        "ftp://api.gcore.com",
        "https://api.gcore.com/?x=1",
    ] {
        let err = gcore_iam::Client::builder()
            .credential("k")
            .base_url(url)
            .build()
            .unwrap_err();
        assert!(
            matches!(err, gcore_iam::ConfigError::InvalidBaseUrl { .. }),
            "{url}: {err:?}"
        );
    }
    // What a crate whose spec names no server gets without one: told how to
    // give one.
    let err = gcore_iam::Client::builder()
        .credential("k")
        .base_url("")
        .build()
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("ClientBuilder::base_url") && err.contains("GCORE_BASE_URL"),
        "{err}"
    );
    let client = gcore_iam::Client::builder()
        .credential("k")
        .base_url("https://proxy.example/gcore/")
        .build()
        .unwrap();
    assert_eq!(client.base_url(), "https://proxy.example/gcore");
}

/// `from_env` reads process-wide state, so it runs in a child process with its
/// own environment (the child is the `#[ignore]`d test below).
#[test]
fn from_env_reads_the_documented_variables() {
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new(exe)
        .args(["--ignored", "--exact", "from_env_child", "--nocapture"])
        .env("GCORE_API_KEY", "env-key")
        .env("GCORE_BASE_URL", "http://127.0.0.1:9/prefix")
        .env("CLOUDFLARE_API_TOKEN", "env-token")
        .env_remove("CLOUDFLARE_BASE_URL")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("1 passed"), "{stdout}");
}

#[test]
#[ignore = "run by from_env_reads_the_documented_variables with a prepared environment"]
fn from_env_child() {
    let gcore = gcore_iam::Client::from_env().unwrap();
    assert_eq!(gcore.base_url(), "http://127.0.0.1:9/prefix");
    let cloudflare = cloudflare_accounts::Client::from_env().unwrap();
    assert_eq!(
        cloudflare.base_url(),
        "https://api.cloudflare.com/client/v4"
    );
}

#[tokio::test]
async fn default_headers_and_a_callers_http_client_are_used() {
    let server = TestServer::with_replies(vec![Reply::status(204)]).await;
    let mut preset = reqwest::header::HeaderMap::new();
    preset.insert("x-from-callers-client", "yes".parse().unwrap());
    let client = gcore_builder(&server)
        .http_client(reqwest::Client::builder().default_headers(preset))
        .default_header("x-team", "billing")
        .default_header("Authorization", "APIKey overridden")
        .build()
        .unwrap();
    client.iam_delete_api_token_v2(1, 2).await.unwrap();
    let request = &server.requests()[0];
    assert_eq!(request.header("x-from-callers-client"), Some("yes"));
    assert_eq!(request.header("x-team"), Some("billing"));
    assert_eq!(
        request.header("authorization"),
        Some(format!("APIKey {SECRET}").as_str())
    );
}

// --- secrets ----------------------------------------------------------------

#[tokio::test]
async fn debug_output_never_contains_the_secret() {
    let mut shown = Vec::new();
    let builder = gcore_iam::Client::builder().credential(SECRET);
    shown.push(format!("{builder:?}"));
    shown.push(format!("{:?}", builder.build().unwrap()));
    shown.push(format!(
        "{:?}",
        cloudflare_accounts::Client::new(SECRET).unwrap()
    ));

    // Errors of every origin: status, connection, timeout, invalid response.
    let server = TestServer::with_replies(vec![
        Reply::status(401),
        Reply::Close,
        Reply::status(204).delayed(Duration::from_secs(2)),
        Reply::body(200, "text/plain", "?"),
    ])
    .await;
    let client = gcore_builder(&server)
        .max_retries(0)
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    for _ in 0..4 {
        let err = client.iam_delete_api_token_v2(1, 2).await.unwrap_err();
        shown.push(format!("{err:?}"));
        shown.push(err.to_string());
    }
    assert!(shown.iter().any(|s| s.contains("Timeout")), "{shown:#?}");
    for text in &shown {
        assert!(!text.contains(SECRET), "secret leaked in: {text}");
    }
    // The secret did go on the wire: the redaction is not an absence.
    assert_eq!(
        server.requests()[0].header("authorization"),
        Some(format!("APIKey {SECRET}").as_str())
    );
}
