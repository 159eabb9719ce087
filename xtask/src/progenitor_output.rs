//! Reading progenitor's output: what the steps after it (dedupe, lean,
//! growable, numbers, the facade and its pagination, the surface) need to
//! find in the generated code, written once. Facts about the generated code
//! are read here, not predicted from the spec.

use syn::{FnArg, GenericArgument, ImplItem, Item, Pat, PathArguments, Type};

/// The methods of progenitor's inherent `impl Client` blocks that take
/// `self`: one per operation (the constructors take none, and the trait
/// impls and helpers are not operations). Async as progenitor writes them;
/// the thin step makes them build the request only.
pub(crate) fn client_methods(generated: &syn::File) -> impl Iterator<Item = &syn::ImplItemFn> {
    generated
        .items
        .iter()
        .filter_map(|item| match item {
            Item::Impl(imp) if imp.trait_.is_none() && is_client(&imp.self_ty) => Some(imp),
            _ => None,
        })
        .flat_map(|imp| &imp.items)
        .filter_map(|item| match item {
            ImplItem::Fn(f) if f.sig.receiver().is_some() => Some(f),
            _ => None,
        })
}

/// [`client_methods`], to change: what the steps after progenitor (lean,
/// numbers) rewrite.
pub(crate) fn client_methods_mut(
    generated: &mut syn::File,
) -> impl Iterator<Item = &mut syn::ImplItemFn> {
    generated
        .items
        .iter_mut()
        .filter_map(|item| match item {
            Item::Impl(imp) if imp.trait_.is_none() && is_client(&imp.self_ty) => Some(imp),
            _ => None,
        })
        .flat_map(|imp| &mut imp.items)
        .filter_map(|item| match item {
            ImplItem::Fn(f) if f.sig.receiver().is_some() => Some(f),
            _ => None,
        })
}

/// A generated method's arguments that are plain names, with their types.
pub(crate) fn named_arguments(sig: &syn::Signature) -> impl Iterator<Item = (&syn::Ident, &Type)> {
    sig.inputs.iter().filter_map(|input| {
        let FnArg::Typed(pt) = input else { return None };
        let Pat::Ident(id) = pt.pat.as_ref() else {
            return None;
        };
        Some((&id.ident, pt.ty.as_ref()))
    })
}

/// progenitor's `Client`, as the self type of its inherent impls.
pub(crate) fn is_client(ty: &Type) -> bool {
    matches!(ty, Type::Path(p) if p.path.is_ident("Client"))
}

/// `T` of `Option<T>`.
pub(crate) fn option_inner(ty: &Type) -> Option<&Type> {
    generic_arg(ty, "Option")
}

/// `T` of `name<T>` (however the path to `name` is written: `Vec`,
/// `::std::vec::Vec`).
pub(crate) fn generic_arg<'t>(ty: &'t Type, name: &str) -> Option<&'t Type> {
    let Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    if last.ident != name {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        GenericArgument::Type(t) => Some(t),
        _ => None,
    }
}

/// The items of progenitor's `types` module (none if it has no such module).
pub(crate) fn types_module(generated: &syn::File) -> &[Item] {
    generated
        .items
        .iter()
        .find_map(|item| match item {
            Item::Mod(m) if m.ident == "types" => m.content.as_ref(),
            _ => None,
        })
        .map_or(&[], |(_, items)| items.as_slice())
}

/// [`types_module`], to change.
pub(crate) fn types_module_mut(generated: &mut syn::File) -> Option<&mut Vec<Item>> {
    generated.items.iter_mut().find_map(|item| match item {
        Item::Mod(m) if m.ident == "types" => m.content.as_mut().map(|(_, items)| items),
        _ => None,
    })
}

/// The arguments of a field's `#[serde(..)]` attributes, as typify writes
/// them: `flatten` is `("flatten", None)`, `rename = "x"` is `("rename",
/// Some("x" as an expression))`.
pub(crate) fn serde_args(field: &syn::Field) -> Vec<(String, Option<syn::Expr>)> {
    let mut found = Vec::new();
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            let key = meta.path.get_ident().map(ToString::to_string);
            let value = if meta.input.peek(syn::Token![=]) {
                Some(meta.value()?.parse::<syn::Expr>()?)
            } else {
                None
            };
            if let Some(key) = key {
                found.push((key, value));
            }
            Ok(())
        });
    }
    found
}

/// A string literal's text.
pub(crate) fn literal_text(expr: &syn::Expr) -> Option<String> {
    match expr {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        }) => Some(s.value()),
        _ => None,
    }
}

/// `("wire", x)` when `call` is progenitor's `QueryParam::new("wire", &x)`:
/// the query parameter's name on the wire and the argument that holds it.
pub(crate) fn query_param(call: &syn::ExprCall) -> Option<(String, syn::Ident)> {
    let syn::Expr::Path(f) = call.func.as_ref() else {
        return None;
    };
    let mut segments = f.path.segments.iter().rev();
    if segments.next()?.ident != "new" || segments.next()?.ident != "QueryParam" {
        return None;
    }
    let [name, value] = [call.args.first()?, call.args.iter().nth(1)?];
    if call.args.len() != 2 {
        return None;
    }
    let syn::Expr::Reference(value) = value else {
        return None;
    };
    let syn::Expr::Path(arg) = value.expr.as_ref() else {
        return None;
    };
    Some((literal_text(name)?, arg.path.get_ident()?.clone()))
}

/// A number (or `bool`) as progenitor writes one.
pub(crate) fn is_number(ty: &Type) -> bool {
    is_integer(ty)
        || matches!(ty, Type::Path(p) if p.path.get_ident().is_some_and(|i| i == "f32" || i == "f64" || i == "bool"))
}

/// A Rust integer type as progenitor writes one (`i64`, `u32`, ...).
pub(crate) fn is_integer(ty: &Type) -> bool {
    let Type::Path(p) = ty else { return false };
    p.path.get_ident().is_some_and(|i| {
        matches!(
            i.to_string().as_str(),
            "i8" | "i16" | "i32" | "i64" | "i128" | "u8" | "u16" | "u32" | "u64" | "u128"
        )
    })
}

/// `(METHOD, /path/{template})` from the "Sends a `METHOD` request to `PATH`"
/// line progenitor puts in every method's docs.
pub(crate) fn request_line(f: &syn::ImplItemFn) -> Option<(String, String)> {
    f.attrs.iter().find_map(|attr| {
        let syn::Meta::NameValue(nv) = &attr.meta else {
            return None;
        };
        let text = literal_text(&nv.value)?;
        let rest = &text[text.find("Sends a `")? + "Sends a `".len()..];
        let (method, rest) = rest.split_once("` request to `")?;
        let (path, _) = rest.split_once('`')?;
        Some((method.to_string(), path.to_string()))
    })
}
