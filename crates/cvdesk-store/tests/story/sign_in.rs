//! Signing in: wrong passwords lock per account and client address, wrong codes per
//! account until a complete sign-in; one waiting session per account, replaced by a new
//! token once the code is right; sessions kept, touched and ended.

use cvdesk_domain::sign_in::{self, Charge};
use cvdesk_domain::staff::Role;
use cvdesk_store::Session;
use time::macros::datetime;
use time::Duration;

use crate::accounts::{account, event, session};
use crate::backends::backends;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_passwords_lock_the_account_for_their_address_only() {
    for backend in backends().await {
        let store = backend.open().await;
        let now = datetime!(2026-05-05 10:00 UTC);
        let id = account(&*store, "m@example.org", Role::Member, &[])
            .await
            .expect("created");
        let charge = |client: &'static str| {
            let store = store.clone();
            async move {
                store
                    .charge_password_attempt(id, client, &sign_in::PASSWORD, now)
                    .await
                    .expect("charged")
            }
        };
        for attempt in 1..=4 {
            assert!(
                matches!(charge("192.0.2.1").await, Charge::Check { locks: false, record } if record.count == attempt),
                "{}: attempt {attempt}",
                backend.name
            );
        }
        assert!(
            matches!(charge("192.0.2.1").await, Charge::Check { locks: true, .. }),
            "{}: the fifth attempt locks when wrong",
            backend.name
        );
        assert_eq!(
            charge("192.0.2.1").await,
            Charge::Refused {
                until: now + Duration::minutes(15)
            },
            "{}: locked for that address",
            backend.name
        );
        assert!(
            matches!(charge("198.51.100.7").await, Charge::Check { record, .. } if record.count == 1),
            "{}: another address is not locked",
            backend.name
        );
        let elsewhere = session("other-address", id, false);
        store
            .sign_in(&elsewhere, "198.51.100.7", &event("user.password_accepted"))
            .await
            .expect("signed in");
        assert!(
            matches!(charge("198.51.100.7").await, Charge::Check { record, .. } if record.count == 1),
            "{}: a correct password clears its address's count",
            backend.name
        );
        assert!(
            matches!(charge("192.0.2.1").await, Charge::Refused { .. }),
            "{}: and no other",
            backend.name
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_attempts_are_all_counted() {
    for backend in backends().await {
        let store = backend.open().await;
        let now = datetime!(2026-05-05 10:00 UTC);
        let id = account(&*store, "r@example.org", Role::Member, &[])
            .await
            .expect("created");
        let attempts = (0..20).map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .charge_second_factor_attempt(id, &sign_in::SECOND_FACTOR, now)
                    .await
                    .expect("charged")
            })
        });
        let mut checked = 0;
        for attempt in attempts {
            if matches!(attempt.await.expect("joined"), Charge::Check { .. }) {
                checked += 1;
            }
        }
        assert_eq!(
            checked, 5,
            "{}: only five of twenty racing codes are checked",
            backend.name
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_complete_sign_in_clears_second_factor_failures() {
    for backend in backends().await {
        let store = backend.open().await;
        let now = datetime!(2026-05-05 10:00 UTC);
        let id = account(&*store, "c@example.org", Role::Member, &[])
            .await
            .expect("created");
        for _ in 0..3 {
            store
                .charge_second_factor_attempt(id, &sign_in::SECOND_FACTOR, now)
                .await
                .expect("charged");
        }
        let first = session("pending-1", id, false);
        store
            .sign_in(&first, "192.0.2.1", &event("user.password_accepted"))
            .await
            .expect("password accepted");
        let fourth = store
            .charge_second_factor_attempt(id, &sign_in::SECOND_FACTOR, now)
            .await
            .expect("charged");
        assert!(
            matches!(fourth, Charge::Check { record, .. } if record.count == 4),
            "{}: a correct password does not reset the codes' count: {fourth:?}",
            backend.name
        );

        let second = session("pending-2", id, false);
        store
            .sign_in(&second, "192.0.2.1", &event("user.password_accepted"))
            .await
            .expect("password accepted again");
        assert_eq!(
            store.session("pending-1").await.expect("read"),
            None,
            "{}: one waiting session per account",
            backend.name
        );
        let complete = Session {
            token_hash: "complete".into(),
            second_factor: true,
            ..second.clone()
        };
        assert!(
            !store
                .complete_second_factor("pending-1", &complete, &event("user.login"))
                .await
                .expect("ran"),
            "{}: a replaced session cannot complete",
            backend.name
        );
        assert!(store
            .complete_second_factor("pending-2", &complete, &event("user.login"))
            .await
            .expect("completed"));
        assert_eq!(
            store.session("pending-2").await.expect("read"),
            None,
            "{}: the waiting token is gone",
            backend.name
        );
        assert!(store
            .session("complete")
            .await
            .expect("read")
            .is_some_and(|session| session.second_factor));
        let after = store
            .charge_second_factor_attempt(id, &sign_in::SECOND_FACTOR, now)
            .await
            .expect("charged");
        assert!(
            matches!(after, Charge::Check { record, .. } if record.count == 1),
            "{}: cleared by the complete sign-in",
            backend.name
        );

        let third = session("pending-3", id, false);
        store
            .sign_in(&third, "192.0.2.1", &event("user.password_accepted"))
            .await
            .expect("password accepted");
        store.delete_pending_sessions_of(id).await.expect("ended");
        assert_eq!(store.session("pending-3").await.expect("read"), None);
        assert!(
            store.session("complete").await.expect("read").is_some(),
            "{}: complete sessions stay",
            backend.name
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_are_kept_touched_and_ended() {
    for backend in backends().await {
        let store = backend.open().await;
        let now = datetime!(2026-05-05 10:00 UTC);
        let id = account(&*store, "s@example.org", Role::Triager, &[])
            .await
            .expect("created");
        let session = Session {
            token_hash: "session-hash".into(),
            user_id: id,
            csrf_token: "csrf".into(),
            second_factor: false,
            pending_totp: None,
            created_at: now,
            last_seen_at: now,
            expires_at: now + Duration::hours(12),
        };
        store
            .sign_in(&session, "192.0.2.1", &event("user.password_accepted"))
            .await
            .expect("created");
        assert_eq!(
            store.session("session-hash").await.expect("read"),
            Some(session.clone())
        );
        let complete = Session {
            token_hash: "session-hash-2".into(),
            second_factor: true,
            ..session.clone()
        };
        assert!(store
            .complete_second_factor("session-hash", &complete, &event("user.login"))
            .await
            .expect("done"));
        store
            .set_pending_totp("session-hash-2", Some(&[1u8; 20]))
            .await
            .expect("kept");
        store
            .touch_session("session-hash-2", now + Duration::minutes(5))
            .await
            .expect("touched");
        let read = store
            .session("session-hash-2")
            .await
            .expect("read")
            .expect("found");
        assert!(read.second_factor);
        assert_eq!(read.pending_totp, Some(vec![1u8; 20]));
        assert_eq!(read.last_seen_at, now + Duration::minutes(5));
        store.delete_sessions_of(id).await.expect("deleted");
        assert_eq!(
            store.session("session-hash-2").await.expect("read"),
            None,
            "{}",
            backend.name
        );
    }
}
