//! The change report as the commands use it: `diff` for any two spec files, and
//! for `generate` and `check` the change since the last commit, with the crate
//! version that change requires.
//!
//! The committed versions are read with `git show HEAD:<path>`. Git is optional:
//! when it is missing, the directory is not a repository, or the file is new,
//! the report says there is no previous version to compare, and nothing fails.

use std::path::Path;
use std::process::Command;

use anyhow::Result;
use serde_json::Value;

use crate::output::Rendered;
use crate::providers::Provider;
use crate::report::{Bump, Report};
use crate::version::{self, Version};
use crate::{load, normalize};

/// Parses spec bytes and normalizes them to OpenAPI 3.0; `shown` names the
/// source in errors, with the line of the problem where it can be found.
pub fn parse_normalized(bytes: &[u8], shown: &str) -> Result<Value> {
    let document = load::parse(bytes, shown)?;
    normalize::normalize(document)
        .map(|n| n.document)
        .map_err(|e| {
            let text = String::from_utf8_lossy(bytes);
            let at = match load::line_of_pointer(&text, &e.pointer) {
                Some(line) => format!("{shown}:{line}"),
                None => shown.to_string(),
            };
            let pointer = if e.pointer.is_empty() {
                "/"
            } else {
                &e.pointer
            };
            anyhow::anyhow!("{at}: at {pointer}: {}", e.message)
        })
}

/// Reads a spec file (size-bounded, as the pipeline does) and normalizes it.
pub fn load_normalized(path: &Path, shown: &str) -> Result<Value> {
    let loaded = load::load(path, shown)?;
    parse_normalized(&loaded.bytes, shown)
}

/// `cargo xtask diff OLD NEW [--provider P]`: the report, writing nothing. With
/// a provider, the crate's current version is the starting point of the bump.
pub fn diff(root: &Path, old: &str, new: &str, provider: Option<&Provider>) -> Result<Report> {
    let old_doc = load_normalized(Path::new(old), old)?;
    let new_doc = load_normalized(Path::new(new), new)?;
    let report = Report::new(old, &old_doc, new, &new_doc);
    Ok(match provider {
        Some(p) => {
            let current = std::fs::read_to_string(manifest_path(root, p))
                .ok()
                .and_then(|m| version::manifest_version(&m));
            report.for_crate(&p.name, &p.crate_name, current.as_ref())
        }
        None => report,
    })
}

/// `<path>` as committed at `HEAD` in the repository holding `root`, or why not.
pub fn git_show_head(root: &Path, path: &str) -> std::result::Result<Vec<u8>, String> {
    // `./` makes the path relative to `root`, which may be below the repository's top.
    let output = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["show", &format!("HEAD:./{path}")])
        .output()
        .map_err(|e| format!("git is not available: {e}"))?;
    if output.status.success() {
        Ok(output.stdout)
    } else {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let reason = stderr
            .lines()
            .next()
            .unwrap_or("git failed")
            .trim_start_matches("fatal: ");
        Err(format!("git: {reason}"))
    }
}

fn manifest_path(root: &Path, provider: &Provider) -> std::path::PathBuf {
    provider.crate_dir(root).join("Cargo.toml")
}

/// What changed for one provider since `HEAD`.
#[derive(Debug, Default)]
pub struct SinceHead {
    /// Lines to print under the provider's status line (indented, newline-terminated).
    pub text: String,
    /// The report, when there was a previous version to compare with.
    pub report: Option<Report>,
    /// The version the change requires, when the manifest is behind it.
    pub required: Option<Version>,
    /// The manifest with the required version, when it is behind.
    pub manifest: Option<Rendered>,
    /// The manifest's current version, when readable.
    pub current: Option<Version>,
}

/// Compares a provider's spec with its committed version and works out the
/// crate version the change requires (`bump(version at HEAD)`, so running
/// `generate` again never bumps twice). Never fails: problems become text.
pub fn since_head(root: &Path, provider: &Provider) -> SinceHead {
    let mut out = SinceHead::default();
    let shown = provider.spec_display();
    let manifest_shown = format!("{}/Cargo.toml", provider.crate_name);
    let current_text = std::fs::read_to_string(manifest_path(root, provider)).ok();
    out.current = current_text.as_deref().and_then(version::manifest_version);

    let new_bytes = match std::fs::read(provider.spec_path(root)) {
        Ok(b) => b,
        Err(e) => {
            out.text = format!("  since HEAD: not compared, cannot read {shown} ({e})\n");
            return out;
        }
    };
    let old_bytes = match git_show_head(root, &shown) {
        Ok(b) => b,
        Err(why) => {
            out.text = format!("  since HEAD: no previous version to compare ({why})\n");
            return out;
        }
    };
    if old_bytes == new_bytes {
        out.text = "  since HEAD: spec unchanged\n".to_string();
        return out;
    }
    let head_name = format!("HEAD:{shown}");
    let old = match parse_normalized(&old_bytes, &head_name) {
        Ok(doc) => doc,
        Err(e) => {
            out.text = format!("  since HEAD: no previous version to compare ({e:#})\n");
            return out;
        }
    };
    let new = match parse_normalized(&new_bytes, &shown) {
        Ok(doc) => doc,
        Err(e) => {
            out.text = format!("  since HEAD: not compared ({e:#})\n");
            return out;
        }
    };
    let head_version = git_show_head(root, &manifest_shown)
        .ok()
        .and_then(|m| version::manifest_version(&String::from_utf8_lossy(&m)));
    let report = Report::new(&head_name, &old, &shown, &new).for_crate(
        &provider.name,
        &provider.crate_name,
        head_version.as_ref(),
    );
    out.text = indent(&report.body_text(), "  since HEAD: ", "  ");
    if report.semver != Bump::None {
        match (&head_version, &out.current, &current_text) {
            (Some(head), Some(current), Some(text)) => {
                let required = head.bumped(report.semver);
                // A version already at or past the requirement was bumped by hand
                // or by an earlier run: leave it.
                if *current < required {
                    out.manifest = version::set_manifest_version(text, &required).map(|contents| {
                        Rendered {
                            path: manifest_shown.clone(),
                            contents,
                        }
                    });
                    out.required = Some(required);
                }
            }
            _ => out.text.push_str(&format!(
                "  version: not checked, {manifest_shown} has no literal `version = \"X.Y.Z\"` here or at HEAD\n"
            )),
        }
    }
    out.report = Some(report);
    out
}

/// Prefixes the first line with `first` and the others with `rest`.
fn indent(text: &str, first: &str, rest: &str) -> String {
    text.lines()
        .enumerate()
        .map(|(i, line)| format!("{}{line}\n", if i == 0 { first } else { rest }))
        .collect()
}
