//! Customize step: the provider entry's say over operation names.
//!
//! Runs between normalize and generate. Vendors often omit `operationId`s, which
//! progenitor needs to name methods; rather than stopping the run, a missing one
//! gets a deterministic name derived from the method and path, reported as a
//! note so the user can pin a better one with a `rename` entry.

use std::collections::BTreeMap;

use anyhow::{Result, bail};
use serde_json::Value;

use crate::generate::{METHODS, escape_pointer};

/// Applies `rename` entries and derives missing operationIds; returns notes.
///
/// A `rename` key is either an existing operationId or `"METHOD /path"` (which
/// also names operations that have no operationId).
pub fn apply(
    doc: &mut Value,
    renames: &BTreeMap<String, String>,
    registry_entry: &str,
) -> Result<Vec<String>> {
    let mut notes = Vec::new();
    let mut used = BTreeMap::new();
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return Ok(notes);
    };
    for (path, item) in paths.iter_mut() {
        for method in METHODS {
            let Some(op) = item.get_mut(method).and_then(Value::as_object_mut) else {
                continue;
            };
            let by_route = format!("{} {path}", method.to_ascii_uppercase());
            let current = op
                .get("operationId")
                .and_then(Value::as_str)
                .map(str::to_string);
            let new = renames
                .get(&by_route)
                .map(|n| (by_route.clone(), n.clone()))
                .or_else(|| {
                    current
                        .as_ref()
                        .and_then(|c| renames.get(c).map(|n| (c.clone(), n.clone())))
                });
            let id = match (new, current) {
                (Some((key, name)), _) => {
                    used.insert(key, ());
                    name
                }
                (None, Some(_)) => continue,
                (None, None) => {
                    let derived = derive_operation_id(method, path);
                    notes.push(format!(
                        "at /paths/{}/{method}: no operationId; using {derived:?} (pin a name with `\"{by_route}\" = \"...\"` under {registry_entry}.rename)",
                        escape_pointer(path)
                    ));
                    derived
                }
            };
            op.insert("operationId".into(), Value::String(id));
        }
    }
    let unused: Vec<&String> = renames.keys().filter(|k| !used.contains_key(*k)).collect();
    if !unused.is_empty() {
        bail!(
            "specs/providers.toml: {registry_entry}.rename names operations the spec does not have: {}; \
             use an operationId or \"METHOD /path\" from the spec",
            unused
                .iter()
                .map(|k| format!("{k:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(notes)
}

/// `delete /clients/{clientId}/tokens` → `delete_clients_by_client_id_tokens`.
pub fn derive_operation_id(method: &str, path: &str) -> String {
    let mut words = vec![method.to_ascii_lowercase()];
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(param) => words.push(format!("by_{}", snake(param))),
            None => words.push(snake(segment)),
        }
    }
    words.retain(|w| !w.is_empty());
    words.join("_")
}

/// camelCase, kebab-case and dotted names → snake_case; other characters dropped.
fn snake(s: &str) -> String {
    let mut out = String::new();
    let mut previous_lower = false;
    for c in s.chars() {
        if c.is_ascii_uppercase() {
            if previous_lower {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
            previous_lower = false;
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
            previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        } else {
            if !out.ends_with('_') && !out.is_empty() {
                out.push('_');
            }
            previous_lower = false;
        }
    }
    out.trim_end_matches('_').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn derived_names_are_deterministic_snake_case() {
        assert_eq!(
            derive_operation_id("delete", "/iam/v2/clients/{clientId}/tokens/{tokenId}"),
            "delete_iam_v2_clients_by_client_id_tokens_by_token_id"
        );
        assert_eq!(
            derive_operation_id("get", "/zones/{zone-id}/dns.records"),
            "get_zones_by_zone_id_dns_records"
        );
    }

    #[test]
    fn missing_ids_are_derived_with_a_note() {
        let mut doc = json!({"paths": {"/a/{b}": {"get": {"responses": {}}, "put": {"operationId": "keep"}}}});
        let notes = apply(&mut doc, &BTreeMap::new(), "[providers.p]").unwrap();
        assert_eq!(doc["paths"]["/a/{b}"]["get"]["operationId"], "get_a_by_b");
        assert_eq!(doc["paths"]["/a/{b}"]["put"]["operationId"], "keep");
        assert_eq!(notes.len(), 1);
        assert!(
            notes[0].contains("\"GET /a/{b}\" = \"...\""),
            "{}",
            notes[0]
        );
    }

    #[test]
    fn renames_by_id_and_by_route() {
        let mut doc = json!({"paths": {"/a": {"get": {"operationId": "old"}, "post": {}}}});
        let renames = BTreeMap::from([
            ("old".to_string(), "list".to_string()),
            ("POST /a".to_string(), "create".to_string()),
        ]);
        let notes = apply(&mut doc, &renames, "[providers.p]").unwrap();
        assert_eq!(doc["paths"]["/a"]["get"]["operationId"], "list");
        assert_eq!(doc["paths"]["/a"]["post"]["operationId"], "create");
        assert!(notes.is_empty());
    }

    #[test]
    fn a_rename_of_nothing_is_an_error() {
        let mut doc = json!({"paths": {"/a": {"get": {"operationId": "x"}}}});
        let renames = BTreeMap::from([("y".to_string(), "z".to_string())]);
        let err = apply(&mut doc, &renames, "[providers.p]")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("[providers.p].rename names operations the spec does not have: \"y\""),
            "{err}"
        );
    }
}
