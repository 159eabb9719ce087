//! The clients against servers that misbehave on purpose. Every case ends in
//! a typed error (or a success where the exchange is legal), within the
//! configured timeout, without a panic. Timeouts that `runtime.rs` already
//! covers (a response that never starts, a success body that stalls) are not
//! repeated here.

use std::time::{Duration, Instant};

use serde_json::json;
use workspace_tests::{Reply, TestServer};

const SECRET: &str = "hostile-secret-never-forwarded";
const ACCOUNT: &str = "023e105f4ecef8ad9ca31a8372d0c353";
const TOKEN: &str = "ed17574386854bf78a67040be0a770b0";
const HUNDRED_MB: u64 = 100 * 1024 * 1024;
/// Far beyond what a bounded read plus the kernel's socket buffers can take in.
const LOTS_UNSENT: u64 = 48 * 1024 * 1024;

fn gcore(server: &TestServer, timeout: Duration) -> gcore_iam::Client {
    gcore_iam::Client::builder()
        .credential(SECRET)
        .base_url(server.url(""))
        .timeout(timeout)
        .max_retries(0)
        .build()
        .unwrap()
}

fn cloudflare(server: &TestServer, timeout: Duration) -> cloudflare_accounts::Client {
    cloudflare_accounts::Client::builder()
        .credential(SECRET)
        .base_url(server.url("/client/v4"))
        .timeout(timeout)
        .max_retries(0)
        .build()
        .unwrap()
}

async fn cf_delete(
    client: &cloudflare_accounts::Client,
) -> Result<cloudflare_accounts::types::TokenDeleteResponse, cloudflare_accounts::Error> {
    let account = ACCOUNT.parse().unwrap();
    let token = TOKEN.parse().unwrap();
    client
        .account_api_tokens_delete_token(&account, &token)
        .await
}

fn cf_ok_body() -> String {
    json!({"errors": [], "messages": [], "success": true, "result": {"id": TOKEN}}).to_string()
}

fn invalid_reason(err: &cloudflare_accounts::Error) -> &str {
    match err {
        cloudflare_accounts::Error::InvalidResponse(e) => &e.reason,
        other => panic!("expected InvalidResponse, got {other:?}"),
    }
}

/// Asserts the call came back before the server would have let it go.
fn returned_early(started: Instant, server_holds_for: Duration) {
    assert!(
        started.elapsed() < server_holds_for / 2,
        "took {:?}",
        started.elapsed()
    );
}

// --- stalls -----------------------------------------------------------------

/// Serves `start`, then holds the connection for 30 s: the call must end in a
/// timeout long before the server would let it go.
async fn gcore_times_out_on(start: &[u8]) {
    let stall = Duration::from_secs(30);
    let server = TestServer::with_replies(vec![Reply::StallBody {
        start: start.to_vec(),
        stall,
    }])
    .await;
    let started = Instant::now();
    let err = gcore(&server, Duration::from_millis(300))
        .iam_delete_api_token_v2(1, 2)
        .await
        .unwrap_err();
    assert!(matches!(err, gcore_iam::Error::Timeout(_)), "{err:?}");
    returned_early(started, stall);
}

#[tokio::test]
async fn a_head_that_stalls_midway_is_a_timeout() {
    gcore_times_out_on(b"HTTP/1.1 404 Not Found\r\ncontent-le").await;
}

#[tokio::test]
async fn an_error_body_that_stalls_is_a_timeout() {
    gcore_times_out_on(b"HTTP/1.1 404 Not Found\r\ncontent-length: 100\r\n\r\n{\"mess").await;
}

#[tokio::test]
async fn a_body_that_trickles_forever_is_a_timeout() {
    // One byte every 20 ms never stalls for long, but never ends in time either:
    // the timeout covers the whole exchange, not the gaps between bytes.
    let head = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        1_000
    );
    let server = TestServer::with_replies(vec![Reply::Trickle {
        head: head.into_bytes(),
        interval: Duration::from_millis(20),
        max_bytes: 1_000,
    }])
    .await;
    let started = Instant::now();
    let err = cf_delete(&cloudflare(&server, Duration::from_millis(500)))
        .await
        .unwrap_err();
    assert!(
        matches!(err, cloudflare_accounts::Error::Timeout(_)),
        "{err:?}"
    );
    returned_early(started, Duration::from_secs(20));
}

// --- huge bodies --------------------------------------------------------------

#[tokio::test]
async fn a_100_mb_error_body_is_cut_at_the_cap_and_not_downloaded() {
    let server = TestServer::with_replies(vec![Reply::huge(400, "text/plain", HUNDRED_MB)]).await;
    let err = gcore(&server, Duration::from_secs(30))
        .iam_delete_api_token_v2(1, 2)
        .await
        .unwrap_err();
    let gcore_iam::Error::BadRequest(api) = &err else {
        panic!("{err:?}")
    };
    assert!(api.body_truncated);
    assert_eq!(api.body.len(), gcore_iam::MAX_ERROR_BODY);
    // The client closed the connection: the server's writes fail soon after.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let sent = server.bytes_written();
    assert!(sent < LOTS_UNSENT, "the server sent {sent} bytes");
}

#[tokio::test]
async fn a_100_mb_success_body_is_refused_not_buffered() {
    let server =
        TestServer::with_replies(vec![Reply::huge(200, "application/json", HUNDRED_MB)]).await;
    let err = cf_delete(&cloudflare(&server, Duration::from_secs(30)))
        .await
        .unwrap_err();
    let reason = invalid_reason(&err);
    assert!(
        reason.contains(&format!(
            "larger than {} bytes",
            cloudflare_accounts::MAX_SUCCESS_BODY
        )),
        "{reason}"
    );
    assert_eq!(err.status().map(|s| s.as_u16()), Some(200));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let sent = server.bytes_written();
    assert!(sent < LOTS_UNSENT, "the server sent {sent} bytes");
}

// --- malformed bodies ---------------------------------------------------------

#[tokio::test]
async fn invalid_utf8_is_kept_lossily_in_errors_and_refused_in_successes() {
    let server = TestServer::with_replies(vec![Reply::body(
        404,
        "text/plain",
        b"not \xff\xfe found".to_vec(),
    )])
    .await;
    let err = gcore(&server, Duration::from_secs(5))
        .iam_delete_api_token_v2(1, 2)
        .await
        .unwrap_err();
    let gcore_iam::Error::NotFound(api) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(api.body, "not \u{fffd}\u{fffd} found");

    let mut body = cf_ok_body().into_bytes();
    body.splice(2..2, [0xff, 0xfe]);
    let server = TestServer::with_replies(vec![Reply::body(200, "application/json", body)]).await;
    let err = cf_delete(&cloudflare(&server, Duration::from_secs(5)))
        .await
        .unwrap_err();
    assert!(invalid_reason(&err).contains("not JSON"), "{err:?}");
}

#[tokio::test]
async fn invalid_json_is_an_invalid_response_or_a_plain_error_body() {
    let cases: [(&str, &str); 3] = [
        (r#"{"success": true, "result": "#, "not JSON"),
        ("<html>502 from a proxy</html>", "not JSON"),
        (
            r#"{"success": true, "errors": [], "messages": [], "result": 42}"#,
            "does not match the API description",
        ),
    ];
    for (body, expected) in cases {
        let server =
            TestServer::with_replies(vec![Reply::body(200, "application/json", body)]).await;
        let err = cf_delete(&cloudflare(&server, Duration::from_secs(5)))
            .await
            .unwrap_err();
        assert!(invalid_reason(&err).contains(expected), "{body}: {err:?}");
    }

    // An error status with a broken body is still its status; the text is kept.
    let server = TestServer::with_replies(vec![Reply::body(
        403,
        "application/json",
        r#"{"errors": [{"code": 9"#,
    )])
    .await;
    let err = cf_delete(&cloudflare(&server, Duration::from_secs(5)))
        .await
        .unwrap_err();
    let cloudflare_accounts::Error::PermissionDenied(api) = &err else {
        panic!("{err:?}")
    };
    assert!(api.errors.is_empty());
    assert_eq!(api.body, r#"{"errors": [{"code": 9"#);
}

#[tokio::test]
async fn lying_content_lengths_on_success_bodies_are_invalid_responses() {
    // Shorter than the body: the JSON is cut where the length says.
    let body = cf_ok_body();
    let short = Reply::body(200, "application/json", body.clone()).header("content-length", "10");
    let server = TestServer::with_replies(vec![short]).await;
    let err = cf_delete(&cloudflare(&server, Duration::from_secs(5)))
        .await
        .unwrap_err();
    assert!(invalid_reason(&err).contains("not JSON"), "{err:?}");

    // Longer than the body, then the connection closes.
    let raw = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len() + 100
    );
    let server = TestServer::with_replies(vec![Reply::Raw(raw.into_bytes())]).await;
    let err = cf_delete(&cloudflare(&server, Duration::from_secs(5)))
        .await
        .unwrap_err();
    assert!(invalid_reason(&err).contains("ended early"), "{err:?}");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(200));
}

// --- redirects ----------------------------------------------------------------

/// A second server on another loopback host: 127.0.0.2 where it can be bound,
/// else the same address under the name `localhost` (a different host to the
/// client all the same).
async fn other_host() -> (TestServer, String) {
    match TestServer::bind("127.0.0.2", |_, _| Reply::status(204)).await {
        Ok(server) => {
            let url = server.url("");
            (server, url)
        }
        Err(_) => {
            let server = TestServer::with_replies(vec![Reply::status(204)]).await;
            let url = server.url("").replace("127.0.0.1", "localhost");
            (server, url)
        }
    }
}

#[tokio::test]
async fn a_redirect_to_another_host_is_not_followed_and_the_credential_stays() {
    let (elsewhere, elsewhere_url) = other_host().await;
    for status in [301, 302, 303, 307, 308] {
        let location = format!("{elsewhere_url}/iam/v2/clients/1/tokens/2");
        let server =
            TestServer::with_replies(vec![Reply::status(status).header("location", &location)])
                .await;
        let err = gcore(&server, Duration::from_secs(5))
            .iam_delete_api_token_v2(1, 2)
            .await
            .unwrap_err();
        let gcore_iam::Error::Status(api) = &err else {
            panic!("{status}: {err:?}")
        };
        assert_eq!(api.status.as_u16(), status);
        assert_eq!(api.headers.get("location").unwrap(), location.as_str());
        assert_eq!(server.requests().len(), 1);
    }
    assert!(
        elsewhere.requests().is_empty(),
        "the other host was called: {:?}",
        elsewhere.requests()
    );
}

#[tokio::test]
async fn with_the_callers_http_client_a_redirect_elsewhere_is_not_followed_either() {
    let (elsewhere, elsewhere_url) = other_host().await;
    let location = format!("{elsewhere_url}/iam/v2/clients/1/tokens/2");
    let server =
        TestServer::with_replies(vec![Reply::status(307).header("location", &location)]).await;
    let mut preset = reqwest::header::HeaderMap::new();
    preset.insert("x-callers-own", "yes".parse().unwrap());
    let client = gcore_iam::Client::builder()
        .credential(SECRET)
        .base_url(server.url(""))
        .default_header("x-team", "billing")
        // reqwest's default policy follows redirects to other hosts; the
        // runtime sets its own over whatever the caller's builder says.
        .http_client(
            reqwest::Client::builder()
                .default_headers(preset)
                .redirect(reqwest::redirect::Policy::limited(10)),
        )
        .build()
        .unwrap();
    let err = client.iam_delete_api_token_v2(1, 2).await.unwrap_err();
    assert!(
        matches!(&err, gcore_iam::Error::Status(api) if api.status.as_u16() == 307),
        "{err:?}"
    );
    let sent = &server.requests()[0];
    assert_eq!(sent.header("x-team"), Some("billing"));
    assert_eq!(sent.header("x-callers-own"), Some("yes"));
    assert!(
        elsewhere.requests().is_empty(),
        "the other host was called: {:?}",
        elsewhere.requests()
    );
}

#[tokio::test]
async fn a_redirect_within_the_same_origin_is_followed_with_the_credential() {
    let server = TestServer::with_script(|n, _| match n {
        0 => Reply::status(308).header("location", "/iam/v2/clients/1/tokens/2/"),
        _ => Reply::status(204),
    })
    .await;
    gcore(&server, Duration::from_secs(5))
        .iam_delete_api_token_v2(1, 2)
        .await
        .unwrap();
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[1].target, "/iam/v2/clients/1/tokens/2/");
    assert_eq!(requests[1].method, "DELETE");
    assert_eq!(
        requests[1].header("authorization"),
        Some(format!("APIKey {SECRET}").as_str())
    );
}

#[tokio::test]
async fn a_redirect_loop_ends_in_an_invalid_response() {
    let server = TestServer::with_replies(vec![
        Reply::status(307).header("location", "/iam/v2/clients/1/tokens/2"),
    ])
    .await;
    let err = gcore(&server, Duration::from_secs(5))
        .iam_delete_api_token_v2(1, 2)
        .await
        .unwrap_err();
    let gcore_iam::Error::InvalidResponse(e) = &err else {
        panic!("{err:?}")
    };
    assert!(e.reason.contains("redirect"), "{}", e.reason);
    assert_eq!(server.requests().len(), gcore_iam::MAX_REDIRECTS + 1);
}

// --- encodings and HTTP versions -----------------------------------------------

/// `text` as a gzip member with one stored (uncompressed) deflate block.
fn gzip(text: &[u8]) -> Vec<u8> {
    let crc = text.iter().fold(!0u32, |mut crc, &b| {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
        crc
    }) ^ !0;
    let len = text.len() as u16;
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff, 1];
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&(!len).to_le_bytes());
    out.extend_from_slice(text);
    out.extend_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(&(text.len() as u32).to_le_bytes());
    out
}

#[tokio::test]
async fn gzip_bodies_are_not_decompressed() {
    // The clients are built without reqwest's decompression features, so a
    // gzip bomb is just a body, capped like any other.
    let compressed = gzip(br#"{"message": "hidden"}"#);
    let server = TestServer::with_replies(vec![
        Reply::body(400, "application/json", compressed.clone()).header("content-encoding", "gzip"),
    ])
    .await;
    let err = gcore(&server, Duration::from_secs(5))
        .iam_delete_api_token_v2(1, 2)
        .await
        .unwrap_err();
    let api = err.api_error().unwrap();
    // Stored deflate blocks keep the text readable inside: what matters is
    // that the body is the gzip member as sent, header and trailer included.
    assert!(api.body.starts_with('\u{1f}'), "{:?}", api.body);
    assert_eq!(api.body, String::from_utf8_lossy(&compressed));
    assert_eq!(api.headers.get("content-encoding").unwrap(), "gzip");
    // Nor does the client ask for compressed responses.
    assert_eq!(server.requests()[0].header("accept-encoding"), None);

    let server = TestServer::with_replies(vec![
        Reply::body(200, "application/json", gzip(cf_ok_body().as_bytes()))
            .header("content-encoding", "gzip"),
    ])
    .await;
    let err = cf_delete(&cloudflare(&server, Duration::from_secs(5)))
        .await
        .unwrap_err();
    assert!(invalid_reason(&err).contains("not JSON"), "{err:?}");
}

#[tokio::test]
async fn http_1_0_servers_work_one_connection_per_call() {
    let server = TestServer::with_replies(vec![Reply::Raw(
        b"HTTP/1.0 204 No Content\r\n\r\n".to_vec(),
    )])
    .await;
    let client = gcore(&server, Duration::from_secs(5));
    for _ in 0..3 {
        client.iam_delete_api_token_v2(1, 2).await.unwrap();
    }
    assert_eq!(server.connections(), 3);

    // A body delimited by the end of the connection, as HTTP/1.0 allows.
    let raw = format!(
        "HTTP/1.0 200 OK\r\ncontent-type: application/json\r\n\r\n{}",
        cf_ok_body()
    );
    let server = TestServer::with_replies(vec![Reply::Raw(raw.into_bytes())]).await;
    let deleted = cf_delete(&cloudflare(&server, Duration::from_secs(5)))
        .await
        .unwrap();
    assert_eq!(*deleted.result.id, TOKEN);

    let server = TestServer::with_replies(vec![Reply::Raw(
        b"HTTP/1.0 404 Not Found\r\n\r\nno such token".to_vec(),
    )])
    .await;
    let err = gcore(&server, Duration::from_secs(5))
        .iam_delete_api_token_v2(1, 2)
        .await
        .unwrap_err();
    assert!(
        matches!(err, gcore_iam::Error::NotFound(ref e) if e.body == "no such token"),
        "{err:?}"
    );
}

#[tokio::test]
async fn connection_close_servers_work_one_connection_per_call() {
    let server = TestServer::with_replies(vec![Reply::Raw(
        b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n".to_vec(),
    )])
    .await;
    let client = gcore(&server, Duration::from_secs(5));
    for _ in 0..3 {
        client.iam_delete_api_token_v2(1, 2).await.unwrap();
    }
    assert_eq!(server.connections(), 3);

    // `connection: close` announced but the server keeps the socket open:
    // the client must not reuse it either.
    let server =
        TestServer::with_replies(vec![Reply::status(204).header("connection", "close")]).await;
    let client = gcore(&server, Duration::from_secs(5));
    for _ in 0..3 {
        client.iam_delete_api_token_v2(1, 2).await.unwrap();
    }
    assert_eq!(server.connections(), 3);
}
