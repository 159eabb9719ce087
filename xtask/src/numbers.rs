//! Numbers step: a query parameter the spec types `number` is sent as an
//! integer when its value is whole (`page=2`, not `page=2.0`).
//!
//! typify maps `number` to `f64`, and progenitor serializes an `f64` query
//! value with serde, which writes `2.0`. The vendors' SDKs send `2` (a
//! JavaScript or Python number prints that way), and an API that parses the
//! parameter as an integer refuses `2.0`; Cloudflare types `page` and
//! `per_page` as `number`. So each `QueryParam::new("name", &x)` whose `x` is
//! an `f64` (or `Option<f64>`) argument sends it through
//! `openapi_client_runtime::rewire::WholeNumber`, which serializes whole
//! values as integers and other values unchanged.

use syn::visit_mut::VisitMut;
use syn::{Expr, Type};

use crate::progenitor_output;

/// Applies the change to every operation method of the generated client.
pub fn whole_numbers(file: &mut syn::File) {
    for f in progenitor_output::client_methods_mut(file) {
        let floats = float_arguments(&f.sig);
        if !floats.is_empty() {
            QueryFloats { floats: &floats }.visit_block_mut(&mut f.block);
        }
    }
}

/// The arguments typed `f64`/`f32`, and whether each is an `Option`.
fn float_arguments(sig: &syn::Signature) -> Vec<(syn::Ident, bool)> {
    progenitor_output::named_arguments(sig)
        .filter_map(|(ident, ty)| match progenitor_output::option_inner(ty) {
            Some(inner) if is_float(inner) => Some((ident.clone(), true)),
            None if is_float(ty) => Some((ident.clone(), false)),
            _ => None,
        })
        .collect()
}

fn is_float(ty: &Type) -> bool {
    matches!(ty, Type::Path(p) if p.path.is_ident("f64") || p.path.is_ident("f32"))
}

struct QueryFloats<'a> {
    floats: &'a [(syn::Ident, bool)],
}

impl VisitMut for QueryFloats<'_> {
    fn visit_expr_call_mut(&mut self, call: &mut syn::ExprCall) {
        syn::visit_mut::visit_expr_call_mut(self, call);
        let Some((_, arg)) = progenitor_output::query_param(call) else {
            return;
        };
        let Some((ident, optional)) = self.floats.iter().find(|(ident, _)| *ident == arg) else {
            return;
        };
        let Expr::Reference(value) = &mut call.args[1] else {
            return;
        };
        *value.expr = if *optional {
            syn::parse_quote!(#ident.map(::openapi_client_runtime::rewire::WholeNumber::from))
        } else {
            syn::parse_quote!(::openapi_client_runtime::rewire::WholeNumber::from(#ident))
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    #[test]
    fn float_query_values_go_through_whole_number() {
        let mut file: syn::File = syn::parse2(quote! {
            impl Client {
                pub async fn list<'a>(&'a self, page: Option<f64>, ratio: f64, limit: Option<i64>, name: Option<&'a str>) -> Result<(), ()> {
                    let request = self.client.get(url)
                        .query(&progenitor_client::QueryParam::new("page", &page))
                        .query(&progenitor_client::QueryParam::new("ratio", &ratio))
                        .query(&progenitor_client::QueryParam::new("limit", &limit))
                        .query(&progenitor_client::QueryParam::new("name", &name));
                    Ok(())
                }
            }
        })
        .unwrap();
        whole_numbers(&mut file);
        let text = prettyplease::unparse(&file)
            .split_whitespace()
            .collect::<String>()
            .replace(",)", ")");
        assert!(
            text.contains("QueryParam::new(\"page\",&page.map(::openapi_client_runtime::rewire::WholeNumber::from))"),
            "{text}"
        );
        assert!(
            text.contains("QueryParam::new(\"ratio\",&::openapi_client_runtime::rewire::WholeNumber::from(ratio))"),
            "{text}"
        );
        assert!(text.contains("QueryParam::new(\"limit\",&limit)"), "{text}");
        assert!(text.contains("QueryParam::new(\"name\",&name)"), "{text}");
    }
}
