//! The styles seam of the [lower step](super): progenitor sends query
//! parameters only as `form`, and path parameters only as `simple`; it
//! refuses the operation for any other `style` (Stripe's `deepObject`
//! queries, every one of its list operations). The lowered document keeps
//! the style progenitor takes, and each parameter's declared style and
//! `explode` are recorded as a [`Styled`]: the [styles step](crate::styles)
//! makes the generated method hand the typed value to the runtime's
//! `style` module, which writes it on the wire as the spec says.

use serde_json::{Map, Value};

use super::{Lowered, resolve};

/// Where a styled parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// The query string.
    Query,
    /// A path segment.
    Path,
    /// The `Cookie` header (lowered to the header `cookie-{name}`).
    Cookie,
}

/// A parameter the generated code sends through the runtime's `style`
/// module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Styled {
    /// Where it goes.
    pub place: Place,
    /// Its name in the vendor's document.
    pub name: String,
    /// The spec's `style`, as written (`deepObject`), or its default.
    pub style: String,
    /// `explode`, or its default (true for `form`).
    pub explode: bool,
}

/// Records the styles of `params` (one `parameters` list) and lowers the
/// styles progenitor refuses to the one it takes.
pub(super) fn styles(
    components: &Value,
    params: &mut Value,
    at: &str,
    out: &mut Lowered,
) -> Vec<Styled> {
    let mut styled = Vec::new();
    let Some(params) = params.as_array_mut() else {
        return styled;
    };
    for (i, param) in params.iter_mut().enumerate() {
        let Some(resolved) = resolve(components, param) else {
            continue;
        };
        let (Some(place), Some(name)) = (
            resolved.get("in").and_then(Value::as_str),
            resolved.get("name").and_then(Value::as_str),
        ) else {
            continue;
        };
        let (place, default, taken) = match place {
            "query" => (Place::Query, "form", "form"),
            "path" => (Place::Path, "simple", "simple"),
            "cookie" => (Place::Cookie, "form", "form"),
            _ => continue,
        };
        let style = resolved
            .get("style")
            .and_then(Value::as_str)
            .unwrap_or(default)
            .to_string();
        let explode = resolved
            .get("explode")
            .and_then(Value::as_bool)
            .unwrap_or(style == "form");
        if !known(place, &style) {
            // Left for progenitor to refuse: a style this place does not
            // have is not a wire shape the spec defines.
            continue;
        }
        // A path parameter in the default style stays progenitor's
        // (`encode_path`), so nothing changes for it.
        if place == Place::Path && style == "simple" {
            continue;
        }
        let name = name.to_string();
        if style != taken {
            let at = format!("{at}/parameters/{i}");
            if !out.copies.allow([resolved], &at) {
                return styled;
            }
            let mut lowered: Map<String, Value> = resolved.as_object().cloned().unwrap_or_default();
            lowered.remove("style");
            *param = Value::Object(lowered);
            out.note(
                "parameter-style",
                format!("{at}/style"),
                format!(
                    "progenitor sends no `{style}` parameter: the argument `{name}` keeps its type, and the runtime writes it in the `{style}` style (explode: {explode})"
                ),
            );
        }
        styled.push(Styled {
            place,
            name,
            style,
            explode,
        });
    }
    styled
}

/// Whether OpenAPI defines `style` for parameters in `place`.
fn known(place: Place, style: &str) -> bool {
    match place {
        Place::Query => matches!(
            style,
            "form" | "spaceDelimited" | "pipeDelimited" | "deepObject"
        ),
        Place::Path => matches!(style, "simple" | "label" | "matrix"),
        Place::Cookie => style == "form",
    }
}

/// The operation's styled parameters: its own, and the path item's that it
/// does not declare again (progenitor merges both lists by name).
pub(super) fn merged(shared: &[Styled], own: Vec<Styled>) -> Vec<Styled> {
    let mut all: Vec<Styled> = shared
        .iter()
        .filter(|s| !own.iter().any(|o| o.name == s.name && o.place == s.place))
        .cloned()
        .collect();
    all.extend(own);
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn refused_styles_are_lowered_and_every_query_style_recorded() {
        let mut params = json!([
            {"name": "filter", "in": "query", "style": "deepObject", "explode": true,
             "schema": {"type": "object"}},
            {"name": "ids", "in": "query", "explode": false, "schema": {"type": "array"}},
            {"name": "page", "in": "query", "schema": {"type": "integer"}},
            {"name": "id", "in": "path", "style": "matrix", "required": true, "schema": {"type": "string"}},
            {"name": "plain", "in": "path", "required": true, "schema": {"type": "string"}},
            {"name": "odd", "in": "query", "style": "matrix", "schema": {"type": "string"}},
            {"name": "theme", "in": "cookie", "schema": {"type": "string"}},
        ]);
        let mut out = Lowered::default();
        let styled = styles(&Value::Null, &mut params, "/paths/~1a/get", &mut out);
        let summary: Vec<(Place, &str, &str, bool)> = styled
            .iter()
            .map(|s| (s.place, s.name.as_str(), s.style.as_str(), s.explode))
            .collect();
        assert_eq!(
            summary,
            [
                (Place::Query, "filter", "deepObject", true),
                (Place::Query, "ids", "form", false),
                (Place::Query, "page", "form", true),
                (Place::Path, "id", "matrix", false),
                (Place::Cookie, "theme", "form", true),
            ]
        );
        assert_eq!(params[0].get("style"), None);
        assert_eq!(params[3].get("style"), None);
        assert_eq!(params[5]["style"], "matrix");
        let kinds: Vec<&str> = out.notes.iter().map(|n| n.pointer.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "/paths/~1a/get/parameters/0/style",
                "/paths/~1a/get/parameters/3/style"
            ]
        );
    }
}
