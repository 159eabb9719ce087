//! `$defs` (and anchors) → `components/schemas`.
//!
//! OpenAPI 3.0 has no `$defs`, and progenitor only follows
//! `#/components/<kind>/<name>` references. While the schemas are walked, each
//! `$defs` entry is converted and set aside ([`collect`]); once the walk is done
//! ([`place`]), the referenced ones move to `components/schemas` under their own
//! name (or, on a clash, one derived from it) and every reference to them is
//! rewritten; unreferenced ones are dropped. `#name` references to an `$anchor`
//! on a component or definition become pointers the same way.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use super::{Ctx, Res, child, schema};

#[derive(Default)]
pub(super) struct Defs {
    found: Vec<Def>,
    /// Anchor name → `#pointer` of the schema declaring it; `None` when two do.
    anchors: BTreeMap<String, Option<String>>,
}

struct Def {
    /// Input pointer of the definition.
    pointer: String,
    /// Its key under `$defs`.
    name: String,
    schema: Value,
}

impl Defs {
    pub(super) fn anchor(&mut self, name: Value, ptr: &str) {
        if let Value::String(name) = name {
            self.anchors
                .entry(name)
                .and_modify(|target| *target = None)
                .or_insert_with(|| Some(format!("#{ptr}")));
        }
    }

    /// What is set aside, for tearing down after an error.
    pub(super) fn into_value(self) -> Value {
        Value::Array(self.found.into_iter().map(|d| d.schema).collect())
    }
}

/// Resolves a `#/$defs/...` reference against the enclosing schema resource
/// (a document root has no `$defs`, so that is what it can mean), then converts
/// the schema's own `$defs` and sets them aside.
pub(super) fn collect(map: &mut Map<String, Value>, ptr: &str, depth: usize, ctx: &mut Ctx) -> Res {
    if let Some(Value::String(r)) = map.get_mut("$ref")
        && let Some(rest) = r.strip_prefix("#/$defs/")
    {
        *r = format!("#{}/$defs/{rest}", ctx.resource);
    }
    let Some(defs) = map.remove("$defs") else {
        return Ok(());
    };
    let at = child(ptr, "$defs");
    let Value::Object(defs) = defs else {
        ctx.note(at, "dropped `$defs`: expected an object");
        return Ok(());
    };
    let mut entries = defs.into_iter();
    while let Some((name, mut def)) = entries.next() {
        let pointer = child(&at, &name);
        let result = schema::schema(&mut def, &pointer, depth + 1, ctx);
        ctx.defs.found.push(Def {
            pointer,
            name,
            schema: def,
        });
        if let Err(e) = result {
            // Kept for `dismantle`: deep input must not be dropped recursively.
            let rest = entries.map(|(name, schema)| Def {
                pointer: String::new(),
                name,
                schema,
            });
            ctx.defs.found.extend(rest);
            return Err(e);
        }
    }
    Ok(())
}

/// Moves the referenced definitions into `components/schemas` and rewrites the
/// references; see the module documentation.
pub(super) fn place(root: &mut Map<String, Value>, ctx: &mut Ctx) {
    let Defs { mut found, anchors } = std::mem::take(&mut ctx.defs);
    if found.is_empty() && anchors.is_empty() {
        return;
    }
    let targets: BTreeMap<String, usize> = found
        .iter()
        .enumerate()
        .map(|(i, d)| (format!("#{}", d.pointer), i))
        .collect();
    // Only anchors on a component or a definition can become a reference
    // progenitor follows.
    let anchors: BTreeMap<String, String> = anchors
        .into_iter()
        .filter_map(|(name, target)| {
            let target = target?;
            let component =
                target.starts_with("#/components/schemas/") && target.matches('/').count() == 3;
            (component || targets.contains_key(&target)).then_some((name, target))
        })
        .collect();

    // Which definitions are referenced, from the document or from one that is.
    let mut used = vec![false; found.len()];
    let mut queue = referenced(root.values_mut(), &anchors, &targets);
    while let Some(i) = queue.pop() {
        if !std::mem::replace(&mut used[i], true) {
            queue.extend(referenced([&mut found[i].schema], &anchors, &targets));
        }
    }

    let mut taken: BTreeSet<String> = root
        .get("components")
        .and_then(|c| c.get("schemas"))
        .and_then(Value::as_object)
        .map(|s| s.keys().cloned().collect())
        .unwrap_or_default();
    let mut numbered = BTreeMap::new();
    let names: Vec<Option<String>> = found
        .iter()
        .zip(&used)
        .map(|(def, used)| used.then(|| hoisted_name(def, &mut taken, &mut numbered)))
        .collect();

    let mut rewrite = |r: &mut String| {
        if let Some((i, suffix)) = lookup(&targets, r)
            && let Some(name) = &names[i]
        {
            *r = format!("#/components/schemas/{name}{suffix}");
        }
    };
    each_ref(root.values_mut(), &mut rewrite);
    for (def, name) in found.iter_mut().zip(&names) {
        if name.is_some() {
            each_ref([&mut def.schema], &mut rewrite);
        }
    }

    let components = root.entry("components").or_insert_with(|| json!({}));
    let mut schemas = components
        .as_object_mut()
        .map(|c| c.entry("schemas").or_insert_with(|| json!({})));
    for (def, name) in found.into_iter().zip(names) {
        match name {
            Some(name) => {
                ctx.note(
                    &def.pointer,
                    format!(
                        "moved to `#/components/schemas/{name}`: OpenAPI 3.0 has no `$defs` and the generator only follows references to components; references to it were rewritten"
                    ),
                );
                if let Some(Value::Object(schemas)) = schemas.as_deref_mut() {
                    schemas.insert(name, def.schema);
                }
            }
            None => ctx.note(
                &def.pointer,
                "dropped unreferenced `$defs` entry: OpenAPI 3.0 has no `$defs`",
            ),
        }
    }
}

/// The definition's name, made a valid 3.0 component name (`[A-Za-z0-9._-]+`);
/// on a clash, prefixed with the component holding it, then numbered.
/// `numbered` keeps, per name, the first number not yet tried: every lower
/// one is taken, so a thousand definitions of one name cost a thousand
/// tries, not half a million.
fn hoisted_name(
    def: &Def,
    taken: &mut BTreeSet<String>,
    numbered: &mut BTreeMap<String, usize>,
) -> String {
    let clean = |s: &str| -> String {
        let s: String = s
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "._-".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        if s.is_empty() { "Def".into() } else { s }
    };
    let base = clean(&def.name);
    let owner = def
        .pointer
        .strip_prefix("/components/schemas/")
        .and_then(|rest| rest.split('/').next())
        .map(|o| clean(&o.replace("~1", "/").replace("~0", "~")));
    let name = std::iter::once(base.clone())
        .chain(owner.map(|o| format!("{o}_{base}")))
        .find(|n| !taken.contains(n))
        .unwrap_or_else(|| {
            let n = numbered.entry(base.clone()).or_insert(2);
            loop {
                let name = format!("{base}_{n}");
                *n += 1;
                if !taken.contains(&name) {
                    break name;
                }
            }
        });
    taken.insert(name.clone());
    name
}

/// Turns `#anchor` references into pointers and lists the definitions that the
/// references found in `values` point into.
fn referenced<'a>(
    values: impl IntoIterator<Item = &'a mut Value>,
    anchors: &BTreeMap<String, String>,
    targets: &BTreeMap<String, usize>,
) -> Vec<usize> {
    let mut hits = Vec::new();
    each_ref(values, &mut |r: &mut String| {
        if let Some(target) = r.strip_prefix('#').and_then(|name| anchors.get(name)) {
            *r = target.clone();
        }
        if let Some((i, _)) = lookup(targets, r) {
            hits.push(i);
        }
    });
    hits
}

/// The definition a reference points at or into (the longest match, so nested
/// definitions win over their parent) and the pointer rest after it.
fn lookup(targets: &BTreeMap<String, usize>, reference: &str) -> Option<(usize, String)> {
    let r = percent_decode(reference);
    let mut end = r.len();
    while end > 1 {
        if let Some(&i) = targets.get(&r[..end]) {
            return Some((i, r[end..].to_string()));
        }
        end = r[..end].rfind('/')?;
    }
    None
}

fn percent_decode(s: &str) -> Cow<'_, str> {
    if !s.contains('%') {
        return Cow::Borrowed(s);
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match hex
            .filter(|_| bytes[i] == b'%')
            .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            Some(b) => {
                out.push(b);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

/// Keys whose values are data (or extensions), where a `$ref` is no reference.
const DATA: [&str; 5] = ["example", "examples", "enum", "default", "const"];
/// Keys whose values map names to objects, so the names are never keywords.
const NAME_MAPS: [&str; 8] = [
    "properties",
    "patternProperties",
    "schemas",
    "responses",
    "parameters",
    "headers",
    "requestBodies",
    "paths",
];

/// Calls `f` on every `$ref` string, iteratively (nesting is only bounded by
/// the loader).
fn each_ref<'a>(values: impl IntoIterator<Item = &'a mut Value>, f: &mut impl FnMut(&mut String)) {
    let mut stack: Vec<(&mut Value, bool)> = values.into_iter().map(|v| (v, false)).collect();
    while let Some((value, names)) = stack.pop() {
        match value {
            Value::Object(map) => {
                for (key, v) in map.iter_mut() {
                    if !names {
                        if let (true, Value::String(r)) = (key == "$ref", &mut *v) {
                            f(r);
                            continue;
                        }
                        if DATA.contains(&key.as_str()) || key.starts_with("x-") {
                            continue;
                        }
                    }
                    let holds_names = !names && NAME_MAPS.contains(&key.as_str());
                    stack.push((v, holds_names));
                }
            }
            Value::Array(items) => stack.extend(items.iter_mut().map(|v| (v, false))),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::normalize;
    use super::super::testing::*;
    use serde_json::json;

    #[test]
    fn referenced_defs_move_to_components() {
        let d = doc(json!({"schemas": {
            "User": {"type": "object", "properties": {
                "home": {"$ref": "#/components/schemas/User/$defs/Address"},
                "work": {"$ref": "#/$defs/Address"},
                "tag": {"$ref": "#/components/schemas/User/%24defs/Tag"}},
                "$defs": {"Address": {"type": ["string", "null"]}, "Tag": {"const": "t"}, "Unused": {}}},
            "Address": {"type": "integer"}}}));
        let out = normalize(d).unwrap();
        let schemas = &out.document["components"]["schemas"];
        assert_eq!(
            schemas["User"],
            json!({"type": "object", "properties": {
            "home": {"$ref": "#/components/schemas/User_Address"},
            "work": {"$ref": "#/components/schemas/User_Address"},
            "tag": {"$ref": "#/components/schemas/Tag"}}})
        );
        assert_eq!(
            schemas["User_Address"],
            json!({"type": "string", "nullable": true})
        );
        assert_eq!(schemas["Tag"], json!({"enum": ["t"]}));
        assert_eq!(schemas["Address"], json!({"type": "integer"}));
        assert!(schemas.get("Unused").is_none());
        let want = [
            "/components/schemas/User/$defs/Address",
            "/components/schemas/User/$defs/Tag",
            "/components/schemas/User/$defs/Unused",
        ];
        assert_eq!(note_pointers(&out), want);
        assert!(out.notes[2].message.contains("unreferenced"));
    }

    #[test]
    fn nested_and_inline_defs() {
        // Definitions inside definitions, in an inline schema, referenced only
        // from another definition, and by anchor.
        let schema = json!({"$ref": "#/$defs/A", "$defs": {
            "A": {"properties": {"b": {"$ref": "#/$defs/A/$defs/B"}, "c": {"$ref": "#c-anchor"}},
                  "$defs": {"B": {"type": "string"}}},
            "C": {"$anchor": "c-anchor", "type": "integer"}}});
        let d = json!({"openapi": "3.1.0", "paths": {"/a": {"get": {"responses": {"200": {
            "description": "ok", "content": {"application/json": {"schema": schema}}}}}}}});
        let out = normalize(d).unwrap().document;
        let got =
            &out["paths"]["/a"]["get"]["responses"]["200"]["content"]["application/json"]["schema"];
        assert_eq!(got, &json!({"$ref": "#/components/schemas/A"}));
        assert_eq!(
            out["components"]["schemas"],
            json!({"A": {"properties": {"b": {"$ref": "#/components/schemas/B"}, "c": {"$ref": "#/components/schemas/C"}}},
                   "B": {"type": "string"}, "C": {"type": "integer"}})
        );
    }

    #[test]
    fn anchors_on_components_become_pointers() {
        let d = doc(
            json!({"schemas": {"Node": {"$anchor": "node", "properties": {"next": {"$ref": "#node"}}}}}),
        );
        let out = normalize(d).unwrap();
        let node = &out.document["components"]["schemas"]["Node"];
        assert_eq!(
            node,
            &json!({"properties": {"next": {"$ref": "#/components/schemas/Node"}}})
        );
        assert!(out.notes.is_empty());
    }

    #[test]
    fn hoisted_names_are_valid_and_unique() {
        let d = doc(json!({"schemas": {
            "A": {"$defs": {"x y": {}, "B": {}}, "properties": {"p": {"$ref": "#/$defs/x y"}, "q": {"$ref": "#/$defs/B"}}},
            "B": {"$defs": {"B": {}}, "items": {"$ref": "#/$defs/B"}},
            "A_B": {}}}));
        let out = normalize(d).unwrap().document;
        let schemas = out["components"]["schemas"].as_object().unwrap();
        let names: Vec<&str> = schemas.keys().map(String::as_str).collect();
        assert_eq!(names, ["A", "A_B", "B", "B_2", "B_B", "x_y"]);
        assert_eq!(
            schemas["A"]["properties"]["q"]["$ref"],
            "#/components/schemas/B_2"
        );
        assert_eq!(schemas["B"]["items"]["$ref"], "#/components/schemas/B_B");
    }
}
