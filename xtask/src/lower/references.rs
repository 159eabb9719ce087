//! References outside `components`: valid OpenAPI, which progenitor cannot
//! follow.
//!
//! A `$ref` may point anywhere in the document (`#/paths/~1a/get/.../schema`,
//! `#/components/schemas/A/properties/b`), and a path item may be a `$ref` to
//! another path item. progenitor resolves only `#/components/<kind>/<name>`.
//! Each other target is copied once into `components` under a name made from
//! its pointer, and every reference to it points there; a path item is
//! inlined. References inside the copied targets are rewritten too, so a
//! target that refers to itself becomes an ordinary recursive component.

use std::collections::{BTreeMap, BTreeSet};

use heck::ToUpperCamelCase;
use serde_json::Value;

use super::Lowered;
use crate::generate::{self, component_ref, escape_pointer, holds_data};

/// Rewrites every local `$ref` that is not `#/components/<kind>/<name>`.
pub(super) fn hoist(doc: &mut Value, out: &mut Lowered) {
    inline_path_items(doc, out);
    let found: Vec<(String, String)> = generate::references(doc)
        .into_iter()
        .filter(|(_, reference)| reference.starts_with("#/") && component_ref(reference).is_none())
        .collect();
    // target reference → (kind, new name), in order of first use.
    let mut hoisted: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut names = Names::default();
    let mut order = Vec::new();
    for (at, reference) in &found {
        if hoisted.contains_key(reference) {
            continue;
        }
        let Some(target) = reference.strip_prefix('#') else {
            continue;
        };
        if doc.pointer(target).is_none() {
            continue; // preflight names a reference to nothing
        }
        let kind = kind_at(at);
        let name = unique_name(doc, kind, target, &mut names);
        out.note(
            "reference-hoisted",
            at.clone(),
            format!(
                "$ref {reference:?} points outside `components`, where the generator cannot follow it: the target is copied to `#/components/{kind}/{name}` and referenced there"
            ),
        );
        hoisted.insert(reference.clone(), (kind.to_string(), name));
        order.push(reference.clone());
    }
    if hoisted.is_empty() {
        return;
    }
    // Copies are taken before anything is rewritten: every target is read as
    // the document has it.
    let copies: Vec<(String, String, Value)> = order
        .iter()
        .filter_map(|reference| {
            let (kind, name) = &hoisted[reference];
            let value = doc.pointer(&reference[1..])?;
            let at = format!("/components/{kind}/{}", escape_pointer(name));
            out.copies
                .allow([value], &at)
                .then(|| (kind.clone(), name.clone(), value.clone()))
        })
        .collect();
    for (kind, name, value) in copies {
        let components = doc.as_object_mut().map(|root| {
            root.entry("components")
                .or_insert_with(|| Value::Object(Default::default()))
        });
        let Some(Value::Object(components)) = components else {
            return;
        };
        if let Value::Object(of_kind) = components
            .entry(kind)
            .or_insert_with(|| Value::Object(Default::default()))
        {
            of_kind.insert(name, value);
        }
    }
    rewrite(doc, &hoisted);
}

/// A path item that is a `$ref` to another path item becomes a copy of it
/// (siblings of the `$ref` win, as for any reference object).
fn inline_path_items(doc: &mut Value, out: &mut Lowered) {
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return;
    };
    let mut copies = Vec::new();
    for (path, item) in paths {
        let Some(reference) = item.get("$ref").and_then(Value::as_str) else {
            continue;
        };
        let Some(mut target) = reference.strip_prefix('#').and_then(|t| doc.pointer(t)) else {
            continue;
        };
        // A chain of path-item references ends somewhere, or is broken.
        for _ in 0..16 {
            match target.get("$ref").and_then(Value::as_str) {
                Some(next) => match next.strip_prefix('#').and_then(|t| doc.pointer(t)) {
                    Some(next) => target = next,
                    None => break,
                },
                None => break,
            }
        }
        if !out
            .copies
            .allow([target], &format!("/paths/{}/$ref", escape_pointer(path)))
        {
            return;
        }
        let mut merged = target.clone();
        if let (Some(merged), Some(item)) = (merged.as_object_mut(), item.as_object()) {
            merged.remove("$ref");
            for (key, value) in item {
                if key != "$ref" {
                    merged.insert(key.clone(), value.clone());
                }
            }
        }
        copies.push((path.clone(), reference.to_string(), merged));
    }
    for (path, reference, merged) in copies {
        out.note(
            "path-item-inlined",
            format!("/paths/{}/$ref", escape_pointer(&path)),
            format!("the path item is a $ref to {reference:?}, which the generator cannot follow: generated from a copy of it"),
        );
        if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
            paths.insert(path, merged);
        }
    }
}

/// The `components` section a reference at `at` needs: what stands at a
/// `parameters` entry is a parameter, and so on; anything else is a schema.
fn kind_at(at: &str) -> &'static str {
    let mut segments = at.rsplit('/');
    let last = segments.next().unwrap_or_default();
    let parent = segments.next().unwrap_or_default();
    match (parent, last) {
        ("parameters", i) if i.parse::<usize>().is_ok() => "parameters",
        ("responses", _) => "responses",
        (_, "requestBody") => "requestBodies",
        _ => "schemas",
    }
}

/// The names given to hoisted targets so far.
#[derive(Default)]
struct Names {
    /// (kind, name) of every hoisted copy.
    given: BTreeSet<(String, String)>,
    /// Per (kind, base name), the first number not yet tried: many targets
    /// may share a base (`a`, `a.`, `a-` are all `A`), and every lower
    /// number is taken.
    numbered: BTreeMap<(String, String), usize>,
}

/// A component name from the target's pointer (its last few segments), not
/// yet taken.
fn unique_name(doc: &Value, kind: &str, target: &str, names: &mut Names) -> String {
    let words: Vec<String> = target
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .filter(|s| {
            !matches!(
                s.as_str(),
                "paths" | "content" | "schema" | "properties" | "items" | "components" | "schemas"
            )
        })
        .collect();
    let tail = &words[words.len().saturating_sub(4)..];
    let mut base = tail.join(" ").to_upper_camel_case();
    base.retain(|c| c.is_ascii_alphanumeric());
    if base.is_empty() || base.starts_with(|c: char| c.is_ascii_digit()) {
        base = format!("Ref{base}");
    }
    let taken = |names: &Names, name: &str| {
        doc.pointer(&format!("/components/{kind}/{name}")).is_some()
            || names.given.contains(&(kind.to_string(), name.to_string()))
    };
    let mut name = base.clone();
    if taken(names, &name) {
        let key = (kind.to_string(), base.clone());
        let mut n = names.numbered.get(&key).copied().unwrap_or(2);
        loop {
            name = format!("{base}{n}");
            n += 1;
            if !taken(names, &name) {
                break;
            }
        }
        names.numbered.insert(key, n);
    }
    names.given.insert((kind.to_string(), name.clone()));
    name
}

/// Points every hoisted reference at its copy.
fn rewrite(value: &mut Value, hoisted: &BTreeMap<String, (String, String)>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get_mut("$ref")
                && let Some((kind, name)) = hoisted.get(reference.as_str())
            {
                *reference = format!("#/components/{kind}/{}", escape_pointer(name));
            }
            for (key, child) in map.iter_mut() {
                if !holds_data(key) {
                    rewrite(child, hoisted);
                }
            }
        }
        Value::Array(items) => {
            for child in items {
                rewrite(child, hoisted);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn references_into_paths_become_components_and_keep_recursion() {
        let mut doc = json!({
            "paths": {"/a": {"post": {"operationId": "p",
                "requestBody": {"content": {"application/json": {"schema": {
                    "type": "object",
                    "properties": {"next": {"$ref": "#/paths/~1a/post/requestBody/content/application~1json/schema"}}}}}},
                "responses": {"200": {"description": "", "content": {"application/json": {"schema": {
                    "$ref": "#/components/schemas/S/properties/inner"}}}}}}}},
            "components": {"schemas": {"S": {"type": "object", "properties": {"inner": {"type": "string"}}},
                "E": {"type": "object", "example": {"$ref": "#/paths/~1a"}}}}
        });
        let mut out = Lowered::default();
        hoist(&mut doc, &mut out);
        let schemas = &doc["components"]["schemas"];
        let names: Vec<&String> = schemas.as_object().unwrap().keys().collect();
        assert_eq!(names.len(), 4, "{names:?}");
        // An example is data: a `$ref` in it is text, left alone.
        assert_eq!(schemas["E"]["example"]["$ref"], "#/paths/~1a");
        // The recursive schema refers to its own copy.
        let body =
            &doc["paths"]["/a"]["post"]["requestBody"]["content"]["application/json"]["schema"];
        let own = body["properties"]["next"]["$ref"].as_str().unwrap();
        let copy = doc.pointer(&own[1..]).unwrap();
        assert_eq!(copy["properties"]["next"]["$ref"], own);
        // A reference into a component's property.
        let response = &doc["paths"]["/a"]["post"]["responses"]["200"]["content"]["application/json"]
            ["schema"]["$ref"];
        assert_eq!(
            doc.pointer(&response.as_str().unwrap()[1..]),
            Some(&json!({"type": "string"}))
        );
        assert!(out.notes.iter().all(|n| n.kind == "reference-hoisted") && out.notes.len() == 2);
        let again: Vec<_> = generate::references(&doc)
            .into_iter()
            .filter(|(_, r)| component_ref(r).is_none())
            .collect();
        assert!(again.is_empty(), "{again:?}");
    }

    #[test]
    fn a_path_item_reference_is_inlined() {
        let mut doc = json!({"paths": {
            "/a": {"get": {"operationId": "a", "responses": {}}},
            "/b": {"$ref": "#/paths/~1a", "summary": "b"}}});
        let mut out = Lowered::default();
        hoist(&mut doc, &mut out);
        assert_eq!(doc["paths"]["/b"]["get"]["operationId"], "a");
        assert_eq!(doc["paths"]["/b"]["summary"], "b");
        assert_eq!(out.notes[0].kind, "path-item-inlined");
    }

    #[test]
    fn parameters_go_to_parameters() {
        assert_eq!(kind_at("/paths/~1a/get/parameters/0"), "parameters");
        assert_eq!(kind_at("/paths/~1a/get/responses/200"), "responses");
        assert_eq!(kind_at("/paths/~1a/get/requestBody"), "requestBodies");
        assert_eq!(
            kind_at("/paths/~1a/get/requestBody/content/application~1json/schema"),
            "schemas"
        );
    }
}
