//! The change report: what a spec change does to a generated crate's public API,
//! and the semver bump that follows.
//!
//! Two normalized (OpenAPI 3.0) documents go in; a list of [`Change`]s comes out,
//! each classified for *downstream users of the generated crate*, not for the
//! HTTP wire. The module is four small parts:
//!
//! - a **model** of what generates public Rust items (`model.rs`):
//!   [`Operation`]s (a method on `Client`, with its arguments and success
//!   type) and the component schemas (a `types::` item each);
//! - a **comparator** that pairs old and new operations and schemas
//!   (`compare.rs`);
//! - a **classifier**, the rules below, applied as each change is found
//!   (`classify.rs`);
//! - a **renderer**, here with the verdict types: one text line per change, or
//!   JSON for CI bots.
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
//!   (`new` gains an argument) but not readers, and a new enum value, or a new
//!   `oneOf`/`anyOf` branch that leaves the old variants' names alone, is
//!   compatible (`match`es need a wildcard arm already, and a response enum's
//!   `Unknown` variant takes the new value in clients generated before). A schema no operation
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

use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;

use crate::generate::{METHODS, escape_pointer};
use crate::version::Version;

mod classify;
mod compare;
mod model;

use classify::*;
pub use compare::compare;
use compare::*;
use model::*;
pub use model::{Body, Operation, Param, operations};

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
    UnionBranchesAdded,
    NullableChanged,
    ValidationChanged,
    BaseUrlChanged,
    Documentation,
    /// A public Rust item of the generated crate is gone (read from the code).
    ItemRemoved,
    /// The generator, not the spec, changed the crate's public items.
    GeneratorChanged,
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

    /// A report with no change yet, between two documents named `old` and `new`.
    pub fn empty(old_name: &str, new_name: &str) -> Report {
        Report {
            provider: None,
            crate_name: None,
            old: old_name.to_string(),
            new: new_name.to_string(),
            semver: Bump::None,
            changes: Vec::new(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
