//! The change report as the commands use it: `diff` for any two spec files, and
//! for `generate` and `check` the change since the crate's last release, with
//! the crate version that change requires.
//!
//! The last release (the *baseline*) is the tag `<crate>-v<version>` when it
//! exists, else the last commit that changed the `version` line of the crate's
//! manifest; `--baseline=REV` names another. Comparing with `HEAD` instead
//! would let a breaking change committed without its bump pass `check` from
//! the next commit on. The baseline's files are read with `git show REV:<path>`.
//! Git is optional: when it is missing, the directory is not a repository, or
//! the file is new, the report says there is no previous version to compare,
//! and nothing fails.

use std::path::Path;
use std::process::Command;

use anyhow::Result;
use serde_json::Value;

use crate::output::Rendered;
use crate::providers::Provider;
use crate::report::{Area, Bump, Change, Impact, Kind, Report};
use crate::surface::Surface;
use crate::version::{self, Version};
use crate::{load, normalize, pipeline};

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
    let old_bytes = load::load(Path::new(old), old)?.bytes;
    let new_bytes = load::load(Path::new(new), new)?.bytes;
    let old_doc = parse_normalized(&old_bytes, old)?;
    let new_doc = parse_normalized(&new_bytes, new)?;
    let mut report = Report::new(old, &old_doc, new, &new_doc);
    let anonymous;
    let renders_as = match provider {
        Some(p) => p,
        None => {
            anonymous = anonymous_provider()?;
            &anonymous
        }
    };
    reconcile(
        root,
        renders_as,
        (old_bytes, old),
        (new_bytes, new),
        &mut report,
    );
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
    git_show(root, "HEAD", path)
}

/// `<path>` as of `rev` in the repository holding `root`, or why not.
pub fn git_show(root: &Path, rev: &str, path: &str) -> std::result::Result<Vec<u8>, String> {
    // `./` makes the path relative to `root`, which may be below the repository's top.
    git(root, &["show", &format!("{rev}:./{path}")])
}

/// Runs git in `root`; its stdout, or the first line of what it said.
fn git(root: &Path, args: &[&str]) -> std::result::Result<Vec<u8>, String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(args)
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

/// The revision a provider's changes are measured from, and how to call it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Baseline {
    /// What git is given.
    pub rev: String,
    /// How the report names it.
    pub label: String,
}

/// The crate's last release: the tag `<crate>-v<version>` of the version the
/// manifest has at `HEAD`, or else the last commit that changed the
/// manifest's `version` line (its creation included), or `HEAD` when git
/// knows no such commit. `explicit` (`--baseline=REV`) overrides all.
pub fn baseline(root: &Path, provider: &Provider, explicit: Option<&str>) -> Baseline {
    if let Some(rev) = explicit {
        return Baseline {
            rev: rev.to_string(),
            label: rev.to_string(),
        };
    }
    let manifest = format!("{}/Cargo.toml", provider.crate_name);
    let released = git_show_head(root, &manifest)
        .ok()
        .and_then(|m| version::manifest_version(&String::from_utf8_lossy(&m)));
    if let Some(version) = &released {
        let tag = format!("{}-v{version}", provider.crate_name);
        if git(
            root,
            &["rev-parse", "-q", "--verify", &format!("refs/tags/{tag}")],
        )
        .is_ok()
        {
            return Baseline {
                rev: tag.clone(),
                label: tag,
            };
        }
    }
    let last = git(
        root,
        &[
            "log",
            "-1",
            "--format=%h",
            "-G",
            "^version[[:space:]]*=",
            "--",
            &format!("./{manifest}"),
        ],
    )
    .ok()
    .map(|out| String::from_utf8_lossy(&out).trim().to_string())
    .filter(|h| !h.is_empty());
    match (last, released) {
        (Some(commit), Some(version)) => Baseline {
            label: format!("{} {version} (commit {commit})", provider.crate_name),
            rev: commit,
        },
        _ => Baseline {
            rev: "HEAD".into(),
            label: "HEAD".into(),
        },
    }
}

fn manifest_path(root: &Path, provider: &Provider) -> std::path::PathBuf {
    provider.crate_dir(root).join("Cargo.toml")
}

/// What changed for one provider since its [`baseline`].
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

/// Compares a provider's spec with its version at `baseline` and works out
/// the crate version the change requires (`bump(version at the baseline)`,
/// so running `generate` again never bumps twice). Never fails: problems
/// become text.
pub fn since(
    root: &Path,
    provider: &Provider,
    baseline: &Baseline,
    rendered: &pipeline::Output,
) -> SinceHead {
    let since_label = format!("  since {}: ", baseline.label);
    let mut out = SinceHead::default();
    let shown = provider.spec_display();
    let manifest_shown = format!("{}/Cargo.toml", provider.crate_name);
    let current_text = std::fs::read_to_string(manifest_path(root, provider)).ok();
    out.current = current_text.as_deref().and_then(version::manifest_version);

    let new_bytes = match load::read_spec(
        &provider.spec_path(root),
        &shown,
        provider.load_limit().file_bytes(),
    ) {
        Ok(b) => b,
        Err(e) => {
            out.text = format!("{since_label}not compared: {e}\n");
            return out;
        }
    };
    let old_bytes = match git_show(root, &baseline.rev, &shown) {
        Ok(b) => b,
        Err(why) => {
            out.text = format!("{since_label}no previous version to compare ({why})\n");
            return out;
        }
    };
    let head_name = format!("{}:{shown}", baseline.rev);
    let report = if old_bytes == new_bytes {
        match generator_changes(root, baseline, rendered, &head_name, &shown) {
            Some(report) => report,
            None => {
                out.text = format!("{since_label}spec unchanged\n");
                return out;
            }
        }
    } else {
        let old = match parse_normalized(&old_bytes, &head_name) {
            Ok(doc) => doc,
            Err(e) => {
                out.text = format!("{since_label}no previous version to compare ({e:#})\n");
                return out;
            }
        };
        let new = match parse_normalized(&new_bytes, &shown) {
            Ok(doc) => doc,
            Err(e) => {
                out.text = format!("{since_label}not compared ({e:#})\n");
                return out;
            }
        };
        let mut report = Report::new(&head_name, &old, &shown, &new);
        reconcile(
            root,
            provider,
            (old_bytes, &head_name),
            (new_bytes, &shown),
            &mut report,
        );
        report
    };
    let head_version = git_show(root, &baseline.rev, &manifest_shown)
        .ok()
        .and_then(|m| version::manifest_version(&String::from_utf8_lossy(&m)));
    let report = report.for_crate(&provider.name, &provider.crate_name, head_version.as_ref());
    out.text = indent(&report.body_text(), &since_label, "  ");
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
                "  version: not checked, {manifest_shown} has no literal `version = \"X.Y.Z\"` here or at {}\n",
                baseline.label
            )),
        }
    }
    out.report = Some(report);
    out
}

/// The spec is the one released at `baseline`, but the generator may have
/// changed since, and a generator change breaks the crate's users as surely as
/// a vendor's: the public items of the crate as committed at `baseline` against
/// those rendered now. `None` when they are the same, or when the baseline has
/// no such files to compare.
fn generator_changes(
    root: &Path,
    baseline: &Baseline,
    rendered: &pipeline::Output,
    old_name: &str,
    new_name: &str,
) -> Option<Report> {
    let read: Vec<&Rendered> = rendered
        .files
        .iter()
        .filter(|f| Surface::reads(&f.path))
        .collect();
    let committed: Vec<Rendered> = read
        .iter()
        .filter_map(|f| {
            let bytes = git_show(root, &baseline.rev, &f.path).ok()?;
            Some(Rendered {
                path: f.path.clone(),
                contents: String::from_utf8_lossy(&bytes).into_owned(),
            })
        })
        .collect();
    if committed.is_empty() || committed.len() != read.len() {
        return None;
    }
    let difference = Surface::of_files(&committed).difference(&Surface::of(rendered));
    if difference.is_empty() {
        return None;
    }
    let mut report = Report::empty(old_name, new_name);
    let names = |paths: &[String]| {
        let mut shown: Vec<String> = paths.iter().take(6).map(|p| format!("`{p}`")).collect();
        if paths.len() > 6 {
            shown.push(format!("and {} more", paths.len() - 6));
        }
        shown.join(", ")
    };
    for (paths, impact, what) in [
        (
            &difference.removed,
            Impact::Breaking,
            "no longer generated: code that names them stops compiling",
        ),
        (
            &difference.changed,
            Impact::Breaking,
            "generated differently (signature, fields or attributes): code using them may stop compiling",
        ),
        (&difference.added, Impact::Compatible, "newly generated"),
    ] {
        if !paths.is_empty() {
            report.changes.push(Change {
                impact,
                kind: Kind::GeneratorChanged,
                area: Area::Document,
                subject: format!("{} public item(s)", paths.len()),
                detail: format!(
                    "{what}; the spec is unchanged, the generator is not: {}",
                    names(paths)
                ),
                pointer: String::new(),
            });
        }
    }
    report.semver = Bump::of(&report.changes);
    Some(report)
}

/// Checks the spec-level verdict against the generated code: both documents
/// are rendered in memory and their public Rust items compared (see
/// [`surface`](crate::surface)). Identical items cap the verdict at a patch;
/// items that disappear make it major; a side that does not generate is said.
fn reconcile(
    root: &Path,
    provider: &Provider,
    (old_bytes, old_shown): (Vec<u8>, &str),
    (new_bytes, new_shown): (Vec<u8>, &str),
    report: &mut Report,
) {
    let old = pipeline::render_bytes(root, provider, old_bytes, old_shown);
    let new = pipeline::render_bytes(root, provider, new_bytes, new_shown);
    let (old, new) = match (old, new) {
        (Ok(old), Ok(new)) => (old, new),
        (old, new) => {
            for (side, result, impact) in [
                ("old", old.err(), Impact::Compatible),
                ("new", new.err(), Impact::Breaking),
            ] {
                if let Some(e) = result {
                    report.changes.push(Change {
                        impact,
                        kind: Kind::NotGenerated,
                        area: Area::Document,
                        subject: format!("the {side} document"),
                        detail: format!("does not generate: {}", first_line(&e)),
                        pointer: String::new(),
                    });
                }
            }
            report.semver = Bump::of(&report.changes);
            return;
        }
    };
    let difference = Surface::of(&old).difference(&Surface::of(&new));
    if difference.is_empty() {
        if report.semver > Bump::Patch {
            // The spec's lines stay, to say what the vendor changed; none of
            // them reaches a Rust item.
            for change in &mut report.changes {
                change.impact = change.impact.min(Impact::Docs);
            }
            report.changes.push(Change {
                impact: Impact::Docs,
                kind: Kind::Other,
                area: Area::Document,
                subject: "generated API".into(),
                detail: "identical on both sides: no public Rust item changed, so at most a patch"
                    .into(),
                pointer: String::new(),
            });
            report.semver = Bump::Patch;
        }
        return;
    }
    for path in &difference.removed {
        report.changes.push(Change {
            impact: Impact::Breaking,
            kind: Kind::ItemRemoved,
            area: Area::Document,
            subject: format!("`{path}`"),
            detail: "no longer generated: code that names it stops compiling".into(),
            pointer: String::new(),
        });
    }
    report.semver = report.semver.max(Bump::of(&report.changes));
}

fn first_line(e: &anyhow::Error) -> String {
    e.to_string().lines().next().unwrap_or_default().to_string()
}

/// A provider to render a document that no registry entry names (`diff`).
fn anonymous_provider() -> Result<Provider> {
    let registry = "[providers.diff]\nspec = \"diff.yaml\"\ncrate = \"diff-client\"\ntitle = \"Diff\"\n\
                    base_url_env = \"DIFF_BASE_URL\"\n\n[providers.diff.auth]\nheader = \"Authorization\"\n\
                    prefix = \"Bearer \"\nenv = \"DIFF_TOKEN\"\nwhat = \"token\"\n";
    crate::providers::parse(registry, Path::new("(diff)"))?
        .pop()
        .ok_or_else(|| anyhow::anyhow!("the built-in provider of `diff` did not parse"))
}

/// Prefixes the first line with `first` and the others with `rest`.
fn indent(text: &str, first: &str, rest: &str) -> String {
    text.lines()
        .enumerate()
        .map(|(i, line)| format!("{}{line}\n", if i == 0 { first } else { rest }))
        .collect()
}
