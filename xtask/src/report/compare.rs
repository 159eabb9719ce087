//! The comparator: old and new operations, schemas and the rest of the
//! document paired, each difference handed to the classifier.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::*;

/// Every change between two normalized documents, in report order.
pub fn compare(old: &Value, new: &Value) -> Vec<Change> {
    let mut changes = Vec::new();
    compare_operations(old, new, &mut changes);
    compare_schemas(old, new, &mut changes);
    compare_rest(old, new, &mut changes);
    changes
}

/// Collects the changes for one subject.
pub(super) struct Sink<'c> {
    pub(super) changes: &'c mut Vec<Change>,
    pub(super) area: Area,
    pub(super) subject: String,
    pub(super) pointer: String,
}

impl Sink<'_> {
    pub(super) fn push(&mut self, impact: Impact, kind: Kind, detail: impl Into<String>) {
        self.changes.push(Change {
            impact,
            kind,
            area: self.area,
            subject: self.subject.clone(),
            detail: detail.into(),
            pointer: self.pointer.clone(),
        });
    }

    pub(super) fn count(&self) -> usize {
        self.changes.len()
    }
}

pub(super) fn compare_operations(old_doc: &Value, new_doc: &Value, changes: &mut Vec<Change>) {
    let old_ops = operations(old_doc);
    let new_ops = operations(new_doc);
    let mut unmatched_old: Vec<&Operation> = Vec::new();
    let mut matched: Vec<(&Operation, &Operation)> = Vec::new();
    for o in &old_ops {
        match new_ops.iter().find(|n| n.key() == o.key()) {
            Some(n) => matched.push((o, n)),
            None => unmatched_old.push(o),
        }
    }
    let mut unmatched_new: Vec<&Operation> = new_ops
        .iter()
        .filter(|n| !old_ops.iter().any(|o| o.key() == n.key()))
        .collect();

    for (o, n) in matched {
        let mut sink = Sink {
            changes,
            area: Area::Operations,
            subject: n.subject(),
            pointer: n.pointer(),
        };
        // A rename explains the operationId difference the fallback would see.
        let before = sink.count();
        match (o.rust_name(), n.rust_name()) {
            (Some(a), Some(b)) if a != b => sink.push(
                Impact::Breaking,
                Kind::OperationRenamed,
                format!(
                    "renamed from `{a}` (operationId {:?}); callers of `{a}` stop compiling",
                    o.id.as_deref().unwrap_or_default()
                ),
            ),
            (Some(_), Some(_)) if o.id != n.id => sink.push(
                Impact::Docs,
                Kind::Documentation,
                format!(
                    "operationId {:?} is now {:?}; the Rust method name is the same",
                    o.id.as_deref().unwrap_or_default(),
                    n.id.as_deref().unwrap_or_default()
                ),
            ),
            _ => {}
        }
        compare_operation(o, n, &mut sink, before);
    }

    // The same operationId elsewhere keeps its Rust method: the URL moved.
    for o in unmatched_old {
        let same = o.rust_name().and_then(|name| {
            unmatched_new
                .iter()
                .position(|n| n.rust_name().as_deref() == Some(name.as_str()))
        });
        match same {
            Some(i) => {
                let n = unmatched_new.remove(i);
                let mut sink = Sink {
                    changes,
                    area: Area::Operations,
                    subject: n.subject(),
                    pointer: n.pointer(),
                };
                sink.push(
                    Impact::Compatible,
                    Kind::OperationMoved,
                    format!(
                        "now calls {} {} (was {} {}); the Rust method is unchanged",
                        n.method, n.path, o.method, o.path
                    ),
                );
                let before = sink.count();
                compare_operation(o, n, &mut sink, before);
            }
            None => changes.push(Change {
                impact: Impact::Breaking,
                kind: Kind::OperationRemoved,
                area: Area::Operations,
                subject: o.subject(),
                detail: "removed; callers of the method stop compiling".into(),
                pointer: o.pointer(),
            }),
        }
    }
    for n in unmatched_new {
        changes.push(Change {
            impact: Impact::Compatible,
            kind: Kind::OperationAdded,
            area: Area::Operations,
            subject: n.subject(),
            detail: "added (a new method on Client)".into(),
            pointer: n.pointer(),
        });
    }
}

pub(super) fn compare_operation(o: &Operation, n: &Operation, sink: &mut Sink, before: usize) {
    compare_params(o, n, sink);

    match (&o.body, &n.body) {
        (None, Some(b)) => sink.push(
            Impact::Breaking,
            Kind::RequestBodyAdded,
            format!(
                "new request body ({}): a new last argument of the method",
                b.media
            ),
        ),
        (Some(_), None) => sink.push(
            Impact::Breaking,
            Kind::RequestBodyRemoved,
            "request body removed: the method loses its last argument",
        ),
        (Some(a), Some(b)) => {
            if a.media != b.media {
                sink.push(
                    Impact::Breaking,
                    Kind::RequestBodyChanged,
                    format!(
                        "request body is now {} (was {}): the argument's type changes",
                        b.media, a.media
                    ),
                );
            } else {
                let (ta, tb) = (type_of(a.schema), type_of(b.schema));
                if ta != tb {
                    sink.push(
                        Impact::Breaking,
                        Kind::RequestBodyChanged,
                        format!("request body type changed from {ta} to {tb}"),
                    );
                } else if let (Some(sa), Some(sb)) = (a.schema, b.schema) {
                    Schemas { dir: INPUT }.compare(sa, sb, "request body", 0, sink);
                }
            }
            if a.required != b.required {
                sink.push(
                    Impact::Compatible,
                    Kind::RequestBodyChanged,
                    format!(
                        "request body is now {} (the method takes it either way)",
                        if b.required { "required" } else { "optional" }
                    ),
                );
            }
        }
        (None, None) => {}
    }

    compare_success(o, n, sink);

    let added: Vec<&String> = n.errors.difference(&o.errors).collect();
    let removed: Vec<&String> = o.errors.difference(&n.errors).collect();
    if !added.is_empty() || !removed.is_empty() {
        let mut parts = Vec::new();
        if !added.is_empty() {
            parts.push(format!("added {}", join(&added)));
        }
        if !removed.is_empty() {
            parts.push(format!("removed {}", join(&removed)));
        }
        sink.push(
            Impact::Compatible,
            Kind::ErrorsChanged,
            format!(
                "error responses {}; every failure is the crate's one Error type, so no signature changes",
                parts.join(", ")
            ),
        );
    }

    if sink.count() == before {
        fallback(o.raw, n.raw, "the operation", sink);
    }
}

pub(super) fn compare_params(o: &Operation, n: &Operation, sink: &mut Sink) {
    let find = |list: &'_ [Param<'_>], p: &Param| {
        list.iter()
            .position(|q| q.name == p.name && q.location == p.location)
    };
    for p in &o.params {
        if find(&n.params, p).is_none() {
            sink.push(
                Impact::Breaking,
                Kind::ParameterRemoved,
                format!(
                    "{} parameter `{}` removed: the method loses an argument",
                    p.location, p.name
                ),
            );
        }
    }
    for p in &n.params {
        let Some(i) = find(&o.params, p) else {
            if p.required {
                sink.push(
                    Impact::Breaking,
                    Kind::ParameterAdded,
                    format!(
                        "new required {} parameter `{}`: the method takes a new argument",
                        p.location, p.name
                    ),
                );
            } else {
                sink.push(
                    Impact::Compatible,
                    Kind::ParameterAdded,
                    format!(
                        "new optional {} parameter `{}`: a new setter on the request builder",
                        p.location, p.name
                    ),
                );
            }
            continue;
        };
        let q = &o.params[i];
        let (tq, tp) = (type_of(q.schema), type_of(p.schema));
        if tq != tp {
            sink.push(
                Impact::Breaking,
                Kind::ParameterRetyped,
                format!(
                    "{} parameter `{}` changed type from {tq} to {tp}",
                    p.location, p.name
                ),
            );
        } else if let (Some(a), Some(b)) = (q.schema, p.schema) {
            let label = format!("{} parameter `{}`", p.location, p.name);
            Schemas { dir: INPUT }.compare(a, b, &label, 0, sink);
        }
        if q.required != p.required {
            let (kind, now, change) = if p.required {
                (
                    Kind::ParameterRequired,
                    "required",
                    "its setter becomes an argument",
                )
            } else {
                (
                    Kind::ParameterOptional,
                    "optional",
                    "its argument becomes a setter",
                )
            };
            sink.push(
                Impact::Breaking,
                kind,
                format!(
                    "{} parameter `{}` is now {now}: {change}",
                    p.location, p.name
                ),
            );
        }
    }
    // Arguments (the required parameters) present on both sides must keep
    // their relative positions; setters have none.
    let order = |mine: &[Param], theirs: &[Param]| -> Vec<(String, String)> {
        mine.iter()
            .filter(|p| p.required && find(theirs, p).is_some_and(|i| theirs[i].required))
            .map(|p| (p.location.clone(), p.name.clone()))
            .collect()
    };
    let (was, now) = (order(&o.params, &n.params), order(&n.params, &o.params));
    if was != now {
        let names = |list: &[(String, String)]| {
            list.iter()
                .map(|(_, n)| n.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        sink.push(
            Impact::Breaking,
            Kind::ParametersReordered,
            format!(
                "arguments reordered from ({}) to ({})",
                names(&was),
                names(&now)
            ),
        );
    }
}

pub(super) fn compare_success(o: &Operation, n: &Operation, sink: &mut Sink) {
    // progenitor returns the one type the 2xx responses share.
    let types =
        |op: &Operation| -> BTreeSet<String> { op.success.values().map(|s| type_of(*s)).collect() };
    let (ta, tb) = (types(o), types(n));
    if ta != tb {
        sink.push(
            Impact::Breaking,
            Kind::ResponseChanged,
            format!(
                "success type changed from {} to {}: the method's return type changes",
                join(&ta.iter().collect::<Vec<_>>()),
                join(&tb.iter().collect::<Vec<_>>())
            ),
        );
        return;
    }
    if let (Some(a), Some(b)) = (first_body(o), first_body(n)) {
        Schemas { dir: OUTPUT }.compare(a, b, "response", 0, sink);
    }
    let (ca, cb): (Vec<&String>, Vec<&String>) =
        (o.success.keys().collect(), n.success.keys().collect());
    if ca != cb {
        sink.push(
            Impact::Compatible,
            Kind::ResponseChanged,
            format!(
                "success status {} (was {}); same return type",
                join(&cb),
                join(&ca)
            ),
        );
    }
}

/// The schema of the first 2xx response with a body.
pub(super) fn first_body<'a>(op: &Operation<'a>) -> Option<&'a Value> {
    op.success.values().find_map(|s| *s)
}

pub(super) fn compare_schemas(old_doc: &Value, new_doc: &Value, changes: &mut Vec<Change>) {
    let empty = Map::new();
    let schemas = |doc: &Value| {
        doc.pointer("/components/schemas")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_else(|| empty.clone())
    };
    let (old, new) = (schemas(old_doc), schemas(new_doc));
    let (dirs_old, dirs_new) = (directions(old_doc), directions(new_doc));
    let pointer = |name: &str| format!("/components/schemas/{}", escape_pointer(name));
    for (name, o) in &old {
        let Some(n) = new.get(name) else {
            changes.push(Change {
                impact: Impact::Breaking,
                kind: Kind::SchemaRemoved,
                area: Area::Schemas,
                subject: name.clone(),
                detail: "removed: code naming the type stops compiling".into(),
                pointer: pointer(name),
            });
            continue;
        };
        // Unreached schemas still generate types; assume callers both build and read them.
        let dir = match (dirs_old.get(name), dirs_new.get(name)) {
            (None, None) => BOTH,
            (a, b) => {
                let (a, b) = (
                    a.copied().unwrap_or_default(),
                    b.copied().unwrap_or_default(),
                );
                Direction {
                    input: a.input || b.input,
                    output: a.output || b.output,
                }
            }
        };
        let mut sink = Sink {
            changes,
            area: Area::Schemas,
            subject: name.clone(),
            pointer: pointer(name),
        };
        let before = sink.count();
        let (to, tn) = (type_of(Some(o)), type_of(Some(n)));
        if to != tn {
            sink.push(
                Impact::Breaking,
                Kind::TypeChanged,
                format!("changed from {to} to {tn}"),
            );
        } else {
            Schemas { dir }.compare(o, n, name, 0, &mut sink);
        }
        if sink.count() == before {
            fallback(o, n, "the schema", &mut sink);
        }
    }
    for name in new.keys().filter(|n| !old.contains_key(*n)) {
        changes.push(Change {
            impact: Impact::Compatible,
            kind: Kind::SchemaAdded,
            area: Area::Schemas,
            subject: name.clone(),
            detail: "added (a new type)".into(),
            pointer: pointer(name),
        });
    }
}

/// Everything outside `paths` and `components/schemas`: docs, except the
/// default base URL and shared components changed in ways the operations did not show.
pub(super) fn compare_rest(old_doc: &Value, new_doc: &Value, changes: &mut Vec<Change>) {
    let url = |doc: &Value| {
        doc.pointer("/servers/0/url")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let mut sink = Sink {
        changes,
        area: Area::Document,
        subject: "servers".into(),
        pointer: "/servers/0/url".into(),
    };
    if url(old_doc) != url(new_doc) {
        sink.push(
            Impact::Compatible,
            Kind::BaseUrlChanged,
            format!(
                "default base URL is now {:?} (was {:?})",
                url(new_doc),
                url(old_doc)
            ),
        );
    }
    let mut keys: BTreeSet<String> = BTreeSet::new();
    for doc in [old_doc, new_doc] {
        if let Some(map) = doc.as_object() {
            keys.extend(
                map.keys()
                    .filter(|k| *k != "paths" && *k != "components")
                    .cloned(),
            );
        }
        if let Some(map) = doc.get("components").and_then(Value::as_object) {
            // One entry per shared component, so the report names it.
            for (kind, entries) in map.iter().filter(|(k, _)| *k != "schemas") {
                match entries.as_object() {
                    Some(entries) => keys.extend(
                        entries
                            .keys()
                            .map(|name| format!("components/{kind}/{}", escape_pointer(name))),
                    ),
                    None => {
                        keys.insert(format!("components/{kind}"));
                    }
                }
            }
        }
    }
    for key in keys {
        let pointer = format!("/{key}");
        let (a, b) = (old_doc.pointer(&pointer), new_doc.pointer(&pointer));
        if a == b || (key == "servers" && sink.count() > 0) {
            continue;
        }
        let stripped = |v: Option<&Value>| v.map(|v| strip_docs(v, 0));
        let docs_only = key == "info"
            || key == "tags"
            || key == "externalDocs"
            || key == "openapi"
            || key.starts_with("x-")
            || stripped(a) == stripped(b);
        // Shared parameters, responses and bodies were compared through the
        // operations that use them; only their wording is left to report.
        if !docs_only
            && key.starts_with("components/")
            && !key.starts_with("components/securitySchemes")
        {
            continue;
        }
        let mut sink = Sink {
            changes: sink.changes,
            area: Area::Document,
            subject: key.clone(),
            pointer,
        };
        if docs_only {
            let detail = match key.as_str() {
                "info" => {
                    let version = |d: &Value| {
                        d.pointer("/info/version")
                            .and_then(Value::as_str)
                            .unwrap_or("?")
                            .to_string()
                    };
                    if version(old_doc) == version(new_doc) {
                        "title or description changed".to_string()
                    } else {
                        format!(
                            "document version {} → {}",
                            version(old_doc),
                            version(new_doc)
                        )
                    }
                }
                _ => "documentation changed".to_string(),
            };
            sink.push(Impact::Docs, Kind::Documentation, detail);
        } else {
            sink.push(
                Impact::Compatible,
                Kind::Other,
                "changed; the generated method signatures do not depend on it, review the generated diff",
            );
        }
    }
}

/// The last word on a subject with no modelled change: docs when only wording
/// differs, otherwise an unmodelled change to review.
pub(super) fn fallback(old: &Value, new: &Value, what: &str, sink: &mut Sink) {
    if old == new {
        return;
    }
    if strip_docs(old, 0) == strip_docs(new, 0) {
        sink.push(
            Impact::Docs,
            Kind::Documentation,
            format!("documentation of {what} changed"),
        );
    } else {
        sink.push(
            Impact::Compatible,
            Kind::Other,
            format!(
                "{what} changed in a way this report does not classify; review the generated diff"
            ),
        );
    }
}

/// Keys that only feed documentation. `properties` maps are kept whole so a
/// property that happens to be named `description` still counts.
pub(super) const DOC_KEYS: [&str; 9] = [
    "description",
    "summary",
    "title",
    "example",
    "examples",
    "externalDocs",
    "tags",
    "deprecated",
    "x-codeSamples",
];

pub(super) fn strip_docs(value: &Value, depth: usize) -> Value {
    if depth > MAX_DEPTH * 4 {
        return Value::Null;
    }
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| !DOC_KEYS.contains(&k.as_str()) && !k.starts_with("x-"))
                .map(|(k, v)| {
                    let v = if k == "properties" {
                        match v {
                            Value::Object(props) => Value::Object(
                                props
                                    .iter()
                                    .map(|(name, s)| (name.clone(), strip_docs(s, depth + 1)))
                                    .collect(),
                            ),
                            other => strip_docs(other, depth + 1),
                        }
                    } else {
                        strip_docs(v, depth + 1)
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| strip_docs(v, depth + 1)).collect())
        }
        other => other.clone(),
    }
}

pub(super) fn join<T: std::fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
