//! A case's deadlines, from the researcher's policy: the vendor verifies within a number of
//! business days of the date of reporting (5 by default, counted on the desk's business
//! calendar) and the vulnerability is announced a number of calendar days after it (90),
//! unless a different date was agreed in writing, in which case that date replaces it.
//! Project Zero's rules come as named presets: a grace period on request, and an in-the-wild
//! fast track. The calendar and the instants come in as arguments; nothing reads a clock.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use time::{Date, Duration, OffsetDateTime};

use crate::sla::{Calendar, DeadlineError};

/// The named sets of deadline rules a case can follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Preset {
    /// Verify within 5 business days, announce after 90 calendar days or an agreed date;
    /// publish as soon as the fix ships.
    Standard,
    /// Project Zero: 90 days, 14 days' grace on request when a fix is due within them,
    /// details 30 days after the fix.
    ProjectZero,
    /// Project Zero's fast track for a vulnerability exploited in the wild: 7 days, 3 days'
    /// grace, details 30 days after the fix.
    ProjectZeroInTheWild,
}

impl Preset {
    pub const ALL: [Preset; 3] = [
        Preset::Standard,
        Preset::ProjectZero,
        Preset::ProjectZeroInTheWild,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Preset::Standard => "standard",
            Preset::ProjectZero => "project_zero",
            Preset::ProjectZeroInTheWild => "project_zero_in_the_wild",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Preset::Standard => "Standard (5 business days to verify, 90 days to announce)",
            Preset::ProjectZero => "Project Zero (90 days, 14 days' grace, details 30 days after the fix)",
            Preset::ProjectZeroInTheWild => {
                "Project Zero, exploited in the wild (7 days, 3 days' grace, details 30 days after the fix)"
            }
        }
    }

    /// The rules of the preset, with the verification time the settings give.
    pub fn rules(self, verify_business_days: u32, announce_calendar_days: u32) -> DeadlineRules {
        match self {
            Preset::Standard => DeadlineRules {
                verify_business_days,
                announce_calendar_days,
                grace_days: 0,
                publish_after_fix_days: 0,
            },
            Preset::ProjectZero => DeadlineRules {
                verify_business_days,
                announce_calendar_days: 90,
                grace_days: 14,
                publish_after_fix_days: 30,
            },
            Preset::ProjectZeroInTheWild => DeadlineRules {
                verify_business_days,
                announce_calendar_days: 7,
                grace_days: 3,
                publish_after_fix_days: 30,
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a deadline preset (standard, project_zero, project_zero_in_the_wild)")]
pub struct UnknownPreset(String);

impl FromStr for Preset {
    type Err = UnknownPreset;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Preset::ALL
            .into_iter()
            .find(|preset| preset.as_str() == s)
            .ok_or_else(|| UnknownPreset(s.chars().take(40).collect()))
    }
}

impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How long each clock runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DeadlineRules {
    pub verify_business_days: u32,
    pub announce_calendar_days: u32,
    /// Days added to the announcement on the vendor's request when a fix is due within
    /// them; 0 when the policy grants none.
    pub grace_days: u32,
    /// Days between the fix's release and publishing the details.
    pub publish_after_fix_days: u32,
}

impl Default for DeadlineRules {
    fn default() -> Self {
        Preset::Standard.rules(5, 90)
    }
}

/// A date the vendor and the researcher agreed in writing, with the message that agreed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgreedDate {
    pub announce_by: Date,
    /// What records the agreement: the log entry of the agreeing message.
    pub evidence: String,
}

/// Where the announcement date comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "basis", rename_all = "snake_case")]
pub enum AnnouncementBasis {
    /// The policy's number of calendar days after reporting.
    Policy { calendar_days: u32 },
    /// A date agreed in writing, which replaces the policy's days.
    Agreed { evidence: String },
}

/// A case's deadlines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deadlines {
    #[serde(with = "time::serde::rfc3339")]
    pub reported_at: OffsetDateTime,
    /// The end of the last business day the vendor has to verify.
    #[serde(with = "time::serde::rfc3339")]
    pub verification_due: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub announcement_due: OffsetDateTime,
    pub announcement_basis: AnnouncementBasis,
    /// The latest announcement a grace period can give, when the rules grant one.
    #[serde(with = "time::serde::rfc3339::option")]
    pub grace_until: Option<OffsetDateTime>,
    /// When the details may be published, once the fix is out.
    #[serde(with = "time::serde::rfc3339::option")]
    pub publish_after_fix: Option<OffsetDateTime>,
}

/// The deadlines of a case reported at `reported_at`, under `rules`, with an agreed date
/// when there is one and the fix's release when it happened.
pub fn compute(
    calendar: &Calendar,
    rules: &DeadlineRules,
    reported_at: OffsetDateTime,
    agreed: Option<&AgreedDate>,
    fixed_at: Option<OffsetDateTime>,
) -> Result<Deadlines, DeadlineError> {
    let verification_due = calendar.add_working_days(reported_at, rules.verify_business_days)?;
    let (announcement_due, announcement_basis) = match agreed {
        Some(agreed) => {
            // The whole agreed day is the vendor's: the deadline is its end.
            let next = agreed
                .announce_by
                .next_day()
                .ok_or(DeadlineError::OutOfRange)?;
            (
                calendar.start_of_day(next),
                AnnouncementBasis::Agreed {
                    evidence: agreed.evidence.clone(),
                },
            )
        }
        None => (
            calendar.add_calendar_days(reported_at, rules.announce_calendar_days)?,
            AnnouncementBasis::Policy {
                calendar_days: rules.announce_calendar_days,
            },
        ),
    };
    let grace_until = (rules.grace_days > 0)
        .then(|| calendar.add_calendar_days(announcement_due, rules.grace_days))
        .transpose()?;
    let publish_after_fix = fixed_at
        .map(|fixed| calendar.add_calendar_days(fixed, rules.publish_after_fix_days))
        .transpose()?;
    Ok(Deadlines {
        reported_at,
        verification_due,
        announcement_due,
        announcement_basis,
        grace_until,
        publish_after_fix,
    })
}

/// Which deadline a reminder is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Milestone {
    Verification,
    Announcement,
}

/// Whether the deadline is close or has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReminderKind {
    Soon,
    Due,
}

/// A reminder to the researcher, due at `at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reminder {
    pub milestone: Milestone,
    pub kind: ReminderKind,
    pub at: OffsetDateTime,
}

impl Reminder {
    /// The key that records it was sent, once per case and deadline date.
    pub fn key(&self) -> String {
        let milestone = match self.milestone {
            Milestone::Verification => "verification",
            Milestone::Announcement => "announcement",
        };
        let kind = match self.kind {
            ReminderKind::Soon => "soon",
            ReminderKind::Due => "due",
        };
        format!("{milestone}_{kind}_{}", self.at.unix_timestamp())
    }
}

/// How long before a deadline the researcher hears it is close.
pub const VERIFICATION_NOTICE: Duration = Duration::days(1);
pub const ANNOUNCEMENT_NOTICE: Duration = Duration::days(7);

/// The reminders a case in `verified`-ness `verified` and with the vendor (`open`) is
/// owed by `now`: a day before the verification deadline and when it passes unverified
/// (with the follow-up to send), a week before the announcement and when it comes (when
/// the case asks for a decision).
pub fn due_reminders(
    deadlines: &Deadlines,
    open: bool,
    verified: bool,
    now: OffsetDateTime,
) -> Vec<Reminder> {
    if !open {
        return Vec::new();
    }
    let mut all = Vec::new();
    if !verified {
        all.push(Reminder {
            milestone: Milestone::Verification,
            kind: ReminderKind::Soon,
            at: deadlines.verification_due - VERIFICATION_NOTICE,
        });
        all.push(Reminder {
            milestone: Milestone::Verification,
            kind: ReminderKind::Due,
            at: deadlines.verification_due,
        });
    }
    all.push(Reminder {
        milestone: Milestone::Announcement,
        kind: ReminderKind::Soon,
        at: deadlines.announcement_due - ANNOUNCEMENT_NOTICE,
    });
    all.push(Reminder {
        milestone: Milestone::Announcement,
        kind: ReminderKind::Due,
        at: deadlines.announcement_due,
    });
    // A reminder whose deadline already passed when a later one is due is not worth
    // sending on its own: only the newest of each deadline goes out.
    let mut due: Vec<Reminder> = Vec::new();
    for reminder in all.into_iter().filter(|reminder| reminder.at <= now) {
        due.retain(|earlier| earlier.milestone != reminder.milestone);
        due.push(reminder);
    }
    due
}

#[cfg(test)]
mod tests {
    use time::macros::{date, datetime};
    use time::{UtcOffset, Weekday};

    use super::*;
    use crate::sla::Holidays;

    fn calendar() -> Calendar {
        let holidays: Holidays = [date!(2026 - 12 - 24), date!(2026 - 12 - 25)]
            .into_iter()
            .collect();
        Calendar::new(
            [Weekday::Saturday, Weekday::Sunday],
            holidays,
            UtcOffset::from_hms(1, 0, 0).expect("offset"),
        )
        .expect("calendar")
    }

    #[test]
    fn verification_skips_the_weekend_and_holidays() {
        // Reported on Friday 18 December 2026 at 15:00 local: Monday 21, Tuesday 22,
        // Wednesday 23, (Thursday 24 and Friday 25 are holidays, then a weekend)
        // Monday 28, Tuesday 29 are the five business days.
        let reported = datetime!(2026-12-18 15:00 +1);
        let deadlines =
            compute(&calendar(), &DeadlineRules::default(), reported, None, None).expect("due");
        assert_eq!(deadlines.verification_due, datetime!(2026-12-30 00:00 +1));
        assert_eq!(deadlines.announcement_due, datetime!(2027-03-18 15:00 +1));
        assert_eq!(
            deadlines.announcement_basis,
            AnnouncementBasis::Policy { calendar_days: 90 }
        );
        assert_eq!(deadlines.grace_until, None);
    }

    #[test]
    fn an_agreed_date_replaces_the_ninety_days() {
        let reported = datetime!(2026-03-02 10:00 +1);
        let agreed = AgreedDate {
            announce_by: date!(2026 - 07 - 15),
            evidence: "mail <abc@vendor.example>".into(),
        };
        let deadlines = compute(
            &calendar(),
            &DeadlineRules::default(),
            reported,
            Some(&agreed),
            None,
        )
        .expect("due");
        assert_eq!(deadlines.announcement_due, datetime!(2026-07-16 00:00 +1));
        assert_eq!(
            deadlines.announcement_basis,
            AnnouncementBasis::Agreed {
                evidence: "mail <abc@vendor.example>".into()
            }
        );
    }

    #[test]
    fn project_zero_presets() {
        let reported = datetime!(2026-03-02 10:00 UTC);
        let rules = Preset::ProjectZero.rules(5, 90);
        let fixed = reported + Duration::days(47);
        let deadlines = compute(&calendar(), &rules, reported, None, Some(fixed)).expect("due");
        assert_eq!(deadlines.announcement_due, reported + Duration::days(90));
        assert_eq!(deadlines.grace_until, Some(reported + Duration::days(104)));
        // Patch on day 47: details on day 77.
        assert_eq!(
            deadlines.publish_after_fix,
            Some(reported + Duration::days(77))
        );
        let wild = Preset::ProjectZeroInTheWild.rules(5, 90);
        let deadlines = compute(&calendar(), &wild, reported, None, None).expect("due");
        assert_eq!(deadlines.announcement_due, reported + Duration::days(7));
        assert_eq!(deadlines.grace_until, Some(reported + Duration::days(10)));
        for preset in Preset::ALL {
            assert_eq!(preset.as_str().parse::<Preset>(), Ok(preset));
        }
        assert!("p0".parse::<Preset>().is_err());
    }

    #[test]
    fn reminders_come_once_their_time_has_come() {
        let reported = datetime!(2026-03-02 10:00 UTC);
        let deadlines = compute(
            &Calendar::default(),
            &DeadlineRules::default(),
            reported,
            None,
            None,
        )
        .expect("due");
        assert!(due_reminders(&deadlines, true, false, reported).is_empty());
        let day_before = deadlines.verification_due - Duration::hours(2);
        let due = due_reminders(&deadlines, true, false, day_before);
        assert_eq!(due.len(), 1);
        assert_eq!(
            (due[0].milestone, due[0].kind),
            (Milestone::Verification, ReminderKind::Soon)
        );
        let after = deadlines.verification_due + Duration::hours(1);
        let due = due_reminders(&deadlines, true, false, after);
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].kind, ReminderKind::Due);
        assert!(due_reminders(&deadlines, true, true, after).is_empty());
        let end = deadlines.announcement_due;
        let due = due_reminders(&deadlines, true, true, end);
        assert_eq!(due.len(), 1);
        assert_eq!(
            (due[0].milestone, due[0].kind),
            (Milestone::Announcement, ReminderKind::Due)
        );
        assert!(due_reminders(&deadlines, false, false, end).is_empty());
        assert_ne!(
            due[0].key(),
            due_reminders(&deadlines, true, false, after)[0].key()
        );
    }
}
