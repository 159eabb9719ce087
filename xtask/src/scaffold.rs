//! Scaffold step: a new provider's crate, created once.
//!
//! When a provider's crate does not exist yet, `generate` writes its
//! `Cargo.toml` and `src/lib.rs` and adds it to the workspace members, so adding
//! a provider needs no hand-written Rust. Unlike the generated files, these are
//! written only when missing: afterwards they belong to the maintainers (the
//! crate docs, the version, extra dependencies).

use std::path::Path;

use anyhow::{Context, Result, bail};

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
/// generated code needs.
pub fn manifest(p: &Provider) -> String {
    format!(
        r#"[package]
name = "{name}"
version = "0.1.0"
description = "Rust client for the {title} API, generated from its OpenAPI spec."
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
httpmock = {{ workspace = true, optional = true }}
regex = {{ workspace = true, optional = true }}

[dev-dependencies]
tokio = {{ workspace = true, features = ["macros", "rt-multi-thread"] }}

[lints]
workspace = true
"#,
        name = p.crate_name,
        title = p.title,
    )
}

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
//! Requests carry `{header}: {prefix}<credential>`. Operations:
//!
{list}//!
//! The client is generated by `cargo xtask generate {provider}` from
//! `{spec}`; this file was created once by the generator and is maintained by
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
        title = p.title,
        key_env = p.auth.env,
        url_env = p.base_url_env,
        header = p.auth.header,
        prefix = p.auth.prefix,
        provider = p.name,
        spec = p.spec_display(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

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
