//! Inline schemas that typify would name like a component schema get a
//! `title` of their own, so that no type is defined twice (`error[E0428]`).
//!
//! typify names a component schema after its key, and an inline schema after
//! where it is: property `kind` of `ExternalSecuritySolution` becomes
//! `ExternalSecuritySolutionKind`, items of an array `{Parent}Item`, and
//! progenitor names an operation's inline body, response and parameters
//! `{OperationId}Body`, `{OperationId}Response`, `{OperationId}{Parameter}`.
//! It never checks these against each other: Azure's security API, whose
//! `ExternalSecuritySolution` inherits `kind` from the component
//! `ExternalSecuritySolutionKind`, got a struct and an enum of one name. Here
//! those places are named as typify will name them, and an inline schema
//! whose name a component already has is titled `{Name}Inline` (numbered when
//! that is taken too), which typify takes as its name. Component names do not
//! change; nothing else is touched.

use std::collections::BTreeSet;

use heck::ToSnakeCase;
use serde_json::{Map, Value, json};

use crate::generate::{self, escape_pointer};
use crate::names::pascal;

/// Deepest inline nesting followed; deeper schemas keep typify's names.
const MAX_DEPTH: usize = 64;

/// Titles the inline schemas of `doc` whose type name a component schema
/// has; returns the pointers of those retitled.
pub fn distinct(doc: &mut Value) -> Vec<String> {
    let mut taken: BTreeSet<String> = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|schemas| schemas.keys().map(|k| pascal(k)).collect())
        .unwrap_or_default();
    if taken.is_empty() {
        return Vec::new();
    }
    let mut renamed = hoist_merged(doc, &mut taken);
    let components = taken.clone();
    let mut walk = Walk {
        components: &components,
        taken: &mut taken,
        renamed: &mut renamed,
    };
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for (key, schema) in schemas.iter_mut() {
            let at = format!("/components/schemas/{}", escape_pointer(key));
            walk.children(schema, &pascal(key), &at, 0);
        }
    }
    let operations: Vec<(String, String)> = generate::operations(doc)
        .into_iter()
        .map(|(path, method, _)| (path.to_string(), method.to_string()))
        .collect();
    for (path, method) in operations {
        let at = format!("/paths/{}/{method}", escape_pointer(&path));
        let Some(op) = doc
            .get_mut("paths")
            .and_then(|p| p.get_mut(&path))
            .and_then(|item| item.get_mut(&method))
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        let Some(id) = op.get("operationId").and_then(Value::as_str) else {
            continue;
        };
        let id = id.to_string();
        walk.operation(op, &id, &at);
    }
    renamed
}

/// A component `S` with `allOf: [{$ref: R}]` gets `R`'s properties merged
/// into its own by typify, and their inline types named `S_{property}`, which
/// may be a component's name (Azure's `ExternalSecuritySolution` and its
/// `kind`). Such a property of `R` is moved to a component of its own, named
/// as typify names it in `R` (so `R` keeps its types' names), and both refer
/// to that one.
fn hoist_merged(doc: &mut Value, taken: &mut BTreeSet<String>) -> Vec<String> {
    let Some(schemas) = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    else {
        return Vec::new();
    };
    let mut moves: Vec<(String, String)> = Vec::new();
    for (key, schema) in schemas {
        let base = pascal(key);
        for member in schema
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some((_, from)) = member
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(generate::component_ref)
            else {
                continue;
            };
            let Some(Value::Object(props)) = schemas.get(from).and_then(|r| r.get("properties"))
            else {
                continue;
            };
            for (prop, child) in props {
                let merged = pascal(&format!("{base}_{}", prop.to_snake_case()));
                let own_title = child.get("title").is_some();
                if let Some(child) = child.as_object()
                    && !child.contains_key("$ref")
                    && !own_title
                    && names_a_type(child)
                    && taken.contains(&merged)
                    && !moves.contains(&(from.to_string(), prop.clone()))
                {
                    moves.push((from.to_string(), prop.clone()));
                }
            }
        }
    }
    let mut hoisted = Vec::new();
    for (from, prop) in moves {
        let wanted = pascal(&format!("{}_{}", pascal(&from), prop.to_snake_case()));
        let mut name = wanted.clone();
        let mut n = 1;
        while !taken.insert(name.clone()) {
            n += 1;
            name = format!("{wanted}{n}");
        }
        let Some(schemas) = doc
            .pointer_mut("/components/schemas")
            .and_then(Value::as_object_mut)
        else {
            break;
        };
        let Some(child) = schemas
            .get_mut(&from)
            .and_then(|r| r.get_mut("properties"))
            .and_then(|p| p.get_mut(&prop))
        else {
            continue;
        };
        let moved = std::mem::replace(
            child,
            json!({"$ref": format!("#/components/schemas/{}", escape_pointer(&name))}),
        );
        hoisted.push(format!(
            "/components/schemas/{}/properties/{}",
            escape_pointer(&from),
            escape_pointer(&prop)
        ));
        schemas.insert(name, moved);
    }
    hoisted
}

struct Walk<'a> {
    /// Type names of the component schemas.
    components: &'a BTreeSet<String>,
    /// Those, and the titles given so far.
    taken: &'a mut BTreeSet<String>,
    renamed: &'a mut Vec<String>,
}

impl Walk<'_> {
    fn operation(&mut self, op: &mut Map<String, Value>, id: &str, at: &str) {
        if let Some(Value::Array(params)) = op.get_mut("parameters") {
            for (i, param) in params.iter_mut().enumerate() {
                let Some(name) = param.get("name").and_then(Value::as_str) else {
                    continue;
                };
                let suggested = pascal(&format!("{id}-{name}"));
                if let Some(schema) = param.get_mut("schema") {
                    self.inline(schema, suggested, &format!("{at}/parameters/{i}/schema"), 0);
                }
            }
        }
        if let Some(body) = op.get_mut("requestBody") {
            let suggested = pascal(&format!("{id}-body"));
            self.content(body, &suggested, &format!("{at}/requestBody"));
        }
        if let Some(Value::Object(responses)) = op.get_mut("responses") {
            let suggested = pascal(&format!("{id}-response"));
            for (code, response) in responses.iter_mut() {
                let response_at = format!("{at}/responses/{}", escape_pointer(code));
                self.content(response, &suggested, &response_at);
            }
        }
    }

    /// The schemas of a body's or response's media types.
    fn content(&mut self, holder: &mut Value, suggested: &str, at: &str) {
        if let Some(Value::Object(content)) = holder.get_mut("content") {
            for (media, entry) in content.iter_mut() {
                if let Some(schema) = entry.get_mut("schema") {
                    let schema_at = format!("{at}/content/{}/schema", escape_pointer(media));
                    self.inline(schema, suggested.to_string(), &schema_at, 0);
                }
            }
        }
    }

    /// An inline schema typify names `suggested` unless it has a title.
    fn inline(&mut self, schema: &mut Value, suggested: String, at: &str, depth: usize) {
        let Some(map) = schema.as_object_mut() else {
            return;
        };
        if map.contains_key("$ref") || depth > MAX_DEPTH {
            return;
        }
        let mut name = match map.get("title").and_then(Value::as_str) {
            Some(title) => pascal(title),
            None => suggested,
        };
        if self.components.contains(&name) && names_a_type(map) {
            let mut n = 1;
            let mut candidate = format!("{name}Inline");
            while !self.taken.insert(candidate.clone()) {
                n += 1;
                candidate = format!("{name}Inline{n}");
            }
            map.insert("title".into(), json!(candidate));
            self.renamed.push(at.to_string());
            name = candidate;
        }
        self.children(schema, &name, at, depth + 1);
    }

    /// The inline schemas typify names after `base`: properties and items.
    fn children(&mut self, schema: &mut Value, base: &str, at: &str, depth: usize) {
        let Some(map) = schema.as_object_mut() else {
            return;
        };
        if let Some(Value::Object(props)) = map.get_mut("properties") {
            for (prop, child) in props.iter_mut() {
                let suggested = pascal(&format!("{base}_{}", prop.to_snake_case()));
                let child_at = format!("{at}/properties/{}", escape_pointer(prop));
                self.inline(child, suggested, &child_at, depth);
            }
        }
        if let Some(items) = map.get_mut("items") {
            self.inline(items, format!("{base}Item"), &format!("{at}/items"), depth);
        }
    }
}

/// Whether typify makes a type of its own for this schema (an enum, a struct,
/// a union or a constrained string), rather than a standard type that has no
/// name to collide.
fn names_a_type(map: &Map<String, Value>) -> bool {
    map.contains_key("enum")
        || map.contains_key("properties")
        || ["oneOf", "anyOf", "allOf"]
            .iter()
            .any(|k| map.contains_key(*k))
        || constrained_string(map)
}

/// A string with a length or a pattern, which typify makes a newtype that
/// checks them, unless its format is one typify maps to a standard type
/// (typify-impl's `convert_string`). Linode's `DatabaseMongoDB.replica_set`
/// (`maxLength: 64`) was such a newtype, named like the component hoisted
/// from it for a `$ref` into it: the two differ when the schema is nullable
/// (the component wraps an `Option`), so both were defined (error[E0428]).
fn constrained_string(map: &Map<String, Value>) -> bool {
    let standard = matches!(
        map.get("format").and_then(Value::as_str),
        Some("uuid" | "date" | "date-time" | "ip" | "ipv4" | "ipv6")
    );
    map.get("type").and_then(Value::as_str) == Some("string")
        && !standard
        && ["maxLength", "minLength", "pattern"]
            .iter()
            .any(|k| map.contains_key(*k))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_inline_enum_named_like_a_component_is_titled() {
        let mut doc = json!({
            "paths": {"/a": {"get": {"operationId": "list", "responses": {"200": {"description": "ok",
                "content": {"application/json": {"schema": {"type": "object",
                    "properties": {"x": {"type": "string"}}}}}}}}}},
            "components": {"schemas": {
                "Thing": {"type": "object", "properties": {
                    "kind": {"type": "string", "enum": ["a", "b"]},
                    "plain": {"type": "string"}}},
                "ThingKind": {"type": "object", "properties": {"kind": {"type": "string"}}},
                "ListResponse": {"type": "string"}}}
        });
        let renamed = distinct(&mut doc);
        assert_eq!(
            renamed,
            [
                "/components/schemas/Thing/properties/kind",
                "/paths/~1a/get/responses/200/content/application~1json/schema"
            ]
        );
        assert_eq!(
            doc["components"]["schemas"]["Thing"]["properties"]["kind"]["title"],
            "ThingKindInline"
        );
        assert!(
            doc["components"]["schemas"]["Thing"]["properties"]["plain"]
                .get("title")
                .is_none()
        );
    }

    #[test]
    fn an_inline_constrained_string_named_like_a_component_is_titled() {
        // As Linode's `DatabaseMongoDB.replica_set` beside the component
        // hoisted from it; a plain string, or one whose format typify maps to
        // a standard type, names no type.
        let mut doc = json!({"components": {"schemas": {
            "Db": {"type": "object", "properties": {
                "replica_set": {"type": "string", "maxLength": 64, "nullable": true},
                "id": {"type": "string", "format": "uuid", "pattern": "^[a-f0-9-]+$"},
                "plain": {"type": "string", "nullable": true}}},
            "DbReplicaSet": {"type": "string", "maxLength": 64, "nullable": true},
            "DbId": {"type": "string"},
            "DbPlain": {"type": "string"}}}});
        let renamed = distinct(&mut doc);
        assert_eq!(renamed, ["/components/schemas/Db/properties/replica_set"]);
        assert_eq!(
            doc["components"]["schemas"]["Db"]["properties"]["replica_set"]["title"],
            "DbReplicaSetInline"
        );
    }
}
