//! No-panic step: nothing a spec says can make the generated code panic.
//!
//! progenitor and typify write a few constructors that panic when their input
//! is invalid, trusting it to be valid; here the input comes from the vendor's
//! document. Each is checked now, at generation time, and kept when it cannot
//! panic (the common case, at no cost at run time). Otherwise it is rewritten
//! into the fallible form, so that only the one operation or field it belongs
//! to fails, with an error, instead of the caller's process:
//!
//! - a header parameter's name (`header_map.append("name", …)` resolves the
//!   `&'static str` with `HeaderName::from_static`'s rules): one that is not an
//!   HTTP token is parsed when the call is made, and the call fails with an
//!   `InvalidRequest` naming it;
//! - a raw body's media type (`HeaderValue::from_static("text/…")`): one that
//!   is not visible ASCII, as `from_static` requires, is passed to reqwest as
//!   text, which checks it (and reports an invalid one) when the call is made;
//! - an integer default (`defaults::default_u64::<u8, 300>`, whose
//!   `try_from(..).unwrap()` runs whenever the field is absent): one its Rust
//!   type cannot hold falls back to the type's `Default`, with a note.
//!
//! - a library type's default (`serde_json::from_str::<NaiveDate>("…")
//!   .unwrap()`): decoded now with the same types ([`crate::formats`]), and
//!   one that does not decode falls back to the type's default value, with a
//!   note.
//!
//! The normalizer drops such defaults before typify sees them (a `default`
//! its schema does not admit, `format` included), so in a document it has
//! read these rewrites are a second line that should find nothing.
//!
//! What is left, and why it cannot panic: typify checks every `pattern` with
//! `regress` before writing `Regex::new(..).unwrap()`, and the `api-version`
//! header the lean step removes.

use syn::visit_mut::VisitMut;

/// Rewrites, in place, what could panic; returns one note per rewrite.
pub fn no_panic(generated: &mut syn::File) -> Vec<String> {
    let mut walk = Walk {
        notes: Vec::new(),
        place: String::new(),
    };
    walk.visit_file_mut(generated);
    walk.notes
}

struct Walk {
    notes: Vec<String>,
    /// The method or type being walked, which each note names.
    place: String,
}

impl VisitMut for Walk {
    fn visit_impl_item_fn_mut(&mut self, f: &mut syn::ImplItemFn) {
        let outer = std::mem::replace(&mut self.place, format!("`{}`", f.sig.ident));
        syn::visit_mut::visit_impl_item_fn_mut(self, f);
        self.place = outer;
    }

    fn visit_item_fn_mut(&mut self, f: &mut syn::ItemFn) {
        let outer = std::mem::replace(&mut self.place, format!("`{}`", f.sig.ident));
        syn::visit_mut::visit_item_fn_mut(self, f);
        self.place = outer;
    }

    fn visit_item_impl_mut(&mut self, block: &mut syn::ItemImpl) {
        let ty = &block.self_ty;
        let name = quote::quote!(#ty).to_string().replace(' ', "");
        let outer = std::mem::replace(&mut self.place, format!("`{name}`"));
        syn::visit_mut::visit_item_impl_mut(self, block);
        self.place = outer;
    }

    fn visit_item_struct_mut(&mut self, s: &mut syn::ItemStruct) {
        let outer = std::mem::replace(&mut self.place, format!("`types::{}`", s.ident));
        syn::visit_mut::visit_item_struct_mut(self, s);
        self.place = outer;
    }

    fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
        syn::visit_mut::visit_expr_mut(self, expr);
        match expr {
            syn::Expr::MethodCall(call) if call.method == "append" && call.args.len() == 2 => {
                if let Some(name) = crate::progenitor_output::literal_text(&call.args[0])
                    && http::HeaderName::from_bytes(name.as_bytes()).is_err()
                {
                    let message = format!("`{name}` is not a valid HTTP header name");
                    call.args[0] = syn::parse_quote! {
                        ::reqwest::header::HeaderName::from_bytes(#name.as_bytes())
                            .map_err(|_| progenitor_client::Error::InvalidRequest(#message.to_string()))?
                    };
                    self.notes.push(format!(
                        "{}: the header `{name}` is not a valid HTTP header name: calls that send it fail with an error",
                        self.place
                    ));
                }
            }
            syn::Expr::Call(call)
                if is_path_ending(&call.func, &["HeaderValue", "from_static"]) =>
            {
                if let Some(value) = call.args.first().and_then(crate::progenitor_output::literal_text)
                    // `from_static` takes visible ASCII only, stricter than
                    // `from_str`, which also allows bytes above 0x7f.
                    && !value.bytes().all(|b| (32..127).contains(&b) || b == b'\t')
                {
                    self.notes.push(format!(
                        "{}: the media type `{}` is not visible ASCII, which `HeaderValue::from_static` requires: it is passed to reqwest as text, which checks it when the call is made",
                        self.place,
                        value.escape_debug()
                    ));
                    *expr = syn::parse_quote!(#value);
                }
            }
            syn::Expr::MethodCall(call) if call.method == "unwrap" && call.args.is_empty() => {
                if let Some(fallback) = native_default(&call.receiver, &self.place, &mut self.notes)
                {
                    *expr = fallback;
                }
            }
            syn::Expr::Path(path) => {
                if let Some(fallback) = integer_default(&path.path, &self.place, &mut self.notes) {
                    *expr = fallback;
                }
            }
            _ => {}
        }
    }

    fn visit_attribute_mut(&mut self, attr: &mut syn::Attribute) {
        // `#[serde(default = "defaults::default_u64::<u8, 300>")]`
        if !attr.path().is_ident("serde") {
            return;
        }
        let mut function = None;
        let _ = attr.parse_nested_meta(|meta| {
            if meta.input.peek(syn::Token![=]) {
                let value: syn::Expr = meta.value()?.parse()?;
                if meta.path.is_ident("default")
                    && let syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(lit),
                        ..
                    }) = value
                {
                    function = Some(lit);
                }
            }
            Ok(())
        });
        let Some(lit) = function else {
            return;
        };
        let Ok(path) = lit.parse::<syn::Path>() else {
            return;
        };
        if integer_default(&path, &self.place, &mut self.notes).is_none() {
            return;
        }
        let syn::Meta::List(list) = &attr.meta else {
            return;
        };
        // Plain `default`: the field's type's own `Default`.
        let text = list
            .tokens
            .to_string()
            .replace(&format!("default = {}", quote::quote!(#lit)), "default");
        if let Ok(tokens) = text.parse::<proc_macro2::TokenStream>() {
            *attr = syn::parse_quote!(#[serde(#tokens)]);
        }
    }
}

fn is_path_ending(expr: &syn::Expr, ending: &[&str]) -> bool {
    let syn::Expr::Path(path) = expr else {
        return false;
    };
    let segments: Vec<String> = path
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    segments.ends_with(&ending.iter().map(|s| s.to_string()).collect::<Vec<_>>())
}

/// For typify's `defaults::default_{i64,u64}::<T, V>` whose `V` the primitive
/// `T` cannot hold: the fallback `Default::default` (and a note). `None` when
/// it is fine, or not such a path.
fn integer_default(path: &syn::Path, place: &str, notes: &mut Vec<String>) -> Option<syn::Expr> {
    let last = path.segments.last()?;
    if !matches!(
        last.ident.to_string().as_str(),
        "default_i64" | "default_u64"
    ) {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    let mut args = args.args.iter();
    let (Some(syn::GenericArgument::Type(ty)), Some(value)) = (args.next(), args.next()) else {
        return None;
    };
    let ty = quote::quote!(#ty).to_string().replace(' ', "");
    let value = quote::quote!(#value)
        .to_string()
        .replace([' ', '{', '}'], "");
    let value = value
        .strip_suffix("i64")
        .or_else(|| value.strip_suffix("u64"))
        .unwrap_or(&value);
    let value: i128 = value.parse().ok()?;
    // typify's integer types, by the format that gives each.
    let format = match ty.as_str() {
        "i8" => "int8",
        "i16" => "int16",
        "i32" => "int32",
        "i64" => "int64",
        "u8" => "uint8",
        "u16" => "uint16",
        "u32" => "uint32",
        "u64" => "uint64",
        _ => return None,
    };
    let (min, max) = crate::formats::integer_range(format)?;
    if (min..=max).contains(&value) {
        return None;
    }
    notes.push(format!(
        "{place}: the default {value} does not fit the field's type `{ty}`: the field defaults to {ty}'s default (0) instead"
    ));
    Some(syn::parse_quote!(::std::default::Default::default))
}

/// typify writes the default of a field whose type is a library's (a date,
/// a UUID, an address) as `serde_json::from_str::<T>("…").unwrap()`, run
/// whenever the field is absent. Decoded here with the same types and
/// versions; one that does not decode falls back to the type's default value
/// (and a note). `None` when it decodes, or the call is not such a default.
fn native_default(receiver: &syn::Expr, place: &str, notes: &mut Vec<String>) -> Option<syn::Expr> {
    let syn::Expr::Call(call) = receiver else {
        return None;
    };
    let syn::Expr::Path(func) = &*call.func else {
        return None;
    };
    let last = func.path.segments.last()?;
    if last.ident != "from_str" || !func.path.segments.iter().any(|s| s.ident == "serde_json") {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    let Some(syn::GenericArgument::Type(ty)) = args.args.first() else {
        return None;
    };
    let text = call
        .args
        .first()
        .and_then(crate::progenitor_output::literal_text)?;
    let ty = quote::quote!(#ty).to_string().replace(' ', "");
    let default: syn::Expr = syn::parse_quote!(::std::default::Default::default());
    // typify's library types, by the format that gives each, and a value of
    // each that needs no parsing.
    let (format, fallback): (&str, syn::Expr) = match ty.trim_start_matches("::") {
        "uuid::Uuid" => ("uuid", default),
        "chrono::naive::NaiveDate" | "chrono::NaiveDate" => ("date", default),
        t if t.starts_with("chrono::DateTime<") && t.contains("Utc") => ("date-time", default),
        "std::net::IpAddr" => (
            "ip",
            syn::parse_quote!(::std::net::IpAddr::V4(::std::net::Ipv4Addr::UNSPECIFIED)),
        ),
        "std::net::Ipv4Addr" => ("ipv4", syn::parse_quote!(::std::net::Ipv4Addr::UNSPECIFIED)),
        "std::net::Ipv6Addr" => ("ipv6", syn::parse_quote!(::std::net::Ipv6Addr::UNSPECIFIED)),
        // Not one of typify's formats: left as typify wrote it.
        _ => return None,
    };
    let decodes = serde_json::from_str::<serde_json::Value>(&text)
        .is_ok_and(|value| crate::formats::admits(format, &value));
    if decodes {
        return None;
    }
    notes.push(format!(
        "{place}: the default {text} is not a valid `{ty}`: the field defaults to `{}` instead",
        quote::quote!(#fallback).to_string().replace(' ', "")
    ));
    Some(fallback)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(mut file: syn::File) -> (String, Vec<String>) {
        let notes = no_panic(&mut file);
        let text = prettyplease::unparse(&file)
            .split_whitespace()
            .collect::<String>();
        (text, notes)
    }

    #[test]
    fn valid_literals_are_kept_as_they_are() {
        let file: syn::File = syn::parse_quote! {
            fn f() {
                header_map.append("X-Request-Id", value.to_string().try_into()?);
                let r = b.header(CONTENT_TYPE, ::reqwest::header::HeaderValue::from_static("text/plain; charset=utf-8"));
            }
            struct S {
                #[serde(default = "defaults::default_u64::<u8, 200>")]
                n: u8,
            }
        };
        let before = prettyplease::unparse(&file)
            .split_whitespace()
            .collect::<String>();
        let (after, notes) = rewritten(file);
        assert_eq!(before, after);
        assert!(notes.is_empty(), "{notes:?}");
    }

    #[test]
    fn invalid_literals_become_errors_at_call_time_not_panics() {
        let file: syn::File = syn::parse_quote! {
            fn f() {
                header_map.append("X Api Key", value.to_string().try_into()?);
                let r = b.header(CONTENT_TYPE, ::reqwest::header::HeaderValue::from_static("text/plain; charset=\u{e9}"));
            }
            struct S {
                #[serde(default = "defaults::default_u64::<u8, 300>", skip_serializing_if = "x")]
                n: u8,
            }
            impl Default for S {
                fn default() -> Self {
                    Self { n: defaults::default_i64::<i16, -40000>() }
                }
            }
        };
        let (text, notes) = rewritten(file);
        assert!(
            text.contains("header_map.append(::reqwest::header::HeaderName::from_bytes(\"XApiKey\".as_bytes())")
                || text.contains("header_map.append(::reqwest::header::HeaderName::from_bytes(\"X Api Key\".as_bytes())"),
            "{text}"
        );
        assert!(text.contains("InvalidRequest"), "{text}");
        assert!(
            text.contains("b.header(CONTENT_TYPE,\"text/plain;charset=\u{e9}\")"),
            "{text}"
        );
        assert!(
            text.contains("#[serde(default,skip_serializing_if=\"x\")]"),
            "{text}"
        );
        assert!(
            text.contains("n:::std::default::Default::default()"),
            "{text}"
        );
        assert_eq!(notes.len(), 4, "{notes:?}");
    }

    #[test]
    fn library_defaults_are_decoded_now_and_fall_back_when_they_do_not() {
        let file: syn::File = syn::parse_quote! {
            mod defaults {
                pub(super) fn good_date() -> ::chrono::naive::NaiveDate {
                    ::serde_json::from_str::<::chrono::naive::NaiveDate>("\"2024-02-29\"").unwrap()
                }
                pub(super) fn bad_date() -> ::chrono::naive::NaiveDate {
                    ::serde_json::from_str::<::chrono::naive::NaiveDate>("\"2023-02-29\"").unwrap()
                }
                pub(super) fn bad_time() -> ::chrono::DateTime<::chrono::offset::Utc> {
                    ::serde_json::from_str::<::chrono::DateTime<::chrono::offset::Utc>>("\"yesterday\"").unwrap()
                }
                pub(super) fn good_uuid() -> ::uuid::Uuid {
                    ::serde_json::from_str::<::uuid::Uuid>("\"67e55044-10b1-426f-9247-bb680e5fe0c8\"").unwrap()
                }
                pub(super) fn bad_ip() -> ::std::net::Ipv4Addr {
                    ::serde_json::from_str::<::std::net::Ipv4Addr>("\"256.0.0.1\"").unwrap()
                }
            }
        };
        let (text, notes) = rewritten(file);
        assert_eq!(text.matches(".unwrap()").count(), 2, "{text}");
        assert!(
            text.contains("fnbad_ip()->::std::net::Ipv4Addr{::std::net::Ipv4Addr::UNSPECIFIED}"),
            "{text}"
        );
        assert!(
            text.contains(
                "fnbad_date()->::chrono::naive::NaiveDate{::std::default::Default::default()}"
            ),
            "{text}"
        );
        assert_eq!(notes.len(), 3, "{notes:?}");
        assert!(
            notes[0].contains("the default \"2023-02-29\" is not a valid"),
            "{notes:?}"
        );
    }
}
