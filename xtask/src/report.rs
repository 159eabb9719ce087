//! The change report: what a spec change does to a generated crate's public API,
//! and the semver bump that follows.
//!
//! Two normalized (OpenAPI 3.0) documents go in; a list of [`Change`]s comes out,
//! each classified for *downstream users of the generated crate*, not for the
//! HTTP wire. The module is four small parts:
//!
//! - a **model** of what generates public Rust items: [`Operation`]s (a method
//!   on `Client`, with its positional arguments and success type) and the
//!   component schemas (a `types::` item each);
//! - a **comparator** that pairs old and new operations and schemas;
//! - a **classifier**, the rules below, applied as each change is found;
//! - a **renderer**: one text line per change, or JSON for CI bots.
//!
//! # Classification rules, and why
//!
//! - The facade methods take the **required** parameters as arguments and return
//!   a request builder with a **setter per optional parameter**
//!   (`client.operation(a, b).flag(true).await`). So an added optional
//!   parameter is a new setter, compatible; an added required one, a removed
//!   one, reordered required ones, a parameter turning required or optional (an
//!   argument becoming a setter or back) or changing type are breaking.
//! - Operations: added is compatible; removed is breaking; the same method and
//!   path with an `operationId` whose Rust method name differs is a rename and
//!   breaking; the same `operationId` on another path is compatible (the Rust
//!   method is unchanged, only the URL it calls).
//! - Schemas are classified by **direction**, found by following `$ref`s from the
//!   operations. Every generated struct and enum is `#[non_exhaustive]` (the
//!   growable step), and types the caller *builds* (parameters, request bodies)
//!   are made with `new(required fields)` and setters. So a new optional field
//!   is compatible in either direction, a new required field breaks builders
//!   (`new` gains an argument) but not readers, and a new enum value is
//!   compatible (`match`es need a wildcard arm already). A schema no operation
//!   reaches is treated as both, to be safe.
//! - Anything that changes a Rust type is breaking in either direction: a type
//!   change, an integer format change (`int64` → `int32` narrows `i64` to `i32`;
//!   widening breaks `let x: i32 = ...` too), nullability or required-ness
//!   (`T` ↔ `Option<T>`), a removed property, enum value or schema.
//! - Error responses are compatible: the runtime maps every failure status to
//!   the crate's single `Error` enum, and error bodies are not decoded into
//!   per-operation types, so no signature mentions them.
//! - Descriptions, summaries, examples, tags and `x-` extensions change only
//!   docs ([`Impact::Docs`]). A structural change this module does not model is
//!   reported as compatible with a request to review the generated diff.
//!
//! The crate's bump follows the worst change ([`Bump`]): breaking → major,
//! compatible → minor, docs only → patch. For a `0.y.z` crate Cargo treats the
//! minor number as the breaking one (`^0.1` does not match `0.2.0`), so there a
//! major bump increments `y` and a minor or patch bump increments `z`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use heck::ToSnakeCase;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::generate::{METHODS, escape_pointer};
use crate::version::Version;

/// Deepest schema nesting compared; beyond it, nested schemas are not examined.
const MAX_DEPTH: usize = 64;
/// Most `$ref` hops followed when resolving one reference (guards ref cycles).
const MAX_HOPS: usize = 16;

// ---------------------------------------------------------------- the verdict

/// How a change affects code that uses the generated crate. Ordered by severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Impact {
    /// Documentation only: no Rust item changes.
    Docs,
    /// Additive or behavioural: existing downstream code still compiles.
    Compatible,
    /// Existing downstream code may stop compiling.
    Breaking,
}

impl Impact {
    fn tag(self) -> &'static str {
        match self {
            Impact::Docs => "[docs]      ",
            Impact::Compatible => "[compatible]",
            Impact::Breaking => "[breaking]  ",
        }
    }
}

/// The semver bump a set of changes calls for. Ordered by size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Bump {
    /// Nothing changed.
    None,
    /// Documentation changed.
    Patch,
    /// Compatible changes.
    Minor,
    /// At least one breaking change.
    Major,
}

impl Bump {
    /// The bump for a set of changes: the worst impact decides.
    pub fn of(changes: &[Change]) -> Bump {
        match changes.iter().map(|c| c.impact).max() {
            None => Bump::None,
            Some(Impact::Docs) => Bump::Patch,
            Some(Impact::Compatible) => Bump::Minor,
            Some(Impact::Breaking) => Bump::Major,
        }
    }

    /// `major`, `minor`, `patch` or `none`.
    pub fn as_str(self) -> &'static str {
        match self {
            Bump::None => "none",
            Bump::Patch => "patch",
            Bump::Minor => "minor",
            Bump::Major => "major",
        }
    }
}

/// What a change is, as a stable name for machines (`kebab-case` in JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
#[allow(missing_docs)] // the names are the documentation
pub enum Kind {
    OperationAdded,
    OperationRemoved,
    OperationRenamed,
    OperationMoved,
    ParameterAdded,
    ParameterRemoved,
    ParameterRetyped,
    ParameterRequired,
    ParameterOptional,
    ParametersReordered,
    RequestBodyAdded,
    RequestBodyRemoved,
    RequestBodyChanged,
    ResponseChanged,
    ErrorsChanged,
    SchemaAdded,
    SchemaRemoved,
    PropertyAdded,
    PropertyRemoved,
    TypeChanged,
    RequiredChanged,
    EnumValuesAdded,
    EnumValuesRemoved,
    NullableChanged,
    ValidationChanged,
    BaseUrlChanged,
    Documentation,
    /// A public Rust item of the generated crate is gone (read from the code).
    ItemRemoved,
    /// One side of the comparison does not generate.
    NotGenerated,
    Other,
}

/// Which part of the generated crate a change is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Area {
    /// Methods of `Client`.
    Operations,
    /// Items of the `types` module.
    Schemas,
    /// The rest of the document: info, servers, shared components.
    Document,
}

/// One change to the generated public API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// How it affects downstream code.
    pub impact: Impact,
    /// What kind of change it is.
    pub kind: Kind,
    /// Where in the crate it is.
    pub area: Area,
    /// The operation (`rust_method (METHOD /path)`) or schema (`Name`) concerned.
    pub subject: String,
    /// What changed and, for breaking changes, why it breaks.
    pub detail: String,
    /// JSON pointer of the changed value: in the new document, or in the old one
    /// for something removed.
    pub pointer: String,
}

/// A crate version before and after the bump.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionChange {
    /// Version the bump starts from (the committed one, for `generate`).
    pub from: String,
    /// Version the verdict requires.
    pub to: String,
}

/// The report for one pair of documents. This is also the `--format json`
/// output; field names are stable.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Provider name from `specs/providers.toml`, when known.
    pub provider: Option<String>,
    /// The generated crate, when known.
    #[serde(rename = "crate")]
    pub crate_name: Option<String>,
    /// How the old document is named (a path, or `HEAD:path`).
    pub old: String,
    /// How the new document is named.
    pub new: String,
    /// Every change, operations first, then schemas, then the rest.
    pub changes: Vec<Change>,
    /// The bump the changes call for.
    pub semver: Bump,
    /// The crate's version and the one the verdict requires, when the crate is known.
    pub version: Option<VersionChange>,
}

impl Report {
    /// Compares `old` with `new` (both normalized to OpenAPI 3.0).
    pub fn new(old_name: &str, old: &Value, new_name: &str, new: &Value) -> Report {
        let changes = compare(old, new);
        Report {
            provider: None,
            crate_name: None,
            old: old_name.to_string(),
            new: new_name.to_string(),
            semver: Bump::of(&changes),
            changes,
            version: None,
        }
    }

    /// Names the provider and crate, and computes the version the verdict requires
    /// starting from `from`.
    pub fn for_crate(mut self, provider: &str, crate_name: &str, from: Option<&Version>) -> Report {
        self.provider = Some(provider.to_string());
        self.crate_name = Some(crate_name.to_string());
        self.version = from.map(|v| VersionChange {
            from: v.to_string(),
            to: v.bumped(self.semver).to_string(),
        });
        self
    }

    /// The report as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        // Serializing plain strings and enums into a String cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The human-readable report: a heading, one line per change grouped by
    /// area, and the semver verdict.
    pub fn to_text(&self) -> String {
        let who = self
            .provider
            .as_ref()
            .map(|p| format!("{p}: "))
            .unwrap_or_default();
        format!("{who}{}", self.body_text())
    }

    /// [`to_text`](Self::to_text) without the provider's name in front.
    pub fn body_text(&self) -> String {
        let mut out = String::new();
        let who = "";
        if self.changes.is_empty() {
            let _ = writeln!(
                out,
                "{who}{} → {}: no change to the generated API",
                self.old, self.new
            );
        } else {
            let _ = writeln!(
                out,
                "{who}{} → {}: {} change(s)",
                self.old,
                self.new,
                self.changes.len()
            );
        }
        for area in [Area::Operations, Area::Schemas, Area::Document] {
            let mine: Vec<&Change> = self.changes.iter().filter(|c| c.area == area).collect();
            if mine.is_empty() {
                continue;
            }
            let _ = writeln!(out, "  {}:", area_name(area));
            for c in mine {
                let _ = writeln!(out, "    {} {}: {}", c.impact.tag(), c.subject, c.detail);
            }
        }
        let _ = writeln!(out, "  {}", self.verdict_line());
        out
    }

    /// `semver: major — bump 0.1.0 → 0.2.0 (...)`.
    pub fn verdict_line(&self) -> String {
        let bump = self.semver.as_str();
        match (&self.version, self.semver) {
            (Some(v), Bump::None) => format!("semver: none — {} stays", v.from),
            (Some(v), b) => {
                let why = match (v.from.starts_with("0."), b) {
                    (true, Bump::Major) => {
                        " (a 0.x crate: Cargo reads the minor number as the breaking one)"
                    }
                    (true, _) => " (a 0.x crate: compatible changes bump the patch number)",
                    _ => "",
                };
                format!("semver: {bump} — bump {} → {}{why}", v.from, v.to)
            }
            (None, Bump::None) => "semver: none".to_string(),
            (None, _) => {
                format!("semver: {bump} (name the crate with --provider P to see its next version)")
            }
        }
    }
}

fn area_name(area: Area) -> &'static str {
    match area {
        Area::Operations => "operations",
        Area::Schemas => "schemas",
        Area::Document => "document",
    }
}

// ---------------------------------------------------------------- the model

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
        self.id.as_deref().map(rust_method_name)
    }

    fn key(&self) -> (String, String) {
        (self.method.clone(), self.path.clone())
    }

    fn subject(&self) -> String {
        match self.rust_name() {
            Some(name) => format!("`{name}` ({} {})", self.method, self.path),
            None => format!("{} {}", self.method, self.path),
        }
    }

    fn pointer(&self) -> String {
        format!(
            "/paths/{}/{}",
            escape_pointer(&self.path),
            self.method.to_lowercase()
        )
    }
}

/// progenitor's method name for an `operationId`: snake case, with characters
/// that cannot be in an identifier turned into word breaks first.
pub fn rust_method_name(operation_id: &str) -> String {
    operation_id
        .replace('\'', "")
        .replace(|c: char| !(c.is_alphanumeric() || c == '_'), "-")
        .to_snake_case()
}

/// Follows local `$ref`s (`#/...`) to their target; an unresolvable or external
/// reference is returned as is.
fn resolve<'a>(doc: &'a Value, mut value: &'a Value) -> &'a Value {
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

fn operation<'a>(
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
fn media(holder: &Value) -> (String, Option<&Value>) {
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
struct Direction {
    input: bool,
    output: bool,
}

const INPUT: Direction = Direction {
    input: true,
    output: false,
};
const OUTPUT: Direction = Direction {
    input: false,
    output: true,
};
const BOTH: Direction = Direction {
    input: true,
    output: true,
};

/// The direction of each component schema, following `$ref`s from the operations.
fn directions(doc: &Value) -> BTreeMap<String, Direction> {
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
fn refs(value: Option<&Value>, dir: Direction, queue: &mut Vec<(String, Direction)>) {
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

fn schema_name(reference: &str) -> Option<String> {
    reference
        .strip_prefix("#/components/schemas/")
        .map(|n| n.replace("~1", "/").replace("~0", "~"))
}

// ---------------------------------------------------------------- the comparator

/// Every change between two normalized documents, in report order.
pub fn compare(old: &Value, new: &Value) -> Vec<Change> {
    let mut changes = Vec::new();
    compare_operations(old, new, &mut changes);
    compare_schemas(old, new, &mut changes);
    compare_rest(old, new, &mut changes);
    changes
}

/// Collects the changes for one subject.
struct Sink<'c> {
    changes: &'c mut Vec<Change>,
    area: Area,
    subject: String,
    pointer: String,
}

impl Sink<'_> {
    fn push(&mut self, impact: Impact, kind: Kind, detail: impl Into<String>) {
        self.changes.push(Change {
            impact,
            kind,
            area: self.area,
            subject: self.subject.clone(),
            detail: detail.into(),
            pointer: self.pointer.clone(),
        });
    }

    fn count(&self) -> usize {
        self.changes.len()
    }
}

fn compare_operations(old_doc: &Value, new_doc: &Value, changes: &mut Vec<Change>) {
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

fn compare_operation(o: &Operation, n: &Operation, sink: &mut Sink, before: usize) {
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

fn compare_params(o: &Operation, n: &Operation, sink: &mut Sink) {
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

fn compare_success(o: &Operation, n: &Operation, sink: &mut Sink) {
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
fn first_body<'a>(op: &Operation<'a>) -> Option<&'a Value> {
    op.success.values().find_map(|s| *s)
}

fn compare_schemas(old_doc: &Value, new_doc: &Value, changes: &mut Vec<Change>) {
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
fn compare_rest(old_doc: &Value, new_doc: &Value, changes: &mut Vec<Change>) {
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
fn fallback(old: &Value, new: &Value, what: &str, sink: &mut Sink) {
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
const DOC_KEYS: [&str; 9] = [
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

fn strip_docs(value: &Value, depth: usize) -> Value {
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

fn join<T: std::fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

// ---------------------------------------------------------------- the classifier

/// Compares two schemas in a direction; component `$ref`s are compared by name
/// only, as each component is compared once in its own right.
struct Schemas {
    dir: Direction,
}

impl Schemas {
    fn compare(&self, old: &Value, new: &Value, label: &str, depth: usize, sink: &mut Sink) {
        if depth > MAX_DEPTH || is_ref(old) || is_ref(new) {
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

    fn compare_enum(&self, old: &Value, new: &Value, label: &str, sink: &mut Sink) {
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
            let why = if self.dir.output {
                "the enum is `#[non_exhaustive]`, so `match`es already have a wildcard arm"
            } else {
                "the caller only builds this type"
            };
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

    fn compare_properties(
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
const VALIDATION: [&str; 11] = [
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

fn is_ref(schema: &Value) -> bool {
    schema.get("$ref").is_some()
}

/// `allOf: [one]` is how specs attach a description to a `$ref`; it is the one.
fn unwrap_all_of(schema: &Value) -> &Value {
    match schema.get("allOf").and_then(Value::as_array) {
        Some(list) if list.len() == 1 => &list[0],
        _ => schema,
    }
}

/// The Rust type a schema becomes, approximately, as shown in the report.
/// Two schemas with different results generate different Rust types.
fn type_of(schema: Option<&Value>) -> String {
    match schema {
        None => "()".to_string(),
        Some(s) => type_at(s, 0),
    }
}

fn type_at(schema: &Value, depth: usize) -> String {
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
fn integer_type(schema: &Value) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn method_names_follow_progenitor() {
        assert_eq!(
            rust_method_name("iamDeleteApiTokenV2"),
            "iam_delete_api_token_v2"
        );
        assert_eq!(
            rust_method_name("account-api-tokens-delete-token"),
            "account_api_tokens_delete_token"
        );
        assert_eq!(rust_method_name("GetUser"), rust_method_name("getUser"));
    }

    #[test]
    fn integer_types_follow_typify() {
        let t = |v: Value| integer_type(&v);
        assert_eq!(t(json!({"type": "integer"})), "i64");
        assert_eq!(t(json!({"type": "integer", "format": "int32"})), "i32");
        assert_eq!(
            t(json!({"type": "integer", "format": "int64", "minimum": 1})),
            "NonZeroU64"
        );
        assert_eq!(
            t(json!({"type": "integer", "minimum": 0, "maximum": 255})),
            "u8"
        );
        assert_eq!(t(json!({"type": "integer", "minimum": 1000})), "i64");
    }

    #[test]
    fn hostile_input_does_not_panic() {
        let weird = [
            json!({}),
            json!({"paths": []}),
            json!({"paths": {"/a": {"get": 3, "post": {"parameters": "x", "responses": [1]}}}}),
            json!({"paths": {"/a": {"$ref": "#/paths/~1a"}}}),
            json!({"components": {"schemas": {"A": {"$ref": "#/components/schemas/A"}, "B": {"properties": 7, "required": "x", "enum": {}}}}}),
            json!({"paths": {"/a": {"get": {"operationId": 5, "requestBody": {"$ref": "#/nowhere"}}}}}),
        ];
        for a in &weird {
            for b in &weird {
                let _ = Report::new("a", a, "b", b).to_text();
            }
        }
    }
}
