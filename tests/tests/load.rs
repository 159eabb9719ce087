//! Load against a loopback server: many concurrent calls from one client reuse
//! a bounded set of connections, memory stays flat across rounds, and injected
//! failures are retried exactly once each.
//!
//! Sizes are modest so that these run in seconds; the assertions are about
//! counts and bounds, never about speed.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use workspace_tests::{Reply, TestServer};

const CALLS: i64 = 1_000;

fn client(server: &TestServer) -> gcore_iam::Client {
    gcore_iam::Client::builder()
        .credential("load-test-key")
        .base_url(server.url(""))
        .timeout(Duration::from_secs(30))
        .retry_backoff(Duration::from_millis(1), Duration::from_millis(4))
        .build()
        .unwrap()
}

/// Runs `CALLS` deletes at once; returns the errors.
async fn burst(client: &gcore_iam::Client) -> Vec<gcore_iam::Error> {
    let mut calls = tokio::task::JoinSet::new();
    for token in 0..CALLS {
        let client = client.clone();
        calls.spawn(async move { client.iam_delete_api_token_v2(42, token).await });
    }
    let mut errors = Vec::new();
    while let Some(done) = calls.join_next().await {
        if let Err(e) = done.expect("no call panics") {
            errors.push(e);
        }
    }
    errors
}

fn all_succeeded(errors: Vec<gcore_iam::Error>) {
    assert!(
        errors.is_empty(),
        "{} failed: {:?}",
        errors.len(),
        errors.first()
    );
}

/// `VmRSS` and `VmHWM` of this process, in KiB.
fn memory() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_deletes_reuse_connections_and_memory_stays_flat() {
    let server = TestServer::with_replies(vec![Reply::status(204)]).await;
    let client = client(&server);

    all_succeeded(burst(&client).await);
    let after_first = server.connections();
    eprintln!("connections after the first burst: {after_first}");
    assert!(
        // The limit bounds requests in flight; a connection is handed back to
        // the pool just after its response, so a few more may open meanwhile.
        after_first <= 2 * gcore_iam::DEFAULT_MAX_CONCURRENT_REQUESTS,
        "{after_first} connections for {CALLS} calls"
    );

    all_succeeded(burst(&client).await);
    let added = server.connections() - after_first;
    eprintln!("connections added by the second burst: {added}");
    assert!(
        added <= 16,
        "the second burst opened {added} new connections"
    );

    assert_eq!(server.requests().len(), 2 * CALLS as usize);
    let mut rss = Vec::new();
    for _ in 0..10 {
        // The recorded requests would grow by design; only the client's
        // memory is under test.
        server.clear_requests();
        all_succeeded(burst(&client).await);
        assert_eq!(server.requests().len(), CALLS as usize);
        rss.push(memory());
    }
    eprintln!("(VmRSS, VmHWM) KiB after each round: {rss:?}");
    if rss[2].0 > 0 {
        // Generous against allocator noise (other tests of this binary run
        // alongside), tight enough that keeping ~1 KiB per call (7,000 calls
        // after round 3) would fail.
        let growth = rss[9].0.saturating_sub(rss[2].0);
        assert!(growth < 6 * 1024, "VmRSS grew by {growth} KiB: {rss:?}");
        let peak = rss[9].1.saturating_sub(rss[2].1);
        assert!(peak < 6 * 1024, "VmHWM grew by {peak} KiB: {rss:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_percent_503s_are_each_retried_once() {
    let seen = Arc::new(Mutex::new(HashSet::new()));
    let injected = Arc::new(AtomicUsize::new(0));
    let server = TestServer::with_script({
        let seen = seen.clone();
        let injected = injected.clone();
        move |_, request| {
            let token: i64 = request
                .target
                .rsplit('/')
                .next()
                .and_then(|t| t.parse().ok())
                .unwrap_or(-1);
            let first = seen.lock().unwrap().insert(token);
            if first && token % 10 == 0 {
                injected.fetch_add(1, Ordering::SeqCst);
                Reply::status(503).header("retry-after-ms", "1")
            } else {
                Reply::status(204)
            }
        }
    })
    .await;
    let client = client(&server);
    all_succeeded(burst(&client).await);
    let injected = injected.load(Ordering::SeqCst);
    assert_eq!(injected, CALLS as usize / 10);
    assert_eq!(server.requests().len(), CALLS as usize + injected);
}
