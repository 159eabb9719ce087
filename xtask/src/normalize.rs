//! Normalize step of the xtask pipeline: load → normalize → generate → format → write.
//!
//! Provider specs are increasingly published as OpenAPI 3.1, but the generator
//! (`progenitor` via `openapiv3`) only understands OpenAPI 3.0.x. This module
//! rewrites a 3.1 document, already parsed into a [`serde_json::Value`], into the
//! 3.0.3 dialect. A 3.0.x document is returned untouched so that specs which
//! already work keep generating exactly the same code.
//!
//! The walk is structural: only values that sit in a schema position (as defined
//! by the OpenAPI object model) are treated as schemas, so a property that is
//! merely *named* `type` or `const` is never rewritten. `$ref`s are not resolved,
//! which keeps the walk free of cycles; nesting depth is still capped so hostile
//! input cannot overflow the stack.

use serde_json::{Map, Value, json};
use std::fmt;

/// Deepest nesting accepted before giving up; deep enough for any real spec,
/// shallow enough that recursion cannot exhaust a thread's stack.
const MAX_DEPTH: usize = 256;

/// JSON Schema 2020-12 keywords that OpenAPI 3.0 cannot express.
#[rustfmt::skip]
const UNSUPPORTED: [&str; 18] = [
    "$defs", "prefixItems", "if", "then", "else", "dependentSchemas", "dependentRequired",
    "unevaluatedProperties", "unevaluatedItems", "patternProperties", "propertyNames", "contains",
    "minContains", "maxContains", "$dynamicRef", "$dynamicAnchor", "$recursiveRef", "$recursiveAnchor",
];

/// What the spec author can do instead of an [`UNSUPPORTED`] keyword.
fn advice(keyword: &str) -> &'static str {
    match keyword {
        "$defs" => "move the definitions to `components/schemas` and `$ref` them",
        "prefixItems" | "contains" | "minContains" | "maxContains" => {
            "describe the array with `items`"
        }
        "if" | "then" | "else" | "dependentSchemas" => "express the alternatives with `oneOf`",
        "dependentRequired" => "document the dependency in `description`",
        "unevaluatedItems" => "use `items` instead",
        "unevaluatedProperties" | "patternProperties" | "propertyNames" => {
            "use `additionalProperties` with a schema"
        }
        _ => "use a plain `$ref` to `components/schemas`",
    }
}

/// Keywords that combine subschemas; collapsing a nullable union is only safe
/// when no other one of these constrains the same schema.
const COMPOSITION: [&str; 4] = ["allOf", "anyOf", "oneOf", "not"];

/// Result of normalizing: the 3.0 document plus human-readable notes about lossy steps.
#[derive(Debug, Clone, PartialEq)]
pub struct Normalized {
    /// The document in the OpenAPI 3.0.3 dialect (or the input, if it was 3.0.x).
    pub document: Value,
    /// Information that was dropped or approximated during conversion.
    pub notes: Vec<Note>,
}

/// A lossy conversion step the user may want to know about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// RFC 6901 JSON pointer to the affected location in the input document.
    pub pointer: String,
    /// What was changed and why.
    pub message: String,
}

/// Why a document could not be converted to OpenAPI 3.0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NormalizeError {
    /// RFC 6901 JSON pointer to the offending location in the input document.
    pub pointer: String,
    /// What is wrong and what the user can do about it.
    pub message: String,
}

impl fmt::Display for NormalizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at {}: {}", self.pointer, self.message)
    }
}

impl std::error::Error for NormalizeError {}

type Res = Result<(), NormalizeError>;
type Walker = fn(&mut Value, &str, usize, &mut Ctx) -> Res;

fn err(pointer: impl Into<String>, message: impl Into<String>) -> NormalizeError {
    NormalizeError {
        pointer: pointer.into(),
        message: message.into(),
    }
}

/// Appends one escaped reference token to a JSON pointer.
fn child(ptr: &str, token: &str) -> String {
    format!("{ptr}/{}", token.replace('~', "~0").replace('/', "~1"))
}

#[derive(Default)]
struct Ctx {
    notes: Vec<Note>,
}

impl Ctx {
    fn note(&mut self, pointer: impl Into<String>, message: impl Into<String>) {
        self.notes.push(Note {
            pointer: pointer.into(),
            message: message.into(),
        });
    }
}

/// Converts an OpenAPI 3.1 document to OpenAPI 3.0.3; 3.0.x documents pass through unchanged.
///
/// # Errors
///
/// Returns a [`NormalizeError`] pointing at the first construct that has no
/// OpenAPI 3.0 equivalent, or when the document is not OpenAPI 3.0/3.1 at all.
pub fn normalize(doc: Value) -> Result<Normalized, NormalizeError> {
    let Value::Object(mut root) = doc else {
        return Err(err(
            "",
            "the document must be a JSON/YAML object at the top level; check that the file is an OpenAPI document",
        ));
    };
    let version = match root.get("openapi") {
        Some(Value::String(v)) => v.clone(),
        Some(_) => {
            return Err(err(
                "/openapi",
                "`openapi` must be a string; quote the version, e.g. `openapi: \"3.1.0\"`",
            ));
        }
        None if root.contains_key("swagger") => {
            return Err(err(
                "/swagger",
                "Swagger 2.0 documents are not supported; convert the document to OpenAPI 3 first (e.g. with swagger2openapi)",
            ));
        }
        None => {
            return Err(err(
                "/openapi",
                "missing `openapi` version field; add `openapi: 3.1.0` (or 3.0.x) at the top level",
            ));
        }
    };
    if version.starts_with("3.0.") {
        return Ok(Normalized {
            document: Value::Object(root),
            notes: Vec::new(),
        });
    }
    if !version.starts_with("3.1.") {
        return Err(err(
            "/openapi",
            format!(
                "OpenAPI version `{version}` is not supported; supported versions are 3.0.x and 3.1.x"
            ),
        ));
    }

    let mut ctx = Ctx::default();
    match convert(&mut root, &mut ctx) {
        Ok(()) => Ok(Normalized {
            document: Value::Object(root),
            notes: ctx.notes,
        }),
        Err(e) => {
            dismantle(Value::Object(root));
            Err(e)
        }
    }
}

/// Dropping a `Value` recurses once per nesting level, so rejecting hostile,
/// deeply nested input could still overflow the stack; tear it down iteratively.
fn dismantle(v: Value) {
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            Value::Array(items) => stack.extend(items),
            Value::Object(map) => stack.extend(map.into_iter().map(|(_, v)| v)),
            _ => {}
        }
    }
}

fn convert(root: &mut Map<String, Value>, ctx: &mut Ctx) -> Res {
    root.insert("openapi".into(), json!("3.0.3"));
    for key in ["webhooks", "jsonSchemaDialect"] {
        if root.remove(key).is_some() {
            ctx.note(
                child("", key),
                format!("dropped `{key}`: OpenAPI 3.0 has no equivalent"),
            );
        }
    }
    if let Some(Value::Object(info)) = root.get_mut("info") {
        if info.remove("summary").is_some() {
            ctx.note(
                "/info/summary",
                "dropped `info.summary`: new in OpenAPI 3.1",
            );
        }
        if let Some(Value::Object(license)) = info.get_mut("license")
            && license.remove("identifier").is_some()
        {
            ctx.note(
                "/info/license/identifier",
                "dropped SPDX `license.identifier`: new in OpenAPI 3.1; use `license.url` instead",
            );
        }
    }
    match root.get_mut("paths") {
        Some(Value::Object(paths)) => each_entry(paths, "/paths", 0, ctx, path_item, true)?,
        Some(_) => {
            return Err(err(
                "/paths",
                "`paths` must be an object mapping paths to path items",
            ));
        }
        None => {
            return Err(err(
                "/paths",
                "nothing to generate: add at least one path (webhook- or components-only documents cannot produce a client)",
            ));
        }
    }
    if let Some(Value::Object(components)) = root.get_mut("components") {
        walk_components(components, ctx)?;
    }
    Ok(())
}

fn walk_components(c: &mut Map<String, Value>, ctx: &mut Ctx) -> Res {
    if c.remove("pathItems").is_some() {
        ctx.note(
            "/components/pathItems",
            "dropped `components.pathItems`: new in OpenAPI 3.1; inline the path items under `paths`",
        );
    }
    let sections: [(&str, Walker); 6] = [
        ("schemas", schema),
        ("parameters", parameter),
        ("headers", parameter),
        ("requestBodies", request_body),
        ("responses", response),
        ("callbacks", callback),
    ];
    for (key, walker) in sections {
        if let Some(Value::Object(map)) = c.get_mut(key) {
            each_entry(map, &child("/components", key), 0, ctx, walker, false)?;
        }
    }
    Ok(())
}

/// Applies `f` to every value of a map. `skip_ext` is set for spec objects whose
/// `x-` keys are extensions rather than names (Paths, Responses, Callback).
fn each_entry(
    map: &mut Map<String, Value>,
    ptr: &str,
    depth: usize,
    ctx: &mut Ctx,
    f: Walker,
    skip_ext: bool,
) -> Res {
    for (key, value) in map.iter_mut() {
        if !(skip_ext && key.starts_with("x-")) {
            f(value, &child(ptr, key), depth, ctx)?;
        }
    }
    Ok(())
}

/// Applies `f` to the map or array found under `key` in `map`, if any.
fn each_under(
    map: &mut Map<String, Value>,
    key: &str,
    ptr: &str,
    depth: usize,
    ctx: &mut Ctx,
    f: Walker,
) -> Res {
    let ptr = child(ptr, key);
    match map.get_mut(key) {
        Some(Value::Object(m)) => each_entry(m, &ptr, depth, ctx, f, key == "responses"),
        Some(Value::Array(items)) => {
            for (i, item) in items.iter_mut().enumerate() {
                f(item, &child(&ptr, &i.to_string()), depth, ctx)?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn check_depth(ptr: &str, depth: usize) -> Res {
    if depth > MAX_DEPTH {
        return Err(err(
            ptr,
            format!(
                "nesting exceeds {MAX_DEPTH} levels; move inner schemas into `components/schemas` and reference them with `$ref`"
            ),
        ));
    }
    Ok(())
}

/// 3.1 allows `description`/`summary` next to a Reference Object's `$ref`; 3.0
/// does not, so they are dropped. Returns whether the object is a reference.
fn strip_ref_siblings(map: &mut Map<String, Value>, ptr: &str, ctx: &mut Ctx) -> bool {
    if !map.contains_key("$ref") {
        return false;
    }
    if map.len() > 1 {
        let dropped: Vec<String> = map
            .keys()
            .filter(|k| *k != "$ref")
            .map(|k| format!("`{k}`"))
            .collect();
        map.retain(|k, _| k == "$ref");
        ctx.note(
            ptr,
            format!(
                "dropped {} next to `$ref`: OpenAPI 3.0 reference objects cannot have siblings",
                dropped.join(", ")
            ),
        );
    }
    true
}

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];
const PARAMETER_CHILDREN: &[(&str, Walker)] = &[("schema", schema), ("content", media_type)];
const RESPONSE_CHILDREN: &[(&str, Walker)] = &[("headers", parameter), ("content", media_type)];
const MEDIA_TYPE_CHILDREN: &[(&str, Walker)] = &[("schema", schema), ("encoding", encoding)];

/// Walks the children of one OpenAPI object: `schema`, `requestBody` and the
/// methods hold one object, every other key a map or array of them. `reference`
/// marks kinds that may be a Reference Object, whose siblings 3.0 does not allow.
fn walk(
    v: &mut Value,
    ptr: &str,
    depth: usize,
    ctx: &mut Ctx,
    reference: bool,
    children: &[(&str, Walker)],
) -> Res {
    let Some(map) = v.as_object_mut() else {
        return Ok(());
    };
    if reference && strip_ref_siblings(map, ptr, ctx) {
        return Ok(());
    }
    for (key, f) in children {
        let single = *key == "schema" || *key == "requestBody" || METHODS.contains(key);
        if !single {
            each_under(map, key, ptr, depth, ctx, *f)?;
        } else if let Some(value) = map.get_mut(*key) {
            f(value, &child(ptr, key), depth, ctx)?;
        }
    }
    Ok(())
}

fn path_item(v: &mut Value, ptr: &str, depth: usize, ctx: &mut Ctx) -> Res {
    check_depth(ptr, depth)?;
    // A path item's own `$ref` (and its siblings) is valid 3.0, so it is left alone.
    walk(v, ptr, depth, ctx, false, &[("parameters", parameter)])?;
    let methods = METHODS.map(|m| (m, operation as Walker));
    walk(v, ptr, depth, ctx, false, &methods)
}

fn operation(v: &mut Value, ptr: &str, depth: usize, ctx: &mut Ctx) -> Res {
    let children: [(&str, Walker); 4] = [
        ("parameters", parameter),
        ("requestBody", request_body),
        ("responses", response),
        ("callbacks", callback),
    ];
    walk(v, ptr, depth, ctx, false, &children)
}

fn callback(v: &mut Value, ptr: &str, depth: usize, ctx: &mut Ctx) -> Res {
    let Some(map) = v.as_object_mut() else {
        return Ok(());
    };
    if strip_ref_siblings(map, ptr, ctx) {
        return Ok(());
    }
    // Callbacks contain path items, which can contain callbacks: the only
    // structural recursion in OpenAPI, hence the depth increment.
    each_entry(map, ptr, depth + 1, ctx, path_item, true)
}

/// Parameters and headers share the `schema`/`content` layout.
fn parameter(v: &mut Value, ptr: &str, depth: usize, ctx: &mut Ctx) -> Res {
    walk(v, ptr, depth, ctx, true, PARAMETER_CHILDREN)
}

fn request_body(v: &mut Value, ptr: &str, depth: usize, ctx: &mut Ctx) -> Res {
    walk(v, ptr, depth, ctx, true, &[("content", media_type)])
}

fn response(v: &mut Value, ptr: &str, depth: usize, ctx: &mut Ctx) -> Res {
    walk(v, ptr, depth, ctx, true, RESPONSE_CHILDREN)
}

fn media_type(v: &mut Value, ptr: &str, depth: usize, ctx: &mut Ctx) -> Res {
    walk(v, ptr, depth, ctx, false, MEDIA_TYPE_CHILDREN)
}

fn encoding(v: &mut Value, ptr: &str, depth: usize, ctx: &mut Ctx) -> Res {
    walk(v, ptr, depth, ctx, false, &[("headers", parameter)])
}

/// Converts one schema (and, recursively, its subschemas) to the 3.0 dialect.
fn schema(v: &mut Value, ptr: &str, depth: usize, ctx: &mut Ctx) -> Res {
    check_depth(ptr, depth)?;
    if let Value::Bool(b) = *v {
        *v = if b { json!({}) } else { json!({"not": {}}) };
        return Ok(());
    }
    let Some(map) = v.as_object_mut() else {
        return Err(err(
            ptr,
            "a schema must be an object or a boolean; fix the schema definition",
        ));
    };
    for kw in UNSUPPORTED {
        if map.contains_key(kw) {
            return Err(err(
                child(ptr, kw),
                format!(
                    "`{kw}` has no OpenAPI 3.0 equivalent; {}, or exclude this schema from the provider",
                    advice(kw)
                ),
            ));
        }
    }
    if matches!(map.get("items"), Some(Value::Array(_))) {
        return Err(err(
            child(ptr, "items"),
            "`items` must be a single schema, not an array (tuple form is invalid in 3.1); use one `items` schema, or exclude this schema from the provider",
        ));
    }
    for kw in ["$schema", "$comment", "$anchor"] {
        map.remove(kw);
    }
    if map.remove("$id").is_some() {
        ctx.note(
            child(ptr, "$id"),
            "dropped `$id`: OpenAPI 3.0 schemas cannot declare identifiers",
        );
    }

    // Null branches must go before recursing: on their own they are errors.
    let mut nullable = false;
    let mut collapsible = Vec::new();
    for kw in ["anyOf", "oneOf"] {
        if let Some(Value::Array(branches)) = map.get_mut(kw) {
            let before = branches.len();
            branches.retain(|b| !is_null_branch(b));
            if branches.len() < before {
                // In a `oneOf`, null matching a second branch as well is rejected;
                // `nullable: true` would accept it, so the rewrite would widen.
                if kw == "oneOf"
                    && (before - branches.len() > 1 || branches.iter().any(admits_null))
                {
                    return Err(err(
                        child(ptr, kw),
                        "`oneOf` has a `null` branch and another branch that also admits null, so null matches twice and is invalid; \
                         OpenAPI 3.0 cannot express that: remove `null` from all but one branch",
                    ));
                }
                if branches.is_empty() {
                    return Err(err(
                        child(ptr, kw),
                        format!(
                            "every `{kw}` branch is `null`, which has no OpenAPI 3.0 equivalent; give the schema a non-null type"
                        ),
                    ));
                }
                nullable = true;
                collapsible.push(kw);
            }
        }
    }

    recurse(map, ptr, depth, ctx)?;
    convert_type(map, ptr, &mut nullable)?;
    convert_const(map, ptr, &mut nullable)?;
    match map.remove("examples") {
        Some(Value::Array(examples)) => {
            if let Some(first) = examples.into_iter().next() {
                map.entry("example").or_insert(first);
            }
        }
        Some(_) => ctx.note(
            child(ptr, "examples"),
            "dropped schema `examples`: expected an array",
        ),
        None => {}
    }
    convert_exclusive(map, "exclusiveMinimum", "minimum", true);
    convert_exclusive(map, "exclusiveMaximum", "maximum", false);
    convert_content(map, ptr, ctx);
    for kw in collapsible {
        collapse(map, ptr, kw)?;
    }
    if nullable {
        map.insert("nullable".into(), Value::Bool(true));
    }
    // 3.0 ignores everything next to a schema `$ref`; `allOf` keeps the siblings meaningful.
    if map.len() > 1
        && let Some(reference) = map.remove("$ref")
    {
        let mut all = vec![json!({ "$ref": reference })];
        if let Some(Value::Array(existing)) = map.remove("allOf") {
            all.extend(existing);
        }
        map.insert("allOf".into(), Value::Array(all));
    }
    Ok(())
}

fn recurse(map: &mut Map<String, Value>, ptr: &str, depth: usize, ctx: &mut Ctx) -> Res {
    if let Some(Value::Object(props)) = map.get_mut("properties") {
        // Property names are data, not extensions: `x-` names are walked too.
        each_entry(
            props,
            &child(ptr, "properties"),
            depth + 1,
            ctx,
            schema,
            false,
        )?;
    }
    for kw in ["items", "not"] {
        if let Some(s) = map.get_mut(kw) {
            schema(s, &child(ptr, kw), depth + 1, ctx)?;
        }
    }
    if let Some(s @ Value::Object(_)) = map.get_mut("additionalProperties") {
        schema(s, &child(ptr, "additionalProperties"), depth + 1, ctx)?;
    }
    for kw in ["allOf", "anyOf", "oneOf"] {
        each_under(map, kw, ptr, depth + 1, ctx, schema)?;
    }
    Ok(())
}

/// Whether a schema may accept `null`, judged from its own keywords. A `$ref`
/// counts as not admitting null (component schemas are taken as written, and
/// a nullable one is rare); a schema constrained by nothing admits it.
fn admits_null(s: &Value) -> bool {
    let Some(m) = s.as_object() else {
        return s.as_bool() == Some(true);
    };
    match m.get("type") {
        Some(Value::String(t)) => return t == "null",
        Some(Value::Array(types)) => return types.iter().any(|t| t == "null"),
        _ => {}
    }
    if let Some(c) = m.get("const") {
        return c.is_null();
    }
    if let Some(Value::Array(values)) = m.get("enum") {
        return values.iter().any(Value::is_null);
    }
    if m.contains_key("$ref") {
        return false;
    }
    let branches = |kw: &str| m.get(kw).and_then(Value::as_array);
    if let Some(all) = branches("allOf") {
        return all.iter().all(admits_null);
    }
    for kw in ["anyOf", "oneOf"] {
        if let Some(any) = branches(kw) {
            return any.iter().any(admits_null);
        }
    }
    true
}

/// A branch that only admits `null`; annotations on it carry no meaning once the
/// branch becomes `nullable: true`, so they do not disqualify it.
fn is_null_branch(b: &Value) -> bool {
    let Some(m) = b.as_object() else { return false };
    let mut keywords = m
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "description" | "title" | "$comment"));
    match (keywords.next(), keywords.next()) {
        (Some((k, v)), None) => match k.as_str() {
            "type" => *v == json!("null") || *v == json!(["null"]),
            "const" => v.is_null(),
            "enum" => *v == json!([null]),
            _ => false,
        },
        _ => false,
    }
}

fn convert_type(map: &mut Map<String, Value>, ptr: &str, nullable: &mut bool) -> Res {
    let null_only = || {
        err(
            child(ptr, "type"),
            "`type: \"null\"` on its own has no OpenAPI 3.0 equivalent; combine it with a real type (e.g. `type: [string, \"null\"]`) or remove the schema",
        )
    };
    let types = match map.get("type") {
        None => return Ok(()),
        Some(Value::String(t)) if t == "null" => return Err(null_only()),
        Some(Value::String(_)) => return Ok(()),
        Some(Value::Array(types)) => types.clone(),
        Some(_) => {
            return Err(err(
                child(ptr, "type"),
                "`type` must be a string or an array of strings",
            ));
        }
    };
    let mut names: Vec<String> = Vec::new();
    for (i, t) in types.iter().enumerate() {
        match t.as_str() {
            Some("null") => *nullable = true,
            Some(name) if !names.iter().any(|n| n == name) => names.push(name.to_string()),
            Some(_) => {}
            None => {
                return Err(err(
                    child(&child(ptr, "type"), &i.to_string()),
                    "type names must be strings",
                ));
            }
        }
    }
    match names.as_slice() {
        [] => Err(null_only()),
        [single] => {
            map.insert("type".into(), json!(single));
            Ok(())
        }
        many => {
            map.remove("type");
            let branches: Vec<Value> = many.iter().map(|t| json!({ "type": t })).collect();
            // An existing `anyOf` must still hold, so the type union goes under `allOf`.
            if map.contains_key("anyOf") {
                let all = map.entry("allOf").or_insert_with(|| json!([]));
                if let Value::Array(all) = all {
                    all.push(json!({ "anyOf": branches }));
                }
            } else {
                map.insert("anyOf".into(), Value::Array(branches));
            }
            Ok(())
        }
    }
}

fn convert_const(map: &mut Map<String, Value>, ptr: &str, nullable: &mut bool) -> Res {
    let Some(value) = map.remove("const") else {
        return Ok(());
    };
    if let Some(existing) = map.get("enum") {
        let allowed = existing.as_array().is_some_and(|e| e.contains(&value));
        if !allowed {
            return Err(err(
                child(ptr, "const"),
                "`const` value is not in `enum`, so no value can match; remove one of the two keywords",
            ));
        }
    }
    *nullable |= value.is_null();
    map.insert("enum".into(), json!([value]));
    Ok(())
}

/// 3.1 exclusive bounds are numbers; 3.0 uses a boolean flag on `minimum`/`maximum`.
fn convert_exclusive(map: &mut Map<String, Value>, excl: &str, bound: &str, is_min: bool) {
    let Some(n) = map.get(excl).and_then(Value::as_f64) else {
        return;
    };
    let Some(n_value) = map.remove(excl) else {
        return;
    };
    let inclusive_is_stricter = map
        .get(bound)
        .and_then(Value::as_f64)
        .is_some_and(|m| if is_min { m > n } else { m < n });
    if !inclusive_is_stricter {
        map.insert(bound.into(), n_value);
        map.insert(excl.into(), Value::Bool(true));
    }
}

fn convert_content(map: &mut Map<String, Value>, ptr: &str, ctx: &mut Ctx) {
    let mut format = None;
    match map.remove("contentEncoding") {
        Some(Value::String(e)) if e.eq_ignore_ascii_case("base64") => format = Some("byte"),
        Some(_) => ctx.note(
            child(ptr, "contentEncoding"),
            "dropped `contentEncoding`: only base64 maps to OpenAPI 3.0 (`format: byte`)",
        ),
        None => {}
    }
    if let Some(Value::String(media)) = map.remove("contentMediaType") {
        let json = media == "application/json" || media.ends_with("+json");
        if format.is_none() && !json && map.get("type") == Some(&json!("string")) {
            format = Some("binary");
        }
    }
    if let Some(f) = format {
        map.entry("format").or_insert_with(|| json!(f));
    }
}

/// Folds a union left with a single branch (after removing `null`) into its parent,
/// because generators turn a one-branch `anyOf` into a needless wrapper type.
fn collapse(map: &mut Map<String, Value>, ptr: &str, kw: &str) -> Res {
    let single = matches!(map.get(kw), Some(Value::Array(b)) if b.len() == 1);
    let others = COMPOSITION.iter().any(|c| *c != kw && map.contains_key(*c));
    if !single || others {
        return Ok(());
    }
    let Some(Value::Array(branches)) = map.remove(kw) else {
        return Ok(());
    };
    let Some(Value::Object(mut branch)) = branches.into_iter().next() else {
        return Ok(());
    };
    // The removed null branch admitted null whatever this branch's `enum` says;
    // once merged, `nullable: true` beside an `enum` only admits null if the
    // enum lists it (OpenAPI 3.0.3), so list it.
    if !map.contains_key("enum")
        && let Some(Value::Array(values)) = branch.get_mut("enum")
        && !values.contains(&Value::Null)
    {
        values.push(Value::Null);
    }
    if branch.len() == 1 && branch.contains_key("$ref") {
        map.insert("allOf".into(), json!([branch]));
        return Ok(());
    }
    let branch_ptr = child(&child(ptr, kw), "0");
    for (key, value) in branch {
        match map.get(&key) {
            Some(existing) if *existing != value => {
                return Err(err(
                    child(&branch_ptr, &key),
                    format!(
                        "cannot merge the only non-null `{kw}` branch into its parent: `{key}` differs; make the values agree or remove one"
                    ),
                ));
            }
            _ => {
                map.insert(key, value);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Asserts that each schema on the left converts to the one on the right.
    /// Brace-delimited so the JSON tables stay as written.
    macro_rules! converts {
        ($($input:tt => $want:tt;)*) => {$(
            assert_eq!(conv(json!($input)).unwrap(), json!($want), "input: {}", json!($input));
        )*};
    }

    fn doc(components: Value) -> Value {
        json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {}, "components": components})
    }

    fn conv(s: Value) -> Result<Value, NormalizeError> {
        // Moved in by index rather than `json!`, which would deep-copy recursively.
        let mut d = doc(json!({}));
        d["components"]["schemas"]["S"] = s;
        let out = normalize(d)?;
        Ok(out.document["components"]["schemas"]["S"].clone())
    }

    /// Returns the pointer of the error the schema must produce.
    fn conv_err(s: Value) -> String {
        conv(s).expect_err("conversion should fail").pointer
    }

    fn note_pointers(out: &Normalized) -> Vec<&str> {
        out.notes.iter().map(|n| n.pointer.as_str()).collect()
    }

    #[test]
    fn openapi_30_is_returned_unchanged() {
        let d = json!({"openapi": "3.0.1", "info": {}, "paths": {"/a": {"get": {"responses": {}}}},
            "components": {"schemas": {"S": {"type": ["string", "null"], "const": 1}}}});
        let out = normalize(d.clone()).unwrap();
        assert_eq!(out.document, d);
        assert!(out.notes.is_empty());
    }

    #[test]
    fn top_level_errors() {
        let pointer = |d: Value| normalize(d).unwrap_err().pointer;
        assert_eq!(pointer(json!([])), "");
        assert_eq!(pointer(json!({})), "/openapi");
        assert_eq!(pointer(json!({"openapi": 3.1})), "/openapi");
        let e = normalize(json!({"swagger": "2.0"})).unwrap_err();
        assert!(e.message.contains("Swagger 2.0") && e.message.contains("OpenAPI 3"));
        for v in ["4.0.0", "3.2.0"] {
            let e = normalize(json!({"openapi": v, "paths": {}})).unwrap_err();
            assert_eq!(e.pointer, "/openapi");
            assert!(e.message.contains(v) && e.message.contains("3.0.x"));
        }
        let e = normalize(json!({"openapi": "3.1.0", "info": {}})).unwrap_err();
        assert_eq!(e.pointer, "/paths");
        assert!(e.message.contains("nothing to generate"));
    }

    #[test]
    fn error_display() {
        assert_eq!(
            err("/a~1b", "bad; fix it").to_string(),
            "at /a~1b: bad; fix it"
        );
    }

    #[test]
    fn drops_31_only_top_level_fields() {
        let d = json!({"openapi": "3.1.1", "jsonSchemaDialect": "x", "webhooks": {"w": {}},
            "info": {"title": "t", "version": "1", "summary": "s", "license": {"name": "MIT", "identifier": "MIT"}},
            "paths": {}, "components": {"pathItems": {"P": {}}}});
        let out = normalize(d).unwrap();
        let want = json!({"openapi": "3.0.3", "info": {"title": "t", "version": "1", "license": {"name": "MIT"}},
            "paths": {}, "components": {}});
        assert_eq!(out.document, want);
        let mut pointers = note_pointers(&out);
        pointers.sort_unstable();
        let want = [
            "/components/pathItems",
            "/info/license/identifier",
            "/info/summary",
        ];
        assert_eq!(
            pointers,
            [&want[..], &["/jsonSchemaDialect", "/webhooks"]].concat()
        );
    }

    #[test]
    fn nullable_type_arrays() {
        converts! {
            {"type": ["string", "null"]} => {"type": "string", "nullable": true};
            {"type": ["null", "string"]} => {"type": "string", "nullable": true};
            {"type": ["integer"]} => {"type": "integer"};
        }
    }

    #[test]
    fn null_only_type_is_error() {
        for t in [json!("null"), json!(["null"])] {
            let s = json!({"properties": {"p": {"type": t}}});
            assert_eq!(conv_err(s), "/components/schemas/S/properties/p/type");
        }
    }

    #[test]
    fn multi_type_becomes_any_of() {
        converts! {
            {"type": ["string", "integer", "null"], "description": "d"}
                => {"anyOf": [{"type": "string"}, {"type": "integer"}], "nullable": true, "description": "d"};
            {"type": ["string", "integer"], "anyOf": [{"minimum": 1}, {"maxLength": 2}]}
                => {"anyOf": [{"minimum": 1}, {"maxLength": 2}],
                    "allOf": [{"anyOf": [{"type": "string"}, {"type": "integer"}]}]};
        }
    }

    #[test]
    fn nullable_ref_union_becomes_all_of() {
        converts! {
            {"anyOf": [{"$ref": "#/components/schemas/A"}, {"type": "null"}], "description": "d"}
                => {"allOf": [{"$ref": "#/components/schemas/A"}], "nullable": true, "description": "d"};
        }
    }

    #[test]
    fn nullable_inline_union_is_merged() {
        let nulls = [
            json!({"type": "null"}),
            json!({"type": ["null"]}),
            json!({"const": null}),
            json!({"enum": [null]}),
            json!({"type": "null", "description": "absent"}),
        ];
        let want = json!({"type": "string", "maxLength": 3, "nullable": true, "description": "d"});
        for branch in nulls {
            let s =
                json!({"oneOf": [branch, {"type": "string", "maxLength": 3}], "description": "d"});
            assert_eq!(conv(s).unwrap(), want);
        }
    }

    #[test]
    fn nullable_union_keeps_remaining_branches() {
        converts! {
            {"anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]}
                => {"anyOf": [{"type": "string"}, {"type": "integer"}], "nullable": true};
            {"oneOf": [{"type": "string"}, {"type": "null"}], "allOf": [{"minLength": 1}]}
                => {"oneOf": [{"type": "string"}], "allOf": [{"minLength": 1}], "nullable": true};
        }
    }

    #[test]
    fn nullable_union_errors() {
        let s = json!({"type": "integer", "anyOf": [{"type": "string"}, {"type": "null"}]});
        assert_eq!(conv_err(s), "/components/schemas/S/anyOf/0/type");
        let s = json!({"oneOf": [{"type": "null"}, {"const": null}]});
        assert_eq!(conv_err(s), "/components/schemas/S/oneOf");
    }

    #[test]
    fn one_of_admitting_null_twice_is_error() {
        // Found by the property test: null matching two `oneOf` branches is
        // invalid in 3.1, but `nullable: true` would accept it.
        for s in [
            json!({"oneOf": [{"type": "null"}, {"type": ["string", "null"]}]}),
            json!({"oneOf": [{"type": "null"}, {"const": null}, {"type": "string"}]}),
            json!({"oneOf": [{"type": "null"}, {"minimum": 1}]}),
        ] {
            assert_eq!(conv_err(s), "/components/schemas/S/oneOf");
        }
        converts! {
            {"anyOf": [{"type": "null"}, {"type": ["string", "null"]}]} => {"type": "string", "nullable": true};
        }
    }

    #[test]
    fn merged_enum_lists_null() {
        // Found by the property test: beside `enum`, 3.0's `nullable` only
        // admits null when the enum lists it.
        converts! {
            {"anyOf": [{"type": "null"}, {"const": "a"}]} => {"enum": ["a", null], "nullable": true};
            {"anyOf": [{"type": "null"}, {"type": "string", "enum": ["a"]}]}
                => {"type": "string", "enum": ["a", null], "nullable": true};
            {"type": ["string", "null"], "const": "a"} => {"type": "string", "enum": ["a"], "nullable": true};
        }
    }

    #[test]
    fn const_becomes_enum() {
        converts! {
            {"const": "a"} => {"enum": ["a"]};
            {"const": null} => {"enum": [null], "nullable": true};
            {"const": "a", "enum": ["a", "b"]} => {"enum": ["a"]};
        }
        let s = json!({"const": "c", "enum": ["a", "b"]});
        assert_eq!(conv_err(s), "/components/schemas/S/const");
    }

    #[test]
    fn schema_examples_become_example() {
        converts! {
            {"examples": [1, 2]} => {"example": 1};
            {"examples": []} => {};
        }
        // The media type's `examples` map is valid 3.0 and must survive.
        let media = json!({"schema": {"examples": ["a"]}, "examples": {"one": {"value": "a"}}});
        let d = doc(json!({"responses": {"R": {"content": {"application/json": media}}}}));
        let out = normalize(d).unwrap().document;
        assert_eq!(
            out["components"]["responses"]["R"]["content"]["application/json"],
            json!({"schema": {"example": "a"}, "examples": {"one": {"value": "a"}}})
        );
    }

    #[test]
    fn exclusive_bounds() {
        converts! {
            {"exclusiveMinimum": 0} => {"minimum": 0, "exclusiveMinimum": true};
            {"exclusiveMinimum": 0, "minimum": 5} => {"minimum": 5};
            {"exclusiveMinimum": 5, "minimum": 5} => {"minimum": 5, "exclusiveMinimum": true};
            {"exclusiveMaximum": 10, "maximum": 20} => {"maximum": 10, "exclusiveMaximum": true};
            {"exclusiveMaximum": 10, "maximum": 3} => {"maximum": 3};
            {"minimum": 1, "exclusiveMinimum": true} => {"minimum": 1, "exclusiveMinimum": true};
        }
    }

    #[test]
    fn schema_ref_siblings_are_wrapped() {
        converts! {
            {"$ref": "#/components/schemas/A"} => {"$ref": "#/components/schemas/A"};
            {"$ref": "#/components/schemas/A", "description": "d", "readOnly": true}
                => {"allOf": [{"$ref": "#/components/schemas/A"}], "description": "d", "readOnly": true};
            {"$ref": "#/components/schemas/A", "type": ["object", "null"]}
                => {"allOf": [{"$ref": "#/components/schemas/A"}], "type": "object", "nullable": true};
        }
    }

    #[test]
    fn reference_object_siblings_are_dropped() {
        let d = json!({"openapi": "3.1.0", "paths": {"/a": {"get": {
            "parameters": [{"$ref": "#/components/parameters/P", "description": "d"}],
            "responses": {"200": {"$ref": "#/components/responses/R", "summary": "s"}}}}}});
        let out = normalize(d).unwrap();
        let op = &out.document["paths"]["/a"]["get"];
        assert_eq!(
            op["parameters"][0],
            json!({"$ref": "#/components/parameters/P"})
        );
        assert_eq!(
            op["responses"]["200"],
            json!({"$ref": "#/components/responses/R"})
        );
        let want = [
            "/paths/~1a/get/parameters/0",
            "/paths/~1a/get/responses/200",
        ];
        assert_eq!(note_pointers(&out), want);
    }

    #[test]
    fn content_encoding_and_media_type() {
        converts! {
            {"type": "string", "contentEncoding": "base64"} => {"type": "string", "format": "byte"};
            {"type": "string", "contentMediaType": "application/octet-stream"}
                => {"type": "string", "format": "binary"};
            {"type": "string", "contentMediaType": "image/png", "contentEncoding": "base64"}
                => {"type": "string", "format": "byte"};
            {"type": "string", "contentMediaType": "application/json"} => {"type": "string"};
        }
    }

    #[test]
    fn schema_identifiers_are_dropped() {
        let s =
            json!({"$schema": "x", "$id": "y", "$comment": "c", "$anchor": "a", "type": "object"});
        let out = normalize(doc(json!({"schemas": {"S": s}}))).unwrap();
        assert_eq!(
            out.document["components"]["schemas"]["S"],
            json!({"type": "object"})
        );
        assert_eq!(note_pointers(&out), ["/components/schemas/S/$id"]);
    }

    #[test]
    fn unsupported_keywords_are_errors() {
        for kw in UNSUPPORTED {
            let e = conv(json!({"items": {kw: {}}})).unwrap_err();
            assert_eq!(e.pointer, format!("/components/schemas/S/items/{kw}"));
            let named = e.message.contains(&format!("`{kw}`"));
            assert!(named && e.message.contains("exclude this schema"), "{e}");
        }
    }

    #[test]
    fn boolean_schemas() {
        converts! {
            {"properties": {"a": true, "b": false}, "items": false}
                => {"properties": {"a": {}, "b": {"not": {}}}, "items": {"not": {}}};
        }
    }

    #[test]
    fn tuple_items_is_error() {
        let s = json!({"type": "array", "items": [{"type": "string"}]});
        assert_eq!(conv_err(s), "/components/schemas/S/items");
    }

    #[test]
    fn property_names_are_not_keywords() {
        converts! {
            {"type": "object", "properties": {"type": {"type": "string"}, "const": {"type": "integer"},
                "examples": {"type": "array"}, "x-name": {"type": ["string", "null"]}}}
                => {"type": "object", "properties": {"type": {"type": "string"}, "const": {"type": "integer"},
                    "examples": {"type": "array"}, "x-name": {"type": "string", "nullable": true}}};
        }
    }

    #[test]
    fn extensions_are_untouched() {
        converts! {
            {"type": "string", "x-meta": {"schema": {"type": ["string", "null"], "const": 1}}}
                => {"type": "string", "x-meta": {"schema": {"type": ["string", "null"], "const": 1}}};
        }
        let d = json!({"openapi": "3.1.0", "paths": {"x-ext": {"get": {"parameters": [{"schema": {"const": 1}}]}}}});
        let out = normalize(d).unwrap().document;
        assert_eq!(
            out["paths"]["x-ext"]["get"]["parameters"][0]["schema"]["const"],
            1
        );
    }

    #[test]
    fn every_schema_position_is_converted() {
        let s = || json!({"type": ["string", "null"]});
        let content = || json!({"application/json": {"schema": s()}});
        let d = json!({"openapi": "3.1.0",
            "paths": {"/p/{id}": {"parameters": [{"name": "id", "in": "path", "schema": s()}],
                "post": {"parameters": [{"name": "q", "in": "query", "content": content()}],
                    "requestBody": {"content": content()},
                    "responses": {"200": {"headers": {"H": {"schema": s()}}, "content": content()}},
                    "callbacks": {"cb": {"{$url}": {"put": {"requestBody": {"content": content()}}}}}}}},
            "components": {"parameters": {"P": {"schema": s()}}, "headers": {"H": {"schema": s()}},
                "requestBodies": {"B": {"content": content()}}, "responses": {"R": {"content": content()}}}});
        let out = normalize(d).unwrap().document;
        let (item, json) = (&out["paths"]["/p/{id}"], "application/json");
        let op = &item["post"];
        for got in [
            &item["parameters"][0]["schema"],
            &op["parameters"][0]["content"][json]["schema"],
            &op["requestBody"]["content"][json]["schema"],
            &op["responses"]["200"]["headers"]["H"]["schema"],
            &op["responses"]["200"]["content"][json]["schema"],
            &op["callbacks"]["cb"]["{$url}"]["put"]["requestBody"]["content"][json]["schema"],
            &out["components"]["parameters"]["P"]["schema"],
            &out["components"]["headers"]["H"]["schema"],
            &out["components"]["requestBodies"]["B"]["content"][json]["schema"],
            &out["components"]["responses"]["R"]["content"][json]["schema"],
        ] {
            assert_eq!(got, &json!({"type": "string", "nullable": true}));
        }
    }

    #[test]
    fn pointers_are_escaped() {
        let d = json!({"openapi": "3.1.0", "paths": {"/a~b/{id}": {"get": {"responses": {"200": {
            "content": {"application/json": {"schema": {"prefixItems": []}}}}}}}}});
        let want =
            "/paths/~1a~0b~1{id}/get/responses/200/content/application~1json/schema/prefixItems";
        assert_eq!(normalize(d).unwrap_err().pointer, want);
    }

    #[test]
    fn deep_nesting_is_an_error_not_an_overflow() {
        // Built by hand: `json!` would re-serialize (and so recurse into) `s`.
        // 10,000 levels would overflow a plain drop, so this also covers `dismantle`.
        let mut s = json!({"type": "string"});
        for _ in 0..10_000 {
            let props = Map::from_iter([("a".to_string(), s)]);
            s = Value::Object(Map::from_iter([(
                "properties".to_string(),
                Value::Object(props),
            )]));
        }
        let want = format!(
            "/components/schemas/S{}",
            "/properties/a".repeat(MAX_DEPTH + 1)
        );
        assert_eq!(conv_err(s), want);
    }

    #[test]
    fn gcore_like_document_only_changes_version() {
        let d = json!({
            "openapi": "3.1.0",
            "info": {"title": "t", "version": "1"},
            "servers": [{"url": "https://api.gcore.com"}],
            "security": [{"APIKey": []}],
            "paths": {"/iam/v2/clients/{clientId}/tokens/{tokenId}": {"delete": {
                "operationId": "iamDeleteApiTokenV2",
                "parameters": [{"$ref": "#/components/parameters/ClientID"}, {"$ref": "#/components/parameters/TokenID"}],
                "responses": {"204": {"description": "ok"}, "403": {"$ref": "#/components/responses/403"}},
                "x-codeSamples": [{"lang": "Python", "source": "x"}]}}},
            "components": {
                "parameters": {"ClientID": {"name": "clientId", "in": "path", "required": true,
                    "description": "Account ID.", "schema": {"type": "integer"}}},
                "responses": {"403": {"description": "no"}},
                "securitySchemes": {"APIKey": {"type": "apiKey", "in": "header", "name": "Authorization"}}}
        });
        let mut want = d.clone();
        want["openapi"] = json!("3.0.3");
        let out = normalize(d).unwrap();
        assert_eq!(out.document, want);
        assert!(out.notes.is_empty());
    }
}
