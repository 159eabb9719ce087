//! What typify cannot take, found schema by schema instead of by rerunning
//! progenitor over the whole document.
//!
//! A *unit* is a schema progenitor hands typify on its own: each component
//! schema, and each inline schema of an operation (a parameter's, a request
//! body's, a response's). Units are tried in small documents of their own
//! (`paths: {}`, the units as component schemas, and `{}` for every other
//! component they refer to), which cost what typify spends on those units
//! alone: a group that generates is cleared at once, and one that fails is
//! split in two until the failing units are single. A unit that fails only
//! next to another (typify merges an `allOf` through its `$ref`s) is found by
//! growing the group from its start until it fails.
//!
//! A failing unit is narrowed to the smallest piece that fails alone (a
//! property, an array's items, a branch of a union). That piece loses the
//! validation keywords typify refuses in it, when dropping them is enough
//! (the keywords of `VALIDATION`), or else becomes any JSON value (`{}`), keeping its
//! description.

use serde_json::{Map, Value, json};

use crate::generate::{self, escape_pointer};

/// Units tried together at first: large enough that a document typify takes
/// costs a few runs per thousand schemas, small enough that no run repeats
/// much of another's work.
const GROUP: usize = 64;

/// Most pieces set aside in one document; past this the search stops and the
/// operation-level salvage takes over.
const MAX_PIECES: usize = 256;

/// Deepest narrowing into a schema.
const MAX_DEPTH: usize = 32;

/// One piece typify refused, now any JSON value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Untyped {
    /// JSON pointer of the piece in the document.
    pub pointer: String,
    /// typify's (or progenitor's) reason.
    pub reason: String,
    /// The validation keywords dropped, when dropping them was enough for
    /// typify; empty when the piece became any JSON value.
    pub dropped: Vec<String>,
}

/// Validation keywords typify may refuse in combination (`uniqueItems:
/// false` on an object, `format: boolean`, an array's `enum` of its items'
/// values), tried one at a time, then all together, before a schema is made
/// any JSON value: the type and its wire shape stay, only a check the client
/// does not need is lost.
const VALIDATION: [&str; 17] = [
    "format",
    "enum",
    "default",
    "uniqueItems",
    "minItems",
    "maxItems",
    "minLength",
    "maxLength",
    "pattern",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minProperties",
    "maxProperties",
    "propertyNames",
];

/// A schema given to typify on its own.
struct Unit {
    /// Where it is in the document.
    pointer: String,
    /// Its name in a trial document: the component's own name, so that
    /// references among units of one group resolve to the real schemas.
    key: String,
}

/// Finds the schemas of `doc` that typify refuses, makes each any JSON value
/// (narrowed to the refused property when a property is the cause), and
/// returns them.
pub fn untype(doc: &mut Value) -> Vec<Untyped> {
    let units = units(doc);
    let mut out = Vec::new();
    for group in units.chunks(GROUP) {
        let group: Vec<&Unit> = group.iter().collect();
        search(doc, &group, &mut out);
        if out.len() >= MAX_PIECES {
            break;
        }
    }
    out
}

/// Every unit of `doc`, component schemas first, in document order.
fn units(doc: &Value) -> Vec<Unit> {
    let mut out = Vec::new();
    let schemas = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object);
    for key in schemas.into_iter().flat_map(Map::keys) {
        out.push(Unit {
            pointer: format!("/components/schemas/{}", escape_pointer(key)),
            key: key.clone(),
        });
    }
    let taken = |key: &str| schemas.is_some_and(|s| s.contains_key(key));
    let mut inline = |pointer: String, schema: &Value| {
        if schema.get("$ref").is_some() || !schema.is_object() {
            return;
        }
        let mut key = format!("xtask-inline-{}", out.len());
        while taken(&key) {
            key.push('_');
        }
        out.push(Unit { pointer, key });
    };
    // Parameters, bodies and responses of `components`, which operations
    // refer to, hold schemas progenitor converts like inline ones.
    let mut holders: Vec<(String, Option<&Value>)> = Vec::new();
    for kind in ["parameters", "requestBodies", "responses"] {
        let entries = doc
            .pointer(&format!("/components/{kind}"))
            .and_then(Value::as_object);
        for (name, entry) in entries.into_iter().flatten() {
            let at = format!("/components/{kind}/{}", escape_pointer(name));
            match entry.get("schema") {
                Some(schema) => inline(format!("{at}/schema"), schema),
                None => holders.push((at, Some(entry))),
            }
        }
    }
    for (path, method, op) in generate::operations(doc) {
        let at = format!("/paths/{}/{method}", escape_pointer(path));
        for (i, param) in op
            .get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            if let Some(schema) = param.get("schema") {
                inline(format!("{at}/parameters/{i}/schema"), schema);
            }
        }
        holders.push((format!("{at}/requestBody"), op.get("requestBody")));
        for (code, response) in op
            .get("responses")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            holders.push((
                format!("{at}/responses/{}", escape_pointer(code)),
                Some(response),
            ));
        }
    }
    for (holder_at, holder) in holders {
        let content = holder
            .and_then(|h| h.get("content"))
            .and_then(Value::as_object);
        for (media, entry) in content.into_iter().flatten() {
            if let Some(schema) = entry.get("schema") {
                inline(
                    format!("{holder_at}/content/{}/schema", escape_pointer(media)),
                    schema,
                );
            }
        }
    }
    out
}

/// Clears `group`, or finds and untypes what in it typify refuses.
fn search(doc: &mut Value, group: &[&Unit], out: &mut Vec<Untyped>) {
    if group.is_empty() || out.len() >= MAX_PIECES {
        return;
    }
    let Some(reason) = refusal(doc, group) else {
        return;
    };
    if let [unit] = group {
        narrow(doc, &unit.pointer, reason, 0, out);
        return;
    }
    let (left, right) = group.split_at(group.len() / 2);
    let before = out.len();
    search(doc, left, out);
    search(doc, right, out);
    if out.len() > before && refusal(doc, group).is_none() {
        return;
    }
    // Each half generates alone (or what they refused is set aside) and the
    // whole still fails: a unit fails next to another. The shortest failing
    // prefix ends with one of them; set it aside and look again.
    let (mut low, mut high) = (0, group.len());
    // Invariant: group[..high] fails, group[..low] does not.
    while high - low > 1 {
        let mid = low + (high - low) / 2;
        if refusal(doc, &group[..mid]).is_some() {
            high = mid;
        } else {
            low = mid;
        }
    }
    let culprit = group[high - 1];
    let reason = refusal(doc, &group[..high]).unwrap_or(reason);
    set_aside(doc, &culprit.pointer, reason, out);
    let rest: Vec<&Unit> = group
        .iter()
        .copied()
        .filter(|u| u.pointer != culprit.pointer)
        .collect();
    search(doc, &rest, out);
}

/// Why typify refuses the schemas of `group` taken together, each under its
/// key, with `{}` for every other component schema they refer to.
fn refusal(doc: &Value, group: &[&Unit]) -> Option<String> {
    let schemas: Vec<(&str, &Value)> = group
        .iter()
        .filter_map(|u| Some((u.key.as_str(), doc.pointer(&u.pointer)?)))
        .collect();
    refusal_of(&schemas)
}

fn refusal_of(schemas: &[(&str, &Value)]) -> Option<String> {
    let mut components = Map::new();
    for (key, schema) in schemas {
        components.insert((*key).to_string(), (*schema).clone());
    }
    for (_, schema) in schemas {
        for (_, reference) in generate::references(schema) {
            if let Some(("schemas", name)) = generate::component_ref(&reference) {
                components
                    .entry(name.to_string())
                    .or_insert_with(|| json!({}));
            }
        }
    }
    generate::client_refusal(&json!({
        "openapi": "3.0.3",
        "info": {"title": "unit", "version": "1"},
        "paths": {},
        "components": {"schemas": components},
    }))
}

/// Narrows a refused schema at `pointer` to the pieces that fail alone, and
/// sets those aside (or the schema itself, when none does).
fn narrow(doc: &mut Value, pointer: &str, reason: String, depth: usize, out: &mut Vec<Untyped>) {
    let Some(schema) = doc.pointer(pointer) else {
        return;
    };
    if depth < MAX_DEPTH {
        let before = out.len();
        for child in children(schema) {
            let at = format!("{pointer}{child}");
            let Some(piece) = doc.pointer(&at) else {
                continue;
            };
            if piece.get("$ref").is_some() {
                continue;
            }
            if let Some(why) = refusal_of(&[("piece", piece)]) {
                narrow(doc, &at, why, depth + 1, out);
            }
        }
        let fixed = out.len() > before;
        let still = doc
            .pointer(pointer)
            .and_then(|s| refusal_of(&[("piece", s)]));
        if fixed && still.is_none() {
            return;
        }
    }
    if relax(doc, pointer, &reason, out) {
        return;
    }
    set_aside(doc, pointer, reason, out);
}

/// Drops the fewest validation keywords of the schema at `pointer` that
/// make it one typify takes alone: one of them, else all; false (and the
/// schema unchanged) when neither is enough.
fn relax(doc: &mut Value, pointer: &str, reason: &str, out: &mut Vec<Untyped>) -> bool {
    let Some(Value::Object(map)) = doc.pointer(pointer) else {
        return false;
    };
    let present: Vec<&str> = VALIDATION
        .iter()
        .copied()
        .filter(|k| map.contains_key(*k))
        .collect();
    let without = |keys: &[&str]| {
        let mut trial = map.clone();
        for key in keys {
            trial.remove(*key);
        }
        Value::Object(trial)
    };
    let mut tries: Vec<Vec<&str>> = present.iter().map(|k| vec![*k]).collect();
    if present.len() > 1 {
        tries.push(present.clone());
    }
    for keys in tries {
        let trial = without(&keys);
        if refusal_of(&[("piece", &trial)]).is_none() {
            out.push(Untyped {
                pointer: pointer.to_string(),
                reason: reason.to_string(),
                dropped: keys.iter().map(|k| (*k).to_string()).collect(),
            });
            if let Some(schema) = doc.pointer_mut(pointer) {
                *schema = trial;
            }
            return true;
        }
    }
    false
}

/// Pointer suffixes of the subschemas typify converts on its own.
fn children(schema: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let Some(map) = schema.as_object() else {
        return out;
    };
    if let Some(Value::Object(props)) = map.get("properties") {
        out.extend(
            props
                .keys()
                .map(|p| format!("/properties/{}", escape_pointer(p))),
        );
    }
    for key in ["items", "additionalProperties", "not"] {
        if map.get(key).is_some_and(Value::is_object) {
            out.push(format!("/{key}"));
        }
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(Value::Array(branches)) = map.get(key) {
            out.extend((0..branches.len()).map(|i| format!("/{key}/{i}")));
        }
    }
    out
}

/// Replaces the schema at `pointer` with any JSON value, keeping its
/// description.
fn set_aside(doc: &mut Value, pointer: &str, reason: String, out: &mut Vec<Untyped>) {
    let Some(schema) = doc.pointer_mut(pointer) else {
        return;
    };
    let mut any = Map::new();
    if let Some(description) = schema.get("description") {
        any.insert("description".into(), description.clone());
    }
    *schema = Value::Object(any);
    out.push(Untyped {
        pointer: pointer.to_string(),
        reason,
        dropped: Vec::new(),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_property_becomes_any_value_and_its_siblings_keep_their_types() {
        let mut doc = json!({
            "openapi": "3.0.3", "info": {"title": "t", "version": "1"},
            "paths": {},
            "components": {"schemas": {
                "Ok": {"type": "object", "properties": {"a": {"type": "string"}}},
                "Thing": {"type": "object", "properties": {
                    "good": {"type": "integer"},
                    "bad": {"description": "kept", "items": {"type": "string"},
                        "properties": {"a": {"type": "string"}}}}}}}
        });
        assert!(
            generate::client_refusal(&doc).is_some(),
            "the fixture must fail"
        );
        let untyped = untype(&mut doc);
        assert_eq!(
            untyped
                .iter()
                .map(|u| u.pointer.as_str())
                .collect::<Vec<_>>(),
            ["/components/schemas/Thing/properties/bad"],
            "{untyped:?}"
        );
        assert_eq!(
            doc["components"]["schemas"]["Thing"]["properties"]["bad"],
            json!({"description": "kept"})
        );
        assert_eq!(
            doc["components"]["schemas"]["Thing"]["properties"]["good"],
            json!({"type": "integer"})
        );
        assert!(generate::client_refusal(&doc).is_none());
    }

    #[test]
    fn validation_typify_refuses_is_dropped_and_the_type_stays() {
        // Wordnik's objects say `uniqueItems: false`: no type, and the
        // keywords of an object and of an array.
        let mut doc = json!({
            "openapi": "3.0.3", "info": {"title": "t", "version": "1"},
            "paths": {},
            "components": {"schemas": {"Syllable": {"uniqueItems": false,
                "properties": {"seq": {"type": "integer"}, "text": {"type": "string"}}}}}
        });
        assert!(
            generate::client_refusal(&doc).is_some(),
            "the fixture must fail"
        );
        let untyped = untype(&mut doc);
        assert_eq!(untyped.len(), 1, "{untyped:?}");
        assert_eq!(untyped[0].dropped, ["uniqueItems"]);
        assert_eq!(
            doc["components"]["schemas"]["Syllable"],
            json!({"properties": {"seq": {"type": "integer"}, "text": {"type": "string"}}})
        );
        assert!(generate::client_refusal(&doc).is_none());
    }
}
