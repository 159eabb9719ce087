//! The parameters seam of the [lower step](super): template variables nobody
//! declared, path parameters not marked required, values that must print as
//! text, cookies, `content` schemas, and parameters whose Rust names collide.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use super::{Lowered, Wire, resolve};

/// The `{name}`s of a path template, ignoring malformed braces (preflight
/// reports those).
fn template_variables(path: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { break };
        out.push(&after[..close]);
        rest = &after[close + 1..];
    }
    out
}

/// Template variables with no parameter become required strings; path
/// parameters are made required (progenitor asserts it, and a path cannot
/// leave a segment out).
pub(super) fn path_parameters(
    components: &Value,
    path: &str,
    shared: Option<&Value>,
    op: &mut Map<String, Value>,
    at: &str,
    out: &mut Lowered,
) {
    let mut declared = BTreeSet::new();
    let lists = [shared, op.get("parameters")];
    for list in lists.into_iter().flatten() {
        for param in list.as_array().into_iter().flatten() {
            if let Some(p) = resolve(components, param)
                && p.get("in").and_then(Value::as_str) == Some("path")
                && let Some(name) = p.get("name").and_then(Value::as_str)
            {
                declared.insert(name.to_string());
            }
        }
    }
    let params = op
        .entry("parameters")
        .or_insert_with(|| Value::Array(Vec::new()));
    let Some(params) = params.as_array_mut() else {
        return;
    };
    for (i, param) in params.iter_mut().enumerate() {
        text_parameter(components, param, &format!("{at}/parameters/{i}"), out);
        let Some(p) = param.as_object_mut() else {
            continue;
        };
        if p.get("in").and_then(Value::as_str) == Some("path")
            && p.get("required") != Some(&Value::Bool(true))
        {
            p.insert("required".into(), Value::Bool(true));
            out.note(
                "path-parameter-required",
                format!("{at}/parameters/{i}/required"),
                "a path parameter must be required; generated as required",
            );
        }
    }
    for variable in template_variables(path) {
        if variable.is_empty() || declared.contains(variable) {
            continue;
        }
        params.push(json!({
            "name": variable,
            "in": "path",
            "required": true,
            "schema": {"type": "string"},
        }));
        declared.insert(variable.to_string());
        out.note(
            "path-parameter-added",
            at.to_string(),
            format!(
                "the path template has `{{{variable}}}` but the operation declares no such parameter; \
                 generated as a required string parameter `{variable}`"
            ),
        );
    }
    if params.is_empty() {
        op.remove("parameters");
    }
}

/// Path and header values must print as text (progenitor formats them with
/// `to_string()`). A schema whose Rust type cannot (an array, an object, a
/// union) becomes a string the caller serializes. A path parameter whose
/// schema admits `null` (Cloudflare reuses nullable identifiers) becomes an
/// `Option` without `Display`; a path segment is never null, so the parameter
/// gets the schema without `nullable`, inlined.
pub(super) fn text_parameter(components: &Value, param: &mut Value, at: &str, out: &mut Lowered) {
    let Some(resolved) = resolve(components, param) else {
        return;
    };
    let place = resolved
        .get("in")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if place != "path" && place != "header" {
        return;
    }
    let Some(schema) = resolved.get("schema").and_then(|s| resolve(components, s)) else {
        return;
    };
    if !prints_as_text(components, schema, 0) {
        // progenitor puts path and header values on the wire with `to_string()`,
        // which arrays, objects and typify's unions do not have.
        let mut text = json!({"type": "string"});
        if let Some(description) = schema.get("description") {
            text["description"] = description.clone();
        }
        if !out.copies.allow([resolved], at) {
            return;
        }
        let mut inlined = resolved.clone();
        inlined["schema"] = text;
        *param = inlined;
        out.note(
            "parameter-as-text",
            format!("{at}/schema"),
            format!(
                "a {place} parameter is sent as one piece of text, and this schema (an array, an object or a union) has no single text form in Rust: generated as a string; pass the value serialized as the spec's `style` says (an array as `a,b,c`)"
            ),
        );
        return;
    }
    if place != "path" || schema.get("nullable") != Some(&Value::Bool(true)) {
        return;
    }
    if !out.copies.allow([resolved, schema], at) {
        return;
    }
    let mut schema = schema.clone();
    if let Some(map) = schema.as_object_mut() {
        map.remove("nullable");
    }
    let mut inlined = resolved.clone();
    inlined["schema"] = schema;
    *param = inlined;
    out.note(
        "path-parameter-not-null",
        format!("{at}/schema"),
        "a path parameter cannot be null: generated from its schema without `nullable`",
    );
}

/// Whether typify gives this schema a type that implements `Display`: a
/// scalar, a string enum, or a single-branch `allOf` of one.
fn prints_as_text(components: &Value, schema: &Value, depth: usize) -> bool {
    let Some(schema) = resolve(components, schema) else {
        return true; // preflight reports a broken reference
    };
    if depth > 8
        || schema.get("anyOf").is_some()
        || schema.get("oneOf").is_some()
        || schema.get("not").is_some()
    {
        return false;
    }
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        return all.len() == 1 && prints_as_text(components, &all[0], depth + 1);
    }
    match schema.get("type") {
        Some(Value::String(t)) => matches!(t.as_str(), "string" | "integer" | "number" | "boolean"),
        None => {
            schema.get("properties").is_none()
                && schema.get("items").is_none()
                && schema.get("enum").is_some()
        }
        _ => false,
    }
}

/// Cookie parameters become headers named `cookie-{name}` (so the argument
/// reads `cookie_{name}`), and the runtime sends their values as cookies.
pub(super) fn cookie_parameters(
    components: &Value,
    params: &mut Value,
    at: &str,
    out: &mut Lowered,
) -> Vec<Wire> {
    let mut wire = Vec::new();
    let Some(params) = params.as_array_mut() else {
        return wire;
    };
    for (i, param) in params.iter_mut().enumerate() {
        let Some(resolved) = resolve(components, param) else {
            continue;
        };
        if resolved.get("in").and_then(Value::as_str) != Some("cookie") {
            continue;
        }
        let Some(name) = resolved
            .get("name")
            .and_then(Value::as_str)
            .map(str::to_string)
        else {
            continue;
        };
        let sent = format!("cookie-{name}");
        if !out
            .copies
            .allow([resolved], &format!("{at}/parameters/{i}"))
        {
            return wire;
        }
        let mut header = resolved.clone();
        if let Some(map) = header.as_object_mut() {
            map.insert("in".into(), json!("header"));
            map.insert("name".into(), json!(sent));
            map.remove("style");
            map.remove("explode");
        }
        *param = header;
        out.note(
            "cookie-parameter",
            format!("{at}/parameters/{i}"),
            format!("progenitor sends no cookies: the cookie `{name}` is an argument like a header's, and is sent in the `Cookie` header as `{name}=<value>`"),
        );
        wire.push(Wire::Cookie { sent, name });
    }
    wire
}

/// A parameter described by `content` instead of `schema` takes the schema of
/// its (first) media type: progenitor reads only `schema`.
pub(super) fn parameter_schemas(
    components: &Value,
    op: &mut Map<String, Value>,
    at: &str,
    out: &mut Lowered,
) {
    let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) else {
        return;
    };
    for (i, param) in params.iter_mut().enumerate() {
        let Some(resolved) = resolve(components, param) else {
            continue;
        };
        if resolved.get("schema").is_some() || resolved.get("content").is_none() {
            continue;
        }
        // The content's schema is copied out of the copy: counted twice.
        if !out
            .copies
            .allow([resolved, resolved], &format!("{at}/parameters/{i}"))
        {
            return;
        }
        let mut inlined = resolved.clone();
        let Some(map) = inlined.as_object_mut() else {
            continue;
        };
        let schema = map
            .get("content")
            .and_then(Value::as_object)
            .and_then(|c| c.values().next())
            .and_then(|m| m.get("schema"))
            .cloned()
            .unwrap_or_else(|| json!({"type": "string"}));
        map.remove("content");
        map.insert("schema".into(), schema);
        *param = inlined;
        out.note(
            "parameter-content",
            format!("{at}/parameters/{i}"),
            "a parameter described by `content` is generated from that content's schema",
        );
    }
}

/// Parameters whose names become one Rust name (`id` in the path and `id` in
/// the query, as Cloudflare's firewall rules have): progenitor refuses the
/// operation. Path parameters keep their names; each later query or header
/// parameter is renamed `{name}_{in}` in the lowered document, and the runtime
/// sends it under its own name again ([`Wire::QueryName`]).
pub(super) fn distinct_parameter_names(
    components: &Value,
    shared: Option<&Value>,
    op: &mut Map<String, Value>,
    at: &str,
    out: &mut Lowered,
) -> Vec<Wire> {
    use heck::ToSnakeCase;
    let located = |p: &Value| {
        let name = p.get("name").and_then(Value::as_str)?;
        let location = p.get("in").and_then(Value::as_str)?;
        Some((name.to_string(), location.to_string()))
    };
    let own_names = |op: &Map<String, Value>| -> Vec<Option<(String, String)>> {
        op.get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|p| resolve(components, p).and_then(located))
            .collect()
    };
    let mut own = own_names(op);
    // Shared parameters not overridden by the operation's own: progenitor
    // merges both lists, keyed by name alone.
    let inherited_of = |own: &[Option<(String, String)>]| -> Vec<(Value, (String, String))> {
        let declared: BTreeSet<&(String, String)> = own.iter().flatten().collect();
        shared
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|p| Some((p.clone(), resolve(components, p).and_then(located)?)))
            .filter(|(_, np)| !declared.contains(np))
            .collect()
    };
    let mut inherited = inherited_of(&own);
    // Two shared parameters of one Rust name (Kubernetes' proxy paths share
    // `path` in the path and `path` in the query): progenitor keeps the last
    // and loses the path parameter's mapping. Renaming happens in the
    // operation's own list, so the shared ones are copied into it first.
    let mut rust_names: BTreeSet<String> = own
        .iter()
        .flatten()
        .map(|(name, _)| name.to_snake_case())
        .collect();
    let collides = inherited
        .iter()
        .any(|(_, (name, _))| !rust_names.insert(name.to_snake_case()));
    if collides && !inherited.is_empty() {
        let copies: Vec<Value> = inherited.into_iter().map(|(p, _)| p).collect();
        if !out.copies.allow(&copies, &format!("{at}/parameters")) {
            return Vec::new();
        }
        let params = op
            .entry("parameters")
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Some(params) = params.as_array_mut() {
            params.splice(0..0, copies);
        }
        own = own_names(op);
        inherited = inherited_of(&own);
    }
    let inherited = inherited.into_iter().map(|(_, np)| np);
    let mut taken = BTreeSet::new();
    for (name, location) in inherited.chain(own.iter().flatten().cloned()) {
        if location == "path" {
            taken.insert(name.to_snake_case());
        }
    }
    let mut wire = Vec::new();
    let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) else {
        return wire;
    };
    // Per name and location, the first number not yet tried.
    let mut numbered: BTreeMap<String, usize> = BTreeMap::new();
    for (i, located) in own.into_iter().enumerate() {
        let Some((name, location)) = located else {
            continue;
        };
        if location == "path" || taken.insert(name.to_snake_case()) {
            continue;
        }
        if location != "query" && location != "header" {
            continue;
        }
        let mut renamed = format!("{name}_{location}");
        if !taken.insert(renamed.to_snake_case()) {
            let n = numbered.entry(renamed.to_snake_case()).or_insert(2);
            loop {
                renamed = format!("{name}_{location}_{n}");
                *n += 1;
                if taken.insert(renamed.to_snake_case()) {
                    break;
                }
            }
        }
        let Some(resolved) = resolve(components, &params[i]) else {
            continue;
        };
        if !out
            .copies
            .allow([resolved], &format!("{at}/parameters/{i}"))
        {
            return wire;
        }
        let mut inlined = resolved.clone();
        inlined["name"] = json!(renamed);
        params[i] = inlined;
        out.note(
            "parameter-renamed",
            format!("{at}/parameters/{i}"),
            format!("the {location} parameter `{name}` has the Rust name of another parameter; its argument is `{}`, and it is still sent as `{name}`", renamed.to_snake_case()),
        );
        wire.push(if location == "query" {
            Wire::QueryName {
                sent: renamed,
                wire: name,
            }
        } else {
            Wire::HeaderName {
                sent: renamed,
                wire: name,
            }
        });
    }
    wire
}
