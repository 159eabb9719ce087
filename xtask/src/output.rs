//! Write/compare step: the rendered files against what is on disk.
//!
//! Nothing is written until every provider has rendered, and each file is
//! replaced by rename, so a failed or interrupted run never leaves a half-written
//! file behind.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use similar::TextDiff;

/// A file the pipeline produced, not yet written.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// Path relative to the workspace root, `/`-separated.
    pub path: String,
    /// Full contents.
    pub contents: String,
}

/// How a rendered file relates to the committed one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Identical bytes.
    Fresh,
    /// Differs; holds a unified diff (committed → expected).
    Stale(String),
    /// Not on disk.
    Missing,
}

/// Compares one rendered file with the workspace.
pub fn compare(root: &Path, file: &Rendered) -> Result<Status> {
    let path = root.join(&file.path);
    match std::fs::read(&path) {
        Ok(bytes) if bytes == file.contents.as_bytes() => Ok(Status::Fresh),
        Ok(bytes) => {
            let old = String::from_utf8_lossy(&bytes);
            let diff = TextDiff::from_lines(old.as_ref(), file.contents.as_str())
                .unified_diff()
                .context_radius(3)
                .header(
                    &format!("a/{} (committed)", file.path),
                    &format!("b/{} (from spec)", file.path),
                )
                .to_string();
            Ok(Status::Stale(diff))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Status::Missing),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", file.path)),
    }
}

/// Writes the files that differ from disk; returns the paths written.
///
/// Every new file is first written beside its target under a temporary name;
/// only when all of them are on disk are they renamed into place. Any failure
/// removes the temporaries and leaves the targets untouched.
pub fn write_all(root: &Path, files: &[Rendered]) -> Result<Vec<String>> {
    write_all_with(root, files, &mut |_| Ok(()))
}

/// [`write_all`] with a hook called before each temporary file is written;
/// tests use it to fail midway, as an interrupted run would.
pub fn write_all_with(
    root: &Path,
    files: &[Rendered],
    before_each: &mut dyn FnMut(&str) -> Result<()>,
) -> Result<Vec<String>> {
    let mut paths = std::collections::BTreeSet::new();
    if let Some(twice) = files.iter().find(|f| !paths.insert(f.path.as_str())) {
        // Two renames to one target: the second would fail after the first landed.
        anyhow::bail!(
            "internal error: {} was rendered twice in one run; nothing was written",
            twice.path
        );
    }
    let mut staged: Vec<(PathBuf, PathBuf, &str)> = Vec::new();
    let result = (|| -> Result<()> {
        for file in files {
            if compare(root, file)? == Status::Fresh {
                continue;
            }
            before_each(&file.path)?;
            let target = root.join(&file.path);
            let dir = target
                .parent()
                .context("generated file has no parent directory")?;
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            let name = target
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("generated");
            let (temp, mut out) = create_temp(dir, name)?;
            // Registered before writing so a failed write is cleaned up too.
            staged.push((temp.clone(), target, &file.path));
            out.write_all(file.contents.as_bytes())
                .and_then(|()| out.sync_all())
                .with_context(|| format!("cannot write {}", temp.display()))?;
        }
        Ok(())
    })();
    if let Err(e) = result {
        for (temp, _, _) in &staged {
            let _ = std::fs::remove_file(temp);
        }
        return Err(e);
    }
    let mut written = Vec::new();
    for (temp, target, shown) in &staged {
        std::fs::rename(temp, target).with_context(|| format!("cannot replace {shown}"))?;
        written.push(shown.to_string());
    }
    Ok(written)
}

/// What every temporary file name ends with (`.gitignore` lists it).
pub const TEMP_SUFFIX: &str = ".xtask-tmp";

/// Creates a new, empty temporary file in `dir` for a target named `name`.
///
/// The name holds the process id, a per-process counter and a random number,
/// and the file is created with `create_new`: two runs at once (two
/// `generate`s, or two threads of one) never write into each other's
/// temporary, which a fixed name made them do. The temporary stays in the
/// target's directory, so that the rename is atomic.
fn create_temp(dir: &Path, name: &str) -> Result<(PathBuf, std::fs::File)> {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut attempts = 0;
    loop {
        let count = COUNTER.fetch_add(1, Ordering::Relaxed);
        // `RandomState` is seeded randomly per process: no crate needed.
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(count);
        let random = hasher.finish();
        let temp = dir.join(format!(
            ".{name}.{}-{count}-{random:016x}{TEMP_SUFFIX}",
            std::process::id()
        ));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
        {
            Ok(file) => return Ok((temp, file)),
            // Another process with a recycled pid and the same draw: try again.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempts < 16 => {
                attempts += 1;
            }
            Err(e) => {
                return Err(e).with_context(|| format!("cannot create {}", temp.display()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, contents: &str) -> Rendered {
        Rendered {
            path: path.into(),
            contents: contents.into(),
        }
    }

    #[test]
    fn compare_reports_diff() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.rs"), "one\ntwo\n").unwrap();
        assert_eq!(
            compare(dir.path(), &file("a.rs", "one\ntwo\n")).unwrap(),
            Status::Fresh
        );
        assert_eq!(
            compare(dir.path(), &file("b.rs", "x")).unwrap(),
            Status::Missing
        );
        let Status::Stale(diff) = compare(dir.path(), &file("a.rs", "one\nthree\n")).unwrap()
        else {
            panic!("expected a diff");
        };
        assert!(diff.contains("-two\n+three\n"), "{diff}");
    }

    #[test]
    fn failure_midway_leaves_targets_and_no_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("src")).unwrap();
        std::fs::write(dir.path().join("src/a.rs"), "old a\n").unwrap();
        std::fs::write(dir.path().join("src/b.rs"), "old b\n").unwrap();
        let files = [file("src/a.rs", "new a\n"), file("src/b.rs", "new b\n")];
        let err = write_all_with(dir.path(), &files, &mut |path| {
            if path == "src/b.rs" {
                anyhow::bail!("interrupted")
            }
            Ok(())
        })
        .unwrap_err();
        assert_eq!(err.to_string(), "interrupted");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("src/a.rs")).unwrap(),
            "old a\n"
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("src/b.rs")).unwrap(),
            "old b\n"
        );
        let names: Vec<_> = std::fs::read_dir(dir.path().join("src"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }

    /// Two runs that write the same files at once: each stages its own
    /// temporaries, so both succeed, each target holds one run's contents
    /// whole, and no temporary is left behind. Both runs stage `x.rs` before
    /// either renames anything (the barrier before `y.rs`), which is where a
    /// shared temporary name made one run's rename fail.
    #[test]
    fn concurrent_runs_do_not_share_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        let barrier = std::sync::Barrier::new(2);
        let run = |tag: &str| {
            let files = [
                file("src/x.rs", &format!("x from {tag}\n")),
                file("src/y.rs", &format!("y from {tag}\n")),
            ];
            write_all_with(dir.path(), &files, &mut |path| {
                if path == "src/y.rs" {
                    barrier.wait();
                }
                Ok(())
            })
        };
        let (a, b) = std::thread::scope(|s| {
            let a = s.spawn(|| run("a"));
            let b = s.spawn(|| run("b"));
            (a.join().unwrap(), b.join().unwrap())
        });
        assert!(a.is_ok() && b.is_ok(), "{a:?} {b:?}");
        for name in ["x", "y"] {
            let text = std::fs::read_to_string(dir.path().join(format!("src/{name}.rs"))).unwrap();
            assert!(
                text == format!("{name} from a\n") || text == format!("{name} from b\n"),
                "{text:?}"
            );
        }
        let mut names: Vec<_> = std::fs::read_dir(dir.path().join("src"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["x.rs", "y.rs"]);
    }

    /// A temporary that a killed run leaves behind is not something to commit.
    #[test]
    fn temporaries_are_git_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let (temp, _) = create_temp(dir.path(), "client.rs").unwrap();
        let name = temp.file_name().unwrap().to_str().unwrap();
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let status = std::process::Command::new("git")
            .args(["check-ignore", "--quiet", "--no-index"])
            .arg(format!("gcore-iam/src/{name}"))
            .current_dir(root)
            .status()
            .unwrap();
        assert!(status.success(), "{name} is not git-ignored");
    }

    #[test]
    fn writes_only_what_changed() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.rs"), "same\n").unwrap();
        let written = write_all(
            dir.path(),
            &[file("a.rs", "same\n"), file("new/b.rs", "b\n")],
        )
        .unwrap();
        assert_eq!(written, ["new/b.rs"]);
        assert_eq!(
            std::fs::read_to_string(dir.path().join("new/b.rs")).unwrap(),
            "b\n"
        );
    }
}
