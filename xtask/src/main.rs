//! `cargo xtask`: regenerate the client crates and check them for drift.

use std::process::ExitCode;

use xtask::pipeline;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  generate [PROVIDER...]  regenerate the client crates from specs/ (all, or the named ones)
  check [PROVIDER...]     regenerate in memory; fail with a diff if the committed code is stale
  help                    print this message

Providers are declared in specs/providers.toml. XTASK_ROOT overrides the workspace root.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = xtask::workspace_root();
    let (command, rest) = match args.split_first() {
        Some((c, rest)) => (c.as_str(), rest),
        None => ("help", &[][..]),
    };
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
    result.unwrap_or_else(|e| {
        eprintln!("error: {e:#}");
        ExitCode::FAILURE
    })
}
