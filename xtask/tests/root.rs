//! Which checkout `cargo xtask` acts on: the one it runs in, never the one its
//! binary was built in. Two checkouts sharing a target directory share the
//! binary, and cargo does not rebuild it for a checkout whose sources have the
//! same content and times; here the binary built from this checkout runs in a
//! scratch copy whose spec was edited, without `XTASK_ROOT`.

use std::path::Path;
use std::process::{Command, Output};

mod common;
use common::{scratch, text};

/// A summary that only the scratch copy's spec has.
const SUMMARY: &str = "Delete API token, as edited in the scratch copy";

fn edit_spec(root: &Path) {
    let path = root.join("specs/gcore-iam.yaml");
    let spec = std::fs::read_to_string(&path).unwrap();
    let old = "      summary: Delete API token\n";
    assert!(spec.contains(old));
    std::fs::write(
        &path,
        spec.replace(old, &format!("      summary: {SUMMARY}\n")),
    )
    .unwrap();
}

/// `xtask check` in `cwd`, with `CARGO_MANIFEST_DIR` as given and no `XTASK_ROOT`.
fn check(cwd: &Path, manifest_dir: Option<&Path>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_xtask"));
    command
        .arg("check")
        .current_dir(cwd)
        .env_remove("XTASK_ROOT")
        .env_remove("CARGO_MANIFEST_DIR");
    if let Some(dir) = manifest_dir {
        command.env("CARGO_MANIFEST_DIR", dir);
    }
    command.output().unwrap()
}

fn assert_reports_the_copy_stale(out: &Output) {
    let stderr = text(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "stdout: {}\nstderr: {stderr}",
        text(&out.stdout)
    );
    assert!(stderr.contains("gcore-iam: STALE"), "{stderr}");
    // The diff is the copy's: only its spec has this summary.
    assert!(stderr.contains(SUMMARY), "{stderr}");
}

/// `cargo xtask` (`cargo run`) sets `CARGO_MANIFEST_DIR` to the xtask crate of
/// the checkout it runs in: its parent is the root, wherever the command runs.
#[test]
fn check_acts_on_the_checkout_cargo_runs_it_in() {
    let copy = scratch();
    edit_spec(copy.path());
    let xtask_dir = copy.path().join("xtask");
    std::fs::create_dir_all(&xtask_dir).unwrap();
    let elsewhere = tempfile::tempdir().unwrap();

    let out = check(elsewhere.path(), Some(&xtask_dir));
    assert_reports_the_copy_stale(&out);
}

/// The binary run directly: the root is found up from the current directory.
#[test]
fn check_without_cargo_acts_on_the_checkout_around_the_current_directory() {
    let copy = scratch();
    edit_spec(copy.path());

    let out = check(&copy.path().join("gcore-iam/src"), None);
    assert_reports_the_copy_stale(&out);
}

/// Outside any checkout, and with no hint, the error names what is missing.
#[test]
fn check_outside_a_checkout_fails_with_the_missing_registry() {
    let nowhere = tempfile::tempdir().unwrap();
    let out = check(nowhere.path(), None);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("providers.toml"), "{stderr}");
}
