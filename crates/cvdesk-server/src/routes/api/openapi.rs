//! `GET /api/v1/openapi.json`: the API described as OpenAPI 3.1.
//!
//! The document is a reviewed static file rather than generated from the handlers, so a
//! change to the API shows up as a diff to it; the integration tests call every operation
//! it lists and check the answers against its schemas.

use axum::http::header;
use axum::response::IntoResponse;

const DOCUMENT: &str = include_str!("../../../openapi.json");

pub async fn get_openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], DOCUMENT)
}

#[cfg(test)]
mod tests {
    use super::DOCUMENT;

    #[test]
    fn the_document_is_openapi_3_1_json() {
        let document: serde_json::Value = serde_json::from_str(DOCUMENT).expect("valid JSON");
        let version = document["openapi"].as_str().expect("openapi version");
        assert!(version.starts_with("3.1."), "{version}");
        assert!(document["paths"]["/api/v1/openapi.json"]["get"].is_object());
    }
}
