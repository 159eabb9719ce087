//! Salvage step: when progenitor still refuses a lowered document, find the
//! few pieces it refuses and set them aside, so that the rest generates.
//!
//! Runs only after a failed generation, so a document progenitor accepts pays
//! nothing for it. Two kinds of piece, tried in this order:
//!
//! - a **schema** typify cannot turn into a type becomes any JSON value
//!   (`{}`): references to it keep resolving, and the operations that use it
//!   keep their methods. Found schema by schema, in small documents of their
//!   own ([`untypable`](crate::untypable)), and narrowed to the property
//!   that is the cause;
//! - an **operation** progenitor still cannot generate is left out of the
//!   client, and listed with its reason in the report and the crate's README.
//!   Found by bisection over whole-document runs, assuming that setting more
//!   operations aside never makes a document fail: `O(k log n)` progenitor
//!   runs for `k` culprits among `n` operations.

use serde_json::Value;

use crate::generate::{self, METHODS, escape_pointer};

/// One piece set aside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetAside {
    /// `schema-untyped`, `schema-keywords-dropped`, `default-dropped` or
    /// `operation-skipped`.
    pub kind: &'static str,
    /// JSON pointer of the piece.
    pub pointer: String,
    /// `(operationId, "METHOD /path")`, for a skipped operation.
    pub operation: Option<(String, String)>,
    /// progenitor's reason.
    pub reason: String,
    /// What was done and progenitor's reason.
    pub message: String,
}

/// Most culprits looked for before giving up: a document with more than this
/// many pieces progenitor refuses needs a lowering, not a bisection.
const MAX_CULPRITS: usize = 64;

/// Sets aside what progenitor refuses in `doc`; empty when it refuses nothing
/// (or something no piece explains, which [`generate::generate`] then reports).
pub fn salvage(doc: &mut Value) -> Vec<SetAside> {
    let mut out = untype(doc);
    let mut failing = generate::refusal(doc);
    if failing.as_deref().is_some_and(refuses_a_default) {
        out.extend(drop_defaults(doc));
        failing = generate::refusal(doc);
    }
    if let Some(reason) = failing {
        out.extend(skip_operations(doc, Some(reason)));
    }
    out
}

/// Whether progenitor's refusal is typify's check of a `default` against
/// its schema.
pub fn refuses_a_default(reason: &str) -> bool {
    reason.contains("does not conform to the given schema")
}

/// Drops the schema `default`s typify refuses, found by bisection over every
/// default in the document: typify checks a default against the type it
/// makes, and some checks fail only in the whole document, which the
/// schema-by-schema search never builds (it stands `{}` in for what a schema
/// refers to). shipengine.com's `insured_value` has an array default for an
/// object it refers to through `allOf`; linqr.app's `VCardData.encoding`, a
/// one-value enum, fails beside the document's other `Encoding` types. Every
/// operation of both failed. A default costs nothing but itself: the field
/// stays optional either way.
pub fn drop_defaults(doc: &mut Value) -> Vec<SetAside> {
    drop_defaults_refused_by(doc, |trial| {
        generate::refusal(trial).is_some_and(|r| refuses_a_default(&r))
    })
}

/// [`drop_defaults`], with `refused` telling whether a trial document still
/// fails over a default.
fn drop_defaults_refused_by(doc: &mut Value, refused: impl Fn(&Value) -> bool) -> Vec<SetAside> {
    let mut candidates = Vec::new();
    for key in ["components", "paths"] {
        if let Some(part) = doc.get(key) {
            defaults(part, &format!("/{key}"), 0, &mut candidates);
        }
    }
    let passes = |aside: &[String]| {
        let mut trial = doc.clone();
        for pointer in aside {
            remove_default(&mut trial, pointer);
        }
        !refused(&trial)
    };
    if candidates.is_empty() || !passes(&candidates) {
        return Vec::new();
    }
    let mut aside: Vec<String> = Vec::new();
    while aside.len() < MAX_CULPRITS && !passes(&aside) {
        let rest: Vec<String> = candidates
            .iter()
            .filter(|c| !aside.contains(c))
            .cloned()
            .collect();
        let Some(culprit) = bisect(&rest, |prefix| {
            let mut trial = aside.clone();
            trial.extend_from_slice(prefix);
            passes(&trial)
        }) else {
            break;
        };
        aside.push(culprit);
    }
    if !passes(&aside) {
        // More culprits than the search looks for: all of them go.
        aside = candidates;
    }
    let mut out = Vec::new();
    for pointer in aside {
        remove_default(doc, &pointer);
        out.push(SetAside {
            kind: "default-dropped",
            message: "the `default` is dropped: the generator checks it against the type it makes of the schema, through its references, and refuses it".to_string(),
            reason: "value does not conform to the given schema".to_string(),
            pointer,
            operation: None,
        });
    }
    out
}

/// Deepest nesting searched for defaults; deeper ones stay.
const MAX_DEPTH: usize = 64;

/// The pointers of the `default`s of the schemas under `value`: a map with a
/// `default` and a keyword only a schema has. Examples are data, not schemas.
fn defaults(value: &Value, pointer: &str, depth: usize, out: &mut Vec<String>) {
    if depth > MAX_DEPTH {
        return;
    }
    match value {
        Value::Object(map) => {
            let schema = [
                "type",
                "$ref",
                "allOf",
                "anyOf",
                "oneOf",
                "enum",
                "properties",
                "items",
            ]
            .iter()
            .any(|k| map.contains_key(*k));
            if schema && map.contains_key("default") {
                out.push(format!("{pointer}/default"));
            }
            for (key, child) in map {
                if matches!(key.as_str(), "example" | "examples" | "default") {
                    continue;
                }
                defaults(
                    child,
                    &format!("{pointer}/{}", escape_pointer(key)),
                    depth + 1,
                    out,
                );
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                defaults(child, &format!("{pointer}/{i}"), depth + 1, out);
            }
        }
        _ => {}
    }
}

/// Removes the `default` a pointer from [`defaults`] names.
fn remove_default(doc: &mut Value, pointer: &str) {
    if let Some(map) = pointer
        .strip_suffix("/default")
        .and_then(|parent| doc.pointer_mut(parent))
        .and_then(Value::as_object_mut)
    {
        map.remove("default");
    }
}

/// The schemas typify refuses, each now any JSON value (see
/// [`untypable`](crate::untypable)); costs a few small progenitor runs per
/// hundred schemas, never a run over the whole document.
pub fn untype(doc: &mut Value) -> Vec<SetAside> {
    crate::untypable::untype(doc)
        .into_iter()
        .map(|u| SetAside {
            kind: if u.dropped.is_empty() {
                "schema-untyped"
            } else {
                "schema-keywords-dropped"
            },
            message: if u.dropped.is_empty() {
                format!(
                    "the generator cannot make a type of this schema ({}); it is any JSON value",
                    u.reason
                )
            } else {
                format!(
                    "the generator cannot make a type of this schema as written ({}); generated without {}, which the client does not check",
                    u.reason,
                    u.dropped
                        .iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            },
            pointer: u.pointer,
            operation: None,
            reason: u.reason,
        })
        .collect()
}

/// Leaves out the operations progenitor refuses in `doc`, one bisection over
/// the operations per culprit. `failing`: progenitor's reason, when the
/// caller has just seen `doc` fail (which saves a run over the whole
/// document).
pub fn skip_operations(doc: &mut Value, mut failing: Option<String>) -> Vec<SetAside> {
    let mut out = Vec::new();
    let mut skipped: Vec<(String, String)> = Vec::new();
    while skipped.len() < MAX_CULPRITS {
        let Some(reason) = failing.take().or_else(|| generate::refusal(doc)) else {
            break;
        };
        let operations: Vec<(String, String)> = generate::operations(doc)
            .into_iter()
            .map(|(path, method, _)| (path.to_string(), method.to_string()))
            .collect();
        let Some((path, method)) = bisect(&operations, |prefix| {
            let mut trial = doc.clone();
            remove_operations(&mut trial, prefix);
            generate::refusal(&trial).is_none()
        }) else {
            break;
        };
        // The document's first refusal may be another operation's: ask about
        // this one alone for its own reason.
        let reason = {
            let mut alone = doc.clone();
            let others: Vec<(String, String)> = operations
                .iter()
                .filter(|(p, m)| (p, m) != (&path, &method))
                .cloned()
                .collect();
            remove_operations(&mut alone, &others);
            generate::refusal(&alone).unwrap_or(reason)
        };
        let id = doc["paths"][&path][&method]["operationId"]
            .as_str()
            .unwrap_or("(no operationId)")
            .to_string();
        remove_operations(doc, std::slice::from_ref(&(path.clone(), method.clone())));
        let route = format!("{} {path}", method.to_ascii_uppercase());
        out.push(SetAside {
            kind: "operation-skipped",
            pointer: format!("/paths/{}/{method}", escape_pointer(&path)),
            message: format!("operation {id} ({route}) is left out of the client: {reason}"),
            operation: Some((id, route)),
            reason,
        });
        skipped.push((path, method));
    }
    out
}

/// The first item whose addition to the set-aside prefix makes `passes` true:
/// the smallest `k` with `passes(&items[..k])`, returning `items[k - 1]`.
fn bisect<T: Clone>(items: &[T], passes: impl Fn(&[T]) -> bool) -> Option<T> {
    if items.is_empty() || !passes(items) {
        return None;
    }
    let (mut low, mut high) = (0, items.len());
    // Invariant: passes(items[..high]); !passes(items[..low]) (for low = 0,
    // because the caller only bisects a document that fails).
    while high - low > 1 {
        let mid = low + (high - low) / 2;
        if passes(&items[..mid]) {
            high = mid;
        } else {
            low = mid;
        }
    }
    Some(items[high - 1].clone())
}

/// Removes operations, and path items left with none.
fn remove_operations(doc: &mut Value, operations: &[(String, String)]) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, method) in operations {
        if let Some(item) = paths.get_mut(path).and_then(Value::as_object_mut) {
            item.remove(method);
            if !METHODS.iter().any(|m| item.contains_key(*m)) {
                paths.remove(path);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_the_defaults_that_fail_are_dropped() {
        let mut doc = json!({
            "components": {"schemas": {
                "A": {"type": "object", "properties": {
                    "x": {"type": "string", "default": "a"},
                    "y": {"allOf": [{"$ref": "#/components/schemas/B"}], "default": [1]},
                    "z": {"type": "integer", "default": 3, "example": {"type": "string", "default": "data"}}
                }},
                "B": {"type": "object", "properties": {"n": {"type": "number", "default": 1}}}
            }},
            "paths": {"/p": {"get": {"parameters": [
                {"name": "q", "in": "query", "schema": {"type": "string", "enum": ["v"], "default": "v"}}
            ]}}}
        });
        let y = "/components/schemas/A/properties/y/default";
        let q = "/paths/~1p/get/parameters/0/schema/default";
        // The document fails while either of two defaults is there.
        let dropped = drop_defaults_refused_by(&mut doc, |d| {
            d.pointer(y).is_some() || d.pointer(q).is_some()
        });
        let mut pointers: Vec<&str> = dropped.iter().map(|d| d.pointer.as_str()).collect();
        pointers.sort_unstable();
        assert_eq!(pointers, [y, q]);
        assert!(dropped.iter().all(|d| d.kind == "default-dropped"));
        assert!(doc.pointer(y).is_none() && doc.pointer(q).is_none());
        // The others stay, and an example's data is not a schema.
        for kept in [
            "/components/schemas/A/properties/x/default",
            "/components/schemas/A/properties/z/default",
            "/components/schemas/A/properties/z/example/default",
            "/components/schemas/B/properties/n/default",
        ] {
            assert!(doc.pointer(kept).is_some(), "{kept}");
        }
    }

    #[test]
    fn defaults_are_left_alone_when_dropping_them_all_does_not_help() {
        let mut doc = json!({"components": {"schemas": {"A": {"type": "string", "default": "a"}}}});
        assert!(drop_defaults_refused_by(&mut doc, |_| true).is_empty());
        assert!(doc.pointer("/components/schemas/A/default").is_some());
    }

    #[test]
    fn bisect_finds_the_first_item_that_makes_it_pass() {
        let items: Vec<u32> = (0..100).collect();
        // Passes once item 37 is set aside.
        assert_eq!(bisect(&items, |p| p.contains(&37)), Some(37));
        assert_eq!(bisect(&items, |p| p.contains(&0)), Some(0));
        assert_eq!(bisect(&items, |p| p.contains(&99)), Some(99));
        assert_eq!(bisect(&items, |_| false), None);
    }

    #[test]
    fn an_operation_progenitor_refuses_is_left_out() {
        // A path parameter with a `content` schema of an unsupported style:
        // progenitor's `assert!` on path parameters that are not required.
        let mut doc = json!({
            "openapi": "3.0.3",
            "info": {"title": "t", "version": "1"},
            "paths": {
                "/ok": {"get": {"operationId": "ok", "responses": {"204": {"description": "ok"}}}},
                "/bad/{x}": {"get": {"operationId": "bad",
                    "parameters": [{"name": "x", "in": "path", "required": false, "schema": {"type": "string"}}],
                    "responses": {"204": {"description": "ok"}}}}
            }
        });
        let aside = salvage(&mut doc);
        assert_eq!(aside.len(), 1, "{aside:?}");
        assert_eq!(aside[0].kind, "operation-skipped");
        assert_eq!(
            aside[0].operation,
            Some(("bad".to_string(), "GET /bad/{x}".to_string()))
        );
        assert!(doc["paths"].get("/bad/{x}").is_none());
        assert!(doc["paths"].get("/ok").is_some());
        assert!(generate::refusal(&doc).is_none());
    }

    #[test]
    fn each_left_out_operation_gets_its_own_reason() {
        let mut doc = json!({
            "openapi": "3.0.3",
            "info": {"title": "t", "version": "1"},
            "paths": {
                "/a/{x}": {"get": {"operationId": "a",
                    "parameters": [{"name": "x", "in": "path", "required": false, "schema": {"type": "string"}}],
                    "responses": {"204": {"description": "ok"}}}},
                "/b": {"get": {"operationId": "b",
                    "parameters": [{"name": "s", "in": "query", "style": "spaceDelimited",
                        "schema": {"type": "array", "items": {"type": "string"}}}],
                    "responses": {"204": {"description": "ok"}}}}
            }
        });
        let aside = salvage(&mut doc);
        assert_eq!(aside.len(), 2, "{aside:?}");
        assert_ne!(aside[0].reason, aside[1].reason, "{aside:?}");
    }
}
