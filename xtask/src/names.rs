//! Rust names as typify makes them, for finding collisions before typify
//! panics on them (it does, on enum values, with no place in the spec).

use heck::ToPascalCase;
use unicode_ident::{is_xid_continue, is_xid_start};

/// typify's `sanitize(_, Case::Pascal)` (private in typify-impl 0.8): the
/// identifier a variant, or a type, is given.
pub fn pascal(input: &str) -> String {
    let out = match input {
        "+1" => "plus1".to_string(),
        "-1" => "minus1".to_string(),
        _ => input
            .replace('\'', "")
            .replace(|c: char| !is_xid_continue(c), "-"),
    }
    .to_pascal_case();
    let out = match out.chars().next() {
        None => "X".to_string(),
        Some(c) if is_xid_start(c) => out,
        Some(_) => format!("X{out}"),
    };
    // Keywords in PascalCase are only `Self`.
    if out == "Self" {
        format!("{out}_")
    } else {
        out
    }
}

/// The string values of an enum that typify cannot give distinct variant
/// names (`ALARM` and `alarm`), in the order given; empty when it can. Its
/// two tries: the plain names, then with `_` and other elided characters
/// written as `X`.
pub fn colliding_variants<'v>(values: impl IntoIterator<Item = &'v str> + Clone) -> Vec<&'v str> {
    let collisions = |name: &dyn Fn(&str) -> String| {
        let mut seen = std::collections::HashMap::new();
        for value in values.clone() {
            *seen.entry(name(value)).or_insert(0usize) += 1;
        }
        values
            .clone()
            .into_iter()
            .filter(|v| seen[&name(v)] > 1)
            .collect::<Vec<_>>()
    };
    if collisions(&pascal).is_empty() {
        return Vec::new();
    }
    collisions(&|v: &str| pascal(&v.replace(|c: char| c == '_' || !is_xid_continue(c), "X")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_typify() {
        for (raw, want) in [
            ("ALARM", "Alarm"),
            ("alarm", "Alarm"),
            ("in-progress", "InProgress"),
            ("2xx", "X2xx"),
            ("", "X"),
            ("+1", "Plus1"),
        ] {
            assert_eq!(pascal(raw), want, "{raw}");
        }
    }

    #[test]
    fn values_of_one_variant_name_are_found() {
        assert_eq!(
            colliding_variants(["ALARM", "alarm", "ok"]),
            ["ALARM", "alarm"]
        );
        // typify's second try tells these apart (`AX` and `A`).
        assert!(colliding_variants(["a_", "a"]).is_empty());
        assert!(colliding_variants(["a", "b"]).is_empty());
    }
}
