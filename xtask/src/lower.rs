//! Lower step: operation shapes progenitor cannot express → shapes it can.
//!
//! Runs after [`customize`](crate::customize) (every operation has an
//! operationId) and before [`preflight`](crate::generate::preflight). Every
//! valid OpenAPI document must generate, so where progenitor would panic or
//! refuse, the in-memory document is rewritten into the closest thing it
//! accepts, and each rewrite is announced as a [`Lowering`] that names the
//! place. The vendor's file is never touched. The seams:
//!
//! - **references** (`lower/references.rs`): `$ref`s outside `components` are hoisted
//!   into it, path-item references inlined;
//! - **names** (here): operationIds whose methods collide with each other or
//!   with the client's own methods get a numbered suffix, and so do schemas and
//!   properties whose Rust names collide;
//! - **parameters** (`lower/parameters.rs`): a template variable nobody declared
//!   becomes a required string parameter; a path parameter not marked required
//!   is; values without a text form become strings; cookies become arguments;
//! - **request bodies** (`lower/bodies.rs`): one media type is sent (JSON first), a
//!   body without a schema is any JSON value and may be left out, and media
//!   types progenitor cannot send are sent as raw bytes under their own
//!   `Content-Type`;
//! - **responses** (here): success responses that differ become one type (a
//!   `oneOf` of their bodies, nullable when one of them has no body).
//!
//! What the runtime must do for a lowering at run time (send the vendor's
//! `Content-Type`, encode a multipart form) is recorded in [`Wire`], which the
//! facade turns into code.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use crate::generate::{METHODS, RESERVED_METHODS, SpecError, escape_pointer, method_name};

mod bodies;
mod parameters;
mod references;
mod styles;
mod templates;

use bodies::{essence, is_json, request_body, request_rank};
use parameters::{
    cookie_parameters, distinct_parameter_names, parameter_schemas, path_parameters, text_parameter,
};
pub use styles::{Place, Styled};

/// One rewrite of the in-memory document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lowering {
    /// Stable name of the rewrite, for counting (`request-media-types`, ...).
    pub kind: &'static str,
    /// JSON pointer into the document as published.
    pub pointer: String,
    /// What was done, in the user's terms.
    pub message: String,
}

/// How an operation's request must differ on the wire from what progenitor
/// sends for the lowered document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wire {
    /// progenitor sends the body as `application/octet-stream`; send it under
    /// this media type instead.
    ContentType(String),
    /// progenitor serializes the body as JSON; send its fields as
    /// `multipart/form-data` instead.
    Multipart,
    /// A query parameter renamed in the lowered document (its name collided
    /// with another parameter's): progenitor sends `sent`, the vendor wants
    /// `wire`.
    QueryName {
        /// The name in the lowered document.
        sent: String,
        /// The name in the vendor's document.
        wire: String,
    },
    /// The body has no schema, so the caller may leave it out: the facade
    /// takes `Option<&Value>`, and `None` goes out as an empty body (still
    /// labelled JSON).
    OptionalBody,
    /// A cookie parameter, which progenitor does not send: lowered to the
    /// header `sent`, whose value the runtime moves into the `Cookie` header
    /// as `name=value`.
    Cookie {
        /// The header in the lowered document.
        sent: String,
        /// The cookie's name in the vendor's document.
        name: String,
    },
    /// The same as [`Wire::QueryName`], for a header parameter.
    HeaderName {
        /// The name in the lowered document.
        sent: String,
        /// The name in the vendor's document.
        wire: String,
    },
}

/// The result of lowering one document.
#[derive(Debug, Default)]
pub struct Lowered {
    /// The rewrites, in document order.
    pub notes: Vec<Lowering>,
    /// `"METHOD /path"` → what the runtime must change on the wire (keyed by
    /// route, which the facade reads back from each generated method's docs).
    pub wire: BTreeMap<String, Vec<Wire>>,
    /// `"METHOD /path"` → the parameters the generated code sends through
    /// the runtime's `style` module, with their declared styles.
    pub styles: BTreeMap<String, Vec<Styled>>,
    /// What the rewrites have copied.
    pub(crate) copies: Copies,
}

/// Most values lowering may copy into the document: half what the loader
/// admits ([`MAX_VALUES`](crate::load::MAX_VALUES)). Copies of small
/// mappings cost ~400 bytes a value, so a refused document has cost ~400 MB.
///
/// A rewrite copies what it cannot point at: a path item `$ref` is inlined at
/// each use, a parameter, body or response rewritten per operation that
/// refers to it, an `allOf` flattened with the properties of each schema it
/// names. So a small document can ask for a great many copies: one path item
/// of 1,000 properties referred to from 10,000 paths is 380 KB that lowered
/// to 10⁷ properties, and exhausted 4 GiB. Cloudflare's 4 MB document (178,000
/// values) copies 119,000.
pub const MAX_COPIED: usize = crate::load::MAX_VALUES / 2;

/// Values copied by lowering, counted before each copy is made.
#[derive(Debug, Default)]
pub(crate) struct Copies {
    made: usize,
    /// Where a copy would have gone past [`MAX_COPIED`].
    refused: Option<String>,
}

impl Copies {
    /// Counts a copy of `values` made at `at`: false, and nothing should be
    /// copied any more, once [`MAX_COPIED`] is spent.
    pub(crate) fn allow<'v>(
        &mut self,
        values: impl IntoIterator<Item = &'v Value>,
        at: &str,
    ) -> bool {
        if self.refused.is_some() {
            return false;
        }
        let mut stack: Vec<&Value> = values.into_iter().collect();
        while let Some(value) = stack.pop() {
            self.made += 1;
            if self.made > MAX_COPIED {
                self.refused = Some(at.to_string());
                return false;
            }
            match value {
                Value::Array(items) => stack.extend(items),
                Value::Object(map) => stack.extend(map.values()),
                _ => {}
            }
        }
        true
    }
}

impl Lowered {
    fn note(&mut self, kind: &'static str, pointer: String, message: impl Into<String>) {
        self.notes.push(Lowering {
            kind,
            pointer,
            message: message.into(),
        });
    }
}

/// Lowers every operation of `doc` in place.
///
/// # Errors
///
/// When the rewrites would copy more than [`MAX_COPIED`] values; the error
/// names the place of the copy that went past it.
pub fn lower(doc: &mut Value) -> Result<Lowered, SpecError> {
    let mut out = Lowered::default();
    references::hoist(doc, &mut out);
    templates::pair(doc, &mut out);
    distinct_schema_names(doc, &mut out);
    narrowed_enums(doc, &mut out);
    crate::flatten::flatten(doc, &mut out);
    operations(doc, &mut out);
    match out.copies.refused.take() {
        Some(pointer) => Err(SpecError {
            pointer,
            message: format!(
                "lowering the document would copy more than {MAX_COPIED} values: what is referred to here is copied at each use (a path item `$ref`, a parameter, body or response the generator rewrites, an `allOf` it flattens), and so many copies cannot be generated in bounded memory; refer to it from fewer places, or slice the operations you need out of the spec"
            ),
        }),
        None => Ok(out),
    }
}

/// Lowers each operation: names, parameters, bodies, responses. The
/// components are read while the paths are rewritten: taken out of the
/// document meanwhile, not copied.
fn operations(doc: &mut Value, out: &mut Lowered) {
    let Some(root) = doc.as_object_mut() else {
        return;
    };
    let Some(components) = root.remove("components") else {
        return each_operation(&Value::Null, root, out);
    };
    each_operation(&components, root, out);
    root.insert("components".into(), components);
}

fn each_operation(components: &Value, root: &mut Map<String, Value>, out: &mut Lowered) {
    let Some(paths) = root.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    let mut taken = TakenIds {
        ids: BTreeSet::new(),
        methods: RESERVED_METHODS.iter().map(|m| m.to_string()).collect(),
        numbered: BTreeMap::new(),
    };
    for (path, item) in paths.iter_mut() {
        let item_at = format!("/paths/{}", escape_pointer(path));
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        // Before cookies are lowered to headers, which drops their style.
        let shared_styles = match item.get_mut("parameters") {
            Some(params) => styles::styles(components, params, &item_at, out),
            None => Vec::new(),
        };
        let shared_cookies = match item.get_mut("parameters") {
            Some(params) => cookie_parameters(components, params, &item_at, out),
            None => Vec::new(),
        };
        let shared_params = item.get("parameters").cloned();
        for method in METHODS {
            let Some(op) = item.get_mut(method).and_then(Value::as_object_mut) else {
                continue;
            };
            let at = format!("{item_at}/{method}");
            let own_styles = match op.get_mut("parameters") {
                Some(params) => styles::styles(components, params, &at, out),
                None => Vec::new(),
            };
            let styled = styles::merged(&shared_styles, own_styles);
            if !styled.is_empty() {
                out.styles
                    .insert(format!("{} {path}", method.to_ascii_uppercase()), styled);
            }
            let mut cookies = shared_cookies.clone();
            if let Some(params) = op.get_mut("parameters") {
                cookies.extend(cookie_parameters(components, params, &at, out));
            }
            if !op.contains_key("responses") {
                // Optional since OpenAPI 3.1; progenitor's model requires it.
                op.insert("responses".into(), json!({}));
                out.note(
                    "responses-missing",
                    at.clone(),
                    "the operation declares no responses (optional since OpenAPI 3.1): any success is accepted and its body is not read",
                );
            }
            unique_id(op, &at, &mut taken, out);
            path_parameters(components, path, shared_params.as_ref(), op, &at, out);
            parameter_schemas(components, op, &at, out);
            let mut wire =
                distinct_parameter_names(components, shared_params.as_ref(), op, &at, out);
            wire.extend(cookies);
            wire.extend(request_body(components, op, &at, out));
            if !wire.is_empty() {
                out.wire
                    .insert(format!("{} {path}", method.to_ascii_uppercase()), wire);
            }
            responses(components, op, &at, out);
        }
        // Path-level parameters are merged into each operation above.
        if let Some(Value::Array(params)) = item.get_mut("parameters") {
            for (i, param) in params.iter_mut().enumerate() {
                text_parameter(components, param, &format!("{item_at}/parameters/{i}"), out);
                if let Some(p) = param.as_object_mut()
                    && p.get("in").and_then(Value::as_str) == Some("path")
                {
                    p.insert("required".into(), Value::Bool(true));
                }
            }
        }
    }
}

/// The Rust type name a component schema gets (typify's PascalCase).
fn type_name(schema: &str) -> String {
    use heck::ToUpperCamelCase;
    schema
        .replace(|c: char| !c.is_ascii_alphanumeric(), "-")
        .to_upper_camel_case()
}

/// Component schemas whose names differ only in case or punctuation (`ID`
/// and `id`) would become two Rust types of one name: the later ones are
/// renamed, and every `$ref` to them follows.
fn distinct_schema_names(doc: &mut Value, out: &mut Lowered) {
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    // typify's impls call `Default::default()` unqualified inside the types
    // module, where a type of that name would shadow the trait.
    let mut taken: BTreeSet<String> = ["Default".to_string()].into();
    let mut renames = BTreeMap::new();
    // Per type name, the first number not yet tried: `{name}_{n}` is that
    // type name followed by `n`, and every lower number is taken, so a
    // thousand schemas of one type name cost a thousand tries, not half a
    // million.
    let mut numbered: BTreeMap<String, usize> = BTreeMap::new();
    for name in schemas.keys() {
        let mut candidate = name.clone();
        let wanted = type_name(name);
        if !taken.insert(wanted.clone()) {
            let n = numbered.entry(wanted).or_insert(2);
            loop {
                candidate = format!("{name}_{n}");
                *n += 1;
                if taken.insert(type_name(&candidate)) {
                    break;
                }
            }
        }
        if candidate != *name {
            renames.insert(name.clone(), candidate);
        }
    }
    if renames.is_empty() {
        return;
    }
    let old = std::mem::take(schemas);
    for (name, schema) in old {
        let key = renames.get(&name).cloned().unwrap_or(name);
        schemas.insert(key, schema);
    }
    let targets: BTreeMap<String, String> = renames
        .iter()
        .map(|(from, to)| {
            (
                format!("#/components/schemas/{}", escape_pointer(from)),
                format!("#/components/schemas/{}", escape_pointer(to)),
            )
        })
        .collect();
    // Iterative: nesting depth is only bounded by the loader.
    let mut stack = vec![&mut *doc];
    while let Some(value) = stack.pop() {
        match value {
            Value::Object(map) => {
                for (key, child) in map.iter_mut() {
                    match child {
                        Value::String(reference) if key == "$ref" => {
                            if let Some(to) = targets.get(reference.as_str()) {
                                *reference = to.clone();
                            }
                        }
                        Value::Object(_) | Value::Array(_) => stack.push(child),
                        _ => {}
                    }
                }
            }
            Value::Array(items) => stack.extend(items.iter_mut()),
            _ => {}
        }
    }
    for (from, to) in renames {
        out.note(
            "schema-renamed",
            format!("/components/schemas/{}", escape_pointer(&from)),
            format!(
                "the schema {from:?} would be the Rust type `{}`, which an earlier schema or a trait the generated code uses already is; generated as `{}`",
                type_name(&from),
                type_name(&to)
            ),
        );
    }
}

/// Schema shapes typify mishandles, lowered wherever they stand.
///
/// `{enum: [a], allOf: [{$ref: AnEnum}]}` (one value of a named enum, as
/// Discord writes its tags) makes typify hit `unreachable!`. The local `enum`
/// already says which values are allowed, so the references, which only name
/// the wider type, are dropped.
fn narrowed_enums(doc: &mut Value, out: &mut Lowered) {
    let mut stack: Vec<(String, &mut Value)> = vec![(String::new(), doc)];
    while let Some((at, value)) = stack.pop() {
        match value {
            Value::Object(map) => {
                let narrows = matches!(map.get("enum"), Some(Value::Array(_)))
                    && matches!(map.get("allOf"), Some(Value::Array(all))
                    if !all.is_empty() && all.iter().all(|b| {
                        b.as_object().is_some_and(|b| b.len() == 1 && b.contains_key("$ref"))
                    }));
                // Bounds that bound nothing make typify emit `len < 0`
                // checks, which rustc warns about; dropping them changes nothing.
                for bound in ["minLength", "minItems", "minProperties"] {
                    if map.get(bound).and_then(Value::as_u64) == Some(0) {
                        map.remove(bound);
                    }
                }
                retype_enum(map, &at, out);
                distinct_property_names(map, &at, out);
                if narrows {
                    map.remove("allOf");
                    out.note(
                        "enum-narrowed",
                        format!("{at}/allOf"),
                        "an `enum` narrowed by `allOf` references: the enum's own values are kept, the references dropped",
                    );
                }
                for (key, child) in map.iter_mut() {
                    // Examples and extensions hold data, not schemas.
                    if key == "example" || key == "examples" || key.starts_with("x-") {
                        continue;
                    }
                    if child.is_object() || child.is_array() {
                        stack.push((format!("{at}/{}", escape_pointer(key)), child));
                    }
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter_mut().enumerate() {
                    if child.is_object() || child.is_array() {
                        stack.push((format!("{at}/{i}"), child));
                    }
                }
            }
            _ => {}
        }
    }
}

/// Properties whose names become one Rust field (`<=1y` and `>1y` are both
/// `x1y`, in Cloudflare's Radar summaries) make a struct that does not
/// compile. The first keeps its field; the others are left to the struct's
/// map of additional properties, where they still arrive, untyped.
fn distinct_property_names(map: &mut Map<String, Value>, at: &str, out: &mut Lowered) {
    use heck::ToSnakeCase;
    let Some(Value::Object(props)) = map.get("properties") else {
        return;
    };
    let mut taken = BTreeSet::new();
    let colliding: BTreeSet<String> = props
        .keys()
        .filter(|name| !taken.insert(name.to_snake_case()))
        .cloned()
        .collect();
    if colliding.is_empty() {
        additional_beside_extra(map, at, out);
        return;
    }
    if let Some(Value::Object(props)) = map.get_mut("properties") {
        props.retain(|name, _| !colliding.contains(name));
    }
    if let Some(Value::Array(required)) = map.get_mut("required") {
        required.retain(|name| !name.as_str().is_some_and(|n| colliding.contains(n)));
    }
    let closed = map.get("additionalProperties") == Some(&Value::Bool(false));
    if closed || !map.contains_key("additionalProperties") {
        map.insert("additionalProperties".into(), json!({}));
    }
    let names = colliding
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ");
    out.note(
        "property-name-collision",
        format!("{at}/properties"),
        format!("{names}: the Rust field name of an earlier property; kept, untyped, among the additional properties"),
    );
    additional_beside_extra(map, at, out);
}

/// typify keeps additional properties given a schema in a field named
/// `extra`: beside a property of that Rust name the struct has two fields
/// of one name (error[E0124]). The additional properties are then accepted
/// and not kept.
fn additional_beside_extra(map: &mut Map<String, Value>, at: &str, out: &mut Lowered) {
    use heck::ToSnakeCase;
    let kept = matches!(map.get("additionalProperties"), Some(Value::Object(_)));
    let extra = map
        .get("properties")
        .and_then(Value::as_object)
        .and_then(|props| props.keys().find(|name| name.to_snake_case() == "extra"))
        .cloned();
    let (true, Some(extra)) = (kept, extra) else {
        return;
    };
    map.insert("additionalProperties".into(), Value::Bool(true));
    out.note(
        "property-name-collision",
        format!("{at}/additionalProperties"),
        format!("the property `{extra}` has the Rust name of the field that would keep the additional properties: they are accepted, and not kept"),
    );
}

/// `{type: string, enum: [false, true, 0, 1]}` (Gcore's billing filters) is
/// refused by typify. The values travel as text anyway, so they are written
/// as the strings they are sent as; an enum whose values cannot be its type
/// at all is dropped.
fn retype_enum(map: &mut Map<String, Value>, at: &str, out: &mut Lowered) {
    let Some(kind) = map.get("type").and_then(Value::as_str).map(str::to_string) else {
        return;
    };
    let Some(Value::Array(values)) = map.get_mut("enum") else {
        return;
    };
    let fits = |v: &Value| match kind.as_str() {
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        _ => true,
    };
    if values.iter().all(|v| fits(v) || v.is_null()) {
        // Values with no letter or digit (`<`, `>=`) leave typify nothing to
        // name variants after, and it gives up on the whole schema.
        let unnameable = values
            .iter()
            .filter_map(Value::as_str)
            .any(|v| !v.chars().any(char::is_alphanumeric));
        if kind == "string" && unnameable {
            let listed: Vec<String> = values.iter().map(Value::to_string).collect();
            map.remove("enum");
            out.note(
                "enum-dropped",
                format!("{at}/enum"),
                format!(
                    "enum values without a letter or digit ({}) cannot name Rust variants: generated as a plain string",
                    listed.join(", ")
                ),
            );
            return;
        }
        // typify panics on values it cannot name apart (`ALARM`, `alarm`).
        let colliding: Vec<String> =
            crate::names::colliding_variants(values.iter().filter_map(Value::as_str))
                .into_iter()
                .map(|v| format!("{v:?}"))
                .collect();
        if kind == "string" && !colliding.is_empty() {
            map.remove("enum");
            out.note(
                "enum-dropped",
                format!("{at}/enum"),
                format!(
                    "enum values {} have one Rust variant name: generated as a plain string",
                    colliding.join(", ")
                ),
            );
        }
        return;
    }
    if kind == "string" {
        for v in values.iter_mut() {
            if !v.is_string() && !v.is_null() {
                *v = Value::String(v.to_string());
            }
        }
        out.note(
            "enum-values-retyped",
            format!("{at}/enum"),
            "enum values that are not strings in a string schema are taken as the text they are sent as",
        );
    } else {
        map.remove("enum");
        out.note(
            "enum-dropped",
            format!("{at}/enum"),
            format!("enum values that are not of the schema's type `{kind}`: the enum is dropped, any {kind} is accepted"),
        );
    }
}

/// The operationIds and method names given out so far.
struct TakenIds {
    ids: BTreeSet<String>,
    methods: BTreeSet<String>,
    /// Per method name, the first number not yet tried as a suffix.
    numbered: BTreeMap<String, usize>,
}

/// Makes the operation's method name unique.
fn unique_id(op: &mut Map<String, Value>, at: &str, taken: &mut TakenIds, out: &mut Lowered) {
    let TakenIds {
        ids,
        methods,
        numbered,
    } = taken;
    let id = op
        .get("operationId")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let mut candidate = id.clone();
    let method = method_name(&id);
    if ids.contains(&candidate) || methods.contains(&method) {
        // As for schema names: `{id}_{n}`'s method is `{method}_{n}`, and
        // every number below the one kept is taken.
        let n = numbered.entry(method).or_insert(2);
        loop {
            candidate = format!("{id}_{n}");
            *n += 1;
            if !ids.contains(&candidate) && !methods.contains(&method_name(&candidate)) {
                break;
            }
        }
    }
    if candidate != id {
        let clash = if ids.contains(&id) {
            format!("operationId {id:?} is used more than once")
        } else {
            format!(
                "operationId {id:?} becomes the method `{}`, which another operation or the client already has",
                method_name(&id)
            )
        };
        out.note(
            "operation-renamed",
            format!("{at}/operationId"),
            format!(
                "{clash}; generated as {candidate:?} (method `{}`); pin a name under the provider's `rename`",
                method_name(&candidate)
            ),
        );
        op.insert("operationId".into(), Value::String(candidate.clone()));
    }
    methods.insert(method_name(&candidate));
    ids.insert(candidate);
}

/// Follows `$ref`s within the components (at most a few hops); `None` for a
/// reference to nothing, which preflight reports.
fn resolve<'a>(components: &'a Value, mut value: &'a Value) -> Option<&'a Value> {
    for _ in 0..32 {
        let Some(reference) = value.get("$ref").and_then(Value::as_str) else {
            return Some(value);
        };
        let rest = reference.strip_prefix("#/components/")?;
        value = components.pointer(&format!("/{rest}"))?;
    }
    None
}

/// What a success response carries, as progenitor sees it.
#[derive(Clone, PartialEq)]
enum Body {
    /// No content: `ResponseValue<()>`.
    Empty,
    /// A JSON body with this schema.
    Json(Value),
    /// Any other content: a byte stream.
    Raw,
}

/// progenitor's success statuses: what it folds into the method's return type.
fn is_success(code: &str) -> bool {
    code.starts_with('2') || code == "101" || code == "default"
}

/// Rewrites success responses so that they share one shape.
fn responses(components: &Value, op: &mut Map<String, Value>, at: &str, out: &mut Lowered) {
    let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
        return;
    };
    let has_2xx = responses.keys().any(|c| c.starts_with('2'));
    let mut bodies: Vec<(String, Body)> = Vec::new();
    let mut changed = BTreeSet::new();
    for (code, response) in responses.iter_mut() {
        if !is_success(code) || (code == "default" && has_2xx) {
            continue;
        }
        let response_at = format!("{at}/responses/{}", escape_pointer(code));
        let Some(resolved) = resolve(components, response) else {
            continue;
        };
        let content = resolved
            .get("content")
            .and_then(Value::as_object)
            .filter(|c| !c.is_empty());
        let body = match content {
            None => Body::Empty,
            Some(content) => {
                let json_media = content
                    .iter()
                    .filter(|(m, _)| is_json(&essence(m)))
                    .min_by_key(|(m, _)| request_rank(m));
                match json_media {
                    None => Body::Raw,
                    Some((media, media_type)) => {
                        let exact = essence(media) == "application/json";
                        let has_encoding = media_type
                            .get("encoding")
                            .and_then(Value::as_object)
                            .is_some_and(|e| !e.is_empty());
                        let schema = media_type.get("schema");
                        if !out.copies.allow(schema, &response_at) {
                            return;
                        }
                        let schema = schema.cloned();
                        if schema.is_none() {
                            out.note(
                                "response-untyped",
                                format!("{response_at}/content/{}", escape_pointer(media)),
                                "the response body has no schema: it is decoded as any JSON value",
                            );
                        }
                        if !exact {
                            out.note(
                                "response-media-json",
                                format!("{response_at}/content/{}", escape_pointer(media)),
                                format!("a {media} body is decoded as JSON"),
                            );
                        }
                        if schema.is_none() || !exact || has_encoding || content.len() > 1 {
                            changed.insert(code.clone());
                        }
                        Body::Json(schema.unwrap_or_else(|| json!({})))
                    }
                }
            }
        };
        bodies.push((code.clone(), body));
    }
    let mut distinct: Vec<&Body> = Vec::new();
    for (_, body) in &bodies {
        if !distinct.contains(&body) {
            distinct.push(body);
        }
    }
    let json: Vec<&Value> = distinct
        .iter()
        .filter_map(|b| match b {
            Body::Json(s) => Some(s),
            _ => None,
        })
        .collect();
    let shared = if distinct.len() <= 1 {
        None
    } else if json.is_empty() {
        // Empty and raw bodies: a byte stream reads both.
        Some(Body::Raw)
    } else {
        if !out
            .copies
            .allow(json.iter().copied(), &format!("{at}/responses"))
        {
            return;
        }
        let mut union = if json.len() == 1 {
            json[0].clone()
        } else {
            json!({ "oneOf": json })
        };
        if distinct.contains(&&Body::Empty) {
            union = match union {
                Value::Object(mut map) if !map.contains_key("$ref") && json.len() > 1 => {
                    map.insert("nullable".into(), Value::Bool(true));
                    Value::Object(map)
                }
                other => json!({"allOf": [other], "nullable": true}),
            };
        }
        Some(Body::Json(union))
    };
    if let Some(shared) = &shared {
        let statuses: Vec<String> = bodies
            .iter()
            .map(|(code, body)| {
                let what = match body {
                    Body::Empty => "no body",
                    Body::Json(_) => "JSON",
                    Body::Raw => "other content",
                };
                format!("{code} ({what})")
            })
            .collect();
        let how = match shared {
            Body::Raw => "the method returns the body as a byte stream for every one of them",
            _ if distinct.contains(&&Body::Empty) => {
                "the method returns one type for all of them, `None` for a response without a body"
            }
            _ => "the method returns one type for all of them (one variant per body)",
        };
        let dropped_raw = matches!(shared, Body::Json(_)) && distinct.contains(&&Body::Raw);
        out.note(
            "responses-merged",
            format!("{at}/responses"),
            format!(
                "the success responses differ: {}; {how}{}",
                statuses.join(", "),
                if dropped_raw {
                    "; bodies that are not JSON fail to decode"
                } else {
                    ""
                }
            ),
        );
        for (code, _) in &bodies {
            changed.insert(code.clone());
        }
    }
    for code in changed {
        let Some(response) = responses.get_mut(&code) else {
            continue;
        };
        let Some(resolved) = resolve(components, response) else {
            continue;
        };
        if !out.copies.allow(
            [resolved],
            &format!("{at}/responses/{}", escape_pointer(&code)),
        ) {
            return;
        }
        let mut resolved = resolved.clone();
        if let Some(Body::Json(union)) = &shared
            && !out.copies.allow(
                [union],
                &format!("{at}/responses/{}", escape_pointer(&code)),
            )
        {
            return;
        }
        let body = match &shared {
            Some(body) => body.clone(),
            None => bodies
                .iter()
                .find(|(c, _)| *c == code)
                .map(|(_, b)| b.clone())
                .unwrap_or(Body::Empty),
        };
        let content = match body {
            Body::Empty => None,
            Body::Json(schema) => Some(json!({"application/json": {"schema": schema}})),
            Body::Raw => Some(json!({"application/octet-stream": {}})),
        };
        if let Some(map) = resolved.as_object_mut() {
            map.remove("content");
            if let Some(content) = content {
                map.insert("content".into(), content);
            }
            map.entry("description").or_insert_with(|| json!(""));
        }
        *response = resolved;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(doc: &Value, path: &str, method: &str) -> Value {
        doc["paths"][path][method].clone()
    }

    /// [`super::lower`] without the notes on missing `responses`: most
    /// fixtures here leave them out for brevity.
    fn lower(doc: &mut Value) -> Lowered {
        let mut out = super::lower(doc).unwrap();
        out.notes.retain(|n| n.kind != "responses-missing");
        out
    }

    #[test]
    fn copies_past_the_budget_are_refused_where_they_would_be_made() {
        // A path item of a quarter of the budget, inlined at `uses` paths.
        let doc = |uses: usize| {
            let big = Value::Array(vec![json!(0); MAX_COPIED / 4]);
            let mut paths = Map::new();
            paths.insert(
                "/big".into(),
                json!({"get": {"operationId": "g", "responses": {}}, "x-big": big}),
            );
            for i in 0..uses {
                paths.insert(format!("/r{i}"), json!({"$ref": "#/paths/~1big"}));
            }
            json!({"paths": paths})
        };
        let err = super::lower(&mut doc(5)).unwrap_err();
        // The fourth copy is a little more than the budget's last quarter.
        assert_eq!(err.pointer, "/paths/~1r3/$ref");
        assert!(
            err.message
                .contains(&format!("would copy more than {MAX_COPIED} values")),
            "{}",
            err.message
        );
        let mut three = doc(3);
        super::lower(&mut three).unwrap();
        assert_eq!(three["paths"]["/r2"]["get"]["operationId"], "g_4");
    }

    #[test]
    fn operations_without_responses_accept_any_success() {
        let mut doc = json!({"paths": {"/a": {
            "get": {"operationId": "g"},
            "put": {"operationId": "p", "responses": {"204": {"description": "ok"}}}}}});
        let out = super::lower(&mut doc).unwrap();
        assert_eq!(op(&doc, "/a", "get")["responses"], json!({}));
        assert_eq!(
            op(&doc, "/a", "put")["responses"],
            json!({"204": {"description": "ok"}})
        );
        let missing: Vec<&str> = out
            .notes
            .iter()
            .filter(|n| n.kind == "responses-missing")
            .map(|n| n.pointer.as_str())
            .collect();
        assert_eq!(missing, ["/paths/~1a/get"]);
    }

    #[test]
    fn schemas_that_would_share_a_type_name_are_renamed() {
        let mut doc = json!({
            "paths": {"/a": {"get": {"operationId": "g", "responses": {"200": {"description": "",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/id"}}}}}}}},
            "components": {"schemas": {"ID": {"type": "integer"}, "id": {"type": "string"},
                "list": {"type": "array", "items": {"$ref": "#/components/schemas/id"}}}}});
        let out = lower(&mut doc);
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        assert_eq!(schemas.keys().collect::<Vec<_>>(), ["ID", "id_2", "list"]);
        assert_eq!(
            doc["components"]["schemas"]["list"]["items"]["$ref"],
            "#/components/schemas/id_2"
        );
        assert_eq!(
            op(&doc, "/a", "get")["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/id_2"
        );
        assert_eq!(out.notes[0].kind, "schema-renamed");
        assert_eq!(out.notes[0].pointer, "/components/schemas/id");
    }

    #[test]
    fn an_enum_narrowing_a_referenced_enum_keeps_its_values() {
        let mut doc = json!({"components": {"schemas": {"Tag": {"type": "object", "properties": {
            "type": {"type": "string", "enum": ["user"], "allOf": [{"$ref": "#/components/schemas/Kinds"}]}}},
            "Kinds": {"type": "string", "enum": ["user", "bot"]}}}});
        let out = lower(&mut doc);
        assert_eq!(
            doc["components"]["schemas"]["Tag"]["properties"]["type"],
            json!({"type": "string", "enum": ["user"]})
        );
        let mut doc = json!({"components": {"schemas": {"S": {"type": "string", "minLength": 0, "maxLength": 4}}}});
        lower(&mut doc);
        assert_eq!(
            doc["components"]["schemas"]["S"],
            json!({"type": "string", "maxLength": 4})
        );
        assert_eq!(
            out.notes[0].pointer,
            "/components/schemas/Tag/properties/type/allOf"
        );
    }

    #[test]
    fn enum_values_follow_the_schema_type() {
        let mut doc = json!({"components": {"schemas": {
            "S": {"type": "string", "enum": [false, true, 0, 1, "x"]},
            "I": {"type": "integer", "enum": ["a", 1]}}}});
        let out = lower(&mut doc);
        assert_eq!(
            doc["components"]["schemas"]["S"]["enum"],
            json!(["false", "true", "0", "1", "x"])
        );
        assert!(doc["components"]["schemas"]["I"].get("enum").is_none());
        assert_eq!(out.notes.len(), 2);
        let mut doc = json!({"components": {"schemas": {"Op": {"type": "string", "enum": ["<", "<=", "=="]}}}});
        lower(&mut doc);
        assert_eq!(
            doc["components"]["schemas"]["Op"],
            json!({"type": "string"})
        );
    }

    #[test]
    fn colliding_and_reserved_names_get_suffixes() {
        let mut doc = json!({"paths": {
            "/a": {"get": {"operationId": "getThing"}, "post": {"operationId": "get-thing"}},
            "/b": {"get": {"operationId": "new"}, "put": {"operationId": "getThing"}}}});
        let out = lower(&mut doc);
        assert_eq!(op(&doc, "/a", "get")["operationId"], "getThing");
        assert_eq!(op(&doc, "/a", "post")["operationId"], "get-thing_2");
        assert_eq!(op(&doc, "/b", "get")["operationId"], "new_2");
        // `getThing_2` would be `get_thing_2`, which `get-thing_2` already is.
        assert_eq!(op(&doc, "/b", "put")["operationId"], "getThing_3");
        assert_eq!(out.notes.len(), 3);
        assert!(out.notes.iter().all(|n| n.kind == "operation-renamed"));
        assert_eq!(out.notes[0].pointer, "/paths/~1a/post/operationId");
    }

    #[test]
    fn undeclared_template_variables_become_string_parameters() {
        let mut doc = json!({"paths": {"/a/{id}/{other}": {
            "parameters": [{"name": "id", "in": "path", "schema": {"type": "integer"}}],
            "get": {"operationId": "g"}}}});
        let out = lower(&mut doc);
        let params = op(&doc, "/a/{id}/{other}", "get")["parameters"].clone();
        assert_eq!(
            params,
            json!([{"name": "other", "in": "path", "required": true, "schema": {"type": "string"}}])
        );
        assert_eq!(
            doc["paths"]["/a/{id}/{other}"]["parameters"][0]["required"],
            true
        );
        assert_eq!(out.notes[0].kind, "path-parameter-added");
    }

    #[test]
    fn json_is_preferred_and_the_rest_named() {
        let mut doc = json!({"paths": {"/a": {"post": {"operationId": "p", "requestBody": {
            "content": {
                "application/x-www-form-urlencoded": {"schema": {"type": "object"}},
                "application/json": {"schema": {"$ref": "#/components/schemas/T"}}}}}}},
            "components": {"schemas": {"T": {"type": "object"}}}});
        let out = lower(&mut doc);
        assert_eq!(
            op(&doc, "/a", "post")["requestBody"]["content"],
            json!({"application/json": {"schema": {"$ref": "#/components/schemas/T"}}})
        );
        assert_eq!(out.notes[0].kind, "request-media-types");
        assert!(
            out.notes[0]
                .message
                .contains("left out: application/x-www-form-urlencoded")
        );
    }

    #[test]
    fn parameters_of_one_rust_name_are_renamed_and_sent_as_declared() {
        let mut doc = json!({"paths": {"/r/{id}": {"get": {"operationId": "g", "parameters": [
            {"name": "id", "in": "path", "required": true, "schema": {"type": "string"}},
            {"name": "id", "in": "query", "schema": {"type": "string"}},
            {"name": "ID", "in": "header", "schema": {"type": "string"}},
            {"name": "other", "in": "query", "schema": {"type": "string"}}
        ], "responses": {"204": {"description": "ok"}}}}}});
        let out = lower(&mut doc);
        let get = op(&doc, "/r/{id}", "get");
        let names: Vec<&str> = get["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["id", "id_query", "ID_header", "other"]);
        assert_eq!(
            out.wire["GET /r/{id}"],
            [
                Wire::QueryName {
                    sent: "id_query".into(),
                    wire: "id".into()
                },
                Wire::HeaderName {
                    sent: "ID_header".into(),
                    wire: "ID".into()
                },
            ]
        );
    }

    #[test]
    fn nullable_path_parameters_are_not_null() {
        let mut doc = json!({
            "components": {"schemas": {"Id": {"type": "string", "nullable": true, "maxLength": 3}},
                "parameters": {"P": {"name": "b", "in": "path", "required": true,
                    "schema": {"$ref": "#/components/schemas/Id"}}}},
            "paths": {"/a/{a}/{b}": {"get": {"operationId": "g", "parameters": [
                {"name": "a", "in": "path", "required": true, "schema": {"$ref": "#/components/schemas/Id"}},
                {"$ref": "#/components/parameters/P"},
                {"name": "q", "in": "query", "schema": {"$ref": "#/components/schemas/Id"}}
            ], "responses": {"204": {"description": "ok"}}}}}});
        let out = lower(&mut doc);
        let params = &op(&doc, "/a/{a}/{b}", "get")["parameters"];
        for i in 0..2 {
            assert_eq!(
                params[i]["schema"],
                json!({"type": "string", "maxLength": 3})
            );
        }
        // A query parameter may well be null.
        assert_eq!(
            params[2]["schema"],
            json!({"$ref": "#/components/schemas/Id"})
        );
        assert_eq!(
            out.notes
                .iter()
                .filter(|n| n.kind == "path-parameter-not-null")
                .count(),
            2
        );
    }

    #[test]
    fn path_and_header_values_without_a_text_form_are_strings() {
        let mut doc = json!({
            "components": {"schemas": {"Either": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                "Wrapped": {"allOf": [{"type": "integer"}]}}},
            "paths": {"/a/{a}/{b}/{c}": {"get": {"operationId": "g", "parameters": [
                {"name": "a", "in": "path", "required": true, "schema": {"$ref": "#/components/schemas/Either"}},
                {"name": "b", "in": "path", "required": true, "schema": {"type": "array", "items": {"type": "string"}}},
                {"name": "c", "in": "path", "required": true, "schema": {"$ref": "#/components/schemas/Wrapped"}},
                {"name": "X-Obj", "in": "header", "schema": {"type": "object", "description": "d"}},
                {"name": "q", "in": "query", "schema": {"type": "array", "items": {"type": "string"}}}
            ], "responses": {"204": {"description": "ok"}}}}}});
        let out = lower(&mut doc);
        let params = &op(&doc, "/a/{a}/{b}/{c}", "get")["parameters"];
        assert_eq!(params[0]["schema"], json!({"type": "string"}));
        assert_eq!(params[1]["schema"], json!({"type": "string"}));
        // One branch of a printable type prints.
        assert_eq!(
            params[2]["schema"],
            json!({"$ref": "#/components/schemas/Wrapped"})
        );
        assert_eq!(
            params[3]["schema"],
            json!({"type": "string", "description": "d"})
        );
        // Query values are serialized by serde, arrays included.
        assert_eq!(params[4]["schema"]["type"], "array");
        let pointers: Vec<&str> = out
            .notes
            .iter()
            .filter(|n| n.kind == "parameter-as-text")
            .map(|n| n.pointer.as_str())
            .collect();
        assert_eq!(
            pointers,
            [0, 1, 3].map(|i| format!("/paths/~1a~1{{a}}~1{{b}}~1{{c}}/get/parameters/{i}/schema"))
        );
    }

    #[test]
    fn properties_of_one_rust_name_keep_the_first() {
        let mut doc = json!({"components": {"schemas": {"S": {"type": "object",
            "required": [">1y", "a"],
            "properties": {"<=1y": {"type": "number"}, ">1y": {"type": "number"}, "a": {"type": "string"}}}}}});
        let out = lower(&mut doc);
        assert_eq!(
            doc["components"]["schemas"]["S"],
            json!({"type": "object", "required": ["a"], "additionalProperties": {},
                "properties": {"<=1y": {"type": "number"}, "a": {"type": "string"}}})
        );
        assert_eq!(out.notes[0].pointer, "/components/schemas/S/properties");
    }

    #[test]
    fn a_required_body_without_schema_is_optional_json() {
        let mut doc = json!({"paths": {"/a": {"delete": {"operationId": "d", "requestBody": {
            "required": true, "content": {"application/json": {}}}}}}});
        let out = lower(&mut doc);
        assert_eq!(
            op(&doc, "/a", "delete")["requestBody"],
            json!({"required": false, "content": {"application/json": {"schema": {}}}})
        );
        assert!(out.notes[0].message.contains("may be left out"));
        assert_eq!(out.wire["DELETE /a"], [Wire::OptionalBody]);
    }

    #[test]
    fn other_media_types_travel_as_raw_bytes_under_their_own_type() {
        let mut doc = json!({"paths": {"/a": {"put": {"operationId": "up", "requestBody": {
            "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}}}}}}});
        let out = lower(&mut doc);
        assert_eq!(
            op(&doc, "/a", "put")["requestBody"]["content"],
            json!({"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}})
        );
        assert_eq!(out.wire["PUT /a"], [Wire::ContentType("image/png".into())]);
    }

    #[test]
    fn multipart_is_a_typed_body_sent_as_a_form() {
        let mut doc = json!({"paths": {"/a": {"post": {"operationId": "up", "requestBody": {
            "content": {"multipart/form-data": {"schema": {"type": "object"},
                "encoding": {"file": {"contentType": "image/png"}}}}}}}}});
        let out = lower(&mut doc);
        assert_eq!(
            op(&doc, "/a", "post")["requestBody"]["content"],
            json!({"application/json": {"schema": {"type": "object"}}})
        );
        assert_eq!(out.wire["POST /a"], [Wire::Multipart]);
    }

    #[test]
    fn a_body_and_no_body_become_nullable() {
        let mut doc = json!({"paths": {"/a": {"put": {"operationId": "u", "responses": {
            "200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/T"}}}},
            "204": {"description": "none"},
            "404": {"description": "no"}}}}},
            "components": {"schemas": {"T": {"type": "object"}}}});
        let out = lower(&mut doc);
        let schema = json!({"allOf": [{"$ref": "#/components/schemas/T"}], "nullable": true});
        let responses = op(&doc, "/a", "put")["responses"].clone();
        assert_eq!(
            responses["200"]["content"]["application/json"]["schema"],
            schema
        );
        assert_eq!(
            responses["204"]["content"]["application/json"]["schema"],
            schema
        );
        assert_eq!(responses["404"], json!({"description": "no"}));
        assert_eq!(out.notes[0].kind, "responses-merged");
    }

    #[test]
    fn two_bodies_become_one_of() {
        let mut doc = json!({"paths": {"/a": {"post": {"operationId": "p", "responses": {
            "200": {"description": "ok", "content": {"application/json": {"schema": {"type": "string"}}}},
            "202": {"description": "later", "content": {"application/json": {"schema": {"type": "integer"}}}}}}}}});
        lower(&mut doc);
        assert_eq!(
            op(&doc, "/a", "post")["responses"]["202"]["content"]["application/json"]["schema"],
            json!({"oneOf": [{"type": "string"}, {"type": "integer"}]})
        );
    }

    #[test]
    fn identical_responses_are_left_alone() {
        let original = json!({"paths": {"/a": {"get": {"operationId": "g", "responses": {
            "200": {"$ref": "#/components/responses/R"},
            "201": {"$ref": "#/components/responses/R"}}}}},
            "components": {"responses": {"R": {"description": "r",
                "content": {"application/json": {"schema": {"type": "string"}}}}}}});
        let mut doc = original.clone();
        let out = lower(&mut doc);
        assert_eq!(doc, original);
        assert!(out.notes.is_empty());
    }
}
