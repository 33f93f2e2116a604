//! A report's statements and their values, kept until they are sent, and strung with
//! other reports' into one string whose placeholders are numbered on.

use std::borrow::Cow;

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::sqlite::{SqliteArgumentValue, SqliteTypeInfo};
use sqlx::{Encode, Sqlite, Type};

use crate::rows::Binding;

/// A report's statements, from `OPEN_REPORT` to `CLOSE_REPORT`, with their values.
pub(crate) struct Statements {
    pub(crate) batch: Batch,
    pub(crate) values: Values,
}

/// A report's values, kept by the queue until the string they belong to is sent: bound
/// like any statement's (`Binding`), owned.
#[derive(Default)]
pub(crate) struct Values {
    pub(super) values: Vec<SqliteArgumentValue<'static>>,
    pub(super) error: Option<BoxDynError>,
}

impl<'q> Binding<'q, Sqlite> for Values {
    fn value<T: 'q + Encode<'q, Sqlite> + Type<Sqlite>>(mut self, value: T) -> Self {
        let mut encoded = Vec::new();
        match value.encode(&mut encoded) {
            Ok(IsNull::No) => {}
            Ok(IsNull::Yes) => encoded.push(SqliteArgumentValue::Null),
            Err(error) => {
                self.error.get_or_insert(error);
                encoded.push(SqliteArgumentValue::Null);
            }
        }
        self.values.extend(encoded.into_iter().map(owned));
        self
    }
}

fn owned(value: SqliteArgumentValue<'_>) -> SqliteArgumentValue<'static> {
    match value {
        SqliteArgumentValue::Null => SqliteArgumentValue::Null,
        SqliteArgumentValue::Text(text) => SqliteArgumentValue::Text(Cow::Owned(text.into_owned())),
        SqliteArgumentValue::Blob(blob) => SqliteArgumentValue::Blob(Cow::Owned(blob.into_owned())),
        SqliteArgumentValue::Double(number) => SqliteArgumentValue::Double(number),
        SqliteArgumentValue::Int(number) => SqliteArgumentValue::Int(number),
        SqliteArgumentValue::Int64(number) => SqliteArgumentValue::Int64(number),
    }
}

/// A value `Values` kept, bound as it was encoded.
pub(super) struct Captured(pub(super) SqliteArgumentValue<'static>);

impl<'q> Encode<'q, Sqlite> for Captured {
    fn encode(self, buffer: &mut Vec<SqliteArgumentValue<'q>>) -> Result<IsNull, BoxDynError> {
        buffer.push(self.0);
        Ok(IsNull::No)
    }

    fn encode_by_ref(
        &self,
        buffer: &mut Vec<SqliteArgumentValue<'q>>,
    ) -> Result<IsNull, BoxDynError> {
        buffer.push(self.0.clone());
        Ok(IsNull::No)
    }
}

impl Type<Sqlite> for Captured {
    /// SQLite takes each value as it comes; the type is not checked when binding.
    fn type_info() -> SqliteTypeInfo {
        <str as Type<Sqlite>>::type_info()
    }
}

/// Statements sent as one string, each statement's `$N` placeholders numbered on from
/// those of the statements before it, so the values are bound in statement order.
#[derive(Default)]
pub(crate) struct Batch {
    text: String,
    placeholders: usize,
    /// How many statements the string holds.
    pub(super) statements: usize,
}

impl Batch {
    pub(crate) fn push(&mut self, statement: &str) -> &mut Self {
        let offset = self.placeholders;
        self.push_numbered(statement, offset);
        self.statements += 1;
        self
    }

    /// Appends `other`'s statements, whose placeholders take `values` values, after this
    /// batch's own values.
    pub(super) fn append(&mut self, other: &Batch, values: usize) {
        let offset = self.placeholders;
        self.push_numbered(&other.text, offset);
        self.placeholders = self.placeholders.max(offset + values);
        self.statements += other.statements;
    }

    fn push_numbered(&mut self, statement: &str, offset: usize) {
        if !self.text.is_empty() {
            self.text.push_str("; ");
        }
        let mut rest = statement;
        while let Some(at) = rest.find('$') {
            self.text.push_str(&rest[..=at]);
            rest = &rest[at + 1..];
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            if let Ok(number) = rest[..digits].parse::<usize>() {
                self.text.push_str(&(number + offset).to_string());
                self.placeholders = self.placeholders.max(number + offset);
            } else {
                self.text.push_str(&rest[..digits]);
            }
            rest = &rest[digits..];
        }
        self.text.push_str(rest);
    }

    pub(crate) fn text(&self) -> &str {
        &self.text
    }
}

#[cfg(test)]
mod tests {
    use super::Batch;

    #[test]
    fn placeholders_are_numbered_on_across_statements() {
        let mut batch = Batch::default();
        batch
            .push("INSERT INTO a (x, y) VALUES ($1, $2)")
            .push("INSERT INTO b (x, y, z) VALUES ($1, $2, $1)")
            .push("RELEASE report")
            .push("UPDATE c SET v = $10 WHERE w = $1");
        assert_eq!(
            batch.text(),
            "INSERT INTO a (x, y) VALUES ($1, $2); INSERT INTO b (x, y, z) VALUES ($3, $4, $3); \
             RELEASE report; UPDATE c SET v = $14 WHERE w = $5"
        );
        assert_eq!(batch.statements, 4);
    }

    #[test]
    fn an_appended_batch_takes_the_values_after_those_before_it() {
        let mut first = Batch::default();
        first
            .push("SAVEPOINT report")
            .push("INSERT INTO a VALUES ($1, $2)");
        let mut second = Batch::default();
        second.push("INSERT INTO b VALUES ($1, $3)");
        let mut both = Batch::default();
        both.append(&first, 2);
        both.append(&second, 4);
        both.append(&first, 2);
        assert_eq!(
            both.text(),
            "SAVEPOINT report; INSERT INTO a VALUES ($1, $2); INSERT INTO b VALUES ($3, $5); \
             SAVEPOINT report; INSERT INTO a VALUES ($7, $8)"
        );
        assert_eq!(both.statements, 5);
    }
}
