//! `examples` maps of the wrong shape, in 3.0 and 3.1 documents alike.
//!
//! A parameter's, header's or media type's `examples` is a map of Example
//! Objects (or references to them), whose `summary`, `description` and
//! `externalValue` are strings. `openapiv3` reads every one of them, so a
//! single `examples: [..]` (a schema's 3.1 form, written one level too high)
//! or an example written as its bare value made the whole document "not a
//! valid OpenAPI 3.0 document". Examples generate no code: what is of the
//! wrong shape is dropped, with a note.

use serde_json::{Map, Value};

use super::{Ctx, child};

/// The Example Object fields that must be strings.
const TEXT_FIELDS: [&str; 3] = ["summary", "description", "externalValue"];

/// Repairs the `examples` of a parameter, header or media type (not of a
/// reference to one).
pub(super) fn of_object(v: &mut Value, ptr: &str, ctx: &mut Ctx) {
    let Some(map) = v.as_object_mut().filter(|m| !m.contains_key("$ref")) else {
        return;
    };
    let at = child(ptr, "examples");
    match map.get_mut("examples") {
        None => {}
        Some(Value::Object(examples)) => entries(examples, &at, ctx),
        Some(other) => {
            let kind = kind(other);
            map.remove("examples");
            ctx.note(
                at,
                format!("dropped `examples`: a map of Example Objects was expected, not {kind}; examples generate no code"),
            );
        }
    }
}

/// Repairs each entry of an `examples` map (also `components/examples`).
pub(super) fn entries(examples: &mut Map<String, Value>, ptr: &str, ctx: &mut Ctx) {
    let mut dropped = Vec::new();
    for (name, example) in examples.iter_mut() {
        let at = child(ptr, name);
        let Value::Object(example) = example else {
            dropped.push((name.clone(), at, kind(example)));
            continue;
        };
        if example.contains_key("$ref") {
            continue;
        }
        for field in TEXT_FIELDS {
            if let Some(value) = example.get(field)
                && !value.is_string()
            {
                let kind = kind(value);
                example.remove(field);
                ctx.note(
                    child(&at, field),
                    format!("dropped the example's `{field}`: a string was expected, not {kind}"),
                );
            }
        }
    }
    for (name, at, kind) in dropped {
        examples.remove(&name);
        ctx.note(
            at,
            format!("dropped the example {name:?}: an Example Object (`value: ...`) was expected, not {kind}; examples generate no code"),
        );
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a sequence",
        Value::Object(_) => "a mapping",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::*;

    #[test]
    fn examples_of_the_wrong_shape_are_dropped() {
        let doc = json!({"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {"/a": {"get": {
            "parameters": [{"name": "q", "in": "query", "schema": {"type": "string"}, "examples": ["x"]}],
            "responses": {"200": {"description": "ok", "content": {"application/json": {
                "schema": {"type": "string"},
                "examples": {"bare": "x", "ok": {"value": "x"}, "odd": {"summary": 3, "value": "y"},
                    "ref": {"$ref": "#/components/examples/E"}}}}}}}}},
            "components": {"examples": {"E": 3, "F": {"value": 1}}}});
        let out = crate::normalize::normalize(doc).unwrap();
        let d = &out.document;
        assert!(
            d["paths"]["/a"]["get"]["parameters"][0]
                .get("examples")
                .is_none()
        );
        assert_eq!(
            d["paths"]["/a"]["get"]["responses"]["200"]["content"]["application/json"]["examples"],
            json!({"ok": {"value": "x"}, "odd": {"value": "y"}, "ref": {"$ref": "#/components/examples/E"}})
        );
        assert_eq!(d["components"]["examples"], json!({"F": {"value": 1}}));
        assert_eq!(
            note_pointers(&out),
            [
                "/paths/~1a/get/parameters/0/examples",
                "/paths/~1a/get/responses/200/content/application~1json/examples/odd/summary",
                "/paths/~1a/get/responses/200/content/application~1json/examples/bare",
                "/components/examples/E",
            ]
        );
        // What openapiv3 refused before is now read.
        serde_json::from_value::<openapiv3::OpenAPI>(out.document).unwrap();
    }
}
