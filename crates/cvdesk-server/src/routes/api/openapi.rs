//! `GET /api/v1/openapi.json`: the API described as OpenAPI 3.1.
//!
//! The document is a reviewed static file rather than generated from the handlers, so a
//! change to the API shows up as a diff to it. The integration tests call every operation
//! it lists and check each answer against its schemas; the test below keeps the queue's
//! query parameters in step with `QueueQuery`.

use axum::http::header;
use axum::response::IntoResponse;

const DOCUMENT: &str = include_str!("../../../openapi.json");

pub async fn get_openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], DOCUMENT)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde::de::{self, Deserialize, Deserializer, Visitor};
    use serde_json::Value;

    use super::DOCUMENT;
    use crate::queue::QueueQuery;

    fn document() -> Value {
        serde_json::from_str(DOCUMENT).expect("valid JSON")
    }

    #[test]
    fn the_document_is_openapi_3_1_json() {
        let document = document();
        let version = document["openapi"].as_str().expect("openapi version");
        assert!(version.starts_with("3.1."), "{version}");
        assert!(document["paths"]["/api/v1/openapi.json"]["get"].is_object());
    }

    #[test]
    fn the_queue_parameters_are_the_ones_queue_query_reads() {
        let document = document();
        let documented: BTreeSet<&str> = document["paths"]["/api/v1/reports"]["get"]["parameters"]
            .as_array()
            .expect("parameters")
            .iter()
            .filter(|parameter| parameter["in"] == "query")
            .filter_map(|parameter| parameter["name"].as_str())
            .collect();
        let read: BTreeSet<&str> = struct_fields::<QueueQuery>().iter().copied().collect();
        assert_eq!(documented, read);
    }

    /// The field names serde reads for a struct: it hands them to `deserialize_struct`,
    /// where this deserializer notes them and stops.
    fn struct_fields<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
        struct FieldNames(&'static [&'static str]);

        impl<'de> Deserializer<'de> for &mut FieldNames {
            type Error = de::value::Error;

            fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
                Err(de::Error::custom("not a struct"))
            }

            fn deserialize_struct<V: Visitor<'de>>(
                self,
                _name: &'static str,
                fields: &'static [&'static str],
                _visitor: V,
            ) -> Result<V::Value, Self::Error> {
                self.0 = fields;
                Err(de::Error::custom("fields noted"))
            }

            serde::forward_to_deserialize_any! {
                bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
                byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map
                enum identifier ignored_any
            }
        }

        let mut names = FieldNames(&[]);
        let _ = T::deserialize(&mut names);
        names.0
    }
}
