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
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::providers;
use crate::{output, pipeline};

mod check;
mod child;
mod progress;
mod scratch;
mod summary;
mod table;

use check::*;
pub use check::{message_crate, rustc_wrapper};
pub use child::{
    CRASHED, GENERATION_MEMORY_KIB, GENERATION_TIMEOUT, Generated, Generation, STOPPED_MEMORY,
    STOPPED_TIME, copy_of_self, generate_in_child, generate_in_child_with, generate_one,
};
pub use progress::Progress;
use scratch::write;
pub use scratch::{
    SCRATCH_MARKER, Scratch, check_scratch, create_batches, create_scratch, documents,
    provider_name, registry, scratch_manifest, target_dir, unique_name,
};
pub use summary::{Class, class, normalize, percent, percentile, reason, summary, thousands};
use table::*;
pub use table::{Outcome, Row, openapi_version, table};

/// The documents checked when no DIR is given, relative to the workspace root.
pub const DEFAULT_DIR: &str = "tests/vendor-specs";

/// When set, the xtask binary acts as a rustc wrapper that appends
/// `crate<TAB>kind<TAB>seconds` for each compilation to the file it names.
pub const RUSTC_LOG_ENV: &str = "XTASK_CORPUS_RUSTC_LOG";

/// Features every generated crate is checked with (the optional code paths,
/// and `full`: every tag's operations, whatever the crate's `default`).
pub const FEATURES: &str = "mock,tracing,full";

/// Prefix of every provider and crate name in the scratch workspace.
pub const PREFIX: &str = "corpus-";

/// Documents per scratch workspace, and so per `cargo check`: small enough
/// that cargo's plan stays quick and a batch's failure is readable, large
/// enough that a sample of 132 needs only four checks.
pub const BATCH: usize = 40;

/// Above this many documents the table goes to a file in the scratch folder
/// and only the summary is printed.
pub const FULL_TABLE_ROWS: usize = 100;

/// What `cargo xtask corpus` was asked.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Directory of documents (`.json`, `.yaml`, `.yml`), searched recursively.
    pub dir: PathBuf,
    /// Documents not to try, by relative path, file stem or provider name.
    pub skip: Vec<String>,
    /// Documents with more operations than this are not tried (reported as skipped).
    pub max_operations: Option<usize>,
    /// Where the scratch workspace goes (default: `<target>/corpus`): a new or
    /// empty folder, or one an earlier run made, which is wiped first.
    pub scratch: Option<PathBuf>,
    /// Limit on generating one document (default [`GENERATION_TIMEOUT`]).
    pub timeout: Option<Duration>,
    /// Only every Nth document of the sorted list, starting with the first:
    /// a fixed sample, the same on every run.
    pub every: Option<usize>,
    /// Generate only; no `cargo check`.
    pub generate_only: bool,
    /// Documents generated side by side (default 1: the times are then
    /// not inflated by a neighbour).
    pub jobs: Option<usize>,
}

/// The outcome of a corpus run.
pub struct Report {
    /// The table (or where it was written) and the summary, as printed.
    pub text: String,
    /// Every document tried generated, and compiled without a warning when checked.
    pub ok: bool,
    /// One row per document of the run, in order.
    pub rows: Vec<Row>,
    /// The scratch folder, which also holds `corpus-table.md` and `corpus-rows.jsonl`.
    pub scratch: PathBuf,
}

/// One document of the corpus.
#[derive(Debug, Clone)]
pub struct Document {
    /// Path relative to DIR, with `/` (the file name for a flat DIR).
    pub file: String,
    /// Full path of the file.
    pub path: PathBuf,
    /// Provider and crate name in the scratch workspace ([`unique_name`]).
    pub name: String,
}

/// Every `n`th document of `docs`, starting with the first (`n` of 0 or 1: all).
pub fn sample<T>(docs: Vec<T>, n: Option<usize>) -> Vec<T> {
    let n = n.unwrap_or(1).max(1);
    docs.into_iter().step_by(n).collect()
}

/// Runs the corpus; `Err` only for failures of the run itself (a directory
/// that cannot be read, a scratch workspace that cannot be written, cargo
/// missing), never for a document that fails.
pub fn run(root: &Path, options: &Options) -> Result<Report> {
    let started = Instant::now();
    let all = documents(&options.dir)?;
    for skip in &options.skip {
        if !all.iter().any(|d| matches(d, skip)) {
            let names: Vec<&str> = all.iter().map(|d| d.file.as_str()).take(20).collect();
            bail!(
                "--skip {skip}: no such document in {}; it holds {}{}",
                options.dir.display(),
                names.join(", "),
                if all.len() > 20 {
                    format!(" and {} more", all.len() - 20)
                } else {
                    String::new()
                }
            );
        }
    }
    let docs = sample(all, options.every);
    let target = target_dir(root)?;
    let scratch = match &options.scratch {
        Some(dir) => std::path::absolute(dir).context("cannot resolve the scratch directory")?,
        None => target.join("corpus"),
    };
    let batches = create_batches(root, &scratch, &docs, BATCH)?;
    let exe = copy_of_self(&scratch)?;
    let mut workspace = vec![scratch.clone(); docs.len()];
    for (dir, indices) in &batches {
        for &i in indices {
            workspace[i] = dir.clone();
        }
    }

    let mut rows: Vec<Row> = docs.iter().map(new_row).collect();
    let mut todo = Vec::new();
    for (i, doc) in docs.iter().enumerate() {
        if options.skip.iter().any(|s| matches(doc, s)) {
            rows[i].outcome = Outcome::Skipped("--skip".into());
            continue;
        }
        if let Some(max) = options.max_operations
            && let Some(n) = count_operations(doc)
            && n > max
        {
            rows[i].operations = Some(n);
            rows[i].outcome = Outcome::Skipped(format!("more than --max-operations {max}"));
            continue;
        }
        todo.push(i);
    }
    let loud = docs.len() <= FULL_TABLE_ROWS;
    let timeout = options.timeout.unwrap_or(GENERATION_TIMEOUT);
    let jobs = options.jobs.unwrap_or(1).max(1);
    let generated = generate_all(&exe, &docs, &workspace, &todo, timeout, jobs, loud)?;
    for (i, generation) in generated {
        let row = &mut rows[i];
        row.generation = Some(generation.seconds);
        row.memory_kib = Some(generation.peak_kib);
        match generation.result {
            Ok(done) => {
                row.operations = Some(done.operations);
                row.methods = Some(done.methods);
                row.notes = done.notes;
                row.outcome = Outcome::Generated;
            }
            Err(e) => {
                row.document_operations = count_operations(&docs[i]);
                row.outcome = Outcome::GenerationFailed(e);
            }
        }
    }

    let mut summary_text = String::new();
    let mut other_errors = Vec::new();
    let generated = rows
        .iter()
        .filter(|r| r.outcome == Outcome::Generated)
        .count();
    if options.generate_only {
        summary_text.push_str("cargo check: not run (--generate-only)\n");
    } else if generated == 0 {
        summary_text.push_str("cargo check: not run, no document generated\n");
    } else {
        let mut seconds = 0.0;
        let mut checks = 0;
        let mut failed_exits = Vec::new();
        let mut progress = Progress::new("batches checked", batches.len());
        for (dir, indices) in &batches {
            let crates = indices
                .iter()
                .filter(|&&i| rows[i].outcome == Outcome::Generated)
                .count();
            if crates == 0 {
                continue;
            }
            eprintln!(
                "corpus: cargo check of {crates} crate(s) in {}…",
                dir.display()
            );
            let check = cargo_check(&exe, dir, &target)?;
            seconds += check.seconds;
            checks += 1;
            if check.status != Some(0) {
                failed_exits.push(format!(
                    "{}: exit {}",
                    dir.file_name()
                        .and_then(|n| n.to_str())
                        .unwrap_or("scratch"),
                    check
                        .status
                        .map(|c| c.to_string())
                        .unwrap_or_else(|| "by signal".into())
                ));
            }
            apply_check(&mut rows, indices, &check, &mut other_errors);
            if !loud {
                progress.done(&dir.display().to_string(), check.status != Some(0));
            }
        }
        if !loud {
            progress.finish();
        }
        // One crate with one tag: a feature set that does not compile alone
        // (a type gated away from an operation that needs it) fails the run.
        if let Some(line) = one_tag_check(&rows, &batches, &target, &mut other_errors)? {
            summary_text.push_str(&line);
        }
        let _ = writeln!(
            summary_text,
            "cargo check --workspace --features {FEATURES} of {generated} crate(s) in {checks} batch(es) of up to {BATCH}: {} ({})",
            secs(seconds),
            if failed_exits.is_empty() {
                "exit 0".to_string()
            } else {
                failed_exits.join(", ")
            }
        );
    }

    let generation: f64 = rows.iter().filter_map(|r| r.generation).sum();
    let _ = writeln!(
        summary_text,
        "corpus run: {} in all, {} of it generating ({jobs} at a time)",
        secs(started.elapsed().as_secs_f64()),
        secs(generation)
    );
    let full_table = table(&rows);
    let table_file = scratch.join("corpus-table.md");
    write(&table_file, &full_table)?;
    write(&scratch.join("corpus-rows.jsonl"), &rows_jsonl(&rows))?;
    let mut text = if rows.len() > FULL_TABLE_ROWS {
        format!(
            "{} documents: the table of every one is in {}, and a line of JSON for each in {}\n",
            rows.len(),
            table_file.display(),
            scratch.join("corpus-rows.jsonl").display()
        )
    } else {
        full_table
    };
    text.push('\n');
    text.push_str(&summary_text);
    let count = |f: &dyn Fn(&Row) -> bool| rows.iter().filter(|r| f(r)).count();
    let _ = writeln!(
        text,
        "{} document(s): {} ok, {} failed to generate, {} do not compile, {} compile with warnings, {} not checked, {} skipped",
        rows.len(),
        count(&|r| r.outcome
            == Outcome::Checked {
                errors: Vec::new(),
                warnings: Vec::new()
            }
            || options.generate_only && r.outcome == Outcome::Generated),
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
    text.push('\n');
    text.push_str(&summary(&rows));
    let _ = writeln!(
        text,
        "\ngenerate: time in the pipeline (load to formatted files); memory: peak resident memory of \
         the process generating the document; check: wall time of rustc checking \
         the crate, within its batch's cargo check (dependencies not counted).\n\
         Scratch workspace: {} (run `cargo check --workspace --features {FEATURES}` there{}, with \
         CARGO_TARGET_DIR={}, for every message).",
        scratch.display(),
        if batches.len() > 1 {
            ", in each batch-NNN folder"
        } else {
            ""
        },
        target.display()
    );
    let ok = other_errors.is_empty() && !rows.iter().any(|r| r.failed_in(options.generate_only));
    Ok(Report {
        text,
        ok,
        rows,
        scratch,
    })
}

/// The row of a document before it is tried.
fn new_row(doc: &Document) -> Row {
    Row {
        file: doc.file.clone(),
        name: doc.name.clone(),
        openapi: openapi_version(&doc.path),
        operations: None,
        methods: None,
        document_operations: None,
        notes: BTreeMap::new(),
        generation: None,
        memory_kib: None,
        check: None,
        outcome: Outcome::Skipped(String::new()),
    }
}

/// Generates the documents `todo` (indices into `docs`), each in the
/// workspace `workspace[i]`, `jobs` at a time. `loud`: a line per document
/// and the child's stderr, as a small run always printed; otherwise the
/// [`Progress`] line.
///
/// A job takes a whole workspace at a time, never a document of one another
/// job is writing into: a child reads the registry's crate folders (to
/// refuse overwriting what it did not write) and adds its crate to the
/// workspace's members, and two children in one workspace would see each
/// other's half-written folders and lose each other's members.
fn generate_all(
    exe: &Path,
    docs: &[Document],
    workspace: &[PathBuf],
    todo: &[usize],
    timeout: Duration,
    jobs: usize,
    loud: bool,
) -> Result<Vec<(usize, Generation)>> {
    let groups = by_workspace(todo, workspace);
    let jobs = jobs.min(groups.len()).max(1);
    let next = AtomicUsize::new(0);
    let active = AtomicUsize::new(jobs);
    let results = Mutex::new(Vec::new());
    let first_error: Mutex<Option<anyhow::Error>> = Mutex::new(None);
    let progress = Mutex::new(Progress::new("generated", todo.len()));
    let lock = |m: &Mutex<Progress>| {
        // A worker that panicked leaves the counts as they were; still usable.
        m.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .tick();
    };
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| {
                let mut mine = Vec::new().into_iter();
                loop {
                    let stop = first_error.lock().map(|e| e.is_some()).unwrap_or(true);
                    if stop {
                        break;
                    }
                    let i = match mine.next() {
                        Some(i) => i,
                        None => match groups.get(next.fetch_add(1, Ordering::SeqCst)) {
                            Some(group) => {
                                mine = group.clone().into_iter();
                                continue;
                            }
                            None => break,
                        },
                    };
                    if loud {
                        eprintln!("corpus: generating {}…", docs[i].file);
                    }
                    match generate_in_child_with(exe, &workspace[i], &docs[i].name, timeout, loud) {
                        Ok(generation) => {
                            let failed = generation.result.is_err();
                            if let Ok(mut r) = results.lock() {
                                r.push((i, generation));
                            }
                            if !loud && let Ok(mut p) = progress.lock() {
                                p.done(&docs[i].file, failed);
                            }
                        }
                        Err(e) => {
                            if let Ok(mut first) = first_error.lock() {
                                first.get_or_insert(e);
                            }
                            break;
                        }
                    }
                }
                active.fetch_sub(1, Ordering::SeqCst);
            });
        }
        if !loud {
            while active.load(Ordering::SeqCst) > 0 {
                std::thread::sleep(Duration::from_millis(250));
                lock(&progress);
            }
            progress
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .finish();
        }
    });
    if let Some(e) = first_error
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
    {
        return Err(e);
    }
    let mut results = results
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    results.sort_by_key(|(i, _)| *i);
    Ok(results)
}

/// `todo` cut into runs of documents of one workspace, each the unit a job
/// of [`generate_all`] takes.
fn by_workspace(todo: &[usize], workspace: &[PathBuf]) -> Vec<Vec<usize>> {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for &i in todo {
        match groups.last_mut() {
            Some(group) if workspace[group[0]] == workspace[i] => group.push(i),
            _ => groups.push(vec![i]),
        }
    }
    groups
}

/// Sets the outcome of the rows `indices` from their batch's check; errors
/// The crate with the most tag features among those that compiled cleanly,
/// checked once more with only its largest tag (and `rustls`, `mock`): one
/// crate and one tag, a few seconds. Its errors go to `other_errors`.
fn one_tag_check(
    rows: &[Row],
    batches: &[(PathBuf, Vec<usize>)],
    target: &Path,
    other_errors: &mut Vec<String>,
) -> Result<Option<String>> {
    let mut best: Option<(usize, PathBuf, String, String)> = None;
    for (dir, indices) in batches {
        for &i in indices {
            let clean = matches!(&rows[i].outcome, Outcome::Checked { errors, warnings }
                if errors.is_empty() && warnings.is_empty());
            if !clean {
                continue;
            }
            let Ok(manifest) = std::fs::read_to_string(dir.join(&rows[i].name).join("Cargo.toml"))
            else {
                continue;
            };
            let tags = tag_features(&manifest);
            let Some((tag, _)) = tags
                .iter()
                .max_by_key(|(name, n)| (*n, std::cmp::Reverse(name.clone())))
            else {
                continue;
            };
            if tags.len() >= 2 && best.as_ref().is_none_or(|b| tags.len() > b.0) {
                best = Some((tags.len(), dir.clone(), rows[i].name.clone(), tag.clone()));
            }
        }
    }
    let Some((count, dir, name, tag)) = best else {
        return Ok(None);
    };
    let features = format!("{tag},rustls,mock");
    let started = Instant::now();
    let out = std::process::Command::new(check::cargo())
        .args([
            "check",
            "--quiet",
            "-p",
            &name,
            "--no-default-features",
            "--features",
            &features,
        ])
        .args(["--message-format", "short"])
        .current_dir(&dir)
        .env("CARGO_TARGET_DIR", target)
        .env("CARGO_INCREMENTAL", "0")
        .output()
        .with_context(|| format!("cannot run {}", check::cargo()))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let problems: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains(": error") || l.contains(": warning"))
        .collect();
    if !out.status.success() || !problems.is_empty() {
        other_errors.push(format!(
            "{name} with only the feature {tag}: {}",
            problems.first().copied().unwrap_or("cargo check failed")
        ));
    }
    Ok(Some(format!(
        "cargo check -p {name} --no-default-features --features {features} (one of its {count} tags): {} ({})\n",
        secs(started.elapsed().as_secs_f64()),
        if out.status.success() && problems.is_empty() {
            "ok"
        } else {
            "FAILED"
        }
    )))
}

/// A generated manifest's tag features (what its `full` lists) with their
/// operation counts (the `## The N operation(s)` line above each).
fn tag_features(manifest: &str) -> Vec<(String, usize)> {
    let Ok(doc) = manifest.parse::<toml_edit::DocumentMut>() else {
        return Vec::new();
    };
    let Some(features) = doc.get("features").and_then(|f| f.as_table()) else {
        return Vec::new();
    };
    let listed: Vec<String> = features
        .get("full")
        .and_then(|f| f.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    listed
        .into_iter()
        .map(|name| {
            let count = features
                .key(&name)
                .and_then(|k| k.leaf_decor().prefix())
                .and_then(|p| p.as_str())
                .and_then(|p| {
                    p.trim_start_matches("## The ")
                        .split(' ')
                        .next()?
                        .parse()
                        .ok()
                })
                .unwrap_or(0);
            (name, count)
        })
        .collect()
}

/// of crates that are not rows go to `other_errors`.
fn apply_check(rows: &mut [Row], indices: &[usize], check: &Check, other_errors: &mut Vec<String>) {
    for &i in indices {
        let row = &mut rows[i];
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
    let before = other_errors.len();
    for (name, d) in &check.diagnostics {
        if !indices.iter().any(|&i| &rows[i].name == name) {
            other_errors.extend(d.errors.iter().map(|e| format!("{name}: {e}")));
        }
    }
    if check.status != Some(0)
        && other_errors.len() == before
        && !indices.iter().any(
            |&i| matches!(&rows[i].outcome, Outcome::Checked { errors, .. } if !errors.is_empty()),
        )
    {
        other_errors.push(format!(
            "cargo check failed: {}",
            check.first_cargo_error.as_deref().unwrap_or("(no message)")
        ));
    }
}

/// One JSON object per row, for tools that read a run (`cargo xtask bench corpus`).
fn rows_jsonl(rows: &[Row]) -> String {
    let mut out = String::new();
    for r in rows {
        let line = serde_json::json!({
            "file": r.file,
            "name": r.name,
            "operations": r.operations.or(r.document_operations),
            "methods": r.methods,
            "seconds": r.generation,
            "peak_kib": r.memory_kib,
            "check_seconds": r.check,
            "class": class(r).label(),
            "reason": reason(r),
            "notes": r.notes,
        });
        out.push_str(&line.to_string());
        out.push('\n');
    }
    out
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
    let document = match crate::load::load(&doc.path, &doc.file) {
        Ok(loaded) => loaded.document,
        // Over the load limits, or not loadable: a JSON file is still read
        // as plain JSON, only to count what its failure cost.
        Err(_) if doc.file.ends_with(".json") => {
            serde_json::from_slice(&std::fs::read(&doc.path).ok()?).ok()?
        }
        Err(_) => return None,
    };
    let paths = document.get("paths")?.as_object()?;
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

    /// The APIs-guru tree: `<provider>.json` and `<provider>/<service>.json`,
    /// names from the relative path, sorted, unique and valid for the registry.
    #[test]
    fn documents_are_found_in_a_tree_and_named_from_their_relative_path() {
        let dir = tempfile::tempdir().unwrap();
        let put = |rel: &str| {
            let path = dir.path().join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "{}").unwrap();
        };
        for rel in [
            "zoom.us.json",
            "apideck.com/lead.json",
            "apideck.com/crm.json",
            "a.b.json",
            "a-b.json",
            "x/.hidden.json",
            "notes.txt",
            &format!("{}.json", "long".repeat(20)),
        ] {
            put(rel);
        }
        let docs = documents(dir.path()).unwrap();
        let files: Vec<&str> = docs.iter().map(|d| d.file.as_str()).collect();
        let long = format!("{}.json", "long".repeat(20));
        assert_eq!(
            files,
            [
                "a-b.json",
                "a.b.json",
                "apideck.com/crm.json",
                "apideck.com/lead.json",
                long.as_str(),
                "zoom.us.json"
            ]
        );
        let names: Vec<&str> = docs.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names[0], "corpus-a-b");
        // The second `corpus-a-b` gets a hash of its own path instead.
        assert!(
            names[1].starts_with("corpus-a-b-") && names[1].len() == 19,
            "{names:?}"
        );
        assert_eq!(names[2], "corpus-apideck-com-crm");
        assert_eq!(names[3], "corpus-apideck-com-lead");
        assert!(
            names[4].len() <= 64 && names[4].starts_with("corpus-longlong"),
            "{names:?}"
        );
        assert_eq!(names[5], "corpus-zoom-us");
        for doc in &docs {
            crate::validate::provider_name(&doc.name).unwrap();
            crate::validate::crate_name(&doc.name).unwrap();
        }
        // The hash depends on the path alone: the same in a run without `a-b.json`.
        let mut taken = std::collections::BTreeSet::from(["corpus-a-b".to_string()]);
        assert_eq!(unique_name("a.b.json", &mut taken).unwrap(), names[1]);
        // The registry takes the relative paths as `spec`.
        let parsed = providers::parse(&registry(&docs), Path::new("providers.toml")).unwrap();
        assert_eq!(parsed.len(), docs.len());
    }

    /// A file name that is not a name: never becomes a registry entry.
    #[test]
    fn a_file_name_the_registry_refuses_stops_the_run() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a`b.json"), "{}").unwrap();
        let err = documents(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("the registry would refuse this file name"),
            "{err}"
        );
        let mut taken = std::collections::BTreeSet::new();
        // Nothing alphanumeric left: the hash makes it a name.
        let name = unique_name("-.json", &mut taken).unwrap();
        assert!(name.starts_with("corpus-") && name.len() == 15, "{name}");
    }

    /// Two jobs never generate into one workspace at once (a child reads
    /// its neighbours' crate folders): a job's unit is a whole workspace.
    #[test]
    fn jobs_take_whole_workspaces() {
        let a = PathBuf::from("batch-001");
        let b = PathBuf::from("batch-002");
        let workspace = [a.clone(), a.clone(), a, b.clone(), b];
        assert_eq!(
            by_workspace(&[0, 2, 3, 4], &workspace),
            [vec![0, 2], vec![3, 4]]
        );
        assert!(by_workspace(&[], &workspace).is_empty());
    }

    #[test]
    fn every_nth_document_from_the_first() {
        let v: Vec<usize> = (0..45).collect();
        assert_eq!(sample(v.clone(), Some(20)), [0, 20, 40]);
        assert_eq!(sample(v.clone(), None).len(), 45);
        assert_eq!(sample(v.clone(), Some(1)).len(), 45);
        assert_eq!(sample(Vec::<usize>::new(), Some(3)), Vec::<usize>::new());
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
