//! `specs/providers.toml` is data: the xtask binary on a scratch copy of the
//! workspace with a hostile registry. Values that would change what a
//! generated file means are refused with the entry, the key and the reason,
//! and nothing is written; crate names that are the workspace's own folders
//! are refused before their files are overwritten; and text that is valid
//! but full of syntax (quotes, backslashes, backticks, `|`, `<`, `*/`)
//! lands in each generated file as text.

use std::path::Path;
use std::process::{Command, Output};

mod common;
use common::{hashes, scratch, text};

fn generate(root: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("generate")
        .env("XTASK_ROOT", root)
        .output()
        .unwrap()
}

/// The registry of `root` with every `from` replaced by `to` (which must occur).
fn edit_registry(root: &Path, from: &str, to: &str) {
    let path = root.join("specs/providers.toml");
    let registry = std::fs::read_to_string(&path).unwrap();
    assert!(registry.contains(from), "{from:?} is not in the registry");
    std::fs::write(&path, registry.replace(from, to)).unwrap();
}

/// Each case: the edit to Gcore's entry, and what the error must name.
#[test]
fn values_that_would_change_a_generated_file_are_refused_and_nothing_is_written() {
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "title = \"Gcore IAM\"",
            "title = \"Gcore IAM\\n```rust\\nfn main() { std::process::exit(3) }\\n```\"",
            &["[providers.gcore-iam]", "title = ", "line break"],
        ),
        (
            "title = \"Gcore IAM\"",
            "title = \"Gcore\\u202EIAM\"",
            &["[providers.gcore-iam]", "title = ", "bidirectional"],
        ),
        (
            "what = \"API key\"",
            "what = \"key\\r\\n\\r\\n    evil();\"",
            &["[providers.gcore-iam.auth]", "what = ", "line break"],
        ),
        (
            "header = \"Authorization\"\nprefix = \"APIKey \"",
            "header = \"Host\"\nprefix = \"APIKey \"",
            &[
                "[providers.gcore-iam.auth]",
                "header = \"Host\"",
                "frames the request",
            ],
        ),
        (
            "header = \"Authorization\"\nprefix = \"APIKey \"",
            "header = \"X-Key: 1\\r\\nX-Other\"\nprefix = \"APIKey \"",
            &[
                "[providers.gcore-iam.auth]",
                "header = ",
                "HTTP header name",
            ],
        ),
        (
            "crate = \"gcore-iam\"\n",
            "crate = \"gcore-iam\"\nidempotency_header = \"Idempotency Key\"\n",
            &[
                "[providers.gcore-iam]",
                "idempotency_header = ",
                "HTTP header name",
            ],
        ),
        (
            "crate = \"gcore-iam\"\n",
            "crate = \"gcore-iam\"\nidempotency_header = \"authorization\"\n",
            &[
                "[providers.gcore-iam]",
                "idempotency_header = ",
                "the credential's header",
            ],
        ),
        (
            "prefix = \"APIKey \"",
            "prefix = \"APIKey\\r\\nHost: evil.example\\r\\n\"",
            &[
                "[providers.gcore-iam.auth]",
                "prefix = ",
                "header value prefix",
            ],
        ),
        (
            "env = \"GCORE_API_KEY\"",
            "env = \"GCORE_API_KEY\\n}\\nfn evil() {\"",
            &["[providers.gcore-iam.auth]", "env = ", "[A-Z_][A-Z0-9_]*"],
        ),
        (
            "base_url_env = \"GCORE_BASE_URL\"",
            "base_url_env = \"gcore url\"",
            &[
                "[providers.gcore-iam]",
                "base_url_env = ",
                "[A-Z_][A-Z0-9_]*",
            ],
        ),
        (
            "spec = \"gcore-iam.yaml\"",
            "spec = \"../specs/gcore-iam.yaml\"",
            &["[providers.gcore-iam]", "spec = ", "inside specs/"],
        ),
        (
            "providers.gcore-iam",
            "providers.\"gcore iam\"",
            &["[providers.\"gcore iam\"]", "provider name is refused"],
        ),
    ];
    for (from, to, expected) in cases {
        let dir = scratch();
        edit_registry(dir.path(), from, to);
        let before = hashes(dir.path());
        let out = generate(dir.path());
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{to}: {stderr}");
        for needle in *expected {
            assert!(stderr.contains(needle), "{to}: no {needle:?} in: {stderr}");
        }
        assert_eq!(hashes(dir.path()), before, "{to}: files were written");
    }
}

/// `crate = "openapi-client-runtime"` (or any of the workspace's own
/// packages and folders) would have the generator write its README and
/// `src/` files over the hand-written ones.
#[test]
fn a_crate_name_that_is_the_workspaces_own_folder_is_refused() {
    for name in ["openapi-client-runtime", "xtask", "tests", "target"] {
        let dir = scratch();
        let own = dir.path().join(name);
        std::fs::create_dir_all(own.join("src")).unwrap();
        std::fs::write(own.join("README.md"), "hand-written\n").unwrap();
        std::fs::write(own.join("src/client.rs"), "// hand-written\n").unwrap();
        edit_registry(
            dir.path(),
            "crate = \"gcore-iam\"",
            &format!("crate = \"{name}\""),
        );
        let out = generate(dir.path());
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {stderr}");
        assert!(
            stderr.contains(&format!("crate = \"{name}\""))
                && stderr.contains("the workspace's own package or folder"),
            "{name}: {stderr}"
        );
        assert_eq!(
            std::fs::read_to_string(own.join("README.md")).unwrap(),
            "hand-written\n"
        );
        assert_eq!(
            std::fs::read_to_string(own.join("src/client.rs")).unwrap(),
            "// hand-written\n"
        );
    }
}

/// A folder no list can know of (`docs/`): what decides is whether the files
/// generation would replace are generated ones.
#[test]
fn a_crate_folder_with_hand_written_files_is_refused_and_a_generated_one_is_not() {
    let dir = scratch();
    let docs = dir.path().join("docs");
    std::fs::create_dir_all(&docs).unwrap();
    std::fs::write(docs.join("README.md"), "# Our docs\n").unwrap();
    edit_registry(dir.path(), "crate = \"gcore-iam\"", "crate = \"docs\"");
    let out = generate(dir.path());
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("[providers.gcore-iam]: crate = \"docs\" is refused")
            && stderr.contains("docs/README.md exists and was not written by the generator"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(docs.join("README.md")).unwrap(),
        "# Our docs\n"
    );
    // A folder with other files but nothing of a client's is refused too.
    std::fs::remove_file(docs.join("README.md")).unwrap();
    std::fs::write(docs.join("guide.md"), "# Guide\n").unwrap();
    let out = generate(dir.path());
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("is not a generated client"), "{stderr}");

    // The committed crates are generated clients: regenerating them is fine.
    let dir = scratch();
    let out = generate(dir.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
}

/// Text that passes (one printable line) but is full of syntax for every
/// place it goes. A new provider is scaffolded with it: its manifest parses
/// and holds the title as a plain string, the `PROVIDER` literal holds the
/// exact values, and the Markdown (README, crate docs) shows them without
/// opening a code span, a table cell, a link or HTML.
#[test]
fn valid_text_full_of_syntax_lands_as_text_in_every_generated_file() {
    const TITLE: &str = r#"Acme "Widgets" \ 'x' ``` */ /* <b> [Client] | # *e* & ~"#;
    const WHAT: &str = r"key | `x` <i> \";
    const PREFIX: &str = r"Key `\| ";
    let dir = scratch();
    let root = dir.path();
    std::fs::copy(
        root.join("specs/gcore-iam.yaml"),
        root.join("specs/acme.yaml"),
    )
    .unwrap();
    let entry = format!(
        "\n[providers.acme]\nspec = \"acme.yaml\"\ncrate = \"acme\"\ntitle = {}\n\
         base_url_env = \"ACME_BASE_URL\"\n\n[providers.acme.auth]\nheader = \"X-Acme|Key\"\n\
         prefix = {}\nenv = \"ACME_KEY\"\nwhat = {}\n",
        toml::Value::String(TITLE.into()),
        toml::Value::String(PREFIX.into()),
        toml::Value::String(WHAT.into()),
    );
    let registry = root.join("specs/providers.toml");
    let mut text_ = std::fs::read_to_string(&registry).unwrap();
    text_.push_str(&entry);
    std::fs::write(&registry, text_).unwrap();

    let out = generate(root);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let read = |file: &str| std::fs::read_to_string(root.join("acme").join(file)).unwrap();

    // TOML: the title is the description's text, and adds no key.
    let manifest: toml::Table = read("Cargo.toml").parse().unwrap();
    let package = manifest["package"].as_table().unwrap();
    assert_eq!(
        package["description"].as_str(),
        Some(format!("Rust client for the {TITLE} API, generated from its OpenAPI spec.").as_str())
    );
    assert_eq!(package["name"].as_str(), Some("acme"));

    // Rust string literals: the runtime gets the exact values.
    let client = syn::parse_file(&read("src/client.rs")).unwrap();
    let fields = provider_fields(&client);
    assert_eq!(fields["title"], TITLE);
    assert_eq!(fields["credential_name"], WHAT);
    assert_eq!(fields["auth_prefix"], PREFIX);
    assert_eq!(fields["auth_header"], "X-Acme|Key");

    // Markdown: the syntax is escaped. Each row of the README's environment
    // table still has its two cells, and no line of text opens a fence.
    let readme = read("README.md");
    assert!(
        readme.contains(
            r#"A Rust client for the Acme "Widgets" \\ 'x' \`\`\` \*/ /\* \<b\> \[Client\] \| \# \*e\* \& \~ API"#
        ),
        "{readme}"
    );
    let row = readme
        .lines()
        .find(|l| l.starts_with("| `ACME_KEY` |"))
        .unwrap_or_else(|| panic!("no ACME_KEY row in:\n{readme}"));
    assert_eq!(unescaped_bars(row), 3, "{row}");
    let fences: Vec<&str> = readme.lines().filter(|l| l.starts_with("```")).collect();
    assert_eq!(
        fences,
        ["```toml", "```", "```rust,no_run", "```"],
        "{readme}"
    );

    let lib = read("src/lib.rs");
    let docs: Vec<&str> = lib.lines().take_while(|l| l.starts_with("//!")).collect();
    assert!(
        docs[0].starts_with("//! A client for the Acme \"Widgets\" \\\\ 'x' \\`\\`\\`"),
        "{lib}"
    );
    assert!(
        docs.contains(&"//! Requests carry ``X-Acme|Key: Key `\\| <credential>``. Operations:"),
        "{lib}"
    );
    // The crate docs end where the generator's do: nothing became code.
    assert!(
        lib.contains("//! hand from then on.\n\n/// The README's example"),
        "{lib}"
    );
}

/// The string fields of `const PROVIDER: runtime::Provider = ...`.
fn provider_fields(file: &syn::File) -> std::collections::BTreeMap<String, String> {
    let expr = file
        .items
        .iter()
        .find_map(|item| match item {
            syn::Item::Const(c) if c.ident == "PROVIDER" => Some(&*c.expr),
            _ => None,
        })
        .expect("client.rs has a PROVIDER const");
    let syn::Expr::Struct(s) = expr else {
        panic!("PROVIDER is not a struct expression")
    };
    s.fields
        .iter()
        .filter_map(|f| {
            let syn::Member::Named(name) = &f.member else {
                return None;
            };
            let syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(value),
                ..
            }) = &f.expr
            else {
                return None;
            };
            Some((name.to_string(), value.value()))
        })
        .collect()
}

/// The `|` of a table row that GitHub reads as cell borders (not `\|`).
fn unescaped_bars(row: &str) -> usize {
    let mut count = 0;
    let mut escaped = false;
    for c in row.chars() {
        if c == '|' && !escaped {
            count += 1;
        }
        escaped = c == '\\' && !escaped;
    }
    count
}
