//! Parameter styles: a typed value on the wire as OpenAPI's `style` and
//! `explode` say (the "Style Values" of the Parameter Object).
//!
//! progenitor knows one style per place (query `form` with arrays exploded,
//! path and header `simple` of scalars), and refuses the others, so a document
//! whose API takes `deepObject` queries (Stripe's whole API) could not be
//! generated. Generated code hands the typed value and its style to these
//! functions instead, so the serialization exists once, here, for every
//! operation of every client: the value is serialized with serde, and the
//! JSON it makes (a scalar, an array or an object) is written out by the
//! style's rules.
//!
//! Encoding follows RFC 3986: in a query, every byte of a name or value that
//! is not unreserved is percent-encoded and the style's delimiters (`,`, `&`,
//! `=`) are written as they are, except those RFC 3986 does not allow in a
//! query (`[`, `]`, `|`, space), which are percent-encoded as OpenAPI 3.0.4
//! writes its table (3.0.3's table shows them raw, which servers such as
//! Tomcat refuse). A path value is one segment, encoded by
//! [`encode_path`], with the style's `.`, `;` and `=`
//! around it. Headers and cookies are not percent-encoded: a value that a
//! header or cookie cannot carry is refused.
//!
//! Where OpenAPI defines nothing (an array or object nested in an array or
//! object), the nested value is written as JSON text, except in `deepObject`,
//! which nests with brackets as Rails and `qs` read it (`a[b][c]=v`, arrays
//! by index: `a[b][0]=v`).

use serde::Serialize;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::path::encode_path;

/// A parameter's `style`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Style {
    /// `form`: query and cookie parameters (`color=blue`).
    Form,
    /// `spaceDelimited`: query arrays joined by spaces.
    SpaceDelimited,
    /// `pipeDelimited`: query arrays joined by `|`.
    PipeDelimited,
    /// `deepObject`: query objects as `color[R]=100`.
    DeepObject,
    /// `simple`: path and header parameters (`blue,black`).
    Simple,
    /// `label`: path parameters prefixed with `.`.
    Label,
    /// `matrix`: path parameters as `;color=blue`.
    Matrix,
}

/// Why a parameter cannot be sent as its style says. Names the parameter,
/// never its value (a query value can be a secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StyleError {
    /// The parameter, as the spec names it.
    pub name: String,
    /// What is wrong with its value.
    pub reason: String,
}

impl std::fmt::Display for StyleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "parameter `{}`: {}", self.name, self.reason)
    }
}

impl std::error::Error for StyleError {}

/// Generated methods return progenitor's error: a value that cannot be sent
/// is an invalid request, which [`finish`](crate::finish) reports as
/// [`Error::InvalidArgument`](crate::Error::InvalidArgument).
impl<E> From<StyleError> for progenitor_client::Error<E> {
    fn from(e: StyleError) -> Self {
        Self::InvalidRequest(e.to_string())
    }
}

/// A value in the shapes OpenAPI styles: the style tables' columns.
enum Shape {
    /// `null` (an absent `Option`): the parameter is not sent.
    Absent,
    /// An empty string, array or object: the table's "empty".
    Empty,
    Scalar(String),
    Array(Vec<String>),
    Object(Vec<(String, String)>),
}

fn error(name: &str, reason: impl Into<String>) -> StyleError {
    StyleError {
        name: name.to_string(),
        reason: reason.into(),
    }
}

/// A serialized value, its objects' fields in the order serde wrote them
/// (`serde_json::Value` sorts them unless a feature every crate of the
/// build would share is on).
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Null,
    Bool(bool),
    /// A number's text, a whole float written as an integer.
    Number(String),
    String(String),
    Array(Vec<Value>),
    Object(Vec<(String, Value)>),
}

impl Value {
    fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// JSON text, for a value nested where OpenAPI defines no style.
    fn json(&self) -> String {
        let string = |s: &str| serde_json::Value::String(s.to_string()).to_string();
        match self {
            Value::Null => "null".into(),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => n.clone(),
            Value::String(s) => string(s),
            Value::Array(items) => {
                let items: Vec<String> = items.iter().map(Value::json).collect();
                format!("[{}]", items.join(","))
            }
            Value::Object(fields) => {
                let fields: Vec<String> = fields
                    .iter()
                    .map(|(k, v)| format!("{}:{}", string(k), v.json()))
                    .collect();
                format!("{{{}}}", fields.join(","))
            }
        }
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.to_string()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.to_string()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        // A whole number is written as an integer (`2`, not serde's `2.0`),
        // as `WholeNumber` sends it; within ±2^53 it is exact.
        if v.fract() == 0.0 && v.abs() <= 9_007_199_254_740_992.0 {
            #[allow(clippy::cast_possible_truncation)]
            return Ok(Value::Number((v as i64).to_string()));
        }
        Ok(Value::Number(serde_json::Value::from(v).to_string()))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut fields = Vec::new();
        while let Some(field) = map.next_entry::<String, Value>()? {
            fields.push(field);
        }
        Ok(Value::Object(fields))
    }
}

fn to_json<T: Serialize + ?Sized>(name: &str, value: &T) -> Result<Value, StyleError> {
    let text = serde_json::to_string(value)
        .map_err(|e| error(name, format!("cannot be serialized: {e}")))?;
    serde_json::from_str(&text).map_err(|e| error(name, format!("cannot be serialized: {e}")))
}

fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Null => String::new(),
        nested => nested.json(),
    }
}

fn shape(value: &Value) -> Shape {
    match value {
        Value::Null => Shape::Absent,
        Value::String(s) if s.is_empty() => Shape::Empty,
        Value::Array(items) if items.iter().all(Value::is_null) => Shape::Empty,
        Value::Object(fields) if fields.iter().all(|(_, v)| v.is_null()) => Shape::Empty,
        Value::Array(items) => Shape::Array(
            items
                .iter()
                .filter(|v| !v.is_null())
                .map(scalar_text)
                .collect(),
        ),
        // Fields a struct serializes as `null` are absent optional fields.
        Value::Object(fields) => Shape::Object(
            fields
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), scalar_text(v)))
                .collect(),
        ),
        scalar => Shape::Scalar(scalar_text(scalar)),
    }
}

/// Percent-encodes all but RFC 3986's unreserved characters.
fn encode_query(text: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(text.len());
    for &byte in text.as_bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0xF)]));
        }
    }
    out
}

/// Keys and values of an object, flattened in order (`R,100,G,200`).
fn flat(fields: &[(String, String)]) -> impl Iterator<Item = &str> {
    fields.iter().flat_map(|(k, v)| [k.as_str(), v.as_str()])
}

/// The `name=value` pairs (already encoded) of one query parameter.
fn encoded_pairs(name: &str, value: &Value, style: Style, explode: bool) -> Vec<String> {
    let key = encode_query(name);
    let pair = |k: &str, v: &str| format!("{k}={}", encode_query(v));
    let joined = |items: Vec<String>, delimiter: &str| {
        let parts: Vec<String> = items.iter().map(|i| encode_query(i)).collect();
        vec![format!("{key}={}", parts.join(delimiter))]
    };
    if style == Style::DeepObject && matches!(value, Value::Array(_) | Value::Object(_)) {
        let mut out = Vec::new();
        deep(&key, value, &mut out);
        return out;
    }
    match shape(value) {
        Shape::Absent => Vec::new(),
        Shape::Empty => vec![format!("{key}=")],
        Shape::Scalar(text) => vec![pair(&key, &text)],
        Shape::Array(items) => match (style, explode) {
            (Style::SpaceDelimited, false) => joined(items, "%20"),
            (Style::PipeDelimited, false) => joined(items, "%7C"),
            (_, false) => joined(items, ","),
            (_, true) => items.iter().map(|i| pair(&key, i)).collect(),
        },
        Shape::Object(fields) => {
            let items: Vec<String> = flat(&fields).map(str::to_string).collect();
            match (style, explode) {
                (Style::SpaceDelimited, false) => joined(items, "%20"),
                (Style::PipeDelimited, false) => joined(items, "%7C"),
                (_, false) => joined(items, ","),
                (_, true) => fields
                    .iter()
                    .map(|(k, v)| pair(&encode_query(k), v))
                    .collect(),
            }
        }
    }
}

/// `deepObject`: `key[field]=value`, nesting as Rails and `qs` read it.
fn deep(key: &str, value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Null => {}
        Value::Object(fields) => {
            for (field, v) in fields {
                deep(&format!("{key}%5B{}%5D", encode_query(field)), v, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                deep(&format!("{key}%5B{i}%5D"), v, out);
            }
        }
        scalar => out.push(format!("{key}={}", encode_query(&scalar_text(scalar)))),
    }
}

/// A request URL with its query parameters, each written in its style.
///
/// Generated code passes every query parameter of an operation, in the
/// spec's order, and sends the URL [`finish`](Self::finish) returns:
///
/// ```
/// use openapi_client_runtime::style::{Query, Style};
/// use std::collections::BTreeMap;
///
/// let color = BTreeMap::from([("B", 150), ("G", 200), ("R", 100)]);
/// let url = Query::new("https://h/a".to_string())
///     .param("color", &color, Style::DeepObject, true)
///     .param("tags", &["x", "y z"], Style::Form, false)
///     .param("page", &None::<u32>, Style::Form, true)
///     .finish()
///     .unwrap();
/// assert_eq!(url, "https://h/a?color%5BB%5D=150&color%5BG%5D=200&color%5BR%5D=100&tags=x,y%20z");
/// ```
#[derive(Debug)]
pub struct Query {
    url: String,
    pairs: Vec<String>,
    error: Option<StyleError>,
}

impl Query {
    /// Starts from the URL without a query.
    pub fn new(url: String) -> Self {
        Self {
            url,
            pairs: Vec::new(),
            error: None,
        }
    }

    /// Adds the parameter `name` (as the spec names it); `None` adds nothing.
    #[must_use]
    pub fn param<T: Serialize + ?Sized>(
        mut self,
        name: &str,
        value: &T,
        style: Style,
        explode: bool,
    ) -> Self {
        if self.error.is_none() {
            match to_json(name, value) {
                Ok(json) => self
                    .pairs
                    .extend(encoded_pairs(name, &json, style, explode)),
                Err(e) => self.error = Some(e),
            }
        }
        self
    }

    /// The URL with its query, or the first parameter that could not be
    /// serialized.
    ///
    /// # Errors
    ///
    /// A value serde cannot serialize to JSON (a map with non-string keys).
    pub fn finish(self) -> Result<String, StyleError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        if self.pairs.is_empty() {
            return Ok(self.url);
        }
        let separator = if self.url.contains('?') { '&' } else { '?' };
        Ok(format!("{}{separator}{}", self.url, self.pairs.join("&")))
    }
}

/// The `(name, value)` pairs, decoded, that [`Query::param`] writes for
/// one parameter: what a mock server that decodes the query (`httpmock`)
/// should expect. A value that cannot be serialized has none.
///
/// ```
/// use openapi_client_runtime::style::{query_pairs, Style};
///
/// assert_eq!(
///     query_pairs("ids", &["a b", "c"], Style::PipeDelimited, false),
///     [("ids".to_string(), "a b|c".to_string())]
/// );
/// ```
pub fn query_pairs<T: Serialize + ?Sized>(
    name: &str,
    value: &T,
    style: Style,
    explode: bool,
) -> Vec<(String, String)> {
    let Ok(json) = to_json(name, value) else {
        return Vec::new();
    };
    encoded_pairs(name, &json, style, explode)
        .iter()
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// The inverse of [`encode_query`] (every `%XX` it writes).
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A path parameter's segment in its style (`simple`, `label`, `matrix`):
/// values are percent-encoded by [`encode_path`], so the segment stays one.
///
/// ```
/// use openapi_client_runtime::style::{path, Style};
///
/// assert_eq!(path("color", &["blue", "black"], Style::Matrix, true).unwrap(), ";color=blue;color=black");
/// assert_eq!(path("id", "a/b", Style::Label, false).unwrap(), ".a%2Fb");
/// assert!(path("id", ".", Style::Label, false).is_err());
/// ```
///
/// # Errors
///
/// A segment that would be empty or a dot segment (`.`, `..`), which URL
/// normalisation would collapse (see [`check_path_segment`](crate::check_path_segment)),
/// and a value serde cannot serialize.
pub fn path<T: Serialize + ?Sized>(
    name: &str,
    value: &T,
    style: Style,
    explode: bool,
) -> Result<String, StyleError> {
    let json = to_json(name, value)?;
    let segment = path_text(name, &json, style, explode);
    match segment.as_str() {
        "" => Err(error(name, "must not be empty")),
        "." | ".." => Err(error(
            name,
            "would be the dot segment `.` or `..`, which URL normalisation removes",
        )),
        _ => Ok(segment),
    }
}

fn path_text(name: &str, value: &Value, style: Style, explode: bool) -> String {
    let e = |t: &str| encode_path(t);
    let key = e(name);
    let joined =
        |items: &mut dyn Iterator<Item = &str>, d: &str| items.map(&e).collect::<Vec<_>>().join(d);
    let pairs = |fields: &[(String, String)], kv: &str, d: &str| {
        fields
            .iter()
            .map(|(k, v)| format!("{}{kv}{}", e(k), e(v)))
            .collect::<Vec<_>>()
            .join(d)
    };
    match (style, shape(value)) {
        (_, Shape::Absent) => String::new(),
        (Style::Label, Shape::Empty) => ".".into(),
        (Style::Matrix, Shape::Empty) => format!(";{key}"),
        (_, Shape::Empty) => String::new(),
        (Style::Label, Shape::Scalar(s)) => format!(".{}", e(&s)),
        (Style::Matrix, Shape::Scalar(s)) => format!(";{key}={}", e(&s)),
        (_, Shape::Scalar(s)) => e(&s),
        // OpenAPI 3.0.3's table: a label array is dot-separated either way.
        (Style::Label, Shape::Array(items)) => {
            format!(".{}", joined(&mut items.iter().map(String::as_str), "."))
        }
        (Style::Matrix, Shape::Array(items)) if explode => {
            items.iter().map(|i| format!(";{key}={}", e(i))).collect()
        }
        (Style::Matrix, Shape::Array(items)) => {
            format!(
                ";{key}={}",
                joined(&mut items.iter().map(String::as_str), ",")
            )
        }
        (_, Shape::Array(items)) => joined(&mut items.iter().map(String::as_str), ","),
        (Style::Label, Shape::Object(f)) if explode => format!(".{}", pairs(&f, "=", ".")),
        (Style::Label, Shape::Object(f)) => format!(".{}", joined(&mut flat(&f), ".")),
        (Style::Matrix, Shape::Object(f)) if explode => format!(";{}", pairs(&f, "=", ";")),
        (Style::Matrix, Shape::Object(f)) => format!(";{key}={}", joined(&mut flat(&f), ",")),
        (_, Shape::Object(f)) if explode => pairs(&f, "=", ","),
        (_, Shape::Object(f)) => joined(&mut flat(&f), ","),
    }
}

/// A header parameter's value in the `simple` style (`blue,black,brown`,
/// `R=100,G=200` exploded); `None` when the value is absent.
///
/// ```
/// use openapi_client_runtime::style::header;
/// use std::collections::BTreeMap;
///
/// let object = BTreeMap::from([("G", 200), ("R", 100)]);
/// assert_eq!(header("X-Color", &object, true).unwrap().unwrap(), "G=200,R=100");
/// assert_eq!(header("X-Color", &None::<u8>, true).unwrap(), None);
/// assert!(header("X-Color", "a\r\nb", false).is_err());
/// ```
///
/// # Errors
///
/// A value a header cannot carry (control characters), or that serde cannot
/// serialize.
pub fn header<T: Serialize + ?Sized>(
    name: &str,
    value: &T,
    explode: bool,
) -> Result<Option<http::HeaderValue>, StyleError> {
    let json = to_json(name, value)?;
    if json.is_null() {
        return Ok(None);
    }
    let text = simple(&json, explode);
    http::HeaderValue::try_from(text)
        .map(Some)
        .map_err(|_| error(name, "holds characters a header cannot carry"))
}

/// `simple` without percent-encoding: headers.
fn simple(value: &Value, explode: bool) -> String {
    match shape(value) {
        Shape::Absent | Shape::Empty => String::new(),
        Shape::Scalar(s) => s,
        Shape::Array(items) => items.join(","),
        Shape::Object(fields) if explode => fields
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(","),
        Shape::Object(fields) => flat(&fields).collect::<Vec<_>>().join(","),
    }
}

/// A cookie parameter in the `form` style: the `name=value` pairs it adds
/// to the `Cookie` header (`color=blue,black`; exploded, one pair per item:
/// `color=blue; color=black`, `R=100; G=200`); `None` when absent.
///
/// ```
/// use openapi_client_runtime::style::cookie;
///
/// assert_eq!(cookie("color", &["blue", "black"], true).unwrap().unwrap(), "color=blue; color=black");
/// assert_eq!(cookie("color", &["blue", "black"], false).unwrap().unwrap(), "color=blue,black");
/// assert!(cookie("color", "a;b", false).is_err());
/// ```
///
/// # Errors
///
/// A name or value a cookie cannot carry (RFC 6265: no controls, whitespace,
/// `"`, `,`, `;` or backslash in a value), or that serde cannot serialize.
pub fn cookie<T: Serialize + ?Sized>(
    name: &str,
    value: &T,
    explode: bool,
) -> Result<Option<String>, StyleError> {
    let json = to_json(name, value)?;
    let octets = |text: &str| {
        text.bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'"' | b',' | b';' | b'\\'))
    };
    let token = |text: &str| !text.is_empty() && octets(text) && !text.contains('=');
    let check = |texts: &mut dyn Iterator<Item = &str>| -> Result<(), StyleError> {
        for text in texts {
            if !octets(text) {
                return Err(error(name, "holds characters a cookie cannot carry"));
            }
        }
        Ok(())
    };
    if !token(name) {
        return Err(error(name, "is not a name a cookie can have"));
    }
    let text = match shape(&json) {
        Shape::Absent => return Ok(None),
        Shape::Empty => format!("{name}="),
        Shape::Scalar(s) => {
            check(&mut std::iter::once(s.as_str()))?;
            format!("{name}={s}")
        }
        Shape::Array(items) => {
            check(&mut items.iter().map(String::as_str))?;
            if explode {
                let pairs: Vec<String> = items.iter().map(|i| format!("{name}={i}")).collect();
                pairs.join("; ")
            } else {
                format!("{name}={}", items.join(","))
            }
        }
        Shape::Object(fields) => {
            check(&mut flat(&fields))?;
            if explode {
                if !fields.iter().all(|(k, _)| token(k)) {
                    return Err(error(
                        name,
                        "has a field that is not a name a cookie can have",
                    ));
                }
                let pairs: Vec<String> = fields.iter().map(|(k, v)| format!("{k}={v}")).collect();
                pairs.join("; ")
            } else {
                format!("{name}={}", flat(&fields).collect::<Vec<_>>().join(","))
            }
        }
    };
    Ok(Some(text))
}

#[cfg(test)]
#[path = "style_tests.rs"]
mod tests;
