//! The outbox: mail the desk has decided to send, kept in the database until an SMTP server
//! accepts it. A report is accepted while mail is down, a restart loses nothing, and a
//! lease stops two instances from sending the same mail at once.

use async_trait::async_trait;
use time::{Duration, OffsetDateTime};

use crate::StoreError;

/// The wait after the first failure; it doubles after each further one.
pub const FIRST_RETRY: Duration = Duration::seconds(30);
/// The longest wait between two attempts.
pub const LONGEST_RETRY: Duration = Duration::hours(1);
/// How long after it was queued a mail is given up on; its row stays with the last error.
pub const GIVE_UP_AFTER: Duration = Duration::days(3);

/// What a mail is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    /// To the finder after intake: thanks, the reference and what happens when.
    FinderAcknowledgement,
    /// To a staff address: a new report arrived.
    StaffNewReport,
    /// To the finder: the security team wrote on their report.
    FinderStaffMessage,
    /// To the finder: the security team needs more information.
    FinderNeedsInfo,
    /// To the finder: triage is done, and its outcome.
    FinderTriaged,
    /// To the finder: the issue is remediated; they are invited to retest.
    FinderRemediated,
    /// To the finder: the report was closed as a duplicate, informative or not applicable.
    FinderClosed,
    /// To a staff address: the finder replied.
    StaffFinderReplied,
    /// To a staff address: the finder asked for a status update.
    StaffUpdateRequested,
    /// To a staff address: the finder contested the outcome of a closed report.
    StaffAppealFiled,
    /// To a staff address: a first-response, triage or fix deadline is at risk or passed.
    StaffDeadlineReminder,
    /// To a staff address: the finder is owed an update on an assigned report.
    StaffUpdateReminder,
    /// To a vendor: the initial inquiry of an outbound case, or a follow-up.
    VendorInquiry,
    /// To the researcher: a deadline of an outbound case is close or has come.
    ResearcherReminder,
    /// To the finder: a credit in an advisory is proposed for their agreement.
    FinderCreditProposed,
    /// To a vendor: an invitation to coordinate a report, with its participant link.
    ParticipantInvitation,
    /// To a participant: a message, an embargo change or a deadline reminder.
    ParticipantNews,
    /// To a staff address: a participant answered, proposed or missed a deadline.
    StaffCoordination,
}

impl MailKind {
    pub const ALL: [MailKind; 18] = [
        MailKind::FinderAcknowledgement,
        MailKind::StaffNewReport,
        MailKind::FinderStaffMessage,
        MailKind::FinderNeedsInfo,
        MailKind::FinderTriaged,
        MailKind::FinderRemediated,
        MailKind::FinderClosed,
        MailKind::StaffFinderReplied,
        MailKind::StaffUpdateRequested,
        MailKind::StaffAppealFiled,
        MailKind::StaffDeadlineReminder,
        MailKind::StaffUpdateReminder,
        MailKind::VendorInquiry,
        MailKind::ResearcherReminder,
        MailKind::FinderCreditProposed,
        MailKind::ParticipantInvitation,
        MailKind::ParticipantNews,
        MailKind::StaffCoordination,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MailKind::FinderAcknowledgement => "finder_acknowledgement",
            MailKind::StaffNewReport => "staff_new_report",
            MailKind::FinderStaffMessage => "finder_staff_message",
            MailKind::FinderNeedsInfo => "finder_needs_info",
            MailKind::FinderTriaged => "finder_triaged",
            MailKind::FinderRemediated => "finder_remediated",
            MailKind::FinderClosed => "finder_closed",
            MailKind::StaffFinderReplied => "staff_finder_replied",
            MailKind::StaffUpdateRequested => "staff_update_requested",
            MailKind::StaffAppealFiled => "staff_appeal_filed",
            MailKind::StaffDeadlineReminder => "staff_deadline_reminder",
            MailKind::StaffUpdateReminder => "staff_update_reminder",
            MailKind::VendorInquiry => "vendor_inquiry",
            MailKind::ResearcherReminder => "researcher_reminder",
            MailKind::FinderCreditProposed => "finder_credit_proposed",
            MailKind::ParticipantInvitation => "participant_invitation",
            MailKind::ParticipantNews => "participant_news",
            MailKind::StaffCoordination => "staff_coordination",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        MailKind::ALL.into_iter().find(|kind| kind.as_str() == text)
    }
}

/// The content of a mail; the sender, date and message id are added when it is sent, so
/// mail queued before SMTP was configured goes out with the configured sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailBody {
    /// UTF-8 text.
    Plain(String),
    /// An ASCII-armored OpenPGP message, sent as RFC 3156 `multipart/encrypted`.
    PgpMime(String),
}

impl MailBody {
    /// The `format` column's value.
    pub fn format(&self) -> &'static str {
        match self {
            MailBody::Plain(_) => "plain",
            MailBody::PgpMime(_) => "pgp_mime",
        }
    }

    pub fn text(&self) -> &str {
        match self {
            MailBody::Plain(text) | MailBody::PgpMime(text) => text,
        }
    }

    pub fn from_columns(format: &str, body: String) -> Option<Self> {
        match format {
            "plain" => Some(MailBody::Plain(body)),
            "pgp_mime" => Some(MailBody::PgpMime(body)),
            _ => None,
        }
    }
}

/// A mail to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMail {
    pub kind: MailKind,
    /// The report the mail is about, if any.
    pub report_id: Option<i64>,
    /// One address, e.g. `ada@example.org`.
    pub recipient: String,
    pub subject: String,
    pub body: MailBody,
}

/// A mail claimed for sending: until its lease ends no other claim returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMail {
    pub id: i64,
    pub created_at: OffsetDateTime,
    pub kind: MailKind,
    pub report_id: Option<i64>,
    /// The outbound case the mail is about, if any.
    pub case_id: Option<i64>,
    pub recipient: String,
    pub subject: String,
    pub body: MailBody,
    /// Claims so far, this one included.
    pub attempts: u32,
}

/// How a sending attempt failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Worth trying again later: the server was unreachable or answered 4xx.
    Transient,
    /// The server refused the mail for good (5xx): retrying would not help.
    Permanent,
}

/// What happens to a mail after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    At(OffsetDateTime),
    GivenUp,
}

/// Exponential back-off: `FIRST_RETRY` after the first attempt, doubling up to
/// `LONGEST_RETRY`, and no attempt later than `GIVE_UP_AFTER` from when it was queued.
pub fn retry_after(
    attempts: u32,
    created_at: OffsetDateTime,
    now: OffsetDateTime,
    failure: Failure,
) -> Retry {
    if failure == Failure::Permanent {
        return Retry::GivenUp;
    }
    let doublings = attempts.saturating_sub(1).min(16);
    let wait = (FIRST_RETRY * 2_i32.pow(doublings)).min(LONGEST_RETRY);
    let next = now + wait;
    if next > created_at + GIVE_UP_AFTER {
        Retry::GivenUp
    } else {
        Retry::At(next)
    }
}

/// Where a mail stands, for an operator's view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailStatus {
    /// Not sent yet; the next attempt is due then (or the current one's lease ends then).
    Pending {
        next_attempt_at: OffsetDateTime,
    },
    Sent {
        at: OffsetDateTime,
    },
    GivenUp {
        at: OffsetDateTime,
    },
}

/// One row of the outbox, without its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    pub id: i64,
    pub created_at: OffsetDateTime,
    pub kind: MailKind,
    pub report_id: Option<i64>,
    pub recipient: String,
    pub attempts: u32,
    pub status: MailStatus,
    pub last_error: Option<String>,
}

#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Queues mail, due at once. Mail about a new report is better queued with
    /// `ReportStore::create_report_with_mail`, in the report's own transaction.
    async fn enqueue_mail(&self, mail: &[NewMail], now: OffsetDateTime) -> Result<(), StoreError>;

    /// Claims up to `limit` due mails, oldest due first, for `lease`: one atomic statement,
    /// so two instances never claim the same mail. A claim counts as an attempt; a mail
    /// whose sender dies is due again when the lease ends.
    async fn claim_mail(
        &self,
        now: OffsetDateTime,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<OutboxMail>, StoreError>;

    /// Gives back a claim whose mail the SMTP server never accepted, because its sender is
    /// stopping: the mail is due again at `now`, and the claim no longer counts as an
    /// attempt. `lease_until` is the end of the lease the claim was given: a claim that
    /// has since been taken over by another sender, or settled, is left alone. Whether it
    /// was released.
    async fn release_mail(
        &self,
        mail: &OutboxMail,
        lease_until: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;

    /// Records that the SMTP server accepted the mail; it is never claimed again.
    async fn mark_mail_sent(&self, id: i64, now: OffsetDateTime) -> Result<(), StoreError>;

    /// Records a failed attempt with its error and schedules the next (see `retry_after`).
    async fn mark_mail_failed(
        &self,
        mail: &OutboxMail,
        failure: Failure,
        error: &str,
        now: OffsetDateTime,
    ) -> Result<Retry, StoreError>;

    /// The newest `limit` rows, newest first.
    async fn recent_mail(&self, limit: u32) -> Result<Vec<OutboxEntry>, StoreError>;
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    const QUEUED: OffsetDateTime = datetime!(2026-11-23 12:00 UTC);

    #[test]
    fn waits_double_from_thirty_seconds_to_an_hour() {
        let waits: Vec<Duration> = (1..=9)
            .map(
                |attempts| match retry_after(attempts, QUEUED, QUEUED, Failure::Transient) {
                    Retry::At(at) => at - QUEUED,
                    Retry::GivenUp => panic!("gave up after {attempts}"),
                },
            )
            .collect();
        let minutes = |m| Duration::minutes(m);
        assert_eq!(
            waits,
            [
                Duration::seconds(30),
                minutes(1),
                minutes(2),
                minutes(4),
                minutes(8),
                minutes(16),
                minutes(32),
                minutes(60),
                minutes(60),
            ]
        );
        assert_eq!(
            retry_after(u32::MAX, QUEUED, QUEUED, Failure::Transient),
            Retry::At(QUEUED + LONGEST_RETRY)
        );
    }

    #[test]
    fn gives_up_after_three_days_or_a_permanent_refusal() {
        let late = QUEUED + GIVE_UP_AFTER - Duration::minutes(30);
        assert_eq!(
            retry_after(80, QUEUED, late, Failure::Transient),
            Retry::GivenUp
        );
        let early = QUEUED + GIVE_UP_AFTER - LONGEST_RETRY;
        assert_eq!(
            retry_after(80, QUEUED, early, Failure::Transient),
            Retry::At(QUEUED + GIVE_UP_AFTER)
        );
        assert_eq!(
            retry_after(1, QUEUED, QUEUED, Failure::Permanent),
            Retry::GivenUp
        );
    }

    #[test]
    fn kinds_and_formats_round_trip() {
        for kind in MailKind::ALL {
            assert_eq!(MailKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(MailKind::parse("newsletter"), None);
        for body in [
            MailBody::Plain("hi".into()),
            MailBody::PgpMime("-----BEGIN PGP MESSAGE-----".into()),
        ] {
            let restored = MailBody::from_columns(body.format(), body.text().to_owned());
            assert_eq!(restored, Some(body));
        }
        assert_eq!(MailBody::from_columns("html", String::new()), None);
    }
}
