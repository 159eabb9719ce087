//! `cargo xtask slice` as a user runs it, and a provider entry whose
//! `operations` lets `generate` run straight from a fuller spec.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

mod common;
use common::{scratch, text};

/// Runs the binary in `cwd`, with the workspace root pointed at it too.
fn xtask(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .current_dir(cwd)
        .env("XTASK_ROOT", cwd)
        .output()
        .unwrap()
}

/// A second Gcore operation with its own component, so the spec holds more
/// than any one slice needs.
const EXTRA: &str = r#"  /iam/users/me:
    get:
      tags:
        - Users
      operationId: iamGetMe
      responses:
        '200':
          description: The user.
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/User'
"#;

const USER_SCHEMA: &str = r#"  schemas:
    User:
      type: object
      properties:
        name:
          type: string
"#;

/// Makes specs/gcore-iam.yaml a two-operation "full" spec.
fn widen_gcore_spec(root: &Path) {
    let path = root.join("specs/gcore-iam.yaml");
    let spec = std::fs::read_to_string(&path).unwrap();
    let spec = spec
        .replacen("paths:\n", &format!("paths:\n{EXTRA}"), 1)
        .replacen("components:\n", &format!("components:\n{USER_SCHEMA}"), 1);
    std::fs::write(&path, spec).unwrap();
}

fn operation_ids(doc: &Value) -> Vec<String> {
    xtask::generate::operations(doc)
        .into_iter()
        .filter_map(|(_, _, op)| op.get("operationId")?.as_str().map(String::from))
        .collect()
}

#[test]
fn slices_to_json_yaml_and_stdout() {
    let dir = scratch();
    widen_gcore_spec(dir.path());

    let out = xtask(
        dir.path(),
        &[
            "slice",
            "--from",
            "specs/gcore-iam.yaml",
            "--operation",
            "iamGetMe",
            "--out",
            "out/me.json",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "out/me.json: 1 operation(s) and 2 component(s) from specs/gcore-iam.yaml\n"
    );
    let json: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out/me.json")).unwrap()).unwrap();
    assert_eq!(operation_ids(&json), ["iamGetMe"]);
    assert_eq!(json["openapi"], "3.1.0");
    assert_eq!(json["servers"][0]["url"], "https://api.gcore.com");
    let components: Vec<&String> = json["components"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(_, v)| v.as_object().unwrap().keys())
        .collect();
    assert_eq!(components, ["User", "APIKey"]);
    assert_eq!(json["tags"].as_array().unwrap().len(), 1);

    let out = xtask(
        dir.path(),
        &[
            "slice",
            "--from=specs/gcore-iam.yaml",
            "--operation=iamDeleteApiTokenV2",
            "--operation",
            "iamGetMe",
            "--out",
            "both.yml",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let yaml = std::fs::read(dir.path().join("both.yml")).unwrap();
    let yaml = xtask::load::parse(&yaml, "both.yml").unwrap();
    assert_eq!(operation_ids(&yaml).len(), 2);

    let out = xtask(
        dir.path(),
        &[
            "slice",
            "--from",
            "specs/gcore-iam.yaml",
            "--operation",
            "iamDeleteApiTokenV2",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with("openapi: 3.1.0\ninfo:\n"),
        "{}",
        text(&out.stdout)
    );
    let stdout = xtask::load::parse(&out.stdout, "stdout").unwrap();
    assert_eq!(operation_ids(&stdout), ["iamDeleteApiTokenV2"]);
    assert!(stdout.pointer("/components/schemas").is_none());
}

#[test]
fn bad_arguments_are_usage_errors_and_bad_input_fails_cleanly() {
    let dir = scratch();
    widen_gcore_spec(dir.path());
    let usage: [&[&str]; 5] = [
        &["slice", "--operation", "iamGetMe"],
        &["slice", "--from", "specs/gcore-iam.yaml"],
        &["slice", "--from", "specs/gcore-iam.yaml", "--operation"],
        &[
            "slice",
            "--from",
            "specs/gcore-iam.yaml",
            "--operation",
            "x",
            "--colour",
            "red",
        ],
        &[
            "slice",
            "--from",
            "specs/gcore-iam.yaml",
            "--operation",
            "x",
            "--out",
            "x.txt",
        ],
    ];
    for args in usage {
        let out = xtask(dir.path(), args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(text(&out.stderr).contains("usage: cargo xtask"), "{args:?}");
    }

    let out = xtask(
        dir.path(),
        &[
            "slice",
            "--from",
            "specs/gcore-iam.yaml",
            "--operation",
            "iamgetme",
            "--out",
            "x.json",
        ],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(r#""iamgetme" (did you mean "iamGetMe"?)"#),
        "{stderr}"
    );
    assert!(!dir.path().join("x.json").exists());

    let path = dir.path().join("specs/gcore-iam.yaml");
    let spec = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        spec.replace(
            "$ref: '#/components/schemas/User'",
            "$ref: 'users.yaml#/User'",
        ),
    )
    .unwrap();
    let out = xtask(
        dir.path(),
        &[
            "slice",
            "--from",
            "specs/gcore-iam.yaml",
            "--operation",
            "iamGetMe",
        ],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("specs/gcore-iam.yaml:"), "{stderr}");
    assert!(
        stderr.contains(
            "at /paths/~1iam~1users~1me/get/responses/200/content/application~1json/schema/$ref"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("users.yaml#/User"), "{stderr}");
    assert!(out.stdout.is_empty());
}

/// Generated files without their header, which hashes the spec's bytes.
fn bodies(root: &Path) -> Vec<String> {
    ["generated.rs", "api.rs"]
        .iter()
        .map(|f| {
            let text = std::fs::read_to_string(root.join("gcore-iam/src").join(f)).unwrap();
            text.lines().skip(3).collect::<Vec<_>>().join("\n")
        })
        .collect()
}

#[test]
fn a_provider_with_operations_generates_from_the_full_spec() {
    let dir = scratch();
    let before = bodies(dir.path());
    widen_gcore_spec(dir.path());
    let registry = dir.path().join("specs/providers.toml");
    let entry = std::fs::read_to_string(&registry).unwrap();
    std::fs::write(
        &registry,
        entry.replacen(
            "title = \"Gcore IAM\"\n",
            "title = \"Gcore IAM\"\noperations = [\"iamDeleteApiTokenV2\"]\n",
            1,
        ),
    )
    .unwrap();

    let out = xtask(dir.path(), &["generate", "gcore-iam"]);
    let stdout = text_of(&out);
    assert!(stdout.contains("gcore-iam: 1 operation(s)"), "{stdout}");
    assert_eq!(
        bodies(dir.path()),
        before,
        "same code as from the one-operation spec"
    );

    let entry = std::fs::read_to_string(&registry).unwrap();
    std::fs::write(
        &registry,
        entry.replace(
            "operations = [\"iamDeleteApiTokenV2\"]",
            "operations = [\"iamDeleteToken\"]",
        ),
    )
    .unwrap();
    let out = xtask(dir.path(), &["check", "gcore-iam"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("specs/gcore-iam.yaml"), "{stderr}");
    assert!(stderr.contains("[providers.gcore-iam]"), "{stderr}");
    assert!(stderr.contains("\"iamDeleteToken\""), "{stderr}");
}

fn text_of(out: &Output) -> String {
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
}
