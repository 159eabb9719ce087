//! The provider registry: `specs/providers.toml`, read once and validated.
//!
//! Everything that differs between providers lives in that file so that the
//! pipeline itself has no provider-specific code.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Deserialize;

/// Path of the registry, relative to the workspace root.
pub const REGISTRY: &str = "specs/providers.toml";

/// One provider: where its spec is and what crate it becomes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provider {
    /// Key of the entry in the registry; also the name used on the command line.
    #[serde(skip)]
    pub name: String,
    /// Spec file, relative to `specs/`.
    pub spec: PathBuf,
    /// Crate directory (relative to the workspace root) and package name.
    #[serde(rename = "crate")]
    pub crate_name: String,
    /// Human name of the API, used in docs.
    pub title: String,
    /// Env var that overrides the default base URL.
    pub base_url_env: String,
    /// How the credential is sent.
    pub auth: Auth,
    /// The header that carries an idempotency key, if the API takes one
    /// (Stripe's `Idempotency-Key`): the runtime then sends a key of its own
    /// with each call of a method that is not idempotent, the same on every
    /// attempt, and retries such calls like idempotent ones.
    #[serde(default)]
    pub idempotency_header: Option<String>,
    /// The JSON envelope the API wraps bodies in, if any.
    #[serde(default)]
    pub envelope: Option<Envelope>,
    /// Operation names to change: operationId or `"METHOD /path"` → new operationId.
    #[serde(default)]
    pub rename: BTreeMap<String, String>,
    /// The operationIds to generate, when the spec is a full vendor document:
    /// the pipeline slices the spec down to them (see [`crate::slice`]).
    #[serde(default)]
    pub operations: Option<Vec<String>>,
    /// Refuse the spec instead of lowering it: every note (a lowering, a
    /// repair, an operation left out) becomes an error. `--strict` sets it
    /// for one run.
    #[serde(default)]
    pub strict: bool,
    /// How large the provider's document may be, in MiB of expanded size
    /// (see [`crate::load::Limit`]); 16 unless set. Raise it only for a
    /// document you trust: generation costs time and memory in proportion.
    #[serde(default)]
    pub max_spec_mib: Option<u64>,
    /// The provider's list patterns, tried in order on each operation: a
    /// matching operation's request gets `.items()`, a stream over all pages
    /// (see [`crate::paginate`]).
    #[serde(default)]
    pub pagination: Vec<Pagination>,
    /// The tags whose operations the crate's `default` feature compiles
    /// (spec tags or their feature names; see [`crate::features`]); every
    /// tag when absent. A large API picks a few: each tag left out of
    /// `default` is compile time its users do not pay unless they ask.
    #[serde(default)]
    pub default_tags: Option<Vec<String>>,
}

/// How one kind of list operation pages. Field names are the JSON names;
/// `a.b` reaches into a nested object.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "style", rename_all = "lowercase", deny_unknown_fields)]
pub enum Pagination {
    /// A 1-based page-number query parameter (Cloudflare's `page`/`per_page`).
    Page {
        /// The page-number query parameter.
        page: String,
        /// The response field holding the page's items (an array).
        items: String,
        /// The response field holding the number of pages, if any.
        #[serde(default)]
        total_pages: Option<String>,
    },
    /// A skip-count query parameter (Gcore's `limit`/`offset`).
    Offset {
        /// The skip-count query parameter.
        offset: String,
        /// The response field holding the page's items (an array).
        items: String,
        /// The response field holding the number of items in the list, if any.
        #[serde(default)]
        total: Option<String>,
    },
    /// An opaque token from each page, sent back for the next one.
    Cursor {
        /// The query parameter that takes the token.
        cursor: String,
        /// The response field holding the page's items (an array).
        items: String,
        /// The response field holding the next page's token.
        next: String,
    },
}

/// How a credential travels on the wire.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Auth {
    /// Header name, e.g. `Authorization`.
    pub header: String,
    /// Prefix before the secret, e.g. `Bearer ` (trailing space included).
    pub prefix: String,
    /// Env var holding the secret.
    pub env: String,
    /// What the vendor calls the credential ("API key", "API token").
    pub what: String,
}

/// Field names of a `{success, errors, result}` style response envelope.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// Boolean field that is `false` when the call failed.
    pub success: String,
    /// Array of `{code, message}` objects describing failures.
    pub errors: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Registry {
    providers: BTreeMap<String, Provider>,
}

impl Provider {
    /// Absolute path of the spec file.
    pub fn spec_path(&self, root: &Path) -> PathBuf {
        root.join("specs").join(&self.spec)
    }

    /// The loader's limit for this provider's spec (`max_spec_mib`).
    pub fn load_limit(&self) -> crate::load::Limit {
        self.max_spec_mib
            .map_or_else(crate::load::Limit::default, crate::load::Limit::mib)
    }

    /// Spec path as shown to people (relative to the workspace root, `/`-separated).
    pub fn spec_display(&self) -> String {
        format!("specs/{}", self.spec.display())
    }

    /// Absolute path of the crate directory.
    pub fn crate_dir(&self, root: &Path) -> PathBuf {
        root.join(&self.crate_name)
    }
}

/// Reads and validates the registry under `root`.
pub fn load(root: &Path) -> Result<Vec<Provider>> {
    let path = root.join(REGISTRY);
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read the provider registry {REGISTRY}"))?;
    let providers = parse(&text, &path)?;
    for provider in &providers {
        crate::validate::crate_dir(root, provider, REGISTRY)?;
    }
    Ok(providers)
}

/// Parses registry text; `path` is only used in messages.
pub fn parse(text: &str, path: &Path) -> Result<Vec<Provider>> {
    let registry: Registry = toml::from_str(text).map_err(|e| {
        anyhow::anyhow!(
            "{}: {}\nFix the entry; every key is documented at the top of {REGISTRY}.",
            path.display(),
            e.to_string().trim_end()
        )
    })?;
    let mut providers = Vec::new();
    let mut crates: BTreeMap<String, String> = BTreeMap::new();
    for (name, mut provider) in registry.providers {
        provider.name = name.clone();
        crate::validate::provider(&provider, &path.display().to_string())?;
        if let Some(other) = crates.insert(provider.crate_name.clone(), name.clone()) {
            bail!(
                "{}: [providers.{name}] and [providers.{other}] both claim crate {:?}; give each provider its own crate",
                path.display(),
                provider.crate_name
            );
        }
        providers.push(provider);
    }
    if providers.is_empty() {
        bail!(
            "{}: no [providers.*] entries; declare at least one provider",
            path.display()
        );
    }
    Ok(providers)
}

/// Picks the providers named on the command line (all when `names` is empty).
pub fn select(all: Vec<Provider>, names: &[String]) -> Result<Vec<Provider>> {
    if names.is_empty() {
        return Ok(all);
    }
    for name in names {
        if !all.iter().any(|p| &p.name == name) {
            let known: Vec<&str> = all.iter().map(|p| p.name.as_str()).collect();
            bail!(
                "unknown provider {name:?}; {REGISTRY} declares: {}",
                known.join(", ")
            );
        }
    }
    Ok(all
        .into_iter()
        .filter(|p| names.contains(&p.name))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE: &str = r#"
[providers.a]
spec = "a.yaml"
crate = "a-client"
title = "A"
base_url_env = "A_BASE_URL"
[providers.a.auth]
header = "Authorization"
prefix = "Bearer "
env = "A_TOKEN"
what = "token"
"#;

    #[test]
    fn parses_an_entry() {
        let providers = parse(ONE, Path::new("p.toml")).unwrap();
        assert_eq!(providers[0].name, "a");
        assert_eq!(providers[0].crate_name, "a-client");
        assert!(providers[0].envelope.is_none());
        assert!(providers[0].operations.is_none());
    }

    #[test]
    fn a_provider_raises_the_load_limit_within_bounds() {
        let limit = |line: &str| {
            parse(
                &ONE.replace("title = \"A\"", &format!("title = \"A\"\n{line}")),
                Path::new("p.toml"),
            )
            .map(|p| p[0].load_limit())
        };
        assert_eq!(limit("").unwrap(), crate::load::Limit::default());
        assert_eq!(
            limit("max_spec_mib = 48").unwrap(),
            crate::load::Limit::mib(48)
        );
        for refused in ["max_spec_mib = 0", "max_spec_mib = 1025"] {
            let err = limit(refused).unwrap_err().to_string();
            assert!(
                err.contains("max_spec_mib") && err.contains("from 1 to 1024"),
                "{err}"
            );
        }
        assert!(limit("max_spec_mib = \"48\"").is_err());
    }

    #[test]
    fn parses_an_operation_selection() {
        let text = ONE.replace(
            "title = \"A\"",
            "title = \"A\"\noperations = [\"listThings\", \"getThing\"]",
        );
        let providers = parse(&text, Path::new("p.toml")).unwrap();
        assert_eq!(
            providers[0].operations.as_deref(),
            Some(&["listThings".to_string(), "getThing".to_string()][..])
        );
    }

    #[test]
    fn unknown_key_names_file_and_key() {
        let text = ONE.replace("title = \"A\"", "title = \"A\"\ncolour = \"red\"");
        let err = parse(&text, Path::new("p.toml")).unwrap_err().to_string();
        assert!(err.contains("p.toml"), "{err}");
        assert!(err.contains("colour"), "{err}");
    }

    #[test]
    fn two_providers_one_crate_is_rejected() {
        let text = format!("{ONE}\n{}", ONE.replace("providers.a", "providers.b"));
        let err = parse(&text, Path::new("p.toml")).unwrap_err().to_string();
        assert!(err.contains("both claim crate \"a-client\""), "{err}");
    }

    #[test]
    fn unknown_provider_on_command_line() {
        let all = parse(ONE, Path::new("p.toml")).unwrap();
        let err = select(all, &["zz".into()]).unwrap_err().to_string();
        assert!(err.contains("unknown provider \"zz\""), "{err}");
    }
}
