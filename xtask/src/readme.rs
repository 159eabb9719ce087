//! Readme step: each crate's `README.md`, generated so that the operations, the
//! environment variables and the spec version it names never drift from the code.

use crate::escape;
use crate::format::Origin;
use crate::prose;
use crate::providers::Provider;

/// What the README says about where the crate came from.
pub struct Spec<'a> {
    /// `info.title` of the spec.
    pub title: &'a str,
    /// `info.version` of the spec.
    pub version: &'a str,
    /// The spec's bytes, hashed.
    pub bytes: &'a [u8],
}

/// An operation of the document that got no method, and why.
pub struct LeftOut {
    /// Its operationId.
    pub operation_id: String,
    /// `METHOD /path`.
    pub route: String,
    /// progenitor's reason.
    pub reason: String,
}

/// The README of one client crate, with the `@generated` header as an HTML comment.
///
/// The README is compiled as a doctest, so text from the spec (its title and
/// version, the operations' paths, the base URL, why an operation was left
/// out) goes through [`prose::inline`]: it cannot open a code block. Only the
/// generator's own examples are Rust.
#[allow(clippy::too_many_arguments)]
pub fn readme(
    provider: &Provider,
    spec: &Spec,
    base_url: &str,
    operations: &[(String, String, String)],
    left_out: &[LeftOut],
    features: &crate::features::Plan,
    crate_version: &str,
    origin: &Origin,
) -> String {
    let krate = &provider.crate_name;
    let lib = krate.replace('-', "_");
    let header = crate::format::header(origin);
    // The header's lines in an HTML comment, which nothing in them may close.
    let comment: Vec<String> = header
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| l.trim_start_matches("// ").replace("-->", "- ->"))
        .collect();
    let sha = crate::format::sha256_hex(spec.bytes);
    // The example names an operation `default` compiles.
    let first = operations
        .iter()
        .map(|(name, _, _)| name.as_str())
        .find(|name| features.on_by_default(name))
        .unwrap_or("…");
    let mut tags = String::new();
    if !features.features.is_empty() {
        let all = features.default.len() == features.features.len();
        tags.push_str(&format!(
            "| `full` | {} | every operation: all the features below |\n",
            if all { "yes" } else { "no" }
        ));
        for (name, feature) in &features.features {
            let what = match &feature.tag {
                Some(tag) => format!(
                    "the {} operation(s) tagged {}",
                    feature.operations.len(),
                    escape::cell(&escape::code_span(tag))
                ),
                None => format!(
                    "the {} operation(s) without a tag",
                    feature.operations.len()
                ),
            };
            let on = if features.default.contains(name) {
                "yes"
            } else {
                "no"
            };
            tags.push_str(&format!("| `{name}` | {on} | {what} |\n"));
        }
    }
    let mut ops = String::new();
    for (name, method, path) in operations {
        let request = prose::inline(&format!("{method} {path}"));
        ops.push_str(&format!("| [`Client::{name}`] | `{request}` |\n"));
    }
    let mut links = String::new();
    for (name, _, _) in operations {
        links.push_str(&format!(
            "[`Client::{name}`]: https://docs.rs/{krate}/latest/{lib}/struct.Client.html#method.{name}\n"
        ));
    }
    let mut left = String::new();
    if !left_out.is_empty() {
        left.push_str(
            "\nThe generator could not make methods of these operations of the document \
             (`cargo xtask generate` reports the same):\n\n| operation | request | why |\n|---|---|---|\n",
        );
        for op in left_out {
            left.push_str(&format!(
                "| `{}` | `{}` | {} |\n",
                prose::inline(&op.operation_id).replace('`', "'"),
                prose::inline(&op.route).replace('`', "'"),
                prose::inline(&op.reason).replace('|', "\\|")
            ));
        }
    }
    let auth = &provider.auth;
    format!(
        r#"<!--
{comment}
-->

# {krate}

A Rust client for the {title} API, generated from the vendor's OpenAPI
document: typed errors, retries and timeouts on by default, secrets kept out of
logs, and a small dependency tree.

Generated from **{spec_title}**, version `{version}` —
{spec_file}, sha256 `{sha}`.

## Quick start

```toml
[dependencies]
{krate} = "{crate_version}"
tokio = {{ version = "1", features = ["macros", "rt-multi-thread"] }}
```

```rust,no_run
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {{
    // Reads {key_env_comment} (and {url_env_comment}, if set).
    let client = {lib}::Client::from_env()?;
    println!("calling {{}}", client.base_url());
    // Then call an operation, for example `client.{first}(…).await?`.
    Ok(())
}}
```

`Client::builder()` sets everything explicitly: credential, base URL, timeout,
connect timeout, retries, backoff, concurrency, default headers, or your own
`reqwest::Client`. The crate documentation has a complete example.

## Operations

| method | request |
|---|---|
{ops}{left}
## Environment variables

| variable | meaning |
|---|---|
| {key_env} | the {what}, sent as {carry} |
| {url_env} | {url_meaning} |

A missing or empty credential is a `ConfigError`: nothing is sent.

## Errors

Every call returns `Result<_, {lib}::Error>`:

| variant | when |
|---|---|
| `BadRequest`, `Authentication`, `PermissionDenied`, `NotFound`, `Conflict`, `UnprocessableEntity`, `RateLimited` | 400, 401, 403, 404, 409, 422, 429 |
| `Server` | any 5xx |
| `Status` | any other non-success status, including a redirect to another origin (not followed) |
| `Unsuccessful` | a 2xx whose envelope says the call failed |
| `Connection` | no response: refused, reset, closed |
| `Timeout` | an attempt exceeded the timeout (which covers reading the body) |
| `InvalidResponse` | a response that is not what the API describes: not JSON, truncated, a success body over `MAX_SUCCESS_BODY`, a redirect loop |
| `InvalidArgument` | rejected before sending |

HTTP errors carry an `ApiError`: status, headers, the body (at most
`MAX_ERROR_BODY` bytes of it) and the provider's error messages. Connection
failures, timeouts, 408, 409, 429 and 5xx are retried first (`Retry-After` and
`retry-after-ms` are obeyed).

## Features

| feature | default | what |
|---|---|---|
| `rustls` | yes | TLS through rustls |
| `native-tls` | no | TLS through the platform's library (OpenSSL, Secure Transport, SChannel) |
| `tracing` | no | one span per call (operation, method, path template, attempt, status, duration) and an event per retry; never the credential or the URL |
| `mock` | no | `mock::MockServerExt`, a typed `httpmock` server for your own tests |
{tags}
Each operation is compiled with one of its OpenAPI tags' features (or
`full`), and each type with an operation that uses it: a build of a few
tags compiles only their code. The documentation of each method names its
features.

With `default-features = false` and neither TLS feature, only `http://` base
URLs work.

## License

MIT OR Apache-2.0.

{links}"#,
        comment = comment.join("\n"),
        // Registry text: Markdown that shows it, never Markdown of its own.
        title = escape::markdown(&provider.title),
        // Text from the spec, each placed inside a line: one line each.
        spec_title = prose::inline(spec.title),
        version = prose::inline(spec.version),
        url_meaning = if base_url.is_empty() {
            "the base URL; required, since the spec names no server".to_string()
        } else {
            format!(
                "overrides the base URL (default `{}`)",
                prose::inline(base_url)
            )
        },
        spec_file = escape::code_span(&provider.spec_display()),
        key_env_comment = escape::comment(&auth.env),
        url_env_comment = escape::comment(&provider.base_url_env),
        key_env = escape::cell(&escape::code_span(&auth.env)),
        url_env = escape::cell(&escape::code_span(&provider.base_url_env)),
        what = escape::cell(&escape::markdown(&auth.what)),
        carry = escape::cell(&escape::code_span(&format!(
            "{}: {}<{}>",
            auth.header, auth.prefix, auth.what
        ))),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// Registry text with what validation refuses (line breaks, fences, an
    /// HTML comment's end), as if it had not run: the README must hold on
    /// its own. It is compiled as a doctest, so a fence would be code.
    #[test]
    fn registry_text_opens_no_block_and_no_cell() {
        let registry = "[providers.a]\nspec = \"a.yaml\"\ncrate = \"a\"\ntitle = \"A\"\n\
                        base_url_env = \"A_URL\"\n[providers.a.auth]\nheader = \"X-Key\"\n\
                        prefix = \"\"\nenv = \"A_KEY\"\nwhat = \"key\"\n";
        let mut p = crate::providers::parse(registry, Path::new("p.toml"))
            .unwrap()
            .remove(0);
        p.title = "A\n\n```rust\nfn main() { evil() }\n```\n".into();
        p.auth.what = "key |\n```\nevil()\n```".into();
        p.auth.prefix = "`|`\n".into();
        p.auth.env = "A_KEY`\n```rust".into();
        p.name = "a\n-->\n```rust".into();
        let spec = Spec {
            title: "T",
            version: "1",
            bytes: b"",
        };
        let origin = Origin {
            source: "specs/a.yaml",
            bytes: b"",
            provider: &p.name,
        };
        let readme = readme(
            &p,
            &spec,
            "",
            &[],
            &[],
            &Default::default(),
            "0.1.0",
            &origin,
        );
        let fences: Vec<&str> = readme
            .lines()
            .filter(|l| l.trim_start().starts_with("```") || l.trim_start().starts_with("~~~"))
            .collect();
        assert_eq!(
            fences,
            ["```toml", "```", "```rust,no_run", "```"],
            "{readme}"
        );
        assert_eq!(readme.matches("-->").count(), 1, "{readme}");
        let row = readme
            .lines()
            .find(|l| l.starts_with("| `") && l.contains("A_KEY"))
            .unwrap();
        let mut bars = 0;
        let mut escaped = false;
        for c in row.chars() {
            bars += usize::from(c == '|' && !escaped);
            escaped = c == '\\' && !escaped;
        }
        assert_eq!(bars, 3, "{row}");
    }
}
