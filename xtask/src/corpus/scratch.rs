//! The scratch workspace: one provider per document, with the real
//! workspace's shared manifest fields and `Cargo.lock`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::*;

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
pub(super) const PAGINATION: &str = "style = \"page\"\npage = \"page\"\nitems = \"result\"\ntotal_pages = \"result_info.total_pages\"\n\n\
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

pub(super) fn write(path: &Path, contents: &str) -> Result<()> {
    std::fs::write(path, contents).with_context(|| format!("cannot write {}", path.display()))
}
