//! Generating one document in a child process of its own, with its memory
//! and time bounded and its peak memory measured.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde_json::Value;

use super::*;

/// Default wall-clock limit on generating one document (`--timeout`); the
/// child is killed after it. The largest document, Cloudflare's 1,533
/// operations, has a 3.5 s target: a run 30 times longer is broken, and
/// seven such runs must still fit in CI's budget.
pub const GENERATION_TIMEOUT: Duration = Duration::from_secs(120);

/// Memory limit on generating one document (resident set, KiB; polled, Linux
/// only); the child is killed above it rather than letting it take the machine.
pub const GENERATION_MEMORY_KIB: u64 = 8 * 1024 * 1024;

/// How the message of a document stopped for its memory begins.
pub const STOPPED_MEMORY: &str = "stopped at";
/// How the message of a document stopped at the time limit begins.
pub const STOPPED_TIME: &str = "stopped after";
/// How the message of a child that died without a result begins.
pub const CRASHED: &str = "the generating process";

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
pub(super) fn peak_kib() -> u64 {
    status_kib("self", "VmHWM:").unwrap_or(0)
}

/// A `/proc/<pid>/status` field in KiB.
pub(super) fn status_kib(pid: &str, field: &str) -> Option<u64> {
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
    generate_in_child_with(exe, scratch, name, timeout, true)
}

/// [`generate_in_child`], passing the child's stderr on to ours only when
/// `echo` is set: a run over thousands of documents shows a progress line
/// instead, and keeps only each child's last line for its failure message.
pub fn generate_in_child_with(
    exe: &Path,
    scratch: &Path,
    name: &str,
    timeout: Duration,
    echo: bool,
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
            if echo {
                eprintln!("  {line}");
            }
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
                "{STOPPED_MEMORY} {} MiB of memory (the limit is {} MiB)",
                polled_peak / 1024,
                GENERATION_MEMORY_KIB / 1024
            ))
        } else if started.elapsed() > timeout {
            Some(format!(
                "{STOPPED_TIME} {} s, the time limit",
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
                "{CRASHED} {}: {}",
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
