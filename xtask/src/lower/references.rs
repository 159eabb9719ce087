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
use serde_json::{Value, json};

use super::Lowered;
use crate::generate::{self, component_ref, escape_pointer, fragment_pointer, holds_data};

/// Rewrites every local `$ref` that is not `#/components/<kind>/<name>`, or
/// that is written with percent-escapes (`#/paths/~1a~1%7Bid%7D/get/...`, the
/// URI form of a JSON pointer, which RFC 3986 asks of `{`, `}` and others).
pub(super) fn hoist(doc: &mut Value, out: &mut Lowered) {
    inline_path_items(doc, out);
    inline_callbacks(doc, out);
    hoist_targets(doc, out);
    dangling(doc, out);
}

fn hoist_targets(doc: &mut Value, out: &mut Lowered) {
    let found: Vec<(String, String)> = generate::references(doc)
        .into_iter()
        .filter(|(_, reference)| {
            reference.starts_with("#/")
                && (component_ref(reference).is_none() || reference.contains('%'))
        })
        .collect();
    // reference as written → reference to its target in `components`.
    let mut rewrites: BTreeMap<String, String> = BTreeMap::new();
    // target pointer → reference to its copy: two spellings of one pointer
    // (`%7B` and `{`) share one copy.
    let mut targets: BTreeMap<String, String> = BTreeMap::new();
    let mut names = Names::default();
    // (target pointer, kind, name) of each copy, in order of first use.
    let mut order = Vec::new();
    for (at, reference) in &found {
        if rewrites.contains_key(reference) {
            continue;
        }
        let Some(target) = fragment_pointer(reference) else {
            continue;
        };
        if doc.pointer(&target).is_none() {
            continue; // a reference to nothing, which `dangling` handles
        }
        if let Some(to) = targets.get(target.as_ref()) {
            out.note(
                "reference-hoisted",
                at.clone(),
                format!("$ref {reference:?} is another spelling of a target already followed: referenced as {to:?}"),
            );
            rewrites.insert(reference.clone(), to.clone());
            continue;
        }
        let decoded = format!("#{target}");
        if component_ref(&decoded).is_some() {
            out.note(
                "reference-decoded",
                at.clone(),
                format!("$ref {reference:?} is percent-encoded: followed as {decoded:?}"),
            );
            targets.insert(target.to_string(), decoded.clone());
            rewrites.insert(reference.clone(), decoded);
            continue;
        }
        let kind = kind_at(at);
        let name = unique_name(doc, kind, &target, &mut names);
        out.note(
            "reference-hoisted",
            at.clone(),
            format!(
                "$ref {reference:?} points outside `components`, where the generator cannot follow it: the target is copied to `#/components/{kind}/{name}` and referenced there"
            ),
        );
        let to = format!("#/components/{kind}/{}", escape_pointer(&name));
        targets.insert(target.to_string(), to.clone());
        rewrites.insert(reference.clone(), to);
        order.push((target.into_owned(), kind.to_string(), name));
    }
    if rewrites.is_empty() {
        return;
    }
    // Copies are taken before anything is rewritten: every target is read as
    // the document has it.
    let copies: Vec<(String, String, Value)> = order
        .into_iter()
        .filter_map(|(target, kind, name)| {
            let value = doc.pointer(&target)?;
            let at = format!("/components/{kind}/{}", escape_pointer(&name));
            out.copies
                .allow([value], &at)
                .then(|| (kind, name, value.clone()))
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
    rewrite(doc, &rewrites);
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
        let Some(mut target) = fragment_pointer(reference).and_then(|t| doc.pointer(&t)) else {
            continue;
        };
        // A chain of path-item references ends somewhere, or is broken.
        for _ in 0..16 {
            match target.get("$ref").and_then(Value::as_str) {
                Some(next) => match fragment_pointer(next).and_then(|t| doc.pointer(&t)) {
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

/// A callback that is a `$ref` (valid OpenAPI, which `openapiv3` cannot
/// read in an operation, refusing the whole document) becomes a copy of its
/// target. The client never calls a callback, so only the document's
/// validity depends on it.
fn inline_callbacks(doc: &mut Value, out: &mut Lowered) {
    let mut copies = Vec::new();
    for (path, method, op) in generate::operations(doc) {
        let Some(callbacks) = op.get("callbacks").and_then(Value::as_object) else {
            continue;
        };
        for (name, callback) in callbacks {
            let Some(reference) = callback.get("$ref").and_then(Value::as_str) else {
                continue;
            };
            let mut target = fragment_pointer(reference).and_then(|t| doc.pointer(&t));
            for _ in 0..16 {
                match target.and_then(|t| t.get("$ref")).and_then(Value::as_str) {
                    Some(next) => target = fragment_pointer(next).and_then(|t| doc.pointer(&t)),
                    None => break,
                }
            }
            // A reference to nothing is left to `dangling`.
            let Some(target) = target.filter(|t| t.is_object()) else {
                continue;
            };
            let at = format!(
                "/paths/{}/{method}/callbacks/{}",
                escape_pointer(path),
                escape_pointer(name)
            );
            if !out.copies.allow([target], &at) {
                return;
            }
            copies.push((at, reference.to_string(), target.clone()));
        }
    }
    for (at, reference, target) in copies {
        if let Some(callback) = doc.pointer_mut(&at) {
            *callback = target;
        }
        out.note(
            "callback-inlined",
            at,
            format!("the callback is a $ref to {reference:?}, which the generator's reader cannot follow there: read from a copy of it (callbacks generate no code)"),
        );
    }
}

/// A `$ref` to nothing, or to another file or URL (which the generator
/// never fetches: a spec is an input, not a list of URLs), costs only its own
/// place: a schema, body, response or header becomes any JSON value; a
/// parameter, example, link, callback, security scheme or path item is left
/// out. Each is a note that names the missing target; `--strict` refuses them.
fn dangling(doc: &mut Value, out: &mut Lowered) {
    // A component left out leaves the references to it dangling in turn.
    for _ in 0..4 {
        if !dangling_once(doc, out) {
            break;
        }
    }
}

/// One pass of [`dangling`]: whether anything was left out.
fn dangling_once(doc: &mut Value, out: &mut Lowered) -> bool {
    let mut removed_any = false;
    let broken: Vec<(String, String)> = generate::references(doc)
        .into_iter()
        .filter(|(_, reference)| {
            fragment_pointer(reference).is_none_or(|target| doc.pointer(&target).is_none())
        })
        .collect();
    // Last first, so that leaving an array's entry out does not move the
    // entries still to be handled.
    for (at, reference) in broken.into_iter().rev() {
        let (parent, last) = at.rsplit_once('/').unwrap_or(("", &at));
        let grandparent = parent.rsplit('/').next().unwrap_or_default();
        let missing = if reference.starts_with('#') {
            format!("$ref {reference:?} points at nothing")
        } else {
            format!(
                "$ref {reference:?} is in another file or at a URL, which the generator never reads (it reads one file and fetches nothing)"
            )
        };
        let any = json!({});
        // A schema's property may be called `responses` or `parameters`.
        let in_schema = ["/schema/", "/schemas/", "/properties/", "/items/"]
            .iter()
            .any(|s| at.contains(s));
        let replacement = match (grandparent, last) {
            _ if in_schema => Some((any, "generated as any JSON value (`serde_json::Value`)")),
            ("paths", _) if parent == "/paths" => Some((json!({}), "the path item is left out")),
            ("parameters", i) if i.parse::<usize>().is_ok() => None,
            ("parameters", _) if parent == "/components/parameters" => None,
            ("examples" | "links" | "securitySchemes" | "callbacks", _) => None,
            ("responses", _) => Some((
                json!({"description": "", "content": {"application/json": {"schema": any}}}),
                "its body is read as any JSON value",
            )),
            (_, "requestBody") | ("requestBodies", _) => Some((
                json!({"content": {"application/json": {"schema": any}}}),
                "the body is sent as any JSON value",
            )),
            ("headers", _) => Some((json!({"schema": any}), "read as any JSON value")),
            _ => Some((any, "generated as any JSON value (`serde_json::Value`)")),
        };
        let (done, what) = match replacement {
            Some((value, what)) => match doc.pointer_mut(&at) {
                Some(place) => {
                    *place = value;
                    (true, what)
                }
                None => (false, what),
            },
            None => {
                let removed = match doc.pointer_mut(parent) {
                    Some(Value::Array(items)) => last
                        .parse::<usize>()
                        .ok()
                        .filter(|&i| i < items.len())
                        .map(|i| items.remove(i))
                        .is_some(),
                    Some(Value::Object(map)) => map
                        .remove(&last.replace("~1", "/").replace("~0", "~"))
                        .is_some(),
                    _ => false,
                };
                removed_any |= removed;
                (removed, "left out")
            }
        };
        if done {
            out.note(
                "reference-dangling",
                format!("{at}/$ref"),
                format!("{missing}: {what}; define the target or fix the reference"),
            );
        }
    }
    removed_any
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

/// Points every rewritten reference at its target in `components`.
fn rewrite(value: &mut Value, rewrites: &BTreeMap<String, String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get_mut("$ref")
                && let Some(to) = rewrites.get(reference.as_str())
            {
                reference.clone_from(to);
            }
            for (key, child) in map.iter_mut() {
                if !holds_data(key) {
                    rewrite(child, rewrites);
                }
            }
        }
        Value::Array(items) => {
            for child in items {
                rewrite(child, rewrites);
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
    fn percent_encoded_references_are_decoded_then_followed() {
        // As surevoip.co.uk's document (APIs-guru) writes them: `{` and `}`
        // percent-encoded, and the same target also written plainly.
        let mut doc = json!({
            "paths": {
                "/a/{id}": {"get": {"operationId": "a",
                    "parameters": [{"name": "id", "in": "path", "schema": {"type": "string"}}]}},
                "/b/{id}": {"get": {"operationId": "b", "parameters": [
                    {"$ref": "#/paths/~1a~1%7Bid%7D/get/parameters/0"},
                    {"$ref": "#/components/schemas/x%20y"}]}},
                "/c/{id}": {"get": {"operationId": "c", "parameters": [
                    {"$ref": "#/paths/~1a~1{id}/get/parameters/0"}]}}},
            "components": {"schemas": {"x y": {"type": "string"}}}
        });
        let mut out = Lowered::default();
        hoist(&mut doc, &mut out);
        let encoded = doc["paths"]["/b/{id}"]["get"]["parameters"][0]["$ref"]
            .as_str()
            .unwrap();
        let plain = doc["paths"]["/c/{id}"]["get"]["parameters"][0]["$ref"]
            .as_str()
            .unwrap();
        assert_eq!(encoded, plain, "one target, one copy");
        assert!(component_ref(encoded).is_some(), "{encoded}");
        assert_eq!(doc.pointer(&encoded[1..]).unwrap()["name"], "id");
        assert_eq!(
            doc["paths"]["/b/{id}"]["get"]["parameters"][1]["$ref"],
            "#/components/schemas/x y"
        );
        let kinds: Vec<&str> = out.notes.iter().map(|n| n.kind).collect();
        assert_eq!(
            kinds,
            [
                "reference-hoisted",
                "reference-decoded",
                "reference-hoisted"
            ]
        );
    }

    #[test]
    fn references_to_nothing_cost_only_their_place() {
        let mut doc = json!({
            "paths": {
                "/a": {"get": {"operationId": "a",
                    "parameters": [{"$ref": "#/components/parameters/Gone"},
                        {"name": "q", "in": "query", "schema": {"$ref": "other.yaml#/Q"}}],
                    "requestBody": {"$ref": "#/components/requestBodies/Gone"},
                    "callbacks": {"cb": {"$ref": "#/components/callbacks/Gone"},
                        "kept": {"$ref": "#/components/callbacks/Here"}},
                    "responses": {"200": {"$ref": "#/components/responses/Gone"}}}},
                "/b": {"$ref": "#/paths/~1gone"}},
            "components": {
                "schemas": {"S": {"type": "object", "properties": {
                    "responses": {"items": {"$ref": "#/components/schemas/Gone"}}}}},
                "callbacks": {"Here": {"{$url}": {"post": {"responses": {}}}}}}
        });
        let mut out = Lowered::default();
        hoist(&mut doc, &mut out);
        let op = &doc["paths"]["/a"]["get"];
        assert_eq!(
            op["parameters"],
            json!([{"name": "q", "in": "query", "schema": {}}])
        );
        assert_eq!(
            op["requestBody"]["content"]["application/json"]["schema"],
            json!({})
        );
        assert_eq!(
            op["responses"]["200"]["content"]["application/json"]["schema"],
            json!({})
        );
        assert_eq!(
            op["callbacks"],
            json!({"kept": {"{$url}": {"post": {"responses": {}}}}})
        );
        assert_eq!(doc["paths"]["/b"], json!({}));
        assert_eq!(
            doc["components"]["schemas"]["S"]["properties"]["responses"]["items"],
            json!({})
        );
        let notes: Vec<(&str, &str)> = out
            .notes
            .iter()
            .map(|n| (n.kind, n.pointer.as_str()))
            .collect();
        assert!(
            notes.contains(&("callback-inlined", "/paths/~1a/get/callbacks/kept")),
            "{notes:?}"
        );
        let dangling: Vec<&str> = notes
            .iter()
            .filter(|(kind, _)| *kind == "reference-dangling")
            .map(|(_, at)| *at)
            .collect();
        assert_eq!(dangling.len(), 7, "{dangling:?}");
        assert!(dangling.contains(&"/paths/~1a/get/parameters/1/schema/$ref"));
        let external = out
            .notes
            .iter()
            .find(|n| n.pointer.contains("parameters/1"))
            .unwrap();
        assert!(
            external.message.contains("never reads"),
            "{}",
            external.message
        );
        let gone = out
            .notes
            .iter()
            .find(|n| n.pointer.contains("parameters/0"))
            .unwrap();
        assert!(
            gone.message
                .contains("\"#/components/parameters/Gone\" points at nothing"),
            "{}",
            gone.message
        );
        assert!(
            generate::references(&doc)
                .iter()
                .all(|(_, r)| doc.pointer(&r[1..]).is_some())
        );
    }

    #[test]
    fn a_component_that_is_a_reference_to_nothing_is_left_out_and_so_are_its_uses() {
        let mut doc = json!({
            "paths": {"/a": {"get": {"operationId": "a",
                "parameters": [{"$ref": "#/components/parameters/P"}],
                "requestBody": {"$ref": "#/components/requestBodies/B"}}}},
            "components": {
                "parameters": {"P": {"$ref": "#/components/parameters/Gone"}},
                "requestBodies": {"B": {"$ref": "#/components/requestBodies/Gone"}}}
        });
        let mut out = Lowered::default();
        hoist(&mut doc, &mut out);
        assert_eq!(doc["paths"]["/a"]["get"]["parameters"], json!([]));
        assert_eq!(doc["components"]["parameters"], json!({}));
        assert_eq!(
            doc["components"]["requestBodies"]["B"],
            json!({"content": {"application/json": {"schema": {}}}})
        );
        let pointers: Vec<&str> = out.notes.iter().map(|n| n.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            [
                "/components/requestBodies/B/$ref",
                "/components/parameters/P/$ref",
                "/paths/~1a/get/parameters/0/$ref"
            ]
        );
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
