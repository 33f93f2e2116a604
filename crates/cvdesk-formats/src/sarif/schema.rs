//! OASIS's SARIF 2.1.0 JSON schema (errata 01), vendored under `tests/schemas/` and
//! compiled into the binary: a log is checked against it before anything in it is read.

use std::sync::LazyLock;

use jsonschema::Validator;
use serde_json::Value;

use super::{problem, SarifProblem, MAX_PROBLEMS};

const SARIF_SCHEMA: &str = include_str!("../../../../tests/schemas/sarif-schema-2.1.0.json");

static VALIDATOR: LazyLock<Result<Validator, String>> = LazyLock::new(|| {
    let schema: Value = serde_json::from_str(SARIF_SCHEMA)
        .map_err(|error| format!("the SARIF schema built in is not JSON: {error}"))?;
    jsonschema::validator_for(&schema)
        .map_err(|error| format!("the SARIF schema built in does not compile: {error}"))
});

/// Every way `document` breaks the schema (at most `MAX_PROBLEMS`), each at its JSON
/// pointer; empty when it is valid.
pub(super) fn violations(document: &Value) -> Vec<SarifProblem> {
    let validator = match VALIDATOR.as_ref() {
        Ok(validator) => validator,
        Err(message) => return vec![problem("", message.clone())],
    };
    validator
        .iter_errors(document)
        .take(MAX_PROBLEMS)
        .map(|error| {
            problem(
                error.instance_path().to_string(),
                shortened(&error.to_string()),
            )
        })
        .collect()
}

/// The validator's message quotes the offending value whole; a long one is cut.
fn shortened(message: &str) -> String {
    const MAX_CHARS: usize = 300;
    match message.char_indices().nth(MAX_CHARS) {
        Some((cut, _)) => format!("{}…", &message[..cut]),
        None => message.to_owned(),
    }
}
