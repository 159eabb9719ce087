//! The hostile-spec corpus (`tests/hostile/cases.toml`) run through the xtask
//! binary: every broken document fails with exit 1 and a message naming the
//! file, place and fix, never a panic or a hang, and leaves the committed
//! crates byte-identical; the documents progenitor handles generate.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;

mod common;
use common::{hashes, scratch};

/// Longest a single run may take before it counts as a hang. Generous: the
/// slowest case takes about two seconds on a loaded machine.
const DEADLINE: Duration = Duration::from_secs(120);

#[derive(Deserialize)]
struct Corpus {
    case: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    file: Option<String>,
    generate: Option<String>,
    outcome: String,
    #[serde(default)]
    stderr: Vec<String>,
    #[serde(default)]
    generated: Vec<String>,
    /// Fragments of the report's notes, for a document that is lowered.
    #[serde(default)]
    notes: Vec<String>,
}

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/hostile")
}

/// Runs `xtask generate` on `root`, killing it (and failing) past [`DEADLINE`].
/// Output goes to files, so a chatty child cannot block on a full pipe.
fn generate(root: &Path, what: &str) -> (ExitStatus, String, String) {
    let stdout = std::fs::File::create(root.join("stdout")).unwrap();
    let stderr = std::fs::File::create(root.join("stderr")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("generate")
        .env("XTASK_ROOT", root)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .spawn()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > DEADLINE {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("{what}: `xtask generate` still running after {DEADLINE:?}: a hang");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let read =
        |name: &str| String::from_utf8_lossy(&std::fs::read(root.join(name)).unwrap()).into_owned();
    (status, read("stdout"), read("stderr"))
}

/// A valid 3.0 document padded with schemas to just over 50 MB.
fn huge(path: &Path) {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    file.write_all(include_bytes!("hostile/two_error_schemas.yaml"))
        .unwrap();
    file.write_all(b"components:\n  schemas:\n").unwrap();
    let mut written = 0usize;
    let mut i = 0usize;
    while written < 50_000_000 {
        let schema = format!(
            "    S{i}:\n      type: object\n      properties:\n        a: {{type: string}}\n"
        );
        file.write_all(schema.as_bytes()).unwrap();
        written += schema.len();
        i += 1;
    }
    file.flush().unwrap();
}

/// A valid document with an extension nested 10,000 sequences deep.
fn deep(path: &Path) {
    let mut text =
        String::from_utf8(include_bytes!("hostile/two_error_schemas.yaml").to_vec()).unwrap();
    text.push_str("x-deep: ");
    text.push_str(&"[".repeat(10_000));
    text.push_str(&"]".repeat(10_000));
    text.push('\n');
    std::fs::write(path, text).unwrap();
}

fn run(name: &str, case: &Case) {
    let dir = scratch();
    let spec = dir.path().join("specs/gcore-iam.yaml");
    match (&case.file, case.generate.as_deref()) {
        (Some(file), None) => {
            std::fs::copy(corpus_dir().join(file), &spec).unwrap();
        }
        (None, Some("huge")) => huge(&spec),
        (None, Some("deep")) => deep(&spec),
        _ => panic!("{name}: a case needs `file` or a known `generate`"),
    }
    let before = hashes(dir.path());
    let (status, stdout, stderr) = generate(dir.path(), name);
    assert!(!stderr.contains("panicked"), "{name}: {stderr}");
    match case.outcome.as_str() {
        "error" => {
            assert_eq!(status.code(), Some(1), "{name}: {stderr}");
            assert!(!case.stderr.is_empty(), "{name}: list the expected message");
            assert_eq!(
                stderr.lines().count(),
                1,
                "{name}: one message expected: {stderr}"
            );
            for needle in &case.stderr {
                assert!(
                    stderr.contains(needle.as_str()),
                    "{name}: expected {needle:?} in: {stderr}"
                );
            }
            assert_eq!(
                hashes(dir.path()),
                before,
                "{name}: crates must be byte-identical"
            );
        }
        "success" => {
            assert!(status.success(), "{name}: {stderr}");
            assert!(
                !case.generated.is_empty(),
                "{name}: list what must be generated"
            );
            let src = dir.path().join("gcore-iam/src");
            let code = std::fs::read_to_string(src.join("generated.rs")).unwrap()
                + &std::fs::read_to_string(src.join("api.rs")).unwrap();
            for needle in &case.generated {
                assert!(
                    code.contains(needle.as_str()),
                    "{name}: expected {needle:?} in the generated code"
                );
            }
            for needle in &case.notes {
                assert!(
                    stdout.contains(needle.as_str()),
                    "{name}: expected the note {needle:?} in: {stdout}"
                );
            }
        }
        other => panic!("{name}: unknown outcome {other:?}"),
    }
}

#[test]
fn every_hostile_spec_has_its_outcome() {
    let text = std::fs::read_to_string(corpus_dir().join("cases.toml")).unwrap();
    let corpus: Corpus = toml::from_str(&text).unwrap();
    assert!(
        corpus.case.len() >= 20,
        "the issue asks for at least 20 cases"
    );

    // Every committed document is listed, so none is silently skipped.
    let listed: Vec<&str> = corpus
        .case
        .iter()
        .filter_map(|c| c.file.as_deref())
        .collect();
    for entry in std::fs::read_dir(corpus_dir()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name != "cases.toml" {
            assert!(
                listed.contains(&name.as_str()),
                "{name} is not in cases.toml"
            );
        }
    }

    for case in &corpus.case {
        let name = case
            .file
            .clone()
            .or_else(|| case.generate.clone())
            .unwrap_or_default();
        run(&name, case);
    }
}
