//! Account, token, setting and product changes commit with their audit entry: when the
//! entry cannot be written, the change does not happen.

use cvdesk_domain::product::ProductSpec;
use cvdesk_domain::staff::Role;
use cvdesk_store::{NewApiToken, NewSecondFactor, StoreError};
use time::Duration;

use crate::accounts::{account, event, session, NOW};
use crate::backends::backends;

/// Deletes the newest entry while the head still counts it: the next append finds the
/// chain broken and refuses to write.
const BREAK_THE_CHAIN: &str =
    "DELETE FROM audit_log WHERE sequence = (SELECT MAX(sequence) FROM audit_log)";

fn refused<T: std::fmt::Debug>(backend: &str, what: &str, outcome: Result<T, StoreError>) {
    assert!(
        matches!(outcome, Err(StoreError::Corrupt(_))),
        "{backend}: {what} went ahead without its audit entry: {outcome:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_changes_whose_audit_entry_fails_do_not_happen() {
    for backend in backends().await {
        let name = backend.name;
        let store = backend.open().await;
        let admin = account(&*store, "root@example.org", Role::Admin, &[])
            .await
            .expect("admin");
        let viewer = account(&*store, "v@example.org", Role::Viewer, &[])
            .await
            .expect("viewer");
        store
            .sign_in(
                &session("here", viewer, true),
                "192.0.2.1",
                &event("user.login"),
            )
            .await
            .expect("signed in");
        let token = store
            .create_api_token(
                &NewApiToken {
                    user: viewer,
                    token_hash: "v-token",
                    label: "ci",
                    created_at: NOW,
                    expires_at: Some(NOW + Duration::days(90)),
                },
                &event("token.create"),
            )
            .await
            .expect("token");
        let shop = ProductSpec {
            team: Some("Web".into()),
            ..crate::triage::spec("Shop", &[])
        };
        let product = store
            .create_product(&shop, None, NOW, &event("product.create"))
            .await
            .expect("product");
        backend.execute_behind_the_store(BREAK_THE_CHAIN).await;

        let new = ["Shop".to_owned()];
        refused(
            name,
            "an account",
            account(&*store, "m@example.org", Role::Member, &new).await,
        );
        assert_eq!(
            store.user_by_email("m@example.org").await.expect("read"),
            None
        );
        refused(
            name,
            "disabling",
            store
                .set_user_disabled(viewer, true, NOW, &event("user.disable"))
                .await,
        );
        refused(
            name,
            "a password change",
            store
                .change_password(
                    viewer,
                    "$argon2id$new",
                    "here",
                    &event("user.password_change"),
                )
                .await,
        );
        let factor = NewSecondFactor {
            secret: &[7u8; 20],
            recovery_code_hashes: &[],
            confirmed_step: 1,
        };
        refused(
            name,
            "a second factor",
            store
                .enable_second_factor(viewer, &factor, "here", &event("user.second_factor_on"))
                .await,
        );
        refused(
            name,
            "a password set with a one-time link",
            store
                .set_password_with_link(
                    "link-v@example.org",
                    "$argon2id$linked",
                    NOW,
                    &event("user.password_set"),
                )
                .await,
        );
        assert!(
            store
                .password_link_owner("link-v@example.org", NOW)
                .await
                .expect("read")
                .is_some(),
            "{name}: the link is not used up"
        );
        let user = store
            .user_by_id(viewer)
            .await
            .expect("read")
            .expect("found");
        assert!(!user.disabled, "{name}");
        assert_eq!(user.password_hash, None, "{name}");
        assert_eq!(user.totp_secret, None, "{name}");
        assert!(
            store.session("here").await.expect("read").is_some(),
            "{name}"
        );

        refused(
            name,
            "a token",
            store
                .create_api_token(
                    &NewApiToken {
                        user: admin,
                        token_hash: "a-token",
                        label: "ci",
                        created_at: NOW,
                        expires_at: None,
                    },
                    &event("token.create"),
                )
                .await,
        );
        refused(
            name,
            "a revocation",
            store
                .revoke_api_token(token, NOW, &event("token.revoke"))
                .await,
        );
        assert!(store
            .user_by_api_token("a-token", NOW)
            .await
            .expect("read")
            .is_none());
        assert!(store
            .user_by_api_token("v-token", NOW)
            .await
            .expect("read")
            .is_some());

        refused(
            name,
            "turning a second factor off",
            store
                .disable_second_factor(admin, "none", &event("user.second_factor_off"))
                .await,
        );
        let key = cvdesk_store::REQUIRE_SECOND_FACTOR;
        refused(
            name,
            "a setting",
            store
                .change_setting(key, "true", NOW, &event("settings"))
                .await,
        );
        assert_eq!(store.setting(key).await.expect("read"), None, "{name}");

        let blog = ProductSpec {
            team: Some("Content".into()),
            ..crate::triage::spec("Blog", &[])
        };
        refused(
            name,
            "a product",
            store
                .create_product(&blog, None, NOW, &event("product.create"))
                .await,
        );
        let renamed = ProductSpec {
            name: "Store".into(),
            ..shop.clone()
        };
        refused(
            name,
            "a product change",
            store
                .update_product(product, &renamed, NOW, &event("product.update"))
                .await,
        );
        let names: Vec<String> = store
            .products()
            .await
            .expect("list")
            .into_iter()
            .map(|product| product.name)
            .collect();
        assert_eq!(names, ["Shop"], "{name}");
        let teams: Vec<String> = store
            .teams()
            .await
            .expect("teams")
            .into_iter()
            .map(|team| team.name)
            .collect();
        assert_eq!(teams, ["Web"], "{name}: no team is left behind either");
    }
}
