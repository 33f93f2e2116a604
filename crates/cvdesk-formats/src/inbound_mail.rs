//! Reading one inbound e-mail (RFC 5322 with MIME) into what the desk keeps of it: who
//! sent it and to which addresses, the Message-IDs it answers, its text and files, or the
//! armoured OpenPGP message of a PGP/MIME mail (RFC 3156) for the edge to decrypt.
//! Parsing is `mail-parser`'s; this module bounds what it is given and what it returns,
//! so a mail bomb (deep nesting, huge headers, thousands of parts) is refused in words
//! instead of costing the desk its memory.

use mail_parser::{Address, HeaderValue, Message, MessageParser, MimeHeaders, PartType};
use time::OffsetDateTime;

/// What one mail may hold before it is refused as unreadable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The whole message, in bytes.
    pub max_bytes: usize,
    /// The top-level header section, in bytes.
    pub max_header_bytes: usize,
    /// MIME parts, all levels together.
    pub max_parts: usize,
    /// Multiparts inside multiparts.
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 32 * 1024 * 1024,
            max_header_bytes: 256 * 1024,
            max_parts: 500,
            max_depth: 20,
        }
    }
}

/// Why a mail could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    #[error("the message is larger than {0} bytes")]
    TooLarge(usize),
    #[error("the message's headers are larger than {0} bytes")]
    HeadersTooLarge(usize),
    #[error("the message nests MIME parts more than {0} levels deep")]
    TooDeep(usize),
    #[error("the message has more than {0} MIME parts")]
    TooManyParts(usize),
    #[error("the message has no headers or cannot be read as RFC 5322 mail")]
    Unreadable,
}

/// A file sent with the mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// As the sender named it; reduced to a safe name where it is stored.
    pub name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// What the mail carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// Readable text and files.
    Plain {
        text: String,
        attachments: Vec<Attachment>,
    },
    /// An OpenPGP message: `multipart/encrypted` (PGP/MIME) or a text body that is one
    /// armoured message (inline PGP). Once decrypted, `parse_entity` reads what is inside.
    Encrypted { armored: String, pgp_mime: bool },
}

/// One inbound mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// Without angle brackets.
    pub message_id: Option<String>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    /// The sender's address (From), lower-cased domain as written.
    pub from: Option<String>,
    pub from_name: Option<String>,
    /// Every address the mail was delivered or written to, envelope headers first
    /// (Delivered-To, X-Original-To, Envelope-To), then To and Cc.
    pub recipients: Vec<String>,
    pub subject: String,
    pub date: Option<OffsetDateTime>,
    pub content: Content,
}

/// Reads one message.
pub fn parse(bytes: &[u8], limits: &Limits) -> Result<Mail, MailError> {
    check_size(bytes, limits)?;
    let message = MessageParser::default()
        .parse(bytes)
        .ok_or(MailError::Unreadable)?;
    if message.headers().is_empty() {
        return Err(MailError::Unreadable);
    }
    check_structure(&message, limits)?;
    let mut recipients = Vec::new();
    for name in ["Delivered-To", "X-Original-To", "Envelope-To"] {
        for value in message.header_values(name) {
            if let Some(text) = value.as_text() {
                recipients.push(strip_brackets(text));
            } else if let Some(address) = value.as_address() {
                recipients.extend(addresses(address));
            }
        }
    }
    for address in [message.to(), message.cc()].into_iter().flatten() {
        recipients.extend(addresses(address));
    }
    recipients.dedup();
    let from = message.from().and_then(|address| address.first());
    Ok(Mail {
        message_id: message.message_id().map(str::to_owned),
        in_reply_to: ids(message.in_reply_to()),
        references: ids(message.references()),
        from: from.and_then(|a| a.address()).map(str::to_owned),
        from_name: from.and_then(|a| a.name()).map(clean_line),
        recipients,
        subject: message.subject().map(clean_line).unwrap_or_default(),
        date: message
            .date()
            .and_then(|date| OffsetDateTime::from_unix_timestamp(date.to_timestamp()).ok()),
        content: content(&message),
    })
}

/// Reads a MIME entity that was inside an OpenPGP message: its text and files.
pub fn parse_entity(bytes: &[u8], limits: &Limits) -> Result<(String, Vec<Attachment>), MailError> {
    check_size(bytes, limits)?;
    let message = MessageParser::default()
        .parse(bytes)
        .ok_or(MailError::Unreadable)?;
    check_structure(&message, limits)?;
    if message.headers().is_empty() {
        // Plain text without MIME headers.
        return Ok((clean_text(&String::from_utf8_lossy(bytes)), Vec::new()));
    }
    Ok((text_of(&message), attachments_of(&message)))
}

fn check_size(bytes: &[u8], limits: &Limits) -> Result<(), MailError> {
    if bytes.len() > limits.max_bytes {
        return Err(MailError::TooLarge(limits.max_bytes));
    }
    let head = &bytes[..bytes.len().min(limits.max_header_bytes.saturating_add(4))];
    let ends = head
        .windows(2)
        .position(|w| w == b"\n\n")
        .into_iter()
        .chain(head.windows(4).position(|w| w == b"\r\n\r\n"))
        .min();
    match ends {
        Some(end) if end <= limits.max_header_bytes => Ok(()),
        None if bytes.len() <= limits.max_header_bytes => Ok(()),
        _ => Err(MailError::HeadersTooLarge(limits.max_header_bytes)),
    }
}

/// Counts parts and measures nesting without recursion.
fn check_structure(message: &Message<'_>, limits: &Limits) -> Result<(), MailError> {
    if message.parts.len() > limits.max_parts {
        return Err(MailError::TooManyParts(limits.max_parts));
    }
    let mut stack = vec![(0usize, 0usize)];
    let mut visited = 0usize;
    while let Some((index, depth)) = stack.pop() {
        visited += 1;
        if visited > limits.max_parts {
            return Err(MailError::TooManyParts(limits.max_parts));
        }
        if depth > limits.max_depth {
            return Err(MailError::TooDeep(limits.max_depth));
        }
        let Some(part) = message.parts.get(index) else {
            continue;
        };
        match &part.body {
            PartType::Multipart(children) => {
                stack.extend(children.iter().map(|&child| (child as usize, depth + 1)));
            }
            PartType::Message(inner) => check_structure(inner, limits)?,
            _ => {}
        }
    }
    Ok(())
}

fn content(message: &Message<'_>) -> Content {
    let root = message.root_part();
    let encrypted = root.content_type().is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case("multipart")
            && ct
                .subtype()
                .is_some_and(|s| s.eq_ignore_ascii_case("encrypted"))
    });
    if encrypted {
        let armored = message.parts.iter().find_map(|part| {
            let text = String::from_utf8_lossy(part.contents()).into_owned();
            text.trim_start()
                .starts_with("-----BEGIN PGP MESSAGE-----")
                .then_some(text)
        });
        if let Some(armored) = armored {
            return Content::Encrypted {
                armored,
                pgp_mime: true,
            };
        }
    }
    let text = text_of(message);
    let trimmed = text.trim();
    if trimmed.starts_with("-----BEGIN PGP MESSAGE-----")
        && trimmed.ends_with("-----END PGP MESSAGE-----")
    {
        return Content::Encrypted {
            armored: trimmed.to_owned(),
            pgp_mime: false,
        };
    }
    Content::Plain {
        text,
        attachments: attachments_of(message),
    }
}

fn text_of(message: &Message<'_>) -> String {
    let parts: Vec<String> = (0..message.text_body_count())
        .filter_map(|index| message.body_text(index))
        .map(|text| clean_text(&text))
        .collect();
    if parts.is_empty() {
        message
            .body_text(0)
            .map(|text| clean_text(&text))
            .unwrap_or_default()
    } else {
        parts.join("\n\n")
    }
}

fn attachments_of(message: &Message<'_>) -> Vec<Attachment> {
    message
        .attachments()
        .map(|part| Attachment {
            name: part
                .attachment_name()
                .map(clean_line)
                .filter(|name| !name.is_empty())
                .unwrap_or_else(|| "attachment".to_owned()),
            content_type: part
                .content_type()
                .map(|ct| match ct.subtype() {
                    Some(sub) => format!("{}/{}", ct.ctype(), sub),
                    None => ct.ctype().to_owned(),
                })
                .unwrap_or_else(|| "application/octet-stream".to_owned()),
            bytes: match &part.body {
                PartType::Message(inner) => inner.raw_message().to_vec(),
                _ => part.contents().to_vec(),
            },
        })
        .collect()
}

fn addresses(address: &Address<'_>) -> Vec<String> {
    address
        .iter()
        .filter_map(|a| a.address())
        .map(str::to_owned)
        .collect()
}

fn ids(value: &HeaderValue<'_>) -> Vec<String> {
    match value {
        HeaderValue::Text(text) => vec![text.to_string()],
        HeaderValue::TextList(list) => list.iter().map(ToString::to_string).collect(),
        _ => Vec::new(),
    }
}

fn strip_brackets(text: &str) -> String {
    text.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_owned()
}

/// One line: control characters become spaces.
fn clean_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

/// Text with line breaks and tabs kept and other control characters (a NUL, which
/// PostgreSQL cannot store) replaced.
fn clean_text(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() && !matches!(c, '\n' | '\r' | '\t') {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPLY: &str = "Delivered-To: security+c1-abc@research.example\r\n\
From: \"Acme PSIRT\" <psirt@acme.example>\r\n\
To: Researcher <security+c1-abc@research.example>\r\n\
Subject: Re: Security vulnerability [CVD-OUT-2026-0001]\r\n\
Date: Tue, 03 Mar 2026 09:00:00 +0000\r\n\
Message-ID: <reply-1@acme.example>\r\n\
In-Reply-To: <cvdesk.7.1772445600@research.example>\r\n\
References: <cvdesk.7.1772445600@research.example>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"b1\"\r\n\
\r\n\
--b1\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
\r\n\
Thanks, we can reproduce it.\r\n\
--b1\r\n\
Content-Type: application/pdf\r\n\
Content-Disposition: attachment; filename=\"plan.pdf\"\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
JVBERi0=\r\n\
--b1--\r\n";

    #[test]
    fn a_reply_is_read() {
        let mail = parse(REPLY.as_bytes(), &Limits::default()).expect("read");
        assert_eq!(mail.message_id.as_deref(), Some("reply-1@acme.example"));
        assert_eq!(mail.in_reply_to, ["cvdesk.7.1772445600@research.example"]);
        assert_eq!(mail.from.as_deref(), Some("psirt@acme.example"));
        assert_eq!(mail.from_name.as_deref(), Some("Acme PSIRT"));
        assert_eq!(mail.recipients, ["security+c1-abc@research.example"]);
        assert_eq!(mail.date.map(|d| d.unix_timestamp()), Some(1_772_528_400));
        let Content::Plain { text, attachments } = mail.content else {
            panic!("plain");
        };
        assert!(text.contains("we can reproduce it"), "{text}");
        assert_eq!(attachments.len(), 1);
        assert_eq!(attachments[0].name, "plan.pdf");
        assert_eq!(attachments[0].bytes, b"%PDF-");
    }

    #[test]
    fn pgp_mime_is_found() {
        let mail = "From: a@acme.example\r\nTo: b@research.example\r\nSubject: x\r\n\
Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"e\"\r\n\r\n\
--e\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n\
--e\r\nContent-Type: application/octet-stream\r\n\r\n\
-----BEGIN PGP MESSAGE-----\r\n\r\nwcBMA\r\n-----END PGP MESSAGE-----\r\n--e--\r\n";
        let mail = parse(mail.as_bytes(), &Limits::default()).expect("read");
        assert!(matches!(
            mail.content,
            Content::Encrypted { pgp_mime: true, ref armored } if armored.contains("wcBMA")
        ));
    }

    #[test]
    fn mail_bombs_are_refused_in_words() {
        let limits = Limits::default();
        let mut deep = String::from(
            "From: a@b.example\r\nContent-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n",
        );
        for level in 1..=40 {
            deep.push_str(&format!(
                "--b{}\r\nContent-Type: multipart/mixed; boundary=\"b{level}\"\r\n\r\n",
                level - 1
            ));
        }
        deep.push_str("--b40\r\nContent-Type: text/plain\r\n\r\nhi\r\n");
        assert_eq!(parse(deep.as_bytes(), &limits), Err(MailError::TooDeep(20)));
        let huge = format!(
            "From: a@b.example\r\nX-Junk: {}\r\n\r\nhi",
            "x".repeat(300 * 1024)
        );
        assert_eq!(
            parse(huge.as_bytes(), &limits),
            Err(MailError::HeadersTooLarge(256 * 1024))
        );
        let small = Limits {
            max_bytes: 10,
            ..limits
        };
        assert_eq!(
            parse(REPLY.as_bytes(), &small),
            Err(MailError::TooLarge(10))
        );
        let mut many = String::from(
            "From: a@b.example\r\nContent-Type: multipart/mixed; boundary=\"m\"\r\n\r\n",
        );
        for _ in 0..600 {
            many.push_str("--m\r\nContent-Type: text/plain\r\n\r\nx\r\n");
        }
        many.push_str("--m--\r\n");
        assert_eq!(
            parse(many.as_bytes(), &limits),
            Err(MailError::TooManyParts(500))
        );
        assert_eq!(parse(b"", &limits), Err(MailError::Unreadable));
    }

    #[test]
    fn a_decrypted_entity_gives_its_text() {
        let entity = "Content-Type: text/plain; charset=utf-8\r\n\r\nConfirmed.\r\n";
        let (text, files) = parse_entity(entity.as_bytes(), &Limits::default()).expect("read");
        assert_eq!(text.trim(), "Confirmed.");
        assert!(files.is_empty());
    }
}
