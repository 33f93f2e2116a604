//! The sender: claims due mail from the outbox, hands it to the SMTP server, and records
//! each outcome. Every instance runs one; the store's leases keep them from sending the
//! same mail. A mail is marked sent only after the server accepted it, so a crash in
//! between can repeat it (with the same Message-ID) but never lose it.
//!
//! One mail is claimed at a time, with a lease only a little longer than a send may take:
//! a sender killed mid-send holds back that one mail for under a minute, where a batch
//! under a long lease held ten for ten minutes. A graceful stop gives back what it claimed
//! and did not send, so the next start (or another instance) sends it at once.

use std::sync::Arc;

use cvdesk_store::{Failure, OutboxMail, Retry, Store};
use lettre::AsyncTransport;
use tokio::sync::watch;

use cvdesk_domain::reply_address::ReplyTarget;
use cvdesk_store::MailKind;

use super::{message, Mailer, Transport};
use crate::inbound_mail::ReplyAddresses;
use crate::metrics::MailCounters;
use crate::Clock;

/// Longest a send may take before it counts as a transient failure.
const SEND_DEADLINE: std::time::Duration = std::time::Duration::from_secs(30);
/// How long a claimed mail is reserved for its sender: past the send deadline, so no
/// second sender starts on a mail still being sent.
const LEASE: time::Duration = time::Duration::seconds(45);
/// Mails claimed at once.
const BATCH: u32 = 1;
/// How often the outbox is checked when nothing wakes the sender: retries come due, and
/// other instances queue mail.
const POLL: std::time::Duration = std::time::Duration::from_secs(5);

/// Sends until `stop` changes; the mail in hand gets `STOP_GRACE` to finish.
pub async fn run(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    mailer: Arc<Mailer>,
    mut stop: watch::Receiver<bool>,
) {
    let Some(transport) = &mailer.transport else {
        tracing::warn!(
            "no SMTP server configured (CVDESK_SMTP_URL): mail is kept in the outbox and \
             sent once one is"
        );
        return;
    };
    tracing::info!(smtp = %transport.url, "sending mail");
    loop {
        let full_batch = match send_due(
            store.as_ref(),
            clock.as_ref(),
            transport,
            mailer.replies.as_ref(),
            &mailer.counters,
            &stop,
        )
        .await
        {
            Ok(sent) => sent == BATCH as usize,
            Err(error) => {
                tracing::warn!(%error, "could not read or update the outbox");
                false
            }
        };
        if *stop.borrow() {
            return;
        }
        if full_batch {
            continue;
        }
        tokio::select! {
            () = mailer.wake.notified() => {}
            () = tokio::time::sleep(POLL) => {}
            _ = stop.changed() => return,
        }
    }
}

/// Sends one batch of due mail; returns how many were claimed. A stop gives back every
/// claim not yet handed to the SMTP server, so a restart sends it at once instead of
/// after the lease.
async fn send_due(
    store: &dyn Store,
    clock: &dyn Clock,
    transport: &Transport,
    replies: Option<&ReplyAddresses>,
    counters: &MailCounters,
    stop: &watch::Receiver<bool>,
) -> Result<usize, cvdesk_store::StoreError> {
    let claimed_at = clock.now();
    let lease_until = claimed_at + LEASE;
    let claimed = store.claim_mail(claimed_at, LEASE, BATCH).await?;
    let count = claimed.len();
    let mut claimed = claimed.into_iter();
    for mail in claimed.by_ref() {
        let sending = if *stop.borrow() {
            Sending::Abandoned
        } else {
            send_one(store, clock, transport, replies, counters, &mail, stop).await?
        };
        if matches!(sending, Sending::Abandoned) {
            release(store, clock, &mail, lease_until).await?;
            break;
        }
    }
    for mail in claimed {
        release(store, clock, &mail, lease_until).await?;
    }
    Ok(count)
}

async fn release(
    store: &dyn Store,
    clock: &dyn Clock,
    mail: &OutboxMail,
    lease_until: time::OffsetDateTime,
) -> Result<(), cvdesk_store::StoreError> {
    store.release_mail(mail, lease_until, clock.now()).await?;
    tracing::info!(mail = mail.id, "mail not sent before the stop; due again");
    Ok(())
}

/// What became of one claimed mail.
enum Sending {
    /// Sent, or failed with the outcome recorded.
    Recorded,
    /// The sender stopped before the SMTP server answered; the claim is to be given back.
    Abandoned,
}

/// A mail the SMTP server is still taking when the sender is told to stop gets this long
/// to finish; a server that hangs past it does not hold the stop (or the mail) back.
const STOP_GRACE: std::time::Duration = std::time::Duration::from_secs(3);

async fn send_one(
    store: &dyn Store,
    clock: &dyn Clock,
    transport: &Transport,
    replies: Option<&ReplyAddresses>,
    counters: &MailCounters,
    mail: &OutboxMail,
    stop: &watch::Receiver<bool>,
) -> Result<Sending, cvdesk_store::StoreError> {
    let reply_to = reply_address(replies, mail);
    let outcome = match message::build(mail, &transport.from, reply_to.as_deref()) {
        Err(error) => Err((Failure::Permanent, error.to_string())),
        Ok(message) => {
            let sending = tokio::time::timeout(SEND_DEADLINE, transport.smtp.send(message));
            tokio::pin!(sending);
            let mut stop = stop.clone();
            let finished = tokio::select! {
                finished = &mut sending => finished,
                () = async {
                    // A closed channel means the server is going away too.
                    let _ = stop.wait_for(|stopped| *stopped).await;
                } => {
                    match tokio::time::timeout(STOP_GRACE, &mut sending).await {
                        Ok(finished) => finished,
                        Err(_) => return Ok(Sending::Abandoned),
                    }
                }
            };
            match finished {
                Err(_) => Err((
                    Failure::Transient,
                    format!(
                        "the mail server did not finish within {} s",
                        SEND_DEADLINE.as_secs()
                    ),
                )),
                Ok(sent) => sent.map_err(|error| {
                    let failure = if error.is_permanent() {
                        Failure::Permanent
                    } else {
                        Failure::Transient
                    };
                    (failure, error.to_string())
                }),
            }
        }
    };
    match outcome {
        Ok(_) => {
            counters.sent.inc();
            store.mark_mail_sent(mail.id, clock.now()).await?;
            tracing::info!(
                mail = mail.id,
                kind = mail.kind.as_str(),
                report = mail.report_id,
                "mail sent"
            );
        }
        Err((failure, error)) => {
            counters.failed.inc();
            let retry = store
                .mark_mail_failed(mail, failure, &error, clock.now())
                .await?;
            match retry {
                Retry::At(at) => tracing::warn!(
                    mail = mail.id,
                    kind = mail.kind.as_str(),
                    %error,
                    next_attempt = %at,
                    "mail not sent; will retry"
                ),
                Retry::GivenUp => tracing::error!(
                    mail = mail.id,
                    kind = mail.kind.as_str(),
                    report = mail.report_id,
                    %error,
                    attempts = mail.attempts,
                    "mail given up; the outbox keeps it with this error"
                ),
            }
        }
    }
    Ok(Sending::Recorded)
}

/// Where answers to `mail` should go: the case's or report's own reply address, for mail
/// to a vendor about a case and for mail to a finder, when inbound mail is configured.
fn reply_address(replies: Option<&ReplyAddresses>, mail: &OutboxMail) -> Option<String> {
    let replies = replies?;
    let to_finder = matches!(
        mail.kind,
        MailKind::FinderAcknowledgement
            | MailKind::FinderStaffMessage
            | MailKind::FinderNeedsInfo
            | MailKind::FinderTriaged
            | MailKind::FinderRemediated
            | MailKind::FinderClosed
    );
    let target = match (mail.case_id, mail.report_id) {
        (Some(case), _) if mail.kind == MailKind::VendorInquiry => ReplyTarget::Case(case),
        (None, Some(report)) if to_finder => ReplyTarget::Report(report),
        _ => return None,
    };
    replies.key.address(&replies.base, target)
}

#[cfg(test)]
mod tests {
    use cvdesk_domain::reply_address::ReplyKey;
    use cvdesk_store::MailBody;
    use time::macros::datetime;

    use super::*;

    fn mail(kind: MailKind, report_id: Option<i64>, case_id: Option<i64>) -> OutboxMail {
        OutboxMail {
            id: 1,
            created_at: datetime!(2026-03-02 10:00 UTC),
            kind,
            report_id,
            case_id,
            recipient: "someone@example.org".into(),
            subject: "s".into(),
            body: MailBody::Plain("b".into()),
            attempts: 1,
        }
    }

    #[test]
    fn finders_and_vendors_get_their_reply_address_and_staff_none() {
        let replies = ReplyAddresses {
            base: "security@example.org".into(),
            key: ReplyKey::new([3; 32]),
        };
        let finder = reply_address(
            Some(&replies),
            &mail(MailKind::FinderStaffMessage, Some(7), None),
        )
        .expect("an address");
        assert_eq!(
            replies.key.target_of(&replies.base, &finder),
            Some(ReplyTarget::Report(7))
        );
        let vendor = reply_address(
            Some(&replies),
            &mail(MailKind::VendorInquiry, None, Some(4)),
        )
        .expect("an address");
        assert_eq!(
            replies.key.target_of(&replies.base, &vendor),
            Some(ReplyTarget::Case(4))
        );
        assert_eq!(
            reply_address(
                Some(&replies),
                &mail(MailKind::StaffNewReport, Some(7), None)
            ),
            None
        );
        assert_eq!(
            reply_address(None, &mail(MailKind::FinderStaffMessage, Some(7), None)),
            None
        );
    }
}
