//! Rate-limit buckets and spent challenges.

use async_trait::async_trait;
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, IntoArguments, Type};
use time::{Duration, OffsetDateTime};

use super::{SqlStore, StoredTime};
use crate::abuse::{AbuseStore, Bucket};
use crate::StoreError;

/// GCRA: each key keeps a theoretical arrival time. A request is allowed when that time
/// is at most `tolerance` ahead of now, and then moves it one interval on (from now, if it
/// lay in the past). A refused request changes nothing and returns no row.
const TAKE: &str = "INSERT INTO rate_limits (key, arrival_ms) VALUES ($1, $2 + $3) \
     ON CONFLICT (key) DO UPDATE SET arrival_ms = \
     (CASE WHEN rate_limits.arrival_ms > $2 THEN rate_limits.arrival_ms ELSE $2 END) + $3 \
     WHERE rate_limits.arrival_ms - $2 <= $4 \
     RETURNING arrival_ms";

#[async_trait]
impl<DB> AbuseStore for SqlStore<DB>
where
    DB: Database,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> StoredTime: Encode<'q, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
    async fn take_from_bucket(
        &self,
        key: &str,
        bucket: Bucket,
        now: OffsetDateTime,
    ) -> Result<Option<Duration>, StoreError> {
        let now_ms = unix_ms(now);
        let interval_ms = bucket.interval.whole_milliseconds().max(1) as i64;
        let tolerance_ms = interval_ms.saturating_mul(i64::from(bucket.burst.max(1) - 1));
        let allowed: Option<i64> = sqlx::query_scalar(TAKE)
            .bind(key)
            .bind(now_ms)
            .bind(interval_ms)
            .bind(tolerance_ms)
            .fetch_optional(&self.writer)
            .await?;
        if allowed.is_some() {
            return Ok(None);
        }
        let arrival_ms: Option<i64> =
            sqlx::query_scalar("SELECT arrival_ms FROM rate_limits WHERE key = $1")
                .bind(key)
                .fetch_optional(&self.writer)
                .await?;
        // The row can only have gone if a purge ran in between: then there is room now.
        let wait_ms = arrival_ms.map_or(0, |arrival| (arrival - now_ms - tolerance_ms).max(1));
        Ok(Some(Duration::milliseconds(wait_ms)))
    }

    async fn purge_abuse_state(&self, now: OffsetDateTime) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM rate_limits WHERE arrival_ms < $1")
            .bind(unix_ms(now))
            .execute(&self.writer)
            .await?;
        sqlx::query("DELETE FROM spent_challenges WHERE expires_at < $1")
            .bind(StoredTime(now))
            .execute(&self.writer)
            .await?;
        Ok(())
    }
}

fn unix_ms(at: OffsetDateTime) -> i64 {
    (at.unix_timestamp_nanos() / 1_000_000) as i64
}
