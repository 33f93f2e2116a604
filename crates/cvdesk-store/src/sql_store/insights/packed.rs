//! The texts the database packs a period's reports into: rows end with `;`, fields with
//! `,`, an empty field is NULL. The drivers hand rows over one at a time, at several
//! microseconds each on SQLite, which for the hundreds of thousands of reports of a long
//! period cost many times what reading them does; the database builds a text at a
//! fraction of that.

use super::tally::Received;
use crate::StoreError;

/// The rows `string_agg` packed into one text.
pub(super) fn packed_rows(packed: &str) -> impl Iterator<Item = Fields<'_>> {
    packed
        .split(';')
        .filter(|row| !row.is_empty())
        .map(|row| Fields { rest: Some(row) })
}

/// One packed row's fields, read in order. A long period has hundreds of thousands of
/// rows of about a dozen fields, so fields are cut and numbers read byte by byte.
pub(super) struct Fields<'a> {
    /// What is left of the row; `None` once its last field is read.
    rest: Option<&'a str>,
}

impl<'a> Fields<'a> {
    /// The next field: `None` for an empty one (a NULL).
    pub fn text(&mut self) -> Result<Option<&'a str>, StoreError> {
        let rest = self
            .rest
            .ok_or_else(|| StoreError::Corrupt("a packed row with a field missing".into()))?;
        let field = match rest.bytes().position(|byte| byte == b',') {
            Some(end) => {
                self.rest = rest.get(end + 1..);
                rest.get(..end).unwrap_or_default()
            }
            None => {
                self.rest = None;
                rest
            }
        };
        Ok((!field.is_empty()).then_some(field))
    }

    pub fn integer(&mut self) -> Result<Option<i64>, StoreError> {
        self.text()?
            .map(|field| {
                decimal(field).ok_or_else(|| {
                    StoreError::Corrupt(format!("a packed row with {field:?} for a number"))
                })
            })
            .transpose()
    }

    /// A row of `RECEIVED_FIELDS`: the report's product and the report.
    pub fn received(mut self) -> Result<(Option<i64>, Received<&'a str>), StoreError> {
        let rating = self.text()?;
        let product = self.integer()?;
        let report = Received {
            rating,
            source: self.text()?.unwrap_or_default(),
            weakness: self.text()?,
            root_cause: self.text()?,
            duplicate: self.text()?.is_some(),
            spam: self.text()?.is_some(),
            created: self
                .integer()?
                .ok_or_else(|| StoreError::Corrupt("a report without its receipt".into()))?,
            first_response: self.integer()?,
            triaged: self.integer()?,
            assigned: self.integer()?,
            remediated: self.integer()?,
            closed: self.integer()?,
        };
        self.end()?;
        Ok((product, report))
    }

    /// Ends the row: a field past those read means the row is not what was asked for.
    pub fn end(self) -> Result<(), StoreError> {
        match self.rest {
            None => Ok(()),
            Some(_) => Err(StoreError::Corrupt(
                "a packed row with a field too many".into(),
            )),
        }
    }
}

/// A whole number written in decimal, as the databases print one: digits, with `-` before
/// a negative one; `None` for anything else or past the range of `i64`.
fn decimal(text: &str) -> Option<i64> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(digits) => (true, digits),
        None => (false, text),
    };
    if digits.is_empty() {
        return None;
    }
    // Counted below zero, where `i64` reaches one further.
    let mut value: i64 = 0;
    for byte in digits.bytes() {
        let digit = byte.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        value = value.checked_mul(10)?.checked_sub(i64::from(digit))?;
    }
    if negative {
        Some(value)
    } else {
        value.checked_neg()
    }
}

/// One report's `fields` as the text of a packed row: each field's text, an empty text for
/// NULL, separated by `,`. One `format` call per row (both backends have it, and both
/// print NULL as an empty text), where joining the fields with `||` made the database
/// copy the growing text once per field.
pub(super) fn packed_row(fields: &[&str]) -> String {
    format!(
        "format('{}', {})",
        vec!["%s"; fields.len()].join(","),
        fields.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::{decimal, packed_rows};
    use crate::StoreError;

    #[test]
    fn packed_rows_give_back_their_fields() {
        let packed = "high,3,120;,,45;;low,-7,";
        let rows: Vec<(Option<&str>, Option<i64>, Option<i64>)> = packed_rows(packed)
            .map(|mut fields| {
                let row = (
                    fields.text().expect("rating"),
                    fields.integer().expect("product"),
                    fields.integer().expect("seconds"),
                );
                fields.end().expect("three fields");
                row
            })
            .collect();
        assert_eq!(
            rows,
            [
                (Some("high"), Some(3), Some(120)),
                (None, None, Some(45)),
                (Some("low"), Some(-7), None)
            ]
        );
        // No report in the part: nothing packed.
        assert_eq!(packed_rows("").count(), 0);
    }

    #[test]
    fn a_row_not_as_asked_is_refused() {
        let mut fields = packed_rows("high,x").next().expect("a row");
        assert_eq!(fields.text().expect("rating"), Some("high"));
        assert!(matches!(
            fields.integer(),
            Err(StoreError::Corrupt(why)) if why.contains("\"x\"")
        ));
        let mut short = packed_rows("high").next().expect("a row");
        assert!(short.text().is_ok());
        assert!(matches!(short.text(), Err(StoreError::Corrupt(_))));
        let mut long = packed_rows("1,2").next().expect("a row");
        assert!(long.integer().is_ok());
        assert!(matches!(long.end(), Err(StoreError::Corrupt(_))));
    }

    proptest::proptest! {
        /// Numbers are read as Rust reads them, and what Rust refuses is refused.
        #[test]
        fn decimals_are_read_as_rust_reads_them(number in proptest::num::i64::ANY, text in "[-+0-9a ]{0,21}") {
            proptest::prop_assert_eq!(decimal(&number.to_string()), Some(number));
            let rust = text.parse::<i64>().ok().filter(|_| !text.starts_with('+'));
            proptest::prop_assert_eq!(decimal(&text), rust);
        }
    }
}
