//! Load step: spec file bytes → `serde_json::Value`.
//!
//! YAML and JSON are both accepted (JSON is YAML, but parsing `.json` with a JSON
//! parser gives better messages). Every cost here is bounded before it is paid:
//! only a regular file is read, and no more than twice its [`Limit`] of it; the
//! parsers bound nesting depth; and the document is measured as it is built,
//! on its expanded size (every value, and the bytes of every string and key,
//! counting each use of a YAML alias as a copy) and its number of values, so a
//! YAML alias used a thousand times cannot expand a small file into gigabytes.
//! A provider entry may raise the limit (`max_spec_mib`) for a document it
//! trusts: Microsoft Graph's is 47 MB.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use anyhow::{Result, bail};
use serde::de::{self, DeserializeSeed};
use serde_json::Value;

/// The default [`Limit`], in MiB of expanded size.
///
/// Generation costs far more than parsing: measured on schema-dense YAML, the
/// debug xtask needs ~2.5 s and ~130 MB of memory per MB of spec (progenitor,
/// typify and prettyplease build every type), so a 50 MB document would need
/// minutes and gigabytes. 16 MiB still admits a vendor's whole published spec
/// (Cloudflare's is ~15 MB) and bounds a run to about 2 GB.
pub const DEFAULT_LIMIT_MIB: u64 = 16;

/// The highest limit a provider entry may set (`max_spec_mib`).
pub const MAX_LIMIT_MIB: u64 = 1024;

/// The default [`Limit`] in bytes. The file itself may be twice as long
/// ([`Limit::file_bytes`], checked before it is read), as indentation and
/// comments take room that the document does not.
pub const MAX_SPEC_BYTES: u64 = DEFAULT_LIMIT_MIB * 1024 * 1024;

/// Most values (scalars, sequences and mappings) a document within the
/// default limit may hold once its aliases are expanded; a raised limit (or a
/// longer text, which only `slice` reads) gets this many per 16 MiB.
///
/// serde_norway bounds how often aliases are followed (100 per event), not
/// what they expand to: one anchor of 100,000 items used 50,000 times is a
/// 350 KB file of 5·10⁹ values. Real specs hold far fewer: Cloudflare's
/// 4 MB JSON has 178,000 values, so its ~15 MB current one about 640,000;
/// Microsoft Graph's 20 MB one 750,000. What a refused document has cost
/// depends on its values: 150 MB for numbers, 750 MB for one-key mappings
/// (each a B-tree node), the worst.
pub const MAX_VALUES: usize = 2 * 1024 * 1024;

/// How large a document may be, in MiB of expanded size: each value counts
/// one byte, and each string and key its length, at every use of an alias.
/// That is never more than the text of a document without aliases takes
/// (each value is written with at least one character), so the limit says
/// what the document holds, not how it is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    mib: u64,
}

impl Default for Limit {
    fn default() -> Self {
        Self {
            mib: DEFAULT_LIMIT_MIB,
        }
    }
}

impl Limit {
    /// A limit of `mib` MiB, at most [`MAX_LIMIT_MIB`] (validation refuses more).
    pub fn mib(mib: u64) -> Self {
        Self {
            mib: mib.clamp(1, MAX_LIMIT_MIB),
        }
    }

    /// Expanded bytes admitted.
    fn size(self) -> usize {
        (self.mib * 1024 * 1024) as usize
    }

    /// Values admitted: [`MAX_VALUES`] per 16 MiB.
    fn values(self) -> usize {
        (MAX_VALUES as u64 * self.mib).div_ceil(DEFAULT_LIMIT_MIB) as usize
    }

    /// Longest file read.
    pub fn file_bytes(self) -> u64 {
        2 * self.mib * 1024 * 1024
    }
}

/// A loaded spec: the parsed document and the raw bytes (hashed into file headers).
pub struct Loaded {
    /// The document as JSON.
    pub document: Value,
    /// The file exactly as read.
    pub bytes: Vec<u8>,
}

/// Reads and parses the spec at `path` within the default [`Limit`]; `shown`
/// is how messages name it.
pub fn load(path: &Path, shown: &str) -> Result<Loaded> {
    load_within(path, shown, Limit::default())
}

/// [`load`] within `limit` (a provider's `max_spec_mib`).
pub fn load_within(path: &Path, shown: &str, limit: Limit) -> Result<Loaded> {
    let bytes = read_spec(path, shown, limit.file_bytes())?;
    let document = parse_within(&bytes, shown, Budget::of_limit(limit))?;
    Ok(Loaded { document, bytes })
}

/// Reads the file at `path`, refusing what is not a regular file (after
/// symlinks) or is longer than `limit` bytes.
///
/// `/dev/zero` or a FIFO reports no length, so the size check alone would let
/// them through to an unbounded read (or a read that blocks forever); and a
/// file may grow between the check and the read, so at most `limit + 1` bytes
/// are read whatever its size said.
pub fn read_spec(path: &Path, shown: &str, limit: u64) -> Result<Vec<u8>> {
    let meta = std::fs::metadata(path).map_err(|e| {
        anyhow::anyhow!(
            "{shown}: cannot read the spec ({e}); check the path (for a provider, the `spec` entry in specs/providers.toml)"
        )
    })?;
    if !meta.is_file() {
        bail!(
            "{shown}: the spec is {}, not a regular file; only a regular file is read as a spec, so save the document to one",
            file_kind(&meta)
        );
    }
    if meta.len() > limit {
        bail!(
            "{shown}: the spec is {} bytes, more than the {limit}-byte ({} MiB) limit on its file; slice the operations you need out of it first, or, for a document you trust, raise `max_spec_mib` in its provider entry",
            meta.len(),
            limit / (1024 * 1024)
        );
    }
    let file =
        std::fs::File::open(path).map_err(|e| anyhow::anyhow!("{shown}: cannot read ({e})"))?;
    // What was opened may not be what was checked (the path was replaced).
    let opened = file
        .metadata()
        .map_err(|e| anyhow::anyhow!("{shown}: cannot read ({e})"))?;
    if !opened.is_file() {
        bail!(
            "{shown}: the spec is {}, not a regular file; only a regular file is read as a spec, so save the document to one",
            file_kind(&opened)
        );
    }
    let mut bytes = Vec::with_capacity(opened.len().min(limit) as usize);
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| anyhow::anyhow!("{shown}: cannot read ({e})"))?;
    if bytes.len() as u64 > limit {
        bail!(
            "{shown}: the spec grew past the {limit}-byte ({} MiB) limit while it was read; generate from a file that is not being written",
            limit / (1024 * 1024)
        );
    }
    Ok(bytes)
}

/// What a path that is not a regular file is, in words.
fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    let kind = meta.file_type();
    if kind.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if kind.is_char_device() || kind.is_block_device() {
            return "a device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    "neither a file nor a directory"
}

/// Parses spec bytes; JSON when the name ends in `.json`, YAML otherwise.
pub fn parse(bytes: &[u8], shown: &str) -> Result<Value> {
    parse_within(bytes, shown, Budget::for_text(bytes.len()))
}

fn parse_within(bytes: &[u8], shown: &str, budget: Budget) -> Result<Value> {
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
        let mut de = serde_json::Deserializer::from_str(text);
        Node(&budget)
            .deserialize(&mut de)
            .and_then(|v| de.end().map(|()| v))
            .map_err(|e| {
                if budget.exceeded.get().is_some() {
                    return budget.refusal(
                        &format!("{shown}:{}:{}", e.line(), e.column()),
                        None,
                        false,
                    );
                }
                anyhow::anyhow!(
                    "{shown}:{}:{}: not valid JSON: {e}; {}",
                    e.line(),
                    e.column(),
                    yaml_advice(&e.to_string())
                )
            })?
    } else {
        Node(&budget)
            .deserialize(serde_norway::Deserializer::from_str(text))
            .map_err(|e| {
                let at = match e.location() {
                    Some(loc) => format!("{shown}:{}:{}", loc.line(), loc.column()),
                    None => shown.to_string(),
                };
                if budget.exceeded.get().is_some() {
                    // serde_norway puts the path (`x-b[20][3]`) before the message.
                    let text = e.to_string();
                    let path = text.split_once(": ").map(|(path, _)| path);
                    return budget.refusal(&at, path.filter(|p| !p.contains(TOO_MANY)), true);
                }
                anyhow::anyhow!("{at}: not valid YAML: {e}; {}", yaml_advice(&e.to_string()))
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

/// The error a [`Node`] raises when the budget runs out; told apart from the
/// parser's own errors by [`Budget::exceeded`], not by this text.
const TOO_MANY: &str = "too many values";

/// How many more values, and expanded bytes, the document may hold (its
/// [`Limit`]).
struct Budget {
    left: Cell<usize>,
    limit: usize,
    size_left: Cell<usize>,
    size: usize,
    /// Which of the two ran out, once one has.
    exceeded: Cell<Option<Exceeded>>,
}

#[derive(Clone, Copy)]
enum Exceeded {
    Values,
    Size,
}

impl Budget {
    /// For a text read without a limit of its own: the default limit, and
    /// as much again per 16 MiB of text.
    fn for_text(len: usize) -> Self {
        let size = Limit::default().size();
        let times = len.div_ceil(size).max(1);
        Self::of(MAX_VALUES * times, size * times)
    }

    fn of_limit(limit: Limit) -> Self {
        Self::of(limit.values(), limit.size())
    }

    fn of(limit: usize, size: usize) -> Self {
        Self {
            left: Cell::new(limit),
            limit,
            size_left: Cell::new(size),
            size,
            exceeded: Cell::new(None),
        }
    }

    /// Counts one value of `bytes` string bytes (its text, or its key's),
    /// failing once the budget is spent.
    fn take<E: de::Error>(&self, bytes: usize) -> Result<(), E> {
        let Some(left) = self.left.get().checked_sub(1) else {
            self.exceeded.set(Some(Exceeded::Values));
            return Err(E::custom(TOO_MANY));
        };
        let Some(size_left) = self.size_left.get().checked_sub(1 + bytes) else {
            self.exceeded.set(Some(Exceeded::Size));
            return Err(E::custom(TOO_MANY));
        };
        self.left.set(left);
        self.size_left.set(size_left);
        Ok(())
    }

    /// Counts the bytes of a key, which is not a value but is held.
    fn hold<E: de::Error>(&self, bytes: usize) -> Result<(), E> {
        let Some(size_left) = self.size_left.get().checked_sub(bytes) else {
            self.exceeded.set(Some(Exceeded::Size));
            return Err(E::custom(TOO_MANY));
        };
        self.size_left.set(size_left);
        Ok(())
    }

    /// The error once the budget ran out; `yaml` when aliases may be why.
    fn refusal(&self, at: &str, path: Option<&str>, yaml: bool) -> anyhow::Error {
        let path = path.map(|p| format!(" (at `{p}`)")).unwrap_or_default();
        let what = match self.exceeded.get() {
            Some(Exceeded::Size) => format!(
                "is larger than {} MiB once expanded{path} (a byte per value and the bytes of every string and key)",
                self.size / (1024 * 1024)
            ),
            _ => format!("holds more than {} values{path}", self.limit),
        };
        let aliases = if yaml {
            ", counting every use of an alias (`*name`) as a copy, as a \"billion laughs\" document would; write repeated parts once under `components` and `$ref` them, or"
        } else {
            ";"
        };
        anyhow::anyhow!(
            "{at}: the document {what}{aliases} slice the operations you need out of the spec, or, for a document you trust, raise `max_spec_mib` in its provider entry"
        )
    }
}

/// Deserializes one value into a [`Value`], counting it and everything in it
/// against the [`Budget`] as it is built, so an expansion is refused before
/// it exists.
///
/// It also takes integers beyond 64 bits, which YAML hands over as 128-bit
/// integers and `serde_json` (without `arbitrary_precision`) refuses, failing
/// the whole file: `maximum: 99999999999999999999999` is valid. They become
/// the nearest float, as `serde_json` does when parsing JSON text, and the
/// normalizer clamps them where they matter. Everything else is what
/// `Value`'s own visitor does.
#[derive(Clone, Copy)]
struct Node<'b>(&'b Budget);

impl<'de> DeserializeSeed<'de> for Node<'_> {
    type Value = Value;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> de::Visitor<'de> for Node<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        self.0.take(0)?;
        Ok(Value::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        self.0.take(0)?;
        Ok(v.into())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        self.0.take(0)?;
        Ok(v.into())
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
        self.0.take(0)?;
        Ok(serde_json::Number::from_i128(v).map_or_else(|| float(v as f64), Value::Number))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        self.0.take(0)?;
        Ok(serde_json::Number::from_u128(v).map_or_else(|| float(v as f64), Value::Number))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        self.0.take(0)?;
        Ok(float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        self.0.take(v.len())?;
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        self.0.take(v.len())?;
        Ok(Value::String(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        self.0.take(0)?;
        Ok(Value::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        self.0.take(0)?;
        Ok(Value::Null)
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        self.0.take(0)?;
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(v) = seq.next_element_seed(self)? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        self.0.take(0)?;
        let mut out = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            self.0.hold(key.len())?;
            let v = map.next_value_seed(self)?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

fn float(v: f64) -> Value {
    serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
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

/// A spec's lines, split once, and an index of the keys of each block
/// searched: a large document's notes (Cloudflare's run to two thousand)
/// each look up a line, and a search from the top per note cost more than
/// generating the crate (10,000 renamed schemas: 20 s).
pub struct Lines<'a> {
    lines: Vec<&'a str>,
    /// Per block searched: its lines by [`head`], in order.
    blocks: RefCell<HashMap<Block, HashMap<&'a str, Vec<usize>>>>,
}

/// Where a search for a key looks: from line `start`, at lines indented at
/// least `indent`, to the first line indented less when `bounded` (the
/// search for a pointer's first key runs to the end).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Block {
    start: usize,
    indent: usize,
    bounded: bool,
}

/// How a line may declare a key: `key:`, `'key':` or `"key":`.
const QUOTES: [Option<u8>; 3] = [None, Some(b'\''), Some(b'"')];

/// The text up to the first `:` (after the opening quote, and followed by
/// `:`, for a quote): a line that declares a key has the head of the key
/// followed by `:` (and the closing quote), so only lines of that head need
/// checking, and the head is short even where a line is not (minified JSON).
fn head(line: &str, quote: Option<u8>) -> Option<&str> {
    let text = match quote {
        None => line,
        Some(q) => line.strip_prefix(q as char)?,
    };
    let bytes = text.as_bytes();
    let end = match quote {
        None => bytes.iter().position(|b| *b == b':')?,
        Some(q) => bytes.windows(2).position(|w| w == [q, b':'])?,
    };
    Some(&text[..end])
}

impl<'a> Lines<'a> {
    /// Splits `text` into lines.
    pub fn new(text: &'a str) -> Self {
        Self {
            lines: text.lines().collect(),
            blocks: RefCell::default(),
        }
    }

    /// [`line_of_pointer`] on these lines.
    pub fn of_pointer(&self, pointer: &str) -> Option<usize> {
        let mut block = Block {
            start: 0,
            indent: 0,
            bounded: false,
        };
        let mut line_no = 0usize;
        for key in pointer.split('/').skip(1) {
            let key = key.replace("~1", "/").replace("~0", "~");
            match self.find(block, &key) {
                Some(i) => {
                    let line = self.lines[i];
                    line_no = i + 1;
                    block = Block {
                        start: i + 1,
                        indent: line.len() - line.trim_start().len() + 1,
                        bounded: true,
                    };
                }
                // Array indices and flow-style mappings are not tracked: report the
                // deepest line we did find.
                None => break,
            }
        }
        (line_no > 0).then_some(line_no)
    }

    /// The first line of `block` that declares `key`.
    fn find(&self, block: Block, key: &str) -> Option<usize> {
        let mut blocks = self.blocks.borrow_mut();
        let heads = blocks.entry(block).or_insert_with(|| self.heads(block));
        let mut candidates: Vec<usize> = QUOTES
            .iter()
            .filter_map(|&quote| {
                let declared = match quote {
                    None => format!("{key}:"),
                    Some(q) => format!("{q}{key}{q}:", q = q as char),
                };
                head(&declared, quote).and_then(|h| heads.get(h))
            })
            .flatten()
            .copied()
            .collect();
        candidates.sort_unstable();
        candidates
            .into_iter()
            .find(|&i| declares(self.lines[i].trim_start().trim_start_matches("- "), key))
    }

    /// The lines of `block` that may declare a key, by [`head`].
    fn heads(&self, block: Block) -> HashMap<&'a str, Vec<usize>> {
        let mut heads: HashMap<&'a str, Vec<usize>> = HashMap::new();
        for (i, line) in self.lines.iter().enumerate().skip(block.start) {
            let trimmed = line.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let indent = line.len() - trimmed.len();
            if i > block.start && indent < block.indent && block.bounded {
                break;
            }
            if indent >= block.indent {
                let declaring = trimmed.trim_start_matches("- ");
                for quote in QUOTES {
                    if let Some(h) = head(declaring, quote) {
                        let lines = heads.entry(h).or_default();
                        if lines.last() != Some(&i) {
                            lines.push(i);
                        }
                    }
                }
            }
        }
        heads
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
    fn aliases_count_once_per_use() {
        // 10 items behind one anchor, used 10 times: 1 + 11 + 1 + 10 * 11 values.
        let text = format!(
            "a: &a [{}]\nb: [{}]\n",
            ["0"; 10].join(","),
            ["*a"; 10].join(",")
        );
        let doc =
            parse_within(text.as_bytes(), "specs/x.yaml", Budget::of(123, usize::MAX)).unwrap();
        assert_eq!(doc["b"][9].as_array().map(Vec::len), Some(10));
        let err = parse_within(text.as_bytes(), "specs/x.yaml", Budget::of(122, usize::MAX))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("specs/x.yaml:1:"),
            "the place where the budget ran out: {err}"
        );
        assert!(
            err.contains("holds more than 122 values (at `b[9][9]`)"),
            "{err}"
        );
        assert!(err.contains("every use of an alias"), "{err}");
    }

    #[test]
    fn the_budget_bounds_json_too() {
        let text = b"{\"a\": [1, 2, 3]}";
        assert!(parse_within(text, "specs/x.json", Budget::of(5, usize::MAX)).is_ok());
        let err = parse_within(text, "specs/x.json", Budget::of(4, usize::MAX))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("specs/x.json:1:") && err.contains("more than 4 values;"),
            "{err}"
        );
        assert!(!err.contains("alias"), "JSON has no aliases: {err}");
    }

    #[test]
    fn the_budget_grows_with_the_text_only_past_the_default_limit() {
        let default = Limit::default().size();
        assert_eq!(Budget::for_text(10).limit, MAX_VALUES);
        assert_eq!(Budget::for_text(default).limit, MAX_VALUES);
        assert_eq!(Budget::for_text(default + 1).limit, 2 * MAX_VALUES);
        assert_eq!(Budget::for_text(default + 1).size, 2 * default);
    }

    #[test]
    fn the_limit_is_on_expanded_size_and_a_provider_raises_it() {
        // A 1 MiB string behind one anchor, used 20 times: 1 MiB of text, 20
        // MiB of document, in 23 values (the value budget never notices).
        let text = format!(
            "a: &a {}\nb: [{}]\n",
            "x".repeat(1 << 20),
            ["*a"; 20].join(",")
        );
        let err = parse_within(
            text.as_bytes(),
            "specs/x.yaml",
            Budget::of_limit(Limit::default()),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("the document is larger than 16 MiB once expanded (at `b["),
            "{err}"
        );
        assert!(err.contains("raise `max_spec_mib`"), "{err}");
        let doc = parse_within(
            text.as_bytes(),
            "specs/x.yaml",
            Budget::of_limit(Limit::mib(32)),
        )
        .unwrap();
        assert_eq!(doc["b"].as_array().map(Vec::len), Some(20));
        // Without aliases, the expanded size is never more than the text.
        for text in [
            "{\"a\": \"b\", \"c\": [1, {}, \"\", null, true]}",
            "a: b\nc:\n- 1\n- {}\n- ''\n- ~\nd:\n",
        ] {
            let name = if text.starts_with('{') {
                "x.json"
            } else {
                "x.yaml"
            };
            assert!(
                parse_within(text.as_bytes(), name, Budget::of(usize::MAX, text.len())).is_ok(),
                "{text}"
            );
        }
        assert_eq!(Limit::mib(48).values(), 3 * MAX_VALUES);
        assert_eq!(Limit::default().file_bytes(), 2 * MAX_SPEC_BYTES);
    }

    #[test]
    fn only_regular_files_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let err = read_spec(dir.path(), "specs/x.yaml", 10)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("specs/x.yaml: the spec is a directory, not a regular file"),
            "{err}"
        );
        let file = dir.path().join("x.yaml");
        std::fs::write(&file, "0123456789").unwrap();
        assert_eq!(read_spec(&file, "x", 10).unwrap(), b"0123456789");
        let err = read_spec(&file, "specs/x.yaml", 9).unwrap_err().to_string();
        assert!(
            err.contains("the spec is 10 bytes, more than the 9-byte"),
            "{err}"
        );
    }

    #[test]
    fn json_by_extension() {
        let err = parse(b"{\"a\": }", "specs/x.json").unwrap_err().to_string();
        assert!(err.starts_with("specs/x.json:1:7: not valid JSON"), "{err}");
    }

    /// The search before blocks were indexed: from the top, per key.
    fn searched(text: &str, pointer: &str) -> Option<usize> {
        let lines: Vec<&str> = text.lines().collect();
        let (mut min_indent, mut line_no, mut start) = (0, 0, 0);
        for key in pointer.split('/').skip(1) {
            let key = key.replace("~1", "/").replace("~0", "~");
            let mut found = None;
            for (i, line) in lines.iter().enumerate().skip(start) {
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
                None => break,
            }
        }
        (line_no > 0).then_some(line_no)
    }

    #[test]
    fn indexed_blocks_find_what_the_search_found() {
        let text = "openapi: 3.0.3\n# a: comment\npaths:\n  /a/{b}:\n    get:\n      'a:b': 1\n      \"q\": 2\n      '':\n        - x: 1\n        - - y: 2\n      a: |\n        type: text\n    type: late\ncomponents:\n  schemas:\n    a:b:c: {}\n    Foo:\n      type: object\n      properties:\n        type: {type: string}\n    type: x\n";
        let keys = [
            "",
            "openapi",
            "paths",
            "/a/{b}",
            "get",
            "a:b",
            "a",
            "'a",
            "q",
            "x",
            "y",
            "type",
            "components",
            "schemas",
            "a:b:c",
            "a:b:",
            "Foo",
            "properties",
            "0",
            "nothing",
        ];
        let lines = Lines::new(text);
        for a in keys {
            for b in keys {
                for c in keys {
                    let pointer = format!(
                        "/{}/{}/{}",
                        a.replace('~', "~0").replace('/', "~1"),
                        b.replace('~', "~0").replace('/', "~1"),
                        c.replace('~', "~0").replace('/', "~1")
                    );
                    assert_eq!(
                        lines.of_pointer(&pointer),
                        searched(text, &pointer),
                        "{pointer}"
                    );
                }
            }
        }
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
