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
//!   `mutualTLS`, which 3.0 does not know;
//! - a `default` (or an `example`) its own schema does not admit (`type:
//!   boolean, default: "true"`): typify refuses the whole operation over a
//!   default. A string holding
//!   JSON that the schema admits is read as that JSON, anything else dropped.
//!   Only what the schema says in place is checked (a `$ref` admits anything);
//! - a schema with no `type` whose keywords name one (`minimum`, `format:
//!   binary`, an `enum` with `maxLength`): typify has no rule for these and
//!   panics. The keywords apply to one type only, so that type is what the
//!   author meant; schemas typify already reads without a type are left alone.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::{Ctx, child, cmp_values, schema::convert_exclusive};

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
    // `type: {type: string, enum: [...]}` (codat.io's `itemType`, a schema
    // one level too deep) names no type; `openapiv3` refused the document.
    let named =
        |t: &Value| t.is_string() || t.as_array().is_some_and(|a| a.iter().all(Value::is_string));
    if let Some(kind) = map.get("type").filter(|t| !named(t)) {
        let shown = shown(kind);
        map.remove("type");
        ctx.note(
            child(ptr, "type"),
            format!("dropped `type: {shown}`: a type is a name (`string`, `object`...), and without it the schema admits what its other keywords allow"),
        );
    }
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
    infer_type(map, ptr, ctx);
    integral_enum(map, ptr, ctx);
    default(map, ptr, ctx);
}

/// `type: number` whose `enum` holds only whole numbers admits exactly what
/// `type: integer` does; typify cannot check a default against the former
/// (Cloudflare's `dns-records_ttl`: `anyOf` a range or `enum: [1]`).
fn integral_enum(map: &mut Map<String, Value>, ptr: &str, ctx: &mut Ctx) {
    let whole = |v: &Value| v.is_i64() || v.is_u64() || v.is_null();
    if map.get("type").and_then(Value::as_str) == Some("number")
        && let Some(Value::Array(values)) = map.get("enum")
        && !values.is_empty()
        && values.iter().all(whole)
    {
        ctx.note(
            child(ptr, "type"),
            "read `type: number` as `type: integer`: its `enum` holds only whole numbers, which the generator reads only as integers",
        );
        map.insert("type".into(), json!("integer"));
    }
}

const STRING_KEYWORDS: [&str; 3] = ["minLength", "maxLength", "pattern"];
const NUMBER_KEYWORDS: [&str; 5] = [
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
];
const ARRAY_KEYWORDS: [&str; 4] = ["items", "minItems", "maxItems", "uniqueItems"];
const OBJECT_KEYWORDS: [&str; 5] = [
    "properties",
    "required",
    "additionalProperties",
    "minProperties",
    "maxProperties",
];

/// The JSON Schema type of a value, `integer` for whole numbers.
fn type_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Whether the schema at `ptr` is a branch of a combinator. There, `{minimum:
/// 1}` constrains the numbers among what the siblings admit; a type would
/// exclude the rest.
fn in_combinator(ptr: &str) -> bool {
    let mut tokens = ptr.rsplit('/');
    let last = tokens.next().unwrap_or_default();
    let parent = tokens.next().unwrap_or_default();
    matches!(last, "not" | "if" | "then" | "else")
        || (last.bytes().all(|b| b.is_ascii_digit())
            && matches!(parent, "allOf" | "anyOf" | "oneOf"))
}

/// A schema with no `type` whose keywords belong to one type only, in a
/// combination typify has no rule for (numeric bounds, `format`, an `enum`
/// beside other keywords): that type is set.
fn infer_type(map: &mut Map<String, Value>, ptr: &str, ctx: &mut Ctx) {
    let combinators = ["$ref", "allOf", "anyOf", "oneOf", "not", "const", "type"];
    if combinators.iter().any(|kw| map.contains_key(*kw)) || in_combinator(ptr) {
        return;
    }
    let has = |kws: &[&str]| kws.iter().any(|kw| map.contains_key(*kw));
    let format = map.get("format").and_then(Value::as_str);
    let enumerated = map.contains_key("enum");
    let numeric =
        has(&NUMBER_KEYWORDS) || matches!(format, Some("int32" | "int64" | "float" | "double"));
    let families = [
        has(&STRING_KEYWORDS) || (format.is_some() && !numeric),
        numeric,
        has(&ARRAY_KEYWORDS),
        has(&OBJECT_KEYWORDS),
    ];
    // What typify reads without a type: one family alone, or an enum alone.
    let readable = !numeric
        && format.is_none()
        && (families.iter().filter(|f| **f).count() + usize::from(enumerated)) == 1;
    if readable || families.iter().filter(|f| **f).count() != 1 {
        return;
    }
    // Literal values say integer or number; a format settles it.
    let literals: Vec<&str> = ["default", "example"]
        .iter()
        .filter_map(|kw| map.get(*kw))
        .chain(
            map.get("enum")
                .and_then(Value::as_array)
                .into_iter()
                .flatten(),
        )
        .filter(|v| !v.is_null())
        .map(type_of)
        .collect();
    let inferred = match families.iter().position(|f| *f) {
        Some(0) => "string",
        Some(1) => match format {
            Some("int32" | "int64") => "integer",
            Some("float" | "double") => "number",
            _ if !literals.is_empty() && literals.iter().all(|t| *t == "integer") => "integer",
            _ => "number",
        },
        Some(2) => "array",
        _ => "object",
    };
    let fits = |t: &&str| *t == inferred || (inferred == "number" && *t == "integer");
    if let Some(Value::Array(values)) = map.get("enum")
        && !values
            .iter()
            .filter(|v| !v.is_null())
            .map(type_of)
            .all(|t| fits(&t))
    {
        return;
    }
    let named: Vec<&str> = STRING_KEYWORDS
        .iter()
        .chain(&NUMBER_KEYWORDS)
        .chain(&ARRAY_KEYWORDS)
        .chain(&OBJECT_KEYWORDS)
        .chain(&["format", "enum"])
        .copied()
        .filter(|kw| map.contains_key(*kw))
        .collect();
    ctx.note(
        ptr.to_string(),
        format!(
            "set `type: {inferred}` on a schema without one: its keywords ({}) apply to {inferred}s only, and the generator cannot read them without a type",
            named.iter().map(|kw| format!("`{kw}`")).collect::<Vec<_>>().join(", ")
        ),
    );
    map.insert("type".into(), json!(inferred));
}

/// A `default` the schema around it does not admit: read from a JSON string
/// when that yields a value it admits (Cloudflare writes `default: "true"` on
/// booleans), dropped otherwise.
fn default(map: &mut Map<String, Value>, ptr: &str, ctx: &mut Ctx) {
    for kw in ["default", "example"] {
        literal(map, ptr, kw, ctx);
    }
}

/// A `default` its schema does not admit, or an `example` of the wrong
/// type. typify refuses the operation over a default; an example generates
/// nothing, so only one of the wrong type is dropped (an example outside an
/// `enum` or a `pattern`, of which Cloudflare's document has 1,900, misleads
/// no one about the type).
fn literal(map: &mut Map<String, Value>, ptr: &str, kw: &str, ctx: &mut Ctx) {
    let wrong = |map: &Map<String, Value>, v: &Value| {
        if kw == "default" {
            return !admits(&mut Admits::default(), map, v);
        }
        let fits = |t: &str| {
            let got = type_of(v);
            got == t || (t == "number" && got == "integer") || (got == "null" && t != "null")
        };
        match map.get("type") {
            Some(Value::String(t)) => !fits(t),
            Some(Value::Array(types)) => !types.iter().filter_map(Value::as_str).any(fits),
            _ => false,
        }
    };
    let Some(value) = map.get(kw).filter(|v| wrong(map, v)) else {
        return;
    };
    let at = child(ptr, kw);
    let shown = shown(value);
    let parsed = value
        .as_str()
        .and_then(|s| serde_json::from_str::<Value>(s).ok())
        .filter(|parsed| !wrong(map, parsed));
    let refuses = if kw == "default" {
        "the generator refuses such a default"
    } else {
        "an example should be a value of its schema"
    };
    match parsed {
        Some(parsed) => {
            ctx.note(
                at,
                format!(
                    "read `{kw}: {shown}` as {}: the schema's type wants it",
                    self::shown(&parsed)
                ),
            );
            map.insert(kw.into(), parsed);
        }
        None => {
            ctx.note(
                at,
                format!("dropped `{kw}: {shown}`: the schema does not admit it, and {refuses}"),
            );
            map.remove(kw);
        }
    }
}

/// Checks values against schemas, linear in the value: a default of 100,000
/// items checked against `uniqueItems` or an `enum` of as many values is
/// sorted, not compared pair by pair.
#[derive(Default)]
struct Admits<'s> {
    /// Each large `enum` met so far (by address), sorted.
    enums: HashMap<*const Vec<Value>, Vec<&'s Value>>,
}

/// Below this many values an `enum` is scanned; above, sorted once.
const SCAN: usize = 16;

impl<'s> Admits<'s> {
    /// Whether `values` (an `enum`) holds `value`.
    fn listed(&mut self, values: &'s Vec<Value>, value: &Value) -> bool {
        if values.len() <= SCAN {
            return values.contains(value);
        }
        let sorted = self.enums.entry(values).or_insert_with(|| {
            let mut sorted: Vec<&Value> = values.iter().collect();
            sorted.sort_by(|a, b| cmp_values(a, b));
            sorted
        });
        sorted.binary_search_by(|v| cmp_values(v, value)).is_ok()
    }
}

/// Whether two of `items` are equal.
fn has_duplicates(items: &[Value]) -> bool {
    let mut sorted: Vec<&Value> = items.iter().collect();
    sorted.sort_by(|a, b| cmp_values(a, b));
    sorted.windows(2).any(|pair| pair[0] == pair[1])
}

/// Whether `schema` admits `value`, judged only from what it says in place:
/// `type`, `nullable`, `enum`, `const`, bounds, lengths, and inline `items`
/// and `properties`. References and combinators admit anything here.
fn admits<'s>(cache: &mut Admits<'s>, schema: &'s Map<String, Value>, value: &Value) -> bool {
    if schema.contains_key("$ref") {
        return true;
    }
    let has = |kws: &[&str]| kws.iter().any(|kw| schema.contains_key(*kw));
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        // A default is one value the author had in mind: keywords of one type
        // alone say which (Cloudflare's `items` with `default: "[...]"`).
        _ => match [
            has(&STRING_KEYWORDS),
            has(&NUMBER_KEYWORDS),
            has(&ARRAY_KEYWORDS),
            has(&OBJECT_KEYWORDS),
        ] {
            [true, false, false, false] => vec!["string"],
            [false, true, false, false] => vec!["number"],
            [false, false, true, false] => vec!["array"],
            [false, false, false, true] => vec!["object"],
            _ => Vec::new(),
        },
    };
    if value.is_null() {
        return schema.get("nullable") == Some(&Value::Bool(true))
            || types.contains(&"null")
            || (types.is_empty() && !schema.contains_key("enum"));
    }
    if let Some(Value::Array(values)) = schema.get("enum")
        && !cache.listed(values, value)
    {
        return false;
    }
    if schema.get("const").is_some_and(|c| c != value) {
        return false;
    }
    if !types.is_empty() && !types.iter().any(|t| has_type(t, value)) {
        return false;
    }
    let number = |kw: &str| schema.get(kw).and_then(Value::as_f64);
    let count = |kw: &str| schema.get(kw).and_then(Value::as_u64);
    // typify parses a date, a UUID or an address default when the field is
    // absent, and fits an integer default into the format's type: one that
    // does not decode would panic in the caller's process.
    let format = schema.get("format").and_then(Value::as_str);
    match value {
        Value::Number(_) if format.is_some_and(|f| !crate::formats::admits(f, value)) => false,
        Value::Number(n) => {
            let n = n.as_f64().unwrap_or_default();
            let exclusive = |kw: &str| schema.get(kw) == Some(&Value::Bool(true));
            !(number("minimum").is_some_and(|m| n < m || (exclusive("exclusiveMinimum") && n == m))
                || number("maximum")
                    .is_some_and(|m| n > m || (exclusive("exclusiveMaximum") && n == m))
                || number("exclusiveMinimum").is_some_and(|m| n <= m)
                || number("exclusiveMaximum").is_some_and(|m| n >= m))
        }
        Value::String(s) => {
            let len = s.chars().count() as u64;
            !(count("minLength").is_some_and(|m| len < m)
                || count("maxLength").is_some_and(|m| len > m))
                && format.is_none_or(|f| crate::formats::admits(f, value))
        }
        Value::Array(items) => {
            let len = items.len() as u64;
            let unique = schema.get("uniqueItems") == Some(&Value::Bool(true));
            let item_schema = schema.get("items").and_then(Value::as_object);
            !(count("minItems").is_some_and(|m| len < m)
                || count("maxItems").is_some_and(|m| len > m)
                || (unique && has_duplicates(items))
                || item_schema.is_some_and(|s| items.iter().any(|v| !admits(cache, s, v))))
        }
        Value::Object(fields) => {
            let properties = schema.get("properties").and_then(Value::as_object);
            let required = schema.get("required").and_then(Value::as_array);
            let missing = required.is_some_and(|names| {
                names
                    .iter()
                    .filter_map(Value::as_str)
                    .any(|name| !fields.contains_key(name))
            });
            let wrong = properties.is_some_and(|props| {
                fields.iter().any(|(name, v)| {
                    props
                        .get(name)
                        .and_then(Value::as_object)
                        .is_some_and(|s| !admits(cache, s, v))
                })
            });
            !(missing || wrong)
        }
        Value::Bool(_) | Value::Null => true,
    }
}

/// Whether `value` is an instance of the JSON Schema type `t`.
fn has_type(t: &str, value: &Value) -> bool {
    match t {
        "string" => value.is_string(),
        // The generated field is a Rust integer: `1.0` does not fit it.
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        "null" => value.is_null(),
        _ => true,
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
            {"exclusiveMaximum": "5"} => {"type": "number", "maximum": 5, "exclusiveMaximum": true};
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
            {"type": "integer", "maximum": 9223372036854775807i64, "minimum": 1.5, "default": 2} => {"type": "integer", "maximum": 9223372036854775807i64, "minimum": 1.5, "default": 2};
            {"type": "number", "maximum": 1e23, "default": 1e23} => {"type": "number", "maximum": 1e23, "default": 1e23};
        }
        let s = json!({"type": "integer", "maximum": huge, "enum": [1e23]});
        assert_eq!(note_at(s), ["/maximum", "/enum"]);
    }

    /// The schema repaired as `components/schemas/S` of a 3.0 document (left
    /// in the 3.0 dialect), with its notes' messages.
    fn fixed(s: Value) -> (Value, Vec<String>) {
        let mut d = doc(json!({}));
        d["openapi"] = json!("3.0.3");
        d["components"]["schemas"]["S"] = s;
        let out = normalize(d).unwrap();
        let notes = out.notes.into_iter().map(|n| n.message).collect();
        (out.document["components"]["schemas"]["S"].clone(), notes)
    }

    #[test]
    fn types_named_by_keywords_alone() {
        for (schema, inferred) in [
            (json!({"default": 1, "minimum": 1}), Some("integer")),
            (json!({"minimum": 0, "maximum": 1}), Some("number")),
            (json!({"maximum": 5, "format": "double"}), Some("number")),
            (
                json!({"format": "binary", "description": "a file"}),
                Some("string"),
            ),
            (
                json!({"enum": ["block", "challenge"], "maxLength": 12}),
                Some("string"),
            ),
            // typify reads these without a type: left alone.
            (json!({"properties": {}}), None),
            (json!({"maxLength": 3}), None),
            (json!({"enum": ["a", 1]}), None),
            (json!({"items": {}}), None),
            // Ambiguous or contradicted: left alone.
            (json!({"minimum": 1, "maxLength": 3}), None),
            (json!({"enum": ["a"], "minimum": 1}), None),
            (json!({"allOf": [{}], "minimum": 1}), None),
            // In a branch, bounds constrain what the siblings admit.
            (json!({"anyOf": [{"minimum": 1}, {"maxLength": 2}]}), None),
        ] {
            let (out, notes) = fixed(schema.clone());
            assert_eq!(
                out.get("type").and_then(Value::as_str),
                inferred,
                "{schema}: {notes:?}"
            );
            assert_eq!(
                notes.len(),
                usize::from(inferred.is_some()),
                "{schema}: {notes:?}"
            );
        }
    }

    #[test]
    fn long_arrays_and_enums_are_checked_by_sorting() {
        // Past the scanned length, and with values `==` tells apart.
        let many: Vec<Value> = (0..40).map(|i| json!({"k": [i, "x"]})).collect();
        let listed = json!({"type": "array", "uniqueItems": true,
            "items": {"enum": many.clone()}, "default": many.clone()});
        assert_eq!(fixed(listed.clone()).0, listed);
        let mut twice = many.clone();
        twice.push(json!({"k": [7, "x"]}));
        let mut unlisted = many.clone();
        unlisted.push(json!({"k": [7.0, "x"]}));
        for default in [twice, unlisted] {
            let mut with = listed.clone();
            with["default"] = json!(default);
            let mut without = listed.clone();
            without.as_object_mut().unwrap().remove("default");
            assert_eq!(fixed(with).0, without);
        }
    }

    #[test]
    fn whole_number_enums_are_integers() {
        let (out, notes) = fixed(json!({"type": "number", "enum": [1, 2]}));
        assert_eq!(
            (out, notes.len()),
            (json!({"type": "integer", "enum": [1, 2]}), 1)
        );
        for kept in [
            json!({"type": "number", "enum": [1.5]}),
            json!({"type": "number"}),
        ] {
            assert_eq!(fixed(kept.clone()).0, kept);
        }
    }

    #[test]
    fn a_type_that_names_no_type_is_dropped() {
        let doc = serde_json::json!({"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {},
            "components": {"schemas": {"S": {"type": {"type": "string"}, "description": "d"}, "T": {"type": 3}}}});
        let out = crate::normalize::normalize(doc).unwrap();
        assert_eq!(
            out.document["components"]["schemas"],
            serde_json::json!({"S": {"description": "d"}, "T": {}})
        );
        assert_eq!(out.notes.len(), 2);
        // Also where a `$ref` may point to it from outside the schema keywords.
        let doc = serde_json::json!({"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {},
            "components": {"schemas": {"Item": {"definitions": {"itemType": {"type": {"type": "string"}}}}}}});
        let out = crate::normalize::normalize(doc).unwrap();
        assert_eq!(
            out.document["components"]["schemas"]["Item"]["definitions"]["itemType"],
            serde_json::json!({})
        );
    }

    #[test]
    fn examples_the_schema_does_not_admit() {
        converts! {
            {"type": "integer", "example": "12"} => {"type": "integer", "example": 12};
            {"type": "boolean", "example": "yes"} => {"type": "boolean"};
            {"type": "string", "example": "yes"} => {"type": "string", "example": "yes"};
            // Outside the enum, but of the right type: left alone.
            {"type": "string", "enum": ["a"], "example": "b"} => {"type": "string", "enum": ["a"], "example": "b"};
            {"type": ["string", "integer"], "example": 3} => {"anyOf": [{"type": "string"}, {"type": "integer"}], "example": 3};
        }
    }

    #[test]
    fn defaults_the_schema_does_not_admit() {
        let (out, notes) = fixed(json!({"type": "boolean", "default": "true"}));
        assert_eq!(out, json!({"type": "boolean", "default": true}));
        assert!(
            notes[0].contains("read `default: \"true\"` as true"),
            "{notes:?}"
        );
        // A string that is JSON of the wrong type is still wrong.
        let (out, notes) =
            fixed(json!({"type": "array", "items": {"type": "integer"}, "default": "200"}));
        assert_eq!(out, json!({"type": "array", "items": {"type": "integer"}}));
        assert!(notes[0].contains("dropped `default: \"200\"`"), "{notes:?}");
        let (out, _) = fixed(json!({"items": {"enum": ["a"]}, "default": "[\"a\"]"}));
        assert_eq!(out, json!({"items": {"enum": ["a"]}, "default": ["a"]}));
        for (schema, default) in [
            (json!({"type": "string", "enum": ["a", "b"]}), json!("")),
            (json!({"type": "integer"}), json!(1.5)),
            (json!({"type": "integer", "minimum": 1}), json!(0)),
            (json!({"type": "string", "maxLength": 2}), json!("abc")),
            (json!({"type": "array", "uniqueItems": true}), json!([1, 1])),
            (json!({"type": "object", "required": ["a"]}), json!({})),
            (
                json!({"type": "object", "properties": {"a": {"type": "string"}}}),
                json!({"a": 1}),
            ),
            (json!({"type": "string"}), json!(null)),
            // Cloudflare's `expiry` (format date-time) defaults to "Now + 30
            // minutes": typify parses it whenever the field is absent.
            (
                json!({"type": "string", "format": "date-time"}),
                json!("Now + 30 minutes"),
            ),
            (json!({"type": "integer", "format": "uint8"}), json!(300)),
        ] {
            let mut with = schema.clone();
            with["default"] = default.clone();
            assert_eq!(fixed(with).0, schema, "default {default} should be dropped");
        }
        for (schema, default) in [
            (json!({"type": "string", "nullable": true}), json!(null)),
            (
                json!({"type": ["integer", "null"], "minimum": 1}),
                json!(null),
            ),
            (
                json!({"type": "number", "minimum": 0, "maximum": 1}),
                json!(0.5),
            ),
            (json!({"$ref": "#/components/schemas/X"}), json!("anything")),
            (
                json!({"type": "object", "properties": {"a": {"type": "string"}}}),
                json!({"a": "x", "b": 2}),
            ),
        ] {
            let mut with = schema.clone();
            with["default"] = default;
            let (out, notes) = fixed(with.clone());
            assert_eq!((out, notes.len()), (with, 0));
        }
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
