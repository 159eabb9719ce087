//! Mock step: progenitor's `httpmock` extension, completed for the crate.
//!
//! The client's error responses are routed to the runtime (see
//! [`generate::route_errors_to_runtime`](crate::generate::route_errors_to_runtime)),
//! so progenitor only knows the success responses. Downstream tests mostly want
//! the failures ("answer 404"), so each operation's `Then` also gets `status`
//! and `error` helpers; the module re-exports `httpmock` so that users build
//! against the version the generated code was written for.

use anyhow::Result;
use proc_macro2::TokenStream;
use quote::quote;
use syn::{Item, Type};

/// Wraps progenitor's mock tokens into the crate's `mock` module.
///
/// The tokens are parsed once and the additions spliced into that tree: a
/// thousand-operation mock module takes longer to parse than to generate.
pub fn mock(generated: TokenStream) -> Result<syn::File> {
    let mut file: syn::File = syn::parse2(generated)?;
    match_query_values_as_sent(&mut file)?;
    serialize_optional_bodies(&mut file)?;
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

/// A `Then` setter whose body is optional (a response that may have no body,
/// see [`lower`](crate::lower)) takes `Option<&T>`, which progenitor passes to
/// `json_body_obj` as if it were a reference.
fn serialize_optional_bodies(file: &mut syn::File) -> Result<()> {
    use syn::visit_mut::VisitMut;
    for f in setters(file) {
        if !squeezed(&f.sig.inputs).contains("value:Option<") {
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

#[cfg(test)]
mod tests {
    use super::*;

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
