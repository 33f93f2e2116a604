//! What the public pages show and the public form reads that rarely changes (the rendered
//! policy page, whether an organization key exists, the rendered list of advisories,
//! security.txt as served for each host name, the products a new report is routed among
//! and the policy its acknowledgement quotes), kept in memory so those requests cost no
//! store read. A change made
//! through this instance empties it at once: any staff request that changes something (a
//! successful POST, PUT, PATCH or DELETE under `/staff` or `/api/v1`) and the scheduled
//! publication of an advisory. A change made elsewhere (by another instance on the same
//! PostgreSQL, or an admin command) is seen within `FRESH_FOR`, however long the value has
//! been kept: every value is read again from the store once it is that old. A value that
//! also depends on the time of day is kept only for the span of time it was made for.

use std::collections::HashMap;
use std::future::Future;
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use cvdesk_domain::policy::PolicySettings;
use cvdesk_store::Product;
use time::OffsetDateTime;

/// How long a value read from the store is shown without reading it again: the longest a
/// change made by another instance takes to appear here.
pub const FRESH_FOR: Duration = Duration::from_secs(2);

#[derive(Default)]
pub struct PublicCache {
    /// Raised by every change; a value read before the latest change is not kept.
    generation: AtomicU64,
    policy_page: Slot<Bytes>,
    has_key: Slot<bool>,
    advisory_list: Slot<Bytes>,
    products: Slot<Arc<[Product]>>,
    policy_settings: Slot<Arc<PolicySettings>>,
    /// security.txt for each host name served, and under `None` for every other name. The
    /// caller names only configured hosts, so requests cannot add entries at will.
    security_txt: RwLock<HashMap<Option<String>, Arc<Slot<ServedCopy>>>>,
}

/// security.txt as served for one host name.
#[derive(Clone)]
pub struct ServedCopy {
    pub body: Bytes,
    /// The clock's span of time in which the same stored values make this same body; not
    /// kept when `None`.
    pub stands_for: Option<Range<OffsetDateTime>>,
}

struct Slot<T> {
    entry: RwLock<Option<Entry<T>>>,
    /// Held while the value is read again, so that when it goes stale under load one
    /// request reads it and the others wait for that value instead of each reading.
    reading: tokio::sync::Mutex<()>,
}

impl<T> Default for Slot<T> {
    fn default() -> Self {
        Slot {
            entry: RwLock::new(None),
            reading: tokio::sync::Mutex::new(()),
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
        self.through(&self.policy_page, render, |_| true).await
    }

    /// Whether the organization has an OpenPGP key finders can encrypt to.
    pub async fn has_key<E>(&self, read: impl Future<Output = Result<bool, E>>) -> Result<bool, E> {
        self.through(&self.has_key, read, |_| true).await
    }

    /// The public list of advisories as rendered by `render`.
    pub async fn advisory_list<E>(
        &self,
        render: impl Future<Output = Result<Bytes, E>>,
    ) -> Result<Bytes, E> {
        self.through(&self.advisory_list, render, |_| true).await
    }

    /// The products with their routes, for sending each new report to its product.
    pub async fn products<E>(
        &self,
        read: impl Future<Output = Result<Arc<[Product]>, E>>,
    ) -> Result<Arc<[Product]>, E> {
        self.through(&self.products, read, |_| true).await
    }

    /// The settings of the policy in force, which each new report's acknowledgement quotes.
    pub async fn policy_settings<E>(
        &self,
        read: impl Future<Output = Result<Arc<PolicySettings>, E>>,
    ) -> Result<Arc<PolicySettings>, E> {
        self.through(&self.policy_settings, read, |_| true).await
    }

    /// security.txt for `host` (a host name served, or `None` for all others) at `now`, as
    /// made by `make` from the store; a copy is served only within the span it stands for.
    pub async fn security_txt<E>(
        &self,
        host: Option<String>,
        now: OffsetDateTime,
        make: impl Future<Output = Result<ServedCopy, E>>,
    ) -> Result<Bytes, E> {
        let slot = self.security_txt_slot(host);
        let copy = self
            .through(&slot, make, |copy: &ServedCopy| {
                copy.stands_for
                    .as_ref()
                    .is_some_and(|span| span.contains(&now))
            })
            .await?;
        Ok(copy.body)
    }

    fn security_txt_slot(&self, host: Option<String>) -> Arc<Slot<ServedCopy>> {
        // A lock poisoned by a panicking request holds a map that is still whole.
        if let Some(slot) = self
            .security_txt
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&host)
        {
            return Arc::clone(slot);
        }
        let mut copies = self
            .security_txt
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        Arc::clone(copies.entry(host).or_default())
    }

    /// How many security.txt copies are kept, one per host name given.
    #[cfg(test)]
    pub fn security_txt_copies(&self) -> usize {
        self.security_txt
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// The value in `slot` while it is fresh and `holds` accepts it, else read again by
    /// `read` and kept when `holds` accepts it.
    async fn through<T: Clone, E>(
        &self,
        slot: &Slot<T>,
        read: impl Future<Output = Result<T, E>>,
        holds: impl Fn(&T) -> bool,
    ) -> Result<T, E> {
        let generation = self.generation.load(Ordering::Acquire);
        if let Some(value) = slot.fresh(generation).filter(&holds) {
            return Ok(value);
        }
        let _reading = slot.reading.lock().await;
        // Another request may have read it while this one waited.
        let generation = self.generation.load(Ordering::Acquire);
        if let Some(value) = slot.fresh(generation).filter(&holds) {
            return Ok(value);
        }
        let read_at = Instant::now();
        let value = read.await?;
        if holds(&value) {
            slot.keep(&value, read_at, generation, &self.generation);
        }
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
    use time::macros::datetime;

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

    /// A copy of `body` that stands for `span`, counting how many were made.
    async fn made(
        count: &AtomicU64,
        body: &'static str,
        span: Option<Range<OffsetDateTime>>,
    ) -> Result<ServedCopy, ()> {
        count.fetch_add(1, Ordering::Relaxed);
        Ok(ServedCopy {
            body: Bytes::from_static(body.as_bytes()),
            stands_for: span,
        })
    }

    #[tokio::test]
    async fn a_security_txt_copy_is_served_only_within_its_span() {
        let cache = PublicCache::default();
        let made_count = AtomicU64::new(0);
        let noon = datetime!(2026-11-23 12:00 UTC);
        let one = time::Duration::HOUR;
        let copy = |now, body, span: Range<OffsetDateTime>| {
            cache.security_txt(None, now, made(&made_count, body, Some(span)))
        };
        let first_hour = noon..noon + one;
        let second_hour = noon + one..noon + one * 2;
        let copied = copy(noon, "first", first_hour.clone()).await;
        assert_eq!(copied.expect("made"), "first");
        let last_moment = noon + one - time::Duration::NANOSECOND;
        let copied = copy(last_moment, "second", first_hour.clone()).await;
        assert_eq!(copied.expect("kept"), "first");
        assert_eq!(made_count.load(Ordering::Relaxed), 1);
        // Past its span the copy is made again, and before it too (a clock set back).
        let copied = copy(noon + one, "third", second_hour).await;
        assert_eq!(copied.expect("made"), "third");
        let copied = copy(last_moment, "fourth", first_hour.clone()).await;
        assert_eq!(copied.expect("made"), "fourth");
        assert_eq!(made_count.load(Ordering::Relaxed), 3);
        let copied = copy(noon, "fifth", first_hour.clone()).await;
        assert_eq!(copied.expect("kept"), "fourth");
        cache.changed();
        let copied = copy(noon, "sixth", first_hour).await;
        assert_eq!(copied.expect("made"), "sixth");
    }

    #[tokio::test]
    async fn a_security_txt_copy_without_a_span_is_not_kept() {
        let cache = PublicCache::default();
        let made_count = AtomicU64::new(0);
        let noon = datetime!(2026-11-23 12:00 UTC);
        for body in ["first", "second"] {
            let copy = cache
                .security_txt(None, noon, made(&made_count, body, None))
                .await;
            assert_eq!(copy.expect("made"), body);
        }
        assert_eq!(cache.security_txt_copies(), 1);
    }

    #[tokio::test]
    async fn each_host_name_given_has_its_own_copy() {
        let cache = PublicCache::default();
        let made_count = AtomicU64::new(0);
        let noon = datetime!(2026-11-23 12:00 UTC);
        let span = Some(noon..noon + time::Duration::HOUR);
        for (host, body) in [
            (Some("www.acme.example"), "www"),
            (None, "others"),
            (Some("www.acme.example"), "not made"),
            (None, "not made"),
        ] {
            let copy = cache
                .security_txt(
                    host.map(str::to_owned),
                    noon,
                    made(&made_count, body, span.clone()),
                )
                .await
                .expect("served");
            assert_eq!(copy, if host.is_some() { "www" } else { "others" });
        }
        assert_eq!(made_count.load(Ordering::Relaxed), 2);
        assert_eq!(cache.security_txt_copies(), 2);
    }

    #[tokio::test]
    async fn one_request_reads_while_the_others_wait_for_its_value() {
        let cache = PublicCache::default();
        let reads = &AtomicU64::new(0);
        let read = move || async move {
            reads.fetch_add(1, Ordering::Relaxed);
            // The others ask while this read is under way.
            tokio::task::yield_now().await;
            Ok::<_, ()>(Bytes::from_static(b"page"))
        };
        let (first, second, third) = tokio::join!(
            cache.policy_page(read()),
            cache.policy_page(read()),
            cache.policy_page(read()),
        );
        for page in [first, second, third] {
            assert_eq!(page.expect("read"), "page");
        }
        assert_eq!(reads.load(Ordering::Relaxed), 1);
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
