//! Validating documents against the official schemas in `testdata/schemas/`, offline.
//! Shared by the test crates with `#[path = "../../testdata/schema_check.rs"] mod schema_check;`.

use std::path::PathBuf;

use serde_json::Value;

fn load(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/schemas")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("schema json")
}

/// Resolves the CycloneDX schemas' `$ref`s (`spdx.schema.json`, `jsf-0.82.schema.json`) from
/// `testdata/schemas` instead of the network: tests run offline, against the copies pinned in
/// SOURCES.md.
struct LocalSchemas;

impl jsonschema::Retrieve for LocalSchemas {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let path = uri.path().as_str();
        let file = path.rsplit('/').next().unwrap_or(path);
        match file {
            "spdx.schema.json" | "jsf-0.82.schema.json" => Ok(load(file)),
            _ => Err(format!("schema {uri} is not available offline").into()),
        }
    }
}

/// The first 20 errors of `doc` against `schema_file` (formats checked too); empty when valid.
pub fn schema_errors(schema_file: &str, doc: &Value) -> Vec<String> {
    jsonschema::options()
        .with_retriever(LocalSchemas)
        .should_validate_formats(true)
        .build(&load(schema_file))
        .expect("schema compiles")
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .take(20)
        .collect()
}
