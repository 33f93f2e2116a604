//! The queue's query string, shared by the staff page and `GET /api/v1/reports`: what a
//! person asked for becomes a `ReportFilter` limited to what they may see, or a message
//! saying which parameter is wrong.

use axum::extract::rejection::QueryRejection;
use axum::extract::Query;
use cvdesk_domain::access::visible_products;
use cvdesk_domain::report::ReportState;
use cvdesk_domain::staff::{Actor, ProductId};
use cvdesk_store::{QueueCursor, ReportFilter, ReportSort};
use serde::Deserialize;
use time::{Duration, OffsetDateTime};

use crate::error::WebError;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct QueueQuery {
    /// Words to search for.
    pub q: String,
    /// `open` (default), `closed`, `all`, or one state.
    pub state: String,
    /// A product id, or `none` for reports without one.
    pub product: String,
    /// `newest` (default), `oldest` or `severity`.
    pub sort: String,
    /// `yes` or `no`.
    pub needs_info: String,
    /// Lowest CVSS score, 0 to 10.
    pub min_score: String,
    /// Only reports received at most this many days ago.
    pub max_age_days: String,
    /// Only reports received at least this many days ago.
    pub min_age_days: String,
    /// Only reports sent from this address (an IPv4 address or an IPv6 /64).
    pub from: String,
    /// Where the previous page ended.
    pub cursor: String,
    /// Reports a page, 1 to 200 (default 50).
    pub limit: String,
}

impl QueueQuery {
    /// The query string, or a 400 that says why it cannot be read (a repeated parameter,
    /// say) in the caller's error shape.
    pub fn read(query: Result<Query<QueueQuery>, QueryRejection>) -> Result<QueueQuery, WebError> {
        query.map(|Query(query)| query).map_err(|rejection| {
            WebError::bad_request(
                "invalid_query",
                format!(
                    "The query string could not be read: {}",
                    rejection.body_text()
                ),
            )
        })
    }

    /// The filter this query asks for, as seen at `now`, limited to what `actor` may see.
    pub fn filter(&self, actor: &Actor, now: OffsetDateTime) -> Result<ReportFilter, String> {
        let states = match self.state.as_str() {
            "" | "open" => ReportState::ALL
                .into_iter()
                .filter(|s| s.is_open())
                .collect(),
            "closed" => ReportState::ALL
                .into_iter()
                .filter(|s| !s.is_open())
                .collect(),
            "all" => Vec::new(),
            other => vec![other
                .parse::<ReportState>()
                .map_err(|e| format!("state: {e} (or open, closed, all)"))?],
        };
        let (product, without_product) = match self.product.as_str() {
            "" => (None, false),
            "none" => (None, true),
            other => (
                Some(ProductId(
                    other
                        .bytes()
                        .all(|byte| byte.is_ascii_digit())
                        .then(|| other.parse().ok())
                        .flatten()
                        .ok_or_else(|| {
                            format!("product: '{other}' is not a product id (or none)")
                        })?,
                )),
                false,
            ),
        };
        let sort = match self.sort.as_str() {
            "" | "newest" => ReportSort::Newest,
            "oldest" => ReportSort::Oldest,
            "severity" => ReportSort::Severity,
            other => return Err(format!("sort: '{other}' is not newest, oldest or severity")),
        };
        let needs_info = match self.needs_info.as_str() {
            "" => None,
            "yes" => Some(true),
            "no" => Some(false),
            other => return Err(format!("needs_info: '{other}' is not yes or no")),
        };
        let after = match self.cursor.as_str() {
            "" => None,
            other => Some(QueueCursor::decode(other).ok_or_else(|| {
                format!("cursor: '{other}' is not a cursor from a previous page")
            })?),
        };
        let limit = match self.limit.as_str() {
            "" => 50,
            other => other
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=200).contains(n))
                .ok_or_else(|| format!("limit: '{other}' is not a number from 1 to 200"))?,
        };
        let min_score = match self.min_score.as_str() {
            "" => None,
            other => Some(
                other
                    .parse::<f64>()
                    .ok()
                    .filter(|score| (0.0..=10.0).contains(score))
                    .ok_or_else(|| format!("min_score: '{other}' is not a score from 0 to 10"))?,
            ),
        };
        let days = |name: &str, value: &str| -> Result<Option<OffsetDateTime>, String> {
            match value {
                "" => Ok(None),
                other => other
                    .parse::<u16>()
                    .map(|days| Some(now - Duration::days(i64::from(days))))
                    .map_err(|_| format!("{name}: '{other}' is not a number of days")),
            }
        };
        let received_after = days("max_age_days", &self.max_age_days)?;
        let received_before = days("min_age_days", &self.min_age_days)?;
        // Search text goes into a full-text query, where a NUL byte ends the string early.
        for (name, value) in [("q", &self.q), ("from", &self.from)] {
            if value
                .chars()
                .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
            {
                return Err(format!("{name}: remove the control characters"));
            }
        }
        let text = self.q.trim();
        let from = self.from.trim();
        Ok(ReportFilter {
            states,
            product,
            without_product,
            needs_info,
            min_score,
            received_after,
            received_before,
            text: (!text.is_empty()).then(|| text.to_owned()),
            received_from: (!from.is_empty()).then(|| from.to_owned()),
            scope: visible_products(actor),
            sort,
            after,
            limit,
        })
    }

    /// The same query for the page after `cursor`, as a query string.
    pub fn next_page(&self, cursor: &QueueCursor) -> String {
        let pairs = [
            ("q", self.q.as_str()),
            ("state", self.state.as_str()),
            ("product", self.product.as_str()),
            ("sort", self.sort.as_str()),
            ("needs_info", self.needs_info.as_str()),
            ("min_score", self.min_score.as_str()),
            ("max_age_days", self.max_age_days.as_str()),
            ("min_age_days", self.min_age_days.as_str()),
            ("from", self.from.as_str()),
            ("limit", self.limit.as_str()),
        ];
        let mut query: Vec<String> = pairs
            .iter()
            .filter(|(_, value)| !value.is_empty())
            .map(|(name, value)| format!("{name}={}", crate::percent::encode(value)))
            .collect();
        query.push(format!("cursor={}", cursor.encode()));
        query.join("&")
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use cvdesk_domain::access::ProductScope;
    use cvdesk_domain::staff::{Role, UserId};

    use super::*;

    fn actor(role: Role) -> Actor {
        Actor {
            user_id: UserId(1),
            role,
            products: BTreeSet::from([ProductId(3)]),
        }
    }

    #[test]
    fn defaults_to_open_reports_newest_first() {
        let filter = QueueQuery::default()
            .filter(&actor(Role::Triager), OffsetDateTime::UNIX_EPOCH)
            .expect("valid");
        assert_eq!(
            filter.states,
            [
                ReportState::New,
                ReportState::Triaged,
                ReportState::Assigned
            ]
        );
        assert_eq!(filter.sort, ReportSort::Newest);
        assert_eq!(filter.scope, ProductScope::All);
    }

    #[test]
    fn members_only_see_their_products() {
        let filter = QueueQuery::default()
            .filter(&actor(Role::Member), OffsetDateTime::UNIX_EPOCH)
            .expect("valid");
        assert_eq!(
            filter.scope,
            ProductScope::Only(BTreeSet::from([ProductId(3)]))
        );
    }

    #[test]
    fn every_bad_parameter_is_named() {
        for (query, name) in [
            (
                QueueQuery {
                    state: "closedd".into(),
                    ..QueueQuery::default()
                },
                "state",
            ),
            (
                QueueQuery {
                    product: "x".into(),
                    ..QueueQuery::default()
                },
                "product",
            ),
            (
                QueueQuery {
                    sort: "up".into(),
                    ..QueueQuery::default()
                },
                "sort",
            ),
            (
                QueueQuery {
                    needs_info: "maybe".into(),
                    ..QueueQuery::default()
                },
                "needs_info",
            ),
            (
                QueueQuery {
                    cursor: "zz".into(),
                    ..QueueQuery::default()
                },
                "cursor",
            ),
            (
                QueueQuery {
                    limit: "0".into(),
                    ..QueueQuery::default()
                },
                "limit",
            ),
        ] {
            let error = query
                .filter(&actor(Role::Admin), OffsetDateTime::UNIX_EPOCH)
                .expect_err("refused");
            assert!(error.starts_with(name), "{error}");
        }
    }

    #[test]
    fn next_page_keeps_the_query() {
        let query = QueueQuery {
            q: "sql injection".into(),
            sort: "severity".into(),
            ..QueueQuery::default()
        };
        let next = query.next_page(&QueueCursor {
            score: Some(9.8),
            id: 4,
        });
        assert_eq!(next, "q=sql%20injection&sort=severity&cursor=4.9.8");
    }
}
