//! A queued mail as an RFC 5322 message. The headers are set when it is sent, from the
//! queued row, so every retry of one mail carries the same Date and Message-ID and a
//! receiving system can recognise a repeat.

use std::time::SystemTime;

use cvdesk_store::{MailBody, OutboxMail};
use lettre::message::header::{ContentDisposition, ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::Message;

/// Why a queued mail cannot become a message; retrying would not change it.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("the recipient '{0}' is not an e-mail address")]
    Recipient(String),
    #[error("the message could not be assembled: {0}")]
    Assembly(#[from] lettre::error::Error),
    #[error("the content type {0} is not valid")]
    ContentType(&'static str),
}

/// `reply_to`, when given, is the address answers should go to: one that carries the
/// reply token of the case or report the mail is about.
pub fn build(
    mail: &OutboxMail,
    from: &Mailbox,
    reply_to: Option<&str>,
) -> Result<Message, BuildError> {
    let to: Mailbox = mail
        .recipient
        .parse()
        .map_err(|_| BuildError::Recipient(mail.recipient.clone()))?;
    let message_id = format!(
        "<cvdesk.{}.{}@{}>",
        mail.id,
        mail.created_at.unix_timestamp(),
        from.email.domain()
    );
    let mut builder = Message::builder().from(from.clone());
    if let Some(reply_to) = reply_to {
        let reply_to: Mailbox = reply_to
            .parse()
            .map_err(|_| BuildError::Recipient(reply_to.to_owned()))?;
        builder = builder.reply_to(reply_to);
    }
    let builder = builder
        .to(to)
        .subject(mail.subject.clone())
        .date(SystemTime::from(mail.created_at))
        .message_id(Some(message_id))
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("Auto-Submitted"),
            "auto-generated".to_owned(),
        ));
    let message = match &mail.body {
        MailBody::Plain(text) => builder.singlepart(SinglePart::plain(text.clone())),
        MailBody::PgpMime(armored) => builder.multipart(pgp_mime(armored)?),
    };
    Ok(message?)
}

/// RFC 3156 section 4: a control part saying "Version: 1", then the armored message.
fn pgp_mime(armored: &str) -> Result<MultiPart, BuildError> {
    Ok(MultiPart::encrypted("application/pgp-encrypted".to_owned())
        .singlepart(
            SinglePart::builder()
                .header(content_type("application/pgp-encrypted")?)
                .body("Version: 1\r\n".to_owned()),
        )
        .singlepart(
            SinglePart::builder()
                .header(content_type("application/octet-stream")?)
                .header(ContentDisposition::inline_with_name("encrypted.asc"))
                .body(armored.to_owned()),
        ))
}

fn content_type(mime: &'static str) -> Result<ContentType, BuildError> {
    ContentType::parse(mime).map_err(|_| BuildError::ContentType(mime))
}

#[cfg(test)]
mod tests {
    use cvdesk_store::MailKind;
    use time::macros::datetime;

    use super::*;

    fn mail(body: MailBody) -> OutboxMail {
        OutboxMail {
            id: 42,
            created_at: datetime!(2026-11-23 12:00 UTC),
            kind: MailKind::FinderAcknowledgement,
            report_id: Some(7),
            case_id: None,
            recipient: "ada@example.org".into(),
            subject: "[CVD-2026-0001] We received your report".into(),
            body,
            attempts: 1,
        }
    }

    fn from() -> Mailbox {
        "Example Security <security@example.org>"
            .parse()
            .expect("mailbox")
    }

    fn formatted(mail: &OutboxMail) -> String {
        let message = build(mail, &from(), None).expect("built");
        String::from_utf8(message.formatted()).expect("utf-8")
    }

    #[test]
    fn plain_mail_has_the_headers_and_stable_ids() {
        let text = formatted(&mail(MailBody::Plain("Thank you.\n".into())));
        for header in [
            "From: \"Example Security\" <security@example.org>\r\n",
            "To: ada@example.org\r\n",
            "Subject: [CVD-2026-0001] We received your report\r\n",
            "Date: Mon, 23 Nov 2026 12:00:00 +0000\r\n",
            "Message-ID: <cvdesk.42.1795435200@example.org>\r\n",
            "Auto-Submitted: auto-generated\r\n",
            "Content-Type: text/plain; charset=utf-8\r\n",
        ] {
            assert!(text.contains(header), "{header:?} in\n{text}");
        }
        assert!(text.contains("\r\n\r\nThank you.\r\n"), "{text}");
        assert_eq!(
            text,
            formatted(&mail(MailBody::Plain("Thank you.\n".into())))
        );
    }

    #[test]
    fn encrypted_mail_is_pgp_mime() {
        let armored = "-----BEGIN PGP MESSAGE-----\n\nwcBMA\n-----END PGP MESSAGE-----\n";
        let text = formatted(&mail(MailBody::PgpMime(armored.into())));
        assert!(
            text.contains("Content-Type: multipart/encrypted;"),
            "{text}"
        );
        assert!(
            text.contains("protocol=\"application/pgp-encrypted\""),
            "{text}"
        );
        let control = text.find("Version: 1").expect("control part");
        let data = text.find("-----BEGIN PGP MESSAGE-----").expect("data part");
        assert!(control < data, "{text}");
        assert!(
            text.contains("Content-Type: application/octet-stream"),
            "{text}"
        );
    }

    #[test]
    fn replies_go_to_the_address_given() {
        let message = build(
            &mail(MailBody::Plain("x".into())),
            &from(),
            Some("security+r7-abc@example.org"),
        )
        .expect("built");
        let text = String::from_utf8(message.formatted()).expect("utf-8");
        assert!(
            text.contains("Reply-To: security+r7-abc@example.org\r\n"),
            "{text}"
        );
    }

    #[test]
    fn a_bad_recipient_is_refused() {
        let mut bad = mail(MailBody::Plain("x".into()));
        bad.recipient = "not an address".into();
        let error = build(&bad, &from(), None).expect_err("refused");
        assert!(
            error.to_string().contains("not an e-mail address"),
            "{error}"
        );
    }
}
