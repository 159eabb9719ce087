//! Workspace tooling for the generated API clients.
//!
//! `cargo xtask generate` and `cargo xtask check` run one pipeline, a module per step:
//!
//! [`load`] → [`normalize`] → [`generate`] (progenitor) → [`facade`] → [`format`](mod@format) →
//! [`output`] (write or compare), driven by [`pipeline`] from the provider
//! registry read by [`providers`].

pub mod facade;
pub mod format;
pub mod generate;
pub mod load;
pub mod mock;
pub mod normalize;
pub mod output;
pub mod pipeline;
pub mod providers;
pub mod readme;

use std::path::PathBuf;

/// The workspace root: `$XTASK_ROOT` when set (tests point it at a scratch
/// copy), else the parent of the xtask crate.
pub fn workspace_root() -> PathBuf {
    if let Some(root) = std::env::var_os("XTASK_ROOT") {
        return PathBuf::from(root);
    }
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}
