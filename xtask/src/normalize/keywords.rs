//! JSON Schema 2020-12 keywords that OpenAPI 3.0 lacks, lowered to what it has.
//!
//! Two kinds: assertions 3.0 cannot state at all (`propertyNames`, `contains`,
//! conditionals, dependencies, `contentSchema`) are dropped, which only makes
//! the schema accept more; keywords with a near 3.0 counterpart
//! (`patternProperties`, `unevaluated*`, `prefixItems`, dynamic references) are
//! folded into it. Every step leaves a note saying which way the meaning moved.

use serde_json::{Map, Value, json};

use super::{Ctx, child, cmp_values};

/// Keywords dropped outright, with what is lost.
const DROPPED: [(&str, &str); 12] = [
    (
        "propertyNames",
        "OpenAPI 3.0 cannot constrain property names, so any name is accepted",
    ),
    (
        "contains",
        "OpenAPI 3.0 cannot require an array to contain a matching item",
    ),
    ("minContains", "it only counts `contains` matches"),
    ("maxContains", "it only counts `contains` matches"),
    (
        "dependentRequired",
        "OpenAPI 3.0 cannot make one property require another, so those stay optional",
    ),
    (
        "dependentSchemas",
        "OpenAPI 3.0 cannot apply a schema depending on whether a property is present",
    ),
    (
        "if",
        "OpenAPI 3.0 has no conditionals, so neither `then` nor `else` is enforced",
    ),
    ("then", "OpenAPI 3.0 has no conditionals"),
    ("else", "OpenAPI 3.0 has no conditionals"),
    (
        "contentSchema",
        "OpenAPI 3.0 cannot describe what encoded string content holds",
    ),
    (
        "$dynamicAnchor",
        "OpenAPI 3.0 has no dynamic scope; `$dynamicRef`s to it resolve like `$ref`s",
    ),
    ("$recursiveAnchor", "OpenAPI 3.0 has no dynamic scope"),
];

/// Whether the schema has in-place applicators: subschemas whose declared
/// properties and items `unevaluatedProperties`/`unevaluatedItems` take into
/// account, but 3.0's `additionalProperties`/`items` would not.
pub(super) fn applicators(map: &Map<String, Value>) -> bool {
    [
        "allOf",
        "anyOf",
        "oneOf",
        "$ref",
        "$dynamicRef",
        "$recursiveRef",
        "dependentSchemas",
        "if",
    ]
    .iter()
    .any(|k| map.contains_key(*k))
}

/// Drops the keywords 3.0 cannot state and reads dynamic references as static
/// ones. Runs before the subschemas are walked: what is dropped is not walked.
pub(super) fn drop_unsupported(map: &mut Map<String, Value>, ptr: &str, ctx: &mut Ctx) {
    if let Some(anchor) = map.get("$dynamicAnchor") {
        ctx.defs.anchor(anchor.clone(), ptr);
    }
    for (kw, why) in DROPPED {
        if map.remove(kw).is_some() {
            ctx.note(child(ptr, kw), format!("dropped `{kw}`: {why}"));
        }
    }
    for kw in ["$dynamicRef", "$recursiveRef"] {
        let Some(reference) = map.remove(kw) else {
            continue;
        };
        let at = child(ptr, kw);
        let target = match (kw, reference.as_str()) {
            // `$recursiveRef: "#"` is the enclosing resource; 3.0 can only
            // point at it when it is a component.
            ("$recursiveRef", Some("#")) => {
                let parts: Vec<&str> = ctx.resource.split('/').collect();
                let component =
                    parts.len() == 4 && parts[1] == "components" && parts[2] == "schemas";
                component.then(|| format!("#{}", ctx.resource))
            }
            ("$dynamicRef", Some(r)) if r.starts_with('#') => Some(r.to_string()),
            _ => None,
        };
        match target {
            Some(target) if !map.contains_key("$ref") => {
                map.insert("$ref".into(), json!(target));
                ctx.note(
                    at,
                    format!("read `{kw}` as `$ref`: OpenAPI 3.0 has no dynamic scope, so the reference resolves where it was written"),
                );
            }
            _ => ctx.note(
                at,
                format!("dropped `{kw}`: OpenAPI 3.0 has no dynamic scope and it does not resolve to a component, so the schema accepts any value here"),
            ),
        }
    }
}

/// Folds `patternProperties`, `unevaluatedProperties`, `prefixItems` (or the
/// tuple form of `items`) and `unevaluatedItems` into `additionalProperties` and
/// `items`. Runs after the subschemas were converted in place.
pub(super) fn lower(map: &mut Map<String, Value>, ptr: &str, applicators: bool, ctx: &mut Ctx) {
    pattern_properties(map, ptr, ctx);
    unevaluated(
        map,
        ptr,
        "unevaluatedProperties",
        "additionalProperties",
        applicators,
        ctx,
    );
    if map.contains_key("prefixItems") || matches!(map.get("items"), Some(Value::Array(_))) {
        tuple(map, ptr, applicators, ctx);
    } else {
        if map.remove("additionalItems").is_some() {
            ctx.note(
                child(ptr, "additionalItems"),
                "dropped `additionalItems`: without tuple `items` it has no effect",
            );
        }
        unevaluated(map, ptr, "unevaluatedItems", "items", applicators, ctx);
    }
}

/// `true` and `{}` accept anything; `false` and `{"not": {}}` nothing.
fn accepts_all(s: &Value) -> bool {
    *s == json!(true) || *s == json!({})
}

fn accepts_none(s: &Value) -> bool {
    *s == json!(false) || *s == json!({"not": {}})
}

/// One schema admitting what any of `schemas` admits, `None` for none of them.
fn any_of(schemas: Vec<Value>) -> Option<Value> {
    if schemas.iter().any(accepts_all) {
        return Some(json!({}));
    }
    let schemas: Vec<Value> = schemas
        .into_iter()
        .map(|s| {
            if s == json!(false) {
                json!({"not": {}})
            } else {
                s
            }
        })
        .filter(|s| !accepts_none(s))
        .collect();
    // The first of equal schemas is kept, found by sorting: a hostile
    // document may have thousands.
    let mut order: Vec<usize> = (0..schemas.len()).collect();
    order.sort_by(|&a, &b| cmp_values(&schemas[a], &schemas[b]).then(a.cmp(&b)));
    let mut first = vec![true; schemas.len()];
    for pair in order.windows(2) {
        if schemas[pair[0]] == schemas[pair[1]] {
            first[pair[1]] = false;
        }
    }
    let mut kept: Vec<Value> = schemas
        .into_iter()
        .zip(first)
        .filter_map(|(s, first)| first.then_some(s))
        .collect();
    match kept.len() {
        0 => None,
        1 => kept.pop(),
        _ => Some(json!({ "anyOf": kept })),
    }
}

/// 3.0 has no per-name-pattern schemas: the patterns' schemas apply to every
/// property not in `properties` instead. That is what a "map of X" means, the
/// usual reason for `patternProperties`, but it does narrow names the patterns
/// did not match, which were unconstrained.
fn pattern_properties(map: &mut Map<String, Value>, ptr: &str, ctx: &mut Ctx) {
    let Some(patterns) = map.remove("patternProperties") else {
        return;
    };
    let at = child(ptr, "patternProperties");
    let Value::Object(patterns) = patterns else {
        ctx.note(at, "dropped `patternProperties`: expected an object");
        return;
    };
    if patterns.is_empty() {
        return;
    }
    if map.contains_key("additionalProperties") {
        ctx.note(
            at,
            "dropped `patternProperties`: OpenAPI 3.0 has no per-pattern schemas, and `additionalProperties` is already given, so it now applies to the names the patterns matched as well",
        );
        return;
    }
    let names: Vec<String> = patterns.keys().map(|p| format!("`{p}`")).collect();
    let count = names.len();
    let lowered = any_of(patterns.into_iter().map(|(_, s)| s).collect());
    let lowered = lowered.unwrap_or(Value::Bool(false));
    let lowered = if lowered == json!({"not": {}}) {
        Value::Bool(false)
    } else {
        lowered
    };
    map.insert("additionalProperties".into(), lowered);
    let which = if count == 1 {
        format!("the schema of pattern {}", names[0])
    } else {
        format!("one of the schemas of patterns {}", names.join(", "))
    };
    ctx.note(
        at,
        format!(
            "lowered `patternProperties` to `additionalProperties`: OpenAPI 3.0 cannot restrict a schema to names matching a pattern, so every property not in `properties` must now match {which}"
        ),
    );
}

/// `unevaluatedProperties` is `additionalProperties` and `unevaluatedItems` is
/// `items` when no subschema declares properties or items of its own.
fn unevaluated(
    map: &mut Map<String, Value>,
    ptr: &str,
    kw: &str,
    into: &str,
    applicators: bool,
    ctx: &mut Ctx,
) {
    let Some(s) = map.remove(kw) else {
        return;
    };
    let at = child(ptr, kw);
    if map.contains_key(into) {
        ctx.note(
            at,
            format!("dropped `{kw}`: `{into}` already applies to everything it would"),
        );
    } else if applicators {
        ctx.note(
            at,
            format!(
                "dropped `{kw}`: it also counts what subschemas here (`allOf`, `anyOf`, `oneOf`, `$ref`, `if`, ...) evaluate, which OpenAPI 3.0's `{into}` does not see and would reject; the schema now accepts more"
            ),
        );
    } else {
        map.insert(into.into(), s);
        ctx.note(
            at,
            format!(
                "lowered `{kw}` to `{into}`: with no subschemas declaring more, they mean the same"
            ),
        );
    }
}

/// 3.0 has no tuples: `items` becomes the one schema every position allows
/// (`anyOf` of the position schemas and the schema for the rest). Items past the
/// positions, unconstrained when no rest schema is given, must match it too.
/// Lengths are kept, and a closed tuple gets a `maxItems`.
fn tuple(map: &mut Map<String, Value>, ptr: &str, applicators: bool, ctx: &mut Ctx) {
    let (kw, rest_kw) = if map.contains_key("prefixItems") {
        ("prefixItems", "items")
    } else {
        ("items", "additionalItems")
    };
    let at = child(ptr, kw);
    let positions = match map.remove(kw) {
        Some(Value::Array(p)) => p,
        _ => {
            ctx.note(at, format!("dropped `{kw}`: expected an array"));
            return;
        }
    };
    let mut rest = map.remove(rest_kw);
    if rest.as_ref().is_some_and(Value::is_array) {
        rest = None;
        ctx.note(
            child(ptr, rest_kw),
            format!("dropped `{rest_kw}`: it must be one schema, not an array"),
        );
    }
    if kw == "prefixItems" && map.remove("additionalItems").is_some() {
        ctx.note(
            child(ptr, "additionalItems"),
            "dropped `additionalItems`: next to `prefixItems` it has no effect",
        );
    }
    if let Some(unevaluated) = map.remove("unevaluatedItems") {
        if rest.is_none() && !applicators {
            rest = Some(unevaluated);
        } else {
            let why = if rest.is_some() {
                format!("`{rest_kw}` already applies to every item it would")
            } else {
                "it also counts items that subschemas here evaluate, which OpenAPI 3.0 cannot; the schema now accepts more".to_string()
            };
            ctx.note(
                child(ptr, "unevaluatedItems"),
                format!("dropped `unevaluatedItems`: {why}"),
            );
        }
    }
    let n = positions.len();
    // A position that accepts nothing ends the tuple: no array reaches it.
    let end = positions.iter().position(accepts_none);
    let mut allowed: Vec<Value> = positions.into_iter().take(end.unwrap_or(n)).collect();
    let max = match (end, rest) {
        (Some(i), _) => Some(i),
        (None, Some(r)) if accepts_none(&r) => Some(n),
        (None, Some(r)) => {
            allowed.push(r);
            None
        }
        (None, None) => None,
    };
    if let Some(max) = max {
        let max = map
            .get("maxItems")
            .and_then(Value::as_u64)
            .map_or(max as u64, |m| m.min(max as u64));
        map.insert("maxItems".into(), json!(max));
    }
    let items = any_of(allowed).unwrap_or_else(|| json!({}));
    let shape = match &items {
        Value::Object(m) if m.contains_key("anyOf") && m.len() == 1 => {
            "`anyOf` of the position schemas"
        }
        _ => "the one schema all positions share",
    };
    map.insert("items".into(), items);
    ctx.note(
        at,
        format!(
            "lowered `{kw}` to `items` ({shape}): OpenAPI 3.0 has no tuples, so each item may match any position's schema; `minItems`/`maxItems` are kept"
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use serde_json::json;

    #[test]
    fn dropped_keywords_are_noted() {
        for (kw, value) in [
            ("propertyNames", json!({"maxLength": 3})),
            ("contains", json!({"type": "string"})),
            ("minContains", json!(1)),
            ("maxContains", json!(2)),
            ("dependentRequired", json!({"a": ["b"]})),
            ("dependentSchemas", json!({"a": {"required": ["b"]}})),
            ("if", json!({"required": ["a"]})),
            ("then", json!({"required": ["b"]})),
            ("else", json!({"required": ["c"]})),
            ("contentSchema", json!({"type": "object"})),
            ("$dynamicAnchor", json!("meta")),
            ("$recursiveAnchor", json!(true)),
        ] {
            let s = json!({"type": "object", "items": {"type": "array", kw: value}});
            assert_eq!(
                conv(s.clone()).unwrap(),
                json!({"type": "object", "items": {"type": "array"}})
            );
            assert_eq!(note_at(s), [format!("/items/{kw}")]);
        }
    }

    #[test]
    fn dropped_subschemas_are_not_walked() {
        // An error inside a dropped keyword cannot fail the document.
        converts! { {"if": {"type": 3}, "then": 4} => {}; }
    }

    #[test]
    fn dynamic_references_become_refs() {
        converts! {
            {"$dynamicRef": "#/components/schemas/A"} => {"$ref": "#/components/schemas/A"};
            {"properties": {"next": {"$recursiveRef": "#"}}}
                => {"properties": {"next": {"$ref": "#/components/schemas/S"}}};
            {"$dynamicRef": "https://example.com/x"} => {};
        }
        let s = json!({"$dynamicRef": "#/components/schemas/A", "description": "d"});
        assert_eq!(note_at(s), ["/$dynamicRef"]);
    }

    #[test]
    fn pattern_properties_become_additional_properties() {
        converts! {
            {"type": "object", "patternProperties": {"^x-": {"type": ["string", "null"]}}}
                => {"type": "object", "additionalProperties": {"type": "string", "nullable": true}};
            {"patternProperties": {"^a": {"type": "string"}, "^b": {"type": "integer"}, "^c": {"type": "string"}}}
                => {"additionalProperties": {"anyOf": [{"type": "string"}, {"type": "integer"}]}};
            {"patternProperties": {"^a": {"type": "string"}, "^b": true}} => {"additionalProperties": {}};
            {"patternProperties": {"^a": false}} => {"additionalProperties": false};
            {"patternProperties": {"^a": {"type": "string"}}, "additionalProperties": false}
                => {"additionalProperties": false};
        }
        let s = json!({"patternProperties": {"^a": {"type": "null"}}});
        assert_eq!(
            note_at(s),
            ["/patternProperties/^a/type", "/patternProperties"]
        );
    }

    #[test]
    fn unevaluated_properties() {
        converts! {
            {"properties": {"a": {}}, "unevaluatedProperties": false}
                => {"properties": {"a": {}}, "additionalProperties": false};
            {"unevaluatedProperties": {"type": ["integer", "null"]}}
                => {"additionalProperties": {"type": "integer", "nullable": true}};
            // Would reject the properties `Base` declares: dropped instead.
            {"allOf": [{"$ref": "#/components/schemas/Base"}], "unevaluatedProperties": false}
                => {"allOf": [{"$ref": "#/components/schemas/Base"}]};
            {"additionalProperties": true, "unevaluatedProperties": false} => {"additionalProperties": true};
        }
        for s in [
            json!({"unevaluatedProperties": false}),
            json!({"$ref": "#/components/schemas/Base", "unevaluatedProperties": false}),
        ] {
            assert_eq!(note_at(s), ["/unevaluatedProperties"]);
        }
    }

    #[test]
    fn tuples_become_items() {
        converts! {
            {"type": "array", "prefixItems": [{"type": "string"}], "minItems": 1}
                => {"type": "array", "items": {"type": "string"}, "minItems": 1};
            {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}], "items": false, "minItems": 2}
                => {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}, "minItems": 2, "maxItems": 2};
            {"prefixItems": [{"type": "string"}], "items": {"type": "boolean"}, "maxItems": 5}
                => {"items": {"anyOf": [{"type": "string"}, {"type": "boolean"}]}, "maxItems": 5};
            {"prefixItems": [{"type": "string"}, {"type": "string"}]} => {"items": {"type": "string"}};
            {"prefixItems": [{"type": "string"}, false, {"type": "integer"}]}
                => {"items": {"type": "string"}, "maxItems": 1};
            {"prefixItems": [{"type": "string"}, true]} => {"items": {}};
            {"items": [{"type": "string"}, {"type": "integer"}], "additionalItems": false}
                => {"items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}, "maxItems": 2};
            {"prefixItems": [{"type": "string"}], "unevaluatedItems": false}
                => {"items": {"type": "string"}, "maxItems": 1};
            {"prefixItems": []} => {"items": {}};
        }
        let s = json!({"prefixItems": [{"type": ["string", "null"]}, {"const": 1}]});
        assert_eq!(
            conv(s.clone()).unwrap(),
            json!({"items": {"anyOf": [{"type": "string", "nullable": true}, {"enum": [1]}]}})
        );
        assert_eq!(note_at(s), ["/prefixItems"]);
        assert_eq!(
            conv_err(json!({"items": [3]})),
            "/components/schemas/S/items/0"
        );
    }

    #[test]
    fn unevaluated_and_additional_items() {
        converts! {
            {"type": "array", "unevaluatedItems": {"type": "string"}}
                => {"type": "array", "items": {"type": "string"}};
            {"items": {"type": "string"}, "unevaluatedItems": false} => {"items": {"type": "string"}};
            {"items": {"type": "string"}, "additionalItems": false} => {"items": {"type": "string"}};
        }
        assert_eq!(
            note_at(json!({"additionalItems": false})),
            ["/additionalItems"]
        );
    }
}
