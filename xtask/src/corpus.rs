//! `cargo xtask corpus [DIR]`: real vendor documents through the whole pipeline
//! and `cargo check`, one table row per document.
//!
//! Every OpenAPI document in DIR (default [`DEFAULT_DIR`]) becomes a provider
//! of a scratch workspace under the target directory (`target/corpus/`, wiped
//! first): its root manifest carries the real workspace's shared package
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

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::providers;
use crate::{output, pipeline};

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
    /// Where the scratch workspace goes (default: `<target>/corpus`); wiped first.
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

/// The documents in `dir`, sorted by file name.
pub fn documents(dir: &Path) -> Result<Vec<Document>> {
    let entries =
        std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))?;
    let mut docs = Vec::new();
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
        let path = entry.path();
        let Some(file) = path.file_name().and_then(|n| n.to_str()).map(String::from) else {
            continue;
        };
        let Some((stem, ext)) = file.rsplit_once('.') else {
            continue;
        };
        if !matches!(ext, "json" | "yaml" | "yml") || !path.is_file() {
            continue;
        }
        docs.push(Document {
            name: provider_name(stem),
            file,
            path,
        });
    }
    docs.sort_by(|a, b| a.file.cmp(&b.file));
    for pair in docs.windows(2) {
        if pair[0].name == pair[1].name {
            bail!(
                "{} and {} in {} would both become crate {}; rename one",
                pair[0].file,
                pair[1].file,
                dir.display(),
                pair[0].name
            );
        }
    }
    if docs.is_empty() {
        bail!(
            "{} holds no OpenAPI document (*.json, *.yaml, *.yml)",
            dir.display()
        );
    }
    Ok(docs)
}

/// `corpus-` and the file stem, lowercased, anything but letters and digits
/// turned into `-`: `gcore-iam_api` → `corpus-gcore-iam-api`.
pub fn provider_name(stem: &str) -> String {
    let mut name = String::from(PREFIX);
    for c in stem.chars() {
        if c.is_ascii_alphanumeric() {
            name.push(c.to_ascii_lowercase());
        } else if !name.ends_with('-') {
            name.push('-');
        }
    }
    name.trim_end_matches('-').to_string()
}

/// The list patterns every corpus provider declares: the shipped vendors'
/// (Cloudflare's page numbers, Gcore's offsets) and Cloudflare's cursor, so
/// that the pagination code is generated and compiled on every document whose
/// lists fit one of them.
const PAGINATION: &str = "style = \"page\"\npage = \"page\"\nitems = \"result\"\ntotal_pages = \"result_info.total_pages\"\n\n\
     [[providers.{name}.pagination]]\nstyle = \"offset\"\noffset = \"offset\"\nitems = \"results\"\ntotal = \"count\"\n\n\
     [[providers.{name}.pagination]]\nstyle = \"cursor\"\ncursor = \"cursor\"\nitems = \"result\"\nnext = \"result_info.cursor\"\n";

/// The scratch registry: one provider per document, a bearer token in
/// `Authorization`, env vars derived from the name, the `PAGINATION` patterns.
pub fn registry(docs: &[Document]) -> String {
    let mut text = String::from(
        "# Written by `cargo xtask corpus`: one provider per document of the corpus.\n",
    );
    for doc in docs {
        let env = doc.name.to_ascii_uppercase().replace('-', "_");
        let _ = write!(
            text,
            "\n[providers.{name}]\nspec = {spec}\ncrate = \"{name}\"\ntitle = {title}\nbase_url_env = \"{env}_BASE_URL\"\n\n\
             [providers.{name}.auth]\nheader = \"Authorization\"\nprefix = \"Bearer \"\nenv = \"{env}_TOKEN\"\nwhat = \"API token\"\n\n\
             [[providers.{name}.pagination]]\n{pagination}",
            pagination = PAGINATION.replace("{name}", &doc.name),
            name = doc.name,
            spec = toml::Value::String(doc.file.clone()),
            title = toml::Value::String(doc.file.clone()),
        );
    }
    text
}

/// The target directory cargo uses for the real workspace: `$CARGO_TARGET_DIR`
/// (relative to the current directory, as cargo reads it) or `<root>/target`.
pub fn target_dir(root: &Path) -> Result<PathBuf> {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => {
            std::path::absolute(&dir).context("cannot resolve $CARGO_TARGET_DIR")
        }
        _ => Ok(root.join("target")),
    }
}

/// The scratch workspace's root manifest: `[workspace.package]`,
/// `[workspace.dependencies]` and `[workspace.lints]` of the real one, an empty
/// `members` list, and its profiles without per-package overrides (the
/// profile is part of every compiled dependency's hash: a different one would
/// rebuild them all instead of reusing the shared target directory).
///
/// A dependency the real workspace holds by `path` (the runtime crate) is
/// named by its absolute path under `root`, the real workspace's root, so that
/// the scratch crates build against the same source.
pub fn scratch_manifest(real: &str, root: &Path) -> Result<String> {
    let real: toml::Table =
        toml::from_str(real).context("the workspace Cargo.toml is not valid TOML")?;
    let workspace = real
        .get("workspace")
        .and_then(toml::Value::as_table)
        .context("the workspace Cargo.toml has no [workspace] table")?;
    let mut ws = toml::Table::new();
    ws.insert(
        "resolver".into(),
        workspace
            .get("resolver")
            .cloned()
            .unwrap_or_else(|| toml::Value::String("3".into())),
    );
    ws.insert("members".into(), toml::Value::Array(Vec::new()));
    for key in ["package", "dependencies", "lints"] {
        if let Some(value) = workspace.get(key) {
            ws.insert(key.into(), value.clone());
        }
    }
    if let Some(dependencies) = ws
        .get_mut("dependencies")
        .and_then(toml::Value::as_table_mut)
    {
        for (_, dependency) in dependencies.iter_mut() {
            if let Some(path) = dependency.get_mut("path")
                && let Some(relative) = path.as_str()
            {
                let absolute = root.join(relative);
                *path = toml::Value::String(absolute.to_string_lossy().into_owned());
            }
        }
    }
    // `[workspace]` first: the scaffold adds each crate to the first `members`
    // list of the file's text.
    let mut text = String::from(
        "# Written by `cargo xtask corpus` from the workspace's Cargo.toml; generation adds each crate.\n",
    );
    let mut manifest = toml::Table::new();
    manifest.insert("workspace".into(), toml::Value::Table(ws));
    text.push_str(&toml::to_string(&manifest).context("cannot write the scratch Cargo.toml")?);
    if let Some(profiles) = real.get("profile").and_then(toml::Value::as_table) {
        let mut kept = toml::Table::new();
        for (name, profile) in profiles {
            let mut profile = profile.as_table().cloned().unwrap_or_default();
            profile.remove("package");
            kept.insert(name.clone(), toml::Value::Table(profile));
        }
        let mut manifest = toml::Table::new();
        manifest.insert("profile".into(), toml::Value::Table(kept));
        text.push('\n');
        text.push_str(&toml::to_string(&manifest).context("cannot write the scratch Cargo.toml")?);
    }
    Ok(text)
}

/// Lays out the scratch workspace at `scratch` (wiped first) for `docs`.
pub fn create_scratch(root: &Path, scratch: &Path, docs: &[Document]) -> Result<()> {
    if scratch.exists() {
        std::fs::remove_dir_all(scratch)
            .with_context(|| format!("cannot wipe {}", scratch.display()))?;
    }
    let specs = scratch.join("specs");
    std::fs::create_dir_all(&specs)
        .with_context(|| format!("cannot create {}", specs.display()))?;
    let real = std::fs::read_to_string(root.join("Cargo.toml"))
        .context("cannot read the workspace Cargo.toml")?;
    write(&scratch.join("Cargo.toml"), &scratch_manifest(&real, root)?)?;
    let lock = root.join("Cargo.lock");
    if lock.exists() {
        std::fs::copy(&lock, scratch.join("Cargo.lock"))
            .with_context(|| format!("cannot copy {}", lock.display()))?;
    }
    for doc in docs {
        std::fs::copy(&doc.path, specs.join(&doc.file))
            .with_context(|| format!("cannot copy {}", doc.path.display()))?;
    }
    write(&specs.join("providers.toml"), &registry(docs))
}

fn write(path: &Path, contents: &str) -> Result<()> {
    std::fs::write(path, contents).with_context(|| format!("cannot write {}", path.display()))
}

/// What happened to one document.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Not tried (`--skip`, `--max-operations`); the reason.
    Skipped(String),
    /// The pipeline failed; its error.
    GenerationFailed(String),
    /// Generated and written, not checked yet (only while the run goes on).
    Generated,
    /// Generated, but cargo did not check it (the check failed as a whole).
    NotChecked(String),
    /// Generated and checked: the distinct errors and warnings.
    Checked {
        /// Distinct error messages, in cargo's short format.
        errors: Vec<String>,
        /// Distinct warnings.
        warnings: Vec<String>,
    },
}

/// One row of the table.
#[derive(Debug, Clone)]
pub struct Row {
    /// File name.
    pub file: String,
    /// Crate name.
    pub name: String,
    /// The `openapi` (or `swagger`) field, or `?`.
    pub openapi: String,
    /// Operations in the document, when the pipeline got that far.
    pub operations: Option<usize>,
    /// Client methods generated (entries of `OPERATIONS` in `src/client.rs`).
    pub methods: Option<usize>,
    /// The pipeline's notes, counted by kind.
    pub notes: BTreeMap<String, usize>,
    /// Seconds in [`pipeline::render`] (or until the child was stopped).
    pub generation: Option<f64>,
    /// Peak resident memory of the generating process, KiB.
    pub memory_kib: Option<u64>,
    /// Seconds in rustc for this crate during the check.
    pub check: Option<f64>,
    /// The result.
    pub outcome: Outcome,
}

impl Row {
    /// Whether this row makes the run fail.
    pub fn failed(&self) -> bool {
        match &self.outcome {
            Outcome::Skipped(_) => false,
            Outcome::GenerationFailed(_) | Outcome::Generated | Outcome::NotChecked(_) => true,
            Outcome::Checked { errors, warnings } => !errors.is_empty() || !warnings.is_empty(),
        }
    }

    fn result(&self) -> String {
        match &self.outcome {
            Outcome::Skipped(why) => format!("skipped ({why})"),
            Outcome::GenerationFailed(e) => format!("generation failed: {}", cell(first_line(e))),
            Outcome::Generated => "generated, not checked".into(),
            Outcome::NotChecked(why) => format!("not checked: {}", cell(why)),
            Outcome::Checked { errors, warnings } if !errors.is_empty() => format!(
                "does not compile: {} error(s){}, first: `{}`",
                errors.len(),
                if warnings.is_empty() {
                    String::new()
                } else {
                    format!(" and {} warning(s)", warnings.len())
                },
                cell(&errors[0])
            ),
            Outcome::Checked { warnings, .. } if !warnings.is_empty() => format!(
                "{} warning(s), first: `{}`",
                warnings.len(),
                cell(&warnings[0])
            ),
            Outcome::Checked { .. } => "ok".into(),
        }
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}

/// Text fit for one table cell: one line, no `|`, at most 200 characters.
fn cell(text: &str) -> String {
    let line = first_line(text).replace('|', "\\|").replace('`', "'");
    if line.chars().count() > 200 {
        let cut: String = line.chars().take(199).collect();
        format!("{cut}…")
    } else {
        line
    }
}

/// The `openapi` version a document declares, read without building the
/// document: a JSON file's top-level field, a YAML file's top-level line.
pub fn openapi_version(path: &Path) -> String {
    let Ok(bytes) = std::fs::read(path) else {
        return "?".into();
    };
    let json = path.extension().is_some_and(|e| e == "json");
    let found = if json {
        #[derive(serde::Deserialize)]
        struct Head {
            openapi: Option<String>,
            swagger: Option<String>,
        }
        serde_json::from_slice::<Head>(&bytes)
            .ok()
            .and_then(|h| h.openapi.or(h.swagger))
    } else {
        // A top-level `openapi: 3.1.0` line, key and value quoted or not.
        String::from_utf8_lossy(&bytes).lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            if !matches!(
                key.trim_end().trim_matches(['"', '\'']),
                "openapi" | "swagger"
            ) || line.starts_with(char::is_whitespace)
            {
                return None;
            }
            let value = value.split(" #").next().unwrap_or_default().trim();
            Some(value.trim_matches(['"', '\'']).to_string())
        })
    };
    found
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "?".into())
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

/// Default wall-clock limit on generating one document (`--timeout`); the
/// child is killed after it. The largest document, Cloudflare's 1,533
/// operations, has a 3.5 s target: a run 30 times longer is broken, and
/// seven such runs must still fit in CI's budget.
pub const GENERATION_TIMEOUT: Duration = Duration::from_secs(120);

/// Memory limit on generating one document (resident set, KiB; polled, Linux
/// only); the child is killed above it rather than letting it take the machine.
pub const GENERATION_MEMORY_KIB: u64 = 8 * 1024 * 1024;

/// A document that generated.
#[derive(Debug, Clone)]
pub struct Generated {
    /// Operations in the document.
    pub operations: usize,
    /// Client methods generated: entries of `OPERATIONS` in `src/client.rs`.
    pub methods: usize,
    /// The pipeline's notes, counted by kind.
    pub notes: BTreeMap<String, usize>,
}

/// Generating one document in a child process.
#[derive(Debug, Clone)]
pub struct Generation {
    /// Seconds in [`pipeline::render`], measured by the child (or its wall
    /// time when it did not report).
    pub seconds: f64,
    /// Peak resident memory of the child, KiB.
    pub peak_kib: u64,
    /// What it generated, or why it did not (one message).
    pub result: std::result::Result<Generated, String>,
}

/// The child side, `xtask corpus-one SCRATCH PROVIDER`: renders one provider
/// of a scratch workspace, writes its files, and returns one JSON line for
/// [`generate_in_child`]. A failure of the pipeline is part of the line; only
/// a failure to write is an error.
pub fn generate_one(scratch: &Path, name: &str) -> Result<String> {
    let provider = providers::select(providers::load(scratch)?, &[name.to_string()])?
        .into_iter()
        .next()
        .with_context(|| format!("{name} is not in the scratch registry"))?;
    let started = Instant::now();
    let rendered = pipeline::render(scratch, &provider);
    let seconds = started.elapsed().as_secs_f64();
    let line = match rendered {
        Ok(out) => {
            let mut notes: BTreeMap<String, usize> = BTreeMap::new();
            for note in &out.notes {
                *notes.entry(note.kind.clone()).or_default() += 1;
            }
            let client = format!("{}/src/client.rs", provider.crate_name);
            let methods = out
                .files
                .iter()
                .find(|f| f.path == client)
                .map_or(0, |f| f.contents.matches("runtime::Operation {").count());
            output::write_all(scratch, &out.files).with_context(|| {
                format!("cannot write the crate of {name} in {}", scratch.display())
            })?;
            serde_json::json!({
                "seconds": seconds,
                "peak_kib": peak_kib(),
                "operations": out.operations,
                "methods": methods,
                "notes": notes,
            })
        }
        Err(e) => serde_json::json!({
            "seconds": seconds,
            "peak_kib": peak_kib(),
            "error": format!("{e:#}"),
        }),
    };
    Ok(line.to_string())
}

/// Peak resident memory of this process in KiB (Linux; 0 elsewhere).
fn peak_kib() -> u64 {
    status_kib("self", "VmHWM:").unwrap_or(0)
}

/// A `/proc/<pid>/status` field in KiB.
fn status_kib(pid: &str, field: &str) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// A copy of this binary in `dir`, to run as the generating child and the
/// rustc wrapper: a build that replaces the binary while the run goes on
/// (another checkout sharing the target directory) cannot change or remove it.
pub fn copy_of_self(dir: &Path) -> Result<PathBuf> {
    let copy = dir.join(format!("xtask-corpus{}", std::env::consts::EXE_SUFFIX));
    // On Linux /proc/self/exe is the running image even if its file was replaced.
    let proc_exe = Path::new("/proc/self/exe");
    let source = if proc_exe.exists() {
        proc_exe.to_path_buf()
    } else {
        std::env::current_exe().context("cannot find the xtask binary")?
    };
    std::fs::copy(&source, &copy)
        .with_context(|| format!("cannot copy the xtask binary to {}", copy.display()))?;
    Ok(copy)
}

/// Runs [`generate_one`] in a child process (`exe corpus-one`, `exe` this
/// binary or a [`copy_of_self`]), killing it past `timeout` or
/// [`GENERATION_MEMORY_KIB`].
pub fn generate_in_child(
    exe: &Path,
    scratch: &Path,
    name: &str,
    timeout: Duration,
) -> Result<Generation> {
    let started = Instant::now();
    let mut child = Command::new(exe)
        .arg("corpus-one")
        .arg(scratch)
        .arg(name)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run {}", exe.display()))?;
    let stdout = child.stdout.take().context("the child's stdout")?;
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut BufReader::new(stdout), &mut text);
        text
    });
    let stderr = child.stderr.take().context("the child's stderr")?;
    let echo = std::thread::spawn(move || {
        let mut last = None;
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            eprintln!("  {line}");
            if !line.trim().is_empty() {
                last = Some(line.trim().to_string());
            }
        }
        last
    });
    let pid = child.id().to_string();
    let mut polled_peak = 0;
    let mut stopped = None;
    let status = loop {
        if let Some(status) = child.try_wait().context("cannot wait for the child")? {
            break status;
        }
        if let Some(rss) = status_kib(&pid, "VmRSS:") {
            polled_peak = polled_peak.max(rss);
        }
        let why = if polled_peak > GENERATION_MEMORY_KIB {
            Some(format!(
                "stopped at {} MiB of memory (the limit is {} MiB)",
                polled_peak / 1024,
                GENERATION_MEMORY_KIB / 1024
            ))
        } else if started.elapsed() > timeout {
            Some(format!(
                "stopped after {} s, the time limit",
                timeout.as_secs()
            ))
        } else {
            None
        };
        if let Some(why) = why {
            // Already gone is fine: the wait below reaps it either way.
            let _ = child.kill();
            stopped = Some(why);
            break child.wait().context("cannot wait for the child")?;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let wall = started.elapsed().as_secs_f64();
    let text = reader.join().unwrap_or_default();
    let last_stderr = echo.join().unwrap_or_default();
    let line: Option<Value> = text
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str(l).ok());
    let generation = match (stopped, line) {
        (Some(why), _) => Generation {
            seconds: wall,
            peak_kib: polled_peak,
            result: Err(why),
        },
        (None, Some(line)) if status.success() => {
            let number = |key: &str| line[key].as_u64().unwrap_or(0);
            Generation {
                seconds: line["seconds"].as_f64().unwrap_or(wall),
                peak_kib: number("peak_kib").max(polled_peak),
                result: match line["error"].as_str() {
                    Some(error) => Err(error.to_string()),
                    None => Ok(Generated {
                        operations: usize::try_from(number("operations")).unwrap_or(0),
                        methods: usize::try_from(number("methods")).unwrap_or(0),
                        notes: line["notes"]
                            .as_object()
                            .map(|notes| {
                                notes
                                    .iter()
                                    .map(|(k, v)| {
                                        (
                                            k.clone(),
                                            usize::try_from(v.as_u64().unwrap_or(0)).unwrap_or(0),
                                        )
                                    })
                                    .collect()
                            })
                            .unwrap_or_default(),
                    }),
                },
            }
        }
        (None, _) => Generation {
            seconds: wall,
            peak_kib: polled_peak,
            result: Err(format!(
                "the generating process {}: {}",
                match status.code() {
                    Some(code) => format!("exited with {code}"),
                    None => "was killed by a signal".into(),
                },
                last_stderr.unwrap_or_else(|| "(nothing on stderr)".into())
            )),
        },
    };
    Ok(generation)
}

/// Distinct diagnostics of one crate.
#[derive(Debug, Default, Clone)]
struct Diagnostics {
    errors: Vec<String>,
    warnings: Vec<String>,
}

/// What the one `cargo check` reported.
struct Check {
    seconds: f64,
    status: Option<i32>,
    /// By crate name (the crate's directory).
    diagnostics: BTreeMap<String, Diagnostics>,
    /// Crates with at least one target checked successfully.
    compiled: BTreeSet<String>,
    /// Seconds in rustc by crate name (with `_`), from the wrapper's log.
    rustc_seconds: BTreeMap<String, f64>,
    /// First `error:` line cargo itself printed.
    first_cargo_error: Option<String>,
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

fn cargo_check(exe: &Path, scratch: &Path, target: &Path) -> Result<Check> {
    let log = scratch.join("rustc-times.tsv");
    let started = Instant::now();
    let mut child = Command::new(cargo())
        .args([
            "check",
            "--workspace",
            "--keep-going",
            "--features",
            FEATURES,
            "--message-format",
            "json-diagnostic-short",
        ])
        .current_dir(scratch)
        .env("CARGO_TARGET_DIR", target)
        .env("RUSTC_WORKSPACE_WRAPPER", exe)
        .env(RUSTC_LOG_ENV, &log)
        // The crates are new on every run: incremental state would only be
        // written, never reused, and would make the times less comparable.
        .env("CARGO_INCREMENTAL", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run {}", cargo()))?;
    let stderr = child.stderr.take().context("cargo's stderr")?;
    // cargo's own progress goes on to ours as it comes; its first error is kept.
    let echo = std::thread::spawn(move || {
        let mut first = None;
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            eprintln!("  {line}");
            if first.is_none() && line.trim_start().starts_with("error") {
                first = Some(line.trim().to_string());
            }
        }
        first
    });
    let stdout = child.stdout.take().context("cargo's stdout")?;
    let mut diagnostics: BTreeMap<String, Diagnostics> = BTreeMap::new();
    let mut compiled = BTreeSet::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.context("cannot read cargo's output")?;
        let Ok(message) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        let krate = message["manifest_path"]
            .as_str()
            .map(Path::new)
            .and_then(Path::parent)
            .and_then(Path::file_name)
            .and_then(|n| n.to_str())
            .unwrap_or("?")
            .to_string();
        match message["reason"].as_str() {
            Some("compiler-artifact") => {
                compiled.insert(krate);
            }
            Some("compiler-message") => {
                let m = &message["message"];
                let text = m["message"].as_str().unwrap_or_default();
                // rustc's own tallies, which cargo may pass on.
                if text.starts_with("aborting due to")
                    || text.ends_with("warning emitted")
                    || text.ends_with("warnings emitted")
                {
                    continue;
                }
                let rendered = m["rendered"]
                    .as_str()
                    .unwrap_or(text)
                    .trim_end()
                    .to_string();
                let error = match m["level"].as_str() {
                    Some(l) if l.starts_with("error") => true,
                    Some("warning") => false,
                    _ => continue,
                };
                let entry = diagnostics.entry(krate).or_default();
                let list = if error {
                    &mut entry.errors
                } else {
                    &mut entry.warnings
                };
                if !list.contains(&rendered) {
                    list.push(rendered);
                }
            }
            _ => {}
        }
    }
    let status = child.wait().context("cargo check did not finish")?;
    let seconds = started.elapsed().as_secs_f64();
    let first_cargo_error = echo.join().unwrap_or_default();
    let mut rustc_seconds = BTreeMap::new();
    if let Ok(text) = std::fs::read_to_string(&log) {
        for line in text.lines() {
            let mut fields = line.split('\t');
            if let (Some(krate), Some(_kind), Some(secs)) =
                (fields.next(), fields.next(), fields.next())
                && let Ok(secs) = secs.parse::<f64>()
            {
                *rustc_seconds.entry(krate.to_string()).or_insert(0.0) += secs;
            }
        }
    }
    Ok(Check {
        seconds,
        status: status.code(),
        diagnostics,
        compiled,
        rustc_seconds,
        first_cargo_error,
    })
}

/// The xtask binary as `RUSTC_WORKSPACE_WRAPPER`: runs `rustc ARGS...` (the
/// arguments after the program name), passes its output and exit code
/// through, and appends `crate<TAB>kind<TAB>seconds` to `log`.
pub fn rustc_wrapper(log: &Path) -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let Some(rustc) = args.next() else {
        eprintln!(
            "xtask: {RUSTC_LOG_ENV} is set, so this is a rustc wrapper, but no rustc was given"
        );
        return ExitCode::from(2);
    };
    let args: Vec<OsString> = args.collect();
    let started = Instant::now();
    let status = match Command::new(&rustc).args(&args).status() {
        Ok(status) => status,
        Err(e) => {
            eprintln!(
                "xtask (rustc wrapper): cannot run {}: {e}",
                rustc.to_string_lossy()
            );
            return ExitCode::from(101);
        }
    };
    let seconds = started.elapsed().as_secs_f64();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .map(|v| v.to_string_lossy().into_owned())
    };
    if let Some(krate) = value("--crate-name").filter(|k| k != "___") {
        let kind = if args.iter().any(|a| a == "--test") {
            "test".to_string()
        } else {
            value("--crate-type").unwrap_or_else(|| "lib".into())
        };
        // One short append per compilation: concurrent wrappers do not interleave.
        let logged = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .and_then(|mut f| f.write_all(format!("{krate}\t{kind}\t{seconds:.3}\n").as_bytes()));
        if let Err(e) = logged {
            eprintln!(
                "xtask (rustc wrapper): cannot log to {}: {e}",
                log.display()
            );
        }
    }
    match status.code() {
        Some(0) => ExitCode::SUCCESS,
        Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(101)),
        None => ExitCode::from(101),
    }
}

fn secs(s: f64) -> String {
    if s < 1.0 {
        format!("{:.0} ms", s * 1e3)
    } else {
        format!("{s:.1} s")
    }
}

/// The markdown table.
pub fn table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| document | OpenAPI | operations | methods | notes | generate | memory | check | result |\n\
         |---|---|---|---|---|---|---|---|---|\n",
    );
    let opt = |v: Option<usize>| v.map(|n| n.to_string()).unwrap_or_else(|| "—".into());
    let time = |v: Option<f64>| v.map(secs).unwrap_or_else(|| "—".into());
    for r in rows {
        let notes = if r.notes.is_empty() {
            "—".to_string()
        } else {
            r.notes
                .iter()
                .map(|(kind, n)| format!("{kind} ×{n}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.file,
            r.openapi,
            opt(r.operations),
            opt(r.methods),
            notes,
            time(r.generation),
            r.memory_kib
                .map(|k| format!("{} MiB", k.div_ceil(1024)))
                .unwrap_or_else(|| "—".into()),
            time(r.check),
            r.result()
        );
    }
    out
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
