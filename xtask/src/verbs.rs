//! Verbs step: requests whose HTTP method reqwest has no shorthand for.
//!
//! progenitor starts each request with `self.client.<method>(url)`, the
//! operation's method lower-cased. reqwest's `Client` has shorthands for
//! GET, POST, PUT, PATCH, DELETE and HEAD only, so a document with an OPTIONS
//! or TRACE operation generated a crate that did not compile (`no method named
//! options found for struct reqwest::Client`: APIs-guru's apideck.com/proxy).
//! The step rewrites those calls to the general form,
//! `self.client.request(::reqwest::Method::OPTIONS, url)`, which sends the
//! same request.

use syn::visit_mut::VisitMut;

/// Methods progenitor may call on the client that reqwest's `Client` lacks,
/// with the `reqwest::Method` constant each one means.
const WITHOUT_SHORTHAND: [(&str, &str); 2] = [("options", "OPTIONS"), ("trace", "TRACE")];

/// Rewrites every `self.client.options(url)` (and `trace`) in `file`.
pub fn spelled_out(file: &mut syn::File) {
    Verbs.visit_file_mut(file);
}

struct Verbs;

/// Whether `expr` is `self.client`, the field progenitor's methods start from.
fn is_self_client(expr: &syn::Expr) -> bool {
    let syn::Expr::Field(field) = expr else {
        return false;
    };
    matches!(&field.member, syn::Member::Named(name) if name == "client")
        && matches!(field.base.as_ref(), syn::Expr::Path(p) if p.path.is_ident("self"))
}

impl VisitMut for Verbs {
    fn visit_expr_method_call_mut(&mut self, call: &mut syn::ExprMethodCall) {
        syn::visit_mut::visit_expr_method_call_mut(self, call);
        let Some((_, constant)) = WITHOUT_SHORTHAND
            .iter()
            .find(|(name, _)| call.method == name)
        else {
            return;
        };
        if call.args.len() != 1 || !is_self_client(&call.receiver) {
            return;
        }
        let constant = syn::Ident::new(constant, call.method.span());
        let url = &call.args[0];
        call.method = syn::Ident::new("request", call.method.span());
        call.args = syn::parse_quote!(::reqwest::Method::#constant, #url);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::ToTokens;

    fn rewritten(code: &str) -> String {
        let mut file: syn::File = syn::parse_str(code).unwrap();
        spelled_out(&mut file);
        file.into_token_stream().to_string()
    }

    #[test]
    fn options_and_trace_go_through_request() {
        let out = rewritten(
            "fn f(&self) { let r = self.client.options(url).header(a, b); \
             let t = self.client.trace(url); }",
        );
        assert!(
            out.contains("self . client . request (:: reqwest :: Method :: OPTIONS , url)"),
            "{out}"
        );
        assert!(
            out.contains("self . client . request (:: reqwest :: Method :: TRACE , url)"),
            "{out}"
        );
        assert!(!out.contains(". options ("), "{out}");
    }

    #[test]
    fn shorthands_reqwest_has_and_other_receivers_stay() {
        let code = "fn f(&self) { self.client.get(url); self.client.delete(url); \
                    builder.options(url); self.client.options(a, b); }";
        let out = rewritten(code);
        let original = syn::parse_str::<syn::File>(code)
            .unwrap()
            .into_token_stream()
            .to_string();
        assert_eq!(out, original);
    }
}
