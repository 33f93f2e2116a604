//! The disclosure policy: a first version from the configuration, then one version per
//! edit, every older one still readable.

use cvdesk_domain::policy::PolicySettings;
use time::macros::datetime;

use crate::backends::backends;
use crate::staff::triager;

#[tokio::test]
async fn each_edit_is_a_new_version_and_old_ones_stay() {
    for backend in backends().await {
        let store = backend.open().await;
        assert!(store.current_policy().await.expect("read").is_none());
        let first = PolicySettings::default();
        let start = datetime!(2026-11-01 09:00 UTC);
        assert!(store
            .publish_first_policy(&first, start)
            .await
            .expect("first"));
        assert!(!store
            .publish_first_policy(&first, start)
            .await
            .expect("again"));

        let edited = PolicySettings {
            rewards: true,
            in_scope: vec!["shop.example.org".into()],
            ..first.clone()
        };
        let later = datetime!(2026-11-20 14:30 UTC);
        let version = store
            .publish_policy(&edited, "admin@example.org", &|_: &i64| triager(), later)
            .await
            .expect("publish");
        assert_eq!(version, 2, "{}", backend.name);

        let current = store.current_policy().await.expect("read").expect("one");
        assert_eq!(
            (
                current.version,
                current.published_at,
                current.published_by.as_str()
            ),
            (2, later, "admin@example.org")
        );
        assert_eq!(current.settings, edited);
        let old = store.policy_version(1).await.expect("read").expect("kept");
        assert_eq!(
            (old.settings, old.published_by.as_str()),
            (first, "configuration")
        );
        assert!(store.policy_version(3).await.expect("read").is_none());
        assert_eq!(
            store.policy_history().await.expect("history"),
            [(2, later), (1, start)],
            "{}",
            backend.name
        );
    }
}
