//! `cargo xtask`: regenerate the client crates and check them for drift.

use std::path::PathBuf;
use std::process::ExitCode;

use xtask::{pipeline, slice};

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  generate [PROVIDER...]  regenerate the client crates from specs/ (all, or the named ones)
  check [PROVIDER...]     regenerate in memory; fail with a diff if the committed code is stale
  slice --from SPEC --operation ID [--operation ID...] [--out FILE]
                          cut SPEC down to the named operations and everything they
                          reference; FILE ends in .yaml/.yml or .json (default: YAML on stdout)
  help                    print this message

Providers are declared in specs/providers.toml. XTASK_ROOT overrides the workspace root.";

fn main() -> ExitCode {
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
    if let Some(flag) = rest.iter().find(|a| a.starts_with('-')) {
        eprintln!("error: unknown option {flag:?}\n\n{USAGE}");
        return ExitCode::from(2);
    }
    let result = match command {
        "generate" => pipeline::generate(&root, rest).map(|report| {
            print!("{report}");
            ExitCode::SUCCESS
        }),
        "check" => pipeline::check(&root, rest).map(|check| {
            if check.fresh {
                print!("{}", check.report);
                ExitCode::SUCCESS
            } else {
                eprint!("{}", check.report);
                ExitCode::FAILURE
            }
        }),
        "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        other => {
            eprintln!("error: unknown command {other:?}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    finish(result)
}

fn finish(result: anyhow::Result<ExitCode>) -> ExitCode {
    result.unwrap_or_else(|e| {
        eprintln!("error: {e:#}");
        ExitCode::FAILURE
    })
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
