//! State that keeps abuse in check and must be shared by every instance: rate-limit
//! buckets and the intake challenges already spent.

use async_trait::async_trait;
use time::{Duration, OffsetDateTime};

use crate::StoreError;

/// A rate: `burst` requests at once, then one every `interval`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bucket {
    pub interval: Duration,
    pub burst: u32,
}

#[async_trait]
pub trait AbuseStore: Send + Sync {
    /// Takes one request from `key`'s bucket (the generic cell rate algorithm, one atomic
    /// statement, so instances never race). `Ok(None)`: allowed. `Ok(Some(wait))`: refused,
    /// and the bucket has room again after `wait`.
    async fn take_from_bucket(
        &self,
        key: &str,
        bucket: Bucket,
        now: OffsetDateTime,
    ) -> Result<Option<Duration>, StoreError>;

    /// Forgets buckets that are full again and challenges past their expiry.
    async fn purge_abuse_state(&self, now: OffsetDateTime) -> Result<(), StoreError>;
}
