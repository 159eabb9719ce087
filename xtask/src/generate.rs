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
///
/// Returns a `(pointer, message)` for each success response it lowered (a
/// 101 beside a 2xx, a status without a reason phrase), for the notes.
pub fn route_errors_to_runtime(doc: &mut Value) -> Vec<(String, String)> {
    let mut lowered = Vec::new();
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return lowered;
    };
    for (path, item) in paths.iter_mut() {
        for method in METHODS {
            let at = format!("/paths/{}/{method}/responses", escape_pointer(path));
            let Some(responses) = item
                .get_mut(method)
                .and_then(|op| op.get_mut("responses"))
                .and_then(Value::as_object_mut)
            else {
                continue;
            };
            let has_success = responses.keys().any(|k| is_success(k));
            responses.retain(|code, _| is_success(code) || (code == "default" && !has_success));
            // A 101 (a protocol switch, which this client cannot follow)
            // beside a 2xx is a second kind of success, which progenitor
            // asserts against.
            if responses.keys().any(|k| k.starts_with('2')) && responses.remove("101").is_some() {
                lowered.push((
                    format!("{at}/101"),
                    "the 101 (switching protocols) response is left out: the method returns its 2xx responses, and this client cannot follow a protocol switch".to_string(),
                ));
            }
            // progenitor's mock names a status after its reason phrase and
            // unwraps it: YNAB's 209 has none. Its class (`2XX`) keeps its body.
            let unnamed: Vec<String> = responses
                .keys()
                .filter(|code| {
                    code.parse::<u16>().is_ok_and(|n| {
                        http::StatusCode::from_u16(n)
                            .ok()
                            .and_then(|s| s.canonical_reason())
                            .is_none()
                    })
                })
                .cloned()
                .collect();
            for code in unnamed {
                let Some(response) = responses.remove(&code) else {
                    continue;
                };
                let class = format!("{}XX", &code[..1]);
                lowered.push((
                    format!("{at}/{code}"),
                    format!("status {code} has no reason phrase, which the mock generator needs: it is read as its class, {class}"),
                ));
                responses.entry(class).or_insert(response);
            }
        }
    }
    lowered
}

/// Removes the `x-dropshot-pagination` extension of every operation (in this
/// in-memory copy only): for it progenitor writes a `{operation}_stream`
/// method on the `futures` crate, which generated crates do not depend on
/// ("unresolved import `futures`"). Lists are paged by the runtime's
/// pagination, configured per provider, instead.
pub fn without_dropshot_streams(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for item in paths.values_mut() {
        for method in METHODS {
            if let Some(op) = item.get_mut(method).and_then(Value::as_object_mut) {
                op.remove("x-dropshot-pagination");
            }
        }
    }
}

fn is_success(code: &str) -> bool {
    code.starts_with('1') || code.starts_with('2') || code.starts_with('3')
}

/// Converts the document for progenitor and runs it.
///
/// A failure is not explained here: the salvage step that follows finds what
/// to set aside, and [`blame`] names an operation only when that fails too
/// (asking each operation alone is a progenitor run over every component
/// schema per operation).
pub fn generate(doc: &Value, shown: &str) -> Result<TokenStream> {
    let spec = to_openapiv3(doc)?;
    match run_progenitor(&spec) {
        Ok(generated) => Ok(generated),
        Err(whole) => Err(anyhow!(
            "{shown}: progenitor could not generate a client: {whole}"
        )),
    }
}

/// The first operation progenitor refuses when generated alone, as an error
/// naming it; `None` when each generates alone.
pub fn blame(doc: &Value) -> Option<anyhow::Error> {
    blame_operation(doc)
}

/// Why progenitor refuses to generate the client of `doc` (not the mock
/// module); `None` when it generates, or when `doc` is not OpenAPI 3.0.
pub fn client_refusal(doc: &Value) -> Option<String> {
    let spec = to_openapiv3(doc).ok()?;
    run_progenitor(&spec).err()
}

fn to_openapiv3(doc: &Value) -> Result<openapiv3::OpenAPI> {
    // The plain deserializer is several times faster; the path-tracking one only
    // runs to explain a failure.
    if let Ok(spec) = <openapiv3::OpenAPI as serde::Deserialize>::deserialize(doc) {
        return Ok(spec);
    }
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
        .with_inner_type(quote::quote!(::openapi_client_runtime::Runtime))
        .with_hooks(progenitor::HooksMode::Expected);
    settings
}

/// Generates the `httpmock` extension for the crate's operations (the `mock`
/// feature), from the same document and settings as the client, so that its
/// parameter and response types are the crate's own.
pub fn generate_mock(doc: &Value, shown: &str) -> Result<TokenStream> {
    let spec = to_openapiv3(doc)?;
    let result = quietly(|| {
        let mut generator = progenitor::Generator::new(&settings());
        // `crate`: the mock module lives inside the client crate, whose root
        // re-exports `types`, the path the generated code names types by.
        generator.httpmock(&spec, "crate")
    });
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

/// progenitor alone, producing what the pipeline asks of it (the client and the
/// mock module): the baseline of `cargo xtask bench`.
pub fn bare_progenitor(spec: &openapiv3::OpenAPI) -> Result<[TokenStream; 2]> {
    Ok([
        progenitor::Generator::new(&settings()).generate_tokens(spec)?,
        progenitor::Generator::new(&settings()).httpmock(spec, "crate")?,
    ])
}

/// Why progenitor refuses `doc` (the client or the mock module), or `None`
/// when it generates both. A document that does not even parse as OpenAPI 3.0
/// is not progenitor's refusal: `None`, and [`generate`] reports it.
pub fn refusal(doc: &Value) -> Option<String> {
    let spec = to_openapiv3(doc).ok()?;
    if let Err(message) = run_progenitor(&spec) {
        return Some(message);
    }
    let mock = quietly(|| progenitor::Generator::new(&settings()).httpmock(&spec, "crate"));
    match mock {
        Ok(Ok(_)) => None,
        Ok(Err(e)) => Some(e.to_string()),
        Err(panic) => Some(panic_message(panic.as_ref())),
    }
}

/// Runs progenitor, turning a panic into an error carrying the panic message.
fn run_progenitor(spec: &openapiv3::OpenAPI) -> Result<TokenStream, String> {
    let result = quietly(|| {
        let mut generator = progenitor::Generator::new(&settings());
        generator.generate_tokens(spec)
    });
    match result {
        Ok(Ok(tokens)) => Ok(tokens),
        Ok(Err(e)) => Err(e.to_string()),
        Err(panic) => Err(panic_message(panic.as_ref())),
    }
}

thread_local! {
    static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f`, catching a panic without the default hook's message on stderr: a
/// panic inside progenitor is reported as an error of ours instead.
///
/// The process-wide hook is replaced once, by one that stays silent only on a
/// thread inside `quietly`: swapping hooks per call would race when the client
/// and the mock module are generated on two threads at once.
fn quietly<T>(f: impl FnOnce() -> T) -> std::thread::Result<T> {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(std::cell::Cell::get) {
                previous(info);
            }
        }));
    });
    let was = QUIET.with(|q| q.replace(true));
    let result = catch_unwind(AssertUnwindSafe(f));
    QUIET.with(|q| q.set(was));
    result
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
///
/// Everything here is something progenitor would either panic on with a message
/// that names no place in the spec, or — worse — accept and turn into code that
/// does not compile or silently misbehaves.
pub fn preflight(doc: &Value) -> Result<()> {
    let ops = operations(doc);
    if ops.is_empty() {
        return Err(spec_error(
            "/paths",
            "the spec has no operations; add at least one",
        ));
    }
    check_refs(doc)?;
    let mut seen = std::collections::BTreeMap::new();
    let mut methods: std::collections::BTreeMap<String, (String, String)> =
        std::collections::BTreeMap::new();
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
        let name = method_name(id);
        if RESERVED_METHODS.contains(&name.as_str()) {
            return Err(spec_error(
                format!("{at}/operationId"),
                format!(
                    "operationId {id:?} becomes the method `{name}`, which the client already defines; \
                     rename the operationId (e.g. `{name}_operation`)"
                ),
            ));
        }
        if let Some((other_id, other_at)) = methods.get(&name) {
            return Err(spec_error(
                format!("{at}/operationId"),
                format!(
                    "operationId {id:?} and {other_id:?} (at {other_at}) both become the method `{name}`; \
                     rename one so their snake_case forms differ"
                ),
            ));
        }
        methods.insert(name, (id.to_string(), at.clone()));
        check_path_parameters(doc, path, method, op)?;
        check_success_bodies(doc, &at, op)?;
        check_request_body(doc, &at, op)?;
    }
    Ok(())
}

/// An operation left out because the checks of [`preflight`] refuse it.
#[derive(Debug)]
pub struct Refused {
    /// Where the defect is, and what it is.
    pub error: SpecError,
    /// The operation's operationId.
    pub operation_id: String,
    /// `METHOD /path`.
    pub route: String,
}

/// Leaves out every operation that a check of [`preflight`] refuses (a path
/// template that does not match its parameters, a parameter without a name
/// or a schema, bodies the generator cannot send or return), so that a defect
/// costs its own operation, not the document. When every operation is
/// refused nothing is left out, and [`preflight`] names the first defect.
///
/// # Errors
///
/// A `$ref` chain that is a cycle, anywhere in the document.
pub fn leave_out_refused(doc: &mut Value) -> Result<Vec<Refused>> {
    check_refs(doc)?;
    let ops = operations(doc);
    let total = ops.len();
    let mut refused = Vec::new();
    for (path, method, op) in ops {
        let at = format!("/paths/{}/{method}", escape_pointer(path));
        let checked = check_path_parameters(doc, path, method, op)
            .and_then(|()| check_success_bodies(doc, &at, op))
            .and_then(|()| check_request_body(doc, &at, op));
        let Err(e) = checked else {
            continue;
        };
        let (pointer, message) = match e.downcast::<SpecError>() {
            Ok(e) => (e.pointer, e.message),
            Err(e) => (at.clone(), e.to_string()),
        };
        let operation_id = op
            .get("operationId")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let route = format!("{} {path}", method.to_ascii_uppercase());
        refused.push((path.to_string(), method.to_string(), Refused {
            error: SpecError {
                pointer,
                message: format!(
                    "{message}; the operation {operation_id} ({route}) is left out, the rest of the document generates"
                ),
            },
            operation_id,
            route,
        }));
    }
    if refused.len() == total {
        return Ok(Vec::new());
    }
    let paths = doc.get_mut("paths").and_then(Value::as_object_mut);
    if let Some(paths) = paths {
        for (path, method, _) in &refused {
            if let Some(item) = paths.get_mut(path).and_then(Value::as_object_mut) {
                item.remove(method);
            }
        }
    }
    Ok(refused.into_iter().map(|(_, _, r)| r).collect())
}

/// Method names that the generated `Client` already has: progenitor's own
/// constructor and `ClientInfo`/`ClientHooks` methods, and the runtime's
/// public constructors. An operation with one of these names does not compile.
pub const RESERVED_METHODS: [&str; 12] = [
    "new",
    "new_with_client",
    "api_version",
    "baseurl",
    "client",
    "inner",
    "pre",
    "post",
    "exec",
    "from_env",
    "builder",
    "base_url",
];

/// Words typify's `accept_as_ident` refuses as identifiers; progenitor appends
/// `_` to them.
#[rustfmt::skip]
const KEYWORDS: [&str; 53] = [
    "_", "abstract", "as", "async", "await", "become", "box", "break", "const", "continue",
    "crate", "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if",
    "impl", "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv",
    "pub", "ref", "return", "Self", "self", "static", "struct", "super", "trait", "true", "try",
    "type", "typeof", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// The method name progenitor derives from an operationId (its `sanitize` with
/// `Case::Snake`, which is private): two operationIds that differ only in
/// punctuation or case produce the same method and code that does not compile.
pub fn method_name(operation_id: &str) -> String {
    use heck::ToSnakeCase;
    let out = match operation_id {
        "+1" => "plus1".to_string(),
        "-1" => "minus1".to_string(),
        _ => operation_id
            .replace('\'', "")
            .replace(|c: char| !unicode_ident::is_xid_continue(c), "-")
            .to_snake_case(),
    };
    let out = match out.chars().next() {
        None => "x".to_string(),
        Some(c) if unicode_ident::is_xid_start(c) => out,
        Some(_) => format!("_{out}"),
    };
    if KEYWORDS.contains(&out.as_str()) {
        format!("{out}_")
    } else {
        out
    }
}

/// Deepest `$ref` chain followed; longer chains are cycles or abuse.
const MAX_REF_HOPS: usize = 32;

/// Where a `$ref` (or chain of them) leads: the target's pointer and value.
fn resolve<'a>(doc: &'a Value, at: &str, value: &'a Value) -> Result<(String, &'a Value)> {
    let mut pointer = at.to_string();
    let mut current = value;
    for _ in 0..MAX_REF_HOPS {
        let Some(reference) = current.get("$ref").and_then(Value::as_str) else {
            return Ok((pointer, current));
        };
        let target = reference.strip_prefix('#').unwrap_or(reference);
        current = doc.pointer(target).ok_or_else(|| {
            spec_error(
                format!("{pointer}/$ref"),
                format!("$ref {reference:?} points at nothing; define it or fix the reference"),
            )
        })?;
        pointer = target.to_string();
    }
    Err(spec_error(
        format!("{at}/$ref"),
        format!(
            "$ref chain longer than {MAX_REF_HOPS} hops (a cycle of references?); point the $ref at the definition itself"
        ),
    ))
}

/// Every `$ref` must be local, of the form `#/components/<kind>/<name>` and
/// lead somewhere. progenitor and typify look references up by their last
/// segment only, panic on dangling ones without saying where, and never fetch
/// other files — nor should they: a spec is an input, not a list of URLs.
fn check_refs(doc: &Value) -> Result<()> {
    for (at, reference) in references(doc) {
        check_ref(doc, &format!("{at}/$ref"), &reference)?;
    }
    Ok(())
}

/// Every `$ref` of `doc`, with the pointer of the object that holds it, in
/// document order; examples, enums and extensions hold data, not references.
pub fn references(doc: &Value) -> Vec<(String, String)> {
    let mut found = Vec::new();
    // Iterative, because nesting depth is only bounded by the loader.
    let mut stack: Vec<(String, &Value)> = vec![(String::new(), doc)];
    while let Some((at, value)) = stack.pop() {
        let children: Vec<(String, &Value)> = match value {
            Value::Object(map) => {
                if let Some(Value::String(reference)) = map.get("$ref") {
                    found.push((at.clone(), reference.clone()));
                }
                map.iter()
                    .filter(|(key, _)| !holds_data(key))
                    .map(|(key, child)| (format!("{at}/{}", escape_pointer(key)), child))
                    .collect()
            }
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, child)| (format!("{at}/{i}"), child))
                .collect(),
            _ => Vec::new(),
        };
        // Reversed, so that the stack pops them in document order.
        stack.extend(
            children
                .into_iter()
                .rev()
                .filter(|(_, child)| child.is_object() || child.is_array()),
        );
    }
    found
}

/// Keys whose values are data (examples, enum values, extensions), where a
/// `$ref` is text, not a reference.
pub fn holds_data(key: &str) -> bool {
    key == "example" || key == "examples" || key == "enum" || key.starts_with("x-")
}

/// `(kind, name)` of a reference of the form `#/components/<kind>/<name>`,
/// the only form progenitor follows.
pub fn component_ref(reference: &str) -> Option<(&str, &str)> {
    let mut segments = reference.strip_prefix("#/components/")?.split('/');
    match (segments.next(), segments.next(), segments.next()) {
        (Some(kind), Some(name), None) => Some((kind, name)),
        _ => None,
    }
}

/// The JSON pointer a local `$ref` names: its fragment, percent-decoded.
///
/// A `$ref` is a URI reference (RFC 3986), so its fragment is a JSON pointer
/// (RFC 6901) in URI form: `#/paths/~1a~1%7Bid%7D` is the pointer
/// `/paths/~1a~1{id}`. `None` for a reference that is not local (`other.yaml#/A`)
/// or whose escapes do not decode to UTF-8.
pub fn fragment_pointer(reference: &str) -> Option<std::borrow::Cow<'_, str>> {
    let fragment = reference.strip_prefix('#')?;
    if !fragment.contains('%') {
        return Some(std::borrow::Cow::Borrowed(fragment));
    }
    let bytes = fragment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = fragment.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok().map(std::borrow::Cow::Owned)
}

fn check_ref(doc: &Value, at: &str, reference: &str) -> Result<()> {
    let Some(target) = reference.strip_prefix('#') else {
        return Err(spec_error(
            at,
            format!(
                "external $ref {reference:?} is not supported: the generator reads one file and fetches nothing; \
                 copy the referenced definition into this file's `components` and use `#/components/...`"
            ),
        ));
    };
    let Some((kind, name)) = component_ref(reference) else {
        return Err(spec_error(
            at,
            format!(
                "$ref {reference:?} is not of the form `#/components/<kind>/<name>`, the only form progenitor follows; \
                 move the target into `components` and reference it there"
            ),
        ));
    };
    if doc.pointer(target).is_none() {
        return Err(spec_error(
            at,
            format!(
                "$ref {reference:?} points at nothing; define `{}` under `components/{}` or fix the reference",
                name, kind
            ),
        ));
    }
    Ok(())
}

/// `{name}` variables of a path template, or an error for unbalanced braces.
pub(crate) fn template_variables(path: &str) -> Option<Vec<&str>> {
    let mut out = Vec::new();
    let mut rest = path;
    while let Some(open) = rest.find(['{', '}']) {
        if rest[open..].starts_with('}') {
            return None;
        }
        let after = &rest[open + 1..];
        let close = after.find('}')?;
        let name = &after[..close];
        if name.is_empty() || name.contains('{') {
            return None;
        }
        out.push(name);
        rest = &after[close + 1..];
    }
    Some(out)
}

/// The path template and the operation's `in: path` parameters must name the
/// same variables, and every parameter needs a `schema` (or `content`).
///
/// progenitor panics on a template variable without a parameter and silently
/// drops a path parameter that is not in the template, sending requests to the
/// wrong URL.
fn check_path_parameters(
    doc: &Value,
    path: &str,
    method: &str,
    op: &Map<String, Value>,
) -> Result<()> {
    let item_at = format!("/paths/{}", escape_pointer(path));
    let op_at = format!("{item_at}/{method}");
    let Some(variables) = template_variables(path) else {
        return Err(spec_error(
            item_at,
            format!(
                "the path template {path:?} has unbalanced or empty braces; write variables as `{{name}}`"
            ),
        ));
    };
    let mut declared: Vec<(String, String)> = Vec::new();
    let lists = [
        (item_at.clone(), doc["paths"][path].get("parameters")),
        (op_at.clone(), op.get("parameters")),
    ];
    for (base, list) in lists {
        let Some(Value::Array(params)) = list else {
            continue;
        };
        for (i, param) in params.iter().enumerate() {
            let at = format!("{base}/parameters/{i}");
            let (target_at, param) = resolve(doc, &at, param)?;
            let Some(obj) = param.as_object() else {
                continue;
            };
            let Some(name) = obj.get("name").and_then(Value::as_str) else {
                return Err(spec_error(
                    target_at,
                    "the parameter has no `name` (a parameter needs `name` and `in`); add its name",
                ));
            };
            if !obj.contains_key("schema") && !obj.contains_key("content") {
                return Err(spec_error(
                    target_at,
                    format!(
                        "parameter {name:?} has neither `schema` nor `content`; add a schema, e.g. `schema: {{type: string}}`"
                    ),
                ));
            }
            if obj.get("in").and_then(Value::as_str) == Some("path") {
                declared.push((name.to_string(), target_at));
            }
        }
    }
    for (name, at) in &declared {
        if !variables.contains(&name.as_str()) {
            return Err(spec_error(
                at.as_str(),
                format!(
                    "path parameter {name:?} does not appear in the path template {path:?}; \
                     add `{{{name}}}` to the path or remove the parameter"
                ),
            ));
        }
    }
    for variable in variables {
        if !declared.iter().any(|(name, _)| name == variable) {
            return Err(spec_error(
                op_at,
                format!(
                    "the path template {path:?} has `{{{variable}}}` but the operation declares no path parameter {variable:?}; \
                     add one (`name: {variable}`, `in: path`, `required: true`, with a schema)"
                ),
            ));
        }
    }
    Ok(())
}

/// Request body media types progenitor can send (its `BodyContentType`).
const BODY_TYPES: [&str; 5] = [
    "application/json",
    "application/octet-stream",
    "application/x-www-form-urlencoded",
    "text/plain",
    "text/x-markdown",
];

/// progenitor sends exactly one request media type, from a fixed list, and
/// hits a `todo!` on more than one.
fn check_request_body(doc: &Value, at: &str, op: &Map<String, Value>) -> Result<()> {
    let Some(body) = op.get("requestBody") else {
        return Ok(());
    };
    let (body_at, body) = resolve(doc, &format!("{at}/requestBody"), body)?;
    let Some(content) = body.get("content").and_then(Value::as_object) else {
        return Ok(());
    };
    if content.len() > 1 {
        return Err(spec_error(
            format!("{body_at}/content"),
            "the request body offers several media types and the generator sends exactly one; \
             keep only the one the client should send (usually application/json)",
        ));
    }
    for media in content.keys() {
        let essence = media.split(';').next().unwrap_or_default().trim();
        if !BODY_TYPES.contains(&essence) {
            return Err(spec_error(
                format!("{body_at}/content/{}", escape_pointer(media)),
                format!(
                    "request bodies of type {media:?} are not supported by the generator (it sends {}); \
                     change the media type or leave the operation out of the provider",
                    BODY_TYPES.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

/// All success responses of an operation must share one body schema.
///
/// progenitor returns one type per operation: with two different success
/// schemas it either asserts or (for inline schemas, which it names alike)
/// decodes every success body as the first schema's type.
fn check_success_bodies(doc: &Value, at: &str, op: &Map<String, Value>) -> Result<()> {
    let Some(responses) = op.get("responses").and_then(Value::as_object) else {
        return Ok(());
    };
    let has_success = responses.keys().any(|k| k.starts_with('2'));
    let mut first: Option<(String, Option<&Value>)> = None;
    for (code, response) in responses {
        if !(code.starts_with('2') || code == "101" || (code == "default" && !has_success)) {
            continue;
        }
        let code_at = format!("{at}/responses/{}", escape_pointer(code));
        let (target_at, response) = resolve(doc, &code_at, response)?;
        let body = response
            .get("content")
            .and_then(Value::as_object)
            .and_then(|content| content.values().next())
            .and_then(|media| media.get("schema"));
        match &first {
            None => first = Some((target_at, body)),
            Some((first_at, first_body)) if *first_body != body => {
                return Err(spec_error(
                    code_at,
                    format!(
                        "this success response's body differs from the one at {first_at}; a generated method returns one type, \
                         so give every 2xx response of the operation the same schema (or none)"
                    ),
                ));
            }
            Some(_) => {}
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
    fn method_names_follow_progenitor() {
        for (id, want) in [
            ("iamDeleteApiTokenV2", "iam_delete_api_token_v2"),
            ("get-token", "get_token"),
            ("type", "type_"),
            ("type_", "type_"),
            ("2fa", "_2fa"),
            ("", "x"),
            ("it's", "its"),
        ] {
            assert_eq!(method_name(id), want, "{id}");
        }
    }

    #[test]
    fn a_refused_operation_costs_only_itself() {
        let ok = json!({"operationId": "ok", "responses": {}});
        let mut doc = json!({"paths": {
            "/a": {"get": ok, "delete": {"operationId": "bad", "parameters": [
                {"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}]}},
            "/b/{x": {"get": {"operationId": "unbalanced"}}}});
        let refused = leave_out_refused(&mut doc).unwrap();
        let routes: Vec<&str> = refused.iter().map(|r| r.route.as_str()).collect();
        assert_eq!(routes, ["DELETE /a", "GET /b/{x"]);
        assert_eq!(refused[0].error.pointer, "/paths/~1a/delete/parameters/0");
        assert!(
            refused[0]
                .error
                .message
                .contains("the operation bad (DELETE /a) is left out"),
            "{}",
            refused[0].error.message
        );
        assert_eq!(doc["paths"]["/a"], json!({"get": ok}));
        preflight(&doc).unwrap();
        // When nothing would be left, nothing is left out: preflight says why.
        let mut doc = json!({"paths": {"/b/{x": {"get": {"operationId": "unbalanced"}}}});
        assert!(leave_out_refused(&mut doc).unwrap().is_empty());
        let err = preflight(&doc).unwrap_err().to_string();
        assert!(err.contains("unbalanced"), "{err}");
    }

    #[test]
    fn fragments_are_percent_decoded() {
        assert_eq!(
            fragment_pointer("#/paths/~1a~1%7Bid%7D/get").as_deref(),
            Some("/paths/~1a~1{id}/get")
        );
        assert_eq!(fragment_pointer("#/a%20b").as_deref(), Some("/a b"));
        assert_eq!(fragment_pointer("#/plain").as_deref(), Some("/plain"));
        assert_eq!(fragment_pointer("#/bad%7").as_deref(), None);
        assert_eq!(fragment_pointer("#/bad%ff").as_deref(), None);
        assert_eq!(fragment_pointer("other.yaml#/a"), None);
    }

    #[test]
    fn path_templates() {
        assert_eq!(template_variables("/a/{b}/c/{d}"), Some(vec!["b", "d"]));
        assert_eq!(template_variables("/a"), Some(vec![]));
        for bad in ["/a/{b", "/a/b}", "/a/{}", "/a/{{b}}"] {
            assert_eq!(template_variables(bad), None, "{bad}");
        }
    }

    #[test]
    fn missing_required_field_is_named() {
        let doc = json!({"openapi": "3.0.3", "paths": {}});
        let err = generate(&doc, "s.yaml").unwrap_err().to_string();
        assert!(err.contains("missing field `info`"), "{err}");
    }
}
