//! Password hashing with argon2id (OWASP's parameters: 19 MiB, 2 passes, 1 lane). Hashing
//! is deliberately slow, so it runs on the blocking pool rather than an async worker, and
//! only a few hashes run at once: a flood of sign-ins waits its turn instead of taking
//! every core and 19 MiB per request.

use std::num::NonZeroUsize;
use std::sync::LazyLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::error::WebError;
use crate::random::random_bytes;

/// Shortest and longest accepted passwords; the upper bound keeps hashing cost bounded.
pub const MIN_LENGTH: usize = 12;
pub const MAX_LENGTH: usize = 1024;

/// Hashes that may run at once: one per core, at most eight.
static HASHING: LazyLock<Semaphore> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(2, NonZeroUsize::get);
    Semaphore::new(cores.clamp(1, 8))
});

/// Runs `work` on the blocking pool once `permits` lets it.
async fn bounded_blocking<T: Send + 'static>(
    permits: &Semaphore,
    work: impl FnOnce() -> Result<T, WebError> + Send + 'static,
) -> Result<T, WebError> {
    let _permit = permits
        .acquire()
        .await
        .map_err(|e| WebError::Internal(format!("hashing queue closed: {e}").into()))?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| WebError::Internal(format!("hashing task failed: {e}").into()))?
}

fn hasher() -> Result<Argon2<'static>, WebError> {
    let params = Params::new(19 * 1024, 2, 1, None)
        .map_err(|e| WebError::Internal(format!("argon2 parameters: {e}").into()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Why a chosen password is refused, in words for the person choosing it.
pub fn check_new(password: &str, confirmation: &str) -> Result<(), String> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err(format!(
            "Choose a password of at least {MIN_LENGTH} characters; a few words make a good one."
        ));
    }
    if length > MAX_LENGTH {
        return Err(format!(
            "Choose a password of at most {MAX_LENGTH} characters."
        ));
    }
    if password != confirmation {
        return Err("The two passwords differ.".to_owned());
    }
    Ok(())
}

pub async fn hash(password: String) -> Result<String, WebError> {
    let salt = SaltString::encode_b64(&random_bytes::<16>()?)
        .map_err(|e| WebError::Internal(format!("salt: {e}").into()))?;
    bounded_blocking(&HASHING, move || {
        hasher()?
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| WebError::Internal(format!("hashing failed: {e}").into()))
    })
    .await
}

/// Checks a password against a stored hash. Without a stored hash (unknown account, or no
/// password chosen yet) it checks against a fixed hash anyway, so the answer takes as long
/// and reveals nothing about which accounts exist. A password longer than any that can be
/// chosen is wrong without hashing it.
pub async fn verify(password: String, stored: Option<String>) -> Result<bool, WebError> {
    if password.chars().count() > MAX_LENGTH {
        return Ok(false);
    }
    let known = stored.is_some();
    let stored = stored.unwrap_or_else(|| DUMMY_HASH.to_owned());
    bounded_blocking(&HASHING, move || {
        let parsed = PasswordHash::new(&stored)
            .map_err(|e| WebError::Internal(format!("stored hash unreadable: {e}").into()))?;
        let matches = hasher()?
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(known && matches)
    })
    .await
}

/// argon2id of a random password nobody knows, with the same parameters.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$h3yX6x9wLmFbAcRMz0U2yqsHkpVdtxCkzOH1kVJ2qgU";

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_refuse() {
        let stored = hash("correct horse battery".into()).await.expect("hashed");
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify("correct horse battery".into(), Some(stored.clone()))
            .await
            .expect("ran"));
        assert!(!verify("wrong horse battery".into(), Some(stored))
            .await
            .expect("ran"));
        assert!(!verify("anything".into(), None).await.expect("ran"));
    }

    #[tokio::test]
    async fn overlong_passwords_are_wrong_without_hashing() {
        let stored = hash("correct horse battery".into()).await.expect("hashed");
        let overlong = "a".repeat(MAX_LENGTH + 1);
        assert!(!verify(overlong, Some(stored)).await.expect("ran"));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_more_hashes_run_at_once_than_the_permits() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;

        let permits = Arc::new(Semaphore::new(2));
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..12)
            .map(|_| {
                let (permits, running, most) = (
                    Arc::clone(&permits),
                    Arc::clone(&running),
                    Arc::clone(&most),
                );
                tokio::spawn(async move {
                    bounded_blocking(&permits, move || {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        running.fetch_sub(1, Ordering::SeqCst);
                        Ok(())
                    })
                    .await
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("joined").expect("ran");
        }
        let most = most.load(Ordering::SeqCst);
        assert!((1..=2).contains(&most), "{most} at once");
    }

    #[test]
    fn new_password_rules() {
        assert!(check_new("short", "short").is_err());
        assert!(check_new("long enough words", "long enough word").is_err());
        assert!(check_new("long enough words", "long enough words").is_ok());
    }
}
