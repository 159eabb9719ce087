//! The generator against the committed workspace: no drift, reviewed snapshots of
//! what it produces, and a spec change that regenerates into a crate that builds.

use std::path::{Path, PathBuf};
use std::process::Command;

use workspace_tests::{
    Reply, TestServer, copy_dir, run_example_async, scratch_cargo, workspace_with_provider,
};

fn repo() -> PathBuf {
    xtask::workspace_root()
}

/// The same code path as `cargo xtask check`.
#[test]
fn committed_code_matches_the_specs() {
    let check = xtask::pipeline::check(&repo(), &[]).expect("the specs render");
    assert!(check.fresh, "{}", check.report);
}

/// Review changes with `cargo insta review`: a diff here is the change a spec
/// update makes to the public API.
#[test]
fn generated_code_snapshots() {
    let root = repo();
    for provider in xtask::providers::load(&root).unwrap() {
        let output = xtask::pipeline::render(&root, &provider).unwrap();
        for file in &output.files {
            let name = file.path.replace('/', "__");
            insta::assert_snapshot!(name, file.contents);
        }
    }
}

/// `specs/gcore-iam.yaml` is the vendor's document byte for byte: the fenced
/// block of the saved vendor page (committed under `tests/fixtures/seeds/`).
#[test]
fn gcore_spec_is_kept_exactly_as_published() {
    let page = repo().join("tests/fixtures/seeds/gcore-iam-delete-token-page.txt");
    let page = std::fs::read_to_string(&page).unwrap();
    let start = page.find("````yaml").expect("fenced block");
    let body_start = start + page[start..].find('\n').unwrap() + 1;
    let body_end = body_start + page[body_start..].find("````").unwrap();
    let spec = std::fs::read_to_string(repo().join("specs/gcore-iam.yaml")).unwrap();
    assert_eq!(spec, &page[body_start..body_end]);
}

/// A spec change is detected by the drift check, and after `generate` the crate
/// compiles with the new operation (checked by cargo in a scratch workspace).
#[test]
fn a_changed_spec_is_detected_and_regenerates_into_a_compiling_crate() {
    let scratch = tempfile::tempdir().unwrap();
    let root = scratch.path();
    copy_dir(&repo(), root);

    let spec_path = root.join("specs/gcore-iam.yaml");
    let spec = std::fs::read_to_string(&spec_path).unwrap();
    let anchor = "  /iam/v2/clients/{clientId}/tokens/{tokenId}:\n";
    let added = "  /iam/v2/clients/{clientId}/tokens:\n    get:\n      operationId: iamListApiTokensV2\n      summary: List API tokens\n      parameters:\n        - $ref: '#/components/parameters/ClientID'\n        - name: deleted\n          in: query\n          schema:\n            type: boolean\n      responses:\n        '200':\n          description: The tokens.\n          content:\n            application/json:\n              schema:\n                type: array\n                items:\n                  type: object\n                  properties:\n                    id:\n                      type: integer\n                    name:\n                      type: string\n";
    std::fs::write(
        &spec_path,
        spec.replace(anchor, &format!("{added}{anchor}")),
    )
    .unwrap();

    let check = xtask::pipeline::check(root, &[]).unwrap();
    assert!(!check.fresh);
    assert!(
        check.report.contains("pub fn iam_list_api_tokens_v2"),
        "{}",
        check.report
    );

    xtask::pipeline::generate(root, &["gcore-iam".into()]).unwrap();
    assert!(xtask::pipeline::check(root, &[]).unwrap().fresh);

    // Example use of the new operation, compiled as part of the crate's examples.
    std::fs::create_dir_all(root.join("gcore-iam/examples")).unwrap();
    std::fs::write(
        root.join("gcore-iam/examples/list.rs"),
        "#[tokio::main]\nasync fn main() {\n    let client = gcore_iam::Client::new(\"k\").unwrap();\n    let tokens: Vec<gcore_iam::types::IamListApiTokensV2ResponseItem> =\n        client.iam_list_api_tokens_v2(1).deleted(false).await.unwrap_or_default();\n    println!(\"{}\", tokens.len());\n}\n",
    )
    .unwrap();
    let out = scratch_cargo(
        &repo(),
        root,
        &[
            "check",
            "--offline",
            "--quiet",
            "-p",
            "gcore-iam",
            "--no-default-features",
            "--features",
            "full",
            "--example",
            "list",
        ],
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A vendor change the crate must absorb compatibly: in a committed scratch
/// copy of the workspace (after `setup`, which may add a provider or prepare a
/// spec, and write downstream code against it), `edit` changes `spec` (under
/// `specs/`), `generate` runs for `krate`, whose report must be compatible and
/// contain `said`; then the crate's unchanged examples and doctests, and
/// `example` (new code, as `examples/new_code.rs`), must compile. Returns the
/// generated `api.rs` and `generated.rs`.
fn absorbs_compatibly(
    setup: impl FnOnce(&Path),
    spec: &str,
    krate: &str,
    edit: (&str, &str),
    said: &str,
    example: &str,
) -> String {
    let scratch = tempfile::tempdir().unwrap();
    let root = scratch.path();
    copy_dir(&repo(), root);
    setup(root);
    // The change report compares with the crate's last release, read from git.
    for args in [
        &["init", "-q"][..],
        &["add", "-A"],
        &["commit", "-q", "-m", "release"],
    ] {
        let out = Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .current_dir(root)
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .output()
            .expect("git is installed: the change report needs it");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let spec_path = root.join("specs").join(spec);
    let text = std::fs::read_to_string(&spec_path).unwrap();
    let (anchor, replacement) = edit;
    assert!(text.contains(anchor), "{spec} has no {anchor:?}");
    std::fs::write(&spec_path, text.replacen(anchor, replacement, 1)).unwrap();

    let report = xtask::pipeline::generate(root, &[krate.into()]).unwrap();
    assert!(
        report.contains("[compatible]") && !report.contains("[breaking]"),
        "{report}"
    );
    assert!(report.contains(said), "{report}");

    std::fs::write(root.join(krate).join("examples/new_code.rs"), example).unwrap();
    for args in [
        &[
            "check",
            "--offline",
            "--quiet",
            "-p",
            krate,
            "--no-default-features",
            "--features",
            "full",
            "--examples",
        ][..],
        // The crate docs' and README's examples (`no_run`: compiled, not run).
        &[
            "test",
            "--offline",
            "--quiet",
            "-p",
            krate,
            "--no-default-features",
            "--features",
            "full",
            "--doc",
        ],
    ] {
        let out = scratch_cargo(&repo(), root, args, &[]);
        assert!(
            out.status.success(),
            "cargo {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let read =
        |file: &str| std::fs::read_to_string(root.join(krate).join("src").join(file)).unwrap();
    read("api.rs") + &read("generated.rs")
}

/// The vendor adds an optional query parameter to the operation the crate
/// already has: a new setter, and code written before still compiles.
#[test]
fn an_added_optional_parameter_leaves_downstream_code_compiling() {
    let anchor = "        - $ref: '#/components/parameters/TokenID'\n";
    let code = absorbs_compatibly(
        |_| {},
        "gcore-iam.yaml",
        "gcore-iam",
        (
            anchor,
            &format!(
                "{anchor}        - name: force\n          in: query\n          schema:\n            type: boolean\n"
            ),
        ),
        "new optional query parameter `force`",
        "#[tokio::main]\nasync fn main() {\n    let client = gcore_iam::Client::new(\"k\").unwrap();\n    let _ = client.iam_delete_api_token_v2(1, 2).force(true).send().await;\n}\n",
    );
    assert!(
        code.contains("pub fn force(mut self, value: bool) -> Self"),
        "{code}"
    );
}

/// The vendor adds an optional field to a response: code that reads the
/// response (the crate's example reads `result.id`) still compiles.
#[test]
fn an_added_response_field_leaves_downstream_code_compiling() {
    let anchor = "    TokenDeleteResponse:\n";
    let code = absorbs_compatibly(
        |_| {},
        "cloudflare-accounts.yaml",
        "cloudflare-accounts",
        (
            anchor,
            &format!(
                "        name:\n          description: The token's name.\n          type: string\n{anchor}"
            ),
        ),
        "TokenDeleteResult.name: new optional field (String); responses only: callers read this type",
        "#[tokio::main]\nasync fn main() {\n    let client = cloudflare_accounts::Client::new(\"t\").unwrap();\n    let (account, token) = (\"023e105f4ecef8ad9ca31a8372d0c353\".parse().unwrap(), \"ed17574386854bf78a67040be0a770b0\".parse().unwrap());\n    if let Ok(deleted) = client.account_api_tokens_delete_token(&account, &token).await {\n        println!(\"{:?}\", deleted.result.name);\n    }\n}\n",
    );
    assert!(
        code.contains("pub name: ::std::option::Option<::std::string::String>"),
        "{code}"
    );
}

/// The vendor adds a value to an enum the caller reads: code that matches on
/// it compiles unchanged, since the enum is `#[non_exhaustive]` and the match
/// already has its wildcard arm.
#[test]
fn an_added_response_enum_value_leaves_downstream_code_compiling() {
    // Before the release: the result carries a status, and code matches on it.
    let setup = |root: &Path| {
        let spec = root.join("specs/cloudflare-accounts.yaml");
        let text = std::fs::read_to_string(&spec).unwrap();
        let anchor = "    TokenDeleteResponse:\n";
        let status = "        status:\n          type: string\n          enum:\n            - active\n            - disabled\n";
        std::fs::write(
            &spec,
            text.replacen(anchor, &format!("{status}{anchor}"), 1),
        )
        .unwrap();
        xtask::pipeline::generate(root, &["cloudflare-accounts".into()]).unwrap();
        std::fs::write(
            root.join("cloudflare-accounts/examples/status.rs"),
            "use cloudflare_accounts::types::TokenDeleteResultStatus;\n\n#[tokio::main]\nasync fn main() {\n    let client = cloudflare_accounts::Client::new(\"t\").unwrap();\n    let (account, token) = (\"023e105f4ecef8ad9ca31a8372d0c353\".parse().unwrap(), \"ed17574386854bf78a67040be0a770b0\".parse().unwrap());\n    if let Ok(deleted) = client.account_api_tokens_delete_token(&account, &token).await {\n        match deleted.result.status {\n            Some(TokenDeleteResultStatus::Active) => println!(\"active\"),\n            Some(TokenDeleteResultStatus::Disabled) => println!(\"disabled\"),\n            Some(other) => println!(\"{other}\"),\n            None => println!(\"no status\"),\n        }\n    }\n}\n",
        )
        .unwrap();
        // What makes that code safe: a match without the wildcard arm, which a
        // new value would break, does not compile in the first place.
        let exhaustive = root.join("cloudflare-accounts/examples/exhaustive.rs");
        std::fs::write(
            &exhaustive,
            "use cloudflare_accounts::types::TokenDeleteResultStatus;\nfn main() {\n    let s: TokenDeleteResultStatus = \"active\".parse().unwrap();\n    match s {\n        TokenDeleteResultStatus::Active => {}\n        TokenDeleteResultStatus::Disabled => {}\n    }\n}\n",
        )
        .unwrap();
        let args = [
            "check",
            "--offline",
            "--quiet",
            "-p",
            "cloudflare-accounts",
            "--no-default-features",
            "--features",
            "full",
        ];
        let out = scratch_cargo(
            &repo(),
            root,
            &[&args[..], &["--example", "exhaustive"]].concat(),
            &[],
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && stderr.contains("E0004"),
            "{stderr}"
        );
        std::fs::remove_file(exhaustive).unwrap();
    };
    let anchor = "            - disabled\n";
    let code = absorbs_compatibly(
        setup,
        "cloudflare-accounts.yaml",
        "cloudflare-accounts",
        (anchor, &format!("{anchor}            - expired\n")),
        "enum gains \"expired\"",
        "use cloudflare_accounts::types::TokenDeleteResultStatus;\nfn main() {\n    let _ = TokenDeleteResultStatus::Expired;\n}\n",
    );
    assert!(code.contains("Expired"), "{code}");
}

/// What a client generated before the vendor's change receives: an enum value
/// and a `oneOf` branch it was not generated with. The call succeeds, and the
/// new value and branch arrive in the enums' `Unknown` variants, as sent;
/// declared values still decode to their variants, and `FromStr` (how callers
/// make values for requests) still takes only declared ones.
#[tokio::test(flavor = "multi_thread")]
async fn a_client_generated_before_the_vendor_adds_a_value_decodes_it() {
    let scratch = tempfile::tempdir().unwrap();
    let root = scratch.path().to_path_buf();
    copy_dir(&repo(), &root);
    let spec = root.join("specs/cloudflare-accounts.yaml");
    let text = std::fs::read_to_string(&spec).unwrap();
    let anchor = "    TokenDeleteResponse:\n";
    let fields = "        status:\n          type: string\n          enum:\n            - active\n            - disabled\n\
                  \x20       source:\n          oneOf:\n            - $ref: '#/components/schemas/BucketSource'\n            - $ref: '#/components/schemas/UrlSource'\n\
                  \x20   BucketSource:\n      type: object\n      required: [bucket]\n      properties:\n        bucket:\n          type: string\n\
                  \x20   UrlSource:\n      type: object\n      required: [url]\n      properties:\n        url:\n          type: string\n";
    std::fs::write(
        &spec,
        text.replacen(anchor, &format!("{fields}{anchor}"), 1),
    )
    .unwrap();
    xtask::pipeline::generate(&root, &["cloudflare-accounts".into()]).unwrap();

    let result = |status: &str, source: serde_json::Value| {
        Reply::json(
            200,
            &serde_json::json!({
                "success": true, "errors": [], "messages": [],
                "result": {"id": "ed17574386854bf78a67040be0a770b0", "status": status, "source": source}
            }),
        )
    };
    let server = TestServer::with_replies(vec![
        result("active", serde_json::json!({"bucket": "b"})),
        result(
            "expired",
            serde_json::json!({"account": 7, "container": "c"}),
        ),
    ])
    .await;
    let env = [
        ("CLOUDFLARE_API_TOKEN", "t".to_string()),
        ("CLOUDFLARE_BASE_URL", server.url("/client/v4")),
    ];
    let example = r#"use cloudflare_accounts::types::{TokenDeleteResultSource, TokenDeleteResultStatus};

#[tokio::main]
async fn main() {
    let client = cloudflare_accounts::Client::builder().env().max_retries(0).build().unwrap();
    let account = "023e105f4ecef8ad9ca31a8372d0c353".parse().unwrap();
    let token = "ed17574386854bf78a67040be0a770b0".parse().unwrap();
    for _ in 0..2 {
        let deleted = client.account_api_tokens_delete_token(&account, &token).await.unwrap();
        match deleted.result.status {
            Some(TokenDeleteResultStatus::Unknown(value)) => println!("new status {value}"),
            Some(status) => println!("status {status}"),
            None => println!("no status"),
        }
        match deleted.result.source {
            Some(TokenDeleteResultSource::Unknown(value)) => println!("new source {}", value.as_json()),
            Some(TokenDeleteResultSource::BucketSource(s)) => println!("bucket {}", s.bucket),
            Some(_) => println!("other source"),
            None => println!("no source"),
        }
    }
    println!("parse expired: {}", "expired".parse::<TokenDeleteResultStatus>().is_ok());
}
"#;
    let stdout = run_example_async(&repo(), &root, "cloudflare-accounts", example, &env).await;
    assert_eq!(
        stdout,
        "status active\nbucket b\nnew status expired\nnew source {\"account\":7,\"container\":\"c\"}\nparse expired: false\n"
    );
    assert_eq!(server.requests().len(), 2);
}

/// The vendor adds an optional field to a request body: code that builds the
/// body with `new` and setters compiles unchanged, and new code sets the field.
#[test]
fn an_added_request_field_leaves_downstream_code_compiling() {
    let setup = |root: &Path| {
        workspace_tests::add_provider(
            root,
            &repo().join("tests/fixtures/lowered.yaml"),
            workspace_tests::LOWERED_ENTRY,
        );
        xtask::pipeline::generate(root, &["lowered".into()]).unwrap();
        std::fs::create_dir_all(root.join("lowered/examples")).unwrap();
        std::fs::write(
            root.join("lowered/examples/create.rs"),
            "#[tokio::main]\nasync fn main() {\n    let client = lowered::Client::new(\"t\").unwrap();\n    let thing = lowered::types::NewThing::new(\"n\".into());\n    let _ = client.create_thing(&thing).await;\n}\n",
        )
        .unwrap();
    };
    let anchor = "        name: {type: string}\n    Thing:\n";
    let code = absorbs_compatibly(
        setup,
        "lowered.yaml",
        "lowered",
        (
            anchor,
            "        name: {type: string}\n        colour: {type: string}\n    Thing:\n",
        ),
        "NewThing.colour: new optional field",
        "#[tokio::main]\nasync fn main() {\n    let client = lowered::Client::new(\"t\").unwrap();\n    let thing = lowered::types::NewThing::new(\"n\".into()).colour(\"red\".into());\n    let _ = client.create_thing(&thing).await;\n}\n",
    );
    assert!(code.contains("pub colour:"), "{code}");
}

const ACME_ENTRY: &str = r#"
[providers.acme-widgets]
spec = "acme-widgets.yaml"
crate = "acme-widgets"
title = "Acme Widgets"
base_url_env = "ACME_BASE_URL"

[providers.acme-widgets.auth]
header = "X-Api-Key"
prefix = ""
env = "ACME_API_KEY"
what = "API key"
"#;

const ACME_EXAMPLE: &str = r#"//! Calls both operations against ACME_BASE_URL and prints the outcomes.
#[tokio::main]
async fn main() {
    let client = acme_widgets::Client::from_env().expect("configured from the environment");
    // An inline constrained schema gives each operation its own id type.
    let id = "w/1".parse().expect("a valid widget id");
    match client.delete_widgets_by_widget_id(&id).await {
        Ok(()) => println!("delete: ok"),
        Err(e) => println!("delete: {e}"),
    }
    let id = "w/1".parse().expect("a valid widget id");
    match client.get_widget(&id).await {
        Ok(widget) => println!("get: {} {:?}", widget.name, widget.colour),
        Err(e) => println!("get: {e}"),
    }
}
"#;

/// Adding a provider is data only: a spec and a registry entry. `generate`
/// creates the crate and adds it to the workspace; the crate builds, and its
/// client sends the right requests to a loopback server.
#[tokio::test(flavor = "multi_thread")]
async fn a_new_provider_is_one_spec_and_one_entry() {
    let scratch = tempfile::tempdir().unwrap();
    let root = scratch.path().to_path_buf();
    workspace_with_provider(&repo(), &root, "acme-widgets.yaml", ACME_ENTRY);

    let report = xtask::pipeline::generate(&root, &[]).unwrap();
    assert!(report.contains("acme-widgets: 2 operation(s)"), "{report}");
    assert!(
        report.contains("no operationId; using \"delete_widgets_by_widget_id\""),
        "{report}"
    );
    for file in [
        "Cargo.toml",
        "src/lib.rs",
        "src/generated.rs",
        "src/api.rs",
        "src/client.rs",
    ] {
        assert!(
            root.join("acme-widgets").join(file).exists(),
            "{file} was not created"
        );
    }
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    assert!(manifest.contains("\"acme-widgets\""), "{manifest}");
    let check = xtask::pipeline::check(&root, &[]).unwrap();
    assert!(check.fresh, "{}", check.report);

    let server = TestServer::with_replies(vec![
        Reply::status(204),
        Reply::json(
            200,
            &serde_json::json!({"id": "w/1", "name": "sprocket", "colour": null}),
        ),
    ])
    .await;
    let base_url = server.url("/v1");
    let env = [
        ("ACME_API_KEY", "acme-key".to_string()),
        ("ACME_BASE_URL", base_url),
    ];
    let stdout = run_example_async(&repo(), &root, "acme-widgets", ACME_EXAMPLE, &env).await;
    assert_eq!(stdout, "delete: ok\nget: sprocket None\n");

    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        (requests[0].method.as_str(), requests[0].target.as_str()),
        ("DELETE", "/v1/widgets/w%2F1")
    );
    assert_eq!(
        (requests[1].method.as_str(), requests[1].target.as_str()),
        ("GET", "/v1/widgets/w%2F1")
    );
    for request in &requests {
        assert_eq!(request.header("x-api-key"), Some("acme-key"));
        assert_eq!(request.header("user-agent"), Some("acme-widgets/0.1.0"));
    }
}
