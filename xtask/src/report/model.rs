//! The model: the operations and schemas of a document that generate public
//! Rust items, and which way each schema travels.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::*;

/// One operation: a method on the generated `Client`.
#[derive(Debug)]
pub struct Operation<'a> {
    /// `operationId`, if the spec has one.
    pub id: Option<String>,
    /// Upper-case HTTP method.
    pub method: String,
    /// Path template.
    pub path: String,
    /// Parameters in the order of the generated method's arguments.
    pub params: Vec<Param<'a>>,
    /// The request body, the last argument when present.
    pub body: Option<Body<'a>>,
    /// The 2xx responses: status → schema (`None` for no body).
    pub success: BTreeMap<String, Option<&'a Value>>,
    /// The other responses' statuses.
    pub errors: BTreeSet<String>,
    /// The operation object as written.
    pub raw: &'a Value,
}

/// One parameter of an operation, `$ref` resolved.
#[derive(Debug)]
pub struct Param<'a> {
    /// Name in the spec.
    pub name: String,
    /// `path`, `query`, `header` or `cookie`.
    pub location: String,
    /// Whether the argument is `T` rather than `Option<T>`.
    pub required: bool,
    /// The parameter's schema.
    pub schema: Option<&'a Value>,
}

/// The request body of an operation, `$ref` resolved.
#[derive(Debug)]
pub struct Body<'a> {
    /// Whether the spec marks it required (progenitor takes it either way).
    pub required: bool,
    /// The media type generated from.
    pub media: String,
    /// Its schema.
    pub schema: Option<&'a Value>,
}

impl Operation<'_> {
    /// The Rust method progenitor generates for it, when it has an `operationId`.
    pub fn rust_name(&self) -> Option<String> {
        // The generator's own naming function: the report and the code agree.
        self.id.as_deref().map(crate::generate::method_name)
    }

    pub(super) fn key(&self) -> (String, String) {
        (self.method.clone(), self.path.clone())
    }

    pub(super) fn subject(&self) -> String {
        match self.rust_name() {
            Some(name) => format!("`{name}` ({} {})", self.method, self.path),
            None => format!("{} {}", self.method, self.path),
        }
    }

    pub(super) fn pointer(&self) -> String {
        format!(
            "/paths/{}/{}",
            escape_pointer(&self.path),
            self.method.to_lowercase()
        )
    }
}

/// Follows local `$ref`s (`#/...`) to their target; an unresolvable or external
/// reference is returned as is.
pub(super) fn resolve<'a>(doc: &'a Value, mut value: &'a Value) -> &'a Value {
    for _ in 0..MAX_HOPS {
        let Some(target) = value
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
            .and_then(|pointer| doc.pointer(pointer))
        else {
            return value;
        };
        value = target;
    }
    value
}

/// Reads every operation of a document into the model.
pub fn operations(doc: &Value) -> Vec<Operation<'_>> {
    let mut out = Vec::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return out;
    };
    for (path, item) in paths {
        let item = resolve(doc, item);
        for method in METHODS {
            let Some(op) = item.get(method).filter(|op| op.is_object()) else {
                continue;
            };
            out.push(operation(doc, path, method, item, op));
        }
    }
    out
}

pub(super) fn operation<'a>(
    doc: &'a Value,
    path: &str,
    method: &str,
    item: &'a Value,
    op: &'a Value,
) -> Operation<'a> {
    // Path-item parameters apply unless the operation redeclares them.
    let mut params: Vec<Param<'a>> = Vec::new();
    let declared = [item.get("parameters"), op.get("parameters")];
    for list in declared.into_iter().flatten().filter_map(Value::as_array) {
        for p in list {
            let p = resolve(doc, p);
            let name = p.get("name").and_then(Value::as_str).unwrap_or_default();
            let location = p.get("in").and_then(Value::as_str).unwrap_or_default();
            params.retain(|q| !(q.name == name && q.location == location));
            params.push(Param {
                name: name.to_string(),
                location: location.to_string(),
                required: location == "path"
                    || p.get("required").and_then(Value::as_bool) == Some(true),
                schema: p.get("schema"),
            });
        }
    }
    // progenitor's argument order: path parameters as they appear in the path,
    // query parameters by name, then headers.
    let position = |p: &Param| match p.location.as_str() {
        "path" => (
            0,
            path.find(&format!("{{{}}}", p.name)).unwrap_or(0),
            String::new(),
        ),
        "query" => (1, 0, p.name.clone()),
        _ => (2, 0, String::new()),
    };
    params.sort_by_key(|p| position(p));

    let body = op.get("requestBody").map(|b| resolve(doc, b)).map(|b| {
        let (media, schema) = media(b);
        Body {
            required: b.get("required").and_then(Value::as_bool) == Some(true),
            media,
            schema,
        }
    });

    let mut success = BTreeMap::new();
    let mut errors = BTreeSet::new();
    if let Some(responses) = op.get("responses").and_then(Value::as_object) {
        for (code, response) in responses {
            if code.starts_with('2') {
                success.insert(code.clone(), media(resolve(doc, response)).1);
            } else {
                errors.insert(code.clone());
            }
        }
        // With no 2xx response, progenitor treats `default` as the success.
        if success.is_empty()
            && errors.remove("default")
            && let Some(response) = responses.get("default")
        {
            success.insert("default".to_string(), media(resolve(doc, response)).1);
        }
    }

    Operation {
        id: op
            .get("operationId")
            .and_then(Value::as_str)
            .map(str::to_string),
        method: method.to_uppercase(),
        path: path.to_string(),
        params,
        body,
        success,
        errors,
        raw: op,
    }
}

/// The media type and schema a body or response is generated from: JSON when
/// offered, else the first.
pub(super) fn media(holder: &Value) -> (String, Option<&Value>) {
    let Some(content) = holder.get("content").and_then(Value::as_object) else {
        return (String::new(), None);
    };
    let chosen = content
        .iter()
        .find(|(m, _)| m.contains("json"))
        .or_else(|| content.iter().next());
    match chosen {
        Some((m, v)) => (m.clone(), v.get("schema")),
        None => (String::new(), None),
    }
}

/// Who handles values of a schema: the caller builds inputs and reads outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Direction {
    pub(super) input: bool,
    pub(super) output: bool,
}

pub(super) const INPUT: Direction = Direction {
    input: true,
    output: false,
};
pub(super) const OUTPUT: Direction = Direction {
    input: false,
    output: true,
};
pub(super) const BOTH: Direction = Direction {
    input: true,
    output: true,
};

/// The direction of each component schema, following `$ref`s from the operations.
pub(super) fn directions(doc: &Value) -> BTreeMap<String, Direction> {
    let mut seen: BTreeMap<String, Direction> = BTreeMap::new();
    let mut queue: Vec<(String, Direction)> = Vec::new();
    for op in operations(doc) {
        for p in &op.params {
            refs(p.schema, INPUT, &mut queue);
        }
        refs(op.body.as_ref().and_then(|b| b.schema), INPUT, &mut queue);
        for schema in op.success.values() {
            refs(*schema, OUTPUT, &mut queue);
        }
        // Error bodies are read by whoever decodes `ApiError::body`.
        if let Some(responses) = op.raw.get("responses").and_then(Value::as_object) {
            for (code, response) in responses {
                if !code.starts_with('2') {
                    refs(media(resolve(doc, response)).1, OUTPUT, &mut queue);
                }
            }
        }
    }
    let schemas = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object);
    while let Some((name, dir)) = queue.pop() {
        let entry = seen.entry(name.clone()).or_default();
        let merged = Direction {
            input: entry.input || dir.input,
            output: entry.output || dir.output,
        };
        if merged == *entry {
            continue;
        }
        *entry = merged;
        refs(schemas.and_then(|s| s.get(&name)), merged, &mut queue);
    }
    seen
}

/// Queues every component schema `value` refers to.
pub(super) fn refs(value: Option<&Value>, dir: Direction, queue: &mut Vec<(String, Direction)>) {
    let mut stack: Vec<&Value> = value.into_iter().collect();
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(map) => {
                if let Some(name) = map
                    .get("$ref")
                    .and_then(Value::as_str)
                    .and_then(schema_name)
                {
                    queue.push((name, dir));
                }
                stack.extend(map.values());
            }
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
}

pub(super) fn schema_name(reference: &str) -> Option<String> {
    reference
        .strip_prefix("#/components/schemas/")
        .map(|n| n.replace("~1", "/").replace("~0", "~"))
}
