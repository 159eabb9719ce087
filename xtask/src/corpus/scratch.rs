//! The scratch workspace: one provider per document, with the real
//! workspace's shared manifest fields and `Cargo.lock`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::*;

/// The documents under `dir`, found recursively (the APIs-guru directory is
/// a tree, `<provider>.json` or `<provider>/<service>.json`), sorted by their
/// path relative to `dir` so that a run, and a `--every` sample of it, is
/// the same on every machine. Symbolic links to folders are not followed
/// (a link loop cannot make the walk endless); hidden entries are skipped.
pub fn documents(dir: &Path) -> Result<Vec<Document>> {
    let mut found = Vec::new();
    walk(dir, dir, &mut found)?;
    found.sort();
    let mut docs = Vec::new();
    let mut taken = std::collections::BTreeSet::new();
    for (file, path) in found {
        // The relative path becomes the scratch entry's `spec` and `title`.
        if let Err(reason) =
            crate::validate::spec_path(&file).and_then(|()| crate::validate::text(&file))
        {
            bail!(
                "{}: the registry would refuse this file name ({reason}); rename the file",
                path.display()
            );
        }
        let name = unique_name(&file, &mut taken)?;
        docs.push(Document { file, path, name });
    }
    if docs.is_empty() {
        bail!(
            "{} holds no OpenAPI document (*.json, *.yaml, *.yml)",
            dir.display()
        );
    }
    Ok(docs)
}

/// Collects `(relative path with '/', full path)` of every document under `here`.
fn walk(top: &Path, here: &Path, found: &mut Vec<(String, PathBuf)>) -> Result<()> {
    let entries =
        std::fs::read_dir(here).with_context(|| format!("cannot list {}", here.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot list {}", here.display()))?;
        let path = entry.path();
        let Some(file) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if file.starts_with('.') {
            continue;
        }
        let kind = entry
            .file_type()
            .with_context(|| format!("cannot read {}", path.display()))?;
        if kind.is_dir() {
            walk(top, &path, found)?;
            continue;
        }
        let Some((_, ext)) = file.rsplit_once('.') else {
            continue;
        };
        if !matches!(ext, "json" | "yaml" | "yml") || !path.is_file() {
            continue;
        }
        let Ok(relative) = path.strip_prefix(top) else {
            continue;
        };
        // Only names that are valid UTF-8 all the way down are taken.
        let parts: Option<Vec<&str>> = relative
            .components()
            .map(|c| c.as_os_str().to_str())
            .collect();
        let Some(parts) = parts else {
            continue;
        };
        found.push((parts.join("/"), path.clone()));
    }
    Ok(())
}

/// The provider and crate name of the document at `relative` (a path under
/// DIR): [`provider_name`] of the path without its extension, so
/// `apideck.com/lead.json` becomes `corpus-apideck-com-lead`. A name that is
/// too long for the registry, or already `taken` by an earlier document
/// (`a.b.json` and `a-b.json`), is cut and given a hash of the relative path,
/// which depends on that path alone: the same document gets the same name
/// in every run and every sample. The result is checked with the registry's
/// own rules; a file name never reaches the registry unchecked.
pub fn unique_name(
    relative: &str,
    taken: &mut std::collections::BTreeSet<String>,
) -> Result<String> {
    let stem = relative.rsplit_once('.').map_or(relative, |(stem, _)| stem);
    let mut name = provider_name(stem);
    if name.len() > MAX_NAME || taken.contains(&name) || name == PREFIX.trim_end_matches('-') {
        let hash = format!("{:08x}", fnv1a(relative.as_bytes()) as u32);
        let keep = MAX_NAME - hash.len() - 1;
        name.truncate(keep);
        let name_cut = name.trim_end_matches('-');
        name = format!("{name_cut}-{hash}");
    }
    crate::validate::provider_name(&name)
        .and_then(|()| crate::validate::crate_name(&name))
        .map_err(|reason| {
            anyhow::anyhow!(
                "{relative}: derived the name {name:?}, which the registry refuses ({reason})"
            )
        })?;
    if !taken.insert(name.clone()) {
        bail!(
            "{relative}: its name {name} is taken by another document and by its hash; rename one"
        );
    }
    Ok(name)
}

/// The registry's limit on provider and crate names (see `validate.rs`).
const MAX_NAME: usize = 64;

/// 64-bit FNV-1a: a hash fixed by its definition (the standard library's may
/// change between releases), so derived names stay the same.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
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

/// The file that marks a folder as a scratch workspace `cargo xtask corpus`
/// made, and so may wipe: written first whenever it creates one.
pub const SCRATCH_MARKER: &str = ".xtask-corpus-scratch";

/// What the marker file says to someone who finds it.
const MARKER_TEXT: &str = "This folder is a scratch workspace made by `cargo xtask corpus`; \
     the next run with it as --scratch deletes and re-creates it.\n";

/// What may become of the folder at `scratch` (an absolute path), or why it
/// may not be used: a run wipes its scratch folder, so that must delete
/// nothing the tool did not make.
///
/// A missing or empty folder is used as it is; one holding the marker file
/// is wiped; any other is refused. A folder that holds one of the input
/// documents `docs` or the workspace `root` is refused even with the marker:
/// a marker copied or moved there does not make those the tool's.
pub fn check_scratch(scratch: &Path, docs: &[Document], root: &Path) -> Result<Scratch> {
    let shown = scratch.display();
    let meta = match std::fs::symlink_metadata(scratch) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Scratch::Missing),
        Err(e) => return Err(e).with_context(|| format!("--scratch {shown}: cannot read it")),
    };
    if !meta.is_dir() {
        bail!(
            "--scratch {shown}: not a folder (a file or a symbolic link); name a new folder, \
             or the real path of one `cargo xtask corpus` made"
        );
    }
    let canonical = |path: &Path| {
        std::fs::canonicalize(path).with_context(|| format!("cannot resolve {}", path.display()))
    };
    let here = canonical(scratch)?;
    let inputs = docs
        .iter()
        .map(|d| ("the input documents", d.path.as_path()));
    for (what, path) in inputs.chain([("the workspace", root)]) {
        let path = canonical(path)?;
        if path.starts_with(&here) {
            bail!(
                "--scratch {shown}: it holds {what} ({}), and a corpus run wipes its scratch \
                 folder first; name a folder outside them (the default is <target>/corpus)",
                path.display()
            );
        }
    }
    if scratch.join(SCRATCH_MARKER).is_file() {
        return Ok(Scratch::Made);
    }
    let mut entries =
        std::fs::read_dir(scratch).with_context(|| format!("--scratch {shown}: cannot list it"))?;
    if entries.next().is_none() {
        return Ok(Scratch::Empty);
    }
    bail!(
        "--scratch {shown}: the folder exists and was not made by `cargo xtask corpus` (it has \
         no {SCRATCH_MARKER}); a corpus run wipes its scratch folder, so it takes only a new or \
         empty folder, or one it made. Name another, or delete this one yourself"
    )
}

/// What [`check_scratch`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scratch {
    /// Nothing there yet.
    Missing,
    /// An empty folder: nothing in it to lose.
    Empty,
    /// A scratch workspace of an earlier run (it has the marker): wiped.
    Made,
}

/// Lays out the scratch workspace at `scratch` for `docs`. An earlier
/// scratch workspace there is wiped first; any other folder is refused
/// ([`check_scratch`]).
pub fn create_scratch(root: &Path, scratch: &Path, docs: &[Document]) -> Result<()> {
    if check_scratch(scratch, docs, root)? == Scratch::Made {
        std::fs::remove_dir_all(scratch)
            .with_context(|| format!("cannot wipe {}", scratch.display()))?;
    }
    std::fs::create_dir_all(scratch)
        .with_context(|| format!("cannot create {}", scratch.display()))?;
    // First, so that even a run stopped right here leaves a folder it may wipe.
    write(&scratch.join(SCRATCH_MARKER), MARKER_TEXT)?;
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
        let to = specs.join(&doc.file);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        // A hard link costs nothing for the 400 MB of the APIs-guru
        // directory; generation only reads it. A copy where links fail.
        if std::fs::hard_link(&doc.path, &to).is_err() {
            std::fs::copy(&doc.path, &to)
                .with_context(|| format!("cannot copy {}", doc.path.display()))?;
        }
    }
    write(&specs.join("providers.toml"), &registry(docs))
}

/// Lays out the scratch folder for a run over `docs`, split into
/// workspaces of at most `batch` documents each (one `cargo check` each,
/// all sharing the target directory): thousands of crates in one workspace
/// would make cargo resolve and plan all of them at once, and one crate's
/// failure in a plan that large is hard to read. Up to `batch` documents
/// keep the one-workspace layout of [`create_scratch`] in `scratch` itself;
/// more go to `scratch/batch-NNN`. Returns each workspace with the indices
/// of its documents in `docs`.
pub fn create_batches(
    root: &Path,
    scratch: &Path,
    docs: &[Document],
    batch: usize,
) -> Result<Vec<(PathBuf, Vec<usize>)>> {
    let batch = batch.max(1);
    if docs.len() <= batch {
        create_scratch(root, scratch, docs)?;
        return Ok(vec![(scratch.to_path_buf(), (0..docs.len()).collect())]);
    }
    if check_scratch(scratch, docs, root)? == Scratch::Made {
        std::fs::remove_dir_all(scratch)
            .with_context(|| format!("cannot wipe {}", scratch.display()))?;
    }
    std::fs::create_dir_all(scratch)
        .with_context(|| format!("cannot create {}", scratch.display()))?;
    write(&scratch.join(SCRATCH_MARKER), MARKER_TEXT)?;
    let mut out = Vec::new();
    for (n, chunk) in docs.chunks(batch).enumerate() {
        let dir = scratch.join(format!("batch-{:03}", n + 1));
        create_scratch(root, &dir, chunk)?;
        out.push((dir, (n * batch..n * batch + chunk.len()).collect()));
    }
    Ok(out)
}

pub(super) fn write(path: &Path, contents: &str) -> Result<()> {
    std::fs::write(path, contents).with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A document `a.yaml` in `dir`, which is created.
    fn doc(dir: &Path) -> Document {
        std::fs::create_dir_all(dir).unwrap();
        let path = dir.join("a.yaml");
        std::fs::write(&path, "openapi: 3.0.3\n").unwrap();
        Document {
            file: "a.yaml".into(),
            path,
            name: provider_name("a"),
        }
    }

    fn marked(dir: &Path) {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join(SCRATCH_MARKER), MARKER_TEXT).unwrap();
    }

    #[test]
    fn only_a_new_an_empty_or_a_marked_folder_is_taken() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("root");
        std::fs::create_dir_all(&root).unwrap();
        let docs = [doc(&tmp.path().join("input"))];
        let check = |scratch: &Path| check_scratch(scratch, &docs, &root);

        assert_eq!(check(&tmp.path().join("new")).unwrap(), Scratch::Missing);
        let empty = tmp.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        assert_eq!(check(&empty).unwrap(), Scratch::Empty);
        let made = tmp.path().join("made");
        marked(&made);
        std::fs::write(made.join("Cargo.toml"), "").unwrap();
        assert_eq!(check(&made).unwrap(), Scratch::Made);

        let other = tmp.path().join("other");
        std::fs::create_dir(&other).unwrap();
        std::fs::write(other.join("notes.txt"), "").unwrap();
        let err = check(&other).unwrap_err().to_string();
        assert!(
            err.contains("was not made by `cargo xtask corpus`"),
            "{err}"
        );
        let file = tmp.path().join("file");
        std::fs::write(&file, "").unwrap();
        let err = check(&file).unwrap_err().to_string();
        assert!(err.contains("not a folder"), "{err}");
    }

    /// More documents than a batch: one workspace per batch under the
    /// scratch folder, each with its own registry, specs (in their tree) and
    /// lock file; up to a batch, the scratch folder itself.
    #[test]
    fn documents_are_split_into_workspaces_of_a_batch_each() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("root");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(
            root.join("Cargo.toml"),
            "[workspace]\nmembers = []\n[workspace.package]\nedition = \"2024\"\n",
        )
        .unwrap();
        std::fs::write(root.join("Cargo.lock"), "version = 4\n").unwrap();
        let input = tmp.path().join("input");
        for rel in ["a.json", "p/b.json", "p/c.json"] {
            let path = input.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "{}").unwrap();
        }
        let docs = documents(&input).unwrap();
        let scratch = tmp.path().join("scratch");
        let batches = create_batches(&root, &scratch, &docs, 2).unwrap();
        assert_eq!(batches.len(), 2);
        assert_eq!(batches[0].0, scratch.join("batch-001"));
        assert_eq!(batches[0].1, [0, 1]);
        assert_eq!(batches[1].1, [2]);
        assert!(scratch.join(SCRATCH_MARKER).is_file());
        let second = &batches[1].0;
        assert!(second.join("specs/p/c.json").is_file());
        assert!(second.join("Cargo.lock").is_file());
        let registry = std::fs::read_to_string(second.join("specs/providers.toml")).unwrap();
        assert!(registry.contains("spec = \"p/c.json\""), "{registry}");
        assert!(!registry.contains("p/b.json"), "{registry}");
        // A run that fits one batch keeps the flat layout, and wipes the old one.
        let one = create_batches(&root, &scratch, &docs, 40).unwrap();
        assert_eq!(one, [(scratch.clone(), vec![0, 1, 2])]);
        assert!(!scratch.join("batch-001").exists());
        assert!(scratch.join("specs/p/b.json").is_file());
    }

    /// `--scratch .` in the checkout, `corpus d --scratch d`, or a parent of
    /// either: refused even with a marker in it.
    #[test]
    fn a_folder_holding_the_inputs_or_the_workspace_is_refused_even_when_marked() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("root");
        let input = root.join("specs/corpus");
        let docs = [doc(&input)];
        for scratch in [&input, &root, tmp.path()] {
            marked(scratch);
            let err = check_scratch(scratch, &docs, &root)
                .unwrap_err()
                .to_string();
            assert!(err.contains("it holds the input documents"), "{err}");
        }
        let elsewhere = [doc(&tmp.path().join("docs"))];
        let err = check_scratch(&root, &elsewhere, &root)
            .unwrap_err()
            .to_string();
        assert!(err.contains("it holds the workspace"), "{err}");
        // Spelled another way, it is still the same folder.
        let err = check_scratch(&root.join("specs/.."), &elsewhere, &root)
            .unwrap_err()
            .to_string();
        assert!(err.contains("it holds the workspace"), "{err}");
    }
}
