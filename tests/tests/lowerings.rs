//! What the generator lowers still works on the wire.
//!
//! `tests/fixtures/lowered.yaml` holds one operation per lowering that needs a
//! different request or response handling (see `xtask/src/lower.rs`). It is
//! generated as a provider in a scratch copy of the workspace, and an example
//! program calls each operation against a loopback server: the test checks
//! what the server received and what the methods returned.

use std::path::PathBuf;

use workspace_tests::{
    LOWERED_ENTRY, Reply, TestServer, run_example_async, workspace_with_provider,
};

fn repo() -> PathBuf {
    xtask::workspace_root()
}

const EXAMPLE: &str = r#"//! Calls every lowered operation against LOWERED_BASE_URL.
use lowered::types;

#[tokio::main]
async fn main() {
    let client = lowered::Client::from_env().expect("configured from the environment");
    // Request bodies are `#[non_exhaustive]`: built with `new` and setters.
    let form = types::UploadFormBody::new("a \"quoted\" name".into())
        .size(3)
        .tags(vec!["x".into(), "y".into()]);
    println!("upload: {:?}", client.upload_form(7, &form).await.map_err(|e| e.to_string()));
    println!("image: {:?}", client.put_image("i1", b"\x89PNG".to_vec()).await.map_err(|e| e.to_string()));
    let new = types::NewThing::new("n".into());
    match client.create_thing(&new).await {
        Ok(types::CreateThingResponse::Thing(t)) => println!("create: thing {}", t.id),
        Ok(types::CreateThingResponse::Job(j)) => println!("create: job {}", j.job),
        // The enum is `#[non_exhaustive]`: a kind of response the vendor adds lands here.
        Ok(other) => println!("create: {other:?}"),
        Err(e) => println!("create: {e}"),
    }
    match client.create_thing(&new).await {
        Ok(types::CreateThingResponse::Thing(t)) => println!("create: thing {}", t.id),
        Ok(types::CreateThingResponse::Job(j)) => println!("create: job {}", j.job),
        // The enum is `#[non_exhaustive]`: a kind of response the vendor adds lands here.
        Ok(other) => println!("create: {other:?}"),
        Err(e) => println!("create: {e}"),
    }
    for _ in 0..2 {
        match client.get_thing("t1").await {
            Ok(Some(t)) => println!("get: {}", t.name),
            Ok(None) => println!("get: none"),
            Err(e) => println!("get: {e}"),
        }
    }
    let body = serde_json::json!({"why": "old"});
    match client.delete_tag("t1", "blue").body(&body).await {
        Ok(v) => println!("delete: {v}"),
        Err(e) => println!("delete: {e}"),
    }
    match client.delete_tag("t1", "red").await {
        Ok(v) => println!("delete: {v}"),
        Err(e) => println!("delete: {e}"),
    }
    let rule = client.get_rule("r1").id_query("q1").id_header("h1").await;
    println!("rule: {:?}", rule.map_err(|e| e.to_string()));
    let labels = client.put_labels("a,b").await;
    println!("labels: {:?}", labels.map(|_| ()).map_err(|e| e.to_string()));
    let session = client.get_session("s1").cookie_theme("dark").send().await;
    println!("session: {:?}", session.map_err(|e| e.to_string()));
    let refused = client.get_session("has space").await;
    println!("refused: {}", refused.is_err());
    let cors = client.probe_cors().await;
    println!("cors: {:?}", cors.map_err(|e| e.to_string()));
}
"#;

#[tokio::test(flavor = "multi_thread")]
async fn lowered_operations_send_and_decode_what_the_spec_says() {
    let scratch = tempfile::tempdir().unwrap();
    let root = scratch.path().to_path_buf();
    workspace_with_provider(&repo(), &root, "lowered.yaml", LOWERED_ENTRY);

    let report = xtask::pipeline::generate(&root, &["lowered".to_string()]).unwrap();
    for kind in [
        "multipart/form-data: the method takes the form's fields",
        "the image/png body is taken as raw bytes",
        "the client sends application/json (left out: application/x-www-form-urlencoded)",
        "the success responses differ: 200 (JSON), 202 (JSON)",
        "the success responses differ: 200 (JSON), 204 (no body)",
        "generated as a required string parameter `tag`",
        "the request body has no schema",
        "the response body has no schema",
        "the query parameter `id` has the Rust name of another parameter; its argument is `id_query`",
        "the header parameter `ID` has the Rust name of another parameter; its argument is `id_header`",
        "a path parameter is sent as one piece of text",
        "the operation declares no responses",
        "the cookie `theme` is an argument like a header's",
    ] {
        assert!(report.contains(kind), "missing note {kind:?} in\n{report}");
    }
    // Strict mode refuses the same document, naming what it would lower.
    let strict = xtask::pipeline::generate_with(
        &root,
        &["lowered".to_string()],
        &xtask::pipeline::GenerateOptions {
            bump: false,
            strict: true,
            ..Default::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(strict.contains("strict mode"), "{strict}");
    assert!(strict.contains("lowered.yaml:21"), "{strict}");

    let server = TestServer::with_replies(vec![
        Reply::status(204),
        Reply::status(204),
        Reply::json(200, &serde_json::json!({"id": "t9", "name": "made"})),
        Reply::json(202, &serde_json::json!({"job": 5})),
        Reply::json(200, &serde_json::json!({"id": "t1", "name": "one"})),
        Reply::status(204),
        Reply::json(200, &serde_json::json!({"deleted": true})),
        Reply::json(200, &serde_json::json!({"deleted": true})),
        Reply::status(204),
        Reply::json(201, &serde_json::json!({"ignored": true})),
        Reply::status(204),
        Reply::status(204),
    ])
    .await;
    let base_url = server.url("");
    let env = [
        ("LOWERED_TOKEN", "t0ken".to_string()),
        ("LOWERED_BASE_URL", base_url),
    ];
    let stdout = run_example_async(&repo(), &root, "lowered", EXAMPLE, &env).await;
    assert_eq!(
        stdout,
        "upload: Ok(())\nimage: Ok(())\ncreate: thing t9\ncreate: job 5\n\
         get: one\nget: none\ndelete: {\"deleted\":true}\ndelete: {\"deleted\":true}\n\
         rule: Ok(())\nlabels: Ok(())\nsession: Ok(())\nrefused: true\ncors: Ok(())\n"
    );

    let requests = server.requests();
    // The refused cookie never left the client.
    assert_eq!(requests.len(), 12);
    let line = |i: usize| {
        (
            requests[i].method.as_str(),
            requests[i].target.as_str(),
            requests[i].header("content-type").unwrap_or(""),
        )
    };

    // multipart/form-data: one part per field and per array element.
    let (method, target, content_type) = line(0);
    assert_eq!((method, target), ("POST", "/forms/7/upload"));
    let boundary = content_type
        .strip_prefix("multipart/form-data; boundary=")
        .unwrap_or_else(|| panic!("not multipart: {content_type}"));
    let part = |name: &str, value: &str| {
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        )
    };
    let expected = format!(
        "{}{}{}{}--{boundary}--\r\n",
        part("name", "a \"quoted\" name"),
        part("size", "3"),
        part("tags", "x"),
        part("tags", "y"),
    );
    assert_eq!(String::from_utf8_lossy(&requests[0].body), expected);

    // A raw body under the media type the spec declares.
    assert_eq!(line(1), ("PUT", "/images/i1", "image/png"));
    assert_eq!(requests[1].body, b"\x89PNG");

    // JSON chosen among several request media types.
    assert_eq!(line(2), ("POST", "/things", "application/json"));
    assert_eq!(requests[2].body, br#"{"name":"n"}"#);

    // 200 or 204: the same method, `None` for the empty body.
    assert_eq!(line(4).0, "GET");
    assert_eq!(line(5).1, "/things/t1");

    // An undeclared template variable is a parameter; a schema-less body is
    // any JSON value.
    assert_eq!(
        line(6),
        ("DELETE", "/things/t1/tags/blue", "application/json")
    );
    assert_eq!(requests[6].body, br#"{"why":"old"}"#);
    // Left out, it goes out empty but labelled JSON, as Cloudflare's SDK
    // sends its DELETEs.
    assert_eq!(
        line(7),
        ("DELETE", "/things/t1/tags/red", "application/json")
    );
    assert_eq!(requests[7].body, b"");
    // hyper leaves Content-Length out of a body-less DELETE; nothing may
    // announce a body either.
    assert_eq!(requests[7].header("transfer-encoding"), None);
    assert!(matches!(
        requests[7].header("content-length"),
        None | Some("0")
    ));

    // Parameters renamed apart in Rust travel under their declared names.
    assert_eq!(line(8).1, "/rules/r1?id=q1");
    assert_eq!(requests[8].header("id"), Some("h1"));
    // An array path parameter taken as text; `,` is sent as the spec's
    // `simple` style writes it.
    assert_eq!((line(9).0, line(9).1), ("PUT", "/labels/a,b"));
    // Cookie parameters, the path item's and the operation's, in one header.
    assert_eq!(line(10).1, "/session");
    assert_eq!(
        requests[10].header("cookie"),
        Some("session=s1; theme=dark")
    );
    assert_eq!(requests[10].header("cookie-session"), None);
    // A method reqwest has no shorthand for goes out as itself.
    assert_eq!(line(11), ("OPTIONS", "/cors", ""));
    for request in &requests {
        assert_eq!(request.header("authorization"), Some("Bearer t0ken"));
    }

    // The registry declares `idempotency_header`: each POST carries a key of
    // its own (the runtime's), the idempotent methods none.
    let keys: Vec<Option<&str>> = requests
        .iter()
        .map(|r| r.header("idempotency-key"))
        .collect();
    for (request, key) in requests.iter().zip(&keys) {
        assert_eq!(key.is_some(), request.method == "POST", "{request:?}");
    }
    let posted: std::collections::BTreeSet<_> = keys.iter().flatten().collect();
    assert_eq!(posted.len(), 3, "one key per call: {keys:?}");
}
