//! Growable step: the generated types can gain what vendors add without
//! breaking the code that uses them.
//!
//! typify writes structs with `pub` fields and exhaustive enums, so a field or
//! an enum value the vendor adds breaks every struct literal and every `match`
//! downstream. Here, in the `types` module of progenitor's output:
//!
//! - every struct with named fields and every enum is `#[non_exhaustive]`:
//!   callers read fields and match with a wildcard arm, so new ones compile;
//! - a struct the caller builds (reachable from an operation's arguments: a
//!   request body, or a parameter) gets `new`, taking its required fields in
//!   declaration order, and a setter per other field, since a struct literal
//!   is no longer possible outside the crate. A new optional field is then a
//!   new setter; a new required field changes `new`, as it should.
//!
//! Response types are still built by deserializing, which is also how the
//! `mock` feature's users make them (`serde_json::from_value`). Tuple structs
//! (typify's newtypes) keep their shape: they wrap one value and do not grow.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::{Fields, Item};

use std::collections::{BTreeMap, BTreeSet};

use crate::progenitor_output;

/// Applies both changes to the `types` module of `generated`.
pub fn growable(generated: &mut syn::File) {
    let inputs = input_types(generated);
    let Some(items) = progenitor_output::types_module_mut(generated) else {
        return;
    };
    let mut constructors = Vec::new();
    for item in items.iter_mut() {
        match item {
            Item::Struct(s) if matches!(s.fields, Fields::Named(_)) => {
                mark(&mut s.attrs);
                if inputs.contains(&s.ident.to_string()) {
                    constructors.push(constructor(s));
                }
            }
            Item::Enum(e) => mark(&mut e.attrs),
            _ => {}
        }
    }
    items.extend(
        constructors
            .into_iter()
            .map(|tokens| syn::parse2(tokens).expect("generated constructors parse")),
    );
}

fn mark(attrs: &mut Vec<syn::Attribute>) {
    if !attrs.iter().any(|a| a.path().is_ident("non_exhaustive")) {
        attrs.push(syn::parse_quote!(#[non_exhaustive]));
    }
}

/// The types of `types` that callers build: named in an operation method's
/// arguments, and whatever those contain.
fn input_types(generated: &syn::File) -> BTreeSet<String> {
    let items = progenitor_output::types_module(generated);
    // Each type's name → the local names its fields, variants or alias mention.
    let mut mentions: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for item in items {
        let (name, tokens) = match item {
            Item::Struct(s) => (s.ident.to_string(), fields_tokens(&s.fields)),
            Item::Enum(e) => (
                e.ident.to_string(),
                e.variants
                    .iter()
                    .map(|v| fields_tokens(&v.fields))
                    .collect(),
            ),
            Item::Type(t) => (t.ident.to_string(), {
                let ty = &t.ty;
                quote!(#ty)
            }),
            _ => continue,
        };
        mentions.insert(name, idents(tokens));
    }
    let mut reached = BTreeSet::new();
    let mut queue: Vec<String> = progenitor_output::client_methods(generated)
        .flat_map(|f| progenitor_output::named_arguments(&f.sig))
        .flat_map(|(_, ty)| idents(quote!(#ty)))
        .collect();
    while let Some(name) = queue.pop() {
        let Some(mentioned) = mentions.get(&name) else {
            continue;
        };
        if reached.insert(name) {
            queue.extend(mentioned.iter().cloned());
        }
    }
    reached
}

fn fields_tokens(fields: &Fields) -> TokenStream {
    let types = fields.iter().map(|f| &f.ty);
    quote!(#(#types)*)
}

/// Every identifier in `tokens`.
fn idents(tokens: TokenStream) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for token in tokens {
        match token {
            proc_macro2::TokenTree::Ident(i) => {
                found.insert(i.to_string());
            }
            proc_macro2::TokenTree::Group(g) => found.extend(idents(g.stream())),
            _ => {}
        }
    }
    found
}

/// Whether serde fills the field when it is absent, and with what.
fn default_of(field: &syn::Field) -> Option<TokenStream> {
    if progenitor_output::option_inner(&field.ty).is_some() {
        return Some(quote!(None));
    }
    // `default = "path"` names a function; a value that is no string is not
    // serde's, and the field is then taken as required.
    progenitor_output::serde_args(field)
        .into_iter()
        .find(|(key, _)| key == "default")
        .and_then(|(_, value)| match value {
            None => Some(quote!(::std::default::Default::default())),
            Some(value) => {
                let path: syn::ExprPath =
                    syn::parse_str(&progenitor_output::literal_text(&value)?).ok()?;
                Some(quote!(#path()))
            }
        })
}

/// `new` with the required fields and a setter per other field.
fn constructor(s: &syn::ItemStruct) -> TokenStream {
    let name = &s.ident;
    let (impl_generics, type_generics, where_clause) = s.generics.split_for_impl();
    let mut required = Vec::new();
    let mut initial = Vec::new();
    let mut setters = Vec::new();
    for field in &s.fields {
        let Some(ident) = &field.ident else { continue };
        let ty = &field.ty;
        match default_of(field) {
            None => {
                required.push(quote!(#ident: #ty));
                initial.push(quote!(#ident));
            }
            Some(default) => {
                initial.push(quote!(#ident: #default));
                let plain = ident.to_string();
                let plain = plain.trim_start_matches("r#");
                let setter = if plain == "new" {
                    format_ident!("set_new")
                } else {
                    ident.clone()
                };
                let doc = format!("Sets `{plain}`.");
                let (value_ty, value) = match progenitor_output::option_inner(ty) {
                    Some(inner) => (quote!(#inner), quote!(Some(value))),
                    None => (quote!(#ty), quote!(value)),
                };
                setters.push(quote! {
                    #[doc = #doc]
                    #[must_use]
                    pub fn #setter(mut self, value: #value_ty) -> Self {
                        self.#ident = #value;
                        self
                    }
                });
            }
        }
    }
    let doc = format!(
        "A `{name}` from its required fields; set the others with the methods named after them."
    );
    quote! {
        impl #impl_generics #name #type_generics #where_clause {
            #[doc = #doc]
            #[allow(clippy::too_many_arguments, clippy::new_without_default)]
            pub fn new(#(#required),*) -> Self {
                Self { #(#initial),* }
            }
            #(#setters)*
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_structs_get_new_and_setters_and_every_type_is_non_exhaustive() {
        let mut file: syn::File = syn::parse_quote! {
            pub mod types {
                pub struct NewThing {
                    pub name: ::std::string::String,
                    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
                    pub colour: ::std::option::Option<Colour>,
                    #[serde(default, skip_serializing_if = "::std::vec::Vec::is_empty")]
                    pub tags: ::std::vec::Vec<::std::string::String>,
                    #[serde(default = "defaults::default_u64::<i64, 5>")]
                    pub size: i64,
                }
                pub enum Colour { Red, Blue }
                pub struct Thing { pub id: i64 }
                pub struct Id(::std::string::String);
            }
            impl Client {
                pub async fn create<'a>(&'a self, body: &'a types::NewThing) -> Result<ResponseValue<types::Thing>, Error<()>> {
                    todo!()
                }
            }
        };
        growable(&mut file);
        let text: String = prettyplease::unparse(&file)
            .split_whitespace()
            .collect::<String>();
        assert!(
            text.contains("#[non_exhaustive]pubstructNewThing"),
            "{text}"
        );
        assert!(text.contains("#[non_exhaustive]pubenumColour"), "{text}");
        assert!(text.contains("#[non_exhaustive]pubstructThing"), "{text}");
        assert!(text.contains("pubstructId("), "{text}");
        assert!(text.contains(
            "pubfnnew(name:::std::string::String)->Self{Self{name,colour:None,tags:::std::default::Default::default(),size:defaults::default_u64::<i64,5>(),}}"
        ), "{text}");
        assert!(
            text.contains("pubfncolour(mutself,value:Colour)->Self{self.colour=Some(value);self}"),
            "{text}"
        );
        assert!(
            text.contains("pubfntags(mutself,value:::std::vec::Vec<::std::string::String>)->Self"),
            "{text}"
        );
        // A response type is read, not built: no constructor.
        assert!(!text.contains("implThing"), "{text}");
    }
}
