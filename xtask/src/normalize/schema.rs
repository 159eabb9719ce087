//! One schema, 3.1 → 3.0: identifiers, `type` arrays, `const`, `examples`,
//! numeric exclusive bounds, `content*`, one-branch unions, `$ref` siblings, in
//! the order that makes them compose. `null` is handled by [`null`], the
//! 2020-12 keywords 3.0 lacks are lowered by [`keywords`], `$defs` are set aside
//! by [`defs`], and defects are fixed by [`repair`].

use serde_json::{Map, Value, json};

use super::null::{self, Null};
use super::{Ctx, Res, check_depth, child, defs, each_entry, each_under, err, keywords, repair};

/// Keywords that combine subschemas; collapsing a nullable union is only safe
/// when no other one of these constrains the same schema.
const COMPOSITION: [&str; 4] = ["allOf", "anyOf", "oneOf", "not"];

/// Keywords that only describe: when a union branch is merged into its parent
/// and both have one, the parent's (which describes the whole) is kept.
const ANNOTATIONS: [&str; 8] = [
    "title",
    "description",
    "example",
    "examples",
    "deprecated",
    "readOnly",
    "writeOnly",
    "default",
];

/// Converts one schema (and, recursively, its subschemas) to the 3.0 dialect;
/// in a 3.0 document, only repairs it.
pub(super) fn schema(v: &mut Value, ptr: &str, depth: usize, ctx: &mut Ctx) -> Res {
    check_depth(ptr, depth)?;
    if !ctx.convert {
        // 3.0: whatever is not an object (or is a reference, whose siblings 3.0
        // ignores) is left for the generator to judge, as before.
        if let Some(map) = v.as_object_mut()
            && !map.contains_key("$ref")
        {
            repair::schema(map, ptr, ctx);
            super::shapes::drop_mistyped(map, ptr, ctx);
            recurse(map, ptr, depth, ctx)?;
        }
        return Ok(());
    }
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
    // A schema with `$id` starts a resource of its own: `#/$defs/..` inside it
    // resolve against it.
    let outer = map
        .contains_key("$id")
        .then(|| std::mem::replace(&mut ctx.resource, ptr.to_string()));
    let result = convert(map, ptr, depth, ctx);
    if let Some(outer) = outer {
        ctx.resource = outer;
    }
    result
}

fn convert(map: &mut Map<String, Value>, ptr: &str, depth: usize, ctx: &mut Ctx) -> Res {
    identifiers(map, ptr, ctx);
    let applicators = keywords::applicators(map);
    keywords::drop_unsupported(map, ptr, ctx);
    defs::collect(map, ptr, depth, ctx)?;
    repair::schema(map, ptr, ctx);
    // After the repairs, which read counts and bounds written as text.
    super::shapes::drop_mistyped(map, ptr, ctx);
    // Null branches go before recursing: on their own they would be converted
    // into `enum: [null]` schemas instead of folding into `nullable`.
    let mut null = null::strip_null_branches(map, ptr, ctx);
    recurse(map, ptr, depth, ctx)?;
    keywords::lower(map, ptr, applicators, ctx);
    convert_type(map, ptr, &mut null, ctx)?;
    convert_const(map, ptr, &mut null, ctx);
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
    for kw in std::mem::take(&mut null.collapsible) {
        collapse(map, kw, null.nullable);
    }
    if null.only {
        null::only_null(map, ptr, ctx);
    } else if !map.contains_key("type")
        && let Some(Value::Array(values)) = map.get("enum")
        && values.contains(&Value::Null)
    {
        // With no `type`, a 3.1 `enum` listing null admits it; 3.0.3 wants
        // `nullable: true` as well.
        null.nullable = true;
    }
    if null.nullable || null.only {
        map.insert("nullable".into(), Value::Bool(true));
    }
    // 3.0 ignores everything next to a schema `$ref`; `allOf` keeps the siblings
    // meaningful, whatever they say (a conflict with the target only makes the
    // schema stricter, as it was in 3.1).
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

/// `$schema`, `$comment` and `$anchor` carry no meaning once references are
/// plain pointers (anchors are remembered for [`defs::place`]); `$id` is noted.
fn identifiers(map: &mut Map<String, Value>, ptr: &str, ctx: &mut Ctx) {
    for kw in ["$schema", "$comment"] {
        map.remove(kw);
    }
    if let Some(anchor) = map.remove("$anchor") {
        ctx.defs.anchor(anchor, ptr);
    }
    if map.remove("$id").is_some() {
        ctx.note(
            child(ptr, "$id"),
            "dropped `$id`: OpenAPI 3.0 schemas cannot declare identifiers",
        );
    }
}

/// Walks the subschemas. In a 3.0 document only 3.0's schema keywords hold
/// schemas; in 3.1 also those [`keywords::lower`] moves afterwards, so that
/// notes and errors inside them point where they were written.
pub(super) fn recurse(map: &mut Map<String, Value>, ptr: &str, depth: usize, ctx: &mut Ctx) -> Res {
    if let Some(Value::Object(props)) = map.get_mut("properties") {
        // Property names are data, not extensions: `x-` names are walked too.
        let at = child(ptr, "properties");
        each_entry(props, &at, depth + 1, ctx, schema, false)?;
    }
    // Where a boolean is valid 3.0 (`additionalProperties`) or is turned into
    // one when lowered, it stays a boolean: only objects are walked.
    let mut objects = vec!["additionalProperties"];
    if ctx.convert {
        for kw in ["items", "not", "additionalItems", "unevaluatedItems"] {
            if let Some(s) = map.get_mut(kw).filter(|s| !s.is_array()) {
                schema(s, &child(ptr, kw), depth + 1, ctx)?;
            }
        }
        for kw in ["items", "prefixItems"] {
            if matches!(map.get(kw), Some(Value::Array(_))) {
                each_under(map, kw, ptr, depth + 1, ctx, schema)?;
            }
        }
        objects.push("unevaluatedProperties");
        if let Some(Value::Object(patterns)) = map.get_mut("patternProperties") {
            let at = child(ptr, "patternProperties");
            each_entry(patterns, &at, depth + 1, ctx, object_schema, false)?;
        }
    } else {
        objects.extend(["items", "not"]);
    }
    // Not an OpenAPI keyword, but JSON Schema draft 4's home of subschemas,
    // and a `$ref` into it is hoisted into `components` (codat.io's
    // `#/components/schemas/Item/definitions/itemType`): walked as schemas.
    if let Some(Value::Object(defs)) = map.get_mut("definitions") {
        let at = child(ptr, "definitions");
        each_entry(defs, &at, depth + 1, ctx, schema, false)?;
    }
    for kw in objects {
        if let Some(s @ Value::Object(_)) = map.get_mut(kw) {
            schema(s, &child(ptr, kw), depth + 1, ctx)?;
        }
    }
    for kw in ["allOf", "anyOf", "oneOf"] {
        each_under(map, kw, ptr, depth + 1, ctx, schema)?;
    }
    Ok(())
}

fn object_schema(v: &mut Value, ptr: &str, depth: usize, ctx: &mut Ctx) -> Res {
    match v {
        Value::Object(_) => schema(v, ptr, depth, ctx),
        _ => Ok(()),
    }
}

fn convert_type(map: &mut Map<String, Value>, ptr: &str, null: &mut Null, ctx: &mut Ctx) -> Res {
    let types = match map.get("type") {
        None => return Ok(()),
        Some(Value::String(t)) if t == "null" => vec![json!("null")],
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
            Some("null") => null.nullable = true,
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
        [] => {
            map.remove("type");
            null.only = true;
            ctx.note(
                child(ptr, "type"),
                "lowered `type: \"null\"` to `enum: [null]` with `nullable: true`: OpenAPI 3.0 has no null type",
            );
        }
        [single] => {
            map.insert("type".into(), json!(single));
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
        }
    }
    Ok(())
}

fn convert_const(map: &mut Map<String, Value>, ptr: &str, null: &mut Null, ctx: &mut Ctx) {
    let Some(value) = map.remove("const") else {
        return;
    };
    if let Some(existing) = map.get("enum")
        && !existing.as_array().is_some_and(|e| e.contains(&value))
    {
        ctx.note(
            child(ptr, "const"),
            "`const` is not in `enum`, so no value matched; kept the `const` value as the only one, which widens the schema",
        );
    }
    null.nullable |= value.is_null();
    map.insert("enum".into(), json!([value]));
}

/// 3.1 exclusive bounds are numbers; 3.0 uses a boolean flag on `minimum`/`maximum`.
pub(super) fn convert_exclusive(
    map: &mut Map<String, Value>,
    excl: &str,
    bound: &str,
    is_min: bool,
) {
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

/// `contentEncoding` base64 and binary are 3.0's `format: byte` and `binary`;
/// a non-JSON `contentMediaType` on a string is `format: binary`. The rest
/// (other encodings, media type names) has no 3.0 spelling and is dropped.
fn convert_content(map: &mut Map<String, Value>, ptr: &str, ctx: &mut Ctx) {
    let mut format = None;
    match map.remove("contentEncoding") {
        Some(Value::String(e)) if e.eq_ignore_ascii_case("base64") => format = Some("byte"),
        Some(Value::String(e)) if e.eq_ignore_ascii_case("binary") => format = Some("binary"),
        Some(e) => ctx.note(
            child(ptr, "contentEncoding"),
            format!(
                "dropped `contentEncoding: {e}`: only base64 (`format: byte`) and binary (`format: binary`) map to OpenAPI 3.0"
            ),
        ),
        None => {}
    }
    if let Some(media) = map.remove("contentMediaType") {
        let text = media.as_str().unwrap_or_default();
        let json = text == "application/json" || text.ends_with("+json");
        if format.is_none() && !json && map.get("type") == Some(&json!("string")) {
            format = Some("binary");
        } else {
            ctx.note(
                child(ptr, "contentMediaType"),
                format!(
                    "dropped `contentMediaType: {media}`: OpenAPI 3.0 schemas cannot name the media type of string content"
                ),
            );
        }
    }
    if let Some(f) = format {
        map.entry("format").or_insert_with(|| json!(f));
    }
}

/// Folds a union left with a single branch (after removing `null`) into its parent,
/// because generators turn a one-branch `anyOf` into a needless wrapper type.
/// Differing annotations never stop it (the parent's win); a differing
/// assertion does, and the one-branch union then stays as it is (same meaning).
fn collapse(map: &mut Map<String, Value>, kw: &str, nullable: bool) {
    let single = matches!(map.get(kw), Some(Value::Array(b)) if b.len() == 1);
    let others = COMPOSITION.iter().any(|c| *c != kw && map.contains_key(*c));
    if !single || others {
        return;
    }
    let Some(Value::Object(branch)) = map.get(kw).and_then(|b| b.get(0)) else {
        return;
    };
    let conflict = branch.iter().any(|(k, v)| {
        !ANNOTATIONS.contains(&k.as_str()) && map.get(k).is_some_and(|mine| mine != v)
    });
    if conflict {
        return;
    }
    let Some(Value::Array(branches)) = map.remove(kw) else {
        return;
    };
    let Some(Value::Object(mut branch)) = branches.into_iter().next() else {
        return;
    };
    // The removed null branch admitted null whatever this branch's `enum` says;
    // once merged, `nullable: true` beside an `enum` only admits null if the
    // enum lists it (OpenAPI 3.0.3), so list it.
    if nullable
        && !map.contains_key("enum")
        && let Some(Value::Array(values)) = branch.get_mut("enum")
        && !values.contains(&Value::Null)
    {
        values.push(Value::Null);
    }
    if branch.len() == 1 && branch.contains_key("$ref") {
        map.insert("allOf".into(), json!([branch]));
        return;
    }
    for (key, value) in branch {
        if !map.contains_key(&key) {
            map.insert(key, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use serde_json::json;

    #[test]
    fn nullable_type_arrays() {
        converts! {
            {"type": ["string", "null"]} => {"type": "string", "nullable": true};
            {"type": ["null", "string"]} => {"type": "string", "nullable": true};
            {"type": ["integer"]} => {"type": "integer"};
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
    fn collapse_never_fails_on_differences() {
        // Annotations: the parent's win. Assertions: the union stays.
        converts! {
            {"description": "outer", "title": "T", "readOnly": true,
             "oneOf": [{"type": "string", "description": "inner", "title": "U", "readOnly": false, "examples": ["x"]}, {"type": "null"}]}
                => {"type": "string", "description": "outer", "title": "T", "readOnly": true, "example": "x", "nullable": true};
            {"maxLength": 5, "anyOf": [{"maxLength": 3}, {"type": "null"}]}
                => {"maxLength": 5, "anyOf": [{"maxLength": 3}], "nullable": true};
        }
    }

    #[test]
    fn const_becomes_enum() {
        converts! {
            {"const": "a"} => {"enum": ["a"]};
            {"const": null} => {"enum": [null], "nullable": true};
            {"const": "a", "enum": ["a", "b"]} => {"enum": ["a"]};
            {"const": "c", "enum": ["a", "b"]} => {"enum": ["c"]};
        }
        assert_eq!(note_at(json!({"const": "c", "enum": ["a"]})), ["/const"]);
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
        let out = super::super::normalize(d).unwrap().document;
        assert_eq!(
            out["components"]["responses"]["R"]["content"]["application/json"],
            json!({"schema": {"example": "a"}, "examples": {"one": {"value": "a"}}})
        );
    }

    #[test]
    fn exclusive_bounds() {
        converts! {
            {"type": "number", "exclusiveMinimum": 0} => {"type": "number", "minimum": 0, "exclusiveMinimum": true};
            {"type": "number", "exclusiveMinimum": 0, "minimum": 5} => {"type": "number", "minimum": 5};
            {"type": "number", "exclusiveMinimum": 5, "minimum": 5} => {"type": "number", "minimum": 5, "exclusiveMinimum": true};
            {"type": "number", "exclusiveMaximum": 10, "maximum": 20} => {"type": "number", "maximum": 10, "exclusiveMaximum": true};
            {"type": "number", "exclusiveMaximum": 10, "maximum": 3} => {"type": "number", "maximum": 3};
            {"type": "number", "minimum": 1, "exclusiveMinimum": true} => {"type": "number", "minimum": 1, "exclusiveMinimum": true};
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
            // Siblings that contradict the target make it stricter, never an error.
            {"$ref": "#/components/schemas/A", "type": "string", "allOf": [{"maxLength": 1}]}
                => {"allOf": [{"$ref": "#/components/schemas/A"}, {"maxLength": 1}], "type": "string"};
        }
    }

    #[test]
    fn content_encoding_and_media_type() {
        converts! {
            {"type": "string", "contentEncoding": "base64"} => {"type": "string", "format": "byte"};
            {"type": "string", "contentEncoding": "binary"} => {"type": "string", "format": "binary"};
            {"type": "string", "contentMediaType": "application/octet-stream"}
                => {"type": "string", "format": "binary"};
            {"type": "string", "contentMediaType": "image/png", "contentEncoding": "base64"}
                => {"type": "string", "format": "byte"};
            {"type": "string", "contentMediaType": "application/json"} => {"type": "string"};
        }
        let s =
            json!({"type": "string", "contentMediaType": "image/png", "contentEncoding": "base64"});
        assert_eq!(note_at(s), ["/contentMediaType"]);
        let s = json!({"type": "string", "contentEncoding": "quoted-printable"});
        assert_eq!(note_at(s), ["/contentEncoding"]);
    }

    #[test]
    fn schema_identifiers_are_dropped() {
        let s =
            json!({"$schema": "x", "$id": "y", "$comment": "c", "$anchor": "a", "type": "object"});
        assert_eq!(conv(s.clone()).unwrap(), json!({"type": "object"}));
        assert_eq!(note_at(s), ["/$id"]);
    }

    #[test]
    fn boolean_schemas() {
        converts! {
            {"properties": {"a": true, "b": false}, "items": false}
                => {"properties": {"a": {}, "b": {"not": {}}}, "items": {"not": {}}};
            {"additionalProperties": false} => {"additionalProperties": false};
        }
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
    fn broken_schemas_are_errors() {
        assert_eq!(conv_err(json!({"items": 3})), "/components/schemas/S/items");
        // A `type` that names no type is a defect of one place: dropped, with
        // a note (see `repair`).
        converts! {
            {"type": 3} => {};
            {"type": ["string", 3], "minLength": 1} => {"minLength": 1};
        }
    }
}
