//! The `[policy]` table seeds the published policy on the first start only; later the
//! staff publish new versions. When the file's table no longer matches what finders read,
//! `serve` warns at start, naming the parts that differ and how to publish the file's.

use cvdesk_domain::policy::PolicySettings;
use cvdesk_store::Store;

/// The names of the policy's parts whose values differ, in the file's key names.
pub fn differences(published: &PolicySettings, configured: &PolicySettings) -> Vec<String> {
    let (Ok(serde_json::Value::Object(published)), Ok(serde_json::Value::Object(configured))) = (
        serde_json::to_value(published),
        serde_json::to_value(configured),
    ) else {
        return Vec::new();
    };
    configured
        .iter()
        .filter(|(key, value)| published.get(key.as_str()) != Some(value))
        .map(|(key, _)| key.clone())
        .collect()
}

/// Warns when the file's `[policy]` differs from the published policy.
pub async fn warn_if_drifted(store: &dyn Store, configured: &PolicySettings) {
    let published = match store.current_policy().await {
        Ok(Some(published)) => published,
        Ok(None) => return,
        Err(error) => {
            tracing::warn!(%error, "cannot read the published policy to compare with [policy]");
            return;
        }
    };
    let differing = differences(&published.settings, configured);
    if !differing.is_empty() {
        tracing::warn!(
            published_version = published.version,
            differs_in = %differing.join(", "),
            "the [policy] table of the configuration file no longer matches the published \
             policy, which is what finders read and what the file only seeded on the first \
             start; to publish the file's values, enter them as a new version on the staff \
             Policy page (/staff/policy), or remove the table"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_differing_parts_are_named() {
        let published = PolicySettings::default();
        assert!(differences(&published, &published.clone()).is_empty());
        let configured = PolicySettings {
            response_days: published.response_days + 1,
            in_scope: vec!["shop.example.org".to_owned()],
            ..published.clone()
        };
        let mut differing = differences(&published, &configured);
        differing.sort();
        assert_eq!(differing, ["in_scope", "response_days"]);
    }
}
