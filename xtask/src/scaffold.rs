//! Scaffold step: a new provider's crate, created once.
//!
//! When a provider's crate does not exist yet, `generate` writes its
//! `Cargo.toml` and `src/lib.rs` and adds it to the workspace members, so adding
//! a provider needs no hand-written Rust. Unlike the generated files, these are
//! written only when missing: afterwards they belong to the maintainers (the
//! crate docs, the version, extra dependencies).

use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::escape;
use crate::output::Rendered;
use crate::providers::Provider;

/// The files that must be created for `provider`, if any (none for a crate that
/// exists): `src/lib.rs` and the workspace membership. The manifest is
/// rendered on every run, by the pipeline.
pub fn missing(root: &Path, provider: &Provider, operations: &[String]) -> Result<Vec<Rendered>> {
    let dir = &provider.crate_name;
    let mut files = Vec::new();
    if !root.join(dir).join("src/lib.rs").exists() {
        files.push(Rendered {
            path: format!("{dir}/src/lib.rs"),
            contents: lib_rs(provider, operations),
        });
    }
    let workspace = root.join("Cargo.toml");
    let text =
        std::fs::read_to_string(&workspace).context("cannot read the workspace Cargo.toml")?;
    if let Some(updated) = add_member(&text, dir)? {
        files.push(Rendered {
            path: "Cargo.toml".into(),
            contents: updated,
        });
    }
    Ok(files)
}

/// The workspace manifest with every one of `members` added: what several new
/// providers generated in one run write, instead of one manifest each.
pub fn with_members(root: &Path, members: &[&str]) -> Result<Rendered> {
    let mut text = std::fs::read_to_string(root.join("Cargo.toml"))
        .context("cannot read the workspace Cargo.toml")?;
    for member in members {
        if let Some(updated) = add_member(&text, member)? {
            text = updated;
        }
    }
    Ok(Rendered {
        path: "Cargo.toml".into(),
        contents: text,
    })
}

/// The workspace manifest with `member` added, or `None` if it is already there.
fn add_member(manifest: &str, member: &str) -> Result<Option<String>> {
    let parsed: toml::Table =
        toml::from_str(manifest).context("the workspace Cargo.toml is not valid TOML")?;
    let members = parsed
        .get("workspace")
        .and_then(|w| w.get("members"))
        .and_then(|m| m.as_array())
        .context("the workspace Cargo.toml has no [workspace] members list")?;
    if members.iter().any(|m| m.as_str() == Some(member)) {
        return Ok(None);
    }
    // Edit the text rather than re-serialising, which would drop comments.
    let Some(start) = manifest.find("members") else {
        bail!("cannot find `members` in the workspace Cargo.toml");
    };
    let Some(close) = manifest[start..].find(']').map(|i| start + i) else {
        bail!("the workspace `members` list is not closed");
    };
    let before = manifest[..close].trim_end();
    let separator = if before.ends_with('[') || before.ends_with(',') {
        " "
    } else {
        ", "
    };
    Ok(Some(format!(
        "{before}{separator}\"{member}\"{}",
        &manifest[close..]
    )))
}

/// A new crate's manifest, before [`manifest`](crate::manifest) adds what its
/// generated code needs. The name and description are set through
/// `toml_edit`, which escapes them: the title is text, never TOML.
pub fn manifest(p: &Provider) -> String {
    let mut doc: toml_edit::DocumentMut = MANIFEST
        .parse()
        .expect("the manifest template is valid TOML");
    let package = &mut doc["package"];
    package["name"] = toml_edit::value(p.crate_name.as_str());
    package["description"] = toml_edit::value(format!(
        "Rust client for the {} API, generated from its OpenAPI spec.",
        crate::escape::one_line(&p.title)
    ));
    doc.to_string()
}

/// The manifest of a new crate, `name` and `description` left to [`manifest`].
const MANIFEST: &str = r#"[package]
name = ""
version = "0.1.0"
description = ""
edition.workspace = true
rust-version.workspace = true
license.workspace = true
repository.workspace = true
keywords = ["api-client", "openapi"]
categories = ["api-bindings", "web-programming::http-client"]
readme = "README.md"

[features]
default = ["rustls"]
## TLS through rustls (reqwest's default stack).
rustls = ["reqwest/rustls"]
## TLS through the platform's native library.
native-tls = ["reqwest/native-tls"]
## One span per call and events for retries, through `tracing`.
tracing = ["openapi-client-runtime/tracing"]
## `mock::MockServerExt`: a typed `httpmock` server for downstream tests.
mock = ["dep:httpmock", "dep:regex"]

[dependencies]
openapi-client-runtime.workspace = true
progenitor-client.workspace = true
reqwest.workspace = true
serde.workspace = true
serde_json.workspace = true
httpmock = { workspace = true, optional = true }
regex = { workspace = true, optional = true }

[dev-dependencies]
tokio = { workspace = true, features = ["macros", "rt-multi-thread"] }

[lints]
workspace = true
"#;

fn lib_rs(p: &Provider, operations: &[String]) -> String {
    let krate = p.crate_name.replace('-', "_");
    let list: String = operations
        .iter()
        .map(|op| format!("//! - [`Client::{op}`]\n"))
        .collect();
    format!(
        r#"//! A client for the {title} API.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {{
//! // Reads {key_env} (and {url_env}, if set).
//! let client = {krate}::Client::from_env()?;
//! println!("calling {{}}", client.base_url());
//! # Ok(())
//! # }}
//! ```
//!
//! Requests carry {carry}. Operations:
//!
{list}//!
//! The client is generated by {generate} from
//! {spec}; this file was created once by the generator and is maintained by
//! hand from then on.

/// The README's example, compiled as a doctest so that it cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

// Generated modules are formatted by the generator, not by rustfmt.
#[rustfmt::skip]
mod api;
#[rustfmt::skip]
mod client;
#[rustfmt::skip]
#[allow(dead_code)]
mod generated;
#[cfg(feature = "mock")]
#[rustfmt::skip]
// progenitor imports the crate root wholesale whether or not an operation uses it.
#[allow(clippy::all, unused_imports)]
pub mod mock;

// The client, its builder, `types`, and the runtime's `Error` and settings
// (generated: see `src/client.rs`).
pub use client::*;
"#,
        // Registry values, each escaped for where it lands: Markdown text, a
        // code span, or a comment line inside the example.
        title = escape::markdown(&p.title),
        key_env = escape::comment(&p.auth.env),
        url_env = escape::comment(&p.base_url_env),
        carry = escape::code_span(&format!("{}: {}<credential>", p.auth.header, p.auth.prefix)),
        generate = escape::code_span(&format!("cargo xtask generate {}", p.name)),
        spec = escape::code_span(&p.spec_display()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A provider whose text holds what validation refuses (line breaks, a
    /// fence, TOML), as if it had not run: the sinks must hold on their own.
    fn hostile() -> Provider {
        let registry = "[providers.a]\nspec = \"a.yaml\"\ncrate = \"a-client\"\ntitle = \"A\"\n\
                        base_url_env = \"A_URL\"\n[providers.a.auth]\nheader = \"X-Key\"\n\
                        prefix = \"\"\nenv = \"A_KEY\"\nwhat = \"key\"\n";
        let mut p = crate::providers::parse(registry, Path::new("p.toml"))
            .unwrap()
            .remove(0);
        p.title = "A\"\n[dependencies]\nevil = \"1\"\n```rust\nfn evil() {}\n```".into();
        p.auth.env = "A_KEY\nfn evil() {}".into();
        p.auth.prefix = "`\n```rust\n".into();
        p
    }

    #[test]
    fn the_manifest_holds_the_title_as_a_string() {
        let manifest: toml::Table = manifest(&hostile()).parse().unwrap();
        let package = manifest["package"].as_table().unwrap();
        assert_eq!(
            package["description"].as_str(),
            Some(
                "Rust client for the A\" [dependencies] evil = \"1\" ```rust fn evil() {} ``` API, \
                 generated from its OpenAPI spec."
            )
        );
        assert!(manifest["dependencies"].get("evil").is_none());
    }

    #[test]
    fn the_crate_docs_stay_docs() {
        let lib = lib_rs(&hostile(), &["get_widget".into()]);
        let docs: Vec<&str> = lib.lines().take_while(|l| !l.is_empty()).collect();
        assert!(docs.iter().all(|l| l.starts_with("//!")), "{lib}");
        assert!(
            docs.last().unwrap().ends_with("hand from then on."),
            "{lib}"
        );
        // The generator's own example is the only code block.
        let fences: Vec<&&str> = docs.iter().filter(|l| l.starts_with("//! ```")).collect();
        assert_eq!(fences, [&"//! ```no_run", &"//! ```"], "{lib}");
        assert!(!lib.lines().any(|l| l.starts_with("fn evil")), "{lib}");
    }

    #[test]
    fn adds_a_member_once() {
        let text = "[workspace]\nresolver = \"3\"\nmembers = [\"xtask\", \"tests\"]\n\n[x]\n";
        let updated = add_member(text, "acme").unwrap().unwrap();
        assert_eq!(
            updated,
            "[workspace]\nresolver = \"3\"\nmembers = [\"xtask\", \"tests\", \"acme\"]\n\n[x]\n"
        );
        assert_eq!(add_member(&updated, "acme").unwrap(), None);
    }

    #[test]
    fn adds_to_a_multiline_list() {
        let text = "[workspace]\nmembers = [\n    \"xtask\",\n]\n";
        let updated = add_member(text, "acme").unwrap().unwrap();
        let parsed: toml::Table = toml::from_str(&updated).unwrap();
        assert_eq!(parsed["workspace"]["members"].as_array().unwrap().len(), 2);
    }
}
