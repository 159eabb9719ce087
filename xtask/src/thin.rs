//! Thin step: each operation's generated code only builds its request; the
//! call itself runs in the runtime, written and compiled once.
//!
//! progenitor writes every operation as an `async fn` that builds the
//! request, runs the hooks, sends, and matches the status to decode the
//! response. With the facade's `send` and its boxed `IntoFuture` on top, each
//! operation compiled three async state machines: a 1,533-operation crate
//! (Cloudflare's) spent most of its 212–250 s `cargo check` type-checking and
//! borrow-checking them, and each call paid for the nested futures.
//!
//! Here each such method keeps progenitor's request-building statements as
//! they are (URL, query, headers, body: the wire does not change) and
//! returns the built `reqwest::Request`, synchronously. What its status
//! `match` said is read off the match and kept as a [`Thin`]: the success
//! type, how it decodes (JSON, no content, a byte stream) and which statuses
//! are successes. The facade hands both to `openapi_client_runtime::Call`.
//!
//! A method whose shape this step does not recognise (a `101` upgrade, a
//! success arm that is a wildcard, success arms that decode differently) is
//! left as progenitor wrote it, and the facade calls it through progenitor's
//! hooks as before: the cost stays with that operation.

use std::collections::BTreeMap;

use quote::ToTokens;
use syn::{Expr, Pat, Stmt, Type};

use crate::progenitor_output;

/// How an operation's success response becomes its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A JSON body (`ResponseValue::from_response`).
    Json,
    /// No content (`ResponseValue::empty`): the value is `()`.
    Empty,
    /// The body as a stream (`ResponseValue::stream`).
    Stream,
}

/// What an operation's status `match` said, for the facade.
#[derive(Clone)]
pub struct Thin {
    /// The success type, as progenitor's signature named it.
    pub success: Type,
    /// How the success body decodes.
    pub kind: Kind,
    /// The success statuses (inclusive ranges), in match order.
    pub statuses: Vec<(u16, u16)>,
}

/// Rewrites every operation method it recognises; the map, by method name,
/// holds what each rewritten method's response `match` said.
pub fn thin(file: &mut syn::File) -> BTreeMap<String, Thin> {
    let mut thinned = BTreeMap::new();
    for f in progenitor_output::client_methods_mut(file) {
        if let Some(thin) = rewrite(f) {
            thinned.insert(f.sig.ident.to_string(), thin);
        }
    }
    thinned
}

fn rewrite(f: &mut syn::ImplItemFn) -> Option<Thin> {
    f.sig.asyncness?;
    let (success, error) = result_types(&f.sig.output)?;
    let stmts = &f.block.stmts;
    // progenitor's tail: `let info = ..; pre; let result = exec; post;
    // let response = result?; match response.status().as_u16() { .. }`.
    let info = stmts.iter().position(|s| is_let(s, "info"))?;
    let tail = &stmts[info..];
    if tail.len() != 6 || !is_let(stmts.get(info.checked_sub(1)?)?, "request") {
        return None;
    }
    let hooks = tail[1..5]
        .iter()
        .map(|s| s.to_token_stream().to_string().replace(' ', ""))
        .collect::<Vec<_>>();
    let expected = [
        "self.pre(&mutrequest,&info).await?;",
        "letresult=self.exec(request,&info).await;",
        "self.post(&result,&info).await?;",
        "letresponse=result?;",
    ];
    if hooks != expected {
        return None;
    }
    let Stmt::Expr(Expr::Match(matched), None) = &tail[5] else {
        return None;
    };
    let (kind, statuses) = arms(matched)?;
    f.block.stmts.truncate(info);
    f.block
        .stmts
        .push(Stmt::Expr(syn::parse_quote!(Ok(request)), None));
    f.sig.asyncness = None;
    f.sig.output = syn::parse_quote!(-> Result<reqwest::Request, Error<#error>>);
    Some(Thin {
        success,
        kind,
        statuses,
    })
}

/// `T` and `E` of `Result<ResponseValue<T>, Error<E>>`.
fn result_types(output: &syn::ReturnType) -> Option<(Type, Type)> {
    let syn::ReturnType::Type(_, ty) = output else {
        return None;
    };
    let ok = progenitor_output::generic_arg(ty.as_ref(), "Result")?;
    let success = progenitor_output::generic_arg(ok, "ResponseValue")?.clone();
    let Type::Path(p) = ty.as_ref() else {
        return None;
    };
    let syn::PathArguments::AngleBracketed(args) = &p.path.segments.last()?.arguments else {
        return None;
    };
    let err = args
        .args
        .iter()
        .filter_map(|a| match a {
            syn::GenericArgument::Type(t) => Some(t),
            _ => None,
        })
        .nth(1)?;
    let error = progenitor_output::generic_arg(err, "Error")?.clone();
    Some((success, error))
}

fn is_let(stmt: &Stmt, name: &str) -> bool {
    let Stmt::Local(local) = stmt else {
        return false;
    };
    let pat = match &local.pat {
        Pat::Type(t) => t.pat.as_ref(),
        other => other,
    };
    matches!(pat, Pat::Ident(id) if id.ident == name)
}

/// The success kind and statuses of a status `match`, or `None` when an arm
/// is of a shape the runtime's one path does not take.
fn arms(matched: &syn::ExprMatch) -> Option<(Kind, Vec<(u16, u16)>)> {
    let scrutinee = matched.expr.to_token_stream().to_string().replace(' ', "");
    if scrutinee != "response.status().as_u16()" {
        return None;
    }
    let mut kind = None;
    let mut statuses = Vec::new();
    let mut failures: Vec<Option<(u16, u16)>> = Vec::new();
    for arm in &matched.arms {
        if arm.guard.is_some() {
            return None;
        }
        let range = status_range(&arm.pat)?;
        let body = arm.body.to_token_stream().to_string().replace(' ', "");
        let body = body.trim_start_matches('{').trim_end_matches('}');
        if body.starts_with("Err(") {
            failures.push(range);
            continue;
        }
        let this = if body == "ResponseValue::from_response(response).await" {
            Kind::Json
        } else if body == "Ok(ResponseValue::empty(response))" {
            Kind::Empty
        } else if body == "Ok(ResponseValue::stream(response))" {
            Kind::Stream
        } else {
            return None;
        };
        if kind.is_some_and(|k| k != this) {
            return None;
        }
        kind = Some(this);
        // A success the match names is a range; a wildcard success is not
        // one the runtime's table takes.
        let (from, to) = range?;
        // A failure arm before it that takes one of its statuses wins there.
        if failures
            .iter()
            .any(|f| f.is_none_or(|(a, b)| a <= to && from <= b))
        {
            return None;
        }
        statuses.push((from, to));
    }
    Some((kind?, statuses))
}

/// `Some(Some(range))` for a literal or range pattern, `Some(None)` for `_`.
fn status_range(pat: &Pat) -> Option<Option<(u16, u16)>> {
    match pat {
        Pat::Wild(_) => Some(None),
        Pat::Lit(lit) => {
            let n = int(&lit.lit)?;
            Some(Some((n, n)))
        }
        Pat::Range(range) => {
            if !matches!(range.limits, syn::RangeLimits::Closed(_)) {
                return None;
            }
            let bound = |e: &Option<Box<Expr>>| match e.as_deref() {
                Some(Expr::Lit(lit)) => int(&lit.lit),
                _ => None,
            };
            Some(Some((bound(&range.start)?, bound(&range.end)?)))
        }
        _ => None,
    }
}

fn int(lit: &syn::Lit) -> Option<u16> {
    match lit {
        syn::Lit::Int(i) => i.base10_parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(arms: &str) -> syn::File {
        let text = format!(
            r#"
            impl Client {{
                pub async fn op<'a>(&'a self, id: &'a str) -> Result<ResponseValue<types::Thing>, Error<types::Problem>> {{
                    let url = format!("{{}}/things/{{}}", self.baseurl, encode_path(&id.to_string()));
                    #[allow(unused_mut)]
                    let mut request = self.client.get(url).build()?;
                    let info = OperationInfo {{ operation_id: "op" }};
                    self.pre(&mut request, &info).await?;
                    let result = self.exec(request, &info).await;
                    self.post(&result, &info).await?;
                    let response = result?;
                    match response.status().as_u16() {{
                        {arms}
                    }}
                }}
            }}"#
        );
        syn::parse_str(&text).unwrap()
    }

    #[test]
    fn keeps_the_request_and_reads_the_match() {
        let mut f = file(
            "200u16 => ResponseValue::from_response(response).await,
             201u16..=299u16 => { ResponseValue::from_response(response).await }
             404u16 => Err(Error::ErrorResponse(ResponseValue::from_response(response).await?)),
             _ => Err(Error::UnexpectedResponse(response)),",
        );
        let thinned = thin(&mut f);
        let op = &thinned["op"];
        assert_eq!(op.kind, Kind::Json);
        assert_eq!(op.statuses, [(200, 200), (201, 299)]);
        assert_eq!(op.success.to_token_stream().to_string(), "types :: Thing");
        let text = f.to_token_stream().to_string();
        assert!(!text.contains("async"), "{text}");
        assert!(!text.contains("self . exec"), "{text}");
        assert!(text.contains("format !"), "the URL is still built: {text}");
        assert!(
            text.contains("-> Result < reqwest :: Request , Error < types :: Problem > >"),
            "{text}"
        );
        assert!(text.ends_with("Ok (request) } }"), "{text}");
    }

    #[test]
    fn empty_and_stream_successes() {
        let mut f = file(
            "204u16 => Ok(ResponseValue::empty(response)), _ => Err(Error::UnexpectedResponse(response)),",
        );
        assert_eq!(thin(&mut f)["op"].kind, Kind::Empty);
        let mut f = file(
            "200u16 => Ok(ResponseValue::stream(response)), _ => Err(Error::UnexpectedResponse(response)),",
        );
        assert_eq!(thin(&mut f)["op"].kind, Kind::Stream);
    }

    #[test]
    fn leaves_what_it_does_not_recognise() {
        for arms in [
            // An upgrade.
            "101u16 => ResponseValue::upgrade(response).await, _ => Err(Error::UnexpectedResponse(response)),",
            // Two success kinds (no single success type could hold both).
            "200u16 => ResponseValue::from_response(response).await, 204u16 => Ok(ResponseValue::empty(response)),",
            // A failure arm that would take a status of a later success arm.
            "_ => Err(Error::UnexpectedResponse(response)), 200u16 => ResponseValue::from_response(response).await,",
            // A guard.
            "200u16 if true => ResponseValue::from_response(response).await, _ => Err(Error::UnexpectedResponse(response)),",
        ] {
            let mut f = file(arms);
            let before = f.to_token_stream().to_string();
            assert!(thin(&mut f).is_empty(), "{arms}");
            assert_eq!(f.to_token_stream().to_string(), before, "{arms}");
        }
    }
}
