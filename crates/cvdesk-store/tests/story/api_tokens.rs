//! API tokens: found by hash while they work, listed without their secret, refused once
//! expired or revoked.

use cvdesk_domain::staff::Role;
use cvdesk_store::{NewApiToken, StoreError, TokenState};
use time::Duration;

use crate::accounts::{account, event, NOW};
use crate::backends::backends;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_work_until_they_expire_or_are_revoked() {
    for backend in backends().await {
        let store = backend.open().await;
        let id = account(&*store, "ci@example.org", Role::Triager, &[])
            .await
            .expect("created");
        let other = account(&*store, "o@example.org", Role::Viewer, &[])
            .await
            .expect("created");
        let token = |hash: &'static str, user, expires_at| NewApiToken {
            user,
            token_hash: hash,
            label: "ci",
            created_at: NOW,
            expires_at,
        };
        let expires = NOW + Duration::days(90);
        let first = store
            .create_api_token(&token("first", id, Some(expires)), &event("token.create"))
            .await
            .expect("token");
        let second = store
            .create_api_token(&token("second", id, Some(expires)), &event("token.create"))
            .await
            .expect("token");
        store
            .create_api_token(&token("legacy", other, None), &event("token.create"))
            .await
            .expect("token");

        let holder = store
            .user_by_api_token("first", NOW)
            .await
            .expect("read")
            .expect("found");
        assert_eq!(holder.id, id, "{}", backend.name);
        assert!(store
            .user_by_api_token("unknown", NOW)
            .await
            .expect("read")
            .is_none());
        assert!(
            store
                .user_by_api_token("first", expires)
                .await
                .expect("read")
                .is_none(),
            "{}: refused from the instant it expires",
            backend.name
        );
        assert!(
            store
                .user_by_api_token("legacy", NOW + Duration::days(3650))
                .await
                .expect("read")
                .is_some(),
            "{}: a token made before expiry existed keeps working",
            backend.name
        );

        store
            .revoke_api_token(second, NOW, &event("token.revoke"))
            .await
            .expect("revoked");
        assert!(store
            .user_by_api_token("second", NOW)
            .await
            .expect("read")
            .is_none());
        assert!(matches!(
            store
                .revoke_api_token(second, NOW, &event("token.revoke"))
                .await,
            Err(StoreError::Missing(_))
        ));

        let mine = store.api_tokens(Some(id)).await.expect("list");
        let listed: Vec<(i64, TokenState)> = mine
            .iter()
            .map(|token| (token.id, token.state(NOW)))
            .collect();
        assert_eq!(
            listed,
            [(second, TokenState::Revoked), (first, TokenState::Active)],
            "{}: newest first",
            backend.name
        );
        assert_eq!(mine[1].last_used_at, Some(NOW), "{}", backend.name);
        assert_eq!(mine[1].email, "ci@example.org");
        assert_eq!(store.api_tokens(None).await.expect("all").len(), 3);
        assert_eq!(
            mine[1].state(expires),
            TokenState::Expired,
            "{}",
            backend.name
        );
    }
}
