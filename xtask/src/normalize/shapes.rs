//! Schema keywords whose value is not of the JSON type the keyword takes.
//!
//! openapiv3 reads each keyword into a typed field, so one `pattern: 0`
//! (api.video's `video-thumbnail-pick-payload`) made the whole document "not
//! a valid OpenAPI 3.0 document". Such a keyword states nothing a reader can
//! use; it is dropped with a note naming it, which only makes the schema
//! accept more. It runs after `repair.rs`, which reads counts and bounds written
//! as text or fractions; `type`, `default`, `example` and the exclusive bounds have
//! repairs of their own (see `repair.rs` and `schema.rs`).

use serde_json::{Map, Value};

use super::{Ctx, child};

/// What a keyword's value must be.
#[derive(Clone, Copy)]
enum Shape {
    Text,
    Count,
    Number,
    Flag,
    List,
}

/// The keywords checked, and the shape of their value.
const KEYWORDS: [(&str, Shape); 19] = [
    ("pattern", Shape::Text),
    ("format", Shape::Text),
    ("title", Shape::Text),
    ("description", Shape::Text),
    ("maxLength", Shape::Count),
    ("minLength", Shape::Count),
    ("maxItems", Shape::Count),
    ("minItems", Shape::Count),
    ("maxProperties", Shape::Count),
    ("minProperties", Shape::Count),
    ("minimum", Shape::Number),
    ("maximum", Shape::Number),
    ("multipleOf", Shape::Number),
    ("uniqueItems", Shape::Flag),
    ("nullable", Shape::Flag),
    ("readOnly", Shape::Flag),
    ("writeOnly", Shape::Flag),
    ("deprecated", Shape::Flag),
    ("enum", Shape::List),
];

impl Shape {
    fn admits(self, value: &Value) -> bool {
        match self {
            Shape::Text => value.is_string(),
            Shape::Count => value.is_u64(),
            Shape::Number => value.is_number(),
            Shape::Flag => value.is_boolean(),
            Shape::List => value.is_array(),
        }
    }

    fn wanted(self) -> &'static str {
        match self {
            Shape::Text => "a string",
            Shape::Count => "a whole number of at least 0",
            Shape::Number => "a number",
            Shape::Flag => "true or false",
            Shape::List => "an array",
        }
    }
}

/// Drops the keywords of `map` whose value has the wrong shape, and the
/// entries of `required` that are not property names.
pub(super) fn drop_mistyped(map: &mut Map<String, Value>, ptr: &str, ctx: &mut Ctx) {
    for (keyword, shape) in KEYWORDS {
        let Some(value) = map.get(keyword) else {
            continue;
        };
        if shape.admits(value) {
            continue;
        }
        let shown = short(value);
        map.remove(keyword);
        ctx.note(
            child(ptr, keyword),
            format!(
                "dropped `{keyword}: {shown}`: the keyword takes {}",
                shape.wanted()
            ),
        );
    }
    match map.get_mut("required") {
        Some(Value::Array(names)) if names.iter().all(Value::is_string) => {}
        Some(Value::Array(names)) => {
            names.retain(Value::is_string);
            ctx.note(
                child(ptr, "required"),
                "dropped the entries of `required` that are not strings (property names)",
            );
        }
        Some(other) => {
            let shown = short(other);
            map.remove("required");
            ctx.note(
                child(ptr, "required"),
                format!(
                    "dropped `required: {shown}`: the keyword takes an array of property names"
                ),
            );
        }
        None => {}
    }
}

/// A value as the note quotes it: at most 40 characters of its JSON.
fn short(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(40) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::note_at;
    use serde_json::json;

    #[test]
    fn a_keyword_of_the_wrong_type_is_dropped_with_a_note() {
        // api.video's pickThumbnailPayload: `pattern: 0` on a string.
        let notes = note_at(json!({
            "type": "object",
            "required": ["timecode", 3],
            "properties": {
                "timecode": {"type": "string", "pattern": 0, "maxLength": 1.5, "nullable": "yes"}
            }
        }));
        for pointer in [
            "/properties/timecode/pattern",
            "/properties/timecode/maxLength",
            "/properties/timecode/nullable",
            "/required",
        ] {
            assert!(notes.iter().any(|n| n == pointer), "{pointer}: {notes:?}");
        }
    }

    #[test]
    fn keywords_of_the_right_type_are_kept() {
        let notes = note_at(json!({
            "type": "string", "pattern": "^a$", "maxLength": 3, "nullable": true,
            "enum": ["a"], "description": "d"
        }));
        assert!(notes.is_empty(), "{notes:?}");
    }
}
