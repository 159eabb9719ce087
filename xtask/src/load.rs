//! Load step: spec file bytes → `serde_json::Value`.
//!
//! YAML and JSON are both accepted (JSON is YAML, but parsing `.json` with a JSON
//! parser gives better messages). The YAML parser bounds recursion depth and alias
//! expansion, so hostile documents fail with an error instead of exhausting memory.

use std::path::Path;

use anyhow::{Result, bail};
use serde_json::Value;

/// Largest spec accepted, checked before the file is read.
///
/// Generation costs far more than parsing: measured on schema-dense YAML, the
/// debug xtask needs ~2.5 s and ~130 MB of memory per MB of spec (progenitor,
/// typify and prettyplease build every type), so a 50 MB document would need
/// minutes and gigabytes. 16 MiB still admits a vendor's whole published spec
/// (Cloudflare's is ~15 MB) and bounds a run to about 2 GB.
pub const MAX_SPEC_BYTES: u64 = 16 * 1024 * 1024;

/// A loaded spec: the parsed document and the raw bytes (hashed into file headers).
pub struct Loaded {
    /// The document as JSON.
    pub document: Value,
    /// The file exactly as read.
    pub bytes: Vec<u8>,
}

/// Reads and parses the spec at `path`; `shown` is how messages name it.
pub fn load(path: &Path, shown: &str) -> Result<Loaded> {
    let meta = std::fs::metadata(path).map_err(|e| {
        anyhow::anyhow!(
            "{shown}: cannot read the spec ({e}); check the `spec` entry in specs/providers.toml"
        )
    })?;
    if meta.len() > MAX_SPEC_BYTES {
        bail!(
            "{shown}: the spec is {} bytes, more than the {MAX_SPEC_BYTES}-byte (16 MiB) limit; slice the operations you need out of it first",
            meta.len()
        );
    }
    let bytes = std::fs::read(path).map_err(|e| anyhow::anyhow!("{shown}: cannot read ({e})"))?;
    let document = parse(&bytes, shown)?;
    Ok(Loaded { document, bytes })
}

/// Parses spec bytes; JSON when the name ends in `.json`, YAML otherwise.
pub fn parse(bytes: &[u8], shown: &str) -> Result<Value> {
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let (line, column) = line_col(bytes, e.valid_up_to());
            bail!(
                "{shown}:{line}:{column}: the file is not valid UTF-8 (byte offset {}); save it as UTF-8",
                e.valid_up_to()
            );
        }
    };
    if text.trim().is_empty() {
        bail!("{shown}: the file is empty; it should hold an OpenAPI document");
    }
    let document: Value = if shown.ends_with(".json") {
        serde_json::from_str(text).map_err(|e| {
            anyhow::anyhow!(
                "{shown}:{}:{}: not valid JSON: {e}; {}",
                e.line(),
                e.column(),
                yaml_advice(&e.to_string())
            )
        })?
    } else {
        from_yaml(text).map_err(|e| {
            let advice = yaml_advice(&e.to_string());
            match e.location() {
                Some(loc) => anyhow::anyhow!(
                    "{shown}:{}:{}: not valid YAML: {e}; {advice}",
                    loc.line(),
                    loc.column()
                ),
                None => anyhow::anyhow!("{shown}: not valid YAML: {e}; {advice}"),
            }
        })?
    };
    if !document.is_object() {
        bail!(
            "{shown}: the document is a {}, not a mapping; an OpenAPI document starts with `openapi: 3.x.y`",
            kind(&document)
        );
    }
    Ok(document)
}

/// Parses YAML into a [`Value`], integers beyond 64 bits included (see [`Lenient`]).
fn from_yaml(text: &str) -> Result<Value, serde_norway::Error> {
    serde_norway::from_str(text).map(|Lenient(v)| v)
}

/// A [`Value`] that also takes integers beyond 64 bits, which YAML hands over as
/// 128-bit integers and `serde_json` (without `arbitrary_precision`) refuses,
/// failing the whole file: `maximum: 99999999999999999999999` is valid. They
/// become the nearest float, as `serde_json` does when parsing JSON text, and
/// the normalizer clamps them where they matter. Everything else is what
/// `Value`'s own visitor does.
struct Lenient(Value);

impl<'de> serde::Deserialize<'de> for Lenient {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LenientVisitor).map(Lenient)
    }
}

struct LenientVisitor;

impl<'de> serde::de::Visitor<'de> for LenientVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(v.into())
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(v.into())
    }
    fn visit_i128<E>(self, v: i128) -> Result<Value, E> {
        Ok(serde_json::Number::from_i128(v).map_or_else(|| self.float(v as f64), Value::Number))
    }
    fn visit_u128<E>(self, v: u128) -> Result<Value, E> {
        Ok(serde_json::Number::from_u128(v).map_or_else(|| self.float(v as f64), Value::Number))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(self.float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(Lenient(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let Lenient(v) = map.next_value()?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

impl LenientVisitor {
    fn float(&self, v: f64) -> Value {
        serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
    }
}

/// What to do about a YAML (or JSON) error; the parser's own limits get specific advice.
fn yaml_advice(message: &str) -> &'static str {
    if message.contains("recursion limit") {
        "the document nests deeper than the parser allows (128 levels); move nested schemas into `components/schemas` and `$ref` them"
    } else if message.contains("repetition limit") {
        "its aliases (`*name`) expand to too many nodes, as in a \"billion laughs\" document; write the repeated parts out or use `$ref`"
    } else {
        "fix the syntax there"
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "sequence",
        Value::Object(_) => "mapping",
    }
}

fn line_col(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
    (line, column)
}

/// Finds the 1-based line on which the value at a JSON pointer is declared, by
/// walking the YAML text's indentation. Best effort: `None` when unsure.
///
/// serde's data model drops source positions, so errors found after parsing
/// (by the normalizer or the generator) recover the line this way.
pub fn line_of_pointer(text: &str, pointer: &str) -> Option<usize> {
    Lines::new(text).of_pointer(pointer)
}

/// A spec's lines, split once: a large document's notes (Cloudflare's run to
/// two thousand) each look up a line, and splitting ten megabytes per note
/// cost more than generating the crate.
pub struct Lines<'a> {
    lines: Vec<&'a str>,
}

impl<'a> Lines<'a> {
    /// Splits `text` into lines.
    pub fn new(text: &'a str) -> Self {
        Self {
            lines: text.lines().collect(),
        }
    }

    /// [`line_of_pointer`] on these lines.
    pub fn of_pointer(&self, pointer: &str) -> Option<usize> {
        let mut min_indent = 0usize;
        let mut line_no = 0usize;
        let mut start = 0usize;
        for key in pointer.split('/').skip(1) {
            let key = key.replace("~1", "/").replace("~0", "~");
            let mut found = None;
            for (i, line) in self.lines.iter().enumerate().skip(start) {
                let trimmed = line.trim_start();
                if trimmed.is_empty() || trimmed.starts_with('#') {
                    continue;
                }
                let indent = line.len() - trimmed.len();
                if i > start && indent < min_indent && line_no > 0 {
                    break;
                }
                if indent >= min_indent && declares(trimmed.trim_start_matches("- "), &key) {
                    found = Some((i, indent));
                    break;
                }
            }
            match found {
                Some((i, indent)) => {
                    line_no = i + 1;
                    start = i + 1;
                    min_indent = indent + 1;
                }
                // Array indices and flow-style mappings are not tracked: report the
                // deepest line we did find.
                None => break,
            }
        }
        (line_no > 0).then_some(line_no)
    }
}

/// Whether a line starts with `key:`, `'key':` or `"key":`.
fn declares(line: &str, key: &str) -> bool {
    let quoted = |q: char| {
        line.strip_prefix(q)
            .and_then(|rest| rest.strip_prefix(key))
            .and_then(|rest| rest.strip_prefix(q))
    };
    [line.strip_prefix(key), quoted('\''), quoted('"')]
        .into_iter()
        .flatten()
        .any(|rest| rest.starts_with(':'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file() {
        let err = parse(b"  \n", "specs/x.yaml").unwrap_err().to_string();
        assert!(err.starts_with("specs/x.yaml: the file is empty"), "{err}");
    }

    #[test]
    fn yaml_error_has_line_and_column() {
        let err = parse(b"openapi: 3.0.3\npaths: [\n", "specs/x.yaml")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("specs/x.yaml:"), "{err}");
        assert!(err.contains("not valid YAML"), "{err}");
    }

    #[test]
    fn non_utf8_names_the_line() {
        let err = parse(b"openapi: 3.0.3\ninfo: \xff\n", "specs/x.yaml")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("specs/x.yaml:2:7: the file is not valid UTF-8"),
            "{err}"
        );
    }

    #[test]
    fn scalar_document_is_rejected() {
        let err = parse(b"just text", "specs/x.yaml").unwrap_err().to_string();
        assert!(err.contains("is a string, not a mapping"), "{err}");
    }

    #[test]
    fn integers_beyond_64_bits_load_as_floats() {
        let text = b"a: 99999999999999999999999\nb: -9223372036854775809\nc: 18446744073709551615\nd: [1, ~, x]\n";
        let doc = parse(text, "specs/x.yaml").unwrap();
        assert_eq!(doc["a"], serde_json::json!(1e23));
        assert_eq!(doc["b"], serde_json::json!(-9223372036854775809.0));
        assert_eq!(doc["c"], serde_json::json!(u64::MAX));
        assert_eq!(doc["d"], serde_json::json!([1, null, "x"]));
    }

    #[test]
    fn json_by_extension() {
        let err = parse(b"{\"a\": }", "specs/x.json").unwrap_err().to_string();
        assert!(err.starts_with("specs/x.json:1:7: not valid JSON"), "{err}");
    }

    #[test]
    fn finds_lines_of_nested_keys() {
        let text = "openapi: 3.1.0\npaths:\n  /a/{b}:\n    get:\n      operationId: x\ncomponents:\n  schemas:\n    Foo:\n      type: object\n";
        assert_eq!(line_of_pointer(text, "/paths/~1a~1{b}/get"), Some(4));
        assert_eq!(
            line_of_pointer(text, "/components/schemas/Foo/type"),
            Some(9)
        );
        assert_eq!(line_of_pointer(text, "/nothing"), None);
    }
}
