//! A defect costs only its own place: documents cut from real ones (see
//! `fixtures/salvage/SOURCES.md`) generate with every operation a method, what
//! the generator could not type is any JSON value with a note, and no Rust
//! name is defined twice.

use std::collections::BTreeMap;
use std::path::Path;

use xtask::pipeline::{self, Output};
use xtask::providers;

/// Renders one fixture as the only provider of a scratch root, in memory.
fn render(fixture: &str) -> Output {
    let root = tempfile::tempdir().unwrap();
    let specs = root.path().join("specs");
    std::fs::create_dir_all(&specs).unwrap();
    let from = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/salvage")
        .join(fixture);
    std::fs::copy(&from, specs.join(fixture)).unwrap();
    std::fs::write(
        specs.join("providers.toml"),
        format!(
            "[providers.doc]\nspec = \"{fixture}\"\ncrate = \"doc\"\ntitle = \"Doc\"\n\
             base_url_env = \"DOC_BASE_URL\"\n\n[providers.doc.auth]\nheader = \"Authorization\"\n\
             prefix = \"Bearer \"\nenv = \"DOC_TOKEN\"\nwhat = \"token\"\n"
        ),
    )
    .unwrap();
    std::fs::write(
        root.path().join("Cargo.toml"),
        "[workspace]\nmembers = []\n",
    )
    .unwrap();
    let provider = providers::load(root.path())
        .unwrap()
        .into_iter()
        .next()
        .unwrap();
    pipeline::render(root.path(), &provider).unwrap_or_else(|e| panic!("{fixture}: {e:#}"))
}

fn file<'o>(out: &'o Output, suffix: &str) -> &'o str {
    &out.files
        .iter()
        .find(|f| f.path.ends_with(suffix))
        .unwrap_or_else(|| panic!("no {suffix}"))
        .contents
}

/// The name of each operation method the generated client has: the methods
/// of `impl Client` that take `self` (the constructors take none).
fn methods(out: &Output) -> Vec<String> {
    let file = syn::parse_file(file(out, "src/generated.rs")).unwrap();
    let mut found: Vec<String> = file
        .items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Impl(imp)
                if imp.trait_.is_none()
                    && matches!(imp.self_ty.as_ref(), syn::Type::Path(p) if p.path.is_ident("Client")) =>
            {
                Some(imp)
            }
            _ => None,
        })
        .flat_map(|imp| &imp.items)
        .filter_map(|item| match item {
            syn::ImplItem::Fn(f) if f.sig.receiver().is_some() => Some(f.sig.ident.to_string()),
            _ => None,
        })
        .collect();
    found.sort();
    found
}

/// Items of the `types` module defined more than once (error[E0428]).
fn defined_twice(out: &Output) -> Vec<String> {
    let file = syn::parse_file(file(out, "src/generated.rs")).unwrap();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut walk = |items: &[syn::Item]| {
        for item in items {
            let name = match item {
                syn::Item::Struct(s) => s.ident.to_string(),
                syn::Item::Enum(e) => e.ident.to_string(),
                syn::Item::Type(t) => t.ident.to_string(),
                syn::Item::Mod(m) => format!("mod {}", m.ident),
                _ => continue,
            };
            *seen.entry(name).or_default() += 1;
        }
    };
    for item in &file.items {
        if let syn::Item::Mod(m) = item
            && m.ident == "types"
            && let Some((_, items)) = &m.content
        {
            walk(items);
        }
    }
    seen.into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(name, _)| name)
        .collect()
}

#[test]
fn a_shared_path_parameter_and_a_query_parameter_of_one_name_both_stay() {
    let out = render("kubernetes-proxy-path.json");
    assert_eq!(
        methods(&out),
        [
            "connect_core_v1_get_namespaced_pod_proxy",
            "connect_core_v1_get_namespaced_pod_proxy_with_path"
        ],
        "{:#?}",
        out.notes
    );
    let generated = file(&out, "src/generated.rs");
    // The path segment and the query parameter are separate arguments.
    assert!(generated.contains("path_query"), "{generated}");
    assert!(defined_twice(&out).is_empty());
}

#[test]
fn enum_values_of_one_rust_name_make_a_plain_string_with_a_note() {
    let out = render("marketcheck-sort-order.json");
    assert_eq!(
        methods(&out),
        ["get_car_dealer_inventory_active"],
        "{:#?}",
        out.notes
    );
    let note = out
        .notes
        .iter()
        .find(|n| n.kind == "enum-dropped")
        .unwrap_or_else(|| panic!("{:#?}", out.notes));
    assert!(
        note.text.contains("marketcheck-sort-order.json:")
            && note
                .text
                .contains("/components/parameters/sort_order/schema/enum")
            && note.text.contains(r#""asc", "desc", "ASC", "DESC""#),
        "{}",
        note.text
    );
}

#[test]
fn an_inline_schema_named_like_a_component_gets_a_name_of_its_own() {
    // `ExternalSecuritySolution.kind` is typify's `ExternalSecuritySolutionKind`,
    // the name of the component schema it came from (error[E0428]).
    let out = render("azure-external-security-solutions.json");
    assert_eq!(defined_twice(&out), Vec::<String>::new());
    let generated = file(&out, "src/generated.rs");
    assert!(
        generated.contains("pub struct ExternalSecuritySolutionKind "),
        "{generated}"
    );
    assert_eq!(methods(&out), ["external_security_solutions_get"]);
}

#[test]
fn a_parameter_schema_typify_refuses_loses_what_it_refuses_and_its_operation_stays() {
    // `mixin` is an array with the `enum` of its items: typify's "value does
    // not conform to the given schema" left out every operation using it.
    let out = render("bbci-mixin.json");
    assert_eq!(
        methods(&out),
        ["get_programme_highlights", "get_schema"],
        "{:#?}",
        out.notes
    );
    let dropped: Vec<&str> = out
        .notes
        .iter()
        .filter(|n| n.kind == "schema-keywords-dropped")
        .map(|n| n.text.as_str())
        .collect();
    assert_eq!(dropped.len(), 1, "{:#?}", out.notes);
    assert!(
        dropped[0].starts_with("specs/bbci-mixin.json:")
            && dropped[0].contains("at /components/parameters/mixin/schema:")
            && dropped[0].contains("without `enum`"),
        "{}",
        dropped[0]
    );
    assert!(!out.notes.iter().any(|n| n.kind == "operation-skipped"));
    // Still a list of strings, not any JSON value.
    let generated = file(&out, "src/generated.rs");
    assert!(
        generated.contains("mixin: Option<&'a ::std::vec::Vec<::std::string::String>>"),
        "{generated}"
    );
}

#[test]
fn a_dropshot_paginated_operation_does_not_need_futures() {
    // progenitor adds a `{operation}_stream` method written against the
    // `futures` crate, which a generated crate does not depend on.
    let out = render("dropshot-pagination.json");
    assert_eq!(methods(&out), ["project_list"], "{:#?}", out.notes);
    for f in &out.files {
        assert!(
            !f.contents.contains("futures::"),
            "{}: {}",
            f.path,
            f.contents
        );
    }
}

#[test]
fn a_success_status_without_a_standard_reason_keeps_its_operation() {
    // YNAB answers PATCH with 209, which has no reason phrase: progenitor's
    // mock generator unwraps one.
    let out = render("ynab-209.json");
    assert_eq!(methods(&out), ["update_transactions"], "{:#?}", out.notes);
    assert!(file(&out, "src/mock.rs").contains("update_transactions"));
    // The lowering is a note at the status it read as its class.
    assert!(
        out.notes.iter().any(|n| n.kind == "responses-lowered"
            && n.text.contains("/responses/209")
            && n.text.contains("read as its class, 2XX")),
        "{:#?}",
        out.notes
    );
}

#[test]
fn a_switching_protocols_response_beside_a_success_keeps_its_operation() {
    // Docker's attach answers 101 (upgrade) or 200: progenitor asserts one
    // kind of success response.
    let out = render("docker-attach.json");
    assert_eq!(methods(&out), ["container_attach"], "{:#?}", out.notes);
    assert!(
        out.notes
            .iter()
            .any(|n| n.kind == "responses-lowered" && n.text.contains("/responses/101")),
        "{:#?}",
        out.notes
    );
}

/// Fields of each struct of the `types` module defined more than once
/// (error[E0124]), as `Struct.field`.
fn fields_twice(out: &Output) -> Vec<String> {
    let file = syn::parse_file(file(out, "src/generated.rs")).unwrap();
    let mut twice = Vec::new();
    for item in &file.items {
        let syn::Item::Mod(m) = item else { continue };
        let Some((_, items)) = &m.content else {
            continue;
        };
        for item in items {
            let syn::Item::Struct(s) = item else { continue };
            let mut seen = std::collections::BTreeSet::new();
            for field in &s.fields {
                if let Some(name) = &field.ident
                    && !seen.insert(name.to_string())
                {
                    twice.push(format!("{}.{name}", s.ident));
                }
            }
        }
    }
    twice
}

#[test]
fn a_property_named_extra_beside_typed_additional_properties_is_one_field() {
    let out = render("extra-property.json");
    assert_eq!(fields_twice(&out), Vec::<String>::new());
    assert!(
        out.notes.iter().any(|n| n
            .text
            .contains("/components/schemas/Thing/additionalProperties")),
        "{:#?}",
        out.notes
    );
}

#[test]
fn a_hoisted_property_and_the_property_it_came_from_are_two_types() {
    // `DatabaseMongoDBRequest.replica_set` refers to
    // `DatabaseMongoDB/properties/replica_set`, hoisted to the component
    // `DatabaseMongoDbReplicaSet`: typify's name for the property it came
    // from too, a string newtype (maxLength) where the nullable component is
    // a newtype of an `Option` (error[E0428]).
    let out = render("linode-mongodb-replica-set.json");
    assert_eq!(defined_twice(&out), Vec::<String>::new());
    let generated = file(&out, "src/generated.rs");
    assert!(
        generated.contains("pub struct DatabaseMongoDbReplicaSet("),
        "{generated}"
    );
    assert_eq!(methods(&out), ["get_databases_mongo_db_instance"]);
}
