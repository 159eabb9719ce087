//! The classifier: the rules of the module docs applied to schemas, and the
//! Rust type a schema becomes (as typify writes it), for the report's text.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::*;

/// Compares two schemas in a direction; component `$ref`s are compared by name
/// only, as each component is compared once in its own right.
pub(super) struct Schemas {
    pub(super) dir: Direction,
}

impl Schemas {
    pub(super) fn compare(
        &self,
        old: &Value,
        new: &Value,
        label: &str,
        depth: usize,
        sink: &mut Sink,
    ) {
        if depth > MAX_DEPTH || is_ref(old) || is_ref(new) {
            return;
        }
        if self.compare_union(old, new, label, sink) {
            return;
        }
        let (to, tn) = (type_of(Some(old)), type_of(Some(new)));
        if to != tn {
            sink.push(
                Impact::Breaking,
                Kind::TypeChanged,
                format!("{label}: type changed from {to} to {tn}"),
            );
            return;
        }
        let (old, new) = (unwrap_all_of(old), unwrap_all_of(new));
        if is_ref(old) || is_ref(new) {
            return;
        }

        let nullable = |s: &Value| s.get("nullable").and_then(Value::as_bool) == Some(true);
        if nullable(old) != nullable(new) {
            sink.push(
                Impact::Breaking,
                Kind::NullableChanged,
                format!(
                    "{label}: now {} (the Rust type {} an Option)",
                    if nullable(new) {
                        "nullable"
                    } else {
                        "not nullable"
                    },
                    if nullable(new) { "gains" } else { "loses" }
                ),
            );
        }

        self.compare_enum(old, new, label, sink);

        let validation = |s: &Value| -> Vec<(String, Value)> {
            VALIDATION
                .iter()
                .filter_map(|k| s.get(*k).map(|v| (k.to_string(), v.clone())))
                .collect()
        };
        let (va, vb) = (validation(old), validation(new));
        if va != vb {
            let show = |v: &[(String, Value)]| {
                if v.is_empty() {
                    "none".to_string()
                } else {
                    v.iter()
                        .map(|(k, v)| format!("{k} {v}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            };
            sink.push(
                Impact::Compatible,
                Kind::ValidationChanged,
                format!(
                    "{label}: validation is now {} (was {})",
                    show(&vb),
                    show(&va)
                ),
            );
        }

        if let (Some(a), Some(b)) = (old.get("items"), new.get("items")) {
            self.compare(a, b, &format!("{label}[]"), depth + 1, sink);
        }
        if let (Some(a @ Value::Object(_)), Some(b @ Value::Object(_))) = (
            old.get("additionalProperties"),
            new.get("additionalProperties"),
        ) {
            self.compare(a, b, &format!("{label}{{*}}"), depth + 1, sink);
        }
        for key in ["oneOf", "anyOf", "allOf"] {
            if let (Some(Value::Array(a)), Some(Value::Array(b))) = (old.get(key), new.get(key)) {
                for (i, (x, y)) in a.iter().zip(b).enumerate() {
                    self.compare(x, y, &format!("{label}.{key}[{i}]"), depth + 1, sink);
                }
            }
        }
        self.compare_properties(old, new, label, depth, sink);
    }

    /// A `oneOf`/`anyOf` that only gains branches becomes an enum that only
    /// gains variants: compatible, when the old variants keep their names.
    /// typify names a `$ref` branch after its schema and an inline one after
    /// its position, so the old branches must all be `$ref`s (then any new
    /// order keeps the names), or the new ones must come after them. Whether
    /// it said something.
    fn compare_union(&self, old: &Value, new: &Value, label: &str, sink: &mut Sink) -> bool {
        for key in ["oneOf", "anyOf"] {
            let (Some(Value::Array(a)), Some(Value::Array(b))) = (old.get(key), new.get(key))
            else {
                continue;
            };
            let kept = if a.iter().all(is_ref) {
                a.iter().all(|x| b.contains(x))
            } else {
                b.starts_with(a)
            };
            if !kept || b.len() <= a.len() {
                return false;
            }
            let added: Vec<String> = b
                .iter()
                .filter(|x| !a.contains(x))
                .map(|x| type_at(x, 0))
                .collect();
            let why = self.why_a_variant_is_compatible("branch");
            sink.push(
                Impact::Compatible,
                Kind::UnionBranchesAdded,
                format!(
                    "{label}: {key} gains {}: {why}",
                    added
                        .iter()
                        .map(|t| format!("`{t}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
            return true;
        }
        false
    }

    /// Why an enum that gains a variant (a new `what`) breaks nobody.
    fn why_a_variant_is_compatible(&self, what: &str) -> String {
        if self.dir.output {
            format!(
                "the enum is `#[non_exhaustive]`, so `match`es already have a wildcard arm, and \
                 clients generated before decode the new {what} into its `Unknown` variant"
            )
        } else {
            "the caller only builds this type, and every variant it builds is still there".into()
        }
    }

    pub(super) fn compare_enum(&self, old: &Value, new: &Value, label: &str, sink: &mut Sink) {
        let values = |s: &Value| -> Option<BTreeSet<String>> {
            s.get("enum")
                .and_then(Value::as_array)
                .map(|v| v.iter().map(Value::to_string).collect())
        };
        let (Some(a), Some(b)) = (values(old), values(new)) else {
            return;
        };
        let added: Vec<&String> = b.difference(&a).collect();
        let removed: Vec<&String> = a.difference(&b).collect();
        if !added.is_empty() {
            let why = self.why_a_variant_is_compatible("value");
            sink.push(
                Impact::Compatible,
                Kind::EnumValuesAdded,
                format!("{label}: enum gains {}: {why}", join(&added)),
            );
        }
        if !removed.is_empty() {
            sink.push(
                Impact::Breaking,
                Kind::EnumValuesRemoved,
                format!(
                    "{label}: enum loses {}: code naming those variants stops compiling",
                    join(&removed)
                ),
            );
        }
    }

    pub(super) fn compare_properties(
        &self,
        old: &Value,
        new: &Value,
        label: &str,
        depth: usize,
        sink: &mut Sink,
    ) {
        let empty = Map::new();
        let props = |s: &Value| {
            s.get("properties")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_else(|| empty.clone())
        };
        let required = |s: &Value| -> BTreeSet<String> {
            s.get("required")
                .and_then(Value::as_array)
                .map(|r| {
                    r.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default()
        };
        let (pa, pb) = (props(old), props(new));
        let (ra, rb) = (required(old), required(new));
        for name in pa.keys().filter(|k| !pb.contains_key(*k)) {
            sink.push(
                Impact::Breaking,
                Kind::PropertyRemoved,
                format!("{label}.{name}: removed; code using the field stops compiling"),
            );
        }
        for (name, schema) in &pb {
            let Some(before) = pa.get(name) else {
                let req = if rb.contains(name) {
                    "required"
                } else {
                    "optional"
                };
                let ty = type_of(Some(schema));
                let (impact, why) = if !self.dir.input {
                    (Impact::Compatible, "responses only: callers read this type")
                } else if rb.contains(name) {
                    (
                        Impact::Breaking,
                        "callers build this type, and its `new` takes the required fields",
                    )
                } else {
                    (
                        Impact::Compatible,
                        "callers build this type with `new` and setters: a new setter",
                    )
                };
                sink.push(
                    impact,
                    Kind::PropertyAdded,
                    format!("{label}.{name}: new {req} field ({ty}); {why}"),
                );
                continue;
            };
            let field = format!("{label}.{name}");
            self.compare(before, schema, &field, depth + 1, sink);
            if ra.contains(name) != rb.contains(name) {
                let now = if rb.contains(name) {
                    "required"
                } else {
                    "optional"
                };
                sink.push(
                    Impact::Breaking,
                    Kind::RequiredChanged,
                    format!(
                        "{field}: now {now} (the field's type changes between T and Option<T>)"
                    ),
                );
            }
        }
    }
}

/// Validation keywords that change behaviour but not the Rust type.
pub(super) const VALIDATION: [&str; 11] = [
    "minLength",
    "maxLength",
    "pattern",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minItems",
    "maxItems",
    "uniqueItems",
];

pub(super) fn is_ref(schema: &Value) -> bool {
    schema.get("$ref").is_some()
}

/// `allOf: [one]` is how specs attach a description to a `$ref`; it is the one.
pub(super) fn unwrap_all_of(schema: &Value) -> &Value {
    match schema.get("allOf").and_then(Value::as_array) {
        Some(list) if list.len() == 1 => &list[0],
        _ => schema,
    }
}

/// The Rust type a schema becomes, approximately, as shown in the report.
/// Two schemas with different results generate different Rust types.
pub(super) fn type_of(schema: Option<&Value>) -> String {
    match schema {
        None => "()".to_string(),
        Some(s) => type_at(s, 0),
    }
}

pub(super) fn type_at(schema: &Value, depth: usize) -> String {
    if depth > MAX_DEPTH {
        return "…".to_string();
    }
    let schema = unwrap_all_of(schema);
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        return match schema_name(reference) {
            Some(name) => name,
            None => format!("$ref {reference}"),
        };
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(list) = schema.get(key).and_then(Value::as_array) {
            let parts: Vec<String> = list.iter().map(|s| type_at(s, depth + 1)).collect();
            return format!("{key}({})", parts.join(" | "));
        }
    }
    let ty = schema
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_else(|| {
            if schema.get("properties").is_some() || schema.get("additionalProperties").is_some() {
                "object"
            } else if schema.get("items").is_some() {
                "array"
            } else {
                ""
            }
        });
    if schema.get("enum").is_some() {
        return format!("enum of {}", if ty.is_empty() { "values" } else { ty });
    }
    match ty {
        "string" => {
            let mut out = "String".to_string();
            if let Some(format) = schema.get("format").and_then(Value::as_str) {
                let _ = write!(out, " ({format})");
            }
            if ["minLength", "maxLength", "pattern"]
                .iter()
                .any(|k| schema.get(*k).is_some())
            {
                out.push_str(" newtype with validation");
            }
            out
        }
        "integer" => integer_type(schema),
        "number" => match schema.get("format").and_then(Value::as_str) {
            Some("float") => "f32".to_string(),
            _ => "f64".to_string(),
        },
        "boolean" => "bool".to_string(),
        "array" => format!(
            "Vec<{}>",
            schema
                .get("items")
                .map(|i| type_at(i, depth + 1))
                .unwrap_or_else(|| "Value".to_string())
        ),
        "object" => {
            let has_props = schema
                .get("properties")
                .and_then(Value::as_object)
                .is_some_and(|p| !p.is_empty());
            match schema.get("additionalProperties") {
                Some(extra @ Value::Object(_)) if !has_props => {
                    format!("Map<String, {}>", type_at(extra, depth + 1))
                }
                _ if has_props => "struct".to_string(),
                _ => "Map<String, Value>".to_string(),
            }
        }
        _ => "Value".to_string(),
    }
}

/// typify's choice of integer type: the `format` when the bounds fit in it,
/// else a type whose range the bounds match exactly, else `i64`.
pub(super) fn integer_type(schema: &Value) -> String {
    const FORMATS: [(&str, &str, &str, f64, f64); 10] = [
        ("int8", "i8", "NonZeroU8", i8::MIN as f64, i8::MAX as f64),
        ("uint8", "u8", "NonZeroU8", u8::MIN as f64, u8::MAX as f64),
        (
            "int16",
            "i16",
            "NonZeroU16",
            i16::MIN as f64,
            i16::MAX as f64,
        ),
        (
            "uint16",
            "u16",
            "NonZeroU16",
            u16::MIN as f64,
            u16::MAX as f64,
        ),
        ("int", "i32", "NonZeroU32", i32::MIN as f64, i32::MAX as f64),
        (
            "int32",
            "i32",
            "NonZeroU32",
            i32::MIN as f64,
            i32::MAX as f64,
        ),
        (
            "uint",
            "u32",
            "NonZeroU32",
            u32::MIN as f64,
            u32::MAX as f64,
        ),
        (
            "uint32",
            "u32",
            "NonZeroU32",
            u32::MIN as f64,
            u32::MAX as f64,
        ),
        (
            "int64",
            "i64",
            "NonZeroU64",
            i64::MIN as f64,
            i64::MAX as f64,
        ),
        (
            "uint64",
            "u64",
            "NonZeroU64",
            u64::MIN as f64,
            u64::MAX as f64,
        ),
    ];
    let num = |k: &str| schema.get(k).and_then(Value::as_f64);
    let exclusive = |k: &str| schema.get(k).and_then(Value::as_bool) == Some(true);
    let mut min = num("minimum").map(|m| {
        if exclusive("exclusiveMinimum") {
            m + 1.0
        } else {
            m
        }
    });
    let mut max = num("maximum").map(|m| {
        if exclusive("exclusiveMaximum") {
            m - 1.0
        } else {
            m
        }
    });
    let multiple = schema.get("multipleOf").is_some();
    let format = schema.get("format").and_then(Value::as_str);
    if let Some((_, ty, nz, lo, hi)) = FORMATS.iter().find(|f| Some(f.0) == format) {
        let fits = min.is_none_or(|m| m >= *lo) && max.is_none_or(|m| m <= *hi);
        if !multiple && fits {
            return if min == Some(1.0) { nz } else { ty }.to_string();
        }
        min = min.or(Some(*lo));
        max = max.or(Some(*hi));
    }
    let same = |a: f64, b: f64| (a - b).abs() <= f64::EPSILON;
    let found = FORMATS
        .iter()
        .rev()
        .find_map(|(_, ty, nz, lo, hi)| match (min, max) {
            (Some(1.0), _) => Some(*nz),
            (None, Some(m)) if same(*hi, m) => Some(*ty),
            (Some(n), None) if same(*lo, n) => Some(*ty),
            (Some(n), Some(m)) if same(*lo, n) && same(*hi, m) => Some(*ty),
            _ => None,
        });
    found.unwrap_or("i64").to_string()
}
