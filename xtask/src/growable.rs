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
//! - an enum reachable from a response (a string enum, or a `oneOf`/`anyOf`
//!   union) ends in `Unknown(openapi_client_runtime::UnknownValue)`, tried
//!   after every declared variant (`#[serde(untagged)]`): a value or branch the
//!   vendor adds later decodes there, in clients already deployed, instead of
//!   failing the call. Its `Display` shows the raw value; `FromStr` still takes
//!   only declared values, and a caller cannot make an `UnknownValue`, so
//!   requests carry declared values. Such an enum is no longer `Copy`.
//!   Enums only requests use stay closed: nothing decodes them.
//!
//! Response types are still built by deserializing, which is also how the
//! `mock` feature's users make them (`serde_json::from_value`). Tuple structs
//! (typify's newtypes) keep their shape: they wrap one value and do not grow.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::{Fields, Item};

use std::collections::{BTreeMap, BTreeSet};

use crate::progenitor_output;

/// Applies these changes to the `types` module of `generated`.
pub fn growable(generated: &mut syn::File) {
    let mentions = mentions(generated);
    let methods: Vec<syn::Signature> = progenitor_output::client_methods(generated)
        .map(|f| f.sig.clone())
        .collect();
    let inputs = reach(
        &mentions,
        methods
            .iter()
            .flat_map(progenitor_output::named_arguments)
            .flat_map(|(_, ty)| idents(quote!(#ty))),
    );
    let outputs = reach(
        &mentions,
        methods.iter().flat_map(|sig| {
            let output = &sig.output;
            idents(quote!(#output))
        }),
    );
    let Some(items) = progenitor_output::types_module_mut(generated) else {
        return;
    };
    let mut constructors = Vec::new();
    let mut opened = BTreeMap::new();
    for item in items.iter_mut() {
        match item {
            Item::Struct(s) if matches!(s.fields, Fields::Named(_)) => {
                mark(&mut s.attrs);
                if inputs.contains(&s.ident.to_string()) {
                    constructors.push(constructor(s));
                }
            }
            Item::Enum(e) => {
                mark(&mut e.attrs);
                if outputs.contains(&e.ident.to_string()) {
                    opened.insert(e.ident.to_string(), open(e));
                }
            }
            _ => {}
        }
    }
    for item in items.iter_mut() {
        if let Item::Impl(block) = item
            && let syn::Type::Path(ty) = &*block.self_ty
            && let Some(variant) = ty
                .path
                .get_ident()
                .and_then(|name| opened.get(&name.to_string()))
        {
            display_unknown(block, variant);
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

/// Adds the catch-all variant to the response enum `e` and returns its name:
/// `Unknown`, unless the vendor's values already took it.
fn open(e: &mut syn::ItemEnum) -> syn::Ident {
    let taken: BTreeSet<String> = e.variants.iter().map(|v| v.ident.to_string()).collect();
    let name = ["Unknown", "UnknownValue"]
        .into_iter()
        .map(String::from)
        .chain((2..).map(|n| format!("Unknown{n}")))
        .find(|name| !taken.contains(name))
        .map(|name| format_ident!("{name}"))
        .expect("an unbounded list has a free name");
    // Serde tries untagged variants last; in an enum that is untagged as a
    // whole, the last variant is tried last anyway.
    let untagged = e.attrs.iter().any(|a| {
        let mut found = false;
        if a.path().is_ident("serde") {
            // Other keys (`rename = "…"`) carry values, skipped unread.
            let _ = a.parse_nested_meta(|meta| {
                found |= meta.path.is_ident("untagged");
                if meta.input.peek(syn::Token![=]) {
                    meta.value()?.parse::<syn::Expr>()?;
                }
                Ok(())
            });
        }
        found
    });
    let attr = (!untagged).then(|| quote!(#[serde(untagged)]));
    e.variants.push(syn::parse_quote! {
        /// A value this version of the client does not know: the vendor added
        /// it after the client was generated. Holds the value as sent.
        #attr
        #name(::openapi_client_runtime::UnknownValue)
    });
    // A `String` inside: the variant cannot be `Copy`.
    for attr in &mut e.attrs {
        if !attr.path().is_ident("derive") {
            continue;
        }
        if let Ok(paths) = attr.parse_args_with(
            syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated,
        ) {
            let kept = paths.into_iter().filter(|p| !p.is_ident("Copy"));
            *attr = syn::parse_quote!(#[derive(#(#kept),*)]);
        }
    }
    name
}

/// typify's `Display` of an enum matches every variant: give the catch-all
/// its arm, showing the raw value.
fn display_unknown(block: &mut syn::ItemImpl, variant: &syn::Ident) {
    let is_display = block
        .trait_
        .as_ref()
        .and_then(|(_, path, _)| path.segments.last())
        .is_some_and(|s| s.ident == "Display");
    if !is_display {
        return;
    }
    for item in &mut block.items {
        let syn::ImplItem::Fn(f) = item else {
            continue;
        };
        for stmt in &mut f.block.stmts {
            let syn::Stmt::Expr(syn::Expr::Match(m), _) = stmt else {
                continue;
            };
            // `match *self` binds by value unless told; `match self` binds by
            // reference already, and edition 2024 refuses a `ref` there.
            let arm: syn::Arm = if matches!(&*m.expr, syn::Expr::Unary(_)) {
                syn::parse_quote!(Self::#variant(ref value) => ::std::fmt::Display::fmt(value, f),)
            } else {
                syn::parse_quote!(Self::#variant(value) => ::std::fmt::Display::fmt(value, f),)
            };
            m.arms.push(arm);
        }
    }
}

/// Each type's name in `types` → the local names its fields, variants or
/// alias mention.
fn mentions(generated: &syn::File) -> BTreeMap<String, BTreeSet<String>> {
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
    mentions
}

/// The types of `types` that `roots` name, and whatever those contain: from
/// the methods' arguments, the types callers build; from their results, the
/// types responses decode into.
fn reach(
    mentions: &BTreeMap<String, BTreeSet<String>>,
    roots: impl IntoIterator<Item = String>,
) -> BTreeSet<String> {
    let mut reached = BTreeSet::new();
    let mut queue: Vec<String> = roots.into_iter().collect();
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

    #[test]
    fn response_enums_gain_a_catch_all_and_request_enums_stay_closed() {
        let mut file: syn::File = syn::parse_quote! {
            pub mod types {
                #[derive(::serde::Deserialize, ::serde::Serialize, Clone, Copy, Debug)]
                pub enum Status { #[serde(rename = "active")] Active, #[serde(rename = "unknown")] Unknown }
                impl ::std::fmt::Display for Status {
                    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        match *self {
                            Self::Active => f.write_str("active"),
                            Self::Unknown => f.write_str("unknown"),
                        }
                    }
                }
                #[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
                #[serde(untagged)]
                pub enum Source { S3(S3), Url(::std::string::String) }
                impl ::std::fmt::Display for Source {
                    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        match self {
                            Self::S3(x) => x.fmt(f),
                            Self::Url(x) => x.fmt(f),
                        }
                    }
                }
                #[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
                #[serde(tag = "kind", rename = "untagged")]
                pub enum Event { #[serde(rename = "a")] A { id: i64 } }
                pub struct Thing { pub status: Status, pub sources: Vec<Source>, pub event: Event }
                #[derive(Clone, Copy)]
                pub enum Order { Asc, Desc }
            }
            impl Client {
                pub async fn get<'a>(&'a self, order: Order) -> Result<ResponseValue<types::Thing>, Error<()>> {
                    todo!()
                }
            }
        };
        growable(&mut file);
        let text: String = prettyplease::unparse(&file)
            .split_whitespace()
            .collect::<String>();
        // The vendor's own `unknown` value keeps its name; the catch-all takes
        // the next free one, and its `Display` arm binds by `ref` under `*self`.
        assert!(
            text.contains(
                "#[serde(untagged)]UnknownValue(::openapi_client_runtime::UnknownValue),}"
            ),
            "{text}"
        );
        assert!(
            text.contains("Self::UnknownValue(refvalue)=>::std::fmt::Display::fmt(value,f),"),
            "{text}"
        );
        assert!(
            text.contains("#[derive(::serde::Deserialize,::serde::Serialize,Clone,Debug)]#[non_exhaustive]pubenumStatus"),
            "{text}"
        );
        // Untagged as a whole: the last variant needs no attribute of its own.
        assert!(text.contains("Url(::std::string::String),///"), "{text}");
        assert!(
            text.contains("Unknown(::openapi_client_runtime::UnknownValue),}"),
            "{text}"
        );
        assert!(
            text.contains("Self::Unknown(value)=>::std::fmt::Display::fmt(value,f),"),
            "{text}"
        );
        // A `rename` that merely says "untagged" does not make an enum untagged.
        assert!(text.contains("A{id:i64},///"), "{text}");
        assert_eq!(
            text.matches("#[serde(untagged)]Unknown(").count(),
            1,
            "{text}"
        );
        // Only a request names `Order`: nothing decodes it, it stays closed.
        assert!(
            text.contains("#[derive(Clone,Copy)]#[non_exhaustive]pubenumOrder{Asc,Desc,}"),
            "{text}"
        );
    }
}
