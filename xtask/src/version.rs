//! Crate versions: parsing, bumping by a [`Bump`] verdict, and editing the
//! `version = "..."` line of a manifest's `[package]` section.
//!
//! Only `MAJOR.MINOR.PATCH` with an optional pre-release and build suffix is
//! understood; that is all a generated crate's manifest holds.

use std::cmp::Ordering;
use std::fmt;

use crate::report::Bump;

/// A semver version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    /// Incompatible API changes (from 1.0.0 on).
    pub major: u64,
    /// Compatible additions (or, below 1.0.0, incompatible changes).
    pub minor: u64,
    /// Fixes (or, below 1.0.0, compatible additions).
    pub patch: u64,
    /// `-alpha.1`, `+build` and the like, kept verbatim; dropped by a bump.
    pub suffix: String,
}

impl Version {
    /// Parses `X.Y.Z`, `X.Y.Z-pre` or `X.Y.Z+build`; `None` for anything else.
    pub fn parse(text: &str) -> Option<Version> {
        let text = text.trim();
        let end = text.find(['-', '+']).unwrap_or(text.len());
        let (core, suffix) = text.split_at(end);
        let mut parts = core.split('.').map(|p| {
            (!p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
                .then(|| p.parse::<u64>().ok())
                .flatten()
        });
        let version = Version {
            major: parts.next()??,
            minor: parts.next()??,
            patch: parts.next()??,
            suffix: suffix.to_string(),
        };
        parts.next().is_none().then_some(version)
    }

    /// The version after a bump, as Cargo reads compatibility: from 1.0.0 the
    /// usual major/minor/patch; below it the minor number is the breaking one
    /// (`^0.1.0` does not match `0.2.0`), so a major bump increments the minor
    /// number and a minor or patch bump increments the patch number.
    pub fn bumped(&self, bump: Bump) -> Version {
        let (major, minor, patch) = (self.major, self.minor, self.patch);
        let (major, minor, patch) = match (bump, major) {
            (Bump::None, _) => return self.clone(),
            (Bump::Major, 0) => (0, minor.saturating_add(1), 0),
            (Bump::Major, _) => (major.saturating_add(1), 0, 0),
            (Bump::Minor, 0) | (Bump::Patch, _) => (major, minor, patch.saturating_add(1)),
            (Bump::Minor, _) => (major, minor.saturating_add(1), 0),
        };
        Version {
            major,
            minor,
            patch,
            suffix: String::new(),
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{}.{}{}",
            self.major, self.minor, self.patch, self.suffix
        )
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Version {
    /// Precedence by numbers; a pre-release sorts before its release. Pre-release
    /// identifiers are compared as text, which is enough to order a crate's own
    /// versions.
    fn cmp(&self, other: &Self) -> Ordering {
        let pre = |v: &Version| {
            let pre = v.suffix.split('+').next().unwrap_or_default();
            (pre.is_empty(), pre.to_string())
        };
        (self.major, self.minor, self.patch, pre(self)).cmp(&(
            other.major,
            other.minor,
            other.patch,
            pre(other),
        ))
    }
}

/// Where the package version is in a manifest: the line index and its value.
fn version_line(manifest: &str) -> Option<(usize, &str)> {
    let mut in_package = false;
    for (i, line) in manifest.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            in_package = trimmed == "[package]";
            continue;
        }
        if !in_package {
            continue;
        }
        let Some(rest) = trimmed.strip_prefix("version") else {
            continue;
        };
        let Some(rest) = rest.trim_start().strip_prefix('=') else {
            continue;
        };
        let rest = rest.trim_start().strip_prefix('"')?;
        return Some((i, &rest[..rest.find('"')?]));
    }
    None
}

/// The `[package]` version of a manifest, if it is a literal semver version
/// (`version.workspace = true` and the like are `None`).
pub fn manifest_version(manifest: &str) -> Option<Version> {
    version_line(manifest).and_then(|(_, v)| Version::parse(v))
}

/// The manifest with only its `[package]` `version = "..."` value replaced;
/// `None` when it has no such line. Line endings and comments are kept.
pub fn set_manifest_version(manifest: &str, version: &Version) -> Option<String> {
    let (index, old) = version_line(manifest)?;
    let mut out = String::with_capacity(manifest.len() + 8);
    for (i, line) in manifest.split_inclusive('\n').enumerate() {
        if i == index {
            out.push_str(&line.replacen(&format!("\"{old}\""), &format!("\"{version}\""), 1));
        } else {
            out.push_str(line);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn parses_and_rejects() {
        assert_eq!(v("1.2.3").to_string(), "1.2.3");
        assert_eq!(v("0.1.0-alpha.1").suffix, "-alpha.1");
        for bad in ["", "1.2", "1.2.3.4", "a.b.c", "1..3", "-1.0.0"] {
            assert!(Version::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn bumps_as_cargo_reads_compatibility() {
        let cases = [
            ("0.1.0", Bump::Major, "0.2.0"),
            ("0.1.3", Bump::Minor, "0.1.4"),
            ("0.1.3", Bump::Patch, "0.1.4"),
            ("0.1.3", Bump::None, "0.1.3"),
            ("1.4.2", Bump::Major, "2.0.0"),
            ("1.4.2", Bump::Minor, "1.5.0"),
            ("1.4.2", Bump::Patch, "1.4.3"),
            ("0.2.0-rc.1", Bump::Patch, "0.2.1"),
        ];
        for (from, bump, to) in cases {
            assert_eq!(v(from).bumped(bump).to_string(), to, "{from} {bump:?}");
        }
    }

    #[test]
    fn orders_pre_releases_first() {
        assert!(v("0.2.0-rc.1") < v("0.2.0"));
        assert!(v("0.1.9") < v("0.2.0-rc.1"));
        assert!(v("1.0.0") > v("0.99.99"));
    }

    #[test]
    fn edits_only_the_package_version() {
        let manifest = "[package]\nname = \"a\"\nversion = \"0.1.0\" # keep\n\n[dependencies]\nx = { version = \"0.1.0\" }\n";
        assert_eq!(manifest_version(manifest), Some(v("0.1.0")));
        let edited = set_manifest_version(manifest, &v("0.2.0")).unwrap();
        assert_eq!(
            edited,
            manifest.replacen("\"0.1.0\" # keep", "\"0.2.0\" # keep", 1)
        );
        assert!(
            set_manifest_version("[package]\nversion.workspace = true\n", &v("1.0.0")).is_none()
        );
        assert!(manifest_version("[dependencies]\nversion = \"1.0.0\"\n").is_none());
    }
}
