//! Path templates that do not match their parameters, repaired where what
//! the author meant is clear.
//!
//! Gcore's CDN document was published for months with `{config_id}` in a path
//! whose path parameter is named `id`: one template variable without a
//! parameter, next to one path parameter the template does not name. There is
//! one way to read that, and it is taken, with a note: the parameter fills the
//! variable and is named after it. Anything more ambiguous is left to
//! [`generate::leave_out_refused`](crate::generate::leave_out_refused), which
//! leaves that operation out.

use serde_json::{Map, Value};

use super::{Lowered, resolve};
use crate::generate::{METHODS, escape_pointer, template_variables};

/// Where a path parameter is declared: the path item's list or the
/// operation's, at an index.
#[derive(Clone, Copy, PartialEq)]
enum Origin {
    Item(usize),
    Operation(usize),
}

/// Pairs one unnamed template variable with one unused path parameter, in
/// every operation where that is the whole mismatch.
pub(super) fn pair(doc: &mut Value, out: &mut Lowered) {
    let Some(root) = doc.as_object_mut() else {
        return;
    };
    let components = root.remove("components").unwrap_or(Value::Null);
    if let Some(paths) = root.get_mut("paths").and_then(Value::as_object_mut) {
        for (path, item) in paths.iter_mut() {
            if let Some(item) = item.as_object_mut() {
                pair_in_item(&components, path, item, out);
            }
        }
    }
    if !components.is_null() {
        root.insert("components".into(), components);
    }
}

/// `(name, in)` of a parameter, through its `$ref`.
fn identity<'a>(components: &'a Value, param: &'a Value) -> Option<(&'a str, &'a str)> {
    let p = resolve(components, param)?;
    Some((
        p.get("name").and_then(Value::as_str)?,
        p.get("in").and_then(Value::as_str)?,
    ))
}

fn pair_in_item(components: &Value, path: &str, item: &mut Map<String, Value>, out: &mut Lowered) {
    let Some(variables) = template_variables(path) else {
        return; // unbalanced braces: its operations are left out later
    };
    let item_at = format!("/paths/{}", escape_pointer(path));
    for method in METHODS {
        let Some((origin, name, variable)) = mismatch(components, &variables, item, method) else {
            continue;
        };
        let index = match origin {
            Origin::Operation(i) => i,
            Origin::Item(_) => {
                // A path item's parameter cannot be renamed for one of its
                // operations: each operation gets its own copy of the list.
                if !push_down(components, item, &item_at, out) {
                    return;
                }
                let op = &item[method];
                let Some(i) = op["parameters"].as_array().and_then(|params| {
                    params
                        .iter()
                        .position(|p| identity(components, p) == Some((name.as_str(), "path")))
                }) else {
                    continue;
                };
                i
            }
        };
        let at = format!("{item_at}/{method}/parameters/{index}");
        let Some(param) = item
            .get_mut(method)
            .and_then(|op| op.get_mut("parameters"))
            .and_then(Value::as_array_mut)
            .and_then(|params| params.get_mut(index))
        else {
            continue;
        };
        let Some(resolved) = resolve(components, param) else {
            continue;
        };
        if !out.copies.allow([resolved], &at) {
            return;
        }
        let mut renamed = resolved.clone();
        renamed["name"] = Value::String(variable.clone());
        *param = renamed;
        out.note(
            "path-parameter-paired",
            format!("{at}/name"),
            format!(
                "the path template {path:?} has `{{{variable}}}`, which no parameter declares, and the path parameter {name:?}, which the template does not name: {name:?} is taken to be `{{{variable}}}`, and generated as the parameter `{variable}`"
            ),
        );
    }
}

/// The one path parameter the template does not name and the one variable
/// no parameter declares, when that is all that is wrong.
fn mismatch(
    components: &Value,
    variables: &[&str],
    item: &Map<String, Value>,
    method: &str,
) -> Option<(Origin, String, String)> {
    let op = item.get(method)?.as_object()?;
    let list = |params: Option<&Value>| -> Vec<(usize, String, String)> {
        params
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
            .filter_map(|(i, p)| {
                identity(components, p)
                    .map(|(name, place)| (i, name.to_string(), place.to_string()))
            })
            .collect()
    };
    let own = list(op.get("parameters"));
    let shared = list(item.get("parameters"));
    // An operation's parameter overrides the path item's of the same name and place.
    let mut declared: Vec<(Origin, String)> = own
        .iter()
        .filter(|(_, _, place)| place == "path")
        .map(|(i, name, _)| (Origin::Operation(*i), name.clone()))
        .collect();
    declared.extend(
        shared
            .iter()
            .filter(|(_, name, place)| {
                place == "path" && !own.iter().any(|(_, n, p)| n == name && p == place)
            })
            .map(|(i, name, _)| (Origin::Item(*i), name.clone())),
    );
    let unused: Vec<&(Origin, String)> = declared
        .iter()
        .filter(|(_, name)| !variables.contains(&name.as_str()))
        .collect();
    let unnamed: Vec<&&str> = variables
        .iter()
        .filter(|v| !declared.iter().any(|(_, name)| name == *v))
        .collect();
    match (unused.as_slice(), unnamed.as_slice()) {
        ([(origin, name)], [variable]) => Some((*origin, name.clone(), variable.to_string())),
        _ => None,
    }
}

/// Moves the path item's parameters into each of its operations (behind the
/// operation's own, which override them), as OpenAPI merges them anyway.
fn push_down(
    components: &Value,
    item: &mut Map<String, Value>,
    item_at: &str,
    out: &mut Lowered,
) -> bool {
    let Some(Value::Array(shared)) = item.remove("parameters") else {
        return true;
    };
    for method in METHODS {
        let Some(op) = item.get_mut(method).and_then(Value::as_object_mut) else {
            continue;
        };
        let params = op
            .entry("parameters")
            .or_insert_with(|| Value::Array(Vec::new()));
        let Some(params) = params.as_array_mut() else {
            continue;
        };
        let inherited: Vec<&Value> = shared
            .iter()
            .filter(|p| {
                let id = identity(components, p);
                !params.iter().any(|own| identity(components, own) == id)
            })
            .collect();
        if !out
            .copies
            .allow(inherited.iter().copied(), &format!("{item_at}/parameters"))
        {
            return false;
        }
        let inherited: Vec<Value> = inherited.into_iter().cloned().collect();
        params.extend(inherited);
    }
    true
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn one_unnamed_variable_and_one_unused_parameter_are_paired() {
        // As Gcore's CDN document had it: `{config_id}` and a parameter `id`.
        let mut doc = json!({"paths": {
            "/configs/{config_id}": {"get": {"operationId": "get",
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}]}},
            "/shared/{config_id}": {
                "parameters": [{"$ref": "#/components/parameters/Id"},
                    {"name": "q", "in": "query", "schema": {"type": "string"}}],
                "get": {"operationId": "shared"},
                "put": {"operationId": "put", "parameters": [{"name": "q", "in": "query", "schema": {"type": "integer"}}]}},
            "/two/{a}/{b}": {"get": {"operationId": "two",
                "parameters": [{"name": "x", "in": "path", "schema": {"type": "string"}},
                    {"name": "y", "in": "path", "schema": {"type": "string"}}]}}},
            "components": {"parameters": {"Id": {"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}}}});
        let mut out = Lowered::default();
        pair(&mut doc, &mut out);
        let get = &doc["paths"]["/configs/{config_id}"]["get"]["parameters"][0];
        assert_eq!(get["name"], "config_id");
        assert_eq!(get["schema"]["type"], "integer");
        let shared = &doc["paths"]["/shared/{config_id}"];
        assert!(shared.get("parameters").is_none());
        assert_eq!(
            shared["get"]["parameters"],
            json!([{"name": "config_id", "in": "path", "required": true, "schema": {"type": "string"}},
                {"name": "q", "in": "query", "schema": {"type": "string"}}])
        );
        // The operation's own `q` overrides the path item's.
        assert_eq!(
            shared["put"]["parameters"],
            json!([{"name": "q", "in": "query", "schema": {"type": "integer"}},
                {"name": "config_id", "in": "path", "required": true, "schema": {"type": "string"}}])
        );
        // The component is not renamed for everyone.
        assert_eq!(doc["components"]["parameters"]["Id"]["name"], "id");
        // Two and two: ambiguous, left alone here.
        assert_eq!(
            doc["paths"]["/two/{a}/{b}"]["get"]["parameters"][0]["name"],
            "x"
        );
        let pointers: Vec<&str> = out.notes.iter().map(|n| n.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            [
                "/paths/~1configs~1{config_id}/get/parameters/0/name",
                "/paths/~1shared~1{config_id}/get/parameters/0/name",
                "/paths/~1shared~1{config_id}/put/parameters/1/name"
            ]
        );
        assert!(
            out.notes[0]
                .message
                .contains("\"id\" is taken to be `{config_id}`")
        );
    }
}
