//! How the store writes a time. SQLite keeps times as text and compares and sorts them as
//! text, so every time goes in as one fixed-width form in UTC with six fraction digits
//! (`2026-03-01T09:30:00.500000Z`), in which text order is time order. PostgreSQL keeps a
//! `timestamptz`, also to the microsecond, so both backends hold the same instants.
//!
//! Statements bind `StoredTime`, never a bare `OffsetDateTime`: the store's impl blocks
//! only know how to encode this type, so a time written any other way does not compile.

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo};
use sqlx::sqlite::{SqliteArgumentValue, SqliteTypeInfo};
use sqlx::{Encode, Postgres, Sqlite, Type};
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

/// The text SQLite stores for a time.
const FIXED_WIDTH: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");

/// A time about to be written to the store.
#[derive(Debug, Clone, Copy)]
pub struct StoredTime(pub OffsetDateTime);

impl StoredTime {
    /// The fixed-width text of this time in UTC, cut to the microsecond; an error for a
    /// time whose UTC year has not four digits.
    pub fn fixed_width_text(self) -> Result<String, BoxDynError> {
        let utc = self
            .0
            .checked_to_offset(UtcOffset::UTC)
            .ok_or("a time beyond the years 0000 to 9999 in UTC cannot be stored")?;
        if !(0..=9999).contains(&utc.year()) {
            return Err("a time beyond the years 0000 to 9999 in UTC cannot be stored".into());
        }
        Ok(utc.format(FIXED_WIDTH)?)
    }
}

impl Type<Sqlite> for StoredTime {
    fn type_info() -> SqliteTypeInfo {
        <OffsetDateTime as Type<Sqlite>>::type_info()
    }

    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <OffsetDateTime as Type<Sqlite>>::compatible(ty)
    }
}

impl<'q> Encode<'q, Sqlite> for StoredTime {
    fn encode_by_ref(&self, buf: &mut Vec<SqliteArgumentValue<'q>>) -> Result<IsNull, BoxDynError> {
        Encode::<Sqlite>::encode(self.fixed_width_text()?, buf)
    }
}

impl Type<Postgres> for StoredTime {
    fn type_info() -> PgTypeInfo {
        <OffsetDateTime as Type<Postgres>>::type_info()
    }

    fn compatible(ty: &PgTypeInfo) -> bool {
        <OffsetDateTime as Type<Postgres>>::compatible(ty)
    }
}

impl Encode<'_, Postgres> for StoredTime {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        Encode::<Postgres>::encode_by_ref(&self.0, buf)
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    fn text(at: OffsetDateTime) -> String {
        StoredTime(at).fixed_width_text().expect("storable")
    }

    #[test]
    fn every_time_has_the_same_width_in_utc() {
        assert_eq!(
            text(datetime!(2026-03-01 09:30:00 UTC)),
            "2026-03-01T09:30:00.000000Z"
        );
        assert_eq!(
            text(datetime!(2026-03-01 09:30:00.5 UTC)),
            "2026-03-01T09:30:00.500000Z"
        );
        assert_eq!(
            text(datetime!(2026-03-01 10:30:00.123456789 +01:00)),
            "2026-03-01T09:30:00.123456Z"
        );
    }

    #[test]
    fn text_order_is_time_order() {
        let times = [
            datetime!(2026-03-01 09:29:59.999999 UTC),
            datetime!(2026-03-01 09:30:00 UTC),
            datetime!(2026-03-01 09:30:00.000001 UTC),
            datetime!(2026-03-01 10:30:00.05 +01:00),
            datetime!(2026-03-01 09:30:00.5 UTC),
            datetime!(2026-03-01 09:30:01 UTC),
        ];
        for pair in times.windows(2) {
            assert!(text(pair[0]) < text(pair[1]), "{pair:?}");
        }
    }

    #[test]
    fn times_beyond_four_digit_years_are_refused() {
        assert!(StoredTime(datetime!(-0001-12-31 23:00:00 UTC))
            .fixed_width_text()
            .is_err());
        assert!(StoredTime(datetime!(9999-12-31 23:30:00 -01:00))
            .fixed_width_text()
            .is_err());
    }
}
