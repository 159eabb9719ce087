//! `cargo xtask corpus` on two tiny documents (`tests/fixtures/corpus/`): one
//! that generates and compiles, one that cannot generate (a file cut short).
//! The scratch workspace goes to a temporary directory; its `cargo check`
//! shares the workspace's target directory, so only the tiny crate is checked
//! once the dependencies are built (CI's corpus step builds them first).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;
use common::text;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus")
}

fn corpus(scratch: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("corpus")
        .arg(fixtures())
        .arg("--scratch")
        .arg(scratch)
        .args(extra)
        .output()
        .unwrap()
}

fn row<'a>(stdout: &'a str, file: &str) -> &'a str {
    stdout
        .lines()
        .find(|l| l.starts_with(&format!("| {file} |")))
        .unwrap_or_else(|| panic!("no row for {file} in:\n{stdout}"))
}

fn cells(row: &str) -> Vec<&str> {
    row.trim_matches('|').split(" | ").map(str::trim).collect()
}

#[test]
fn a_document_that_fails_to_generate_fails_the_run_and_the_others_are_still_checked() {
    let scratch = tempfile::tempdir().unwrap();
    let out = corpus(scratch.path(), &[]);
    let stdout = text(&out.stdout);
    let context = format!("stdout:\n{stdout}\nstderr:\n{}", text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{context}");
    assert!(
        stdout.starts_with(
            "| document | OpenAPI | operations | methods | notes | generate | memory | check | result |\n"
        ),
        "{context}"
    );
    let time = |cell: &str| cell.ends_with(" ms") || cell.ends_with(" s");

    // Sorted by file name: the failure comes first and does not stop the next.
    let truncated = cells(row(&stdout, "truncated.json"));
    assert_eq!(
        truncated[..5],
        ["truncated.json", "?", "—", "—", "—"],
        "{context}"
    );
    assert!(
        time(truncated[5]) && truncated[6].ends_with(" MiB"),
        "{context}"
    );
    assert_eq!(truncated[7], "—", "{context}");
    assert!(
        truncated[8].starts_with("generation failed: ") && truncated[8].contains("not valid JSON"),
        "{context}"
    );

    let pets = cells(row(&stdout, "pets.yaml"));
    assert_eq!(
        pets[..5],
        ["pets.yaml", "3.0.3", "1", "1", "—"],
        "{context}"
    );
    assert!(
        time(pets[5]) && pets[6].ends_with(" MiB") && time(pets[7]),
        "{context}"
    );
    assert_eq!(pets[8], "ok", "{context}");

    assert!(
        stdout.contains(
            "2 document(s): 1 ok, 1 failed to generate, 0 do not compile, 0 compile with warnings, 0 not checked, 0 skipped"
        ),
        "{context}"
    );
    // The scratch workspace is left for inspection, the crate in its members.
    let manifest = std::fs::read_to_string(scratch.path().join("Cargo.toml")).unwrap();
    assert!(manifest.contains("\"corpus-pets\""), "{manifest}");
    assert!(scratch.path().join("corpus-pets/src/api.rs").exists());
    assert!(!scratch.path().join("corpus-truncated").exists());
}

#[test]
fn skipping_the_failing_document_passes() {
    let scratch = tempfile::tempdir().unwrap();
    let out = corpus(scratch.path(), &["--skip", "truncated"]);
    let stdout = text(&out.stdout);
    let context = format!("stdout:\n{stdout}\nstderr:\n{}", text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{context}");
    assert_eq!(
        cells(row(&stdout, "truncated.json"))[8],
        "skipped (--skip)",
        "{context}"
    );
    assert_eq!(cells(row(&stdout, "pets.yaml"))[8], "ok", "{context}");
}

#[test]
fn unknown_skip_name_is_an_error_before_anything_runs() {
    let scratch = tempfile::tempdir().unwrap();
    let out = corpus(&scratch.path().join("never"), &["--skip", "nosuch"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("--skip nosuch: no such document") && stderr.contains("pets.yaml"),
        "{stderr}"
    );
    assert!(!scratch.path().join("never").exists());
}

/// `cargo xtask corpus` wipes its scratch folder, so it takes only one it
/// made (or a new or empty one): a folder of someone else's is refused, and
/// its files are still there.
#[test]
fn a_scratch_folder_the_corpus_did_not_make_is_refused_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let mine = dir.path().join("mine");
    std::fs::create_dir(&mine).unwrap();
    std::fs::write(mine.join("notes.txt"), "mine").unwrap();
    let out = corpus(&mine, &["--skip", "pets"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("was not made by `cargo xtask corpus`"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(mine.join("notes.txt")).unwrap(),
        "mine"
    );

    // A folder the corpus made carries its marker, and is wiped on the next run.
    let made = dir.path().join("made");
    let first = corpus(&made, &["--skip", "pets"]);
    assert!(
        text(&first.stdout).contains("| truncated.json |"),
        "{}",
        text(&first.stderr)
    );
    assert!(made.join(".xtask-corpus-scratch").is_file());
    std::fs::write(made.join("left-over.txt"), "").unwrap();
    let second = corpus(&made, &["--skip", "pets"]);
    assert!(
        text(&second.stdout).contains("| truncated.json |"),
        "{}",
        text(&second.stderr)
    );
    assert!(!made.join("left-over.txt").exists());
    assert!(made.join(".xtask-corpus-scratch").is_file());
}

/// A scratch folder that holds the input documents is refused even when the
/// corpus made it: wiping it would delete them.
#[test]
fn a_scratch_folder_holding_the_inputs_is_refused() {
    let made = tempfile::tempdir().unwrap();
    std::fs::write(made.path().join(".xtask-corpus-scratch"), "").unwrap();
    let docs = made.path().join("docs");
    std::fs::create_dir(&docs).unwrap();
    std::fs::copy(
        fixtures().join("truncated.json"),
        docs.join("truncated.json"),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("corpus")
        .arg(&docs)
        .arg("--scratch")
        .arg(made.path())
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("holds the input documents"), "{stderr}");
    assert!(docs.join("truncated.json").is_file());
}
