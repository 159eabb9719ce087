//! Paths step: progenitor's generated methods encode path parameters with the
//! runtime's `encode_path`, not progenitor_client's.
//!
//! progenitor_client's `encode_path` leaves `\` (and a few other characters)
//! as they are, and the URL parser reqwest uses reads `\` as `/` in http(s)
//! paths and then resolves `..`: a string path parameter holding
//! `..\..\user` walked the request up the path, credential included.
//! `openapi_client_runtime::encode_path` encodes every byte that is not RFC
//! 3986 unreserved, so a value is one segment whatever it holds.
//!
//! progenitor imports its encoder once at the top of the file (`use
//! progenitor_client::{encode_path, ..}`) and calls it unqualified; the step
//! takes it out of that import and imports the runtime's instead, and
//! rewrites any call that names progenitor_client's by its path. The runtime's
//! import is explicit, so it also wins over a glob import of
//! progenitor_client. The later steps (lean, the facade) still find the calls
//! by their name, `encode_path`.

use proc_macro2::{TokenStream, TokenTree};
use syn::visit_mut::VisitMut;
use syn::{Item, UseTree};

/// Makes every `encode_path` in `file` the runtime's.
pub fn through_runtime(file: &mut syn::File) {
    let mut position = None;
    let mut index = 0;
    file.items.retain_mut(|item| {
        let keep = match item {
            Item::Use(import) => {
                let changed = remove_encode_path(&mut import.tree);
                if changed {
                    position.get_or_insert(index);
                }
                !(changed && is_empty(&import.tree))
            }
            _ => true,
        };
        index += usize::from(keep);
        keep
    });
    // Where progenitor's import was, else among the file's other imports.
    let position = position
        .or_else(|| {
            file.items
                .iter()
                .position(|item| matches!(item, Item::Use(_)))
        })
        .unwrap_or(0);
    file.items.insert(
        position,
        syn::parse_quote! {
            #[allow(unused_imports)]
            use ::openapi_client_runtime::encode_path;
        },
    );
    QualifiedCalls.visit_file_mut(file);
}

/// Removes `encode_path` from a `progenitor_client::...` import; whether it
/// was there.
fn remove_encode_path(tree: &mut UseTree) -> bool {
    let UseTree::Path(path) = tree else {
        return false;
    };
    let from_progenitor = path.ident.to_string().trim_start_matches("r#") == "progenitor_client";
    if !from_progenitor {
        return false;
    }
    match path.tree.as_mut() {
        UseTree::Name(name) if name.ident == "encode_path" => {
            *path.tree = UseTree::Group(syn::UseGroup {
                brace_token: Default::default(),
                items: Default::default(),
            });
            true
        }
        UseTree::Group(group) => {
            let before = group.items.len();
            group.items = std::mem::take(&mut group.items)
                .into_iter()
                .filter(|item| !matches!(item, UseTree::Name(n) if n.ident == "encode_path"))
                .collect();
            group.items.len() != before
        }
        _ => false,
    }
}

/// Whether an import imports nothing (`progenitor_client::{}`).
fn is_empty(tree: &UseTree) -> bool {
    match tree {
        UseTree::Path(path) => is_empty(&path.tree),
        UseTree::Group(group) => group.items.is_empty(),
        _ => false,
    }
}

/// Rewrites `progenitor_client::encode_path` (however prefixed) in
/// expressions, and in macro arguments (`format!`'s), which are tokens to syn.
struct QualifiedCalls;

impl VisitMut for QualifiedCalls {
    fn visit_path_mut(&mut self, path: &mut syn::Path) {
        syn::visit_mut::visit_path_mut(self, path);
        let n = path.segments.len();
        if n >= 2
            && path.segments[n - 2].ident == "progenitor_client"
            && path.segments[n - 1].ident == "encode_path"
        {
            *path = syn::parse_quote!(::openapi_client_runtime::encode_path);
        }
    }

    fn visit_macro_mut(&mut self, mac: &mut syn::Macro) {
        syn::visit_mut::visit_macro_mut(self, mac);
        mac.tokens = retarget(std::mem::take(&mut mac.tokens));
    }
}

/// `progenitor_client :: encode_path` in `tokens` (nested groups included),
/// with the crate renamed to the runtime.
fn retarget(tokens: TokenStream) -> TokenStream {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    let names =
        |i: usize, text: &str| matches!(trees.get(i), Some(TokenTree::Ident(id)) if id == text);
    let colons = |i: usize| {
        matches!((trees.get(i), trees.get(i + 1)), (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b)))
            if a.as_char() == ':' && b.as_char() == ':')
    };
    trees
        .iter()
        .enumerate()
        .map(|(i, tree)| match tree {
            TokenTree::Ident(id)
                if names(i, "progenitor_client")
                    && colons(i + 1)
                    && names(i + 3, "encode_path") =>
            {
                TokenTree::Ident(proc_macro2::Ident::new("openapi_client_runtime", id.span()))
            }
            TokenTree::Group(group) => {
                let mut inner =
                    proc_macro2::Group::new(group.delimiter(), retarget(group.stream()));
                inner.set_span(group.span());
                TokenTree::Group(inner)
            }
            other => other.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::{ToTokens, quote};

    fn rewritten(tokens: proc_macro2::TokenStream) -> String {
        let mut file: syn::File = syn::parse2(tokens).unwrap();
        through_runtime(&mut file);
        prettyplease::unparse(&file)
    }

    #[test]
    fn progenitors_import_is_replaced_by_the_runtimes() {
        let text = rewritten(quote! {
            #[allow(unused_imports)]
            pub use progenitor_client::{ByteStream, ClientInfo, Error, ResponseValue};
            #[allow(unused_imports)]
            use progenitor_client::{encode_path, ClientHooks, OperationInfo, RequestBuilderExt};
            fn url(id: &str) -> String {
                format!("/a/{}", encode_path(&id.to_string()))
            }
        });
        assert!(
            text.contains(
                "use progenitor_client::{ClientHooks, OperationInfo, RequestBuilderExt};"
            ),
            "{text}"
        );
        assert!(
            text.contains("#[allow(unused_imports)]\nuse ::openapi_client_runtime::encode_path;"),
            "{text}"
        );
        // The calls keep their name, which lean and the facade look for.
        assert!(text.contains("encode_path(& id.to_string())"), "{text}");
        assert_eq!(text.matches("encode_path").count(), 2, "{text}");
    }

    #[test]
    fn a_lone_import_and_qualified_calls_go_too() {
        let text = rewritten(quote! {
            use progenitor_client::encode_path;
            use progenitor_client::*;
            fn url(id: &str) -> String {
                format!("/a/{}/{}", encode_path(id), ::progenitor_client::encode_path(id))
            }
        });
        assert!(!text.contains("progenitor_client::encode_path"), "{text}");
        assert!(!text.contains("progenitor_client::{}"), "{text}");
        assert!(text.contains("use progenitor_client::*;"), "{text}");
        assert!(
            text.contains("::openapi_client_runtime::encode_path(id)"),
            "{text}"
        );
        let file: syn::File = syn::parse_str(&text).unwrap();
        let imports = file
            .items
            .iter()
            .filter(|item| item.to_token_stream().to_string().contains("encode_path"))
            .filter(|item| matches!(item, Item::Use(_)))
            .count();
        assert_eq!(imports, 1, "{text}");
    }
}
