//! A cargo feature per OpenAPI tag: a crate built with one tag compiles
//! without warnings and has no method of the other tag.

use std::path::PathBuf;

use workspace_tests::{scratch_cargo, workspace_with_provider};

fn repo() -> PathBuf {
    xtask::workspace_root()
}

const TAGGED_ENTRY: &str = r#"
[providers.tagged]
spec = "tagged.yaml"
crate = "tagged"
title = "Tagged"
base_url_env = "TAGGED_BASE_URL"
default_tags = ["Widgets"]

[providers.tagged.auth]
header = "X-Api-Key"
prefix = ""
env = "TAGGED_API_KEY"
what = "API key"
"#;

#[test]
fn one_tag_compiles_alone_and_leaves_the_other_out() {
    let scratch = tempfile::tempdir().unwrap();
    let root = scratch.path();
    workspace_with_provider(&repo(), root, "tagged.yaml", TAGGED_ENTRY);
    xtask::pipeline::generate(root, &["tagged".into()]).unwrap();

    let manifest = std::fs::read_to_string(root.join("tagged/Cargo.toml")).unwrap();
    for line in [
        "default = [\"rustls\", \"widgets\"]",
        "full = [\n    \"gadget-admin\",\n    \"untagged\",\n    \"widgets\",\n]",
        "## The 1 operation(s) tagged `Gadget Admin`.\ngadget-admin = []",
        "## The 1 operation(s) without a tag.\nuntagged = []",
    ] {
        assert!(manifest.contains(line), "{line} in {manifest}");
    }

    let api = std::fs::read_to_string(root.join("tagged/src/api.rs")).unwrap();
    assert!(
        api.contains("#[cfg(feature = \"gadget-admin\")]\n    pub fn get_gadget"),
        "{api}"
    );
    let generated = std::fs::read_to_string(root.join("tagged/src/generated.rs")).unwrap();
    // Part is reached through Gadget only; Id by both tags.
    assert!(
        generated.contains("#[cfg(feature = \"gadget-admin\")]\n    pub struct Part"),
        "{generated}"
    );
    assert!(
        generated.contains(
            "#[cfg(any(feature = \"gadget-admin\", feature = \"widgets\"))]\n    pub struct Id"
        ),
        "{generated}"
    );
    assert!(
        generated.contains("#[cfg(feature = \"full\")]\n    pub struct Orphan"),
        "{generated}"
    );

    let examples = root.join("tagged/examples");
    std::fs::create_dir_all(&examples).unwrap();
    let check = |source: &str| {
        std::fs::write(examples.join("call.rs"), source).unwrap();
        scratch_cargo(
            &repo(),
            root,
            &[
                "check",
                "--offline",
                "--quiet",
                "-p",
                "tagged",
                "--no-default-features",
                "--features",
                "widgets,mock",
                "--examples",
            ],
            &[],
        )
    };
    let widget = "//! Calls one operation.\n#[tokio::main]\nasync fn main() {\n    let client = tagged::Client::new(\"k\").unwrap();\n    let id = \"w1\".parse().unwrap();\n    let _ = client.get_widget(&id).await;\n}\n";
    let out = check(widget);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("warning"), "{stderr}");
    let gadget = widget.replace("get_widget", "get_gadget");
    let out = check(&gadget);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("no method named `get_gadget`"), "{stderr}");
}
