//! Workspace tooling for the generated API clients.
//!
//! `cargo xtask generate` and `cargo xtask check` run one pipeline, a module per step:
//!
//! [`load`] → [`normalize`] → [`customize`] → [`generate`] (progenitor) → [`dedupe`] →
//! [`paths`] → [`lean`] → [`facade`] → [`format`](mod@format) →
//! [`output`] (write or compare), driven by [`pipeline`] from the provider
//! registry read by [`providers`]. A provider that lists `operations` has its
//! spec cut down to them by [`slice`](mod@slice) right after loading; `cargo xtask slice`
//! does the same into a file. [`synthetic`] builds large specs for tests and benches.
//!
//! [`report`] compares two versions of a spec and classifies what changes in
//! the generated API; [`changes`] runs it for `cargo xtask diff` and, against
//! the committed spec, for `generate` and `check`, which also keep the crate's
//! [`version`] in step with the verdict.
//!
//! Vendor descriptions reach rustdoc and the READMEs only through [`prose`],
//! which turns their code blocks into `text` so that no doctest comes from a spec.
//!
//! [`corpus`] runs real vendor documents through the pipeline and `cargo check`.

pub mod bench;
pub mod changes;
pub mod corpus;
pub mod customize;
pub mod dedupe;
pub mod escape;
pub mod facade;
pub mod features;
pub mod flatten;
pub mod format;
pub mod formats;
pub mod generate;
pub mod growable;
pub mod lean;
pub mod load;
pub mod lower;
pub mod manifest;
pub mod mock;
pub mod names;
pub mod no_panic;
pub mod normalize;
pub mod numbers;
pub mod output;
pub mod paginate;
pub mod paths;
pub mod pipeline;
pub mod progenitor_output;
pub mod prose;
pub mod providers;
pub mod readme;
pub mod report;
pub mod salvage;
pub mod scaffold;
pub mod slice;
pub mod statuses;
pub mod styles;
pub mod surface;
pub mod synthetic;
pub mod thin;
pub mod type_names;
pub mod untypable;
pub mod validate;
pub mod verbs;
pub mod version;

use std::path::{Path, PathBuf};

/// The workspace root, found when the xtask runs, not when it was built (the
/// binary may have been built in another checkout sharing a target directory):
///
/// 1. `$XTASK_ROOT` when set (tests point it at a scratch copy);
/// 2. else the workspace above `$CARGO_MANIFEST_DIR`, which `cargo run` (and so
///    `cargo xtask`) sets to the xtask crate of the checkout it runs in;
/// 3. else the first directory up from the current one whose `Cargo.toml` has a
///    `[workspace]` and which has a `specs/providers.toml`;
/// 4. else the current directory, where the missing registry is then reported.
pub fn workspace_root() -> PathBuf {
    if let Some(root) = std::env::var_os("XTASK_ROOT") {
        return PathBuf::from(root);
    }
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
    let cwd = std::env::current_dir().ok();
    manifest
        .iter()
        .chain(cwd.iter())
        .find_map(|start| find_root(start))
        .or(cwd)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// The first of `start` and its ancestors that is this workspace's root.
fn find_root(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|dir| is_root(dir))
        .map(Path::to_path_buf)
}

fn is_root(dir: &Path) -> bool {
    dir.join("specs/providers.toml").is_file()
        && std::fs::read_to_string(dir.join("Cargo.toml"))
            .ok()
            .and_then(|text| text.parse::<toml::Table>().ok())
            .is_some_and(|manifest| manifest.contains_key("workspace"))
}
