//! Validation of written documents against the publishers' JSON schemas, vendored under
//! `tests/schemas/` and compiled in, so no test fetches anything. Only built with the
//! `conformance` feature: the desk itself writes documents that are valid by
//! construction, and its tests prove it with these checks.

use std::sync::LazyLock;

use jsonschema::{Registry, Resource, Validator};
use serde_json::Value;

/// A schema the desk's documents are checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schema {
    /// A CSAF 2.0 document, with FIRST's CVSS schemas it references.
    Csaf,
    /// A CSAF 2.0 `provider-metadata.json`.
    CsafProviderMetadata,
    /// A CSAF ROLIE feed (gocsaf's auxiliary schema).
    CsafRolieFeed,
    /// A whole CVE JSON 5.2 record.
    CveRecord,
    /// The body that publishes a CVE JSON 5.2 CNA container, `{"cnaContainer": …}`.
    CveCnaUpload,
    /// An OSV entry.
    Osv,
}

const CSAF: &str = include_str!("../../../tests/schemas/csaf-csaf_json_schema.json");
const CSAF_PROVIDER: &str = include_str!("../../../tests/schemas/csaf-provider_json_schema.json");
const CSAF_ROLIE: &str = include_str!("../../../tests/schemas/csaf-rolie-feed_json_schema.json");
const CVSS_V2: &str = include_str!("../../../tests/schemas/csaf-cvss-v2.0.json");
const CVSS_V30: &str = include_str!("../../../tests/schemas/csaf-cvss-v3.0.json");
const CVSS_V31: &str = include_str!("../../../tests/schemas/csaf-cvss-v3.1.json");
const CVE_RECORD: &str = include_str!("../../../tests/schemas/cve-5.2-record-bundled.json");
const CVE_CNA: &str = include_str!("../../../tests/schemas/cve-5.2-cna-published-bundled.json");
const OSV: &str = include_str!("../../../tests/schemas/osv-schema.json");

/// The `$id`s under which the CSAF schemas refer to each other.
const CSAF_REFERENCED: [(&str, &str); 4] = [
    (
        "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json",
        CSAF,
    ),
    ("https://www.first.org/cvss/cvss-v2.0.json", CVSS_V2),
    ("https://www.first.org/cvss/cvss-v3.0.json", CVSS_V30),
    ("https://www.first.org/cvss/cvss-v3.1.json", CVSS_V31),
];

fn parse(text: &str) -> Result<Value, String> {
    serde_json::from_str(text).map_err(|error| format!("vendored schema is not JSON: {error}"))
}

/// The CSAF schemas and FIRST's CVSS schemas, under the `$id`s they refer to each other by.
static REGISTRY: LazyLock<Result<Registry<'static>, String>> = LazyLock::new(|| {
    let mut resources = Vec::new();
    for (uri, text) in CSAF_REFERENCED {
        resources.push((uri, Resource::from_contents(parse(text)?)));
    }
    Registry::new()
        .extend(resources)
        .and_then(|builder| builder.prepare())
        .map_err(|error| format!("vendored schemas do not register: {error}"))
});

fn compile(schema: Schema) -> Result<Validator, String> {
    let text = match schema {
        Schema::Csaf => CSAF,
        Schema::CsafProviderMetadata => CSAF_PROVIDER,
        Schema::CsafRolieFeed => CSAF_ROLIE,
        Schema::CveRecord => CVE_RECORD,
        Schema::CveCnaUpload => CVE_CNA,
        Schema::Osv => OSV,
    };
    let registry = REGISTRY.as_ref().map_err(Clone::clone)?;
    jsonschema::options()
        .should_validate_formats(true)
        .with_registry(registry)
        .build(&parse(text)?)
        .map_err(|error| format!("vendored schema does not compile: {error}"))
}

type Compiled = LazyLock<Result<Validator, String>>;
static CSAF_VALIDATOR: Compiled = LazyLock::new(|| compile(Schema::Csaf));
static PROVIDER_VALIDATOR: Compiled = LazyLock::new(|| compile(Schema::CsafProviderMetadata));
static ROLIE_VALIDATOR: Compiled = LazyLock::new(|| compile(Schema::CsafRolieFeed));
static CVE_RECORD_VALIDATOR: Compiled = LazyLock::new(|| compile(Schema::CveRecord));
static CVE_CNA_VALIDATOR: Compiled = LazyLock::new(|| compile(Schema::CveCnaUpload));
static OSV_VALIDATOR: Compiled = LazyLock::new(|| compile(Schema::Osv));

/// Every way `document` breaks `schema`, one message each (`/path: problem`); empty when
/// it is valid.
pub fn violations(schema: Schema, document: &Value) -> Vec<String> {
    let compiled = match schema {
        Schema::Csaf => &CSAF_VALIDATOR,
        Schema::CsafProviderMetadata => &PROVIDER_VALIDATOR,
        Schema::CsafRolieFeed => &ROLIE_VALIDATOR,
        Schema::CveRecord => &CVE_RECORD_VALIDATOR,
        Schema::CveCnaUpload => &CVE_CNA_VALIDATOR,
        Schema::Osv => &OSV_VALIDATOR,
    };
    let validator = match compiled.as_ref() {
        Ok(validator) => validator,
        Err(message) => return vec![message.clone()],
    };
    validator
        .iter_errors(document)
        .map(|error| format!("{}: {error}", error.instance_path()))
        .collect()
}

/// Keys that are not in alphabetical order, as `/path: key after previous`. CSAF asks
/// for sorted keys (test 6.2.13); this reads the JSON text, since parsing into a `Value`
/// may sort keys itself and hide the problem.
pub fn unsorted_keys(json: &str) -> Result<Vec<String>, String> {
    let mut problems = Vec::new();
    let mut deserializer = serde_json::Deserializer::from_str(json);
    serde::de::DeserializeSeed::deserialize(
        SortedCheck {
            path: String::new(),
            problems: &mut problems,
        },
        &mut deserializer,
    )
    .map_err(|error| error.to_string())?;
    Ok(problems)
}

struct SortedCheck<'a> {
    path: String,
    problems: &'a mut Vec<String>,
}

impl<'de> serde::de::DeserializeSeed<'de> for SortedCheck<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for SortedCheck<'_> {
    type Value = ();

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0;
        loop {
            let seed = SortedCheck {
                path: format!("{}/{index}", self.path),
                problems: &mut *self.problems,
            };
            if seq.next_element_seed(seed)?.is_none() {
                return Ok(());
            }
            index += 1;
        }
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut previous: Option<String> = None;
        while let Some(key) = map.next_key::<String>()? {
            if let Some(previous) = &previous {
                if *previous > key {
                    self.problems
                        .push(format!("{}: {key} after {previous}", self.path));
                }
            }
            let seed = SortedCheck {
                path: format!("{}/{key}", self.path),
                problems: &mut *self.problems,
            };
            map.next_value_seed(seed)?;
            previous = Some(key);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn every_vendored_schema_compiles() {
        for schema in [
            Schema::Csaf,
            Schema::CsafProviderMetadata,
            Schema::CsafRolieFeed,
            Schema::CveRecord,
            Schema::CveCnaUpload,
            Schema::Osv,
        ] {
            // Every schema refuses this: by the fields it requires or, for the CNA
            // container (which requires none at its root), by naming no other field.
            let problems = violations(schema, &json!({"not_a_field_of_any_schema": true}));
            assert!(
                problems.iter().all(|p| !p.starts_with("vendored schema")),
                "{schema:?}: {problems:?}"
            );
            assert!(!problems.is_empty(), "{schema:?} accepted an unknown field");
        }
    }

    #[test]
    fn finds_unsorted_keys_at_any_depth() {
        let problems = unsorted_keys(r#"{"a":1,"c":[{"y":1,"x":2}],"b":2}"#).expect("JSON");
        assert_eq!(problems, ["/c/0: x after y", ": b after c"]);
        assert_eq!(
            unsorted_keys(r#"{"a":{"b":1,"c":2}}"#).expect("JSON"),
            Vec::<String>::new()
        );
    }
}
