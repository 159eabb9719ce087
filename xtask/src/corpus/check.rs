//! The one `cargo check` of the scratch workspace, and the rustc wrapper
//! that times each crate within it.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Write as _};
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use anyhow::{Context, Result};
use serde_json::Value;

use super::*;

/// Distinct diagnostics of one crate.
#[derive(Debug, Default, Clone)]
pub(super) struct Diagnostics {
    pub(super) errors: Vec<String>,
    pub(super) warnings: Vec<String>,
}

/// What the one `cargo check` reported.
pub(super) struct Check {
    pub(super) seconds: f64,
    pub(super) status: Option<i32>,
    /// By crate name (the crate's directory).
    pub(super) diagnostics: BTreeMap<String, Diagnostics>,
    /// Crates with at least one target checked successfully.
    pub(super) compiled: BTreeSet<String>,
    /// Seconds in rustc by crate name (with `_`), from the wrapper's log.
    pub(super) rustc_seconds: BTreeMap<String, f64>,
    /// First `error:` line cargo itself printed.
    pub(super) first_cargo_error: Option<String>,
}

pub(super) fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

pub(super) fn cargo_check(exe: &Path, scratch: &Path, target: &Path) -> Result<Check> {
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
        let krate = message_crate(&message).unwrap_or("?").to_string();
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

/// The folder name of the crate a `cargo --message-format json` message is
/// about (its `manifest_path`'s directory): the crate's name in a corpus
/// workspace.
pub fn message_crate(message: &Value) -> Option<&str> {
    message["manifest_path"]
        .as_str()
        .map(Path::new)
        .and_then(Path::parent)
        .and_then(Path::file_name)
        .and_then(|n| n.to_str())
}
