//! Statuses step: a response status the document names beats its class.
//!
//! progenitor matches a response's status with one arm per documented status,
//! in the order of its own sort key, which gives a class (`2XX`) the value of
//! its first code: `2XX` sorts with `200`, before `202`. An operation that
//! declares `200`, `202` and `2XX` (or a status without a reason phrase, which
//! the generate step reads as its class: Linode's `299`) got the arm
//! `200..=299` before `202u16`, so the `202` arm could never run and the
//! crate compiled with an `unreachable pattern` warning. OpenAPI says the
//! named code wins over its range; in such a match this step puts the literal
//! arms first, then the range arms, then the rest, each group in its order.

use syn::visit_mut::VisitMut;

/// Reorders the arms of every `match` in `file` whose range arms hide literal
/// arms after them.
pub fn named_before_ranges(file: &mut syn::File) {
    Statuses.visit_file_mut(file);
}

struct Statuses;

fn is_range(arm: &syn::Arm) -> bool {
    matches!(arm.pat, syn::Pat::Range(_))
}

fn is_literal(arm: &syn::Arm) -> bool {
    matches!(&arm.pat, syn::Pat::Lit(lit) if matches!(lit.lit, syn::Lit::Int(_)))
}

impl VisitMut for Statuses {
    fn visit_expr_match_mut(&mut self, expr: &mut syn::ExprMatch) {
        syn::visit_mut::visit_expr_match_mut(self, expr);
        let Some(first_range) = expr.arms.iter().position(is_range) else {
            return;
        };
        if !expr.arms[first_range..].iter().any(is_literal) {
            return;
        }
        // Literals first, then ranges, then the rest (`_`), each in its order.
        let arms = std::mem::take(&mut expr.arms);
        let (literals, others): (Vec<_>, Vec<_>) = arms.into_iter().partition(is_literal);
        let (ranges, rest): (Vec<_>, Vec<_>) = others.into_iter().partition(is_range);
        expr.arms = literals.into_iter().chain(ranges).chain(rest).collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::ToTokens;

    fn rewritten(code: &str) -> String {
        let mut file: syn::File = syn::parse_str(code).unwrap();
        named_before_ranges(&mut file);
        file.into_token_stream().to_string()
    }

    #[test]
    fn a_named_status_goes_before_its_class() {
        let out = rewritten(
            "fn f() { match s { 200..=299 => a(), 202u16 => b(), 404u16 => c(), _ => d() } }",
        );
        let expected = rewritten(
            "fn f() { match s { 202u16 => b(), 404u16 => c(), 200..=299 => a(), _ => d() } }",
        );
        assert_eq!(out, expected);
    }

    #[test]
    fn matches_without_a_hidden_literal_stay() {
        for code in [
            "fn f() { match s { 200u16 => a(), 200..=299 => b(), _ => d() } }",
            "fn f() { match s { 200..=299 => a(), _ => d() } }",
            "fn f() { match s { 1 => a(), 2 => b(), _ => d() } }",
        ] {
            let original = syn::parse_str::<syn::File>(code)
                .unwrap()
                .into_token_stream()
                .to_string();
            assert_eq!(rewritten(code), original);
        }
    }
}
