//! Property tests of the normalizer: a 3.0 document without defects passes
//! through untouched and is only ever changed with a note; a 3.1 schema built
//! from the constructs the normalizer converts exactly accepts the same JSON
//! instances as its 3.0 conversion, judged by a JSON Schema validator (draft
//! 2020-12 for the original, draft 4 plus a `nullable` rewrite for the
//! conversion, since OpenAPI 3.0 schemas use draft 4's boolean exclusive
//! bounds); and lowerings that must widen (a note says so) never narrow.

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use xtask::normalize::normalize;

/// Small case counts: these run in every `cargo test` on a shared 2-core box.
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Arbitrary JSON over a small vocabulary, so schemas and instances meet.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-3i64..10).prop_map(|n| json!(n)),
        (-3i64..10).prop_map(|n| json!(n as f64 + 0.5)),
        prop::sample::select(vec!["", "a", "abc", "abcdef", "3.0.0", "$ref"])
            .prop_map(|s| json!(s)),
    ];
    leaf.prop_recursive(3, 24, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::btree_map(
                prop::sample::select(vec!["a", "b", "c", "type", "nullable", "$ref"]),
                inner,
                0..3
            )
            .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
        ]
    })
}

/// Whether any mapping in `v` has a `type` that is neither a string nor a
/// list of strings, or a `nullable` that is not a boolean (the vocabulary's
/// keywords whose values have a shape the normalizer checks).
fn names_no_type(v: &Value) -> bool {
    match v {
        Value::Object(map) => {
            let bad = map.get("type").is_some_and(|t| {
                !(t.is_string() || t.as_array().is_some_and(|a| a.iter().all(Value::is_string)))
            }) || map.get("nullable").is_some_and(|n| !n.is_boolean());
            bad || map.values().any(names_no_type)
        }
        Value::Array(items) => items.iter().any(names_no_type),
        _ => false,
    }
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn openapi_30_passes_through_unchanged(
        patch in 0u8..4,
        paths in any_json(),
        schemas in prop::collection::btree_map("[A-Z][a-z]{0,3}", any_json(), 0..3),
        extra in any_json(),
    ) {
        let doc = json!({
            "openapi": format!("3.0.{patch}"),
            "info": {"title": "t", "version": "1"},
            "paths": {"/a": {"get": paths}},
            "components": {"schemas": schemas},
            "x-extra": extra,
        });
        // A `type` that names no type, or a `nullable` that is not a
        // boolean, is a defect, repaired with a note (the next property).
        prop_assume!(!names_no_type(&doc));
        let out = normalize(doc.clone()).unwrap();
        prop_assert_eq!(out.document, doc);
        prop_assert!(out.notes.is_empty());
    }

    /// 3.0 documents are repaired (see `normalize::repair`), never silently:
    /// a changed document comes with a note, an unchanged one without.
    #[test]
    fn openapi_30_changes_only_with_a_note(
        schemas in prop::collection::btree_map("[A-Z][a-z]{0,3}", defective_30(), 1..4),
    ) {
        let doc = json!({
            "openapi": "3.0.3",
            "info": {"title": "t", "version": "1"},
            "paths": {},
            "components": {"schemas": schemas},
        });
        let out = normalize(doc.clone()).unwrap();
        prop_assert_eq!(out.document != doc, !out.notes.is_empty(), "notes: {:?}", out.notes);
    }
}

/// 3.0 schemas mixing sound keywords with the defects vendors publish.
fn defective_30() -> impl Strategy<Value = Value> {
    let key = prop::sample::select(vec![
        "type",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "maxLength",
        "minItems",
        "format",
        "enum",
        "default",
        "multipleOf",
        "properties",
    ]);
    let value = prop_oneof![
        prop::sample::select(vec!["integer", "object", "string", "number"]).prop_map(|s| json!(s)),
        prop::sample::select(vec!["1s", "5", "", "Rule"]).prop_map(|s| json!(s)),
        prop::sample::select(vec![
            json!(1e23),
            json!(-1e23),
            json!(u64::MAX),
            json!(2.5),
            json!(-1),
            json!(3),
            json!(true)
        ]),
        Just(json!([1, 1e23])),
        Just(json!({"a": {"type": "integer", "maximum": 1e30}})),
    ];
    prop::collection::btree_map(key, value, 0..5)
        .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect()))
}

/// A component every generated `$ref` points at.
fn base() -> Value {
    json!({"type": "object", "properties": {"a": {"type": ["integer", "null"]}}, "required": ["a"]})
}

fn scalar_type() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["string", "integer", "number", "boolean"])
}

fn maybe_null(t: &'static str) -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!(t)),
        Just(json!([t, "null"])),
        Just(json!(["null", t])),
        Just(json!([t])),
    ]
}

fn bound() -> impl Strategy<Value = Option<Value>> {
    prop::option::of((-2i64..8).prop_map(|n| json!(n)))
}

/// Where a schema's `$defs` entry is referenced from; `S` always has one
/// (see [`with_defs`]).
const DEF_REF: &str = "#/components/schemas/S/$defs/D";

/// 3.1 schemas using only what the normalizer promises to convert exactly
/// (and, through `oneOf`s where null matches twice, one it must widen).
/// `def_ref` adds references to `S`'s `$defs` entry to the leaves.
fn schema_31(def_ref: bool) -> BoxedStrategy<Value> {
    let typed = scalar_type()
        .prop_flat_map(maybe_null)
        .prop_map(|t| json!({"type": t}));
    let numeric = (
        prop::sample::select(vec!["integer", "number"]).prop_flat_map(maybe_null),
        bound(),
        bound(),
        bound(),
        bound(),
    )
        .prop_map(|(t, min, xmin, max, xmax)| {
            let mut m = Map::new();
            m.insert("type".into(), t);
            for (k, v) in [
                ("minimum", min),
                ("exclusiveMinimum", xmin),
                ("maximum", max),
                ("exclusiveMaximum", xmax),
            ] {
                if let Some(v) = v {
                    m.insert(k.into(), v);
                }
            }
            Value::Object(m)
        });
    let constant = prop_oneof![
        Just(json!(null)),
        Just(json!("a")),
        Just(json!(3)),
        Just(json!(true))
    ]
    .prop_map(|c| json!({"const": c}));
    let typed_const = (maybe_null("string"), prop::sample::select(vec!["a", "abc"]))
        .prop_map(|(t, c)| json!({"type": t, "const": c}));
    let string = (maybe_null("string"), 0u64..5)
        .prop_map(|(t, n)| json!({"type": t, "maxLength": n, "examples": ["abc", "a"]}));
    let reference = prop_oneof![
        Just(json!({"$ref": "#/components/schemas/Base"})),
        Just(json!({"$ref": "#/components/schemas/Base", "description": "d"})),
        // Not `{"$ref": .., "type": ["object", "null"]}`: strictly, null must
        // also match the target, but the normalizer deliberately reads it as a
        // nullable reference (what spec authors mean), a known widening.
        Just(json!({"$ref": "#/components/schemas/Base", "type": "object"})),
        Just(
            json!({"$ref": "#/components/schemas/Base", "readOnly": true, "examples": [{"a": 1}]})
        ),
    ];
    let null = prop_oneof![
        Just(json!({"type": "null"})),
        Just(json!({"type": ["null"], "description": "nothing"})),
        Just(json!({"enum": ["a", null]})),
        Just(json!({"type": "string", "enum": ["a", null]})),
    ];
    let leaf = prop_oneof![
        typed,
        numeric,
        constant,
        typed_const,
        string,
        reference,
        null
    ];
    let leaf = if def_ref {
        prop_oneof![4 => leaf, 1 => Just(json!({"$ref": DEF_REF}))].boxed()
    } else {
        leaf.boxed()
    };
    leaf.prop_recursive(2, 12, 3, |inner| {
        let null_branch = prop_oneof![
            Just(None),
            Just(Some(json!({"type": "null"}))),
            Just(Some(json!({"const": null}))),
            Just(Some(json!({"enum": [null]}))),
        ];
        prop_oneof![
            (
                prop::sample::select(vec!["anyOf", "oneOf"]),
                prop::collection::vec(inner.clone(), 1..3),
                null_branch,
                0usize..3,
                any::<bool>(),
            )
                .prop_map(|(kw, mut branches, null, at, described)| {
                    if let Some(null) = null {
                        branches.insert(at.min(branches.len()), null);
                    }
                    let mut union = json!({ kw: branches });
                    // Annotations that differ from a merged branch's.
                    if described {
                        union["description"] = json!("union");
                        union["readOnly"] = json!(true);
                    }
                    union
                }),
            (
                prop::sample::select(vec!["object"]).prop_flat_map(maybe_null),
                inner.clone(),
                inner.clone(),
                any::<bool>(),
            )
                .prop_map(|(t, a, b, required)| {
                    let mut s = json!({"type": t, "properties": {"a": a, "b": b}});
                    if required {
                        s["required"] = json!(["a"]);
                    }
                    s
                }),
            (
                prop::sample::select(vec!["array"]).prop_flat_map(maybe_null),
                inner.clone()
            )
                .prop_map(|(t, items)| json!({"type": t, "items": items})),
            // Exact lowerings: no subschema declares properties or items of its
            // own, and the tuples' positions all allow the same items.
            (inner.clone(), prop::option::of(inner.clone()))
                .prop_map(|(a, rest)| json!({"type": "object", "properties": {"a": a},
                    "unevaluatedProperties": rest.unwrap_or(json!(false))})),
            (inner.clone(), 1usize..3, any::<bool>()).prop_map(|(item, n, closed)| {
                let rest = if closed { json!(false) } else { item.clone() };
                json!({"type": "array", "prefixItems": vec![item; n], "items": rest})
            }),
        ]
    })
    .boxed()
}

/// `S`: a schema with a `$defs` entry `D` that [`DEF_REF`] leaves point at.
fn with_defs() -> impl Strategy<Value = Value> {
    (schema_31(true), schema_31(false)).prop_map(|(mut s, d)| {
        s["$defs"] = json!({"D": d});
        s
    })
}

/// Reads an OpenAPI 3.0 schema as draft 4: `nullable: true` means "null, or
/// what the rest of the schema accepts" (how typify reads it: `Option<T>`),
/// except beside an `enum`, which must list `null` itself (OpenAPI 3.0.3).
fn to_draft4(schema: &Value) -> Value {
    match schema {
        Value::Array(items) => Value::Array(items.iter().map(to_draft4).collect()),
        Value::Object(map) => {
            let mut out: Map<String, Value> = Map::new();
            for (k, v) in map {
                let converted = match k.as_str() {
                    "properties" => Value::Object(
                        v.as_object()
                            .unwrap()
                            .iter()
                            .map(|(name, s)| (name.clone(), to_draft4(s)))
                            .collect(),
                    ),
                    "items" | "not" | "additionalProperties" | "allOf" | "anyOf" | "oneOf" => {
                        to_draft4(v)
                    }
                    _ => v.clone(),
                };
                out.insert(k.clone(), converted);
            }
            if out.remove("nullable") == Some(Value::Bool(true)) {
                if !out.contains_key("enum") {
                    return json!({"anyOf": [{"type": "null"}, Value::Object(out)]});
                }
                if let Some(Value::String(t)) = out.get("type") {
                    let t = t.clone();
                    out.insert("type".into(), json!([t, "null"]));
                }
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

/// `S` as a root document whose `#/components/schemas/...` resolve.
fn rooted(schemas: Value) -> Value {
    json!({"$ref": "#/components/schemas/S", "components": {"schemas": schemas}})
}

proptest! {
    #![proptest_config(config(160))]

    #[test]
    fn converted_schemas_accept_the_same_instances(
        schema in with_defs(),
        instances in prop::collection::vec(any_json(), 12),
    ) {
        let doc = json!({
            "openapi": "3.1.0",
            "info": {"title": "t", "version": "1"},
            "paths": {},
            "components": {"schemas": {"S": schema.clone(), "Base": base()}},
        });
        // A valid 3.1 document is never refused.
        let out = normalize(doc).unwrap();
        let original = jsonschema::draft202012::new(&rooted(json!({"S": schema, "Base": base()}))).unwrap();
        let converted = out.document["components"]["schemas"].as_object().unwrap();
        let draft4: serde_json::Map<String, Value> =
            converted.iter().map(|(k, v)| (k.clone(), to_draft4(v))).collect();
        let translated = jsonschema::draft4::new(&rooted(Value::Object(draft4))).unwrap();
        // Null matching two `oneOf` branches makes 3.1 reject null, which 3.0
        // cannot say: the normalizer reads it as nullable and notes that this
        // widens. Where a note says so, accepting more is expected; accepting
        // less never is.
        let widens = out.notes.iter().any(|n| n.message.contains("widens"));
        // `oneOf` and `not` are not monotone: widening a schema inside one of
        // their branches can make the enclosing schema reject what it accepted
        // (a second `oneOf` branch now matches too). For such documents only
        // the conversion itself is checked above.
        let widened_in_non_monotone = out.notes.iter().any(|n| {
            let mut above: Vec<&str> = n.pointer.split('/').collect();
            above.pop();
            n.message.contains("widens") && above.iter().any(|s| *s == "oneOf" || *s == "not")
        });
        let mut instances = instances;
        instances.extend([json!({"a": 1}), json!({"a": null}), json!({"a": 1, "b": "a"}), json!("a"), json!(3), json!(null), json!(["a", 1])]);
        for instance in instances {
            let (before, after) = (original.is_valid(&instance), translated.is_valid(&instance));
            prop_assert!(
                before == after || (widens && after) || widened_in_non_monotone,
                "instance {} is {} by 3.1 {} and {} by 3.0 {} (notes: {:?})",
                instance, before, schema, after, converted["S"], out.notes
            );
        }
    }

    /// Keywords 3.0 cannot state are dropped, which may only widen: whatever
    /// the 3.1 schema accepted, the conversion still accepts. (Not exact, so
    /// kept apart from the property above.)
    #[test]
    fn dropped_keywords_only_widen(
        schema in schema_31(false),
        dropped in prop::sample::subsequence(vec![
            ("propertyNames", json!({"maxLength": 1})),
            ("contains", json!({"type": "string"})),
            ("minContains", json!(2)),
            ("dependentRequired", json!({"a": ["b"]})),
            ("dependentSchemas", json!({"a": {"required": ["b"]}})),
            ("if", json!({"required": ["a"]})),
            ("then", json!({"minimum": 5})),
            ("else", json!({"type": "string"})),
        ], 1..4),
        instances in prop::collection::vec(any_json(), 12),
    ) {
        let mut schema = schema;
        for (kw, value) in dropped {
            schema[kw] = value;
        }
        let doc = json!({
            "openapi": "3.1.0",
            "paths": {},
            "components": {"schemas": {"S": schema.clone(), "Base": base()}},
        });
        let out = normalize(doc).unwrap();
        let original = jsonschema::draft202012::new(&rooted(json!({"S": schema, "Base": base()}))).unwrap();
        let converted = out.document["components"]["schemas"].as_object().unwrap();
        let draft4: serde_json::Map<String, Value> =
            converted.iter().map(|(k, v)| (k.clone(), to_draft4(v))).collect();
        let translated = jsonschema::draft4::new(&rooted(Value::Object(draft4))).unwrap();
        for instance in instances.iter().chain([json!({"a": "abc"}), json!(["abc"]), json!("abc")].iter()) {
            prop_assert!(
                !original.is_valid(instance) || translated.is_valid(instance),
                "instance {} accepted by 3.1 {} but not by 3.0 {}",
                instance, schema, converted["S"]
            );
        }
    }
}
