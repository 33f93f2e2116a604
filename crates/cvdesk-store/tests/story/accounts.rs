//! Accounts: creation, one-time password links, lockout, second factor, sessions and API
//! tokens.

use cvdesk_domain::staff::Role;
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
async fn repeated_failures_lock_the_account_until_cleared() {
    for backend in backends().await {
        let store = backend.open().await;
        let now = datetime!(2026-05-05 10:00 UTC);
        let id = store
            .create_user("m@example.org", Role::Member, now)
            .await
            .expect("created");
        let until = now + Duration::minutes(15);
        for _ in 0..4 {
            store
                .record_failed_login(id, 5, until)
                .await
                .expect("counted");
        }
        let user = store.user_by_id(id).await.expect("read").expect("found");
        assert_eq!(
            (user.failed_logins, user.locked_until),
            (4, None),
            "{}",
            backend.name
        );
        store
            .record_failed_login(id, 5, until)
            .await
            .expect("counted");
        let user = store.user_by_id(id).await.expect("read").expect("found");
        assert_eq!(user.locked_until, Some(until), "{}", backend.name);
        store.clear_failed_logins(id).await.expect("cleared");
        let user = store.user_by_id(id).await.expect("read").expect("found");
        assert_eq!(
            (user.failed_logins, user.locked_until),
            (0, None),
            "{}",
            backend.name
        );
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
        store.create_session(&session).await.expect("created");
        assert_eq!(
            store.session("session-hash").await.expect("read"),
            Some(session.clone())
        );
        store
            .complete_second_factor("session-hash")
            .await
            .expect("done");
        store
            .set_pending_totp("session-hash", Some(&[1u8; 20]))
            .await
            .expect("kept");
        store
            .touch_session("session-hash", now + Duration::minutes(5))
            .await
            .expect("touched");
        let read = store
            .session("session-hash")
            .await
            .expect("read")
            .expect("found");
        assert!(read.second_factor);
        assert_eq!(read.pending_totp, Some(vec![1u8; 20]));
        assert_eq!(read.last_seen_at, now + Duration::minutes(5));
        store.delete_sessions_of(id).await.expect("deleted");
        assert_eq!(
            store.session("session-hash").await.expect("read"),
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
