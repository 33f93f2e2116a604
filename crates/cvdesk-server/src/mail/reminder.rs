//! Reminders to staff: a first-response, triage or fix deadline of a report is close or
//! has passed, or the finder is owed their fortnightly update (ETSI TR 103 838 clause
//! 5.5.1). Like every staff mail, a reminder names the report by reference, says which
//! clock and when it is due, and links to the staff page; it carries no details.

use askama::Template;
use cvdesk_domain::sla::{ClockStatus, DueReminder, Reminder};
use cvdesk_domain::Reference;
use cvdesk_store::{MailBody, MailKind, NewMail};
use lettre::Address;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::UtcOffset;

const DUE_AT: &[BorrowedFormatItem<'_>] =
    format_description!("[year]-[month]-[day] [hour]:[minute] UTC");

#[derive(Template)]
#[template(path = "mail/staff_reminder.txt")]
struct StaffReminder<'a> {
    finder_update: bool,
    overdue: bool,
    clock: &'static str,
    reference: &'a str,
    due: String,
    report_url: String,
}

/// Where the desk is, for the staff link.
pub struct ReminderMail<'a> {
    /// Without a trailing slash.
    pub public_url: &'a str,
}

impl ReminderMail<'_> {
    /// One reminder per address. A reminder that cannot be written is logged and left
    /// out; the next look tries again, as nothing was recorded.
    pub fn compose(
        &self,
        report_id: i64,
        reference: &Reference,
        due: &DueReminder,
        recipients: &[Address],
    ) -> Vec<NewMail> {
        let reference = reference.to_string();
        let finder_update = due.reminder == Reminder::FinderUpdate;
        let overdue = due.status == ClockStatus::Overdue;
        let body = StaffReminder {
            finder_update,
            overdue,
            clock: due.reminder.words(),
            reference: &reference,
            due: due
                .due_at
                .to_offset(UtcOffset::UTC)
                .format(DUE_AT)
                .unwrap_or_else(|_| due.due_at.to_string()),
            report_url: format!("{}/staff/reports/{reference}", self.public_url),
        }
        .render();
        let body = match body {
            Ok(body) => body,
            Err(error) => {
                tracing::error!(%reference, reminder = due.reminder.as_str(), %error, "could not write the reminder");
                return Vec::new();
            }
        };
        let (kind, subject) = match (finder_update, overdue) {
            (true, _) => (
                MailKind::StaffUpdateReminder,
                "The finder is owed an update".to_owned(),
            ),
            (false, true) => (
                MailKind::StaffDeadlineReminder,
                format!("The {} deadline has passed", due.reminder.words()),
            ),
            (false, false) => (
                MailKind::StaffDeadlineReminder,
                format!("The {} deadline is close", due.reminder.words()),
            ),
        };
        recipients
            .iter()
            .map(|recipient| NewMail {
                kind,
                report_id: Some(report_id),
                recipient: recipient.to_string(),
                subject: format!("[{reference}] {subject}"),
                body: MailBody::Plain(body.clone()),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use cvdesk_domain::ReferencePrefix;
    use time::macros::datetime;

    use super::*;

    fn text(mail: &NewMail) -> &str {
        match &mail.body {
            MailBody::Plain(text) => text,
            MailBody::PgpMime(_) => panic!("encrypted"),
        }
    }

    fn compose(reminder: Reminder, status: ClockStatus) -> Vec<NewMail> {
        let staff: Vec<Address> = ["web@example.org", "lead@example.org"]
            .iter()
            .map(|a| a.parse().expect("address"))
            .collect();
        ReminderMail {
            public_url: "https://security.example.org",
        }
        .compose(
            5,
            &Reference::new(ReferencePrefix::default(), 2026, 9),
            &DueReminder {
                reminder,
                due_at: datetime!(2026-05-16 00:00 +02:00),
                status,
            },
            &staff,
        )
    }

    #[test]
    fn a_deadline_reminder_names_the_clock_the_due_date_and_the_link() {
        let mail = compose(Reminder::Triage, ClockStatus::AtRisk);
        let recipients: Vec<&str> = mail.iter().map(|m| m.recipient.as_str()).collect();
        assert_eq!(recipients, ["web@example.org", "lead@example.org"]);
        assert_eq!(mail[0].kind, MailKind::StaffDeadlineReminder);
        assert_eq!(mail[0].report_id, Some(5));
        assert_eq!(
            mail[0].subject,
            "[CVD-2026-0009] The triage deadline is close"
        );
        assert_eq!(
            text(&mail[0]),
            "The triage deadline is close for report\n\n    CVD-2026-0009, due 2026-05-15 22:00 UTC\n\n\
             Open the report here (signing in is needed):\n\
             https://security.example.org/staff/reports/CVD-2026-0009\n\n\
             This e-mail carries no details of the report on purpose: plain\n\
             e-mail can be read on its way."
        );
        let passed = compose(Reminder::FirstResponse, ClockStatus::Overdue);
        assert_eq!(
            passed[0].subject,
            "[CVD-2026-0009] The first response deadline has passed"
        );
        assert!(text(&passed[0]).starts_with("The first response deadline has passed for report"));
    }

    #[test]
    fn an_update_reminder_asks_for_a_message_to_the_finder() {
        let mail = compose(Reminder::FinderUpdate, ClockStatus::Overdue);
        assert_eq!(mail[0].kind, MailKind::StaffUpdateReminder);
        assert_eq!(
            mail[0].subject,
            "[CVD-2026-0009] The finder is owed an update"
        );
        let text = text(&mail[0]);
        assert!(
            text.starts_with("The finder is owed an update on report\n\n    CVD-2026-0009, due 2026-05-15 22:00 UTC\n\nWhile a fix"),
            "{text}"
        );
        assert!(text.contains("/staff/reports/CVD-2026-0009\n"), "{text}");
    }
}
