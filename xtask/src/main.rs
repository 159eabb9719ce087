//! `cargo xtask`: regenerate the client crates, check them for drift, and
//! report what a spec change does to their API.

use std::path::PathBuf;
use std::process::ExitCode;

use xtask::pipeline::{self, GenerateOptions};
use xtask::{changes, providers, slice};

// Generation builds and drops millions of small token trees; glibc's
// allocator spent a third of Cloudflare's generation time in malloc and free.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  generate [--no-bump] [--strict] [--baseline=REV] [PROVIDER...]
        regenerate the client crates from specs/ (all, or the named ones), print
        what the spec change since each crate's last release does to its API, and
        bump each crate's version as that change requires (--no-bump: leave
        versions alone; --strict: refuse a spec that needs any lowering, repair or
        left-out operation; --baseline=REV: compare with REV, not the last
        release, which is the tag <crate>-v<version> or else the last commit that
        changed the crate's version)
  check [--strict] [--baseline=REV] [PROVIDER...]
        regenerate in memory; fail with a diff if the committed code is stale or
        a crate's version is behind its spec change since its last release
  diff OLD_SPEC NEW_SPEC [--provider P] [--format text|json]
        what changes in the generated API between two spec files, classified as
        breaking or compatible, and the semver bump; writes nothing
  slice --from SPEC --operation ID [--operation ID...] [--out FILE]
        cut SPEC down to the named operations and everything they reference;
        FILE ends in .yaml/.yml or .json (default: YAML on stdout)
  corpus [DIR] [--skip NAME...] [--max-operations N] [--timeout SECS] [--scratch DIR]
         [--every N] [--generate-only] [--jobs N]
        generate a client crate for every OpenAPI document under DIR (default
        tests/vendor-specs; searched recursively, in sorted order) in a scratch
        workspace under the target directory, cargo check them in batches of 40
        sharing one target directory, and print one row per document (over 100
        documents: the rows go to a file) and a summary by outcome and reason;
        fails if any document does not generate, compile, or compile without
        warnings (--skip: a document's relative path or stem; --max-operations:
        skip the documents with more operations; --timeout: stop generating a
        document after SECS, default 120; --scratch DIR: put the scratch
        workspace there instead of <target>/corpus: a new or empty folder, or
        one an earlier run made, which is wiped first; any other folder is
        refused; --every N: only every Nth document, starting with the first;
        --generate-only: no cargo check; --jobs N: generate N documents at a
        time, default 1)
  bench corpus [--every N] [--jobs N] [--check-every N]
        the APIs-guru directory (target/apis-guru, fetched by .ci/run) through
        our generator and the peer, openapi-to-rust 0.23 (installed with cargo
        install openapi-to-rust --version '^0.23' --locked --root target/peer),
        generation only, then every 20th document cargo-checked for both;
        writes its section of BENCHMARKS.md
  bench [vendor | client]
        run every benchmark (generation, drift check, slicing, compile time,
        downstream cost, client overhead); print the table and write
        BENCHMARKS.md and benchmarks/generation.svg (vendor: only the figures of
        the Cloudflare document in tests/vendor-specs; client: only the client
        overhead against plain reqwest; both printed, nothing written)
  help  print this message

Providers are declared in specs/providers.toml. XTASK_ROOT overrides the workspace root.";

/// A command line that does not parse: exit 2 with the usage.
struct Usage(String);

/// Output format of `diff`.
#[derive(PartialEq)]
enum Format {
    Text,
    Json,
}

/// What `diff` was asked.
struct Diff {
    old: String,
    new: String,
    provider: Option<String>,
    format: Format,
}

fn main() -> ExitCode {
    // `corpus` runs cargo with this binary as the rustc wrapper of its crates.
    if let Some(log) = std::env::var_os(xtask::corpus::RUSTC_LOG_ENV) {
        return xtask::corpus::rustc_wrapper(std::path::Path::new(&log));
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = xtask::workspace_root();
    let (command, rest) = match args.split_first() {
        Some((c, rest)) => (c.as_str(), rest),
        None => ("help", &[][..]),
    };
    if command == "slice" {
        return match SliceArgs::parse(rest) {
            Ok(args) => finish(
                // Without --out, what `run` returns is the slice itself, and
                // stdout must hold nothing else.
                slice::run(&args.from, &args.operations, args.out.as_deref()).map(|text| {
                    print!("{text}");
                    ExitCode::SUCCESS
                }),
            ),
            Err(message) => {
                eprintln!("error: {message}\n\n{USAGE}");
                ExitCode::from(2)
            }
        };
    }
    let result = match command {
        "generate" => {
            let (flags, names) = split_flags(rest);
            let (baseline, flags) = take_baseline(flags);
            let known = ["--no-bump", "--strict", "--baseline=REV"];
            if flags.iter().any(|f| !known.contains(f)) {
                return usage(Usage(unknown(&flags, &known)));
            }
            let options = GenerateOptions {
                bump: !flags.contains(&"--no-bump"),
                strict: flags.contains(&"--strict"),
                baseline,
            };
            run_generate(&root, &names, &options)
        }
        "check" => {
            let (flags, names) = split_flags(rest);
            let (baseline, flags) = take_baseline(flags);
            if flags.iter().any(|f| *f != "--strict") {
                return usage(Usage(unknown(&flags, &["--strict", "--baseline=REV"])));
            }
            let strict = !flags.is_empty();
            pipeline::check_with(&root, &names, strict, baseline.as_deref()).map(|check| {
                if check.fresh {
                    print!("{}", check.report);
                    ExitCode::SUCCESS
                } else {
                    eprint!("{}", check.report);
                    ExitCode::FAILURE
                }
            })
        }
        "diff" => match parse_diff(rest) {
            Ok(diff) => run_diff(&root, &diff),
            Err(e) => return usage(e),
        },
        "corpus" => match parse_corpus(&root, rest) {
            Ok(options) => xtask::corpus::run(&root, &options).map(|report| {
                print!("{}", report.text);
                if report.ok {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::FAILURE
                }
            }),
            Err(e) => return usage(e),
        },
        // One document of a corpus run, in a process of its own.
        "corpus-one" => match rest {
            [scratch, name] => xtask::corpus::generate_one(std::path::Path::new(scratch), name)
                .map(|line| {
                    println!("{line}");
                    ExitCode::SUCCESS
                }),
            _ => return usage(Usage("corpus-one SCRATCH PROVIDER".into())),
        },
        "bench" if rest.first().is_some_and(|a| a == "corpus") => {
            match parse_bench_corpus(&rest[1..]) {
                Ok(options) => xtask::bench::sweep::corpus(&root, &options).map(|text| {
                    print!("{text}");
                    ExitCode::SUCCESS
                }),
                Err(e) => return usage(e),
            }
        }
        "bench" if rest == ["client"] => xtask::bench::client(&root).map(|table| {
            print!("{table}");
            ExitCode::SUCCESS
        }),
        "bench" if rest == ["vendor"] => xtask::bench::vendor(&root).map(|table| {
            print!("{table}");
            ExitCode::SUCCESS
        }),
        "bench" if rest.is_empty() => xtask::bench::run(&root).map(|table| {
            print!("{table}");
            ExitCode::SUCCESS
        }),
        // One measurement in a process of its own, for `bench` (peak memory).
        "bench-one" => match rest {
            [mode, size] => match size.parse() {
                Ok(size) => xtask::bench::one(mode, size).map(|line| {
                    println!("{line}");
                    ExitCode::SUCCESS
                }),
                Err(_) => return usage(Usage(format!("bench-one: bad size {size:?}"))),
            },
            _ => return usage(Usage("bench-one MODE SIZE".into())),
        },
        "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        other => return usage(Usage(format!("unknown command {other:?}"))),
    };
    finish(result)
}

fn finish(result: anyhow::Result<ExitCode>) -> ExitCode {
    result.unwrap_or_else(|e| {
        eprintln!("error: {e:#}");
        ExitCode::FAILURE
    })
}

fn usage(Usage(message): Usage) -> ExitCode {
    eprintln!("error: {message}\n\n{USAGE}");
    ExitCode::from(2)
}

/// Separates `-x`/`--x` arguments from the positional ones.
fn split_flags(args: &[String]) -> (Vec<&str>, Vec<String>) {
    let (flags, names): (Vec<&String>, Vec<&String>) =
        args.iter().partition(|a| a.starts_with('-'));
    (
        flags.into_iter().map(String::as_str).collect(),
        names.into_iter().cloned().collect(),
    )
}

/// `--baseline=REV` taken out of the flags.
fn take_baseline(flags: Vec<&str>) -> (Option<String>, Vec<&str>) {
    let mut baseline = None;
    let rest = flags
        .into_iter()
        .filter(|f| match f.strip_prefix("--baseline=") {
            Some(rev) => {
                baseline = Some(rev.to_string());
                false
            }
            None => true,
        })
        .collect();
    (baseline, rest)
}

fn unknown(flags: &[&str], known: &[&str]) -> String {
    let bad = flags
        .iter()
        .find(|f| !known.contains(f))
        .unwrap_or(&"")
        .to_string();
    if bad.is_empty() {
        format!("option {:?} given twice", flags.first().unwrap_or(&""))
    } else {
        format!("unknown option {bad:?}")
    }
}

fn run_generate(
    root: &std::path::Path,
    names: &[String],
    options: &GenerateOptions,
) -> anyhow::Result<ExitCode> {
    pipeline::generate_with(root, names, options).map(|report| {
        print!("{report}");
        ExitCode::SUCCESS
    })
}

/// `diff OLD NEW [--provider P] [--format text|json]`, options in any position.
fn parse_diff(args: &[String]) -> Result<Diff, Usage> {
    let mut files = Vec::new();
    let mut provider = None;
    let mut format = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .cloned()
                .ok_or_else(|| Usage(format!("{name} needs a value")))
        };
        match arg.as_str() {
            "--provider" if provider.is_none() => provider = Some(value("--provider")?),
            "--format" if format.is_none() => {
                format = Some(match value("--format")?.as_str() {
                    "text" => Format::Text,
                    "json" => Format::Json,
                    other => {
                        return Err(Usage(format!(
                            "--format {other:?}: expected `text` or `json`"
                        )));
                    }
                })
            }
            "--provider" | "--format" => return Err(Usage(format!("{arg} given twice"))),
            flag if flag.starts_with('-') => {
                return Err(Usage(format!("unknown option {flag:?}")));
            }
            file => files.push(file.to_string()),
        }
    }
    let [old, new] = <[String; 2]>::try_from(files).map_err(|files| {
        Usage(format!(
            "diff takes two spec files, OLD_SPEC and NEW_SPEC (got {})",
            files.len()
        ))
    })?;
    Ok(Diff {
        old,
        new,
        provider,
        format: format.unwrap_or(Format::Text),
    })
}

fn run_diff(root: &std::path::Path, diff: &Diff) -> anyhow::Result<ExitCode> {
    let provider = match &diff.provider {
        Some(name) => providers::select(providers::load(root)?, std::slice::from_ref(name))?
            .into_iter()
            .next(),
        None => None,
    };
    let report = changes::diff(root, &diff.old, &diff.new, provider.as_ref())?;
    if diff.format == Format::Json {
        println!("{}", report.to_json());
    } else {
        print!("{}", report.to_text());
    }
    Ok(ExitCode::SUCCESS)
}

/// `corpus [DIR] [--skip NAME]... [--max-operations N] [--timeout SECS] [--scratch DIR]
/// [--every N] [--generate-only] [--jobs N]`, options in any position.
fn parse_corpus(root: &std::path::Path, args: &[String]) -> Result<xtask::corpus::Options, Usage> {
    let mut options = xtask::corpus::Options::default();
    let mut dir = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .cloned()
                .ok_or_else(|| Usage(format!("{name} needs a value")))
        };
        match arg.as_str() {
            "--skip" => options.skip.push(value("--skip")?),
            "--max-operations" if options.max_operations.is_none() => {
                let n = value("--max-operations")?;
                options.max_operations =
                    Some(n.parse().map_err(|_| {
                        Usage(format!("--max-operations {n:?}: expected a number"))
                    })?);
            }
            "--timeout" if options.timeout.is_none() => {
                let n = value("--timeout")?;
                let secs: u64 = n
                    .parse()
                    .map_err(|_| Usage(format!("--timeout {n:?}: expected seconds")))?;
                options.timeout = Some(std::time::Duration::from_secs(secs));
            }
            "--scratch" if options.scratch.is_none() => {
                options.scratch = Some(PathBuf::from(value("--scratch")?))
            }
            "--every" if options.every.is_none() => {
                let n = value("--every")?;
                options.every =
                    Some(n.parse().ok().filter(|&n: &usize| n > 0).ok_or_else(|| {
                        Usage(format!("--every {n:?}: expected a number above 0"))
                    })?);
            }
            "--jobs" if options.jobs.is_none() => {
                let n = value("--jobs")?;
                options.jobs =
                    Some(n.parse().ok().filter(|&n: &usize| n > 0).ok_or_else(|| {
                        Usage(format!("--jobs {n:?}: expected a number above 0"))
                    })?);
            }
            "--generate-only" if !options.generate_only => options.generate_only = true,
            "--max-operations" | "--timeout" | "--scratch" | "--every" | "--jobs"
            | "--generate-only" => {
                return Err(Usage(format!("{arg} given twice")));
            }
            flag if flag.starts_with('-') => {
                return Err(Usage(format!("unknown option {flag:?}")));
            }
            _ if dir.is_some() => return Err(Usage("corpus takes one DIR".into())),
            path => dir = Some(PathBuf::from(path)),
        }
    }
    options.dir = dir.unwrap_or_else(|| root.join(xtask::corpus::DEFAULT_DIR));
    Ok(options)
}

/// `bench corpus [--every N] [--jobs N] [--check-every N]`.
fn parse_bench_corpus(args: &[String]) -> Result<xtask::bench::sweep::SweepOptions, Usage> {
    let mut options = xtask::bench::sweep::SweepOptions::default();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let n: usize = args
            .next()
            .and_then(|v| v.parse().ok())
            .filter(|&n| n > 0)
            .ok_or_else(|| Usage(format!("bench corpus: {arg} needs a number above 0")))?;
        match arg.as_str() {
            "--every" => options.every = Some(n),
            "--jobs" => options.jobs = n,
            "--check-every" => options.check_every = n,
            _ => return Err(Usage(format!("bench corpus: unknown option {arg:?}"))),
        }
    }
    Ok(options)
}

/// Arguments of `cargo xtask slice`.
struct SliceArgs {
    from: PathBuf,
    operations: Vec<String>,
    out: Option<PathBuf>,
}

impl SliceArgs {
    /// Accepts `--flag value` and `--flag=value`; anything else is a usage error.
    fn parse(args: &[String]) -> Result<Self, String> {
        let mut from = None;
        let mut operations = Vec::new();
        let mut out = None;
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((flag, value)) if flag.starts_with("--") => (flag, Some(value.to_string())),
                _ => (arg.as_str(), None),
            };
            if !matches!(flag, "--from" | "--operation" | "--out") {
                return Err(format!("slice: unexpected argument {arg:?}"));
            }
            let value = match inline.or_else(|| args.next().cloned()) {
                Some(v) if !v.is_empty() => v,
                _ => return Err(format!("slice: {flag} needs a value")),
            };
            match flag {
                "--from" if from.is_none() => from = Some(PathBuf::from(value)),
                "--out" if out.is_none() => out = Some(PathBuf::from(value)),
                "--operation" => operations.push(value),
                _ => return Err(format!("slice: {flag} given twice")),
            }
        }
        let from = from.ok_or("slice: --from SPEC is required")?;
        if operations.is_empty() {
            return Err("slice: name at least one --operation OPERATION_ID".into());
        }
        if let Some(out) = &out
            && slice::Format::of(out).is_none()
        {
            return Err(format!(
                "slice: --out {} must end in .yaml, .yml or .json",
                out.display()
            ));
        }
        Ok(Self {
            from,
            operations,
            out,
        })
    }
}
