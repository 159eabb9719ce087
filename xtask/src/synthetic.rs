//! Synthetic OpenAPI documents of any size, built by code for tests and benches.
//!
//! Committing multi-megabyte fixtures would bloat the repository and hide what
//! they contain; a generator is small, deterministic and scales on demand.
//!
//! Shape of [`synthetic_spec`]`(operations, schemas)`:
//! - schemas `Thing0`…: in blocks of ten, the first of each block a string enum,
//!   the sixth an array of the fifth, the others objects with typed properties,
//!   a `$ref` to the block's enum and one to the previous schema, so `$ref`
//!   chains up to ten long exist but stay inside their block;
//! - operations cycle GET / POST / DELETE over resources `/resources{r}/items`
//!   (see [`operation_id`]), with a path parameter shared by the path item, query
//!   parameters (one through `components/parameters`), JSON bodies and responses
//!   referencing the schemas, and `components/{responses,requestBodies,headers,
//!   securitySchemes}` entries so slicing exercises every kind.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

/// The operationId of the `index`-th operation of a synthetic spec.
pub fn operation_id(index: usize) -> String {
    let resource = index / 3;
    match index % 3 {
        0 => format!("getItem{resource}"),
        1 => format!("createItem{resource}"),
        _ => format!("deleteItem{resource}"),
    }
}

fn schema_ref(index: usize) -> Value {
    json!({ "$ref": format!("#/components/schemas/Thing{index}") })
}

/// The `index`-th schema; only references schemas with smaller indices.
fn schema(index: usize) -> Value {
    let block = index - index % 10;
    match index % 10 {
        0 => json!({
            "type": "string",
            "description": format!("Lifecycle of block {}.", index / 10),
            "enum": ["pending", "active", "closed"],
        }),
        5 => json!({
            "type": "array",
            "description": format!("A list of Thing{}.", index - 1),
            "items": schema_ref(index - 1),
        }),
        position => {
            let mut properties = json!({
                "id": { "type": "integer", "format": "int64" },
                "name": { "type": "string" },
                "score": { "type": "number", "format": "double" },
                "labels": { "type": "array", "items": { "type": "string" } },
                "status": schema_ref(block),
            });
            if position > 1 {
                properties["previous"] = schema_ref(index - 1);
            }
            json!({
                "type": "object",
                "description": format!("Thing number {index}."),
                "required": ["id", "name"],
                "properties": properties,
            })
        }
    }
}

/// The schema operation `index` sends or returns.
fn body_schema(index: usize, schemas: usize) -> Value {
    if schemas == 0 {
        return json!({ "type": "object", "properties": { "id": { "type": "integer" } } });
    }
    schema_ref(index * 7 % schemas)
}

fn json_content(schema: Value) -> Value {
    json!({ "application/json": { "schema": schema } })
}

/// A valid OpenAPI 3.0.3 document with `operations` operations and `schemas`
/// component schemas; the same arguments always give the same document.
pub fn synthetic_spec(operations: usize, schemas: usize) -> Value {
    let mut paths: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    let mut tags = BTreeSet::new();
    for index in 0..operations {
        let resource = index / 3;
        let tag = format!("group{}", resource % 20);
        tags.insert(resource % 20);
        let id = operation_id(index);
        let body = body_schema(index, schemas);
        let (path, method, operation) = match index % 3 {
            0 => (
                format!("/resources{resource}/items/{{itemId}}"),
                "get",
                json!({
                    "operationId": id,
                    "summary": format!("Get an item of resource {resource}."),
                    "tags": [tag],
                    "parameters": [
                        { "$ref": "#/components/parameters/PageSize" },
                        { "name": "filter", "in": "query", "schema": { "type": "string" } },
                    ],
                    "responses": {
                        "200": {
                            "description": "The item.",
                            "headers": { "X-Rate-Limit": { "$ref": "#/components/headers/RateLimit" } },
                            "content": json_content(body),
                        },
                        "404": { "$ref": "#/components/responses/NotFound" },
                    },
                }),
            ),
            1 => {
                let request = if resource % 2 == 0 || schemas == 0 {
                    json!({ "required": true, "content": json_content(body.clone()) })
                } else {
                    json!({ "$ref": "#/components/requestBodies/ThingInput" })
                };
                (
                    format!("/resources{resource}/items"),
                    "post",
                    json!({
                        "operationId": id,
                        "summary": format!("Create an item of resource {resource}."),
                        "tags": [tag],
                        "parameters": [
                            { "name": "dryRun", "in": "query", "schema": { "type": "boolean" } },
                        ],
                        "requestBody": request,
                        "responses": {
                            "201": { "description": "Created.", "content": json_content(body) },
                        },
                    }),
                )
            }
            _ => (
                format!("/resources{resource}/items/{{itemId}}"),
                "delete",
                json!({
                    "operationId": id,
                    "summary": format!("Delete an item of resource {resource}."),
                    "tags": [tag],
                    "responses": {
                        "204": { "description": "Deleted." },
                        "404": { "$ref": "#/components/responses/NotFound" },
                    },
                }),
            ),
        };
        let item = paths.entry(path.clone()).or_default();
        if path.ends_with("{itemId}") && !item.contains_key("parameters") {
            item.insert(
                "parameters".into(),
                json!([{ "name": "itemId", "in": "path", "required": true, "schema": { "type": "string" } }]),
            );
        }
        item.insert(method.into(), operation);
    }

    let schema_map: Map<String, Value> = (0..schemas)
        .map(|i| (format!("Thing{i}"), schema(i)))
        .collect();
    let mut components = json!({
        "schemas": schema_map,
        "parameters": {
            "PageSize": {
                "name": "pageSize",
                "in": "query",
                "description": "How many items to return.",
                "schema": { "type": "integer", "format": "int32", "minimum": 1 },
            },
        },
        "responses": {
            "NotFound": {
                "description": "No such item.",
                "content": json_content(json!({
                    "type": "object",
                    "properties": { "message": { "type": "string" } },
                })),
            },
        },
        "headers": {
            "RateLimit": { "description": "Calls left.", "schema": { "type": "integer" } },
        },
        "securitySchemes": {
            "bearerAuth": { "type": "http", "scheme": "bearer" },
        },
    });
    if schemas > 0 {
        components["requestBodies"] = json!({
            "ThingInput": { "required": true, "content": json_content(schema_ref(schemas.min(2) - 1)) },
        });
    }
    let tags: Vec<Value> = tags
        .into_iter()
        .map(|t| json!({ "name": format!("group{t}"), "description": format!("Group {t}.") }))
        .collect();
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "Synthetic API",
            "version": "1.0.0",
            "description": format!("{operations} operations over {schemas} schemas, built by xtask::synthetic."),
        },
        "servers": [{ "url": "https://api.example.com/v1" }],
        "security": [{ "bearerAuth": [] }],
        "tags": tags,
        "paths": paths,
        "components": components,
    })
}

/// The slicing benchmark's input: a 5,000-operation, 20,000-schema document and
/// three operationIds spread over it (first, middle, last).
pub fn slice_bench_input() -> (Value, Vec<String>) {
    const OPERATIONS: usize = 5_000;
    (
        synthetic_spec(OPERATIONS, 20_000),
        vec![
            operation_id(0),
            operation_id(OPERATIONS / 2),
            operation_id(OPERATIONS - 1),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate;

    fn generates(operations: usize, schemas: usize) {
        let mut doc = synthetic_spec(operations, schemas);
        assert_eq!(generate::operations(&doc).len(), operations);
        assert_eq!(
            doc["components"]["schemas"].as_object().unwrap().len(),
            schemas
        );
        generate::preflight(&doc).unwrap();
        generate::route_errors_to_runtime(&mut doc);
        let tokens = generate::generate(&doc, "synthetic").unwrap().to_string();
        assert!(tokens.contains(&format!("pub struct Thing{}", schemas - 1)));
        assert!(tokens.contains("delete_item0"), "operations become methods");
    }

    #[test]
    fn ten_operations_generate() {
        generates(10, 10);
    }

    #[test]
    fn a_hundred_operations_generate() {
        generates(100, 100);
    }

    #[test]
    fn is_deterministic_and_parses_as_openapi_3_0() {
        let doc = synthetic_spec(30, 25);
        assert_eq!(doc, synthetic_spec(30, 25));
        let parsed: openapiv3::OpenAPI = serde_json::from_value(doc).unwrap();
        assert_eq!(parsed.paths.paths.len(), 20);
    }
}
