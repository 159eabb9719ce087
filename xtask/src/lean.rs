//! Lean step: two per-call costs taken out of progenitor's client methods,
//! with no change to the request they build.
//!
//! Measured against plain `reqwest` (`cargo xtask bench client`, instruction
//! counts under callgrind), each generated call paid for work whose result
//! never reaches the wire:
//!
//! - progenitor adds the spec's `info.version` as an `api-version` header,
//!   which the vendors' SDKs do not send and the runtime therefore removed
//!   again: a header map allocated, copied into the request and searched, per
//!   call. The `append` is dropped here, and the map's capacity with it (a map
//!   of capacity 0 allocates nothing).
//! - an integer path parameter is formatted to a `String` and then
//!   percent-encoded into another: the digits (and `-`) of an integer are all
//!   unreserved, so `encode_path(&id.to_string())` becomes `id`, formatted
//!   once by the method's `format!`.
//!
//! The wire tests (`tests/tests/wire.rs`) snapshot each provider's full
//! request, so a change here that reached the wire would fail them.

use quote::ToTokens;
use syn::visit_mut::VisitMut;
use syn::{Expr, Pat, Stmt};

use crate::progenitor_output;

/// Applies both changes to every operation method of the generated client.
pub fn lean(file: &mut syn::File) {
    for f in progenitor_output::client_methods_mut(file) {
        let integers = integer_arguments(&f.sig);
        drop_api_version(&mut f.block);
        PathIntegers {
            integers: &integers,
        }
        .visit_block_mut(&mut f.block);
    }
}

/// The arguments of an integer type.
fn integer_arguments(sig: &syn::Signature) -> Vec<String> {
    progenitor_output::named_arguments(sig)
        .filter(|(_, ty)| progenitor_output::is_integer(ty))
        .map(|(ident, _)| ident.to_string())
        .collect()
}

/// Removes `header_map.append(.."api-version"..)` and shrinks the map's
/// `with_capacity(N)` by the appends removed.
fn drop_api_version(block: &mut syn::Block) {
    let before = block.stmts.len();
    block.stmts.retain(|stmt| {
        let Stmt::Expr(Expr::MethodCall(call), _) = stmt else {
            return true;
        };
        let on_header_map =
            matches!(call.receiver.as_ref(), Expr::Path(p) if p.path.is_ident("header_map"));
        let names_api_version = call.args.first().is_some_and(|arg| {
            arg.to_token_stream()
                .to_string()
                .contains("\"api-version\"")
        });
        !(call.method == "append" && on_header_map && names_api_version)
    });
    let removed = before - block.stmts.len();
    if removed == 0 {
        return;
    }
    // Whether anything still adds to the map (an optional header parameter's
    // `append` sits inside an `if let`), which then stays `mut`.
    let still_appended = block
        .to_token_stream()
        .to_string()
        .contains("header_map . append");
    for stmt in &mut block.stmts {
        let Stmt::Local(local) = stmt else { continue };
        let is_map = matches!(&local.pat, Pat::Ident(id) if id.ident == "header_map");
        if is_map
            && !still_appended
            && let Pat::Ident(id) = &mut local.pat
        {
            id.mutability = None;
        }
        let Some(init) = local.init.as_mut().filter(|_| is_map) else {
            continue;
        };
        let Expr::Call(call) = init.expr.as_mut() else {
            continue;
        };
        let Some(Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(n),
            ..
        })) = call.args.first()
        else {
            continue;
        };
        let Ok(capacity) = n.base10_parse::<usize>() else {
            continue;
        };
        let capacity = capacity.saturating_sub(removed);
        call.args[0] = syn::parse_quote!(#capacity);
    }
}

/// Replaces `encode_path(&x.to_string())` by `x` for integer arguments `x`.
struct PathIntegers<'a> {
    integers: &'a [String],
}

impl VisitMut for PathIntegers<'_> {
    fn visit_macro_mut(&mut self, mac: &mut syn::Macro) {
        // `format!`'s arguments are tokens to syn: parse, rewrite, print back.
        if !mac.path.is_ident("format") {
            return;
        }
        let Ok(args) = mac
            .parse_body_with(syn::punctuated::Punctuated::<Expr, syn::Token![,]>::parse_terminated)
        else {
            return;
        };
        let mut args = args;
        for arg in args.iter_mut() {
            if let Some(ident) = self.encoded_integer(arg) {
                *arg = syn::parse_quote!(#ident);
            }
        }
        mac.tokens = args.to_token_stream();
    }

    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        if let Some(ident) = self.encoded_integer(expr) {
            *expr = syn::parse_quote!(#ident);
            return;
        }
        syn::visit_mut::visit_expr_mut(self, expr);
    }
}

impl PathIntegers<'_> {
    /// `x` when `expr` is `encode_path(&x.to_string())` and `x` is an integer.
    fn encoded_integer(&self, expr: &Expr) -> Option<syn::Ident> {
        let Expr::Call(call) = expr else { return None };
        let Expr::Path(f) = call.func.as_ref() else {
            return None;
        };
        if !f.path.is_ident("encode_path") || call.args.len() != 1 {
            return None;
        }
        let Expr::Reference(reference) = &call.args[0] else {
            return None;
        };
        let Expr::MethodCall(to_string) = reference.expr.as_ref() else {
            return None;
        };
        if to_string.method != "to_string" || !to_string.args.is_empty() {
            return None;
        }
        let Expr::Path(receiver) = to_string.receiver.as_ref() else {
            return None;
        };
        let ident = receiver.path.get_ident()?;
        self.integers
            .iter()
            .any(|i| ident == i)
            .then(|| ident.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proc_macro2::TokenStream;
    use quote::quote;

    fn leaned(file: TokenStream) -> String {
        let mut file: syn::File = syn::parse2(file).expect("valid Rust");
        lean(&mut file);
        prettyplease::unparse(&file)
    }

    #[test]
    fn integer_path_parameters_and_api_version_go() {
        let text = leaned(quote! {
            impl Client {
                pub async fn op<'a>(&'a self, client_id: i64, name: &'a str) -> Result<(), ()> {
                    let url = format!("{}/c/{}/n/{}", self.baseurl, encode_path(&client_id.to_string()), encode_path(&name.to_string()),);
                    let mut header_map = ::reqwest::header::HeaderMap::with_capacity(2usize);
                    header_map.append(
                        ::reqwest::header::HeaderName::from_static("api-version"),
                        ::reqwest::header::HeaderValue::from_static(Self::api_version()),
                    );
                    if let Some(value) = mine {
                        header_map.append("x-mine", value);
                    }
                    Ok(())
                }
            }
        });
        assert!(
            text.contains("self.baseurl, client_id, encode_path(& name.to_string())"),
            "{text}"
        );
        assert!(!text.contains("api-version"), "{text}");
        assert!(text.contains("HeaderMap::with_capacity(1usize)"), "{text}");
        assert!(
            text.contains("header_map.append(\"x-mine\", value)"),
            "{text}"
        );
    }
}
