//! The change report: every kind of change in `tests/fixtures/changes/<case>/`
//! classified and turned into a bump, the `diff` command as a user runs it, and
//! `generate`'s version bump in a scratch git repository.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use xtask::report::{Bump, Impact, Kind, Report};
use xtask::version::Version;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/changes")
}

fn report(case: &str) -> Report {
    let load = |side: &str| {
        let path = fixtures().join(case).join(format!("{side}.yaml"));
        xtask::changes::load_normalized(&path, &format!("{case}/{side}.yaml")).unwrap()
    };
    Report::new("old", &load("old"), "new", &load("new"))
}

use Impact::{Breaking, Compatible, Docs};

/// A fixture directory, the changes expected (exactly), the verdict, and the
/// next version of a 0.1.0 crate and of a 1.2.3 crate.
type Case = (
    &'static str,
    &'static [(Impact, Kind)],
    Bump,
    &'static str,
    &'static str,
);

#[rustfmt::skip]
const CASES: &[Case] = &[
    ("new-required-parameter", &[(Breaking, Kind::ParameterAdded)], Bump::Major, "0.2.0", "2.0.0"),
    // Optional parameters are setters of the request builder: one more is compatible.
    ("new-optional-parameter", &[(Compatible, Kind::ParameterAdded)], Bump::Minor, "0.1.1", "1.3.0"),
    ("parameter-made-required", &[(Breaking, Kind::ParameterRequired)], Bump::Major, "0.2.0", "2.0.0"),
    ("new-optional-response-field", &[(Compatible, Kind::PropertyAdded)], Bump::Minor, "0.1.1", "1.3.0"),
    ("new-required-request-field", &[(Breaking, Kind::PropertyAdded)], Bump::Major, "0.2.0", "2.0.0"),
    ("new-optional-request-field", &[(Compatible, Kind::PropertyAdded)], Bump::Minor, "0.1.1", "1.3.0"),
    ("widened-response-enum", &[(Compatible, Kind::EnumValuesAdded)], Bump::Minor, "0.1.1", "1.3.0"),
    ("widened-request-enum", &[(Compatible, Kind::EnumValuesAdded)], Bump::Minor, "0.1.1", "1.3.0"),
    // A response `oneOf` that gains a `$ref` branch: a new variant, tried before
    // `Unknown`, and deployed clients decode it into `Unknown` (Gcore's CDN
    // gaining `AzureBlobConfig` was rated major by the type-text rule).
    ("union-gains-branch", &[(Compatible, Kind::UnionBranchesAdded), (Compatible, Kind::SchemaAdded)], Bump::Minor, "0.1.1", "1.3.0"),
    // An inline branch inserted before another renames typify's positional
    // variants (`Variant1` is now the new branch): breaking.
    ("union-inline-branch-inserted", &[(Breaking, Kind::TypeChanged)], Bump::Major, "0.2.0", "2.0.0"),
    ("narrowed-integer", &[(Breaking, Kind::TypeChanged)], Bump::Major, "0.2.0", "2.0.0"),
    ("nullable-response-field", &[(Breaking, Kind::NullableChanged)], Bump::Major, "0.2.0", "2.0.0"),
    ("operation-added", &[(Compatible, Kind::OperationAdded)], Bump::Minor, "0.1.1", "1.3.0"),
    ("operation-removed", &[(Breaking, Kind::OperationRemoved)], Bump::Major, "0.2.0", "2.0.0"),
    ("renamed-operation-id", &[(Breaking, Kind::OperationRenamed)], Bump::Major, "0.2.0", "2.0.0"),
    ("error-response-added", &[(Compatible, Kind::ErrorsChanged)], Bump::Minor, "0.1.1", "1.3.0"),
    ("schema-removed", &[(Breaking, Kind::SchemaRemoved)], Bump::Major, "0.2.0", "2.0.0"),
    ("description-only", &[(Docs, Kind::Documentation)], Bump::Patch, "0.1.1", "1.2.4"),
    ("no-change", &[], Bump::None, "0.1.0", "1.2.3"),
];

#[test]
fn every_case_is_classified_and_bumped() {
    let on_disk = std::fs::read_dir(fixtures()).unwrap().count();
    assert_eq!(on_disk, CASES.len(), "every fixture directory has a case");
    for (case, expected, bump, from_0_1, from_1_2) in CASES {
        let report = report(case);
        let found: Vec<(Impact, Kind)> =
            report.changes.iter().map(|c| (c.impact, c.kind)).collect();
        assert_eq!(found, *expected, "{case}:\n{}", report.to_text());
        assert_eq!(report.semver, *bump, "{case}");
        let zero = report
            .clone()
            .for_crate("p", "c", Version::parse("0.1.0").as_ref());
        assert_eq!(zero.version.as_ref().unwrap().to, *from_0_1, "{case}");
        let one = report
            .clone()
            .for_crate("p", "c", Version::parse("1.2.3").as_ref());
        assert_eq!(one.version.as_ref().unwrap().to, *from_1_2, "{case}");
    }
}

#[test]
fn changes_name_the_place_and_the_reason() {
    let r = report("widened-response-enum");
    let c = &r.changes[0];
    assert_eq!(c.subject, "Pet");
    assert_eq!(c.pointer, "/components/schemas/Pet");
    assert!(c.detail.contains("\"pending\""), "{}", c.detail);
    assert!(c.detail.contains("#[non_exhaustive]"), "{}", c.detail);

    let r = report("renamed-operation-id");
    assert!(
        r.changes[0].detail.contains("renamed from `get_pet`"),
        "{}",
        r.changes[0].detail
    );
    assert!(
        r.changes[0]
            .subject
            .starts_with("`fetch_pet` (GET /pets/{petId})")
    );

    let r = report("narrowed-integer");
    assert!(
        r.changes[0].detail.contains("from i64 to i32"),
        "{}",
        r.changes[0].detail
    );

    let text = report("new-optional-parameter")
        .for_crate("pets", "pets-client", Version::parse("0.1.0").as_ref())
        .to_text();
    assert!(text.contains("[compatible]"), "{text}");
    assert!(
        text.contains("a new setter on the request builder"),
        "{text}"
    );
    let text = report("new-required-parameter")
        .for_crate("pets", "pets-client", Version::parse("0.1.0").as_ref())
        .to_text();
    assert!(text.contains("[breaking]"), "{text}");
    assert!(text.contains("the method takes a new argument"), "{text}");
    assert!(text.trim_end().ends_with("semver: major — bump 0.1.0 → 0.2.0 (a 0.x crate: Cargo reads the minor number as the breaking one)"), "{text}");
}

fn xtask(root: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .env("XTASK_ROOT", root)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn fixture(case: &str, side: &str) -> String {
    fixtures()
        .join(case)
        .join(format!("{side}.yaml"))
        .display()
        .to_string()
}

#[test]
fn diff_prints_text_and_json_and_writes_nothing() {
    let root = xtask::workspace_root();
    let (old, new) = (
        fixture("operation-added", "old"),
        fixture("operation-added", "new"),
    );
    let before = std::fs::read(&new).unwrap();

    let out = xtask(&root, &["diff", &old, &new]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        stdout.contains("[compatible] `list_pets` (GET /pets): added"),
        "{stdout}"
    );
    assert!(
        stdout
            .trim_end()
            .ends_with("semver: minor (name the crate with --provider P to see its next version)"),
        "{stdout}"
    );

    let out = xtask(
        &root,
        &[
            "diff",
            "--format",
            "json",
            &old,
            &new,
            "--provider",
            "gcore-iam",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["provider"], "gcore-iam");
    assert_eq!(json["crate"], "gcore-iam");
    assert_eq!(json["semver"], "minor");
    assert_eq!(json["changes"][0]["impact"], "compatible");
    assert_eq!(json["changes"][0]["kind"], "operation-added");
    assert_eq!(json["changes"][0]["pointer"], "/paths/~1pets/get");
    let from = json["version"]["from"].as_str().unwrap();
    let expected = Version::parse(from)
        .unwrap()
        .bumped(Bump::Minor)
        .to_string();
    assert_eq!(json["version"]["to"], expected.as_str());

    assert_eq!(std::fs::read(&new).unwrap(), before);
}

#[test]
fn diff_usage_and_input_errors() {
    let root = xtask::workspace_root();
    let spec = fixture("no-change", "old");
    for args in [
        vec!["diff", spec.as_str()],
        vec!["diff", spec.as_str(), spec.as_str(), "--format", "xml"],
        vec!["diff", spec.as_str(), spec.as_str(), "--colour"],
        vec!["diff", spec.as_str(), spec.as_str(), "--provider"],
        vec!["generate", "--bump-harder"],
        vec!["check", "--no-bump"],
    ] {
        let out = xtask(&root, &args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(text(&out.stderr).contains("usage: cargo xtask"), "{args:?}");
    }
    let out = xtask(&root, &["diff", &spec, "/nonexistent/new.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("/nonexistent/new.yaml"),
        "{}",
        text(&out.stderr)
    );
    let out = xtask(&root, &["diff", &spec, &spec, "--provider", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("unknown provider \"nope\""),
        "{}",
        text(&out.stderr)
    );
}

fn copy_dir(from: &Path, to: &Path) {
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

fn git(root: &Path, args: &[&str]) -> Option<Output> {
    Command::new("git")
        .arg("-C")
        .arg(root)
        .args([
            "-c",
            "user.name=xtask test",
            "-c",
            "user.email=xtask@example.invalid",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .output()
        .ok()
}

/// A committed copy of the specs and crates. The change report reads git, so
/// these tests need it (CI has it: it cloned the repository).
fn repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let repo = xtask::workspace_root();
    copy_dir(&repo.join("specs"), &dir.path().join("specs"));
    std::fs::copy(repo.join("Cargo.toml"), dir.path().join("Cargo.toml")).unwrap();
    for krate in ["gcore-iam", "cloudflare-accounts"] {
        copy_dir(&repo.join(krate), &dir.path().join(krate));
    }
    for args in [
        &["init", "-q"][..],
        &["add", "-A"],
        &["commit", "-q", "-m", "base"],
    ] {
        match git(dir.path(), args) {
            Some(out) if out.status.success() => {}
            Some(out) => panic!("git {args:?}: {}", text(&out.stderr)),
            None => panic!("git is not installed; the change report's tests need it"),
        }
    }
    dir
}

/// Adds a required query parameter to Gcore's DELETE: breaking, a new argument.
fn add_parameter(root: &Path) {
    let path = root.join("specs/gcore-iam.yaml");
    let spec = std::fs::read_to_string(&path).unwrap();
    let anchor = "        - $ref: '#/components/parameters/TokenID'\n";
    assert!(spec.contains(anchor));
    let added = format!(
        "{anchor}        - name: force\n          in: query\n          required: true\n          schema:\n            type: boolean\n"
    );
    std::fs::write(&path, spec.replacen(anchor, &added, 1)).unwrap();
}

fn manifest_version(root: &Path) -> String {
    let manifest = std::fs::read_to_string(root.join("gcore-iam/Cargo.toml")).unwrap();
    xtask::version::manifest_version(&manifest)
        .unwrap()
        .to_string()
}

#[test]
fn generate_bumps_the_version_once_and_check_holds_it_to_the_verdict() {
    let dir = repository();
    let root = dir.path();
    let committed = manifest_version(root);
    let expected = Version::parse(&committed)
        .unwrap()
        .bumped(Bump::Major)
        .to_string();
    add_parameter(root);

    // --no-bump leaves the version, and check calls that drift.
    let out = xtask(root, &["generate", "--no-bump", "gcore-iam"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(stdout.contains("[breaking]"), "{stdout}");
    assert!(stdout.contains("not bumped (--no-bump)"), "{stdout}");
    assert_eq!(manifest_version(root), committed);
    let out = xtask(root, &["check"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "version {committed} is behind the API change since gcore-iam {committed} (commit "
        )) && stderr.contains(&format!("), which needs {expected}")),
        "{stderr}"
    );
    assert!(
        stderr.contains("cargo xtask generate gcore-iam"),
        "{stderr}"
    );

    // generate bumps; running it again does not bump twice.
    for run in 0..2 {
        let out = xtask(root, &["generate"]);
        let stdout = text(&out.stdout);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(
            stdout.contains(&format!("semver: major — bump {committed} → {expected}")),
            "{stdout}"
        );
        assert_eq!(
            stdout.contains("gcore-iam/Cargo.toml"),
            run == 0,
            "run {run}: {stdout}"
        );
        assert!(
            stdout.contains("cloudflare-accounts: 1 operation(s)"),
            "{stdout}"
        );
        assert!(
            stdout.contains("  since cloudflare-accounts ") && stdout.contains("): spec unchanged"),
            "{stdout}"
        );
        assert_eq!(manifest_version(root), expected, "run {run}");
    }
    let out = xtask(root, &["check"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("[breaking]"),
        "{}",
        text(&out.stdout)
    );

    // Only the version line of the manifest changed.
    let diff = git(root, &["diff", "--unified=0", "--", "gcore-iam/Cargo.toml"]).unwrap();
    let changed: Vec<String> = text(&diff.stdout)
        .lines()
        .filter(|l| {
            (l.starts_with('+') || l.starts_with('-'))
                && !l.starts_with("+++")
                && !l.starts_with("---")
        })
        .map(str::to_string)
        .collect();
    assert_eq!(
        changed,
        [
            format!("-version = \"{committed}\""),
            format!("+version = \"{expected}\"")
        ]
    );

    // Once committed, the new spec is the baseline: nothing more to bump.
    git(root, &["commit", "-q", "-am", "new spec"]).unwrap();
    let out = xtask(root, &["generate"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        !text(&out.stdout).contains("Cargo.toml"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(manifest_version(root), expected);
}

#[test]
fn a_committed_breaking_change_without_its_bump_fails_check() {
    let dir = repository();
    let root = dir.path();
    let committed = manifest_version(root);
    add_parameter(root);
    let out = xtask(root, &["generate", "--no-bump", "gcore-iam"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    git(
        root,
        &["commit", "-q", "-am", "new spec, version forgotten"],
    )
    .unwrap();

    // HEAD holds the new spec, yet the last release is the first commit.
    let out = xtask(root, &["check"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "version {committed} is behind the API change since gcore-iam {committed} (commit "
        )),
        "{stderr}"
    );
    // A release tag is the baseline when there is one.
    git(root, &["tag", &format!("gcore-iam-v{committed}"), "HEAD~1"]).unwrap();
    let out = xtask(root, &["check"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "API change since gcore-iam-v{committed}, which needs"
        )),
        "{stderr}"
    );
    // `--baseline=HEAD` measures from the last commit instead: nothing changed.
    let out = xtask(root, &["check", "--baseline=HEAD"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // Bumped and committed, the change is released: check passes again.
    let out = xtask(root, &["generate", "gcore-iam"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    git(root, &["commit", "-q", "-am", "bump"]).unwrap();
    let out = xtask(root, &["check"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

/// The generator's own changes are versioned too: here the release, written
/// by an older generator, had a public method the generator no longer makes.
#[test]
fn a_generator_change_to_the_public_api_needs_its_bump() {
    let dir = repository();
    let root = dir.path();
    let committed = manifest_version(root);
    let api = root.join("gcore-iam/src/api.rs");
    let code = std::fs::read_to_string(&api).unwrap();
    let anchor = "impl crate::Client {\n";
    assert!(code.contains(anchor));
    let older = code.replacen(
        anchor,
        &format!("{anchor}    /// Made by an older generator.\n    pub fn legacy(&self) {{}}\n"),
        1,
    );
    std::fs::write(&api, older).unwrap();
    git(
        root,
        &["commit", "-q", "-am", "released by an older generator"],
    )
    .unwrap();
    git(root, &["tag", &format!("gcore-iam-v{committed}")]).unwrap();

    let out = xtask(root, &["generate", "gcore-iam"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        stdout.contains("[breaking]") && stdout.contains("`Client::legacy`"),
        "{stdout}"
    );
    assert!(
        stdout.contains("the spec is unchanged, the generator is not"),
        "{stdout}"
    );
    let expected = Version::parse(&committed)
        .unwrap()
        .bumped(Bump::Major)
        .to_string();
    assert_eq!(manifest_version(root), expected);
}

#[test]
fn outside_a_repository_there_is_no_previous_version() {
    let dir = tempfile::tempdir().unwrap();
    let repo = xtask::workspace_root();
    copy_dir(&repo.join("specs"), &dir.path().join("specs"));
    std::fs::copy(repo.join("Cargo.toml"), dir.path().join("Cargo.toml")).unwrap();
    for krate in ["gcore-iam", "cloudflare-accounts"] {
        copy_dir(&repo.join(krate), &dir.path().join(krate));
    }
    let out = xtask(dir.path(), &["check"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        stdout
            .matches("since HEAD: no previous version to compare")
            .count(),
        2,
        "{stdout}"
    );
}
