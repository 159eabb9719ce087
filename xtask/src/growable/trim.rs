//! Trim step: `serde::Deserialize` only where something decodes.
//!
//! typify derives `Deserialize` on every type. In a large crate that derive
//! is most of what the types cost to compile: in the crate generated from
//! Cloudflare's 1,533-operation document, rustc's self-profile (its own
//! overhead included) put 60 of the 75 s spent type- and borrow-checking
//! serde's expansions in `Deserialize` (`visit_map` 28 s, `visit_seq` 13 s),
//! against 13 s for `Serialize` and 1.5 s for every `From`, `TryFrom`,
//! `FromStr` and `Default` impl together. Coherence proper (`coherent_trait`)
//! took 0.5 s: the 57 s `-Ztime-passes` shows as coherence is `check_type_wf`,
//! mostly the async methods' bodies type-checked for their opaque types.
//!
//! The client decodes responses only; a type that only requests reach (a
//! request body, a parameter, and what they contain) is serialized, never
//! decoded, so its `Deserialize` derive is removed: about 580 of Cloudflare's
//! 3,607 types. The `mock` feature builds responses with
//! `serde_json::from_value` and matches requests by serializing them, so it
//! needs nothing more.
//!
//! Measured (`cargo check`, features `mock,tracing`, rustc's user + system
//! CPU time, two runs each on two cores shared with other builds): 212 and
//! 175 s before, 182 and 191 s after. The run-to-run spread (±20 s) is larger
//! than what these 580 derives cost (about 16 % of the types, so some 5–10 s
//! of the profile's 60 s), so the gain is not shown here; what the profile
//! shows is that `Deserialize`, not coherence, is the types' cost.
//!
//! Kept: `Deserialize` on every type a response reaches, and on types no
//! operation reaches (a component such as a webhook payload, which callers may
//! decode themselves); `Serialize` everywhere (a caller may store a response);
//! hand-written impls (typify's constrained strings parse as they decode).

use std::collections::BTreeSet;

use syn::Item;

/// Removes `::serde::Deserialize` from the derives of the types in `items`
/// that `inputs` (types requests reach) holds and `outputs` (types responses
/// reach) does not. Returns how many types lost it.
pub(super) fn decode_only_responses(
    items: &mut [Item],
    inputs: &BTreeSet<String>,
    outputs: &BTreeSet<String>,
) -> usize {
    let mut trimmed = 0;
    for item in items.iter_mut() {
        let (name, attrs) = match item {
            Item::Struct(s) => (s.ident.to_string(), &mut s.attrs),
            Item::Enum(e) => (e.ident.to_string(), &mut e.attrs),
            _ => continue,
        };
        if !inputs.contains(&name) || outputs.contains(&name) {
            continue;
        }
        if drop_derive(attrs, "Deserialize") {
            trimmed += 1;
        }
    }
    trimmed
}

/// Removes the derive whose last path segment is `name` from `attrs`;
/// whether there was one. A derive list left empty goes too.
fn drop_derive(attrs: &mut Vec<syn::Attribute>, name: &str) -> bool {
    let mut dropped = false;
    attrs.retain_mut(|attr| {
        if !attr.path().is_ident("derive") {
            return true;
        }
        let Ok(paths) = attr.parse_args_with(
            syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated,
        ) else {
            return true;
        };
        let before = paths.len();
        let kept: Vec<syn::Path> = paths
            .into_iter()
            .filter(|p| p.segments.last().is_none_or(|s| s.ident != name))
            .collect();
        if kept.len() == before {
            return true;
        }
        dropped = true;
        if kept.is_empty() {
            return false;
        }
        *attr = syn::parse_quote!(#[derive(#(#kept),*)]);
        true
    });
    dropped
}

#[cfg(test)]
mod tests {
    use super::super::growable;

    fn derives_of(text: &str, name: &str) -> String {
        let at = text
            .find(&format!("pubstruct{name}"))
            .or_else(|| text.find(&format!("pubenum{name}")))
            .unwrap_or_else(|| panic!("{name} not in {text}"));
        let derive = text[..at].rfind("#[derive(").expect("a derive before it");
        text[derive..at].to_string()
    }

    #[test]
    fn only_types_a_response_reaches_derive_deserialize() {
        let mut file: syn::File = syn::parse_quote! {
            pub mod types {
                #[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
                pub struct NewThing {
                    pub name: ::std::string::String,
                    pub colour: Colour,
                    pub shared: Shared,
                }
                #[derive(::serde::Deserialize, ::serde::Serialize, Clone, Copy, Debug)]
                pub enum Colour { Red, Blue }
                #[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
                #[serde(transparent)]
                pub struct Shared(pub ::std::string::String);
                #[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
                pub struct Thing { pub id: i64, pub shared: Shared }
                #[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
                pub struct Webhook { pub id: i64 }
                #[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
                pub enum Order { Asc, Desc }
            }
            impl Client {
                pub async fn create<'a>(
                    &'a self,
                    order: Option<types::Order>,
                    body: &'a types::NewThing,
                ) -> Result<ResponseValue<types::Thing>, Error<()>> {
                    todo!()
                }
            }
        };
        growable(&mut file);
        let text: String = prettyplease::unparse(&file)
            .split_whitespace()
            .collect::<String>();
        // Only requests reach these: a body, what it holds, a parameter.
        for name in ["NewThing", "Colour", "Order"] {
            let derives = derives_of(&text, name);
            assert!(
                !derives.contains("Deserialize")
                    && derives.starts_with("#[derive(::serde::Serialize,Clone,"),
                "{name}: {text}"
            );
        }
        // A response reaches these (Shared through both); no operation reaches Webhook.
        for name in ["Thing", "Shared", "Webhook"] {
            assert!(
                derives_of(&text, name)
                    .starts_with("#[derive(::serde::Deserialize,::serde::Serialize,"),
                "{name}: {text}"
            );
        }
    }

    #[test]
    fn a_derive_list_left_empty_goes() {
        let mut attrs: Vec<syn::Attribute> = vec![
            syn::parse_quote!(#[derive(::serde::Deserialize)]),
            syn::parse_quote!(#[doc = "kept"]),
        ];
        assert!(super::drop_derive(&mut attrs, "Deserialize"));
        assert_eq!(attrs.len(), 1);
        assert!(!super::drop_derive(&mut attrs, "Deserialize"));
    }

    /// The change report sees the removal: the type's public item differs,
    /// which `generator_changes` reports as breaking (a major bump).
    #[test]
    fn the_surface_sees_a_removed_derive() {
        let before = prettyplease::unparse(&syn::parse_quote! {
            pub mod types {
                #[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
                pub struct NewThing { pub name: ::std::string::String }
            }
        });
        let mut items: Vec<syn::Item> = vec![syn::parse_quote! {
            #[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
            pub struct NewThing { pub name: ::std::string::String }
        }];
        let inputs = ["NewThing".to_string()].into_iter().collect();
        assert_eq!(
            super::decode_only_responses(&mut items, &inputs, &Default::default()),
            1
        );
        let after = prettyplease::unparse(&syn::parse_quote! { pub mod types { #(#items)* } });
        let surface = |contents: String| {
            crate::surface::Surface::of_files(&[crate::output::Rendered {
                path: "x/src/generated.rs".into(),
                contents,
            }])
        };
        let difference = surface(before).difference(&surface(after));
        assert_eq!(difference.changed, ["types::NewThing"]);
    }
}
