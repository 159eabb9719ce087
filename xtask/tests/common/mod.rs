//! Helpers shared by the xtask's integration tests: scratch copies of the
//! workspace, the xtask binary, and hashes that prove nothing changed.

// Each test binary compiles this module and uses only part of it.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

pub fn repo() -> PathBuf {
    xtask::workspace_root()
}

/// Copies what `generate` reads and writes: `specs/`, the crates and the
/// workspace manifest.
pub fn scratch() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for sub in ["specs", "gcore-iam", "cloudflare-accounts"] {
        copy_dir(&repo().join(sub), &dir.path().join(sub));
    }
    std::fs::copy(repo().join("Cargo.toml"), dir.path().join("Cargo.toml")).unwrap();
    dir
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// SHA-256 of every file under the crates' `src/`, to prove nothing changed.
pub fn hashes(root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for krate in ["gcore-iam", "cloudflare-accounts"] {
        let dir = root.join(krate).join("src");
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let digest = Sha256::digest(std::fs::read(&path).unwrap());
            let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            out.insert(path.strip_prefix(root).unwrap().display().to_string(), hex);
        }
    }
    out
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
