//! Mock step: progenitor's `httpmock` extension, completed for the crate.
//!
//! The client's error responses are routed to the runtime (see
//! [`generate::route_errors_to_runtime`](crate::generate::route_errors_to_runtime)),
//! so progenitor only knows the success responses. Downstream tests mostly want
//! the failures ("answer 404"), so each operation's `Then` also gets `status`
//! and `error` helpers; the module re-exports `httpmock` so that users build
//! against the version the generated code was written for.

use std::collections::BTreeMap;

use anyhow::Result;
use proc_macro2::TokenStream;
use quote::quote;
use syn::{Item, Type};

/// Wraps progenitor's mock tokens into the crate's `mock` module.
///
/// The tokens are parsed once and the additions spliced into that tree: a
/// thousand-operation mock module takes longer to parse than to generate.
pub fn mock(
    generated: TokenStream,
    styles: &BTreeMap<String, Vec<crate::lower::Styled>>,
) -> Result<syn::File> {
    let mut file: syn::File = syn::parse2(generated)?;
    crate::styles::mock_queries(&mut file, styles);
    match_query_values_as_sent(&mut file)?;
    pass_bodies_by_reference(&mut file)?;
    match_repeated_path_variables(&mut file);
    let thens: Vec<syn::Ident> = file
        .items
        .iter()
        .filter_map(|item| match item {
            Item::Mod(m) if m.ident == "operations" => m.content.as_ref(),
            _ => None,
        })
        .flat_map(|(_, items)| items)
        .filter_map(|item| match item {
            Item::Struct(s) if s.ident.to_string().ends_with("Then") && is_then(&s.fields) => {
                Some(s.ident.clone())
            }
            _ => None,
        })
        .collect();
    let additions: syn::File = syn::parse2(quote! {
        //! A typed mock server for this crate's operations (the `mock` feature).
        //!
        //! [`MockServerExt`] adds one method per operation to
        //! [`httpmock::MockServer`]: the `when` side takes the operation's
        //! parameters with their types, the `then` side its responses. Point a
        //! [`Client`](crate::Client) at [`MockServer::base_url`] and run your own
        //! code against it.

        pub use ::httpmock;
        pub use ::httpmock::MockServer;

        #(
            impl operations::#thens {
                /// Answers with `status` and no body.
                pub fn status(self, status: u16) -> Self {
                    Self::new(self.into_inner().status(status))
                }

                /// Answers with `status` and a JSON body, typically an error the
                /// client turns into its typed `Error`.
                pub fn error(self, status: u16, body: ::serde_json::Value) -> Self {
                    Self::new(
                        self.into_inner()
                            .status(status)
                            .header("content-type", "application/json")
                            .json_body(body),
                    )
                }
            }
        )*
    })?;
    file.attrs.splice(0..0, additions.attrs);
    let (reexports, impls): (Vec<Item>, Vec<Item>) = additions
        .items
        .into_iter()
        .partition(|item| matches!(item, Item::Use(_)));
    file.items.splice(0..0, reexports);
    file.items.extend(impls);
    Ok(file)
}

/// `struct XThen(::httpmock::Then);`
fn is_then(fields: &syn::Fields) -> bool {
    let syn::Fields::Unnamed(f) = fields else {
        return false;
    };
    f.unnamed.len() == 1
        && matches!(&f.unnamed[0].ty, Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Then"))
}

/// The `When`/`Then` setters of the operations module, for the fixes below.
fn setters(file: &mut syn::File) -> impl Iterator<Item = &mut syn::ImplItemFn> {
    file.items
        .iter_mut()
        .filter_map(|item| match item {
            Item::Mod(m) => m.content.as_mut().map(|(_, items)| items),
            _ => None,
        })
        .flatten()
        .filter_map(|item| match item {
            Item::Impl(block) => Some(&mut block.items),
            _ => None,
        })
        .flatten()
        .filter_map(|member| match member {
            syn::ImplItem::Fn(f) => Some(f),
            _ => None,
        })
}

/// Token text without spaces, for matching shapes whatever the spacing.
fn squeezed(tokens: impl quote::ToTokens) -> String {
    tokens.to_token_stream().to_string().replace(' ', "")
}

/// Rewrites every `recv.METHOD(args)` call in a block with `rewrite`.
struct Calls<'a> {
    method: &'a str,
    rewrite: &'a dyn Fn(&syn::ExprMethodCall) -> Option<syn::Expr>,
}

impl syn::visit_mut::VisitMut for Calls<'_> {
    fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
        syn::visit_mut::visit_expr_mut(self, expr);
        if let syn::Expr::MethodCall(call) = expr
            && call.method == self.method
            && let Some(new) = (self.rewrite)(call)
        {
            *expr = new;
        }
    }
}

/// progenitor's `When` setters match a query parameter on `value.to_string()`,
/// which does not compile for an array or for a type without `Display` (an
/// untagged union, an integer enum), and for a date gives other text than the
/// client sends. The client serializes query values with serde and repeats an
/// array's parameter once per element; the mock expects the same.
fn match_query_values_as_sent(file: &mut syn::File) -> Result<()> {
    use syn::visit_mut::VisitMut;
    let mut rewrote = false;
    for f in setters(file) {
        let array = squeezed(&f.sig.generics.where_clause).contains("::std::vec::Vec<");
        let rewrite = |call: &syn::ExprMethodCall| {
            let [name, value] = [call.args.first()?, call.args.get(1)?];
            if squeezed(value) != "value.to_string()" {
                return None;
            }
            let receiver = &call.receiver;
            Some(if array {
                syn::parse_quote! {
                    value.iter().fold(#receiver, |when, v| when.query_param(#name, query_text(v)))
                }
            } else {
                syn::parse_quote!(#receiver.query_param(#name, query_text(&value)))
            })
        };
        let before = squeezed(&f.block);
        Calls {
            method: "query_param",
            rewrite: &rewrite,
        }
        .visit_block_mut(&mut f.block);
        rewrote |= squeezed(&f.block) != before;
    }
    if rewrote {
        let helper: Item = syn::parse_quote! {
            /// A query value as the client sends it: serde's text for it.
            fn query_text<T: ::serde::Serialize + ?Sized>(value: &T) -> String {
                match ::serde_json::to_value(value) {
                    Ok(::serde_json::Value::String(text)) => text,
                    Ok(other) => other.to_string(),
                    Err(_) => String::new(),
                }
            }
        };
        for item in &mut file.items {
            if let Item::Mod(m) = item
                && m.ident == "operations"
                && let Some((_, items)) = m.content.as_mut()
            {
                items.push(helper);
                break;
            }
        }
    }
    Ok(())
}

/// `json_body_obj` takes a reference, and progenitor passes `value` as it
/// came. That is wrong for a body that may be absent (a response that may have
/// no body, see [`lower`](crate::lower)), taken as `Option<&T>`, and for a
/// `Copy` type (a unit enum, a `NonZeroU64`), taken by value.
fn pass_bodies_by_reference(file: &mut syn::File) -> Result<()> {
    use syn::visit_mut::VisitMut;
    for f in setters(file) {
        let inputs = squeezed(&f.sig.inputs);
        if inputs.contains("value:&") || !inputs.contains("value:") {
            continue;
        }
        let rewrite = |call: &syn::ExprMethodCall| {
            let value = call.args.first()?;
            if squeezed(value) != "value" {
                return None;
            }
            let receiver = &call.receiver;
            Some(syn::parse_quote!(#receiver.json_body_obj(&value)))
        };
        Calls {
            method: "json_body_obj",
            rewrite: &rewrite,
        }
        .visit_block_mut(&mut f.block);
    }
    Ok(())
}

/// A path that names one variable twice (Cloudflare's
/// `/accounts/{account_id}/…/accounts/{account_id}`) gets a matcher
/// `format!("^/accounts/{}/…/accounts/{}$", value)`: two placeholders, one
/// argument. Both places hold the same value, so both read the first argument.
fn match_repeated_path_variables(file: &mut syn::File) {
    use syn::visit_mut::VisitMut;
    struct Formats;
    impl VisitMut for Formats {
        fn visit_macro_mut(&mut self, mac: &mut syn::Macro) {
            if !mac.path.is_ident("format") {
                return;
            }
            let Ok(args) = mac.parse_body_with(
                syn::punctuated::Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated,
            ) else {
                return;
            };
            let mut args = args.into_iter();
            let Some(syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(template),
                ..
            })) = args.next()
            else {
                return;
            };
            let rest: Vec<syn::Expr> = args.collect();
            let text = template.value();
            if rest.len() != 1 || text.matches("{}").count() < 2 {
                return;
            }
            let template = syn::LitStr::new(&text.replace("{}", "{0}"), template.span());
            mac.tokens = quote!(#template, #(#rest),*);
        }
    }
    for f in setters(file) {
        Formats.visit_block_mut(&mut f.block);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_taken_by_value_or_optional_are_passed_by_reference() {
        let mut file: syn::File = syn::parse2(quote! {
            pub mod operations {
                impl GetThen {
                    pub fn ok(self, value: types::Mode) -> Self {
                        Self(self.0.status(200u16).json_body_obj(value))
                    }
                    pub fn maybe(self, value: Option<&types::Thing>) -> Self {
                        Self(self.0.status(200u16).json_body_obj(value))
                    }
                    pub fn other(self, value: &types::Thing) -> Self {
                        Self(self.0.status(201u16).json_body_obj(value))
                    }
                }
            }
        })
        .unwrap();
        pass_bodies_by_reference(&mut file).unwrap();
        let text = squeezed(&file);
        assert_eq!(text.matches("json_body_obj(&value)").count(), 2, "{text}");
        assert_eq!(text.matches("json_body_obj(value)").count(), 1, "{text}");
    }

    #[test]
    fn a_variable_named_twice_in_a_path_matches_one_value() {
        let mut file: syn::File = syn::parse2(quote! {
            pub mod operations {
                impl GetWhen {
                    pub fn account_id(self, value: &str) -> Self {
                        let re = regex::Regex::new(
                            &format!("^/accounts/{}/maps/.*/accounts/{}$", value.to_string()),
                        )
                        .unwrap();
                        Self(self.0.path_matches(re))
                    }
                }
            }
        })
        .unwrap();
        match_repeated_path_variables(&mut file);
        let text = squeezed(&file);
        assert!(
            text.contains(r#"format!("^/accounts/{0}/maps/.*/accounts/{0}$",value.to_string())"#),
            "{text}"
        );
    }

    #[test]
    fn array_query_parameters_expect_each_element() {
        let mut file: syn::File = syn::parse2(quote! {
            pub mod operations {
                impl ListWhen {
                    pub fn ids<'a, T>(self, value: T) -> Self
                    where
                        T: Into<Option<&'a ::std::vec::Vec<u64>>>,
                    {
                        if let Some(value) = value.into() {
                            Self(self.0.query_param("ids", value.to_string()))
                        } else {
                            Self(self.0.query_param_missing("ids"))
                        }
                    }
                }
            }
        })
        .unwrap();
        match_query_values_as_sent(&mut file).unwrap();
        let text = squeezed(&file);
        assert!(
            text.contains(
                "value.iter().fold(self.0,|when,v|when.query_param(\"ids\",query_text(v)))"
            ) && text.contains("fnquery_text"),
            "{text}"
        );
    }
}
