//! Normalize step of the xtask pipeline: load → normalize → generate → format → write.
//!
//! Provider specs are increasingly published as OpenAPI 3.1, but the generator
//! (`progenitor` via `openapiv3`) only understands OpenAPI 3.0.x. This module
//! rewrites a 3.1 document, already parsed into a [`serde_json::Value`], into the
//! 3.0.3 dialect.
//!
//! The rule: a valid document is never refused. What OpenAPI 3.0 (or the
//! generator) cannot express is *lowered* into the closest thing it can, and
//! every lossy step is reported as a [`Note`] pointing into the input. Only
//! broken or hostile input is an error: not OpenAPI 3.x, nesting beyond
//! the depth limit (`MAX_DEPTH`), a schema that is neither an object nor a boolean.
//!
//! A 3.0.x document is not converted, only *repaired*: small vendor defects
//! that would make the whole document unparsable for `openapiv3` (see
//! `repair`) are fixed, each with a note. A 3.0 document without them comes
//! back byte-identical, so specs that already work keep generating exactly the
//! same code.
//!
//! The walk is structural: only values that sit in a schema position (as defined
//! by the OpenAPI object model) are treated as schemas, so a property that is
//! merely *named* `type` or `const` is never rewritten. `$ref`s are not resolved,
//! which keeps the walk free of cycles; nesting depth is still capped so hostile
//! input cannot overflow the stack.
//!
//! Modules: `schema` converts one schema to 3.0 (types, `const`, unions),
//! `null` turns 3.1's null into `nullable`, `keywords` lowers the JSON Schema
//! 2020-12 keywords 3.0 lacks, `defs` hoists `$defs` into `components/schemas`,
//! `repair` fixes vendor defects in either version, `examples` drops examples
//! of the wrong shape.

use serde_json::{Map, Value, json};
use std::fmt;

/// Asserts that each schema on the left converts to the one on the right.
/// Brace-delimited so the JSON tables stay as written. Defined before the
/// submodules so that their tests can use it.
#[cfg(test)]
macro_rules! converts {
    ($($input:tt => $want:tt;)*) => {$(
        assert_eq!(
            $crate::normalize::testing::conv(serde_json::json!($input)).unwrap(),
            serde_json::json!($want),
            "input: {}",
            serde_json::json!($input)
        );
    )*};
}

mod defs;
mod examples;
mod keywords;
mod null;
mod repair;
mod schema;
mod shapes;

/// Deepest nesting accepted before giving up; deep enough for any real spec,
/// shallow enough that recursion cannot exhaust a thread's stack.
const MAX_DEPTH: usize = 256;

/// Result of normalizing: the 3.0 document plus human-readable notes about lossy steps.
#[derive(Debug, Clone, PartialEq)]
pub struct Normalized {
    /// The document in the OpenAPI 3.0.3 dialect (or the input, repaired, if it was 3.0.x).
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

/// A total order on JSON values that agrees with `==`, so that duplicates
/// are found by sorting (`uniqueItems`, an `enum` checked against many
/// values) rather than by comparing every pair.
fn cmp_values(a: &Value, b: &Value) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let rank = |v: &Value| match v {
        Value::Null => 0,
        Value::Bool(_) => 1,
        Value::Number(_) => 2,
        Value::String(_) => 3,
        Value::Array(_) => 4,
        Value::Object(_) => 5,
    };
    match (a, b) {
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Number(x), Value::Number(y)) => {
            // `==` tells the stored kinds apart (`1` is not `1.0`), so the
            // order does too: kind first, then value.
            let kind = |n: &serde_json::Number| {
                if n.is_f64() {
                    2
                } else if n.is_u64() {
                    1
                } else {
                    0
                }
            };
            kind(x).cmp(&kind(y)).then_with(|| match kind(x) {
                0 => x.as_i64().cmp(&y.as_i64()),
                1 => x.as_u64().cmp(&y.as_u64()),
                // Never NaN; `-0.0 == 0.0` is `Equal` here too.
                _ => x
                    .as_f64()
                    .partial_cmp(&y.as_f64())
                    .unwrap_or(Ordering::Equal),
            })
        }
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Array(x), Value::Array(y)) => x
            .iter()
            .zip(y)
            .map(|(a, b)| cmp_values(a, b))
            .find(|o| o.is_ne())
            .unwrap_or_else(|| x.len().cmp(&y.len())),
        // Keys iterate in order (serde_json without `preserve_order`), so
        // entry by entry is a total order.
        (Value::Object(x), Value::Object(y)) => x
            .iter()
            .zip(y)
            .map(|((ka, va), (kb, vb))| ka.cmp(kb).then_with(|| cmp_values(va, vb)))
            .find(|o| o.is_ne())
            .unwrap_or_else(|| x.len().cmp(&y.len())),
        _ => rank(a).cmp(&rank(b)),
    }
}

#[derive(Default)]
struct Ctx {
    notes: Vec<Note>,
    /// Set for 3.1 documents (convert to 3.0); unset for 3.0 ones (repair only).
    convert: bool,
    /// Input pointer of the schema resource being walked (the outermost schema
    /// or the nearest one with `$id`): `#/$defs/...` refs resolve against it.
    resource: String,
    /// `$defs` and anchors met so far, placed once the walk is done.
    defs: defs::Defs,
    /// References whose target admits `null` (see [`null::nullable_refs`]).
    nullable_refs: std::collections::BTreeSet<String>,
}

impl Ctx {
    fn note(&mut self, pointer: impl Into<String>, message: impl Into<String>) {
        self.notes.push(Note {
            pointer: pointer.into(),
            message: message.into(),
        });
    }
}

/// Converts an OpenAPI 3.1 document to OpenAPI 3.0.3; 3.0.x documents are only
/// repaired (see the module documentation).
///
/// # Errors
///
/// Returns a [`NormalizeError`] when the document is not OpenAPI 3.0/3.1 at all,
/// has nothing to generate, or is broken or hostile (a schema that is not a
/// schema, nesting beyond the depth limit). Valid constructs are never an error.
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
    let mut ctx = Ctx::default();
    let result = if version.starts_with("3.0.") {
        repair_30(&mut root, &mut ctx)
    } else if version.starts_with("3.1.") {
        ctx.convert = true;
        convert(&mut root, &mut ctx)
    } else {
        return Err(err(
            "/openapi",
            format!(
                "OpenAPI version `{version}` is not supported; supported versions are 3.0.x and 3.1.x"
            ),
        ));
    };
    match result {
        Ok(()) => Ok(Normalized {
            document: Value::Object(root),
            notes: ctx.notes,
        }),
        Err(e) => {
            dismantle(Value::Object(root));
            dismantle(ctx.defs.into_value());
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

/// A 3.0 document: the same structural walk, applying only [`repair`]s. Unlike
/// [`convert`], nothing here is an error except hostile nesting: whatever else is
/// wrong is left for the generator to report, as before.
fn repair_30(root: &mut Map<String, Value>, ctx: &mut Ctx) -> Res {
    if let Some(Value::Object(paths)) = root.get_mut("paths") {
        each_entry(paths, "/paths", 0, ctx, path_item, true)?;
    }
    if let Some(Value::Object(components)) = root.get_mut("components") {
        walk_components(components, ctx)?;
    }
    Ok(())
}

fn convert(root: &mut Map<String, Value>, ctx: &mut Ctx) -> Res {
    root.insert("openapi".into(), json!("3.0.3"));
    ctx.nullable_refs = null::nullable_refs(root);
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
    defs::place(root, ctx);
    Ok(())
}

fn walk_components(c: &mut Map<String, Value>, ctx: &mut Ctx) -> Res {
    if ctx.convert && c.remove("pathItems").is_some() {
        ctx.note(
            "/components/pathItems",
            "dropped `components.pathItems`: new in OpenAPI 3.1; inline the path items under `paths`",
        );
    }
    let sections: [(&str, Walker); 6] = [
        ("schemas", root_schema),
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
    if let Some(Value::Object(schemes)) = c.get_mut("securitySchemes") {
        repair::security_schemes(schemes, ctx);
    }
    if let Some(Value::Object(examples)) = c.get_mut("examples") {
        examples::entries(examples, "/components/examples", ctx);
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

/// Whether the object is a Reference Object. 3.1 allows `description`/`summary`
/// next to its `$ref`; 3.0 does not, so when converting they are dropped.
fn strip_ref_siblings(map: &mut Map<String, Value>, ptr: &str, ctx: &mut Ctx) -> bool {
    if !map.contains_key("$ref") {
        return false;
    }
    if ctx.convert && map.len() > 1 {
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
const PARAMETER_CHILDREN: &[(&str, Walker)] = &[("schema", root_schema), ("content", media_type)];
const RESPONSE_CHILDREN: &[(&str, Walker)] = &[("headers", parameter), ("content", media_type)];
const MEDIA_TYPE_CHILDREN: &[(&str, Walker)] = &[("schema", root_schema), ("encoding", encoding)];

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
    examples::of_object(v, ptr, ctx);
    walk(v, ptr, depth, ctx, true, PARAMETER_CHILDREN)
}

fn request_body(v: &mut Value, ptr: &str, depth: usize, ctx: &mut Ctx) -> Res {
    walk(v, ptr, depth, ctx, true, &[("content", media_type)])
}

fn response(v: &mut Value, ptr: &str, depth: usize, ctx: &mut Ctx) -> Res {
    walk(v, ptr, depth, ctx, true, RESPONSE_CHILDREN)
}

fn media_type(v: &mut Value, ptr: &str, depth: usize, ctx: &mut Ctx) -> Res {
    examples::of_object(v, ptr, ctx);
    walk(v, ptr, depth, ctx, false, MEDIA_TYPE_CHILDREN)
}

fn encoding(v: &mut Value, ptr: &str, depth: usize, ctx: &mut Ctx) -> Res {
    walk(v, ptr, depth, ctx, false, &[("headers", parameter)])
}

/// A schema where the OpenAPI object model (not another schema) holds it: the
/// root of a schema resource, against which its `#/$defs/...` refs resolve.
fn root_schema(v: &mut Value, ptr: &str, depth: usize, ctx: &mut Ctx) -> Res {
    ctx.resource = ptr.to_string();
    schema::schema(v, ptr, depth, ctx)
}

/// Shared by the submodules' tests.
#[cfg(test)]
mod testing {
    use super::*;

    pub(super) fn doc(components: Value) -> Value {
        json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {}, "components": components})
    }

    /// The schema converted as `components/schemas/S`, with its notes.
    pub(super) fn conv_notes(s: Value) -> Result<(Value, Vec<Note>), NormalizeError> {
        // Moved in by index rather than `json!`, which would deep-copy recursively.
        let mut d = doc(json!({}));
        d["components"]["schemas"]["S"] = s;
        let out = normalize(d)?;
        Ok((
            out.document["components"]["schemas"]["S"].clone(),
            out.notes,
        ))
    }

    pub(super) fn conv(s: Value) -> Result<Value, NormalizeError> {
        conv_notes(s).map(|(s, _)| s)
    }

    /// Returns the pointer of the error the schema must produce.
    pub(super) fn conv_err(s: Value) -> String {
        conv(s).expect_err("conversion should fail").pointer
    }

    /// The pointers of the notes the schema produces, relative to `S`.
    pub(super) fn note_at(s: Value) -> Vec<String> {
        let (_, notes) = conv_notes(s).unwrap();
        let strip = |n: &Note| n.pointer.replacen("/components/schemas/S", "", 1);
        notes.iter().map(strip).collect()
    }

    pub(super) fn note_pointers(out: &Normalized) -> Vec<&str> {
        out.notes.iter().map(|n| n.pointer.as_str()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;

    #[test]
    fn openapi_30_without_defects_is_returned_unchanged() {
        let d = json!({"openapi": "3.0.1", "info": {}, "paths": {"/a": {"get": {"responses": {}}}},
            "components": {"schemas": {"S": {"type": ["string", "null"], "const": 1,
                "patternProperties": {"a": {}}, "items": [true], "minimum": 1.5}}}});
        let out = normalize(d.clone()).unwrap();
        assert_eq!(out.document, d);
        assert!(out.notes.is_empty());
    }

    #[test]
    fn openapi_30_is_repaired_not_converted() {
        let d = json!({"openapi": "3.0.3", "paths": {"/a": {"get": {"parameters": [
                {"name": "n", "in": "query", "schema": {"type": "integer", "minimum": "1s", "const": 2}}]}}},
            "components": {"securitySchemes": {"K": {"type": "APIKey", "in": "header", "name": "A"}}}});
        let out = normalize(d).unwrap();
        let param = &out.document["paths"]["/a"]["get"]["parameters"][0]["schema"];
        assert_eq!(param, &json!({"type": "integer", "const": 2}));
        let scheme = &out.document["components"]["securitySchemes"]["K"];
        assert_eq!(scheme["type"], "apiKey");
        let want = [
            "/paths/~1a/get/parameters/0/schema/minimum",
            "/components/securitySchemes/K/type",
        ];
        assert_eq!(note_pointers(&out), want);
        // No `paths` is the generator's to report for 3.0, as before.
        assert!(normalize(json!({"openapi": "3.0.0"})).is_ok());
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
    fn the_order_of_values_agrees_with_equality() {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|i| json!(i)),
            (-3i64..3).prop_map(|i| json!(i as f64)),
            Just(json!(-0.0)),
            "[ab]{0,2}".prop_map(Value::String),
        ];
        let value = leaf.prop_recursive(3, 16, 3, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
                prop::collection::btree_map("[ab]", inner, 0..3)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        });
        proptest!(|(a in value.clone(), b in value.clone(), c in value)| {
            let ab = cmp_values(&a, &b);
            prop_assert_eq!(ab.is_eq(), a == b);
            prop_assert_eq!(ab.reverse(), cmp_values(&b, &a));
            if ab.is_le() && cmp_values(&b, &c).is_le() {
                prop_assert!(cmp_values(&a, &c).is_le());
            }
        });
        assert!(cmp_values(&json!(1), &json!(1.0)).is_ne());
        assert!(cmp_values(&json!(0.0), &json!(-0.0)).is_eq());
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
            "content": {"application/json": {"schema": {"items": {"items": 3}}}}}}}}}});
        let want =
            "/paths/~1a~0b~1{id}/get/responses/200/content/application~1json/schema/items/items";
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
