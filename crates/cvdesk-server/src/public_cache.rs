//! What the public pages show that rarely changes (the rendered policy page, the current
//! policy's settings for security.txt, whether an organization key exists, the rendered
//! list of advisories), kept in memory so those pages cost no store read. A change made through this instance empties it at once: any staff
//! request that changes something (a successful POST, PUT, PATCH or DELETE under `/staff`
//! or `/api/v1`) and the scheduled publication of an advisory. A change made elsewhere (by
//! another instance on the same PostgreSQL, or an admin command) is seen within
//! `FRESH_FOR`, however long the value has been kept: every value is read again from the
//! store once it is that old.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use cvdesk_domain::policy::PolicySettings;

/// How long a value read from the store is shown without reading it again: the longest a
/// change made by another instance takes to appear here.
pub const FRESH_FOR: Duration = Duration::from_secs(2);

#[derive(Default)]
pub struct PublicCache {
    /// Raised by every change; a value read before the latest change is not kept.
    generation: AtomicU64,
    policy_page: Slot<Bytes>,
    policy_settings: Slot<Arc<PolicySettings>>,
    has_key: Slot<bool>,
    advisory_list: Slot<Bytes>,
}

struct Slot<T> {
    entry: RwLock<Option<Entry<T>>>,
}

impl<T> Default for Slot<T> {
    fn default() -> Self {
        Slot {
            entry: RwLock::new(None),
        }
    }
}

struct Entry<T> {
    value: T,
    /// When its read from the store began: anything committed before then is in it.
    read_at: Instant,
    generation: u64,
}

impl PublicCache {
    /// Forgets every value: this instance has just changed something they may show.
    pub fn changed(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// The current policy page as rendered by `render`.
    pub async fn policy_page<E>(
        &self,
        render: impl Future<Output = Result<Bytes, E>>,
    ) -> Result<Bytes, E> {
        self.through(&self.policy_page, render).await
    }

    /// The current policy's settings, as security.txt states them.
    pub async fn policy_settings<E>(
        &self,
        read: impl Future<Output = Result<Arc<PolicySettings>, E>>,
    ) -> Result<Arc<PolicySettings>, E> {
        self.through(&self.policy_settings, read).await
    }

    /// Whether the organization has an OpenPGP key finders can encrypt to.
    pub async fn has_key<E>(&self, read: impl Future<Output = Result<bool, E>>) -> Result<bool, E> {
        self.through(&self.has_key, read).await
    }

    /// The public list of advisories as rendered by `render`.
    pub async fn advisory_list<E>(
        &self,
        render: impl Future<Output = Result<Bytes, E>>,
    ) -> Result<Bytes, E> {
        self.through(&self.advisory_list, render).await
    }

    async fn through<T: Clone, E>(
        &self,
        slot: &Slot<T>,
        read: impl Future<Output = Result<T, E>>,
    ) -> Result<T, E> {
        let generation = self.generation.load(Ordering::Acquire);
        if let Some(value) = slot.fresh(generation) {
            return Ok(value);
        }
        let read_at = Instant::now();
        let value = read.await?;
        slot.keep(&value, read_at, generation, &self.generation);
        Ok(value)
    }
}

impl<T: Clone> Slot<T> {
    fn fresh(&self, generation: u64) -> Option<T> {
        let entry = self.entry.read().ok()?;
        let entry = entry.as_ref()?;
        (entry.generation == generation && entry.read_at.elapsed() < FRESH_FOR)
            .then(|| entry.value.clone())
    }

    fn keep(&self, value: &T, read_at: Instant, generation: u64, current: &AtomicU64) {
        // A lock poisoned by a panicking reader only means the value is read again.
        let Ok(mut entry) = self.entry.write() else {
            return;
        };
        // Checked under the lock: a change that came while this value was read wins.
        if current.load(Ordering::Acquire) == generation {
            *entry = Some(Entry {
                value: value.clone(),
                read_at,
                generation,
            });
        }
    }
}

/// Empties the cache after each staff request that changed something.
pub async fn forget_on_change(
    State(cache): State<Arc<PublicCache>>,
    request: Request,
    next: Next,
) -> Response {
    let changes = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) && {
        let path = request.uri().path();
        path.starts_with("/staff/") || path.starts_with("/api/v1/")
    };
    let response = next.run(request).await;
    if changes && (response.status().is_success() || response.status().is_redirection()) {
        cache.changed();
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn read(value: u32) -> Result<Bytes, ()> {
        Ok(Bytes::from(value.to_string()))
    }

    #[tokio::test]
    async fn a_value_is_kept_until_a_change_or_its_age() {
        let cache = PublicCache::default();
        assert_eq!(cache.policy_page(read(1)).await.expect("read"), "1");
        // Kept: the second read is not made.
        assert_eq!(cache.policy_page(read(2)).await.expect("kept"), "1");
        cache.changed();
        assert_eq!(cache.policy_page(read(3)).await.expect("read"), "3");
        // Each slot on its own.
        assert_eq!(cache.advisory_list(read(4)).await.expect("read"), "4");
        assert_eq!(cache.policy_page(read(5)).await.expect("kept"), "3");
    }

    #[tokio::test]
    async fn a_value_read_across_a_change_is_not_kept() {
        let cache = PublicCache::default();
        let value = cache
            .has_key(async {
                cache.changed();
                Ok::<_, ()>(false)
            })
            .await
            .expect("read");
        assert!(!value);
        assert!(cache
            .has_key(async { Ok::<_, ()>(true) })
            .await
            .expect("read"));
    }

    #[tokio::test]
    async fn an_error_is_not_kept() {
        let cache = PublicCache::default();
        assert!(cache
            .has_key(async { Err::<bool, _>("down") })
            .await
            .is_err());
        assert!(cache
            .has_key(async { Ok::<_, &str>(true) })
            .await
            .expect("read"));
    }

    #[test]
    fn an_old_value_is_stale() {
        let slot = Slot::default();
        let current = AtomicU64::new(0);
        let old = Instant::now().checked_sub(FRESH_FOR).expect("uptime");
        slot.keep(&1, old, 0, &current);
        assert_eq!(slot.fresh(0), None);
        slot.keep(&2, Instant::now(), 0, &current);
        assert_eq!(slot.fresh(0), Some(2));
        assert_eq!(slot.fresh(1), None);
    }
}
