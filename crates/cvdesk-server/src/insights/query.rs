//! Which reports a dashboard looks at: `from` and `to` (days, both included, in the
//! desk's calendar; the last 90 days by default) and `product` (an id; all products when
//! left out). Bad values are answered with 400 naming the parameter.

use cvdesk_domain::insights::{Period, PeriodError};
use cvdesk_domain::sla::Calendar;
use cvdesk_domain::staff::ProductId;
use serde::Deserialize;
use time::format_description::well_known::Iso8601;
use time::{Date, Duration, OffsetDateTime};

use crate::error::WebError;

/// Days a dashboard covers when not told.
const DEFAULT_DAYS: i64 = 90;

/// The query string as sent; blank values are the same as none.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct InsightsQuery {
    pub from: String,
    pub to: String,
    pub product: String,
}

/// A dashboard's reports, read from its query.
#[derive(Debug, Clone)]
pub struct Selection {
    pub first_day: Date,
    pub last_day: Date,
    pub period: Period,
    pub product: Option<ProductId>,
    calendar: Calendar,
}

fn invalid(message: &str) -> WebError {
    WebError::bad_request("invalid_query", message)
}

fn day(text: &str, name: &str) -> Result<Option<Date>, WebError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    Date::parse(text, &Iso8601::DATE)
        .map(Some)
        .map_err(|_| invalid(&format!("{name}: give a day as YYYY-MM-DD.")))
}

impl Selection {
    pub fn read(
        query: &InsightsQuery,
        calendar: &Calendar,
        now: OffsetDateTime,
    ) -> Result<Selection, WebError> {
        let today = calendar.local_date(now).unwrap_or_else(|_| now.date());
        let last_day = day(&query.to, "to")?.unwrap_or(today);
        let first_day = day(&query.from, "from")?
            .unwrap_or_else(|| last_day - Duration::days(DEFAULT_DAYS - 1));
        if last_day.next_day().is_none() {
            return Err(invalid("to: give a day before the year 9999."));
        }
        let period =
            Period::of_days(first_day, last_day, calendar, now).map_err(|error| match error {
                PeriodError::Reversed => invalid("from: the first day must not be after the last."),
                PeriodError::TooLong => invalid("from: a period is at most ten years long."),
                PeriodError::TooFarBack => {
                    invalid("from: a period may start at most ten years ago.")
                }
            })?;
        let product = match query.product.trim() {
            "" => None,
            text if text.bytes().all(|b| b.is_ascii_digit()) && text.len() <= 18 => text
                .parse()
                .map(|id| Some(ProductId(id)))
                .map_err(|_| invalid("product: give a product id."))?,
            _ => return Err(invalid("product: give a product id.")),
        };
        Ok(Selection {
            first_day,
            last_day,
            period,
            product,
            calendar: calendar.clone(),
        })
    }

    /// The last day of each week of the period.
    pub fn week_end_days(&self) -> Vec<Date> {
        self.period
            .week_ends()
            .iter()
            .map(|&end| {
                let day = self.calendar.local_date(end).unwrap_or_else(|_| end.date());
                day.previous_day().unwrap_or(day)
            })
            .collect()
    }

    /// The query string that selects the same reports, for links.
    pub fn query_string(&self) -> String {
        let mut query = format!("from={}&to={}", self.first_day, self.last_day);
        if let Some(product) = self.product {
            query.push_str(&format!("&product={}", product.0));
        }
        query
    }
}

#[cfg(test)]
mod tests {
    use time::macros::{date, datetime};

    use super::*;

    const NOW: OffsetDateTime = datetime!(2026-06-10 12:00 UTC);

    fn read(from: &str, to: &str, product: &str) -> Result<Selection, WebError> {
        Selection::read(
            &InsightsQuery {
                from: from.into(),
                to: to.into(),
                product: product.into(),
            },
            &Calendar::default(),
            NOW,
        )
    }

    #[test]
    fn the_last_ninety_days_by_default() {
        let selection = read("", "", "").expect("default");
        assert_eq!(selection.last_day, date!(2026 - 06 - 10));
        assert_eq!(selection.first_day, date!(2026 - 03 - 13));
        assert_eq!(selection.period.to(), datetime!(2026-06-11 00:00 UTC));
        assert_eq!(selection.product, None);
        assert_eq!(
            selection.week_end_days().last(),
            Some(&date!(2026 - 06 - 10))
        );
    }

    #[test]
    fn days_and_products_are_read_or_refused_by_name() {
        let selection = read("2026-01-01", "2026-01-31", "7").expect("valid");
        assert_eq!(selection.period.from(), datetime!(2026-01-01 00:00 UTC));
        assert_eq!(selection.product, Some(ProductId(7)));
        assert_eq!(
            selection.query_string(),
            "from=2026-01-01&to=2026-01-31&product=7"
        );
        for (from, to, product, name) in [
            ("yesterday", "", "", "from"),
            ("", "2026-02-30", "", "to"),
            ("2026-02-01", "2026-01-01", "", "from"),
            ("2010-01-01", "2010-02-01", "", "from"),
            ("", "", "-1", "product"),
            ("", "", "1e3", "product"),
        ] {
            let refused = read(from, to, product).expect_err("refused");
            assert!(refused.to_string().starts_with(name), "{refused}");
        }
    }
}
