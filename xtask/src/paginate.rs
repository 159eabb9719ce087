//! Pagination, part of the facade step: for a list operation that matches
//! one of the provider's patterns (`[[providers.X.pagination]]`), the request
//! builder gets `.items()`, a stream of every item across pages.
//!
//! Everything is read from progenitor's output, not predicted from the spec:
//! the query parameter's Rust name from the `QueryParam::new("wire", &name)`
//! call in the generated method, the response fields from the serde names of
//! the generated structs (through `#[serde(flatten)]` ones), and their types
//! from the fields. An operation matches when the cursor parameter is an
//! optional argument of a type a cursor can set and the items field is an
//! array; the totals are used where the response has them. When to stop is
//! the runtime's (`openapi_client_runtime::paginate`), the same for every
//! provider.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::{Fields, Item, Type};

use std::collections::BTreeSet;

use crate::providers::Pagination;

/// The structs and enums of progenitor's `types` module.
pub struct Types<'g> {
    items: Vec<&'g Item>,
    names: BTreeSet<String>,
}

impl<'g> Types<'g> {
    /// The `types` module of `generated`, if it has one.
    pub fn of(generated: &'g syn::File) -> Self {
        let items: Vec<&Item> = crate::progenitor_output::types_module(generated)
            .iter()
            .collect();
        let names = items
            .iter()
            .filter_map(|item| match item {
                Item::Struct(s) => Some(s.ident.to_string()),
                Item::Enum(e) => Some(e.ident.to_string()),
                Item::Type(t) => Some(t.ident.to_string()),
                _ => None,
            })
            .collect();
        Types { items, names }
    }

    /// Struct `name`, through the aliases the dedupe step leaves
    /// (`pub type A = B;`).
    fn structure(&self, name: &str) -> Option<&'g syn::ItemStruct> {
        let mut name = name.to_string();
        for _ in 0..8 {
            match self.alias(&name) {
                Some(target) => name = local_name(target)?,
                None => break,
            }
        }
        self.items.iter().find_map(|item| match item {
            Item::Struct(s) if s.ident == name => Some(s),
            _ => None,
        })
    }

    fn alias(&self, name: &str) -> Option<&'g Type> {
        self.items.iter().find_map(|item| match item {
            Item::Type(t) if t.ident == name => Some(t.ty.as_ref()),
            _ => None,
        })
    }

    /// The item type of a list: `Vec<T>`, an alias of one, or a newtype
    /// around one (typify's named arrays), which is then read through `.0`.
    fn list_item(&self, ty: &Type, depth: usize) -> Option<(Type, bool)> {
        if let Some(item) = vec_inner(ty) {
            return Some((item.clone(), false));
        }
        let name = local_name(ty)?;
        if depth > 8 {
            return None;
        }
        if let Some(target) = self.alias(&name) {
            return self.list_item(target, depth + 1);
        }
        let Fields::Unnamed(fields) = &self.structure(&name)?.fields else {
            return None;
        };
        match fields.unnamed.iter().collect::<Vec<_>>().as_slice() {
            [only] => vec_inner(&only.ty).map(|item| (item.clone(), true)),
            _ => None,
        }
    }

    /// The field of struct `name` that serde reads from JSON key `key`, with
    /// the path of Rust field names to it (through flattened fields).
    fn field(&self, name: &str, key: &str, depth: usize) -> Option<(Vec<syn::Ident>, Type)> {
        let Fields::Named(fields) = &self.structure(name)?.fields else {
            return None;
        };
        let direct = fields
            .named
            .iter()
            .find(|f| serde_name(f).as_deref() == Some(key));
        if let Some(f) = direct {
            return Some((vec![f.ident.clone()?], f.ty.clone()));
        }
        if depth > 8 {
            return None;
        }
        fields
            .named
            .iter()
            .filter(|f| {
                crate::progenitor_output::serde_args(f)
                    .iter()
                    .any(|(k, _)| k == "flatten")
            })
            .find_map(|f| {
                // A flattened `Option<T>` is a nesting this walk does not take.
                let inner = local_name(&f.ty)?;
                let (mut path, ty) = self.field(&inner, key, depth + 1)?;
                path.insert(0, f.ident.clone()?);
                Some((path, ty))
            })
    }

    /// Rust field steps for the dotted JSON path `path`, starting at type
    /// `start`: each step's field name and whether it is an `Option`, and the
    /// last field's type with any `Option` taken off.
    fn resolve(&self, start: &Type, path: &str) -> Option<(Vec<Step>, Type)> {
        let mut current = local_name(start)?;
        let mut steps = Vec::new();
        let mut last = None;
        let keys: Vec<&str> = path.split('.').collect();
        for (i, key) in keys.iter().enumerate() {
            let (fields, ty) = self.field(&current, key, 0)?;
            let n = fields.len();
            for (j, ident) in fields.into_iter().enumerate() {
                // Flattened parents are plain fields; the last one may be optional.
                let optional = j + 1 == n && crate::progenitor_output::option_inner(&ty).is_some();
                steps.push(Step { ident, optional });
            }
            let inner = crate::progenitor_output::option_inner(&ty)
                .cloned()
                .unwrap_or(ty);
            if i + 1 < keys.len() {
                current = local_name(&inner)?;
            }
            last = Some(inner);
        }
        Some((steps, last?))
    }

    /// `ty` as the facade names it: types of the `types` module qualified.
    fn qualified(&self, ty: &Type) -> Type {
        let mut ty = ty.clone();
        syn::visit_mut::VisitMut::visit_type_mut(&mut Qualify(&self.names), &mut ty);
        ty
    }
}

struct Qualify<'n>(&'n BTreeSet<String>);

impl syn::visit_mut::VisitMut for Qualify<'_> {
    fn visit_type_path_mut(&mut self, tp: &mut syn::TypePath) {
        syn::visit_mut::visit_type_path_mut(self, tp);
        let local = tp.qself.is_none()
            && tp.path.leading_colon.is_none()
            && tp
                .path
                .segments
                .first()
                .is_some_and(|s| self.0.contains(&s.ident.to_string()));
        if local {
            tp.path.segments.insert(0, syn::parse_quote!(types));
        }
    }
}

/// One field access on the way to a response value.
struct Step {
    ident: syn::Ident,
    optional: bool,
}

/// `.items()` for an operation's request builder, when one of `patterns`
/// matches it. `body` is progenitor's method body, `fields` the builder's
/// optional parameters (name, type inside the `Option`), `success` the type
/// `send()` returns.
pub fn items_method(
    types: &Types,
    patterns: &[Pagination],
    request_name: &syn::Ident,
    body: &syn::Block,
    optional: &[(syn::Ident, Type)],
    success: &Type,
) -> Option<TokenStream> {
    let query = query_parameters(body);
    patterns
        .iter()
        .find_map(|pattern| matched(types, pattern, request_name, &query, optional, success))
}

fn matched(
    types: &Types,
    pattern: &Pagination,
    request_name: &syn::Ident,
    query: &[(String, syn::Ident)],
    optional: &[(syn::Ident, Type)],
    success: &Type,
) -> Option<TokenStream> {
    let (wire, items, total, next) = match pattern {
        Pagination::Page {
            page,
            items,
            total_pages,
        } => (page, items, total_pages.as_deref(), None),
        Pagination::Offset {
            offset,
            items,
            total,
        } => (offset, items, total.as_deref(), None),
        Pagination::Cursor {
            cursor,
            items,
            next,
        } => (cursor, items, None, Some(next.as_str())),
    };
    let ident = &query.iter().find(|(name, _)| name == wire)?.1;
    let (_, parameter) = optional.iter().find(|(name, _)| name == ident)?;

    let (item_steps, item_list) = types.resolve(success, items)?;
    let (item, newtype) = types.list_item(&item_list, 0)?;
    let item = types.qualified(&item);
    let items_expr = owned_chain(&item_steps, newtype);

    let (first, set, doc) = match pattern {
        Pagination::Page { .. } | Pagination::Offset { .. } => {
            if !(crate::progenitor_output::is_number(parameter) || is_nonzero(parameter)) {
                return None;
            }
            let (variant, start, from) = if matches!(pattern, Pagination::Page { .. }) {
                (
                    format_ident!("Page"),
                    1u64,
                    format!("the page `{wire}` names (the first page if unset)"),
                )
            } else {
                (
                    format_ident!("Offset"),
                    0u64,
                    format!("the `{wire}` set on this request (the start if unset)"),
                )
            };
            (
                quote!(runtime::paginate::Cursor::#variant(
                    self.#ident.as_ref().and_then(runtime::paginate::Number::to_u64).unwrap_or(#start)
                )),
                quote! {
                    if let runtime::paginate::Cursor::#variant(n) = cursor {
                        request.#ident = runtime::paginate::Number::from_u64(n);
                    }
                },
                from,
            )
        }
        Pagination::Cursor { .. } => {
            if !is_text(parameter) {
                return None;
            }
            (
                quote!(runtime::paginate::Cursor::Token(
                    self.#ident.as_ref().map(::std::string::ToString::to_string)
                )),
                quote!(),
                format!("the `{wire}` token set on this request (the start if unset)"),
            )
        }
    };
    // A total this operation's response lacks (or that is no number) is not
    // used: the other rules still end the list.
    let total_expr = match total.and_then(|path| types.resolve(success, path)) {
        Some((steps, ty)) if crate::progenitor_output::is_number(&ty) => {
            match borrowed_chain(&steps) {
                (chain, true) => quote!(#chain.and_then(runtime::paginate::Number::to_u64)),
                (value, false) => quote!(runtime::paginate::Number::to_u64(#value)),
            }
        }
        _ => quote!(None),
    };
    let next_expr = match next {
        Some(path) => {
            let (steps, ty) = types.resolve(success, path)?;
            if !is_text(&ty) {
                return None;
            }
            match borrowed_chain(&steps) {
                (chain, true) => quote!(#chain.map(::std::string::ToString::to_string)),
                (value, false) => quote!(Some(::std::string::ToString::to_string(#value))),
            }
        }
        None => quote!(None),
    };
    // A token lives in the page's future, so the request that borrows it is
    // rebuilt there with that shorter lifetime.
    let fetch = if matches!(pattern, Pagination::Cursor { .. }) {
        quote! {
            move |cursor| {
                let request = self.clone();
                Box::pin(async move {
                    let token = match cursor {
                        runtime::paginate::Cursor::Token(token) => token,
                        _ => None,
                    };
                    let request = #request_name { #ident: token.as_deref().map(Into::into), ..request };
                    let response = request.send().await?;
                    Ok(page(response))
                })
            }
        }
    } else {
        quote! {
            move |cursor| {
                let mut request = self.clone();
                #set
                Box::pin(async move { Ok(page(request.send().await?)) })
            }
        }
    };
    let method_doc = format!(
        "Every item of the list, page after page as the stream is read, from {doc}.\n\n\
         Each page is a call with the client's retries; the stream ends at an empty page, \
         at the end the server reports, or when the server repeats a page. An error is \
         its last element."
    );
    Some(quote! {
        #[doc = #method_doc]
        pub fn items(self) -> runtime::paginate::Items<'a, #item> {
            let page = |response: #success| {
                let total = #total_expr;
                let next = #next_expr;
                let items = #items_expr;
                runtime::paginate::Page::new(items, total, next)
            };
            runtime::paginate::Items::new(#first, #fetch)
        }
    })
}

/// The field at `steps`, borrowed from `response`: `&T`, or `Option<&T>` when
/// a step is optional (then `true`).
fn borrowed_chain(steps: &[Step]) -> (TokenStream, bool) {
    let mut expr = quote!(response);
    let mut in_option = false;
    for Step { ident, optional } in steps {
        expr = match (in_option, optional) {
            (false, false) => quote!(#expr.#ident),
            (false, true) => quote!(#expr.#ident.as_ref()),
            (true, false) => quote!(#expr.map(|v| &v.#ident)),
            (true, true) => quote!(#expr.and_then(|v| v.#ident.as_ref())),
        };
        in_option |= optional;
    }
    if in_option {
        (expr, true)
    } else {
        (quote!(&#expr), false)
    }
}

/// The list at `steps`, moved out of `response` (and out of its newtype);
/// empty where it is absent.
fn owned_chain(steps: &[Step], newtype: bool) -> TokenStream {
    let mut expr = quote!(response);
    let mut in_option = false;
    for Step { ident, optional } in steps {
        expr = match (in_option, optional) {
            (false, _) => quote!(#expr.#ident),
            (true, false) => quote!(#expr.map(|v| v.#ident)),
            (true, true) => quote!(#expr.and_then(|v| v.#ident)),
        };
        in_option |= optional;
    }
    match (in_option, newtype) {
        (false, false) => expr,
        (false, true) => quote!(#expr.0),
        (true, false) => quote!(#expr.unwrap_or_default()),
        (true, true) => quote!(#expr.map(|v| v.0).unwrap_or_default()),
    }
}

/// `(wire name, argument)` of each `QueryParam::new("name", &argument)` in
/// progenitor's method body.
fn query_parameters(body: &syn::Block) -> Vec<(String, syn::Ident)> {
    struct Walk(Vec<(String, syn::Ident)>);
    impl<'ast> syn::visit::Visit<'ast> for Walk {
        fn visit_expr_call(&mut self, call: &'ast syn::ExprCall) {
            self.0.extend(crate::progenitor_output::query_param(call));
            syn::visit::visit_expr_call(self, call);
        }
    }
    let mut walk = Walk(Vec::new());
    syn::visit::Visit::visit_block(&mut walk, body);
    walk.0
}

/// The name serde reads a field from: its `rename`, or its own name.
fn serde_name(field: &syn::Field) -> Option<String> {
    let renamed = crate::progenitor_output::serde_args(field)
        .into_iter()
        .find_map(|(key, value)| (key == "rename").then_some(value).flatten())
        .and_then(|value| crate::progenitor_output::literal_text(&value));
    renamed.or_else(|| {
        field
            .ident
            .as_ref()
            .map(|i| i.to_string().trim_start_matches("r#").to_string())
    })
}

/// The name of a type of the `types` module: `X` or `types::X`.
fn local_name(ty: &Type) -> Option<String> {
    let Type::Path(p) = ty else { return None };
    if p.qself.is_some() || p.path.leading_colon.is_some() {
        return None;
    }
    let segments: Vec<String> = p
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    match segments.as_slice() {
        [name] => Some(name.clone()),
        [module, name] if module == "types" => Some(name.clone()),
        _ => None,
    }
}

/// `T` of `Vec<T>`.
fn vec_inner(ty: &Type) -> Option<&Type> {
    crate::progenitor_output::generic_arg(ty, "Vec")
}

/// `NonZeroU64` and its kin, which typify uses for integers with a minimum of 1.
fn is_nonzero(ty: &Type) -> bool {
    matches!(ty, Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident.to_string().starts_with("NonZero")))
}

/// A string, owned or borrowed.
fn is_text(ty: &Type) -> bool {
    match ty {
        Type::Reference(r) => is_text(&r.elem),
        Type::Path(p) => p
            .path
            .segments
            .last()
            .is_some_and(|s| s.ident == "str" || s.ident == "String"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parameters_are_read_from_the_generated_body() {
        let body: syn::Block = syn::parse_quote!({
            let request = self
                .client
                .get(url)
                .query(&progenitor_client::QueryParam::new("per_page", &per_page))
                .query(&progenitor_client::QueryParam::new("page", &page));
        });
        let found: Vec<(String, String)> = query_parameters(&body)
            .into_iter()
            .map(|(w, i)| (w, i.to_string()))
            .collect();
        assert_eq!(
            found,
            [
                ("per_page".to_string(), "per_page".to_string()),
                ("page".to_string(), "page".to_string())
            ]
        );
    }

    #[test]
    fn fields_are_found_by_their_json_names_through_flattened_structs() {
        let file: syn::File = syn::parse_quote! {
            pub mod types {
                pub struct List {
                    #[serde(flatten)]
                    pub subtype_0: Common,
                    #[serde(rename = "result", default)]
                    pub result_: ::std::option::Option<::std::vec::Vec<Account>>,
                }
                pub struct Common {
                    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
                    pub result_info: ::std::option::Option<Info>,
                }
                pub struct Info { pub total_pages: ::std::option::Option<f64> }
                pub struct Account { pub id: String }
                pub type Aliased = Listing;
                pub struct Listing { pub groups: ::std::option::Option<Groups> }
                pub struct Groups(pub ::std::vec::Vec<Group>);
            }
        };
        let types = Types::of(&file);
        let start: Type = syn::parse_quote!(types::List);
        let (steps, ty) = types.resolve(&start, "result").unwrap();
        assert_eq!(steps.len(), 1);
        let (item, newtype) = types.list_item(&ty, 0).unwrap();
        assert!(!newtype);
        let item = types.qualified(&item);
        assert_eq!(quote!(#item).to_string(), "types :: Account");
        let (steps, ty) = types
            .resolve(&syn::parse_quote!(Aliased), "groups")
            .unwrap();
        let (item, newtype) = types.list_item(&ty, 0).unwrap();
        assert!(newtype);
        assert_eq!(quote!(#item).to_string(), "Group");
        assert_eq!(
            owned_chain(&steps, newtype).to_string(),
            "response . groups . map (| v | v . 0) . unwrap_or_default ()"
        );
        let (steps, ty) = types.resolve(&start, "result_info.total_pages").unwrap();
        let names: Vec<String> = steps.iter().map(|s| s.ident.to_string()).collect();
        assert_eq!(names, ["subtype_0", "result_info", "total_pages"]);
        assert!(crate::progenitor_output::is_number(&ty));
        let chain = borrowed_chain(&steps).0.to_string();
        assert_eq!(
            chain,
            "response . subtype_0 . result_info . as_ref () . and_then (| v | v . total_pages . as_ref ())"
        );
        assert!(types.resolve(&start, "result_info.missing").is_none());
    }
}
