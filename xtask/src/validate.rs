//! The registry's values, checked before anything is generated from them.
//!
//! An entry of `specs/providers.toml` is data: often written by a bot or
//! copied from a vendor's page. Its values end up in `//` and `//!` lines, in
//! Rust string literals, in a crate manifest, in Markdown that rustdoc
//! compiles, in the file system (the crate's directory) and on the wire (the
//! credential's header). Each value that names something (a provider, a crate,
//! an environment variable, a header, a file) must use a fixed character set
//! here, so that it means the same in every one of those places; free text
//! (`title`, `what`) must be one line of printable characters. What passes is
//! still escaped for each place it goes ([`crate::escape`]): the rules here
//! keep names meaningful, the escaping keeps text inert.
//!
//! [`crate_dir`] checks the one thing text cannot show: that a crate's
//! directory, if it exists, is a generated client and not one of the
//! workspace's own folders, whose files generation would overwrite.

use std::path::{Component, Path};

use anyhow::{Result, bail};

use crate::providers::Provider;

/// Longest name (provider, crate) accepted; crates.io's limit.
const MAX_NAME: usize = 64;

/// Longest free text (`title`, `what`) accepted.
const MAX_TEXT: usize = 100;

/// Crate names that are the workspace's own packages or folders: generating
/// a client there would overwrite hand-written files.
pub const RESERVED_CRATES: &[&str] = &[
    "openapi-client-runtime",
    "xtask",
    "xtask-fuzz",
    "workspace-tests",
    "client-bench",
    "tests",
    "specs",
    "target",
    "fuzz",
    "benchmarks",
];

/// Names cargo refuses or reserves for a package (the standard library's
/// crates, `test`), and names Windows cannot give a directory.
const CARGO_RESERVED: &[&str] = &[
    "std",
    "core",
    "alloc",
    "proc_macro",
    "proc-macro",
    "test",
    "con",
    "prn",
    "aux",
    "nul",
    "com1",
    "com2",
    "com3",
    "com4",
    "com5",
    "com6",
    "com7",
    "com8",
    "com9",
    "lpt1",
    "lpt2",
    "lpt3",
    "lpt4",
    "lpt5",
    "lpt6",
    "lpt7",
    "lpt8",
    "lpt9",
];

/// Headers a credential may not travel in, compared case-insensitively:
/// those that frame the message or the connection (a credential there would
/// change how the request is read, or be dropped by a proxy), and those the
/// runtime sets itself on every request.
pub const FORBIDDEN_HEADERS: &[&str] = &[
    "host",
    "content-length",
    "content-type",
    "content-encoding",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authorization",
    "te",
    "trailer",
    "upgrade",
    "expect",
    "user-agent",
    "accept",
];

/// Checks every value of `p`; `shown` names the registry file in messages.
/// The error names the entry, the key, the value and the reason.
pub fn provider(p: &Provider, shown: &str) -> Result<()> {
    let entry = format!("[providers.{}]", p.name);
    let auth = format!("[providers.{}.auth]", p.name);
    let refuse = |table: &str, key: &str, value: &str, reason: String| -> Result<()> {
        bail!("{shown}: {table}: {key} = {value:?} is refused: {reason}")
    };
    if let Err(reason) = provider_name(&p.name) {
        bail!(
            "{shown}: [providers.{:?}]: the provider name is refused: {reason}",
            p.name
        );
    }
    if let Err(reason) = crate_name(&p.crate_name) {
        refuse(&entry, "crate", &p.crate_name, reason)?;
    }
    let spec = p.spec.to_string_lossy();
    if let Err(reason) = spec_path(&spec) {
        refuse(&entry, "spec", &spec, reason)?;
    }
    for (table, key, value) in [
        (&entry, "base_url_env", &p.base_url_env),
        (&auth, "env", &p.auth.env),
    ] {
        if let Err(reason) = env_name(value) {
            refuse(table, key, value, reason)?;
        }
    }
    if p.auth.env == p.base_url_env {
        refuse(
            &auth,
            "env",
            &p.auth.env,
            "it is also the entry's `base_url_env`; the credential needs a variable of its own"
                .into(),
        )?;
    }
    if let Err(reason) = header_name(&p.auth.header) {
        refuse(&auth, "header", &p.auth.header, reason)?;
    }
    if let Some(header) = &p.idempotency_header {
        if let Err(reason) = header_name(header) {
            refuse(&entry, "idempotency_header", header, reason)?;
        }
        if header.eq_ignore_ascii_case(&p.auth.header) {
            refuse(
                &entry,
                "idempotency_header",
                header,
                "it is also the credential's header; the key needs a header of its own".into(),
            )?;
        }
    }
    if let Some(mib) = p.max_spec_mib
        && !(1..=crate::load::MAX_LIMIT_MIB).contains(&mib)
    {
        bail!(
            "{shown}: {entry}: max_spec_mib = {mib} is refused: the limit is in MiB, from 1 to {} (the default is {})",
            crate::load::MAX_LIMIT_MIB,
            crate::load::DEFAULT_LIMIT_MIB
        );
    }
    if let Err(reason) = header_prefix(&p.auth.prefix) {
        refuse(&auth, "prefix", &p.auth.prefix, reason)?;
    }
    for (table, key, value) in [(&entry, "title", &p.title), (&auth, "what", &p.auth.what)] {
        if let Err(reason) = text(value) {
            refuse(table, key, value, reason)?;
        }
    }
    if let Some(envelope) = &p.envelope {
        let table = format!("[providers.{}.envelope]", p.name);
        for (key, value) in [("success", &envelope.success), ("errors", &envelope.errors)] {
            if let Err(reason) = field_name(value) {
                refuse(&table, key, value, reason)?;
            }
        }
    }
    for pattern in &p.pagination {
        let table = format!("[[providers.{}.pagination]]", p.name);
        for (key, value) in pagination_fields(pattern) {
            if let Err(reason) = field_name(value) {
                refuse(&table, key, value, reason)?;
            }
        }
    }
    for (from, to) in &p.rename {
        let table = format!("[providers.{}.rename]", p.name);
        for value in [from, to] {
            if let Err(reason) = one_line(value) {
                refuse(&table, from, to, reason)?;
            }
        }
    }
    for id in p.operations.iter().flatten() {
        if let Err(reason) = one_line(id) {
            refuse(&entry, "operations", id, reason)?;
        }
    }
    Ok(())
}

fn pagination_fields(pattern: &crate::providers::Pagination) -> Vec<(&'static str, &String)> {
    use crate::providers::Pagination;
    match pattern {
        Pagination::Page {
            page,
            items,
            total_pages,
        } => [("page", Some(page)), ("items", Some(items))]
            .into_iter()
            .chain([("total_pages", total_pages.as_ref())])
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .collect(),
        Pagination::Offset {
            offset,
            items,
            total,
        } => [
            ("offset", Some(offset)),
            ("items", Some(items)),
            ("total", total.as_ref()),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect(),
        Pagination::Cursor {
            cursor,
            items,
            next,
        } => vec![("cursor", cursor), ("items", items), ("next", next)],
    }
}

/// A registry key: lowercase ASCII letters, digits, `-` and `_`, starting
/// with a letter or digit. It is typed on the command line and printed in
/// every generated file's header.
pub fn provider_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > MAX_NAME {
        return Err(format!("use 1 to {MAX_NAME} characters"));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        || name.starts_with(['-', '_'])
    {
        return Err(
            "use lowercase ASCII letters, digits, `-` and `_`, starting with a letter or digit"
                .into(),
        );
    }
    Ok(())
}

/// A crate name that cargo takes and that is also a safe directory name:
/// lowercase ASCII letters, digits, `-` and `_`, starting with a letter; not
/// a Rust keyword, a name cargo reserves, or one of the workspace's own
/// packages and folders ([`RESERVED_CRATES`]).
pub fn crate_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > MAX_NAME {
        return Err(format!(
            "not a valid crate name; use 1 to {MAX_NAME} characters"
        ));
    }
    let valid = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !valid || !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err(
            "not a valid crate name; use lowercase letters, digits, `-` and `_`, starting with a letter"
                .into(),
        );
    }
    if RESERVED_CRATES.contains(&name) {
        return Err(format!(
            "`{name}` is the workspace's own package or folder, and generating a client there \
             would overwrite its files; choose another crate name"
        ));
    }
    let ident = name.replace('-', "_");
    if CARGO_RESERVED.contains(&name) || CARGO_RESERVED.contains(&ident.as_str()) {
        return Err(format!(
            "`{name}` is reserved by cargo or by Windows; choose another crate name"
        ));
    }
    if syn::parse_str::<syn::Ident>(&ident).is_err() {
        return Err(format!(
            "`{ident}` is a Rust keyword, so the crate could not be named in code; choose another crate name"
        ));
    }
    Ok(())
}

/// An environment variable name: `[A-Z_][A-Z0-9_]*`, the portable set
/// (POSIX's), which every shell can set.
pub fn env_name(name: &str) -> Result<(), String> {
    let valid = !name.is_empty()
        && name.len() <= 128
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if valid {
        Ok(())
    } else {
        Err("not an environment variable name; use `[A-Z_][A-Z0-9_]*` (at most 128)".into())
    }
}

/// A header name for a credential (or an idempotency key): an HTTP token
/// (RFC 9110, 5.6.2), and not one of [`FORBIDDEN_HEADERS`].
pub fn header_name(name: &str) -> Result<(), String> {
    // An HTTP token, by the rules the runtime's `HeaderName` will apply.
    if name.len() > 128 || http::HeaderName::from_bytes(name.as_bytes()).is_err() {
        return Err(
            "not an HTTP header name; use letters, digits and `-` (an RFC 9110 token, at most 128)"
                .into(),
        );
    }
    if FORBIDDEN_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
        return Err(format!(
            "`{name}` frames the request or is set by the runtime, so it cannot carry a value of the provider's"
        ));
    }
    Ok(())
}

/// What goes before the credential in its header: printable ASCII (a header
/// value without control characters or line breaks), not starting with a
/// space (which the receiver would strip), at most 64 characters.
pub fn header_prefix(prefix: &str) -> Result<(), String> {
    if prefix.len() > 64 || !prefix.chars().all(|c| (' '..='~').contains(&c)) {
        return Err(
            "not a header value prefix; use at most 64 printable ASCII characters, no line breaks"
                .into(),
        );
    }
    if prefix.starts_with(' ') {
        return Err("a header value cannot start with a space (it would be stripped)".into());
    }
    Ok(())
}

/// The spec's file, relative to `specs/`: a relative path without `.` or
/// `..` (it cannot leave `specs/`), of characters that need no quoting in a
/// comment, a Markdown code span or a file name on any system.
pub fn spec_path(path: &str) -> Result<(), String> {
    let bad = |c: char| {
        c.is_control() || invisible(c) || "\\`<>|\"*?:".contains(c) || c.is_whitespace() && c != ' '
    };
    if path.is_empty() || path.len() > 255 || path.chars().any(bad) {
        return Err(
            "not a usable file name; use at most 255 characters, none of \\ ` < > | \" * ? : or control characters"
                .into(),
        );
    }
    let path = Path::new(path);
    if !path.components().all(|c| matches!(c, Component::Normal(_))) || path.starts_with("/") {
        return Err("the spec must be a path inside specs/ (relative, without `.` or `..`)".into());
    }
    Ok(())
}

/// Free text shown to people (`title`, `what`): one line of at most
/// 100 printable characters, not blank, without surrounding spaces.
pub fn text(value: &str) -> Result<(), String> {
    one_line(value)?;
    if value.trim().is_empty() || value.trim() != value {
        return Err("use text without leading or trailing spaces".into());
    }
    if value.chars().count() > MAX_TEXT {
        return Err(format!("use at most {MAX_TEXT} characters"));
    }
    Ok(())
}

/// A JSON field or query parameter name (envelope, pagination): printable
/// ASCII without spaces, backticks or backslashes, at most 128 characters.
pub fn field_name(value: &str) -> Result<(), String> {
    let valid = !value.is_empty()
        && value.len() <= 128
        && value
            .chars()
            .all(|c| c.is_ascii_graphic() && c != '`' && c != '\\');
    if valid {
        Ok(())
    } else {
        Err("not a field name; use printable ASCII without spaces, backticks or backslashes".into())
    }
}

/// One line without control or invisible characters: a line break would
/// end a comment early, a bidirectional override reorders what a reader
/// sees (and rustc refuses it in comments and literals).
pub fn one_line(value: &str) -> Result<(), String> {
    if let Some(c) = value.chars().find(|&c| c.is_control() || invisible(c)) {
        return Err(format!(
            "it holds {c:?}; use one line of printable characters (no line breaks, tabs, control \
             or bidirectional characters)"
        ));
    }
    Ok(())
}

/// Characters that are not control characters but change how text is read
/// or shown: line and paragraph separators, bidirectional controls,
/// zero-width characters, the byte-order mark.
pub fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
    )
}

/// Files generation rewrites in a crate's directory on every run, relative
/// to it; each carries the generator's `@generated` header.
const GENERATED_FILES: &[&str] = &[
    "README.md",
    "src/generated.rs",
    "src/api.rs",
    "src/mock.rs",
    "src/client.rs",
];

/// What every generated file holds near its top.
const GENERATED_MARK: &str = "@generated by `cargo xtask generate ";

/// Checks that `p`'s crate directory under `root`, if it exists, is one that
/// generation may write into: empty, or a generated client (its
/// `src/client.rs` carries the generator's header, or its manifest names the
/// crate and depends on the runtime). And that no file generation would
/// replace is a hand-written one. Otherwise generation would overwrite a
/// folder of the workspace that is not a client: refused, naming the file.
pub fn crate_dir(root: &Path, p: &Provider, shown: &str) -> Result<()> {
    let dir = root.join(&p.crate_name);
    let entry = format!(
        "{shown}: [providers.{}]: crate = {:?}",
        p.name, p.crate_name
    );
    let Ok(meta) = std::fs::symlink_metadata(&dir) else {
        return Ok(());
    };
    if !meta.is_dir() {
        bail!(
            "{entry} is refused: {} exists and is not a folder",
            p.crate_name
        );
    }
    let generated = |relative: &str| -> Option<bool> {
        let bytes = std::fs::read(dir.join(relative)).ok()?;
        let head = String::from_utf8_lossy(&bytes[..bytes.len().min(512)]).into_owned();
        Some(head.contains(GENERATED_MARK))
    };
    for file in GENERATED_FILES {
        if generated(file) == Some(false) {
            bail!(
                "{entry} is refused: {}/{file} exists and was not written by the generator (it has \
                 no @generated header), and generation would overwrite it; choose another crate \
                 name, or remove the file if it is a leftover",
                p.crate_name
            );
        }
    }
    let is_client = generated("src/client.rs") == Some(true) || client_manifest(&dir, p);
    let empty = std::fs::read_dir(&dir).is_ok_and(|mut d| d.next().is_none());
    if !is_client && !empty {
        bail!(
            "{entry} is refused: the folder {} exists and is not a generated client (no \
             src/client.rs from the generator, no manifest of a crate {:?} on the runtime), and \
             generation would write into it; choose another crate name",
            p.crate_name,
            p.crate_name
        );
    }
    Ok(())
}

/// Whether `dir/Cargo.toml` is the manifest of a client crate named as `p`
/// says: a package of that name that depends on `openapi-client-runtime`.
fn client_manifest(dir: &Path, p: &Provider) -> bool {
    let Ok(text) = std::fs::read_to_string(dir.join("Cargo.toml")) else {
        return false;
    };
    let Ok(manifest) = text.parse::<toml::Table>() else {
        return false;
    };
    let name = manifest
        .get("package")
        .and_then(|p| p.get("name"))
        .and_then(toml::Value::as_str);
    let runtime = manifest
        .get("dependencies")
        .and_then(|d| d.get("openapi-client-runtime"))
        .is_some();
    name == Some(p.crate_name.as_str()) && runtime
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in ["gcore-iam", "a", "a_b-2"] {
            assert_eq!(crate_name(ok), Ok(()), "{ok}");
            assert_eq!(provider_name(ok), Ok(()), "{ok}");
        }
        for bad in ["", "A", "a b", "a/b", "../a", ".git", "a.b", "-a", "é"] {
            assert!(crate_name(bad).is_err(), "{bad}");
            assert!(provider_name(bad).is_err(), "{bad}");
        }
        assert!(crate_name("2fa").is_err());
        assert_eq!(provider_name("2fa"), Ok(()));
        assert!(crate_name(&"a".repeat(65)).is_err());
        for reserved in [
            "xtask",
            "openapi-client-runtime",
            "tests",
            "target",
            "self",
            "std",
            "nul",
        ] {
            assert!(crate_name(reserved).is_err(), "{reserved}");
        }
    }

    #[test]
    fn env_names() {
        assert_eq!(env_name("GCORE_API_KEY"), Ok(()));
        assert_eq!(env_name("_X1"), Ok(()));
        for bad in ["", "lower", "1X", "A-B", "A B", "A=B", "A\nB", "Ä"] {
            assert!(env_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn headers() {
        for ok in [
            "Authorization",
            "X-Auth-Key",
            "x-api-key",
            "Idempotency-Key",
        ] {
            assert_eq!(header_name(ok), Ok(()), "{ok}");
        }
        for bad in ["", "X Auth", "X-Auth:", "X\r\nHost", "Ä", "(x)"] {
            assert!(header_name(bad).is_err(), "{bad:?}");
        }
        for forbidden in [
            "Host",
            "content-length",
            "Transfer-Encoding",
            "User-Agent",
            "TE",
        ] {
            let err = header_name(forbidden).unwrap_err();
            assert!(err.contains("frames the request"), "{err}");
        }
        for ok in ["", "Bearer ", "APIKey ", "Token token="] {
            assert_eq!(header_prefix(ok), Ok(()), "{ok:?}");
        }
        for bad in ["Bearer\r\nHost: evil ", "\tBearer", " Bearer", "Bé "] {
            assert!(header_prefix(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn spec_paths() {
        for ok in [
            "gcore-iam.yaml",
            "vendor/cloudflare.json",
            "Discord API v10.json",
        ] {
            assert_eq!(spec_path(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "../secrets.yaml",
            "a/../../b.yaml",
            "/etc/passwd",
            "./a.yaml",
            "a\nb.yaml",
            "a`b.yaml",
            "a-->b.yaml",
            "C:\\a.yaml",
        ] {
            assert!(spec_path(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn text_is_one_printable_line() {
        assert_eq!(text("Gcore IAM"), Ok(()));
        assert_eq!(text("A \"quoted\" `title` | with <b>markup</b> */"), Ok(()));
        for bad in [
            "",
            " ",
            " padded",
            "two\nlines",
            "cr\rhere",
            "tab\there",
            "rtl\u{202E}txt",
            "sep\u{2028}x",
            "nul\0",
        ] {
            assert!(text(bad).is_err(), "{bad:?}");
        }
        assert!(text(&"x".repeat(101)).is_err());
    }
}
