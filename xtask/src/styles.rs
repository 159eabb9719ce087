//! Styles step: progenitor's generated methods send their query parameters,
//! their path parameters of a style other than `simple`, and their cookies
//! through the runtime's `style` module, which writes each typed value as
//! the spec's `style` and `explode` say (see
//! [`lower::Styled`](crate::lower::Styled)).
//!
//! progenitor writes a query parameter with serde's URL encoding
//! (`QueryParam`), which knows one style (`form`, arrays exploded), and
//! percent-encodes `,`; a path parameter as `encode_path(&x.to_string())`;
//! a cookie (lowered to a header) as `value.to_string()`. The step replaces
//! those expressions by calls of the runtime, so the serialization is
//! written once, in the runtime, and not per operation:
//!
//! - the `.query(&QueryParam::new("n", &x))` calls of the request chain
//!   are taken out and the URL is built with `style::Query` before it,
//!   every parameter in the spec's order and under its vendor name;
//! - `encode_path(&x.to_string())` becomes `style::path("n", &x, ..)?`;
//! - a cookie header's value becomes `style::cookie("n", &value, ..)?`,
//!   the pairs the facade's rewire moves into `Cookie`.
//!
//! Path parameters run before `lean` (which rewrites integer
//! `encode_path` calls) and the facade (which checks what is left of
//! them); queries after the facade and `numbers`, which read
//! progenitor's `QueryParam` calls.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::visit_mut::VisitMut;
use syn::{Expr, ExprMethodCall};

use crate::lower::{Place, Styled, Wire};
use crate::progenitor_output::{self, literal_text};

/// The runtime's `Style` variant for a spec's style name.
fn variant(style: &str) -> TokenStream {
    let name = match style {
        "spaceDelimited" => "SpaceDelimited",
        "pipeDelimited" => "PipeDelimited",
        "deepObject" => "DeepObject",
        "label" => "Label",
        "matrix" => "Matrix",
        "simple" => "Simple",
        _ => "Form",
    };
    let ident = quote::format_ident!("{name}");
    quote!(::openapi_client_runtime::style::Style::#ident)
}

/// Path parameters and cookies of every method, through the runtime.
pub fn paths_and_cookies(file: &mut syn::File, styles: &BTreeMap<String, Vec<Styled>>) {
    for f in progenitor_output::client_methods_mut(file) {
        let Some((method, path)) = progenitor_output::request_line(f) else {
            continue;
        };
        let Some(styled) = styles.get(&format!("{method} {path}")) else {
            continue;
        };
        let variables = template_variables(&path);
        let mut visitor = PathsAndCookies { styled, variables };
        visitor.visit_block_mut(&mut f.block);
    }
}

/// Query parameters of every method, through the runtime.
pub fn queries(
    file: &mut syn::File,
    styles: &BTreeMap<String, Vec<Styled>>,
    wire: &BTreeMap<String, Vec<Wire>>,
) {
    const NONE: &[Styled] = &[];
    for f in progenitor_output::client_methods_mut(file) {
        let Some((method, path)) = progenitor_output::request_line(f) else {
            continue;
        };
        let route = format!("{method} {path}");
        let mut visitor = Queries {
            styled: styles.get(&route).map_or(NONE, Vec::as_slice),
            wire: wire.get(&route).map_or(&[], Vec::as_slice),
        };
        visitor.visit_block_mut(&mut f.block);
    }
}

/// The `{name}`s of a path template, in order.
fn template_variables(path: &str) -> Vec<String> {
    path.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_string()))
        .collect()
}

struct PathsAndCookies<'a> {
    styled: &'a [Styled],
    variables: Vec<String>,
}

impl PathsAndCookies<'_> {
    fn find(&self, place: Place, name: &str) -> Option<&Styled> {
        self.styled
            .iter()
            .find(|s| s.place == place && s.name == name)
    }
}

/// `x` of `x.to_string()` (or of `&x.to_string()`).
fn displayed(expr: &Expr) -> Option<&Expr> {
    let expr = match expr {
        Expr::Reference(r) => r.expr.as_ref(),
        other => other,
    };
    match expr {
        Expr::MethodCall(call) if call.method == "to_string" && call.args.is_empty() => {
            Some(call.receiver.as_ref())
        }
        _ => None,
    }
}

impl VisitMut for PathsAndCookies<'_> {
    fn visit_macro_mut(&mut self, mac: &mut syn::Macro) {
        // The URL's `format!`: a format string, the base URL, then one
        // argument per template variable, in the template's order.
        if !mac.path.is_ident("format") {
            return;
        }
        let Ok(mut args) = mac
            .parse_body_with(syn::punctuated::Punctuated::<Expr, syn::Token![,]>::parse_terminated)
        else {
            return;
        };
        let mut changed = false;
        for (arg, variable) in args.iter_mut().skip(2).zip(&self.variables) {
            let Expr::Call(call) = arg else { continue };
            let is_encode =
                matches!(call.func.as_ref(), Expr::Path(p) if p.path.is_ident("encode_path"));
            let Some(styled) = self.find(Place::Path, variable) else {
                continue;
            };
            let Some(value) = call.args.first().filter(|_| is_encode).and_then(displayed) else {
                continue;
            };
            let style = variant(&styled.style);
            let explode = styled.explode;
            *arg = syn::parse_quote!(
                ::openapi_client_runtime::style::path(#variable, &#value, #style, #explode)?
            );
            changed = true;
        }
        if changed {
            mac.tokens = args.to_token_stream();
        }
    }

    fn visit_expr_method_call_mut(&mut self, call: &mut ExprMethodCall) {
        syn::visit_mut::visit_expr_method_call_mut(self, call);
        // `header_map.append("cookie-{name}", value.to_string().try_into()?)`
        if call.method != "append" || call.args.len() != 2 {
            return;
        }
        let Some(header) = literal_text(&call.args[0]) else {
            return;
        };
        let Some(styled) = header
            .strip_prefix("cookie-")
            .and_then(|name| self.find(Place::Cookie, name))
        else {
            return;
        };
        let Expr::Try(tried) = &call.args[1] else {
            return;
        };
        let Expr::MethodCall(into) = tried.expr.as_ref() else {
            return;
        };
        let Some(value) = displayed(&into.receiver).filter(|_| into.method == "try_into") else {
            return;
        };
        let (name, explode) = (&styled.name, styled.explode);
        call.args[1] = syn::parse_quote!(
            ::openapi_client_runtime::style::cookie(#name, &#value, #explode)?
                .unwrap_or_default()
                .try_into()?
        );
    }
}

struct Queries<'a> {
    styled: &'a [Styled],
    wire: &'a [Wire],
}

impl Queries<'_> {
    /// The vendor's name, style and explode of the parameter progenitor
    /// sends as `sent`.
    fn of(&self, sent: &str) -> (String, TokenStream, bool) {
        let name = self
            .wire
            .iter()
            .find_map(|w| match w {
                Wire::QueryName { sent: s, wire } if s == sent => Some(wire.clone()),
                _ => None,
            })
            .unwrap_or_else(|| sent.to_string());
        match self
            .styled
            .iter()
            .find(|s| s.place == Place::Query && s.name == name)
        {
            Some(s) => (name, variant(&s.style), s.explode),
            None => (name, variant("form"), true),
        }
    }
}

/// `("name", &x)` of `.query(&progenitor_client::QueryParam::new("name", &x))`.
fn query_call(call: &ExprMethodCall) -> Option<(String, Expr)> {
    if call.method != "query" || call.args.len() != 1 {
        return None;
    }
    let Expr::Reference(arg) = &call.args[0] else {
        return None;
    };
    let Expr::Call(new) = arg.expr.as_ref() else {
        return None;
    };
    let Expr::Path(f) = new.func.as_ref() else {
        return None;
    };
    let mut segments = f.path.segments.iter().rev();
    if segments.next()?.ident != "new" || segments.next()?.ident != "QueryParam" {
        return None;
    }
    if new.args.len() != 2 {
        return None;
    }
    Some((literal_text(&new.args[0])?, new.args[1].clone()))
}

/// Whether `expr` is `self.client`, the receiver of the request chain.
fn is_http_client(expr: &Expr) -> bool {
    matches!(expr, Expr::Field(f)
        if matches!(&f.member, syn::Member::Named(n) if n == "client")
        && matches!(f.base.as_ref(), Expr::Path(p) if p.path.is_ident("self")))
}

impl Queries<'_> {
    /// The request chain below `expr` without its `.query(..)` calls, taken
    /// into `params` outermost first, and the URL of the
    /// `self.client.get(url)` they follow built with all of them.
    fn strip(&self, expr: Expr, params: &mut Vec<(String, Expr)>) -> Expr {
        let mut call = match expr {
            Expr::MethodCall(call) => call,
            // `.form_urlencoded(&body)?` sits in the chain of a form body.
            Expr::Try(mut attempt) => {
                let inner = std::mem::replace(attempt.expr.as_mut(), Expr::PLACEHOLDER);
                *attempt.expr = self.strip(inner, params);
                return Expr::Try(attempt);
            }
            other => return other,
        };
        if let Some(param) = query_call(&call) {
            params.push(param);
            return self.strip(*call.receiver, params);
        }
        if is_http_client(&call.receiver) {
            if let Some(url) = call.args.last_mut().filter(|_| !params.is_empty()) {
                let adds = params.iter().rev().map(|(sent, value)| {
                    let (name, style, explode) = self.of(sent);
                    quote!(.param(#name, #value, #style, #explode))
                });
                let taken = std::mem::replace(url, Expr::PLACEHOLDER);
                *url = syn::parse_quote!(
                    ::openapi_client_runtime::style::Query::new(#taken) #(#adds)* .finish()?
                );
            }
            return Expr::MethodCall(call);
        }
        let receiver = std::mem::replace(call.receiver.as_mut(), Expr::PLACEHOLDER);
        *call.receiver = self.strip(receiver, params);
        Expr::MethodCall(call)
    }
}

impl VisitMut for Queries<'_> {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        if !matches!(expr, Expr::MethodCall(c) if c.method == "build") {
            return syn::visit_mut::visit_expr_mut(self, expr);
        }
        let chain = std::mem::replace(expr, Expr::PLACEHOLDER);
        let mut params = Vec::new();
        let stripped = self.strip(chain.clone(), &mut params);
        // A chain whose request line the walk did not reach keeps its
        // `.query(..)` calls: dropping them would leave parameters unsent.
        *expr = if params.is_empty() || placed_in(&stripped) {
            stripped
        } else {
            chain
        };
    }
}

/// Whether `expr` builds its URL with the runtime's `style::Query`.
fn placed_in(expr: &Expr) -> bool {
    quote!(#expr).to_string().contains("style :: Query :: new")
}

/// The styled parameters of each operation, by the name of its mock's
/// `When` struct (progenitor's PascalCase operationId and `When`).
pub fn mock_structs(
    doc: &serde_json::Value,
    styles: &BTreeMap<String, Vec<Styled>>,
) -> BTreeMap<String, Vec<Styled>> {
    use heck::ToUpperCamelCase;
    let mut out = BTreeMap::new();
    let paths = doc.get("paths").and_then(serde_json::Value::as_object);
    for (path, item) in paths.into_iter().flatten() {
        for method in crate::generate::METHODS {
            let Some(id) = item
                .pointer(&format!("/{method}/operationId"))
                .and_then(serde_json::Value::as_str)
            else {
                continue;
            };
            if let Some(styled) = styles.get(&format!("{} {path}", method.to_ascii_uppercase())) {
                // progenitor's `sanitize(id, Case::Pascal)`, as
                // `generate::method_name` mirrors its snake case.
                let name = id
                    .replace('\'', "")
                    .replace(|c: char| !unicode_ident::is_xid_continue(c), "-")
                    .to_upper_camel_case();
                out.insert(format!("{name}When"), styled.clone());
            }
        }
    }
    out
}

/// The mock's `When` setters expect a styled query parameter as the client
/// sends it: progenitor's matches `value.to_string()` under the parameter's
/// name, which is neither `color=a,b` nor `color[R]=100`. Each pair the
/// runtime writes is expected instead (the runtime's `style::query_pairs`, decoded, as
/// `httpmock` compares them).
pub fn mock_queries(file: &mut syn::File, styles: &BTreeMap<String, Vec<Styled>>) {
    for item in &mut file.items {
        let syn::Item::Mod(m) = item else { continue };
        let Some((_, items)) = m.content.as_mut() else {
            continue;
        };
        for item in items {
            let syn::Item::Impl(block) = item else {
                continue;
            };
            let syn::Type::Path(ty) = block.self_ty.as_ref() else {
                continue;
            };
            let Some(styled) = ty
                .path
                .get_ident()
                .and_then(|name| styles.get(&name.to_string()))
            else {
                continue;
            };
            MockQueries { styled }.visit_item_impl_mut(block);
        }
    }
}

struct MockQueries<'a> {
    styled: &'a [Styled],
}

impl VisitMut for MockQueries<'_> {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        syn::visit_mut::visit_expr_mut(self, expr);
        let Expr::MethodCall(call) = expr else { return };
        if call.method != "query_param" || call.args.len() != 2 {
            return;
        }
        let Some(name) = literal_text(&call.args[0]) else {
            return;
        };
        let is_displayed = displayed(&call.args[1])
            .is_some_and(|v| matches!(v, Expr::Path(p) if p.path.is_ident("value")));
        let Some(styled) = self
            .styled
            .iter()
            .find(|s| s.place == Place::Query && s.name == name)
            .filter(|s| is_displayed && (s.style != "form" || !s.explode))
        else {
            return;
        };
        let (style, explode) = (variant(&styled.style), styled.explode);
        let receiver = &call.receiver;
        *expr = syn::parse_quote! {
            ::openapi_client_runtime::style::query_pairs(#name, &value, #style, #explode)
                .into_iter()
                .fold(#receiver, |when, (k, v)| when.query_param(k, v))
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn squeezed(file: &syn::File) -> String {
        prettyplease::unparse(file)
            .split_whitespace()
            .collect::<String>()
            .replace(",)", ")")
    }

    fn styled(place: Place, name: &str, style: &str, explode: bool) -> Styled {
        Styled {
            place,
            name: name.into(),
            style: style.into(),
            explode,
        }
    }

    #[test]
    fn queries_paths_and_cookies_call_the_runtime() {
        let mut file: syn::File = syn::parse_quote! {
            impl Client {
                #[doc = "Sends a `GET` request to `/a/{id}/{n}`"]
                pub async fn get<'a>(&'a self, id: &'a str, n: i64, filter: Option<&'a types::F>, page: Option<f64>, id_query: &'a str, cookie_theme: Option<&'a str>) -> Result<(), Error<()>> {
                    let url = format!("{}/a/{}/{}", self.baseurl, encode_path(&id.to_string()), encode_path(&n.to_string()),);
                    let mut header_map = ::reqwest::header::HeaderMap::with_capacity(1usize);
                    if let Some(value) = cookie_theme {
                        header_map.append("cookie-theme", value.to_string().try_into()?);
                    }
                    #[allow(unused_mut)]
                    let mut request = self.client.get(url)
                        .query(&progenitor_client::QueryParam::new("filter", &filter))
                        .query(&progenitor_client::QueryParam::new("page", &page.map(WholeNumber::from)))
                        .query(&progenitor_client::QueryParam::new("id_query", &id_query))
                        .headers(header_map)
                        .build()?;
                    Ok(())
                }
            }
        };
        let route = "GET /a/{id}/{n}".to_string();
        let styles = BTreeMap::from([(
            route.clone(),
            vec![
                styled(Place::Path, "id", "matrix", true),
                styled(Place::Query, "filter", "deepObject", true),
                styled(Place::Query, "page", "form", true),
                styled(Place::Query, "id", "pipeDelimited", false),
                styled(Place::Cookie, "theme", "form", false),
            ],
        )]);
        let wire = BTreeMap::from([(
            route,
            vec![Wire::QueryName {
                sent: "id_query".into(),
                wire: "id".into(),
            }],
        )]);
        paths_and_cookies(&mut file, &styles);
        queries(&mut file, &styles, &wire);
        let text = squeezed(&file);
        let style = "::openapi_client_runtime::style";
        for expected in [
            format!(
                "{style}::path(\"id\",&id,{style}::Style::Matrix,true)?,encode_path(&n.to_string()))"
            ),
            format!(
                "header_map.append(\"cookie-theme\",{style}::cookie(\"theme\",&value,false)?.unwrap_or_default().try_into()?)"
            ),
            format!(
                "self.client.get({style}::Query::new(url).param(\"filter\",&filter,{style}::Style::DeepObject,true)\
                 .param(\"page\",&page.map(WholeNumber::from),{style}::Style::Form,true)\
                 .param(\"id\",&id_query,{style}::Style::PipeDelimited,false).finish()?).headers(header_map).build()?"
            ),
        ] {
            assert!(text.contains(&expected), "{expected}\nnot in\n{text}");
        }
        assert!(!text.contains("QueryParam"), "{text}");
    }

    #[test]
    fn queries_after_a_form_body_are_sent() {
        // ReadMe's Star Trek document: a POST with a form body, whose chain
        // has `.form_urlencoded(&body)?` between the request line and the
        // queries. They were taken out and never put back: not sent.
        let mut file: syn::File = syn::parse_quote! {
            impl Client {
                #[doc = "Sends a `POST` request to `/animal/search`"]
                pub async fn post_animal_search<'a>(&'a self, api_key: Option<&'a str>, body: &'a types::Body) -> Result<(), Error<()>> {
                    let url = format!("{}/animal/search", self.baseurl,);
                    #[allow(unused_mut)]
                    let mut request = self.client.post(url)
                        .form_urlencoded(&body)?
                        .query(&progenitor_client::QueryParam::new("apiKey", &api_key))
                        .headers(header_map)
                        .build()?;
                    Ok(())
                }
            }
        };
        queries(&mut file, &BTreeMap::new(), &BTreeMap::new());
        let text = squeezed(&file);
        let style = "::openapi_client_runtime::style";
        let expected = format!(
            "self.client.post({style}::Query::new(url).param(\"apiKey\",&api_key,{style}::Style::Form,true).finish()?).form_urlencoded(&body)?.headers(header_map).build()?"
        );
        assert!(text.contains(&expected), "{expected}\nnot in\n{text}");
    }

    #[test]
    fn a_method_without_query_parameters_is_unchanged() {
        let source: syn::File = syn::parse_quote! {
            impl Client {
                #[doc = "Sends a `GET` request to `/a/{id}`"]
                pub async fn get<'a>(&'a self, id: &'a str) -> Result<(), Error<()>> {
                    let url = format!("{}/a/{}", self.baseurl, encode_path(&id.to_string()),);
                    let mut request = self.client.get(url).headers(header_map).build()?;
                    Ok(())
                }
            }
        };
        let mut file = source.clone();
        paths_and_cookies(&mut file, &BTreeMap::new());
        queries(&mut file, &BTreeMap::new(), &BTreeMap::new());
        assert_eq!(squeezed(&file), squeezed(&source));
    }
}
