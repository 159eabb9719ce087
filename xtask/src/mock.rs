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
