//! Generate step: a normalized OpenAPI 3.0 document → progenitor's token stream.
//!
//! progenitor reports many problems by panicking (`assert!`, `todo!`) deep inside.
//! This step runs it behind `catch_unwind` and, when the whole document fails,
//! retries operation by operation to name the one at fault, so the user gets a
//! message with a JSON pointer instead of a backtrace.

use std::panic::{AssertUnwindSafe, catch_unwind};

use anyhow::{Result, anyhow};
use proc_macro2::TokenStream;
use serde_json::{Map, Value};

/// A problem at a place in the spec; the pipeline adds the file and line.
#[derive(Debug)]
pub struct SpecError {
    /// JSON pointer of the offending value.
    pub pointer: String,
    /// What is wrong and what to do.
    pub message: String,
}

impl std::fmt::Display for SpecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "at {}: {}",
            if self.pointer.is_empty() {
                "/"
            } else {
                &self.pointer
            },
            self.message
        )
    }
}

impl std::error::Error for SpecError {}

fn spec_error(pointer: impl Into<String>, message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(SpecError {
        pointer: pointer.into(),
        message: message.into(),
    })
}

/// HTTP methods that can hold an operation in a path item.
pub const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Escapes one JSON-pointer reference token (RFC 6901).
pub fn escape_pointer(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// Every operation of a document: (path, method, operation object).
pub fn operations(doc: &Value) -> Vec<(&str, &str, &Map<String, Value>)> {
    let mut out = Vec::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return out;
    };
    for (path, item) in paths {
        for method in METHODS {
            if let Some(op) = item.get(method).and_then(Value::as_object) {
                out.push((path.as_str(), method, op));
            }
        }
    }
    out
}

/// Removes non-2xx responses from every operation (in this in-memory copy only).
///
/// The runtime turns every failure status into one typed `Error` that keeps the
/// status, headers and raw body. If progenitor also decoded error bodies, the body
/// would be consumed before the runtime saw it, and each operation would get its
/// own error type. Error *schemas* in `components` still generate types.
pub fn route_errors_to_runtime(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for item in paths.values_mut() {
        for method in METHODS {
            let Some(responses) = item
                .get_mut(method)
                .and_then(|op| op.get_mut("responses"))
                .and_then(Value::as_object_mut)
            else {
                continue;
            };
            let has_success = responses.keys().any(|k| is_success(k));
            responses.retain(|code, _| is_success(code) || (code == "default" && !has_success));
        }
    }
}

fn is_success(code: &str) -> bool {
    code.starts_with('1') || code.starts_with('2') || code.starts_with('3')
}

/// Converts the document for progenitor and runs it.
pub fn generate(doc: &Value, shown: &str) -> Result<TokenStream> {
    let spec = to_openapiv3(doc)?;
    match run_progenitor(&spec) {
        Ok(tokens) => Ok(tokens),
        Err(whole) => Err(blame_operation(doc).unwrap_or_else(|| {
            anyhow!("{shown}: progenitor could not generate a client: {whole}")
        })),
    }
}

fn to_openapiv3(doc: &Value) -> Result<openapiv3::OpenAPI> {
    serde_path_to_error::deserialize(doc).map_err(|e| {
        // openapiv3 parses path items and `$ref`-or-value objects through untagged
        // enums, which hide where inside them the problem is; parsing the pieces
        // one by one recovers the exact place.
        let (pointer, message) = locate(doc)
            .unwrap_or_else(|| (to_pointer("", &e.path().to_string()), e.inner().to_string()));
        spec_error(
            pointer,
            format!("not a valid OpenAPI 3.0 document: {message}; fix the spec there"),
        )
    })
}

/// `base` + a serde_path_to_error path (`a.b[0].c`) as a JSON pointer.
fn to_pointer(base: &str, path: &str) -> String {
    if path == "." {
        return base.to_string();
    }
    let mut out = base.to_string();
    for seg in path.split('.') {
        for part in seg.split('[') {
            let part = part.trim_end_matches(']');
            if !part.is_empty() {
                out.push('/');
                out.push_str(&escape_pointer(part));
            }
        }
    }
    out
}

/// Parses operations and components one at a time; the first failure's place.
fn locate(doc: &Value) -> Option<(String, String)> {
    fn check<T: serde::de::DeserializeOwned>(
        at: String,
        value: &Value,
    ) -> Option<(String, String)> {
        serde_path_to_error::deserialize::<_, T>(value)
            .err()
            .map(|e| {
                (
                    to_pointer(&at, &e.path().to_string()),
                    e.inner().to_string(),
                )
            })
    }
    for (path, method, op) in operations(doc) {
        let at = format!("/paths/{}/{method}", escape_pointer(path));
        if let Some(found) = check::<openapiv3::Operation>(at, &Value::Object(op.clone())) {
            return Some(found);
        }
    }
    let components = doc.get("components").and_then(Value::as_object)?;
    for (kind, entries) in components {
        let Some(entries) = entries.as_object() else {
            continue;
        };
        for (name, value) in entries {
            let at = format!(
                "/components/{}/{}",
                escape_pointer(kind),
                escape_pointer(name)
            );
            let found = match kind.as_str() {
                "schemas" => check::<openapiv3::Schema>(at, value),
                "parameters" => check::<openapiv3::Parameter>(at, value),
                "responses" => check::<openapiv3::Response>(at, value),
                "requestBodies" => check::<openapiv3::RequestBody>(at, value),
                "securitySchemes" => check::<openapiv3::SecurityScheme>(at, value),
                _ => None,
            };
            if found.is_some() {
                return found;
            }
        }
    }
    None
}

/// Settings shared by every provider: positional methods (what the facade wraps),
/// the runtime as the client's inner state, and hooks the runtime must implement.
fn settings() -> progenitor::GenerationSettings {
    let mut settings = progenitor::GenerationSettings::default();
    settings
        .with_interface(progenitor::InterfaceStyle::Positional)
        .with_tag(progenitor::TagStyle::Merged)
        .with_inner_type(quote::quote!(crate::runtime::Runtime))
        .with_hooks(progenitor::HooksMode::Expected);
    settings
}

/// Generates the `httpmock` extension for the crate's operations (the `mock`
/// feature), from the same document and settings as the client, so that its
/// parameter and response types are the crate's own.
pub fn generate_mock(doc: &Value, shown: &str) -> Result<TokenStream> {
    let spec = to_openapiv3(doc)?;
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = catch_unwind(AssertUnwindSafe(|| {
        let mut generator = progenitor::Generator::new(&settings());
        // `crate`: the mock module lives inside the client crate, whose root
        // re-exports `types`, the path the generated code names types by.
        generator.httpmock(&spec, "crate")
    }));
    std::panic::set_hook(previous);
    match result {
        Ok(Ok(tokens)) => Ok(tokens),
        Ok(Err(e)) => Err(anyhow!(
            "{shown}: progenitor could not generate the mock server: {e}"
        )),
        Err(panic) => Err(anyhow!(
            "{shown}: progenitor could not generate the mock server: {}",
            panic_message(panic.as_ref())
        )),
    }
}

/// Runs progenitor, turning a panic into an error carrying the panic message.
fn run_progenitor(spec: &openapiv3::OpenAPI) -> Result<TokenStream, String> {
    let previous = std::panic::take_hook();
    // The default hook would print a backtrace hint to stderr for a panic we
    // report ourselves.
    std::panic::set_hook(Box::new(|_| {}));
    let result = catch_unwind(AssertUnwindSafe(|| {
        let mut generator = progenitor::Generator::new(&settings());
        generator.generate_tokens(spec)
    }));
    std::panic::set_hook(previous);
    match result {
        Ok(Ok(tokens)) => Ok(tokens),
        Ok(Err(e)) => Err(e.to_string()),
        Err(panic) => Err(panic_message(panic.as_ref())),
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    let text = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("unknown panic");
    // progenitor's `todo!`/`assert!` messages can embed whole Debug dumps.
    let first = text.lines().next().unwrap_or(text);
    format!("progenitor gave up ({first})")
}

/// Generates each operation alone to find the first one progenitor rejects.
fn blame_operation(doc: &Value) -> Option<anyhow::Error> {
    for (path, method, _) in operations(doc) {
        let mut single = doc.clone();
        let paths = single.get_mut("paths")?.as_object_mut()?;
        paths.retain(|p, _| p == path);
        let item = paths.get_mut(path)?.as_object_mut()?;
        item.retain(|k, _| k == method || !METHODS.contains(&k.as_str()));
        let Ok(spec) = to_openapiv3(&single) else {
            continue;
        };
        if let Err(message) = run_progenitor(&spec) {
            let op_id = doc["paths"][path][method]["operationId"]
                .as_str()
                .unwrap_or("(no operationId)");
            return Some(spec_error(
                format!("/paths/{}/{method}", escape_pointer(path)),
                format!(
                    "operation {op_id}: {message}; change the operation in the spec or leave it out of the provider"
                ),
            ));
        }
    }
    None
}

/// Checks what progenitor needs but does not diagnose well, before running it.
pub fn preflight(doc: &Value) -> Result<()> {
    let ops = operations(doc);
    if ops.is_empty() {
        return Err(spec_error(
            "/paths",
            "the spec has no operations; add at least one",
        ));
    }
    let mut seen = std::collections::BTreeMap::new();
    for (path, method, op) in ops {
        let at = format!("/paths/{}/{method}", escape_pointer(path));
        let Some(id) = op.get("operationId").and_then(Value::as_str) else {
            return Err(spec_error(
                at,
                "the operation has no operationId; add one (progenitor names methods after it)",
            ));
        };
        if let Some(first) = seen.insert(id.to_string(), at.clone()) {
            return Err(spec_error(
                format!("{at}/operationId"),
                format!(
                    "operationId {id:?} is already used at {first}; operationIds must be unique"
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn error_responses_are_left_to_the_runtime() {
        let mut doc = json!({"paths": {"/a": {"delete": {"responses": {
            "204": {"description": "ok"}, "403": {"description": "no"},
            "4XX": {"description": "no"}, "default": {"description": "?"}}}}}});
        route_errors_to_runtime(&mut doc);
        let kept: Vec<&String> = doc["paths"]["/a"]["delete"]["responses"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        assert_eq!(kept, ["204"]);
    }

    #[test]
    fn default_is_the_success_when_alone() {
        let mut doc = json!({"paths": {"/a": {"get": {"responses": {
            "default": {"description": "?"}, "500": {"description": "x"}}}}}});
        route_errors_to_runtime(&mut doc);
        assert!(
            doc["paths"]["/a"]["get"]["responses"]
                .get("default")
                .is_some()
        );
        assert!(doc["paths"]["/a"]["get"]["responses"].get("500").is_none());
    }

    #[test]
    fn preflight_names_duplicate_operation_ids() {
        let doc = json!({"paths": {
            "/a": {"get": {"operationId": "x"}},
            "/b": {"get": {"operationId": "x"}}}});
        let err = preflight(&doc).unwrap_err().to_string();
        assert!(err.contains("at /paths/~1b/get/operationId"), "{err}");
    }

    #[test]
    fn missing_required_field_is_named() {
        let doc = json!({"openapi": "3.0.3", "paths": {}});
        let err = generate(&doc, "s.yaml").unwrap_err().to_string();
        assert!(err.contains("missing field `info`"), "{err}");
    }
}
