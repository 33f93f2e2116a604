//! One value on its way from one backend to the other. PostgreSQL's column types say what
//! each column holds (SQLite's are only affinities); SQLite keeps times as fixed-width text
//! (`StoredTime`) and booleans as integers, PostgreSQL as `timestamptz` and `boolean`, so
//! each value is read as what the column holds and written as the other side stores it.

use sqlx::postgres::{PgArguments, PgRow};
use sqlx::query::Query;
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Postgres, Row, Sqlite};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::sql_store::StoredTime;
use crate::StoreError;

/// What a column holds, from PostgreSQL's `information_schema.columns.data_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    BigInt,
    Int,
    Boolean,
    Double,
    Bytes,
    Text,
    Time,
}

impl Kind {
    pub fn of_postgres_type(
        table: &str,
        column: &str,
        data_type: &str,
    ) -> Result<Kind, StoreError> {
        Ok(match data_type {
            "bigint" => Kind::BigInt,
            "integer" => Kind::Int,
            "boolean" => Kind::Boolean,
            "double precision" => Kind::Double,
            "bytea" => Kind::Bytes,
            "text" => Kind::Text,
            "timestamp with time zone" => Kind::Time,
            other => {
                return Err(StoreError::Backup(format!(
                    "{table}.{column} has the type {other}, which the store copy does not know"
                )))
            }
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Integer(Option<i64>),
    Int(Option<i32>),
    Boolean(Option<bool>),
    Double(Option<f64>),
    Bytes(Option<Vec<u8>>),
    Text(Option<String>),
    Time(Option<OffsetDateTime>),
}

pub fn from_sqlite(row: &SqliteRow, index: usize, kind: Kind) -> Result<Cell, sqlx::Error> {
    Ok(match kind {
        Kind::BigInt => Cell::Integer(row.try_get(index)?),
        Kind::Int => Cell::Int(
            row.try_get::<Option<i64>, _>(index)?
                .map(|value| i32::try_from(value).map_err(|e| decode_error(index, e)))
                .transpose()?,
        ),
        Kind::Boolean => Cell::Boolean(row.try_get(index)?),
        Kind::Double => Cell::Double(row.try_get(index)?),
        Kind::Bytes => Cell::Bytes(row.try_get(index)?),
        Kind::Text => Cell::Text(row.try_get(index)?),
        Kind::Time => Cell::Time(
            row.try_get::<Option<String>, _>(index)?
                .map(|text| {
                    OffsetDateTime::parse(&text, &Rfc3339).map_err(|e| decode_error(index, e))
                })
                .transpose()?,
        ),
    })
}

pub fn from_postgres(row: &PgRow, index: usize, kind: Kind) -> Result<Cell, sqlx::Error> {
    Ok(match kind {
        Kind::BigInt => Cell::Integer(row.try_get(index)?),
        Kind::Int => Cell::Int(row.try_get(index)?),
        Kind::Boolean => Cell::Boolean(row.try_get(index)?),
        Kind::Double => Cell::Double(row.try_get(index)?),
        Kind::Bytes => Cell::Bytes(row.try_get(index)?),
        Kind::Text => Cell::Text(row.try_get(index)?),
        Kind::Time => Cell::Time(row.try_get(index)?),
    })
}

pub fn bind_sqlite<'q>(
    query: Query<'q, Sqlite, SqliteArguments<'q>>,
    cell: Cell,
) -> Query<'q, Sqlite, SqliteArguments<'q>> {
    match cell {
        Cell::Integer(value) => query.bind(value),
        Cell::Int(value) => query.bind(value.map(i64::from)),
        Cell::Boolean(value) => query.bind(value),
        Cell::Double(value) => query.bind(value),
        Cell::Bytes(value) => query.bind(value),
        Cell::Text(value) => query.bind(value),
        Cell::Time(value) => query.bind(value.map(StoredTime)),
    }
}

pub fn bind_postgres<'q>(
    query: Query<'q, Postgres, PgArguments>,
    cell: Cell,
) -> Query<'q, Postgres, PgArguments> {
    match cell {
        Cell::Integer(value) => query.bind(value),
        Cell::Int(value) => query.bind(value),
        Cell::Boolean(value) => query.bind(value),
        Cell::Double(value) => query.bind(value),
        Cell::Bytes(value) => query.bind(value),
        Cell::Text(value) => query.bind(value),
        Cell::Time(value) => query.bind(value.map(StoredTime)),
    }
}

fn decode_error(
    index: usize,
    source: impl std::error::Error + Send + Sync + 'static,
) -> sqlx::Error {
    sqlx::Error::ColumnDecode {
        index: index.to_string(),
        source: Box::new(source),
    }
}
