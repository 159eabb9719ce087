//! A client crate's manifest: the dependencies its generated code needs.
//!
//! The manifest is the maintainers' file (description, keywords, version), but
//! which crates the generated code names is a fact about the generated code,
//! read from that code ([`Uses::of`]). (typify's own `uses_chrono` flag misses
//! a `date-time` component schema that becomes a newtype.) `generate` edits exactly
//! those entries, format-preserving, so that a spec gaining a `date-time`
//! field brings `chrono` in and losing its last one takes it out again.

use anyhow::{Context, Result};
use toml_edit::{DocumentMut, InlineTable, Item, Value};

/// Crates the generated code names beyond the runtime's own dependencies.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Uses {
    /// `chrono` (`format: date-time`, `date`).
    pub chrono: bool,
    /// `uuid` (`format: uuid`).
    pub uuid: bool,
    /// `regress` (`pattern` on a string type).
    pub regress: bool,
}

impl Uses {
    /// What the generated source files name: typify writes every foreign type
    /// with a leading `::`.
    pub fn of<'a>(sources: impl IntoIterator<Item = &'a str>) -> Self {
        let mut uses = Uses::default();
        for text in sources {
            uses.chrono |= text.contains("::chrono::");
            uses.uuid |= text.contains("::uuid::");
            uses.regress |= text.contains("::regress::");
        }
        uses
    }
}

/// `manifest` with the managed dependencies set as `uses` says; `shown`
/// names the file in errors.
pub fn with_dependencies(manifest: &str, uses: &Uses, shown: &str) -> Result<String> {
    let mut doc: DocumentMut = manifest
        .parse()
        .with_context(|| format!("{shown} is not valid TOML; fix it and generate again"))?;
    let dependencies = doc
        .entry("dependencies")
        .or_insert_with(toml_edit::table)
        .as_table_like_mut()
        .with_context(|| format!("{shown}: `dependencies` is not a table"))?;
    for (name, wanted) in [
        ("chrono", uses.chrono),
        ("uuid", uses.uuid),
        ("regress", uses.regress),
    ] {
        match (wanted, dependencies.contains_key(name)) {
            (true, false) => {
                let mut entry = InlineTable::new();
                entry.insert("workspace", Value::from(true));
                dependencies.insert(name, Item::Value(Value::InlineTable(entry)));
            }
            (false, true) => {
                dependencies.remove(name);
            }
            _ => {}
        }
    }
    Ok(doc.to_string())
}

/// `manifest` with a feature per tag of `plan`, `full` enabling them all,
/// and `default` enabling the provider's choice (`full` when that is every
/// tag), edited format-preserving. The tag features of an earlier run are
/// the ones its `full` lists: a tag the spec no longer has loses its
/// feature, and every other feature and `default` entry stays as written.
pub fn with_features(manifest: &str, plan: &crate::features::Plan, shown: &str) -> Result<String> {
    let mut doc: DocumentMut = manifest
        .parse()
        .with_context(|| format!("{shown} is not valid TOML; fix it and generate again"))?;
    let features = doc
        .entry("features")
        .or_insert_with(toml_edit::table)
        .as_table_mut()
        .with_context(|| format!("{shown}: `features` is not a table"))?;
    let listed = |features: &toml_edit::Table, name: &str| -> Vec<String> {
        features
            .get(name)
            .and_then(Item::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let old: Vec<String> = listed(features, "full");
    for name in &old {
        if !plan.features.contains_key(name) {
            features.remove(name);
        }
    }
    let multiline = |names: Vec<String>| {
        let mut array = toml_edit::Array::new();
        for name in names {
            let mut value = Value::from(name);
            value.decor_mut().set_prefix("\n    ");
            array.push_formatted(value);
        }
        array.set_trailing_comma(true);
        array.set_trailing("\n");
        array
    };
    let mut default: Vec<String> = listed(features, "default")
        .into_iter()
        .filter(|f| f != "full" && !old.contains(f) && !plan.features.contains_key(f))
        .collect();
    if plan.default.len() == plan.features.len() {
        default.push("full".into());
    } else {
        default.extend(plan.default.iter().cloned());
    }
    features.insert(
        "default",
        Item::Value(Value::Array(default.into_iter().map(Value::from).collect())),
    );
    features.insert(
        "full",
        Item::Value(Value::Array(multiline(
            plan.features.keys().cloned().collect(),
        ))),
    );
    if let Some(mut key) = features.key_mut("full") {
        key.leaf_decor_mut()
            .set_prefix("## Every operation: all the tag features below (one per OpenAPI tag).\n");
    }
    for (name, feature) in &plan.features {
        if !features.contains_key(name) {
            features.insert(name, Item::Value(Value::Array(toml_edit::Array::new())));
        }
        let what = match &feature.tag {
            Some(tag) => format!("tagged `{}`", crate::escape::one_line(tag)),
            None => "without a tag".to_string(),
        };
        if let Some(mut key) = features.key_mut(name) {
            key.leaf_decor_mut().set_prefix(format!(
                "## The {} operation(s) {what}.\n",
                feature.operations.len()
            ));
        }
    }
    Ok(doc.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = "[package]\nname = \"c\" # ours\n\n[dependencies]\nreqwest.workspace = true\nserde.workspace = true\n";

    #[test]
    fn adds_and_removes_only_what_the_code_needs() {
        let needs = Uses {
            chrono: true,
            uuid: false,
            regress: true,
        };
        let with = with_dependencies(MANIFEST, &needs, "c/Cargo.toml").unwrap();
        assert!(with.contains("name = \"c\" # ours"), "{with}");
        assert!(with.contains("chrono = { workspace = true }"), "{with}");
        assert!(with.contains("regress = { workspace = true }"), "{with}");
        assert!(!with.contains("uuid"), "{with}");
        let without = with_dependencies(&with, &Uses::default(), "c/Cargo.toml").unwrap();
        assert_eq!(without, MANIFEST);
    }

    #[test]
    fn invalid_toml_names_the_file() {
        let err = with_dependencies("[package", &Uses::default(), "c/Cargo.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("c/Cargo.toml is not valid TOML"), "{err}");
    }
}
