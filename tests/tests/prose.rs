//! Vendor prose is data, never code: a spec whose descriptions hold code blocks
//! (a curl example in a plain fence, `rust` fences that do not compile, an
//! indented block...) generates a crate whose `cargo test --doc` passes, with
//! the generator's own README example still compiled as Rust.

use std::path::{Path, PathBuf};
use workspace_tests::scratch_cargo;

fn repo() -> PathBuf {
    xtask::workspace_root()
}

/// Every description a spec can carry into rustdoc or the README, each with a
/// code block that fails if rustdoc compiles it.
const SPEC: &str = r#"openapi: 3.0.3
info:
  title: |-
    Prose Widgets
    ```rust
    compile_error!("vendor title");
    ```
  version: '1.0'
  description: |
    The Prose Widgets API.

    ```rust
    fn main() { compile_error!("vendor info description"); }
    ```
servers:
  - url: https://api.prose.example/v1
paths:
  /widgets/{widgetId}:
    get:
      operationId: getWidget
      summary: Fetch a widget
      description: |
        Fetches a widget:

        ```
        curl https://api.prose.example/v1/widgets/w1 -H "Authorization: Bearer $TOKEN"
        ```

        ```rust
        compile_error!("vendor operation description");
        ```

        Or, indented:

            compile_error!("vendor indented block");

        ~~~should_panic
        compile_error!("vendor tilde fence");
        ~~~
      parameters:
        - name: widgetId
          in: path
          required: true
          description: |
            The widget's id:
            ```no_run
            compile_error!("vendor parameter description");
            ```
          schema:
            type: string
      responses:
        '200':
          description: The widget.
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Widget'
components:
  schemas:
    Widget:
      description: |
        A widget.

        ```rust
        compile_error!("vendor schema description");
        ```
      type: object
      required: [id]
      properties:
        id:
          description: |
            ```
            compile_error!("vendor property description");
            ```
          type: string
"#;

/// The registry's text is data too: its title, credential name and prefix,
/// valid (one printable line each) but full of Markdown, Rust and TOML
/// syntax, go into the crate docs, the README, the `PROVIDER` literal and
/// the manifest (which must still parse).
const REGISTRY: &str = r#"[providers.prose-widgets]
spec = "prose-widgets.yaml"
crate = "prose-widgets"
title = 'Prose "Widgets" \ ``` */ <b> [Client] | ~'
base_url_env = "PROSE_BASE_URL"

[providers.prose-widgets.auth]
header = "X-Prose|Key"
prefix = 'Bearer `\| '
env = "PROSE_TOKEN"
what = 'token | `x` <i>'
"#;

/// A workspace of its own: the repository's manifest without members, its lock
/// file, and a registry holding only the fixture provider.
fn workspace(root: &Path) {
    let manifest = std::fs::read_to_string(repo().join("Cargo.toml")).unwrap();
    std::fs::write(
        root.join("Cargo.toml"),
        xtask::corpus::scratch_manifest(&manifest, &repo()).unwrap(),
    )
    .unwrap();
    std::fs::copy(repo().join("Cargo.lock"), root.join("Cargo.lock")).unwrap();
    std::fs::create_dir_all(root.join("specs")).unwrap();
    std::fs::write(root.join("specs/providers.toml"), REGISTRY).unwrap();
    std::fs::write(root.join("specs/prose-widgets.yaml"), SPEC).unwrap();
}

#[test]
fn code_blocks_in_a_spec_do_not_become_doctests() {
    let scratch = tempfile::tempdir().unwrap();
    let root = scratch.path();
    workspace(root);
    let report = xtask::pipeline::generate(root, &[]).unwrap();
    assert!(report.contains("prose-widgets: 1 operation(s)"), "{report}");

    let read = |file: &str| std::fs::read_to_string(root.join("prose-widgets").join(file)).unwrap();
    let readme = read("README.md");
    // The generator's own example is still Rust; the vendor's title is one line.
    assert!(
        readme.contains("```rust,no_run\n#[tokio::main]"),
        "{readme}"
    );
    assert!(
        readme.contains(
            "Generated from **Prose Widgets ```text compile_error!(\"vendor title\"); ```**"
        ),
        "{readme}"
    );
    // The registry's title is shown as text, not read as Markdown.
    assert!(
        readme.contains(
            r#"A Rust client for the Prose "Widgets" \\ \`\`\` \*/ \<b\> \[Client\] \| \~ API"#
        ),
        "{readme}"
    );
    let generated = read("src/generated.rs");
    for vendor in [
        "vendor info description",
        "vendor operation description",
        "vendor indented block",
        "vendor tilde fence",
        "vendor parameter description",
        "vendor schema description",
        "vendor property description",
    ] {
        assert!(generated.contains(vendor), "{vendor} is gone:\n{generated}");
    }
    assert!(
        generated.contains("```text\ncurl https://api.prose.example"),
        "{generated}"
    );

    let out = scratch_cargo(
        &repo(),
        root,
        &[
            "test",
            "--doc",
            "--offline",
            "-p",
            "prose-widgets",
            "--no-default-features",
            "--features",
            "full",
        ],
        &[],
    );
    let output = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{output}");
    let tests: Vec<&str> = output.lines().filter(|l| l.starts_with("test ")).collect();
    // The README's example ran; nothing from the generated modules did.
    assert!(
        tests
            .iter()
            .any(|l| l.contains("ReadmeDoctests") && l.ends_with(" ok")),
        "{output}"
    );
    assert!(
        !tests
            .iter()
            .any(|l| l.contains("generated.rs") || l.contains("api.rs")),
        "{output}"
    );
}
