//! Vendor prose through rustdoc for real: doc comments holding code blocks in
//! every form rustdoc runs as a doctest are printed the way the generator prints
//! generated items, and `cargo test --doc` runs on them in a scratch crate —
//! once as they are (each must fail, which proves it is a doctest), once after
//! the generator's doc pass (none may run).

use std::path::Path;
use std::process::Command;

use quote::{format_ident, quote};

/// Each case: the doc attributes of one item. The code in them fails to
/// compile (or, for `compile_fail`, compiles), so a doctest made of it fails.
const CASES: &[&[&str]] = &[
    // A vendor's curl example in a plain fence.
    &["Deletes a token:\n\n```\ncurl -X DELETE https://api.example.com/tokens/1\n```"],
    &["```rust\nfn main() { compile_error!(\"rust fence\"); }\n```"],
    &["```no_run\ncompile_error!(\"no_run\");\n```"],
    &["```should_panic\ncompile_error!(\"should_panic\");\n```"],
    &["```compile_fail\nlet compiles = 1;\n```"],
    &["```edition2021\ncompile_error!(\"edition\");\n```"],
    &["~~~\ncompile_error!(\"tildes\");\n~~~"],
    &["````\ncompile_error!(\"four backticks\");\n````"],
    &["Example:\n\n    compile_error!(\"indented\");"],
    &["Example:\n\n\tcompile_error!(\"tab\");"],
    &["# Example\n    compile_error!(\"after a heading\");"],
    &["- item\n  ```\n  compile_error!(\"fence in a list\");\n  ```"],
    &["- item\n\n      compile_error!(\"indented in a list\");"],
    &["-     compile_error!(\"after a list marker\");"],
    &["> ```\n> compile_error!(\"fence in a quote\");\n> ```"],
    &["Unclosed:\n```\ncompile_error!(\"unclosed\");"],
    // A fence spread over several attributes, as `///` lines give.
    &["Example:", "```", "compile_error!(\"attributes\");", "```"],
    // An HTML block that ends inside what looks like a fence.
    &["<pre>\n```\n</pre>\n```rust\ncompile_error!(\"after html\");\n```"],
    &["<!--\n```\n-->\n    compile_error!(\"after a comment\");"],
    // rustc trims the star column of a `/** */` comment: indented code appears.
    &["Stars:\n****\n*    compile_error!(\"star column\");\n*    let x = 1;"],
];

fn lib_rs(sanitize: bool) -> String {
    let items = CASES.iter().enumerate().map(|(i, docs)| {
        let name = format_ident!("case_{i}");
        quote!(#(#[doc = #docs])* pub fn #name() {})
    });
    let mut file: syn::File = syn::parse2(quote!(#(#items)*)).unwrap();
    if sanitize {
        // What the pipeline runs on progenitor's output.
        xtask::format::fill_missing_docs(&mut file);
    }
    prettyplease::unparse(&file)
}

/// `cargo test --doc` on a crate holding `lib`: (success, output).
fn doctest(lib: &str, target: &Path) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("src")).unwrap();
    std::fs::write(
        dir.path().join("Cargo.toml"),
        "[package]\nname = \"prose-probe\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n[workspace]\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("src/lib.rs"), lib).unwrap();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["test", "--doc", "--offline"])
        .current_dir(dir.path())
        .env("CARGO_TARGET_DIR", target)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn vendor_code_blocks_never_become_doctests() {
    let target = xtask::workspace_root().join("target/prose-doctests");

    let (ok, raw) = doctest(&lib_rs(false), &target.join("raw"));
    assert!(!ok, "{raw}");
    for i in 0..CASES.len() {
        assert!(
            raw.lines()
                .any(|l| l.contains(&format!(" - case_{i} (line")) && l.ends_with("FAILED")),
            "case {i} is not a failing doctest as written, so it tests nothing:\n{raw}"
        );
    }

    let sanitized = lib_rs(true);
    let (ok, out) = doctest(&sanitized, &target.join("sanitized"));
    assert!(ok, "{out}\n\n{sanitized}");
    assert!(!out.contains(" - case_"), "{out}\n\n{sanitized}");
}

/// Lines built from the pieces markdown gives meaning to.
fn markdown() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    let piece = prop::sample::select(vec![
        "", " ", "    ", "\t", "> ", ">", "- ", "* ", "1. ", "```", "````", "~~~", "rust", "text",
        "# ", "***", "---", "<pre>", "</pre>", "<!--", "-->", "<div>", "|", "[x]: /y", "\\", "`",
        "code();", "word", "\r",
    ]);
    let line = prop::collection::vec(piece, 0..6).prop_map(|p| p.concat());
    prop::collection::vec(line, 0..12).prop_map(|l| l.join("\n"))
}

proptest::proptest! {
    /// The pass can run on its own output (the facade copies sanitized docs,
    /// and a regeneration must not drift).
    #[test]
    fn sanitizing_is_idempotent(text in markdown()) {
        let once = xtask::prose::sanitize(&text);
        proptest::prop_assert_eq!(xtask::prose::sanitize(&once), once);
    }
}

/// Random markdown-ish docs through the pass, then rustdoc: no doctest may be
/// found. Slow (one `cargo test --doc` of `PROSE_FUZZ_DOCS` items, default 400,
/// from seed `PROSE_FUZZ_SEED`); run with `--ignored`.
#[test]
#[ignore]
fn random_prose_yields_no_doctest() {
    const PIECES: &[&str] = &[
        "",
        " ",
        "  ",
        "    ",
        "\t",
        "> ",
        ">",
        "- ",
        "* ",
        "*",
        "1. ",
        "```",
        "````",
        "~~~",
        "rust",
        "text",
        "no_run",
        "# ",
        "***",
        "---",
        "===",
        "<pre>",
        "</pre>",
        "<!--",
        "-->",
        "<div>",
        "<?",
        "|",
        "[x]: /y",
        "[^1]: ",
        "\\",
        "`",
        "compile_error!(\"x\");",
        "word",
        "\r",
        "+ ",
        "2) ",
        "      ",
        "\t\t",
        "*    ",
        "~~~~",
        "```rust,no_run",
        "<script>",
        "</script>",
        "<![CDATA[",
        "]]>",
        "?>",
        "<!DOCTYPE",
        "<span>",
        "=",
    ];
    let env = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let mut state = env("PROSE_FUZZ_SEED", 1) | 1;
    let mut next = |n: usize| {
        // xorshift64
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    let docs: Vec<String> = (0..env("PROSE_FUZZ_DOCS", 400))
        .map(|_| {
            let lines: Vec<String> = (0..next(16))
                .map(|_| (0..next(6)).map(|_| PIECES[next(PIECES.len())]).collect())
                .collect();
            lines.join("\n")
        })
        .collect();
    let items = docs.iter().enumerate().map(|(i, doc)| {
        let name = format_ident!("doc_{i}");
        quote!(#[doc = #doc] pub fn #name() {})
    });
    let mut file: syn::File = syn::parse2(quote!(#(#items)*)).unwrap();
    xtask::format::fill_missing_docs(&mut file);
    let lib = prettyplease::unparse(&file);
    let target = xtask::workspace_root().join("target/prose-doctests/fuzz");
    let (ok, out) = doctest(&lib, &target);
    let found: Vec<&str> = out.lines().filter(|l| l.contains(" - doc_")).collect();
    assert!(ok && found.is_empty(), "{found:#?}\n{out}");
}
