//! Accounts: creation, one-time password links, lockout, second factor, sessions and API
//! tokens.

use cvdesk_domain::audit::AuditEvent;
use cvdesk_domain::sign_in::{self, Charge};
use cvdesk_domain::staff::{Role, UserId};
use cvdesk_store::{Session, StoreError};
use time::macros::datetime;
use time::Duration;

use crate::backends::backends;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_are_unique_by_e_mail_whatever_the_case() {
    for backend in backends().await {
        let store = backend.open().await;
        let now = datetime!(2026-05-05 10:00 UTC);
        let id = store
            .create_user("Ada@Example.org", Role::Triager, now)
            .await
            .expect("created");
        let again = store
            .create_user(" ada@example.ORG ", Role::Admin, now)
            .await;
        assert!(
            matches!(again, Err(StoreError::Conflict(_))),
            "{}: {again:?}",
            backend.name
        );
        let user = store
            .user_by_email("ADA@example.org")
            .await
            .expect("read")
            .expect("found");
        assert_eq!(user.id, id);
        assert_eq!(user.email, "ada@example.org");
        assert_eq!(user.role, Role::Triager);
        assert_eq!(user.password_hash, None);
        assert_eq!(store.user_by_id(id).await.expect("read"), Some(user));
        assert_eq!(store.user_count().await.expect("count"), 1);
        assert!(store
            .user_by_email("eve@example.org")
            .await
            .expect("read")
            .is_none());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_link_works_once_and_not_after_it_expires() {
    for backend in backends().await {
        let store = backend.open().await;
        let now = datetime!(2026-05-05 10:00 UTC);
        let id = store
            .create_user("a@example.org", Role::Admin, now)
            .await
            .expect("created");
        store
            .create_password_link(id, "link-1", now + Duration::hours(24))
            .await
            .expect("link");
        store
            .create_password_link(id, "link-2", now + Duration::hours(1))
            .await
            .expect("link");

        let used = store
            .set_password_with_link("link-1", "$argon2id$one", now)
            .await
            .expect("set");
        assert_eq!(used, Some(id), "{}", backend.name);
        let user = store.user_by_id(id).await.expect("read").expect("found");
        assert_eq!(user.password_hash.as_deref(), Some("$argon2id$one"));
        let reused = store
            .set_password_with_link("link-1", "$argon2id$two", now)
            .await
            .expect("ran");
        assert_eq!(reused, None, "{}: a link works once", backend.name);
        let late = now + Duration::hours(2);
        let expired = store
            .set_password_with_link("link-2", "$argon2id$two", late)
            .await
            .expect("ran");
        assert_eq!(
            expired, None,
            "{}: an expired link does nothing",
            backend.name
        );
        let user = store.user_by_id(id).await.expect("read").expect("found");
        assert_eq!(user.password_hash.as_deref(), Some("$argon2id$one"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_passwords_lock_the_account_for_their_address_only() {
    for backend in backends().await {
        let store = backend.open().await;
        let now = datetime!(2026-05-05 10:00 UTC);
        let id = store
            .create_user("m@example.org", Role::Member, now)
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
        let session = pending("other-address", id, now);
        store
            .sign_in(&session, "198.51.100.7", &event("user.password_accepted"))
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
        let id = store
            .create_user("r@example.org", Role::Member, now)
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
        let id = store
            .create_user("c@example.org", Role::Member, now)
            .await
            .expect("created");
        for _ in 0..3 {
            store
                .charge_second_factor_attempt(id, &sign_in::SECOND_FACTOR, now)
                .await
                .expect("charged");
        }
        let first = pending("pending-1", id, now);
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

        let second = pending("pending-2", id, now);
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

        let third = pending("pending-3", id, now);
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

fn pending(token_hash: &str, user_id: UserId, now: time::OffsetDateTime) -> Session {
    Session {
        token_hash: token_hash.into(),
        user_id,
        csrf_token: "csrf".into(),
        second_factor: false,
        pending_totp: None,
        created_at: now,
        last_seen_at: now,
        expires_at: now + Duration::minutes(5),
    }
}

fn event(action: &str) -> AuditEvent {
    AuditEvent {
        at: datetime!(2026-05-05 10:00 UTC),
        actor: None,
        actor_label: "test".into(),
        action: action.into(),
        subject: None,
        detail: String::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_factor_steps_and_recovery_codes_are_single_use() {
    for backend in backends().await {
        let store = backend.open().await;
        let now = datetime!(2026-05-05 10:00 UTC);
        let id = store
            .create_user("t@example.org", Role::Viewer, now)
            .await
            .expect("created");
        let codes = vec!["hash-a".to_owned(), "hash-b".to_owned()];
        store
            .set_totp(id, Some(&[7u8; 20]), &codes)
            .await
            .expect("enrolled");
        let user = store.user_by_id(id).await.expect("read").expect("found");
        assert_eq!(user.totp_secret, Some(vec![7u8; 20]));

        assert!(store.use_totp_step(id, 100).await.expect("ran"));
        assert!(
            !store.use_totp_step(id, 100).await.expect("ran"),
            "{}: replay",
            backend.name
        );
        assert!(
            !store.use_totp_step(id, 99).await.expect("ran"),
            "{}: older step",
            backend.name
        );
        assert!(store.use_totp_step(id, 101).await.expect("ran"));

        assert!(store
            .use_recovery_code(id, "hash-a", now)
            .await
            .expect("ran"));
        assert!(!store
            .use_recovery_code(id, "hash-a", now)
            .await
            .expect("ran"));
        assert!(!store
            .use_recovery_code(id, "hash-z", now)
            .await
            .expect("ran"));

        store.set_totp(id, None, &[]).await.expect("removed");
        let user = store.user_by_id(id).await.expect("read").expect("found");
        assert_eq!((user.totp_secret, user.totp_last_step), (None, None));
        assert!(!store
            .use_recovery_code(id, "hash-b", now)
            .await
            .expect("ran"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_and_api_tokens() {
    for backend in backends().await {
        let store = backend.open().await;
        let now = datetime!(2026-05-05 10:00 UTC);
        let id = store
            .create_user("s@example.org", Role::Triager, now)
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

        store
            .create_api_token(id, "api-hash", "ci", now)
            .await
            .expect("token");
        let holder = store
            .user_by_api_token("api-hash", now)
            .await
            .expect("read")
            .expect("found");
        assert_eq!(holder.id, id);
        assert!(store
            .user_by_api_token("other", now)
            .await
            .expect("read")
            .is_none());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_setup_link_creates_the_first_admin_only() {
    for backend in backends().await {
        let store = backend.open().await;
        let now = datetime!(2026-05-05 10:00 UTC);
        store
            .create_setup_link("setup-1", now + Duration::hours(24))
            .await
            .expect("link");
        store
            .create_setup_link("setup-2", now + Duration::hours(24))
            .await
            .expect("link");
        let late = now + Duration::hours(25);
        assert_eq!(
            store
                .create_first_admin("setup-1", "root@example.org", "$argon2id$x", late)
                .await
                .expect("ran"),
            None,
            "{}: expired",
            backend.name
        );
        store
            .create_setup_link("setup-3", now + Duration::hours(48))
            .await
            .expect("link");
        let admin = store
            .create_first_admin("setup-3", "Root@Example.org", "$argon2id$x", late)
            .await
            .expect("ran")
            .expect("created");
        let user = store.user_by_id(admin).await.expect("read").expect("found");
        assert_eq!(
            (user.role, user.email.as_str()),
            (Role::Admin, "root@example.org")
        );
        assert_eq!(
            store
                .create_first_admin("setup-2", "two@example.org", "$argon2id$y", now)
                .await
                .expect("ran"),
            None,
            "{}: only while no account exists",
            backend.name
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_are_kept_by_key() {
    for backend in backends().await {
        let store = backend.open().await;
        let now = datetime!(2026-05-05 10:00 UTC);
        let key = cvdesk_store::REQUIRE_SECOND_FACTOR;
        assert_eq!(store.setting(key).await.expect("read"), None);
        store.put_setting(key, "true", now).await.expect("put");
        store
            .put_setting(key, "false", now)
            .await
            .expect("overwrite");
        assert_eq!(
            store.setting(key).await.expect("read").as_deref(),
            Some("false"),
            "{}",
            backend.name
        );
    }
}
