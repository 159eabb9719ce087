//! Flatten step: `allOf`s whose branches define the same property, merged by
//! the generator instead of by typify.
//!
//! Cloudflare writes every response as `allOf: [envelope, {properties:
//! {result: X}}]`, where the envelope already says `result: anyOf: [object,
//! string]`, and its `X`s are themselves unions of `allOf`s. typify intersects
//! the two definitions of `result`, and intersecting unions of unions grows
//! combinatorially: one such operation exhausted 24 GiB. What the vendor means
//! is inheritance: the later, specific definition replaces the generic one.
//! So an `allOf` whose branches are all plain objects (properties, required,
//! nested `allOf`s of the same) and that defines a property more than once
//! becomes one object, later definitions winning, with a note when they
//! differed. Every other `allOf` is left to typify.

use serde_json::{Map, Value, json};

use crate::generate::escape_pointer;
use crate::lower::{Lowered, Lowering};

/// Deepest `$ref`/`allOf` nesting followed while merging.
const MAX_DEPTH: usize = 16;

/// An object schema's properties and required names, merged in order.
#[derive(Default)]
struct Object {
    properties: Map<String, Value>,
    required: Vec<String>,
    /// A property defined by more than one branch.
    repeated: bool,
    /// Names whose definitions differed.
    overridden: Vec<String>,
}

impl Object {
    fn absorb(&mut self, other: Object) {
        for (name, schema) in other.properties {
            if let Some(previous) = self.properties.get(&name) {
                self.repeated = true;
                if *previous != schema && !self.overridden.contains(&name) {
                    self.overridden.push(name.clone());
                }
            }
            self.properties.insert(name, schema);
        }
        for name in other.required {
            if !self.required.contains(&name) {
                self.required.push(name);
            }
        }
        self.repeated |= other.repeated;
        for name in other.overridden {
            if !self.overridden.contains(&name) {
                self.overridden.push(name);
            }
        }
    }
}

/// The object `schema` describes, when it is a plain object (no union, no
/// other type); `None` otherwise.
fn object(components: &Value, schema: &Value, depth: usize) -> Option<Object> {
    if depth > MAX_DEPTH {
        return None;
    }
    let map = schema.as_object()?;
    if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
        let target =
            components.pointer(&format!("/{}", reference.strip_prefix("#/components/")?))?;
        return object(components, target, depth + 1);
    }
    for union in [
        "anyOf",
        "oneOf",
        "not",
        "additionalProperties",
        "discriminator",
    ] {
        if map.contains_key(union) {
            return None;
        }
    }
    if map.get("type").is_some_and(|t| t != "object") {
        return None;
    }
    let mut out = Object::default();
    if let Some(Value::Array(branches)) = map.get("allOf") {
        for branch in branches {
            out.absorb(object(components, branch, depth + 1)?);
        }
    }
    let own = Object {
        properties: map
            .get("properties")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default(),
        required: map
            .get("required")
            .and_then(Value::as_array)
            .map(|r| {
                r.iter()
                    .filter_map(Value::as_str)
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default(),
        ..Object::default()
    };
    out.absorb(own);
    Some(out)
}

/// The flat object replacing `schema`'s `allOf`, if it needs one.
fn flattened(components: &Value, schema: &Value) -> Option<(Value, Vec<String>)> {
    let map = schema.as_object()?;
    map.get("allOf")?;
    let merged = object(components, schema, 0)?;
    if !merged.repeated {
        return None;
    }
    let mut flat = Map::new();
    for keep in [
        "title",
        "description",
        "nullable",
        "readOnly",
        "writeOnly",
        "deprecated",
        "example",
    ] {
        if let Some(v) = map.get(keep) {
            flat.insert(keep.into(), v.clone());
        }
    }
    flat.insert("type".into(), json!("object"));
    flat.insert("properties".into(), Value::Object(merged.properties));
    if !merged.required.is_empty() {
        flat.insert("required".into(), json!(merged.required));
    }
    Some((Value::Object(flat), merged.overridden))
}

/// Flattens every such `allOf`: component schemas first (later ones see the
/// earlier results), then the rest of the document.
pub fn flatten(doc: &mut Value, out: &mut Lowered) {
    let mut components = doc.get("components").cloned().unwrap_or(Value::Null);
    let names: Vec<String> = components
        .pointer("/schemas")
        .and_then(Value::as_object)
        .map(|s| s.keys().cloned().collect())
        .unwrap_or_default();
    for name in names {
        let at = format!("/components/schemas/{}", escape_pointer(&name));
        let Some(mut schema) = components
            .pointer(&format!("/schemas/{}", escape_pointer(&name)))
            .cloned()
        else {
            continue;
        };
        if walk(&components, &mut schema, &at, out) {
            if let Some(slot) =
                components.pointer_mut(&format!("/schemas/{}", escape_pointer(&name)))
            {
                *slot = schema.clone();
            }
            if let Some(slot) = doc.pointer_mut(&at) {
                *slot = schema;
            }
        }
    }
    if let Some(paths) = doc.get_mut("paths") {
        walk(&components, paths, "/paths", out);
    }
    for kind in ["responses", "requestBodies", "parameters"] {
        if let Some(section) = doc.pointer_mut(&format!("/components/{kind}")) {
            walk(&components, section, &format!("/components/{kind}"), out);
        }
    }
}

/// Flattens within `value`, innermost first; whether anything changed.
fn walk(components: &Value, value: &mut Value, at: &str, out: &mut Lowered) -> bool {
    // Recursion is bounded: the loader caps nesting depth.
    let mut changed = false;
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                if key == "example" || key == "examples" || key.starts_with("x-") {
                    continue;
                }
                if child.is_object() || child.is_array() {
                    changed |= walk(
                        components,
                        child,
                        &format!("{at}/{}", escape_pointer(key)),
                        out,
                    );
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter_mut().enumerate() {
                changed |= walk(components, child, &format!("{at}/{i}"), out);
            }
        }
        _ => return false,
    }
    if let Some((flat, overridden)) = flattened(components, value) {
        *value = flat;
        changed = true;
        if !overridden.is_empty() {
            out.notes.push(Lowering {
                kind: "allof-flattened",
                pointer: format!("{at}/allOf"),
                message: format!(
                    "the `allOf` branches define {} more than once; generated as one object in which the later definition wins",
                    overridden.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
                ),
            });
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_redefined_property_is_inherited_not_intersected() {
        let mut doc = json!({
            "components": {"schemas": {
                "Envelope": {"type": "object", "required": ["success"], "properties": {
                    "success": {"type": "boolean"},
                    "result": {"anyOf": [{"type": "object"}, {"type": "string"}]}}},
                "Single": {"allOf": [{"$ref": "#/components/schemas/Envelope"},
                    {"properties": {"result": {"$ref": "#/components/schemas/Thing"}}}]},
                "Thing": {"type": "object"},
                "Plain": {"allOf": [{"$ref": "#/components/schemas/Thing"}, {"properties": {"a": {"type": "string"}}}]}}},
            "paths": {}});
        let mut out = Lowered::default();
        flatten(&mut doc, &mut out);
        assert_eq!(
            doc["components"]["schemas"]["Single"],
            json!({"type": "object", "required": ["success"], "properties": {
                "success": {"type": "boolean"},
                "result": {"$ref": "#/components/schemas/Thing"}}})
        );
        // No property defined twice: left to typify.
        assert!(doc["components"]["schemas"]["Plain"].get("allOf").is_some());
        assert_eq!(out.notes.len(), 1);
        assert_eq!(out.notes[0].pointer, "/components/schemas/Single/allOf");
    }
}
