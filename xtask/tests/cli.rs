//! The `xtask` binary as a user runs it, on a scratch copy of the workspace's
//! specs and generated crates: exit codes, messages, and what is left on disk.

use std::path::Path;
use std::process::{Command, Output};

mod common;
use common::{hashes, scratch, text};

fn xtask(root: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .env("XTASK_ROOT", root)
        .output()
        .unwrap()
}

#[test]
fn check_passes_on_the_committed_workspace_with_one_line_per_provider() {
    let dir = scratch();
    let out = xtask(dir.path(), &["check"]);
    let stdout = text(&out.stdout);
    assert!(
        out.status.success(),
        "stdout: {stdout}\nstderr: {}",
        text(&out.stderr)
    );
    // One status line per provider; the indented lines under each are the
    // change report since the last release (none here: the scratch copy is not a repository).
    let status_lines = stdout.lines().filter(|l| !l.starts_with(' ')).count();
    assert_eq!(status_lines, 2, "{stdout}");
    assert!(
        stdout.contains("gcore-iam: up to date with specs/gcore-iam.yaml"),
        "{stdout}"
    );
}

const NEW_OPERATION: &str = r#"
    get:
      summary: Get API token
      operationId: iamGetApiTokenV2
      parameters:
        - $ref: '#/components/parameters/ClientID'
        - $ref: '#/components/parameters/TokenID'
      responses:
        '200':
          description: The token.
          content:
            application/json:
              schema:
                type: object
                properties:
                  name:
                    type: string
"#;

/// Adds a GET beside the DELETE of the Gcore spec.
fn add_operation(root: &Path) {
    let path = root.join("specs/gcore-iam.yaml");
    let spec = std::fs::read_to_string(&path).unwrap();
    let anchor = "  /iam/v2/clients/{clientId}/tokens/{tokenId}:\n";
    assert!(spec.contains(anchor));
    std::fs::write(
        &path,
        spec.replace(anchor, &format!("{anchor}{}", &NEW_OPERATION[1..])),
    )
    .unwrap();
}

#[test]
fn an_added_operation_fails_check_with_a_diff_and_the_fix() {
    let dir = scratch();
    add_operation(dir.path());
    let before = hashes(dir.path());

    let out = xtask(dir.path(), &["check"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("gcore-iam: STALE"), "{stderr}");
    assert!(
        stderr.contains("cloudflare-accounts: up to date"),
        "{stderr}"
    );
    assert!(
        stderr.contains("--- a/gcore-iam/src/api.rs (committed)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("+    pub fn iam_get_api_token_v2"),
        "{stderr}"
    );
    assert!(
        stderr.contains("cargo xtask generate gcore-iam"),
        "{stderr}"
    );
    assert_eq!(hashes(dir.path()), before, "check must not write");

    let out = xtask(dir.path(), &["generate", "gcore-iam"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("gcore-iam: 2 operation(s)"),
        "{}",
        text(&out.stdout)
    );
    let out = xtask(dir.path(), &["check"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

/// A named edit of the spec and the fragments its error message must contain.
type Case = (&'static str, fn(String) -> String, &'static [&'static str]);

/// Broken specs: each must fail with exit 1, a message naming the file and
/// place, no panic, and the crates byte-identical.
#[test]
fn broken_specs_fail_cleanly_and_touch_nothing() {
    let cases: [Case; 5] = [
        (
            // (`responses` would not do: OpenAPI 3.1 made it optional.)
            "a required field deleted",
            |s| {
                s.replace(
                    "    ClientID:\n      name: clientId\n      in: path",
                    "    ClientID:\n      x-was-name: clientId\n      in: path",
                )
            },
            &["specs/gcore-iam.yaml", "ClientID", "name"],
        ),
        (
            "not YAML",
            |_| "openapi: [3.1.0\n".into(),
            &["specs/gcore-iam.yaml:", "not valid YAML"],
        ),
        (
            "an unsupported version",
            |s| s.replace("openapi: 3.1.0", "openapi: 4.0.0"),
            &["specs/gcore-iam.yaml", "/openapi", "4.0.0"],
        ),
        (
            "an empty file",
            |_| String::new(),
            &["specs/gcore-iam.yaml: the file is empty"],
        ),
        (
            // Valid 3.1 is lowered, never refused (see `normalize`): a broken
            // schema is what still fails.
            "a schema that is not a schema",
            |s| {
                s.replace(
                    "      schema:\n        type: integer\n    TokenID:",
                    "      schema:\n        type: integer\n        not: 3\n    TokenID:",
                )
            },
            &[
                "specs/gcore-iam.yaml:",
                "/components/parameters/ClientID/schema/not",
                "must be an object or a boolean",
            ],
        ),
    ];
    for (what, edit, expected) in cases {
        let dir = scratch();
        let path = dir.path().join("specs/gcore-iam.yaml");
        let spec = std::fs::read_to_string(&path).unwrap();
        let edited = edit(spec.clone());
        assert_ne!(edited, spec, "{what}: the edit must change the spec");
        std::fs::write(&path, edited).unwrap();
        let before = hashes(dir.path());

        let out = xtask(dir.path(), &["generate"]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{what}: {stderr}");
        assert!(!stderr.contains("panicked"), "{what}: {stderr}");
        for needle in expected {
            assert!(
                stderr.contains(needle),
                "{what}: expected {needle:?} in: {stderr}"
            );
        }
        assert_eq!(
            hashes(dir.path()),
            before,
            "{what}: crates must be byte-identical"
        );
    }
}

#[test]
fn unknown_command_and_provider_are_usage_errors() {
    let dir = scratch();
    let out = xtask(dir.path(), &["frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("usage: cargo xtask"));
    let out = xtask(dir.path(), &["generate", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("unknown provider \"nope\""),
        "{}",
        text(&out.stderr)
    );
}
