//! Dedupe step: one Rust type for each shape, however many schemas have it.
//!
//! Vendors repeat themselves. Cloudflare's document defines the same
//! `{type: string, maxLength: 32}` identifier under hundreds of names, and
//! inlines one response envelope per operation; typify turns each into a type
//! of its own, with its impls. In Cloudflare's 8,795 types, 5,490 were
//! identical to another but for their names, and compiling them dominated
//! `cargo check` of the crate.
//!
//! This step reads the generated `types` module (derive, don't predict): a
//! type's *family* is its definition and the impls that belong to it (whose
//! `Self` it is, or, for `impl From<T> for String`, the first local type the
//! trait names). Two families are the same shape when their tokens are equal
//! once docs are dropped, their own names are blanked, and every other local
//! type is read as the type it became. The first family of each shape (in the
//! module's order, which is typify's: by name) stays; every later one becomes
//! `pub type Later = First;` with its own docs, so every name the schemas gave
//! still exists. Folding repeats until nothing changes, since a struct whose
//! fields were folded may now equal another.
//!
//! Folding two types into one can make two impls identical (`impl From<A> for
//! E` and `impl From<B> for E` for an untagged enum's variants): the later
//! one is dropped.

use std::collections::{HashMap, HashSet};

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use quote::{ToTokens, quote};
use syn::{Item, Type};

/// Folds identical types of the `types` module into aliases of one; returns
/// how many became aliases.
pub fn dedupe(file: &mut syn::File) -> usize {
    let Some(items) = crate::progenitor_output::types_module_mut(file) else {
        return 0;
    };
    drop_repeated_definitions(items);
    let names: Vec<String> = items.iter().filter_map(type_name).collect();
    let index: HashMap<&str, usize> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect();
    // Each item's family (None for items that belong to none: modules, uses).
    let owners: Vec<Option<usize>> = items.iter().map(|item| owner(item, &index)).collect();
    let mut words = Words::default();
    let mut shapes: Vec<Vec<u32>> = vec![Vec::new(); names.len()];
    for (item, owner) in items.iter().zip(&owners) {
        if let Some(family) = owner {
            words.encode_item(item, &index, &mut shapes[*family]);
        }
    }

    // representative[i] == i for a type that stays.
    let mut representative: Vec<usize> = (0..names.len()).collect();
    loop {
        let mut first: HashMap<Vec<u32>, usize> = HashMap::new();
        let mut folded = false;
        for family in 0..names.len() {
            if representative[family] != family {
                continue;
            }
            let key = resolved(&shapes[family], family, &representative);
            match first.get(&key) {
                Some(&rep) => {
                    representative[family] = rep;
                    folded = true;
                }
                None => {
                    first.insert(key, family);
                }
            }
        }
        if !folded {
            break;
        }
        // Chains (a → b → c) point at their end.
        for family in 0..names.len() {
            let mut rep = representative[family];
            while representative[rep] != rep {
                rep = representative[rep];
            }
            representative[family] = rep;
        }
    }
    let aliased = (0..names.len()).filter(|&i| representative[i] != i).count();
    if aliased == 0 {
        return 0;
    }

    // A tuple struct cannot be built or matched through an alias: such paths
    // (in `defaults`, in other types' impls) name the representative.
    let renames: HashMap<String, syn::Ident> = (0..names.len())
        .filter(|&i| representative[i] != i)
        .map(|i| {
            let rep = &names[representative[i]];
            (
                names[i].clone(),
                syn::Ident::new(rep, proc_macro2::Span::call_site()),
            )
        })
        .collect();
    let mut constructors = Constructors { renames: &renames };
    for item in items.iter_mut() {
        syn::visit_mut::VisitMut::visit_item_mut(&mut constructors, item);
    }

    let mut seen_impls = HashSet::new();
    let old = std::mem::take(items);
    for (item, owner) in old.into_iter().zip(owners) {
        match owner {
            Some(family) if representative[family] != family => {
                // The definition becomes the alias; its impls go.
                if let Some(alias) = alias(&item, &names[representative[family]]) {
                    items.push(alias);
                }
            }
            Some(_) if matches!(item, Item::Impl(_)) => {
                let Item::Impl(imp) = &item else {
                    unreachable!()
                };
                let mut header = Vec::new();
                if let Some((_, path, _)) = &imp.trait_ {
                    let ty = &imp.self_ty;
                    words.encode(quote!(#path for #ty), &index, &mut header);
                }
                // Impls without a trait may repeat (inherent impls of one type).
                let key = resolved(&header, usize::MAX, &representative);
                if imp.trait_.is_none() || seen_impls.insert(key) {
                    items.push(item);
                }
            }
            _ => items.push(item),
        }
    }
    aliased
}

/// Drops a type definition that repeats an earlier one token for token.
///
/// typify sometimes emits one inline schema's type twice under one name, the
/// second time without its impls (Linode's document: 16 such pairs, and the
/// crate did not compile: error[E0428]). The impls name the type, so they
/// serve the copy that stays. A second definition that differs is left for
/// the compiler to report: which of the two a reference meant is not known.
fn drop_repeated_definitions(items: &mut Vec<Item>) {
    let mut count: HashMap<String, usize> = HashMap::new();
    for name in items.iter().filter_map(type_name) {
        *count.entry(name).or_default() += 1;
    }
    if count.values().all(|&n| n == 1) {
        return;
    }
    let mut seen: HashSet<String> = HashSet::new();
    items.retain(|item| match type_name(item) {
        Some(name) if count[&name] > 1 => seen.insert(item.to_token_stream().to_string()),
        _ => true,
    });
}

/// Renames aliased types where they are called or matched as tuple structs.
struct Constructors<'a> {
    renames: &'a HashMap<String, syn::Ident>,
}

impl Constructors<'_> {
    fn rename(&self, path: &mut syn::Path) {
        // `Self::X(..)` and `Enum::X(..)` name a variant, not type `X`; only
        // a bare or module-qualified path (`super::X`) names the type.
        let n = path.segments.len();
        if n > 1
            && !path.segments[n - 2]
                .ident
                .to_string()
                .starts_with(|c: char| c.is_ascii_lowercase())
        {
            return;
        }
        if let Some(last) = path.segments.last_mut()
            && let Some(rep) = self.renames.get(&last.ident.to_string())
        {
            last.ident = rep.clone();
        }
    }
}

impl syn::visit_mut::VisitMut for Constructors<'_> {
    fn visit_expr_call_mut(&mut self, call: &mut syn::ExprCall) {
        if let syn::Expr::Path(p) = call.func.as_mut() {
            self.rename(&mut p.path);
        }
        syn::visit_mut::visit_expr_call_mut(self, call);
    }

    fn visit_pat_tuple_struct_mut(&mut self, pat: &mut syn::PatTupleStruct) {
        self.rename(&mut pat.path);
        syn::visit_mut::visit_pat_tuple_struct_mut(self, pat);
    }

    /// typify writes array defaults as `vec![super::X(..), ..]`, whose
    /// tokens syn does not visit: read them as expressions, then write back.
    fn visit_macro_mut(&mut self, mac: &mut syn::Macro) {
        if !mac.path.is_ident("vec") {
            return;
        }
        let Ok(mut items) = mac.parse_body_with(
            syn::punctuated::Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated,
        ) else {
            return; // `vec![x; n]`
        };
        for item in items.iter_mut() {
            syn::visit_mut::VisitMut::visit_expr_mut(self, item);
        }
        mac.tokens = quote!(#items);
    }
}

/// The name a struct or enum item defines.
fn type_name(item: &Item) -> Option<String> {
    match item {
        Item::Struct(s) => Some(s.ident.to_string()),
        Item::Enum(e) => Some(e.ident.to_string()),
        _ => None,
    }
}

/// The family an item belongs to: the type it defines, the local type of an
/// impl's `Self`, or the first local type the impl's trait names.
fn owner(item: &Item, index: &HashMap<&str, usize>) -> Option<usize> {
    match item {
        Item::Struct(_) | Item::Enum(_) => index.get(type_name(item)?.as_str()).copied(),
        Item::Impl(imp) => {
            if let Type::Path(p) = imp.self_ty.as_ref()
                && p.qself.is_none()
                && let Some(ident) = p.path.get_ident()
                && let Some(&i) = index.get(ident.to_string().as_str())
            {
                return Some(i);
            }
            let (_, path, _) = imp.trait_.as_ref()?;
            first_local(path.to_token_stream(), index)
        }
        _ => None,
    }
}

fn first_local(tokens: TokenStream, index: &HashMap<&str, usize>) -> Option<usize> {
    tokens.into_iter().find_map(|tt| match tt {
        TokenTree::Ident(ident) => index.get(ident.to_string().as_str()).copied(),
        TokenTree::Group(g) => first_local(g.stream(), index),
        _ => None,
    })
}

/// `pub type Name = Representative;`, keeping the definition's docs.
fn alias(item: &Item, representative: &str) -> Option<Item> {
    let (attrs, vis, ident) = match item {
        Item::Struct(s) => (&s.attrs, &s.vis, &s.ident),
        Item::Enum(e) => (&e.attrs, &e.vis, &e.ident),
        _ => return None,
    };
    let docs = attrs.iter().filter(|a| a.path().is_ident("doc"));
    let target = syn::Ident::new(representative, proc_macro2::Span::call_site());
    Some(syn::parse_quote! {
        #(#docs)*
        #vis type #ident = #target;
    })
}

/// Tokens as numbers: words interned, local type names marked by the high
/// bit (their index), so a shape compares as a `Vec<u32>`.
#[derive(Default)]
struct Words {
    ids: HashMap<String, u32>,
}

const LOCAL: u32 = 1 << 31;
/// Stands for the family's own name in its shape.
const OWN: u32 = u32::MAX;

impl Words {
    /// The word's number; a word already seen (most are: `pub`, `:`,
    /// `String`) costs a lookup, not an allocation.
    fn word(&mut self, text: &str) -> u32 {
        if let Some(&id) = self.ids.get(text) {
            return id;
        }
        let next = self.ids.len() as u32;
        self.ids.insert(text.to_owned(), next);
        next
    }

    /// An item's shape. Variant names are words, not types, even when typify
    /// named a variant after the type it holds (`AaaPolicyId(AaaPolicyId)`):
    /// folding that type must not rename the variant that code names.
    fn encode_item(&mut self, item: &Item, index: &HashMap<&str, usize>, out: &mut Vec<u32>) {
        let Item::Enum(e) = item else {
            return self.encode(item.to_token_stream(), index, out);
        };
        let (attrs, vis, ident, generics) = (&e.attrs, &e.vis, &e.ident, &e.generics);
        self.encode(quote!(#(#attrs)* #vis enum #ident #generics), index, out);
        out.push(self.word("{"));
        for variant in &e.variants {
            let (attrs, fields) = (&variant.attrs, &variant.fields);
            self.encode(quote!(#(#attrs)*), index, out);
            out.push(self.word(&format!("variant {}", variant.ident)));
            self.encode(fields.to_token_stream(), index, out);
            if let Some((_, discriminant)) = &variant.discriminant {
                self.encode(quote!(= #discriminant), index, out);
            }
            out.push(self.word(","));
        }
        out.push(self.word("}"));
    }

    fn encode(&mut self, tokens: TokenStream, index: &HashMap<&str, usize>, out: &mut Vec<u32>) {
        let mut tokens = tokens.into_iter().peekable();
        while let Some(tt) = tokens.next() {
            match tt {
                TokenTree::Ident(ident) => {
                    let text = ident.to_string();
                    match index.get(text.as_str()) {
                        // `Self::X`, `Enum::X`: a variant or associated item.
                        Some(_) if self.after_type_path(out) => out.push(self.word(&text)),
                        Some(&i) => out.push(LOCAL | i as u32),
                        None => out.push(self.word(&text)),
                    }
                }
                TokenTree::Punct(p) => {
                    // Docs differ between identical shapes: `#[doc = ...]` is skipped.
                    if p.as_char() == '#'
                        && let Some(TokenTree::Group(g)) = tokens.peek()
                        && g.delimiter() == Delimiter::Bracket
                        && matches!(g.stream().into_iter().next(), Some(TokenTree::Ident(i)) if i == "doc")
                    {
                        tokens.next();
                        continue;
                    }
                    let mut key = [0u8; 5];
                    let len = p.as_char().encode_utf8(&mut key).len();
                    let joint = matches!(p.spacing(), proc_macro2::Spacing::Joint);
                    if joint {
                        key[len] = b'j';
                    }
                    let key = std::str::from_utf8(&key[..len + usize::from(joint)])
                        .expect("a char and an ASCII letter");
                    out.push(self.word(key));
                }
                TokenTree::Literal(lit) => out.push(self.word(&lit.to_string())),
                TokenTree::Group(g) => {
                    let (open, close) = match g.delimiter() {
                        Delimiter::Parenthesis => ("(", ")"),
                        Delimiter::Brace => ("{", "}"),
                        Delimiter::Bracket => ("[", "]"),
                        Delimiter::None => ("«", "»"),
                    };
                    out.push(self.word(open));
                    self.encode(g.stream(), index, out);
                    out.push(self.word(close));
                }
            }
        }
    }
}

impl Words {
    /// Whether `out` ends in `Self::` or `LocalType::`.
    fn after_type_path(&self, out: &[u32]) -> bool {
        let id = |text: &str| self.ids.get(text).copied();
        match out {
            [.., before, a, b] if Some(*a) == id(":j") && Some(*b) == id(":") => {
                before & LOCAL != 0 || Some(*before) == id("Self")
            }
            _ => false,
        }
    }
}

/// A shape with every local type read as its representative, and the
/// family's own name blanked.
fn resolved(shape: &[u32], own: usize, representative: &[usize]) -> Vec<u32> {
    shape
        .iter()
        .map(|&w| {
            if w & LOCAL == 0 || w == OWN {
                return w;
            }
            let local = (w & !LOCAL) as usize;
            let rep = representative[local];
            if local == own || rep == own {
                OWN
            } else {
                LOCAL | rep as u32
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deduped(source: &str) -> (String, usize) {
        let mut file: syn::File = syn::parse_str(source).unwrap();
        let n = dedupe(&mut file);
        (prettyplease::unparse(&file), n)
    }

    #[test]
    fn a_definition_typify_repeats_is_kept_once() {
        let (out, _) = deduped(
            r#"pub mod types {
                ///A label.
                pub struct DatabaseLabel(String);
                impl From<DatabaseLabel> for String { fn from(v: DatabaseLabel) -> Self { v.0 } }
                pub struct Database { pub label: DatabaseLabel }
                ///A label.
                pub struct DatabaseLabel(String);
                ///Another label, of another shape.
                pub struct DiskLabel(String);
                pub struct DiskLabel(i64);
            }"#,
        );
        assert_eq!(out.matches("pub struct DatabaseLabel(").count(), 1, "{out}");
        assert!(out.contains("impl From<DatabaseLabel> for String"), "{out}");
        // Two definitions that differ both stay: the compiler names them.
        assert_eq!(out.matches("pub struct DiskLabel(").count(), 2, "{out}");
    }

    #[test]
    fn identical_types_become_aliases_and_lose_their_impls() {
        let (out, n) = deduped(
            r#"pub mod types {
                ///First id.
                pub struct AId(String);
                impl From<AId> for String { fn from(v: AId) -> Self { v.0 } }
                ///Second id.
                pub struct BId(String);
                impl From<BId> for String { fn from(v: BId) -> Self { v.0 } }
                /// Different: a length check.
                pub struct CId(String);
                impl CId { fn check(&self) -> bool { self.0.len() < 3 } }
                pub struct Holder { pub id: AId }
                pub struct Other { pub id: BId }
            }"#,
        );
        assert_eq!(n, 2, "{out}");
        assert!(
            out.contains("///Second id.\n    pub type BId = AId;"),
            "{out}"
        );
        assert!(out.contains("pub type Other = Holder;"), "{out}");
        assert!(!out.contains("From<BId>"), "{out}");
        assert!(out.contains("pub struct CId"), "{out}");
    }

    #[test]
    fn impls_that_folding_makes_equal_are_dropped() {
        let (out, n) = deduped(
            r#"pub mod types {
                pub struct A(String);
                pub struct B(String);
                pub enum E { A(A), B(B) }
                impl From<A> for E { fn from(v: A) -> Self { Self::A(v) } }
                impl From<B> for E { fn from(v: B) -> Self { Self::B(v) } }
            }"#,
        );
        assert_eq!(n, 1);
        assert_eq!(out.matches("impl From<").count(), 1, "{out}");
    }

    #[test]
    fn variants_named_after_folded_types_keep_their_names() {
        let (out, n) = deduped(
            r#"pub mod types {
                pub struct A(String);
                pub struct B(String);
                pub enum E { A(A) }
                pub enum F { B(B) }
                impl From<A> for E { fn from(v: A) -> Self { Self::A(v) } }
                impl From<B> for F { fn from(v: B) -> Self { F::B(v) } }
                pub enum G { B(B), C(String) }
                impl G { fn b(&self) -> bool { matches!(self, Self::B(_)) } }
                impl From<B> for G { fn from(v: B) -> Self { Self::B(v) } }
            }"#,
        );
        // B folds into A; F's variant is still `B`, so F stays, and
        // G's `Self::B` still names its variant.
        assert_eq!(n, 1, "{out}");
        assert!(out.contains("pub enum F"), "{out}");
        assert!(
            out.contains("Self::B(v)") && out.contains("Self::B(_)"),
            "{out}"
        );
    }

    #[test]
    fn recursive_types_fold_by_shape() {
        let (out, n) = deduped(
            r#"pub mod types {
                pub struct Node { pub next: Option<Box<Node>> }
                pub struct Other { pub next: Option<Box<Other>> }
                pub struct Mixed { pub next: Option<Box<Node>> }
            pub struct T1(i64);
            pub struct T2(i64);
            pub mod defaults {
                pub fn t() -> super::T2 { super::T2(1) }
                pub fn ts() -> Vec<super::T2> { vec![super::T2(1), super::T2(2)] }
            }
            }"#,
        );
        assert_eq!(n, 2, "{out}");
        assert!(out.contains("pub type Other = Node;"), "{out}");
        // Built through the representative: an alias is no constructor.
        assert!(
            out.contains("super::T2 {\n            super::T1(1)"),
            "{out}"
        );
        assert!(out.contains("pub struct Mixed"), "{out}");
        assert!(out.contains("vec![super::T1(1), super::T1(2)]"), "{out}");
    }
}
