//! Facade step: the public `Client` and its methods, derived from progenitor's
//! output.
//!
//! progenitor's methods return `progenitor_client::Error<E>`, whose shape differs
//! per operation and which can lose the error body. Each facade method calls the
//! generated one and hands the result to the runtime crate
//! (`openapi-client-runtime`), which returns the single typed `Error` every
//! client shares. Deriving the facade from the generated signatures (rather
//! than from the spec) guarantees both stay in step.
//!
//! Two files come out: `client.rs`, the glue the orphan rule keeps in the
//! client crate (the provider's data, the `Client` type, progenitor's hooks,
//! the re-exports of the runtime), and `api.rs`, one method per operation.

use anyhow::{Result, bail};
use proc_macro2::{TokenStream, TokenTree};
use quote::{format_ident, quote};
use syn::{FnArg, GenericArgument, Pat, PathArguments, ReturnType, Type};

use std::collections::{BTreeMap, BTreeSet};

use crate::lower::Wire;
use crate::progenitor_output::{client_methods, is_number, option_inner, request_line};
use crate::providers::Provider;
use crate::thin::{Kind, Thin};

/// The two files of the facade, as tokens.
pub struct Facade {
    /// `client.rs`: the provider's data, `Client`, the hooks, the re-exports.
    pub client: TokenStream,
    /// `api.rs`: the request changes and one method per operation.
    pub api: TokenStream,
}

/// Builds `client.rs` and `api.rs` from progenitor's output.
pub fn facade(
    generated: &syn::File,
    provider: &Provider,
    default_base_url: &str,
    wire: &BTreeMap<String, Vec<Wire>>,
    thinned: &BTreeMap<String, Thin>,
) -> Result<Facade> {
    let mut methods = Vec::new();
    let mut requests = Vec::new();
    let mut request_names = BTreeSet::new();
    let mut operations = Vec::new();
    let mut rewired = Vec::new();
    let types = crate::paginate::Types::of(generated);
    for f in client_methods(generated) {
        let id = f.sig.ident.to_string();
        let (method, path) = request_line(f).ok_or_else(|| {
            anyhow::anyhow!(
                "the generated method `{id}` does not document its request line \
                 (\"Sends a `METHOD` request to `PATH`\"); progenitor's output changed"
            )
        })?;
        let changes = wire.get(&format!("{method} {path}"));
        let optional_body = changes.is_some_and(|c| c.contains(&Wire::OptionalBody));
        let request_name = request_name(&id, &mut request_names);
        let wrapped = wrap(
            f,
            thinned.get(&id),
            optional_body,
            changes.is_some(),
            &request_name,
            &types,
            &provider.pagination,
        )?;
        methods.push(wrapped.method);
        requests.push(wrapped.request);
        if let Some(changes) = changes {
            let calls = changes.iter().map(|change| match change {
                Wire::ContentType(media) => {
                    quote!(runtime::rewire::set_content_type(request, #media)?;)
                }
                Wire::Multipart => quote!(runtime::rewire::encode_multipart(request)?;),
                Wire::OptionalBody => quote!(runtime::rewire::empty_for_null(request);),
                Wire::QueryName { sent, wire } => {
                    quote!(runtime::rewire::rename_query_parameter(request, #sent, #wire);)
                }
                Wire::HeaderName { sent, wire } => {
                    quote!(runtime::rewire::rename_header(request, #sent, #wire)?;)
                }
                // The styles step writes the cookie's pairs into the header.
                Wire::Cookie { sent, .. } => {
                    quote!(runtime::rewire::cookies_from_header(request, #sent)?;)
                }
            });
            rewired.push(quote!(#id => { #(#calls)* }));
        }
        operations.push(quote!(runtime::Operation { id: #id, method: #method, path: #path }));
    }
    if methods.is_empty() {
        bail!(
            "progenitor generated no operations for {}",
            provider.spec_display()
        );
    }

    let crate_name = &provider.crate_name;
    let header = &provider.auth.header;
    let prefix = &provider.auth.prefix;
    let key_env = &provider.auth.env;
    let what = &provider.auth.what;
    let base_url_env = &provider.base_url_env;
    let title = &provider.title;
    let envelope = match &provider.envelope {
        Some(e) => {
            let (success, errors) = (&e.success, &e.errors);
            quote!(Some(runtime::Envelope { success: #success, errors: #errors }))
        }
        None => quote!(None),
    };
    let idempotency_header = match &provider.idempotency_header {
        Some(name) => quote!(Some(#name)),
        None => quote!(None),
    };
    // Without lowered operations the hook does nothing, and says so plainly.
    let (request_arg, operation_arg, rewire_body) = if rewired.is_empty() {
        (
            format_ident!("_request"),
            format_ident!("_operation"),
            quote!(Ok(())),
        )
    } else {
        (
            format_ident!("request"),
            format_ident!("operation"),
            quote! {
                match operation {
                    #(#rewired)*
                    _ => {}
                }
                Ok(())
            },
        )
    };
    let methods_text = quote!(#(#methods)* #(#requests)*).to_string();
    let use_types = methods_text.contains("types ::").then(|| {
        quote!(
            use crate::generated::types;
        )
    });
    // Registry text in rustdoc's Markdown: shown, never read as Markdown.
    let client_doc = format!(
        "A client for the {} API. Cheap to clone: clones share one connection pool.\n\n\
         Create one with [`Client::new`], [`Client::from_env`] or [`Client::builder`].",
        crate::escape::markdown(title)
    );
    let client = quote! {
        //! The crate's [`Client`]: the provider's settings, progenitor's hooks
        //! into the shared runtime, and what the crate re-exports of it.

        use openapi_client_runtime as runtime;
        use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};

        use crate::generated;

        pub use crate::api::requests;
        pub use crate::generated::types;
        pub use openapi_client_runtime::exports::*;

        /// Builds a [`Client`]. Every setting has a safe default.
        pub type ClientBuilder = runtime::ClientBuilder<Client>;

        /// Everything the runtime needs to know about this provider.
        pub(crate) const PROVIDER: runtime::Provider = runtime::Provider {
            title: #title,
            crate_name: #crate_name,
            crate_version: env!("CARGO_PKG_VERSION"),
            default_base_url: #default_base_url,
            base_url_env: #base_url_env,
            auth_header: #header,
            auth_prefix: #prefix,
            credential_env: #key_env,
            credential_name: #what,
            idempotency_header: #idempotency_header,
            envelope: #envelope,
            operations: OPERATIONS,
        };

        /// Each operation's method and path template, as the spec declares them:
        /// what traces show instead of the concrete URL.
        const OPERATIONS: &[runtime::Operation] = &[#(#operations),*];

        #[doc = #client_doc]
        #[derive(Clone)]
        pub struct Client {
            // Shared: a clone per call (or per task) copies no base URL.
            raw: ::std::sync::Arc<generated::Client>,
        }

        impl Client {
            /// A client with the given credential and every other setting at its default.
            ///
            /// # Errors
            ///
            /// [`ConfigError::MissingCredential`] when `credential` is empty, and
            /// [`ConfigError::InvalidCredential`] when it cannot be sent in a header.
            pub fn new(credential: impl Into<String>) -> Result<Self, ConfigError> {
                Self::builder().credential(credential).build()
            }

            /// A client configured from the environment: the credential from the
            /// provider's credential variable, the base URL from its base-URL variable
            /// when set (see the crate docs for their names).
            ///
            /// # Errors
            ///
            /// [`ConfigError::MissingCredential`] when the variable is unset or empty,
            /// and the errors of [`ClientBuilder::build`](runtime::ClientBuilder::build).
            pub fn from_env() -> Result<Self, ConfigError> {
                Self::builder().env().build()
            }

            /// A builder for every setting.
            pub fn builder() -> ClientBuilder {
                ClientBuilder::default()
            }

            /// The base URL requests are sent to, without a trailing `/`.
            pub fn base_url(&self) -> &str {
                self.raw.baseurl()
            }

            /// The generated client, which the facade methods call.
            pub(crate) fn raw(&self) -> &generated::Client {
                &self.raw
            }
        }

        impl ::std::fmt::Debug for Client {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                self.raw.inner().fmt_client(f, self.raw.baseurl())
            }
        }

        impl runtime::Api for Client {
            const PROVIDER: &'static runtime::Provider = &PROVIDER;

            fn from_parts(base_url: &str, http: reqwest::Client, runtime: runtime::Runtime) -> Self {
                Self {
                    raw: ::std::sync::Arc::new(generated::Client::new_with_client(base_url, http, runtime)),
                }
            }
        }

        // progenitor's extension points, which the orphan rule keeps here.
        impl ClientHooks<runtime::Runtime> for generated::Client {
            async fn pre<E>(
                &self,
                request: &mut reqwest::Request,
                info: &OperationInfo,
            ) -> Result<(), progenitor_client::Error<E>> {
                crate::api::rewire(request, info.operation_id)
                    .map_err(progenitor_client::Error::InvalidRequest)?;
                self.inner().prepare(request);
                Ok(())
            }

            async fn exec(
                &self,
                request: reqwest::Request,
                info: &OperationInfo,
            ) -> reqwest::Result<reqwest::Response> {
                self.inner().execute(self.client(), request, info.operation_id).await
            }
        }

        impl From<generated::types::error::ConversionError> for Error {
            fn from(e: generated::types::error::ConversionError) -> Self {
                Self::InvalidArgument {
                    name: "value",
                    reason: e.to_string(),
                }
            }
        }
    };
    let api = quote! {
        //! The public operations of [`Client`](crate::Client), one method each.

        #use_types
        use openapi_client_runtime::{self as runtime, Error};

        /// Changes an operation's request where the spec asks for what
        /// progenitor cannot build (another `Content-Type`, a multipart form);
        /// see the notes of `cargo xtask generate`.
        #[inline]
        pub(crate) fn rewire(
            #request_arg: &mut reqwest::Request,
            #operation_arg: &str,
        ) -> Result<(), String> {
            #rewire_body
        }

        // Signatures are copied from progenitor's, lifetimes included.
        #[allow(clippy::needless_lifetimes)]
        impl crate::Client {
            #(#methods)*
        }

        /// One request builder per operation, returned by its `Client` method.
        pub mod requests {
            #[allow(unused_imports)]
            use super::*;

            #(#requests)*
        }
    };
    Ok(Facade { client, api })
}

/// Each generated operation: (method name, HTTP method, path template).
pub fn operations(generated: &syn::File) -> Vec<(String, String, String)> {
    client_methods(generated)
        .filter_map(|f| {
            let (method, path) = request_line(f)?;
            Some((f.sig.ident.to_string(), method, path))
        })
        .collect()
}

/// One operation's public API: a method on `Client` that takes the required
/// parameters (progenitor's order: path parameters first) and returns a
/// request builder, with a setter per optional parameter (and for a body the
/// caller may leave out), `.send()`, and `IntoFuture`, so that
/// `client.op(a, b).await` reads as a plain call. An optional parameter the
/// vendor adds is then a new setter, not a new argument.
struct Wrapped {
    method: TokenStream,
    request: TokenStream,
}

/// The builder's setter names that would shadow its own methods.
const RESERVED_SETTERS: &[&str] = &["send", "into_future", "build_request"];

fn wrap(
    f: &syn::ImplItemFn,
    thin: Option<&Thin>,
    optional_body: bool,
    rewired: bool,
    request_name: &syn::Ident,
    types: &crate::paginate::Types,
    pagination: &[crate::providers::Pagination],
) -> Result<Wrapped> {
    let sig = &f.sig;
    let name = &sig.ident;
    let docs: Vec<&syn::Attribute> = f
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .collect();
    let argument_docs = argument_docs(&docs);
    let mut success = match thin {
        Some(thin) => thin.success.clone(),
        None => success_type(&sig.output).ok_or_else(|| {
            anyhow::anyhow!("unexpected return type of generated method `{name}`")
        })?,
    };
    // A body that is not JSON comes back as progenitor's stream, which the
    // generated module names through its own import.
    if matches!(&success, Type::Path(p) if p.path.is_ident("ByteStream")) {
        success = syn::parse_quote!(::progenitor_client::ByteStream);
    }
    let mut generics = sig.generics.clone();
    if generics.lifetimes().next().is_none() {
        generics.params.insert(0, syn::parse_quote!('a));
    }
    let (impl_generics, type_generics, where_clause) = generics.split_for_impl();
    // What the future must satisfy to be boxed as `Send + 'a`.
    let send_bounds = generics.type_params().map(|t| {
        let ident = &t.ident;
        quote!(#ident: Send + 'a,)
    });

    let mut fields = Vec::new();
    let mut required = Vec::new();
    let mut initial = Vec::new();
    let mut setters = Vec::new();
    let mut args = Vec::new();
    let mut types_of = BTreeMap::new();
    let mut optional = Vec::new();
    for input in &sig.inputs {
        let FnArg::Typed(pt) = input else { continue };
        let Pat::Ident(id) = pt.pat.as_ref() else {
            bail!("generated method `{name}` has an argument that is not a plain name");
        };
        let ident = &id.ident;
        let ty = pt.ty.as_ref();
        types_of.insert(ident.to_string(), ty.clone());
        let is_body = ident == "body";
        let option_of = option_inner(ty);
        let doc = argument_docs
            .get(ident.to_string().trim_start_matches("r#"))
            .cloned()
            .unwrap_or_else(|| format!("Sets `{ident}`."));
        if is_body && optional_body {
            // `null` is what the runtime sends as an empty body.
            fields.push(quote!(#ident: Option<#ty>));
            initial.push(quote!(#ident: None));
            args.push(quote!(self.#ident.unwrap_or(&::serde_json::Value::Null)));
            setters.push(quote! {
                /// The request body; without it, an empty body is sent.
                pub fn #ident(mut self, value: #ty) -> Self {
                    self.#ident = Some(value);
                    self
                }
            });
        } else if let Some(inner) = option_of {
            optional.push((ident.clone(), inner.clone()));
            fields.push(quote!(#ident: #ty));
            initial.push(quote!(#ident: None));
            args.push(quote!(self.#ident));
            let setter = if RESERVED_SETTERS.contains(&ident.to_string().as_str()) {
                format_ident!("set_{}", ident)
            } else {
                ident.clone()
            };
            setters.push(quote! {
                #[doc = #doc]
                pub fn #setter(mut self, value: #inner) -> Self {
                    self.#ident = Some(value);
                    self
                }
            });
        } else {
            fields.push(quote!(#ident: #ty));
            initial.push(quote!(#ident));
            required.push(quote!(#ident: #ty));
            args.push(quote!(self.#ident));
        }
    }
    // A value such as `..` is encoded unchanged by progenitor and then collapsed by
    // URL parsing, silently changing the target; numbers cannot be dot segments.
    let checks = path_parameters(&f.block)
        .into_iter()
        .filter(|p| types_of.get(p).is_some_and(|t| !is_number(t)))
        .map(|p| {
            let ident = format_ident!("{}", p);
            quote!(runtime::check_path_segment(#p, &self.#ident.to_string())?;)
        });
    // Only a builder without type parameters: its future must be `Send + 'a`.
    let items = if generics.type_params().next().is_none() {
        crate::paginate::items_method(
            types,
            pagination,
            request_name,
            &f.block,
            &optional,
            &success,
        )
    } else {
        None
    };
    let request_doc = format!(
        "The `{name}` call ([`Client::{name}`](crate::Client::{name})): set its optional \
         parameters, then `.await` it or call [`send`](Self::send)."
    );
    let (send, into_future) = match thin {
        Some(thin) => {
            let operation = name.to_string();
            let statuses = thin.statuses.iter().map(|(from, to)| quote!((#from, #to)));
            let start = match thin.kind {
                Kind::Json => quote!(json),
                Kind::Empty => quote!(empty),
                Kind::Stream => quote!(stream),
            };
            let build = if rewired {
                quote! {
                    let mut request = self.__client.raw().#name(#(#args),*)?;
                    crate::api::rewire(&mut request, #operation)
                        .map_err(|reason| Error::InvalidArgument { name: "request", reason })?;
                    Ok(request)
                }
            } else {
                quote!(Ok(self.__client.raw().#name(#(#args),*)?))
            };
            (
                quote! {
                    /// Sends the request; `.await` the call for the decoded response.
                    ///
                    /// # Errors
                    ///
                    /// Any failure, including a non-success status, is returned as [`Error`];
                    /// transient ones are retried first as the client's retry policy allows.
                    pub fn send(self) -> runtime::Call<'a, #success> {
                        let raw = self.__client.raw();
                        runtime::Call::#start(runtime::Request {
                            runtime: &raw.inner,
                            http: &raw.client,
                            request: self.build_request(),
                            responses: &runtime::Responses {
                                operation: #operation,
                                success: &[#(#statuses),*],
                            },
                        })
                    }

                    /// The request progenitor's code builds, checked.
                    fn build_request(self) -> Result<reqwest::Request, Error> {
                        #(#checks)*
                        #build
                    }
                },
                quote! {
                    impl #impl_generics ::std::future::IntoFuture for #request_name #type_generics #where_clause {
                        type Output = Result<#success, Error>;
                        type IntoFuture = runtime::Call<'a, #success>;

                        fn into_future(self) -> Self::IntoFuture {
                            self.send()
                        }
                    }
                },
            )
        }
        // progenitor's own method, through its hooks.
        None => (
            quote! {
                /// Sends the request and returns the decoded response.
                ///
                /// # Errors
                ///
                /// Any failure, including a non-success status, is returned as [`Error`];
                /// transient ones are retried first as the client's retry policy allows.
                pub async fn send(self) -> Result<#success, Error> {
                    #(#checks)*
                    runtime::finish(self.__client.raw().#name(#(#args),*).await).await
                }
            },
            quote! {
                impl #impl_generics ::std::future::IntoFuture for #request_name #type_generics
                where
                    #(#send_bounds)*
                {
                    type Output = Result<#success, Error>;
                    type IntoFuture = ::std::pin::Pin<Box<dyn ::std::future::Future<Output = Self::Output> + Send + 'a>>;

                    fn into_future(self) -> Self::IntoFuture {
                        Box::pin(self.send())
                    }
                }
            },
        ),
    };
    let method = quote! {
        #(#docs)*
        ///
        /// Returns the request: `.await` it (or call `.send().await`) after
        /// setting any optional parameter on it.
        pub fn #name #impl_generics (&'a self, #(#required),*) -> requests::#request_name #type_generics #where_clause {
            requests::#request_name {
                __client: self,
                #(#initial),*
            }
        }
    };
    let request = quote! {
        #[doc = #request_doc]
        #[must_use = "a request does nothing until it is awaited or sent"]
        #[derive(Clone)]
        pub struct #request_name #impl_generics #where_clause {
            // Named so that no parameter's field can take its name.
            pub(crate) __client: &'a crate::Client,
            #(pub(crate) #fields),*
        }

        impl #impl_generics #request_name #type_generics #where_clause {
            #(#setters)*

            #items

            #send
        }

        #into_future
    };
    Ok(Wrapped { method, request })
}

/// Each argument's line of progenitor's "Arguments:" list (`` - `name`: text ``).
fn argument_docs(docs: &[&syn::Attribute]) -> BTreeMap<String, String> {
    let mut found = BTreeMap::new();
    for attr in docs {
        let syn::Meta::NameValue(nv) = &attr.meta else {
            continue;
        };
        let syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(text),
            ..
        }) = &nv.value
        else {
            continue;
        };
        for line in text.value().lines() {
            let Some(rest) = line.trim().strip_prefix("- `") else {
                continue;
            };
            if let Some((arg, description)) = rest.split_once("`: ") {
                found.insert(arg.to_string(), description.trim().to_string());
            }
        }
    }
    found
}

/// The request builder's name: the method's, in UpperCamelCase, plus
/// `Request`; numbered if two methods would share it.
fn request_name(method: &str, taken: &mut BTreeSet<String>) -> syn::Ident {
    use heck::ToUpperCamelCase;
    let camel = method.trim_start_matches("r#").to_upper_camel_case();
    // `_2fa` is a method name, `2faRequest` no type name.
    let prefix = if camel.starts_with(|c: char| c.is_ascii_alphabetic()) {
        ""
    } else {
        "Op"
    };
    let base = format!("{prefix}{camel}Request");
    let mut name = base.clone();
    let mut n = 2;
    while !taken.insert(name.clone()) {
        name = format!("{base}{n}");
        n += 1;
    }
    format_ident!("{}", name)
}

/// `T` out of `Result<ResponseValue<T>, Error<E>>`.
fn success_type(output: &ReturnType) -> Option<Type> {
    let ReturnType::Type(_, ty) = output else {
        return None;
    };
    let rv = first_generic(ty)?;
    first_generic(&rv)
}

fn first_generic(ty: &Type) -> Option<Type> {
    let Type::Path(p) = ty else { return None };
    let PathArguments::AngleBracketed(args) = &p.path.segments.last()?.arguments else {
        return None;
    };
    args.args.iter().find_map(|a| match a {
        GenericArgument::Type(t) => Some(t.clone()),
        _ => None,
    })
}

/// Names of the arguments the generated body passes to `encode_path(&x.to_string())`.
fn path_parameters(block: &syn::Block) -> Vec<String> {
    let mut found = Vec::new();
    scan(quote!(#block), &mut found);
    found
}

fn scan(tokens: TokenStream, found: &mut Vec<String>) {
    let mut previous_was_encode = false;
    for tt in tokens {
        match tt {
            TokenTree::Ident(ref i) => previous_was_encode = i == "encode_path",
            TokenTree::Group(g) => {
                if previous_was_encode
                    && let Some(TokenTree::Ident(arg)) = g
                        .stream()
                        .into_iter()
                        .find(|t| matches!(t, TokenTree::Ident(_)))
                {
                    found.push(arg.to_string());
                }
                previous_was_encode = false;
                scan(g.stream(), found);
            }
            _ => previous_was_encode = false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_names_are_type_names_and_unique() {
        let mut taken = BTreeSet::new();
        let names: Vec<String> = ["_2fa", "r#type", "get_a1", "get_a_1", "x"]
            .iter()
            .map(|m| request_name(m, &mut taken).to_string())
            .collect();
        assert_eq!(
            names,
            [
                "Op2faRequest",
                "TypeRequest",
                "GetA1Request",
                "GetA1Request2",
                "XRequest"
            ]
        );
    }

    #[test]
    fn finds_path_parameters_in_generated_body() {
        let block: syn::Block = syn::parse_quote!({
            let url = format!(
                "{}/a/{}/b/{}",
                self.baseurl,
                encode_path(&account_id.to_string()),
                encode_path(&token_id.to_string())
            );
            other(&x.to_string());
        });
        assert_eq!(path_parameters(&block), ["account_id", "token_id"]);
    }

    #[test]
    fn request_line_comes_from_the_docs() {
        let f: syn::ImplItemFn = syn::parse_quote! {
            #[doc = "Delete\n\nSends a `DELETE` request to `/a/{b}/c`\n\nArguments:"]
            pub async fn x(&self) {}
        };
        assert_eq!(
            request_line(&f),
            Some(("DELETE".to_string(), "/a/{b}/c".to_string()))
        );
        let undocumented: syn::ImplItemFn = syn::parse_quote!(
            pub async fn x(&self) {}
        );
        assert_eq!(request_line(&undocumented), None);
    }

    #[test]
    fn success_type_of_generated_signature() {
        let ret: ReturnType = syn::parse_quote!(-> Result<ResponseValue<types::X>, Error<()>>);
        let ty = success_type(&ret).unwrap();
        assert_eq!(quote!(#ty).to_string(), "types :: X");
    }
}
