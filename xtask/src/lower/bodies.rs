//! The request-bodies seam of the [lower step](super): one media type is sent
//! (JSON first), a body without a schema is any JSON value and may be left
//! out, multipart forms are typed, and other media types travel as raw bytes
//! under their own `Content-Type`.

use std::borrow::Cow;

use serde_json::{Map, Value, json};

use super::{Lowered, Wire, resolve};
use crate::generate::escape_pointer;

/// How well progenitor sends a request media type: lower is preferred.
pub(super) fn request_rank(media: &str) -> u8 {
    match essence(media).as_str() {
        "application/json" => 0,
        m if is_json(m) => 1,
        "application/x-www-form-urlencoded" => 2,
        "multipart/form-data" => 3,
        "application/octet-stream" => 4,
        "text/plain" => 5,
        _ => 6,
    }
}

/// The media type without parameters, lower-cased.
pub(super) fn essence(media: &str) -> String {
    media
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// JSON and its structured-syntax variants (`application/problem+json`, ...).
pub(super) fn is_json(essence: &str) -> bool {
    essence == "application/json" || essence.ends_with("+json") || essence == "*/*"
}

/// Rewrites the request body into one progenitor can send; returns what the
/// runtime must change on the wire.
pub(super) fn request_body(
    components: &Value,
    op: &mut Map<String, Value>,
    at: &str,
    out: &mut Lowered,
) -> Vec<Wire> {
    // Read in place, copied only if rewritten: a body many operations refer
    // to would otherwise be copied once per operation.
    let rewrite = match op.get("requestBody") {
        Some(body) => match resolve(components, body) {
            Some(resolved) => {
                let referred = body.get("$ref").is_some();
                rewritten(components, resolved, referred, at, &mut out.copies)
            }
            None => return Vec::new(),
        },
        None => return Vec::new(),
    };
    match rewrite {
        Rewrite::Drop => {
            op.remove("requestBody");
            Vec::new()
        }
        Rewrite::Keep(wire) => wire,
        Rewrite::Replace { body, notes, wire } => {
            op.insert("requestBody".into(), Value::Object(body));
            for (kind, pointer, message) in notes {
                out.note(kind, pointer, message);
            }
            wire
        }
    }
}

/// What becomes of a request body.
enum Rewrite {
    /// It has no content: the operation takes none.
    Drop,
    /// It stays as it is; the runtime changes this on the wire.
    Keep(Vec<Wire>),
    /// It is replaced by `body`, with these notes.
    Replace {
        body: Map<String, Value>,
        notes: Vec<(&'static str, String, String)>,
        wire: Vec<Wire>,
    },
}

/// [`request_body`] for the (resolved) `body` of the operation at `at`;
/// `referred` when the operation names it by `$ref`.
fn rewritten(
    components: &Value,
    body: &Value,
    referred: bool,
    at: &str,
    copies: &mut super::Copies,
) -> Rewrite {
    let body_at = format!("{at}/requestBody");
    let content = body.get("content").and_then(Value::as_object);
    let Some(content) = content.filter(|c| !c.is_empty()) else {
        return Rewrite::Drop;
    };
    let Some((media, media_type)) = content
        .iter()
        .min_by_key(|(m, _)| request_rank(m))
        .map(|(m, v)| (m.clone(), v))
    else {
        return Rewrite::Keep(Vec::new());
    };
    let mut notes = Vec::new();
    if content.len() > 1 {
        let others: Vec<&str> = content
            .keys()
            .filter(|m| **m != media)
            .map(String::as_str)
            .collect();
        notes.push((
            "request-media-types",
            format!("{body_at}/content"),
            format!(
                "the request body offers several media types; the client sends {media} (left out: {})",
                others.join(", ")
            ),
        ));
    }
    let media_at = format!("{body_at}/content/{}", escape_pointer(&media));
    let mut schema: Option<Cow<'_, Value>> = media_type.get("schema").map(Cow::Borrowed);
    let mut required = body.get("required") == Some(&Value::Bool(true));
    let essence = essence(&media);
    let (sent, wire) = match essence.as_str() {
        m if is_json(m) => {
            if m != "application/json" {
                notes.push((
                    "request-media-json",
                    media_at.clone(),
                    format!("{media} is sent as application/json"),
                ));
            }
            ("application/json", None)
        }
        "application/x-www-form-urlencoded" => ("application/x-www-form-urlencoded", None),
        "multipart/form-data" => {
            notes.push((
                "request-multipart",
                media_at.clone(),
                "multipart/form-data: the method takes the form's fields as a typed body and \
                 sends each as a part (strings as text, other values as JSON)"
                    .to_string(),
            ));
            ("application/json", Some(Wire::Multipart))
        }
        "text/plain" | "text/x-markdown" => {
            let plain = json!({"type": "string"});
            if schema.as_deref().and_then(|s| resolve(components, s)) != Some(&plain) {
                notes.push((
                    "request-text-schema",
                    media_at.clone(),
                    format!("a {essence} body is sent as a plain string"),
                ));
                schema = Some(Cow::Owned(plain));
            }
            (essence.as_str(), None)
        }
        other => {
            let binary = json!({"type": "string", "format": "binary"});
            if other != "application/octet-stream" {
                notes.push((
                    "request-raw-body",
                    media_at.clone(),
                    format!("the {media} body is taken as raw bytes and sent with `Content-Type: {media}`"),
                ));
            }
            let binary_already =
                schema.as_deref().and_then(|s| resolve(components, s)) == Some(&binary);
            if !binary_already {
                if other == "application/octet-stream" {
                    notes.push((
                        "request-raw-body",
                        media_at.clone(),
                        "an application/octet-stream body is taken as raw bytes".to_string(),
                    ));
                }
                schema = Some(Cow::Owned(binary));
            }
            let wire =
                (other != "application/octet-stream").then(|| Wire::ContentType(media.clone()));
            ("application/octet-stream", wire)
        }
    };
    let untyped = schema.is_none();
    if untyped {
        schema = Some(Cow::Owned(json!({})));
        required = false;
        notes.push((
            "request-body-untyped",
            media_at.clone(),
            "the request body has no schema: it is any JSON value, and may be left out (`None` sends an empty body)".to_string(),
        ));
    }
    // Encodings only describe multipart and form parts; progenitor refuses them.
    let dropped_encoding = media_type
        .get("encoding")
        .and_then(Value::as_object)
        .is_some_and(|e| !e.is_empty())
        && sent != "application/octet-stream";
    if dropped_encoding && !matches!(wire, Some(Wire::Multipart)) {
        notes.push((
            "request-encoding",
            format!("{media_at}/encoding"),
            "dropped `encoding`: the generator encodes every field the default way".to_string(),
        ));
    }
    // A body with no schema may be left out: the facade takes an `Option`,
    // and the runtime sends `None` as an empty body, as Cloudflare's SDK does.
    let wire: Vec<Wire> = wire
        .into_iter()
        .chain(untyped.then_some(Wire::OptionalBody))
        .collect();
    if notes.is_empty() && referred {
        return Rewrite::Keep(Vec::new());
    }
    if notes.is_empty() && sent == media.as_str() {
        return Rewrite::Keep(wire);
    }
    let description = body.get("description");
    if !copies.allow(description.into_iter().chain(schema.as_deref()), &body_at) {
        return Rewrite::Keep(wire);
    }
    let mut lowered = Map::new();
    if let Some(description) = description {
        lowered.insert("description".into(), description.clone());
    }
    lowered.insert("required".into(), Value::Bool(required));
    lowered.insert(
        "content".into(),
        json!({ sent: { "schema": schema.map(Cow::into_owned).unwrap_or_else(|| json!({})) } }),
    );
    Rewrite::Replace {
        body: lowered,
        notes,
        wire,
    }
}
