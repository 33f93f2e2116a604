//! Whole numbers in JSON request bodies as JSON Schema counts them: `865.0` is the integer
//! 865, so a client (or a generator following the API document) may write it so. serde reads
//! only `865` into an integer; these read either, across the 64-bit range the document gives
//! (`format: int64`). Past 2^53 a number written with a fraction may stand for a neighbour
//! of the integer written; the numbers read here are ids and counts, which never come near.

use serde::{Deserialize, Deserializer};

/// 2^63: the first whole number past the 64-bit range, exactly.
const PAST_I64: f64 = 9_223_372_036_854_775_808.0;

/// The integer a JSON number stands for, when it is whole (`865` or `865.0`) and within
/// the 64-bit range. A number with a fraction must lie strictly within ±2^63: -2^63 is
/// also what the numbers just below the range round to.
pub fn whole_of(number: &serde_json::Number) -> Option<i64> {
    number.as_i64().or_else(|| {
        number
            .as_f64()
            .filter(|value| value.fract() == 0.0 && value.abs() < PAST_I64)
            .map(|value| value as i64)
    })
}

fn whole<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    let Some(number) = Option::<serde_json::Number>::deserialize(deserializer)? else {
        return Ok(None);
    };
    whole_of(&number).map(Some).ok_or_else(|| {
        serde::de::Error::custom(format!("{number} is not a whole number within 64 bits"))
    })
}

/// An optional id: `null`, absent, `865` or `865.0`.
pub fn optional_id<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    whole(deserializer)
}

/// A required id: `865` or `865.0`.
pub fn id<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    whole(deserializer)?.ok_or_else(|| serde::de::Error::custom("a whole number is required"))
}

/// An optional count that fits 32 bits.
pub fn optional_count<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u32>, D::Error> {
    whole(deserializer)?
        .map(|value| {
            u32::try_from(value).map_err(|_| {
                serde::de::Error::custom(format!("{value} is not a count from 0 to 4294967295"))
            })
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Deserialize, Debug, PartialEq)]
    struct Body {
        #[serde(default, deserialize_with = "super::optional_id")]
        id: Option<i64>,
        #[serde(default, deserialize_with = "super::optional_count")]
        days: Option<u32>,
    }

    fn read(json: &str) -> Result<Body, String> {
        serde_json::from_str(json).map_err(|error| error.to_string())
    }

    #[test]
    fn whole_numbers_are_read_however_they_are_written() {
        assert_eq!(
            read(r#"{"id": 865.0, "days": 5}"#),
            Ok(Body {
                id: Some(865),
                days: Some(5)
            })
        );
        assert_eq!(
            read(r#"{"id": null}"#),
            Ok(Body {
                id: None,
                days: None
            })
        );
        assert_eq!(
            read("{}"),
            Ok(Body {
                id: None,
                days: None
            })
        );
        assert_eq!(
            read(r#"{"days": 7.0}"#),
            Ok(Body {
                id: None,
                days: Some(7)
            })
        );
        assert_eq!(
            read(r#"{"id": -9007199254740992.0}"#),
            Ok(Body {
                id: Some(-9_007_199_254_740_992),
                days: None
            })
        );
        for refused in [
            r#"{"id": 1.5}"#,
            r#"{"id": 1e300}"#,
            r#"{"id": 9223372036854775808.0}"#,
            r#"{"id": -9223372036854775809}"#,
            r#"{"id": 18446744073709551615}"#,
            r#"{"id": "7"}"#,
            r#"{"days": -1}"#,
            r#"{"days": 507902699239}"#,
        ] {
            assert!(read(refused).is_err(), "{refused}");
        }
    }
}
