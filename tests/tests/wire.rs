//! What goes on the wire, and what comes back, for each provider's operation.
//!
//! The expected requests are the official SDKs' (Gcore's and Cloudflare's Python
//! and Go SDKs make these same calls): method, path and `Authorization` header
//! are asserted literally; the full request is an insta snapshot.

use std::time::Duration;

use serde_json::json;
use workspace_tests::{Reply, TestServer};

const ACCOUNT: &str = "023e105f4ecef8ad9ca31a8372d0c353";
const TOKEN: &str = "ed17574386854bf78a67040be0a770b0";

fn gcore(server: &TestServer) -> gcore_iam::Client {
    gcore_iam::Client::builder()
        .credential("test-gcore-key")
        .base_url(server.url(""))
        .retry_backoff(Duration::from_millis(1), Duration::from_millis(5))
        .build()
        .expect("valid configuration")
}

/// Cloudflare's base URL has a path (`/client/v4`); the test server mirrors that.
fn cloudflare(server: &TestServer) -> cloudflare_accounts::Client {
    cloudflare_accounts::Client::builder()
        .credential("test-cf-token")
        .base_url(server.url("/client/v4"))
        .retry_backoff(Duration::from_millis(1), Duration::from_millis(5))
        .build()
        .expect("valid configuration")
}

async fn cf_delete(
    client: &cloudflare_accounts::Client,
) -> Result<cloudflare_accounts::types::TokenDeleteResponse, cloudflare_accounts::Error> {
    let account = ACCOUNT.parse().expect("valid account id");
    let token = TOKEN.parse().expect("valid token id");
    client
        .account_api_tokens_delete_token(&account, &token)
        .await
}

/// The version in a client crate's manifest: what its `User-Agent` must carry.
fn crate_version(dir: &str) -> String {
    let manifest = std::fs::read_to_string(format!(
        "{}/../{dir}/Cargo.toml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let line = manifest
        .lines()
        .find(|l| l.starts_with("version = "))
        .unwrap();
    line.trim_start_matches("version = ")
        .trim_matches('"')
        .to_string()
}

fn cf_success() -> serde_json::Value {
    json!({"errors": [], "messages": [], "success": true, "result": {"id": TOKEN}})
}

fn cf_failure(code: i64, message: &str) -> serde_json::Value {
    json!({"errors": [{"code": code, "message": message}], "messages": [], "success": false, "result": null})
}

#[tokio::test]
async fn gcore_delete_request_matches_the_official_sdks() {
    let server = TestServer::with_replies(vec![Reply::status(204)]).await;
    gcore(&server)
        .iam_delete_api_token_v2(42, 7)
        .await
        .expect("204 is success");

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "DELETE");
    assert_eq!(request.target, "/iam/v2/clients/42/tokens/7");
    assert_eq!(
        request.header("authorization"),
        Some("APIKey test-gcore-key")
    );
    assert_eq!(
        request.header("user-agent"),
        Some(format!("gcore-iam/{}", crate_version("gcore-iam")).as_str())
    );
    assert!(request.body.is_empty());
    insta::assert_snapshot!("gcore_delete_request", request.redacted());
}

#[tokio::test]
async fn cloudflare_delete_request_matches_the_official_sdks() {
    let server = TestServer::with_replies(vec![Reply::json(200, &cf_success())]).await;
    let response = cf_delete(&cloudflare(&server))
        .await
        .expect("200 envelope is success");
    assert_eq!(response.result.id.as_str(), TOKEN);

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "DELETE");
    assert_eq!(
        request.target,
        format!("/client/v4/accounts/{ACCOUNT}/tokens/{TOKEN}")
    );
    assert_eq!(
        request.header("authorization"),
        Some("Bearer test-cf-token")
    );
    assert_eq!(request.header("accept"), Some("application/json"));
    assert!(request.body.is_empty());
    insta::assert_snapshot!("cloudflare_delete_request", request.redacted());
}

#[tokio::test]
async fn gcore_403_and_404_are_distinct_errors() {
    let server = TestServer::with_replies(vec![
        Reply::body(403, "application/json", r#"{"message":"forbidden"}"#),
        Reply::body(
            404,
            "application/json",
            r#"{"message":"API token not found"}"#,
        ),
    ])
    .await;
    let client = gcore(&server);

    let forbidden = client.iam_delete_api_token_v2(42, 7).await.unwrap_err();
    let gcore_iam::Error::PermissionDenied(e) = &forbidden else {
        panic!("expected PermissionDenied, got {forbidden:?}");
    };
    assert_eq!(e.status.as_u16(), 403);
    assert_eq!(e.body, r#"{"message":"forbidden"}"#);

    let missing = client.iam_delete_api_token_v2(42, 7).await.unwrap_err();
    let gcore_iam::Error::NotFound(e) = &missing else {
        panic!("expected NotFound, got {missing:?}");
    };
    assert_eq!(e.headers.get("content-type").unwrap(), "application/json");
    assert_eq!(
        missing.to_string(),
        r#"404 Not Found: {"message":"API token not found"}"#
    );
    assert_eq!(
        server.requests().len(),
        2,
        "4xx other than 408/409/429 is not retried"
    );
}

#[tokio::test]
async fn cloudflare_4xx_envelope_errors_are_readable() {
    let server = TestServer::with_replies(vec![Reply::json(
        403,
        &cf_failure(9109, "Unauthorized to access requested resource"),
    )])
    .await;
    let err = cf_delete(&cloudflare(&server)).await.unwrap_err();
    let cloudflare_accounts::Error::PermissionDenied(e) = &err else {
        panic!("expected PermissionDenied, got {err:?}");
    };
    assert_eq!(e.errors.len(), 1);
    assert_eq!(e.errors[0].code, Some(9109));
    assert_eq!(
        e.errors[0].message,
        "Unauthorized to access requested resource"
    );
    assert_eq!(
        err.to_string(),
        "403 Forbidden: Unauthorized to access requested resource (code 9109)"
    );
}

#[tokio::test]
async fn cloudflare_200_with_success_false_is_an_error() {
    let server = TestServer::with_replies(vec![Reply::json(
        200,
        &cf_failure(1003, "Invalid or missing account"),
    )])
    .await;
    let err = cf_delete(&cloudflare(&server)).await.unwrap_err();
    let cloudflare_accounts::Error::Unsuccessful(e) = &err else {
        panic!("expected Unsuccessful, got {err:?}");
    };
    assert_eq!(e.status.as_u16(), 200);
    assert_eq!(e.errors[0].code, Some(1003));
    assert!(
        e.body.contains("\"success\":false"),
        "raw body kept: {}",
        e.body
    );
}

#[tokio::test]
async fn cloudflare_200_that_is_not_an_envelope_is_an_invalid_response() {
    let html = "<html><body>Maintenance</body></html>";
    let cases = [
        Reply::body(200, "text/html", html),
        Reply::json(200, &json!({"errors": [], "messages": [], "success": true})),
        Reply::body(200, "application/json", ""),
    ];
    for reply in cases {
        let server = TestServer::with_replies(vec![reply.clone()]).await;
        let err = cf_delete(&cloudflare(&server)).await.unwrap_err();
        let cloudflare_accounts::Error::InvalidResponse(e) = &err else {
            panic!("expected InvalidResponse for {reply:?}, got {err:?}");
        };
        assert!(!e.reason.is_empty());
    }
}

#[tokio::test]
async fn html_502_from_a_proxy_is_a_server_error_with_its_text() {
    let page = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>";
    let server = TestServer::with_replies(vec![Reply::body(502, "text/html", page)]).await;
    let client = gcore_iam::Client::builder()
        .credential("k")
        .base_url(server.url(""))
        .max_retries(0)
        .build()
        .unwrap();
    let err = client.iam_delete_api_token_v2(1, 2).await.unwrap_err();
    let gcore_iam::Error::Server(e) = &err else {
        panic!("expected Server, got {err:?}")
    };
    assert_eq!(e.body, page);
    assert!(e.errors.is_empty());
}
