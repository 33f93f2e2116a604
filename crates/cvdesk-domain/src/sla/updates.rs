//! Keeping the finder informed while a fix is under way: the desk owes an update every
//! fourteen days, as the ETSI guide asks, and a finder may ask for one at most once every
//! fourteen days, so a request cannot be used to flood the team.

use time::{Duration, OffsetDateTime};

/// How often the finder hears from the desk while remediation runs.
pub const UPDATE_INTERVAL: Duration = Duration::days(14);

/// How long a finder waits between two requests for an update.
pub const UPDATE_REQUEST_INTERVAL: Duration = Duration::days(14);

/// A finder asked for an update too soon after the last request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an update was requested less than 14 days ago; you can ask again later")]
pub struct UpdateRequestTooSoon {
    pub next_allowed_at: OffsetDateTime,
}

/// When the next update to the finder is due: fourteen days after the later of the
/// assignment and the last update. An update sent before the report was assigned does not
/// start the fortnightly rhythm early.
pub fn next_update_due(
    assigned_at: OffsetDateTime,
    last_update: Option<OffsetDateTime>,
) -> OffsetDateTime {
    let since = last_update.map_or(assigned_at, |last_update| last_update.max(assigned_at));
    // Saturating is harmless: only an instant in the year 9999 reaches the limit.
    since.saturating_add(UPDATE_INTERVAL)
}

/// Whether a finder may ask for an update at `now`: yes for the first request, and
/// otherwise once fourteen days have passed since the last one.
pub fn may_request_update(
    last_request: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> Result<(), UpdateRequestTooSoon> {
    let Some(last_request) = last_request else {
        return Ok(());
    };
    let next_allowed_at = last_request.saturating_add(UPDATE_REQUEST_INTERVAL);
    if now >= next_allowed_at {
        Ok(())
    } else {
        Err(UpdateRequestTooSoon { next_allowed_at })
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn updates_are_due_a_fortnight_after_assignment_or_the_last_update() {
        let assigned_at = datetime!(2026-03-02 10:00 UTC);
        assert_eq!(
            next_update_due(assigned_at, None),
            datetime!(2026-03-16 10:00 UTC)
        );
        assert_eq!(
            next_update_due(assigned_at, Some(datetime!(2026-03-10 15:30 UTC))),
            datetime!(2026-03-24 15:30 UTC)
        );
    }

    #[test]
    fn an_update_before_assignment_does_not_count() {
        let assigned_at = datetime!(2026-03-02 10:00 UTC);
        assert_eq!(
            next_update_due(assigned_at, Some(datetime!(2026-02-20 09:00 UTC))),
            datetime!(2026-03-16 10:00 UTC)
        );
    }

    #[test]
    fn the_first_request_is_always_allowed() {
        assert_eq!(
            may_request_update(None, datetime!(2026-03-02 10:00 UTC)),
            Ok(())
        );
    }

    #[test]
    fn a_second_request_waits_fourteen_days_to_the_second() {
        let last_request = datetime!(2026-03-02 10:00 UTC);
        let next_allowed_at = datetime!(2026-03-16 10:00 UTC);
        let refused = may_request_update(Some(last_request), datetime!(2026-03-16 09:59:59 UTC));
        assert_eq!(refused, Err(UpdateRequestTooSoon { next_allowed_at }));
        assert_eq!(
            refused.map_err(|error| error.to_string()),
            Err("an update was requested less than 14 days ago; you can ask again later".into())
        );
        assert_eq!(
            may_request_update(Some(last_request), next_allowed_at),
            Ok(())
        );
        assert_eq!(
            may_request_update(Some(last_request), datetime!(2026-04-01 00:00 UTC)),
            Ok(())
        );
    }

    #[test]
    fn intervals_are_fourteen_days_across_offsets() {
        // 14 × 24 hours, whatever offset the instant carries.
        let last_request = datetime!(2026-03-28 23:00 +10:00);
        assert_eq!(
            may_request_update(Some(last_request), datetime!(2026-04-11 12:59 UTC)),
            Err(UpdateRequestTooSoon {
                next_allowed_at: datetime!(2026-04-11 13:00 UTC)
            })
        );
    }
}
