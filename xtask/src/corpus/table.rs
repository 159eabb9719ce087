//! One row per document, and the markdown table of them.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

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
    /// Operations counted in the document itself, for a document that did
    /// not generate: the summary's totals count what a failure cost.
    pub document_operations: Option<usize>,
    /// The pipeline's notes, counted by kind.
    pub notes: BTreeMap<String, usize>,
    /// Seconds in [`pipeline::render`](crate::pipeline::render) (or until the child was stopped).
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
        self.failed_in(false)
    }

    /// Whether this row makes a run fail; in a `generate_only` run a
    /// document that generated is done, not waiting for its check.
    pub fn failed_in(&self, generate_only: bool) -> bool {
        match &self.outcome {
            Outcome::Skipped(_) => false,
            Outcome::Generated => !generate_only,
            Outcome::GenerationFailed(_) | Outcome::NotChecked(_) => true,
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

pub(super) fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}

/// Text fit for one table cell: one line, no `|`, at most 200 characters.
pub(super) fn cell(text: &str) -> String {
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

pub(super) fn secs(s: f64) -> String {
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
