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
//!
//! Merging follows `$ref`s, and a schema may be reached many times over
//! (`allOf: [A, A, A]`, with `A` the same, several levels deep, is 3ⁿ paths):
//! each reference is merged once and remembered, so the work is proportional
//! to the document. Component schemas are flattened in dependency order, each
//! after the schemas it refers to, so that a reference sees the flattened
//! schema it will point at in the output.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::rc::Rc;

use serde_json::{Map, Value, json};

use crate::generate::escape_pointer;
use crate::lower::{Copies, Lowered, Lowering};

/// Deepest `$ref`/`allOf` nesting followed while merging.
const MAX_DEPTH: usize = 16;

/// Keys whose values are data, not schemas.
fn holds_data(key: &str) -> bool {
    key == "example" || key == "examples" || key.starts_with("x-")
}

/// An object schema's properties and required names, merged in order.
#[derive(Default, Clone)]
struct Object {
    properties: Map<String, Value>,
    required: Vec<String>,
    /// A property defined by more than one branch.
    repeated: bool,
    /// Names whose definitions differed, in the order found.
    overridden: Vec<String>,
}

impl Object {
    /// Adds `other`'s definitions after this one's; sets make it linear in
    /// the names, which a hostile document may have by the thousand.
    fn absorb(&mut self, other: &Object, seen: &mut Seen) {
        for (name, schema) in &other.properties {
            if let Some(previous) = self.properties.get(name) {
                self.repeated = true;
                if previous != schema && seen.overridden.insert(name.clone()) {
                    self.overridden.push(name.clone());
                }
            }
            self.properties.insert(name.clone(), schema.clone());
        }
        for name in &other.required {
            if seen.required.insert(name.clone()) {
                self.required.push(name.clone());
            }
        }
        self.repeated |= other.repeated;
        for name in &other.overridden {
            if seen.overridden.insert(name.clone()) {
                self.overridden.push(name.clone());
            }
        }
    }
}

/// The names already in an [`Object`]'s lists, while it is being built.
#[derive(Default)]
struct Seen {
    required: BTreeSet<String>,
    overridden: BTreeSet<String>,
}

/// A merged object and how many `$ref`/`allOf` levels it took, shared by
/// every place that refers to it.
type Merged = Option<(Rc<Object>, usize)>;

enum Memo {
    /// Being merged: meeting it again is a cycle, never a plain object.
    Busy,
    Done(Merged),
}

/// Merges schemas, remembering each reference's result.
#[derive(Default)]
struct Merger {
    memo: BTreeMap<String, Memo>,
    /// Reference → the remembered references whose merge followed it, to
    /// forget when its target changes.
    dependents: HashMap<String, Vec<String>>,
    /// The properties merged are copies: counted with lowering's others.
    copies: Copies,
    /// Where the `allOf` being merged stands, for the count.
    at: String,
}

impl Merger {
    /// The object `schema` describes, when it is a plain object (no union, no
    /// other type), with the depth of `$ref`s and `allOf`s below it; `None`
    /// otherwise, or when that depth exceeds [`MAX_DEPTH`]. `followed`
    /// collects the references it followed.
    fn object(&mut self, components: &Value, schema: &Value, followed: &mut Vec<String>) -> Merged {
        let map = schema.as_object()?;
        if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
            followed.push(reference.to_string());
            let (object, height) = self.target(components, reference)?;
            return (height < MAX_DEPTH).then_some((object, height + 1));
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
        let mut seen = Seen::default();
        let mut height = 0;
        if let Some(Value::Array(branches)) = map.get("allOf") {
            for branch in branches {
                let (object, below) = self.object(components, branch, followed)?;
                if below >= MAX_DEPTH {
                    return None;
                }
                height = height.max(below + 1);
                if !self.copies.allow(object.properties.values(), &self.at) {
                    return None;
                }
                out.absorb(&object, &mut seen);
            }
        }
        let properties = map.get("properties").and_then(Value::as_object);
        if !self
            .copies
            .allow(properties.into_iter().flatten().map(|(_, v)| v), &self.at)
        {
            return None;
        }
        let own = Object {
            properties: properties.cloned().unwrap_or_default(),
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
        out.absorb(&own, &mut seen);
        Some((Rc::new(out), height))
    }

    /// [`Merger::object`] of what `reference` points at, merged once.
    fn target(&mut self, components: &Value, reference: &str) -> Merged {
        match self.memo.get(reference) {
            Some(Memo::Busy) => return None,
            Some(Memo::Done(merged)) => return merged.clone(),
            None => {}
        }
        self.memo.insert(reference.to_string(), Memo::Busy);
        let mut followed = Vec::new();
        let merged = reference
            .strip_prefix("#/components/")
            .and_then(|rest| components.pointer(&format!("/{rest}")))
            .and_then(|target| self.object(components, target, &mut followed));
        for dependency in followed {
            self.dependents
                .entry(dependency)
                .or_default()
                .push(reference.to_string());
        }
        self.memo
            .insert(reference.to_string(), Memo::Done(merged.clone()));
        merged
    }

    /// Forgets what was merged from the component schema `name` (now
    /// replaced), and from everything that followed a reference to it.
    fn changed(&mut self, name: &str) {
        let reference = format!("#/components/schemas/{}", escape_pointer(name));
        let within = format!("{reference}/");
        let mut stale: Vec<String> = self
            .memo
            .range(reference.clone()..)
            .map(|(key, _)| key)
            .take_while(|key| **key == reference || key.starts_with(&within))
            .cloned()
            .collect();
        stale.push(reference);
        while let Some(key) = stale.pop() {
            self.memo.remove(&key);
            if let Some(dependents) = self.dependents.remove(&key) {
                stale.extend(dependents);
            }
        }
    }

    /// The flat object replacing `schema`'s `allOf`, if it needs one.
    fn flattened(
        &mut self,
        components: &Value,
        schema: &Value,
        at: &str,
    ) -> Option<(Value, Vec<String>)> {
        let map = schema.as_object()?;
        map.get("allOf")?;
        at.clone_into(&mut self.at);
        let (merged, _) = self.object(components, schema, &mut Vec::new())?;
        if !merged.repeated {
            return None;
        }
        let merged = Rc::unwrap_or_clone(merged);
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

    /// Flattens within `value`, innermost first; whether anything changed.
    fn walk(&mut self, components: &Value, value: &mut Value, at: &str, out: &mut Lowered) -> bool {
        // Recursion is bounded: the loader caps nesting depth.
        let mut changed = false;
        match value {
            Value::Object(map) => {
                for (key, child) in map.iter_mut() {
                    if holds_data(key) {
                        continue;
                    }
                    if child.is_object() || child.is_array() {
                        changed |= self.walk(
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
                    changed |= self.walk(components, child, &format!("{at}/{i}"), out);
                }
            }
            _ => return false,
        }
        if let Some((flat, overridden)) = self.flattened(components, value, at) {
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
}

/// The component schemas in dependency order: each after the ones it refers
/// to (a cycle is entered at its first name), ties in name order.
fn dependency_order(schemas: &Map<String, Value>) -> Vec<String> {
    let refers_to = |schema: &Value| {
        let mut names = BTreeSet::new();
        let mut stack = vec![schema];
        while let Some(value) = stack.pop() {
            match value {
                Value::Object(map) => {
                    for (key, child) in map {
                        match child {
                            Value::String(r) if key == "$ref" => {
                                if let Some(name) = r
                                    .strip_prefix("#/components/schemas/")
                                    .map(|rest| rest.split('/').next().unwrap_or_default())
                                {
                                    names.insert(name.replace("~1", "/").replace("~0", "~"));
                                }
                            }
                            _ if holds_data(key) => {}
                            Value::Object(_) | Value::Array(_) => stack.push(child),
                            _ => {}
                        }
                    }
                }
                Value::Array(items) => stack.extend(items),
                _ => {}
            }
        }
        names
    };
    let mut order = Vec::with_capacity(schemas.len());
    let mut visited = BTreeSet::new();
    for root in schemas.keys() {
        if !visited.insert(root.as_str()) {
            continue;
        }
        // Iterative depth-first search: a chain of references may be long.
        let mut stack: Vec<(&str, std::vec::IntoIter<String>)> = vec![(
            root.as_str(),
            refers_to(&schemas[root])
                .into_iter()
                .collect::<Vec<_>>()
                .into_iter(),
        )];
        while let Some((name, next)) = stack.last_mut() {
            match next.next() {
                Some(child) => {
                    if let Some((key, schema)) = schemas.get_key_value(&child)
                        && visited.insert(key.as_str())
                    {
                        let children: Vec<String> = refers_to(schema).into_iter().collect();
                        stack.push((key.as_str(), children.into_iter()));
                    }
                }
                None => {
                    order.push(name.to_string());
                    stack.pop();
                }
            }
        }
    }
    order
}

/// Flattens every such `allOf`: component schemas first (each after those it
/// refers to, which it then sees flattened), then the rest of the document.
pub fn flatten(doc: &mut Value, out: &mut Lowered) {
    // The components are read while the document is rewritten: taken out of
    // it meanwhile, not copied, so that no flattened schema is held twice.
    let Some(root) = doc.as_object_mut() else {
        return;
    };
    let taken = root.remove("components");
    let present = taken.is_some();
    let mut components = taken.unwrap_or(Value::Null);
    let names = components
        .pointer("/schemas")
        .and_then(Value::as_object)
        .map(dependency_order)
        .unwrap_or_default();
    let mut merger = Merger {
        copies: std::mem::take(&mut out.copies),
        ..Merger::default()
    };
    // Notes in name order, as the schemas stand in the document.
    let mut notes = BTreeMap::new();
    for name in names {
        let at = format!("/components/schemas/{}", escape_pointer(&name));
        let Some(mut schema) = components
            .pointer(&format!("/schemas/{}", escape_pointer(&name)))
            .cloned()
        else {
            continue;
        };
        let mut noted = Lowered::default();
        let changed = merger.walk(&components, &mut schema, &at, &mut noted);
        notes.insert(name.clone(), noted.notes);
        if changed {
            merger.changed(&name);
            if let Some(slot) =
                components.pointer_mut(&format!("/schemas/{}", escape_pointer(&name)))
            {
                *slot = schema;
            }
        }
    }
    out.notes.extend(notes.into_values().flatten());
    if let Some(paths) = root.get_mut("paths") {
        merger.walk(&components, paths, "/paths", out);
    }
    for kind in ["responses", "requestBodies", "parameters"] {
        // Walked against the components as they are: a copy of the section.
        let Some(mut section) = components.get(kind).cloned() else {
            continue;
        };
        if merger.walk(
            &components,
            &mut section,
            &format!("/components/{kind}"),
            out,
        ) {
            components[kind] = section;
        }
    }
    out.copies = merger.copies;
    if present {
        root.insert("components".into(), components);
    }
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

    fn schemas(schemas: Value) -> (Value, Lowered) {
        let mut doc = json!({"components": {"schemas": schemas}, "paths": {}});
        let mut out = Lowered::default();
        flatten(&mut doc, &mut out);
        (doc["components"]["schemas"].take(), out)
    }

    #[test]
    fn a_schema_reached_many_ways_is_merged_once() {
        // Without a memo, 3^12 merges of `L12`.
        let mut levels = serde_json::Map::new();
        for i in 0..12 {
            let next = json!({"$ref": format!("#/components/schemas/L{}", i + 1)});
            levels.insert(
                format!("L{i}"),
                json!({"allOf": [next, next, next, {"required": [format!("p{i}")],
                    "properties": {format!("p{i}"): {"type": "string"}}}]}),
            );
        }
        levels.insert(
            "L12".into(),
            json!({"type": "object", "properties": {"p12": {"type": "integer"}}}),
        );
        let (schemas, out) = schemas(Value::Object(levels));
        let l0 = &schemas["L0"];
        assert_eq!(l0["type"], "object");
        let names: Vec<&String> = l0["properties"].as_object().unwrap().keys().collect();
        assert_eq!(names.len(), 13, "{names:?}");
        // Deepest first, as the branches come.
        let required: Vec<String> = (0..12).rev().map(|i| format!("p{i}")).collect();
        assert_eq!(l0["required"], json!(required));
        assert!(out.notes.is_empty());
    }

    #[test]
    fn a_cycle_of_allofs_is_left_to_typify() {
        let a = json!({"allOf": [{"$ref": "#/components/schemas/B"}, {"properties": {"x": {}}}]});
        let b = json!({"allOf": [{"$ref": "#/components/schemas/A"}, {"properties": {"x": {}}}]});
        let (schemas, _) = schemas(json!({"A": a, "B": b}));
        assert_eq!(schemas["A"], a);
        assert_eq!(schemas["B"], b);
    }

    #[test]
    fn a_schema_sees_the_flattened_schema_it_refers_to() {
        // `Child` comes first by name, but is flattened after `Parent`: with
        // `Parent` already one object, nothing in `Child` is defined twice.
        let child = json!({"allOf": [{"$ref": "#/components/schemas/Parent"},
            {"properties": {"c": {"type": "string"}}}]});
        let parent = json!({"allOf": [{"properties": {"x": {"type": "string"}}},
            {"properties": {"x": {"type": "integer"}}}]});
        let (schemas, out) = schemas(json!({"Child": child, "Parent": parent}));
        assert_eq!(schemas["Child"], child);
        assert_eq!(
            schemas["Parent"],
            json!({"type": "object", "properties": {"x": {"type": "integer"}}})
        );
        assert_eq!(out.notes.len(), 1);
    }

    #[test]
    fn notes_come_in_name_order_whatever_the_order_of_flattening() {
        let twice = |p: &str| json!([{"properties": {p: {"type": "string"}}}, {"properties": {p: {"type": "integer"}}}]);
        let mut a = json!({"allOf": twice("a")});
        a["allOf"]
            .as_array_mut()
            .unwrap()
            .push(json!({"$ref": "#/components/schemas/B"}));
        let (_, out) = schemas(json!({"A": a, "B": {"allOf": twice("b")}}));
        let pointers: Vec<&str> = out.notes.iter().map(|n| n.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            ["/components/schemas/A/allOf", "/components/schemas/B/allOf"]
        );
    }

    #[test]
    fn references_deeper_than_the_limit_are_left_to_typify() {
        let chain = |hops: usize| {
            let mut schemas = serde_json::Map::new();
            for i in 0..hops {
                schemas.insert(
                    format!("R{i}"),
                    json!({"$ref": format!("#/components/schemas/R{}", i + 1)}),
                );
            }
            schemas.insert(
                format!("R{hops}"),
                json!({"properties": {"x": {"type": "string"}}}),
            );
            schemas.insert(
                "Top".into(),
                json!({"allOf": [{"$ref": "#/components/schemas/R0"}, {"properties": {"x": {}}}]}),
            );
            schemas
        };
        // `Top`'s branch is one level, each hop one more: 16 levels in all.
        let (flat, _) = schemas(Value::Object(chain(14)));
        assert_eq!(flat["Top"]["type"], "object");
        let (deep, _) = schemas(Value::Object(chain(15)));
        assert!(deep["Top"].get("allOf").is_some());
    }
}
