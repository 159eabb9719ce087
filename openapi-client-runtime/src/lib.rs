//! The runtime every generated client of this workspace shares: configuration,
//! authentication, retries, timeouts, redirects and the typed [`Error`].
//!
//! A client crate holds only what is generated from its provider's spec: the
//! provider's settings (a [`Provider`]), progenitor's request-building code,
//! the facade methods, and a few lines of glue that the orphan rule keeps in
//! the client crate. Each operation's generated code builds its request and
//! hands it to a [`Call`], the one execution path of every operation, here;
//! an operation of a shape the generator leaves to progenitor goes through
//! progenitor's `ClientHooks`, which call [`Runtime::prepare`] and
//! [`Runtime::execute`] the same way. Everything that is the same
//! for every provider is here, once, so that a fix reaches every client and one
//! `match` on [`Error`] serves them all:
//!
//! ```
//! fn describe(e: &openapi_client_runtime::Error) -> String {
//!     match e {
//!         openapi_client_runtime::Error::NotFound(_) => "gone".to_string(),
//!         other => other.to_string(),
//!     }
//! }
//! ```
//!
//! The modules follow the life of a call: [`ClientBuilder`] resolves the
//! settings (`config`), [`Runtime::prepare`] adds the headers, the retry loop
//! sends (`retry` decides when and how long to wait), the body is read with
//! bounds (`transport`), and the [`Call`] decodes the success or classifies
//! the failure as [`Error`] (`call`, `error`; [`finish`] for progenitor's
//! own methods). `rewire` holds the request changes that generated code
//! asks for where progenitor cannot express the spec, and `style` writes
//! parameters in the styles the spec declares.

/// The README's example, compiled as a doctest so that it cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

mod call;
mod config;
mod error;
pub mod paginate;
mod path;
mod retry;
pub mod rewire;
pub mod style;
mod trace;
mod transport;
mod unknown;

use std::time::Duration;

pub use call::{Call, Request, Responses};
pub use config::{ClientBuilder, ConfigError};
pub use error::{ApiError, ApiMessage, Error, InvalidResponse, finish};
pub use path::{check_path_segment, encode_path};
pub use transport::Runtime;
pub use unknown::UnknownValue;

/// What every client crate re-exports (`pub use openapi_client_runtime::exports::*`
/// in its generated `client.rs`), so that `gcore_iam::Error` and
/// `cloudflare_accounts::Error` name this crate's one [`Error`]. Kept here,
/// once, rather than listed in each client.
pub mod exports {
    /// What a list operation's `.items()` returns, and how many pages it
    /// reads at most unless told otherwise.
    pub use crate::paginate::{DEFAULT_MAX_PAGES, Items};
    pub use crate::{
        ApiError, ApiMessage, ConfigError, DEFAULT_CONNECT_TIMEOUT, DEFAULT_INITIAL_BACKOFF,
        DEFAULT_MAX_BACKOFF, DEFAULT_MAX_CONCURRENT_REQUESTS, DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT,
        Error, InvalidResponse, MAX_ERROR_BODY, MAX_REDIRECTS, MAX_RETRY_AFTER, MAX_SUCCESS_BODY,
        UnknownValue,
    };
}

/// Request timeout (connect, send, and read the whole response) unless configured.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// Connect timeout of the HTTP client the builder creates.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Retries after the first attempt unless configured (so 3 attempts in all).
pub const DEFAULT_MAX_RETRIES: u32 = 2;
/// First backoff delay; it doubles on each retry.
pub const DEFAULT_INITIAL_BACKOFF: Duration = Duration::from_millis(500);
/// Upper bound of the backoff delay.
pub const DEFAULT_MAX_BACKOFF: Duration = Duration::from_secs(8);
/// A server-requested delay (`Retry-After`, `retry-after-ms`) is obeyed up to this.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);
/// At most this much of an error body is read and kept.
pub const MAX_ERROR_BODY: usize = 64 * 1024;
/// A success body longer than this is refused as [`Error::InvalidResponse`]
/// instead of being held in memory.
pub const MAX_SUCCESS_BODY: usize = 16 * 1024 * 1024;
/// Requests one client (and its clones) has in flight at once unless configured.
///
/// HTTP/1.1 carries one request per connection at a time, so without a bound a
/// burst of N concurrent calls opens N connections. With it, calls beyond the
/// limit wait for a free slot and reuse the pooled connections.
pub const DEFAULT_MAX_CONCURRENT_REQUESTS: usize = 64;
/// Redirects followed per attempt, and only within the same origin.
pub const MAX_REDIRECTS: usize = 10;

/// What the runtime needs to know about a provider. Each client crate's
/// generated code holds one.
#[derive(Debug)]
pub struct Provider {
    /// The API's name, for `Debug` output.
    pub title: &'static str,
    /// The client crate's name, for `User-Agent` and traces.
    pub crate_name: &'static str,
    /// The client crate's version, for `User-Agent`.
    pub crate_version: &'static str,
    /// The spec's first server; empty when it names no absolute one.
    pub default_base_url: &'static str,
    /// The environment variable that overrides the base URL.
    pub base_url_env: &'static str,
    /// The header that carries the credential.
    pub auth_header: &'static str,
    /// What precedes the credential in that header (`"Bearer "`).
    pub auth_prefix: &'static str,
    /// The environment variable holding the credential.
    pub credential_env: &'static str,
    /// What the vendor calls the credential, for error messages.
    pub credential_name: &'static str,
    /// The header that carries an idempotency key (Stripe's
    /// `Idempotency-Key`), if the API takes one: each call of a method that
    /// is not idempotent (POST, PATCH, ...) then gets a key of its own, sent
    /// on every attempt, so that retrying it cannot repeat its effect.
    /// Without one, such a call is retried only when it cannot have reached
    /// the server, or when the server says it may be.
    pub idempotency_header: Option<&'static str>,
    /// The provider's response envelope, if its responses have one.
    pub envelope: Option<Envelope>,
    /// Every operation, for traces.
    pub operations: &'static [Operation],
}

/// One operation as the spec declares it.
#[derive(Debug)]
pub struct Operation {
    /// progenitor's operation id: the method name.
    pub id: &'static str,
    /// The HTTP method.
    pub method: &'static str,
    /// The path template (`/a/{id}`), never the concrete path.
    pub path: &'static str,
}

/// Field names of a provider's `{success, errors, result}` response envelope.
#[derive(Debug)]
pub struct Envelope {
    /// The boolean field that says whether the call succeeded.
    pub success: &'static str,
    /// The list of `{code, message}` errors.
    pub errors: &'static str,
}

/// Implemented by each client crate's `Client`, so that [`ClientBuilder`] can
/// build it. Generated; client code has no reason to call it.
pub trait Api: Sized {
    /// The provider's settings.
    const PROVIDER: &'static Provider;

    /// The client, from the resolved base URL (without a trailing `/`), the
    /// HTTP client and the runtime.
    fn from_parts(base_url: &str, http: reqwest::Client, runtime: Runtime) -> Self;
}
