//! `null` in 3.1 schemas → OpenAPI 3.0's `nullable`.
//!
//! 3.1 spells "or null" as a `null` type or a union branch that only admits
//! null; 3.0 has no null type, only `nullable: true` beside the other keywords.
//! Branches that only admit null are taken out of `anyOf`/`oneOf` (exact, unless
//! null also matches another `oneOf` branch, which 3.1 rejects and 3.0 cannot
//! say: that widens, with a note); a schema admitting nothing but null becomes
//! `enum: [null]` with `nullable: true`, which the generator turns into `()`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use super::{Ctx, MAX_DEPTH, child};

/// What the `null` handling found out about a schema.
#[derive(Default)]
pub(super) struct Null {
    /// The schema admits `null` besides what its other keywords allow.
    pub(super) nullable: bool,
    /// The schema admits `null` and nothing else.
    pub(super) only: bool,
    /// Unions that lost their `null` branches and may fold into the parent.
    pub(super) collapsible: Vec<&'static str>,
}

/// Takes the branches that only admit `null` out of `anyOf`/`oneOf`; null then
/// becomes `nullable: true` (or, if nothing else is left, the only value).
pub(super) fn strip_null_branches(map: &mut Map<String, Value>, ptr: &str, ctx: &mut Ctx) -> Null {
    let mut null = Null::default();
    // Null must pass the schema's own `type`/`const`/`enum` too: where they
    // exclude it, the null branches could never match and simply go.
    let admitted = own_keywords_admit_null(map);
    let mut unions = 0;
    let mut with_null = 0;
    for kw in ["anyOf", "oneOf"] {
        let Some(Value::Array(branches)) = map.get_mut(kw) else {
            continue;
        };
        unions += 1;
        let before = branches.len();
        branches.retain(|b| !is_null_branch(b));
        let removed = before - branches.len();
        if removed == 0 {
            continue;
        }
        with_null += 1;
        let refs = |r: &str| ctx.nullable_refs.contains(&absolute(r, &ctx.resource));
        let twice =
            kw == "oneOf" && (removed > 1 || branches.iter().any(|b| admits_null(b, &refs)));
        let empty = branches.is_empty();
        if empty {
            map.remove(kw);
        } else {
            null.collapsible.push(kw);
        }
        let at = child(ptr, kw);
        if !admitted {
            if empty {
                ctx.note(
                    at,
                    format!(
                        "dropped `{kw}`: every branch only admits null, which the schema's own `type`/`enum` excludes, so no value matched; OpenAPI 3.0 cannot say that, so this widens the schema"
                    ),
                );
            }
            continue;
        }
        if twice {
            // 3.1 rejects null when it matches two branches; `nullable: true`
            // cannot express "not null after all", so this accepts more.
            ctx.note(
                &at,
                "null matches more than one `oneOf` branch, which 3.1 rejects; read as `nullable: true` because OpenAPI 3.0 cannot express that, so this widens the schema to accept null",
            );
        }
        if empty {
            null.only = true;
            ctx.note(
                at,
                format!(
                    "every `{kw}` branch only admits null: lowered to `enum: [null]` with `nullable: true` (OpenAPI 3.0 has no null type)"
                ),
            );
        }
    }
    // Null must pass every union: a null branch in only one of `anyOf` and
    // `oneOf` does not make the schema nullable.
    null.nullable = admitted && with_null > 0 && with_null == unions;
    null.only &= null.nullable;
    null
}

/// Whether `type`, `const` and `enum` of the schema itself let `null` through.
fn own_keywords_admit_null(m: &Map<String, Value>) -> bool {
    let typed = match m.get("type") {
        Some(Value::String(t)) => t == "null",
        Some(Value::Array(types)) => types.iter().any(|t| t == "null"),
        _ => true,
    };
    let constant = m.get("const").is_none_or(Value::is_null);
    let listed = match m.get("enum") {
        Some(Value::Array(values)) => values.contains(&Value::Null),
        _ => true,
    };
    typed && constant && listed
}

/// Whether a schema may accept `null`, judged from its own keywords; a `$ref`
/// admits it when `nullable_ref` says its target does.
fn admits_null(s: &Value, nullable_ref: &dyn Fn(&str) -> bool) -> bool {
    admits_null_within(s, nullable_ref, MAX_DEPTH)
}

/// [`admits_null`], giving up (not admitting) below `depth` more levels: it
/// runs before the walk has checked the nesting.
fn admits_null_within(s: &Value, nullable_ref: &dyn Fn(&str) -> bool, depth: usize) -> bool {
    let Some(depth) = depth.checked_sub(1) else {
        return false;
    };
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
    if let Some(target) = m.get("$ref") {
        return target.as_str().is_some_and(nullable_ref);
    }
    let branches = |kw: &str| m.get(kw).and_then(Value::as_array);
    if let Some(all) = branches("allOf") {
        return all
            .iter()
            .all(|b| admits_null_within(b, nullable_ref, depth));
    }
    for kw in ["anyOf", "oneOf"] {
        if let Some(any) = branches(kw) {
            return any
                .iter()
                .any(|b| admits_null_within(b, nullable_ref, depth));
        }
    }
    true
}

/// A `#/$defs/..` reference made absolute against its schema resource.
fn absolute(reference: &str, resource: &str) -> String {
    match reference.strip_prefix("#/$defs/") {
        Some(rest) => format!("#{resource}/$defs/{rest}"),
        None => reference.to_string(),
    }
}

/// The references (`#/components/schemas/X` and their top-level `$defs`) whose
/// 3.1 schema admits `null`, read before anything is converted, so that a
/// `oneOf` can tell whether null matches a `$ref` branch too. Reference chains
/// longer than a few hops count as not admitting null.
pub(super) fn nullable_refs(root: &Map<String, Value>) -> BTreeSet<String> {
    let mut targets: BTreeMap<String, (&Value, String)> = BTreeMap::new();
    let schemas = root.get("components").and_then(|c| c.get("schemas"));
    for (name, s) in schemas.and_then(Value::as_object).into_iter().flatten() {
        let resource = child("/components/schemas", name);
        let defs = s.get("$defs").and_then(Value::as_object);
        for (def, d) in defs.into_iter().flatten() {
            let at = child(&child(&resource, "$defs"), def);
            targets.insert(format!("#{at}"), (d, resource.clone()));
        }
        targets.insert(format!("#{resource}"), (s, resource));
    }
    let mut nullable = BTreeSet::new();
    for _ in 0..8 {
        let found: Vec<String> = targets
            .iter()
            .filter(|(target, (s, resource))| {
                !nullable.contains(*target)
                    && admits_null(s, &|r: &str| nullable.contains(&absolute(r, resource)))
            })
            .map(|(target, _)| target.clone())
            .collect();
        if found.is_empty() {
            break;
        }
        nullable.extend(found);
    }
    nullable
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

/// Restricts the schema to `null` (`type: "null"`, or unions of null only):
/// 3.0's spelling is `enum: [null]` with `nullable: true`, which the generator
/// turns into `()`.
pub(super) fn only_null(map: &mut Map<String, Value>, ptr: &str, ctx: &mut Ctx) {
    if let Some(values) = map.get("enum")
        && !values.as_array().is_some_and(|v| v.contains(&Value::Null))
    {
        ctx.note(
            child(ptr, "enum"),
            "the schema only admits null but its `enum` does not list it, so no value matched; lowered to null only, which widens it",
        );
    }
    map.insert("enum".into(), json!([null]));
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use serde_json::json;

    #[test]
    fn null_only_type_admits_only_null() {
        for t in [json!("null"), json!(["null"])] {
            let s = json!({"properties": {"p": {"type": t, "description": "d"}}});
            let want = json!({"properties": {"p": {"enum": [null], "nullable": true, "description": "d"}}});
            assert_eq!(conv(s.clone()).unwrap(), want);
            assert_eq!(note_at(s), ["/properties/p/type"]);
        }
        converts! {
            {"enum": [null]} => {"enum": [null], "nullable": true};
            {"enum": ["a", null]} => {"enum": ["a", null], "nullable": true};
            {"type": "string", "enum": ["a", null]} => {"type": "string", "enum": ["a", null]};
            {"not": {"type": "null"}} => {"not": {"enum": [null], "nullable": true}};
        }
    }

    #[test]
    fn all_null_unions_admit_only_null() {
        for kw in ["anyOf", "oneOf"] {
            let s = json!({kw: [{"type": "null"}], "description": "d"});
            let want = json!({"enum": [null], "nullable": true, "description": "d"});
            assert_eq!(conv(s.clone()).unwrap(), want);
            assert_eq!(note_at(s), [format!("/{kw}")]);
        }
        // Null twice in a `oneOf` accepts nothing in 3.1: the lowering widens.
        let s = json!({"oneOf": [{"type": "null"}, {"const": null}]});
        assert_eq!(
            conv(s.clone()).unwrap(),
            json!({"enum": [null], "nullable": true})
        );
        assert_eq!(note_at(s), ["/oneOf", "/oneOf"]);
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
    fn null_branch_the_schema_excludes_is_dropped() {
        // `type: integer` already rules null out: dropping the branch is exact,
        // and the conflicting branch stays a one-branch union (nothing matches).
        converts! {
            {"type": "integer", "anyOf": [{"type": "string"}, {"type": "null"}]}
                => {"type": "integer", "anyOf": [{"type": "string"}]};
            {"type": "integer", "anyOf": [{"minimum": 1}, {"type": "null"}]}
                => {"type": "integer", "minimum": 1};
        }
        assert_eq!(
            note_at(json!({"type": "string", "oneOf": [{"type": "null"}]})),
            ["/oneOf"]
        );
        // Null must also pass the other union.
        converts! {
            {"anyOf": [{"type": "string"}, {"type": "null"}], "oneOf": [{"minLength": 1}, {"maxLength": 3}]}
                => {"anyOf": [{"type": "string"}], "oneOf": [{"minLength": 1}, {"maxLength": 3}]};
        }
    }

    #[test]
    fn one_of_admitting_null_twice_widens_with_a_note() {
        // Null matching two `oneOf` branches is invalid in 3.1, but 3.0 can
        // only say `nullable: true`: accepted, and the note says it widens.
        for (s, want) in [
            (
                json!({"oneOf": [{"type": "null"}, {"type": ["string", "null"]}]}),
                json!({"type": "string", "nullable": true}),
            ),
            (
                json!({"oneOf": [{"type": "null"}, {"const": null}, {"type": "string"}]}),
                json!({"type": "string", "nullable": true}),
            ),
            (
                json!({"oneOf": [{"type": "null"}, {"minimum": 1}]}),
                json!({"minimum": 1, "nullable": true}),
            ),
        ] {
            let (got, notes) = conv_notes(s).unwrap();
            assert_eq!(got, want);
            assert_eq!(notes.len(), 1);
            assert_eq!(notes[0].pointer, "/components/schemas/S/oneOf");
            assert!(notes[0].message.contains("widens"), "{}", notes[0].message);
        }
        converts! {
            {"anyOf": [{"type": "null"}, {"type": ["string", "null"]}]} => {"type": "string", "nullable": true};
        }
        // Through references too, to components and their `$defs`.
        let d = doc(json!({"schemas": {
            "N": {"$ref": "#/components/schemas/M"}, "M": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            "S": {"type": "object", "$defs": {"D": {"type": "null"}}, "properties": {
                "a": {"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/N"}]},
                "b": {"oneOf": [{"type": "null"}, {"$ref": "#/$defs/D"}]},
                "c": {"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/S"}]}}}}}));
        let out = super::super::normalize(d).unwrap();
        let widened: Vec<&str> = out
            .notes
            .iter()
            .filter(|n| n.message.contains("widens"))
            .map(|n| n.pointer.as_str())
            .collect();
        let at = "/components/schemas/S/properties";
        assert_eq!(widened, [format!("{at}/a/oneOf"), format!("{at}/b/oneOf")]);
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
}
