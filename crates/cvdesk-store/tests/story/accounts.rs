//! Accounts: creation with their teams and password link, one-time links, the second
//! factor, disabling and enabling, and settings.

use std::collections::BTreeSet;

use cvdesk_domain::audit::AuditEvent;
use cvdesk_domain::staff::{Role, UserId};
use cvdesk_store::{NewAccount, NewSecondFactor, Session, Store, StoreError};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use crate::backends::backends;

pub const NOW: OffsetDateTime = datetime!(2026-05-05 10:00 UTC);

/// The audit entry a change in these stories writes.
pub fn event(action: &str) -> AuditEvent {
    AuditEvent {
        at: NOW,
        actor: None,
        actor_label: "cli".into(),
        action: action.into(),
        subject: None,
        detail: String::new(),
    }
}

/// Makes an account, member of the teams owning `products`, whose password link's hash is
/// `link-` and its e-mail address.
pub async fn account(
    store: &dyn Store,
    email: &str,
    role: Role,
    products: &[String],
) -> Result<UserId, StoreError> {
    store
        .create_account(
            &NewAccount {
                email,
                role,
                products,
                password_link_hash: &format!("link-{email}"),
                password_link_expires_at: NOW + Duration::days(7),
                created_at: NOW,
            },
            &event("user.create"),
        )
        .await
}

/// A session of `user` with this token hash.
pub fn session(token_hash: &str, user_id: UserId, second_factor: bool) -> Session {
    Session {
        token_hash: token_hash.into(),
        user_id,
        csrf_token: "csrf".into(),
        second_factor,
        pending_totp: None,
        created_at: NOW,
        last_seen_at: NOW,
        expires_at: NOW + Duration::minutes(if second_factor { 720 } else { 5 }),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_are_unique_by_e_mail_whatever_the_case() {
    for backend in backends().await {
        let store = backend.open().await;
        let now = datetime!(2026-05-05 10:00 UTC);
        let _ = now;
        let id = account(&*store, "Ada@Example.org", Role::Triager, &[])
            .await
            .expect("created");
        let again = account(&*store, " ada@example.ORG ", Role::Admin, &[]).await;
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
        let id = account(&*store, "a@example.org", Role::Admin, &[])
            .await
            .expect("created");
        let late = account(&*store, "late@example.org", Role::Viewer, &[])
            .await
            .expect("created");
        store
            .sign_in(
                &session("a-session", id, true),
                "192.0.2.1",
                &event("user.login"),
            )
            .await
            .expect("signed in");

        assert_eq!(
            store
                .password_link_owner("link-a@example.org", NOW)
                .await
                .expect("read"),
            Some(id)
        );
        let used = store
            .set_password_with_link(
                "link-a@example.org",
                "$argon2id$one",
                NOW,
                &event("user.password_set"),
            )
            .await
            .expect("set");
        assert_eq!(used, Some(id), "{}", backend.name);
        let user = store.user_by_id(id).await.expect("read").expect("found");
        assert_eq!(user.password_hash.as_deref(), Some("$argon2id$one"));
        assert_eq!(
            store.session("a-session").await.expect("read"),
            None,
            "{}: a new password ends every session",
            backend.name
        );
        let reused = store
            .set_password_with_link(
                "link-a@example.org",
                "$argon2id$two",
                NOW,
                &event("user.password_set"),
            )
            .await
            .expect("ran");
        assert_eq!(reused, None, "{}: a link works once", backend.name);
        assert_eq!(
            store
                .password_link_owner("link-a@example.org", NOW)
                .await
                .expect("read"),
            None
        );
        let expired = store
            .set_password_with_link(
                "link-late@example.org",
                "$argon2id$two",
                NOW + Duration::days(8),
                &event("user.password_set"),
            )
            .await
            .expect("ran");
        assert_eq!(
            expired, None,
            "{}: an expired link does nothing",
            backend.name
        );
        let user = store.user_by_id(late).await.expect("read").expect("found");
        assert_eq!(user.password_hash, None);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_is_made_with_its_teams_and_link_or_not_at_all() {
    for backend in backends().await {
        let store = backend.open().await;
        let shop = crate::triage::spec("Shop", &[]);
        let shop = cvdesk_domain::product::ProductSpec {
            team: Some("Web".into()),
            ..shop
        };
        let product = store
            .create_product(&shop, None, NOW, &event("product.create"))
            .await
            .expect("product");
        let products = ["Shop".to_owned()];
        let member = account(&*store, "m@example.org", Role::Member, &products)
            .await
            .expect("created");
        let user = store
            .user_by_id(member)
            .await
            .expect("read")
            .expect("found");
        assert_eq!(user.products, BTreeSet::from([product]), "{}", backend.name);

        let unknown = ["Shop".to_owned(), "Nope".to_owned()];
        let refused = account(&*store, "n@example.org", Role::Member, &unknown).await;
        assert!(
            matches!(refused, Err(StoreError::Missing(_))),
            "{}: {refused:?}",
            backend.name
        );
        assert_eq!(
            store.user_by_email("n@example.org").await.expect("read"),
            None,
            "{}: a refused grant leaves no account behind",
            backend.name
        );
        assert!(!store
            .link_usable("link-n@example.org", false, NOW)
            .await
            .expect("read"));
        assert_eq!(store.users().await.expect("list").len(), 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabling_ends_sessions_and_tokens_and_spares_the_last_admin() {
    for backend in backends().await {
        let store = backend.open().await;
        let admin = account(&*store, "root@example.org", Role::Admin, &[])
            .await
            .expect("admin");
        let triager = account(&*store, "t@example.org", Role::Triager, &[])
            .await
            .expect("triager");
        store
            .sign_in(
                &session("t-session", triager, true),
                "192.0.2.1",
                &event("user.login"),
            )
            .await
            .expect("signed in");
        store
            .create_api_token(
                &cvdesk_store::NewApiToken {
                    user: triager,
                    token_hash: "t-token",
                    label: "ci",
                    created_at: NOW,
                    expires_at: Some(NOW + Duration::days(90)),
                },
                &event("token.create"),
            )
            .await
            .expect("token");
        store
            .set_user_disabled(triager, true, NOW, &event("user.disable"))
            .await
            .expect("disabled");
        assert_eq!(store.session("t-session").await.expect("read"), None);
        assert_eq!(
            store.user_by_api_token("t-token", NOW).await.expect("read"),
            None,
            "{}",
            backend.name
        );
        let tokens = store.api_tokens(Some(triager)).await.expect("tokens");
        assert_eq!(tokens[0].state(NOW), cvdesk_store::TokenState::Revoked);
        store
            .set_user_disabled(triager, false, NOW, &event("user.enable"))
            .await
            .expect("enabled");
        assert_eq!(
            store.user_by_api_token("t-token", NOW).await.expect("read"),
            None,
            "{}: enabling again does not bring revoked tokens back",
            backend.name
        );
        assert!(
            !store
                .user_by_id(triager)
                .await
                .expect("read")
                .expect("found")
                .disabled
        );

        let last = store
            .set_user_disabled(admin, true, NOW, &event("user.disable"))
            .await;
        assert!(
            matches!(last, Err(StoreError::Conflict(_))),
            "{}: {last:?}",
            backend.name
        );
        assert!(
            !store
                .user_by_id(admin)
                .await
                .expect("read")
                .expect("found")
                .disabled
        );
        assert!(matches!(
            store
                .set_user_disabled(UserId(admin.0 + 100), true, NOW, &event("user.disable"))
                .await,
            Err(StoreError::Missing(_))
        ));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_password_or_second_factor_ends_the_other_sessions() {
    for backend in backends().await {
        let store = backend.open().await;
        let id = account(&*store, "p@example.org", Role::Viewer, &[])
            .await
            .expect("created");
        for hash in ["here", "elsewhere"] {
            store
                .sign_in(&session(hash, id, true), "192.0.2.1", &event("user.login"))
                .await
                .expect("signed in");
        }
        let still_here = |what: &'static str| {
            let store = store.clone();
            let name = backend.name;
            async move {
                assert!(
                    store.session("here").await.expect("read").is_some(),
                    "{name}: {what}"
                );
                assert_eq!(
                    store.session("elsewhere").await.expect("read"),
                    None,
                    "{name}: {what}"
                );
            }
        };
        store
            .change_password(id, "$argon2id$new", "here", &event("user.password_change"))
            .await
            .expect("changed");
        still_here("password").await;
        store
            .sign_in(
                &session("elsewhere", id, true),
                "192.0.2.1",
                &event("user.login"),
            )
            .await
            .expect("signed in");
        store
            .set_pending_totp("here", Some(&[7u8; 20]))
            .await
            .expect("offered");
        let factor = NewSecondFactor {
            secret: &[7u8; 20],
            recovery_code_hashes: &["hash-a".to_owned()],
            confirmed_step: 42,
        };
        store
            .enable_second_factor(id, &factor, "here", &event("user.second_factor_on"))
            .await
            .expect("on");
        still_here("second factor on").await;
        let here = store.session("here").await.expect("read").expect("found");
        assert_eq!(here.pending_totp, None, "the offered secret is used up");
        let user = store.user_by_id(id).await.expect("read").expect("found");
        assert_eq!(
            (user.totp_secret.as_deref(), user.totp_last_step),
            (Some(&[7u8; 20][..]), Some(42))
        );
        store
            .sign_in(
                &session("elsewhere", id, true),
                "192.0.2.1",
                &event("user.login"),
            )
            .await
            .expect("signed in");
        store
            .disable_second_factor(id, "here", &event("user.second_factor_off"))
            .await
            .expect("off");
        still_here("second factor off").await;
        assert!(!store
            .use_recovery_code(id, "hash-a", NOW)
            .await
            .expect("ran"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_factor_steps_and_recovery_codes_are_single_use() {
    for backend in backends().await {
        let store = backend.open().await;
        let now = datetime!(2026-05-05 10:00 UTC);
        let id = account(&*store, "t@example.org", Role::Viewer, &[])
            .await
            .expect("created");
        let codes = vec!["hash-a".to_owned(), "hash-b".to_owned()];
        let factor = NewSecondFactor {
            secret: &[7u8; 20],
            recovery_code_hashes: &codes,
            confirmed_step: 99,
        };
        store
            .enable_second_factor(id, &factor, "no-session", &event("user.second_factor_on"))
            .await
            .expect("enrolled");
        let user = store.user_by_id(id).await.expect("read").expect("found");
        assert_eq!(user.totp_secret, Some(vec![7u8; 20]));

        assert!(
            !store.use_totp_step(id, 99).await.expect("ran"),
            "{}: the confirming code's step is used",
            backend.name
        );
        assert!(store.use_totp_step(id, 100).await.expect("ran"));
        assert!(
            !store.use_totp_step(id, 100).await.expect("ran"),
            "{}: replay",
            backend.name
        );
        assert!(
            !store.use_totp_step(id, 98).await.expect("ran"),
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

        store
            .disable_second_factor(id, "no-session", &event("user.second_factor_off"))
            .await
            .expect("removed");
        let user = store.user_by_id(id).await.expect("read").expect("found");
        assert_eq!((user.totp_secret, user.totp_last_step), (None, None));
        assert!(!store
            .use_recovery_code(id, "hash-b", now)
            .await
            .expect("ran"));
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
                .create_first_admin(
                    "setup-1",
                    "root@example.org",
                    "$argon2id$x",
                    late,
                    &event("user.create_first_admin")
                )
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
            .create_first_admin(
                "setup-3",
                "Root@Example.org",
                "$argon2id$x",
                late,
                &event("user.create_first_admin"),
            )
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
                .create_first_admin(
                    "setup-2",
                    "two@example.org",
                    "$argon2id$y",
                    now,
                    &event("user.create_first_admin")
                )
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
        store
            .change_setting(key, "true", now, &event("settings.require_second_factor"))
            .await
            .expect("put");
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
