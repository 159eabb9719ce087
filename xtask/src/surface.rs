//! The generated API as its public items, read from the generated code: what
//! the change report checks its spec-level verdict against.
//!
//! The report classifies spec changes by rules that predict the generator;
//! this module reads what the generator made. Both sides of a change are
//! rendered in memory, docs stripped, and each public item keyed by its path:
//! the `Client` methods (`Client::name`), the request builders and their
//! methods (`requests::Name`, `requests::Name::setter`) and the types
//! (`types::Name`). Then:
//!
//! - identical items mean no Rust item changed, whatever the spec says: the
//!   verdict is at most a patch (`anyOf` → `oneOf` over the same branches, a
//!   constraint typify does not express);
//! - an item that disappears (a method renamed because the vendor added
//!   `operationId`s, a type gone) breaks code that names it: major.
//!
//! A side that does not generate is said, not skipped.

use std::collections::BTreeMap;

use quote::ToTokens;
use syn::{ImplItem, Item};

use crate::output::Rendered;
use crate::pipeline::Output;

/// Each public item's path and its tokens, docs left out.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Surface(BTreeMap<String, String>);

/// What differs between two surfaces, by item path.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Difference {
    /// Items only the old side has.
    pub removed: Vec<String>,
    /// Items both have, with other tokens.
    pub changed: Vec<String>,
    /// Items only the new side has.
    pub added: Vec<String>,
}

impl Surface {
    /// The public items of a rendered crate (`generated.rs` and `api.rs`).
    pub fn of(output: &Output) -> Surface {
        Surface::of_files(&output.files)
    }

    /// Whether [`Surface::of_files`] reads a crate's file: `generated.rs` and
    /// `api.rs` hold its public items, the others none.
    pub fn reads(path: &str) -> bool {
        path.ends_with("/src/generated.rs") || path.ends_with("/src/api.rs")
    }

    /// The public items of a crate's files (those it [`reads`](Self::reads)),
    /// rendered or as committed.
    pub fn of_files(files: &[Rendered]) -> Surface {
        let mut items = BTreeMap::new();
        for file in files.iter().filter(|f| Surface::reads(&f.path)) {
            let Ok(mut parsed) = syn::parse_file(&file.contents) else {
                continue;
            };
            strip_docs(&mut parsed);
            if file.path.ends_with("/src/generated.rs") {
                collect(
                    crate::progenitor_output::types_module(&parsed),
                    "types",
                    &mut items,
                );
            } else {
                collect(&parsed.items, "", &mut items);
                for item in &parsed.items {
                    if let Item::Mod(m) = item
                        && m.ident == "requests"
                        && let Some((_, content)) = &m.content
                    {
                        collect(content, "requests", &mut items);
                    }
                }
            }
        }
        Surface(items)
    }

    /// What `new` removed, changed and added relative to `self`.
    pub fn difference(&self, new: &Surface) -> Difference {
        let mut d = Difference::default();
        for (path, tokens) in &self.0 {
            match new.0.get(path) {
                None => d.removed.push(path.clone()),
                Some(other) if other != tokens => d.changed.push(path.clone()),
                Some(_) => {}
            }
        }
        d.added = new
            .0
            .keys()
            .filter(|path| !self.0.contains_key(*path))
            .cloned()
            .collect();
        d
    }
}

impl Difference {
    /// No public item differs.
    pub fn is_empty(&self) -> bool {
        self.removed.is_empty() && self.changed.is_empty() && self.added.is_empty()
    }
}

/// Keys the public items of `items` under `prefix`: types by name, the
/// methods of inherent impls by `Type::method`.
fn collect(items: &[Item], prefix: &str, out: &mut BTreeMap<String, String>) {
    let key = |name: String| {
        if prefix.is_empty() {
            name
        } else {
            format!("{prefix}::{name}")
        }
    };
    for item in items {
        match item {
            Item::Struct(s) if matches!(s.vis, syn::Visibility::Public(_)) => {
                out.insert(key(s.ident.to_string()), s.to_token_stream().to_string());
            }
            Item::Enum(e) if matches!(e.vis, syn::Visibility::Public(_)) => {
                out.insert(key(e.ident.to_string()), e.to_token_stream().to_string());
            }
            Item::Type(t) if matches!(t.vis, syn::Visibility::Public(_)) => {
                out.insert(key(t.ident.to_string()), t.to_token_stream().to_string());
            }
            Item::Impl(imp) if imp.trait_.is_none() => {
                // `requests::Name<'a>` is keyed `Name`: its generics are in the
                // struct's own entry.
                let owner = match imp.self_ty.as_ref() {
                    syn::Type::Path(p) => p
                        .path
                        .segments
                        .last()
                        .map(|s| s.ident.to_string())
                        .unwrap_or_default(),
                    other => other.to_token_stream().to_string(),
                };
                for item in &imp.items {
                    if let ImplItem::Fn(f) = item
                        && matches!(f.vis, syn::Visibility::Public(_))
                    {
                        out.insert(
                            key(format!("{owner}::{}", f.sig.ident)),
                            f.sig.to_token_stream().to_string(),
                        );
                    }
                }
            }
            _ => {}
        }
    }
}

/// Removes every `#[doc]` attribute: a changed description is not an API change.
fn strip_docs(file: &mut syn::File) {
    use syn::visit_mut::VisitMut;
    struct Walk;
    impl VisitMut for Walk {
        fn visit_item_mut(&mut self, item: &mut Item) {
            syn::visit_mut::visit_item_mut(self, item);
            if let Some(attrs) = item_attrs(item) {
                strip(attrs);
            }
        }
        fn visit_impl_item_fn_mut(&mut self, f: &mut syn::ImplItemFn) {
            strip(&mut f.attrs);
        }
        fn visit_field_mut(&mut self, f: &mut syn::Field) {
            strip(&mut f.attrs);
        }
        fn visit_variant_mut(&mut self, v: &mut syn::Variant) {
            syn::visit_mut::visit_variant_mut(self, v);
            strip(&mut v.attrs);
        }
    }
    fn strip(attrs: &mut Vec<syn::Attribute>) {
        attrs.retain(|a| !a.path().is_ident("doc"));
    }
    fn item_attrs(item: &mut Item) -> Option<&mut Vec<syn::Attribute>> {
        match item {
            Item::Struct(i) => Some(&mut i.attrs),
            Item::Enum(i) => Some(&mut i.attrs),
            Item::Type(i) => Some(&mut i.attrs),
            Item::Mod(i) => Some(&mut i.attrs),
            Item::Impl(i) => Some(&mut i.attrs),
            Item::Fn(i) => Some(&mut i.attrs),
            Item::Const(i) => Some(&mut i.attrs),
            _ => None,
        }
    }
    Walk.visit_file_mut(file);
}
