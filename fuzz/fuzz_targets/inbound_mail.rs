//! Inbound mail: reading any bytes as a message, or as the entity inside a decrypted
//! OpenPGP message, never panics, and whatever is read stays within the limits.

#![no_main]

use cvdesk_formats::inbound_mail::{self, Content, Limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_bytes: 1024 * 1024,
        max_header_bytes: 16 * 1024,
        max_parts: 64,
        max_depth: 8,
    };
    if let Ok(mail) = inbound_mail::parse(data, &limits) {
        if let Content::Plain { attachments, .. } = &mail.content {
            let total: usize = attachments.iter().map(|a| a.bytes.len()).sum();
            assert!(total <= data.len() * 2);
        }
        assert!(!mail.subject.chars().any(char::is_control));
    }
    let _ = inbound_mail::parse_entity(data, &limits);
});
