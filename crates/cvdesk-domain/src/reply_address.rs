//! Reply addresses: mail the desk sends about a case or a report carries a `Reply-To`
//! such as `security+c12-4n5…@example.org`, whose token is an HMAC of what it is about
//! under a key only the desk holds. An answer that comes back to that address is matched
//! to exactly that case or report; a forged or altered address matches nothing. Nothing
//! per address is stored: the key recomputes every token.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// What a reply address leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReplyTarget {
    /// An outbound case, by its row id.
    Case(i64),
    /// A report's conversation with its finder, by the report's row id.
    Report(i64),
}

impl ReplyTarget {
    fn tag(self) -> (char, i64) {
        match self {
            ReplyTarget::Case(id) => ('c', id),
            ReplyTarget::Report(id) => ('r', id),
        }
    }
}

/// The desk's key for reply tokens (32 random bytes, kept in the store).
#[derive(Clone)]
pub struct ReplyKey([u8; 32]);

impl std::fmt::Debug for ReplyKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ReplyKey(…)")
    }
}

impl ReplyKey {
    pub fn new(bytes: [u8; 32]) -> Self {
        ReplyKey(bytes)
    }

    /// The token for `target`: 128 bits of the HMAC, in lower-case base32 (26 letters and
    /// digits, safe in a mailbox name that some servers fold to lower case).
    pub fn token(&self, target: ReplyTarget) -> String {
        let (tag, id) = target.tag();
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .expect("HMAC accepts keys of any length");
        mac.update(format!("cvdesk reply address\0{tag}\0{id}").as_bytes());
        base32(&mac.finalize().into_bytes()[..16])
    }

    /// `base` with the target and its token after a `+`: `security+c12-TOKEN@example.org`.
    pub fn address(&self, base: &str, target: ReplyTarget) -> Option<String> {
        let (local, domain) = base.rsplit_once('@')?;
        let (tag, id) = target.tag();
        Some(format!("{local}+{tag}{id}-{}@{domain}", self.token(target)))
    }

    /// The target an address (`local+c12-TOKEN@domain`, any case) names when its token is
    /// genuine. `base` is the configured address; only its domain must match, so mail
    /// forwarded through an alias of the local part still finds its way.
    pub fn target_of(&self, base: &str, address: &str) -> Option<ReplyTarget> {
        let (_, base_domain) = base.rsplit_once('@')?;
        let (local, domain) = address.trim().rsplit_once('@')?;
        if !domain.eq_ignore_ascii_case(base_domain) {
            return None;
        }
        let (_, detail) = local.split_once('+')?;
        let detail = detail.to_ascii_lowercase();
        let (head, token) = detail.split_once('-')?;
        let mut chars = head.chars();
        let tag = chars.next()?;
        let id: i64 = chars.as_str().parse().ok()?;
        let target = match tag {
            'c' => ReplyTarget::Case(id),
            'r' => ReplyTarget::Report(id),
            _ => return None,
        };
        let expected = self.token(target);
        bool::from(expected.as_bytes().ct_eq(token.as_bytes())).then_some(target)
    }
}

fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut out = String::new();
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "security@research.example";

    #[test]
    fn an_address_leads_back_to_its_target_only() {
        let key = ReplyKey::new([7; 32]);
        let address = key.address(BASE, ReplyTarget::Case(12)).expect("address");
        assert!(address.starts_with("security+c12-"), "{address}");
        assert_eq!(
            address.len(),
            "security+c12-".len() + 26 + "@research.example".len()
        );
        assert_eq!(key.target_of(BASE, &address), Some(ReplyTarget::Case(12)));
        assert_eq!(
            key.target_of(BASE, &address.to_uppercase()),
            Some(ReplyTarget::Case(12))
        );
        // Another case's number with this token, another key, another domain: nothing.
        let forged = address.replace("+c12-", "+c13-");
        assert_eq!(key.target_of(BASE, &forged), None);
        assert_eq!(ReplyKey::new([8; 32]).target_of(BASE, &address), None);
        let elsewhere = address.replace("research.example", "evil.example");
        assert_eq!(key.target_of(BASE, &elsewhere), None);
        assert_eq!(key.target_of(BASE, BASE), None);
        let report = key.address(BASE, ReplyTarget::Report(12)).expect("address");
        assert_ne!(report, address);
        assert_eq!(key.target_of(BASE, &report), Some(ReplyTarget::Report(12)));
    }
}
