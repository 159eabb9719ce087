//! Vendor defects and generator limits, fixed in 3.0 and 3.1 documents alike.
//!
//! Each fix targets something that would otherwise make `openapiv3` refuse the
//! whole document, or typify give up on an operation, and is only made when
//! what the author meant is clear. A document without any of them is left
//! byte-identical (which keeps the committed code of 3.0 specs stable).
//!
//! - numeric keywords that are not numbers (`minimum: "1s"`): a numeric string
//!   is read as its number, anything else dropped;
//! - lengths and counts (`maxLength`, `minItems`, ...) that are not
//!   non-negative 64-bit integers, which `openapiv3` reads as `usize`;
//! - integers beyond 64 bits on `type: integer` schemas: `openapiv3` holds
//!   integer bounds as `i64`, typify rejects an `enum`/`default` value its Rust
//!   integer cannot hold. (The loader already turned integers beyond 64 bits
//!   into floats; see `load::parse`.) A bound beyond them either bounds nothing
//!   (dropped) or excludes every `i64` (clamped to the `i64` range); such
//!   values are dropped;
//! - `format` on an object schema, on which progenitor gives up;
//! - in 3.0 only, a numeric (3.1-style) `exclusiveMinimum`/`exclusiveMaximum`;
//! - security scheme `type`s and `in`s in the wrong case (`APIKey`), and 3.1's
//!   `mutualTLS`, which 3.0 does not know.

use serde_json::{Map, Value, json};

use super::{Ctx, child, schema::convert_exclusive};

/// 2^63: the first integer `i64` cannot hold.
const I64_END: f64 = 9_223_372_036_854_775_808.0;
/// 2^64: the first integer `u64` cannot hold.
const U64_END: f64 = 18_446_744_073_709_551_616.0;

/// A value for a note, cut short: the input may be hostile.
fn shown(v: &Value) -> String {
    let text = v.to_string();
    match text.char_indices().nth(40) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text,
    }
}

pub(super) fn schema(map: &mut Map<String, Value>, ptr: &str, ctx: &mut Ctx) {
    for kw in ["minimum", "maximum", "multipleOf"] {
        numeric(map, ptr, kw, ctx);
    }
    for (kw, bound, is_min) in [
        ("exclusiveMinimum", "minimum", true),
        ("exclusiveMaximum", "maximum", false),
    ] {
        if map.get(kw).is_none_or(Value::is_boolean) {
            continue;
        }
        numeric(map, ptr, kw, ctx);
        if !ctx.convert && map.get(kw).is_some_and(Value::is_number) {
            convert_exclusive(map, kw, bound, is_min);
            ctx.note(
                child(ptr, kw),
                format!("read numeric `{kw}` as the OpenAPI 3.1 bound it is: OpenAPI 3.0 wants `{bound}` and `{kw}: true`"),
            );
        }
    }
    for kw in [
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "minProperties",
        "maxProperties",
    ] {
        count(map, ptr, kw, ctx);
    }
    let types: Vec<String> = match map.get("type") {
        Some(Value::String(t)) => vec![t.clone()],
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .filter(|t| *t != "null")
            .map(String::from)
            .collect(),
        _ => Vec::new(),
    };
    if types == ["integer"] {
        integer(map, ptr, ctx);
    }
    let object = types == ["object"] || (types.is_empty() && map.contains_key("properties"));
    if object && let Some(format) = map.remove("format") {
        ctx.note(
            child(ptr, "format"),
            format!(
                "dropped `format: {}` from an object schema: formats describe strings and numbers, and the generator gives up on an object that has one",
                shown(&format)
            ),
        );
    }
}

/// A number parsed from a string, if the whole string is one.
fn parse_number(s: &str) -> Option<Value> {
    let s = s.trim();
    if let Ok(i) = s.parse::<i64>() {
        return Some(json!(i));
    }
    if let Ok(u) = s.parse::<u64>() {
        return Some(json!(u));
    }
    s.parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .and_then(serde_json::Number::from_f64)
        .map(Value::Number)
}

/// Keeps `kw` a number: a numeric string is read as its number, anything
/// else is dropped.
fn numeric(map: &mut Map<String, Value>, ptr: &str, kw: &str, ctx: &mut Ctx) {
    let Some(value) = map.get(kw).filter(|v| !v.is_number()) else {
        return;
    };
    let at = child(ptr, kw);
    match value.as_str().and_then(parse_number) {
        Some(n) => {
            ctx.note(
                at,
                format!("read `{kw}: {}` as the number {n}", shown(value)),
            );
            map.insert(kw.into(), n);
        }
        None => {
            ctx.note(
                at,
                format!("dropped `{kw}: {}`: it must be a number", shown(value)),
            );
            map.remove(kw);
        }
    }
}

/// Keeps a length or count a non-negative 64-bit integer. Fractions round
/// towards what the 3.1 bound allowed (a length of 2.5 is at most 2); a minimum
/// below zero bounds nothing, a maximum below zero is a defect, and a maximum
/// beyond 64 bits is never reached: all three are dropped.
fn count(map: &mut Map<String, Value>, ptr: &str, kw: &str, ctx: &mut Ctx) {
    let Some(value) = map.get(kw).filter(|v| !v.is_u64()) else {
        return;
    };
    let at = child(ptr, kw);
    let shown = shown(value);
    let number = match value {
        Value::String(s) => parse_number(s),
        v => Some(v.clone()),
    };
    let is_min = kw.starts_with("min");
    let rounded = number
        .and_then(|n| n.as_f64())
        .map(|f| if is_min { f.ceil() } else { f.floor() });
    match rounded {
        Some(r) if r >= 0.0 && (r < U64_END || is_min) => {
            let n = if r < U64_END { r as u64 } else { u64::MAX };
            ctx.note(
                at,
                format!("read `{kw}: {shown}` as {n}: it must be a non-negative 64-bit integer"),
            );
            map.insert(kw.into(), json!(n));
        }
        _ => {
            ctx.note(
                at,
                format!("dropped `{kw}: {shown}`: it must be a non-negative 64-bit integer"),
            );
            map.remove(kw);
        }
    }
}

/// Whether an integer value came from beyond 64 bits (the loader keeps those
/// as floats): no integer type of the generated code can hold it.
fn beyond_64_bits(v: &Value) -> bool {
    v.as_f64()
        .is_some_and(|f| v.is_f64() && f.fract() == 0.0 && (f >= U64_END || f <= -I64_END))
}

/// `type: integer`: bounds within `i64`, values within 64 bits. A bound no
/// 64-bit integer reaches (`maximum: 1e23`) bounds nothing the generated code
/// can hold and is dropped, which also lets typify pick `u64` for `minimum: 0`
/// (clamping to `i64::MAX` would make it `i64`). One that excludes every
/// 64-bit integer (`minimum: 1e23`) is clamped, keeping the schema as strict
/// as the generated code can make it.
fn integer(map: &mut Map<String, Value>, ptr: &str, ctx: &mut Ctx) {
    for (kw, is_min) in [
        ("minimum", true),
        ("exclusiveMinimum", true),
        ("maximum", false),
        ("exclusiveMaximum", false),
    ] {
        let Some(value) = map.get(kw).filter(|v| v.is_number() && !v.is_i64()) else {
            continue;
        };
        let f = value.as_f64().unwrap_or_default();
        let (high, low) = (f >= I64_END, f <= -I64_END);
        let at = child(ptr, kw);
        let shown = shown(value);
        if (is_min && low) || (!is_min && high) {
            ctx.note(
                at,
                format!("dropped `{kw}: {shown}`: beyond 64 bits, it bounds no integer the generated code (and OpenAPI 3.0 tooling, in i64) can hold"),
            );
            map.remove(kw);
        } else if high || low {
            let clamped = if high { i64::MAX } else { i64::MIN };
            ctx.note(
                at,
                format!("clamped `{kw}: {shown}` to {clamped}: OpenAPI 3.0 tooling holds integer bounds in 64 bits (i64); and no i64 met this bound anyway"),
            );
            map.insert(kw.into(), json!(clamped));
        }
    }
    if let Some(value) = map
        .get("multipleOf")
        .filter(|v| v.as_f64().is_some_and(|f| f.abs() >= I64_END))
    {
        ctx.note(
            child(ptr, "multipleOf"),
            format!(
                "dropped `multipleOf: {}`: beyond 64 bits, the generator cannot hold it",
                shown(value)
            ),
        );
        map.remove("multipleOf");
    }
    for kw in ["const", "default", "example"] {
        if let Some(value) = map.get(kw).filter(|v| beyond_64_bits(v)) {
            ctx.note(
                child(ptr, kw),
                format!("dropped `{kw}: {}`: an integer beyond 64 bits, which the generated code cannot hold", shown(value)),
            );
            map.remove(kw);
        }
    }
    for kw in ["enum", "examples"] {
        let Some(Value::Array(values)) = map.get_mut(kw) else {
            continue;
        };
        let before = values.len();
        values.retain(|v| !beyond_64_bits(v));
        if values.len() == before {
            continue;
        }
        let mut message = format!(
            "removed {} integer(s) beyond 64 bits from `{kw}`: the generated code cannot hold them",
            before - values.len()
        );
        if values.is_empty() && kw == "enum" {
            map.remove(kw);
            message.push_str("; none was left, so the `enum` was dropped, which widens the schema");
        }
        ctx.note(child(ptr, kw), message);
    }
}

const SCHEME_TYPES: [&str; 4] = ["apiKey", "http", "oauth2", "openIdConnect"];
const KEY_LOCATIONS: [&str; 3] = ["query", "header", "cookie"];

/// Security scheme names are case-sensitive, and vendors get them wrong
/// (Gcore published `type: APIKey`); the intended one is unambiguous.
pub(super) fn security_schemes(schemes: &mut Map<String, Value>, ctx: &mut Ctx) {
    let mut mutual_tls = Vec::new();
    for (name, scheme) in schemes.iter_mut() {
        let ptr = child("/components/securitySchemes", name);
        let Some(map) = scheme.as_object_mut().filter(|m| !m.contains_key("$ref")) else {
            continue;
        };
        let Some(Value::String(kind)) = map.get("type") else {
            continue;
        };
        if ctx.convert && kind == "mutualTLS" {
            mutual_tls.push((name.clone(), ptr));
            continue;
        }
        fix_case(map, "type", &SCHEME_TYPES, &ptr, ctx);
        if map.get("type") == Some(&json!("apiKey")) {
            fix_case(map, "in", &KEY_LOCATIONS, &ptr, ctx);
        }
    }
    for (name, ptr) in mutual_tls {
        schemes.remove(&name);
        ctx.note(
            ptr,
            "dropped the `mutualTLS` security scheme: new in OpenAPI 3.1, and client certificates are configured outside the generated client",
        );
    }
}

fn fix_case(map: &mut Map<String, Value>, kw: &str, allowed: &[&str], ptr: &str, ctx: &mut Ctx) {
    let Some(Value::String(value)) = map.get(kw) else {
        return;
    };
    if let Some(right) = allowed
        .iter()
        .find(|a| a.eq_ignore_ascii_case(value) && *a != value)
    {
        ctx.note(
            child(ptr, kw),
            format!(
                "read security scheme `{kw}: {value}` as `{right}`: the names are case-sensitive"
            ),
        );
        map.insert(kw.into(), json!(right));
    }
}

#[cfg(test)]
mod tests {
    use super::super::normalize;
    use super::super::testing::*;
    use serde_json::{Value, json};

    #[test]
    fn numeric_keywords_must_be_numbers() {
        converts! {
            {"type": "integer", "minimum": "1s", "maximum": "10"} => {"type": "integer", "maximum": 10};
            {"type": "number", "multipleOf": " 0.5 ", "maximum": 3.5} => {"type": "number", "multipleOf": 0.5, "maximum": 3.5};
            {"exclusiveMinimum": "x"} => {};
            {"exclusiveMaximum": "5"} => {"maximum": 5, "exclusiveMaximum": true};
        }
        let s = json!({"type": "integer", "minimum": "1s", "maximum": "10"});
        assert_eq!(note_at(s), ["/minimum", "/maximum"]);
    }

    #[test]
    fn counts_must_be_non_negative_integers() {
        converts! {
            {"maxLength": 2.5, "minLength": 0.5} => {"maxLength": 2, "minLength": 1};
            {"maxItems": -1, "minItems": -1} => {};
            {"maxProperties": 1e30, "minProperties": 1e30} => {"minProperties": 18446744073709551615u64};
            {"maxLength": "3", "minLength": "a"} => {"maxLength": 3};
            {"maxLength": 18446744073709551615u64} => {"maxLength": 18446744073709551615u64};
        }
    }

    #[test]
    fn integers_beyond_64_bits() {
        // How the loader hands them over: as floats (see `load::parse`).
        let huge = json!(1e23);
        converts! {
            {"type": "integer", "maximum": 1e23, "minimum": -1e23} => {"type": "integer"};
            {"type": "integer", "minimum": 0, "maximum": 18446744073709551615u64} => {"type": "integer", "minimum": 0};
            {"type": ["integer", "null"], "exclusiveMaximum": 1e23} => {"type": "integer", "nullable": true};
            // Bounds no 64-bit integer meets: as strict as 64 bits allow.
            {"type": "integer", "minimum": 1e23, "maximum": -1e23}
                => {"type": "integer", "minimum": 9223372036854775807i64, "maximum": -9223372036854775808i64};
            {"type": "integer", "multipleOf": 1e23} => {"type": "integer"};
            {"type": "integer", "default": 1e23, "examples": [1e23, 3], "const": 1e23} => {"type": "integer", "example": 3};
            {"type": "integer", "enum": [1, 1e23, 18446744073709551615u64, null]} => {"type": "integer", "enum": [1, 18446744073709551615u64, null]};
            {"type": "integer", "enum": [1e23]} => {"type": "integer"};
            // Not integers beyond 64 bits, or not on an integer schema: untouched.
            {"type": "integer", "maximum": 9223372036854775807i64, "minimum": 1.5, "default": 2.5} => {"type": "integer", "maximum": 9223372036854775807i64, "minimum": 1.5, "default": 2.5};
            {"type": "number", "maximum": 1e23, "default": 1e23} => {"type": "number", "maximum": 1e23, "default": 1e23};
        }
        let s = json!({"type": "integer", "maximum": huge, "enum": [1e23]});
        assert_eq!(note_at(s), ["/maximum", "/enum"]);
    }

    #[test]
    fn format_on_object_is_dropped() {
        converts! {
            {"type": "object", "format": "Rule"} => {"type": "object"};
            {"properties": {"a": {"type": "string", "format": "date"}}, "format": "x"}
                => {"properties": {"a": {"type": "string", "format": "date"}}};
            {"type": ["object", "string"], "format": "date"}
                => {"anyOf": [{"type": "object"}, {"type": "string"}], "format": "date"};
        }
        assert_eq!(
            note_at(json!({"type": "object", "format": "Rule"})),
            ["/format"]
        );
    }

    fn schemes(version: &str, schemes: Value) -> (Value, Vec<String>) {
        let d =
            json!({"openapi": version, "paths": {}, "components": {"securitySchemes": schemes}});
        let out = normalize(d).unwrap();
        let pointers = out.notes.iter().map(|n| n.pointer.clone()).collect();
        (
            out.document["components"]["securitySchemes"].clone(),
            pointers,
        )
    }

    #[test]
    fn security_scheme_names_in_the_wrong_case() {
        for version in ["3.0.3", "3.1.0"] {
            let (got, notes) = schemes(
                version,
                json!({"K": {"type": "APIKey", "in": "Header", "name": "Authorization"},
                       "B": {"type": "HTTP", "scheme": "bearer"}, "O": {"type": "oauth2", "flows": {}},
                       "R": {"$ref": "#/components/securitySchemes/K"}}),
            );
            assert_eq!(
                got["K"],
                json!({"type": "apiKey", "in": "header", "name": "Authorization"})
            );
            assert_eq!(got["B"]["type"], "http");
            assert_eq!(got["O"]["type"], "oauth2");
            let want = [
                "/components/securitySchemes/B/type",
                "/components/securitySchemes/K/type",
                "/components/securitySchemes/K/in",
            ];
            assert_eq!(notes, want);
        }
        let (got, notes) = schemes("3.1.0", json!({"M": {"type": "mutualTLS"}}));
        assert_eq!(got, json!({}));
        assert_eq!(notes, ["/components/securitySchemes/M"]);
    }

    #[test]
    fn openapi_30_exclusive_numbers() {
        let d = json!({"openapi": "3.0.3", "components": {"schemas": {"S": {"type": "integer", "exclusiveMinimum": 0, "maximum": 3, "exclusiveMaximum": false}}}});
        let out = normalize(d).unwrap();
        assert_eq!(
            out.document["components"]["schemas"]["S"],
            json!({"type": "integer", "minimum": 0, "exclusiveMinimum": true, "maximum": 3, "exclusiveMaximum": false})
        );
        assert_eq!(out.notes.len(), 1);
        assert_eq!(
            out.notes[0].pointer,
            "/components/schemas/S/exclusiveMinimum"
        );
    }
}
