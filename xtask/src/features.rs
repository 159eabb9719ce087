//! A cargo feature per OpenAPI tag: each operation is compiled only when one
//! of its tags is enabled, and each type only when an enabled operation
//! reaches it.
//!
//! Why: a large API's crate costs every user a build of all its operations
//! (Cloudflare's 1,533 take minutes to check), while a service calls a few.
//! Which operations a tag holds is a fact of the spec (each operation's
//! `tags`, matched by HTTP method and path template); which items belong to
//! an operation, and which types an item names, are facts of the generated
//! code, read from it here by name and by type (never from method bodies'
//! shapes, which other steps rewrite):
//!
//! - an operation's items: progenitor's method of that name in `impl Client`,
//!   the facade method of that name, the request struct its return type
//!   names and every impl of that struct, and in the mock module the
//!   `MockServerExt` method of that name and the `When`/`Then` structs its
//!   signature names;
//! - a type's gate: the tags of every operation whose items name it, or name
//!   a type whose definition names it (the closure over definitions);
//! - every other item (an impl, a builder, a default function) needs all the
//!   local types it names: `all(any(..), any(..))`, with a set dropped when a
//!   smaller one implies it, and no cfg at all for a set of every tag.
//!
//! A schema no operation reaches (a webhook payload, a leftover) is compiled
//! with `full` only: a build of a few tags pays nothing for it, and `full`
//! still has the whole document. `types::error` is never gated: the client's
//! glue converts its `ConversionError`.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Result, bail};
use proc_macro2::TokenStream;
use quote::quote;
use serde_json::Value;
use syn::visit::Visit;
use syn::{ImplItem, Item, TraitItem, Type};

use crate::progenitor_output::{client_methods, is_client};

/// The features every crate has besides its tags (and the optional
/// dependencies, whose names cargo reserves): a tag never takes these names.
pub const FIXED: &[&str] = &[
    "default",
    "full",
    "rustls",
    "native-tls",
    "tracing",
    "mock",
    "httpmock",
    "regex",
];

/// The feature of operations without a tag (suffixed if a tag takes it).
pub const UNTAGGED: &str = "untagged";

/// One tag's feature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagFeature {
    /// The tag as the spec spells it; `None` for the untagged operations.
    pub tag: Option<String>,
    /// The method names of its operations.
    pub operations: Vec<String>,
}

/// The features of one crate, and what each item of its code needs.
/// Plain strings only: the mock module is finished on another thread.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Each tag feature, by feature name.
    pub features: BTreeMap<String, TagFeature>,
    /// The features `default` enables (besides `rustls`).
    pub default: BTreeSet<String>,
    /// Each operation's features (method name → feature names).
    of_op: BTreeMap<String, BTreeSet<String>>,
    /// Each local type's gate (types every tag reaches are absent).
    types: BTreeMap<String, Gate>,
    /// Local type names of the `types` module.
    local: BTreeSet<String>,
}

/// When an item is compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Gate {
    /// With `full` only (nothing reaches it).
    Full,
    /// With any of these features.
    Any(BTreeSet<String>),
}

/// A tag as a cargo feature name: lowercase ASCII kebab-case (`[a-z0-9-]`),
/// starting with a letter; a camelCase boundary is a word boundary.
pub fn kebab(tag: &str) -> String {
    let mut out = String::new();
    let mut pending = false;
    let mut previous_lower = false;
    for ch in tag.chars() {
        if ch.is_ascii_alphanumeric() {
            if ch.is_ascii_uppercase() && previous_lower {
                pending = true;
            }
            if pending && !out.is_empty() {
                out.push('-');
            }
            pending = false;
            previous_lower = ch.is_ascii_lowercase();
            out.push(ch.to_ascii_lowercase());
        } else {
            pending = true;
            previous_lower = false;
        }
    }
    if out.is_empty() {
        return "tag".into();
    }
    if !out.starts_with(|c: char| c.is_ascii_lowercase()) {
        out.insert_str(0, "tag-");
    }
    out
}

/// Feature names for `tags` (in their sorted order, then the untagged
/// operations' when `untagged`), each distinct from the others and from
/// [`FIXED`]: a name taken gets `-2`, `-3`, ... Deterministic: the same tags
/// always get the same names.
pub fn feature_names(
    tags: &BTreeSet<String>,
    untagged: bool,
) -> (BTreeMap<String, String>, Option<String>) {
    let mut taken: BTreeSet<String> = FIXED.iter().map(|s| s.to_string()).collect();
    let mut pick = |base: String| {
        let mut name = base.clone();
        let mut n = 2;
        while taken.contains(&name) {
            name = format!("{base}-{n}");
            n += 1;
        }
        taken.insert(name.clone());
        name
    };
    let names = tags.iter().map(|t| (t.clone(), pick(kebab(t)))).collect();
    let untagged = untagged.then(|| pick(UNTAGGED.into()));
    (names, untagged)
}

/// Each operation's tags in the (normalized) document, by (METHOD, path).
fn spec_tags(doc: &Value) -> BTreeMap<(String, String), Vec<String>> {
    let mut found = BTreeMap::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return found;
    };
    for (path, item) in paths {
        let Some(item) = item.as_object() else {
            continue;
        };
        for (method, op) in item {
            let tags = op
                .get("tags")
                .and_then(Value::as_array)
                .map(|tags| {
                    tags.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            found.insert((method.to_ascii_uppercase(), path.clone()), tags);
        }
    }
    found
}

impl Plan {
    /// The plan for the generated client (after the facade ran on it) and
    /// the facade's `api` file; `default_tags` is the provider's choice
    /// (spec tags or feature names; `None`: every tag).
    pub fn new(
        doc: &Value,
        generated: &syn::File,
        api: &syn::File,
        default_tags: Option<&[String]>,
    ) -> Result<Plan> {
        let by_route = spec_tags(doc);
        let routes: BTreeMap<String, (String, String)> = crate::facade::operations(generated)
            .into_iter()
            .map(|(name, method, path)| (name, (method, path)))
            .collect();
        let mut tags_of: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for f in client_methods(generated) {
            let name = f.sig.ident.to_string();
            let tags = routes
                .get(&name)
                .and_then(|route| by_route.get(route))
                .cloned()
                .unwrap_or_default();
            tags_of.insert(name, tags);
        }
        let all_tags: BTreeSet<String> = tags_of.values().flatten().cloned().collect();
        let any_untagged = tags_of.values().any(Vec::is_empty);
        let (names, untagged) = feature_names(&all_tags, any_untagged);
        let mut plan = Plan::default();
        for (op, tags) in &tags_of {
            let features: BTreeSet<String> = if tags.is_empty() {
                untagged.iter().cloned().collect()
            } else {
                tags.iter().map(|t| names[t].clone()).collect()
            };
            for feature in &features {
                let tag = names
                    .iter()
                    .find(|(_, f)| *f == feature)
                    .map(|(t, _)| t.clone());
                plan.features
                    .entry(feature.clone())
                    .or_insert_with(|| TagFeature {
                        tag,
                        operations: Vec::new(),
                    })
                    .operations
                    .push(op.clone());
            }
            plan.of_op.insert(op.clone(), features);
        }
        plan.default = match default_tags {
            None => plan.features.keys().cloned().collect(),
            Some(chosen) => {
                let mut default = BTreeSet::new();
                for choice in chosen {
                    let feature = names
                        .get(choice)
                        .cloned()
                        .or_else(|| plan.features.contains_key(choice).then(|| choice.clone()));
                    match feature {
                        Some(f) => default.insert(f),
                        None => bail!(
                            "`default_tags` names {choice:?}, which is neither a tag of the spec's operations nor a feature; the features are: {}",
                            plan.features.keys().cloned().collect::<Vec<_>>().join(", ")
                        ),
                    };
                }
                default
            }
        };
        plan.reach(generated, api);
        Ok(plan)
    }

    /// Whether `default` compiles operation `op`.
    pub fn on_by_default(&self, op: &str) -> bool {
        self.of_op
            .get(op)
            .is_some_and(|features| !features.is_disjoint(&self.default))
    }

    /// Every tag feature.
    fn every(&self) -> BTreeSet<String> {
        self.features.keys().cloned().collect()
    }

    /// The gates of the local types: the closure of each operation's roots
    /// over the types' definitions.
    fn reach(&mut self, generated: &syn::File, api: &syn::File) {
        let items = crate::progenitor_output::types_module(generated);
        self.local = items.iter().filter_map(type_ident).collect();
        // Definition edges: a type → the local types its definition (and its
        // builder's) names.
        let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for item in items {
            if let Some(name) = type_ident(item) {
                let named = mentions(&self.local, item, true);
                edges.entry(name).or_default().extend(named);
            }
            if let Item::Mod(m) = item
                && m.ident == "builder"
                && let Some((_, inner)) = &m.content
            {
                for item in inner {
                    if let Some(name) = type_ident(item).filter(|n| self.local.contains(n)) {
                        let named = mentions(&self.local, item, true);
                        edges.entry(name).or_default().extend(named);
                    }
                }
            }
        }
        // Roots: what each operation's items name.
        let mut roots: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for f in client_methods(generated) {
            roots
                .entry(f.sig.ident.to_string())
                .or_default()
                .extend(mentions(&self.local, f, false));
        }
        let requests = facade_requests(api);
        for (op, items) in api_items(api, &requests) {
            roots
                .entry(op)
                .or_default()
                .extend(items.into_iter().flatten());
        }
        let mut gates: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (op, roots) in &roots {
            let Some(features) = self.of_op.get(op) else {
                continue;
            };
            let mut seen = BTreeSet::new();
            let mut stack: Vec<String> = roots.iter().cloned().collect();
            while let Some(t) = stack.pop() {
                if !seen.insert(t.clone()) {
                    continue;
                }
                if let Some(next) = edges.get(&t) {
                    stack.extend(next.iter().filter(|n| !seen.contains(*n)).cloned());
                }
            }
            for t in seen {
                gates.entry(t).or_default().extend(features.iter().cloned());
            }
        }
        let every = self.every();
        self.types = self
            .local
            .iter()
            .filter_map(|t| match gates.get(t) {
                None => Some((t.clone(), Gate::Full)),
                Some(set) if *set == every => None,
                Some(set) => Some((t.clone(), Gate::Any(set.clone()))),
            })
            .collect();
    }

    /// The cfg for an item of operation `op` (if any) naming `named` types.
    fn cfg(&self, op: Option<&str>, named: &BTreeSet<String>) -> Option<TokenStream> {
        let mut gates: Vec<Gate> = named
            .iter()
            .filter_map(|t| self.types.get(t).cloned())
            .collect();
        if let Some(features) = op.and_then(|op| self.of_op.get(op)) {
            gates.push(Gate::Any(features.clone()));
        }
        cfg_of(gates, &self.every())
    }

    /// The doc line of an operation's public items: which features compile it.
    fn doc(&self, op: &str) -> Option<String> {
        let features = self.of_op.get(op)?;
        if *features == self.every() {
            return None;
        }
        let list: Vec<String> = features.iter().map(|f| format!("`{f}`")).collect();
        let which = if list.len() == 1 {
            format!("the cargo feature {}", list[0])
        } else {
            format!("any of the cargo features {}", list.join(", "))
        };
        Some(format!(" Compiled with {which} (or `full`)."))
    }

    /// Gates progenitor's client: its operation methods and the `types`
    /// module's items.
    pub fn gate_generated(&self, generated: &mut syn::File) {
        for item in &mut generated.items {
            match item {
                Item::Impl(imp) if imp.trait_.is_none() && is_client(&imp.self_ty) => {
                    for inner in &mut imp.items {
                        if let ImplItem::Fn(f) = inner
                            && f.sig.receiver().is_some()
                        {
                            let op = f.sig.ident.to_string();
                            let named = mentions(&self.local, &*f, false);
                            push_cfg(&mut f.attrs, self.cfg(Some(&op), &named));
                        }
                    }
                }
                Item::Mod(m) if m.ident == "types" => {
                    if let Some((_, items)) = &mut m.content {
                        self.gate_types(items);
                    }
                }
                _ => {}
            }
        }
    }

    fn gate_types(&self, items: &mut [Item]) {
        for item in items {
            if let Item::Mod(m) = item {
                if m.ident != "error"
                    && let Some((_, inner)) = &mut m.content
                {
                    self.gate_types(inner);
                }
                continue;
            }
            if matches!(item, Item::Use(_)) {
                continue;
            }
            let mut named = mentions(&self.local, &*item, true);
            named.extend(type_ident(item).filter(|t| self.local.contains(t)));
            if let Some(attrs) = attrs_mut(item) {
                push_cfg(attrs, self.cfg(None, &named));
            }
        }
    }

    /// Gates the facade's `api` file: each operation's method, request
    /// struct and its impls; with a doc line saying which feature.
    pub fn gate_api(&self, api: &mut syn::File) {
        let requests = facade_requests(api);
        for item in &mut api.items {
            match item {
                Item::Impl(imp)
                    if imp.trait_.is_none() && is_client(&imp.self_ty)
                        || is_crate_client(&imp.self_ty) =>
                {
                    for inner in &mut imp.items {
                        if let ImplItem::Fn(f) = inner {
                            let op = f.sig.ident.to_string();
                            let named = mentions(&self.local, &*f, false);
                            push_doc(&mut f.attrs, self.doc(&op));
                            push_cfg(&mut f.attrs, self.cfg(Some(&op), &named));
                        }
                    }
                }
                Item::Mod(m) if m.ident == "requests" => {
                    let Some((_, inner)) = &mut m.content else {
                        continue;
                    };
                    for item in inner {
                        let op = owner(item, &requests).map(str::to_string);
                        if matches!(item, Item::Use(_)) {
                            continue;
                        }
                        let named = mentions(&self.local, &*item, false);
                        if let (Item::Struct(s), Some(op)) = (&mut *item, &op) {
                            push_doc(&mut s.attrs, self.doc(op));
                        }
                        if let Some(attrs) = attrs_mut(item) {
                            push_cfg(attrs, self.cfg(op.as_deref(), &named));
                        }
                    }
                }
                Item::Use(u) => allow_unused(&mut u.attrs),
                _ => {}
            }
        }
    }

    /// Gates the mock module: each operation's `MockServerExt` method (in
    /// the trait and its impl), its `When`/`Then` structs and their impls;
    /// a setter naming a type its operation does not reach also needs that
    /// type's features.
    pub fn gate_mock(&self, mock: &mut syn::File) {
        // `When`/`Then` struct → operation, from the trait's signatures.
        let mut structs: BTreeMap<String, String> = BTreeMap::new();
        for item in &mock.items {
            if let Item::Trait(t) = item {
                for inner in &t.items {
                    if let TraitItem::Fn(f) = inner {
                        let mut names = Idents::default();
                        names.visit_signature(&f.sig);
                        for (first, last) in names.paths {
                            if first == "operations" {
                                structs.insert(last, f.sig.ident.to_string());
                            }
                        }
                    }
                }
            }
        }
        let op_of_type = |ty: &Type| last_ident(ty).and_then(|i| structs.get(&i).cloned());
        let gate_impl = |imp: &mut syn::ItemImpl, op: Option<String>| {
            let named = mentions(&self.local, &*imp, false);
            push_cfg(&mut imp.attrs, self.cfg(op.as_deref(), &BTreeSet::new()));
            // Each method also needs the types it names.
            if !named.is_empty() {
                for inner in &mut imp.items {
                    if let ImplItem::Fn(f) = inner {
                        let named = mentions(&self.local, &*f, false);
                        push_cfg(&mut f.attrs, self.cfg_beyond(op.as_deref(), &named));
                    }
                }
            }
        };
        for item in &mut mock.items {
            match item {
                Item::Trait(t) => {
                    for inner in &mut t.items {
                        if let TraitItem::Fn(f) = inner {
                            let op = f.sig.ident.to_string();
                            push_cfg(&mut f.attrs, self.cfg(Some(&op), &BTreeSet::new()));
                        }
                    }
                }
                Item::Impl(imp) if imp.trait_.is_some() => {
                    for inner in &mut imp.items {
                        if let ImplItem::Fn(f) = inner {
                            let op = f.sig.ident.to_string();
                            push_cfg(&mut f.attrs, self.cfg(Some(&op), &BTreeSet::new()));
                        }
                    }
                }
                Item::Impl(imp) => {
                    let op = op_of_type(&imp.self_ty);
                    gate_impl(imp, op);
                }
                Item::Mod(m) if m.ident == "operations" => {
                    let Some((_, inner)) = &mut m.content else {
                        continue;
                    };
                    for item in inner {
                        match item {
                            Item::Struct(s) => {
                                let op = structs.get(&s.ident.to_string()).cloned();
                                push_cfg(&mut s.attrs, self.cfg(op.as_deref(), &BTreeSet::new()));
                            }
                            Item::Impl(imp) => {
                                let op = op_of_type(&imp.self_ty);
                                gate_impl(imp, op);
                            }
                            Item::Use(u) => allow_unused(&mut u.attrs),
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// The cfg for an item inside one already gated by `op`: only the type
    /// gates `op`'s own features do not imply.
    fn cfg_beyond(&self, op: Option<&str>, named: &BTreeSet<String>) -> Option<TokenStream> {
        let own = op.and_then(|op| self.of_op.get(op));
        let gates: Vec<Gate> = named
            .iter()
            .filter_map(|t| self.types.get(t).cloned())
            .filter(|g| match (g, own) {
                (Gate::Any(set), Some(own)) => !own.is_subset(set),
                _ => true,
            })
            .collect();
        cfg_of(gates, &self.every())
    }
}

/// The cfg of a conjunction of gates, simplified: `full` implies every tag,
/// a set implies each of its supersets, and the set of every tag is always
/// on. `None`: no cfg needed.
fn cfg_of(gates: Vec<Gate>, every: &BTreeSet<String>) -> Option<TokenStream> {
    if gates.contains(&Gate::Full) {
        return Some(quote!(feature = "full"));
    }
    let mut sets: Vec<BTreeSet<String>> = gates
        .into_iter()
        .filter_map(|g| match g {
            Gate::Any(set) if set != *every => Some(set),
            _ => None,
        })
        .collect();
    sets.sort_by_key(BTreeSet::len);
    let mut kept: Vec<BTreeSet<String>> = Vec::new();
    for set in sets {
        if !kept.iter().any(|k| k.is_subset(&set)) {
            kept.push(set);
        }
    }
    let any = |set: &BTreeSet<String>| {
        let features = set.iter();
        if set.len() == 1 {
            quote!(#(feature = #features)*)
        } else {
            quote!(any(#(feature = #features),*))
        }
    };
    match kept.as_slice() {
        [] => None,
        [one] => Some(any(one)),
        many => {
            let each = many.iter().map(any);
            Some(quote!(all(#(#each),*)))
        }
    }
}

fn push_cfg(attrs: &mut Vec<syn::Attribute>, cfg: Option<TokenStream>) {
    if let Some(cfg) = cfg {
        attrs.push(syn::parse_quote!(#[cfg(#cfg)]));
    }
}

fn push_doc(attrs: &mut Vec<syn::Attribute>, doc: Option<String>) {
    if let Some(doc) = doc {
        attrs.push(syn::parse_quote!(#[doc = ""]));
        attrs.push(syn::parse_quote!(#[doc = #doc]));
    }
}

/// With some operations left out, an import may have no user left.
fn allow_unused(attrs: &mut Vec<syn::Attribute>) {
    attrs.push(syn::parse_quote!(#[allow(unused_imports)]));
}

fn is_crate_client(ty: &Type) -> bool {
    matches!(ty, Type::Path(p) if p.path.segments.len() == 2
        && p.path.segments[0].ident == "crate"
        && p.path.segments[1].ident == "Client")
}

fn last_ident(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

/// The name a type definition gives (struct, enum, union, alias).
fn type_ident(item: &Item) -> Option<String> {
    match item {
        Item::Struct(s) => Some(s.ident.to_string()),
        Item::Enum(e) => Some(e.ident.to_string()),
        Item::Union(u) => Some(u.ident.to_string()),
        Item::Type(t) => Some(t.ident.to_string()),
        _ => None,
    }
}

fn attrs_mut(item: &mut Item) -> Option<&mut Vec<syn::Attribute>> {
    Some(match item {
        Item::Struct(i) => &mut i.attrs,
        Item::Enum(i) => &mut i.attrs,
        Item::Union(i) => &mut i.attrs,
        Item::Type(i) => &mut i.attrs,
        Item::Impl(i) => &mut i.attrs,
        Item::Fn(i) => &mut i.attrs,
        Item::Const(i) => &mut i.attrs,
        Item::Static(i) => &mut i.attrs,
        Item::Trait(i) => &mut i.attrs,
        Item::Macro(i) => &mut i.attrs,
        _ => return None,
    })
}

/// The facade's request structs: struct name → operation, read from each
/// `Client` method's return type (`requests::XRequest<'a>`).
fn facade_requests(api: &syn::File) -> BTreeMap<String, String> {
    let mut found = BTreeMap::new();
    for item in &api.items {
        let Item::Impl(imp) = item else { continue };
        if imp.trait_.is_some() || !(is_client(&imp.self_ty) || is_crate_client(&imp.self_ty)) {
            continue;
        }
        for inner in &imp.items {
            if let ImplItem::Fn(f) = inner
                && let syn::ReturnType::Type(_, ty) = &f.sig.output
                && let Some(name) = last_ident(ty)
            {
                found.insert(name, f.sig.ident.to_string());
            }
        }
    }
    found
}

/// The operation an item of `requests` belongs to: the struct of that name,
/// or an impl whose self type it is.
fn owner<'r>(item: &Item, requests: &'r BTreeMap<String, String>) -> Option<&'r str> {
    let name = match item {
        Item::Struct(s) => s.ident.to_string(),
        Item::Impl(imp) => last_ident(&imp.self_ty)?,
        _ => return None,
    };
    requests.get(&name).map(String::as_str)
}

/// Each operation's facade items' named local types.
fn api_items(
    api: &syn::File,
    requests: &BTreeMap<String, String>,
) -> BTreeMap<String, Vec<BTreeSet<String>>> {
    // Without the local type names yet, collect every `types::X` path.
    let mut found: BTreeMap<String, Vec<BTreeSet<String>>> = BTreeMap::new();
    let named = |node: &dyn Fn(&mut Idents)| {
        let mut idents = Idents::default();
        node(&mut idents);
        idents
            .paths
            .into_iter()
            .filter_map(|(first, rest)| (first == "types").then_some(rest))
            .collect::<BTreeSet<String>>()
    };
    for item in &api.items {
        match item {
            Item::Impl(imp)
                if imp.trait_.is_none()
                    && (is_client(&imp.self_ty) || is_crate_client(&imp.self_ty)) =>
            {
                for inner in &imp.items {
                    if let ImplItem::Fn(f) = inner {
                        found
                            .entry(f.sig.ident.to_string())
                            .or_default()
                            .push(named(&|i| i.visit_impl_item_fn(f)));
                    }
                }
            }
            Item::Mod(m) if m.ident == "requests" => {
                let Some((_, inner)) = &m.content else {
                    continue;
                };
                for item in inner {
                    if let Some(op) = owner(item, requests) {
                        found
                            .entry(op.to_string())
                            .or_default()
                            .push(named(&|i| i.visit_item(item)));
                    }
                }
            }
            _ => {}
        }
    }
    found
}

/// Every path's (first segment after `crate`/`generated`/`self`/`super`,
/// the segment after a `types` or `builder` or the first one): what a path
/// could name of the `types` module.
#[derive(Default)]
struct Idents {
    paths: Vec<(String, String)>,
}

impl<'ast> Visit<'ast> for Idents {
    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        let mut rest = segments.as_slice();
        while let [first, tail @ ..] = rest
            && matches!(first.as_str(), "crate" | "generated" | "self" | "super")
        {
            rest = tail;
        }
        match rest {
            [first, second, ..]
                if first == "types" || first == "builder" || first == "operations" =>
            {
                self.paths.push((first.clone(), second.clone()));
            }
            [first, ..] => self.paths.push((String::new(), first.clone())),
            [] => {}
        }
        syn::visit::visit_path(self, path);
    }
}

/// The local types a node names. Outside the `types` module only paths
/// through `types::` count (a bare `Error` there is the runtime's); inside
/// it, bare names and `builder::X` (which stands with its type `X`) do too.
fn mentions<'a, N: VisitNode<'a> + ?Sized>(
    local: &BTreeSet<String>,
    node: &'a N,
    inside_types: bool,
) -> BTreeSet<String> {
    let mut idents = Idents::default();
    node.visit_with(&mut idents);
    idents
        .paths
        .into_iter()
        .filter_map(|(first, name)| {
            let counts = match first.as_str() {
                "types" => true,
                "builder" | "" => inside_types,
                _ => false,
            };
            (counts && local.contains(&name)).then_some(name)
        })
        .collect()
}

/// A syntax node [`mentions`] can walk.
trait VisitNode<'a> {
    fn visit_with(&'a self, v: &mut Idents);
}

impl<'a> VisitNode<'a> for Item {
    fn visit_with(&'a self, v: &mut Idents) {
        v.visit_item(self);
    }
}

impl<'a> VisitNode<'a> for syn::ImplItemFn {
    fn visit_with(&'a self, v: &mut Idents) {
        v.visit_impl_item_fn(self);
    }
}

impl<'a> VisitNode<'a> for syn::ItemImpl {
    fn visit_with(&'a self, v: &mut Idents) {
        v.visit_item_impl(self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn tags_become_kebab_case_feature_names() {
        assert_eq!(kebab("Accounts"), "accounts");
        assert_eq!(kebab("Account Billing Profile"), "account-billing-profile");
        assert_eq!(kebab("zoneSettings"), "zone-settings");
        assert_eq!(kebab("DNS Records for a Zone"), "dns-records-for-a-zone");
        assert_eq!(kebab("R2 Bucket"), "r2-bucket");
        assert_eq!(kebab("  --x__y  "), "x-y");
        assert_eq!(kebab("3D models"), "tag-3d-models");
        assert_eq!(kebab("日本"), "tag");
    }

    #[test]
    fn names_never_collide_with_each_other_or_the_fixed_features() {
        let tags = set(&[
            "Mock", "full", "A b", "a-b", "a_b", "Untagged", "日本", "中文",
        ]);
        let (names, untagged) = feature_names(&tags, true);
        assert_eq!(names["full"], "full-2");
        assert_eq!(names["Mock"], "mock-2");
        // Sorted order decides who keeps the plain name: "A b" < "a-b" < "a_b".
        assert_eq!(names["A b"], "a-b");
        assert_eq!(names["a-b"], "a-b-2");
        assert_eq!(names["a_b"], "a-b-3");
        assert_eq!(names["Untagged"], "untagged");
        assert_eq!(untagged.as_deref(), Some("untagged-2"));
        assert_eq!(names["中文"], "tag");
        assert_eq!(names["日本"], "tag-2");
        let all: BTreeSet<&String> = names.values().chain(untagged.iter()).collect();
        assert_eq!(all.len(), names.len() + 1);
        // The same tags, the same names.
        assert_eq!(feature_names(&tags, true).0, names);
    }

    #[test]
    fn cfgs_are_simplified() {
        let every = set(&["a", "b", "c"]);
        let text = |gates: Vec<Gate>| cfg_of(gates, &every).map(|t| t.to_string());
        assert_eq!(text(vec![]), None);
        assert_eq!(text(vec![Gate::Any(every.clone())]), None);
        assert_eq!(
            text(vec![Gate::Any(set(&["a"])), Gate::Any(set(&["a", "b"]))]).as_deref(),
            Some("feature = \"a\"")
        );
        assert_eq!(
            text(vec![
                Gate::Any(set(&["a", "b"])),
                Gate::Any(set(&["b", "c"]))
            ])
            .as_deref(),
            Some(
                "all (any (feature = \"a\" , feature = \"b\") , any (feature = \"b\" , feature = \"c\"))"
            )
        );
        assert_eq!(
            text(vec![Gate::Any(set(&["a"])), Gate::Full]).as_deref(),
            Some("feature = \"full\"")
        );
    }

    /// Two tags: `a` lists things, `b` gets a thing; `Thing` is reached
    /// by both, `List` by `a` only, `Orphan` by none.
    fn sample() -> (Value, syn::File, syn::File) {
        let doc = json!({"paths": {
            "/things": {"get": {"tags": ["A"]}},
            "/things/{id}": {"get": {"tags": ["B"]}},
            "/ping": {"get": {}},
        }});
        let generated: syn::File = syn::parse_quote! {
            pub mod types {
                pub struct Thing { pub id: Id }
                pub struct Id(String);
                pub struct List(pub Vec<Thing>);
                pub struct Orphan(String);
                impl From<List> for Vec<Thing> { fn from(l: List) -> Self { l.0 } }
                impl From<Orphan> for Id { fn from(o: Orphan) -> Self { Id(o.0) } }
                pub mod builder {
                    pub struct List { items: Vec<super::Thing> }
                    impl From<super::List> for List { fn from(l: super::List) -> Self { todo!() } }
                }
                pub mod error {
                    pub struct ConversionError;
                }
            }
            impl Client {
                #[doc = "Sends a `GET` request to `/things`"]
                pub fn list(&self) -> types::List { todo!() }
                #[doc = "Sends a `GET` request to `/things/{id}`"]
                pub fn get(&self, id: &types::Id) -> Result<(), Error<()>> { todo!() }
                #[doc = "Sends a `GET` request to `/ping`"]
                pub fn ping(&self) -> Result<(), Error<()>> { todo!() }
            }
        };
        let api: syn::File = syn::parse_quote! {
            use crate::generated::types;
            impl crate::Client {
                pub fn get<'a>(&'a self, id: &'a types::Id) -> requests::GetRequest<'a> { todo!() }
                pub fn list<'a>(&'a self) -> requests::ListRequest<'a> { todo!() }
                pub fn ping<'a>(&'a self) -> requests::PingRequest<'a> { todo!() }
            }
            pub mod requests {
                pub struct GetRequest<'a> { id: &'a types::Id }
                impl<'a> ::std::future::IntoFuture for GetRequest<'a> { type Output = types::Thing; }
                pub struct ListRequest<'a> { c: &'a crate::Client }
                impl<'a> ListRequest<'a> { fn send(self) -> types::List { todo!() } }
                pub struct PingRequest<'a> { c: &'a crate::Client }
            }
        };
        (doc, generated, api)
    }

    fn cfg_text(attrs: &[syn::Attribute]) -> Option<String> {
        attrs
            .iter()
            .find(|a| a.path().is_ident("cfg"))
            .map(|a| quote!(#a).to_string())
    }

    #[test]
    fn types_are_gated_by_the_operations_that_reach_them() {
        let (doc, generated, api) = sample();
        let plan = Plan::new(&doc, &generated, &api, None).unwrap();
        assert_eq!(plan.every(), set(&["a", "b", "untagged"]));
        assert_eq!(plan.of_op["ping"], set(&["untagged"]));
        // Thing and Id: reached by `a` (through List) and `b` (the success type).
        assert_eq!(plan.types.get("Thing"), Some(&Gate::Any(set(&["a", "b"]))));
        assert_eq!(plan.types.get("Id"), Some(&Gate::Any(set(&["a", "b"]))));
        assert_eq!(plan.types.get("List"), Some(&Gate::Any(set(&["a"]))));
        assert_eq!(plan.types.get("Orphan"), Some(&Gate::Full));
    }

    #[test]
    fn every_item_gets_the_cfg_of_what_it_names() {
        let (doc, mut generated, mut api) = sample();
        let plan = Plan::new(&doc, &generated, &api, Some(&["A".into()])).unwrap();
        assert_eq!(plan.default, set(&["a"]));
        plan.gate_generated(&mut generated);
        plan.gate_api(&mut api);
        let types = crate::progenitor_output::types_module(&generated);
        let cfgs: Vec<Option<String>> = types
            .iter()
            .map(|i| match i {
                Item::Struct(s) => cfg_text(&s.attrs),
                Item::Impl(i) => cfg_text(&i.attrs),
                _ => None,
            })
            .collect();
        assert_eq!(
            cfgs,
            [
                Some("# [cfg (any (feature = \"a\" , feature = \"b\"))]".to_string()),
                Some("# [cfg (any (feature = \"a\" , feature = \"b\"))]".to_string()),
                Some("# [cfg (feature = \"a\")]".to_string()),
                Some("# [cfg (feature = \"full\")]".to_string()),
                // From<List> for Vec<Thing>: List's set implies Thing's.
                Some("# [cfg (feature = \"a\")]".to_string()),
                Some("# [cfg (feature = \"full\")]".to_string()),
                None,
                None,
            ]
        );
        let text = quote!(#generated).to_string();
        assert!(text.contains("pub struct ConversionError"), "{text}");
        assert!(!text.contains("# [cfg (feature = \"full\")] pub struct ConversionError"));
        let api_text = quote!(#api).to_string();
        assert!(
            api_text.contains("# [cfg (feature = \"b\")] pub fn get"),
            "{api_text}"
        );
        assert!(api_text.contains("# [cfg (feature = \"b\")] impl < 'a > :: std :: future :: IntoFuture for GetRequest"), "{api_text}");
        assert!(
            api_text.contains("Compiled with the cargo feature `untagged` (or `full`)."),
            "{api_text}"
        );
    }

    #[test]
    fn an_unknown_default_tag_is_an_error() {
        let (doc, generated, api) = sample();
        let e = Plan::new(&doc, &generated, &api, Some(&["Nope".into()])).unwrap_err();
        assert!(e.to_string().contains("a, b, untagged"), "{e}");
    }
}
