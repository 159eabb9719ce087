//! `cargo xtask bench`: every benchmark figure in one markdown table.
//!
//! Each figure is measured side by side with its baseline in the same run, and
//! reported as a ratio: the machines this runs on are shared and noisy, so
//! absolute times move between runs while ratios mostly do not. Nothing here
//! is a test; targets are reported as pass/fail, never asserted.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::{corpus, generate, output, pipeline, providers, slice, synthetic};

pub mod sweep;

/// One row of the table.
pub struct Row {
    /// What is measured.
    pub figure: String,
    /// Our value, formatted with its unit.
    pub ours: String,
    /// The baseline's value, formatted, or `—`.
    pub baseline: String,
    /// ours / baseline, when there is a baseline.
    pub ratio: Option<f64>,
    /// The target, as text (`<= 1.10`).
    pub target: String,
    /// Whether the target is met; `None` when there is no target.
    pub pass: Option<bool>,
}

fn row(
    figure: impl Into<String>,
    ours: String,
    baseline: String,
    ratio: Option<f64>,
    target: &str,
    pass: Option<bool>,
) -> Row {
    Row {
        figure: figure.into(),
        ours,
        baseline,
        ratio,
        target: target.into(),
        pass,
    }
}

/// Operation counts of the generation-scaling figures.
pub const SIZES: [usize; 4] = [10, 100, 1_000, 5_000];

/// Runs every benchmark, writes `BENCHMARKS.md` and `benchmarks/generation.svg`.
pub fn run(root: &Path) -> Result<String> {
    let mut rows = Vec::new();
    let scratch = root.join("target/xtask-bench");
    std::fs::create_dir_all(&scratch)?;

    eprintln!("bench: generation scaling (child processes, ours vs bare progenitor)…");
    let mut points = Vec::new();
    for size in SIZES {
        let runs = if size >= 5_000 { 1 } else { 3 };
        let (mut ours, mut bare) = (Vec::new(), Vec::new());
        for _ in 0..runs {
            ours.push(child(root, "ours", size)?);
            bare.push(child(root, "bare", size)?);
        }
        let best = |v: &[(f64, u64, f64)]| {
            v.iter().copied().fold((f64::MAX, 0u64, f64::MAX), |a, b| {
                (a.0.min(b.0), a.1.max(b.1), a.2.min(b.2))
            })
        };
        let ((o, o_mem, _), (b, b_mem, b_tokens)) = (best(&ours), best(&bare));
        let ratio = o / b;
        points.push((size, o, b));
        rows.push(row(
            format!(
                "generate {size} operations vs progenitor + prettyplease (progenitor's tokens alone: {}; peak memory ours {} MiB, bare {} MiB)",
                secs(b_tokens),
                o_mem / 1024,
                b_mem / 1024
            ),
            secs(o),
            secs(b),
            Some(ratio),
            "<= 1.10",
            Some(ratio <= 1.10),
        ));
        if size == 1_000 {
            rows.push(row(
                "generate 1,000 operations, absolute (the `xtask` profile)",
                secs(o),
                "—".into(),
                None,
                "< 1 s",
                Some(o < 1.0),
            ));
        }
    }
    let per_op_small = points[1].1 / points[1].0 as f64;
    let per_op_large = points[3].1 / points[3].0 as f64;
    rows.push(row(
        "growth: time per operation at 5,000 vs at 100",
        format!(
            "{:.2} ms vs {:.2} ms",
            per_op_large * 1e3,
            per_op_small * 1e3
        ),
        "—".into(),
        Some(per_op_large / per_op_small),
        "close to linear (≈ 1)",
        None,
    ));

    eprintln!("bench: providers and drift check…");
    for provider in providers::load(root)? {
        let t = best_of(5, || pipeline::render(root, &provider).map(|_| ()))?;
        rows.push(row(
            format!("generate provider {}", provider.name),
            secs(t),
            "—".into(),
            None,
            "",
            None,
        ));
    }
    let t = best_of(5, || pipeline::check(root, &[]).map(|_| ()))?;
    rows.push(row(
        "`cargo xtask check`, both providers (in process)",
        secs(t),
        "—".into(),
        None,
        "",
        None,
    ));

    eprintln!("bench: slicing 5,000 operations / 20,000 schemas…");
    let (full, ids) = synthetic::slice_bench_input();
    let t = best_of(5, || {
        slice::slice(&full, &ids)
            .map(|_| ())
            .map_err(|e| anyhow::anyhow!("{e}"))
    })?;
    rows.push(row(
        "slice 3 of 5,000 operations (20,000 schemas)",
        secs(t),
        "—".into(),
        None,
        "",
        None,
    ));
    drop(full);

    eprintln!("bench: generated code at scale (temporary workspace, cargo build)…");
    let synth = SynthWorkspace::create(root, &scratch.join("synth"))?;
    synth.generate(10)?;
    synth.build()?; // dependencies, so the timed builds measure the crate alone
    for size in [100usize, 1_000] {
        synth.generate(size)?;
        let t = best_of(3, || pipeline::check(&synth.root, &[]).map(|_| ()))?;
        rows.push(row(
            format!("`cargo xtask check` on a {size}-operation spec"),
            secs(t),
            "—".into(),
            None,
            "",
            None,
        ));
        let build = synth.build()?;
        rows.push(row(
            format!("cargo build of the {size}-operation crate"),
            format!(
                "{} ({:.1} s per 100 operations)",
                secs(build),
                build / (size as f64 / 100.0)
            ),
            "—".into(),
            None,
            "",
            None,
        ));
    }

    rows.extend(vendor_rows(root)?);

    eprintln!("bench: downstream cost (two fresh crates, clean builds)…");
    rows.extend(downstream(root, &scratch.join("downstream"))?);

    eprintln!("bench: client overhead (cargo bench)…");
    rows.extend(client_overhead(root)?);

    let table = render(&rows);
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let date = utc_now();
    let doc = format!(
        "# Benchmarks\n\nProduced by `cargo xtask bench` on {date}, {cores} cores. Each figure is measured side by side \
         with its baseline in the same run; ratios are ours / baseline (for throughput, baseline / ours is not used: \
         higher is better and the target says so).\n\n{table}\n![generation time against operation count](benchmarks/generation.svg)\n"
    );
    // The corpus sweep's section is written by `bench corpus` alone; kept here.
    let kept = std::fs::read_to_string(root.join("BENCHMARKS.md")).unwrap_or_default();
    let doc = match sweep::section(&kept) {
        Some(section) => sweep::with_section(&doc, &format!("{section}\n")),
        None => doc,
    };
    std::fs::create_dir_all(root.join("benchmarks"))?;
    output::write_all(
        root,
        &[
            output::Rendered {
                path: "BENCHMARKS.md".into(),
                contents: doc,
            },
            output::Rendered {
                path: "benchmarks/generation.svg".into(),
                contents: plot(&points),
            },
        ],
    )?;
    Ok(table)
}

/// The largest real document of the corpus: Cloudflare's published spec.
pub const VENDOR_SPEC: &str = "tests/vendor-specs/cloudflare-openapi-2024-08-06.json";

/// `cargo xtask bench vendor`: only the figures of [`VENDOR_SPEC`], as a table.
pub fn vendor(root: &Path) -> Result<String> {
    Ok(render(&vendor_rows(root)?))
}

/// Generating [`VENDOR_SPEC`] (best of 3, each in a child process, as
/// `cargo xtask corpus` does: its peak memory is measured and a runaway run is
/// stopped) and `cargo check` of its crate with the features and target
/// directory of `cargo xtask corpus`, then with one tag alone
/// ([`ONE_TAG`]), the dependencies built first (by checking a small crate
/// with the same ones). The peer, openapi-to-rust, generates and checks the
/// same document in the same run when it is installed ([`sweep::PEER`]): its
/// figures are the baseline. A document that does not generate yet is
/// reported as failing, not as an error.
fn vendor_rows(root: &Path) -> Result<Vec<Row>> {
    eprintln!("bench: the Cloudflare document ({VENDOR_SPEC})…");
    let document = |path: PathBuf| -> Result<corpus::Document> {
        let file = path
            .file_name()
            .and_then(|n| n.to_str())
            .context("spec file name")?
            .to_string();
        let stem = file.rsplit_once('.').map_or(file.as_str(), |(s, _)| s);
        Ok(corpus::Document {
            name: corpus::provider_name(stem),
            file: file.clone(),
            path,
        })
    };
    let warm = document(root.join("specs/gcore-iam.yaml"))?;
    let big = document(root.join(VENDOR_SPEC))?;
    let target = corpus::target_dir(root)?;
    let [peer_generation, peer_check] = peer_vendor(root, &target, &big)?;
    let scratch = target.join("xtask-bench/vendor");
    corpus::create_scratch(root, &scratch, &[warm.clone(), big.clone()])?;
    let exe = corpus::copy_of_self(&scratch)?;

    // The small crate first, generated and checked alone: it builds the
    // dependencies with the same features, so the timed check is the crate's own.
    if let Err(e) =
        corpus::generate_in_child(&exe, &scratch, &warm.name, corpus::GENERATION_TIMEOUT)?.result
    {
        bail!("{} does not generate: {e}", warm.file);
    }
    check_crate(
        &scratch,
        &target,
        &warm.name,
        &["--features", corpus::FEATURES],
    )?;

    let mut rows = Vec::new();
    let figure =
        "generate the Cloudflare document (1,533 operations, 4.2 MB of JSON; the `xtask` profile)";
    let mut best: Option<corpus::Generation> = None;
    for _ in 0..3 {
        let run = corpus::generate_in_child(&exe, &scratch, &big.name, corpus::GENERATION_TIMEOUT)?;
        if let Err(e) = &run.result {
            let first = e.lines().next().unwrap_or_default().replace('|', "\\|");
            rows.push(row(
                figure,
                format!(
                    "fails after {} (peak memory {} MiB): {first}",
                    secs(run.seconds),
                    run.peak_kib / 1024
                ),
                peer_generation.text.clone(),
                None,
                "< 3.5 s",
                Some(false),
            ));
            best = None;
            break;
        }
        if best.as_ref().is_none_or(|b| run.seconds < b.seconds) {
            best = Some(run);
        }
    }
    let check_figure = format!(
        "cargo check of the Cloudflare crate (ours: features {}; dependencies built; 2 cores)",
        corpus::FEATURES
    );
    let tag_figure = format!(
        "cargo check of the Cloudflare crate with one tag (`--no-default-features --features {ONE_TAG},rustls`; dependencies built)"
    );
    let Some(best) = best else {
        rows.push(row(
            check_figure,
            "not measured: the document does not generate".into(),
            peer_check.text.clone(),
            None,
            "< 60 s",
            Some(false),
        ));
        return Ok(rows);
    };
    rows.push(row(
        format!("{figure}; peak memory {} MiB", best.peak_kib / 1024),
        secs(best.seconds),
        peer_generation.text.clone(),
        peer_generation.seconds.map(|peer| best.seconds / peer),
        "< 3.5 s",
        Some(best.seconds < 3.5),
    ));
    checked_anew(&scratch, &big.name)?;
    let t = Instant::now();
    let ok = check_crate(
        &scratch,
        &target,
        &big.name,
        &["--features", corpus::FEATURES],
    )?;
    let took = t.elapsed().as_secs_f64();
    rows.push(row(
        check_figure,
        if ok {
            secs(took)
        } else {
            format!("does not compile (after {})", secs(took))
        },
        peer_check.text.clone(),
        peer_check.seconds.filter(|_| ok).map(|peer| took / peer),
        "< 60 s",
        Some(ok && took < 60.0),
    ));
    let manifest =
        std::fs::read_to_string(scratch.join(&big.name).join("Cargo.toml")).unwrap_or_default();
    if !has_feature(&manifest, ONE_TAG) {
        rows.push(row(
            tag_figure,
            format!("not measured: the crate has no feature {ONE_TAG}"),
            "—".into(),
            None,
            "< 10 s",
            Some(false),
        ));
        return Ok(rows);
    }
    // The dependencies with these features (no `tracing`, no `mock`).
    let tag_features = ["--no-default-features", "--features", "rustls"];
    check_crate(&scratch, &target, &warm.name, &tag_features)?;
    let features = format!("{ONE_TAG},rustls");
    checked_anew(&scratch, &big.name)?;
    let t = Instant::now();
    let ok = check_crate(
        &scratch,
        &target,
        &big.name,
        &["--no-default-features", "--features", &features],
    )?;
    let took = t.elapsed().as_secs_f64();
    rows.push(row(
        tag_figure,
        if ok {
            secs(took)
        } else {
            format!("does not compile (after {})", secs(took))
        },
        "—".into(),
        None,
        "< 10 s",
        Some(ok && took < 10.0),
    ));
    Ok(rows)
}

/// The tag whose feature alone the one-tag check enables: Cloudflare's
/// `Accounts`, as a feature name (the tag in kebab-case).
pub const ONE_TAG: &str = "accounts";

/// Whether a crate manifest declares `feature` in its `[features]`.
fn has_feature(manifest: &str, feature: &str) -> bool {
    manifest
        .parse::<toml::Table>()
        .ok()
        .and_then(|m| m.get("features")?.as_table()?.get(feature).cloned())
        .is_some()
}

/// A baseline cell: its text, and its seconds when it was measured.
struct Baseline {
    text: String,
    seconds: Option<f64>,
}

impl Baseline {
    fn unmeasured(text: &str) -> Baseline {
        Baseline {
            text: text.to_string(),
            seconds: None,
        }
    }
}

/// The peer's generation of `doc` (its process's wall time) and `cargo
/// check` of its output as a crate (not incremental, its dependencies built
/// first by a check of the same crate, as ours are), as baseline cells.
fn peer_vendor(root: &Path, target: &Path, doc: &corpus::Document) -> Result<[Baseline; 2]> {
    let peer = root.join(sweep::PEER);
    if !peer.is_file() {
        let text = format!(
            "peer not installed (`cargo install openapi-to-rust --version '^0.23' --locked --root {}`)",
            sweep::PEER.trim_end_matches("/bin/openapi-to-rust")
        );
        return Ok([Baseline::unmeasured(&text), Baseline::unmeasured(&text)]);
    }
    eprintln!("bench: the Cloudflare document through the peer (openapi-to-rust 0.23)…");
    let work = target.join("xtask-bench/vendor-peer");
    if work.exists() {
        std::fs::remove_dir_all(&work)
            .with_context(|| format!("cannot wipe {}", work.display()))?;
    }
    let generated = sweep::peer_one(&peer, doc, &work.join(&doc.name));
    if let Some(e) = &generated.error {
        let text = format!("the peer fails: {}", e.replace('|', "\\|"));
        return Ok([Baseline::unmeasured(&text), Baseline::unmeasured(&text)]);
    }
    let generation = Baseline {
        text: format!("{} (openapi-to-rust 0.23)", secs(generated.seconds)),
        seconds: Some(generated.seconds),
    };
    // The first check builds the peer's dependencies and its crate; the
    // second (its files written again, so cargo checks the crate anew) is
    // the crate's own.
    let peer_target = target.join("xtask-bench/vendor-peer-target");
    sweep::peer_check(&work, &peer_target, &[&generated])?;
    let checked = sweep::peer_check(&work, &peer_target, &[&generated])?;
    let check = if checked.crates == 1 && checked.compiled == 1 {
        Baseline {
            text: format!("{} (openapi-to-rust 0.23)", secs(checked.seconds)),
            seconds: Some(checked.seconds),
        }
    } else {
        Baseline::unmeasured(&format!(
            "the peer's crate does not compile (after {})",
            secs(checked.seconds)
        ))
    };
    Ok([generation, check])
}

/// Makes cargo check crate `name` again: generation writes only the files
/// that changed, so a crate generated as before keeps its old times, cargo
/// finds it fresh, and a timed check would time nothing (it did: 1.5 s for
/// the 1,533-operation crate).
fn checked_anew(scratch: &Path, name: &str) -> Result<()> {
    let lib = scratch.join(name).join("src/lib.rs");
    std::fs::File::options()
        .write(true)
        .open(&lib)
        .and_then(|f| f.set_modified(std::time::SystemTime::now()))
        .with_context(|| format!("cannot touch {}", lib.display()))
}

/// `cargo check -p NAME` with `features` (cargo's feature arguments) in a
/// corpus scratch workspace; whether it passed.
fn check_crate(scratch: &Path, target: &Path, name: &str, features: &[&str]) -> Result<bool> {
    let status = Command::new(cargo())
        .args(["check", "--quiet", "-p", name])
        .args(features)
        .current_dir(scratch)
        .env("CARGO_TARGET_DIR", target)
        .env("CARGO_INCREMENTAL", "0")
        .status()
        .with_context(|| format!("cannot run {}", cargo()))?;
    Ok(status.success())
}

fn secs(s: f64) -> String {
    if s < 1.0 {
        format!("{:.1} ms", s * 1e3)
    } else {
        format!("{s:.2} s")
    }
}

fn best_of(n: usize, mut f: impl FnMut() -> Result<()>) -> Result<f64> {
    let mut best = f64::MAX;
    for _ in 0..n {
        let t = Instant::now();
        f()?;
        best = best.min(t.elapsed().as_secs_f64());
    }
    Ok(best)
}

/// Runs `xtask bench-one MODE SIZE` in a child process: its own peak memory.
fn child(root: &Path, mode: &str, size: usize) -> Result<(f64, u64, f64)> {
    let exe = std::env::current_exe()?;
    let out = Command::new(exe)
        .args(["bench-one", mode, &size.to_string()])
        .env("XTASK_ROOT", root)
        .output()?;
    if !out.status.success() {
        bail!(
            "bench-one {mode} {size}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut parts = text.split_whitespace();
    let secs = parts
        .next()
        .and_then(|s| s.parse().ok())
        .context("bench-one printed no time")?;
    let kib = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    let tokens_only = parts.next().and_then(|s| s.parse().ok()).unwrap_or(secs);
    Ok((secs, kib, tokens_only))
}

/// Peak resident memory of this process in KiB (Linux).
fn peak_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// The child side: one measurement, printed as `SECONDS PEAK_KIB`.
///
/// `ours` is the whole pipeline (load from a file, normalize, customize,
/// progenitor for the client and the mock module, facade, format, compare);
/// `bare` is progenitor producing the same two token streams from the same
/// document, already parsed, then formatted with prettyplease (the least any
/// user of progenitor does to get the same files); it also prints the time of
/// the token streams alone.
pub fn one(mode: &str, size: usize) -> Result<String> {
    let doc = synthetic::synthetic_spec(size, size);
    let dir = std::env::temp_dir().join(format!("xtask-bench-one-{}", std::process::id()));
    let elapsed = match mode {
        "ours" => {
            let ws = SynthWorkspace::layout(&dir, &doc)?;
            let provider = providers::load(&ws)?
                .into_iter()
                .next()
                .context("no provider")?;
            let t = Instant::now();
            let out = pipeline::render(&ws, &provider)?;
            for file in &out.files {
                output::compare(&ws, file)?;
            }
            let e = t.elapsed();
            let _ = std::fs::remove_dir_all(&dir);
            e
        }
        "bare" => {
            let mut doc = doc;
            generate::route_errors_to_runtime(&mut doc);
            let spec: openapiv3::OpenAPI = serde_json::from_value(doc)?;
            let t = Instant::now();
            let streams = generate::bare_progenitor(&spec)?;
            let tokens_only = t.elapsed();
            // The same two files need formatting however they are generated.
            for tokens in streams {
                let file: syn::File = syn::parse2(tokens)?;
                std::hint::black_box(prettyplease::unparse(&file));
            }
            return Ok(format!(
                "{} {} {}",
                t.elapsed().as_secs_f64(),
                peak_kib(),
                tokens_only.as_secs_f64()
            ));
        }
        other => bail!("unknown bench mode {other:?}"),
    };
    Ok(format!("{} {}", elapsed.as_secs_f64(), peak_kib()))
}

/// A scratch workspace holding one provider generated from a synthetic spec.
struct SynthWorkspace {
    root: PathBuf,
    target: PathBuf,
}

const SYNTH_REGISTRY: &str = "[providers.synth]\nspec = \"synth.json\"\ncrate = \"synth\"\ntitle = \"Synthetic\"\nbase_url_env = \"SYNTH_BASE_URL\"\n\n[providers.synth.auth]\nheader = \"Authorization\"\nprefix = \"Bearer \"\nenv = \"SYNTH_TOKEN\"\nwhat = \"token\"\n";

impl SynthWorkspace {
    /// Writes the workspace manifest, registry and spec; returns the root.
    fn layout(root: &Path, doc: &Value) -> Result<PathBuf> {
        std::fs::create_dir_all(root.join("specs"))?;
        let repo = crate::workspace_root();
        let manifest = std::fs::read_to_string(repo.join("Cargo.toml"))?;
        std::fs::write(
            root.join("Cargo.toml"),
            crate::corpus::scratch_manifest(&manifest, &repo)?,
        )?;
        std::fs::copy(repo.join("Cargo.lock"), root.join("Cargo.lock"))?;
        std::fs::write(root.join("specs/providers.toml"), SYNTH_REGISTRY)?;
        std::fs::write(root.join("specs/synth.json"), serde_json::to_vec(doc)?)?;
        Ok(root.to_path_buf())
    }

    fn create(repo: &Path, root: &Path) -> Result<Self> {
        let _ = std::fs::remove_dir_all(root);
        Self::layout(root, &synthetic::synthetic_spec(10, 10))?;
        Ok(Self {
            root: root.to_path_buf(),
            target: repo.join("target/xtask-bench/target"),
        })
    }

    fn generate(&self, size: usize) -> Result<()> {
        std::fs::write(
            self.root.join("specs/synth.json"),
            serde_json::to_vec(&synthetic::synthetic_spec(size, size))?,
        )?;
        pipeline::generate_with(
            &self.root,
            &[],
            &pipeline::GenerateOptions {
                bump: false,
                ..Default::default()
            },
        )?;
        Ok(())
    }

    /// `cargo build` of the synthetic crate; returns the seconds it took.
    fn build(&self) -> Result<f64> {
        let t = Instant::now();
        let status = Command::new(cargo())
            .args([
                "build",
                "--offline",
                "--quiet",
                "-p",
                "synth",
                "--no-default-features",
            ])
            .current_dir(&self.root)
            .env("CARGO_TARGET_DIR", &self.target)
            .status()?;
        if !status.success() {
            bail!("the synthetic crate did not build");
        }
        Ok(t.elapsed().as_secs_f64())
    }
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// A fresh binary depending on `gcore-iam` against one depending on `reqwest`
/// alone with the features `gcore-iam` enables: crates compiled and clean build time.
fn downstream(repo: &Path, dir: &Path) -> Result<Vec<Row>> {
    let _ = std::fs::remove_dir_all(dir);
    let reqwest = r#"reqwest = { version = "0.13.4", default-features = false, features = ["json", "query", "stream", "rustls"] }"#;
    let gcore = format!(
        r#"gcore-iam = {{ path = "{}" }}"#,
        repo.join("gcore-iam").display()
    );
    let mut results = Vec::new();
    for (name, dep) in [
        ("with-gcore-iam", gcore.as_str()),
        ("with-reqwest", reqwest),
    ] {
        let krate = dir.join(name);
        std::fs::create_dir_all(krate.join("src"))?;
        std::fs::write(
            krate.join("Cargo.toml"),
            format!(
                "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\n\n[dependencies]\n{dep}\n\n[workspace]\n"
            ),
        )?;
        std::fs::write(krate.join("src/main.rs"), "fn main() {}\n")?;
        std::fs::copy(repo.join("Cargo.lock"), krate.join("Cargo.lock"))?;
        let t = Instant::now();
        let out = Command::new(cargo())
            .args(["build", "--offline", "--message-format=json"])
            .current_dir(&krate)
            .env("CARGO_TARGET_DIR", krate.join("target"))
            .output()?;
        let secs = t.elapsed().as_secs_f64();
        if !out.status.success() {
            bail!(
                "{name} did not build: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let crates = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| l.contains("\"reason\":\"compiler-artifact\""))
            .count();
        let names: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|v| v["reason"] == "compiler-artifact")
            .filter_map(|v| v["target"]["name"].as_str().map(str::to_string))
            .collect();
        results.push((crates, secs, names));
    }
    let (ours, base) = (&results[0], &results[1]);
    // `syn` is in both builds (serde's derive); what matters is what depending
    // on the client adds, and that no generator crate is among it.
    let extra: Vec<&String> = ours.2.iter().filter(|n| !base.2.contains(n)).collect();
    let generator = [
        "progenitor",
        "progenitor_impl",
        "progenitor_macro",
        "openapiv3",
        "typify",
        "typify_impl",
        "prettyplease",
    ];
    let leaked: Vec<&&String> = extra
        .iter()
        .filter(|n| generator.contains(&n.as_str()) || n.as_str() == "syn")
        .collect();
    let crate_ratio = ours.0 as f64 / base.0 as f64;
    let time_ratio = ours.1 / base.1;
    Ok(vec![
        row(
            format!(
                "downstream crates compiled (generator crates in the build: {})",
                if leaked.is_empty() {
                    "none".to_string()
                } else {
                    format!("{leaked:?}")
                }
            ),
            ours.0.to_string(),
            base.0.to_string(),
            Some(crate_ratio),
            "<= 1.15",
            Some(crate_ratio <= 1.15),
        ),
        row(
            "downstream clean build time",
            secs(ours.1),
            secs(base.1),
            Some(time_ratio),
            "<= 1.2",
            Some(time_ratio <= 1.2),
        ),
    ])
}

/// `cargo xtask bench client`: the client-overhead rows alone.
pub fn client(root: &Path) -> Result<String> {
    Ok(render(&client_overhead(root)?))
}

/// Runs the criterion-free client benchmark and tabulates its `BENCH` lines.
/// The client is measured as users build it, without `tracing`: a build of
/// the bench that enables it (a feature unified in from elsewhere) is
/// refused rather than reported.
fn client_overhead(repo: &Path) -> Result<Vec<Row>> {
    let tree = Command::new(cargo())
        .args([
            "tree",
            "--quiet",
            "-p",
            "client-bench",
            "-e",
            "features",
            "-i",
            "openapi-client-runtime",
        ])
        .current_dir(repo)
        .output()
        .context("cannot run cargo tree")?;
    if !tree.status.success() {
        bail!(
            "cargo tree failed: {}",
            String::from_utf8_lossy(&tree.stderr)
        );
    }
    if enables_tracing(&String::from_utf8_lossy(&tree.stdout)) {
        bail!(
            "the client bench would build the runtime with `tracing`, which users do not: \
             check the features of tests/client-bench and of what it depends on"
        );
    }
    let out = Command::new(cargo())
        .args([
            "bench",
            "--quiet",
            "-p",
            "client-bench",
            "--bench",
            "client_overhead",
        ])
        .current_dir(repo)
        .output()?;
    if !out.status.success() {
        bail!(
            "cargo bench failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut rows = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Some(json) = line.strip_prefix("BENCH ") else {
            continue;
        };
        let v: Value = serde_json::from_str(json)?;
        let (ours, base) = (
            v["ours"].as_f64().unwrap_or(0.0),
            v["baseline"].as_f64().unwrap_or(1.0),
        );
        let unit = v["unit"].as_str().unwrap_or("");
        let higher = v["higher_is_better"].as_bool().unwrap_or(false);
        // The bench's median of paired ratios when it gives one: steadier
        // than the ratio of the two medians on a noisy machine.
        let ratio = v["ratio"].as_f64().unwrap_or(ours / base);
        let pass = if higher { ratio >= 0.97 } else { ratio <= 1.05 };
        rows.push(row(
            v["figure"].as_str().unwrap_or("?"),
            format!("{ours} {unit}"),
            format!("{base} {unit} (plain reqwest)"),
            Some(ratio),
            v["target"].as_str().unwrap_or(""),
            Some(pass),
        ));
    }
    if rows.is_empty() {
        bail!("the client benchmark printed no BENCH lines");
    }
    Ok(rows)
}

/// Whether `cargo tree -e features -i openapi-client-runtime` shows the
/// runtime's `tracing` feature enabled.
fn enables_tracing(tree: &str) -> bool {
    tree.contains("openapi-client-runtime feature \"tracing\"")
}

/// The markdown table.
pub fn render(rows: &[Row]) -> String {
    let mut out = String::from(
        "| figure | ours | baseline | ratio | target | result |\n|---|---|---|---|---|---|\n",
    );
    for r in rows {
        let ratio = r
            .ratio
            .map(|x| format!("{x:.2}"))
            .unwrap_or_else(|| "—".into());
        let result = match r.pass {
            Some(true) => "pass",
            Some(false) => "**fail**",
            None => "—",
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {ratio} | {} | {result} |",
            r.figure, r.ours, r.baseline, r.target
        );
    }
    out
}

/// Generation time against operation count, ours and bare progenitor, as SVG
/// (log–log axes; drawn by hand to keep a plotting library out of the build).
fn plot(points: &[(usize, f64, f64)]) -> String {
    let (w, h, m) = (640.0, 400.0, 60.0);
    let xs: Vec<f64> = points.iter().map(|p| (p.0 as f64).log10()).collect();
    let ys: Vec<f64> = points
        .iter()
        .flat_map(|p| [p.1.log10(), p.2.log10()])
        .collect();
    let (x0, x1) = (
        xs.iter().cloned().fold(f64::MAX, f64::min),
        xs.iter().cloned().fold(f64::MIN, f64::max),
    );
    let (y0, y1) = (
        ys.iter().cloned().fold(f64::MAX, f64::min).floor(),
        ys.iter().cloned().fold(f64::MIN, f64::max).ceil(),
    );
    let sx = |x: f64| m + (x - x0) / (x1 - x0).max(1e-9) * (w - 2.0 * m);
    let sy = |y: f64| h - m - (y - y0) / (y1 - y0).max(1e-9) * (h - 2.0 * m);
    let line = |pick: fn(&(usize, f64, f64)) -> f64| -> String {
        points
            .iter()
            .map(|p| format!("{:.1},{:.1}", sx((p.0 as f64).log10()), sy(pick(p).log10())))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    );
    let _ = writeln!(
        svg,
        "<text x=\"{}\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">Generation time against operation count (log–log)</text>",
        w / 2.0
    );
    let _ = writeln!(
        svg,
        "<line x1=\"{m}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"black\"/><line x1=\"{m}\" y1=\"{m}\" x2=\"{m}\" y2=\"{}\" stroke=\"black\"/>",
        h - m,
        w - m,
        h - m,
        h - m
    );
    for p in points {
        let x = sx((p.0 as f64).log10());
        let _ = writeln!(
            svg,
            "<text x=\"{x:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            h - m + 18.0,
            p.0
        );
    }
    let mut e = y0;
    while e <= y1 {
        let label = if e < 0.0 {
            format!("{} ms", 10f64.powf(e) * 1e3)
        } else {
            format!("{} s", 10f64.powf(e))
        };
        let _ = writeln!(
            svg,
            "<text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{label}</text>",
            m - 6.0,
            sy(e) + 4.0
        );
        e += 1.0;
    }
    let _ = writeln!(
        svg,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">operations</text>",
        w / 2.0,
        h - 12.0
    );
    let _ = writeln!(
        svg,
        "<polyline fill=\"none\" stroke=\"#d62728\" stroke-width=\"2\" points=\"{}\"/>",
        line(|p| p.1)
    );
    let _ = writeln!(
        svg,
        "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" stroke-dasharray=\"6 4\" points=\"{}\"/>",
        line(|p| p.2)
    );
    let _ = writeln!(
        svg,
        "<text x=\"{}\" y=\"{}\" fill=\"#d62728\">ours (whole pipeline)</text>",
        m + 10.0,
        m + 4.0
    );
    let _ = writeln!(
        svg,
        "<text x=\"{}\" y=\"{}\" fill=\"#1f77b4\">bare progenitor</text>",
        m + 10.0,
        m + 20.0
    );
    svg.push_str("</svg>\n");
    svg
}

/// The date and time for a BENCHMARKS.md heading (`date -u`; empty where
/// there is no `date`).
fn utc_now() -> String {
    Command::new("date")
        .arg("-u")
        .arg("+%Y-%m-%d %H:%M UTC")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_feature_is_read_from_the_manifest() {
        let manifest =
            "[package]\nname = \"a\"\n\n[features]\ndefault = [\"rustls\"]\naccounts = []\n";
        assert!(has_feature(manifest, "accounts"));
        assert!(!has_feature(manifest, "zones"));
        assert!(!has_feature("[package]\nname = \"a\"\n", "accounts"));
    }

    #[test]
    fn tracing_in_the_feature_tree_is_seen() {
        let without =
            "openapi-client-runtime v0.2.0\n└── openapi-client-runtime feature \"default\"\n";
        assert!(!enables_tracing(without));
        let with = format!(
            "{without}└── openapi-client-runtime feature \"tracing\"\n    └── gcore-iam feature \"tracing\"\n"
        );
        assert!(enables_tracing(&with));
    }
}
