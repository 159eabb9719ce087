//! Workspace tooling for the generated API clients.
//!
//! `cargo xtask generate` and `cargo xtask check` run one pipeline, a module per step:
//!
//! [`load`] → [`normalize`] → [`customize`] → [`generate`] (progenitor) → [`facade`] → [`format`](mod@format) →
//! [`output`] (write or compare), driven by [`pipeline`] from the provider
//! registry read by [`providers`]. A provider that lists `operations` has its
//! spec cut down to them by [`slice`](mod@slice) right after loading; `cargo xtask slice`
//! does the same into a file. [`synthetic`] builds large specs for tests and benches.
//!
//! [`report`] compares two versions of a spec and classifies what changes in
//! the generated API; [`changes`] runs it for `cargo xtask diff` and, against
//! the committed spec, for `generate` and `check`, which also keep the crate's
//! [`version`] in step with the verdict.

pub mod bench;
pub mod changes;
pub mod customize;
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
pub mod report;
pub mod scaffold;
pub mod slice;
pub mod synthetic;
pub mod version;

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
