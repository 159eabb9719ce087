//! Gcore's published history of its IAM document, replayed through the change
//! report: each consecutive pair of `tests/fixtures/vendor-history/gcore-iam/`
//! gets the verdict a user of the generated crate needs (see the README's
//! "Replayed history" for why each one is right).

use std::path::{Path, PathBuf};

use xtask::report::{Bump, Impact, Kind};

fn history() -> PathBuf {
    xtask::workspace_root().join("tests/fixtures/vendor-history/gcore-iam")
}

/// Consecutive pairs `(old, new)`: files whose numbers follow each other.
fn pairs() -> Vec<(PathBuf, PathBuf)> {
    let mut files: Vec<(u32, PathBuf)> = std::fs::read_dir(history())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .map(|p| {
            let n = p.file_name().unwrap().to_string_lossy()[..4]
                .parse()
                .unwrap();
            (n, p)
        })
        .collect();
    files.sort();
    files
        .windows(2)
        .filter(|w| w[1].0 == w[0].0 + 1)
        .map(|w| (w[0].1.clone(), w[1].1.clone()))
        .collect()
}

fn number(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy()[..4].to_string()
}

/// Every pair's verdict, and for the breaking ones the kinds of change that
/// make them so.
#[rustfmt::skip]
const EXPECTED: &[(&str, Bump, &[Kind])] = &[
    ("0001→0002", Bump::Patch, &[]),
    ("0002→0003", Bump::Patch, &[]),
    ("0003→0004", Bump::Patch, &[]),
    ("0004→0005", Bump::Patch, &[]),
    ("0005→0006", Bump::Patch, &[]),
    ("0006→0007", Bump::Patch, &[]),
    ("0007→0008", Bump::Patch, &[]),
    ("0008→0009", Bump::Patch, &[]),
    ("0009→0010", Bump::Patch, &[]),
    ("0010→0011", Bump::Patch, &[]),
    ("0013→0014", Bump::Major, &[Kind::RequiredChanged, Kind::ItemRemoved]),
    ("0020→0021", Bump::Patch, &[]),
    ("0021→0022", Bump::Major, &[Kind::ResponseChanged, Kind::ItemRemoved]),
    ("0032→0033", Bump::Patch, &[]),
    ("0035→0036", Bump::Major, &[Kind::PropertyRemoved, Kind::ItemRemoved]),
    ("0084→0085", Bump::Major, &[Kind::RequiredChanged, Kind::NullableChanged]),
    ("0100→0101", Bump::Patch, &[]),
    ("0142→0143", Bump::Major, &[Kind::ResponseChanged]),
    ("0165→0166", Bump::Major, &[Kind::RequestBodyChanged, Kind::ItemRemoved]),
    ("0166→0167", Bump::Major, &[Kind::TypeChanged]),
    ("0172→0173", Bump::Major, &[Kind::ItemRemoved]),
    ("0182→0183", Bump::Patch, &[]),
    ("0183→0184", Bump::Patch, &[]),
    ("0199→0200", Bump::Major, &[Kind::RequestBodyChanged, Kind::ResponseChanged, Kind::ItemRemoved]),
    ("0413→0414", Bump::Minor, &[]),
];

#[test]
fn every_published_update_gets_its_verdict() {
    let root = xtask::workspace_root();
    let pairs = pairs();
    assert_eq!(pairs.len(), EXPECTED.len(), "one expectation per pair");
    let mut found = Vec::new();
    for (old, new) in &pairs {
        let report =
            xtask::changes::diff(&root, &old.to_string_lossy(), &new.to_string_lossy(), None)
                .unwrap_or_else(|e| panic!("{}: {e:#}", old.display()));
        let mut breaking: Vec<Kind> = report
            .changes
            .iter()
            .filter(|c| c.impact == Impact::Breaking)
            .map(|c| c.kind)
            .collect();
        breaking.sort();
        breaking.dedup();
        found.push((
            format!("{}→{}", number(old), number(new)),
            report.semver,
            breaking,
            report.to_text(),
        ));
    }
    let mut wrong = String::new();
    for ((pair, bump, kinds, text), (want_pair, want_bump, want_kinds)) in
        found.iter().zip(EXPECTED)
    {
        assert_eq!(pair, want_pair);
        if bump != want_bump || kinds != want_kinds {
            wrong.push_str(&format!(
                "{pair}: {bump:?} {kinds:?}, expected {want_bump:?} {want_kinds:?}\n{text}\n"
            ));
        }
    }
    assert!(wrong.is_empty(), "{wrong}");
}
