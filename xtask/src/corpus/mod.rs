//! `cargo xtask corpus [DIR]`: real vendor documents through the whole pipeline
//! and `cargo check`, one table row per document.
//!
//! Every OpenAPI document in DIR (default [`DEFAULT_DIR`]) becomes a provider
//! of a scratch workspace under the target directory (`target/corpus/`, wiped
//! first if an earlier run made it, see [`check_scratch`]): its root manifest carries the real workspace's shared package
//! fields, dependencies, lints and profiles, and a copy of `Cargo.lock`, so the
//! clients resolve to the same versions and reuse the dependencies already
//! compiled in the shared target directory. Each document is generated with
//! [`pipeline::render`] and written with [`output::write_all`] (which also
//! scaffolds the crate and adds it to the scratch members), in a child process
//! of its own ([`generate_in_child`]): a document that fails, panics, aborts
//! or runs away with memory or time ([`GENERATION_MEMORY_KIB`],
//! [`GENERATION_TIMEOUT`], `--timeout`) does not stop the others, and its peak memory is
//! measured. Then one `cargo check --workspace
//! --features mock,tracing --keep-going` checks every crate that was generated.
//! Not `--all-targets`: a generated crate has no tests, examples or benches,
//! and checking its library a second time as a test harness doubled the
//! rustc time (measured: 3.5 s + 3.7 s for the 36 operations of gcore-dns)
//! without finding anything more.
//!
//! The check time of each crate is measured without a second build: cargo runs
//! this binary as `RUSTC_WORKSPACE_WRAPPER` (members only, so the dependencies'
//! fingerprints are untouched), and the wrapper logs the wall time of each
//! rustc invocation ([`rustc_wrapper`]). Up to two crates are checked side
//! by side on two cores, so each figure may be inflated a little by the other.
//!
//! The parts, in the order a run uses them: `scratch.rs` (the documents and
//! the scratch workspace), `child.rs` (one document generated in a bounded
//! child process), `check.rs` (the one `cargo check` and the rustc wrapper),
//! `table.rs` (a row per document, and the table); [`run`] ties them together.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::providers;
use crate::{output, pipeline};

mod check;
mod child;
mod scratch;
mod table;

pub use check::rustc_wrapper;
use check::*;
pub use child::{
    GENERATION_MEMORY_KIB, GENERATION_TIMEOUT, Generated, Generation, copy_of_self,
    generate_in_child, generate_one,
};
pub use scratch::{
    SCRATCH_MARKER, Scratch, check_scratch, create_scratch, documents, provider_name, registry,
    scratch_manifest, target_dir,
};
use table::*;
pub use table::{Outcome, Row, openapi_version, table};

/// The documents checked when no DIR is given, relative to the workspace root.
pub const DEFAULT_DIR: &str = "tests/vendor-specs";

/// When set, the xtask binary acts as a rustc wrapper that appends
/// `crate<TAB>kind<TAB>seconds` for each compilation to the file it names.
pub const RUSTC_LOG_ENV: &str = "XTASK_CORPUS_RUSTC_LOG";

/// Features every generated crate is checked with (the optional code paths).
pub const FEATURES: &str = "mock,tracing";

/// Prefix of every provider and crate name in the scratch workspace.
pub const PREFIX: &str = "corpus-";

/// What `cargo xtask corpus` was asked.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Directory of documents (`.json`, `.yaml`, `.yml`).
    pub dir: PathBuf,
    /// Documents not to try, by file name, file stem or provider name.
    pub skip: Vec<String>,
    /// Documents with more operations than this are not tried (reported as skipped).
    pub max_operations: Option<usize>,
    /// Where the scratch workspace goes (default: `<target>/corpus`): a new or
    /// empty folder, or one an earlier run made, which is wiped first.
    pub scratch: Option<PathBuf>,
    /// Limit on generating one document (default [`GENERATION_TIMEOUT`]).
    pub timeout: Option<Duration>,
}

/// The outcome of a corpus run.
pub struct Report {
    /// The table and the summary under it, as printed.
    pub text: String,
    /// Every document tried generated, compiled and raised no warning.
    pub ok: bool,
}

/// One document of the corpus.
#[derive(Debug, Clone)]
pub struct Document {
    /// File name in DIR.
    pub file: String,
    /// Full path of the file.
    pub path: PathBuf,
    /// Provider and crate name in the scratch workspace (`corpus-<stem>`).
    pub name: String,
}

/// Runs the corpus; `Err` only for failures of the run itself (a directory
/// that cannot be read, a scratch workspace that cannot be written, cargo
/// missing), never for a document that fails.
pub fn run(root: &Path, options: &Options) -> Result<Report> {
    let started = Instant::now();
    let docs = documents(&options.dir)?;
    for skip in &options.skip {
        if !docs.iter().any(|d| matches(d, skip)) {
            let names: Vec<&str> = docs.iter().map(|d| d.file.as_str()).collect();
            bail!(
                "--skip {skip}: no such document in {}; it holds {}",
                options.dir.display(),
                names.join(", ")
            );
        }
    }
    let target = target_dir(root)?;
    let scratch = match &options.scratch {
        Some(dir) => std::path::absolute(dir).context("cannot resolve the scratch directory")?,
        None => target.join("corpus"),
    };
    create_scratch(root, &scratch, &docs)?;
    let exe = copy_of_self(&scratch)?;

    let mut rows = Vec::new();
    for doc in &docs {
        let mut row = Row {
            file: doc.file.clone(),
            name: doc.name.clone(),
            openapi: openapi_version(&doc.path),
            operations: None,
            methods: None,
            notes: BTreeMap::new(),
            generation: None,
            memory_kib: None,
            check: None,
            outcome: Outcome::Skipped(String::new()),
        };
        if options.skip.iter().any(|s| matches(doc, s)) {
            row.outcome = Outcome::Skipped("--skip".into());
            rows.push(row);
            continue;
        }
        if let Some(max) = options.max_operations {
            match count_operations(doc) {
                Some(n) if n > max => {
                    row.operations = Some(n);
                    row.outcome = Outcome::Skipped(format!("more than --max-operations {max}"));
                    rows.push(row);
                    continue;
                }
                _ => {}
            }
        }
        eprintln!("corpus: generating {}…", doc.file);
        let timeout = options.timeout.unwrap_or(GENERATION_TIMEOUT);
        let generation = generate_in_child(&exe, &scratch, &doc.name, timeout)?;
        row.generation = Some(generation.seconds);
        row.memory_kib = Some(generation.peak_kib);
        match generation.result {
            Ok(done) => {
                row.operations = Some(done.operations);
                row.methods = Some(done.methods);
                row.notes = done.notes;
                row.outcome = Outcome::Generated;
            }
            Err(e) => row.outcome = Outcome::GenerationFailed(e),
        }
        rows.push(row);
    }

    let generated: Vec<&str> = rows
        .iter()
        .filter(|r| r.outcome == Outcome::Generated)
        .map(|r| r.name.as_str())
        .collect();
    let mut summary = String::new();
    let mut other_errors = Vec::new();
    if generated.is_empty() {
        summary.push_str("cargo check: not run, no document generated\n");
    } else {
        eprintln!("corpus: cargo check of {} crate(s)…", generated.len());
        let check = cargo_check(&exe, &scratch, &target)?;
        let _ = writeln!(
            summary,
            "cargo check --workspace --features {FEATURES} of {} crate(s): {} (exit {})",
            generated.len(),
            secs(check.seconds),
            check
                .status
                .map(|c| c.to_string())
                .unwrap_or_else(|| "by signal".into())
        );
        for row in &mut rows {
            if row.outcome != Outcome::Generated {
                continue;
            }
            let diagnostics = check.diagnostics.get(&row.name);
            let compiled = check.compiled.contains(&row.name);
            row.check = check
                .rustc_seconds
                .get(&row.name.replace('-', "_"))
                .copied();
            row.outcome = match diagnostics {
                Some(d) => Outcome::Checked {
                    errors: d.errors.clone(),
                    warnings: d.warnings.clone(),
                },
                None if compiled => Outcome::Checked {
                    errors: Vec::new(),
                    warnings: Vec::new(),
                },
                None => Outcome::NotChecked(format!(
                    "cargo check failed before checking it: {}",
                    check.first_cargo_error.as_deref().unwrap_or("(no message)")
                )),
            };
        }
        for (name, d) in &check.diagnostics {
            if !rows.iter().any(|r| &r.name == name) {
                other_errors.extend(d.errors.iter().map(|e| format!("{name}: {e}")));
            }
        }
        if check.status != Some(0)
            && other_errors.is_empty()
            && !rows.iter().any(
                |r| matches!(&r.outcome, Outcome::Checked { errors, .. } if !errors.is_empty()),
            )
        {
            other_errors.push(format!(
                "cargo check failed: {}",
                check.first_cargo_error.as_deref().unwrap_or("(no message)")
            ));
        }
    }

    let generation: f64 = rows.iter().filter_map(|r| r.generation).sum();
    let _ = writeln!(
        summary,
        "corpus run: {} in all, {} of it generating",
        secs(started.elapsed().as_secs_f64()),
        secs(generation)
    );
    let mut text = table(&rows);
    text.push('\n');
    text.push_str(&summary);
    let count = |f: &dyn Fn(&Row) -> bool| rows.iter().filter(|r| f(r)).count();
    let _ = writeln!(
        text,
        "{} document(s): {} ok, {} failed to generate, {} do not compile, {} compile with warnings, {} not checked, {} skipped",
        rows.len(),
        count(&|r| r.outcome
            == Outcome::Checked {
                errors: Vec::new(),
                warnings: Vec::new()
            }),
        count(&|r| matches!(r.outcome, Outcome::GenerationFailed(_))),
        count(&|r| matches!(&r.outcome, Outcome::Checked { errors, .. } if !errors.is_empty())),
        count(
            &|r| matches!(&r.outcome, Outcome::Checked { errors, warnings } if errors.is_empty() && !warnings.is_empty())
        ),
        count(&|r| matches!(r.outcome, Outcome::NotChecked(_))),
        count(&|r| matches!(r.outcome, Outcome::Skipped(_))),
    );
    for e in &other_errors {
        let _ = writeln!(text, "error outside the generated crates: {e}");
    }
    let _ = writeln!(
        text,
        "generate: time in the pipeline (load to formatted files); memory: peak resident memory of \
         the process generating the document; check: wall time of rustc checking \
         the crate, within the one cargo check (dependencies not counted).\n\
         Scratch workspace: {} (run `cargo check --workspace --features {FEATURES}` there, with \
         CARGO_TARGET_DIR={}, for every message).",
        scratch.display(),
        target.display()
    );
    let ok = other_errors.is_empty() && !rows.iter().any(Row::failed);
    Ok(Report { text, ok })
}

fn matches(doc: &Document, name: &str) -> bool {
    doc.file == name
        || doc.name == name
        || doc
            .file
            .rsplit_once('.')
            .is_some_and(|(stem, _)| stem == name)
}

/// Operations in a document (for `--max-operations`), or `None` when it does
/// not load: then it is tried, and fails with the pipeline's own message.
fn count_operations(doc: &Document) -> Option<usize> {
    let loaded = crate::load::load(&doc.path, &doc.file).ok()?;
    let paths = loaded.document.get("paths")?.as_object()?;
    Some(
        paths
            .values()
            .filter_map(Value::as_object)
            .map(|item| {
                item.keys()
                    .filter(|k| {
                        matches!(
                            k.as_str(),
                            "get"
                                | "put"
                                | "post"
                                | "delete"
                                | "options"
                                | "head"
                                | "patch"
                                | "trace"
                        )
                    })
                    .count()
            })
            .sum(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_file_stems() {
        assert_eq!(provider_name("gcore-iam_api"), "corpus-gcore-iam-api");
        assert_eq!(
            provider_name("cloudflare-openapi-2024-08-06"),
            "corpus-cloudflare-openapi-2024-08-06"
        );
        assert_eq!(provider_name("Discord API v10"), "corpus-discord-api-v10");
    }

    #[test]
    fn registry_parses_with_one_provider_per_document() {
        let docs = [
            Document {
                file: "a_api.yaml".into(),
                path: PathBuf::from("a_api.yaml"),
                name: provider_name("a_api"),
            },
            Document {
                file: "b.json".into(),
                path: PathBuf::from("b.json"),
                name: provider_name("b"),
            },
        ];
        let parsed = providers::parse(&registry(&docs), Path::new("providers.toml")).unwrap();
        assert_eq!(parsed.len(), 2);
        let a = parsed.iter().find(|p| p.name == "corpus-a-api").unwrap();
        assert_eq!(a.crate_name, "corpus-a-api");
        assert_eq!(a.auth.header, "Authorization");
        assert_eq!(a.auth.prefix, "Bearer ");
        assert_eq!(a.auth.env, "CORPUS_A_API_TOKEN");
        assert_eq!(a.base_url_env, "CORPUS_A_API_BASE_URL");
    }

    #[test]
    fn scratch_manifest_keeps_shared_tables_and_empties_members() {
        let real = "[workspace]\nresolver = \"3\"\nmembers = [\"a\", \"b\"]\n\n[workspace.package]\nedition = \"2024\"\n\n\
                    [workspace.dependencies]\nserde = { version = \"1\", features = [\"derive\"] }\n\
                    rt = { version = \"0.1\", path = \"rt\" }\n\n\
                    [workspace.lints.rust]\nmissing_docs = \"warn\"\n\n[profile.dev]\ndebug = \"line-tables-only\"\n\
                    [profile.dev.package.syn]\nopt-level = 2\n";
        let text = scratch_manifest(real, Path::new("/repo")).unwrap();
        // The scaffold adds members to the first `members` of the text.
        let first = text.find("members").unwrap();
        assert!(text[first..].starts_with("members = []"), "{text}");
        let parsed: toml::Table = toml::from_str(&text).unwrap();
        let ws = parsed["workspace"].as_table().unwrap();
        assert!(ws["members"].as_array().unwrap().is_empty());
        assert_eq!(ws["package"]["edition"].as_str(), Some("2024"));
        assert_eq!(
            ws["dependencies"]["serde"]["features"][0].as_str(),
            Some("derive")
        );
        assert_eq!(ws["lints"]["rust"]["missing_docs"].as_str(), Some("warn"));
        // The runtime crate's path is the real workspace's, not the scratch's.
        assert_eq!(
            Path::new(ws["dependencies"]["rt"]["path"].as_str().unwrap()),
            Path::new("/repo/rt")
        );
        assert_eq!(
            parsed["profile"]["dev"]["debug"].as_str(),
            Some("line-tables-only")
        );
        assert!(parsed["profile"]["dev"].get("package").is_none());
    }

    #[test]
    fn openapi_version_of_yaml_and_json() {
        let dir = tempfile::tempdir().unwrap();
        let yaml = dir.path().join("a.yaml");
        std::fs::write(&yaml, "# c\nopenapi: '3.1.0'\ninfo: {}\n").unwrap();
        assert_eq!(openapi_version(&yaml), "3.1.0");
        std::fs::write(
            &yaml,
            "\"info\": {\"title\": \"x\"}\n\"openapi\": \"3.0.1\"\n",
        )
        .unwrap();
        assert_eq!(openapi_version(&yaml), "3.0.1");
        let json = dir.path().join("b.json");
        std::fs::write(&json, r#"{"info": {"openapi": "x"}, "openapi": "3.0.3"}"#).unwrap();
        assert_eq!(openapi_version(&json), "3.0.3");
    }

    #[test]
    fn cells_stay_on_one_line() {
        assert_eq!(cell("a | b\nc"), "a \\| b");
        assert_eq!(cell(&"x".repeat(300)).chars().count(), 200);
    }
}
