//! Parameter styles on the wire: OpenAPI 3.0.3's "Style Examples" table.
//!
//! `tests/fixtures/styles.yaml` has one operation per style, `explode` and
//! kind of value (the table's empty, `"blue"`, `["blue","black","brown"]`
//! and `{"R":100,"G":200,"B":150}`), each with the parameter `color`. It is
//! generated as a provider in a scratch copy of the workspace, and an example
//! program calls each operation against a loopback server; the test compares
//! what arrived with the table.
//!
//! The table's text, as sent: query text is percent-encoded where RFC 3986
//! requires it (`[`, `]`, `|`), as OpenAPI 3.0.4 writes the same table (3.0.3
//! shows them raw, and its pipeDelimited object row lacks `B|150`). The
//! object's members arrive as B, G, R: typify orders a schema's properties by
//! name, and object members have no order in OpenAPI.

use std::path::PathBuf;

use workspace_tests::{
    Reply, TestServer, run_example_async, scratch_cargo, workspace_with_provider,
};

const ENTRY: &str = r#"
[providers.styles]
spec = "styles.yaml"
crate = "styles"
title = "Styles"
base_url_env = "STYLES_BASE_URL"

[providers.styles.auth]
header = "Authorization"
prefix = "Bearer "
env = "STYLES_TOKEN"
what = "token"
"#;

const EXAMPLE: &str = r#"//! Calls every styled operation against STYLES_BASE_URL.
use styles::types::Rgb;

#[tokio::main]
async fn main() {
    let client = styles::Client::from_env().expect("configured from the environment");
    let array: Vec<String> = ["blue", "black", "brown"].map(String::from).to_vec();
    let rgb = Rgb::new(150, 200, 100);
    let mut sent = Vec::new();
    macro_rules! call {
        ($e:expr) => {
            sent.push($e.await.map_err(|e| e.to_string()))
        };
    }
    call!(client.query_form_n_string().color(""));
    call!(client.query_form_n_string().color("blue"));
    call!(client.query_form_n_array().color(&array));
    call!(client.query_form_n_object().color(&rgb));
    call!(client.query_form_x_string().color(""));
    call!(client.query_form_x_string().color("blue"));
    call!(client.query_form_x_array().color(&array));
    call!(client.query_form_x_object().color(&rgb));
    call!(client.query_space_delimited_n_array().color(&array));
    call!(client.query_space_delimited_n_object().color(&rgb));
    call!(client.query_pipe_delimited_n_array().color(&array));
    call!(client.query_pipe_delimited_n_object().color(&rgb));
    call!(client.query_deep_object_x_object().color(&rgb));
    // Left out, an optional parameter is not sent.
    call!(client.query_deep_object_x_object());
    for value in ["", "blue"] {
        call!(client.path_matrix_n(value));
        call!(client.path_matrix_x(value));
        call!(client.path_label_n(value));
        call!(client.path_label_x(value));
        call!(client.path_simple_n(value));
        call!(client.path_simple_x(value));
    }
    call!(client.cookie().cookie_color(""));
    call!(client.cookie().cookie_color("blue"));
    call!(client.header().x_color("blue"));
    for result in sent {
        println!("{result:?}");
    }
}
"#;

#[tokio::test(flavor = "multi_thread")]
async fn every_row_of_the_style_examples_table_arrives_as_written() {
    let repo: PathBuf = xtask::workspace_root();
    let scratch = tempfile::tempdir().unwrap();
    let root = scratch.path().to_path_buf();
    workspace_with_provider(&repo, &root, "styles.yaml", ENTRY);
    let report = xtask::pipeline::generate(&root, &["styles".to_string()]).unwrap();
    assert!(
        report.contains("progenitor sends no `deepObject` parameter"),
        "{report}"
    );
    assert!(!report.contains("left out"), "{report}");

    let server = TestServer::with_replies(vec![Reply::status(204); 64]).await;
    let env = [
        ("STYLES_TOKEN", "t0ken".to_string()),
        ("STYLES_BASE_URL", server.url("")),
    ];
    let stdout = run_example_async(&repo, &root, "styles", EXAMPLE, &env).await;
    let results: Vec<&str> = stdout.lines().collect();
    let requests = server.requests();
    let mut sent = requests.iter();
    let mut target = || sent.next().map(|r| r.target.clone()).unwrap_or_default();

    // Query: (operation path, what follows `?`), one line of the table each.
    let query = [
        ("form/n/string", "color="),
        ("form/n/string", "color=blue"),
        ("form/n/array", "color=blue,black,brown"),
        ("form/n/object", "color=B,150,G,200,R,100"),
        ("form/x/string", "color="),
        ("form/x/string", "color=blue"),
        ("form/x/array", "color=blue&color=black&color=brown"),
        ("form/x/object", "B=150&G=200&R=100"),
        ("spaceDelimited/n/array", "color=blue%20black%20brown"),
        (
            "spaceDelimited/n/object",
            "color=B%20150%20G%20200%20R%20100",
        ),
        ("pipeDelimited/n/array", "color=blue%7Cblack%7Cbrown"),
        (
            "pipeDelimited/n/object",
            "color=B%7C150%7CG%7C200%7CR%7C100",
        ),
        (
            "deepObject/x/object",
            "color%5BB%5D=150&color%5BG%5D=200&color%5BR%5D=100",
        ),
    ];
    for (path, wire) in query {
        assert_eq!(target(), format!("/query/{path}?{wire}"));
    }
    assert_eq!(target(), "/query/deepObject/x/object");

    // Path: the empty value, then "blue". Label's empty value is `.`, a dot
    // segment the URL parser would remove: refused before sending, as the
    // simple style's empty segment is.
    let path = [
        ("matrix/n", Some(";color"), ";color=blue"),
        ("matrix/x", Some(";color"), ";color=blue"),
        ("label/n", None, ".blue"),
        ("label/x", None, ".blue"),
        ("simple/n", None, "blue"),
        ("simple/x", None, "blue"),
    ];
    for (style, empty) in path.iter().map(|(s, e, _)| (s, e)) {
        if let Some(empty) = empty {
            assert_eq!(target(), format!("/path/{style}/{empty}"));
        }
    }
    for (style, _, blue) in path {
        assert_eq!(target(), format!("/path/{style}/{blue}"));
    }
    let refused = results
        .iter()
        .filter(|r| r.starts_with("Err(") && r.contains("color"))
        .count();
    assert_eq!(refused, 4, "{stdout}");

    // Cookie (form) and header (simple).
    assert_eq!(target(), "/cookie");
    assert_eq!(target(), "/cookie");
    assert_eq!(target(), "/header");
    let n = requests.len();
    assert_eq!(requests[n - 3].header("cookie"), Some("color="));
    assert_eq!(requests[n - 2].header("cookie"), Some("color=blue"));
    assert_eq!(requests[n - 1].header("x-color"), Some("blue"));
    assert_eq!(target(), "", "no more requests");
    assert_eq!(results.len(), n + refused, "{stdout}");
}

const MOCKED: &str = r#"//! The mock expects styled queries as the client sends them.
use styles::mock::{MockServer, MockServerExt};
use styles::types::Rgb;

#[tokio::main]
async fn main() {
    let server = MockServer::start_async().await;
    let client = styles::Client::builder()
        .credential("t0ken")
        .base_url(server.base_url())
        .max_retries(0)
        .build()
        .unwrap();
    let array: Vec<String> = ["blue", "black", "brown"].map(String::from).to_vec();
    let rgb = Rgb::new(150, 200, 100);
    let form = server.query_form_n_array(|when, then| {
        when.color(&array);
        then.no_content();
    });
    let pipe = server.query_pipe_delimited_n_object(|when, then| {
        when.color(&rgb);
        then.no_content();
    });
    let deep = server.query_deep_object_x_object(|when, then| {
        when.color(&rgb);
        then.no_content();
    });
    println!("{:?}", client.query_form_n_array().color(&array).await.map_err(|e| e.to_string()));
    println!("{:?}", client.query_pipe_delimited_n_object().color(&rgb).await.map_err(|e| e.to_string()));
    println!("{:?}", client.query_deep_object_x_object().color(&rgb).await.map_err(|e| e.to_string()));
    form.assert_async().await;
    pipe.assert_async().await;
    deep.assert_async().await;
}
"#;

#[test]
fn the_mock_expects_styled_queries_as_the_client_sends_them() {
    let repo: PathBuf = xtask::workspace_root();
    let scratch = tempfile::tempdir().unwrap();
    let root = scratch.path().to_path_buf();
    workspace_with_provider(&repo, &root, "styles.yaml", ENTRY);
    xtask::pipeline::generate(&root, &["styles".to_string()]).unwrap();
    let examples = root.join("styles/examples");
    std::fs::create_dir_all(&examples).unwrap();
    std::fs::write(examples.join("mocked.rs"), MOCKED).unwrap();
    let args = [
        "run",
        "--offline",
        "--quiet",
        "-p",
        "styles",
        "--features",
        "mock",
    ];
    let run = scratch_cargo(
        &repo,
        &root,
        &[&args[..], &["--example", "mocked"]].concat(),
        &[],
    );
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(stdout, "Ok(())\nOk(())\nOk(())\n");
}
