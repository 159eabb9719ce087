//! List operations page through a loopback server as streams.
//!
//! Two of the operations come from the vendors' own published documents (the
//! corpus in `tests/vendor-specs/`): Gcore's `GET /iam/users` pages by
//! `limit`/`offset` with `count`/`results`, Cloudflare's `GET /accounts` by
//! `page`/`per_page` with `result`. They are sliced out as providers with the
//! same `[[pagination]]` patterns as `specs/providers.toml` declares for the
//! shipped crates. The third style, an opaque cursor, comes from
//! `tests/fixtures/cursor-events.yaml`. An example program per crate reads the
//! streams; the test checks the items it printed and the requests the server
//! received.

use std::path::{Path, PathBuf};

use workspace_tests::{Captured, Reply, TestServer, add_provider, copy_dir, run_example_async};

fn repo() -> PathBuf {
    xtask::workspace_root()
}

const GCORE: &str = r#"
[providers.gcore-users]
spec = "gcore-iam_api.yaml"
crate = "gcore-users"
title = "Gcore IAM users"
base_url_env = "GCORE_BASE_URL"
operations = ["iamGetUsers"]

[providers.gcore-users.auth]
header = "Authorization"
prefix = "APIKey "
env = "GCORE_API_KEY"
what = "API key"

[[providers.gcore-users.pagination]]
style = "offset"
offset = "offset"
items = "results"
total = "count"
"#;

const CLOUDFLARE: &str = r#"
[providers.cloudflare-list]
spec = "cloudflare-openapi-2024-08-06.json"
crate = "cloudflare-list"
title = "Cloudflare accounts list"
base_url_env = "CLOUDFLARE_BASE_URL"
operations = ["accounts-list-accounts"]

[providers.cloudflare-list.auth]
header = "Authorization"
prefix = "Bearer "
env = "CLOUDFLARE_API_TOKEN"
what = "API token"

[providers.cloudflare-list.envelope]
success = "success"
errors = "errors"

[[providers.cloudflare-list.pagination]]
style = "page"
page = "page"
items = "result"
total_pages = "result_info.total_pages"
"#;

const EVENTS: &str = r#"
[providers.cursor-events]
spec = "cursor-events.yaml"
crate = "cursor-events"
title = "Events"
base_url_env = "EVENTS_BASE_URL"

[providers.cursor-events.auth]
header = "X-Api-Key"
prefix = ""
env = "EVENTS_API_KEY"
what = "API key"

[[providers.cursor-events.pagination]]
style = "cursor"
cursor = "cursor"
items = "data"
next = "next_cursor"
"#;

/// A user as Gcore's `User` schema requires it.
fn user(id: u64) -> serde_json::Value {
    serde_json::json!({
        "id": id, "email": format!("u{id}@example.com"), "name": null, "lang": "en",
        "phone": null, "company": "Example", "reseller": 1, "client": 7, "deleted": false,
        "groups": [], "activated": true, "sso_auth": false, "two_fa": false,
        "auth_types": [], "user_type": "common", "is_active": true, "client_and_roles": []
    })
}

fn users(count: u64, ids: &[u64]) -> Reply {
    let results: Vec<_> = ids.iter().map(|&id| user(id)).collect();
    Reply::json(
        200,
        &serde_json::json!({"count": count, "results": results}),
    )
}

fn accounts(ids: &[&str]) -> Reply {
    let result: Vec<_> = ids
        .iter()
        .map(|id| serde_json::json!({"id": id, "name": format!("account {id}")}))
        .collect();
    Reply::json(
        200,
        &serde_json::json!({
            "success": true, "errors": [], "messages": [], "result": result,
            "result_info": {"page": 1, "per_page": 2, "count": ids.len(), "total_count": 3}
        }),
    )
}

fn events(ids: &[&str], next: Option<&str>) -> Reply {
    let data: Vec<_> = ids.iter().map(|id| serde_json::json!({"id": id})).collect();
    Reply::json(200, &serde_json::json!({"data": data, "next_cursor": next}))
}

/// Runs `source` as an example of `package` against a server answering with
/// `replies`; returns what it printed and the requests the server received.
async fn run(
    root: &Path,
    package: &'static str,
    env: [&'static str; 2],
    source: &'static str,
    replies: Vec<Reply>,
) -> (String, Vec<Captured>) {
    run_on(
        root,
        package,
        env,
        source,
        TestServer::with_replies(replies).await,
    )
    .await
}

/// [`run`] against a server of the test's making.
async fn run_on(
    root: &Path,
    package: &'static str,
    env: [&'static str; 2],
    source: &'static str,
    server: TestServer,
) -> (String, Vec<Captured>) {
    let env = [(env[0], "secret".to_string()), (env[1], server.url("/v1"))];
    let stdout = run_example_async(&repo(), root, package, source, &env).await;
    (stdout, server.requests())
}

fn targets(requests: &[Captured]) -> Vec<&str> {
    requests.iter().map(|r| r.target.as_str()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn list_operations_page_through_a_loopback_server_as_streams() {
    let scratch = tempfile::tempdir().unwrap();
    let root = scratch.path();
    copy_dir(&repo(), root);
    let vendor = repo().join("tests/vendor-specs");
    add_provider(root, &vendor.join("gcore-iam_api.yaml"), GCORE);
    add_provider(
        root,
        &vendor.join("cloudflare-openapi-2024-08-06.json"),
        CLOUDFLARE,
    );
    add_provider(
        root,
        &repo().join("tests/fixtures/cursor-events.yaml"),
        EVENTS,
    );
    xtask::pipeline::generate(
        root,
        &[
            "gcore-users".into(),
            "cloudflare-list".into(),
            "cursor-events".into(),
        ],
    )
    .unwrap();

    // Gcore: limit/offset, stopping at the `count` the server reports; then a
    // server that ignores `offset` and sends the same page again.
    let (stdout, requests) = run(
        root,
        "gcore-users",
        ["GCORE_API_KEY", "GCORE_BASE_URL"],
        r#"#[tokio::main]
async fn main() {
    let client = gcore_users::Client::from_env().unwrap();
    let all = client.iam_get_users().limit(2).items().try_collect().await.unwrap();
    let ids: Vec<String> = all.iter().map(|u| u.id.to_string()).collect();
    println!("all: {}", ids.join(" "));
    let mut stream = client.iam_get_users().limit(2).offset(10).items();
    let mut ids = Vec::new();
    while let Some(user) = stream.next().await {
        ids.push(user.unwrap().id.to_string());
    }
    println!("repeated: {}", ids.join(" "));
}
"#,
        vec![
            users(5, &[1, 2]),
            users(5, &[3, 4]),
            users(5, &[5]),
            users(100, &[1, 2]),
            users(100, &[1, 2]),
            Reply::status(500),
        ],
    )
    .await;
    assert_eq!(stdout, "all: 1 2 3 4 5\nrepeated: 1 2\n");
    assert_eq!(
        targets(&requests),
        [
            "/v1/iam/users?limit=2&offset=0",
            "/v1/iam/users?limit=2&offset=2",
            "/v1/iam/users?limit=2&offset=4",
            "/v1/iam/users?limit=2&offset=10",
            "/v1/iam/users?limit=2&offset=12",
        ]
    );
    for request in &requests {
        assert_eq!(request.method, "GET");
        assert_eq!(request.header("authorization"), Some("APIKey secret"));
    }

    // Cloudflare: page numbers until an empty page, as Cloudflare's own SDKs
    // read them; the second page fails once and is retried.
    let (stdout, requests) = run(
        root,
        "cloudflare-list",
        ["CLOUDFLARE_API_TOKEN", "CLOUDFLARE_BASE_URL"],
        r#"#[tokio::main]
async fn main() {
    let client = cloudflare_list::Client::builder()
        .env()
        .retry_backoff(std::time::Duration::from_millis(1), std::time::Duration::from_millis(2))
        .build()
        .unwrap();
    let all = client.accounts_list_accounts().per_page(2.0).items().try_collect().await.unwrap();
    let ids: Vec<&str> = all.iter().map(|a| a["id"].as_str().unwrap()).collect();
    println!("{}", ids.join(" "));
}
"#,
        vec![
            accounts(&["a1", "a2"]),
            Reply::status(503),
            accounts(&["a3"]),
            accounts(&[]),
            Reply::status(500),
        ],
    )
    .await;
    assert_eq!(stdout, "a1 a2 a3\n");
    let pages: Vec<String> = requests
        .iter()
        .map(|r| {
            let query = r.target.split_once('?').map_or("", |(_, q)| q);
            let mut pairs: Vec<&str> = query.split('&').collect();
            pairs.sort_unstable();
            format!(
                "{} {}",
                r.target.split('?').next().unwrap(),
                pairs.join("&")
            )
        })
        .collect();
    assert_eq!(
        pages,
        [
            "/v1/accounts page=1&per_page=2",
            "/v1/accounts page=2&per_page=2",
            "/v1/accounts page=2&per_page=2",
            "/v1/accounts page=3&per_page=2",
        ]
    );
    for request in &requests {
        assert_eq!(request.header("authorization"), Some("Bearer secret"));
    }

    // A server that ignores `page` but changes a field on every page: no page
    // repeats, none is empty, so only the page limit ends the list (this
    // example ran forever before there was one).
    let server = TestServer::with_script(|n, _| {
        let mut page = accounts(&["a1"]);
        if let Reply::Respond { body, .. } = &mut page {
            *body = String::from_utf8_lossy(body)
                .replace("account a1", &format!("account a1, read {n} times"))
                .into_bytes();
        }
        page
    })
    .await;
    let (stdout, requests) = run_on(
        root,
        "cloudflare-list",
        ["CLOUDFLARE_API_TOKEN", "CLOUDFLARE_BASE_URL"],
        r#"#[tokio::main]
async fn main() {
    let client = cloudflare_list::Client::from_env().unwrap();
    let mut stream = client.accounts_list_accounts().items();
    let (mut read, mut last) = (0, None);
    while let Some(item) = stream.next().await {
        match item {
            Ok(_) => read += 1,
            Err(e) => last = Some(e),
        }
    }
    println!("default: {read} items, then {:?}", last.map(|e| e.to_string()));
    let few = client.accounts_list_accounts().items().max_pages(3).try_collect().await;
    println!("max_pages(3): {:?}", few.map(|all| all.len()).map_err(|e| e.to_string()));
}
"#,
        server,
    )
    .await;
    let limit = cloudflare_accounts::DEFAULT_MAX_PAGES;
    let reason = |pages: u64| {
        format!(
            "{:?}",
            format!(
                "the list did not end within {pages} pages (the server may ignore the page \
                 parameter; if the list is this long, raise `Items::max_pages`)"
            )
        )
    };
    assert_eq!(
        stdout,
        format!(
            "default: {limit} items, then Some({})\nmax_pages(3): Err({})\n",
            reason(limit),
            reason(3)
        )
    );
    assert_eq!(requests.len() as u64, limit + 3);

    // A cursor: sent back until the server has none.
    let (stdout, requests) = run(
        root,
        "cursor-events",
        ["EVENTS_API_KEY", "EVENTS_BASE_URL"],
        r#"#[tokio::main]
async fn main() {
    let client = cursor_events::Client::from_env().unwrap();
    let all = client.list_events().items().try_collect().await.unwrap();
    let ids: Vec<&str> = all.iter().map(|e| e.id.as_str()).collect();
    println!("{}", ids.join(" "));
}
"#,
        vec![
            events(&["e1"], Some("c/2")),
            events(&["e2"], Some("c3")),
            events(&["e3"], None),
            Reply::status(500),
        ],
    )
    .await;
    assert_eq!(stdout, "e1 e2 e3\n");
    assert_eq!(
        targets(&requests),
        [
            "/v1/events",
            "/v1/events?cursor=c%2F2",
            "/v1/events?cursor=c3"
        ]
    );
}
