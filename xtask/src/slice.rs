//! Slicing: a full vendor spec → a minimal document with only the chosen operations.
//!
//! Vendors publish one huge document; a client usually needs a handful of its
//! operations. [`slice()`] keeps those operations (with their path item's shared
//! fields) and every component they reach through `$ref`, transitively, plus the
//! security schemes their `security` requirements name.
//!
//! The walk is a worklist over components with an explicit stack inside each
//! value, so deep schemas cannot overflow the thread's stack and `$ref` cycles
//! end at the first component seen twice. It reads the input by reference and
//! clones only what it keeps: the cost is one pass over the operations plus the
//! size of what is reached, whatever the size of the rest of the document.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde_json::{Map, Value};

use crate::generate::{METHODS, escape_pointer};
use crate::load;
use crate::output::{self, Rendered};

/// Why a document could not be sliced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SliceError {
    /// The document is not shaped like an OpenAPI document where slicing needs it.
    Invalid {
        /// JSON pointer of the offending value.
        pointer: String,
        /// What is wrong and what to do.
        message: String,
    },
    /// The selection is empty.
    NoOperations,
    /// Some requested operationIds are not in the document.
    UnknownOperations {
        /// Each unknown operationId with up to three close matches from the document.
        unknown: Vec<(String, Vec<String>)>,
    },
    /// Two operations of the document share a requested operationId.
    DuplicateOperationId {
        /// The operationId.
        id: String,
        /// JSON pointer of the first operation using it.
        first: String,
        /// JSON pointer of the second one.
        second: String,
    },
    /// A `$ref` points outside `#/components/` (another file, a URL, another part
    /// of this document), which a self-contained slice cannot follow.
    UnsupportedRef {
        /// JSON pointer of the `$ref` (or discriminator mapping entry).
        pointer: String,
        /// The reference as written.
        reference: String,
    },
    /// A `$ref` names a component the document does not declare.
    MissingComponent {
        /// JSON pointer of the `$ref`.
        pointer: String,
        /// The reference as written.
        reference: String,
    },
    /// A security requirement names a scheme absent from `components/securitySchemes`.
    MissingSecurityScheme {
        /// JSON pointer of the requirement's entry.
        pointer: String,
        /// The scheme's name.
        name: String,
    },
}

impl SliceError {
    /// The JSON pointer the error is about, if it is about one place.
    pub fn pointer(&self) -> Option<&str> {
        match self {
            Self::Invalid { pointer, .. }
            | Self::UnsupportedRef { pointer, .. }
            | Self::MissingComponent { pointer, .. }
            | Self::MissingSecurityScheme { pointer, .. } => Some(pointer),
            Self::DuplicateOperationId { second, .. } => Some(second),
            Self::NoOperations | Self::UnknownOperations { .. } => None,
        }
    }
}

impl fmt::Display for SliceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = |p: &str| {
            if p.is_empty() {
                "/".to_string()
            } else {
                p.to_string()
            }
        };
        match self {
            Self::Invalid { pointer, message } => write!(f, "at {}: {message}", at(pointer)),
            Self::NoOperations => {
                write!(f, "no operations selected; name at least one operationId")
            }
            Self::UnknownOperations { unknown } => {
                write!(f, "the spec has no operation with operationId ")?;
                for (i, (id, close)) in unknown.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{id:?}")?;
                    if !close.is_empty() {
                        let quoted: Vec<String> = close.iter().map(|c| format!("{c:?}")).collect();
                        write!(f, " (did you mean {}?)", quoted.join(" or "))?;
                    }
                }
                write!(
                    f,
                    "; operationIds are case-sensitive, copy them from the spec"
                )
            }
            Self::DuplicateOperationId { id, first, second } => write!(
                f,
                "at {second}/operationId: operationId {id:?} is also used at {first}; \
                 operationIds must be unique, rename one in the spec"
            ),
            Self::UnsupportedRef { pointer, reference } if reference.starts_with('#') => write!(
                f,
                "at {pointer}: $ref {reference:?} points into the document outside #/components/, \
                 which slicing does not follow; move the target into components and $ref it there"
            ),
            Self::UnsupportedRef { pointer, reference } => write!(
                f,
                "at {pointer}: $ref {reference:?} points outside this document, which slicing \
                 does not follow; bundle the spec into one file first (e.g. `redocly bundle`)"
            ),
            Self::MissingComponent { pointer, reference } => write!(
                f,
                "at {pointer}: $ref {reference:?} points to a component the spec does not declare; \
                 add it or fix the reference"
            ),
            Self::MissingSecurityScheme { pointer, name } => write!(
                f,
                "at {pointer}: security scheme {name:?} is not declared in components/securitySchemes; \
                 declare it or remove the requirement"
            ),
        }
    }
}

impl std::error::Error for SliceError {}

/// Top-level fields copied as they are: small, and meaningful for every operation.
const KEPT_TOP_LEVEL: [&str; 6] = [
    "openapi",
    "info",
    "jsonSchemaDialect",
    "servers",
    "security",
    "externalDocs",
];

/// Keys whose value holds literal data (examples, defaults, enum values,
/// vendor extensions) when they appear as keywords: a `$ref` inside is data,
/// not a reference, so the walk does not look there.
fn is_literal(key: &str, value: &Value) -> bool {
    matches!(key, "example" | "default" | "enum" | "const" | "value")
        || key.starts_with("x-")
        || (key == "examples" && value.is_array())
}

/// Keywords whose value is a mapping from user-chosen names (a property may be
/// called `default`, a response is keyed `default`): inside those, keys are
/// names, never keywords, so nothing there counts as literal.
const NAMED_MAPS: [&str; 16] = [
    "properties",
    "patternProperties",
    "$defs",
    "definitions",
    "dependentSchemas",
    "responses",
    "examples",
    "content",
    "encoding",
    "headers",
    "links",
    "callbacks",
    "mapping",
    "variables",
    "scopes",
    "parameters",
];

/// Returns a copy of `doc` with exactly the operations named by `operation_ids`
/// and everything they reach.
///
/// Kept: `openapi` (3.0 or 3.1, unchanged), `info`, `servers`, `security`,
/// `externalDocs`, `jsonSchemaDialect`, the tags the kept operations use, each
/// kept operation's path item without its other operations, and every component
/// reached from those through `$ref` or discriminator mappings, plus the security
/// schemes named by the kept operations' or the document's `security`.
/// Everything else (other operations, unused components, webhooks, top-level
/// extensions) is left out. Nothing is resolved or inlined: references keep
/// pointing at `#/components/...`, which the slice contains.
///
/// # Errors
///
/// [`SliceError`] when an operationId is unknown or used twice, or when a
/// reachable `$ref` points outside `#/components/` or at a missing component.
pub fn slice(doc: &Value, operation_ids: &[String]) -> Result<Value, SliceError> {
    let root = doc.as_object().ok_or_else(|| SliceError::Invalid {
        pointer: String::new(),
        message: "the document is not a mapping; an OpenAPI document starts with `openapi: 3.x.y`"
            .into(),
    })?;
    if operation_ids.is_empty() {
        return Err(SliceError::NoOperations);
    }
    let paths = root
        .get("paths")
        .and_then(Value::as_object)
        .ok_or_else(|| SliceError::Invalid {
            pointer: "/paths".into(),
            message: "the document has no `paths` mapping, so it has no operations to slice".into(),
        })?;
    let wanted: HashSet<&str> = operation_ids.iter().map(String::as_str).collect();
    let mut walker = Walker::new(root.get("components").and_then(Value::as_object));
    let mut found: HashMap<&str, String> = HashMap::new();
    let mut tags: HashSet<&str> = HashSet::new();
    let mut kept_paths = Map::new();

    for (path, item) in paths {
        let Some(item) = item.as_object() else {
            continue;
        };
        let mut kept: Option<Map<String, Value>> = None;
        for method in METHODS {
            let Some(op) = item.get(method) else {
                continue;
            };
            let Some(id) = op.get("operationId").and_then(Value::as_str) else {
                continue;
            };
            if !wanted.contains(id) {
                continue;
            }
            let at = format!("/paths/{}/{method}", escape_pointer(path));
            if let Some(first) = found.get(id) {
                return Err(SliceError::DuplicateOperationId {
                    id: id.into(),
                    first: first.clone(),
                    second: at,
                });
            }
            walker.scan(op, Base::Pointer(&at))?;
            walker.security(op.get("security"), &format!("{at}/security"))?;
            if let Some(list) = op.get("tags").and_then(Value::as_array) {
                tags.extend(list.iter().filter_map(Value::as_str));
            }
            found.insert(id, at);
            kept.get_or_insert_with(Map::new)
                .insert(method.to_string(), op.clone());
        }
        let Some(mut kept) = kept else {
            continue;
        };
        // Shared fields (parameters, servers, summary) apply to the kept
        // operations too; the other methods are dropped.
        for (key, value) in item {
            if METHODS.contains(&key.as_str()) {
                continue;
            }
            if !key.starts_with("x-") {
                let at = format!("/paths/{}/{}", escape_pointer(path), escape_pointer(key));
                walker.scan(value, Base::Pointer(&at))?;
            }
            kept.insert(key.clone(), value.clone());
        }
        kept_paths.insert(path.clone(), Value::Object(kept));
    }

    if found.len() < wanted.len() {
        return Err(unknown_operations(paths, operation_ids, &found));
    }
    walker.security(root.get("security"), "/security")?;
    let components = walker.drain()?;

    let mut out = Map::new();
    for key in KEPT_TOP_LEVEL {
        if let Some(value) = root.get(key) {
            out.insert(key.into(), value.clone());
        }
    }
    if let Some(all) = root.get("tags").and_then(Value::as_array) {
        let used: Vec<Value> = all
            .iter()
            .filter(|t| {
                t.get("name")
                    .and_then(Value::as_str)
                    .is_some_and(|n| tags.contains(n))
            })
            .cloned()
            .collect();
        if !used.is_empty() {
            out.insert("tags".into(), Value::Array(used));
        }
    }
    out.insert("paths".into(), Value::Object(kept_paths));
    if !components.is_empty() {
        let components: Map<String, Value> = components
            .into_iter()
            .map(|(kind, entries)| (kind.to_string(), Value::Object(entries)))
            .collect();
        out.insert("components".into(), Value::Object(components));
    }
    Ok(Value::Object(out))
}

/// Where a scanned value sits, rendered into a pointer only when an error needs it.
#[derive(Clone, Copy)]
enum Base<'b> {
    Pointer(&'b str),
    Component(&'b str, &'b str),
}

impl Base<'_> {
    fn render(self, below: &[Seg<'_>]) -> String {
        let mut out = match self {
            Base::Pointer(p) => p.to_string(),
            Base::Component(kind, name) => {
                format!(
                    "/components/{}/{}",
                    escape_pointer(kind),
                    escape_pointer(name)
                )
            }
        };
        for seg in below {
            out.push('/');
            match seg {
                Seg::Key(k) => out.push_str(&escape_pointer(k)),
                Seg::Index(i) => out.push_str(&i.to_string()),
            }
        }
        out
    }
}

#[derive(Clone, Copy)]
enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

/// One value waiting to be scanned, `depth` levels below the scan's root.
struct Frame<'a> {
    value: &'a Value,
    depth: usize,
    seg: Option<Seg<'a>>,
    /// The value is a mapping from names (see [`NAMED_MAPS`]).
    named: bool,
    /// The value is a schema's `discriminator`.
    discriminator: bool,
}

/// The transitive closure over components, borrowed from the input document.
struct Walker<'a> {
    components: Option<&'a Map<String, Value>>,
    /// Components already queued, by (kind, name) as spelled in the document.
    seen: HashSet<(&'a str, &'a str)>,
    pending: Vec<(&'a str, &'a str, &'a Value)>,
    /// Scratch space reused by every scan.
    stack: Vec<Frame<'a>>,
    path: Vec<Seg<'a>>,
}

impl<'a> Walker<'a> {
    fn new(components: Option<&'a Map<String, Value>>) -> Self {
        Self {
            components,
            seen: HashSet::new(),
            pending: Vec::new(),
            stack: Vec::new(),
            path: Vec::new(),
        }
    }

    /// Scans until no component is pending; returns the reached ones by kind.
    fn drain(mut self) -> Result<BTreeMap<&'a str, Map<String, Value>>, SliceError> {
        let mut out: BTreeMap<&'a str, Map<String, Value>> = BTreeMap::new();
        while let Some((kind, name, value)) = self.pending.pop() {
            self.scan(value, Base::Component(kind, name))?;
            out.entry(kind)
                .or_default()
                .insert(name.to_string(), value.clone());
        }
        Ok(out)
    }

    /// Queues every component `value` references (not recursing into them).
    fn scan(&mut self, value: &'a Value, base: Base<'_>) -> Result<(), SliceError> {
        let mut stack = std::mem::take(&mut self.stack);
        let mut path = std::mem::take(&mut self.path);
        stack.clear();
        path.clear();
        stack.push(Frame {
            value,
            depth: 0,
            seg: None,
            named: false,
            discriminator: false,
        });
        let result = (|| {
            while let Some(frame) = stack.pop() {
                path.truncate(frame.depth.saturating_sub(1));
                if let Some(seg) = frame.seg {
                    path.push(seg);
                }
                match frame.value {
                    Value::Object(map) => {
                        if !frame.named
                            && let Some(Value::String(reference)) = map.get("$ref")
                        {
                            path.push(Seg::Key("$ref"));
                            let r = self.follow(reference, base, &path);
                            path.pop();
                            r?;
                        }
                        if frame.discriminator
                            && let Some(mapping) = map.get("mapping").and_then(Value::as_object)
                        {
                            for (key, target) in mapping {
                                let Some(target) = target.as_str() else {
                                    continue;
                                };
                                path.extend([Seg::Key("mapping"), Seg::Key(key)]);
                                let r = self.follow_mapping(target, base, &path);
                                path.truncate(path.len() - 2);
                                r?;
                            }
                        }
                        for (key, child) in map {
                            let structured = child.is_object() || child.is_array();
                            if !structured
                                || (!frame.named && (key == "$ref" || is_literal(key, child)))
                            {
                                continue;
                            }
                            stack.push(Frame {
                                value: child,
                                depth: frame.depth + 1,
                                seg: Some(Seg::Key(key)),
                                named: !frame.named && NAMED_MAPS.contains(&key.as_str()),
                                discriminator: !frame.named && key == "discriminator",
                            });
                        }
                    }
                    Value::Array(items) => {
                        for (i, child) in items.iter().enumerate() {
                            if child.is_object() || child.is_array() {
                                stack.push(Frame {
                                    value: child,
                                    depth: frame.depth + 1,
                                    seg: Some(Seg::Index(i)),
                                    named: false,
                                    discriminator: false,
                                });
                            }
                        }
                    }
                    _ => {}
                }
            }
            Ok(())
        })();
        self.stack = stack;
        self.path = path;
        result
    }

    /// Queues the component `reference` names.
    fn follow(
        &mut self,
        reference: &'a str,
        base: Base<'_>,
        at: &[Seg<'_>],
    ) -> Result<(), SliceError> {
        let Some(rest) = reference.strip_prefix("#/components/") else {
            return Err(SliceError::UnsupportedRef {
                pointer: base.render(at),
                reference: reference.into(),
            });
        };
        // `#/components/schemas/Foo/properties/bar` needs all of `Foo`.
        let mut tokens = rest.split('/');
        let kind = unescape(tokens.next().unwrap_or_default());
        let name = unescape(tokens.next().unwrap_or_default());
        let target = self
            .components
            .and_then(|c| c.get_key_value(kind.as_str()))
            .and_then(|(kind, entries)| {
                let (name, value) = entries.as_object()?.get_key_value(name.as_str())?;
                Some((kind.as_str(), name.as_str(), value))
            });
        let Some((kind, name, value)) = target else {
            return Err(SliceError::MissingComponent {
                pointer: base.render(at),
                reference: reference.into(),
            });
        };
        self.queue(kind, name, value);
        Ok(())
    }

    /// A discriminator mapping value: a reference, or a bare schema name.
    fn follow_mapping(
        &mut self,
        target: &'a str,
        base: Base<'_>,
        at: &[Seg<'_>],
    ) -> Result<(), SliceError> {
        if target.contains('#') || target.contains('/') {
            return self.follow(target, base, at);
        }
        // A bare name that is not a schema is left for the generator to judge:
        // it is not a reference the slice could satisfy either way.
        if let Some((kind, entries)) = self.components.and_then(|c| c.get_key_value("schemas"))
            && let Some((name, value)) = entries.as_object().and_then(|e| e.get_key_value(target))
        {
            self.queue(kind, name, value);
        }
        Ok(())
    }

    fn queue(&mut self, kind: &'a str, name: &'a str, value: &'a Value) {
        if self.seen.insert((kind, name)) {
            self.pending.push((kind, name, value));
        }
    }

    /// Queues the security schemes a `security` requirement list names.
    fn security(&mut self, requirements: Option<&'a Value>, at: &str) -> Result<(), SliceError> {
        let Some(list) = requirements.and_then(Value::as_array) else {
            return Ok(());
        };
        let schemes = self
            .components
            .and_then(|c| c.get_key_value("securitySchemes"))
            .and_then(|(kind, entries)| Some((kind.as_str(), entries.as_object()?)));
        for (i, requirement) in list.iter().enumerate() {
            let Some(requirement) = requirement.as_object() else {
                continue;
            };
            for name in requirement.keys() {
                let Some((kind, (name, value))) =
                    schemes.and_then(|(kind, s)| Some((kind, s.get_key_value(name)?)))
                else {
                    return Err(SliceError::MissingSecurityScheme {
                        pointer: format!("{at}/{i}/{}", escape_pointer(name)),
                        name: name.clone(),
                    });
                };
                self.queue(kind, name, value);
            }
        }
        Ok(())
    }
}

/// Decodes one reference token of a URI fragment: percent-escapes, then `~1`, `~0`.
fn unescape(token: &str) -> String {
    let decoded = if token.contains('%') {
        percent_decode(token)
    } else {
        token.to_string()
    };
    if decoded.contains('~') {
        decoded.replace("~1", "/").replace("~0", "~")
    } else {
        decoded
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The error for requested operationIds the document lacks, with close matches.
/// Only runs on failure, so it may take a second pass over the operations.
fn unknown_operations(
    paths: &Map<String, Value>,
    requested: &[String],
    found: &HashMap<&str, String>,
) -> SliceError {
    let all: Vec<&str> = paths
        .values()
        .filter_map(Value::as_object)
        .flat_map(|item| METHODS.iter().filter_map(|m| item.get(*m)))
        .filter_map(|op| op.get("operationId").and_then(Value::as_str))
        .collect();
    let mut unknown: Vec<(String, Vec<String>)> = Vec::new();
    for id in requested {
        if found.contains_key(id.as_str()) || unknown.iter().any(|(u, _)| u == id) {
            continue;
        }
        unknown.push((id.clone(), close_matches(id, &all)));
    }
    SliceError::UnknownOperations { unknown }
}

/// Up to three operationIds within a small edit distance of `id`, or containing it.
fn close_matches(id: &str, all: &[&str]) -> Vec<String> {
    let needle = id.to_lowercase();
    let limit = (needle.chars().count() / 4).max(2);
    let mut scored: Vec<(usize, &str)> = all
        .iter()
        .filter_map(|candidate| {
            let lower = candidate.to_lowercase();
            let distance = levenshtein(&needle, &lower);
            let contains = needle.len() >= 4 && lower.contains(&needle);
            (distance <= limit || contains).then_some((distance, *candidate))
        })
        .collect();
    scored.sort();
    scored.dedup_by(|a, b| a.1 == b.1);
    scored
        .into_iter()
        .take(3)
        .map(|(_, c)| c.to_string())
        .collect()
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

/// Largest input `cargo xtask slice` reads: well above the pipeline's own
/// [`load::MAX_SPEC_BYTES`], since slicing is how a too-big spec is made small.
pub const MAX_INPUT_BYTES: u64 = 4 * load::MAX_SPEC_BYTES;

/// `cargo xtask slice`: reads `from`, slices it, and writes the result to `out`
/// (YAML for `.yaml`/`.yml`, JSON for `.json`, replaced atomically) or, without
/// `out`, returns it as YAML for stdout. Returns what to print.
pub fn run(from: &Path, operation_ids: &[String], out: Option<&Path>) -> Result<String> {
    let shown = from.display().to_string();
    // A regular file only, read no further than the limit (see `load::read_spec`).
    let bytes = load::read_spec(from, &shown, MAX_INPUT_BYTES)?;
    let doc = load::parse(&bytes, &shown)?;
    let text = String::from_utf8_lossy(&bytes);
    let sliced = slice(&doc, operation_ids).map_err(|e| {
        let line = e
            .pointer()
            .and_then(|p| load::line_of_pointer(&text, p))
            .map(|l| format!(":{l}"))
            .unwrap_or_default();
        anyhow::anyhow!("{shown}{line}: {e}")
    })?;
    let Some(out) = out else {
        return to_yaml(&DocumentOrder(&sliced));
    };
    let contents = match Format::of(out) {
        Some(Format::Yaml) => to_yaml(&DocumentOrder(&sliced))?,
        Some(Format::Json) => {
            let mut json = serde_json::to_string_pretty(&DocumentOrder(&sliced))?;
            json.push('\n');
            json
        }
        None => bail!(
            "{}: the output must end in .yaml, .yml or .json",
            out.display()
        ),
    };
    let dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = out
        .file_name()
        .and_then(|n| n.to_str())
        .with_context(|| format!("{}: not a file name", out.display()))?;
    output::write_all(
        dir,
        &[Rendered {
            path: name.to_string(),
            contents,
        }],
    )?;
    let operations = sliced["paths"].as_object().map_or(0, |p| {
        p.values()
            .map(|item| METHODS.iter().filter(|m| item.get(**m).is_some()).count())
            .sum::<usize>()
    });
    let components = sliced
        .get("components")
        .and_then(Value::as_object)
        .map_or(0, |c| {
            c.values()
                .filter_map(Value::as_object)
                .map(Map::len)
                .sum::<usize>()
        });
    Ok(format!(
        "{}: {operations} operation(s) and {components} component(s) from {shown}\n",
        out.display()
    ))
}

/// Top-level keys in the order OpenAPI documents conventionally use.
const TOP_LEVEL_ORDER: [&str; 10] = [
    "openapi",
    "info",
    "jsonSchemaDialect",
    "servers",
    "security",
    "tags",
    "externalDocs",
    "paths",
    "webhooks",
    "components",
];

/// Serializes a document with `openapi` and `info` first instead of in the
/// alphabetical order of `serde_json::Map`, so the file reads like the vendor's.
struct DocumentOrder<'a>(&'a Value);

impl serde::Serialize for DocumentOrder<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let Some(map) = self.0.as_object() else {
            return self.0.serialize(serializer);
        };
        let mut out = serializer.serialize_map(Some(map.len()))?;
        for key in TOP_LEVEL_ORDER {
            if let Some(value) = map.get(key) {
                out.serialize_entry(key, value)?;
            }
        }
        for (key, value) in map {
            if !TOP_LEVEL_ORDER.contains(&key.as_str()) {
                out.serialize_entry(key, value)?;
            }
        }
        out.end()
    }
}

fn to_yaml(value: &impl serde::Serialize) -> Result<String> {
    serde_norway::to_string(value).context("cannot write the slice as YAML")
}

/// Output formats `cargo xtask slice --out` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `.yaml` or `.yml`.
    Yaml,
    /// `.json`.
    Json,
}

impl Format {
    /// The format a file name's extension asks for, if supported.
    pub fn of(path: &Path) -> Option<Self> {
        match path.extension()?.to_str()? {
            "yaml" | "yml" => Some(Self::Yaml),
            "json" => Some(Self::Json),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn names(doc: &Value, kind: &str) -> Vec<String> {
        doc["components"][kind]
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Two operations sharing a path item, one elsewhere, and components of
    /// every kind, some reachable only through others.
    fn spec() -> Value {
        json!({
            "openapi": "3.0.3",
            "info": { "title": "T", "version": "1" },
            "servers": [{ "url": "https://api.example.com" }],
            "security": [{ "key": [] }],
            "tags": [{ "name": "pets" }, { "name": "admin" }, { "name": "unused" }],
            "x-vendor": { "huge": true },
            "paths": {
                "/pets/{id}": {
                    "parameters": [{ "$ref": "#/components/parameters/Id" }],
                    "get": {
                        "operationId": "getPet",
                        "tags": ["pets"],
                        "parameters": [{ "$ref": "#/components/parameters/Fields" }],
                        "responses": {
                            "200": { "$ref": "#/components/responses/Pet" },
                            "default": { "$ref": "#/components/responses/Problem" },
                        },
                    },
                    "delete": {
                        "operationId": "deletePet",
                        "tags": ["admin"],
                        "security": [{ "oauth": ["write"] }],
                        "responses": { "204": { "description": "gone" } },
                    },
                },
                "/owners": {
                    "post": {
                        "operationId": "createOwner",
                        "requestBody": { "$ref": "#/components/requestBodies/Owner" },
                        "responses": { "201": { "description": "made" } },
                    },
                },
            },
            "components": {
                "parameters": {
                    "Id": { "name": "id", "in": "path", "required": true, "schema": { "$ref": "#/components/schemas/Id" } },
                    "Fields": { "name": "fields", "in": "query", "schema": { "type": "string" } },
                    "Unused": { "name": "u", "in": "query", "schema": { "type": "string" } },
                },
                "responses": {
                    "Pet": {
                        "description": "a pet",
                        "headers": { "X-Left": { "$ref": "#/components/headers/Left" } },
                        "content": { "application/json": {
                            "schema": { "$ref": "#/components/schemas/Pet" },
                            "examples": { "default": { "$ref": "#/components/examples/Rex" } },
                        } },
                        "links": { "owner": { "$ref": "#/components/links/Owner" } },
                    },
                    "Problem": { "description": "bad", "content": { "application/json": {
                        "schema": { "$ref": "#/components/schemas/Problem" } } } },
                },
                "requestBodies": {
                    "Owner": { "content": { "application/json": {
                        "schema": { "$ref": "#/components/schemas/Owner" } } } },
                },
                "headers": { "Left": { "schema": { "type": "integer" } } },
                "examples": { "Rex": { "value": { "$ref": "not a reference, just data" } } },
                "links": { "Owner": { "operationId": "createOwner" } },
                "schemas": {
                    "Id": { "type": "integer" },
                    "Pet": {
                        "type": "object",
                        "properties": {
                            "owner": { "$ref": "#/components/schemas/Owner" },
                            "default": { "$ref": "#/components/schemas/Kind" },
                            "tags": { "type": "array", "items": { "$ref": "#/components/schemas/Tag" } },
                        },
                        "example": { "$ref": "also data" },
                        "x-internal": { "$ref": "vendor data" },
                    },
                    "Owner": {
                        "type": "object",
                        "properties": { "pets": { "type": "array", "items": { "$ref": "#/components/schemas/Pet" } } },
                    },
                    "Kind": { "type": "string", "enum": ["cat", "dog"] },
                    "Tag": { "type": "string" },
                    "Problem": { "type": "object", "properties": { "detail": { "type": "string" } } },
                    "Unused": { "type": "object", "properties": { "u": { "$ref": "#/components/schemas/Tag" } } },
                },
                "securitySchemes": {
                    "key": { "type": "apiKey", "in": "header", "name": "X-Key" },
                    "oauth": { "type": "oauth2", "flows": { "implicit": {
                        "authorizationUrl": "https://example.com/auth", "scopes": { "write": "w" } } } },
                    "unused": { "type": "http", "scheme": "basic" },
                },
            },
        })
    }

    #[test]
    fn keeps_the_transitive_closure_and_nothing_else() {
        let sliced = slice(&spec(), &ids(&["getPet"])).unwrap();
        assert_eq!(
            sliced["paths"]
                .as_object()
                .unwrap()
                .keys()
                .collect::<Vec<_>>(),
            ["/pets/{id}"]
        );
        let item = sliced["paths"]["/pets/{id}"].as_object().unwrap();
        assert!(item.contains_key("get") && !item.contains_key("delete"));
        assert_eq!(
            item["parameters"],
            spec()["paths"]["/pets/{id}"]["parameters"]
        );
        // Through parameters (Id → schema Id), responses (Pet → schemas, headers,
        // examples, links), schema → schema (Pet → Owner → Pet: a cycle), and a
        // property named `default`.
        assert_eq!(names(&sliced, "parameters"), ["Fields", "Id"]);
        assert_eq!(names(&sliced, "responses"), ["Pet", "Problem"]);
        assert_eq!(
            names(&sliced, "schemas"),
            ["Id", "Kind", "Owner", "Pet", "Problem", "Tag"]
        );
        assert_eq!(names(&sliced, "headers"), ["Left"]);
        assert_eq!(names(&sliced, "examples"), ["Rex"]);
        assert_eq!(names(&sliced, "links"), ["Owner"]);
        assert_eq!(names(&sliced, "requestBodies"), Vec::<String>::new());
        // The top-level requirement's scheme only; `oauth` is the DELETE's.
        assert_eq!(names(&sliced, "securitySchemes"), ["key"]);
        assert_eq!(
            sliced["components"]["schemas"]["Pet"],
            spec()["components"]["schemas"]["Pet"]
        );
        for key in ["openapi", "info", "servers", "security"] {
            assert_eq!(sliced[key], spec()[key], "{key}");
        }
        assert!(sliced.get("x-vendor").is_none());
    }

    #[test]
    fn request_bodies_and_operation_security_are_followed() {
        let sliced = slice(&spec(), &ids(&["createOwner", "deletePet"])).unwrap();
        assert_eq!(names(&sliced, "requestBodies"), ["Owner"]);
        assert_eq!(
            names(&sliced, "schemas"),
            ["Id", "Kind", "Owner", "Pet", "Tag"]
        );
        assert_eq!(names(&sliced, "securitySchemes"), ["key", "oauth"]);
        let item = sliced["paths"]["/pets/{id}"].as_object().unwrap();
        assert!(item.contains_key("delete") && !item.contains_key("get"));
    }

    #[test]
    fn only_used_tags_are_kept() {
        let sliced = slice(&spec(), &ids(&["getPet"])).unwrap();
        assert_eq!(sliced["tags"], json!([{ "name": "pets" }]));
        let sliced = slice(&spec(), &ids(&["createOwner"])).unwrap();
        assert!(sliced.get("tags").is_none(), "{sliced}");
    }

    #[test]
    fn self_and_mutual_cycles_terminate() {
        let mut doc = spec();
        doc["components"]["schemas"]["Tag"] = json!({
            "type": "object",
            "properties": { "parent": { "$ref": "#/components/schemas/Tag" } },
        });
        let sliced = slice(&doc, &ids(&["getPet"])).unwrap();
        assert_eq!(
            sliced["components"]["schemas"]["Tag"],
            doc["components"]["schemas"]["Tag"]
        );
    }

    #[test]
    fn unknown_operations_are_listed_with_close_matches() {
        let err = slice(&spec(), &ids(&["getPet", "getpets", "frobnicate"])).unwrap_err();
        let SliceError::UnknownOperations { unknown } = &err else {
            panic!("{err}");
        };
        assert_eq!(unknown.len(), 2);
        assert_eq!(
            unknown[0],
            ("getpets".to_string(), vec!["getPet".to_string()])
        );
        assert_eq!(unknown[1], ("frobnicate".to_string(), vec![]));
        let text = err.to_string();
        assert!(
            text.contains(r#""getpets" (did you mean "getPet"?), "frobnicate""#),
            "{text}"
        );
        assert_eq!(slice(&spec(), &[]).unwrap_err(), SliceError::NoOperations);
    }

    #[test]
    fn external_and_non_component_refs_are_named_by_pointer() {
        let mut doc = spec();
        doc["components"]["schemas"]["Tag"] = json!({ "$ref": "common.yaml#/Tag" });
        let err = slice(&doc, &ids(&["getPet"])).unwrap_err();
        assert_eq!(
            err,
            SliceError::UnsupportedRef {
                pointer: "/components/schemas/Tag/$ref".into(),
                reference: "common.yaml#/Tag".into(),
            }
        );
        assert!(err.to_string().contains("bundle the spec"), "{err}");

        let mut doc = spec();
        doc["paths"]["/owners"]["post"]["responses"]["201"] =
            json!({ "$ref": "#/paths/~1pets~1{id}/delete/responses/204" });
        let err = slice(&doc, &ids(&["createOwner"])).unwrap_err();
        assert_eq!(
            err.pointer(),
            Some("/paths/~1owners/post/responses/201/$ref")
        );
        assert!(err.to_string().contains("outside #/components/"), "{err}");
    }

    #[test]
    fn missing_components_and_schemes_are_errors() {
        let mut doc = spec();
        doc["components"]["schemas"]["Owner"]["properties"]["pets"]["items"]["$ref"] =
            json!("#/components/schemas/Gone");
        let err = slice(&doc, &ids(&["createOwner"])).unwrap_err();
        assert_eq!(
            err,
            SliceError::MissingComponent {
                pointer: "/components/schemas/Owner/properties/pets/items/$ref".into(),
                reference: "#/components/schemas/Gone".into(),
            }
        );
        let mut doc = spec();
        doc["security"] = json!([{ "nope": [] }]);
        let err = slice(&doc, &ids(&["createOwner"])).unwrap_err();
        assert_eq!(err.pointer(), Some("/security/0/nope"));
    }

    #[test]
    fn refs_inside_examples_and_extensions_are_data() {
        // `Rex`'s value and `Pet`'s example and x-internal hold "$ref"s that are
        // not references; following them would fail as external.
        assert!(slice(&spec(), &ids(&["getPet"])).is_ok());
    }

    #[test]
    fn escaped_names_and_discriminator_mappings_are_followed() {
        let doc = json!({
            "openapi": "3.1.0",
            "info": { "title": "T", "version": "1" },
            "paths": { "/a": { "get": { "operationId": "a", "responses": { "200": {
                "description": "ok",
                "content": { "application/json": { "schema": {
                    "$ref": "#/components/schemas/Pet~1Union%20Type" } } } } } } } },
            "components": { "schemas": {
                "Pet/Union Type": {
                    "oneOf": [{ "$ref": "#/components/schemas/Cat" }],
                    "discriminator": { "propertyName": "kind",
                        "mapping": { "cat": "Cat", "dog": "#/components/schemas/Dog" } },
                },
                "Cat": { "type": "object" },
                "Dog": { "type": "object" },
                "Bird": { "type": "object" },
            } },
        });
        let sliced = slice(&doc, &ids(&["a"])).unwrap();
        assert_eq!(sliced["openapi"], "3.1.0");
        assert_eq!(names(&sliced, "schemas"), ["Cat", "Dog", "Pet/Union Type"]);
    }

    #[test]
    fn duplicate_operation_ids_are_named() {
        let mut doc = spec();
        doc["paths"]["/owners"]["post"]["operationId"] = json!("getPet");
        let err = slice(&doc, &ids(&["getPet"])).unwrap_err();
        assert!(
            matches!(err, SliceError::DuplicateOperationId { .. }),
            "{err}"
        );
        assert_eq!(err.pointer(), Some("/paths/~1pets~1{id}/get"));
    }

    #[test]
    fn a_3_0_slice_is_a_valid_openapi_document() {
        let sliced = slice(&spec(), &ids(&["getPet", "createOwner"])).unwrap();
        let parsed: openapiv3::OpenAPI = serde_json::from_value(sliced).unwrap();
        assert_eq!(parsed.paths.paths.len(), 2);
        assert_eq!(parsed.components.unwrap().schemas.len(), 6);
    }

    #[test]
    fn the_synthetic_giant_slices_to_a_document_that_generates() {
        let (doc, wanted) = crate::synthetic::slice_bench_input();
        let sliced = slice(&doc, &wanted).unwrap();
        drop(doc);
        let mut sliced = crate::normalize::normalize(sliced).unwrap().document;
        assert_eq!(crate::generate::operations(&sliced).len(), 3);
        let schemas = sliced["components"]["schemas"].as_object().unwrap().len();
        assert!((1..=30).contains(&schemas), "{schemas} schemas kept");
        crate::generate::preflight(&sliced).unwrap();
        crate::generate::route_errors_to_runtime(&mut sliced);
        let tokens = crate::generate::generate(&sliced, "synthetic")
            .unwrap()
            .to_string();
        for id in ["get_item0", "create_item833", "create_item1666"] {
            assert!(tokens.contains(id), "{id}");
        }
    }
}
